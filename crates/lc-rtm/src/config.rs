//! [`Config`]: everything a connection was built with, and the customer's login details
//! ([`CustomerProfile`]) or the agent's ([`AgentLogin`]), from which each `login` is made.

use std::collections::BTreeMap;
use std::sync::Arc;

use lc_types::auth::{PersonalAccessToken, TokenProvider};
use lc_types::endpoint::Endpoint;
use lc_types::{ChatApi, PushSubscription, Region};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::channel::SharedPage;
use crate::error::{Error, ErrorKind};
use crate::session::Settings;
use crate::version::per_version;

/// The customer's details the client sends with every `login` (its `customer` field): name,
/// e-mail, avatar and session fields. Any other field of the version's `customer` object goes
/// in `extra`. Not the API's customer object (`lc_types::v3_6::customer::Customer`), which the server
/// gives back.
///
/// ```
/// let customer = lc_rtm::CustomerProfile::default()
///     .name("Ada")
///     .email("ada@example.com")
///     .session_field("plan", "pro");
/// assert_eq!(customer.session_fields, [("plan".to_owned(), "pro".to_owned())]);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct CustomerProfile {
    /// Display name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Session fields, in order (at most 100; the server refuses more).
    pub session_fields: Vec<(String, String)>,
    /// Other fields of `customer` (e.g. `address` since 3.6).
    pub extra: Map<String, Value>,
}

impl CustomerProfile {
    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the e-mail address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the avatar URL.
    pub fn avatar(mut self, url: impl Into<String>) -> Self {
        self.avatar = Some(url.into());
        self
    }

    /// Adds a session field.
    pub fn session_field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.session_fields.push((key.into(), value.into()));
        self
    }

    fn is_empty(&self) -> bool {
        *self == CustomerProfile::default()
    }
}

/// Gives the [`CustomerProfile`] at each login (so a reconnect sends the current one).
pub type CustomerProvider = Arc<dyn Fn() -> CustomerProfile + Send + Sync>;

/// The agent's `login` fields besides the token (reference §2.2), set with the builder's
/// agent methods ([`RtmClientBuilder::away`](crate::RtmClientBuilder::away), ...). Absent
/// fields are not sent (the server's defaults apply).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct AgentLogin {
    /// `application`: name and version.
    pub application: Option<(String, String)>,
    pub away: Option<bool>,
    pub customer_monitoring_level: Option<String>,
    pub timezone: Option<String>,
}

/// Everything a client was built with.
pub(crate) struct Config {
    /// Empty for an agent connection built without one (the agent's URL may omit it).
    pub organization_id: String,
    /// `Basic` credentials in place of the token provider's `Bearer` token (agents).
    pub pat: Option<PersonalAccessToken>,
    pub agent: AgentLogin,
    /// Where the API is; its version is the connection's (copied into `settings` by `build`).
    pub endpoint: Endpoint,
    /// The TLS settings `build` made from the public roots and the endpoint's root certificates.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub tokens: Arc<dyn TokenProvider>,
    pub customer: Option<CustomerProvider>,
    pub group_id: Option<i64>,
    /// Shared with the handles: `update_customer_page` changes it for later logins.
    pub page: SharedPage,
    pub referrer: Option<String>,
    pub pushes: Option<PushSubscription>,
    pub login_extra: Map<String, Value>,
    pub auto_connect: bool,
    pub event_buffer: usize,
    pub event_buffer_bytes: usize,
    /// Whether the `Events` stream is kept (`events(false)`: dropped from the start).
    pub keep_events: bool,
    pub settings: Settings,
}

impl Config {
    /// The `login` payload, with the token: the typed `LoginRequest` of the connection's
    /// version. A [`login_field`](crate::RtmClientBuilder::login_field) goes in its `extra`,
    /// unless a setting of the builder gives that field.
    pub(crate) fn login_payload(&self, token: &str) -> Result<Map<String, Value>, Error> {
        let authorization = match &self.pat {
            Some(pat) => pat.authorization(),
            None => format!("Bearer {token}"),
        };
        if self.settings.api == ChatApi::Agent {
            return self.agent_login_payload(authorization);
        }
        let customer = self.customer.as_ref().map(|f| f()).filter(|c| !c.is_empty());
        let page = self.page.lock().expect("not poisoned").clone();
        per_version!(self.endpoint.version, |v| {
            let mut login = v::LoginRequest::new(authorization);
            login.customer = customer.map(|c| {
                let mut details = v::CustomerDetails::default();
                details.name = c.name;
                details.email = c.email;
                details.avatar = c.avatar;
                if !c.session_fields.is_empty() {
                    let fields = c.session_fields.into_iter().map(|(k, v)| BTreeMap::from([(k, v)]));
                    details.session_fields = Some(fields.collect::<Vec<_>>().into());
                }
                details.extra = besides(&details, c.extra);
                details
            });
            login.customer_page = page.map(|(url, title)| {
                let mut page = v::CustomerPage::default();
                page.url = Some(url);
                page.title = title;
                page
            });
            login.referrer = self.referrer.clone();
            login.group_id = self.group_id;
            login.pushes = self.pushes.clone().map(PushSubscription::into_map);
            login.extra = besides(&login, self.login_extra.clone());
            to_object(&login)
        })
    }

    /// The agent's `login`: the typed `LoginRequest` of the version's Agent Chat API.
    #[cfg_attr(not(feature = "agent"), allow(unused_variables))]
    fn agent_login_payload(&self, authorization: String) -> Result<Map<String, Value>, Error> {
        per_version!(agent, self.endpoint.version, |v| {
            let a = &self.agent;
            let mut login = v::LoginRequest::new(authorization);
            login.application = a.application.clone().map(|(name, version)| {
                let mut app = v::ApplicationInfo::default();
                app.name = Some(name);
                app.version = Some(version);
                app
            });
            login.away = a.away;
            login.customer_monitoring_level = a.customer_monitoring_level.as_deref().map(Into::into);
            login.timezone = a.timezone.clone();
            login.pushes = self.pushes.clone().map(PushSubscription::into_map);
            login.extra = besides(&login, self.login_extra.clone());
            to_object(&login)
        })
    }

    /// The WebSocket URL in `region` (its own base URL when configured, else the base URL).
    pub(crate) fn url(&self, region: Option<&Region>) -> String {
        let base = self.endpoint.origin(region).trim_end_matches('/');
        let base = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            base.to_owned()
        };
        let organization = Some(self.organization_id.as_str()).filter(|o| !o.is_empty() || self.settings.api == ChatApi::Customer);
        format!(
            "{base}{}",
            lc_types::rtm_path_in(self.settings.api, self.endpoint.version, organization)
        )
    }
}

/// `extra` less the fields `typed` (whose own `extra` is empty) sets: a field set by a typed
/// setting wins over an extra one of the same name.
fn besides(typed: &impl Serialize, mut extra: Map<String, Value>) -> Map<String, Value> {
    if let Ok(Value::Object(set)) = serde_json::to_value(typed) {
        extra.retain(|key, _| !set.contains_key(key));
    }
    extra
}

/// A request as its JSON object.
pub(crate) fn to_object(request: &impl Serialize) -> Result<Map<String, Value>, Error> {
    match serde_json::to_value(request) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::with_source(ErrorKind::Encode, "a request that is not a JSON object")),
        Err(e) => Err(Error::with_source(ErrorKind::Encode, e.to_string())),
    }
}

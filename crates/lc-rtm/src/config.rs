//! [`Config`]: everything a connection was built with, and the customer's login details
//! ([`Customer`]), from which each `login` is made.

use std::sync::Arc;

use lc_types::auth::TokenProvider;
use lc_types::endpoint::Endpoint;
use lc_types::{PushSubscription, Region};
use serde_json::{json, Map, Value};

use crate::channel::SharedPage;
use crate::session::Settings;

/// The customer's details sent with every `login` (`customer`): name, e-mail, avatar and
/// session fields. Any other field of the version's `customer` object goes in `extra`.
///
/// ```
/// let customer = lc_rtm::Customer::default()
///     .name("Ada")
///     .email("ada@example.com")
///     .session_field("plan", "pro");
/// assert_eq!(customer.session_fields, [("plan".to_owned(), "pro".to_owned())]);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Customer {
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

impl Customer {
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
        *self == Customer::default()
    }

    fn to_json(&self) -> Value {
        let mut out = self.extra.clone();
        for (key, value) in [("name", &self.name), ("email", &self.email), ("avatar", &self.avatar)] {
            if let Some(v) = value {
                out.insert(key.to_owned(), json!(v));
            }
        }
        if !self.session_fields.is_empty() {
            let fields: Vec<Value> = self.session_fields.iter().map(|(k, v)| json!({ k: v })).collect();
            out.insert("session_fields".to_owned(), Value::Array(fields));
        }
        Value::Object(out)
    }
}

/// Gives the customer's details at each login (so a reconnect sends the current ones).
pub type CustomerProvider = Arc<dyn Fn() -> Customer + Send + Sync>;

/// Everything a client was built with.
pub(crate) struct Config {
    pub organization_id: String,
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
    /// The `login` payload, with the token.
    pub(crate) fn login_payload(&self, token: &str) -> Map<String, Value> {
        let mut p = self.login_extra.clone();
        p.insert("token".to_owned(), json!(format!("Bearer {token}")));
        if let Some(customer) = self.customer.as_ref().map(|f| f()).filter(|c| !c.is_empty()) {
            p.insert("customer".to_owned(), customer.to_json());
        }
        if let Some((url, title)) = &*self.page.lock().expect("not poisoned") {
            let mut page = json!({ "url": url });
            if let Some(t) = title {
                page["title"] = json!(t);
            }
            p.insert("customer_page".to_owned(), page);
        }
        if let Some(r) = &self.referrer {
            p.insert("referrer".to_owned(), json!(r));
        }
        if let Some(g) = self.group_id {
            p.insert("group_id".to_owned(), json!(g));
        }
        if let Some(pushes) = &self.pushes {
            p.insert("pushes".to_owned(), serde_json::to_value(pushes).expect("a map of lists"));
        }
        p
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
        format!("{base}{}", lc_types::rtm_path(self.endpoint.version, &self.organization_id))
    }
}

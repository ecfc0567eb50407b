//! [`RtmClientBuilder`]: what a connection needs (what @livechat/customer-sdk's `init` takes,
//! and the timing knobs).

use std::sync::Arc;
use std::time::Duration;

use lc_types::auth::{StaticToken, TokenProvider};
use lc_types::endpoint::Endpoint;
use lc_types::{ApiVersion, DisconnectPolicy, PushSubscription, Region};
use serde_json::{Map, Value};

use crate::client::{Events, RtmClient};
use crate::config::{Config, CustomerProfile};
use crate::error::{Error, ErrorKind};
use crate::session::{Backoff, Settings};
use crate::version::per_version;

/// The most bytes of events that wait by default in the [`Events`] stream for its reader: 64
/// MiB (a push weighs its frame's length; change it with
/// [`RtmClientBuilder::event_buffer_bytes`]). At the bound the client stops reading the socket
/// until the stream is read; an event larger than the bound alone still gets through.
pub const EVENT_BUFFER_BYTES: usize = 64 * 1024 * 1024;

impl RtmClient {
    /// A builder for a client of organization `organization_id`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), lc_rtm::Error> {
    /// let (client, events) = lc_rtm::RtmClient::builder("my-organization-id")
    ///     .token("dal:customer-access-token")
    ///     .build()?;
    /// client.wait_connected(std::time::Duration::from_secs(10)).await?;
    /// # let _ = events;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(organization_id: impl Into<String>) -> RtmClientBuilder {
        RtmClientBuilder::new(organization_id.into())
    }

    /// A builder for an agent's connection to the Agent Chat RTM API (`/v3.x/agent/rtm/ws`;
    /// cargo feature `agent`): a bot or integration acting as an agent, authorized by an OAuth
    /// access token ([`token`](RtmClientBuilder::token), a
    /// [`token_provider`](RtmClientBuilder::token_provider)) or a personal access token
    /// ([`personal_access_token`](RtmClientBuilder::personal_access_token)). Pushes arrive as the
    /// version's `lc_types::v3_6::agent::AnyPush`; `agent_disconnected` reasons decide the
    /// reconnects. LiveChat's docs say bots (bot tokens of `issue_bot_token`) cannot open RTM
    /// connections: a bot uses the Web API, or an agent account's credentials here.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), lc_rtm::Error> {
    /// use lc_types::v3_6::agent::{AnyPush, Event};
    /// let (client, mut events) = lc_rtm::RtmClient::agent_builder()
    ///     .personal_access_token("my-account-id", "my-personal-access-token")
    ///     .application("my-bot", "1.0")
    ///     .build()?;
    /// client.wait_connected(std::time::Duration::from_secs(10)).await?;
    /// while let Some(event) = events.next().await {
    ///     if let Some(AnyPush::IncomingEvent(push)) = event.push() {
    ///         if let Event::Message(message) = &push.event {
    ///             println!("{:?} in {}: {:?}", message.author_id, push.chat_id, message.text);
    ///         }
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "agent")]
    pub fn agent_builder() -> RtmClientBuilder {
        let mut builder = RtmClientBuilder::new(String::new());
        builder.config.settings.api = lc_types::ChatApi::Agent;
        builder
    }
}

/// Builds an [`RtmClient`]; from [`RtmClient::builder`].
///
/// ```no_run
/// use std::time::Duration;
/// use lc_rtm::{CustomerProfile, RtmClient};
/// # async fn run() -> Result<(), lc_rtm::Error> {
/// let (client, mut events) = RtmClient::builder("my-organization-id")
///     .token("dal:customer-access-token")
///     .group_id(0)
///     .page("https://shop.example/checkout", Some("Checkout"))
///     .customer(CustomerProfile::default().name("Ada").session_field("cart", "3 items"))
///     .call_timeout(Duration::from_secs(10))
///     .build()?;
/// # let _ = (client, events.next().await);
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct RtmClientBuilder {
    config: Config,
    tokens: Option<Arc<dyn TokenProvider>>,
}

impl std::fmt::Debug for RtmClientBuilder {
    /// The settings, never the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.config;
        f.debug_struct("RtmClientBuilder")
            .field("api", &c.settings.api)
            .field("organization_id", &c.organization_id)
            .field("base_url", &c.endpoint.base_url)
            .field("region", &c.endpoint.region)
            .field("api_version", &c.endpoint.version)
            .field("auto_connect", &c.auto_connect)
            .field("settings", &c.settings)
            .finish_non_exhaustive()
    }
}

impl RtmClientBuilder {
    pub(crate) fn new(organization_id: String) -> Self {
        RtmClientBuilder {
            config: Config {
                organization_id,
                pat: None,
                agent: Default::default(),
                endpoint: Endpoint::default(),
                tls: None,
                tokens: Arc::new(StaticToken::new("")),
                customer: None,
                group_id: None,
                page: Arc::default(),
                referrer: None,
                pushes: None,
                login_extra: Map::new(),
                auto_connect: true,
                event_buffer: 10_000,
                event_buffer_bytes: EVENT_BUFFER_BYTES,
                keep_events: true,
                settings: Settings::new(lc_types::endpoint::default_version()),
            },
            tokens: None,
        }
    }

    /// A fixed access token (`dal:…`; a leading `Bearer ` is removed).
    pub fn token(self, token: impl Into<String>) -> Self {
        self.token_provider(StaticToken::new(token))
    }

    /// An agent's personal access token (PAT) of account `account_id`: the login carries
    /// `Basic base64(account_id:token)` in place of a `Bearer` token (agent connections only;
    /// replaces a token provider set before, as a provider set after replaces it). The docs list
    /// PATs for the Web API; the RTM `login` takes the same value (as lc-sdk-python sends it).
    pub fn personal_access_token(mut self, account_id: impl Into<String>, token: impl Into<String>) -> Self {
        self.config.pat = Some(lc_types::auth::PersonalAccessToken::new(account_id, token));
        self.tokens = None;
        self
    }

    /// The organization ID of an agent connection, sent as the URL's `organization_id` (the
    /// agent docs call it required since 2025-04, older clients never sent it; the token names
    /// the license either way). A customer's builder takes it in
    /// [`RtmClient::builder`].
    pub fn organization_id(mut self, organization_id: impl Into<String>) -> Self {
        self.config.organization_id = organization_id.into();
        self
    }

    /// The agent's application, sent as `login.application` (agent connections only).
    pub fn application(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.config.agent.application = Some((name.into(), version.into()));
        self
    }

    /// Logs the connection in as away (`login.away`; no chats are routed to it while all the
    /// agent's connections are away). Agent connections only; later changes with the
    /// `set_away_status` action.
    pub fn away(mut self, away: bool) -> Self {
        self.config.agent.away = Some(away);
        self
    }

    /// Which customers the agent is told about (`login.customer_monitoring_level`: `my`,
    /// `chatting`, `invited`, `online`, `highest_available`). Agent connections only.
    pub fn customer_monitoring_level(mut self, level: impl Into<String>) -> Self {
        self.config.agent.customer_monitoring_level = Some(level.into());
        self
    }

    /// The agent's time zone (`login.timezone`, e.g. `Europe/Warsaw`). Agent connections only.
    pub fn timezone(mut self, timezone: impl Into<String>) -> Self {
        self.config.agent.timezone = Some(timezone.into());
        self
    }

    /// Where tokens come from (asked at every connect; after `access_token_expired` or
    /// `authentication` the old token is invalidated first). `lc_web::AccountsTokenProvider`
    /// works here too.
    pub fn token_provider(self, provider: impl TokenProvider + 'static) -> Self {
        self.shared_token_provider(Arc::new(provider))
    }

    /// A token provider shared with other clients (e.g. an `lc_web::WebClient`).
    pub fn shared_token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.tokens = Some(provider);
        self.config.pat = None;
        self
    }

    /// The application's client ID, sent in the `User-Agent` of the WebSocket upgrade.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.config.endpoint.client_id = Some(client_id.into());
        self
    }

    /// Trusts the certificates of this PEM bundle too, besides the public roots: for a server
    /// with a private certificate, such as `lc mock --tls-cert` (as `lc_web`'s builder takes
    /// it). A bundle without a certificate, or one that does not parse, fails `build()`.
    ///
    /// ```no_run
    /// let pem = std::fs::read("crates/lc-mock/tests/tls/cert.pem").unwrap();
    /// let builder = lc_rtm::RtmClient::builder("my-organization-id").root_certificate_pem(pem);
    /// ```
    pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.config.endpoint.root_pems.push(pem.into());
        self
    }

    /// The API origin: `https://api.livechatinc.com` by default; `http://127.0.0.1:PORT` for a
    /// local `lc-mock` (`MockServer::base_url()`). `http`/`https` become `ws`/`wss`; the path
    /// is the client's to add, so the URL has none.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.config.endpoint.base_url = url.into();
        self
    }

    /// The origin to use in `region` instead of the base URL.
    pub fn region_base_url(mut self, region: Region, url: impl Into<String>) -> Self {
        self.config.endpoint.set_region_url(region, url);
        self
    }

    /// The region to connect to (sent as `X-Region`) instead of the token's prefix.
    pub fn region(mut self, region: Region) -> Self {
        self.config.endpoint.region = Some(region);
        self
    }

    /// The API version of the connection ([`lc_types::endpoint::default_version`] by default:
    /// 3.6 when compiled in, else the newest).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.config.endpoint.version = version;
        self
    }

    /// Every endpoint setting at once (base URL, region URLs, region, version, client ID, root
    /// certificates, connect timeout): one [`Endpoint`] value can configure both clients.
    ///
    /// ```
    /// let mut endpoint = lc_types::endpoint::Endpoint::default();
    /// endpoint.base_url = "http://127.0.0.1:8080".into();
    /// let builder = lc_rtm::RtmClient::builder("my-organization-id").endpoint(endpoint);
    /// ```
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.config.endpoint = endpoint;
        self
    }

    /// The customer's details sent at every login.
    pub fn customer(self, customer: CustomerProfile) -> Self {
        self.customer_provider(move || customer.clone())
    }

    /// A function giving the customer's details at every login.
    pub fn customer_provider(mut self, provider: impl Fn() -> CustomerProfile + Send + Sync + 'static) -> Self {
        self.config.customer = Some(Arc::new(provider));
        self
    }

    /// The group to log in to (`group_id`).
    pub fn group_id(mut self, group_id: i64) -> Self {
        self.config.group_id = Some(group_id);
        self
    }

    /// The page the customer is on (`customer_page`).
    pub fn page(self, url: impl Into<String>, title: Option<&str>) -> Self {
        *self.config.page.lock().expect("not poisoned") = Some((url.into(), title.map(str::to_owned)));
        self
    }

    /// The referrer (`referrer`).
    pub fn referrer(mut self, referrer: impl Into<String>) -> Self {
        self.config.referrer = Some(referrer.into());
        self
    }

    /// Which pushes the connection receives, per version (`login.pushes`); all of the
    /// connection's version by default.
    pub fn pushes(mut self, pushes: PushSubscription) -> Self {
        self.config.pushes = Some(pushes);
        self
    }

    /// Any other `login` field (`is_mobile`, `application`, `customer_side_storage`, ...).
    pub fn login_field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.config.login_extra.insert(key.into(), value);
        self
    }

    /// Whether `build` starts connecting (default `true`); otherwise call
    /// [`RtmClient::connect`].
    pub fn auto_connect(mut self, auto: bool) -> Self {
        self.config.auto_connect = auto;
        self
    }

    /// How many events wait in the [`Events`] stream at most (default 10,000):
    /// when it is full, the client stops reading the socket until the stream is read.
    pub fn event_buffer(mut self, n: usize) -> Self {
        self.config.event_buffer = n.max(1);
        self
    }

    /// How many bytes of events wait in the [`Events`] stream at most (default
    /// [`EVENT_BUFFER_BYTES`], 64 MiB; a push weighs its frame's
    /// length, another event what the peer put in it): once reached, the client stops reading
    /// the socket until the stream is read, so at most about this plus one frame waits. An
    /// event larger than the bound alone still gets through (it is let in when the stream is
    /// empty).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), lc_rtm::Error> {
    /// let (client, events) = lc_rtm::RtmClient::builder("my-organization-id")
    ///     .token("dal:customer-access-token")
    ///     .event_buffer_bytes(8 * 1024 * 1024)
    ///     .build()?;
    /// # let _ = (client, events); Ok(()) }
    /// ```
    pub fn event_buffer_bytes(mut self, bytes: usize) -> Self {
        self.config.event_buffer_bytes = bytes.max(1);
        self
    }

    /// Whether the client keeps events for the [`Events`] stream (default
    /// `true`). `false`: the stream `build` gives ends at once, and pushes and events are
    /// discarded as they arrive (counted: [`RtmClient::discarded_events`]),
    /// so a flood of pushes never holds a call's answer: for callers that only make calls.
    /// Dropping the stream does the same.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), lc_rtm::Error> {
    /// let (client, _) = lc_rtm::RtmClient::builder("my-organization-id")
    ///     .token("dal:customer-access-token")
    ///     .events(false)
    ///     .build()?;
    /// let me = client.call(&lc_types::v3_6::customer::GetCustomerRequest::default()).await?;
    /// # let _ = me; Ok(()) }
    /// ```
    pub fn events(mut self, keep: bool) -> Self {
        self.config.keep_events = keep;
        self
    }

    /// How long getting a token and opening the socket may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.endpoint.connect_timeout = timeout;
        self
    }

    /// How long the login response may take (default 30 s, the API's limit).
    pub fn login_timeout(mut self, timeout: Duration) -> Self {
        self.config.settings.login_timeout = timeout;
        self
    }

    /// How often to `ping` (default 15 s, as the API asks).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.config.settings.ping_interval = interval;
        self
    }

    /// How long silence may last after a ping is due before [`RtmEvent::ConnectionUnstable`]
    /// (default 10 s); twice that, and the client reconnects. The same time bounds a server
    /// that takes none of the client's frames: `ping_interval + 2 × pong_timeout` without a
    /// write, and the client reconnects ([`Cause::Unresponsive`](crate::Cause::Unresponsive)).
    ///
    /// [`RtmEvent::ConnectionUnstable`]: crate::RtmEvent::ConnectionUnstable
    pub fn pong_timeout(mut self, timeout: Duration) -> Self {
        self.config.settings.pong_timeout = timeout;
        self
    }

    /// How long a call may take, from the call to its response (default 20 s; the server
    /// gives up after 15 s).
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.config.settings.call_timeout = timeout;
        self
    }

    /// How long a call made while not connected waits for the connection (default 30 s);
    /// `Duration::ZERO` fails such calls at once with `NotConnected`.
    pub fn wait_for_connection(mut self, wait: Duration) -> Self {
        self.config.settings.wait_for_connection = wait;
        self
    }

    /// Reconnect delays (default: 0.5 s doubling to 30 s, half jitter). The attempt count, and
    /// so the delay, starts over only after a connection that lived for a ping interval
    /// ([`ping_interval`](Self::ping_interval)): a server that accepts the login and closes at
    /// once sees the delays grow to the maximum.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.config.settings.backoff = backoff;
        self
    }

    /// How long to wait after `customer_temporarily_blocked` without a timeout in `data`, or
    /// after a reason this crate does not know (default 5 min).
    pub fn blocked_wait(mut self, wait: Duration) -> Self {
        self.config.settings.blocked_wait = wait;
        self
    }

    /// Acts on `customer_disconnected` with `reason` by `policy` instead of the schema's
    /// (`DisconnectReason::policy()`, the table in the README). For instance
    /// `customer_temporarily_blocked` (reconnected too often after `too_many_connections`)
    /// waits for the server's timeout and tries again by default, as the API docs describe;
    /// @livechat/customer-sdk destroys its instance instead, which `Stop` does here.
    ///
    /// ```
    /// use lc_types::DisconnectPolicy;
    /// let builder = lc_rtm::RtmClient::builder("my-organization-id")
    ///     .disconnect_policy("customer_temporarily_blocked", DisconnectPolicy::Stop);
    /// ```
    pub fn disconnect_policy(mut self, reason: impl Into<String>, policy: DisconnectPolicy) -> Self {
        let reason = reason.into();
        self.config.settings.policies.retain(|(r, _)| *r != reason);
        self.config.settings.policies.push((reason, policy));
        self
    }

    /// Requests in flight at most (default and maximum 10, the API's limit); further calls
    /// wait for a slot.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.config.settings.max_in_flight = n.clamp(1, lc_types::limits::MAX_PENDING_REQUESTS);
        self
    }

    /// How many calls may wait at most, for a request slot or for the connection (default
    /// [`MAX_QUEUED_CALLS`](crate::MAX_QUEUED_CALLS), 10,000); the next one fails at once with
    /// [`ErrorKind::QueueFull`] and is not sent. `0`: a call goes out at once or fails.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), lc_rtm::Error> {
    /// let (client, events) = lc_rtm::RtmClient::builder("my-organization-id")
    ///     .token("dal:customer-access-token")
    ///     .max_queued_calls(100)
    ///     .build()?;
    /// # let _ = (client, events); Ok(()) }
    /// ```
    pub fn max_queued_calls(mut self, n: usize) -> Self {
        self.config.settings.max_queued_calls = n;
        self
    }

    /// Seeds the backoff jitter (for reproducible tests).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.config.settings.seed = Some(seed);
        self
    }

    /// Spawns the connection task (on the current tokio runtime) and gives the client and its
    /// event stream. Connects at once unless [`auto_connect`](Self::auto_connect) is off.
    ///
    /// Fails with `ErrorKind::Config` when no token provider was given or a base URL is not
    /// `http(s)://` or `ws(s)://`. Panics outside a tokio runtime.
    pub fn build(mut self) -> Result<(RtmClient, Events), Error> {
        // A PAT needs no token provider (the provider's empty token is never sent).
        self.config.tokens = match (self.tokens.take(), &self.config.pat) {
            (Some(tokens), _) => tokens,
            (None, Some(_)) => Arc::new(StaticToken::new("")),
            (None, None) => {
                let what = match self.config.settings.api {
                    lc_types::ChatApi::Agent => "a token, token provider or personal access token is required",
                    _ => "a token or token provider is required",
                };
                return Err(Error::with_source(ErrorKind::Config, what));
            }
        };
        for url in self.config.endpoint.origins() {
            let ok = ["http://", "https://", "ws://", "wss://"].iter().any(|s| url.starts_with(s));
            let uri = url.parse::<tokio_tungstenite::tungstenite::http::Uri>();
            if !ok || uri.is_err() {
                return Err(Error::with_source(
                    ErrorKind::Config,
                    format!("base URL `{url}`: expected http(s):// or ws(s):// and a host"),
                ));
            }
            let path = uri.as_ref().map(|u| u.path()).unwrap_or_default();
            if !matches!(path, "" | "/") {
                return Err(Error::with_source(
                    ErrorKind::Config,
                    format!(
                        "base URL `{url}`: an origin has no path (the client adds `/v3.x/customer/rtm/ws` or `/v3.x/agent/rtm/ws`); \
                         for lc-mock use `MockServer::base_url()`"
                    ),
                ));
            }
        }
        self.config.settings.version = self.config.endpoint.version;
        self.check_api()?;
        // The versions of lc-rtm's features (those of lc-types may be more): each login is
        // that version's typed request.
        let compiled = match self.config.settings.api {
            lc_types::ChatApi::Agent => per_version!(agent, self.config.settings.version, |v| { Ok(v::API.version) }),
            _ => per_version!(self.config.settings.version, |v| { Ok(v::API.version) }),
        };
        if compiled.is_err() {
            return Err(Error::with_source(
                ErrorKind::Config,
                format!(
                    "API version {} is not enabled (cargo feature) or not supported",
                    self.config.settings.version
                ),
            ));
        }
        self.config.tls = Some(crate::driver::tls_config(&self.config.endpoint.root_pems)?);
        Ok(crate::client::handles(crate::driver::spawn(self.config)))
    }

    /// Refuses a setting of the other API's login (a customer's on an agent connection, an
    /// agent's or a PAT on a customer's), so it is not silently left out.
    fn check_api(&self) -> Result<(), Error> {
        let c = &self.config;
        let (this, wrong): (&str, Vec<&str>) = match c.settings.api {
            lc_types::ChatApi::Agent => {
                let page = c.page.lock().expect("not poisoned").is_some();
                let set = [
                    ("customer", c.customer.is_some()),
                    ("group_id", c.group_id.is_some()),
                    ("page", page),
                    ("referrer", c.referrer.is_some()),
                ];
                ("an agent", set.iter().filter(|(_, on)| *on).map(|(name, _)| *name).collect())
            }
            _ => {
                let a = &c.agent;
                let set = [
                    ("personal_access_token", c.pat.is_some()),
                    ("application", a.application.is_some()),
                    ("away", a.away.is_some()),
                    ("customer_monitoring_level", a.customer_monitoring_level.is_some()),
                    ("timezone", a.timezone.is_some()),
                ];
                ("a customer", set.iter().filter(|(_, on)| *on).map(|(name, _)| *name).collect())
            }
        };
        if wrong.is_empty() {
            return Ok(());
        }
        Err(Error::with_source(
            ErrorKind::Config,
            format!("{} set on {this}'s connection, whose login has no such field", wrong.join(", ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config(b: RtmClientBuilder) -> Config {
        b.config
    }

    #[test]
    fn the_login_payload_carries_every_configured_field() {
        let c = config(
            RtmClientBuilder::new("org".into())
                .customer(
                    CustomerProfile::default()
                        .name("Ada")
                        .session_field("b", "2")
                        .session_field("a", "1"),
                )
                .page("https://shop.example/", Some("Shop"))
                .referrer("https://search.example/")
                .group_id(3)
                .pushes(PushSubscription::new().all(ApiVersion::V3_6))
                .login_field("is_mobile", json!(true)),
        );
        let p = Value::Object(c.login_payload("dal:secret").unwrap());
        assert_eq!(
            p,
            json!({
                "token": "Bearer dal:secret",
                "customer": {"name": "Ada", "session_fields": [{"b": "2"}, {"a": "1"}]},
                "customer_page": {"url": "https://shop.example/", "title": "Shop"},
                "referrer": "https://search.example/",
                "group_id": 3,
                "pushes": {"3.6": ["all"]},
                "is_mobile": true
            })
        );
        // A page change shows in the next login.
        *c.page.lock().unwrap() = Some(("https://shop.example/cart".into(), None));
        assert_eq!(
            c.login_payload("t").unwrap()["customer_page"],
            json!({"url": "https://shop.example/cart"})
        );
    }

    #[test]
    fn a_builder_setting_wins_over_a_login_field_of_the_same_name() {
        let c = config(
            RtmClientBuilder::new("org".into())
                .customer(CustomerProfile::default().name("Ada").session_field("a", "1"))
                .group_id(3)
                .login_field("group_id", json!(9))
                .login_field("token", json!("Bearer other"))
                .login_field("referrer", json!("https://kept.example/")),
        );
        let p = Value::Object(c.login_payload("dal:secret").unwrap());
        assert_eq!(
            p,
            json!({
                "token": "Bearer dal:secret",
                "customer": {"name": "Ada", "session_fields": [{"a": "1"}]},
                "referrer": "https://kept.example/",
                "group_id": 3
            })
        );
        let mut customer = CustomerProfile::default().email("ada@example.com");
        customer.extra.insert("email".into(), json!("other@example.com"));
        customer.extra.insert("name".into(), json!("Ada"));
        let c = config(RtmClientBuilder::new("org".into()).customer(customer));
        assert_eq!(
            c.login_payload("t").unwrap()["customer"],
            json!({"email": "ada@example.com", "name": "Ada"})
        );
    }

    #[test]
    fn urls_take_the_region_origin_and_a_websocket_scheme() {
        let c = config(
            RtmClientBuilder::new("my org".into())
                .api_version(ApiVersion::V3_6)
                .region_base_url(Region::FRA, "https://api-fra.livechatinc.com/"),
        );
        assert_eq!(
            c.url(None),
            "wss://api.livechatinc.com/v3.6/customer/rtm/ws?organization_id=my%20org"
        );
        assert_eq!(
            c.url(Some(&Region::FRA)),
            "wss://api-fra.livechatinc.com/v3.6/customer/rtm/ws?organization_id=my%20org"
        );
        assert_eq!(c.url(Some(&Region::DAL)), c.url(None));
        let local = config(RtmClientBuilder::new("o".into()).base_url("http://127.0.0.1:9"));
        assert!(local.url(None).starts_with("ws://127.0.0.1:9/v"));
    }

    #[test]
    fn build_refuses_a_missing_token_and_a_bad_url() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _guard = rt.enter();
        let err = RtmClientBuilder::new("o".into()).build().unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Config) && err.to_string().contains("token"),
            "{err}"
        );
        let err = RtmClientBuilder::new("o".into())
            .token("t")
            .base_url("ftp://x")
            .build()
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Config) && err.to_string().contains("ftp://x"),
            "{err}"
        );
    }

    #[cfg(feature = "agent")]
    #[test]
    fn an_agents_login_url_and_credentials() {
        let c = config(
            RtmClient::agent_builder()
                .personal_access_token("acc@example.com", "pat")
                .application("bot", "1.0")
                .away(true)
                .customer_monitoring_level("chatting")
                .timezone("Europe/Warsaw")
                .pushes(PushSubscription::new().all(ApiVersion::V3_6))
                .login_field("reconnect", json!(false)),
        );
        let p = Value::Object(c.login_payload("ignored").unwrap());
        assert_eq!(
            p,
            json!({
                "token": lc_types::auth::PersonalAccessToken::new("acc@example.com", "pat").authorization(),
                "application": {"name": "bot", "version": "1.0"},
                "away": true,
                "customer_monitoring_level": "chatting",
                "timezone": "Europe/Warsaw",
                "pushes": {"3.6": ["all"]},
                "reconnect": false
            })
        );
        assert_eq!(c.url(None), "wss://api.livechatinc.com/v3.6/agent/rtm/ws");
        let c = config(RtmClient::agent_builder().organization_id("org").token("dal:t"));
        assert_eq!(Value::Object(c.login_payload("dal:t").unwrap()), json!({"token": "Bearer dal:t"}));
        assert_eq!(c.url(None), "wss://api.livechatinc.com/v3.6/agent/rtm/ws?organization_id=org");
    }

    #[cfg(feature = "agent")]
    #[test]
    fn build_refuses_the_other_apis_login_fields() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _guard = rt.enter();
        let err = RtmClient::agent_builder().token("t").group_id(1).build().unwrap_err();
        assert!(err.to_string().contains("group_id set on an agent's connection"), "{err}");
        let err = RtmClientBuilder::new("o".into()).token("t").away(true).build().unwrap_err();
        assert!(err.to_string().contains("away set on a customer's connection"), "{err}");
        let err = RtmClient::agent_builder().build().unwrap_err();
        assert!(err.to_string().contains("personal access token"), "{err}");
        // A PAT is enough for an agent.
        assert!(RtmClient::agent_builder()
            .personal_access_token("a", "p")
            .auto_connect(false)
            .build()
            .is_ok());
    }

    #[cfg(feature = "agent")]
    #[test]
    fn a_request_of_the_other_api_is_refused_before_anything_is_sent() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (client, _events) = RtmClient::agent_builder()
                .personal_access_token("a", "p")
                .auto_connect(false)
                .build()
                .unwrap();
            assert_eq!(client.api(), lc_types::ChatApi::Agent);
            let err = client
                .call(&lc_types::v3_6::customer::GetCustomerRequest::default())
                .await
                .unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::InvalidInput), "{err}");
            assert!(err.to_string().contains("Customer Chat API"), "{err}");
        });
    }
}

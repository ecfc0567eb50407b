//! The LiveChat Customer Chat API as an in-memory server, for tests and demos.
//!
//! One port serves every supported API version (3.5, 3.6, 3.7):
//! - the Web API at `/v{X.Y}/customer/action/{action}?organization_id=…` (POST JSON, GET with
//!   query parameters, `upload_file` as multipart, uploaded files at `/files/{id}/{name}`);
//! - the RTM API at `/v{X.Y}/customer/rtm/ws?organization_id=…`.
//!
//! Requests are checked for the organization, the bearer token, the content type and the
//! version's JSON Schema, and run on the organization's state with the documented rules; the
//! pushes each action sends go to every RTM connection of the customers concerned, in each
//! connection's subscribed versions. Every response and push passes through the version's
//! `lc-types` struct and, with [`Config::check_schemas`] (on by default), is validated against
//! its JSON Schema; a mismatch answers `internal` and is listed by [`MockServer::problems`].
//!
//! [`MockServer::agent`] plays the agent side and [`MockServer::faults`] injects faults.
//!
//! # Rules it enforces
//! - Web: an unknown version answers `unsupported_version`; an action the version lacks, or
//!   has only over RTM, `not_found` (404); a missing `organization_id` `validation`, a wrong one
//!   `license_not_found`; the wrong method 405; a bad token `authentication` (401) except for
//!   the property, configuration and localization GETs; a non-JSON body 415; a schema failure
//!   `validation` naming the path; `upload_file` over 10 MB `entity_too_large` (413). GET
//!   parameters are read with `lc_types::web` (percent-decoded, then typed as the version's
//!   request type expects), the inverse of what clients encode with it.
//! - RTM: frames are read with `lc_types::Frame` (the codec clients use): one without `action`
//!   or `payload`, or with a `type`, is refused with `validation`. `login` first and within
//!   [`Config::login_timeout`], then a frame at least every
//!   [`Config::ping_timeout`] (a WebSocket ping counts), else `customer_disconnected` with
//!   `connection_timeout`; `request_id` echoed; a request may name a version at least the
//!   connection's; at most 10 requests in flight (`pending_requests_limit_reached`); pushes in
//!   each version `login.pushes` names (the connection's version by default), the requester's
//!   own pushes carrying its `request_id`.
//! - State: one active chat per customer; chat and thread IDs of 10 upper-case characters;
//!   event IDs `<thread>_<n>`; `created_at` with microseconds; `start_chat`, `resume_chat` and
//!   `send_event` mark everything seen by the requester; `send_event` to an inactive chat needs
//!   `attach_to_last_thread` (`chat_inactive`); `deactivate_chat` closes the thread with a
//!   system message; `list_chats` (≤ 25) and `list_threads` (≤ 100, or `min_events_count`
//!   1–100) page with `page_id`s that exclude `limit`/`sort_order`; session fields keep their
//!   order, at most 100 keys; deleted events disappear; group 0 is online until the agent side
//!   changes it (`groups_offline` then, unless `continuous`).
//!
//! Where the reference names no error type the mock answers `limit_reached` for a second
//! active chat or a 101st session field, `validation` for resuming an active chat, and
//! `not_allowed` for deleting another user's event. HTTP statuses, which the reference does not
//! document: 401 `authentication`, 403 `authorization`/`not_allowed`, 404 the `*not_found`
//! types, 413 `entity_too_large`, 429 `too_many_requests`, 500 `internal`, 503
//! `service_unavailable`, 400 the rest.
//!
//! Not modelled: the mock keeps `request_email_verification` callbacks for
//! [`AgentControl::verify_email`] but never calls them (the docs do not give their body);
//! `get_url_info` makes its title from the URL without fetching it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
//! let customer = server.issue_customer();
//! assert!(customer.token.starts_with("dal:"));
//! assert!(server.web_url("3.6").ends_with("/v3.6/customer/action"));
//! assert!(server.rtm_url("3.6").ends_with("/v3.6/customer/rtm/ws"));
//! // The agent side sees the customer's chats (none yet).
//! assert!(server.agent().chats_of(&customer.id).is_empty());
//! assert!(server.problems().is_empty());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod accounts;
mod actions;
mod agent;
mod engine;
mod faults;
#[doc(hidden)]
pub mod fuzzing;
mod hub;
mod rtm;
mod schemas;
mod state;
mod web;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use lc_types::ApiVersion;

pub use actions::Target;
pub use agent::{AgentControl, FaultControl, TransferTo};
pub use state::{GreetingStatus, Refusal};

/// How to start the mock.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen; loopback with a free port by default.
    pub addr: SocketAddr,
    /// The organization ID requests must name.
    pub organization_id: String,
    /// How long an RTM connection may take to log in (30 s, as the API).
    pub login_timeout: Duration,
    /// How long a logged-in RTM connection may stay silent (30 s, as the API).
    pub ping_timeout: Duration,
    /// Validate every response and push against its JSON Schema (on by default; the load
    /// benchmark measures both).
    pub check_schemas: bool,
    /// The region (data center) the mock is (`dal` by default): tokens it issues carry it as
    /// their prefix, and a Web request whose `X-Region` names another one (no header means
    /// `dal`) answers `misdirected_request` with `data.region`. See [`MockServer::set_region`].
    pub region: String,
    /// How long the tokens the mock issues stay valid (8 hours, the accounts service's
    /// default); an expired token answers `authentication`.
    pub token_lifetime: Duration,
    /// The lifecycle headers (reference §1.1) the Web answers and RTM handshakes of a version
    /// carry: `Legacy: <date>` on 3.5 by default (3.5 became legacy when 3.6 became stable).
    pub lifecycle: Vec<LifecycleHeader>,
}

/// A lifecycle header the mock sends for one API version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleHeader {
    /// The version whose answers carry it.
    pub version: ApiVersion,
    /// `Legacy` or `Deprecation`.
    pub name: &'static str,
    /// Its value, a date (`YYYY-MM-DD`).
    pub date: String,
}

impl LifecycleHeader {
    /// `Legacy: <date>` on `version`'s answers.
    pub fn legacy(version: ApiVersion, date: impl Into<String>) -> Self {
        LifecycleHeader {
            version,
            name: "Legacy",
            date: date.into(),
        }
    }

    /// `Deprecation: <date>` on `version`'s answers.
    pub fn deprecation(version: ApiVersion, date: impl Into<String>) -> Self {
        LifecycleHeader {
            version,
            name: "Deprecation",
            date: date.into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            organization_id: "390e44e6-f1e6-0368c-z6ddb-74g14508c2ex".to_owned(),
            login_timeout: lc_types::limits::LOGIN_DEADLINE,
            ping_timeout: lc_types::limits::IDLE_CLOSE,
            check_schemas: true,
            region: "dal".to_owned(),
            token_lifetime: Duration::from_secs(28_800),
            lifecycle: vec![LifecycleHeader::legacy(ApiVersion::V3_5, "2025-08-13")],
        }
    }
}

/// A customer the mock knows, and the access token that authenticates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    /// The customer ID (a UUID).
    pub id: String,
    /// The access token (`dal:…`), sent as `Authorization: Bearer <token>`.
    pub token: String,
}

/// What the handlers share.
pub(crate) struct Shared {
    pub addr: SocketAddr,
    pub organization_id: String,
    pub login_timeout: Duration,
    pub ping_timeout: Duration,
    pub check_schemas: bool,
    pub state: Mutex<state::State>,
    pub schemas: schemas::Schemas,
    pub hub: hub::Hub,
    pub faults: faults::Faults,
    /// The region the mock is in (see [`Config::region`]).
    pub region: RwLock<String>,
    pub token_lifetime: Duration,
    pub lifecycle: Vec<LifecycleHeader>,
    /// Access token -> when it expires.
    pub expiries: Mutex<HashMap<String, Instant>>,
    /// Web requests received, by action.
    pub web_requests: Mutex<BTreeMap<String, usize>>,
    problems: Mutex<Vec<String>>,
}

impl Shared {
    /// The customer an access token authenticates (`authentication` otherwise).
    pub fn customer_of_token(&self, token: Option<&str>) -> Result<String, Refusal> {
        let refused = || Refusal::new("authentication", 401, "Invalid access token");
        if let Some(t) = token {
            let expired = self
                .expiries
                .lock()
                .expect("not poisoned")
                .get(t)
                .is_some_and(|at| *at <= Instant::now());
            if expired {
                return Err(refused());
            }
        }
        let state = self.state.lock().expect("not poisoned");
        token.and_then(|t| state.tokens.get(t)).cloned().ok_or_else(refused)
    }

    /// The mock's region.
    pub fn region(&self) -> String {
        self.region.read().expect("not poisoned").clone()
    }

    /// A new token for customer `id` (a new customer when `None`), in the mock's region,
    /// expiring after [`Config::token_lifetime`]: `(customer ID, token)`.
    pub fn issue_token(&self, id: Option<&str>) -> (String, String) {
        let region = self.region();
        let (id, token) = {
            let mut state = self.state.lock().expect("not poisoned");
            match id {
                Some(id) => (id.to_owned(), state.new_token(id, &region)),
                None => state.new_customer(&region),
            }
        };
        let expires = Instant::now() + self.token_lifetime;
        self.expiries.lock().expect("not poisoned").insert(token.clone(), expires);
        (id, token)
    }

    /// The lifecycle headers of `version`'s answers.
    pub fn lifecycle_headers(&self, version: ApiVersion) -> impl Iterator<Item = &LifecycleHeader> {
        self.lifecycle.iter().filter(move |h| h.version == version)
    }

    /// Records a mock bug (see [`MockServer::problems`]) and gives it back.
    pub fn problem(&self, refusal: Refusal) -> Refusal {
        self.problems.lock().expect("not poisoned").push(refusal.message.clone());
        refusal
    }
}

/// A running mock server.
pub struct MockServer {
    shared: Arc<Shared>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// Binds `config.addr` and serves until [`MockServer::shutdown`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let config = lc_mock::Config { organization_id: "my-org".into(), ..Default::default() };
    /// let server = lc_mock::MockServer::start(config).await?;
    /// assert_eq!(server.organization_id(), "my-org");
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(config: Config) -> std::io::Result<MockServer> {
        // A deep accept backlog: with the default 128, a burst of connections (the load
        // benchmark's logins) has SYNs dropped and retried a second later.
        let socket = if config.addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.bind(config.addr)?;
        let listener = socket.listen(4096)?;
        let addr = listener.local_addr()?;
        let state = state::State::new(&config.organization_id);
        let shared = Arc::new(Shared {
            addr,
            organization_id: config.organization_id,
            login_timeout: config.login_timeout,
            ping_timeout: config.ping_timeout,
            check_schemas: config.check_schemas,
            state: Mutex::new(state),
            schemas: schemas::Schemas::default(),
            hub: hub::Hub::default(),
            faults: faults::Faults::default(),
            region: RwLock::new(config.region),
            token_lifetime: config.token_lifetime,
            lifecycle: config.lifecycle,
            expiries: Mutex::default(),
            web_requests: Mutex::default(),
            problems: Mutex::default(),
        });
        let app = axum::Router::new()
            .route("/{version}/customer/action/{action}", axum::routing::any(web::action))
            .route("/{version}/customer/rtm/ws", axum::routing::get(rtm::upgrade))
            .route("/files/{id}/{name}", axum::routing::get(web::file))
            .route("/v2/customer/token", axum::routing::post(accounts::token))
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let drops = shared.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                    // Open WebSockets would keep a graceful shutdown waiting forever.
                    drops.faults.drop_connections();
                })
                .await;
        });
        Ok(MockServer { shared, stop, task })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// `http://127.0.0.1:PORT/v{version}/customer/action` (append `/<action>?organization_id=…`).
    pub fn web_url(&self, version: &str) -> String {
        format!("http://{}/v{version}/customer/action", self.shared.addr)
    }

    /// `ws://127.0.0.1:PORT/v{version}/customer/rtm/ws` (append `?organization_id=…`).
    pub fn rtm_url(&self, version: &str) -> String {
        format!("ws://{}/v{version}/customer/rtm/ws", self.shared.addr)
    }

    /// The organization ID requests must name.
    pub fn organization_id(&self) -> &str {
        &self.shared.organization_id
    }

    /// A new customer's access token.
    pub fn issue_token(&self) -> String {
        self.issue_customer().token
    }

    /// A new customer, with its ID and access token (prefixed with the mock's region,
    /// expiring after [`Config::token_lifetime`]).
    pub fn issue_customer(&self) -> Customer {
        let (id, token) = self.shared.issue_token(None);
        Customer { id, token }
    }

    /// A new access token for an existing customer.
    pub fn issue_token_for(&self, customer_id: &str) -> String {
        self.shared.issue_token(Some(customer_id)).1
    }

    /// Makes `token` expire now: the next request with it answers `authentication`.
    pub fn expire_token(&self, token: &str) {
        self.shared
            .expiries
            .lock()
            .expect("not poisoned")
            .insert(token.to_owned(), Instant::now());
    }

    /// The origin of the mock's accounts service (`POST {origin}/v2/customer/token`, the
    /// cookie and agent-token grants of reference §5.3): `http://127.0.0.1:PORT`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// assert_eq!(server.accounts_url(), format!("http://{}", server.addr()));
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn accounts_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// The region the mock is in (see [`Config::region`]).
    pub fn region(&self) -> String {
        self.shared.region()
    }

    /// Moves the mock to `region`: Web requests for another region answer
    /// `misdirected_request` with `{"region": "<region>"}`, and new tokens carry its prefix.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// server.set_region("fra");
    /// assert!(server.issue_token().starts_with("fra:"));
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_region(&self, region: &str) {
        *self.shared.region.write().expect("not poisoned") = region.to_owned();
    }

    /// How many Web requests for `action` the mock received (answered or not).
    pub fn web_requests(&self, action: &str) -> usize {
        self.shared
            .web_requests
            .lock()
            .expect("not poisoned")
            .get(action)
            .copied()
            .unwrap_or(0)
    }

    /// The agent side: join chats, send messages, transfer, greet, ...
    pub fn agent(&self) -> AgentControl<'_> {
        AgentControl::new(&self.shared)
    }

    /// Fault injection: drop connections, delay or drop responses, fail requests, raw frames.
    pub fn faults(&self) -> FaultControl<'_> {
        FaultControl::new(&self.shared)
    }

    /// Every mock bug seen so far: a response or push that did not pass through its `lc-types`
    /// struct or broke its JSON Schema. Tests should assert it is empty.
    pub fn problems(&self) -> Vec<String> {
        self.shared.problems.lock().expect("not poisoned").clone()
    }

    /// Stops accepting connections, closes the RTM connections, lets open Web requests finish,
    /// and waits for the server.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

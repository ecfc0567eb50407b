#![doc = include_str!("../README.md")]

mod accounts;
mod actions;
mod agent;
mod agent_api;
mod control;
mod cors;
mod ctx;
mod engine;
mod error;
mod faults;
#[doc(hidden)]
pub mod fuzzing;
mod hub;
mod rtm;
mod schemas;
mod serve;
mod state;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
mod web;
mod webhooks;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use lc_types::ApiVersion;

pub use actions::Target;
pub use agent::{AgentControl, TransferTo};
pub use control::{MAX_CONTROL_BODY_BYTES, MAX_CONTROL_COUNT, MAX_CONTROL_MILLIS, MAX_PAD_BYTES};
pub use error::Refusal;
pub use faults::{FaultControl, MAX_FAULT_RUNS};
pub use hub::{MAX_QUEUED_BYTES, MAX_QUEUED_FRAMES};
pub use rtm::{MAX_CUSTOMER_SUBSCRIPTIONS, MAX_FRAME_BYTES};
pub use state::GreetingStatus;
pub use tls::TlsConfig;
pub use web::{MAX_BODY_BYTES, MAX_FILE_NAME_BYTES, MAX_UPLOAD_BODY_BYTES};
pub use webhooks::{
    WebhookDelivery, MAX_WEBHOOKS, MAX_WEBHOOKS_PER_ACTION, MAX_WEBHOOK_ATTEMPTS, MAX_WEBHOOK_LOG, MAX_WEBHOOK_QUEUE,
    MAX_WEBHOOK_QUEUED_BYTES, WEBHOOK_TIMEOUT,
};

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
    /// How long a connection may take to send a whole request head (10 s by default): from
    /// when it is opened, and from the first byte of each further request on a keep-alive
    /// connection. Slower, it is closed: a client sending its headers a byte at a time holds
    /// a connection at most this long. Generous for any real client on loopback or a LAN.
    pub header_read_timeout: Duration,
    /// How long a request's body may take to arrive, from when its handler starts reading it
    /// (30 s by default: 10 MB uploads over a slow link fit). Slower, the request is answered
    /// `request_timeout` (408) and its connection closed: headers that announce a body and
    /// then send nothing, or a byte at a time, hold a connection at most this long.
    pub body_read_timeout: Duration,
    /// How long a connection with no request in flight may stay silent (no byte either way)
    /// before it is closed (60 s by default, under the 90 s clients such as reqwest keep
    /// idle connections, so a pooled connection is rarely found closed). RTM connections,
    /// once upgraded, follow [`Config::ping_timeout`] instead.
    pub idle_timeout: Duration,
    /// The most connections open at once, Web and RTM (4096 by default: well below the open
    /// file limit a server is usually given, yet far above what a test suite opens; raise it
    /// together with that limit, as the load benchmark does for its 10,000 connections). A
    /// connection over it is closed as soon as it is accepted; the open ones go on.
    pub max_connections: usize,
    /// The most bytes of files the mock keeps (`upload_file` and the agent's `send_file`):
    /// 256 MiB by default, 25 files at the 10 MB upload limit. A file that would go over it is
    /// refused with `entity_too_large` (413).
    pub max_stored_file_bytes: usize,
    /// Serve TLS (`https://`, `wss://`) instead of plain HTTP: none by default. See
    /// [`TlsConfig`] and [`Config::tls`]. The bounds above apply as they are: the TLS
    /// handshake is part of the first request head, so it must end within
    /// [`Config::header_read_timeout`] of the connection's opening, and a connection counts
    /// under [`Config::max_connections`] from when it is accepted, handshake
    /// included.
    pub tls: Option<TlsConfig>,
}

impl Config {
    /// This configuration, served over TLS with `tls` (see [`TlsConfig`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use lc_mock::{Config, MockServer, TlsConfig};
    /// let tls = TlsConfig::from_pem(include_bytes!("../tests/tls/cert.pem"), include_bytes!("../tests/tls/key.pem"))?;
    /// let server = MockServer::start(Config::default().tls(tls)).await?;
    /// assert_eq!(server.base_url(), format!("https://{}", server.addr()));
    /// assert_eq!(server.rtm_url("3.6"), format!("wss://{}/v3.6/customer/rtm/ws", server.addr()));
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn tls(mut self, tls: TlsConfig) -> Config {
        self.tls = Some(tls);
        self
    }
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
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            max_stored_file_bytes: 256 * 1024 * 1024,
            tls: None,
        }
    }
}

/// The credentials of a customer the mock knows: its ID and the access token that
/// authenticates it (not the API's customer object, `lc_types::v3_6::customer::Customer`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerCredentials {
    /// The customer ID (a UUID).
    pub id: String,
    /// The access token (`dal:mock-<instance>-<n>`: the region, then a part random to each
    /// mock instance, so one mock's tokens never work on another), sent as
    /// `Authorization: Bearer <token>`.
    pub token: String,
}

/// An agent to add with [`MockServer::issue_agent`]: its ID (an e-mail address, as agent IDs
/// are, reference §4.1), name, groups (its access: chats of these groups, and every chat of
/// group 0) and role.
///
/// ```
/// let agent = lc_mock::NewAgent::new("ann@example.com", "Ann").groups([1, 2]).role("administrator");
/// assert_eq!(agent.groups, [1, 2]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewAgent {
    /// The agent's ID, an e-mail address (1 to 254 bytes, with an `@`).
    pub id: String,
    /// Its name (at most 255 bytes).
    pub name: String,
    /// Its groups (at most [`MAX_AGENT_GROUPS`], each from 0 to [`MAX_CONTROL_COUNT`]); `[0]` by
    /// default.
    pub groups: Vec<i64>,
    /// `owner`, `viceowner`, `administrator` or `normal` (the default).
    pub role: String,
}

/// The most groups an agent may belong to: 200 (as many as `list_chats.filters.group_ids`
/// takes).
pub const MAX_AGENT_GROUPS: usize = 200;

impl NewAgent {
    /// An agent `id` called `name`, in group 0, role `normal`.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        NewAgent {
            id: id.into(),
            name: name.into(),
            groups: vec![0],
            role: "normal".into(),
        }
    }

    /// The same agent in `groups`.
    pub fn groups(mut self, groups: impl IntoIterator<Item = i64>) -> Self {
        self.groups = groups.into_iter().collect();
        self
    }

    /// The same agent with `role`.
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = role.into();
        self
    }

    /// `validation` naming what is wrong.
    fn check(&self) -> Result<(), Refusal> {
        let email = !self.id.is_empty() && self.id.len() <= 254 && self.id.contains('@') && !self.id.contains(char::is_whitespace);
        if !email {
            return Err(Refusal::validation("`id` must be an e-mail address of at most 254 bytes"));
        }
        if self.name.len() > 255 {
            return Err(Refusal::validation("`name` must have at most 255 bytes"));
        }
        let max = MAX_CONTROL_COUNT as i64;
        if self.groups.len() > MAX_AGENT_GROUPS || self.groups.iter().any(|g| !(0..=max).contains(g)) {
            return Err(Refusal::validation(format!(
                "`groups` must be at most {MAX_AGENT_GROUPS} group IDs from 0 to {max}"
            )));
        }
        if !["owner", "viceowner", "administrator", "normal"].contains(&self.role.as_str()) {
            return Err(Refusal::validation("`role` is `owner`, `viceowner`, `administrator` or `normal`"));
        }
        Ok(())
    }
}

/// The credentials of an agent ([`MockServer::issue_agent`]), for the Agent Chat API:
/// `Authorization: Bearer <token>` or `Authorization: Basic base64(<account_id>:<pat>)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentCredentials {
    /// The agent's ID (an e-mail address).
    pub agent_id: String,
    /// The account ID: the user name of Basic auth with the personal access token.
    pub account_id: String,
    /// An OAuth-style access token, prefixed with the mock's region (`dal:mock-…`), expiring
    /// after [`Config::token_lifetime`].
    pub token: String,
    /// A personal access token (the password of Basic auth); it does not expire.
    pub pat: String,
}

impl AgentCredentials {
    /// The `Authorization` value of the personal access token: `Basic base64(account_id:pat)`.
    pub fn basic_auth(&self) -> String {
        format!(
            "Basic {}",
            control::base64_encode(format!("{}:{}", self.account_id, self.pat).as_bytes())
        )
    }
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
    /// Access token -> the Client ID it was issued for (by the accounts service).
    pub token_clients: Mutex<HashMap<String, String>>,
    /// Web requests received, by action.
    pub web_requests: Mutex<BTreeMap<String, usize>>,
    /// RTM requests received (frames read as requests), by action.
    pub rtm_requests: Mutex<BTreeMap<String, usize>>,
    problems: Mutex<Problems>,
    /// The close codes of the last [`MAX_CLIENT_CLOSES`] Close frames clients sent (`None`: a
    /// Close without a code).
    pub client_closes: Mutex<std::collections::VecDeque<Option<u16>>>,
    /// Random to this instance, in every token it issues (`dal:mock-<instance>-<n>`).
    pub instance: String,
    /// See [`Config::max_stored_file_bytes`].
    pub max_stored_file_bytes: usize,
    /// See [`Config::body_read_timeout`].
    pub body_read_timeout: Duration,
    /// The webhook registrations and their deliveries.
    pub webhooks: webhooks::Webhooks,
    /// Whether the port serves TLS (see [`Config::tls`]).
    pub tls: bool,
}

/// The key under which [`MockServer::web_requests`] and [`MockServer::rtm_requests`] count
/// requests for an action no supported version has: one key for all of them, so a client
/// sending a million made-up names adds one entry, not a million.
pub const UNKNOWN_ACTION: &str = "(unknown)";

/// How many of the clients' last Close frames [`MockServer::client_closes`] keeps: 100.
pub const MAX_CLIENT_CLOSES: usize = 100;

/// The most mock bugs [`MockServer::problems`] keeps: the first 100, then a count of the rest.
pub const MAX_PROBLEMS: usize = 100;

/// Mock bugs seen: the first [`MAX_PROBLEMS`], each cut to 1,000 characters, and how many more.
#[derive(Default)]
pub(crate) struct Problems {
    kept: Vec<String>,
    more: usize,
}

impl Problems {
    fn push(&mut self, message: &str) {
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push(lc_types::PeerText::new(message).to_string());
        } else {
            self.more = self.more.saturating_add(1);
        }
    }

    /// The list [`MockServer::problems`] answers.
    pub(crate) fn list(&self) -> Vec<String> {
        let mut list = self.kept.clone();
        if self.more > 0 {
            list.push(format!("... and {} more problems, not kept", self.more));
        }
        list
    }

    pub(crate) fn clear(&mut self) {
        *self = Problems::default();
    }
}

/// Locks `mutex`, also after a panic while it was held: every change the mock makes under a
/// lock leaves the data whole (the state is replaced in one assignment), so one handler's
/// panic must not break every later request.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads `lock`, also after a panic while it was held (see [`lock`]).
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Writes `lock`, also after a panic while it was held (see [`lock`]).
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// 64 random bits, from the standard library's randomly keyed hasher (no extra crate), mixed
/// with the time and a process-wide counter.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.write_u128(now.as_nanos());
    h.finish()
}

impl Shared {
    /// The shared state of a mock of `config` serving at `addr`: a fresh organization, no
    /// connections, no faults.
    pub(crate) fn new(config: Config, addr: SocketAddr) -> Shared {
        let instance = format!("{:016x}", random_u64());
        Shared {
            addr,
            state: Mutex::new(state::State::new(&config.organization_id, &instance)),
            instance,
            max_stored_file_bytes: config.max_stored_file_bytes,
            body_read_timeout: config.body_read_timeout,
            webhooks: Default::default(),
            tls: config.tls.is_some(),
            organization_id: config.organization_id,
            login_timeout: config.login_timeout,
            ping_timeout: config.ping_timeout,
            check_schemas: config.check_schemas,
            schemas: schemas::Schemas::default(),
            hub: hub::Hub::default(),
            faults: faults::Faults::default(),
            region: RwLock::new(config.region),
            token_lifetime: config.token_lifetime,
            lifecycle: config.lifecycle,
            expiries: Mutex::default(),
            token_clients: Mutex::default(),
            web_requests: Mutex::default(),
            rtm_requests: Mutex::default(),
            problems: Mutex::default(),
            client_closes: Mutex::default(),
        }
    }

    /// `http://ADDR`, or `https://ADDR` over TLS: the origin of every URL the mock reports.
    pub(crate) fn origin(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// `ws://ADDR`, or `wss://ADDR` over TLS: the origin of the RTM URLs.
    pub(crate) fn ws_origin(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}", self.addr)
    }

    /// Records the Close frame a client sent.
    pub(crate) fn note_client_close(&self, code: Option<u16>) {
        let mut closes = crate::lock(&self.client_closes);
        if closes.len() == MAX_CLIENT_CLOSES {
            closes.pop_front();
        }
        closes.push_back(code);
    }

    /// The Client ID `token` was issued for, when the accounts service issued it.
    pub(crate) fn client_of_token(&self, token: &str) -> Option<String> {
        crate::lock(&self.token_clients).get(token).cloned()
    }

    /// Whether `token` is one the mock issued that has expired.
    fn expired(&self, token: &str) -> bool {
        crate::lock(&self.expiries).get(token).is_some_and(|at| *at <= Instant::now())
    }

    /// The customer an access token authenticates (`authentication` otherwise). An agent's
    /// token is refused with `authorization`, as a customer's is on the agent API (see
    /// [`Shared::agent_of_token`]); a customer an agent banned, with `customer_banned`.
    pub(crate) fn customer_of_token(&self, token: Option<&str>) -> Result<String, Refusal> {
        let refused = || Refusal::new("authentication", "Invalid access token");
        let token = token.filter(|t| !self.expired(t)).ok_or_else(refused)?;
        let state = crate::lock(&self.state);
        if state.agent_tokens.contains_key(token) {
            return Err(Refusal::new("authorization", "An agent's token cannot call the Customer Chat API"));
        }
        let id = state.tokens.get(token).cloned().ok_or_else(refused)?;
        let banned = state.customers.get(&id).and_then(|c| c.banned_until);
        if banned.is_some_and(|until| until > Instant::now()) {
            return Err(Refusal::new("customer_banned", "Customer is banned"));
        }
        Ok(id)
    }

    /// The agent a bearer token authenticates (`authentication` otherwise).
    ///
    /// A customer's token is refused with `authorization`, not `authentication`: the reference
    /// (§8) gives `authentication` for an invalid or expired token and `authorization` for a
    /// valid one that is "not allowed / missing scope". A customer's token is valid (the same
    /// accounts service issues it, in the same `dal:` form) but carries none of the agent
    /// scopes (`chats--*`, `customers:*`, §7.3) that every agent action requires.
    pub(crate) fn agent_of_token(&self, token: Option<&str>) -> Result<String, Refusal> {
        let refused = || Refusal::new("authentication", "Invalid access token");
        let token = token.filter(|t| !self.expired(t)).ok_or_else(refused)?;
        let state = crate::lock(&self.state);
        if state.tokens.contains_key(token) {
            return Err(Refusal::new("authorization", "A customer's token cannot call the Agent Chat API"));
        }
        state.agent_tokens.get(token).cloned().ok_or_else(refused)
    }

    /// The agent a personal access token of `account_id` authenticates (`authentication`
    /// otherwise).
    pub(crate) fn agent_of_pat(&self, account_id: &str, pat: &str) -> Result<String, Refusal> {
        let state = crate::lock(&self.state);
        match state.pats.get(account_id) {
            Some((kept, agent)) if !pat.is_empty() && kept == pat => Ok(agent.clone()),
            _ => Err(Refusal::new("authentication", "Invalid personal access token")),
        }
    }

    /// Adds (or updates) an agent with new credentials, in the mock's region (see
    /// [`MockServer::issue_agent`]).
    pub(crate) fn issue_agent(&self, new: &NewAgent) -> Result<AgentCredentials, Refusal> {
        new.check()?;
        let region = self.region();
        let (agent, token, pat) = {
            let mut state = crate::lock(&self.state);
            let account = state.account_id();
            let agent = state::Agent::new(&new.id, &new.name, new.groups.clone(), &new.role, account);
            state.new_agent(agent, &region)
        };
        let expires = Instant::now() + self.token_lifetime;
        crate::lock(&self.expiries).insert(token.clone(), expires);
        Ok(AgentCredentials {
            agent_id: agent.id,
            account_id: agent.account_id,
            token,
            pat,
        })
    }

    /// A new bearer token for agent `id`, in the mock's region, expiring after
    /// [`Config::token_lifetime`] (`None`: no such agent).
    pub(crate) fn issue_agent_token(&self, id: &str) -> Option<String> {
        let region = self.region();
        let token = crate::lock(&self.state).new_agent_token(id, &region)?;
        let expires = Instant::now() + self.token_lifetime;
        crate::lock(&self.expiries).insert(token.clone(), expires);
        Some(token)
    }

    /// Makes `token` expire now, if the mock issued it (every token it issues has an expiry);
    /// whether it did.
    pub(crate) fn expire_token(&self, token: &str) -> bool {
        crate::lock(&self.expiries).get_mut(token).map(|at| *at = Instant::now()).is_some()
    }

    /// The mock's region.
    pub(crate) fn region(&self) -> String {
        crate::read(&self.region).clone()
    }

    /// Moves the mock to `region` when it can be one ([`lc_types::Region::is_plausible`]: it
    /// becomes every token's prefix and what `misdirected_*` names); whether it moved.
    pub(crate) fn set_region(&self, region: &str) -> bool {
        let plausible = lc_types::Region::from(region).is_plausible();
        if plausible {
            *crate::write(&self.region) = region.to_owned();
        }
        plausible
    }

    /// A new token for customer `id` (a new customer when `None`), in the mock's region,
    /// expiring after [`Config::token_lifetime`]: `(customer ID, token)`.
    pub(crate) fn issue_token(&self, id: Option<&str>) -> (String, String) {
        let region = self.region();
        let (id, token) = {
            let mut state = crate::lock(&self.state);
            match id {
                Some(id) => (id.to_owned(), state.new_token(id, &region)),
                None => state.new_customer(&region),
            }
        };
        let expires = Instant::now() + self.token_lifetime;
        crate::lock(&self.expiries).insert(token.clone(), expires);
        (id, token)
    }

    /// The lifecycle headers of `version`'s answers.
    pub(crate) fn lifecycle_headers(&self, version: ApiVersion) -> impl Iterator<Item = &LifecycleHeader> {
        self.lifecycle.iter().filter(move |h| h.version == version)
    }

    /// Records a mock bug (see [`MockServer::problems`]) and gives it back.
    pub(crate) fn problem(&self, refusal: Refusal) -> Refusal {
        crate::lock(&self.problems).push(refusal.message());
        refusal
    }

    /// The mock bugs seen so far (see [`MockServer::problems`]).
    pub(crate) fn problems(&self) -> Vec<String> {
        crate::lock(&self.problems).list()
    }

    /// Forgets the mock bugs seen so far.
    pub(crate) fn clear_problems(&self) {
        crate::lock(&self.problems).clear();
    }

    /// Counts one request for `action` in `counts`: under its name when a supported version
    /// has it, under [`UNKNOWN_ACTION`] otherwise.
    pub(crate) fn count_request(&self, counts: &Mutex<BTreeMap<String, usize>>, action: &str) {
        let known = lc_types::apis()
            .iter()
            .filter(|a| a.api == lc_types::ChatApi::Customer)
            .any(|api| api.action(action).is_some());
        let key = if known { action } else { UNKNOWN_ACTION };
        let mut counts = crate::lock(counts);
        match counts.get_mut(key) {
            Some(n) => *n = n.saturating_add(1),
            None => {
                counts.insert(key.to_owned(), 1);
            }
        }
    }
}

/// A running mock server.
pub struct MockServer {
    shared: Arc<Shared>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// Binds `config.addr` and serves until [`MockServer::shutdown`]. A [`Config::region`]
    /// that cannot be one (1 to 32 characters of `a-z`, `0-9` and `-`) is refused with an
    /// error of kind [`InvalidInput`](std::io::ErrorKind::InvalidInput): it would be every
    /// token's prefix.
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
        if !lc_types::Region::from(config.region.as_str()).is_plausible() {
            let why = format!(
                "the region {} is not 1 to {} characters of a-z, 0-9 and -",
                lc_types::PeerText::new(&config.region).max(100),
                lc_types::Region::MAX_LEN
            );
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, why));
        }
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
        let bounds = serve::Bounds {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
            max_connections: config.max_connections,
        };
        let tls = config.tls.as_ref().map(TlsConfig::acceptor);
        let shared = Arc::new(Shared::new(config, addr));
        // CORS on what browsers call (the API, the accounts service, files), never on the
        // control API: a page a developer visits must not read a local mock's tokens.
        let app = axum::Router::new()
            .route("/{version}/customer/action/{action}", axum::routing::any(web::action))
            .route("/{version}/agent/action/{action}", axum::routing::any(web::agent_action))
            .route(
                "/{version}/configuration/action/{action}",
                axum::routing::any(web::configuration_action),
            )
            .route("/{version}/customer/rtm/ws", axum::routing::get(rtm::upgrade))
            .route("/{version}/agent/rtm/ws", axum::routing::get(rtm::agent_upgrade))
            .route("/files/{id}/{name}", axum::routing::get(web::file))
            .route("/v2/customer/token", axum::routing::post(accounts::token))
            .route(
                "/v2/customer/{organization_id}/{group_id}/token",
                axum::routing::post(accounts::group_token),
            )
            .layer(axum::middleware::from_fn(cors::layer))
            .route(control::PREFIX, axum::routing::any(control::handle))
            .route(&format!("{}/{{*rest}}", control::PREFIX), axum::routing::any(control::handle))
            .layer(axum::middleware::from_fn(web::host_from_authority))
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let drops = shared.clone();
        let task = tokio::spawn(serve::run(
            listener,
            app,
            bounds,
            tls,
            async move {
                let _ = stopped.await;
            },
            // Open WebSockets would keep a graceful shutdown waiting forever.
            move || drops.faults.drop_connections(),
        ));
        Ok(MockServer { shared, stop, task })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// `http://127.0.0.1:PORT/v{version}/customer/action` (append `/<action>?organization_id=…`;
    /// `https://` with [`Config::tls`]).
    /// `version` is an [`ApiVersion`] or its text (`"3.6"`; any text, e.g. an unsupported
    /// version for a test, or a `{version}` placeholder).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use lc_types::ApiVersion;
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// assert_eq!(server.web_url(ApiVersion::V3_6), server.web_url("3.6"));
    /// assert_eq!(server.web_url(ApiVersion::V3_6), format!("{}/v3.6/customer/action", server.base_url()));
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn web_url(&self, version: impl std::fmt::Display) -> String {
        format!("{}/v{version}/customer/action", self.shared.origin())
    }

    /// `ws://127.0.0.1:PORT/v{version}/customer/rtm/ws` (append `?organization_id=…`; `wss://`
    /// with [`Config::tls`]); `version` as in [`MockServer::web_url`].
    pub fn rtm_url(&self, version: impl std::fmt::Display) -> String {
        format!("{}/v{version}/customer/rtm/ws", self.shared.ws_origin())
    }

    /// What clients take as their base URL, `http://127.0.0.1:PORT` (scheme, host and port;
    /// the Web API is under `/v{X.Y}/customer/action`, RTM at `ws://…/v{X.Y}/customer/rtm/ws`);
    /// `https://` (and `wss://`) with [`Config::tls`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// assert_eq!(server.base_url(), format!("http://{}", server.addr()));
    /// assert_eq!(server.control_url(), format!("{}/_lc", server.base_url()));
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn base_url(&self) -> String {
        self.shared.origin()
    }

    /// The HTTP control API's root, `http://127.0.0.1:PORT/_lc` (`https://` with [`Config::tls`]; see
    /// [the crate docs](crate#the-http-control-api)).
    pub fn control_url(&self) -> String {
        format!("{}{}", self.base_url(), control::PREFIX)
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
    pub fn issue_customer(&self) -> CustomerCredentials {
        let (id, token) = self.shared.issue_token(None);
        CustomerCredentials { id, token }
    }

    /// Adds an agent (or, for an ID the mock knows, gives it this profile) and answers new
    /// credentials for the Agent Chat API (`/v{X.Y}/agent/action/…`, [`MockServer::agent_web_url`]).
    /// Its ID may be [`AgentControl::id`]'s: the API then acts as the agent the control API plays.
    /// Refused with `validation` when the agent is not one (see [`NewAgent`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// let ann = server.issue_agent(lc_mock::NewAgent::new("ann@example.com", "Ann").groups([0, 1])).unwrap();
    /// assert_eq!(ann.agent_id, "ann@example.com");
    /// assert!(ann.token.starts_with("dal:"));
    /// assert!(ann.basic_auth().starts_with("Basic "));
    /// assert!(server.issue_agent(lc_mock::NewAgent::new("not an e-mail", "X")).is_err());
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn issue_agent(&self, agent: NewAgent) -> Result<AgentCredentials, Refusal> {
        self.shared.issue_agent(&agent)
    }

    /// `http://127.0.0.1:PORT/v{version}/agent/action` (append `/<action>`; no query: the
    /// credentials name the license); `version` as in [`MockServer::web_url`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// assert_eq!(server.agent_web_url("3.6"), format!("{}/v3.6/agent/action", server.base_url()));
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn agent_web_url(&self, version: impl std::fmt::Display) -> String {
        format!("{}/v{version}/agent/action", self.shared.origin())
    }

    /// `ws://127.0.0.1:PORT/v{version}/agent/rtm/ws` (`wss://` with [`Config::tls`]): an
    /// agent's RTM endpoint; the `organization_id` query is optional for agents (checked when
    /// given).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// assert!(server.agent_rtm_url("3.6").ends_with("/v3.6/agent/rtm/ws"));
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn agent_rtm_url(&self, version: impl std::fmt::Display) -> String {
        format!("{}/v{version}/agent/rtm/ws", self.shared.ws_origin())
    }

    /// `http://127.0.0.1:PORT/v{version}/configuration/action` (append `/<action>`): the
    /// Configuration API's webhook actions, with an agent's credentials; `version` as in
    /// [`MockServer::web_url`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// assert_eq!(server.configuration_web_url("3.6"), format!("{}/v3.6/configuration/action", server.base_url()));
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn configuration_web_url(&self, version: impl std::fmt::Display) -> String {
        format!("{}/v{version}/configuration/action", self.shared.origin())
    }

    /// What became of the webhook deliveries (the last [`MAX_WEBHOOK_LOG`]), oldest first:
    /// registrations are made over the Configuration API
    /// ([`configuration_web_url`](Self::configuration_web_url)), and every change of the
    /// mock's state that causes an agent push of a registered action is delivered (see the
    /// crate README, "Webhooks").
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// assert!(server.webhook_deliveries().is_empty());
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.webhooks.deliveries()
    }

    /// A new bearer token for an agent [`issue_agent`](Self::issue_agent) made (its other
    /// credentials stay valid); `None` when there is no such agent. For a client that must
    /// log in again with a fresh token (`agent_disconnected` reason `access_token_expired`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// let bot = server.issue_agent(lc_mock::NewAgent::new("bot@example.com", "Bot")).unwrap();
    /// let fresh = server.issue_agent_token(&bot.agent_id).unwrap();
    /// assert_ne!(fresh, bot.token);
    /// assert_eq!(server.issue_agent_token("nobody@example.com"), None);
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn issue_agent_token(&self, agent_id: &str) -> Option<String> {
        self.shared.issue_agent_token(agent_id)
    }

    /// A new access token for an existing customer.
    pub fn issue_token_for(&self, customer_id: &str) -> String {
        self.shared.issue_token(Some(customer_id)).1
    }

    /// Makes `token` expire now: the next request with it answers `authentication`. A token
    /// the mock did not issue is refused already; nothing is kept of it.
    pub fn expire_token(&self, token: &str) {
        self.shared.expire_token(token);
    }

    /// The origin of the mock's accounts service (`POST {origin}/v2/customer/token`, the
    /// cookie and agent-token grants of reference §5.3): `http://127.0.0.1:PORT` (`https://`
    /// with [`Config::tls`]).
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
        self.shared.origin()
    }

    /// The region the mock is in (see [`Config::region`]).
    pub fn region(&self) -> String {
        self.shared.region()
    }

    /// Moves the mock to `region`: Web requests for another region answer
    /// `misdirected_request` with `{"region": "<region>"}`, and new tokens carry its prefix.
    /// `false`, and the mock stays where it is, when `region` cannot be one (1 to 32
    /// characters of `a-z`, `0-9` and `-`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// assert!(server.set_region("fra"));
    /// assert!(server.issue_token().starts_with("fra:"));
    /// assert!(!server.set_region("fra:x"));
    /// assert_eq!(server.region(), "fra");
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_region(&self, region: &str) -> bool {
        self.shared.set_region(region)
    }

    /// How many Web requests for `action` the mock received (answered or not). Requests for
    /// an action no supported version has are counted together under [`UNKNOWN_ACTION`].
    pub fn web_requests(&self, action: &str) -> usize {
        crate::lock(&self.shared.web_requests).get(action).copied().unwrap_or(0)
    }

    /// How many RTM requests for `action` the mock received (every frame read as a request,
    /// `login` and `ping` included, answered or not). Requests for an action no supported
    /// version has are counted together under [`UNKNOWN_ACTION`].
    pub fn rtm_requests(&self, action: &str) -> usize {
        crate::lock(&self.shared.rtm_requests).get(action).copied().unwrap_or(0)
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
    ///
    /// At most [`MAX_PROBLEMS`] are kept, each cut to 1,000 characters; past them a last
    /// entry says how many more were seen.
    pub fn problems(&self) -> Vec<String> {
        self.shared.problems()
    }

    /// The close codes of the Close frames RTM clients sent, oldest first (`None`: a Close
    /// without a code; a connection dropped without a Close adds nothing): a client that closes
    /// as RFC 6455 asks shows `Some(1000)`. The last [`MAX_CLIENT_CLOSES`] are kept.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// assert!(server.client_closes().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn client_closes(&self) -> Vec<Option<u16>> {
        crate::lock(&self.shared.client_closes).iter().copied().collect()
    }

    /// Stops accepting connections, closes the RTM connections, lets open Web requests finish,
    /// and waits for the server.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::{Problems, MAX_PROBLEMS};

    /// Mock bugs are kept up to [`MAX_PROBLEMS`], each cut short; the rest only counted.
    #[test]
    fn problems_are_bounded() {
        let mut problems = Problems::default();
        for i in 0..MAX_PROBLEMS + 50 {
            problems.push(&format!("bug {i} {}", "x".repeat(10_000)));
        }
        let list = problems.list();
        assert_eq!(list.len(), MAX_PROBLEMS + 1);
        assert!(list.iter().take(MAX_PROBLEMS).all(|p| p.len() < 1100), "{}", list[0].len());
        assert_eq!(list[MAX_PROBLEMS], "... and 50 more problems, not kept");
        problems.clear();
        assert!(problems.list().is_empty());
    }
}

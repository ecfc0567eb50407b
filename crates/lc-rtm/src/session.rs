//! The connection as a state machine without I/O: it takes what happened (a frame, a closed
//! socket, a call, the time) and queues what to do ([`Output`](crate::session::Output)). The
//! driver task does the I/O; the unit tests (`session/tests.rs`) drive it with synthetic time.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use lc_types::endpoint::Backoff;
use lc_types::{limits, ApiVersion, ChatApi, DisconnectPolicy, Frame, PushFrame, Region, RequestFrame, ResponseError, ResponseFrame};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::event::{Cause, Connected, Disconnected, Next, RtmEvent};

/// The most calls that wait by default, for one of the 10 request slots or for the connection
/// while it is (re)connecting: 10,000. The next call fails at once with
/// [`ErrorKind::QueueFull`] and is not sent; change it with
/// [`RtmClientBuilder::max_queued_calls`](crate::RtmClientBuilder::max_queued_calls). Waiting
/// calls still end at their timeout, also while the server stops reading (frames not yet
/// written never hold the connection task).
pub const MAX_QUEUED_CALLS: usize = 10_000;

/// Identifies a call between the client handle and the session.
pub type CallId = u64;

/// The timing and limits of a connection (see [`RtmClientBuilder`](crate::RtmClientBuilder),
/// which documents each).
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub struct Settings {
    /// The Chat API the connection speaks: which disconnect push and reasons it gets, who the
    /// login names, whether a reconnect's login says so.
    pub api: ChatApi,
    pub version: ApiVersion,
    pub login_timeout: Duration,
    pub ping_interval: Duration,
    pub pong_timeout: Duration,
    pub call_timeout: Duration,
    pub wait_for_connection: Duration,
    pub backoff: Backoff,
    pub blocked_wait: Duration,
    pub max_in_flight: usize,
    pub max_queued_calls: usize,
    pub seed: Option<u64>,
    /// Policies chosen over the schema's, by reason.
    pub policies: Vec<(String, DisconnectPolicy)>,
}

impl Settings {
    pub fn new(version: ApiVersion) -> Self {
        Settings {
            api: ChatApi::Customer,
            version,
            login_timeout: limits::LOGIN_DEADLINE,
            ping_interval: limits::PING_INTERVAL,
            pong_timeout: Duration::from_secs(10),
            call_timeout: limits::SERVER_REQUEST_TIMEOUT + Duration::from_secs(5),
            wait_for_connection: Duration::from_secs(30),
            backoff: Backoff::new(Duration::from_millis(500), Duration::from_secs(30), 0.5),
            blocked_wait: Duration::from_secs(5 * 60),
            max_in_flight: limits::MAX_PENDING_REQUESTS,
            max_queued_calls: MAX_QUEUED_CALLS,
            seed: None,
            policies: Vec::new(),
        }
    }

    /// How long a connection may give no sign of life (nothing received after a ping is due,
    /// or nothing written while frames wait) before it is dropped as unresponsive.
    pub fn dead_after(&self) -> Duration {
        self.ping_interval.saturating_add(self.pong_timeout.saturating_mul(2))
    }

    /// How long a connection must have lived for its end to count as a new series of
    /// attempts (the attempt count and the backoff start over): one ping interval.
    pub fn stable_after(&self) -> Duration {
        self.ping_interval
    }
}

/// The longest wait any deadline is given (a configured `Duration::MAX` included), so no
/// `Instant` arithmetic can overflow: ten years.
const FAR: Duration = Duration::from_secs(10 * 365 * 86_400);

/// `now + d`, with `d` at most [`FAR`]: never panics.
pub(crate) fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d.min(FAR)).unwrap_or(now)
}

/// Where the connection is.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Not connected, and not trying: before `connect()`, after `disconnect()`, or after a
    /// reason that waits for the user (`inactivity_timeout`).
    Disconnected,
    /// Getting a token and opening the socket.
    Connecting {
        /// Attempt number since the last connection that stayed up for a ping interval (1 =
        /// first).
        attempt: u32,
    },
    /// The socket is open, `login` sent.
    LoggingIn {
        /// Attempt number since the last connection that stayed up for a ping interval.
        attempt: u32,
    },
    /// Logged in: calls go out, pushes come in.
    Active,
    /// Waiting before the next attempt.
    Reconnecting {
        /// The coming attempt's number.
        attempt: u32,
        /// Why the last connection ended.
        cause: Cause,
    },
    /// Closed for good (a fatal reason, or `destroy()`).
    Closed {
        /// Why.
        cause: Cause,
    },
}

/// What the driver must do.
#[derive(Debug)]
pub enum Output {
    /// Get a token (a new one when `fresh_token`), open the socket (in `region` when set, else
    /// where the configuration or the token says), then call [`Session::opened`] with the login
    /// payload or [`Session::connect_failed`].
    Connect {
        /// Invalidate the last token and get a new one first.
        fresh_token: bool,
        /// The region to connect to, when the server named one.
        region: Option<Region>,
    },
    /// Send this text frame.
    Send(String),
    /// Close the socket (the session already treats it as closed).
    Close,
    /// Give this to the event stream.
    Emit(RtmEvent),
    /// Give this push frame (its text) to the event stream, to be decoded (by action and
    /// version, in one pass) as it is read: `RtmEvent::Push`, or `RtmEvent::UndecodedPush` when
    /// its payload does not decode. Its length is what it weighs in the stream's byte bound.
    Push(String),
    /// Give this to the caller of call `CallId`.
    Resolve(CallId, Result<ResponseFrame, Error>),
}

/// A call not sent yet.
struct Waiting {
    call: CallId,
    frame: RequestFrame,
    /// When the call fails if still unsent.
    give_up: Instant,
    /// When the call times out, counted from when it was made.
    deadline: Instant,
    /// The call's timeout (for its error).
    timeout: Duration,
}

/// A request on the wire.
struct InFlight {
    /// `None` once the caller got its answer (timed out, or the ping's).
    call: Option<CallId>,
    deadline: Instant,
    timeout: Duration,
    /// The slot stays taken until the server must have given up on the request too, so a late
    /// answer can never make us exceed the server's limit.
    release: Instant,
}

/// The connection state machine. See the module docs.
pub struct Session {
    s: Settings,
    state: ConnectionState,
    rng: fastrand::Rng,
    out: VecDeque<Output>,
    destroyed: bool,
    ever_connected: bool,
    /// Attempt counter since the last connection that lived for `stable_after`.
    attempt: u32,
    /// When the current connection logged in.
    active_since: Option<Instant>,
    /// The user of the first successful login (see [`login_identity`]): every later login must
    /// come back as the same user.
    identity: Option<String>,
    /// Why the last connection ended (or its attempt failed).
    last_cause: Option<Arc<Cause>>,
    /// Set by `misdirected_connection`.
    region: Option<Region>,
    /// A region change to announce after the disconnect that caused it.
    region_changed: Option<Region>,
    /// The next connect fetches a new token.
    fresh_token: bool,
    /// Whether the login in progress uses a token fetched fresh (a second `authentication`
    /// then stops instead of looping).
    login_with_fresh_token: bool,
    login_id: Option<String>,
    login_deadline: Option<Instant>,
    reconnect_at: Option<Instant>,
    last_rx: Instant,
    last_ping: Instant,
    unstable: bool,
    /// The driver stopped reading (the event stream is full): silence is ours, not the server's.
    holding: bool,
    next_id: u64,
    waiting: VecDeque<Waiting>,
    in_flight: BTreeMap<String, InFlight>,
}

impl Session {
    pub fn new(s: Settings, now: Instant) -> Self {
        let rng = s.seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        Session {
            s,
            state: ConnectionState::Disconnected,
            rng,
            out: VecDeque::new(),
            destroyed: false,
            ever_connected: false,
            attempt: 0,
            active_since: None,
            identity: None,
            last_cause: None,
            region: None,
            region_changed: None,
            fresh_token: false,
            login_with_fresh_token: false,
            login_id: None,
            login_deadline: None,
            reconnect_at: None,
            last_rx: now,
            last_ping: now,
            unstable: false,
            holding: false,
            next_id: 0,
            waiting: VecDeque::new(),
            in_flight: BTreeMap::new(),
        }
    }

    pub fn state(&self) -> &ConnectionState {
        &self.state
    }

    /// Why the last connection ended or its attempt failed, if one did.
    pub fn last_cause(&self) -> Option<&Arc<Cause>> {
        self.last_cause.as_ref()
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Requests on the wire now (pings and timed-out requests whose slot is still held included).
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Whether the socket is open (logging in or active).
    pub fn socket_open(&self) -> bool {
        matches!(self.state, ConnectionState::LoggingIn { .. } | ConnectionState::Active)
    }

    /// When [`Session::tick`] must run next.
    pub fn next_deadline(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut at = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        match self.state {
            ConnectionState::LoggingIn { .. } => self.login_deadline.into_iter().for_each(&mut at),
            ConnectionState::Active => {
                at(after(self.last_ping, self.s.ping_interval));
                let silent = if self.unstable { 2 } else { 1 };
                at(after(
                    self.last_rx,
                    self.s.ping_interval.saturating_add(self.s.pong_timeout.saturating_mul(silent)),
                ));
            }
            ConnectionState::Reconnecting { .. } => self.reconnect_at.into_iter().for_each(&mut at),
            _ => {}
        }
        for f in self.in_flight.values() {
            at(if f.call.is_some() { f.deadline.min(f.release) } else { f.release });
        }
        for w in &self.waiting {
            at(w.give_up.min(w.deadline));
        }
        next
    }

    // ---- the user ----

    /// `connect()`: start connecting now (also skips a reconnect wait).
    pub fn connect(&mut self, _now: Instant) {
        if self.destroyed {
            return;
        }
        match self.state {
            // The user asks: a new series of attempts.
            ConnectionState::Disconnected | ConnectionState::Closed { .. } => {
                self.attempt = 0;
                self.start_connecting();
            }
            ConnectionState::Reconnecting { .. } => self.start_connecting(),
            _ => {}
        }
    }

    /// `disconnect()`: close, and stay disconnected until `connect()`.
    pub fn disconnect(&mut self, now: Instant) {
        if self.socket_open() {
            self.out.push_back(Output::Close);
        }
        if !matches!(self.state, ConnectionState::Closed { .. } | ConnectionState::Disconnected) {
            self.dropped(now, Cause::User, Some(Next::WaitForConnect));
        }
    }

    /// `destroy()`: close for good; every call fails from now on.
    pub fn destroy(&mut self, now: Instant) {
        self.disconnect(now);
        self.destroyed = true;
        self.state = ConnectionState::Closed { cause: Cause::User };
        self.fail_waiting(&Arc::new(Cause::User), || ErrorKind::Closed, "the client was destroyed");
    }

    /// A call: sent when a slot is free on an active connection, queued otherwise; refused at
    /// once when `max_queued_calls` calls wait already.
    pub fn call(&mut self, now: Instant, call: CallId, frame: RequestFrame, timeout: Option<Duration>) {
        let timeout = timeout.unwrap_or(self.s.call_timeout);
        let refuse = match &self.state {
            _ if self.destroyed => Some((ErrorKind::Closed, "the client was destroyed".into(), None)),
            ConnectionState::Closed { cause } => Some((ErrorKind::Closed, cause.describe(), self.last_cause.clone())),
            ConnectionState::Disconnected => Some((ErrorKind::NotConnected, "call connect() first".into(), None)),
            ConnectionState::Active => None,
            ConnectionState::Reconnecting { cause, .. } if self.s.wait_for_connection.is_zero() => Some((
                ErrorKind::NotConnected,
                format!("reconnecting; last: {}", cause.describe()),
                self.last_cause.clone(),
            )),
            _ if self.s.wait_for_connection.is_zero() => Some((ErrorKind::NotConnected, "reconnecting".into(), None)),
            _ => None,
        };
        if let Some((kind, why, cause)) = refuse {
            self.out
                .push_back(Output::Resolve(call, Err(Error::with_cause(kind, Some(why), cause))));
            return;
        }
        let give_up = if matches!(self.state, ConnectionState::Active) {
            after(now, timeout)
        } else {
            after(now, self.s.wait_for_connection.min(timeout))
        };
        self.waiting.push_back(Waiting {
            call,
            frame,
            give_up,
            deadline: after(now, timeout),
            timeout,
        });
        self.pump(now);
        if self.waiting.len() > self.s.max_queued_calls {
            let refused = self.waiting.pop_back().expect("over the limit");
            let kind = ErrorKind::QueueFull(self.s.max_queued_calls);
            self.out.push_back(Output::Resolve(refused.call, Err(Error::new(kind))));
        }
    }

    /// Calls waiting for a slot or for the connection (not on the wire).
    pub fn queued(&self) -> usize {
        self.waiting.len()
    }

    /// The caller gave up on a call (its future was dropped).
    pub fn cancel(&mut self, call: CallId) {
        self.waiting.retain(|w| w.call != call);
        for f in self.in_flight.values_mut() {
            if f.call == Some(call) {
                f.call = None;
            }
        }
    }

    // ---- the driver ----

    /// The socket is open; `login` is `login`'s payload (token included). An agent's login
    /// after an earlier connection carries `reconnect: true` (restore the last routing status
    /// rather than the default one, reference §2.2) unless it sets `reconnect` itself.
    pub fn opened(&mut self, now: Instant, mut login: Map<String, Value>) {
        let ConnectionState::Connecting { attempt } = self.state else {
            // disconnect() or destroy() came first.
            self.out.push_back(Output::Close);
            return;
        };
        if self.s.api == ChatApi::Agent && self.ever_connected {
            login.entry("reconnect").or_insert(Value::Bool(true));
        }
        let id = self.new_request_id("login");
        let frame =
            RequestFrame::from_parts(self.s.version, "login", &login, Some(id.clone()), self.s.version).expect("a JSON object encodes");
        self.out
            .push_back(Output::Send(serde_json::to_string(&frame).expect("a frame is JSON")));
        self.login_id = Some(id);
        self.login_deadline = Some(after(now, self.s.login_timeout));
        self.last_rx = now;
        self.state = ConnectionState::LoggingIn { attempt };
    }

    /// Getting the token or opening the socket failed.
    pub fn connect_failed(&mut self, now: Instant, cause: Cause) {
        if matches!(self.state, ConnectionState::Connecting { .. }) {
            self.dropped(now, cause, None);
        }
    }

    /// The socket has taken nothing for too long (the server stopped reading): closed and
    /// reconnected as a connection that stopped answering.
    pub fn unresponsive(&mut self, now: Instant) {
        if self.socket_open() {
            self.out.push_back(Output::Close);
            self.dropped(now, Cause::Unresponsive, None);
        }
    }

    /// The socket closed (or failed) without the session asking: with the Close frame's
    /// `code` and `reason` when the server sent one, else no code and what failed.
    pub fn closed(&mut self, now: Instant, code: Option<u16>, reason: String) {
        if self.socket_open() {
            self.dropped(now, Cause::SocketClosed { code, reason }, None);
        }
    }

    /// A text frame arrived.
    pub fn frame(&mut self, now: Instant, text: &str) {
        if !self.socket_open() {
            return;
        }
        self.last_rx = now;
        if self.unstable {
            self.unstable = false;
            self.emit(RtmEvent::ConnectionRecovered);
        }
        // A push shows its `type` and `action` before its payload: the connection task reads
        // no further; the reader of the stream decodes it whole, once. (The close push is read
        // here: its reason decides what the connection does.)
        if let Some(envelope) = lc_types::Frame::peek(text) {
            if envelope.type_ == "push" && envelope.action != disconnect_push(self.s.api) {
                self.out.push_back(Output::Push(text.to_owned()));
                return;
            }
        }
        match lc_types::from_str::<Frame>(text) {
            Ok(Frame::Response(response)) => self.response(now, response, text),
            Ok(Frame::Push(push)) => self.push(now, push, text),
            Ok(frame) => {
                let id = frame.request_id().map(str::to_owned);
                self.unexpected(now, id, text);
            }
            Err(_) => self.unexpected(now, None, text),
        }
    }

    /// A frame that is no response or push: when it names the `request_id` of a call on the
    /// wire and fails to read as a response (e.g. it has no `action`), that call fails at once
    /// with the decode error instead of waiting for its timeout; otherwise it is an
    /// [`RtmEvent::UnexpectedFrame`].
    fn unexpected(&mut self, now: Instant, id: Option<String>, text: &str) {
        let id = id.or_else(|| {
            #[derive(serde::Deserialize)]
            struct Id {
                request_id: Option<String>,
            }
            serde_json::from_str::<Id>(text).ok().and_then(|f| f.request_id)
        });
        let on_the_wire = id
            .as_ref()
            .is_some_and(|id| self.in_flight.get(id).is_some_and(|f| f.call.is_some()));
        let error = lc_types::from_str::<ResponseFrame>(text).err();
        let (Some(id), Some(error), true) = (id, error, on_the_wire) else {
            return self.emit(RtmEvent::UnexpectedFrame(text.to_owned()));
        };
        if let Some(InFlight { call: Some(call), .. }) = self.in_flight.remove(&id) {
            self.resolve(call, Err(ErrorKind::Decode(error).into()));
        }
        self.pump(now);
    }

    /// The driver stops (`true`) or resumes reading frames: while it does not read, silence
    /// does not count towards dead-connection detection.
    pub fn hold(&mut self, holding: bool) {
        self.holding = holding;
    }

    /// Time passed: deadlines, pings, reconnects.
    pub fn tick(&mut self, now: Instant) {
        if self.holding {
            self.last_rx = now;
        }
        match self.state {
            ConnectionState::LoggingIn { .. } if self.login_deadline.is_some_and(|d| now >= d) => {
                self.out.push_back(Output::Close);
                self.dropped(now, Cause::LoginTimeout, None);
            }
            ConnectionState::Active => {
                let silent = now.saturating_duration_since(self.last_rx);
                if silent >= self.s.dead_after() {
                    self.out.push_back(Output::Close);
                    self.dropped(now, Cause::Unresponsive, None);
                } else {
                    if silent >= self.s.ping_interval.saturating_add(self.s.pong_timeout) && !self.unstable {
                        self.unstable = true;
                        self.emit(RtmEvent::ConnectionUnstable);
                    }
                    if now >= after(self.last_ping, self.s.ping_interval) {
                        self.ping(now);
                    }
                }
            }
            ConnectionState::Reconnecting { .. } if self.reconnect_at.is_some_and(|t| now >= t) => {
                self.start_connecting();
            }
            _ => {}
        }
        // Calls past their deadline.
        let mut expired = Vec::new();
        self.in_flight.retain(|_, f| {
            if f.call.is_some() && now >= f.deadline {
                expired.push((f.call.take().expect("checked"), f.timeout));
            }
            now < f.release
        });
        for (call, timeout) in expired {
            self.resolve(call, Err(Error::new(ErrorKind::Timeout(timeout))));
        }
        let active = matches!(self.state, ConnectionState::Active);
        let mut failed = Vec::new();
        self.waiting.retain(|w| {
            let gone = now >= w.deadline || now >= w.give_up;
            if gone {
                failed.push((w.call, now >= w.deadline, w.timeout));
            }
            !gone
        });
        let last = match &self.state {
            ConnectionState::Reconnecting { .. } => self.last_cause.clone(),
            _ => None,
        };
        for (call, timed_out, timeout) in failed {
            let error = if timed_out || active {
                Error::new(ErrorKind::Timeout(timeout))
            } else {
                let why = match &last {
                    Some(cause) => format!("no connection came up in time; last: {}", cause.describe()),
                    None => "no connection came up in time".into(),
                };
                Error::with_cause(ErrorKind::NotConnected, Some(why), last.clone())
            };
            self.resolve(call, Err(error));
        }
        self.pump(now);
    }

    // ---- inside ----

    fn new_request_id(&mut self, what: &str) -> String {
        self.next_id += 1;
        format!("{what}-{}", self.next_id)
    }

    fn emit(&mut self, event: RtmEvent) {
        self.out.push_back(Output::Emit(event));
    }

    fn resolve(&mut self, call: CallId, result: Result<ResponseFrame, Error>) {
        self.out.push_back(Output::Resolve(call, result));
    }

    fn start_connecting(&mut self) {
        self.reconnect_at = None;
        self.state = ConnectionState::Connecting {
            attempt: self.attempt.max(1),
        };
        self.login_with_fresh_token = self.fresh_token;
        self.out.push_back(Output::Connect {
            fresh_token: std::mem::take(&mut self.fresh_token),
            region: self.region.clone(),
        });
    }

    /// Sends waiting calls while slots are free.
    fn pump(&mut self, now: Instant) {
        if !matches!(self.state, ConnectionState::Active) {
            return;
        }
        while self.in_flight.len() < self.s.max_in_flight {
            let Some(w) = self.waiting.pop_front() else { break };
            let id = self.new_request_id("r");
            let mut frame = w.frame;
            frame.request_id = Some(id.clone());
            match serde_json::to_string(&frame) {
                Ok(text) => {
                    self.out.push_back(Output::Send(text));
                    self.in_flight.insert(
                        id,
                        InFlight {
                            call: Some(w.call),
                            deadline: w.deadline,
                            timeout: w.timeout,
                            release: w.deadline.max(after(now, limits::SERVER_REQUEST_TIMEOUT)),
                        },
                    );
                }
                Err(e) => self.resolve(w.call, Err(Error::with_source(ErrorKind::Encode, e))),
            }
        }
    }

    fn ping(&mut self, now: Instant) {
        self.last_ping = now;
        // A ping takes a slot like any request; when all are taken, traffic is flowing anyway.
        if self.in_flight.len() >= self.s.max_in_flight {
            return;
        }
        let id = self.new_request_id("ping");
        let frame = RequestFrame::from_parts(self.s.version, "ping", &Map::new(), Some(id.clone()), self.s.version)
            .expect("an empty object encodes");
        self.out
            .push_back(Output::Send(serde_json::to_string(&frame).expect("a frame is JSON")));
        self.in_flight.insert(
            id,
            InFlight {
                call: None,
                deadline: now,
                timeout: Duration::ZERO,
                release: after(now, self.s.pong_timeout.max(Duration::from_millis(1))),
            },
        );
    }

    fn response(&mut self, now: Instant, frame: ResponseFrame, text: &str) {
        let id = frame.request_id.clone().unwrap_or_default();
        if self.login_id.as_deref() == Some(id.as_str()) {
            return self.login_response(now, frame);
        }
        match self.in_flight.remove(&id) {
            Some(InFlight { call: Some(call), .. }) => self.resolve(call, Ok(frame)),
            Some(InFlight { call: None, .. }) => {} // a ping's answer, or a call that timed out
            // A late answer to one of our pings (its slot already released).
            None if id.starts_with("ping-") => {}
            None => self.emit(RtmEvent::UnexpectedFrame(text.to_owned())),
        }
        self.pump(now);
    }

    fn login_response(&mut self, now: Instant, frame: ResponseFrame) {
        self.login_id = None;
        self.login_deadline = None;
        if frame.success {
            let user = login_identity(self.s.api, &frame);
            match &self.identity {
                Some(expected) if *expected != user => {
                    // Another user than the first login: never carry on as them.
                    self.out.push_back(Output::Close);
                    let cause = Cause::IdentityMismatch {
                        expected: expected.clone(),
                        got: user,
                    };
                    return self.dropped(now, cause, Some(Next::Stop));
                }
                Some(_) => {}
                None => self.identity = Some(user),
            }
            self.state = ConnectionState::Active;
            // The attempt count starts over only once this connection has lived a while
            // (see `dropped`): a server that closes right after the login keeps it growing.
            self.active_since = Some(now);
            self.last_ping = now;
            let reconnect = std::mem::replace(&mut self.ever_connected, true);
            self.emit(RtmEvent::Connected(Connected { reconnect, login: frame }));
            self.pump(now);
            return;
        }
        let (kind, message, retryable) = match frame.decode::<Value>() {
            Err(ResponseError::Api(api)) => (api.kind().as_str().to_owned(), api.message().to_owned(), api.kind().is_retryable()),
            Err(other) => ("unknown".to_owned(), other.to_string(), true),
            Ok(_) => ("unknown".to_owned(), String::new(), true),
        };
        self.out.push_back(Output::Close);
        let next = if kind == "authentication" && !self.login_with_fresh_token {
            self.fresh_token = true;
            None
        } else if kind == "authentication" {
            Some(Next::Stop)
        } else if retryable {
            None
        } else {
            Some(Next::Stop)
        };
        self.dropped(now, Cause::LoginRefused { kind, message }, next);
    }

    fn push(&mut self, now: Instant, frame: PushFrame, text: &str) {
        let disconnect = (frame.action == disconnect_push(self.s.api)).then(|| disconnect_details(frame.payload.get()));
        // Decoded by the reader of the event stream, in its task: the connection task only
        // reads envelopes.
        self.out.push_back(Output::Push(text.to_owned()));
        if let Some((reason, data)) = disconnect {
            let chosen = self.s.policies.iter().find(|(r, _)| *r == reason);
            let policy = chosen.map_or_else(|| policy_of(self.s.api, &reason), |(_, p)| *p);
            self.out.push_back(Output::Close);
            self.dropped(now, Cause::Server { reason, data, policy }, None);
        }
    }

    /// The connection is gone: fail what was in flight, decide what next, tell the user.
    fn dropped(&mut self, now: Instant, cause: Cause, next: Option<Next>) {
        let shared = Arc::new(cause.clone());
        self.last_cause = Some(shared.clone());
        for (_, f) in std::mem::take(&mut self.in_flight) {
            if let Some(call) = f.call {
                self.resolve(call, Err(Error::with_cause(ErrorKind::ConnectionLost, None, Some(shared.clone()))));
            }
        }
        // A connection that lived long enough ends a series of attempts; one that closed
        // soon after its login does not (else a server that closes at once is hammered).
        if self
            .active_since
            .take()
            .is_some_and(|since| now.saturating_duration_since(since) >= self.s.stable_after())
        {
            self.attempt = 0;
        }
        self.login_id = None;
        self.login_deadline = None;
        self.unstable = false;
        let next = next.unwrap_or_else(|| self.decide(&cause));
        match next {
            Next::Reconnect { delay, attempt, new_token } => {
                self.fresh_token |= new_token;
                self.reconnect_at = Some(after(now, delay));
                self.state = ConnectionState::Reconnecting {
                    attempt,
                    cause: cause.clone(),
                };
                if self.s.wait_for_connection.is_zero() {
                    let why = format!("reconnecting; last: {}", cause.describe());
                    self.fail_waiting(&shared, || ErrorKind::NotConnected, &why);
                }
            }
            Next::WaitForConnect => {
                self.state = ConnectionState::Disconnected;
                self.fail_waiting(&shared, || ErrorKind::NotConnected, &cause.describe());
            }
            Next::Stop => {
                self.state = ConnectionState::Closed { cause: cause.clone() };
                self.fail_waiting(&shared, || ErrorKind::Closed, &cause.describe());
            }
        }
        self.emit(RtmEvent::Disconnected(Disconnected { cause, next }));
        if let Some(region) = self.region_changed.take() {
            self.emit(RtmEvent::RegionChanged(region));
        }
    }

    /// What follows `cause` (a `Cause::Server` follows its reason's policy).
    fn decide(&mut self, cause: &Cause) -> Next {
        let reconnect = |this: &mut Self, delay: Option<Duration>, new_token: bool| {
            this.attempt = this.attempt.saturating_add(1);
            let attempt = this.attempt;
            // Backoff with jitter for every reconnect: a wait the server asks for is a floor,
            // so a server asking for 0 s cannot make the client reconnect in a tight loop.
            let backoff = this.s.backoff.delay(attempt, this.rng.f64());
            let delay = delay.map_or(backoff, |asked| asked.max(backoff));
            Next::Reconnect { delay, attempt, new_token }
        };
        match cause {
            Cause::User => Next::WaitForConnect,
            Cause::Token(_) => reconnect(self, None, true),
            Cause::Server { policy, data, .. } => match policy {
                DisconnectPolicy::Reconnect => reconnect(self, None, false),
                DisconnectPolicy::ReconnectWithNewToken => reconnect(self, None, true),
                // Only a text that can be a region: it goes into the URL of every connect.
                DisconnectPolicy::ReconnectInRegion => match data
                    .as_ref()
                    .and_then(|d| d.get("region"))
                    .and_then(Value::as_str)
                    .map(Region::from)
                    .filter(Region::is_plausible)
                {
                    Some(region) => {
                        self.region = Some(region.clone());
                        self.region_changed = Some(region);
                        reconnect(self, None, false)
                    }
                    None => Next::Stop,
                },
                DisconnectPolicy::ReconnectOnUserIntent => Next::WaitForConnect,
                DisconnectPolicy::Stop => Next::Stop,
                // WaitThenReconnect, and any policy added later: wait long, then try again.
                _ => {
                    // The server's number of seconds, clamped before any arithmetic.
                    let wait = data
                        .as_ref()
                        .and_then(|d| d.get("timeout"))
                        .and_then(Value::as_f64)
                        .and_then(limits::peer_wait)
                        .unwrap_or(self.s.blocked_wait);
                    reconnect(self, Some(wait), false)
                }
            },
            // The server answered the upgrade with an HTTP error that retrying cannot fix (a
            // wrong URL or organization): stop and say so.
            Cause::UpgradeRefused { status, .. } if (400..500).contains(status) && ![408, 429].contains(status) => Next::Stop,
            Cause::IdentityMismatch { .. } => Next::Stop,
            Cause::SocketClosed { .. }
            | Cause::ConnectFailed(_)
            | Cause::UpgradeRefused { .. }
            | Cause::LoginTimeout
            | Cause::Unresponsive
            | Cause::LoginRefused { .. } => reconnect(self, None, false),
        }
    }

    fn fail_waiting(&mut self, cause: &Arc<Cause>, kind: impl Fn() -> ErrorKind, why: &str) {
        for w in std::mem::take(&mut self.waiting) {
            let error = Error::with_cause(kind(), Some(why.to_owned()), Some(cause.clone()));
            self.out.push_back(Output::Resolve(w.call, Err(error)));
        }
    }
}

/// Who a login response logged in, read leniently (empty when it names no one): `customer.id`
/// for a customer, `my_profile.id` for an agent. Public for the `rtm_session` fuzz target, which
/// checks the identity rule against it.
pub fn login_identity(api: ChatApi, frame: &ResponseFrame) -> String {
    #[derive(serde::Deserialize)]
    struct Login {
        customer: Option<Id>,
        my_profile: Option<Id>,
    }
    #[derive(serde::Deserialize)]
    struct Id {
        id: Option<String>,
    }
    let login = frame.payload.as_ref().and_then(|p| serde_json::from_str::<Login>(p.get()).ok());
    let user = login.and_then(|l| match api {
        ChatApi::Agent => l.my_profile,
        _ => l.customer,
    });
    user.and_then(|u| u.id).unwrap_or_default()
}

/// The push that announces the server's close: `customer_disconnected` or `agent_disconnected`.
pub(crate) fn disconnect_push(api: ChatApi) -> &'static str {
    match api {
        ChatApi::Agent => "agent_disconnected",
        _ => "customer_disconnected",
    }
}

/// `reason` and `data` of a `customer_disconnected` or `agent_disconnected` payload, read leniently (a malformed one
/// still closes the connection; its reason is then empty, which is an unknown reason).
fn disconnect_details(payload: &str) -> (String, Option<Value>) {
    let value: Value = serde_json::from_str(payload).unwrap_or_default();
    let reason = value.get("reason").and_then(Value::as_str).unwrap_or_default().to_owned();
    (reason, value.get("data").cloned())
}

/// The policy of a disconnect reason of `api`, from the generated `DisconnectReason` (customer)
/// or `AgentDisconnectReason` (agent), each the same type in every version (their
/// `x-lc-disconnect-policy`): [`DisconnectPolicy::FOR_UNKNOWN`] for a reason it does not know.
pub(crate) fn policy_of(api: ChatApi, reason: &str) -> DisconnectPolicy {
    if api == ChatApi::Agent {
        return agent_policy_of(reason);
    }
    #[cfg(feature = "v3_6")]
    return lc_types::v3_6::customer::DisconnectReason::from(reason).policy();
    #[cfg(all(feature = "v3_7", not(feature = "v3_6")))]
    return lc_types::v3_7::customer::DisconnectReason::from(reason).policy();
    #[cfg(all(feature = "v3_5", not(any(feature = "v3_6", feature = "v3_7"))))]
    return lc_types::v3_5::customer::DisconnectReason::from(reason).policy();
}

/// [`policy_of`] for an agent's reason (no agent connection exists without feature `agent`).
fn agent_policy_of(reason: &str) -> DisconnectPolicy {
    #[cfg(all(feature = "agent", feature = "v3_6"))]
    return lc_types::v3_6::agent::AgentDisconnectReason::from(reason).policy();
    #[cfg(all(feature = "agent", feature = "v3_7", not(feature = "v3_6")))]
    return lc_types::v3_7::agent::AgentDisconnectReason::from(reason).policy();
    #[cfg(all(feature = "agent", feature = "v3_5", not(any(feature = "v3_6", feature = "v3_7"))))]
    return lc_types::v3_5::agent::AgentDisconnectReason::from(reason).policy();
    #[cfg(not(feature = "agent"))]
    {
        let _ = reason;
        DisconnectPolicy::FOR_UNKNOWN
    }
}

#[cfg(test)]
mod tests;

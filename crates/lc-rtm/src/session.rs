//! The connection as a state machine without I/O: it takes what happened (a frame, a closed
//! socket, a call, the time) and queues what to do ([`Output`](crate::session::Output)). The driver task does the I/O;
//! the unit tests below drive it with synthetic time.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use lc_types::endpoint::Backoff;
use lc_types::{limits, ApiVersion, DisconnectPolicy, Frame, PushFrame, Region, RequestFrame, ResponseError, ResponseFrame};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::event::{Cause, Connected, Disconnected, Event, Next};

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
    Emit(Event),
    /// Give this push to the event stream, to be decoded (by action and version) as it is
    /// read: `Event::Push`, or `Event::UndecodedPush` when its payload does not decode. The
    /// number is the length of the frame's text (what it weighs in the stream's byte bound).
    Push(PushFrame, usize),
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
    /// The customer ID of the first successful login (`customer.id` of its response): every
    /// later login must come back as the same customer.
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

    /// The socket is open; `login` is `login`'s payload (token included).
    pub fn opened(&mut self, now: Instant, login: Map<String, Value>) {
        let ConnectionState::Connecting { attempt } = self.state else {
            // disconnect() or destroy() came first.
            self.out.push_back(Output::Close);
            return;
        };
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
            self.emit(Event::ConnectionRecovered);
        }
        match lc_types::from_str::<Frame>(text) {
            Ok(Frame::Response(response)) => self.response(now, response, text),
            Ok(Frame::Push(push)) => self.push(now, push, text.len()),
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
    /// [`Event::UnexpectedFrame`].
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
            return self.emit(Event::UnexpectedFrame(text.to_owned()));
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
                        self.emit(Event::ConnectionUnstable);
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

    fn emit(&mut self, event: Event) {
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
            None => self.emit(Event::UnexpectedFrame(text.to_owned())),
        }
        self.pump(now);
    }

    fn login_response(&mut self, now: Instant, frame: ResponseFrame) {
        self.login_id = None;
        self.login_deadline = None;
        if frame.success {
            let customer = login_customer_id(&frame);
            match &self.identity {
                Some(expected) if *expected != customer => {
                    // Another customer than the first login: never carry on as them.
                    self.out.push_back(Output::Close);
                    let cause = Cause::IdentityMismatch {
                        expected: expected.clone(),
                        got: customer,
                    };
                    return self.dropped(now, cause, Some(Next::Stop));
                }
                Some(_) => {}
                None => self.identity = Some(customer),
            }
            self.state = ConnectionState::Active;
            // The attempt count starts over only once this connection has lived a while
            // (see `dropped`): a server that closes right after the login keeps it growing.
            self.active_since = Some(now);
            self.last_ping = now;
            let reconnect = std::mem::replace(&mut self.ever_connected, true);
            self.emit(Event::Connected(Connected { reconnect, login: frame }));
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

    fn push(&mut self, now: Instant, frame: PushFrame, bytes: usize) {
        let disconnect = (frame.action == "customer_disconnected").then(|| disconnect_details(frame.payload.get()));
        // Decoded by the reader of the event stream, in its task: the connection task only
        // reads envelopes.
        self.out.push_back(Output::Push(frame, bytes));
        if let Some((reason, data)) = disconnect {
            let chosen = self.s.policies.iter().find(|(r, _)| *r == reason);
            let policy = chosen.map_or_else(|| policy_of(&reason), |(_, p)| *p);
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
        self.emit(Event::Disconnected(Disconnected { cause, next }));
        if let Some(region) = self.region_changed.take() {
            self.emit(Event::RegionChanged(region));
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

/// `customer.id` of a login response, read leniently (empty when it has none). Public for the
/// `rtm_session` fuzz target, which checks the identity rule against it.
pub fn login_customer_id(frame: &ResponseFrame) -> String {
    #[derive(serde::Deserialize)]
    struct Login {
        customer: Option<Customer>,
    }
    #[derive(serde::Deserialize)]
    struct Customer {
        id: Option<String>,
    }
    frame
        .payload
        .as_ref()
        .and_then(|p| serde_json::from_str::<Login>(p.get()).ok())
        .and_then(|l| l.customer?.id)
        .unwrap_or_default()
}

/// `reason` and `data` of a `customer_disconnected` payload, read leniently (a malformed one
/// still closes the connection; its reason is then empty, which is an unknown reason).
fn disconnect_details(payload: &str) -> (String, Option<Value>) {
    let value: Value = serde_json::from_str(payload).unwrap_or_default();
    let reason = value.get("reason").and_then(Value::as_str).unwrap_or_default().to_owned();
    (reason, value.get("data").cloned())
}

/// The policy of a disconnect reason, from the generated `DisconnectReason` (the same type in
/// every version): [`DisconnectPolicy::FOR_UNKNOWN`] for a reason it does not know.
pub(crate) fn policy_of(reason: &str) -> DisconnectPolicy {
    #[cfg(feature = "v3_6")]
    return lc_types::v3_6::DisconnectReason::from(reason).policy();
    #[cfg(all(feature = "v3_7", not(feature = "v3_6")))]
    return lc_types::v3_7::DisconnectReason::from(reason).policy();
    #[cfg(all(feature = "v3_5", not(any(feature = "v3_6", feature = "v3_7"))))]
    return lc_types::v3_5::DisconnectReason::from(reason).policy();
}

#[cfg(test)]
mod tests {
    //! Every transition, driven with synthetic time.
    use super::*;

    const V: ApiVersion = ApiVersion::V3_6;

    fn settings() -> Settings {
        let mut s = Settings::new(V);
        s.seed = Some(1);
        s.backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2), 0.0);
        s
    }

    struct T {
        s: Session,
        t0: Instant,
        now: Instant,
    }

    impl T {
        fn new() -> T {
            T::with(settings())
        }

        fn with(settings: Settings) -> T {
            let t0 = Instant::now();
            T {
                s: Session::new(settings, t0),
                t0,
                now: t0,
            }
        }

        fn at(&mut self, ms: u64) -> Instant {
            self.now = self.t0 + Duration::from_millis(ms);
            self.now
        }

        fn outputs(&mut self) -> Vec<Output> {
            std::iter::from_fn(|| self.s.poll_output()).collect()
        }

        /// Connects and logs in; gives the outputs of the login response.
        fn active(&mut self) -> Vec<Output> {
            self.s.connect(self.now);
            assert!(matches!(
                self.outputs()[..],
                [Output::Connect {
                    fresh_token: false,
                    region: None
                }]
            ));
            self.s.opened(self.now, Map::new());
            let sent = self.sent();
            assert_eq!(sent.len(), 1);
            let id = request_id(&sent[0]);
            assert!(matches!(self.s.state(), ConnectionState::LoggingIn { attempt: 1 }));
            self.s.frame(self.now, &login_response(&id, "c1"));
            let out = self.outputs();
            assert_eq!(self.s.state(), &ConnectionState::Active);
            out
        }

        fn sent(&mut self) -> Vec<String> {
            self.outputs()
                .into_iter()
                .map(|o| match o {
                    Output::Send(text) => text,
                    other => panic!("expected a send, got {other:?}"),
                })
                .collect()
        }

        fn call(&mut self, id: CallId) {
            let frame = RequestFrame::from_parts(V, "get_customer", &Map::new(), None, V).unwrap();
            self.s.call(self.now, id, frame, None);
        }
    }

    fn request_id(text: &str) -> String {
        let v: Value = serde_json::from_str(text).unwrap();
        v["request_id"].as_str().unwrap().to_owned()
    }

    fn response(id: &str, action: &str, success: bool) -> String {
        let frame = if success {
            ResponseFrame::success(Some(id.to_owned()), action, &serde_json::json!({})).unwrap()
        } else {
            let envelope: lc_types::ErrorEnvelope =
                lc_types::from_str(r#"{"error":{"type":"authentication","message":"Invalid access token"}}"#).unwrap();
            ResponseFrame::failure(Some(id.to_owned()), action, &envelope)
        };
        serde_json::to_string(&frame).unwrap()
    }

    fn disconnected(reason: &str, data: Option<Value>) -> String {
        let mut payload = serde_json::json!({ "reason": reason });
        if let Some(d) = data {
            payload["data"] = d;
        }
        serde_json::to_string(&PushFrame::from_parts(V, "customer_disconnected", &payload, None).unwrap()).unwrap()
    }

    fn disconnect_of(out: &[Output]) -> &Disconnected {
        out.iter()
            .find_map(|o| match o {
                Output::Emit(Event::Disconnected(d)) => Some(d),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no Disconnected in {out:?}"))
    }

    #[test]
    fn connect_login_call_and_response() {
        let mut t = T::new();
        let out = t.active();
        assert!(matches!(&out[..], [Output::Emit(Event::Connected(c))] if !c.reconnect), "{out:?}");
        t.call(1);
        let sent = t.sent();
        let v: Value = serde_json::from_str(&sent[0]).unwrap();
        assert_eq!((v["action"].as_str(), v.get("version")), (Some("get_customer"), None));
        t.s.frame(t.now, &response(&request_id(&sent[0]), "get_customer", true));
        assert!(matches!(&t.outputs()[..], [Output::Resolve(1, Ok(_))]));
        assert_eq!(t.s.in_flight(), 0);
    }

    #[test]
    fn an_answer_that_is_no_response_frame_fails_its_call_at_once() {
        let mut t = T::new();
        t.active();
        t.call(1);
        t.call(2);
        let sent = t.sent();
        // A response without `action`: the call it names fails now, with the decode error.
        let id = request_id(&sent[0]);
        t.s.frame(
            t.now,
            &format!(r#"{{"request_id":"{id}","type":"response","success":true,"payload":{{}}}}"#),
        );
        let out = t.outputs();
        assert!(
            matches!(&out[..], [Output::Resolve(1, Err(e))] if matches!(e.kind(), ErrorKind::Decode(d) if d.message().contains("action"))),
            "{out:?}"
        );
        assert_eq!(t.s.in_flight(), 1, "its slot is free");
        // One that names no call on the wire is an unexpected frame, as before.
        t.s.frame(t.now, r#"{"request_id":"nobody","type":"response"}"#);
        assert!(matches!(&t.outputs()[..], [Output::Emit(Event::UnexpectedFrame(_))]));
    }

    #[test]
    fn the_eleventh_call_waits_for_a_slot() {
        let mut t = T::new();
        t.active();
        for id in 1..=11 {
            t.call(id);
        }
        let sent = t.sent();
        assert_eq!((sent.len(), t.s.in_flight()), (10, 10));
        t.s.frame(t.now, &response(&request_id(&sent[3]), "get_customer", true));
        let out = t.outputs();
        assert!(matches!(&out[0], Output::Resolve(4, Ok(_))), "{out:?}");
        assert!(matches!(&out[1], Output::Send(_)), "the 11th goes out: {out:?}");
        assert_eq!(t.s.in_flight(), 10);
    }

    #[test]
    fn calls_beyond_the_queue_bound_are_refused_at_once() {
        let mut s = settings();
        s.max_queued_calls = 3;
        let mut t = T::with(s);
        t.active();
        // 10 on the wire, 3 waiting, the 14th refused at once, unsent.
        for id in 1..=14 {
            t.call(id);
        }
        let out = t.outputs();
        let sent = out.iter().filter(|o| matches!(o, Output::Send(_))).count();
        let refused: Vec<CallId> = out
            .iter()
            .filter_map(|o| match o {
                Output::Resolve(id, Err(e)) if matches!(e.kind(), ErrorKind::QueueFull(3)) => Some(*id),
                _ => None,
            })
            .collect();
        assert_eq!((sent, refused, t.s.queued()), (10, vec![14], 3), "{out:?}");
        // While reconnecting every call waits, up to the bound.
        t.s.closed(t.now, None, "x".into());
        t.outputs();
        t.call(15);
        let out = t.outputs();
        assert!(
            matches!(&out[..], [Output::Resolve(15, Err(e))] if matches!(e.kind(), ErrorKind::QueueFull(3))),
            "{out:?}"
        );
        // None: a call goes out on a free slot, or fails.
        let mut s = settings();
        s.max_queued_calls = 0;
        let mut t = T::with(s);
        t.active();
        for id in 1..=11 {
            t.call(id);
        }
        let out = t.outputs();
        assert_eq!(out.iter().filter(|o| matches!(o, Output::Send(_))).count(), 10);
        assert!(matches!(out.last(), Some(Output::Resolve(11, Err(_)))), "{out:?}");
        assert_eq!(Settings::new(V).max_queued_calls, crate::MAX_QUEUED_CALLS);
    }

    #[test]
    fn a_closed_socket_fails_every_call_in_flight_and_schedules_a_reconnect() {
        let mut t = T::new();
        t.active();
        t.call(1);
        t.call(2);
        t.outputs();
        t.s.closed(t.now, Some(1011), "reset".into());
        let out = t.outputs();
        let lost = out
            .iter()
            .filter(|o| matches!(o, Output::Resolve(_, Err(e)) if matches!(e.kind(), ErrorKind::ConnectionLost)))
            .count();
        assert_eq!(lost, 2);
        // Each lost call says why: the close code and reason.
        assert!(out.iter().all(|o| match o {
            Output::Resolve(_, Err(e)) =>
                e.cause()
                    == Some(&Cause::SocketClosed {
                        code: Some(1011),
                        reason: "reset".into()
                    }),
            _ => true,
        }));
        let d = disconnect_of(&out);
        assert_eq!(
            d.cause,
            Cause::SocketClosed {
                code: Some(1011),
                reason: "reset".into()
            }
        );
        assert_eq!(
            d.next,
            Next::Reconnect {
                delay: Duration::from_millis(100),
                attempt: 1,
                new_token: false
            }
        );
        t.at(99);
        t.s.tick(t.now);
        assert!(t.outputs().is_empty());
        t.at(100);
        t.s.tick(t.now);
        assert!(matches!(&t.outputs()[..], [Output::Connect { fresh_token: false, .. }]));
        assert_eq!(t.s.state(), &ConnectionState::Connecting { attempt: 1 });
    }

    /// Logs in on the connection just opened (after `opened`); the outputs of the response.
    fn log_in(t: &mut T, customer: &str) -> Vec<Output> {
        let id = request_id(&t.sent()[0]);
        t.s.frame(t.now, &login_response(&id, customer));
        t.outputs()
    }

    fn login_response(id: &str, customer: &str) -> String {
        let payload = serde_json::json!({"customer": {"id": customer, "type": "customer"}, "has_active_thread": false, "chats": []});
        serde_json::to_string(&ResponseFrame::success(Some(id.to_owned()), "login", &payload).unwrap()).unwrap()
    }

    #[test]
    fn backoff_doubles_up_to_its_maximum_and_resets_after_a_connection_that_lived() {
        let mut t = T::new();
        t.active();
        let mut delays = Vec::new();
        for _ in 0..7 {
            if t.s.socket_open() {
                t.s.closed(t.now, None, "x".into());
            } else {
                t.s.connect_failed(t.now, Cause::ConnectFailed("refused".into()));
            }
            let Next::Reconnect { delay, .. } = disconnect_of(&t.outputs()).next else {
                panic!()
            };
            delays.push(delay.as_millis());
            t.now += delay;
            t.s.tick(t.now);
            t.outputs();
        }
        assert_eq!(delays, [100, 200, 400, 800, 1600, 2000, 2000]);
        t.s.opened(t.now, Map::new());
        assert!(matches!(&log_in(&mut t, "c1")[..], [Output::Emit(Event::Connected(c))] if c.reconnect));
        // It lives a ping interval: the next drop starts a new series.
        t.now += t.s.s.ping_interval;
        t.s.tick(t.now);
        t.outputs();
        t.s.closed(t.now, None, "x".into());
        assert!(
            matches!(disconnect_of(&t.outputs()).next, Next::Reconnect { attempt: 1, delay, .. } if delay == Duration::from_millis(100))
        );
    }

    /// A server that accepts every login and closes at once: the attempts count on and the
    /// delays grow to the maximum, instead of "attempt 1" after 100 ms forever.
    #[test]
    fn a_server_that_asks_for_no_wait_after_each_login_still_sees_the_backoff_grow() {
        let mut t = T::new();
        t.active();
        let mut seen = Vec::new();
        for _ in 0..6 {
            t.now += Duration::from_millis(10);
            let data = serde_json::json!({ "timeout": 0 });
            t.s.frame(t.now, &disconnected("customer_temporarily_blocked", Some(data)));
            let Next::Reconnect { delay, attempt, .. } = disconnect_of(&t.outputs()).next else {
                panic!()
            };
            seen.push((attempt, delay.as_millis()));
            t.now += delay;
            t.s.tick(t.now);
            t.outputs();
            t.s.opened(t.now, Map::new());
            log_in(&mut t, "c1");
        }
        assert_eq!(seen, [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1600), (6, 2000)]);
    }

    #[test]
    fn a_server_that_closes_right_after_each_login_sees_the_backoff_grow() {
        let mut t = T::new();
        t.active();
        let mut seen = Vec::new();
        for _ in 0..8 {
            t.now += Duration::from_millis(10); // well within a ping interval
            t.s.closed(t.now, Some(1000), String::new());
            let Next::Reconnect { delay, attempt, .. } = disconnect_of(&t.outputs()).next else {
                panic!()
            };
            seen.push((attempt, delay.as_millis()));
            t.now += delay;
            t.s.tick(t.now);
            assert_eq!(t.s.state(), &ConnectionState::Connecting { attempt });
            t.outputs();
            t.s.opened(t.now, Map::new());
            let out = log_in(&mut t, "c1");
            assert!(matches!(&out[..], [Output::Emit(Event::Connected(_))]), "{out:?}");
        }
        assert_eq!(
            seen,
            [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1600), (6, 2000), (7, 2000), (8, 2000)]
        );
        // Just short of the ping interval still counts as closing at once.
        t.now += t.s.s.ping_interval - Duration::from_millis(1);
        t.s.closed(t.now, None, "x".into());
        assert!(matches!(disconnect_of(&t.outputs()).next, Next::Reconnect { attempt: 9, .. }));
        // `connect()` by the user after a stop starts a new series.
        let mut t = T::new();
        t.active();
        t.s.closed(t.now, None, "x".into());
        t.outputs();
        t.s.disconnect(t.now);
        t.outputs();
        t.s.connect(t.now);
        assert!(matches!(&t.outputs()[..], [Output::Connect { .. }]));
        assert_eq!(t.s.state(), &ConnectionState::Connecting { attempt: 1 });
    }

    /// A token provider that gives another customer's token after a refresh: the login comes
    /// back as that customer; the client stops (no `Connected`), fails what waits, and says why.
    #[test]
    fn a_login_as_another_customer_stops_the_connection() {
        let mut t = T::new();
        t.s.connect(t.now);
        t.outputs();
        t.s.opened(t.now, Map::new());
        assert!(matches!(&log_in(&mut t, "c1")[..], [Output::Emit(Event::Connected(_))]));
        // A reconnect as the same customer is fine.
        t.s.frame(t.now, &disconnected("access_token_expired", None));
        let Next::Reconnect { delay, .. } = disconnect_of(&t.outputs()).next else {
            panic!()
        };
        t.now += delay;
        t.s.tick(t.now);
        t.outputs();
        t.s.opened(t.now, Map::new());
        assert!(matches!(&log_in(&mut t, "c1")[..], [Output::Emit(Event::Connected(c))] if c.reconnect));
        // Then another customer: a call waits for the connection meanwhile.
        t.s.frame(t.now, &disconnected("access_token_expired", None));
        let Next::Reconnect { delay, .. } = disconnect_of(&t.outputs()).next else {
            panic!()
        };
        t.call(1);
        t.now += delay;
        t.s.tick(t.now);
        t.outputs();
        t.s.opened(t.now, Map::new());
        let out = log_in(&mut t, "c2");
        assert!(matches!(out[0], Output::Close), "{out:?}");
        assert!(!out.iter().any(|o| matches!(o, Output::Emit(Event::Connected(_)))), "{out:?}");
        let mismatch = Cause::IdentityMismatch {
            expected: "c1".into(),
            got: "c2".into(),
        };
        assert!(
            out.iter()
                .any(|o| matches!(o, Output::Resolve(1, Err(e)) if matches!(e.kind(), ErrorKind::Closed) && e.cause() == Some(&mismatch))),
            "{out:?}"
        );
        let d = disconnect_of(&out);
        assert_eq!((&d.cause, d.next), (&mismatch, Next::Stop));
        assert_eq!(t.s.state(), &ConnectionState::Closed { cause: mismatch.clone() });
        assert_eq!(mismatch.refusal(), Some("identity_mismatch"));
        assert_eq!(policy_of("identity_mismatch"), DisconnectPolicy::Stop);
        // A login response without a customer ID is not the first customer either.
        let mut t = T::new();
        t.s.connect(t.now);
        t.outputs();
        t.s.opened(t.now, Map::new());
        let id = request_id(&t.sent()[0]);
        t.s.frame(t.now, &response(&id, "login", true)); // it names no customer: ""
        t.outputs();
        t.s.closed(t.now, None, "x".into());
        let Next::Reconnect { delay, .. } = disconnect_of(&t.outputs()).next else {
            panic!()
        };
        t.now += delay;
        t.s.tick(t.now);
        t.outputs();
        t.s.opened(t.now, Map::new());
        let out = log_in(&mut t, "c1");
        assert_eq!(disconnect_of(&out).next, Next::Stop);
    }

    /// One connection's end fails every waiting call with the same cause, shared, not a copy
    /// each: a `customer_disconnected` with a large `data` must not be multiplied by the
    /// number of waiting calls.
    #[test]
    fn calls_failed_by_one_disconnect_share_its_cause() {
        let mut t = T::new();
        t.s.connect(t.now);
        t.outputs();
        for id in 1..=100 {
            t.call(id);
        }
        t.s.opened(t.now, Map::new());
        t.outputs();
        let big = serde_json::json!({ "pad": "x".repeat(100_000) });
        t.s.frame(t.now, &disconnected("license_expired", Some(big)));
        let causes: Vec<*const Cause> = t
            .outputs()
            .iter()
            .filter_map(|o| match o {
                Output::Resolve(_, Err(e)) => e.cause().map(|c| c as *const Cause),
                _ => None,
            })
            .collect();
        assert_eq!(causes.len(), 100);
        assert!(causes.iter().all(|c| *c == causes[0]), "one shared cause");
    }

    /// Numbers and durations from the peer, or configured at their extremes, never overflow
    /// an `Instant` or a `Duration`.
    #[test]
    fn peer_waits_are_clamped_and_extreme_settings_do_not_panic() {
        for (timeout, want) in [
            (serde_json::json!(1e300), limits::MAX_PEER_WAIT),
            (serde_json::json!(u64::MAX), limits::MAX_PEER_WAIT),
            (serde_json::json!(-5), Duration::from_secs(300)),
            (serde_json::json!("soon"), Duration::from_secs(300)),
            (serde_json::json!(0.25), Duration::from_millis(250)),
            // Less than the backoff asks (here 100 ms): the backoff.
            (serde_json::json!(0), Duration::from_millis(100)),
        ] {
            let mut t = T::new();
            t.active();
            let data = serde_json::json!({ "timeout": timeout });
            t.s.frame(t.now, &disconnected("customer_temporarily_blocked", Some(data)));
            let next = disconnect_of(&t.outputs()).next;
            assert!(
                matches!(next, Next::Reconnect { delay, .. } if delay == want),
                "{timeout}: {next:?}"
            );
            t.now += Duration::from_secs(2 * 86_400);
            t.s.tick(t.now);
            assert!(matches!(&t.outputs()[..], [Output::Connect { .. }]), "{timeout}");
        }
        let mut s = settings();
        s.call_timeout = Duration::MAX;
        s.login_timeout = Duration::MAX;
        s.ping_interval = Duration::MAX;
        s.pong_timeout = Duration::MAX;
        s.wait_for_connection = Duration::MAX;
        s.backoff = Backoff::new(Duration::MAX, Duration::MAX, 1.0);
        let mut t = T::with(s);
        t.active();
        t.call(1);
        t.outputs();
        assert!(t.s.next_deadline().is_some());
        t.s.closed(t.now, None, "x".into());
        assert!(matches!(disconnect_of(&t.outputs()).next, Next::Reconnect { .. }));
        t.call(2);
        t.now += Duration::from_secs(86_400);
        t.s.tick(t.now);
        assert_eq!(t.s.s.dead_after(), Duration::MAX);
    }

    #[test]
    fn no_login_response_in_time_closes_and_reconnects() {
        let mut t = T::new();
        t.s.connect(t.now);
        t.s.opened(t.now, Map::new());
        t.outputs();
        t.at(29_999);
        t.s.tick(t.now);
        assert!(t.outputs().is_empty());
        t.at(30_000);
        t.s.tick(t.now);
        let out = t.outputs();
        assert!(matches!(out[0], Output::Close));
        assert_eq!(disconnect_of(&out).cause, Cause::LoginTimeout);
    }

    #[test]
    fn pings_every_interval_and_silence_makes_the_connection_unstable_then_dead() {
        let mut t = T::new();
        t.active();
        t.at(15_000);
        t.s.tick(t.now);
        let sent = t.sent();
        assert!(sent[0].contains(r#""action":"ping""#), "{sent:?}");
        // Answered: nothing else happens.
        t.s.frame(t.now, &response(&request_id(&sent[0]), "ping", true));
        assert!(t.outputs().is_empty());
        // The next ping goes unanswered.
        t.at(30_000);
        t.s.tick(t.now);
        assert_eq!(t.sent().len(), 1);
        t.at(40_000);
        t.s.tick(t.now);
        assert!(matches!(&t.outputs()[..], [Output::Emit(Event::ConnectionUnstable)]));
        // A frame: recovered.
        t.s.frame(t.now, &disconnected_free_push());
        assert!(matches!(t.outputs()[0], Output::Emit(Event::ConnectionRecovered)));
        // Silence again, past twice the pong timeout: dead.
        t.at(65_000);
        t.s.tick(t.now);
        t.outputs();
        t.at(75_000);
        t.s.tick(t.now);
        let out = t.outputs();
        assert!(matches!(out[0], Output::Close), "{out:?}");
        assert_eq!(disconnect_of(&out).cause, Cause::Unresponsive);
    }

    #[test]
    fn a_server_that_stops_reading_is_dropped_as_unresponsive_and_reconnected() {
        let mut t = T::new();
        t.active();
        t.s.unresponsive(t.now);
        let out = t.outputs();
        assert!(matches!(out[0], Output::Close), "{out:?}");
        let d = disconnect_of(&out);
        assert_eq!(d.cause, Cause::Unresponsive);
        assert!(matches!(d.next, Next::Reconnect { .. }), "{:?}", d.next);
        // Once the socket is gone, a late stall report changes nothing.
        t.s.unresponsive(t.now);
        assert!(t.outputs().is_empty());
    }

    fn disconnected_free_push() -> String {
        let payload = serde_json::json!({"unique_id": "g1"});
        serde_json::to_string(&PushFrame::from_parts(V, "greeting_accepted", &payload, None).unwrap()).unwrap()
    }

    #[test]
    fn each_disconnect_policy_decides_what_next() {
        type Case = (&'static str, Option<Value>, fn(&Next) -> bool);
        let cases: &[Case] = &[
            ("connection_evicted", None, |n| {
                matches!(n, Next::Reconnect { new_token: false, .. })
            }),
            ("access_token_expired", None, |n| {
                matches!(n, Next::Reconnect { new_token: true, .. })
            }),
            ("misdirected_connection", Some(serde_json::json!({"region": "fra"})), |n| {
                matches!(n, Next::Reconnect { .. })
            }),
            ("misdirected_connection", None, |n| *n == Next::Stop),
            // A region no region can be (it would go into every later URL): as without one.
            (
                "misdirected_connection",
                Some(serde_json::json!({"region": "fra/../x?\u{1b}"})),
                |n| *n == Next::Stop,
            ),
            (
                "customer_temporarily_blocked",
                Some(serde_json::json!({"timeout": 7})),
                |n| matches!(n, Next::Reconnect { delay, .. } if *delay == Duration::from_secs(7)),
            ),
            (
                "customer_temporarily_blocked",
                None,
                |n| matches!(n, Next::Reconnect { delay, .. } if *delay == Duration::from_secs(300)),
            ),
            (
                "a_reason_from_the_future",
                None,
                |n| matches!(n, Next::Reconnect { delay, .. } if *delay == Duration::from_secs(300)),
            ),
            ("inactivity_timeout", None, |n| *n == Next::WaitForConnect),
            ("customer_banned", None, |n| *n == Next::Stop),
            ("license_expired", None, |n| *n == Next::Stop),
        ];
        for (reason, data, want) in cases {
            let mut t = T::new();
            t.active();
            t.call(1);
            t.outputs();
            t.s.frame(t.now, &disconnected(reason, data.clone()));
            let out = t.outputs();
            assert!(
                matches!(&out[0], Output::Push(f, _) if f.action == "customer_disconnected"),
                "{reason}: {out:?}"
            );
            assert!(out.iter().any(|o| matches!(o, Output::Close)), "{reason}");
            assert!(
                out.iter()
                    .any(|o| matches!(o, Output::Resolve(1, Err(e)) if matches!(e.kind(), ErrorKind::ConnectionLost))),
                "{reason}"
            );
            let d = disconnect_of(&out);
            assert!(matches!(&d.cause, Cause::Server { reason: r, .. } if r == reason), "{reason}");
            assert!(want(&d.next), "{reason}: {:?}", d.next);
            match d.next {
                Next::Stop => {
                    t.call(2);
                    let out = t.outputs();
                    assert!(
                        matches!(&out[..], [Output::Resolve(2, Err(e))] if matches!(e.kind(), ErrorKind::Closed)),
                        "{reason}"
                    );
                }
                Next::WaitForConnect => {
                    assert_eq!(t.s.state(), &ConnectionState::Disconnected);
                    t.s.connect(t.now);
                    assert!(matches!(&t.outputs()[..], [Output::Connect { .. }]));
                }
                Next::Reconnect { delay, new_token, .. } => {
                    t.now += delay;
                    t.s.tick(t.now);
                    let out = t.outputs();
                    let region = (*reason == "misdirected_connection").then_some(Region::FRA);
                    assert!(
                        matches!(&out[..], [Output::Connect { fresh_token, region: r }] if *fresh_token == new_token && *r == region),
                        "{reason}: {out:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_misdirected_connection_announces_the_region_after_the_disconnect() {
        let mut t = T::new();
        t.active();
        t.s.frame(
            t.now,
            &disconnected("misdirected_connection", Some(serde_json::json!({"region": "fra"}))),
        );
        let out = t.outputs();
        let n = out.len();
        assert!(matches!(&out[n - 2], Output::Emit(Event::Disconnected(_))), "{out:?}");
        assert!(
            matches!(&out[n - 1], Output::Emit(Event::RegionChanged(r)) if *r == Region::FRA),
            "{out:?}"
        );
    }

    #[test]
    fn a_refused_login_refreshes_the_token_once_then_stops() {
        let mut t = T::new();
        t.s.connect(t.now);
        t.outputs();
        t.s.opened(t.now, Map::new());
        let id = request_id(&t.sent()[0]);
        t.s.frame(t.now, &response(&id, "login", false));
        let out = t.outputs();
        let d = disconnect_of(&out);
        assert!(matches!(&d.cause, Cause::LoginRefused { kind, .. } if kind == "authentication"));
        let Next::Reconnect { delay, .. } = d.next else {
            panic!("{:?}", d.next)
        };
        t.now += delay;
        t.s.tick(t.now);
        assert!(matches!(&t.outputs()[..], [Output::Connect { fresh_token: true, .. }]));
        t.s.opened(t.now, Map::new());
        let id = request_id(&t.sent()[0]);
        t.s.frame(t.now, &response(&id, "login", false));
        assert_eq!(disconnect_of(&t.outputs()).next, Next::Stop);
    }

    #[test]
    fn calls_while_reconnecting_wait_up_to_the_bound() {
        let mut s = settings();
        s.wait_for_connection = Duration::from_secs(2);
        let mut t = T::with(s);
        t.active();
        t.s.closed(t.now, None, "x".into());
        t.outputs();
        t.call(1);
        assert!(t.outputs().is_empty(), "waits");
        t.at(1_999);
        t.s.tick(t.now);
        assert!(t.outputs().iter().all(|o| !matches!(o, Output::Resolve(..))));
        t.at(2_000);
        t.s.tick(t.now);
        let out = t.outputs();
        assert!(
            out.iter()
                .any(|o| matches!(o, Output::Resolve(1, Err(e)) if matches!(e.kind(), ErrorKind::NotConnected))),
            "{out:?}"
        );
    }

    #[test]
    fn a_call_waiting_when_the_connection_comes_up_goes_out() {
        let mut t = T::new();
        t.s.connect(t.now);
        t.outputs();
        t.call(1);
        assert!(t.outputs().is_empty());
        t.s.opened(t.now, Map::new());
        let id = request_id(&t.sent()[0]);
        t.s.frame(t.now, &response(&id, "login", true));
        let out = t.outputs();
        assert!(matches!(&out[..], [Output::Emit(Event::Connected(_)), Output::Send(_)]), "{out:?}");
    }

    #[test]
    fn failing_fast_refuses_calls_while_not_connected() {
        let mut s = settings();
        s.wait_for_connection = Duration::ZERO;
        let mut t = T::with(s);
        t.s.connect(t.now);
        t.outputs();
        t.call(1);
        assert!(matches!(&t.outputs()[..], [Output::Resolve(1, Err(e))] if matches!(e.kind(), ErrorKind::NotConnected)));
    }

    #[test]
    fn a_timed_out_call_keeps_its_slot_until_the_server_gave_up_too() {
        let mut s = settings();
        s.call_timeout = Duration::from_secs(1);
        s.ping_interval = Duration::from_secs(3600);
        let mut t = T::with(s);
        t.active();
        t.call(1);
        t.outputs();
        t.at(1_000);
        t.s.tick(t.now);
        assert!(matches!(&t.outputs()[..], [Output::Resolve(1, Err(e))] if matches!(e.kind(), ErrorKind::Timeout(_))));
        assert_eq!(t.s.in_flight(), 1, "the slot is still held");
        t.at(15_000);
        t.s.tick(t.now);
        assert_eq!(t.s.in_flight(), 0);
    }

    #[test]
    fn a_late_answer_to_a_timed_out_call_is_dropped_quietly() {
        let mut s = settings();
        s.call_timeout = Duration::from_secs(1);
        let mut t = T::with(s);
        t.active();
        t.call(1);
        let id = request_id(&t.sent()[0]);
        t.at(1_000);
        t.s.tick(t.now);
        t.outputs();
        t.s.frame(t.now, &response(&id, "get_customer", true));
        assert!(t.outputs().is_empty());
        assert_eq!(t.s.in_flight(), 0);
    }

    #[test]
    fn destroy_fails_everything_for_good() {
        let mut t = T::new();
        t.active();
        t.call(1);
        t.outputs();
        t.s.destroy(t.now);
        let out = t.outputs();
        assert!(matches!(out[0], Output::Close));
        assert!(out
            .iter()
            .any(|o| matches!(o, Output::Resolve(1, Err(e)) if matches!(e.kind(), ErrorKind::ConnectionLost))));
        t.call(2);
        assert!(matches!(&t.outputs()[..], [Output::Resolve(2, Err(e))] if matches!(e.kind(), ErrorKind::Closed)));
        t.s.connect(t.now);
        assert!(t.outputs().is_empty(), "connect() after destroy() does nothing");
    }

    #[test]
    fn a_response_nobody_waits_for_and_garbage_are_reported() {
        let mut t = T::new();
        t.active();
        t.s.frame(t.now, &response("r-999", "get_customer", true));
        t.s.frame(t.now, "[1,2");
        let out = t.outputs();
        assert!(matches!(&out[..], [Output::Emit(Event::UnexpectedFrame(_)), Output::Emit(Event::UnexpectedFrame(g))] if g == "[1,2"));
    }
}

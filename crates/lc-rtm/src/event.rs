//! What the [`Events`](crate::Events) stream gives: pushes and connection events, in order.

use std::time::Duration;

use lc_types::{DecodeError, DisconnectPolicy, PushFrame, Region, ResponseFrame, VersionedPush};
use serde_json::Value;

/// One item of the event stream.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// Logged in (after the first connect, or after a reconnect).
    Connected(Connected),
    /// A push, decoded by its name and version. A push this crate does not know is here too,
    /// as the hidden unknown case of [`VersionedPush`] with its payload kept.
    Push(Box<Pushed>),
    /// A push of a known name whose payload did not decode as documented; the connection goes
    /// on. The frame and the error (JSON path, raw text) are kept.
    UndecodedPush {
        /// The push as received.
        frame: Box<PushFrame>,
        /// Why it did not decode.
        error: DecodeError,
    },
    /// A frame that is neither a push nor the response to one of our requests (not JSON, an
    /// unknown frame `type`, a response nobody waits for); kept as text.
    UnexpectedFrame(String),
    /// Nothing arrived within the expected time after a `ping`: the connection may be dead.
    /// Followed by [`Event::ConnectionRecovered`] or by a [`Event::Disconnected`].
    ConnectionUnstable,
    /// Frames arrive again after [`Event::ConnectionUnstable`].
    ConnectionRecovered,
    /// The connection closed (or could not be opened); says why and what happens next.
    Disconnected(Disconnected),
    /// The client moved to another region (after `misdirected_connection`).
    RegionChanged(Region),
}

/// A successful login.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Connected {
    /// Whether this follows an earlier connection of the same client.
    pub reconnect: bool,
    /// The login response frame; decode it with `login.decode::<v3_6::LoginResponse>()` (the
    /// version of the connection).
    pub login: ResponseFrame,
}

/// A push as received.
#[derive(Debug)]
#[non_exhaustive]
pub struct Pushed {
    /// The push, typed.
    pub push: VersionedPush,
    /// Set when one of our requests caused the push (its `request_id`).
    pub request_id: Option<String>,
}

/// Why a connection closed, and what the client does about it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Disconnected {
    /// Why.
    pub cause: Cause,
    /// What happens next.
    pub next: Next,
}

/// Why a connection closed or could not be opened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Cause {
    /// The server sent `customer_disconnected` with this reason (any string; see
    /// `DisconnectReason`) and `data`.
    Server {
        /// The reason, as sent.
        reason: String,
        /// The push's `data`, if any.
        data: Option<Value>,
        /// What the reason asks of a client.
        policy: DisconnectPolicy,
    },
    /// The socket closed or failed without a `customer_disconnected` push.
    SocketClosed(String),
    /// The socket could not be opened (connection refused, TLS, a timeout, ...); the message
    /// names the URL (never the token).
    ConnectFailed(String),
    /// The server answered the WebSocket upgrade with an HTTP error. A 4xx other than 408 and
    /// 429 (a wrong URL, path or organization) is not retried: the client stops.
    UpgradeRefused {
        /// The HTTP status.
        status: u16,
        /// What was asked and the answer's body, as far as it was read.
        message: String,
    },
    /// `login` was refused; the API's error type and message.
    LoginRefused {
        /// The error type (`authentication`, ...).
        kind: String,
        /// The message.
        message: String,
    },
    /// No login response within the login timeout.
    LoginTimeout,
    /// Nothing arrived for too long after a `ping`, or the server took none of our frames for
    /// as long (dead-connection detection).
    Unresponsive,
    /// The token provider failed; its message.
    Token(String),
    /// `disconnect()` or `destroy()` was called.
    User,
}

/// What the client does after a disconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Next {
    /// Reconnects after `delay` (attempt `attempt`, counting from 1 since the last successful
    /// login); with a fresh token when `new_token`.
    Reconnect {
        /// The wait before the attempt (backoff with jitter, or what the server asked).
        delay: Duration,
        /// The attempt number.
        attempt: u32,
        /// Whether a new token is fetched first.
        new_token: bool,
    },
    /// Stays disconnected until `connect()` is called (`inactivity_timeout`,
    /// `users_limit_reached`, `disconnect()`).
    WaitForConnect,
    /// Closed for good: reconnecting cannot help (banned, license expired, unsupported
    /// version, ...); every later call fails with `ErrorKind::Closed`. `connect()` may still
    /// be tried.
    Stop,
}

impl Cause {
    /// A short description, used in errors and logs.
    pub fn describe(&self) -> String {
        match self {
            Cause::Server { reason, .. } => format!("the server disconnected the customer: {reason}"),
            Cause::SocketClosed(why) => format!("the connection closed: {why}"),
            Cause::ConnectFailed(why) => format!("could not connect: {why}"),
            Cause::UpgradeRefused { status, message } => format!("the server refused the connection with HTTP {status}: {message}"),
            Cause::LoginRefused { kind, message } => format!("login refused: {kind}: {message}"),
            Cause::LoginTimeout => "no login response in time".to_owned(),
            Cause::Unresponsive => "the connection stopped answering".to_owned(),
            Cause::Token(why) => format!("no access token: {why}"),
            Cause::User => "disconnected on request".to_owned(),
        }
    }
}

//! What the [`Events`](crate::Events) stream gives: pushes and connection events, in order.

use std::time::Duration;

use lc_types::{DecodeError, DisconnectPolicy, PeerText, PushFrame, Region, ResponseFrame, VersionMember, VersionedPush};
use serde_json::Value;

/// One item of the [`Events`](crate::Events) stream of an RTM connection: a push, or what
/// happened to the connection (not an API chat event, which is `lc_types::v3_6::customer::Event`).
#[derive(Debug)]
#[non_exhaustive]
pub enum RtmEvent {
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
    /// Followed by [`RtmEvent::ConnectionRecovered`] or by a [`RtmEvent::Disconnected`].
    ConnectionUnstable,
    /// Frames arrive again after [`RtmEvent::ConnectionUnstable`].
    ConnectionRecovered,
    /// The connection closed (or could not be opened); says why and what happens next.
    Disconnected(Disconnected),
    /// The client moved to another region (after `misdirected_connection`).
    RegionChanged(Region),
}

impl RtmEvent {
    /// The push of this event as the push enum of the version `P` (`lc_types::v3_6::customer::AnyPush`,
    /// ...), when it is a push decoded in that version; `None` for a connection event, an
    /// undecoded push or a push of another version. A connection speaks one version, so code
    /// written for it matches its pushes once; the version is inferred from the pattern:
    ///
    /// ```
    /// # fn show(event: &lc_rtm::RtmEvent) {
    /// use lc_types::v3_6::customer::{AnyPush, Event};
    /// match event.push() {
    ///     Some(AnyPush::IncomingEvent(push)) => match &push.event {
    ///         Event::Message(message) => println!("{}: {}", push.chat_id, message.text.as_deref().unwrap_or_default()),
    ///         other => println!("a {:?} event in {}", other.tag(), push.chat_id),
    ///     },
    ///     Some(AnyPush::ChatDeactivated(push)) => println!("{} closed", push.chat_id),
    ///     Some(other) => println!("push {}", other.name()),
    ///     None => {}
    /// }
    /// # }
    /// ```
    pub fn push<P: VersionMember<VersionedPush>>(&self) -> Option<&P> {
        match self {
            RtmEvent::Push(pushed) => pushed.push.get(),
            _ => None,
        }
    }

    /// [`push`](Self::push) by value, for stream adapters (`filter_map`): the push as the push
    /// enum of the version `P`, or `None` (the event is dropped) when it is anything else.
    pub fn into_push<P: VersionMember<VersionedPush>>(self) -> Option<P> {
        match self {
            RtmEvent::Push(pushed) => pushed.push.into_version().ok(),
            _ => None,
        }
    }

    /// A rough size in bytes of what the peer put in this event (for the event stream's byte
    /// bound; a push is counted by its frame's length where it is queued).
    pub(crate) fn peer_bytes(&self) -> usize {
        match self {
            RtmEvent::Connected(c) => c.login.payload.as_ref().map_or(0, |p| p.get().len()),
            RtmEvent::UndecodedPush { frame, .. } => frame.payload.get().len(),
            RtmEvent::UnexpectedFrame(text) => text.len(),
            RtmEvent::Disconnected(d) => d.cause.peer_bytes(),
            _ => 0,
        }
    }
}

/// A successful login.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Connected {
    /// Whether this follows an earlier connection of the same client.
    pub reconnect: bool,
    /// The login response frame; decode it with `login.decode::<v3_6::customer::LoginResponse>()` (the
    /// version of the connection).
    pub login: ResponseFrame,
}

impl Connected {
    /// Whether an agent can answer the customer now, from the login response's private
    /// `__priv_dynamic_config`, as @livechat/customer-sdk's `availability` on `connected`:
    /// [`Availability::Online`] when the group watching the customer
    /// (`customer_groups.monitoring.id`) is among `online_groups_ids`, `Offline` when it is not
    /// or no group is online; `None` when the server sent no such configuration. Later
    /// changes arrive as the `groups_status_updated` push.
    ///
    /// ```
    /// # fn show(connected: &lc_rtm::Connected) {
    /// use lc_rtm::Availability;
    /// match connected.availability() {
    ///     Some(Availability::Online) => println!("an agent can answer"),
    ///     Some(_) => println!("leave a message"),
    ///     None => println!("unknown: ask `list_group_statuses`"),
    /// }
    /// # }
    /// ```
    pub fn availability(&self) -> Option<Availability> {
        #[derive(serde::Deserialize)]
        struct Login {
            #[serde(rename = "__priv_dynamic_config")]
            config: Option<DynamicConfig>,
        }
        #[derive(serde::Deserialize)]
        struct DynamicConfig {
            online_groups_ids: Option<Vec<i64>>,
            customer_groups: Option<CustomerGroups>,
        }
        #[derive(serde::Deserialize)]
        struct CustomerGroups {
            monitoring: Option<Group>,
        }
        #[derive(serde::Deserialize)]
        struct Group {
            id: i64,
        }
        let login: Login = serde_json::from_str(self.login.payload.as_ref()?.get()).ok()?;
        let config = login.config?;
        let Some(online) = config.online_groups_ids else {
            return Some(Availability::Offline);
        };
        let group = config.customer_groups?.monitoring?.id;
        Some(if online.contains(&group) {
            Availability::Online
        } else {
            Availability::Offline
        })
    }
}

/// Whether an agent can answer the customer ([`Connected::availability`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Availability {
    /// The customer's group is online: a chat started now is answered (or queued).
    Online,
    /// The customer's group is offline: a chat started now needs `continuous`, or a ticket.
    Offline,
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
///
/// The fields keep what the peer sent as it was sent; [`Cause::describe`] shows it through
/// [`PeerText`] (control characters escaped, long text cut).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Cause {
    /// The server sent `customer_disconnected` (`agent_disconnected` to an agent) with this reason (any string; see
    /// `DisconnectReason`) and `data`.
    Server {
        /// The reason, as sent.
        reason: String,
        /// The push's `data`, if any.
        data: Option<Value>,
        /// What the reason asks of a client.
        policy: DisconnectPolicy,
    },
    /// The socket closed or failed without a `customer_disconnected` (`agent_disconnected`) push.
    SocketClosed {
        /// The WebSocket close code the server sent (RFC 6455 §7.4: 1000 normal, 1011
        /// internal error, ...); `None` when it sent no Close frame or one without a code (the
        /// connection ended, or a transport error).
        code: Option<u16>,
        /// The Close frame's reason as sent (often empty), or what failed (a transport
        /// error's text) when there was no Close frame.
        reason: String,
    },
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
    /// A login came back as another customer than the first login of this client (a token
    /// provider gave another customer's token): the client stops
    /// (`identity_mismatch`, as @livechat/customer-sdk, which destroys the instance). The IDs
    /// are the login responses' `customer.id` (empty when a response had none).
    IdentityMismatch {
        /// The user (customer or agent) of the first login.
        expected: String,
        /// The user this login came back as.
        got: String,
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
    /// Reconnects after `delay` (attempt `attempt`, counting from 1 since the last connection
    /// that stayed up for a ping interval: a server that accepts the login and closes at once
    /// does not reset the count, so the delays keep growing); with a fresh token when
    /// `new_token`.
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
    /// A short description, used in errors and logs. Text from the peer (reasons, messages,
    /// bodies, IDs) is shown through [`PeerText`]: escaped and cut.
    ///
    /// ```
    /// let cause = lc_rtm::Cause::SocketClosed { code: Some(1011), reason: "boom\u{1b}[2J".into() };
    /// assert_eq!(cause.describe(), r"the connection was closed by the server with 1011 (internal error): boom\u{1b}[2J");
    /// ```
    pub fn describe(&self) -> String {
        match self {
            Cause::Server { reason, .. } => format!("the server closed the connection: {}", PeerText::new(reason)),
            Cause::SocketClosed { code: Some(code), reason } => {
                let mut s = format!("the connection was closed by the server with {code}");
                if let Some(name) = close_code_name(*code) {
                    s.push_str(&format!(" ({name})"));
                }
                if !reason.is_empty() {
                    s.push_str(&format!(": {}", PeerText::new(reason)));
                }
                s
            }
            Cause::SocketClosed { code: None, reason } => format!("the connection closed: {}", PeerText::new(reason)),
            Cause::ConnectFailed(why) => format!("could not connect: {}", PeerText::new(why)),
            Cause::UpgradeRefused { status, message } => {
                format!("the server refused the connection with HTTP {status}: {}", PeerText::new(message))
            }
            Cause::LoginRefused { kind, message } => {
                format!("login refused: {}: {}", PeerText::new(kind).max(100), PeerText::new(message))
            }
            Cause::IdentityMismatch { expected, got } => format!(
                "identity_mismatch: the login came back as `{}`, not `{}` as the first login (the token provider switched users)",
                PeerText::new(got).max(100),
                PeerText::new(expected).max(100)
            ),
            Cause::LoginTimeout => "no login response in time".to_owned(),
            Cause::Unresponsive => "the connection stopped answering".to_owned(),
            Cause::Token(why) => format!("no access token: {}", PeerText::new(why)),
            Cause::User => "disconnected on request".to_owned(),
        }
    }

    /// When the API refused the connection, its word for why: a refused login's error type
    /// (`authentication`, ...), a `customer_disconnected` push's reason (`license_not_found`,
    /// `customer_banned`, ...), or `identity_mismatch`. `None` for what is not the API's
    /// answer: a transport failure (nothing listening, TLS, a closed socket, an HTTP error on
    /// the upgrade, a timeout), the token provider, or the user. What a one-shot user needs
    /// to tell "the API said no" from "could not reach it".
    ///
    /// ```
    /// use lc_rtm::Cause;
    /// let refused = Cause::LoginRefused { kind: "authentication".into(), message: "Invalid access token".into() };
    /// assert_eq!(refused.refusal(), Some("authentication"));
    /// assert_eq!(Cause::ConnectFailed("ws://127.0.0.1:9/: refused".into()).refusal(), None);
    /// ```
    pub fn refusal(&self) -> Option<&str> {
        match self {
            Cause::Server { reason, .. } => Some(reason),
            Cause::LoginRefused { kind, .. } => Some(kind),
            Cause::IdentityMismatch { .. } => Some("identity_mismatch"),
            _ => None,
        }
    }

    /// A rough size in bytes of what the peer put in this cause (for the event stream's byte
    /// bound).
    pub(crate) fn peer_bytes(&self) -> usize {
        match self {
            Cause::Server { reason, data, .. } => reason.len() + data.as_ref().map_or(0, json_len),
            Cause::SocketClosed { reason, .. } => reason.len(),
            Cause::ConnectFailed(s) | Cause::Token(s) => s.len(),
            Cause::UpgradeRefused { message, .. } => message.len(),
            Cause::LoginRefused { kind, message } => kind.len() + message.len(),
            Cause::IdentityMismatch { expected, got } => expected.len() + got.len(),
            Cause::LoginTimeout | Cause::Unresponsive | Cause::User => 0,
        }
    }
}

/// The length of `value` as JSON text, without building the text.
pub(crate) fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// The name RFC 6455 §7.4.1 (and the IANA registry) gives a close code, if any.
fn close_code_name(code: u16) -> Option<&'static str> {
    Some(match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1007 => "invalid payload data",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "mandatory extension",
        1011 => "internal error",
        1012 => "service restart",
        1013 => "try again later",
        1014 => "bad gateway",
        _ => return None,
    })
}

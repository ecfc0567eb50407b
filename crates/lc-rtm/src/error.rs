//! [`Error`]: what a call reports when it does not give the response.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lc_types::{ApiError, DecodeError, ErrorType, ResponseError};

use crate::event::Cause;

/// The error of an [`RtmClient`](crate::RtmClient) call: a [`kind`](Error::kind) to decide on,
/// and the underlying error ([`Error::inner`]), the same shape as `lc_web::Error`.
///
/// `Display` is one line that says what happened and why (the underlying error's message);
/// [`source`](StdError::source) then continues the chain after what `Display` already said. An
/// API error reads as in `lc-web`: `API error not_found: Chat not found` (with ` (HTTP 404)`
/// over HTTP).
///
/// No part of it contains the access token. `Send + Sync + 'static`.
///
/// ```
/// use lc_rtm::{Error, ErrorKind};
/// use lc_types::ErrorType;
/// fn describe(e: &Error) -> String {
///     match (e.api_kind(), e.kind()) {
///         (Some(ErrorType::ChatInactive), _) => "the chat is over".into(),
///         (Some(_), _) => format!("the API said {}", e.api_error().map_or("", |api| api.message())),
///         (None, ErrorKind::ConnectionLost) => "the connection dropped; the call may or may not have run".into(),
///         _ if e.is_retryable() => "try again later".into(),
///         _ => e.to_string(),
///     }
/// }
/// # let _ = describe;
/// ```
///
/// When a connection's end is the reason (a call lost with its connection, a client that is
/// not connected or closed for good), [`cause`](Error::cause) says why, typed: the close code
/// and reason, the API's refusal, ... and the `Display` shows it.
#[derive(Debug)]
pub struct Error {
    /// Boxed: errors travel in `Result`s, which stay small.
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    source: Option<Box<dyn StdError + Send + Sync>>,
    /// Shared: one connection's end can fail 10,000 waiting calls, and a cause may hold what
    /// the peer sent (up to a frame).
    cause: Option<Arc<Cause>>,
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The API answered with its error envelope (type, message, data, raw payload).
    Api(ApiError),
    /// A successful answer that does not decode as the response: the JSON path and the raw text.
    Decode(DecodeError),
    /// An answer the RTM protocol does not allow (an error without the API's envelope); the
    /// source says what came.
    Protocol,
    /// The connection dropped while the request was in flight: the server may or may not have
    /// acted on it. The client reconnects by itself (unless the reason forbids it).
    /// [`Error::cause`] says why (the close code and reason, the server's disconnect reason,
    /// ...), and so does the error's `Display`.
    ConnectionLost,
    /// There was no connection to send the request on, and none came up in time (or the client
    /// is configured to fail fast while reconnecting); the request was not sent. The source
    /// says why.
    NotConnected,
    /// The connection is closed for good (a fatal disconnect reason, or `destroy()`); the
    /// request was not sent. The source says why.
    Closed,
    /// [`RtmClientBuilder::max_queued_calls`](crate::RtmClientBuilder::max_queued_calls)
    /// calls ([`MAX_QUEUED_CALLS`](crate::MAX_QUEUED_CALLS) by default) wait already for a
    /// request slot or for the connection; this one was refused at once and not sent.
    /// Retryable after a backoff (the queue drains as responses come); retrying at once in a
    /// loop only spins.
    QueueFull(usize),
    /// No response within the call timeout (the request was sent).
    Timeout(Duration),
    /// The request's API version is older than the connection's; nothing was sent.
    Version,
    /// The request did not encode (a payload that is not the action's request, a frame over
    /// the size limit); nothing was sent. The source says why.
    Encode,
    /// The call cannot be made as asked (a rating with neither score nor comment, a chat
    /// without a thread to rate, `login`); nothing was sent.
    InvalidInput,
    /// The client's configuration is invalid (a URL that does not parse, ...).
    Config,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error::build(kind, None, None)
    }

    /// `kind`, because of `source` (an error, or a message: a `String` or `&str`).
    pub(crate) fn with_source(kind: ErrorKind, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Error::build(kind, Some(source.into()), None)
    }

    /// `kind` because of `cause`, with the message `why`.
    pub(crate) fn with_cause(kind: ErrorKind, why: Option<String>, cause: Option<Arc<Cause>>) -> Self {
        Error::build(kind, why.map(Into::into), cause)
    }

    fn build(kind: ErrorKind, source: Option<Box<dyn StdError + Send + Sync>>, cause: Option<Arc<Cause>>) -> Self {
        Error {
            inner: Box::new(Inner { kind, source, cause }),
        }
    }

    /// An answer that is not the response: the API's error, or what did not decode.
    pub(crate) fn from_response(e: ResponseError) -> Self {
        match e {
            ResponseError::Api(api) => Error::new(ErrorKind::Api(api)),
            ResponseError::Decode(d) => Error::new(ErrorKind::Decode(d)),
            other => Error::with_source(ErrorKind::Protocol, other),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The kind, consuming the error.
    pub fn into_kind(self) -> ErrorKind {
        self.inner.kind
    }

    /// The underlying error, to downcast (for an API or decode error, see [`ErrorKind::Api`]
    /// and [`ErrorKind::Decode`]).
    pub fn inner(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.inner.source.as_deref()
    }

    /// Why the connection ended or could not be made, when that is what this error is about:
    /// set on [`ErrorKind::ConnectionLost`] (why the connection went), and on
    /// [`ErrorKind::NotConnected`] and [`ErrorKind::Closed`] when a connection attempt failed
    /// or the connection was closed for good by its peer (from
    /// [`RtmClient::wait_connected`](crate::RtmClient::wait_connected),
    /// [`RtmClient::wait_first_connection`](crate::RtmClient::wait_first_connection), and
    /// calls refused or failed because of it). [`Cause::refusal`] tells the API's refusal
    /// (`license_not_found`, `authentication`, ...) from a transport failure.
    ///
    /// ```
    /// fn refused_by_the_api(e: &lc_rtm::Error) -> Option<&str> {
    ///     e.cause().and_then(lc_rtm::Cause::refusal)
    /// }
    /// # let _ = refused_by_the_api;
    /// ```
    pub fn cause(&self) -> Option<&Cause> {
        self.inner.cause.as_deref()
    }

    /// The API's error, when the API answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.inner.kind {
            ErrorKind::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The API's error type (`chat_inactive`, `validation`, ...), when the API answered with
    /// an error: one match instead of two.
    pub fn api_kind(&self) -> Option<&ErrorType> {
        self.api_error().map(ApiError::kind)
    }

    /// Whether the same call may succeed later: a retryable API error type
    /// ([`ErrorType::is_retryable`]), a lost or missing connection, a timeout, a full queue of
    /// calls. Whether it is safe to send again is the caller's decision: after
    /// `ConnectionLost` or `Timeout` the server may have acted on the first one.
    pub fn is_retryable(&self) -> bool {
        match &self.inner.kind {
            ErrorKind::Api(e) => e.kind().is_retryable(),
            ErrorKind::ConnectionLost | ErrorKind::NotConnected | ErrorKind::Timeout(_) | ErrorKind::QueueFull(_) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.kind {
            // The wording of lc-types' ResponseError, and so of lc-web.
            ErrorKind::Api(e) => write!(f, "API error {e}"),
            ErrorKind::Decode(e) => write!(f, "the response does not decode: {e}"),
            ErrorKind::Protocol => f.write_str("the answer is outside the RTM protocol"),
            ErrorKind::ConnectionLost => f.write_str("the connection was lost before the response arrived"),
            ErrorKind::NotConnected => f.write_str("not connected"),
            ErrorKind::Closed => f.write_str("the connection is closed"),
            ErrorKind::QueueFull(n) => write!(
                f,
                "{n} calls wait already for a request slot or the connection; this one was not sent"
            ),
            ErrorKind::Timeout(d) => write!(f, "no response within {d:?}"),
            ErrorKind::Version => f.write_str("the request's version does not fit the connection"),
            ErrorKind::Encode => f.write_str("the request does not encode"),
            ErrorKind::InvalidInput => f.write_str("the call cannot be made as asked"),
            ErrorKind::Config => f.write_str("invalid client configuration"),
        }?;
        if let Some(source) = &self.inner.source {
            write!(f, ": {source}")?;
        }
        // The other kinds that carry a cause name it in their message already.
        match (&self.inner.kind, &self.inner.cause) {
            (ErrorKind::ConnectionLost, Some(cause)) => write!(f, ": {}", cause.describe()),
            _ => Ok(()),
        }
    }
}

impl StdError for Error {
    /// The cause after the ones `Display` shows: the underlying error's own source.
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.inner.kind {
            ErrorKind::Api(e) => e.source(),
            ErrorKind::Decode(e) => e.source(),
            _ => self.inner.source.as_deref()?.source(),
        }
    }
}

/// A response frame's payload that is an API error or does not decode (e.g. from
/// `Connected::login.decode()`), as this crate's error: `?` works on it.
impl From<ResponseError> for Error {
    fn from(e: ResponseError) -> Self {
        Error::from_response(e)
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_small_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn retryable_follows_the_kind() {
        assert!(Error::new(ErrorKind::ConnectionLost).is_retryable());
        assert!(Error::new(ErrorKind::Timeout(Duration::from_secs(1))).is_retryable());
        assert!(!Error::with_source(ErrorKind::Closed, "banned").is_retryable());
        assert!(!Error::with_source(ErrorKind::Version, "old").is_retryable());
        assert_eq!(
            Error::with_source(ErrorKind::Closed, "banned").to_string(),
            "the connection is closed: banned"
        );
        assert_eq!(
            Error::new(ErrorKind::ConnectionLost).to_string(),
            "the connection was lost before the response arrived"
        );
    }

    #[test]
    fn a_lost_connection_says_why_with_the_peer_text_escaped_and_cut() {
        let cause = Cause::SocketClosed {
            code: Some(4000),
            reason: format!("bye\u{1b}[31m{}", "x".repeat(5000)),
        };
        let e = Error::with_cause(ErrorKind::ConnectionLost, None, Some(Arc::new(cause.clone())));
        let shown = e.to_string();
        assert!(
            shown.starts_with(
                r"the connection was lost before the response arrived: the connection was closed by the server with 4000: bye\u{1b}[31mxxx"
            ),
            "{shown}"
        );
        assert!(shown.ends_with("… (4008 more bytes)") && shown.len() < 1200, "{shown}");
        assert!(!shown.contains('\u{1b}'));
        assert_eq!(e.cause(), Some(&cause), "the raw text is kept");
        let closed = Cause::SocketClosed {
            code: Some(1011),
            reason: String::new(),
        };
        assert_eq!(
            closed.describe(),
            "the connection was closed by the server with 1011 (internal error)"
        );
        let ended = Cause::SocketClosed {
            code: None,
            reason: "Connection reset\r\n".into(),
        };
        assert_eq!(ended.describe(), r"the connection closed: Connection reset\r\n");
        let refused = Cause::LoginRefused {
            kind: "authentication".into(),
            message: "no\u{7}".into(),
        };
        assert_eq!(refused.describe(), r"login refused: authentication: no\u{7}");
        let server = Cause::Server {
            reason: "\u{1b}]0;x".into(),
            data: None,
            policy: lc_types::DisconnectPolicy::Stop,
        };
        assert_eq!(server.describe(), r"the server closed the connection: \u{1b}]0;x");
    }
}

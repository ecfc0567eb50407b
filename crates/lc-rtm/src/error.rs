//! [`Error`]: what a call reports when it does not give the response.

use std::sync::Arc;
use std::time::Duration;

use lc_types::{ApiError, DecodeError, ResponseError};

use crate::Cause;

/// The error of an [`RtmClient`](crate::RtmClient) call: a [`kind`](Error::kind) to decide on.
///
/// No part of it contains the access token. `Send + Sync + 'static`.
///
/// ```
/// use lc_rtm::{Error, ErrorKind};
/// fn describe(e: &Error) -> String {
///     match e.kind() {
///         ErrorKind::Api(api) => format!("the API said {}: {}", api.kind(), api.message()),
///         ErrorKind::ConnectionLost => "the connection dropped; the call may or may not have run".into(),
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
    /// Shared: one connection's end can fail 10,000 waiting calls, and a cause may hold what
    /// the peer sent (up to a frame).
    cause: Option<Arc<Cause>>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.inner.kind)?;
        // The other kinds that carry a cause name it in their message already.
        match (&self.inner.kind, &self.inner.cause) {
            (ErrorKind::ConnectionLost, Some(cause)) => write!(f, ": {}", cause.describe()),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.inner.kind)
    }
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The API answered with its error envelope (type, message, data, raw payload).
    #[error("the API refused the request: {0}")]
    Api(ApiError),
    /// A successful answer that does not decode as the response: the JSON path and the raw text.
    #[error("the response did not decode: {0}")]
    Decode(DecodeError),
    /// The connection dropped while the request was in flight: the server may or may not have
    /// acted on it. The client reconnects by itself (unless the reason forbids it).
    /// [`Error::cause`] says why (the close code and reason, the server's disconnect reason,
    /// ...), and so does the error's `Display`.
    #[error("the connection was lost before the response arrived")]
    ConnectionLost,
    /// There was no connection to send the request on, and none came up in time (or the client
    /// is configured to fail fast while reconnecting); the request was not sent.
    #[error("not connected ({0})")]
    NotConnected(String),
    /// The connection is closed for good (a fatal disconnect reason, or `destroy()`); the
    /// request was not sent.
    #[error("the connection is closed: {0}")]
    Closed(String),
    /// [`RtmClientBuilder::max_queued_calls`](crate::RtmClientBuilder::max_queued_calls)
    /// calls ([`MAX_QUEUED_CALLS`](crate::MAX_QUEUED_CALLS) by default) wait already for a
    /// request slot or for the connection; this one was refused at once and not sent.
    /// Retryable after a backoff (the queue drains as responses come); retrying at once in a
    /// loop only spins.
    #[error("{0} calls wait already for a request slot or the connection; this one was not sent")]
    QueueFull(usize),
    /// No response within the call timeout (the request was sent).
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The request's API version is older than the connection's; nothing was sent.
    #[error("{0}")]
    Version(String),
    /// The request did not encode as JSON (no generated request type does this).
    #[error("the request did not encode: {0}")]
    Encode(String),
    /// The call cannot be made as asked (a rating with neither score nor comment, a chat
    /// without a thread to rate); nothing was sent.
    #[error("{0}")]
    InvalidInput(String),
    /// The client's configuration is invalid (a URL that does not parse, ...).
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner { kind, cause: None }),
        }
    }

    /// `kind` because of `cause`.
    pub(crate) fn with_cause(kind: ErrorKind, cause: Option<Arc<Cause>>) -> Self {
        Error {
            inner: Box::new(Inner { kind, cause }),
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

    /// Whether the same call may succeed later: a retryable API error type
    /// ([`ErrorType::is_retryable`](lc_types::ErrorType::is_retryable)), a lost or missing connection,
    /// a timeout, a full queue of calls. Whether it is safe to send again is the caller's decision: after
    /// `ConnectionLost` or `Timeout` the server may have acted on the first one.
    pub fn is_retryable(&self) -> bool {
        match &self.inner.kind {
            ErrorKind::Api(e) => e.kind().is_retryable(),
            ErrorKind::ConnectionLost | ErrorKind::NotConnected(_) | ErrorKind::Timeout(_) | ErrorKind::QueueFull(_) => true,
            _ => false,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl From<ResponseError> for Error {
    fn from(e: ResponseError) -> Self {
        match e {
            ResponseError::Api(api) => Error::new(ErrorKind::Api(api)),
            ResponseError::Decode(d) => Error::new(ErrorKind::Decode(d)),
            // An RTM frame has no HTTP status; keep what there is.
            other => Error::new(ErrorKind::Encode(other.to_string())),
        }
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
        assert!(!Error::new(ErrorKind::Closed("banned".into())).is_retryable());
        assert!(!Error::new(ErrorKind::Version("old".into())).is_retryable());
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
        let e = Error::with_cause(ErrorKind::ConnectionLost, Some(Arc::new(cause.clone())));
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
        assert_eq!(server.describe(), r"the server disconnected the customer: \u{1b}]0;x");
    }
}

//! [`Error`]: what a call reports when it does not give the response.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use lc_types::{ApiError, DecodeError, ErrorType, PeerText, ResponseError};

/// The error of a [`WebClient`](crate::WebClient) call: a [`kind`](Error::kind) to decide on,
/// and the underlying error ([`Error::inner`]).
///
/// `Display` is one line that says what happened and, except for a timeout, why (the
/// underlying error's message); [`source`](StdError::source) then continues the chain after
/// what `Display` already said, so a printer that walks the chain shows each cause once.
///
/// Text a peer sent (an API error's message, a body, a redirect's target) appears in
/// `Display` through [`PeerText`]: control characters escaped and long text cut, so an error
/// printed to a terminal or a log stays one bounded line. The accessors ([`ApiError::message`],
/// [`ApiError::raw`], the `body` of [`ErrorKind::Status`], ...) keep the text whole.
///
/// No part of it (kind, message, source) contains the access token.
///
/// ```
/// use lc_web::{Error, ErrorKind};
/// fn describe(e: &Error) -> String {
///     match e.kind() {
///         ErrorKind::Api(api) => format!("the API said {}", api.kind()),
///         ErrorKind::Timeout(_) => "too slow".into(),
///         _ if e.is_retryable() => "try again later".into(),
///         _ => e.to_string(),
///     }
/// }
/// # let _ = describe;
/// ```
#[derive(Debug)]
pub struct Error {
    /// Boxed: errors travel in `Result`s, which stay small.
    inner: Box<Inner>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// What an [`Error`] holds besides its source.
#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    /// The wait the server asked for with the answer reported (`Retry-After`), clamped.
    retry_after: Option<Duration>,
    /// The requests the call sent.
    attempts: u32,
    /// Why the call stopped there, when its time budget decided.
    end: End,
}

/// How the time budget of the call ended it, for `Display`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum End {
    /// The budget had no say (or the error did not come from a call).
    #[default]
    Plain,
    /// The server asked for a longer wait (`Retry-After`) than the budget had `left`.
    WaitOverBudget {
        /// What was left of the budget.
        left: Duration,
    },
    /// The budget (`budget` long) ran out: the last attempt was cut to it, or no time was
    /// left for another.
    BudgetSpent {
        /// The call's budget, [`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed).
        budget: Duration,
    },
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The API answered with its error envelope: type, message, data, HTTP status and the raw
    /// body ([`ApiError`]).
    Api(ApiError),
    /// A successful answer that does not decode as the response: the JSON path and the raw
    /// body ([`DecodeError`]).
    Decode(DecodeError),
    /// A failed HTTP answer without the API's error envelope (a proxy's error page, ...).
    Status {
        /// The HTTP status.
        status: u16,
        /// The body as received.
        body: String,
    },
    /// The request could not be sent or its answer not read (connection refused or reset,
    /// TLS, ...); the source is the transport's error.
    Transport {
        /// Whether the connection failed before the request was sent, so the server cannot
        /// have acted on it.
        connect: bool,
    },
    /// No answer within the request timeout: the time the last attempt waited (its timeout,
    /// or less when the call's [budget](crate::RetryPolicy::max_elapsed) had less left).
    /// `Display` names the budget and the attempts when there were several or the budget cut
    /// the last one ([`Error::attempts`]).
    Timeout(Duration),
    /// The file is larger than the upload limit; nothing was sent.
    TooLarge {
        /// The file's size in bytes.
        len: u64,
        /// The limit ([`lc_types::limits::MAX_UPLOAD_BYTES`]).
        limit: u64,
    },
    /// The answer's body is larger than the client reads
    /// ([`WebClientBuilder::max_response_bytes`](crate::WebClientBuilder::max_response_bytes),
    /// [`MAX_RESPONSE_BYTES`](crate::MAX_RESPONSE_BYTES) by default): its `Content-Length`
    /// announced more, or more arrived. Not retried, and not retryable: the same answer would
    /// come again. The server may have acted on the request. An error answer (any status
    /// other than 2xx) over the limit ends here too, unread: no retry after a 503, no token
    /// refresh after a 401, no region switch; `status` tells what it was.
    ResponseTooLarge {
        /// The HTTP status of the answer.
        status: u16,
        /// The limit in bytes.
        limit: u64,
    },
    /// The answer was a redirect (HTTP 3xx with a `Location`) the client does not follow: to
    /// another origin (scheme, host or port) than the request's, or past
    /// [`MAX_REDIRECTS`](crate::MAX_REDIRECTS) within it. A client of an API takes its answers from the API's
    /// origin only, so nothing was sent to the target (the token least of all). Not retried.
    /// A client given with
    /// [`WebClientBuilder::http_client`](crate::WebClientBuilder::http_client) follows that
    /// client's redirect policy; what it does not follow ends here too.
    Redirect {
        /// The HTTP status (301, 302, 303, 307, 308, ...).
        status: u16,
        /// The `Location` header as received (lossily decoded when it is not UTF-8).
        location: String,
    },
    /// The call was cancelled with a [`CancelHandle`](crate::CancelHandle).
    Cancelled,
    /// The token provider failed; the source says why.
    Token,
    /// The request did not encode as JSON (no generated request type does this).
    Encode,
    /// Reading the file to upload failed.
    Io,
    /// The client's configuration is invalid (a URL, header or proxy that does not parse); the
    /// source says what.
    Config,
}

impl Error {
    fn boxed(kind: ErrorKind) -> Box<Inner> {
        Box::new(Inner {
            kind,
            retry_after: None,
            attempts: 0,
            end: End::Plain,
        })
    }

    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error {
            inner: Error::boxed(kind),
            source: None,
        }
    }

    pub(crate) fn with_source(kind: ErrorKind, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Error {
            inner: Error::boxed(kind),
            source: Some(source.into()),
        }
    }

    /// The same error, with the `Retry-After` of the answer it reports.
    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        self.inner.retry_after = wait;
        self
    }

    /// The same error, with how the call's budget ended it.
    pub(crate) fn with_end(mut self, end: End) -> Self {
        self.inner.end = end;
        self
    }

    /// The same error, from a call that sent `attempts` requests.
    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The kind, consuming the error.
    pub fn into_kind(self) -> ErrorKind {
        self.inner.kind
    }

    /// How long the server asked to wait before trying again, when the answer this error
    /// reports carried a `Retry-After` in seconds (at most
    /// [`MAX_PEER_WAIT`](lc_types::limits::MAX_PEER_WAIT), one day: a longer one is cut to
    /// it). When the wait was longer than what was left of the call's
    /// [budget](crate::RetryPolicy::max_elapsed), the call failed at once instead of waiting,
    /// and `Display` says so.
    ///
    /// ```
    /// # async fn run(client: lc_web::WebClient) {
    /// use lc_types::v3_6::customer::GetCustomerRequest;
    /// if let Err(e) = client.call(&GetCustomerRequest::default()).await {
    ///     if let Some(wait) = e.retry_after() {
    ///         println!("busy; try again in {} s", wait.as_secs());
    ///     }
    /// }
    /// # }
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// How many requests the call sent (retries included; 0 when it failed before sending
    /// one, e.g. on a [`ErrorKind::Config`] or [`ErrorKind::TooLarge`] error).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The underlying error (a `reqwest::Error`, an `std::io::Error`, the
    /// [`TokenError`](lc_types::auth::TokenError), ...), to downcast; for an API or decode
    /// error, see [`ErrorKind::Api`] and [`ErrorKind::Decode`].
    pub fn inner(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.source.as_deref()
    }

    /// Whether `Display` includes the underlying error's message (all kinds but a timeout).
    fn shows_inner(&self) -> bool {
        !matches!(self.inner.kind, ErrorKind::Timeout(_))
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
    ///
    /// ```
    /// # async fn run(client: lc_web::WebClient) {
    /// use lc_types::{v3_6::customer::GetCustomerRequest, ErrorType};
    /// match client.call(&GetCustomerRequest::default()).await {
    ///     Err(e) if e.api_kind() == Some(&ErrorType::Authentication) => println!("log in again"),
    ///     other => println!("{other:?}"),
    /// }
    /// # }
    /// ```
    pub fn api_kind(&self) -> Option<&ErrorType> {
        self.api_error().map(ApiError::kind)
    }

    /// Whether the same call may succeed later, after a backoff: a retryable API error type
    /// ([`ErrorType::is_retryable`](lc_types::ErrorType::is_retryable)), a transport failure, a
    /// timeout, or HTTP 429/502/503/504 without an envelope. The client has already retried
    /// what its [`RetryPolicy`](crate::RetryPolicy) allows; this says whether trying again
    /// later makes sense. Whether repeating the action is safe is another question (see
    /// [`WebAction::IDEMPOTENT`](lc_types::WebAction::IDEMPOTENT)).
    pub fn is_retryable(&self) -> bool {
        match &self.inner.kind {
            ErrorKind::Api(e) => e.kind().is_retryable(),
            ErrorKind::Status { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            ErrorKind::Transport { .. } | ErrorKind::Timeout(_) => true,
            _ => false,
        }
    }

    pub(crate) fn from_response(e: ResponseError) -> Self {
        match e {
            ResponseError::Api(e) => Error::new(ErrorKind::Api(e)),
            ResponseError::Decode(e) => Error::new(ErrorKind::Decode(e)),
            ResponseError::Status { status, body } => Error::new(ErrorKind::Status { status, body }),
            other => Error::new(ErrorKind::Status {
                status: other.status().unwrap_or(0),
                body: other.raw().to_owned(),
            }),
        }
    }

    /// A reqwest error, without its URL (which holds the organization ID, never a token, but
    /// stays out of messages anyway).
    pub(crate) fn transport(e: reqwest::Error, timeout: Duration) -> Self {
        if e.is_timeout() {
            return Error::with_source(ErrorKind::Timeout(timeout), e.without_url());
        }
        let connect = e.is_connect();
        Error::with_source(ErrorKind::Transport { connect }, e.without_url())
    }
}

/// A duration as people read it: `9.7 s`, `30 s`, `800 ms`.
pub(crate) struct Secs(pub Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < Duration::from_secs(1) {
            return write!(f, "{} ms", self.0.as_millis());
        }
        let tenths = (self.0.as_millis() + 50) / 100;
        match tenths % 10 {
            0 => write!(f, "{} s", tenths / 10),
            t => write!(f, "{}.{t} s", tenths / 10),
        }
    }
}

/// The characters of a body, a path or a `Location` shown by `Display`.
const SHOWN: usize = 200;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = self.inner.attempts;
        match &self.inner.kind {
            ErrorKind::Api(e) => write!(f, "API error {e}"),
            // The wording of lc-types' ResponseError, and so of lc-rtm.
            ErrorKind::Decode(e) => write!(f, "the response does not decode: {e}"),
            ErrorKind::Status { status, body } => {
                // The wording of lc-types' ResponseError.
                write!(f, "HTTP {status} without an API error envelope: {}", PeerText::new(body).max(SHOWN))
            }
            ErrorKind::Transport { connect: true } => f.write_str("could not connect to the API"),
            ErrorKind::Transport { connect: false } => f.write_str("the HTTP exchange with the API failed"),
            ErrorKind::Timeout(d) => match self.inner.end {
                End::BudgetSpent { budget } => {
                    let s = if attempts == 1 { "" } else { "s" };
                    write!(
                        f,
                        "timed out: no answer within the call's {} budget ({attempts} attempt{s}; the last one waited {})",
                        Secs(budget),
                        Secs(*d)
                    )
                }
                _ if attempts > 1 => write!(f, "timed out: no answer in {attempts} attempts (the last one waited {})", Secs(*d)),
                _ => write!(f, "timed out: no answer within {}", Secs(*d)),
            },
            ErrorKind::Redirect { status, location } => write!(
                f,
                "the API answered HTTP {status}, a redirect to {}, which is not followed (only redirects within the API's origin are, at most {})",
                PeerText::new(location).max(SHOWN),
                crate::MAX_REDIRECTS
            ),
            ErrorKind::TooLarge { len, limit } => write!(f, "the file has {len} bytes, more than the {limit} the API accepts"),
            ErrorKind::ResponseTooLarge { status, limit } => {
                write!(f, "the answer (HTTP {status}) is larger than the {limit} bytes the client reads")
            }
            ErrorKind::Cancelled => f.write_str("the call was cancelled"),
            ErrorKind::Token => f.write_str("the token provider failed"),
            ErrorKind::Encode => f.write_str("the request does not encode"),
            ErrorKind::Io => f.write_str("reading the file to upload failed"),
            ErrorKind::Config => f.write_str("invalid client configuration"),
        }?;
        if let Some(source) = &self.source {
            if self.shows_inner() {
                write!(f, ": {source}")?;
            }
        }
        if let (End::WaitOverBudget { left }, Some(wait)) = (self.inner.end, self.inner.retry_after) {
            write!(
                f,
                "; the server asked to wait {}, more than the {} left of the call's budget",
                Secs(wait),
                Secs(left)
            )?;
        }
        Ok(())
    }
}

impl StdError for Error {
    /// The cause after the ones `Display` shows: the underlying error's own source (its
    /// message is in `Display` already), or, for a timeout, the underlying error.
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.inner.kind {
            ErrorKind::Api(e) => e.source(),
            ErrorKind::Decode(e) => e.source(),
            _ => {
                let inner = self.source.as_deref()?;
                if self.shows_inner() {
                    inner.source()
                } else {
                    Some(inner as &(dyn StdError + 'static))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_static<T: Send + Sync + 'static>() {}

    #[test]
    fn error_is_send_sync_static_and_small() {
        assert_send_sync_static::<Error>();
        assert_send_sync_static::<ErrorKind>();
        assert!(std::mem::size_of::<Error>() <= 24, "{}", std::mem::size_of::<Error>());
    }

    #[test]
    fn durations_read_as_people_read_them() {
        let shown = |ms: u64| Secs(Duration::from_millis(ms)).to_string();
        assert_eq!(
            [
                shown(0),
                shown(800),
                shown(1000),
                shown(9_700),
                shown(9_749),
                shown(30_000),
                shown(86_400_000)
            ],
            ["0 ms", "800 ms", "1 s", "9.7 s", "9.7 s", "30 s", "86400 s"]
        );
        assert_eq!(
            Secs(Duration::MAX).to_string(),
            "18446744073709551616 s",
            "rounded, not overflowing"
        );
    }

    #[test]
    fn retryable_kinds() {
        let api = |t: &str| {
            let raw = format!(r#"{{"error":{{"type":"{t}","message":"m"}}}}"#);
            Error::from_response(lc_types::web::decode::<serde_json::Value>(400, raw.as_bytes()).unwrap_err())
        };
        assert!(api("service_unavailable").is_retryable());
        assert!(!api("validation").is_retryable());
        assert!(Error::new(ErrorKind::Timeout(Duration::from_secs(1))).is_retryable());
        assert!(!Error::new(ErrorKind::Cancelled).is_retryable());
        let status = |s| {
            Error::new(ErrorKind::Status {
                status: s,
                body: String::new(),
            })
        };
        assert!(status(503).is_retryable());
        assert!(!status(404).is_retryable());
        assert_eq!(api("validation").to_string(), "API error validation: m (HTTP 400)");
        assert!(api("validation").api_error().is_some());
        assert!(api("validation").api_error().is_some());
    }

    /// `Display` and the messages of the `source` chain, in order.
    fn chain(e: &Error) -> Vec<String> {
        let mut all = vec![e.to_string()];
        let mut next = StdError::source(e);
        while let Some(s) = next {
            all.push(s.to_string());
            next = s.source();
        }
        all
    }

    #[test]
    fn a_chain_shows_each_cause_once() {
        let api = Error::from_response(
            lc_types::web::decode::<serde_json::Value>(400, br#"{"error":{"type":"validation","message":"m"}}"#).unwrap_err(),
        );
        let io = std::io::Error::other("disk on fire");
        let token = Error::with_source(ErrorKind::Token, lc_types::auth::TokenError::with_source("backend down", io));
        let timeout = Error::with_source(
            ErrorKind::Timeout(Duration::from_millis(800)),
            std::io::Error::other("deadline has elapsed"),
        );
        for e in [&api, &token, &timeout] {
            let all = chain(e);
            for pair in all.windows(2) {
                assert!(!pair[0].contains(&pair[1]), "printed twice: {all:?}");
            }
        }
        assert_eq!(chain(&token), ["the token provider failed: backend down", "disk on fire"]);
        assert!(token.inner().is_some_and(|e| e.is::<lc_types::auth::TokenError>()));
        assert_eq!(chain(&timeout), ["timed out: no answer within 800 ms", "deadline has elapsed"]);
    }
}

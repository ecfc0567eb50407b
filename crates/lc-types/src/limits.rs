//! The numeric rules of the protocol (reference §5.2 and §5.5), in one place.
//!
//! Clients pace themselves with them (`lc-rtm` pings every [`PING_INTERVAL`] and keeps at most
//! [`MAX_PENDING_REQUESTS`] in flight) and `lc-mock` enforces them. The ones that bound a request
//! field are also `maxLength`/`maxItems`/`maximum` keywords in the JSON Schemas, which the mock
//! validates; the `lc-tests` crate checks that both say the same.
//!
//! ```
//! use lc_types::limits;
//! assert_eq!(limits::PING_INTERVAL.as_secs(), 15);
//! assert!(limits::PING_INTERVAL < limits::IDLE_CLOSE);
//! assert_eq!(limits::MAX_UPLOAD_BYTES, 10 * 1024 * 1024);
//! ```

use std::time::Duration;

/// An RTM connection must send `login` within this time of connecting, or the server closes it
/// (`customer_disconnected` with `connection_timeout`).
pub const LOGIN_DEADLINE: Duration = Duration::from_secs(30);

/// How often a logged-in RTM client sends `ping` (the docs ask for every 15 s).
pub const PING_INTERVAL: Duration = Duration::from_secs(15);

/// About how long the server keeps an RTM connection without any frame before it closes it with
/// `connection_timeout` (the docs say "around 30 seconds").
pub const IDLE_CLOSE: Duration = Duration::from_secs(30);

/// The server answers `request_timeout` when an action takes longer than this.
pub const SERVER_REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// At most this many requests may wait for their response on one RTM connection; the next one
/// is refused with `pending_requests_limit_reached`.
pub const MAX_PENDING_REQUESTS: usize = 10;

/// The largest file `upload_file` accepts (10 MB); a larger one is refused with
/// `entity_too_large`.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The largest `limit` of `list_chats` (chats per page).
pub const LIST_CHATS_MAX_LIMIT: usize = 25;

/// The largest `limit` of `list_threads` (threads per page), and of its `min_events_count`.
pub const LIST_THREADS_MAX_LIMIT: usize = 100;

/// The most session fields a customer can have (`set_customer_session_fields`, `login`).
pub const MAX_SESSION_FIELDS: usize = 100;

/// The longest `text` of a message event: 16 KB. The docs say "16 KB" without saying whether
/// bytes or characters; the schema's `maxLength` (and so the mock) counts characters. A client
/// that must be sure stays under this many bytes of UTF-8.
pub const MAX_MESSAGE_TEXT_LENGTH: usize = 16 * 1024;

/// The most elements of a rich message.
pub const MAX_RICH_MESSAGE_ELEMENTS: usize = 10;

/// The most buttons of one rich message element.
pub const MAX_RICH_MESSAGE_BUTTONS: usize = 13;

/// A customer has at most this many active chats.
pub const MAX_ACTIVE_CHATS: usize = 1;

/// The longest wait a peer can impose on a client: one day. A `Retry-After` header, the
/// `data.timeout` of `customer_temporarily_blocked` or any other number of seconds a server
/// sends is clamped to it by [`peer_wait`] before any arithmetic, so no value from the wire can
/// overflow an `Instant` or make a client sleep for years.
pub const MAX_PEER_WAIT: Duration = Duration::from_secs(86_400);

/// `secs` seconds asked for by a peer, as a `Duration` at most [`MAX_PEER_WAIT`]; `None` when
/// `secs` is negative or not a number (the peer asked for nothing usable).
///
/// ```
/// use std::time::Duration;
/// use lc_types::limits::{peer_wait, MAX_PEER_WAIT};
/// assert_eq!(peer_wait(1.5), Some(Duration::from_millis(1500)));
/// assert_eq!(peer_wait(9_223_372_036_854_775_807.0), Some(MAX_PEER_WAIT));
/// assert_eq!(peer_wait(f64::INFINITY), Some(MAX_PEER_WAIT));
/// assert_eq!(peer_wait(-1.0), None);
/// assert_eq!(peer_wait(f64::NAN), None);
/// ```
pub fn peer_wait(secs: f64) -> Option<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(secs.min(MAX_PEER_WAIT.as_secs_f64())))
}

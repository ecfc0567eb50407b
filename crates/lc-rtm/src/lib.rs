//! The LiveChat Customer Chat **RTM API** (WebSocket) client: a connection that stays up,
//! typed calls, and typed pushes as a `Stream`.
//!
//! - **Staying connected.** `login` after every (re)connect with the same parameters, `ping`
//!   every 15 s, dead-connection detection ([`RtmEvent::ConnectionUnstable`], then
//!   [`RtmEvent::ConnectionRecovered`] or a reconnect), and on `customer_disconnected` or a dropped
//!   socket the decision of the reason's `DisconnectPolicy`: reconnect with backoff and jitter,
//!   with a fresh token, in another region, after a wait, only on `connect()`, or never. Every
//!   decision is an [`RtmEvent::Disconnected`] saying why ([`Cause`]) and what next ([`Next`]).
//!   A reason this crate does not know waits long ([`RtmClientBuilder::blocked_wait`]) and then
//!   reconnects: it neither gives up nor hammers the server.
//! - **Calls.** [`RtmClient::call`] takes any RTM request type of `lc-types` and gives its
//!   response type. At most 10 requests are on the wire (the 11th waits for a slot, so the
//!   client never causes `pending_requests_limit_reached`); each call has a timeout; when the
//!   socket drops, every call on the wire fails at once with [`ErrorKind::ConnectionLost`].
//! - **Pushes.** Frames decode in two steps through `lc-types` (envelope, then payload by
//!   action and version), so an unknown push costs little and arrives as the unknown case of
//!   `VersionedPush`; a malformed known push arrives as [`RtmEvent::UndecodedPush`] and never
//!   breaks the connection.
//!
//! The connection logic is a state machine without I/O ([`ConnectionState`]); a small tokio
//! task does the I/O. TLS is rustls with the Mozilla roots; certificates are always verified
//! (there is no option to turn that off).
//!
//! **Secrets.** The access token goes only into the `login` frame: it is never in a `Debug` or
//! `Display` output, an error, an event or this crate's `tracing` output (a test captures a
//! failing run at TRACE level and searches for it). One thing is outside this crate's reach:
//! tungstenite writes TRACE records through the `log` crate that show every frame's bytes in
//! hex, the login frame's included; do not enable `log` at TRACE for `tungstenite` where logs
//! are kept.
//!
//! **Limits.** Frames up to [`MAX_FRAME_BYTES`] (16 MiB) are accepted; a larger one drops the
//! connection (and the client reconnects). At most 10 requests are on the wire; calls beyond
//! that, and calls made while reconnecting, wait in the client, in order, at most
//! [`MAX_QUEUED_CALLS`] (10,000; [`RtmClientBuilder::max_queued_calls`]): the next one fails at
//! once with [`ErrorKind::QueueFull`]. At most 10,000 events and [`EVENT_BUFFER_BYTES`] (64
//! MiB; a push weighs its frame's length) wait in the [`Events`] stream
//! ([`RtmClientBuilder::event_buffer`], [`RtmClientBuilder::event_buffer_bytes`]); while either
//! is reached the client stops reading the socket (an event larger than the byte bound alone
//! gets through once the stream is empty). A dropped stream (or
//! [`RtmClientBuilder::events`]`(false)`) holds nothing: pushes and events are discarded as
//! they arrive and counted ([`RtmClient::discarded_events`]). Every number of seconds a server
//! sends is clamped ([`lc_types::limits::peer_wait`], at most a day) before any arithmetic; peer
//! text in errors and [`Cause::describe`] is escaped and cut ([`lc_types::PeerText`]). Closing
//! (`disconnect()`, `destroy()`, the last handle dropped) sends a Close with status 1000 and
//! waits at most 1 s for the server's ([`RtmClient::shutdown`] awaits it).
//!
//! **Reconnecting** keeps counting attempts (and growing the backoff) until a connection has
//! lived a ping interval, and **identity**: every login must come back as the customer of the
//! first one, or the client stops ([`Cause::IdentityMismatch`]).
//!
//! ```no_run
//! use lc_rtm::{RtmEvent, RtmClient};
//! use lc_types::v3_6::StartChatRequest;
//! # async fn run() -> Result<(), lc_rtm::Error> {
//! let (client, mut events) = RtmClient::builder("my-organization-id")
//!     .token("dal:customer-access-token")
//!     .build()?;
//! let chat = client.call(&StartChatRequest::default()).await?;
//! println!("chat {} started", chat.chat_id);
//! while let Some(event) = events.next().await {
//!     if let RtmEvent::Push(push) = event {
//!         println!("{}", push.push.name());
//!     }
//! }
//! # Ok(())
//! # }
//! ```

#[cfg(not(any(feature = "v3_5", feature = "v3_6", feature = "v3_7")))]
compile_error!("lc-rtm needs at least one API version feature: v3_5, v3_6 (default) or v3_7");

mod builder;
mod channel;
mod client;
mod config;
mod customer_sdk;
mod driver;
mod error;
mod event;
mod history;
/// The connection state machine without I/O, public only for the fuzz targets and tests; not
/// part of the API (it may change in any release).
#[doc(hidden)]
pub mod session;
mod version;

pub use builder::{RtmClientBuilder, EVENT_BUFFER_BYTES};
pub use client::{Events, RtmClient};
pub use config::{CustomerProfile, CustomerProvider};
pub use customer_sdk::{Rating, RatingPart};
pub use driver::MAX_FRAME_BYTES;
pub use error::{Error, ErrorKind};
pub use event::{Availability, Cause, Connected, Disconnected, Next, Pushed, RtmEvent};
pub use history::HistoryRequest;
/// The token providers (from `lc-types`, shared with `lc-web`): a fixed token, your own async
/// function, or any [`TokenProvider`] (such as `lc_web::AccountsTokenProvider`).
pub use lc_types::auth::{token_fn, AccessToken, StaticToken, TokenError, TokenProvider};
pub use session::{Backoff, ConnectionState, MAX_QUEUED_CALLS};

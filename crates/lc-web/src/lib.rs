//! The LiveChat **Customer Chat Web API** (HTTP) client: every action of every version, typed.
//!
//! [`WebClient::call`] takes any `lc-types` request with [`WebAction`](lc_types::WebAction)
//! and returns its typed response; the request type names its API version, so one client
//! mixes 3.5, 3.6 and 3.7 calls. The wire form (path, query, body, `X-Region`) and the
//! decoding of answers come from the codec in [`lc_types::web`]; this crate adds the I/O:
//! reqwest with rustls (certificates always verified unless you call
//! [`WebClientBuilder::danger_accept_invalid_certs`]), tokens, regions, timeouts and retries.
//!
//! - **Tokens**: any [`TokenProvider`] (the trait lives in
//!   `lc-types`, so `lc-rtm` shares it without depending on this crate): a static token, your
//!   own async function ([`lc_types::auth::token_fn`]), or [`AccountsTokenProvider`], which
//!   gets customer tokens from the LiveChat accounts service and renews them before they
//!   expire. On `authentication` the client drops the token, gets a new one and retries once
//!   (not when the provider gives the refused token again, as a static token does).
//! - **Regions**: `X-Region` from the token's prefix (`dal:`/`fra:`); on
//!   `misdirected_request` the client switches to `error.data.region` for that call and the
//!   ones after, and retries once.
//! - **Retries**: [`RetryPolicy`], exponential backoff with jitter, bounded in attempts and
//!   time, for retryable errors and connection failures only, and never a second send of a
//!   non-idempotent action (`send_event`, `start_chat`, ...) the server may have received.
//!   A `Retry-After` is honoured in seconds, cut to a day
//!   ([`MAX_PEER_WAIT`](lc_types::limits::MAX_PEER_WAIT)); one longer than what is left of the
//!   call's budget fails the call at once, naming the wait ([`Error::retry_after`]).
//! - **Redirects**: followed only within the API's origin, at most [`MAX_REDIRECTS`]; a
//!   redirect elsewhere is [`ErrorKind::Redirect`], saying where it pointed (nothing is sent
//!   there). The accounts service's client follows the same rule.
//! - **Uploads**: [`WebClient::upload_file`] from bytes, a path or a stream, with progress and
//!   cancellation, the 10 MB limit checked before sending; a streamed upload is never retried.
//! - **Limits**: an answer's body is read piece by piece, at most [`MAX_RESPONSE_BYTES`]
//!   (16 MiB; [`WebClientBuilder::max_response_bytes`]): a larger one, or one whose
//!   `Content-Length` announces more, fails with [`ErrorKind::ResponseTooLarge`]; a file over
//!   the API's 10 MB is refused before sending ([`ErrorKind::TooLarge`]).
//! - **Errors**: [`Error`] with [`ErrorKind`] (API error with type, message, data, status and
//!   raw body; decode error with the JSON path; transport; timeout; redirect; ...). Tokens
//!   never appear in errors, `Debug` output or logs. What a server said (messages, bodies,
//!   redirect targets) appears in `Display` escaped and cut ([`lc_types::PeerText`]); the
//!   accessors keep it whole.
//! - **Hostile servers**: no number a server sends can panic the client or make it wait past
//!   the call's budget; a region named by `misdirected_request` is taken only when it looks
//!   like one (1–32 characters of `a-z 0-9 -`).
//!
//! ```no_run
//! use lc_types::v3_6::{MessageEventInput, SendEventRequest, StartChatRequest};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), lc_web::Error> {
//! let client = lc_web::WebClient::builder("my-organization-id")
//!     .token("dal:customer-access-token")
//!     .build()?;
//! let chat = client.call(&StartChatRequest::default()).await?;
//! let sent = client
//!     .call(&SendEventRequest::new(chat.chat_id, MessageEventInput::new("Hello!")))
//!     .await?;
//! println!("sent {}", sent.event_id);
//! # Ok(()) }
//! ```

mod accounts;
mod builder;
mod client;
mod engine;
mod error;
mod response;
mod retry;
mod upload;

pub use accounts::{AccountsTokenProvider, DEFAULT_ACCOUNTS_URL};
pub use builder::WebClientBuilder;
pub use client::{ResponseMeta, WebClient, DEFAULT_TIMEOUT};
pub use error::{Error, ErrorKind};
pub use lc_types::auth::{token_fn, AccessToken, StaticToken, TokenError, TokenProvider};
/// The transport core shared with `lc-rtm`: the default origin and connect timeout, and the
/// [`Endpoint`] settings the builder takes.
pub use lc_types::endpoint::{Endpoint, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT};
pub use lc_types::web::UploadFileResponse;
pub use response::{MAX_REDIRECTS, MAX_RESPONSE_BYTES};
pub use retry::RetryPolicy;
pub use upload::{CancelHandle, Progress, Upload};

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

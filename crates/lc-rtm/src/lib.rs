#![doc = include_str!("../README.md")]

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

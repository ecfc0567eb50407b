#![doc = include_str!("../README.md")]

mod accounts;
mod bot;
mod builder;
mod client;
mod engine;
mod error;
mod response;
mod retry;
mod upload;

pub use accounts::{AccountsTokenProvider, DEFAULT_ACCOUNTS_URL};
pub use bot::BotTokenProvider;
pub use builder::WebClientBuilder;
pub use client::{ResponseMeta, WebClient, DEFAULT_TIMEOUT};
pub use error::{Error, ErrorKind};
pub use lc_types::auth::{token_fn, AccessToken, PersonalAccessToken, StaticToken, TokenError, TokenProvider};
/// The transport core shared with `lc-rtm`: the default origin and connect timeout, and the
/// [`Endpoint`] settings the builder takes.
pub use lc_types::endpoint::{Endpoint, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT};
pub use lc_types::web::UploadFileResponse;
pub use response::{MAX_REDIRECTS, MAX_RESPONSE_BYTES};
pub use retry::RetryPolicy;
pub use upload::{CancelHandle, Progress, Upload};

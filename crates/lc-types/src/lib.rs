#![doc = include_str!("../README.md")]

mod action;
mod api;
mod api_error;
pub mod auth;
#[allow(unused_macros, unused_imports)] // every macro is used by the generated modules, none when no version feature is on
mod declare;
mod decode;
mod disconnect;
pub mod endpoint;
mod error;
mod frame;
mod generated;
pub mod limits;
#[doc(hidden)]
pub mod object;
mod open;
mod peer_text;
pub mod region;
mod string_or_integer;
mod timestamp;
#[doc(hidden)]
pub mod union;
mod unknown;
mod version;
pub mod web;
#[cfg(feature = "webhooks")]
pub mod webhook;

pub use action::{Action, ActionInfo, ChatApi, ParseChatApiError, Push, PushInfo, RtmAction, VersionMember, WebAction, WebMethod};
pub use api::{api, apis, Api, CheckedRequest, DecodeFn, DecodeTypeFn};
pub use api_error::{ApiError, ResponseError};
#[doc(hidden)]
pub use decode::double_option;
pub use decode::{from_slice, from_str, from_value, DecodeError, Decoded};
pub use disconnect::DisconnectPolicy;
pub use error::{ErrorDetails, ErrorEnvelope, ErrorType};
pub use frame::{rtm_path, rtm_path_in, DecodedPush, Envelope, Frame, PushFrame, PushSubscription, RequestFrame, ResponseFrame};
#[allow(unused_imports)] // empty when no version feature is on
pub use generated::*;
#[doc(hidden)]
pub use open::PrivOwnedStr;
pub use open::{UnknownPayload, UnknownVariant};
pub use peer_text::PeerText;
pub use region::Region;
pub use string_or_integer::StringOrInteger;
pub use timestamp::{ParseTimestampError, Timestamp};
pub use unknown::PathSegment;
pub use unknown::{JsonPath, Unknown, UnknownKind, Unknowns};
pub use version::{ApiVersion, ParseApiVersionError};

//! Typed, forward-compatible structs for the LiveChat **Customer Chat API**, generated from the
//! JSON Schemas in the repository's `schema/` directory.
//!
//! One module per API version (`v3_5`, `v3_6` and `v3_7`; each behind the additive cargo feature
//! of the same name, `v3_6` on by default, `all-versions` for every one) holds every object,
//! request, response and push of that version, `impl Action` for every request, the
//! `AnyRequest`, `AnyResponse` and `AnyPush` enums that decode by action name, and the
//! `ACTIONS`/`PUSHES` tables. A type that is identical in several versions (its schema and
//! everything it refers to) is one Rust type re-exported by each of them, so
//! `v3_5::Access` and `v3_6::Access` are the same type and values move between versions as they
//! are. Request and push types stay per version, because their `Action`/`Push` impls name it.
//! RTM frames name their version; [`PushFrame::decode_any`] decodes a push in that version
//! ([`VersionedPush`]). The hand-written core beside them is small: the [`Action`],
//! [`WebAction`], [`RtmAction`] and [`Push`] traits, the wire codec without I/O (the Web API's
//! [`web::HttpRequest`] and [`web::decode`]; RTM [`Frame`]s with [`RequestFrame::encode`] and
//! [`ResponseFrame::decode`]; [`PushSubscription`] for `login`), [`Region`]s, the
//! [`ErrorEnvelope`] and the [`ApiError`]/[`ResponseError`] transports report, [`Timestamp`],
//! [`ApiVersion`], path-naming decoding ([`from_str`]) and [`Unknowns`].
//!
//! Nothing is lost: unknown fields are kept in each struct's `extra` map, unknown enum values as
//! their text, unknown union members (event types, user types, form fields) as an
//! [`UnknownVariant`] and unknown actions and pushes as an [`UnknownPayload`], both raw JSON, and
//! timestamps keep their exact text. Re-encoding a decoded value gives back the same JSON.
//!
//! ```
//! # #[cfg(feature = "v3_6")] {
//! use lc_types::v3_6::{AnyPush, Event, MessageEventInput, SendEventRequest};
//! use lc_types::{Action, Frame};
//!
//! // Decode an RTM frame in two steps: the envelope, then the payload by action.
//! let text = r#"{"version": "3.6", "action": "incoming_event", "type": "push", "payload": {
//!     "chat_id": "PJ0MRSHTDG", "thread_id": "Q20N9CKRX2",
//!     "event": {"id": "Q20N9CKRX2_1", "type": "message", "text": "Hello!",
//!               "author_id": "agent@example.com", "created_at": "2026-03-02T10:15:31.123456Z"}}}"#;
//! let Frame::Push(frame) = lc_types::from_str::<Frame>(text)? else { unreachable!() };
//! let AnyPush::IncomingEvent(push) = AnyPush::decode(&frame.action, frame.payload.get())? else {
//!     unreachable!()
//! };
//! let Event::Message(message) = &push.event else { unreachable!() };
//! assert_eq!(message.text, "Hello!");
//!
//! // Build a request: required fields in `new`, optional ones by assignment.
//! let mut request = SendEventRequest::new("PJ0MRSHTDG", MessageEventInput::new("Hi there"));
//! request.attach_to_last_thread = Some(true);
//! assert_eq!(SendEventRequest::NAME, "send_event");
//! assert_eq!(
//!     serde_json::to_string(&request)?,
//!     r#"{"attach_to_last_thread":true,"chat_id":"PJ0MRSHTDG","event":{"type":"message","text":"Hi there"}}"#
//! );
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Forward compatibility
//!
//! LiveChat adds fields, enum values, union members, actions and pushes in every version, so:
//! - every generated struct, enum and union is `#[non_exhaustive]`: a new field, value or member
//!   is not a breaking change. Build structs with `new(required fields)`, or `Default` where
//!   every field is optional, and set optional fields by assignment; `match` with a `_` arm.
//! - a catch-all never holds a known value. The case for what a version does not know is a hidden
//!   variant (`_Custom`) holding a type with private fields that only this crate's decoders build,
//!   and only for a value, tag or name they do not know (ruma's design); otherwise two equal wire
//!   values could compare unequal and a `match` on the known variant would miss one. Equality,
//!   hashing and ordering of string enums follow `as_str()`, and so do their methods (e.g.
//!   `DisconnectReason::policy()`). `_Custom` is hidden and not part of the API: code that matches
//!   it to move its content into another enum is on its own. Read the catch-all through methods,
//!   not by matching `_Custom` (a later version may know the value):
//!   - string enums: `as_str()`, `is_unknown()`; `From<&str>`, `From<String>`, `FromStr` and serde
//!     give the known variant when there is one;
//!   - unions (`Event`, `User`, `FilledFormField`, ...): `tag()`, `is_unknown()`, `as_unknown()`
//!     (an [`UnknownVariant`]);
//!   - `AnyRequest`, `AnyResponse`, `AnyPush`: `name()`, `is_unknown()`, `as_unknown()` (an
//!     [`UnknownPayload`]); [`VersionedRequest`], [`VersionedPush`]: `name()`,
//!     `is_unsupported()`, `as_unsupported()`;
//!   - [`Unknowns::unknowns`] lists all of them in a decoded value, with their JSON paths.
//! - a known member, action or push with a malformed body is a decode error naming the JSON path,
//!   never "unknown".
#![warn(missing_docs)]

mod action;
mod api;
mod api_error;
pub mod auth;
mod decode;
mod disconnect;
mod error;
mod frame;
mod generated;
pub mod limits;
#[doc(hidden)]
pub mod object;
mod open;
mod peer_text;
pub mod region;
mod timestamp;
#[doc(hidden)]
pub mod union;
mod unknown;
mod version;
pub mod web;

pub use action::{Action, ActionInfo, Push, PushInfo, RtmAction, WebAction, WebMethod};
pub use api::{api, apis, Api, CheckedRequest, DecodeFn, DecodeTypeFn};
pub use api_error::{ApiError, ResponseError};
#[doc(hidden)]
pub use decode::double_option;
pub use decode::{from_slice, from_str, from_value, DecodeError, Decoded};
pub use disconnect::DisconnectPolicy;
pub use error::{ErrorDetails, ErrorEnvelope, ErrorType};
pub use frame::{rtm_path, Frame, PushFrame, PushSubscription, RequestFrame, ResponseFrame};
#[allow(unused_imports)] // empty when no version feature is on
pub use generated::*;
#[doc(hidden)]
pub use open::PrivOwnedStr;
pub use open::{UnknownPayload, UnknownVariant};
pub use peer_text::PeerText;
pub use region::Region;
pub use timestamp::{ParseTimestampError, Timestamp};
pub use unknown::PathSegment;
pub use unknown::{JsonPath, Unknown, UnknownKind, Unknowns};
pub use version::{ApiVersion, ParseApiVersionError};

//! RTM frames: the envelopes around every WebSocket message.
//!
//! Incoming frames decode in two steps: first the envelope, with the payload kept as raw JSON
//! text ([`Frame`]); then the payload, by action, into its typed struct (e.g.
//! `lc_types::v3_6::customer::AnyPush::decode`). An unknown push costs one envelope parse and never fails.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::{ApiError, ApiVersion, DecodeError, ErrorEnvelope, Push, ResponseError, RtmAction};

/// A request sent by the customer: `{"version"?, "request_id"?, "action", "payload"}`.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::{ApiVersion, RequestFrame};
/// use lc_types::v3_6::customer::GetCustomerRequest;
/// // On a 3.6 connection a 3.6 request names no version ...
/// let frame = RequestFrame::encode(&GetCustomerRequest::default(), Some("1".into()), ApiVersion::V3_6)?;
/// assert_eq!(serde_json::to_string(&frame)?, r#"{"request_id":"1","action":"get_customer","payload":{}}"#);
/// // ... on a 3.5 connection it does.
/// let frame = RequestFrame::encode(&GetCustomerRequest::default(), None, ApiVersion::V3_5)?;
/// assert_eq!(serde_json::to_string(&frame)?, r#"{"version":"3.6","action":"get_customer","payload":{}}"#);
/// # }
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestFrame {
    /// API version of this request (3.3+); may only be at least the connection's version.
    pub version: Option<String>,
    /// Echoed back in the response (and in pushes the request causes).
    pub request_id: Option<String>,
    /// Action name.
    pub action: String,
    /// The request, as raw JSON.
    pub payload: Box<RawValue>,
    /// Envelope fields this crate does not know, kept and re-emitted.
    pub extra: Map<String, Value>,
}

/// The answer to a request: `{"request_id"?, "action", "type": "response", "success", "payload"}`.
///
/// On failure `success` is `false` and the payload is an [`ErrorEnvelope`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ResponseFrame {
    /// The `request_id` of the request.
    pub request_id: Option<String>,
    /// Action name.
    pub action: String,
    /// Whether the action succeeded.
    pub success: bool,
    /// The response or the error envelope, as raw JSON; may be absent for empty responses.
    pub payload: Option<Box<RawValue>>,
    /// Envelope fields this crate does not know, kept and re-emitted.
    pub extra: Map<String, Value>,
}

/// A push from the server: `{"version", "request_id"?, "action", "type": "push", "payload"}`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PushFrame {
    /// API version of the payload (3.3+).
    pub version: Option<String>,
    /// Set only for the requester whose request caused the push.
    pub request_id: Option<String>,
    /// Push name.
    pub action: String,
    /// The payload, as raw JSON.
    pub payload: Box<RawValue>,
    /// Envelope fields this crate does not know, kept and re-emitted.
    pub extra: Map<String, Value>,
}

/// Any RTM frame, told apart by `type` (`response`, `push`; none for requests).
///
/// ```
/// use lc_types::Frame;
/// let frame: Frame = lc_types::from_str(
///     r#"{"version":"3.6","action":"greeting_accepted","type":"push","payload":{"unique_id":"u1"}}"#,
/// ).unwrap();
/// let Frame::Push(push) = frame else { panic!() };
/// assert_eq!(push.action, "greeting_accepted");
/// assert_eq!(push.payload.get(), r#"{"unique_id":"u1"}"#);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Frame {
    /// A request (no `type`).
    Request(RequestFrame),
    /// A response.
    Response(ResponseFrame),
    /// A push.
    Push(PushFrame),
    /// A frame whose `type` this crate does not know, or that has no `action`; the raw JSON.
    Unknown(Value),
}

impl Frame {
    /// The frame's `request_id`, which matches a response (and the pushes a request caused on
    /// the requester's connection) to its request.
    ///
    /// ```
    /// let frame: lc_types::Frame = lc_types::from_str(
    ///     r#"{"request_id":"7","action":"ping","type":"response","success":true,"payload":{}}"#,
    /// ).unwrap();
    /// assert_eq!((frame.request_id(), frame.action()), (Some("7"), Some("ping")));
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Frame::Request(f) => f.request_id.as_deref(),
            Frame::Response(f) => f.request_id.as_deref(),
            Frame::Push(f) => f.request_id.as_deref(),
            Frame::Unknown(v) => v.get("request_id").and_then(Value::as_str),
        }
    }

    /// The frame's `action` (the push name, for pushes).
    pub fn action(&self) -> Option<&str> {
        match self {
            Frame::Request(f) => Some(&f.action),
            Frame::Response(f) => Some(&f.action),
            Frame::Push(f) => Some(&f.action),
            Frame::Unknown(v) => v.get("action").and_then(Value::as_str),
        }
    }
}

impl RequestFrame {
    /// The frame of `request` on a connection of version `connection` (the version in its URL):
    /// it names the request's version only where that differs. A request older than the
    /// connection is refused here, as the API would refuse it (`unsupported_version`).
    pub fn encode<R: RtmAction>(request: &R, request_id: Option<String>, connection: ApiVersion) -> Result<Self, serde_json::Error> {
        RequestFrame::from_parts(R::VERSION, R::NAME, request, request_id, connection)
    }

    /// The frame of a request known only at run time: action `action` of `version` with
    /// `payload` as the request; see [`RequestFrame::encode`].
    pub fn from_parts(
        version: ApiVersion,
        action: &str,
        payload: &impl Serialize,
        request_id: Option<String>,
        connection: ApiVersion,
    ) -> Result<Self, serde_json::Error> {
        if version < connection {
            return Err(serde::ser::Error::custom(format_args!(
                "a v{version} request cannot go over a v{connection} connection (a request's version may only be at least the connection's)"
            )));
        }
        let payload = serde_json::value::to_raw_value(payload)?;
        if !payload.get().starts_with('{') {
            return Err(serde::ser::Error::custom(format_args!(
                "the request of `{action}` is not a JSON object"
            )));
        }
        Ok(RequestFrame {
            version: (version != connection).then(|| version.to_string()),
            request_id,
            action: action.to_owned(),
            payload,
            extra: Map::new(),
        })
    }

    /// Decodes the payload as `T` (step two).
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        crate::from_str(self.payload.get())
    }

    /// Decodes the payload by action, in the version the frame names, or in `connection` (the
    /// version of the connection's URL) when it names none. See [`crate::VersionedRequest`].
    pub fn decode_any(&self, connection: ApiVersion) -> Result<crate::VersionedRequest, DecodeError> {
        self.decode_any_in(crate::ChatApi::Customer, connection)
    }

    /// [`decode_any`](Self::decode_any) for a connection of the Chat API `api` (an agent
    /// connection's requests: `ChatApi::Agent`).
    pub fn decode_any_in(&self, api: crate::ChatApi, connection: ApiVersion) -> Result<crate::VersionedRequest, DecodeError> {
        let version = version_or(&self.version, connection);
        crate::VersionedRequest::decode_in(api, &version, &self.action, self.payload.get())
    }
}

impl ResponseFrame {
    /// A successful response to `action` with `payload` (for servers).
    ///
    /// ```
    /// use lc_types::ResponseFrame;
    /// let frame = ResponseFrame::success(Some("7".into()), "ping", &serde_json::json!({}))?;
    /// assert_eq!(
    ///     serde_json::to_string(&frame)?,
    ///     r#"{"request_id":"7","action":"ping","type":"response","success":true,"payload":{}}"#
    /// );
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn success(request_id: Option<String>, action: &str, payload: &impl Serialize) -> Result<Self, serde_json::Error> {
        Ok(ResponseFrame {
            request_id,
            action: action.to_owned(),
            success: true,
            payload: Some(serde_json::value::to_raw_value(payload)?),
            extra: Map::new(),
        })
    }

    /// A failed response to `action`, with the error envelope as its payload (for servers).
    pub fn failure(request_id: Option<String>, action: &str, error: &ErrorEnvelope) -> Self {
        ResponseFrame {
            request_id,
            action: action.to_owned(),
            success: false,
            payload: Some(serde_json::value::to_raw_value(error).expect("an error envelope is JSON")),
            extra: Map::new(),
        }
    }

    /// Decodes the payload (step two): the response as `T` when `success` is true, else the API
    /// error ([`ResponseError::Api`], without an HTTP status, its raw text the payload). A
    /// payload that is neither is [`ResponseError::Decode`], with the JSON path. An absent payload
    /// reads as `{}`.
    ///
    /// ```
    /// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
    /// use lc_types::{Frame, ErrorType, ResponseError};
    /// use lc_types::v3_6::customer::GetCustomerResponse;
    /// let frame: Frame = lc_types::from_str(
    ///     r#"{"request_id":"7","action":"get_customer","type":"response","success":false,
    ///         "payload":{"error":{"type":"authentication","message":"Invalid access token"}}}"#,
    /// ).unwrap();
    /// let Frame::Response(response) = frame else { panic!() };
    /// let Err(ResponseError::Api(err)) = response.decode::<GetCustomerResponse>() else { panic!() };
    /// assert_eq!((err.kind(), err.status()), (&ErrorType::Authentication, None));
    /// # }
    /// ```
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, ResponseError> {
        let raw = self.payload.as_deref().map_or("{}", RawValue::get);
        if self.success {
            crate::from_str(raw).map_err(ResponseError::Decode)
        } else {
            let envelope: ErrorEnvelope = crate::from_str(raw).map_err(ResponseError::Decode)?;
            Err(ResponseError::Api(ApiError::new(envelope, None, raw)))
        }
    }

    /// Decodes the payload as the response of request type `R`; see [`ResponseFrame::decode`].
    pub fn decode_response<R: RtmAction>(&self) -> Result<R::Response, ResponseError> {
        self.decode()
    }
}

impl PushFrame {
    /// The frame of `push` (for servers); it names the push's version.
    ///
    /// ```
    /// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
    /// use lc_types::PushFrame;
    /// use lc_types::v3_6::customer::GreetingAcceptedPush;
    /// let push: GreetingAcceptedPush = lc_types::from_str(r#"{"unique_id":"u1"}"#).unwrap();
    /// let frame = PushFrame::encode(&push, None).unwrap();
    /// assert_eq!(
    ///     serde_json::to_string(&frame).unwrap(),
    ///     r#"{"version":"3.6","action":"greeting_accepted","type":"push","payload":{"unique_id":"u1"}}"#
    /// );
    /// assert_eq!(frame.decode::<GreetingAcceptedPush>().unwrap(), push);
    /// # }
    /// ```
    pub fn encode<P: Push>(push: &P, request_id: Option<String>) -> Result<Self, serde_json::Error> {
        PushFrame::from_parts(P::VERSION, P::NAME, push, request_id)
    }

    /// The frame of push `name` of `version` with `payload`, known only at run time.
    pub fn from_parts(
        version: ApiVersion,
        name: &str,
        payload: &impl Serialize,
        request_id: Option<String>,
    ) -> Result<Self, serde_json::Error> {
        Ok(PushFrame {
            version: Some(version.to_string()),
            request_id,
            action: name.to_owned(),
            payload: serde_json::value::to_raw_value(payload)?,
            extra: Map::new(),
        })
    }

    /// Decodes the payload as the push `P` (step two). See also `v3_6::customer::AnyPush::decode`.
    pub fn decode<P: Push>(&self) -> Result<P, DecodeError> {
        crate::from_str(self.payload.get())
    }

    /// Decodes the payload by push name, in the version the frame names (pushes carry it since
    /// 3.3), or in `connection` when it names none. A version whose cargo feature is off gives
    /// an unsupported [`crate::VersionedPush`] (`is_unsupported()`) with the payload kept.
    pub fn decode_any(&self, connection: ApiVersion) -> Result<crate::VersionedPush, DecodeError> {
        self.decode_any_in(crate::ChatApi::Customer, connection)
    }

    /// [`decode_any`](Self::decode_any) for a connection of the Chat API `api` (an agent
    /// connection's pushes: `ChatApi::Agent`).
    ///
    /// ```
    /// # #[cfg(all(feature = "v3_6", feature = "agent"))] {
    /// use lc_types::{ApiVersion, ChatApi, Frame};
    /// let text = r#"{"version":"3.6","action":"chat_unfollowed","type":"push","payload":{"chat_id":"C1"}}"#;
    /// let Frame::Push(frame) = lc_types::from_str(text).unwrap() else { panic!() };
    /// let push = frame.decode_any_in(ChatApi::Agent, ApiVersion::V3_6).unwrap();
    /// assert_eq!(push.api(), Some(ChatApi::Agent));
    /// assert!(matches!(push.get(), Some(lc_types::v3_6::agent::AnyPush::ChatUnfollowed(_))));
    /// # }
    /// ```
    pub fn decode_any_in(&self, api: crate::ChatApi, connection: ApiVersion) -> Result<crate::VersionedPush, DecodeError> {
        let version = version_or(&self.version, connection);
        crate::VersionedPush::decode_in(api, &version, &self.action, self.payload.get())
    }
}

/// What [`Frame::peek`] reads of a frame: its `type` and `action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope<'a> {
    /// `type`: `"push"`, `"response"`, ….
    pub type_: &'a str,
    /// `action`: the push name, or the action answered.
    pub action: &'a str,
}

impl Frame {
    /// The `type` and `action` of a frame, read from its text without reading its payload:
    /// when both come before `payload` (as LiveChat writes frames), as plain JSON strings
    /// (no escapes), with only strings, numbers, `true`, `false` or `null` before them. `None`
    /// otherwise, and for any text that is not such a frame: read it as a [`Frame`] then. The
    /// payload and what follows it are not looked at, so a frame `peek` reads may still fail
    /// to decode.
    ///
    /// ```
    /// use lc_types::Frame;
    /// let text = r#"{"version":"3.6","action":"incoming_event","type":"push","payload":{"chat_id":"C"}}"#;
    /// let e = Frame::peek(text).unwrap();
    /// assert_eq!((e.type_, e.action), ("push", "incoming_event"));
    /// assert_eq!(Frame::peek(r#"{"payload":{},"action":"a","type":"push"}"#), None);
    /// assert_eq!(Frame::peek(r#"{"action":"a\u0062","type":"push","payload":{}}"#), None);
    /// ```
    pub fn peek(text: &str) -> Option<Envelope<'_>> {
        let b = text.as_bytes();
        let ws = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            i
        };
        // A string without escapes at `i` (its opening quote): its text and the index after it.
        let string = |i: usize| -> Option<(&str, usize)> {
            let start = i + 1;
            let len = b.get(start..)?.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            (b[start + len] == b'"').then(|| (&text[start..start + len], start + len + 1))
        };
        let (mut type_, mut action) = (None, None);
        let mut i = ws(0);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i += 1;
        loop {
            i = ws(i);
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let (key, after) = string(i)?;
            i = ws(after);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = ws(i + 1);
            if key == "payload" {
                return Some(Envelope {
                    type_: type_?,
                    action: action?,
                });
            }
            if b.get(i) == Some(&b'"') {
                let (value, after) = string(i)?;
                let slot = match key {
                    "type" => &mut type_,
                    "action" => &mut action,
                    _ => &mut None,
                };
                if slot.replace(value).is_some() {
                    return None;
                }
                i = after;
            } else {
                // A number, `true`, `false` or `null`; anything else (an object, an array) ends the peek.
                let len = b
                    .get(i..)?
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.')))?;
                if len == 0 || matches!(key, "type" | "action") {
                    return None;
                }
                i += len;
            }
            i = ws(i);
            match b.get(i) {
                Some(b',') => i += 1,
                _ => return None,
            }
        }
    }
}

/// A push frame with its payload decoded by push name and version
/// ([`PushFrame::decode_text`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DecodedPush {
    /// Set only for the requester whose request caused the push.
    pub request_id: Option<String>,
    /// The payload, decoded by the frame's `action` in its `version` (or the connection's).
    pub push: crate::VersionedPush,
    /// Envelope fields this crate does not know, kept.
    pub extra: Map<String, Value>,
}

impl PushFrame {
    /// Decodes the text of a push frame and its payload, by push name and version, for a
    /// connection of the Chat API `api` in `connection`'s version. When the frame names its
    /// `action` and `version` before its `payload` (LiveChat writes `version`, `request_id`,
    /// `action`, `type`, `payload`) the payload is decoded where it is read, in one pass over
    /// the text; otherwise in two steps, as [`Frame`] then [`decode_any_in`](Self::decode_any_in)
    /// do, with the same result. A frame that is not a push, or a malformed payload of a known
    /// push, is the error the two steps give (the payload's path, as `decode_any_in` names it).
    ///
    /// ```
    /// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
    /// use lc_types::{ApiVersion, ChatApi, PushFrame};
    /// let text = r#"{"version":"3.6","action":"greeting_accepted","type":"push","payload":{"unique_id":"u1"}}"#;
    /// let decoded = PushFrame::decode_text(text, ChatApi::Customer, ApiVersion::V3_6).unwrap();
    /// assert_eq!((decoded.push.name(), decoded.push.version()), ("greeting_accepted", Some(ApiVersion::V3_6)));
    /// // The payload first: two steps, the same answer.
    /// let text = r#"{"payload":{"unique_id":"u1"},"version":"3.6","action":"greeting_accepted","type":"push"}"#;
    /// assert_eq!(PushFrame::decode_text(text, ChatApi::Customer, ApiVersion::V3_6).unwrap(), decoded);
    /// # }
    /// ```
    pub fn decode_text(text: &str, api: crate::ChatApi, connection: ApiVersion) -> Result<DecodedPush, DecodeError> {
        let seed = OnePass { api };
        match crate::decode::from_str_seed(text, seed) {
            Ok(Some(decoded)) => Ok(decoded),
            // Not one pass (the payload came first), or a failure: the two steps, which
            // also give the error as they name it.
            Ok(None) | Err(_) => {
                let frame: PushFrame = crate::from_str(text)?;
                let push = frame.decode_any_in(api, connection)?;
                Ok(DecodedPush {
                    request_id: frame.request_id,
                    push,
                    extra: frame.extra,
                })
            }
        }
    }
}

/// The one-pass reading of [`PushFrame::decode_text`]: `None` when the payload came before
/// the `action` or the `version` (the caller reads the frame again in two steps).
struct OnePass {
    api: crate::ChatApi,
}

impl<'de> de::DeserializeSeed<'de> for OnePass {
    type Value = Option<DecodedPush>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OnePass {
    type Value = Option<DecodedPush>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RTM push frame (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut version, mut request_id, mut action, mut type_): (Option<String>, Option<String>, Option<String>, Option<String>) =
            (None, None, None, None);
        let mut push = None;
        let mut extra = Map::new();
        while let Some(key) = map.next_key_seed(crate::union::KeySeed)? {
            match &*key {
                "version" if version.is_none() => version = Some(map.next_value()?),
                "request_id" if request_id.is_none() => request_id = Some(map.next_value()?),
                "action" if action.is_none() => action = Some(map.next_value()?),
                "type" if type_.is_none() => type_ = Some(map.next_value()?),
                "payload" if push.is_none() => match (&version, &action) {
                    (Some(v), Some(name)) => {
                        let seed = PayloadSeed {
                            api: self.api,
                            version: v,
                            name,
                        };
                        push = Some(map.next_value_seed(seed)?);
                    }
                    // Too early to know the payload's type: the two steps will.
                    _ => {
                        map.next_value::<de::IgnoredAny>()?;
                        return drain(map);
                    }
                },
                "version" | "request_id" | "action" | "type" | "payload" => return Err(de::Error::duplicate_field("frame field")),
                _ => {
                    extra.insert(key.into_owned(), map.next_value()?);
                }
            }
        }
        if type_.as_deref() != Some("push") {
            return Err(de::Error::custom("not a push frame"));
        }
        let Some(push) = push else {
            return Err(de::Error::missing_field("payload"));
        };
        Ok(Some(DecodedPush { request_id, push, extra }))
    }
}

/// Reads what is left of a frame, for nothing; `None`.
fn drain<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<DecodedPush>, A::Error> {
    while map.next_key::<de::IgnoredAny>()?.is_some() {
        map.next_value::<de::IgnoredAny>()?;
    }
    Ok(None)
}

/// A push payload read in place, by its name and version.
struct PayloadSeed<'a> {
    api: crate::ChatApi,
    version: &'a str,
    name: &'a str,
}

impl<'de> de::DeserializeSeed<'de> for PayloadSeed<'_> {
    type Value = crate::VersionedPush;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        crate::VersionedPush::deserialize_in(self.api, self.version, self.name, deserializer)
    }
}

/// The version a frame names, or the connection's when it names none.
fn version_or(named: &Option<String>, connection: ApiVersion) -> std::borrow::Cow<'_, str> {
    match named {
        Some(v) => std::borrow::Cow::Borrowed(v.as_str()),
        None => std::borrow::Cow::Owned(connection.to_string()),
    }
}

/// The envelope fields of any frame, as read.
#[derive(Default)]
struct Parts {
    version: Option<String>,
    request_id: Option<String>,
    action: Option<String>,
    type_: Option<String>,
    success: Option<bool>,
    payload: Option<Box<RawValue>>,
    extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for Parts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PartsVisitor;
        impl<'de> Visitor<'de> for PartsVisitor {
            type Value = Parts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RTM frame (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parts, A::Error> {
                let mut parts = Parts::default();
                // Keys borrowed from the input where they can be: no allocation per key.
                while let Some(key) = map.next_key_seed(crate::union::KeySeed)? {
                    let read = match &*key {
                        "version" if parts.version.is_none() => map.next_value().map(|v| parts.version = Some(v)),
                        "request_id" if parts.request_id.is_none() => map.next_value().map(|v| parts.request_id = Some(v)),
                        "action" if parts.action.is_none() => map.next_value().map(|v| parts.action = Some(v)),
                        "type" if parts.type_.is_none() => map.next_value().map(|v| parts.type_ = Some(v)),
                        "success" if parts.success.is_none() => map.next_value().map(|v| parts.success = Some(v)),
                        "payload" if parts.payload.is_none() => map.next_value().map(|v| parts.payload = Some(v)),
                        "version" | "request_id" | "action" | "type" | "success" | "payload" => {
                            return Err(de::Error::duplicate_field("frame field"))
                        }
                        _ => match map.next_value() {
                            Ok(value) => {
                                parts.extra.insert(key.clone().into_owned(), value);
                                Ok(())
                            }
                            Err(e) => Err(e),
                        },
                    };
                    // A failure inside a field names it, as the generated types do.
                    read.map_err(|e| crate::object::at(crate::decode::Step::Key(&key), e))?;
                }
                Ok(parts)
            }
        }
        deserializer.deserialize_map(PartsVisitor)
    }
}

impl Parts {
    /// The frame as a JSON value, for a frame of no known kind. Its payload, kept as raw JSON,
    /// may hold what a `Value` cannot (a number out of `f64`'s range): an error then.
    fn into_value<E: de::Error>(self) -> Result<Value, E> {
        let mut map = self.extra;
        let strings = [
            ("version", self.version),
            ("request_id", self.request_id),
            ("action", self.action),
            ("type", self.type_),
        ];
        for (k, v) in strings {
            if let Some(v) = v {
                map.insert(k.to_owned(), Value::String(v));
            }
        }
        if let Some(s) = self.success {
            map.insert("success".to_owned(), Value::Bool(s));
        }
        if let Some(p) = self.payload {
            let payload = serde_json::from_str(p.get()).map_err(|e| E::custom(format_args!("payload: {e}")))?;
            map.insert("payload".to_owned(), payload);
        }
        Ok(Value::Object(map))
    }

    /// Moves the envelope fields that this kind of frame does not have into `extra`, so that
    /// nothing is lost (e.g. a `version` on a response frame).
    fn keep_stray(&mut self, version: bool, success: bool) {
        if let Some(v) = self.version.take_if(|_| version) {
            self.extra.insert("version".to_owned(), Value::String(v));
        }
        if let Some(s) = self.success.take_if(|_| success) {
            self.extra.insert("success".to_owned(), Value::Bool(s));
        }
    }

    fn into_request<E: de::Error>(mut self) -> Result<RequestFrame, E> {
        self.keep_stray(false, true);
        Ok(RequestFrame {
            version: self.version,
            request_id: self.request_id,
            action: self.action.ok_or_else(|| E::missing_field("action"))?,
            payload: self.payload.ok_or_else(|| E::missing_field("payload"))?,
            extra: self.extra,
        })
    }

    fn into_response<E: de::Error>(mut self) -> Result<ResponseFrame, E> {
        self.keep_stray(true, false);
        Ok(ResponseFrame {
            request_id: self.request_id,
            action: self.action.ok_or_else(|| E::missing_field("action"))?,
            success: self.success.ok_or_else(|| E::missing_field("success"))?,
            payload: self.payload,
            extra: self.extra,
        })
    }

    fn into_push<E: de::Error>(mut self) -> Result<PushFrame, E> {
        self.keep_stray(false, true);
        Ok(PushFrame {
            version: self.version,
            request_id: self.request_id,
            action: self.action.ok_or_else(|| E::missing_field("action"))?,
            payload: self.payload.ok_or_else(|| E::missing_field("payload"))?,
            extra: self.extra,
        })
    }
}

impl<'de> Deserialize<'de> for RequestFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let parts = Parts::deserialize(deserializer)?;
        if let Some(t) = parts.type_ {
            return Err(de::Error::custom(format_args!("a request frame has no `type` (found `{t}`)")));
        }
        parts.into_request()
    }
}

impl<'de> Deserialize<'de> for ResponseFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let parts = Parts::deserialize(deserializer)?;
        match parts.type_.as_deref() {
            Some("response") => parts.into_response(),
            other => Err(de::Error::custom(format_args!("expected `type` \"response\", found {other:?}"))),
        }
    }
}

impl<'de> Deserialize<'de> for PushFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let parts = Parts::deserialize(deserializer)?;
        match parts.type_.as_deref() {
            Some("push") => parts.into_push(),
            other => Err(de::Error::custom(format_args!("expected `type` \"push\", found {other:?}"))),
        }
    }
}

impl<'de> Deserialize<'de> for Frame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let parts = Parts::deserialize(deserializer)?;
        match (parts.type_.as_deref(), parts.action.is_some()) {
            (Some("response"), true) => parts.into_response().map(Frame::Response),
            (Some("push"), true) => parts.into_push().map(Frame::Push),
            (None, true) => parts.into_request().map(Frame::Request),
            _ => parts.into_value().map(Frame::Unknown),
        }
    }
}

/// One envelope field's value, for writing frames.
enum Field<'a> {
    Text(&'a str),
    Flag(bool),
    Raw(&'a RawValue),
}

impl Serialize for Field<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Text(t) => serializer.serialize_str(t),
            Field::Flag(b) => serializer.serialize_bool(*b),
            Field::Raw(r) => r.serialize(serializer),
        }
    }
}

fn text(o: &Option<String>) -> Option<Field<'_>> {
    o.as_deref().map(Field::Text)
}

/// Writes the present envelope fields in order, then the unknown ones.
fn write_frame<S: Serializer>(
    serializer: S,
    fields: [(&str, Option<Field<'_>>); 5],
    extra: &Map<String, Value>,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    for (k, v) in fields {
        if let Some(v) = v {
            map.serialize_entry(k, &v)?;
        }
    }
    for (k, v) in extra {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

impl Serialize for RequestFrame {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = [
            ("version", text(&self.version)),
            ("request_id", text(&self.request_id)),
            ("action", Some(Field::Text(&self.action))),
            ("payload", Some(Field::Raw(&self.payload))),
            ("", None),
        ];
        write_frame(serializer, fields, &self.extra)
    }
}

impl Serialize for ResponseFrame {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = [
            ("request_id", text(&self.request_id)),
            ("action", Some(Field::Text(&self.action))),
            ("type", Some(Field::Text("response"))),
            ("success", Some(Field::Flag(self.success))),
            ("payload", self.payload.as_deref().map(Field::Raw)),
        ];
        write_frame(serializer, fields, &self.extra)
    }
}

impl Serialize for PushFrame {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = [
            ("version", text(&self.version)),
            ("request_id", text(&self.request_id)),
            ("action", Some(Field::Text(&self.action))),
            ("type", Some(Field::Text("push"))),
            ("payload", Some(Field::Raw(&self.payload))),
        ];
        write_frame(serializer, fields, &self.extra)
    }
}

impl Serialize for Frame {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Frame::Request(f) => f.serialize(serializer),
            Frame::Response(f) => f.serialize(serializer),
            Frame::Push(f) => f.serialize(serializer),
            Frame::Unknown(v) => v.serialize(serializer),
        }
    }
}

/// The path and query of the RTM WebSocket of `version`:
/// `/v3.6/customer/rtm/ws?organization_id=…` (append it to `wss://<host>`).
///
/// ```
/// assert_eq!(
///     lc_types::rtm_path(lc_types::ApiVersion::V3_6, "my-org"),
///     "/v3.6/customer/rtm/ws?organization_id=my-org"
/// );
/// ```
pub fn rtm_path(version: ApiVersion, organization_id: &str) -> String {
    rtm_path_in(crate::ChatApi::Customer, version, Some(organization_id))
}

/// The path and query of the RTM WebSocket of the Chat API `api`: `/v3.6/agent/rtm/ws`, with
/// `?organization_id=` when one is given. The Customer Chat API needs the organization; for
/// the Agent Chat API it is optional (the docs call it required since 2025-04, while
/// lc-sdk-python never sends it and still logs in; the token names the license): lc sends it
/// when it is given.
///
/// ```
/// use lc_types::{rtm_path_in, ApiVersion, ChatApi};
/// assert_eq!(rtm_path_in(ChatApi::Agent, ApiVersion::V3_6, None), "/v3.6/agent/rtm/ws");
/// assert_eq!(
///     rtm_path_in(ChatApi::Agent, ApiVersion::V3_6, Some("my-org")),
///     "/v3.6/agent/rtm/ws?organization_id=my-org"
/// );
/// ```
pub fn rtm_path_in(api: crate::ChatApi, version: ApiVersion, organization_id: Option<&str>) -> String {
    let mut out = format!("/v{version}/{api}/rtm/ws");
    if let Some(organization_id) = organization_id {
        out.push('?');
        out.push_str(crate::web::ORGANIZATION_ID);
        out.push('=');
        crate::web::percent_encode(organization_id, &mut out);
    }
    out
}

/// The `pushes` field of `login`: which pushes the connection receives, in which versions.
/// Absent, a connection receives every push of its own version.
///
/// Built from push types rather than strings, so a name can never be misspelled and each push
/// is asked for in the version of its type:
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "v3_7"))] {
/// use lc_types::{ApiVersion, PushSubscription};
/// use lc_types::{v3_6, v3_7};
/// let pushes = PushSubscription::new()
///     .subscribe::<v3_6::customer::IncomingEventPush>()
///     .subscribe::<v3_6::customer::IncomingChatPush>()
///     .subscribe::<v3_6::customer::IncomingEventPush>() // once is enough
///     .all(ApiVersion::V3_7);
/// assert_eq!(
///     serde_json::to_string(&pushes).unwrap(),
///     r#"{"3.6":["incoming_event","incoming_chat"],"3.7":["all"]}"#
/// );
/// let mut login = v3_6::customer::LoginRequest::new("Bearer dal:Xq7bN2kLr5TzW0vYpA3cHd9eFg");
/// login.pushes = Some(pushes.into());
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PushSubscription(BTreeMap<String, Vec<String>>);

/// The name that subscribes to every push of a version.
const ALL: &str = "all";

impl PushSubscription {
    /// An empty subscription (no push in any version).
    pub fn new() -> Self {
        PushSubscription::default()
    }

    /// Adds push `P` in its version (unless that version already has every push).
    pub fn subscribe<P: Push>(self) -> Self {
        self.subscribe_name(P::VERSION, P::NAME)
    }

    /// Adds the push called `name` in `version`, for names known only at run time.
    pub fn subscribe_name(mut self, version: ApiVersion, name: &str) -> Self {
        let names = self.0.entry(version.to_string()).or_default();
        if !names.iter().any(|n| n == ALL || n == name) {
            names.push(name.to_owned());
        }
        self
    }

    /// Every push of `version` (`["all"]`).
    pub fn all(mut self, version: ApiVersion) -> Self {
        self.0.insert(version.to_string(), vec![ALL.to_owned()]);
        self
    }

    /// Each version as written (`3.6`) and its push names; `None` for every push (`["all"]`).
    /// For servers reading a `login`.
    ///
    /// ```
    /// use lc_types::PushSubscription;
    /// let s: PushSubscription = serde_json::from_str(r#"{"3.6": ["incoming_chat"], "3.7": ["all"]}"#).unwrap();
    /// let versions: Vec<_> = s.versions().collect();
    /// assert_eq!(versions, [("3.6", Some(&["incoming_chat".to_owned()][..])), ("3.7", None)]);
    /// ```
    pub fn versions(&self) -> impl Iterator<Item = (&str, Option<&[String]>)> {
        self.0.iter().map(|(version, names)| {
            let all = names.iter().any(|n| n == ALL);
            (version.as_str(), (!all).then_some(names.as_slice()))
        })
    }

    /// The map `LoginRequest::pushes` holds.
    pub fn into_map(self) -> BTreeMap<String, Vec<String>> {
        self.0
    }
}

impl From<PushSubscription> for BTreeMap<String, Vec<String>> {
    fn from(s: PushSubscription) -> Self {
        s.0
    }
}

impl From<BTreeMap<String, Vec<String>>> for PushSubscription {
    fn from(map: BTreeMap<String, Vec<String>>) -> Self {
        PushSubscription(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_reads_type_and_action_before_the_payload_only() {
        let e = |type_, action| Some(Envelope { type_, action });
        for (text, want) in [
            (
                r#"{"version":"3.6","request_id":"7","action":"x","type":"push","payload":{}}"#,
                e("push", "x"),
            ),
            (
                r#" { "type" : "response" , "success":true, "n": -1.5e3, "z": null, "action":"a", "payload": [1 }"#,
                e("response", "a"),
            ),
            // After the payload nothing is read: it may be broken.
            (r#"{"type":"push","action":"x","payload":{"#, e("push", "x")),
        ] {
            assert_eq!(Frame::peek(text), want, "{text}");
        }
        for text in [
            "",
            "[]",
            "{}",
            r#"{"type":"push","payload":{},"action":"x"}"#,
            r#"{"action":"x","payload":{}}"#,
            r#"{"type":"push","action":"x"}"#,
            r#"{"type":"push","action":"x","extra":{"nested":1},"payload":{}}"#,
            r#"{"type":"push","action":"x","list":[],"payload":{}}"#,
            r#"{"type":"push","type":"response","action":"x","payload":{}}"#,
            r#"{"type":"push","action":"\u0078","payload":{}}"#,
            r#"{"type":"push","action":1,"payload":{}}"#,
            r#"{"type":"push" "action":"x","payload":{}}"#,
            r#"{"type":"push","action":"x","payload""#,
            "{\"type\":\"push\",\"action\":\"a\u{1}\",\"payload\":{}}",
            r#"{"type":"pu"#,
        ] {
            assert_eq!(Frame::peek(text), None, "{text}");
        }
    }

    /// One pass and two steps give the same push, request ID and extra fields; a frame the
    /// one pass cannot read gives the two steps' error.
    #[cfg(all(feature = "v3_6", feature = "customer"))]
    #[test]
    fn decode_text_agrees_with_the_two_steps() {
        use crate::ChatApi::Customer;
        let two_steps = |text: &str| -> Result<DecodedPush, DecodeError> {
            let frame: PushFrame = crate::from_str(text)?;
            let push = frame.decode_any_in(Customer, ApiVersion::V3_6)?;
            Ok(DecodedPush {
                request_id: frame.request_id,
                push,
                extra: frame.extra,
            })
        };
        let payload = r#"{"chat_id":"C","thread_id":"T","event":{"id":"E","type":"message","text":"hi","created_at":"2026-01-01T00:00:00.000000Z","author_id":"a","visibility":"all","new":1}}"#;
        for text in [
            format!(r#"{{"version":"3.6","request_id":"r","action":"incoming_event","type":"push","x":[1],"payload":{payload}}}"#),
            format!(r#"{{"payload":{payload},"version":"3.6","action":"incoming_event","type":"push"}}"#),
            format!(r#"{{"action":"incoming_event","type":"push","payload":{payload}}}"#),
            format!(r#"{{"version":"3.7","action":"incoming_event","type":"push","payload":{payload}}}"#),
            format!(r#"{{"version":"9.9","action":"incoming_event","type":"push","payload":{payload}}}"#),
            r#"{"version":"3.6","action":"brand_new_push","type":"push","payload":{"a":[1]}}"#.to_owned(),
        ] {
            let one = PushFrame::decode_text(&text, Customer, ApiVersion::V3_6).unwrap();
            assert_eq!(one, two_steps(&text).unwrap(), "{text}");
        }
        for text in [
            r#"{"version":"3.6","action":"incoming_event","type":"push","payload":{"chat_id":1}}"#,
            r#"{"version":"3.6","action":"incoming_event","type":"response","payload":{}}"#,
            r#"{"version":"3.6","action":"incoming_event","type":"push","payload":{}"#,
            r#"{"version":"3.6","action":"incoming_event","type":"push"}"#,
            r#"{"version":"3.6","action":"incoming_event","type":"push","payload":{},"payload":{}}"#,
        ] {
            let one = PushFrame::decode_text(text, Customer, ApiVersion::V3_6).unwrap_err();
            let two = two_steps(text).unwrap_err();
            assert_eq!((one.path(), one.message()), (two.path(), two.message()), "{text}");
        }
    }

    /// Found by the `frame` fuzz target: a payload is kept as raw JSON, which may hold a
    /// number no `Value` can (`1e999`). A frame of no known kind is a `Value`: decoding it
    /// panicked ("raw JSON re-parses"); now it is a decode error. A known frame keeps the
    /// payload and writes it back unchanged; decoding the payload is the error.
    #[test]
    fn a_payload_number_out_of_range_is_an_error_not_a_panic() {
        let err = crate::from_str::<Frame>(r#"{"payload": 1e999}"#).unwrap_err();
        assert!(err.message().contains("number out of range"), "{err}");
        let text = r#"{"request_id":"1","action":"list_threads","type":"response","success":true,"payload":{"n":1e999}}"#;
        let Frame::Response(frame) = crate::from_str::<Frame>(text).unwrap() else {
            panic!()
        };
        assert_eq!(serde_json::to_string(&frame).unwrap(), text);
        assert!(frame.decode::<Value>().is_err());
    }

    #[test]
    fn request_frames_name_their_version_only_when_it_differs() {
        let payload = serde_json::json!({});
        let same = RequestFrame::from_parts(ApiVersion::V3_6, "ping", &payload, None, ApiVersion::V3_6).unwrap();
        assert_eq!(same.version, None);
        assert_eq!(serde_json::to_string(&same).unwrap(), r#"{"action":"ping","payload":{}}"#);
        let newer = RequestFrame::from_parts(ApiVersion::V3_7, "ping", &payload, Some("a".into()), ApiVersion::V3_6).unwrap();
        assert_eq!(
            serde_json::to_string(&newer).unwrap(),
            r#"{"version":"3.7","request_id":"a","action":"ping","payload":{}}"#
        );
        assert!(RequestFrame::from_parts(ApiVersion::V3_6, "ping", &[1], None, ApiVersion::V3_6).is_err());
        assert!(RequestFrame::from_parts(ApiVersion::V3_5, "ping", &payload, None, ApiVersion::V3_6).is_err());
        // What is written reads back as the same request.
        let text = serde_json::to_string(&newer).unwrap();
        let Frame::Request(back) = crate::from_str::<Frame>(&text).unwrap() else {
            panic!("{text}")
        };
        assert_eq!(
            (back.version.as_deref(), back.request_id.as_deref(), back.action.as_str()),
            (Some("3.7"), Some("a"), "ping")
        );
    }

    #[test]
    #[allow(unreachable_pub, dead_code)] // a struct declared for the test alone
    fn responses_decode_into_the_response_or_an_api_error() {
        let ok = ResponseFrame::success(Some("1".into()), "x", &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(ok.decode::<Value>().unwrap(), serde_json::json!({"a": 1}));
        let envelope = ErrorEnvelope::new(crate::ErrorType::Validation, "bad");
        let failed = ResponseFrame::failure(Some("1".into()), "x", &envelope);
        let text = serde_json::to_string(&failed).unwrap();
        assert_eq!(
            text,
            r#"{"request_id":"1","action":"x","type":"response","success":false,"payload":{"error":{"type":"validation","message":"bad"}}}"#
        );
        let Frame::Response(read) = crate::from_str::<Frame>(&text).unwrap() else {
            panic!()
        };
        let Err(ResponseError::Api(e)) = read.decode::<Value>() else {
            panic!()
        };
        assert_eq!(
            (e.envelope(), e.status(), e.raw()),
            (&envelope, None, r#"{"error":{"type":"validation","message":"bad"}}"#)
        );
        // A failure whose payload is not an envelope is a decode error, not an API error.
        let odd: Frame = crate::from_str(r#"{"action":"x","type":"response","success":false,"payload":{"oops":1}}"#).unwrap();
        let Frame::Response(odd) = odd else { panic!() };
        assert!(matches!(odd.decode::<Value>(), Err(ResponseError::Decode(e)) if e.raw() == r#"{"oops":1}"#));
        // A success whose payload does not decode names the path.
        let bad: Frame = crate::from_str(r#"{"action":"x","type":"response","success":true,"payload":{"n":"1"}}"#).unwrap();
        let Frame::Response(bad) = bad else { panic!() };
        crate::declare::object! {
            /// A response of one number.
            pub struct N {
                /// The number.
                pub n: u8,
            }
        }
        let Err(ResponseError::Decode(e)) = bad.decode::<N>() else {
            panic!()
        };
        assert_eq!(e.path(), "n");
    }

    #[test]
    fn push_subscriptions() {
        let s = PushSubscription::new()
            .subscribe_name(ApiVersion::V3_6, "incoming_chat")
            .all(ApiVersion::V3_5)
            .subscribe_name(ApiVersion::V3_5, "incoming_chat");
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"3.5": ["all"], "3.6": ["incoming_chat"]})
        );
        assert_eq!(PushSubscription::from(s.clone().into_map()), s);
        assert_eq!(
            rtm_path(ApiVersion::V3_5, "a b&c"),
            "/v3.5/customer/rtm/ws?organization_id=a%20b%26c"
        );
    }
}

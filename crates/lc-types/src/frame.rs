//! RTM frames: the envelopes around every WebSocket message.
//!
//! Incoming frames decode in two steps: first the envelope, with the payload kept as raw JSON
//! text ([`Frame`]); then the payload, by action, into its typed struct (e.g.
//! `lc_types::v3_6::AnyPush::decode`). An unknown push costs one envelope parse and never fails.

use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::{Action, ApiVersion, DecodeError, ErrorEnvelope, Push};

/// A request sent by the customer: `{"version"?, "request_id"?, "action", "payload"}`.
///
/// ```
/// # #[cfg(feature = "v3_6")] {
/// use lc_types::RequestFrame;
/// use lc_types::v3_6::GetCustomerRequest;
/// let frame = RequestFrame::new(&GetCustomerRequest::default(), Some("1".into())).unwrap();
/// assert_eq!(
///     serde_json::to_string(&frame).unwrap(),
///     r#"{"version":"3.6","request_id":"1","action":"get_customer","payload":{}}"#
/// );
/// # }
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

impl RequestFrame {
    /// A frame for `request`, with its version and an optional request ID.
    pub fn new<R: Action>(request: &R, request_id: Option<String>) -> Result<Self, serde_json::Error> {
        Ok(RequestFrame {
            version: Some(R::VERSION.to_string()),
            request_id,
            action: R::NAME.to_owned(),
            payload: serde_json::value::to_raw_value(request)?,
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
        let version = self.version.clone().unwrap_or_else(|| connection.to_string());
        crate::VersionedRequest::decode(&version, &self.action, self.payload.get())
    }
}

impl ResponseFrame {
    /// Decodes the payload: `Ok(Ok(response))` on success, `Ok(Err(envelope))` on an API error.
    ///
    /// ```
    /// # #[cfg(feature = "v3_6")] {
    /// use lc_types::{Frame, ErrorType};
    /// use lc_types::v3_6::GetCustomerResponse;
    /// let frame: Frame = lc_types::from_str(
    ///     r#"{"request_id":"7","action":"get_customer","type":"response","success":false,
    ///         "payload":{"error":{"type":"authentication","message":"Invalid access token"}}}"#,
    /// ).unwrap();
    /// let Frame::Response(response) = frame else { panic!() };
    /// let err = response.decode::<GetCustomerResponse>().unwrap().unwrap_err();
    /// assert_eq!(err.error.type_, ErrorType::Authentication);
    /// # }
    /// ```
    pub fn decode<T: DeserializeOwned>(&self) -> Result<Result<T, ErrorEnvelope>, DecodeError> {
        let raw = self.payload.as_deref().map_or("{}", RawValue::get);
        if self.success {
            crate::from_str(raw).map(Ok)
        } else {
            crate::from_str(raw).map(Err)
        }
    }
}

impl PushFrame {
    /// Decodes the payload as the push `P` (step two). See also `v3_6::AnyPush::decode`.
    pub fn decode<P: Push>(&self) -> Result<P, DecodeError> {
        crate::from_str(self.payload.get())
    }

    /// Decodes the payload by push name, in the version the frame names (pushes carry it since
    /// 3.3), or in `connection` when it names none. A version whose cargo feature is off gives
    /// an unsupported [`crate::VersionedPush`] (`is_unsupported()`) with the payload kept.
    pub fn decode_any(&self, connection: ApiVersion) -> Result<crate::VersionedPush, DecodeError> {
        let version = self.version.clone().unwrap_or_else(|| connection.to_string());
        crate::VersionedPush::decode(&version, &self.action, self.payload.get())
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
                while let Some(key) = map.next_key::<String>()? {
                    let twice = || de::Error::duplicate_field("frame field");
                    match key.as_str() {
                        "version" if parts.version.is_none() => parts.version = Some(map.next_value()?),
                        "request_id" if parts.request_id.is_none() => parts.request_id = Some(map.next_value()?),
                        "action" if parts.action.is_none() => parts.action = Some(map.next_value()?),
                        "type" if parts.type_.is_none() => parts.type_ = Some(map.next_value()?),
                        "success" if parts.success.is_none() => parts.success = Some(map.next_value()?),
                        "payload" if parts.payload.is_none() => parts.payload = Some(map.next_value()?),
                        "version" | "request_id" | "action" | "type" | "success" | "payload" => return Err(twice()),
                        _ => {
                            let value = map.next_value()?;
                            parts.extra.insert(key, value);
                        }
                    }
                }
                Ok(parts)
            }
        }
        deserializer.deserialize_map(PartsVisitor)
    }
}

impl Parts {
    fn into_value(self) -> Value {
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
            map.insert("payload".to_owned(), serde_json::from_str(p.get()).expect("raw JSON re-parses"));
        }
        Value::Object(map)
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
            _ => Ok(Frame::Unknown(parts.into_value())),
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

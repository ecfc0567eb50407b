//! The catch-all cases of open enums, unions and `Any*` enums: what they hold, and why nobody
//! outside this crate can fill them (see the crate docs, *Forward compatibility*).

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// The text of a string enum value this crate does not know (the hidden `_Custom` case of every
/// open enum). Its field is private: only this crate's decoders build one, and only from a text
/// that is not a known value. Read it with the enum's `as_str()`.
#[doc(hidden)]
#[derive(Clone)]
pub struct PrivOwnedStr(Box<str>);

impl PrivOwnedStr {
    /// Only for values that are not known (the generated `From<&str>` checks first).
    pub(crate) fn new(text: impl Into<Box<str>>) -> Self {
        PrivOwnedStr(text.into())
    }

    /// The text, as sent.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivOwnedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Decodes an open string enum from a JSON string, without copying a known value's text (a
/// derived or `String`-based impl allocates for every value).
pub(crate) fn decode_str<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: for<'a> From<&'a str> + From<String>,
    D: serde::Deserializer<'de>,
{
    struct StrVisitor<T>(std::marker::PhantomData<T>);
    impl<T: for<'a> From<&'a str> + From<String>> serde::de::Visitor<'_> for StrVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<T, E> {
            Ok(T::from(v))
        }
        // As `String`'s own visitor: formats that hand over UTF-8 bytes for a string.
        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<T, E> {
            match std::str::from_utf8(v) {
                Ok(s) => Ok(T::from(s)),
                Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(v), &self)),
            }
        }
    }
    deserializer.deserialize_str(StrVisitor(std::marker::PhantomData))
}

/// A union member whose tag this version of the schema does not know (say an event `type` added
/// by a newer API version), kept as the raw JSON object, tag included, and re-encoded unchanged.
///
/// Only this crate's decoders build one, and only for a tag the union does not know (a known tag
/// with a malformed body is a decode error, never an `UnknownVariant`). Get it from the union
/// with `as_unknown()`.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::v3_6::customer::Event;
/// let event: Event = lc_types::from_str(r#"{"id": "e1", "type": "hologram", "depth": 3}"#).unwrap();
/// assert!(event.is_unknown());
/// assert_eq!(event.tag(), Some("hologram"));
/// let unknown = event.as_unknown().unwrap();
/// assert_eq!(unknown.tag(), Some("hologram"));
/// assert_eq!(unknown.json()["depth"], 3);
/// # }
/// ```
///
/// Nobody else can build one (so no union holds a known tag in its catch-all):
///
/// ```compile_fail,E0451
/// let fake = lc_types::UnknownVariant { tag_field: "type", json: serde_json::Map::new() };
/// ```
///
/// Nor the text of an unknown enum value:
///
/// ```compile_fail,E0423
/// let fake = lc_types::ErrorType::_Custom(lc_types::PrivOwnedStr("not_found".into()));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownVariant {
    tag_field: &'static str,
    json: Map<String, Value>,
}

impl UnknownVariant {
    /// Only for objects whose tag is not a known one (the generated decoders check first).
    // Called by the generated unions only, which a build without any version feature lacks.
    #[allow(dead_code)]
    pub(crate) fn new(tag_field: &'static str, json: Map<String, Value>) -> Self {
        UnknownVariant { tag_field, json }
    }

    /// The tag value (e.g. the event `type`); `None` when the object has no string tag.
    pub fn tag(&self) -> Option<&str> {
        self.json.get(self.tag_field).and_then(Value::as_str)
    }

    /// The name of the tag field (the union's `TAG`, e.g. `type`).
    pub fn tag_field(&self) -> &'static str {
        self.tag_field
    }

    /// The whole object, verbatim, tag included.
    pub fn json(&self) -> &Map<String, Value> {
        &self.json
    }

    /// The whole object, verbatim, tag included.
    pub fn into_json(self) -> Map<String, Value> {
        self.json
    }
}

impl Serialize for UnknownVariant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

/// The payload of an action or push this build does not know, kept verbatim with its name (the
/// hidden case of `AnyRequest`, `AnyResponse` and `AnyPush`), or of a frame in an API version
/// this build does not have (the hidden case of `VersionedRequest` and `VersionedPush`, which also
/// keeps the version).
///
/// Only this crate's decoders build one, and only for a name (or version) they do not know: a
/// known name with a malformed payload is a decode error. Get it with `as_unknown()` (or
/// `as_unsupported()` on the versioned enums).
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::v3_6::customer::AnyPush;
/// let push = AnyPush::decode("hologram_projected", r#"{"depth": 3}"#).unwrap();
/// assert!(push.is_unknown());
/// assert_eq!(push.name(), "hologram_projected");
/// assert_eq!(push.as_unknown().unwrap().payload()["depth"], 3);
/// # }
/// ```
///
/// ```compile_fail,E0451
/// let fake = lc_types::UnknownPayload { version: None, name: "incoming_event".into(), payload: serde_json::Value::Null };
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownPayload {
    version: Option<String>,
    name: String,
    payload: Value,
}

impl UnknownPayload {
    /// Only for names (or versions) the decoder does not know.
    pub(crate) fn new(version: Option<String>, name: String, payload: Value) -> Self {
        UnknownPayload { version, name, payload }
    }

    /// The action or push name, as sent.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The API version the frame named, verbatim, for a payload of a version this build does not
    /// have (`VersionedRequest`/`VersionedPush`); `None` in `AnyRequest`/`AnyResponse`/`AnyPush`.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The payload, verbatim.
    pub fn payload(&self) -> &Value {
        &self.payload
    }

    /// The payload, verbatim.
    pub fn into_payload(self) -> Value {
        self.payload
    }
}

impl Serialize for UnknownPayload {
    /// Serializes the payload alone (the name travels beside it, e.g. in the frame's `action`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.payload.serialize(serializer)
    }
}

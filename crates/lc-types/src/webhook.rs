//! Webhook deliveries (feature `webhooks`): check that a delivery comes from your registration,
//! then decode it into the types the Agent Chat API's pushes use.
//!
//! LiveChat POSTs each delivery as a JSON body: `webhook_id`, `secret_key` (the secret given at
//! registration, echoed back: the only authenticity check LiveChat documents), `action` (the
//! webhook's name), `organization_id`, `payload`, and `additional_data` / `requester` when there
//! are any. The payload of a webhook is the agent push of the same name where the two agree, so
//! an `incoming_event` delivery carries a [`v3_6::agent::IncomingEventPush`](crate::v3_6::agent::IncomingEventPush),
//! the very type an RTM connection delivers.
//!
//! Sans-IO: no HTTP server here. Any framework hands [`Webhook::from_http`] the request's
//! headers and body, and answers with [`WebhookError::status`] when it refuses:
//!
//! ```
//! # #[cfg(feature = "v3_6")] {
//! use lc_types::v3_6::agent::{AnyWebhook, Event, Webhook};
//! use lc_types::webhook::WebhookSecret;
//!
//! let secret = WebhookSecret::new("our secret, from the registration");
//! let body = br#"{"webhook_id":"w1","secret_key":"our secret, from the registration",
//!   "action":"incoming_event","organization_id":"0d5d3a8e-7c0f-4b7e-9d2c-5a1e8f3b6c21",
//!   "payload":{"chat_id":"PJ0MRSHTDG","thread_id":"Q20N9CKRX2",
//!     "event":{"id":"Q20N9CKRX2_1","type":"message","text":"Hi!","author_id":"c1",
//!       "created_at":"2026-12-05T10:00:00.000000Z","visibility":"all"}},
//!   "additional_data":{}}"#;
//! let headers = [("content-type", &b"application/json"[..])];
//! let delivery = Webhook::from_http(headers, body, &secret).unwrap();
//! let AnyWebhook::IncomingEvent(push) = &delivery.payload else { panic!("not incoming_event") };
//! let Event::Message(message) = &push.event else { panic!("not a message") };
//! assert_eq!(message.text.as_deref(), Some("Hi!"));
//!
//! // A wrong secret is refused before anything else of the body is decoded.
//! let err = Webhook::verify(body, &WebhookSecret::new("another")).unwrap_err();
//! assert_eq!(err.status(), 401);
//! assert!(!format!("{err} {err:?} {delivery:?}").contains("our secret"));
//! # }
//! ```
//!
//! In a server: hand over the framework's headers as pairs (axum and hyper:
//! `headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes()))`) and set the framework's own body
//! limit to at least [`MAX_WEBHOOK_BODY_BYTES`] (axum's default is 2 MB), since the body is
//! buffered before it reaches [`Webhook::from_http`]. Then, as the docs advise, check that
//! [`Webhook::webhook_id`] is a registration of yours and [`Webhook::organization_id`] a license
//! you serve, answer 2xx at once and do the work afterwards. LiveChat documents no retry
//! schedule, and a delivery answered late may come again: make the work idempotent (e.g.
//! skip an event ID already handled).
//!
//! A receiver that learns the version of its registrations only at run time (from its
//! configuration, or serving registrations of several versions) decodes with
//! [`VersionedWebhook`](crate::VersionedWebhook) instead: one variant per version this build has.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{ApiVersion, DecodeError, JsonPath, PeerText, Unknown, Unknowns};

/// The most bytes [`Webhook::from_http`] reads as a body: 4 MiB (a larger one is refused with
/// [`WebhookError::BodyTooLarge`], HTTP 413). LiveChat caps a message at 16 KiB and a chat's
/// events in a delivery at a few hundred, far below it.
pub const MAX_WEBHOOK_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The payload union of one API version's webhooks (`vX_Y::agent::AnyWebhook`): what
/// [`Webhook`] is generic over. Implemented by the generated code only.
pub trait WebhookPayload: Serialize + Unknowns + Clone + fmt::Debug + PartialEq + Sized {
    /// What `additional_data` holds in this version.
    type AdditionalData: Serialize + DeserializeOwned + Unknowns + Clone + fmt::Debug + PartialEq;
    /// Who made a configuration change (`requester`, 3.6+).
    type Requester: Serialize + DeserializeOwned + Unknowns + Clone + fmt::Debug + PartialEq;
    /// The API version of the payload types.
    const VERSION: ApiVersion;

    /// The webhook action (`incoming_event`, or the name of one this version does not know).
    fn action(&self) -> &str;

    /// Decodes the payload of the webhook `action` from `deserializer`. Not part of the API.
    #[doc(hidden)]
    fn deserialize_action<'de, D: Deserializer<'de>>(action: &str, deserializer: D) -> Result<Self, D::Error>;

    /// Decodes the payload of the webhook `action` from a parsed value. Not part of the API.
    #[doc(hidden)]
    fn decode_action_value(action: &str, payload: Value) -> Result<Self, DecodeError>;
}

/// One row of a version's webhook table (`vX_Y::agent::WEBHOOKS`): a webhook action and the
/// type of its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookInfo {
    /// The webhook action, e.g. `incoming_event`.
    pub name: &'static str,
    /// The Rust type of its payload: the push of the same name (`IncomingEventPush`), or its
    /// own (`CustomerSessionFieldsUpdatedWebhook`).
    pub payload: &'static str,
    /// Link to the docs.
    pub docs: &'static str,
}

/// The webhook table of API version `version` (its Agent Chat API's `WEBHOOKS`); empty when
/// the version is not compiled in.
///
/// ```
/// # #[cfg(feature = "v3_6")] {
/// use lc_types::{webhook, ApiVersion};
/// assert!(webhook::webhooks(ApiVersion::V3_6).iter().any(|w| w.name == "incoming_event"));
/// # }
/// ```
pub fn webhooks(version: ApiVersion) -> &'static [WebhookInfo] {
    crate::generated::WEBHOOK_TABLES
        .iter()
        .find(|(v, _)| *v == version)
        .map_or(&[], |(_, table)| table)
}

/// The secret of a webhook registration: what you gave `register_webhook` as `secret_key`, and
/// what each delivery must carry. Its `Debug` never shows it; compare with
/// [`matches`](Self::matches) (constant time).
///
/// ```
/// use lc_types::webhook::WebhookSecret;
/// let secret = WebhookSecret::new("s3cr3t");
/// assert!(secret.matches("s3cr3t") && !secret.matches("s3cr3"));
/// assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
/// assert_eq!(secret.expose(), "s3cr3t");
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// The secret `secret`.
    pub fn new(secret: impl Into<String>) -> Self {
        WebhookSecret(secret.into())
    }

    /// The secret itself (to register it, or to store it): never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this secret, in time that depends only on the lengths (not on
    /// where the first difference is). An empty secret matches nothing: a registration without
    /// a secret cannot be told from a forgery.
    pub fn matches(&self, candidate: &str) -> bool {
        !self.0.is_empty() & constant_time_eq(self.0.as_bytes(), candidate.as_bytes())
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Compares every byte of the expected secret whatever the candidate holds; only the lengths
/// shape the time taken.
fn constant_time_eq(expected: &[u8], candidate: &[u8]) -> bool {
    let mut diff = u8::from(expected.len() != candidate.len());
    for (i, e) in expected.iter().enumerate() {
        let c = candidate.get(i).copied().unwrap_or(!*e);
        diff |= e ^ c;
    }
    // Keep the optimizer from cutting the loop short.
    std::hint::black_box(diff) == 0
}

/// One webhook delivery of the API version of `P` (`v3_6::agent::Webhook` is
/// `Webhook<v3_6::agent::AnyWebhook>`): the wrapper's fields, the typed payload, and every
/// top-level field this version does not know (kept, and written back by `Serialize`).
///
/// Decode a received body with [`verify`](Self::verify) or [`from_http`](Self::from_http),
/// which check the secret first. `Deserialize` reads one without checking (a delivery you
/// verified already, read back from a queue).
///
/// `Serialize` writes the body as it arrived, **the secret included** (`Debug` hides it): to pass
/// a delivery on to a place that must not hold the secret, pass on its [`payload`](Self::payload)
/// (the push type), or set `secret_key` to an empty [`WebhookSecret`] first.
#[derive(Clone, PartialEq)]
pub struct Webhook<P: WebhookPayload> {
    /// The ID of the registration (`register_webhook`'s answer).
    pub webhook_id: String,
    /// The secret the delivery carried (the registration's).
    pub secret_key: WebhookSecret,
    /// The organization (license) the delivery is about (3.4+).
    pub organization_id: String,
    /// The payload, by its `action` ([`Webhook::action`]); an action this version does not
    /// know keeps its raw payload.
    pub payload: P,
    /// What the registration asked for beside the payload (`chat_properties`,
    /// `chat_presence_user_ids`); absent from some deliveries.
    pub additional_data: Option<P::AdditionalData>,
    /// Who made the change, for the configuration webhooks (3.6+).
    pub requester: Option<P::Requester>,
    /// Top-level fields this version does not know, kept as they arrived.
    pub extra: Map<String, Value>,
}

impl<P: WebhookPayload> Webhook<P> {
    /// The webhook action: the payload's name.
    pub fn action(&self) -> &str {
        self.payload.action()
    }

    /// Checks that `body` carries `expected` as its `secret_key` (constant time), then decodes
    /// it. The payload is read only after the secret matched: with LiveChat's field order (the
    /// secret before the payload) in one pass, otherwise the secret is looked up first.
    pub fn verify(body: &[u8], expected: &WebhookSecret) -> Result<Self, WebhookError> {
        let text = std::str::from_utf8(body).map_err(|_| WebhookError::NotUtf8)?;
        match crate::decode::from_str_seed(text, WebhookSeed::<P>::checking(expected)) {
            Ok(Some(webhook)) => return Ok(webhook),
            Ok(None) => {}
            Err(e) if e.message().starts_with(WRONG_SECRET) => return Err(WebhookError::WrongSecret),
            Err(e) if e.message().starts_with(MISSING_SECRET) => return Err(WebhookError::MissingSecret),
            Err(e) => return Err(malformed(e)),
        }
        // The payload came before the secret: find the secret, then decode.
        let found: SecretOnly = crate::from_str(text).map_err(malformed)?;
        match found.secret_key {
            Some(Value::String(s)) if !expected.matches(&s) => Err(WebhookError::WrongSecret),
            Some(Value::String(_)) => crate::decode::from_str_seed(text, WebhookSeed::<P>::unchecked())
                .map(|w| w.expect("an unchecked read always completes"))
                .map_err(malformed),
            _ => Err(WebhookError::MissingSecret),
        }
    }

    /// A delivery as an HTTP server received it: refuses a body over
    /// [`MAX_WEBHOOK_BODY_BYTES`] and a `Content-Type` that is not JSON (an absent one is
    /// read as JSON), then [`verify`](Self::verify). Header names are compared without case.
    pub fn from_http<N, V>(headers: impl IntoIterator<Item = (N, V)>, body: &[u8], expected: &WebhookSecret) -> Result<Self, WebhookError>
    where
        N: AsRef<str>,
        V: AsRef<[u8]>,
    {
        if body.len() > MAX_WEBHOOK_BODY_BYTES {
            return Err(WebhookError::BodyTooLarge { len: body.len() });
        }
        for (name, value) in headers {
            if name.as_ref().eq_ignore_ascii_case("content-type") {
                let value = String::from_utf8_lossy(value.as_ref());
                let media = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
                if media != "application/json" && !media.ends_with("+json") {
                    return Err(WebhookError::UnsupportedContentType(PeerText::new(&value).max(100).to_string()));
                }
            }
        }
        Self::verify(body, expected)
    }
}

impl<P: WebhookPayload> fmt::Debug for Webhook<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("webhook_id", &self.webhook_id)
            .field("secret_key", &self.secret_key)
            .field("organization_id", &self.organization_id)
            .field("payload", &self.payload)
            .field("additional_data", &self.additional_data)
            .field("requester", &self.requester)
            .field("extra", &self.extra)
            .finish()
    }
}

impl<P: WebhookPayload> Serialize for Webhook<P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("webhook_id", &self.webhook_id)?;
        map.serialize_entry("secret_key", &self.secret_key)?;
        map.serialize_entry("action", self.action())?;
        map.serialize_entry("organization_id", &self.organization_id)?;
        map.serialize_entry("payload", &self.payload)?;
        if let Some(a) = &self.additional_data {
            map.serialize_entry("additional_data", a)?;
        }
        if let Some(r) = &self.requester {
            map.serialize_entry("requester", r)?;
        }
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, P: WebhookPayload> Deserialize<'de> for Webhook<P> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        WebhookSeed::<P>::unchecked()
            .deserialize(deserializer)
            .map(|w| w.expect("an unchecked read always completes"))
    }
}

impl<P: WebhookPayload> Unknowns for Webhook<P> {
    fn visit_unknowns(&self, path: &mut JsonPath, found: &mut dyn FnMut(Unknown)) {
        path.field("payload", |p| self.payload.visit_unknowns(p, found));
        if let Some(a) = &self.additional_data {
            path.field("additional_data", |p| a.visit_unknowns(p, found));
        }
        if let Some(r) = &self.requester {
            path.field("requester", |p| r.visit_unknowns(p, found));
        }
        path.report_fields(&self.extra, found);
    }
}

/// Why a delivery was refused. [`status`](Self::status) is the HTTP status to answer with.
/// Neither `Display` nor `Debug` shows the secret.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum WebhookError {
    /// The body is larger than [`MAX_WEBHOOK_BODY_BYTES`].
    BodyTooLarge {
        /// Its length in bytes.
        len: usize,
    },
    /// The `Content-Type` is not JSON (the value, bounded and escaped).
    UnsupportedContentType(String),
    /// The body is not UTF-8 text.
    NotUtf8,
    /// The body has no `secret_key`, or one that is not a string.
    MissingSecret,
    /// The body's `secret_key` is not the expected one.
    WrongSecret,
    /// The body is not a delivery of this version: not JSON, or a wrapper field before the
    /// secret of the wrong type (the secret is not checked then: the body may come from
    /// anyone), or — once the secret matched — a required field missing or a known action's
    /// payload malformed. The error names the JSON path; its `raw()` is the body with the
    /// value of `secret_key` replaced by `<redacted>`.
    Malformed(Box<DecodeError>),
    /// [`VersionedWebhook`](crate::VersionedWebhook) was asked for a version this build does not
    /// have (its feature is off): the receiver's configuration, not the sender's fault.
    UnsupportedVersion(ApiVersion),
}

impl WebhookError {
    /// The HTTP status to answer with: 413, 415, 400 (not UTF-8, malformed), 401 (secret
    /// missing or wrong) or 500 (a version this build does not have: LiveChat may send it again).
    pub fn status(&self) -> u16 {
        match self {
            WebhookError::BodyTooLarge { .. } => 413,
            WebhookError::UnsupportedContentType(_) => 415,
            WebhookError::NotUtf8 | WebhookError::Malformed(_) => 400,
            WebhookError::MissingSecret | WebhookError::WrongSecret => 401,
            WebhookError::UnsupportedVersion(_) => 500,
        }
    }

    /// The decode error of a malformed delivery.
    pub fn decode_error(&self) -> Option<&DecodeError> {
        match self {
            WebhookError::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::BodyTooLarge { len } => {
                write!(f, "webhook body of {len} bytes refused: the limit is {MAX_WEBHOOK_BODY_BYTES}")
            }
            WebhookError::UnsupportedContentType(t) => write!(f, "webhook body refused: content type {t} is not JSON"),
            WebhookError::NotUtf8 => f.write_str("webhook body refused: not UTF-8"),
            WebhookError::MissingSecret => f.write_str("webhook refused: the body has no secret_key"),
            WebhookError::WrongSecret => f.write_str("webhook refused: its secret_key is not the registration's"),
            WebhookError::Malformed(e) => write!(f, "webhook body malformed {e}"),
            WebhookError::UnsupportedVersion(v) => {
                write!(f, "webhook not decoded: this build of lc-types does not have API version {v}")
            }
        }
    }
}

impl fmt::Debug for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The decode error's raw text (the body, its secret redacted) is left to `raw()`.
        match self {
            WebhookError::Malformed(e) => f
                .debug_struct("Malformed")
                .field("path", &e.path())
                .field("message", &e.message())
                .finish(),
            WebhookError::BodyTooLarge { len } => f.debug_struct("BodyTooLarge").field("len", len).finish(),
            WebhookError::UnsupportedContentType(t) => f.debug_tuple("UnsupportedContentType").field(t).finish(),
            WebhookError::NotUtf8 => f.write_str("NotUtf8"),
            WebhookError::MissingSecret => f.write_str("MissingSecret"),
            WebhookError::WrongSecret => f.write_str("WrongSecret"),
            WebhookError::UnsupportedVersion(v) => f.debug_tuple("UnsupportedVersion").field(v).finish(),
        }
    }
}

impl std::error::Error for WebhookError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebhookError::Malformed(e) => Some(&**e),
            _ => None,
        }
    }
}

/// The messages the seed stops with (recognized by [`Webhook::verify`]).
const WRONG_SECRET: &str = "\u{2}wrong secret_key";
const MISSING_SECRET: &str = "\u{2}no secret_key";

/// The `secret_key` of a body and nothing else (for a body whose payload comes first).
#[derive(Deserialize)]
struct SecretOnly {
    secret_key: Option<Value>,
}

/// Reads a delivery; with an expected secret, stops at a wrong one, and gives `None` when the
/// payload comes before the secret (the caller checks the secret first, then reads again).
struct WebhookSeed<'s, P> {
    expected: Option<&'s WebhookSecret>,
    _payload: std::marker::PhantomData<P>,
}

impl<'s, P> WebhookSeed<'s, P> {
    fn checking(expected: &'s WebhookSecret) -> Self {
        WebhookSeed {
            expected: Some(expected),
            _payload: std::marker::PhantomData,
        }
    }

    fn unchecked() -> Self {
        WebhookSeed {
            expected: None,
            _payload: std::marker::PhantomData,
        }
    }
}

impl<'de, P: WebhookPayload> DeserializeSeed<'de> for WebhookSeed<'_, P> {
    type Value = Option<Webhook<P>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// The payload of `action`, read from the map being visited.
struct PayloadSeed<'a, P> {
    action: &'a str,
    _payload: std::marker::PhantomData<P>,
}

impl<'de, P: WebhookPayload> DeserializeSeed<'de> for PayloadSeed<'_, P> {
    type Value = P;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<P, D::Error> {
        P::deserialize_action(self.action, deserializer)
    }
}

impl<'de, P: WebhookPayload> Visitor<'de> for WebhookSeed<'_, P> {
    type Value = Option<Webhook<P>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a webhook delivery (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut webhook_id: Option<String> = None;
        let mut secret_key: Option<String> = None;
        let mut action: Option<String> = None;
        let mut organization_id: Option<String> = None;
        let mut payload: Option<P> = None;
        // A payload read before its action: decoded once the action is known.
        let mut early: Option<Value> = None;
        let mut additional_data = None;
        let mut requester = None;
        let mut extra = Map::new();
        while let Some(key) = map.next_key_seed(crate::union::KeySeed)? {
            match &*key {
                "webhook_id" if webhook_id.is_none() => webhook_id = Some(map.next_value()?),
                "secret_key" if secret_key.is_none() => {
                    let s = match map.next_value::<Value>()? {
                        Value::String(s) => s,
                        // Not a secret at all: missing, whatever else the body holds.
                        _ if self.expected.is_some() => return Err(de::Error::custom(MISSING_SECRET)),
                        _ => return Err(at("secret_key", de::Error::custom("`secret_key` is not a string"))),
                    };
                    if let Some(expected) = self.expected {
                        if !expected.matches(&s) {
                            return Err(de::Error::custom(WRONG_SECRET));
                        }
                    }
                    secret_key = Some(s);
                }
                "action" if action.is_none() => action = Some(map.next_value()?),
                "organization_id" if organization_id.is_none() => organization_id = Some(map.next_value()?),
                "payload" if payload.is_none() && early.is_none() => {
                    if self.expected.is_some() && secret_key.is_none() {
                        // Not one pass: nothing of an unverified body is decoded (the rest is
                        // only skipped, so the text is still checked to the end).
                        map.next_value::<de::IgnoredAny>()?;
                        while map.next_key::<de::IgnoredAny>()?.is_some() {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                        return Ok(None);
                    }
                    match &action {
                        Some(name) => {
                            let seed = PayloadSeed::<P> {
                                action: name,
                                _payload: std::marker::PhantomData,
                            };
                            payload = Some(map.next_value_seed(seed).map_err(|e| at("payload", e))?);
                        }
                        None => early = Some(map.next_value()?),
                    }
                }
                "additional_data" if additional_data.is_none() => {
                    additional_data = Some(map.next_value().map_err(|e| at("additional_data", e))?)
                }
                "requester" if requester.is_none() => requester = Some(map.next_value().map_err(|e| at("requester", e))?),
                // A second copy of a wrapper field: another reader may take the other one
                // (the secret above all), so the delivery is malformed.
                twice if WRAPPER_FIELDS.contains(&twice) => {
                    let name = WRAPPER_FIELDS.iter().copied().find(|f| *f == twice).unwrap_or("a delivery field");
                    return Err(de::Error::duplicate_field(name));
                }
                _ => {
                    let value: Value = map.next_value()?;
                    extra.insert(key.into_owned(), value);
                }
            }
        }
        if self.expected.is_some() && secret_key.is_none() {
            return Err(de::Error::custom(MISSING_SECRET));
        }
        let action = action.ok_or_else(|| de::Error::missing_field("action"))?;
        let payload = match (payload, early) {
            (Some(p), _) => p,
            (None, Some(value)) => {
                P::decode_action_value(&action, value).map_err(|e| at("payload", de::Error::custom(crate::decode::nested_message(&e))))?
            }
            (None, None) => return Err(de::Error::missing_field("payload")),
        };
        Ok(Some(Webhook {
            webhook_id: webhook_id.ok_or_else(|| de::Error::missing_field("webhook_id"))?,
            secret_key: WebhookSecret(secret_key.ok_or_else(|| de::Error::missing_field("secret_key"))?),
            organization_id: organization_id.ok_or_else(|| de::Error::missing_field("organization_id"))?,
            payload,
            additional_data,
            requester,
            extra,
        }))
    }
}

/// The fields of the delivery wrapper (each at most once in a body).
const WRAPPER_FIELDS: [&str; 7] = [
    "webhook_id",
    "secret_key",
    "action",
    "organization_id",
    "payload",
    "additional_data",
    "requester",
];

/// A malformed delivery's error, with the value of every `secret_key` in its raw text replaced
/// by `<redacted>`: the error's `Debug` and `raw()` show that text.
fn malformed(e: DecodeError) -> WebhookError {
    let raw = redact_secrets(e.raw());
    WebhookError::Malformed(Box::new(e.with_raw(raw)))
}

/// `text` with the string value of every `"secret_key"` member replaced by `<redacted>` (an
/// unterminated one, and what follows it, too).
fn redact_secrets(text: &str) -> String {
    const KEY: &str = "\"secret_key\"";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let (head, tail) = rest.split_at(at + KEY.len());
        out.push_str(head);
        rest = tail;
        let Some(value) = rest.trim_start().strip_prefix(':').map(str::trim_start) else {
            continue;
        };
        let Some(string) = value.strip_prefix('"') else { continue };
        out.push_str(&rest[..rest.len() - string.len()]);
        out.push_str("<redacted>");
        // The string ends at the first quote that no backslash escapes.
        let mut escaped = false;
        let end = string.char_indices().find_map(|(i, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes.then_some(i)
        });
        rest = match end {
            Some(i) => &string[i..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// An error inside the field `field`, naming it in the path.
fn at<E: de::Error>(field: &str, e: E) -> E {
    crate::object::at(crate::decode::Step::Key(field), e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_from_raw_text() {
        let cases = [
            (r#"{"secret_key":"s3cret","a":1}"#, r#"{"secret_key":"<redacted>","a":1}"#),
            (
                r#"{"secret_key" : "a\"b\\","x":{"secret_key":"t"}}"#,
                r#"{"secret_key" : "<redacted>","x":{"secret_key":"<redacted>"}}"#,
            ),
            (r#"{"secret_key":5,"secret_key":"u"#, r#"{"secret_key":5,"secret_key":"<redacted>"#),
            (r#"{"secret_key""#, r#"{"secret_key""#),
            ("no secret here", "no secret here"),
        ];
        for (text, redacted) in cases {
            assert_eq!(redact_secrets(text), redacted, "{text}");
        }
    }

    /// A malformed delivery's error shows its raw text (in `Debug` too): never the secret.
    #[cfg(feature = "v3_6")]
    #[test]
    fn a_malformed_delivery_error_does_not_carry_the_secret() {
        let secret = WebhookSecret::new("kettle-lamp-orchard-43");
        for body in [
            r#"{"webhook_id":"w","secret_key":"kettle-lamp-orchard-43","action":"incoming_event","organization_id":"o","payload":{"chat_id":5}}"#,
            r#"{"payload":{"chat_id":5},"action":"incoming_event","webhook_id":"w","organization_id":"o","secret_key":"kettle-lamp-orchard-43"}"#,
        ] {
            let err = crate::v3_6::agent::Webhook::verify(body.as_bytes(), &secret).unwrap_err();
            let decode = err.decode_error().expect("malformed");
            assert_eq!(decode.path(), "payload.chat_id");
            let shown = format!("{err} {err:?} {decode} {decode:?} {:?}", std::error::Error::source(&err));
            assert!(!shown.contains("kettle") && decode.raw().contains("<redacted>"), "{shown}");
        }
    }

    /// A version whose feature is off is refused with 500 (CI builds each version alone).
    #[cfg(any(feature = "v3_5", feature = "v3_6", feature = "v3_7"))]
    #[test]
    fn a_version_this_build_does_not_have_is_unsupported() {
        let body = br#"{"webhook_id":"w","secret_key":"s","action":"x","organization_id":"o","payload":{}}"#;
        let secret = WebhookSecret::new("s");
        for version in [ApiVersion::V3_5, ApiVersion::V3_6, ApiVersion::V3_7] {
            let built = !webhooks(version).is_empty();
            match crate::VersionedWebhook::verify(version, body, &secret) {
                Ok(w) => assert!(built && w.version() == version && w.action() == "x"),
                Err(e) => {
                    assert!(!built, "{version}: {e}");
                    assert_eq!((e.status(), &e), (500, &WebhookError::UnsupportedVersion(version)));
                    assert!(e.to_string().contains(&version.to_string()), "{e}");
                }
            }
        }
    }
}

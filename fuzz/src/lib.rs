//! The checks the fuzz targets share: round trips of decoded values, decode errors that name a
//! path, and the table of every decodable name (type, request, response, push) of every version.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use lc_types::{Api, DecodeError, Decoded, Frame, VersionedPush, VersionedRequest};
use serde::Serialize;
use serde_json::Value;

/// Checks one decode: a success re-encodes, its output decodes again, and both encodings are
/// equal; a failure names a JSON path.
pub fn roundtrip<T, E: PartialEq + std::fmt::Debug + std::fmt::Display>(
    what: &str,
    text: &str,
    decode: impl Fn(&str) -> Result<T, DecodeError>,
    encode: impl Fn(&T) -> E,
) -> Option<T> {
    match decode(text) {
        Ok(value) => {
            let json = encode(&value);
            let out = json.to_string();
            let again = match decode(&out) {
                Ok(v) => v,
                Err(e) => panic!("{what}: its own output does not decode: {e}\ninput: {text}\noutput: {out}"),
            };
            let json2 = encode(&again);
            assert_eq!(json, json2, "{what}: the round trip is not stable\ninput: {text}");
            Some(value)
        }
        Err(e) => {
            assert!(!e.path().is_empty(), "{what}: a decode error without a path: {e:?}");
            assert!(!e.message().is_empty(), "{what}: a decode error without a message: {e:?}");
            None
        }
    }
}

/// JSON of a serializable value (which must encode).
pub fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("a decoded value encodes")
}

/// JSON of a run-time decoded value (which must encode).
pub fn json_dyn(value: &Box<dyn Decoded>) -> Value {
    value.to_json().expect("a decoded value encodes")
}

/// What an entry decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A type by name (`Api::decode_type`).
    Type,
    /// `AnyRequest` by action name.
    Request,
    /// `AnyResponse` by action name.
    Response,
    /// `AnyPush` by push name.
    Push,
}

impl Kind {
    /// Its name in the seed header.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Type => "type",
            Kind::Request => "request",
            Kind::Response => "response",
            Kind::Push => "push",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        [Kind::Type, Kind::Request, Kind::Response, Kind::Push]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One decodable name of one version.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The version's API.
    pub api: &'static Api,
    /// What it decodes.
    pub kind: Kind,
    /// The type, action or push name.
    pub name: &'static str,
}

/// Every entry of every version compiled in, in a stable order (plus one unknown name per kind).
pub fn entries() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        let mut out = Vec::new();
        for api in lc_types::apis() {
            out.extend(api.types.iter().map(|&name| Entry {
                api,
                kind: Kind::Type,
                name,
            }));
            for a in api.actions {
                out.push(Entry {
                    api,
                    kind: Kind::Request,
                    name: a.name,
                });
                out.push(Entry {
                    api,
                    kind: Kind::Response,
                    name: a.name,
                });
            }
            out.extend(api.pushes.iter().map(|p| Entry {
                api,
                kind: Kind::Push,
                name: p.name,
            }));
            for kind in [Kind::Request, Kind::Response, Kind::Push] {
                out.push(Entry {
                    api,
                    kind,
                    name: "fuzz_unknown_name",
                });
            }
        }
        out
    })
}

/// Decodes `text` as `kind` `name` of `api`; `None` for a type name the version lacks.
pub fn decode(api: &Api, kind: Kind, name: &str, text: &str) -> Option<Result<Box<dyn Decoded>, DecodeError>> {
    match kind {
        Kind::Type => (api.decode_type)(name, text),
        Kind::Request => Some((api.decode_request)(name, text)),
        Kind::Response => Some((api.decode_response)(name, text)),
        Kind::Push => Some((api.decode_push)(name, text)),
    }
}

/// The input of the `types` target: either `@<version> <kind> <name>\n<json>` (the readable form
/// the seeds use), or two little-endian bytes choosing an entry of [`entries`], then the JSON.
pub fn split_types_input(data: &[u8]) -> Option<(&'static Api, Kind, String, &[u8])> {
    if let Some(rest) = data.strip_prefix(b"@") {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let head = std::str::from_utf8(&rest[..end]).ok()?;
        let mut words = head.split(' ');
        let version = words.next()?.parse().ok()?;
        let api = lc_types::api(lc_types::ChatApi::Customer, version)?;
        let kind = Kind::parse(words.next()?)?;
        let name = words.next()?.to_owned();
        return Some((api, kind, name, &rest[end + 1..]));
    }
    let [a, b, rest @ ..] = data else { return None };
    let all = entries();
    let e = all[usize::from(u16::from_le_bytes([*a, *b])) % all.len()];
    Some((e.api, e.kind, e.name.to_owned(), rest))
}

/// The `frame` target's checks on one text: the envelope round-trips, and its payload decoded
/// by action in every version it may be read in round-trips too.
pub fn check_frame(text: &str) {
    check_one_pass(text);
    // A frame keeps its payload as raw JSON text, which may hold what a `Value` cannot (a number
    // out of `f64`'s range, found by this target): frames are compared as the text they write.
    let as_text = |f: &Frame| serde_json::to_string(f).expect("a decoded frame encodes");
    let Some(frame) = roundtrip("Frame", text, lc_types::from_str::<Frame>, as_text) else {
        return;
    };
    match &frame {
        Frame::Request(f) => {
            for api in lc_types::apis() {
                let version = f.version.clone().unwrap_or_else(|| api.version.to_string());
                let direct = f.decode_any(api.version);
                let what = format!("request `{}` of v{version}", f.action);
                let checked = roundtrip(&what, f.payload.get(), |t| VersionedRequest::decode(&version, &f.action, t), json);
                assert_eq!(direct.ok(), checked, "{what}: decode_any differs from VersionedRequest::decode");
            }
        }
        Frame::Push(f) => {
            for api in lc_types::apis() {
                let version = f.version.clone().unwrap_or_else(|| api.version.to_string());
                let direct = f.decode_any(api.version);
                let what = format!("push `{}` of v{version}", f.action);
                let checked = roundtrip(&what, f.payload.get(), |t| VersionedPush::decode(&version, &f.action, t), json);
                assert_eq!(direct.ok(), checked, "{what}: decode_any differs from VersionedPush::decode");
            }
        }
        Frame::Response(f) => {
            let payload = f.payload.as_deref().map_or("{}", |p| p.get());
            if f.success {
                for api in lc_types::apis() {
                    let what = format!("response `{}` of v{}", f.action, api.version);
                    roundtrip(&what, payload, |t| (api.decode_response)(&f.action, t), json_dyn);
                }
            } else {
                roundtrip("error envelope", payload, lc_types::from_str::<lc_types::ErrorEnvelope>, json);
            }
            // The generic decode agrees with the envelope's `success`.
            match f.decode::<Value>() {
                Ok(_) => assert!(f.success, "a failed response decoded as a success"),
                Err(lc_types::ResponseError::Api(_)) => assert!(!f.success, "a successful response decoded as an API error"),
                Err(lc_types::ResponseError::Decode(e)) => assert!(!e.path().is_empty(), "a decode error without a path: {e:?}"),
                Err(_) => {}
            }
        }
        _ => {}
    }
}

/// The request fixtures (`tests/fixtures/v*/request/<action>/*.json`) of `version`, by action:
/// the templates the stateful mock target starts its payloads from.
pub fn request_fixtures(version: lc_types::ApiVersion) -> &'static BTreeMap<String, Vec<Value>> {
    static FIXTURES: OnceLock<BTreeMap<lc_types::ApiVersion, BTreeMap<String, Vec<Value>>>> = OnceLock::new();
    let all = FIXTURES.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
        let mut out = BTreeMap::new();
        for api in lc_types::apis() {
            let mut by_action = BTreeMap::new();
            let dir = root.join(format!("v{}/request", api.version));
            for action in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = action.file_name().to_string_lossy().into_owned();
                let mut files: Vec<_> = std::fs::read_dir(action.path())
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|f| f.path())
                    .collect();
                files.sort();
                let payloads = files
                    .iter()
                    .filter_map(|f| std::fs::read_to_string(f).ok())
                    .filter_map(|t| serde_json::from_str(&t).ok())
                    .collect();
                by_action.insert(name, payloads);
            }
            out.insert(api.version, by_action);
        }
        out
    });
    &all[&version]
}

/// Splits `@<header>\n<rest>`: the header's words and the rest; `None` without a header.
pub fn header(data: &[u8]) -> Option<(Vec<String>, &[u8])> {
    let rest = data.strip_prefix(b"@")?;
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let head = std::str::from_utf8(&rest[..end]).ok()?;
    Some((
        head.split(' ').map(str::to_owned).collect(),
        rest.get(end + 1..).unwrap_or_default(),
    ))
}

/// Every action name of every version, in a stable order.
pub fn all_actions() -> &'static [&'static str] {
    static ACTIONS: OnceLock<Vec<&'static str>> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        let mut names: Vec<&'static str> = lc_types::apis().iter().flat_map(|a| a.actions.iter().map(|a| a.name)).collect();
        names.sort_unstable();
        names.dedup();
        names
    })
}

/// Checks a push frame the mock sent: it decodes as a frame, its payload by name.
pub fn check_push_from_mock(text: &str) {
    let frame = lc_types::from_str::<Frame>(text).unwrap_or_else(|e| panic!("the mock sent a frame that does not decode: {e}\n{text}"));
    if let Frame::Push(push) = frame {
        if let Err(e) = push.decode_any(lc_types::ApiVersion::V3_6) {
            panic!("the mock sent push `{}` that does not decode: {e}\n{text}", push.action);
        }
    }
}

/// `Frame::peek` agrees with the whole frame where it answers, and `PushFrame::decode_text`
/// (one pass) with the envelope then the payload (two steps), for every API and version.
fn check_one_pass(text: &str) {
    let frame = lc_types::from_str::<Frame>(text);
    if let (Some(peeked), Ok(frame)) = (Frame::peek(text), &frame) {
        let kind = match frame {
            Frame::Push(_) => Some("push"),
            Frame::Response(_) => Some("response"),
            _ => None,
        };
        if let Some(kind) = kind {
            assert_eq!((peeked.type_, Some(peeked.action)), (kind, frame.action()), "peek: {text}");
        }
    }
    for api in lc_types::apis() {
        let one = lc_types::PushFrame::decode_text(text, api.api, api.version);
        let two = match &frame {
            Ok(Frame::Push(f)) => f.decode_any_in(api.api, api.version).map(|push| (f.request_id.clone(), push)),
            _ => continue,
        };
        match (one, two) {
            (Ok(one), Ok((request_id, push))) => {
                assert_eq!((one.request_id, json(&one.push)), (request_id, json(&push)), "one pass: {text}");
            }
            (Err(_), Err(_)) => {}
            (one, two) => panic!("one pass {:?} but two steps {:?}: {text}", one.is_ok(), two.is_ok()),
        }
    }
}

/// The secret `check_webhook` verifies with (the seeds' deliveries carry it).
pub const WEBHOOK_SECRET: &str = "kettle-lamp-orchard-42";

/// `data` as a webhook delivery of every version (the `webhook` target).
pub fn check_webhook(data: &[u8]) {
    let secret = lc_types::webhook::WebhookSecret::new(WEBHOOK_SECRET);
    check_webhook_in::<lc_types::v3_5::agent::AnyWebhook>(data, &secret);
    check_webhook_in::<lc_types::v3_6::agent::AnyWebhook>(data, &secret);
    check_webhook_in::<lc_types::v3_7::agent::AnyWebhook>(data, &secret);
}

fn check_webhook_in<P: lc_types::webhook::WebhookPayload>(data: &[u8], secret: &lc_types::webhook::WebhookSecret) {
    use lc_types::webhook::{Webhook, WebhookError};
    match Webhook::<P>::verify(data, secret) {
        Ok(delivery) => {
            assert!(secret.matches(delivery.secret_key.expose()), "verified with another secret");
            let text = serde_json::to_string(&delivery).expect("a delivery encodes");
            let again: Webhook<P> = lc_types::from_str(&text).unwrap_or_else(|e| panic!("re-decoding {text}: {e}"));
            assert_eq!(again, delivery, "not the same after a round trip: {text}");
            let unchecked: Webhook<P> = lc_types::from_slice(data).expect("a verified delivery decodes unchecked");
            assert_eq!(unchecked, delivery, "verify and the unchecked decode differ");
        }
        Err(WebhookError::Malformed(e)) => assert!(!e.path().is_empty(), "a decode error without a path: {e:?}"),
        Err(_) => {}
    }
}

//! Decoding of the generated unions (`Event`, `User`, ...), streamed: the tag is read, then the
//! member is decoded once, straight from the input.
//!
//! The fields before the tag (LiveChat often writes `id` and `created_at` first) are kept as
//! small JSON values; the tag's value picks the member; the member's struct then reads those
//! fields and the rest of the object, which streams from the same deserializer. An unknown tag
//! keeps the whole object as raw JSON; a known tag with a malformed body is an error whose path
//! points into the body.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, StrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// What a generated union tells [`decode`]: its tag field and members.
#[doc(hidden)]
pub trait Members: Sized {
    /// The tag field, e.g. `type`.
    const TAG: &'static str;
    /// The member of a tag value, and whether that member's struct keeps the tag as a field
    /// (members with several tag values do); `None` for a value this version does not know.
    fn member(tag: &str) -> Option<(usize, bool)>;
    /// Decodes member `index` (as given by [`Members::member`]) from `de`.
    fn decode<'de, D: Deserializer<'de>>(index: usize, de: D) -> Result<Self, D::Error>;
    /// A member this version does not know, with its whole object.
    fn unknown(object: Map<String, Value>) -> Self;
}

/// Decodes the union `U`; the `Deserialize` impl of every generated union calls this.
#[doc(hidden)]
pub fn decode<'de, U: Members, D: Deserializer<'de>>(deserializer: D) -> Result<U, D::Error> {
    deserializer.deserialize_map(UnionVisitor(PhantomData))
}

struct UnionVisitor<U>(PhantomData<U>);

impl<'de, U: Members> Visitor<'de> for UnionVisitor<U> {
    type Value = U;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object with a `{}` field", U::TAG)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<U, A::Error> {
        // The fields before the tag (LiveChat often writes `id` first; a serializer of sorted
        // maps writes `type` nearly last) are kept, to be given to the member after the tag
        // picked it; the rest streams. Decoding from text borrows them as raw JSON (checked, not
        // parsed); otherwise they are kept as values.
        let raw = crate::decode::pass() != crate::decode::Pass::Values;
        let mut before = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if key != U::TAG {
                let value = match raw {
                    true => Buffered::Raw(map.next_value::<&'de RawValue>()?),
                    false => Buffered::Value(map.next_value::<Value>()?),
                };
                before.push((key, value));
                continue;
            }
            // From text, a plain string tag is looked at where it lies, not copied.
            let (plain, tag) = match raw {
                true => {
                    let text = map.next_value::<&'de RawValue>()?.get();
                    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                        Some(plain) if !plain.contains('\\') => (Some(plain), None),
                        _ => (None, Some(serde_json::from_str::<Value>(text).map_err(de::Error::custom)?)),
                    }
                }
                false => (None, Some(map.next_value::<Value>()?)),
            };
            let name = plain.or_else(|| tag.as_ref().and_then(Value::as_str));
            if let Some((index, keeps_tag)) = name.and_then(U::member) {
                let tag = match keeps_tag {
                    true => name.map(str::to_owned),
                    false => None,
                };
                let rest = Rest {
                    map,
                    tag_field: U::TAG,
                    tag,
                    before: before.into_iter(),
                    pending: Pending::None,
                };
                return U::decode(index, MapAccessDeserializer::new(rest));
            }
            // A tag this version does not know: keep the whole object.
            let mut object = values(before)?;
            let tag = match (plain, tag) {
                (Some(plain), _) => Value::String(plain.to_owned()),
                (None, tag) => tag.unwrap_or_default(),
            };
            object.insert(U::TAG.to_owned(), tag);
            while let Some((key, value)) = map.next_entry::<String, Value>()? {
                // A second tag would silently replace the first (and re-encode as another
                // member): refused, as for a known member.
                if key == U::TAG {
                    return Err(de::Error::duplicate_field(U::TAG));
                }
                object.insert(key, value);
            }
            return Ok(U::unknown(object));
        }
        // No tag at all.
        Ok(U::unknown(values(before)?))
    }
}

/// A field read before the union's tag.
enum Buffered<'de> {
    /// Its raw JSON, borrowed from the input.
    Raw(&'de RawValue),
    Value(Value),
}

/// The buffered fields as a JSON object.
fn values<E: de::Error>(fields: Vec<(Cow<'_, str>, Buffered<'_>)>) -> Result<Map<String, Value>, E> {
    fields
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                Buffered::Raw(raw) => serde_json::from_str(raw.get()).map_err(E::custom)?,
                Buffered::Value(value) => value,
            };
            Ok((key.into_owned(), value))
        })
        .collect()
}

/// Decodes a buffered `value` with `seed` (a field that came before the union's tag), keeping
/// the path inside the value when this is the pass that looks for a failure's path.
///
/// Raw JSON is decoded by the same kind of deserializer as the whole input (text), so that the
/// generated types are compiled for one deserializer (and one path-tracking one) only.
fn replay<'de, V: DeserializeSeed<'de>, E: de::Error>(key: &str, value: Buffered<'de>, seed: V) -> Result<V::Value, E> {
    match value {
        Buffered::Raw(raw) => {
            let mut de = serde_json::Deserializer::from_str(raw.get());
            if crate::decode::pass() == crate::decode::Pass::TrackingPaths {
                let mut track = serde_path_to_error::Track::new();
                seed.deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
                    .map_err(|e| E::custom(crate::decode::nested_at(key, &track.path(), &e)))
            } else {
                seed.deserialize(&mut de).map_err(E::custom)
            }
        }
        Buffered::Value(value) => seed.deserialize(value).map_err(E::custom),
    }
}

/// A map key, borrowed from the input when it can be.
pub(crate) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// The rest of a union's object after its tag, as the member's struct reads it: the tag again
/// when the member keeps it, then the fields that came before the tag, then the remaining
/// input. A second tag field is refused (it would otherwise land in the member's unknown fields
/// and be written twice).
struct Rest<'de, A> {
    map: A,
    tag_field: &'static str,
    /// The tag value to give back first, for members that keep it.
    tag: Option<String>,
    /// The fields read before the tag.
    before: std::vec::IntoIter<(Cow<'de, str>, Buffered<'de>)>,
    /// The value of the key given last, when it does not come from `map`.
    pending: Pending<'de>,
}

enum Pending<'de> {
    None,
    Tag(String),
    Before(Cow<'de, str>, Buffered<'de>),
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Rest<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        if let Some(tag) = self.tag.take() {
            self.pending = Pending::Tag(tag);
            return seed.deserialize(BorrowedStrDeserializer::new(self.tag_field)).map(Some);
        }
        if let Some((key, value)) = self.before.next() {
            let key_seen = match &key {
                Cow::Borrowed(k) => seed.deserialize(BorrowedStrDeserializer::<A::Error>::new(k)).map(Some),
                Cow::Owned(k) => seed.deserialize(StrDeserializer::<A::Error>::new(k)).map(Some),
            };
            self.pending = Pending::Before(key, value);
            return key_seen;
        }
        match self.map.next_key_seed(KeySeed)? {
            None => Ok(None),
            Some(key) if key == self.tag_field => Err(de::Error::duplicate_field(self.tag_field)),
            Some(Cow::Borrowed(key)) => seed.deserialize(BorrowedStrDeserializer::new(key)).map(Some),
            Some(Cow::Owned(key)) => seed.deserialize(StringDeserializer::new(key)).map(Some),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match std::mem::replace(&mut self.pending, Pending::None) {
            Pending::Tag(tag) => seed.deserialize(StringDeserializer::new(tag)),
            Pending::Before(key, value) => replay(&key, value, seed),
            Pending::None => self.map.next_value_seed(seed),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}
#[cfg(all(test, feature = "v3_6"))]
mod tests {
    use serde_json::{json, Value};

    use crate::v3_6::{Event, FilledFormField};

    /// `fields` as a JSON object text, in this order.
    fn object(fields: &[(&str, Value)]) -> String {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
        format!("{{{}}}", body.join(","))
    }

    fn message(tag_first: bool, text: Value) -> String {
        let tag = ("type", json!("message"));
        let rest = [
            ("id", json!("Q20N9CKRX2_1")),
            ("text", text),
            ("created_at", json!("2026-03-02T10:15:31.123456Z")),
            ("author_id", json!("a")),
            ("mood", json!("new")),
        ];
        let mut fields = rest.to_vec();
        fields.insert(if tag_first { 0 } else { 2 }, tag);
        object(&fields)
    }

    #[test]
    fn tag_first_or_not_decodes_the_same() {
        let (streamed, buffered) = (message(true, json!("Hi")), message(false, json!("Hi")));
        let a: Event = crate::from_str(&streamed).unwrap();
        let b: Event = crate::from_str(&buffered).unwrap();
        assert_eq!(a, b);
        let Event::Message(m) = &a else { panic!("{a:?}") };
        assert_eq!(m.text, "Hi");
        assert_eq!(m.extra["mood"], "new");
        assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::from_str::<Value>(&streamed).unwrap());
    }

    #[test]
    fn the_tag_last_decodes_the_same_through_every_entry_point() {
        // Sorted keys (as a serializer of sorted maps writes them) put `type` after nearly all.
        let text = r#"{"author_id":"a","created_at":"2026-03-02T10:15:31.123456Z","id":"Q_1","mood":"new",
            "properties":{"ns":{"k":[1,{"x":null}]}},"postback":{"id":"p","thread_id":"T","event_id":"T_1","type":"message","value":"v"},
            "text":"Hi \u00e9","type":"message","zeta":{"deep":[true]}}"#;
        let expected: Value = serde_json::from_str(text).unwrap();
        let decoded = [
            crate::from_str::<Event>(text).unwrap(),
            crate::from_slice::<Event>(text.as_bytes()).unwrap(),
            crate::from_value::<Event>(expected.clone()).unwrap(),
            serde_json::from_str::<Event>(text).unwrap(),
            serde_json::from_reader::<_, Event>(text.as_bytes()).unwrap(),
        ];
        for e in &decoded {
            let Event::Message(m) = e else { panic!("{e:?}") };
            assert_eq!(m.text, "Hi é");
            assert_eq!(serde_json::to_value(e).unwrap(), expected);
            assert_eq!(e, &decoded[0]);
        }
        // An unknown tag after raw-buffered fields keeps them all.
        let text = r#"{"a":{"b":[1,2]},"id":"X_1","type":"hologram","z":"last"}"#;
        let e: Event = crate::from_str(text).unwrap();
        assert!(e.is_unknown());
        assert_eq!(serde_json::to_value(&e).unwrap(), serde_json::from_str::<Value>(text).unwrap());
    }

    #[test]
    fn a_malformed_known_member_names_the_path_either_way() {
        for tag_first in [true, false] {
            let text = format!(r#"{{"chat_id":"C","event":{}}}"#, message(tag_first, json!(5)));
            let err = crate::from_str::<crate::v3_6::IncomingEventPush>(&text).unwrap_err();
            assert_eq!(err.path(), "event.text", "tag first: {tag_first}: {err}");
            assert!(err.message().contains("invalid type: integer `5`"), "{err}");
        }
    }

    #[test]
    fn a_malformed_field_before_the_tag_names_its_path() {
        let text = r#"{"chat_id":"C","event":{"id":"Q_1","created_at":5,"type":"message","text":"Hi"}}"#;
        let err = crate::from_str::<crate::v3_6::IncomingEventPush>(text).unwrap_err();
        assert_eq!(err.path(), "event.created_at", "{err}");
        let text = r#"{"chat_id":"C","event":{"id":"Q_1","properties":{"ns":{"a":1},"bad":[1]},"type":"message","text":"Hi"}}"#;
        let err = crate::from_str::<crate::v3_6::IncomingEventPush>(text).unwrap_err();
        assert_eq!(err.path(), "event.properties.bad", "{err}");
        assert!(err.message().contains("invalid type: sequence"), "{err}");
    }

    #[test]
    fn unknown_members_keep_their_json_either_way() {
        for text in [
            r#"{"type":"hologram","id":"X_1","beam":{"hz":7}}"#,
            r#"{"id":"X_1","beam":{"hz":7},"type":"hologram"}"#,
        ] {
            let e: Event = crate::from_str(text).unwrap();
            assert!(e.is_unknown());
            assert_eq!(e.tag(), Some("hologram"));
            assert_eq!(serde_json::to_value(&e).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        }
        // No tag, a tag that is not a string, an empty object: unknown, kept.
        for text in [r#"{"id":"X_1"}"#, r#"{"type":7,"id":"X_1"}"#, "{}"] {
            let e: Event = crate::from_str(text).unwrap();
            assert!(e.is_unknown() && e.tag().is_none(), "{text}");
            assert_eq!(serde_json::to_value(&e).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        }
    }

    /// Found by the `frame` fuzz target: `{"type": "ret", …, "type": "agent"}` decoded as an
    /// unknown member whose kept object had the second tag (the last key wins), so it
    /// re-encoded as an agent lacking its `id`, which no longer decoded.
    #[test]
    fn a_second_tag_after_an_unknown_tag_is_refused_too() {
        let text = r#"{"name": "Ines", "type": "ret", "present": false, "type": "agent"}"#;
        let e = crate::from_str::<crate::v3_6::User>(text).unwrap_err();
        assert!(e.message().contains("duplicate field `type`"), "{e}");
    }

    #[test]
    fn a_second_tag_is_refused_not_kept_as_unknown() {
        let text = r#"{"type":"message","id":"Q_1","text":"Hi","type":"file"}"#;
        let err = crate::from_str::<Event>(text).unwrap_err();
        assert!(err.message().contains("duplicate field `type`"), "{err}");
    }

    #[test]
    fn members_that_keep_their_tag_get_it_back() {
        for text in [
            r#"{"type":"name","id":"f1","label":"Name","answer":"Ada"}"#,
            r#"{"id":"f1","label":"Name","answer":"Ada","type":"name"}"#,
        ] {
            let f: FilledFormField = crate::from_str(text).unwrap();
            assert!(!f.is_unknown(), "{f:?}");
            assert_eq!(f.tag(), Some("name"));
            assert_eq!(serde_json::to_value(&f).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        }
    }
}

//! Decoding of the generated unions (`Event`, `User`, ...), streamed: the tag is read, then the
//! member is decoded once, straight from the input.
//!
//! LiveChat writes the tag (`type`) first, so nearly every union decodes without buffering:
//! the first key is the tag, its value picks the member, and the member's struct reads the rest
//! of the object from the same deserializer. When the tag is not the first key, that one
//! object is buffered into a map and decoded from it (as every union was before). An unknown
//! tag keeps the whole object as raw JSON; a known tag with a malformed body is an error whose
//! path points into the body.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, StrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
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
        let Some(first) = map.next_key_seed(KeySeed)? else {
            return Ok(U::unknown(Map::new()));
        };
        let mut object = Map::new();
        if first == U::TAG {
            let tag: Value = map.next_value()?;
            if let Some((index, keeps_tag)) = tag.as_str().and_then(U::member) {
                let tag = match keeps_tag {
                    true => Some(tag.as_str().unwrap_or_default().to_owned()),
                    false => None,
                };
                let rest = Rest {
                    map,
                    tag_field: U::TAG,
                    tag,
                    seen: false,
                };
                return U::decode(index, MapAccessDeserializer::new(rest));
            }
            object.insert(U::TAG.to_owned(), tag);
        } else {
            // The tag is not first: buffer this one object.
            let value = map.next_value()?;
            object.insert(first.into_owned(), value);
        }
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        buffered(object)
    }
}

/// Decodes a union from its buffered object.
fn buffered<U: Members, E: de::Error>(mut object: Map<String, Value>) -> Result<U, E> {
    let Some((index, keeps_tag)) = object.get(U::TAG).and_then(Value::as_str).and_then(U::member) else {
        return Ok(U::unknown(object));
    };
    if !keeps_tag {
        object.remove(U::TAG);
    }
    let object = Value::Object(object);
    if crate::decode::tracking_paths() {
        // The second pass after a failure: keep the path inside the buffered object.
        let mut track = serde_path_to_error::Track::new();
        U::decode(index, serde_path_to_error::Deserializer::new(object, &mut track))
            .map_err(|e| E::custom(crate::decode::nested(&track.path(), &e)))
    } else {
        U::decode(index, object).map_err(E::custom)
    }
}

/// A map key, borrowed from the input when it can be.
struct KeySeed;

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
/// first when the member keeps it, and a second tag field refused (it would otherwise land in
/// the member's unknown fields and be written twice).
struct Rest<A> {
    map: A,
    tag_field: &'static str,
    /// The tag value to give back first, for members that keep it.
    tag: Option<String>,
    /// Whether the key given last was the replayed tag.
    seen: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Rest<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        if self.tag.is_some() && !self.seen {
            self.seen = true;
            return seed.deserialize(StrDeserializer::new(self.tag_field)).map(Some);
        }
        match self.map.next_key_seed(KeySeed)? {
            None => Ok(None),
            Some(key) if key == self.tag_field => Err(de::Error::duplicate_field(self.tag_field)),
            Some(Cow::Borrowed(key)) => seed.deserialize(BorrowedStrDeserializer::new(key)).map(Some),
            Some(Cow::Owned(key)) => seed.deserialize(StringDeserializer::new(key)).map(Some),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        if self.seen {
            self.seen = false;
            let tag = self.tag.take().unwrap_or_default();
            return seed.deserialize(StringDeserializer::new(tag));
        }
        self.map.next_value_seed(seed)
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
    fn a_malformed_known_member_names_the_path_either_way() {
        for tag_first in [true, false] {
            let text = format!(r#"{{"chat_id":"C","event":{}}}"#, message(tag_first, json!(5)));
            let err = crate::from_str::<crate::v3_6::IncomingEventPush>(&text).unwrap_err();
            assert_eq!(err.path(), "event.text", "tag first: {tag_first}: {err}");
            assert!(err.message().contains("invalid type: integer `5`"), "{err}");
        }
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

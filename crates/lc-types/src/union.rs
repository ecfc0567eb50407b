//! Decoding of the generated unions (`Event`, `User`, ...), streamed: the tag is read, then the
//! member is decoded once, straight from the input.
//!
//! The fields before the tag (LiveChat often writes `id` and `created_at` first) are kept aside
//! (a plain string as the text where it lies, anything else as raw JSON); the tag's value picks
//! the member; the member's struct takes those fields into its slots and then reads the rest of
//! the object from the same deserializer, in the same loop as any struct
//! ([`crate::object::resume`]). An unknown tag keeps the whole object as raw JSON; a known tag
//! with a malformed body is an error whose path points into the body.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// What a generated union tells [`decode`]: its tag field and members. Implemented by
/// [`union!`](crate::declare::union).
#[doc(hidden)]
pub trait Members: Sized {
    /// The tag field, e.g. `type`.
    const TAG: &'static str;
    /// A member.
    type Member: Copy;
    /// The member of a tag value, and whether that member's struct keeps the tag as a field
    /// (members with several tag values do); `None` for a value this version does not know.
    fn member(tag: &str) -> Option<(Self::Member, bool)>;
    /// Decodes `member` (as given by [`Members::member`]): the fields read before the tag, then
    /// the rest of `map` (see [`crate::object::resume`]).
    fn decode<'de, A: MapAccess<'de>>(member: Self::Member, prefix: &mut Prefix<'de>, map: A) -> Result<Self, A::Error>;
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
        // picked it; the rest streams. Decoding from text borrows them (a plain string as its
        // text, anything else as raw JSON, checked, not parsed); otherwise they are kept as
        // values.
        let raw = crate::decode::pass() != crate::decode::Pass::Values;
        let mut prefix = Prefix::new(U::TAG);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = match raw {
                true => Buffered::of_raw(map.next_value::<&'de RawValue>()?),
                false => Buffered::Value(map.next_value::<Value>()?),
            };
            if key != U::TAG {
                prefix.push(key, value);
                continue;
            }
            let name = match &value {
                Buffered::Str(s) => Some(&**s),
                Buffered::Value(v) => v.as_str(),
                // A tag that is a string with escapes, or no string at all.
                Buffered::Raw(_) => None,
            };
            let tag = match (name, &value) {
                (None, Buffered::Raw(raw)) => Some(serde_json::from_str::<Value>(raw.get()).map_err(de::Error::custom)?),
                _ => None,
            };
            let name = name.or_else(|| tag.as_ref().and_then(Value::as_str));
            if let Some((member, keeps_tag)) = name.and_then(U::member) {
                if keeps_tag {
                    prefix.tag = Some(match value {
                        Buffered::Str(s) => s,
                        _ => Cow::Owned(name.unwrap_or_default().to_owned()),
                    });
                }
                return U::decode(member, &mut prefix, map);
            }
            // A tag this version does not know: keep the whole object.
            let mut object = prefix.into_values()?;
            let tag = match tag {
                Some(tag) => tag,
                None => value.into_value()?,
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
        Ok(U::unknown(prefix.into_values()?))
    }
}

/// The fields of a union's object read before its tag, for the member the tag picks: its tag
/// again when the member keeps it as a field, then the fields in the order they came.
#[doc(hidden)]
pub struct Prefix<'de> {
    tag_field: &'static str,
    /// The tag value, for members that keep it.
    tag: Option<Cow<'de, str>>,
    /// The first few fields, without an allocation (LiveChat writes two or three before `type`).
    first: [Option<Field<'de>>; FIRST],
    /// The fields after the first few.
    more: std::collections::VecDeque<Field<'de>>,
    /// How many of `first` were taken.
    taken: usize,
}

/// A field read before the tag: its key and value.
type Field<'de> = (Cow<'de, str>, Buffered<'de>);

/// How many fields before the tag [`Prefix`] keeps without an allocation.
const FIRST: usize = 4;

impl<'de> Prefix<'de> {
    fn new(tag_field: &'static str) -> Self {
        Prefix {
            tag_field,
            tag: None,
            first: [None, None, None, None],
            more: std::collections::VecDeque::new(),
            taken: 0,
        }
    }

    fn push(&mut self, key: Cow<'de, str>, value: Buffered<'de>) {
        match self.first.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some((key, value)),
            None => self.more.push_back((key, value)),
        }
    }

    /// The union's tag field, which the member must not see a second time.
    pub(crate) fn tag_field(&self) -> &'static str {
        self.tag_field
    }

    /// The next field in the order the member reads them: the tag first when it keeps it.
    pub(crate) fn take(&mut self) -> Option<Field<'de>> {
        if let Some(tag) = self.tag.take() {
            return Some((Cow::Borrowed(self.tag_field), Buffered::Str(tag)));
        }
        if self.taken < FIRST {
            self.taken += 1;
            // `first` fills in order: an empty slot means no more fields.
            return self.first[self.taken - 1].take();
        }
        self.more.pop_front()
    }

    /// The fields as a JSON object (for an unknown member).
    fn into_values<E: de::Error>(mut self) -> Result<Map<String, Value>, E> {
        let mut object = Map::new();
        while let Some((key, value)) = self.take() {
            object.insert(key.into_owned(), value.into_value()?);
        }
        Ok(object)
    }
}

/// A field read before a union's tag.
#[doc(hidden)]
pub enum Buffered<'de> {
    /// A string without escapes: its text (or, for the tag, the tag's text).
    Str(Cow<'de, str>),
    /// Any other value: its raw JSON, borrowed from the input.
    Raw(&'de RawValue),
    /// A value, when the input was not text.
    Value(Value),
}

impl<'de> Buffered<'de> {
    fn of_raw(raw: &'de RawValue) -> Self {
        match raw.get().strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(plain) if !plain.contains('\\') => Buffered::Str(Cow::Borrowed(plain)),
            _ => Buffered::Raw(raw),
        }
    }

    /// The value as JSON, for a struct's or an unknown member's unknown fields.
    pub(crate) fn into_value<E: de::Error>(self) -> Result<Value, E> {
        match self {
            Buffered::Str(s) => Ok(Value::String(s.into_owned())),
            Buffered::Raw(raw) => serde_json::from_str(raw.get()).map_err(E::custom),
            Buffered::Value(value) => Ok(value),
        }
    }
}

/// One buffered value, read as a map's next value by a generated struct's `read`: how a field
/// that came before the tag reaches the member's slot.
pub(crate) struct OneValue<'de, E> {
    pub(crate) value: Option<Buffered<'de>>,
    pub(crate) error: PhantomData<E>,
}

impl<'de, E: de::Error> MapAccess<'de> for OneValue<'de, E> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, _seed: K) -> Result<Option<K::Value>, E> {
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, E> {
        match self.value.take() {
            Some(value) => replay(value, seed),
            None => Err(de::Error::custom("value already read")),
        }
    }
}

/// Decodes a buffered `value` with `seed` (a field that came before the union's tag). The
/// path inside the value is kept; the field's own name is added by the struct that reads it.
///
/// Raw JSON is decoded by the same kind of deserializer as the whole input (text), so that the
/// generated types are compiled for one deserializer only.
fn replay<'de, V: DeserializeSeed<'de>, E: de::Error>(value: Buffered<'de>, seed: V) -> Result<V::Value, E> {
    let relocated = |e: serde_json::Error| E::custom(crate::decode::relocated(e.to_string()));
    match value {
        Buffered::Str(s) => seed.deserialize(PlainStr(s)).map_err(relocated),
        Buffered::Raw(raw) => seed
            .deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
            .map_err(relocated),
        Buffered::Value(value) => seed.deserialize(value).map_err(relocated),
    }
}

/// A JSON string without escapes, as a deserializer: what `serde_json` would give for it (a
/// borrowed `str`, its bytes, `Some` of it for an `Option`), without starting a parser for a
/// few bytes. It does not speak serde_json's private `RawValue` protocol: no generated type has
/// a `RawValue` field (such a field before the tag would fail the fast pass, and the error pass
/// would then decode it).
struct PlainStr<'de>(Cow<'de, str>);

impl<'de> Deserializer<'de> for PlainStr<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_string(s),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Cow::Borrowed(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            Cow::Owned(s) => visitor.visit_byte_buf(s.into_bytes()),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Cow::Borrowed(s) => BorrowedStrDeserializer::new(s).deserialize_enum(name, variants, visitor),
            Cow::Owned(s) => StringDeserializer::new(s).deserialize_enum(name, variants, visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
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

#[cfg(all(test, feature = "v3_6", feature = "customer"))]
mod tests {
    use serde_json::{json, Value};

    use crate::v3_6::customer::{Event, FilledFormField};

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
        assert_eq!(m.text.as_deref(), Some("Hi"));
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
            assert_eq!(m.text.as_deref(), Some("Hi é"));
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
            let err = crate::from_str::<crate::v3_6::customer::IncomingEventPush>(&text).unwrap_err();
            assert_eq!(err.path(), "event.text", "tag first: {tag_first}: {err}");
            assert!(err.message().contains("invalid type: integer `5`"), "{err}");
        }
    }

    #[test]
    fn a_malformed_field_before_the_tag_names_its_path() {
        let text = r#"{"chat_id":"C","event":{"id":"Q_1","created_at":5,"type":"message","text":"Hi"}}"#;
        let err = crate::from_str::<crate::v3_6::customer::IncomingEventPush>(text).unwrap_err();
        assert_eq!(err.path(), "event.created_at", "{err}");
        let text = r#"{"chat_id":"C","event":{"id":"Q_1","properties":{"ns":{"a":1},"bad":[1]},"type":"message","text":"Hi"}}"#;
        let err = crate::from_str::<crate::v3_6::customer::IncomingEventPush>(text).unwrap_err();
        assert_eq!(err.path(), "event.properties.bad", "{err}");
        assert!(err.message().contains("invalid type: sequence"), "{err}");
    }

    /// Fields before the tag come as plain strings (read where they lie), strings with escapes,
    /// other values, more than the few kept without an allocation, and unknown ones: each
    /// reaches the member as if it came after the tag.
    #[test]
    fn every_kind_of_field_before_the_tag_reaches_the_member() {
        let text = r#"{"id":"Q\u005f1","custom_id":"c","mood":"new","deleted":true,"author_id":"a",
            "recipients":"all","properties":{"ns":{"k":1}},"created_at":"2026-03-02T10:15:31.123456Z",
            "type":"message","text":"Hi"}"#;
        let e: Event = crate::from_str(text).unwrap();
        let Event::Message(m) = &e else { panic!("{e:?}") };
        assert_eq!(m.id.as_deref(), Some("Q_1"));
        assert_eq!(
            (m.custom_id.as_deref(), m.author_id.as_deref(), m.deleted),
            (Some("c"), Some("a"), Some(true))
        );
        assert_eq!(m.created_at.as_str(), "2026-03-02T10:15:31.123456Z");
        assert_eq!(m.extra["mood"], "new");
        assert_eq!(serde_json::to_value(&e).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        // A plain string before the tag that is not what the field takes: the error names it.
        let text = r#"{"chat_id":"C","event":{"id":"Q_1","created_at":"yesterday","type":"message","text":"Hi"}}"#;
        let err = crate::from_str::<crate::v3_6::customer::IncomingEventPush>(text).unwrap_err();
        assert_eq!(err.path(), "event.created_at", "{err}");
        let text = r#"{"chat_id":"C","event":{"deleted":"no","type":"message","text":"Hi"}}"#;
        let err = crate::from_str::<crate::v3_6::customer::IncomingEventPush>(text).unwrap_err();
        assert_eq!(err.path(), "event.deleted", "{err}");
        assert_eq!(err.message(), r#"invalid type: string "no", expected a boolean"#);
        // The same field twice, once before the tag and once after.
        let text = r#"{"id":"Q_1","type":"message","text":"Hi","id":"Q_2"}"#;
        let err = crate::from_str::<Event>(text).unwrap_err();
        assert!(err.message().contains("duplicate field `id`"), "{err}");
    }

    #[test]
    fn a_tag_with_escapes_is_read_as_its_value() {
        let text = r#"{"id":"f1","label":"Name","answer":"Ada","type":"n\u0061me"}"#;
        let f: FilledFormField = crate::from_str(text).unwrap();
        assert_eq!(f.tag(), Some("name"));
        assert_eq!(serde_json::to_value(&f).unwrap()["type"], "name");
        let e: Event = crate::from_str(r#"{"type":"m\u0065ssage","text":"Hi","created_at":"2026-03-02T10:15:31Z"}"#).unwrap();
        assert!(matches!(e, Event::Message(_)), "{e:?}");
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
        let e = crate::from_str::<crate::v3_6::customer::User>(text).unwrap_err();
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

//! Decoding of the generated structs: one generic loop, called by every struct's `Deserialize`
//! impl, instead of a derived one per struct.
//!
//! Each key is read borrowed from the input where it can be; a known field decodes straight into
//! its type, an unknown one into the struct's `extra` map (nothing is buffered). The errors are
//! serde's own (`missing field`, `duplicate field`, `invalid type: ..., expected struct X`), so
//! messages read as the derived impls' did. A field's value decodes through [`Field`], which
//! names the place of a failure (the field, the array item, the map key) on the way out: the
//! path of an error is known after one pass, with no path-tracking decoder compiled beside.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::decode::{nest, Step};

/// What a generated struct tells [`decode`]: its fields, where their values go while the object
/// is read, and how the struct is built from them at the end. Implemented by
/// [`object!`](crate::declare::object).
#[doc(hidden)]
pub trait Object: Sized {
    /// What `invalid type` errors say was expected: `struct Name`.
    const EXPECTING: &'static str;
    /// One `Option` per known field: `None` until the field is read.
    type Slots;
    /// A known field.
    type Key;
    /// Every slot empty.
    fn slots() -> Self::Slots;
    /// The known field of a wire name; `None` for an unknown one.
    fn key(name: &str) -> Option<Self::Key>;
    /// Reads the value of field `key` into its slot; `Ok(Err(wire name))`, reading nothing,
    /// when the slot is already filled (a duplicate field).
    fn read<'de, A: MapAccess<'de>>(slots: &mut Self::Slots, key: Self::Key, map: &mut A) -> Result<Result<(), &'static str>, A::Error>;
    /// The struct, or the wire name of a required field that is missing.
    fn finish(slots: Self::Slots, extra: Map<String, Value>) -> Result<Self, &'static str>;
}

/// Fills `slot` (of the field `name`) with the next value of `map`; `Ok(Err(name))`, reading
/// nothing, when it is full. A failure inside the value names the field in its path.
#[doc(hidden)]
#[inline]
pub fn slot<'de, T: Field, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    name: &'static str,
    map: &mut A,
) -> Result<Result<(), &'static str>, A::Error> {
    if slot.is_some() {
        return Ok(Err(name));
    }
    *slot = Some(map.next_value_seed(Seed::<T>(PhantomData)).map_err(|e| at(Step::Key(name), e))?);
    Ok(Ok(()))
}

/// `error`, raised inside the value at `step`, with `step` put in front of its path.
#[cold]
pub(crate) fn at<E: de::Error>(step: Step<'_>, error: E) -> E {
    E::custom(nest(step, error.to_string()))
}

/// The type of a generated struct's field, decoded so that a failure names its place: the
/// generated types and the core's decode as their `Deserialize` impls do (they name their own
/// fields); `Vec`, `BTreeMap`, `Option` and `Box` of them decode item by item here, naming the
/// index or key of an item that fails (serde's impls for them do not).
#[doc(hidden)]
pub trait Field: DeserializeOwned {
    /// Decodes the value.
    fn field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::deserialize(deserializer)
    }
}

/// A [`Field`] as a serde `deserialize_with` function (for the generated newtypes of an array
/// or a map).
#[doc(hidden)]
pub fn field<'de, T: Field, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    T::field(deserializer)
}

/// Implements [`Field`] for types that decode as their `Deserialize` impl does.
macro_rules! plain_field {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::object::Field for $t {}
    )*};
}

plain_field!(
    String, bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, Value, Map<String, Value>,
    crate::Timestamp, crate::ApiVersion, crate::StringOrInteger, crate::ErrorType
);

/// [`Field::field`] as a seed.
struct Seed<T>(PhantomData<T>);

impl<'de, T: Field> DeserializeSeed<'de> for Seed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::field(deserializer)
    }
}

impl<T: Field> Field for Box<T> {
    fn field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::field(deserializer).map(Box::new)
    }
}

impl<T: Field> Field for Option<T> {
    fn field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_option(OptionVisitor(PhantomData))
    }
}

struct OptionVisitor<T>(PhantomData<T>);

impl<'de, T: Field> Visitor<'de> for OptionVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        T::field(deserializer).map(Some)
    }
}

impl<T: Field> Field for Vec<T> {
    fn field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(SeqVisitor(PhantomData))
    }
}

struct SeqVisitor<T>(PhantomData<T>);

impl<'de, T: Field> Visitor<'de> for SeqVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        // No capacity from the peer's size hint: the items decide the size.
        let mut items = Vec::new();
        loop {
            match seq.next_element_seed(Seed::<T>(PhantomData)) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return Ok(items),
                Err(e) => return Err(at(Step::Index(items.len()), e)),
            }
        }
    }
}

impl<T: Field> Field for std::collections::BTreeMap<String, T> {
    fn field<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

struct MapVisitor<T>(PhantomData<T>);

impl<'de, T: Field> Visitor<'de> for MapVisitor<T> {
    type Value = std::collections::BTreeMap<String, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = std::collections::BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Seed::<T>(PhantomData)).map_err(|e| at(Step::Key(&key), e))?;
            entries.insert(key, value);
        }
        Ok(entries)
    }
}

/// Visits the unknowns of the field `name` (through `dyn`: one function for every field of every
/// struct, not one closure each).
#[doc(hidden)]
pub fn visit_field(path: &mut crate::JsonPath, name: &str, value: &dyn crate::Unknowns, found: &mut dyn FnMut(crate::Unknown)) {
    path.field(name, |p| value.visit_unknowns(p, found));
}

/// Decodes the generated struct `T`; its `Deserialize` impl calls this.
#[doc(hidden)]
pub fn decode<'de, T: Object, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Object> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut slots = T::slots();
        let mut extra = Map::new();
        read_fields::<T, A>(&mut slots, &mut extra, &mut map, None)?;
        T::finish(slots, extra).map_err(de::Error::missing_field)
    }
}

/// Decodes the generated struct `T` as a member of a union whose tag has just been read: the
/// fields that came before the tag first (`prefix`), then the rest of `map`, in the loop every
/// struct uses. A second tag field is refused (it would otherwise land in `extra` and be
/// written twice).
#[doc(hidden)]
pub fn resume<'de, T: Object, A: MapAccess<'de>>(prefix: &mut crate::union::Prefix<'de>, mut map: A) -> Result<T, A::Error> {
    let mut slots = T::slots();
    let mut extra = Map::new();
    let tag_field = prefix.tag_field();
    while let Some((key, value)) = prefix.take() {
        match T::key(&key) {
            Some(k) => {
                let mut one = crate::union::OneValue {
                    value: Some(value),
                    error: PhantomData,
                };
                if let Err(name) = T::read(&mut slots, k, &mut one)? {
                    return Err(de::Error::duplicate_field(name));
                }
            }
            None => {
                let value = value.into_value()?;
                extra.insert(key.into_owned(), value);
            }
        }
    }
    read_fields::<T, A>(&mut slots, &mut extra, &mut map, Some(tag_field))?;
    T::finish(slots, extra).map_err(de::Error::missing_field)
}

/// Reads the rest of `map` into `slots` (known fields) and `extra` (unknown ones); refuses a
/// field twice, and the union's `tag_field` (when `T` is read as a union member) once more.
#[inline]
fn read_fields<'de, T: Object, A: MapAccess<'de>>(
    slots: &mut T::Slots,
    extra: &mut Map<String, Value>,
    map: &mut A,
    tag_field: Option<&'static str>,
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key_seed(FieldSeed::<T>(PhantomData))? {
        match key {
            Ok(k) => {
                if let Err(name) = T::read(slots, k, map)? {
                    return Err(de::Error::duplicate_field(name));
                }
            }
            Err(key) => {
                if let Some(tag) = tag_field.filter(|tag| *tag == key) {
                    return Err(de::Error::duplicate_field(tag));
                }
                let value: Value = map.next_value().map_err(|e| at(Step::Key(&key), e))?;
                extra.insert(key, value);
            }
        }
    }
    Ok(())
}

/// A key of `T`: a known field (matched where the key lies in the input, without
/// copying it), or the name of an unknown one.
struct FieldSeed<T>(PhantomData<T>);

impl<'de, T: Object> DeserializeSeed<'de> for FieldSeed<T> {
    type Value = Result<T::Key, String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, T: Object> Visitor<'de> for FieldSeed<T> {
    type Value = Result<T::Key, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(T::key(v).ok_or_else(|| v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(T::key(&v).ok_or(v))
    }
}

#[cfg(all(test, feature = "v3_6", feature = "customer"))]
mod tests {
    use serde_json::{json, Value};

    use crate::v3_6::customer::Chat;

    #[test]
    fn absent_null_and_present_stay_apart_and_unknowns_are_kept() {
        let absent: Chat = crate::from_str(r#"{"id":"C","users":[]}"#).unwrap();
        assert_eq!(absent.thread, None);
        assert_eq!(absent.access, None);
        let null: Chat = crate::from_str(r#"{"id":"C","users":[],"thread":null,"access":null}"#).unwrap();
        assert_eq!(null.thread, Some(None));
        // A plain optional field reads `null` as absent, as derived impls did.
        assert_eq!(null.access, None);
        let text = r#"{"z":1,"id":"C\u0041","users":[],"new\"key":{"a":[null]},"thread":null}"#;
        let chat: Chat = crate::from_str(text).unwrap();
        assert_eq!(chat.id, "CA");
        assert_eq!(chat.extra["new\"key"], json!({"a": [null]}));
        assert_eq!(serde_json::to_value(&chat).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        for decoded in [
            crate::from_value::<Chat>(serde_json::from_str(text).unwrap()).unwrap(),
            serde_json::from_str(text).unwrap(),
        ] {
            assert_eq!(decoded, chat);
        }
    }

    #[test]
    fn errors_are_serdes_own_at_the_object() {
        let err = crate::from_str::<Chat>(r#"{"id":"C"}"#).unwrap_err();
        assert_eq!((err.path(), err.message()), (".", "missing field `users`"));
        let err = crate::from_str::<Chat>(r#"{"id":"C","users":[],"id":"D"}"#).unwrap_err();
        assert_eq!((err.path(), err.message()), (".", "duplicate field `id`"));
        let err = crate::from_str::<Chat>(r#"{"id":"C","users":[],"access":{"group_ids":"x"}}"#).unwrap_err();
        assert_eq!(err.path(), "access.group_ids");
        let err = crate::from_str::<Chat>("[1]").unwrap_err();
        assert_eq!(err.message(), "invalid type: sequence, expected struct Chat");
        let err = crate::from_value::<Chat>(json!({"id": 5, "users": []})).unwrap_err();
        assert_eq!((err.path(), err.line(), err.column()), ("id", 0, 0));
        assert_eq!(err.message(), "invalid type: integer `5`, expected a string");
    }
}

//! The macros the generated modules declare their types with, so that each type is written
//! once as the schema gives it and everything every such type needs is written here once.
//!
//! - [`object!`](object): a struct of named fields, as the schema lists them. It gains the `extra`
//!   map of fields the schema does not know, `#[non_exhaustive]`, `Serialize` (an absent optional
//!   field is left out), the one-pass `Deserialize` of [`crate::object`], [`Unknowns`](crate::Unknowns),
//!   and `new(required fields)` (or `Default` when every field is optional). A field's kind comes
//!   from its type: `Option<T>` is optional (absent and `null` read as `None`), anything else is
//!   required; `#[nullable]` on an `Option<Option<T>>` field keeps a `null` (`Some(None)`) apart
//!   from an absent field (`None`); `#[required]` on an `Option<T>` field makes it one that must
//!   be present and may be `null` (always written, `null` for `None`). `#[serde(rename = "..")]`
//!   gives a wire name that is not the field's name.
//! - [`open_enum!`](open_enum): a string enum whose variants carry their wire text
//!   (`Asc = "asc"`). It gains the hidden `_Custom` case that keeps a value the schema does not
//!   know, `as_str()`, `is_unknown()`, `KNOWN`, the conversions from text, `Display`, equality,
//!   hashing and ordering by the text, serde and `Unknowns`.
//! - [`union!`](union): a union of structs on a tag field (`#[tag = "type"]`), each member with
//!   its tag values (`Message(MessageEvent) = "message"`). A member whose struct holds the tag
//!   itself (it has several values) says in which field: `#[tag_in(type_)]`; the others get the
//!   tag written back first. It gains the hidden `_Custom` case that keeps a member the schema
//!   does not know as raw JSON, `TAG`, `KNOWN`, `tag()`, `is_unknown()`, `as_unknown()`,
//!   `From<member>`, serde (one pass: the tag picks the member, which then reads the rest) and
//!   `Unknowns`.
//!
//! A version module's tables (its actions, pushes, `Any*` enums and types) are declared with the
//! macros of [`tables`].

/// Declares a generated struct; see the [module docs](self).
macro_rules! object {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        $crate::declare::object!(@field [$(#[doc = $doc])*] $name [] [] [] $($body)*);
    };

    // One field at a time, into a record `[kind field (wire) (type) (slot type) attributes]`,
    // and `new`'s parameters and initializers.
    (@field $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*]
        $(#[doc = $d:literal])* $(#[serde(rename = $w:literal)])? #[nullable] pub $f:ident : Option<$t:ty> $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field $docs $name
            [$($rec)* [nullable $f ($crate::declare::wire!($f $($w)?)) (Option<$t>) (Option<$t>)
                $(#[doc = $d])* $(#[serde(rename = $w)])?
                #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::double_option")]]]
            [$($param)*] [$($init)* $f: None,] $($($rest)*)?);
    };
    (@field $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*]
        $(#[doc = $d:literal])* $(#[serde(rename = $w:literal)])? #[required] pub $f:ident : Option<$t:ty> $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field $docs $name
            [$($rec)* [required $f ($crate::declare::wire!($f $($w)?)) (Option<$t>) (Option<Option<$t>>) $(#[doc = $d])* $(#[serde(rename = $w)])?]]
            [$($param)* $f: impl Into<Option<$t>>,] [$($init)* $f: $f.into(),] $($($rest)*)?);
    };
    (@field $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*]
        $(#[doc = $d:literal])* $(#[serde(rename = $w:literal)])? pub $f:ident : Option<$t:ty> $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field $docs $name
            [$($rec)* [optional $f ($crate::declare::wire!($f $($w)?)) (Option<$t>) (Option<Option<$t>>)
                $(#[doc = $d])* $(#[serde(rename = $w)])? #[serde(default, skip_serializing_if = "Option::is_none")]]]
            [$($param)*] [$($init)* $f: None,] $($($rest)*)?);
    };
    (@field $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*]
        $(#[doc = $d:literal])* $(#[serde(rename = $w:literal)])? pub $f:ident : $t:ident $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field_plain $docs $name [$($rec)*] [$($param)*] [$($init)*]
            [$(#[doc = $d])*] [$($w)?] $f $t $(, $($rest)*)?);
    };
    (@field $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*]
        $(#[doc = $d:literal])* $(#[serde(rename = $w:literal)])? pub $f:ident : $t:ty $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field $docs $name
            [$($rec)* [required $f ($crate::declare::wire!($f $($w)?)) ($t) (Option<$t>) $(#[doc = $d])* $(#[serde(rename = $w)])?]]
            [$($param)* $f: impl Into<$t>,] [$($init)* $f: $f.into(),] $($($rest)*)?);
    };
    // A required field of a single-word type: numbers and `bool` are taken as they are.
    (@field_plain $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*] [$($doc:tt)*] [$($w:literal)?]
        $f:ident $t:ident $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field $docs $name
            [$($rec)* [required $f ($crate::declare::wire!($f $($w)?)) ($t) (Option<$t>) $($doc)* $(#[serde(rename = $w)])?]]
            [$($param)* $f: $crate::declare::param!($t),] [$($init)* $f: $crate::declare::param!($t, $f),] $($($rest)*)?);
    };

    // Every field read: the declarations.
    (@field [$(#[doc = $doc:literal])*] $name:ident
        [$([$kind:ident $f:ident ($($wire:tt)*) ($ty:ty) ($slot:ty) $(#[$fattr:meta])*])*]
        [$($param:tt)*] [$($init:tt)*]
    ) => {
        $(#[doc = $doc])*
        #[derive(serde::Serialize, Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $($(#[$fattr])* pub $f: $ty,)*
            /// Fields this version of the schema does not know, kept and re-emitted.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        $crate::declare::object!(@new $name [$($param)*] [$($init)*]);

        impl $crate::Unknowns for $name {
            fn visit_unknowns(&self, path: &mut $crate::JsonPath, found: &mut dyn FnMut($crate::Unknown)) {
                $($crate::object::visit_field(path, $($wire)*, &self.$f, found);)*
                path.report_fields(&self.extra, found);
            }
        }

        const _: () = {
            pub struct Slots {
                $($f: $slot,)*
            }

            #[allow(non_camel_case_types)]
            pub enum Key {
                $($f,)*
            }

            impl $crate::object::Object for $name {
                const EXPECTING: &'static str = concat!("struct ", stringify!($name));
                type Slots = Slots;
                type Key = Key;

                fn slots() -> Slots {
                    Slots { $($f: None,)* }
                }

                #[inline]
                fn key(name: &str) -> Option<Key> {
                    match name {
                        $($($wire)* => Some(Key::$f),)*
                        _ => None,
                    }
                }

                #[inline]
                fn read<'de, A: serde::de::MapAccess<'de>>(_slots: &mut Slots, key: Key, _map: &mut A) -> Result<Result<(), &'static str>, A::Error> {
                    match key {
                        $(Key::$f => $crate::object::slot(&mut _slots.$f, $($wire)*, _map),)*
                    }
                }

                fn finish(_slots: Slots, extra: serde_json::Map<String, serde_json::Value>) -> Result<Self, &'static str> {
                    Ok(Self {
                        $($f: $crate::declare::finish!($kind _slots.$f, $($wire)*),)*
                        extra,
                    })
                }
            }
        };

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::object::decode(deserializer)
            }
        }
    };

    // `Default` when every field is optional, else `new` taking the required ones.
    (@new $name:ident [] [$($init:tt)*]) => {
        impl Default for $name {
            fn default() -> Self {
                Self { $($init)* extra: serde_json::Map::new() }
            }
        }
    };
    (@new $name:ident [$($param:tt)+] [$($init:tt)*]) => {
        impl $name {
            /// Builds it from its required fields, in the schema's order; every optional field is
            /// `None`, to be set by assignment.
            #[allow(clippy::too_many_arguments)] // one parameter per required field
            pub fn new($($param)*) -> Self {
                Self { $($init)* extra: serde_json::Map::new() }
            }
        }
    };
}

/// The wire name of a field: its `rename`, else its name.
macro_rules! wire {
    ($f:ident) => {
        stringify!($f)
    };
    ($f:ident $w:literal) => {
        $w
    };
}

/// `new`'s parameter type for a required field of type `$t` (and, with the field, its
/// initializer): numbers and `bool` as they are, anything else `impl Into<$t>`.
macro_rules! param {
    (bool) => { bool };
    (i64) => { i64 };
    (u64) => { u64 };
    (i32) => { i32 };
    (u32) => { u32 };
    (f64) => { f64 };
    ($t:ident) => { impl Into<$t> };
    (bool, $f:ident) => { $f };
    (i64, $f:ident) => { $f };
    (u64, $f:ident) => { $f };
    (i32, $f:ident) => { $f };
    (u32, $f:ident) => { $f };
    (f64, $f:ident) => { $f };
    ($t:ident, $f:ident) => { $f.into() };
}

/// A field's value from its slot: a required field must have been read, an optional one reads
/// `null` as absent, a nullable one keeps `Some(None)` for `null`.
macro_rules! finish {
    (required $slot:expr, $wire:expr) => {
        $slot.ok_or($wire)?
    };
    (optional $slot:expr, $wire:expr) => {
        $slot.flatten()
    };
    (nullable $slot:expr, $wire:expr) => {
        $slot
    };
}

/// Declares a generated open string enum; see the [module docs](self).
macro_rules! open_enum {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident {
            $($(#[doc = $vdoc:literal])* $variant:ident = $wire:literal,)*
        }
    ) => {
        $(#[doc = $doc])*
        ///
        /// Open: a value this version of the schema does not know decodes into a hidden case and
        /// is re-encoded unchanged (`as_str()`, `is_unknown()`); a known value always decodes into
        /// its variant. Equality, hashing and ordering follow `as_str()`.
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[doc = $vdoc])* $variant,)*
            /// A value this version of the schema does not know. Not part of the API (a later
            /// version may know the value): use `as_str()` and `is_unknown()`.
            #[doc(hidden)]
            _Custom($crate::PrivOwnedStr),
        }

        impl $name {
            /// Every known value, as sent on the wire.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];

            /// The wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::_Custom(s) => s.as_str(),
                }
            }

            /// Whether the value is one this version of the schema does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::_Custom(_))
            }

            /// The known variant for `s`, if there is one.
            fn known(s: &str) -> Option<Self> {
                match s {
                    $($wire => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::known(s).unwrap_or_else(|| Self::_Custom($crate::PrivOwnedStr::new(s)))
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self::known(&s).unwrap_or_else(|| Self::_Custom($crate::PrivOwnedStr::new(s)))
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl Eq for $name {}

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::open::decode_str(deserializer)
            }
        }

        impl $crate::Unknowns for $name {
            fn visit_unknowns(&self, path: &mut $crate::JsonPath, found: &mut dyn FnMut($crate::Unknown)) {
                if let Self::_Custom(s) = self {
                    path.report($crate::UnknownKind::EnumValue(s.as_str().to_owned()), found);
                }
            }
        }
    };
}

/// Declares a generated union; see the [module docs](self).
macro_rules! union {
    (
        $(#[doc = $doc:literal])*
        #[tag = $tag:literal]
        pub enum $name:ident {
            $(
                $(#[doc = $vdoc:literal])*
                $(#[tag_in($field:ident)])?
                $variant:ident($member:ty) = $first:literal $(| $more:literal)*,
            )*
        }
    ) => {
        $(#[doc = $doc])*
        ///
        #[doc = concat!("A union on `", $tag, "`: a member this version of the schema does not know decodes into a hidden case that keeps its raw JSON (`is_unknown()`, `as_unknown()`, `tag()`), while a known member with a malformed body is an error.")]
        #[derive(Clone, Debug, PartialEq)]
        #[allow(clippy::large_enum_variant)] // members differ in size as the payloads do; boxing them would cost an allocation per decode
        #[non_exhaustive]
        pub enum $name {
            $($(#[doc = $vdoc])* $variant($member),)*
            /// A member this version of the schema does not know. Not part of the API: use
            /// `is_unknown()`, `as_unknown()` and `tag()`.
            #[doc(hidden)]
            _Custom($crate::UnknownVariant),
        }

        impl $name {
            /// The name of the tag field.
            pub const TAG: &'static str = $tag;
            /// Every known tag value.
            pub const KNOWN: &'static [&'static str] = &[$($first, $($more,)*)*];

            /// The tag value of this member, if it has a string tag.
            pub fn tag(&self) -> Option<&str> {
                match self {
                    $(Self::$variant(_v) => Some($crate::declare::member_tag!(_v $(.$field)?, $first)),)*
                    Self::_Custom(v) => v.tag(),
                }
            }

            /// Whether this is a member this version of the schema does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::_Custom(_))
            }

            /// The raw JSON of a member this version of the schema does not know; `None` for a
            /// known member.
            pub fn as_unknown(&self) -> Option<&$crate::UnknownVariant> {
                match self {
                    Self::_Custom(v) => Some(v),
                    _ => None,
                }
            }
        }

        $(
            impl From<$member> for $name {
                fn from(v: $member) -> Self {
                    Self::$variant(v)
                }
            }
        )*

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::declare::union!(@tagged $tag [] $($(#[tag_in($field)])? $variant($member) = $first,)*);
                match self {
                    $(Self::$variant(v) => $crate::declare::union!(@serialize v serializer $variant $($field)?),)*
                    Self::_Custom(v) => serde::Serialize::serialize(v, serializer),
                }
            }
        }

        const _: () = {
            #[derive(Clone, Copy)]
            pub enum Member {
                $($variant,)*
            }

            impl $crate::union::Members for $name {
                const TAG: &'static str = $tag;
                type Member = Member;

                fn member(tag: &str) -> Option<(Member, bool)> {
                    match tag {
                        $($first $(| $more)* => Some((Member::$variant, $crate::declare::union!(@keeps $($field)?))),)*
                        _ => None,
                    }
                }

                fn decode<'de, A: serde::de::MapAccess<'de>>(
                    member: Member,
                    prefix: &mut $crate::union::Prefix<'de>,
                    map: A,
                ) -> Result<Self, A::Error> {
                    match member {
                        $(Member::$variant => $crate::object::resume::<$member, A>(prefix, map).map(Self::$variant),)*
                    }
                }

                fn unknown(object: serde_json::Map<String, serde_json::Value>) -> Self {
                    Self::_Custom($crate::UnknownVariant::new(Self::TAG, object))
                }
            }
        };

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::union::decode(deserializer)
            }
        }

        impl $crate::Unknowns for $name {
            fn visit_unknowns(&self, path: &mut $crate::JsonPath, found: &mut dyn FnMut($crate::Unknown)) {
                match self {
                    $(Self::$variant(v) => $crate::Unknowns::visit_unknowns(v, path, found),)*
                    Self::_Custom(v) => path.report($crate::UnknownKind::Variant(v.tag().map(str::to_owned)), found),
                }
            }
        }
    };

    // `Tagged`: the members whose struct lacks the tag, written with it first.
    (@tagged $tag:literal [$($acc:tt)*] #[tag_in($field:ident)] $variant:ident($member:ty) = $first:literal, $($rest:tt)*) => {
        $crate::declare::union!(@tagged $tag [$($acc)*] $($rest)*)
    };
    (@tagged $tag:literal [$($acc:tt)*] $variant:ident($member:ty) = $first:literal, $($rest:tt)*) => {
        $crate::declare::union!(@tagged $tag [$($acc)* #[serde(rename = $first)] $variant(&'a $member),] $($rest)*)
    };
    (@tagged $tag:literal []) => {};
    (@tagged $tag:literal [$($acc:tt)+]) => {
        #[derive(serde::Serialize)]
        #[serde(tag = $tag)]
        enum Tagged<'a> {
            $($acc)+
        }
    };
    (@serialize $v:ident $serializer:ident $variant:ident $field:ident) => {
        serde::Serialize::serialize($v, $serializer)
    };
    (@serialize $v:ident $serializer:ident $variant:ident) => {
        serde::Serialize::serialize(&Tagged::$variant($v), $serializer)
    };
    (@keeps $field:ident) => {
        true
    };
    (@keeps) => {
        false
    };
}

/// The tag of a union member: the field that holds it, else its one value.
macro_rules! member_tag {
    ($v:ident . $field:ident, $first:literal) => {
        $v.$field.as_str()
    };
    ($v:ident, $first:literal) => {
        $first
    };
}

mod tables;

pub(crate) use tables::{actions, any, api, pushes, types};
pub(crate) use {finish, member_tag, object, open_enum, param, union, wire};

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    object! {
        /// Every kind of field.
        pub struct Sample {
            /// Required, a number: `new` takes it as it is.
            pub count: i64,
            /// Required: `new` takes `impl Into<String>`.
            pub name: String,
            /// Optional.
            pub tags: Option<Vec<String>>,
            /// Optional, with a wire name that is not the field's.
            #[serde(rename = "type")]
            pub type_: Option<String>,
            /// Nullable, with a generic inner type (`>>>` in the tokens).
            #[nullable]
            pub note: Option<Option<Vec<String>>>,
        }
    }

    object! {
        /// Every field optional.
        pub struct Loose {
            /// Optional.
            pub flag: Option<bool>,
        }
    }

    open_enum! {
        /// Colours.
        pub enum Colour {
            /// Red.
            Red = "red",
            /// Green.
            Green = "green",
        }
    }

    #[test]
    fn an_object_reads_and_writes_every_kind_of_field() {
        let built = Sample::new(2, "x");
        assert_eq!(serde_json::to_value(&built).unwrap(), json!({"count": 2, "name": "x"}));
        let text = r#"{"count":1,"name":"n","type":"t","note":null,"z":[1]}"#;
        let s: Sample = crate::from_str(text).unwrap();
        assert_eq!((s.type_.as_deref(), s.note.clone(), s.tags.clone()), (Some("t"), Some(None), None));
        assert_eq!(s.extra["z"], json!([1]));
        assert_eq!(serde_json::to_value(&s).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        let s: Sample = crate::from_str(r#"{"count":1,"name":"n","note":["a"],"tags":null}"#).unwrap();
        assert_eq!((s.note, s.tags), (Some(Some(vec!["a".to_owned()])), None));
        let err = crate::from_str::<Sample>(r#"{"name":"n"}"#).unwrap_err();
        assert_eq!(err.message(), "missing field `count`");
        let err = crate::from_str::<Sample>(r#"{"count":1,"name":"n","type":"a","type":"b"}"#).unwrap_err();
        assert_eq!(err.message(), "duplicate field `type`");
        let unknowns: Vec<String> = crate::Unknowns::unknowns(&crate::from_str::<Sample>(text).unwrap())
            .into_iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(unknowns.len(), 1, "{unknowns:?}");
        assert_eq!(Loose::default(), crate::from_str::<Loose>("{}").unwrap());
    }

    crate::declare::any! {
        /// A version without pushes.
        pub enum AnyNothing by push {}
    }

    #[test]
    fn an_any_enum_without_members_keeps_every_payload() {
        let any = AnyNothing::decode("new_push", r#"{"a":1}"#).unwrap();
        assert!(any.is_unknown() && any.as_unknown().is_some());
        assert_eq!(AnyNothing::decode_value("new_push", serde_json::json!({"a": 1})).unwrap(), any);
        assert_eq!(
            (any.name(), serde_json::to_string(&any).unwrap()),
            ("new_push", r#"{"a":1}"#.to_owned())
        );
    }

    #[test]
    fn an_open_enum_keeps_what_it_does_not_know() {
        assert_eq!(Colour::from("red"), Colour::Red);
        assert_eq!(Colour::KNOWN, ["red", "green"]);
        let blue: Colour = crate::from_str(r#""blue""#).unwrap();
        assert!(blue.is_unknown() && !Colour::Green.is_unknown());
        assert_eq!(
            (blue.as_str(), serde_json::to_string(&blue).unwrap()),
            ("blue", r#""blue""#.to_owned())
        );
        assert!(Colour::Green < Colour::Red && blue == Colour::from("blue".to_owned()));
    }
}

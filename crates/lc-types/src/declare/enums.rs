//! [`open_enum!`](open_enum) and [`union!`](union): the generated enums.

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

        impl $crate::object::Field for $name {}

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
        $(#[common($($common:ident),*)])?
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

            $crate::declare::union!(@common [$($variant)*] $($($common)*)?);

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
            // Public as an associated type of a public trait impl must be; nothing names it.
            #[derive(Clone, Copy)]
            #[allow(unreachable_pub)]
            pub enum __Member {
                $($variant,)*
            }

            impl $crate::union::Members for $name {
                const TAG: &'static str = $tag;
                type Member = __Member;

                fn member(tag: &str) -> Option<(__Member, bool)> {
                    match tag {
                        $($first $(| $more)* => Some((__Member::$variant, $crate::declare::union!(@keeps $($field)?))),)*
                        _ => None,
                    }
                }

                fn decode<'de, A: serde::de::MapAccess<'de>>(
                    member: __Member,
                    prefix: &mut $crate::union::Prefix<'de>,
                    map: A,
                ) -> Result<Self, A::Error> {
                    match member {
                        $(__Member::$variant => $crate::object::resume::<$member, A>(prefix, map).map(Self::$variant),)*
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

        impl $crate::object::Field for $name {}

        impl $crate::Unknowns for $name {
            fn visit_unknowns(&self, path: &mut $crate::JsonPath, found: &mut dyn FnMut($crate::Unknown)) {
                match self {
                    $(Self::$variant(v) => $crate::Unknowns::visit_unknowns(v, path, found),)*
                    Self::_Custom(v) => path.report($crate::UnknownKind::Variant(v.tag().map(str::to_owned)), found),
                }
            }
        }
    };

    // A text field every member has, read whatever the member.
    (@common $variants:tt $($common:ident)*) => {
        $($crate::declare::union!(@accessor $common $variants);)*
    };
    (@accessor $common:ident [$($variant:ident)*]) => {
        #[doc = concat!("The `", stringify!($common), "` of the member, whichever it is; for a member this version of the schema does not know, its `", stringify!($common), "` if that is a string.")]
        pub fn $common(&self) -> Option<&str> {
            match self {
                $(Self::$variant(v) => Some(v.$common.as_str()),)*
                Self::_Custom(v) => v.json().get(stringify!($common)).and_then(serde_json::Value::as_str),
            }
        }
    };

    // `__Tagged`: the members whose struct lacks the tag, written with it first.
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
        enum __Tagged<'a> {
            $($acc)+
        }
    };
    (@serialize $v:ident $serializer:ident $variant:ident $field:ident) => {
        serde::Serialize::serialize($v, $serializer)
    };
    (@serialize $v:ident $serializer:ident $variant:ident) => {
        serde::Serialize::serialize(&__Tagged::$variant($v), $serializer)
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

pub(crate) use {member_tag, open_enum, union};

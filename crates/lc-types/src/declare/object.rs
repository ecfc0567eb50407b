//! [`object!`](object): a generated struct of named fields, and its helpers.

/// Declares a generated struct; see the [module docs](self).
macro_rules! object {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        $crate::declare::object!(@field [new $(#[doc = $doc])*] $name [] [] [] [] $($body)*);
    };
    // A struct of the hand-written core whose constructors are written by hand.
    (
        #[hand_written_new]
        $(#[doc = $doc:literal])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        $crate::declare::object!(@field [hand_written $(#[doc = $doc])*] $name [] [] [] [] $($body)*);
    };

    // One field at a time, into a record `[kind field (wire) (type) (slot type) attributes]`,
    // and `new`'s parameters, initializers and the list of its parameters in its docs.
    (@field $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*] [$($pdoc:tt)*]
        $(#[doc = $d:literal])* $(#[serde(rename = $w:literal)])? #[nullable] pub $f:ident : Option<$t:ty> $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field $docs $name
            [$($rec)* [nullable $f ($crate::declare::wire!($f $($w)?)) (Option<$t>) (Option<$t>)
                $(#[doc = $d])* $(#[serde(rename = $w)])?
                #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::double_option")]]]
            [$($param)*] [$($init)* $f: None,] [$($pdoc)*] $($($rest)*)?);
    };
    (@field $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*] [$($pdoc:tt)*]
        $(#[doc = $d:literal])* $(#[serde(rename = $w:literal)])? #[required] pub $f:ident : Option<$t:ty> $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field $docs $name
            [$($rec)* [required $f ($crate::declare::wire!($f $($w)?)) (Option<$t>) (Option<Option<$t>>) $(#[doc = $d])* $(#[serde(rename = $w)])?]]
            [$($param)* $f: impl Into<Option<$t>>,] [$($init)* $f: $f.into(),] [$($pdoc)* #[doc = concat!("- `", stringify!($f), "`")]] $($($rest)*)?);
    };
    (@field $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*] [$($pdoc:tt)*]
        $(#[doc = $d:literal])* $(#[serde(rename = $w:literal)])? pub $f:ident : Option<$t:ty> $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field $docs $name
            [$($rec)* [optional $f ($crate::declare::wire!($f $($w)?)) (Option<$t>) (Option<Option<$t>>)
                $(#[doc = $d])* $(#[serde(rename = $w)])? #[serde(default, skip_serializing_if = "Option::is_none")]]]
            [$($param)*] [$($init)* $f: None,] [$($pdoc)*] $($($rest)*)?);
    };
    (@field $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*] [$($pdoc:tt)*]
        $(#[doc = $d:literal])* $(#[serde(rename = $w:literal)])? pub $f:ident : $t:ident $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field_plain $docs $name [$($rec)*] [$($param)*] [$($init)*] [$($pdoc)*]
            [$(#[doc = $d])*] [$($w)?] $f $t $(, $($rest)*)?);
    };
    (@field $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*] [$($pdoc:tt)*]
        $(#[doc = $d:literal])* $(#[serde(rename = $w:literal)])? pub $f:ident : $t:ty $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field $docs $name
            [$($rec)* [required $f ($crate::declare::wire!($f $($w)?)) ($t) (Option<$t>) $(#[doc = $d])* $(#[serde(rename = $w)])?]]
            [$($param)* $f: impl Into<$t>,] [$($init)* $f: $f.into(),] [$($pdoc)* #[doc = concat!("- `", stringify!($f), "`")]] $($($rest)*)?);
    };
    // A required field of a single-word type: numbers and `bool` are taken as they are.
    (@field_plain $docs:tt $name:ident [$($rec:tt)*] [$($param:tt)*] [$($init:tt)*] [$($pdoc:tt)*] [$($doc:tt)*] [$($w:literal)?]
        $f:ident $t:ident $(, $($rest:tt)*)?
    ) => {
        $crate::declare::object!(@field $docs $name
            [$($rec)* [required $f ($crate::declare::wire!($f $($w)?)) ($t) (Option<$t>) $($doc)* $(#[serde(rename = $w)])?]]
            [$($param)* $f: $crate::declare::param!($t),] [$($init)* $f: $crate::declare::param!($t, $f),] [$($pdoc)* #[doc = concat!("- `", stringify!($f), "`")]] $($($rest)*)?);
    };

    // Every field read: the declarations.
    (@field [$new:ident $(#[doc = $doc:literal])*] $name:ident
        [$([$kind:ident $f:ident ($($wire:tt)*) ($ty:ty) ($slot:ty) $(#[$fattr:meta])*])*]
        [$($param:tt)*] [$($init:tt)*] [$($pdoc:tt)*]
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

        $crate::declare::object!(@$new $name [$($param)*] [$($init)*] [$($pdoc)*]);

        impl $crate::Unknowns for $name {
            fn visit_unknowns(&self, path: &mut $crate::JsonPath, found: &mut dyn FnMut($crate::Unknown)) {
                $($crate::object::visit_field(path, $($wire)*, &self.$f, found);)*
                path.report_fields(&self.extra, found);
            }
        }

        const _: () = {
            // Public as the associated types of a public trait impl must be; nothing names them
            // (`__` keeps them from hiding a schema type of the same name).
            #[allow(unreachable_pub)]
            pub struct __Slots {
                $($f: $slot,)*
            }

            #[allow(non_camel_case_types, unreachable_pub)]
            pub enum __Key {
                $($f,)*
            }

            impl $crate::object::Object for $name {
                const EXPECTING: &'static str = concat!("struct ", stringify!($name));
                type Slots = __Slots;
                type Key = __Key;

                fn slots() -> __Slots {
                    __Slots { $($f: None,)* }
                }

                #[inline]
                fn key(name: &str) -> Option<__Key> {
                    match name {
                        $($($wire)* => Some(__Key::$f),)*
                        _ => None,
                    }
                }

                #[inline]
                fn read<'de, A: serde::de::MapAccess<'de>>(_slots: &mut __Slots, key: __Key, _map: &mut A) -> Result<Result<(), &'static str>, A::Error> {
                    match key {
                        $(__Key::$f => $crate::object::slot(&mut _slots.$f, $($wire)*, _map),)*
                    }
                }

                fn finish(_slots: __Slots, extra: serde_json::Map<String, serde_json::Value>) -> Result<Self, &'static str> {
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

        impl $crate::object::Field for $name {}
    };

    // `Default` when every field is optional, else `new` taking the required ones.
    (@hand_written $($rest:tt)*) => {};
    (@new $name:ident [] [$($init:tt)*] $pdoc:tt) => {
        impl Default for $name {
            fn default() -> Self {
                Self { $($init)* extra: serde_json::Map::new() }
            }
        }
    };
    (@new $name:ident [$($param:tt)+] [$($init:tt)*] [$($pdoc:tt)*]) => {
        impl $name {
            /// Builds it from its required fields, in the order the struct lists them (by name);
            /// every optional field is `None`, to be set by assignment. The parameters:
            $($pdoc)*
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

pub(crate) use {finish, object, param, wire};

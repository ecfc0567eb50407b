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
//!   tag written back first; `#[common(id)]` names the text fields every member has, read
//!   whatever the member (`user.id()`). It gains the hidden `_Custom` case that keeps a member the schema
//!   does not know as raw JSON, `TAG`, `KNOWN`, `tag()`, `is_unknown()`, `as_unknown()`,
//!   `From<member>`, serde (one pass: the tag picks the member, which then reads the rest) and
//!   `Unknowns`.
//!
//! A version module's tables (its actions, pushes, `Any*` enums and types) are declared with the
//! macros of [`tables`].

mod enums;
mod object;
mod tables;

pub(crate) use enums::{member_tag, open_enum, union};
pub(crate) use object::{finish, object, param, wire};
pub(crate) use tables::{actions, any, api, pushes, types, webhook_table};

#[cfg(test)]
#[allow(unreachable_pub)] // the macros declare public types, as the generated modules need them
mod tests {
    use serde_json::{json, Value};

    use crate::declare::{object, open_enum};

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
        /// A field that must be present and may be `null`.
        pub struct Strict {
            /// Required, may be `null`.
            #[required]
            pub previous: Option<String>,
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
    fn a_required_field_that_may_be_null_is_always_written_and_never_absent() {
        let none = Strict::new(None);
        assert_eq!(serde_json::to_string(&none).unwrap(), r#"{"previous":null}"#);
        assert_eq!(serde_json::to_string(&Strict::new("a".to_owned())).unwrap(), r#"{"previous":"a"}"#);
        assert_eq!(crate::from_str::<Strict>(r#"{"previous":null}"#).unwrap(), none);
        let err = crate::from_str::<Strict>("{}").unwrap_err();
        assert_eq!(err.message(), "missing field `previous`");
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

    #[cfg(all(feature = "v3_6", feature = "customer"))]
    #[test]
    fn a_union_reads_the_text_fields_every_member_has() {
        use crate::v3_6::customer::FilledFormField;
        let known: FilledFormField = crate::from_str(r#"{"type":"name","id":"f1","label":"Name","answer":"Ada"}"#).unwrap();
        assert_eq!((known.id(), known.label()), (Some("f1"), Some("Name")));
        let unknown: FilledFormField = crate::from_str(r#"{"type":"rating","id":"f9","label":7}"#).unwrap();
        assert!(unknown.is_unknown());
        assert_eq!((unknown.id(), unknown.label()), (Some("f9"), None));
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

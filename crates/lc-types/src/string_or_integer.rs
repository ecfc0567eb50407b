//! [`StringOrInteger`]: a value the API sends as a JSON string in some places and as a number in
//! others, kept as it was sent.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{JsonPath, Unknown, Unknowns};

/// A value the docs give as a string in one place and as an integer in another (the ID of a
/// group chooser's answer: `"2"` or `2`). Both decode; each is written back as it came, so a
/// round trip changes nothing. Compare by [`fmt::Display`] text when the kind does not matter.
///
/// ```
/// use lc_types::StringOrInteger;
/// let a: StringOrInteger = serde_json::from_str("2").unwrap();
/// let b: StringOrInteger = serde_json::from_str(r#""2""#).unwrap();
/// assert_eq!((a.to_string(), b.to_string()), ("2".to_owned(), "2".to_owned()));
/// assert_ne!(a, b); // the wire forms differ, and each is kept
/// assert_eq!(serde_json::to_string(&a).unwrap(), "2");
/// assert_eq!(StringOrInteger::from("0"), StringOrInteger::String("0".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StringOrInteger {
    /// Sent as a JSON string.
    String(String),
    /// Sent as a JSON integer.
    Integer(i64),
}

impl fmt::Display for StringOrInteger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StringOrInteger::String(s) => f.write_str(s),
            StringOrInteger::Integer(i) => write!(f, "{i}"),
        }
    }
}

impl From<&str> for StringOrInteger {
    fn from(s: &str) -> Self {
        StringOrInteger::String(s.to_owned())
    }
}

impl From<String> for StringOrInteger {
    fn from(s: String) -> Self {
        StringOrInteger::String(s)
    }
}

impl From<i64> for StringOrInteger {
    fn from(i: i64) -> Self {
        StringOrInteger::Integer(i)
    }
}

impl Serialize for StringOrInteger {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StringOrInteger::String(s) => serializer.serialize_str(s),
            StringOrInteger::Integer(i) => serializer.serialize_i64(*i),
        }
    }
}

impl<'de> Deserialize<'de> for StringOrInteger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StringOrInteger;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(StringOrInteger::String(s.to_owned()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(StringOrInteger::String(s))
            }
            fn visit_i64<E: de::Error>(self, i: i64) -> Result<Self::Value, E> {
                Ok(StringOrInteger::Integer(i))
            }
            fn visit_u64<E: de::Error>(self, u: u64) -> Result<Self::Value, E> {
                i64::try_from(u)
                    .map(StringOrInteger::Integer)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(u), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl Unknowns for StringOrInteger {
    fn visit_unknowns(&self, _: &mut JsonPath, _: &mut dyn FnMut(Unknown)) {}
}

#[cfg(test)]
mod tests {
    use super::StringOrInteger;

    #[test]
    fn both_forms_decode_and_round_trip_and_others_are_refused() {
        for text in [r#""0""#, "2", "-7", r#""a-b""#] {
            let v: StringOrInteger = crate::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), text);
        }
        for bad in ["2.5", "true", "null", "{}", "[]", "18446744073709551615"] {
            let e = crate::from_str::<StringOrInteger>(bad).unwrap_err();
            assert_eq!(e.raw(), bad);
        }
    }
}

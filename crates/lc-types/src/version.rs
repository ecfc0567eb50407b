//! [`ApiVersion`]: which version of the Customer Chat API a request, push or type belongs to.

use std::fmt;
use std::str::FromStr;

/// A Customer Chat API version such as `3.6`.
///
/// Versions appear in URLs (`/v3.6/customer/...`), in RTM frames (`"version": "3.6"`) and in the
/// `login.pushes` subscription map. The type is open: any `major.minor` pair parses, so a frame that
/// names a version this crate does not know yet still decodes.
///
/// ```
/// use lc_types::ApiVersion;
/// let v: ApiVersion = "3.6".parse().unwrap();
/// assert_eq!(v, ApiVersion::V3_6);
/// assert_eq!(v.to_string(), "3.6");
/// assert_eq!(v.path_segment(), "v3.6");
/// assert!(ApiVersion::V3_7 > v);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    /// Major version (3 for every supported version).
    pub major: u16,
    /// Minor version.
    pub minor: u16,
}

/// The constants `ApiVersion::V3_5`, `V3_6`, ... (one per schema directory) are generated, in
/// `generated/mod.rs`, so a new API version needs no change here.
impl ApiVersion {
    /// A version from its two numbers.
    pub const fn new(major: u16, minor: u16) -> Self {
        ApiVersion { major, minor }
    }

    /// The URL path segment, e.g. `v3.6`.
    pub fn path_segment(&self) -> String {
        format!("v{self}")
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The error of parsing an [`ApiVersion`] from text that is not `major.minor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseApiVersionError(pub String);

impl fmt::Display for ParseApiVersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not an API version (expected `major.minor`, e.g. `3.6`)", self.0)
    }
}

impl std::error::Error for ParseApiVersionError {}

impl FromStr for ApiVersion {
    type Err = ParseApiVersionError;

    /// Parses `3.6` (a leading `v`, as in URL paths, is accepted too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseApiVersionError(s.to_owned());
        let digits = s.strip_prefix('v').unwrap_or(s);
        let (major, minor) = digits.split_once('.').ok_or_else(err)?;
        let number = |p: &str| {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            p.parse::<u16>().map_err(|_| err())
        };
        Ok(ApiVersion::new(number(major)?, number(minor)?))
    }
}

impl serde::Serialize for ApiVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ApiVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!("v3.7".parse::<ApiVersion>().unwrap(), ApiVersion::V3_7);
        for bad in ["", "3", "3.", ".6", "3.6.1", "a.b", "3.-1", "99999.1"] {
            assert!(bad.parse::<ApiVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_uses_the_text_form() {
        let v: ApiVersion = serde_json::from_str("\"3.5\"").unwrap();
        assert_eq!(v, ApiVersion::V3_5);
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"3.5\"");
        assert!(serde_json::from_str::<ApiVersion>("3.5").is_err());
    }
}

//! [`Region`]: the LiveChat data center a customer (and its access token) belongs to.
//!
//! What the docs say, and where (`livechat/livechat-public-docs`):
//! - The regions are `dal` (USA, the default) and `fra` (Europe); `src/constants/index.js`
//!   (`REGION`) also lists `fra-a` and `fra-b`, and the accounts API samples show tokens such as
//!   `fra-a:…`.
//! - An access token starts with its region: `dal:…`, `fra:…` (reference §5.4).
//! - The Web API takes the region in the `X-Region: <token prefix>` header, and answers
//!   `misdirected_request` with `error.data.region` when it is wrong; an RTM connection in the
//!   wrong region gets `customer_disconnected` with reason `misdirected_connection` and
//!   `data.region`. The "Data centers" sections of the Web and RTM references said so until
//!   commit c91d7891 (2025-04-10) removed them; lc-sdk-go and lc-sdk-js still send `X-Region`.
//! - Hosts: the Web and RTM references name `api.livechatinc.com` for every call (the region goes
//!   in `X-Region`); the removed RTM section also gave `api-fra.livechatinc.com` for `fra`
//!   clients that cannot send headers (browsers). No host is documented for `fra-a`/`fra-b`.

use std::borrow::Cow;
use std::fmt;

/// The host every region can use, with the region in `X-Region` (the one the API references name).
pub const DEFAULT_API_HOST: &str = "api.livechatinc.com";

/// A LiveChat region (data center), e.g. `dal` or `fra`.
///
/// Open: any region string is kept as it is, so a region this crate does not know still
/// round-trips (and goes into `X-Region` unchanged). Two regions are equal when their text is.
///
/// ```
/// use lc_types::Region;
/// let region = Region::of_token("fra:Xq7bN2kLr5TzW0vYpA3cHd9eFg").unwrap();
/// assert_eq!(region, Region::FRA);
/// assert_eq!(region.api_host(), Some("api-fra.livechatinc.com"));
/// assert_eq!(Region::of_token("Bearer dal:Xq7b").unwrap().as_str(), "dal");
/// assert_eq!(Region::of_token("fra-b:Xq7b").unwrap(), Region::FRA_B);
/// assert_eq!(Region::of_token("no-prefix"), None);
/// let newer = Region::from("sgp");
/// assert!(!newer.is_known());
/// assert_eq!(newer.to_string(), "sgp");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(Cow<'static, str>);

impl Region {
    /// `dal`: USA, the default region.
    pub const DAL: Region = Region(Cow::Borrowed("dal"));
    /// `fra`: Europe.
    pub const FRA: Region = Region(Cow::Borrowed("fra"));
    /// `fra-a` (listed in the docs' constants and seen in token samples; no host documented).
    pub const FRA_A: Region = Region(Cow::Borrowed("fra-a"));
    /// `fra-b` (listed in the docs' constants; no host documented).
    pub const FRA_B: Region = Region(Cow::Borrowed("fra-b"));

    /// Every region the docs name.
    pub const KNOWN: &'static [Region] = &[Region::DAL, Region::FRA, Region::FRA_A, Region::FRA_B];

    /// The region of an access token: the text before its first `:` (`dal:…` gives `dal`).
    /// A leading authorization scheme (`Bearer dal:…`) is skipped. `None` when the token has no
    /// region prefix (refresh tokens no longer carry one).
    pub fn of_token(token: &str) -> Option<Region> {
        let token = token.trim();
        let token = token.split_once(' ').map_or(token, |(_, rest)| rest.trim_start());
        let (prefix, rest) = token.split_once(':')?;
        let region = Region::from(prefix);
        (!rest.is_empty() && region.is_plausible()).then_some(region)
    }

    /// The region a host name stands for, the inverse of [`Region::api_host`]:
    /// `api-<region>.livechatinc.com` (any port, any case, as host names go) gives the region,
    /// as a browser client, which cannot send `X-Region`, reaches one. `None` for any other host
    /// (`api.livechatinc.com` names no region: `X-Region` decides, `dal` without it; nor does
    /// another domain's `api-mock.internal`).
    ///
    /// ```
    /// use lc_types::Region;
    /// assert_eq!(Region::of_host("api-fra.livechatinc.com"), Some(Region::FRA));
    /// assert_eq!(Region::of_host("API-FRA.LiveChatInc.com:443"), Some(Region::FRA));
    /// assert_eq!(Region::of_host("api.livechatinc.com"), None);
    /// assert_eq!(Region::of_host("api-mock.internal:8080"), None);
    /// assert_eq!(Region::of_host("127.0.0.1:8080"), None);
    /// ```
    pub fn of_host(host: &str) -> Option<Region> {
        let host = host
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(h, _)| h);
        let host = host.to_ascii_lowercase();
        let first = host.strip_suffix(".livechatinc.com")?.strip_prefix("api-")?;
        let region = Region::from(first.to_owned());
        region.is_plausible().then_some(region)
    }

    /// The longest region name a client takes: 32 characters.
    pub const MAX_LEN: usize = 32;

    /// Whether this can be a region name: 1 to [`Region::MAX_LEN`] characters of `a-z`, `0-9`
    /// and `-`, as token prefixes are. A region a server names (`misdirected_request`,
    /// `misdirected_connection`) is switched to only when it is: another text would go into
    /// `X-Region` or the URL of every later call.
    ///
    /// ```
    /// use lc_types::Region;
    /// assert!(Region::from("fra-a").is_plausible());
    /// assert!(!Region::from("fra\r\nx: 1").is_plausible());
    /// ```
    pub fn is_plausible(&self) -> bool {
        let text = self.as_str();
        (1..=Region::MAX_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }

    /// The region's text, as in `X-Region` and token prefixes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the docs name this region (see [`Region::KNOWN`]).
    pub fn is_known(&self) -> bool {
        Region::KNOWN.contains(self)
    }

    /// The region's own API host, where the docs give one: `api.livechatinc.com` for `dal`,
    /// `api-fra.livechatinc.com` for `fra`; `None` otherwise. Every region can also be reached
    /// at [`DEFAULT_API_HOST`] with `X-Region` set, which is what the Web codec assumes.
    pub fn api_host(&self) -> Option<&'static str> {
        match self.as_str() {
            "dal" => Some(DEFAULT_API_HOST),
            "fra" => Some("api-fra.livechatinc.com"),
            _ => None,
        }
    }
}

impl Default for Region {
    /// `dal`, the region the API assumes when none is given.
    fn default() -> Self {
        Region::DAL
    }
}

impl From<&str> for Region {
    fn from(s: &str) -> Self {
        match Region::KNOWN.iter().find(|r| r.as_str() == s) {
            Some(known) => known.clone(),
            None => Region(Cow::Owned(s.to_owned())),
        }
    }
}

impl From<String> for Region {
    fn from(s: String) -> Self {
        match Region::KNOWN.iter().find(|r| r.as_str() == s) {
            Some(known) => known.clone(),
            None => Region(Cow::Owned(s)),
        }
    }
}

impl std::str::FromStr for Region {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Region::from(s))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Region::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_region_name_is_plausible() {
        for ok in ["dal", "fra", "fra-a", "sgp2", &"a".repeat(Region::MAX_LEN)] {
            assert!(Region::from(ok).is_plausible(), "{ok}");
        }
        for bad in [
            "",
            "FRA",
            "fra\r\nx: 1",
            "fra\u{1b}[2J",
            "fra b",
            "frä",
            &"a".repeat(Region::MAX_LEN + 1),
        ] {
            assert!(!Region::from(bad).is_plausible(), "{bad:?}");
        }
    }

    #[test]
    fn token_prefixes() {
        assert_eq!(Region::of_token("dal:abc"), Some(Region::DAL));
        assert_eq!(Region::of_token("fra-a:vky95357"), Some(Region::FRA_A));
        assert_eq!(Region::of_token("Bearer fra:abc"), Some(Region::FRA));
        assert_eq!(Region::of_token("  Bearer   dal:abc "), Some(Region::DAL));
        for none in ["", "abc", ":abc", "dal:", "DAL:abc", "Bearer", "dal abc"] {
            assert_eq!(Region::of_token(none), None, "{none:?}");
        }
        // An unknown region is kept as sent.
        assert_eq!(Region::of_token("sgp2:x").unwrap().as_str(), "sgp2");
    }

    #[test]
    fn known_and_open() {
        assert!(Region::KNOWN.iter().all(Region::is_known));
        assert_eq!(Region::from("fra".to_owned()), Region::FRA);
        assert_eq!(Region::default(), Region::DAL);
        assert_eq!(Region::DAL.api_host(), Some(DEFAULT_API_HOST));
        assert_eq!(Region::FRA_B.api_host(), None);
        let r: Region = serde_json::from_str("\"xyz\"").unwrap();
        assert_eq!((r.as_str(), r.is_known()), ("xyz", false));
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"xyz\"");
    }
}

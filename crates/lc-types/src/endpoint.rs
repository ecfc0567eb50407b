//! The transport core both clients (`lc-web` and `lc-rtm`) share, without I/O: the default API
//! version and origin, where each region is reached ([`Endpoint`]), and the backoff with jitter
//! between attempts ([`Backoff`]).

use std::time::Duration;

use crate::{ApiVersion, Region};

/// The production API origin; every region is reachable there with `X-Region` (see
/// [`crate::region::DEFAULT_API_HOST`]). RTM connects to the same host over `wss`.
pub const DEFAULT_BASE_URL: &str = "https://api.livechatinc.com";

/// The default time to establish a connection: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The stable version, the default whenever it is compiled in.
const STABLE: ApiVersion = ApiVersion::new(3, 6);

/// The API version a client speaks unless told otherwise: 3.6 (the stable version) when its
/// cargo feature is on, else the newest version compiled in.
///
/// ```
/// # #[cfg(feature = "v3_6")]
/// assert_eq!(lc_types::endpoint::default_version(), lc_types::ApiVersion::new(3, 6));
/// ```
pub fn default_version() -> ApiVersion {
    let apis = crate::apis();
    if apis.iter().any(|a| a.version == STABLE) {
        STABLE
    } else {
        apis.last().map_or(STABLE, |a| a.version)
    }
}

/// Where and how a client reaches the API: the settings `lc_web::WebClientBuilder` and
/// `lc_rtm::RtmClientBuilder` both take (each has a setter per field, and `endpoint(..)` to take
/// them all at once).
///
/// ```
/// use lc_types::endpoint::Endpoint;
/// use lc_types::Region;
/// let mut endpoint = Endpoint::default();
/// endpoint.base_url = "http://127.0.0.1:8080".into();
/// endpoint.set_region_url(Region::FRA, "https://api-fra.livechatinc.com");
/// assert_eq!(endpoint.origin(Some(&Region::FRA)), "https://api-fra.livechatinc.com");
/// assert_eq!(endpoint.origin(Some(&Region::DAL)), "http://127.0.0.1:8080");
/// assert_eq!(endpoint.origin(None), "http://127.0.0.1:8080");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    /// The API origin ([`DEFAULT_BASE_URL`] by default; `http://127.0.0.1:PORT` for `lc-mock`).
    pub base_url: String,
    /// Origins used instead of `base_url` for some regions (set with [`Endpoint::set_region_url`]).
    pub region_urls: Vec<(Region, String)>,
    /// The region sent (`X-Region`) instead of the token's prefix.
    pub region: Option<Region>,
    /// The API version of calls (Web) or of the connection (RTM) that name none
    /// ([`default_version`] by default).
    pub version: ApiVersion,
    /// The application's client ID, sent in the `User-Agent` ([`crate::web::user_agent`]).
    pub client_id: Option<String>,
    /// PEM bundles of certificates trusted besides the public roots.
    pub root_pems: Vec<Vec<u8>>,
    /// The time to establish a connection ([`DEFAULT_CONNECT_TIMEOUT`] by default).
    pub connect_timeout: Duration,
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint {
            base_url: DEFAULT_BASE_URL.to_owned(),
            region_urls: Vec::new(),
            region: None,
            version: default_version(),
            client_id: None,
            root_pems: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

impl Endpoint {
    /// Uses `url` as the origin in `region` (replacing an earlier one for it).
    pub fn set_region_url(&mut self, region: Region, url: impl Into<String>) {
        self.region_urls.retain(|(r, _)| *r != region);
        self.region_urls.push((region, url.into()));
    }

    /// The origin in `region`: its own when set, else the base URL.
    pub fn origin(&self, region: Option<&Region>) -> &str {
        region
            .and_then(|r| self.region_urls.iter().find(|(u, _)| u == r))
            .map_or(&self.base_url, |(_, url)| url)
    }

    /// Every origin configured (the base URL first), for a client to check when it is built.
    pub fn origins(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.base_url.as_str()).chain(self.region_urls.iter().map(|(_, u)| u.as_str()))
    }
}

/// Delays between attempts: `initial × 2^(attempt−1)`, at most `max`, minus up to `jitter` of
/// it at random (so many clients failing at once do not come back at once).
///
/// The arithmetic is a pure function of the attempt and a random number ([`Backoff::delay`]),
/// so a caller chooses its randomness (seeded in tests) and any configured value, however
/// large, never panics.
///
/// ```
/// use std::time::Duration;
/// use lc_types::endpoint::Backoff;
/// let b = Backoff::new(Duration::from_millis(100), Duration::from_millis(400), 0.5);
/// assert_eq!(b.delay(1, 0.0), Duration::from_millis(100));
/// assert_eq!(b.delay(2, 1.0), Duration::from_millis(100)); // 200 ms, half taken off
/// assert_eq!(b.delay(9, 0.0), Duration::from_millis(400)); // capped
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Backoff {
    /// The delay before the first retry.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// The share of each delay taken off at random, from 0.0 (none) to 1.0.
    pub jitter: f64,
}

impl Backoff {
    /// The backoff with these bounds (`max` at least `initial`) and jitter (clamped to 0.0..=1.0).
    pub fn new(initial: Duration, max: Duration, jitter: f64) -> Self {
        Backoff {
            initial,
            max: max.max(initial),
            jitter: if jitter.is_nan() { 0.0 } else { jitter.clamp(0.0, 1.0) },
        }
    }

    /// The delay after attempt `attempt` (1-based), given `random` in `0.0..=1.0` (a value
    /// outside is clamped): the exponential delay less `jitter × random` of it.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(31);
        let base = self.initial.saturating_mul(1u32 << exp).min(self.max);
        let random = if random.is_nan() { 0.0 } else { random.clamp(0.0, 1.0) };
        // Not `mul_f64`: a configured `Duration::MAX` rounds up as a float and would panic.
        Duration::try_from_secs_f64(base.as_secs_f64() * (1.0 - self.jitter * random)).map_or(base, |d| d.min(base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum_less_the_jitter_share() {
        let ms = Duration::from_millis;
        let b = Backoff::new(ms(100), ms(2000), 0.0);
        let delays: Vec<_> = (1..=7).map(|a| b.delay(a, 0.7)).collect();
        assert_eq!(delays, [ms(100), ms(200), ms(400), ms(800), ms(1600), ms(2000), ms(2000)]);
        assert_eq!(b.delay(0, 0.0), ms(100), "attempt 0 counts as the first");
        let half = Backoff::new(ms(1000), ms(1000), 0.5);
        assert_eq!(
            [half.delay(1, 0.0), half.delay(1, 0.5), half.delay(1, 1.0)],
            [ms(1000), ms(750), ms(500)]
        );
        assert_eq!(half.delay(1, 7.0), ms(500), "random is clamped");
        assert_eq!(half.delay(1, f64::NAN), ms(1000));
    }

    #[test]
    fn extreme_settings_do_not_panic() {
        let b = Backoff::new(Duration::MAX, Duration::MAX, 1.0);
        for attempt in [0, 1, 2, 32, 33, u32::MAX] {
            for random in [0.0, 0.5, 1.0] {
                assert!(b.delay(attempt, random) <= Duration::MAX);
            }
        }
        assert_eq!(
            Backoff::new(Duration::from_secs(2), Duration::ZERO, f64::NAN),
            Backoff::new(Duration::from_secs(2), Duration::from_secs(2), 0.0)
        );
        let tiny = Backoff::new(Duration::from_nanos(1), Duration::MAX, 0.0);
        assert_eq!(tiny.delay(u32::MAX, 0.0), Duration::from_nanos(1 << 31));
    }

    #[test]
    fn the_origin_of_a_region_is_its_own_or_the_base_url() {
        let mut e = Endpoint::default();
        assert_eq!(e.origin(None), DEFAULT_BASE_URL);
        e.set_region_url(Region::FRA, "https://one");
        e.set_region_url(Region::FRA, "https://two");
        assert_eq!(e.origin(Some(&Region::FRA)), "https://two");
        assert_eq!(e.origins().collect::<Vec<_>>(), [DEFAULT_BASE_URL, "https://two"]);
    }
}

//! [`Timestamp`]: an RFC 3339 date-time that keeps its exact wire text.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An RFC 3339 timestamp exactly as it appeared on the wire.
///
/// LiveChat sends `created_at`, `seen_up_to` and friends with microseconds
/// (`2026-03-02T10:15:31.123456Z`); older samples use milliseconds or an offset. A `Timestamp`
/// keeps the text byte for byte, so re-encoding a payload never changes it. Two timestamps are
/// equal when their texts are; they order by the instant they name (whatever their offsets and
/// fraction digits), and two texts naming the same instant order by text, so that `Ord` agrees
/// with `Eq`. The text is checked on construction (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`).
///
/// Conversions: [`Timestamp::to_system_time`] always, and `chrono::DateTime` with the `chrono` feature.
///
/// ```
/// use lc_types::Timestamp;
/// let t: Timestamp = "2026-03-02T10:15:31.123456Z".parse().unwrap();
/// assert_eq!(t.as_str(), "2026-03-02T10:15:31.123456Z");
/// assert_eq!(t.unix_micros(), 1_772_446_531_123_456);
/// assert!("2026-03-02 10:15".parse::<Timestamp>().is_err());
///
/// // 09:15:31 UTC comes before 10:15:31.5 UTC, although its text sorts after.
/// let (a, b): (Timestamp, Timestamp) = ("2026-03-02T11:15:31+02:00".parse().unwrap(), "2026-03-02T10:15:31.5Z".parse().unwrap());
/// assert!(a < b);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        /// The fraction digits past the sixth, without trailing zeros: compared as text, they
        /// order the sub-microsecond part.
        fn sub_micros(text: &str) -> &str {
            let fraction = text.get(20..).filter(|_| text.as_bytes().get(19) == Some(&b'.')).unwrap_or("");
            let digits = fraction
                .find(|c: char| !c.is_ascii_digit())
                .map_or(fraction, |end| &fraction[..end]);
            digits.get(6..).unwrap_or("").trim_end_matches('0')
        }
        self.unix_micros()
            .cmp(&other.unix_micros())
            .then_with(|| sub_micros(&self.0).cmp(sub_micros(&other.0)))
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The error of a text that is not an RFC 3339 date-time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseTimestampError(pub String);

impl fmt::Display for ParseTimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not an RFC 3339 date-time (e.g. `2026-03-02T10:15:31.123456Z`)", self.0)
    }
}

impl std::error::Error for ParseTimestampError {}

/// The parts of a checked timestamp.
struct Parts {
    days: i64,
    seconds_of_day: i64,
    micros: i64,
    offset_seconds: i64,
}

fn parse(text: &str) -> Option<Parts> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = b.get(r)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(s.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day < 1 || day > month_days[month as usize - 1] {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let digits = &b[start..i.min(start + 6)];
        micros = digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0'));
        micros *= 10_i64.pow(6 - digits.len() as u32);
    }
    let offset_seconds = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let s = h * 3600 + m * 60;
            if *sign == b'-' {
                -s
            } else {
                s
            }
        }
        _ => return None,
    };
    // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(Parts {
        days: era * 146_097 + doe - 719_468,
        seconds_of_day: hour * 3600 + minute * 60 + second,
        micros,
        offset_seconds,
    })
}

impl Timestamp {
    /// Checks `text` and keeps it as it is.
    pub fn new(text: impl Into<String>) -> Result<Self, ParseTimestampError> {
        let text = text.into();
        match parse(&text) {
            Some(_) => Ok(Timestamp(text)),
            None => Err(ParseTimestampError(text)),
        }
    }

    /// The exact wire text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the timestamp, giving back its text.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Microseconds since the Unix epoch (UTC); digits past the sixth fraction digit are dropped.
    pub fn unix_micros(&self) -> i64 {
        let p = parse(&self.0).expect("a Timestamp is checked on construction");
        (p.days * 86_400 + p.seconds_of_day - p.offset_seconds) * 1_000_000 + p.micros
    }

    /// The instant as a [`SystemTime`].
    pub fn to_system_time(&self) -> SystemTime {
        let micros = self.unix_micros();
        let magnitude = Duration::from_micros(micros.unsigned_abs());
        if micros >= 0 {
            UNIX_EPOCH + magnitude
        } else {
            UNIX_EPOCH - magnitude
        }
    }

    /// Formats a [`SystemTime`] the way LiveChat does: UTC with six fraction digits.
    ///
    /// ```
    /// use lc_types::Timestamp;
    /// let t: Timestamp = "2026-03-02T10:15:31.123456Z".parse().unwrap();
    /// assert_eq!(Timestamp::from_system_time(t.to_system_time()), t);
    /// ```
    pub fn from_system_time(time: SystemTime) -> Self {
        let micros = match time.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
            Err(e) => i64::try_from(e.duration().as_micros()).map_or(i64::MIN, |m| -m),
        };
        Timestamp::from_unix_micros(micros)
    }

    /// The instant `micros` microseconds after the Unix epoch, formatted as LiveChat does (UTC,
    /// six fraction digits). RFC 3339 writes years 0000 to 9999 only: an instant outside them
    /// is clamped to the nearest one it can write.
    ///
    /// ```
    /// use lc_types::Timestamp;
    /// assert_eq!(Timestamp::from_unix_micros(1_772_446_531_123_456).as_str(), "2026-03-02T10:15:31.123456Z");
    /// assert_eq!(Timestamp::from_unix_micros(i64::MIN).as_str(), "0000-01-01T00:00:00.000000Z");
    /// ```
    pub fn from_unix_micros(micros: i64) -> Self {
        /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
        const MIN: i64 = -62_167_219_200_000_000;
        const MAX: i64 = 253_402_300_799_999_999;
        let micros = micros.clamp(MIN, MAX);
        let (secs, frac) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
        let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        // Civil date from days since the epoch (H. Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Timestamp(format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{frac:06}Z",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        ))
    }

    /// The instant as a `chrono::DateTime<Utc>` (feature `chrono`).
    #[cfg(feature = "chrono")]
    pub fn to_chrono(&self) -> chrono::DateTime<chrono::Utc> {
        let micros = self.unix_micros();
        chrono::DateTime::from_timestamp_micros(micros).expect("a checked timestamp is in chrono's range")
    }
}

#[cfg(feature = "chrono")]
impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    /// UTC with six fraction digits, as LiveChat writes it (clamped to years 0000 to 9999, as
    /// [`Timestamp::from_unix_micros`]).
    fn from(time: chrono::DateTime<chrono::Utc>) -> Self {
        Timestamp::from_unix_micros(time.timestamp_micros())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Timestamp {
    type Err = ParseTimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::new(s)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = ParseTimestampError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Timestamp::new(s)
    }
}

impl TryFrom<&str> for Timestamp {
    type Error = ParseTimestampError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Timestamp::new(s)
    }
}

impl AsRef<str> for Timestamp {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Timestamp::new(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `timestamp` fuzz target: an offset (or a leap second) moved the instant out of
    /// years 0000 to 9999, and
    /// `from_system_time` wrote a text no `Timestamp` accepts (`unix_micros` then panicked).
    #[test]
    fn instants_outside_years_0000_to_9999_are_clamped() {
        let early: Timestamp = "0000-01-01T00:00:00+23:59".parse().unwrap();
        let back = Timestamp::from_system_time(early.to_system_time());
        assert_eq!(back.as_str(), "0000-01-01T00:00:00.000000Z");
        assert_eq!(back.unix_micros(), -62_167_219_200_000_000);
        let late: Timestamp = "9999-12-31T23:59:60.999999+00:00".parse().unwrap();
        let back = Timestamp::from_system_time(late.to_system_time());
        assert_eq!(back.as_str(), "9999-12-31T23:59:59.999999Z");
        assert_eq!(Timestamp::from_unix_micros(i64::MAX).unix_micros(), 253_402_300_799_999_999);
        assert_eq!(
            Timestamp::from_system_time(UNIX_EPOCH + Duration::from_secs(u64::MAX / 2)).as_str(),
            "9999-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn keeps_the_wire_text() {
        for text in [
            "2017-10-12T15:19:21.010200Z",
            "2017-10-12T15:19:21.010Z",
            "2017-10-12T15:19:21Z",
            "2017-10-12T17:19:21.010200+02:00",
            "2024-02-29T00:00:00.000001-05:30",
        ] {
            let t: Timestamp = serde_json::from_value(serde_json::json!(text)).unwrap();
            assert_eq!(serde_json::to_value(&t).unwrap(), serde_json::json!(text));
        }
    }

    #[test]
    fn converts_with_offsets() {
        let utc: Timestamp = "2017-10-12T15:19:21.010200Z".parse().unwrap();
        let local: Timestamp = "2017-10-12T17:19:21.0102+02:00".parse().unwrap();
        assert_eq!(utc.unix_micros(), local.unix_micros());
        assert_eq!(utc.unix_micros(), 1_507_821_561_010_200);
        let before: Timestamp = "1969-12-31T23:59:59.5Z".parse().unwrap();
        assert_eq!(before.unix_micros(), -500_000);
        assert_eq!(
            Timestamp::from_system_time(before.to_system_time()).as_str(),
            "1969-12-31T23:59:59.500000Z"
        );
    }

    #[test]
    fn orders_by_instant_then_text() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        // The defect: text order put 11:15:31+02:00 (09:15:31Z) after 10:15:31.5Z.
        assert!(t("2026-03-02T11:15:31+02:00") < t("2026-03-02T10:15:31.5Z"));
        assert!(t("2026-03-02T10:15:31.5Z") > t("2026-03-02T10:15:31.499999Z"));
        assert!(t("2026-03-02T10:15:31.1234561Z") < t("2026-03-02T10:15:31.1234562Z"));
        assert!(t("2026-03-02T10:15:31.12345609Z") < t("2026-03-02T10:15:31.1234561Z"));
        assert!(t("2026-03-01T23:59:59-05:00") > t("2026-03-02T03:00:00Z"));
        // Same instant, other text: not equal, so not `Equal` either, and the order is stable.
        let (a, b) = (t("2026-03-02T12:00:00+02:00"), t("2026-03-02T10:00:00Z"));
        assert_ne!(a, b);
        assert_ne!(a.cmp(&b), std::cmp::Ordering::Equal);
        assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        assert_eq!(
            t("2026-03-02T10:00:00.500Z").cmp(&t("2026-03-02T10:00:00.500Z")),
            std::cmp::Ordering::Equal
        );
        let mut sorted = [
            t("2026-03-02T10:15:31.5Z"),
            t("2026-03-02T11:15:31+02:00"),
            t("2026-03-02T10:15:31Z"),
        ];
        sorted.sort();
        let texts: Vec<&str> = sorted.iter().map(Timestamp::as_str).collect();
        assert_eq!(
            texts,
            ["2026-03-02T11:15:31+02:00", "2026-03-02T10:15:31Z", "2026-03-02T10:15:31.5Z"]
        );
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "2017-10-12",
            "2017-10-12T15:19:21",
            "2017-13-12T15:19:21Z",
            "2017-02-30T15:19:21Z",
            "2017-10-12T24:19:21Z",
            "2017-10-12T15:19:21.Z",
            "2017-10-12T15:19:21+0200",
            "2017-10-12T15:19:21Zjunk",
            "２017-10-12T15:19:21Z",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Timestamp>("1507821561").is_err());
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono_round_trip() {
        let t: Timestamp = "2017-10-12T17:19:21.0102+02:00".parse().unwrap();
        let c = t.to_chrono();
        assert_eq!(Timestamp::from(c).as_str(), "2017-10-12T15:19:21.010200Z");
    }
}

//! `lc_types::Timestamp`: up to three texts, one per line. Each that parses displays as its
//! text, parses back equal, survives serde, and converts to `SystemTime` and back to the same
//! microsecond; ordering agrees with equality, is antisymmetric and transitive, and follows the
//! instant named.
#![no_main]

use std::cmp::Ordering;

use lc_types::Timestamp;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed: Vec<Timestamp> = text.splitn(3, '\n').filter_map(|line| check_one(line)).collect();
    for a in &parsed {
        for b in &parsed {
            let ab = a.cmp(b);
            assert_eq!(ab == Ordering::Equal, a == b, "Ord disagrees with Eq: {a:?} {b:?}");
            assert_eq!(ab, b.cmp(a).reverse(), "Ord is not antisymmetric: {a:?} {b:?}");
            assert_eq!(a.partial_cmp(b), Some(ab));
            if a.unix_micros() < b.unix_micros() {
                assert_eq!(ab, Ordering::Less, "order does not follow the instant: {a:?} {b:?}");
            }
            for c in &parsed {
                if ab != Ordering::Greater && b.cmp(c) != Ordering::Greater {
                    assert_ne!(a.cmp(c), Ordering::Greater, "Ord is not transitive: {a:?} {b:?} {c:?}");
                }
            }
        }
    }
});

fn check_one(line: &str) -> Option<Timestamp> {
    let t: Timestamp = match line.parse() {
        Ok(t) => t,
        Err(e) => {
            assert!(Timestamp::new(line).is_err());
            assert!(serde_json::from_value::<Timestamp>(serde_json::Value::String(line.to_owned())).is_err());
            let _ = e.to_string();
            return None;
        }
    };
    assert_eq!(t.to_string(), line, "Display changed the text");
    assert_eq!(t.as_str(), line);
    let again: Timestamp = t.to_string().parse().expect("its own text parses");
    assert_eq!(again, t);
    let json = serde_json::to_string(&t).expect("encodes");
    assert_eq!(serde_json::from_str::<Timestamp>(&json).expect("decodes"), t);
    let micros = t.unix_micros();
    let back = Timestamp::from_system_time(t.to_system_time());
    // RFC 3339 writes years 0000 to 9999: an instant an offset or a leap second moved past
    // them comes back clamped to the nearest one.
    let (min, max) = (
        Timestamp::from_unix_micros(i64::MIN).unix_micros(),
        Timestamp::from_unix_micros(i64::MAX).unix_micros(),
    );
    assert_eq!(back.unix_micros(), micros.clamp(min, max), "SystemTime round trip moved {line}");
    assert_eq!(back.to_string().parse::<Timestamp>().expect("what it writes parses"), back);
    Some(t)
}

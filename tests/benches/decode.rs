//! Typed decoding against `serde_json::Value` and validate-only (`IgnoredAny`), side by side in
//! one process: `cargo bench -p lc-tests --bench decode` (add `-- --rounds 15` for more rounds,
//! `-- --only push` to run one case: `push`, `push_in_order`, `frame`, `list_threads`,
//! `webhook` or `encode`, e.g. under a
//! profiler; `-- --profile N` decodes only the push in LiveChat's key order, N times, typed, or
//! with `--decoder value` / `--decoder validate` as a `Value` / validate-only; `--case frame` or
//! `--case list_threads` profiles that payload instead).
//!
//! Each case runs its three (or two) decoders interleaved, round after round, so machine noise
//! hits them alike; it prints the median time per operation and the ratios. Before timing, every
//! typed decode is checked to succeed and to re-encode to the same JSON.
//!
//! The payloads are built here from the v3.6 fixtures (written for this project):
//! - an `incoming_event` push carrying a message event with properties, as `AnyPush::decode` sees
//!   it, twice: with its keys sorted (through `Value`: the tag comes nearly last, the hardest case
//!   for a union) and in the order LiveChat writes them (`id`, `custom_id`, `created_at`, `type`);
//! - the push (LiveChat's order) inside its RTM frame, decoded as a client does: in one pass
//!   (`PushFrame::decode_text`: the payload typed where it is read, since `action` and `version`
//!   come first), beside the two steps it replaced (the envelope with the payload as raw JSON,
//!   then the payload by action and version);
//! - a `list_threads` response of 4 threads × 25 events of every kind the fixtures have;
//! - the push (LiveChat's order) as an `incoming_event` webhook delivery with `additional_data`,
//!   verified and decoded as a receiver does (`Webhook::verify`: the secret compared, then the
//!   delivery typed in one pass), against a `Value` of the same bytes;
//! - and encoding a `SendEventRequest` against encoding the same JSON as a `Value`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use lc_tests::{read_json, root};
use lc_types::v3_6::customer::{AnyPush, AnyResponse, SendEventRequest};
use lc_types::{ApiVersion, Frame};
use serde::de::IgnoredAny;
use serde_json::{json, Value};

/// Each measurement runs for about this long.
const SLICE: Duration = Duration::from_millis(40);

fn fixture(rel: &str) -> Value {
    read_json(&root().join("tests/fixtures/v3.6").join(rel))
}

fn push_payload() -> String {
    let mut push = fixture("push/incoming_event/full.json");
    push["event"] = fixture("type/Event/message_full.json");
    push.to_string()
}

/// The same push with its keys in the order the fixture (and LiveChat) writes them: `id`,
/// `custom_id`, `created_at`, then `type`. (`push_payload` goes through `Value`, which sorts
/// keys, so there the tag comes nearly last: the harder case for a union.)
fn push_payload_in_order() -> String {
    let read = |rel: &str| std::fs::read_to_string(root().join("tests/fixtures/v3.6").join(rel)).expect("fixture");
    let event = minify(&read("type/Event/message_full.json"));
    format!(r#"{{"chat_id":"R4TN8QWE2L","thread_id":"R4TN8QWF0C","event":{event}}}"#)
}

/// `text` without the whitespace outside strings, keys kept in order.
fn minify(text: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            (escaped, in_string) = (c == '\\' && !escaped, in_string && (c != '"' || escaped));
        } else if !c.is_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

fn push_frame(payload: &str) -> String {
    format!(r#"{{"version":"3.6","action":"incoming_event","type":"push","payload":{payload}}}"#)
}

/// 4 threads of 25 events, cycling through every known event fixture of v3.6, each written with
/// its keys in the fixture's order (as LiveChat writes them: `id`, `created_at`, `type`, ...).
fn list_threads() -> String {
    let dir = root().join("tests/fixtures/v3.6/type/Event");
    let mut kinds: Vec<_> = std::fs::read_dir(&dir)
        .expect("Event fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("unknown_"))
        .collect();
    kinds.sort();
    let events: Vec<String> = kinds
        .iter()
        .map(|p| minify(&std::fs::read_to_string(p).expect("fixture")))
        .collect();
    let template = fixture("response/list_threads/full.json")["threads"][0].clone();
    let threads: Vec<String> = (0..4)
        .map(|t| {
            let events: Vec<&str> = (0..25).map(|i| events[(t * 25 + i) % events.len()].as_str()).collect();
            format!(
                r#"{{"id":"SV9HD2LQ{t}A","created_at":"2026-03-02T10:14:02.004100Z","active":true,"user_ids":{},"events":[{}],"properties":{},"access":{},"previous_thread_id":"SV9HD2LQ7Z"}}"#,
                template["user_ids"],
                events.join(","),
                template["properties"],
                template["access"]
            )
        })
        .collect();
    format!(
        r#"{{"threads":[{}],"found_threads":4,"next_page_id":"MTc3MjQ0NjEzMTEyNA=="}}"#,
        threads.join(",")
    )
}

fn send_event() -> String {
    json!({
        "chat_id": "R4TN8QWE2L",
        "attach_to_last_thread": true,
        "event": {
            "type": "message",
            "text": "Could you send me the tracking number, please?",
            "custom_id": "msg-7f3b",
            "recipients": "all",
            "properties": {"8c1d2f0e4b7a49c3a5e6f7081920ab3c": {"priority": "high"}}
        }
    })
    .to_string()
}

/// Decodes `text` as `T`, re-encodes it and asserts the JSON is unchanged.
fn assert_round_trip<T: serde::Serialize>(what: &str, text: &str, decoded: &T) {
    let again = serde_json::to_value(decoded).expect("encodes");
    let original: Value = serde_json::from_str(text).expect("valid JSON");
    assert_eq!(again, original, "{what}: the typed value does not re-encode to the same JSON");
}

fn decode_frame(text: &str) -> lc_types::VersionedPush {
    lc_types::PushFrame::decode_text(text, lc_types::ChatApi::Customer, ApiVersion::V3_6)
        .expect("a push frame")
        .push
}

/// The two steps `decode_frame` replaced: the envelope (payload kept as raw JSON), then the
/// payload by action and version.
fn decode_frame_in_two_steps(text: &str) -> lc_types::VersionedPush {
    match lc_types::from_str::<Frame>(text).expect("a frame") {
        Frame::Push(frame) => frame.decode_any(ApiVersion::V3_6).expect("the payload decodes"),
        _ => panic!("not a push frame"),
    }
}

/// Nanoseconds per call of `f`, over about [`SLICE`].
fn time(iterations: u64, f: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed().as_nanos() as f64 / iterations as f64
}

/// The secret of the benchmark's webhook delivery.
const WEBHOOK_SECRET: &str = "kettle-lamp-orchard-42";

/// `push` (an `incoming_event` payload) in a webhook delivery, its fields in the order
/// LiveChat writes them, with both kinds of `additional_data`.
fn webhook_delivery(push: &str) -> String {
    format!(
        r#"{{"webhook_id":"e3b1c7d2a9f04c6b8d1e2f3a4b5c6d7e","secret_key":"{WEBHOOK_SECRET}","action":"incoming_event","organization_id":"0d5d3a8e-7c0f-4b7e-9d2c-5a1e8f3b6c21","payload":{push},"additional_data":{{"chat_properties":{{"routing":{{"continuous":false,"unassigned":true}},"source":{{"client_id":"c0ffee00c0ffee00c0ffee00c0ffee00"}}}},"chat_presence_user_ids":["7a1c9e3b-5d2f-4e8a-b6c0-1f2e3d4c5b6a","mira.jones@example.org"]}}}}"#
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `cases` interleaved for `rounds` rounds; the medians in ns, in the order given.
fn measure(rounds: usize, cases: &mut [(&str, &mut dyn FnMut())]) -> Vec<f64> {
    // Calibrate: iterations that take about SLICE.
    let iterations: Vec<u64> = cases
        .iter_mut()
        .map(|(_, f)| {
            let ns = time(50, *f).max(1.0);
            ((SLICE.as_nanos() as f64 / ns) as u64).max(10)
        })
        .collect();
    let mut samples = vec![Vec::new(); cases.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in cases.iter_mut().enumerate() {
            samples[i].push(time(iterations[i], *f));
        }
    }
    samples.into_iter().map(median).collect()
}

fn show(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn report(title: &str, bytes: usize, names: &[&str], medians: &[f64]) {
    println!("\n{title} ({bytes} B)");
    for (name, ns) in names.iter().zip(medians) {
        println!("  {name:<34} {:>10}", show(*ns));
    }
}

fn main() {
    let arg = |name: &str| std::env::args().skip_while(|a| a != name).nth(1);
    let rounds = arg("--rounds").and_then(|r| r.parse().ok()).unwrap_or(7);
    let only = arg("--only");
    let runs = |case: &str| only.as_deref().is_none_or(|o| o == case);
    let push = push_payload();
    let ordered = push_payload_in_order();
    let frame = push_frame(&ordered);
    let threads = list_threads();
    let delivery = webhook_delivery(&ordered);
    let secret = lc_types::webhook::WebhookSecret::new(WEBHOOK_SECRET);
    let request = send_event();

    // Every typed decode succeeds and round-trips before anything is timed.
    let decoded = AnyPush::decode("incoming_event", &push).expect("the push decodes");
    assert!(matches!(decoded, AnyPush::IncomingEvent(_)), "decoded as the wrong push");
    assert_round_trip("push", &push, &decoded);
    let decoded = AnyPush::decode("incoming_event", &ordered).expect("the push decodes");
    assert_round_trip("push in order", &ordered, &decoded);
    assert!(ordered.find(r#""type""#) < ordered.find(r#""text""#), "{ordered}");
    let lc_types::VersionedPush::V3_6(in_frame) = decode_frame(&frame) else {
        panic!("the frame's push is not decoded in v3.6")
    };
    assert_round_trip("frame payload", &ordered, &in_frame);
    assert_eq!(
        decode_frame_in_two_steps(&frame),
        decode_frame(&frame),
        "one pass and two steps agree"
    );
    let decoded = AnyResponse::decode("list_threads", &threads).expect("list_threads decodes");
    assert_round_trip("list_threads", &threads, &decoded);
    let typed_request: SendEventRequest = lc_types::from_str(&request).expect("the request decodes");
    assert_round_trip("send_event", &request, &typed_request);
    let value_request: Value = serde_json::from_str(&request).expect("JSON");
    let verified = lc_types::v3_6::agent::Webhook::verify(delivery.as_bytes(), &secret).expect("the delivery verifies");
    assert_round_trip("webhook delivery", &delivery, &verified);

    // `--profile N`: only the typed decode of the push in LiveChat's order, N times (for profilers).
    if let Some(n) = arg("--profile").and_then(|n| n.parse::<u64>().ok()) {
        // `--decoder value` or `--decoder validate`: the same N times with that decoder instead,
        // to compare instruction counts (e.g. under `valgrind --tool=callgrind`).
        // `--case frame` or `--case list_threads`: that payload instead of the push.
        let decoder = arg("--decoder");
        let case = arg("--case");
        let text = match case.as_deref() {
            Some("frame") => &frame,
            Some("list_threads") => &threads,
            None | Some("push") => &ordered,
            Some(other) => panic!("no case `{other}` to profile (push, frame or list_threads)"),
        };
        for _ in 0..n {
            match (decoder.as_deref(), case.as_deref()) {
                (Some("value"), _) => drop(black_box(serde_json::from_str::<Value>(black_box(text)).unwrap())),
                (Some("validate"), _) => drop(black_box(serde_json::from_str::<IgnoredAny>(black_box(text)).unwrap())),
                (_, Some("frame")) => drop(black_box(decode_frame(black_box(text)))),
                (_, Some("list_threads")) => drop(black_box(AnyResponse::decode("list_threads", black_box(text)).unwrap())),
                _ => drop(black_box(AnyPush::decode("incoming_event", black_box(text)).unwrap())),
            }
        }
        return;
    }
    println!("lc-types decode benchmark: medians of {rounds} interleaved rounds (~{SLICE:?} each)");
    let mut ratios = Vec::new();
    // The frame case's own ratios (it compares four decoders), listed with the others.
    let mut frame_ratios = Vec::new();
    // One decode case: validate-only, `Value` and lc-types on the same `text`, interleaved.
    let mut decode_case = |case: &str, title: &str, text: &str, typed: &mut dyn FnMut()| {
        let names = ["validate-only (IgnoredAny)", "serde_json::Value", "lc-types"];
        let m = measure(
            rounds,
            &mut [
                (names[0], &mut || {
                    black_box(serde_json::from_str::<IgnoredAny>(black_box(text)).unwrap());
                }),
                (names[1], &mut || {
                    black_box(serde_json::from_str::<Value>(black_box(text)).unwrap());
                }),
                (names[2], typed),
            ],
        );
        report(title, text.len(), &names, &m);
        ratios.push((format!("{case}: lc-types / Value"), m[2] / m[1]));
        ratios.push((format!("{case}: lc-types / validate-only"), m[2] / m[0]));
    };

    if runs("push") {
        decode_case("push", "incoming_event push, AnyPush::decode", &push, &mut || {
            black_box(AnyPush::decode("incoming_event", black_box(&push)).unwrap());
        });
    }
    if runs("push_in_order") {
        let title = "the same push, keys in LiveChat's order (tag early)";
        decode_case("push in order", title, &ordered, &mut || {
            black_box(AnyPush::decode("incoming_event", black_box(&ordered)).unwrap());
        });
    }
    if runs("frame") {
        let title = "the push (LiveChat key order) in its RTM frame, one pass (and the two steps it replaced)";
        let names = [
            "validate-only (IgnoredAny)",
            "serde_json::Value",
            "lc-types, one pass",
            "lc-types, two steps (envelope, payload)",
        ];
        let text = &frame;
        let m = measure(
            rounds,
            &mut [
                (names[0], &mut || {
                    black_box(serde_json::from_str::<IgnoredAny>(black_box(text)).unwrap());
                }),
                (names[1], &mut || {
                    black_box(serde_json::from_str::<Value>(black_box(text)).unwrap());
                }),
                (names[2], &mut || {
                    black_box(decode_frame(black_box(text)));
                }),
                (names[3], &mut || {
                    black_box(decode_frame_in_two_steps(black_box(text)));
                }),
            ],
        );
        report(title, text.len(), &names, &m);
        frame_ratios.push(("frame: lc-types / Value".to_owned(), m[2] / m[1]));
        frame_ratios.push(("frame: lc-types / validate-only".to_owned(), m[2] / m[0]));
        frame_ratios.push(("frame: two steps / validate-only".to_owned(), m[3] / m[0]));
    }
    if runs("list_threads") {
        let title = "list_threads response, 4 threads x 25 events (LiveChat key order)";
        decode_case("list_threads", title, &threads, &mut || {
            black_box(AnyResponse::decode("list_threads", black_box(&threads)).unwrap());
        });
    }
    if runs("webhook") {
        let title = "incoming_event webhook delivery, verified and typed (Webhook::verify)";
        let bytes = delivery.as_bytes();
        let names = ["validate-only (IgnoredAny)", "serde_json::Value", "lc-types, verified"];
        let m = measure(
            rounds,
            &mut [
                (names[0], &mut || {
                    black_box(serde_json::from_slice::<IgnoredAny>(black_box(bytes)).unwrap());
                }),
                (names[1], &mut || {
                    black_box(serde_json::from_slice::<Value>(black_box(bytes)).unwrap());
                }),
                (names[2], &mut || {
                    black_box(lc_types::v3_6::agent::Webhook::verify(black_box(bytes), &secret).unwrap());
                }),
            ],
        );
        report(title, bytes.len(), &names, &m);
        ratios.push(("webhook: lc-types verified / Value".to_owned(), m[2] / m[1]));
        ratios.push(("webhook: lc-types verified / validate-only".to_owned(), m[2] / m[0]));
        println!(
            "  verified typed deliveries per second: {:.0}; serde_json::Value decodes: {:.0} ({:.2}x)",
            1e9 / m[2],
            1e9 / m[1],
            m[1] / m[2]
        );
    }
    if runs("encode") {
        let enc = ["serde_json::Value", "lc-types SendEventRequest"];
        let m = measure(
            rounds,
            &mut [
                (enc[0], &mut || {
                    black_box(serde_json::to_string(black_box(&value_request)).unwrap());
                }),
                (enc[1], &mut || {
                    black_box(serde_json::to_string(black_box(&typed_request)).unwrap());
                }),
            ],
        );
        report("encoding a send_event request", request.len(), &enc, &m);
        ratios.push(("send_event encode: lc-types / Value".to_owned(), m[1] / m[0]));
    }

    ratios.extend(frame_ratios);
    println!("\nratios (below 1: lc-types is faster)");
    for (name, r) in ratios {
        println!("  {name:<42} {r:>6.2}x");
    }
}

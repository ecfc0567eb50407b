//! lc-mock's RTM connection in process (`lc_mock::fuzzing::Harness::rtm`: the real router and
//! connection task over an in-memory stream): a sequence of frames, one per line. The first
//! line may be `@<version>` (the connection's version); a line `!login` is a valid login with
//! the customer's token, `!bin <text>` a binary frame, any other line a text frame.
//!
//! Invariants: every frame is answered (a response, or the connection closes); never an
//! `internal` error, never a mock bug in `problems()`; every push the mock sends decodes; a
//! refused request leaves the state exactly as it was.
#![no_main]

use std::cell::RefCell;

use lc_mock::fuzzing::Harness;
use serde_json::Value;

thread_local! {
    static MOCK: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (version, frames) = match text.strip_prefix('@') {
        Some(rest) => rest.split_once('\n').unwrap_or((rest, "")),
        None => ("3.6", text),
    };
    MOCK.with(|m| {
        let mut m = m.borrow_mut();
        let mock = m.get_or_insert_with(Harness::new);
        mock.reset();
        let customer = mock.issue_customer();
        let path = format!("/v{version}/customer/rtm/ws?organization_id={}", mock.organization_id());
        let Ok(mut conn) = mock.rtm(&path) else { return };
        for line in frames.lines().take(64) {
            let (payload, binary) = if line == "!login" {
                (
                    format!(
                        r#"{{"action":"login","request_id":"l","payload":{{"token":"Bearer {}"}}}}"#,
                        customer.token
                    ),
                    false,
                )
            } else if let Some(rest) = line.strip_prefix("!bin ") {
                (rest.to_owned(), true)
            } else {
                (line.to_owned(), false)
            };
            let before = mock.fingerprint();
            let exchange = conn.send(payload.as_bytes(), binary);
            let problems = mock.problems();
            assert!(problems.is_empty(), "mock bug for frame {payload}: {problems:?}");
            if exchange.closed {
                break;
            }
            let response = exchange.frames.last().unwrap_or_else(|| panic!("no answer to frame {payload}"));
            let response: Value = serde_json::from_str(response).expect("responses are JSON");
            assert_eq!(
                response["type"], "response",
                "no response to frame {payload}: {:?}",
                exchange.frames
            );
            for push in &exchange.frames[..exchange.frames.len() - 1] {
                lc_fuzz::check_push_from_mock(push);
            }
            if response["success"] != true {
                let kind = &response["payload"]["error"]["type"];
                assert!(kind.is_string(), "a refusal without an error envelope: {response}");
                assert_ne!(kind, "internal", "internal error for frame {payload}: {response}");
                assert_eq!(
                    before,
                    mock.fingerprint(),
                    "a refused frame changed the state: {payload}\n{response}"
                );
            }
        }
        drop(conn);
    });
});

//! lc-mock's HTTP control API (`/_lc/…`) in process (`lc_mock::fuzzing::Harness::control`):
//! any endpoint, method, query and body. The input is either `@<METHOD> <path> [query]\n<body>`
//! (the seeds) or 2 bytes choosing an endpoint and a method, then the body.
//!
//! Invariants: never a panic, never a 5xx, never a mock bug in `problems()`, always a JSON
//! object body (an error envelope when refused); afterwards, with the faults it set cleared,
//! the mock still answers a customer's `get_customer` over the Web API.
#![no_main]

use std::cell::RefCell;

use lc_mock::fuzzing::Harness;

thread_local! {
    static MOCK: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (method, path, query, body) = match lc_fuzz::header(data) {
        Some((words, body)) => {
            let method = words.first().cloned().unwrap_or_else(|| "POST".to_owned());
            let path = words.get(1).cloned().unwrap_or_else(|| "/_lc".to_owned());
            let query = words.get(2).cloned().unwrap_or_default();
            (method, path, query, body)
        }
        None => {
            let [e, m, body @ ..] = data else { return };
            let endpoints = Harness::control_endpoints();
            let (method, path) = endpoints[usize::from(*e) % endpoints.len()];
            let method = if m & 1 == 0 { method } else if method == "GET" { "POST" } else { "GET" };
            (method.to_owned(), path.to_owned(), String::new(), body)
        }
    };
    MOCK.with(|m| {
        let mut m = m.borrow_mut();
        let mock = m.get_or_insert_with(Harness::new);
        mock.reset();
        // A customer the control request can name (its IDs are the same every run).
        let known = mock.issue_customer();
        let answer = mock.control(&method, &path, &query, body.to_vec());
        assert!(answer.status < 500, "{} for {method} {path}: {}", answer.status, answer.body);
        assert!(answer.body.is_object(), "not a JSON object: {}", answer.body);
        if !(200..300).contains(&answer.status) {
            assert!(answer.body["error"]["type"].is_string(), "a refusal without an envelope: {}", answer.body);
        }
        let problems = mock.problems();
        assert!(problems.is_empty(), "mock bug for {method} {path}: {problems:?}");
        // The mock still serves a customer.
        mock.clear_faults();
        let customer = mock.issue_customer();
        let headers = [
            ("authorization".to_owned(), format!("Bearer {}", customer.token)),
            ("content-type".to_owned(), "application/json".to_owned()),
        ];
        let query = format!("organization_id={}", mock.organization_id());
        let after = mock.web("v3.6", "get_customer", &query, "POST", &headers, b"{}".to_vec());
        assert_eq!(after.status, 200, "after {method} {path} ({}): {}", answer.body, after.body);
        let _ = known;
    });
});

//! lc-mock's Web API handler in process (`lc_mock::fuzzing::Harness::web`): any version, action,
//! method, token, organization, region, content type, query and body. The input is either
//! `@<version> <action> <flags>\n<body>` (the seeds) or control bytes then the body.
//!
//! Invariants: never a 5xx, never a mock bug in `problems()`, always a JSON object body; a
//! refused request (non-2xx) leaves the state exactly as it was.
#![no_main]

use std::cell::RefCell;

use lc_mock::fuzzing::Harness;
use serde_json::Value;

thread_local! {
    static MOCK: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

const VERSIONS: [&str; 4] = ["v3.5", "v3.6", "v3.7", "v9.9"];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (version, action, flags, body) = match lc_fuzz::header(data) {
        Some((words, body)) => {
            let version = format!("v{}", words.first().map_or("3.6", String::as_str));
            let action = words.get(1).cloned().unwrap_or_default();
            let flags = words.get(2).and_then(|f| f.parse().ok()).unwrap_or(0u8);
            (version, action, flags, body)
        }
        None => {
            let [v, a, b, flags, body @ ..] = data else { return };
            let actions = lc_fuzz::all_actions();
            let index = usize::from(u16::from_le_bytes([*a, *b]));
            let action = actions.get(index % (actions.len() + 1)).map_or("fuzz_unknown", |a| a).to_owned();
            (VERSIONS[usize::from(*v) % 4].to_owned(), action, *flags, body)
        }
    };
    MOCK.with(|m| {
        let mut m = m.borrow_mut();
        let mock = m.get_or_insert_with(Harness::new);
        mock.reset();
        let customer = mock.issue_customer();
        let mut headers = Vec::new();
        match flags & 3 {
            0 => headers.push(("authorization".to_owned(), format!("Bearer {}", customer.token))),
            1 => {}
            2 => headers.push(("authorization".to_owned(), "Bearer dal:not-a-token".to_owned())),
            _ => headers.push(("authorization".to_owned(), customer.token.clone())),
        }
        let mut query = String::new();
        if flags & 4 == 0 {
            query = format!("organization_id={}", mock.organization_id());
        } else if flags & 8 != 0 {
            query = "organization_id=other".to_owned();
        }
        if flags & 16 != 0 {
            headers.push(("x-region".to_owned(), "fra".to_owned()));
        }
        if flags & 32 == 0 {
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
        } else {
            headers.push(("content-type".to_owned(), "multipart/form-data; boundary=XX".to_owned()));
        }
        let get = lc_types::apis()
            .iter()
            .filter(|a| a.api == lc_types::ChatApi::Customer)
            .filter_map(|api| api.action(&action))
            .any(|a| a.web == Some(lc_types::WebMethod::Get));
        let method = match (get, flags & 64 != 0) {
            (true, false) | (false, true) => "GET",
            _ => "POST",
        };
        // A GET carries its payload in the query, as clients encode it.
        if method == "GET" {
            if let Ok(Value::Object(payload)) = serde_json::from_slice::<Value>(body) {
                if let Ok(pairs) = lc_types::web::encode_query(&payload) {
                    for (k, v) in pairs {
                        query.push('&');
                        query.push_str(&k);
                        query.push('=');
                        query.push_str(&v.replace('%', "%25").replace('&', "%26").replace('#', "%23"));
                    }
                }
            }
        }
        let before = mock.fingerprint();
        let answer = mock.web(&version, &action, &query, method, &headers, body.to_vec());
        let problems = mock.problems();
        assert!(
            problems.is_empty(),
            "mock bug for `{action}` {version}: {problems:?}\nbody: {}",
            String::from_utf8_lossy(body)
        );
        assert!(answer.status < 500, "{} for `{action}` {version}: {}", answer.status, answer.body);
        assert!(answer.body.is_object(), "not a JSON object: {}", answer.body);
        if !(200..300).contains(&answer.status) {
            assert!(
                answer.body["error"]["type"].is_string(),
                "a refusal without an error envelope: {}",
                answer.body
            );
            assert_eq!(
                before,
                mock.fingerprint(),
                "a refused `{action}` ({}) changed the state",
                answer.body
            );
        }
    });
});

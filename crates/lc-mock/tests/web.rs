//! The mock's Web API driven by a plain HTTP/1.1 client (a TCP socket), not by our transports.

mod common;

use common::{http, Web};
use lc_mock::{Config, MockServer};
use serde_json::{json, Value};

#[tokio::test]
async fn a_chat_from_start_to_deactivation() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = server.issue_customer();
    let c = Web {
        server: &server,
        token: customer.token.clone(),
        version: "3.6",
    };
    let started = c
        .ok(
            "start_chat",
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "Hello"}]}}}),
        )
        .await;
    let (chat_id, thread_id) = (started["chat_id"].as_str().unwrap(), started["thread_id"].as_str().unwrap());
    assert_eq!(chat_id.len(), 10);
    assert_eq!(started["event_ids"], json!([format!("{thread_id}_1")]));
    // One chat per customer.
    c.refused("start_chat", json!({}), 400, "chat_limit_reached").await;

    let sent = c
        .ok(
            "send_event",
            json!({"chat_id": chat_id, "event": {"type": "message", "text": "Anyone?"}}),
        )
        .await;
    assert_eq!(sent, json!({"event_id": format!("{thread_id}_2")}));
    let chat = c.ok("get_chat", json!({"chat_id": chat_id})).await;
    let events = chat["thread"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["text"], "Anyone?");
    let created = events[1]["created_at"].as_str().unwrap();
    assert_eq!(created.len(), "2026-03-02T10:15:31.123456Z".len(), "{created}");

    let listed = c.ok("list_chats", json!({})).await;
    assert_eq!(listed["total_chats"], 1);
    assert_eq!(listed["chats_summary"][0]["last_thread_id"], thread_id);

    assert_eq!(c.ok("deactivate_chat", json!({"id": chat_id})).await, json!({}));
    let chat = c.ok("get_chat", json!({"chat_id": chat_id})).await;
    assert_eq!(chat["thread"]["active"], false);
    assert_eq!(chat["thread"]["events"][2]["type"], "system_message");
    // An inactive chat takes events only with `attach_to_last_thread`; the refusal changes nothing.
    c.refused(
        "send_event",
        json!({"chat_id": chat_id, "event": {"type": "message", "text": "x"}}),
        400,
        "chat_inactive",
    )
    .await;
    assert_eq!(c.ok("get_chat", json!({"chat_id": chat_id})).await, chat);
    c.ok(
        "send_event",
        json!({"chat_id": chat_id, "attach_to_last_thread": true, "event": {"type": "message", "text": "x"}}),
    )
    .await;
    c.refused("deactivate_chat", json!({"id": chat_id}), 400, "chat_inactive").await;
    // Inactive, it still counts: the customer resumes it rather than start another. The
    // agent side may open more; `list_chats` shows the newest first.
    c.refused("start_chat", json!({}), 400, "chat_limit_reached").await;
    let mut started = vec![json!(chat_id)];
    for _ in 0..4 {
        let (newer, _) = server.agent().start_chat(&customer.id).unwrap();
        server.agent().deactivate_chat(&newer).unwrap();
        started.insert(0, json!(newer));
    }
    let listed = c.ok("list_chats", json!({})).await;
    let ids: Vec<Value> = listed["chats_summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, started, "{listed}");
    server.shutdown().await;
}

#[tokio::test]
async fn customers_and_versions() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let c = Web {
        server: &server,
        token: server.issue_token(),
        version: "3.6",
    };
    let me = c.ok("get_customer", json!({})).await;
    assert_eq!(me["type"], "customer");
    c.refused("update_customer", json!({}), 400, "validation").await;
    c.ok("update_customer", json!({"name": "Maria"})).await;
    c.ok("set_customer_session_fields", json!({"session_fields": [{"plan": "gold"}]}))
        .await;
    let me = c.ok("get_customer", json!({})).await;
    assert_eq!(
        (me["name"].as_str(), &me["session_fields"]),
        (Some("Maria"), &json!([{"plan": "gold"}]))
    );

    // Each version answers in its own shape.
    for (version, key) in [("3.5", "chats_summary"), ("3.7", "chats_info")] {
        let c = Web {
            server: &server,
            token: server.issue_token(),
            version,
        };
        c.ok("start_chat", json!({})).await;
        let listed = c.ok("list_chats", json!({})).await;
        assert_eq!(listed[key].as_array().map(Vec::len), Some(1), "{version}: {listed}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn refusals_follow_the_reference() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let c = Web {
        server: &server,
        token: server.issue_token(),
        version: "3.6",
    };
    // Schema validation names the failing path.
    let message = c
        .refused(
            "send_event",
            json!({"chat_id": 5, "event": {"type": "message", "text": "x"}}),
            400,
            "validation",
        )
        .await;
    assert!(message.contains("/chat_id"), "{message}");
    c.refused("get_chat", json!({"chat_id": "NOPE000000"}), 404, "not_found").await;
    // Not in this version, or not on the Web API.
    Web {
        server: &server,
        token: c.token.clone(),
        version: "3.5",
    }
    .refused("delete_event", json!({}), 404, "not_found")
    .await;
    c.refused("login", json!({"token": "x"}), 404, "not_found").await;
    Web {
        server: &server,
        token: c.token.clone(),
        version: "2.0",
    }
    .refused("get_customer", json!({}), 400, "unsupported_version")
    .await;
    Web {
        server: &server,
        token: "dal:nobody".into(),
        version: "3.6",
    }
    .refused("get_customer", json!({}), 401, "authentication")
    .await;

    let org = server.organization_id().to_owned();
    let auth = format!("Bearer {}", c.token);
    let json_headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let (status, body) = http(&server, "POST", "/v3.6/customer/action/get_customer", &json_headers, "{}").await;
    assert_eq!((status, body["error"]["type"].as_str()), (400, Some("validation")), "{body}");
    let (status, body) = http(
        &server,
        "POST",
        "/v3.6/customer/action/get_customer?organization_id=other",
        &json_headers,
        "{}",
    )
    .await;
    assert_eq!((status, body["error"]["type"].as_str()), (404, Some("license_not_found")), "{body}");
    let target = format!("/v3.6/customer/action/get_customer?organization_id={org}");
    let (status, body) = http(&server, "POST", &target, &[("Authorization", auth.as_str())], "{}").await;
    assert_eq!((status, body["error"]["type"].as_str()), (415, Some("validation")), "{body}");
    let (status, _) = http(&server, "GET", &target, &json_headers, "").await;
    assert_eq!(status, 405);
    let (status, body) = http(&server, "POST", &target, &json_headers, "{not json").await;
    assert_eq!((status, body["error"]["type"].as_str()), (400, Some("validation")), "{body}");
    // The property listings need no token, and take their parameters in the query.
    let (status, body) = http(
        &server,
        "GET",
        &format!("/v3.6/customer/action/list_license_properties?organization_id={org}&namespace=ns"),
        &[],
        "",
    )
    .await;
    assert_eq!((status, body), (200, json!({})));
    server.shutdown().await;
}

/// What a customer can observe of the state.
async fn snapshot(c: &Web<'_>) -> Value {
    let customer = c.ok("get_customer", json!({})).await;
    let chats = c.ok("list_chats", json!({"limit": 25})).await;
    let mut threads = Vec::new();
    for chat in chats["chats_summary"].as_array().unwrap() {
        threads.push(c.ok("list_threads", json!({"chat_id": chat["id"], "limit": 100})).await);
    }
    json!({"customer": customer, "chats": chats, "threads": threads})
}

/// Every way of breaking a JSON value once: each field removed, replaced by a wrong type, or
/// nulled, recursively, plus a few whole-payload shapes.
fn mutations(v: &Value) -> Vec<Value> {
    let mut out = vec![json!(null), json!([]), json!("x"), json!(1)];
    if let Some(o) = v.as_object() {
        for (k, inner) in o {
            for replacement in [json!(null), json!(5), json!("five"), json!([]), json!({}), json!(true)] {
                let mut m = o.clone();
                m.insert(k.clone(), replacement);
                out.push(Value::Object(m));
            }
            let mut m = o.clone();
            m.remove(k);
            out.push(Value::Object(m));
            for deeper in mutations(inner).into_iter().skip(4) {
                let mut m = o.clone();
                m.insert(k.clone(), deeper);
                out.push(Value::Object(m));
            }
        }
    }
    out
}

#[tokio::test]
async fn bad_input_never_panics_and_never_changes_state() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let c = Web {
        server: &server,
        token: server.issue_token(),
        version: "3.6",
    };
    let started = c
        .ok(
            "start_chat",
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "Hi"}]}}}),
        )
        .await;
    let (chat, thread) = (started["chat_id"].clone(), started["thread_id"].clone());
    let event = started["event_ids"][0].clone();
    let valid = [
        (
            "send_event",
            json!({"chat_id": chat, "event": {"type": "message", "text": "x", "properties": {"ns": {"k": 1}}}}),
        ),
        ("update_customer", json!({"name": "N", "session_fields": [{"a": "1"}]})),
        ("update_chat_properties", json!({"id": chat, "properties": {"ns": {"k": 1}}})),
        (
            "delete_event_properties",
            json!({"chat_id": chat, "thread_id": thread, "event_id": event, "properties": {"ns": ["k"]}}),
        ),
        ("list_threads", json!({"chat_id": chat, "limit": 3})),
        (
            "mark_events_as_seen",
            json!({"chat_id": chat, "seen_up_to": "2026-01-01T00:00:00.000000Z"}),
        ),
        (
            "resume_chat",
            json!({"chat": {"id": chat, "thread": {"events": [{"type": "message", "text": "x"}]}}}),
        ),
    ];
    let mut refused = 0;
    for (action, payload) in &valid {
        for bad in mutations(payload) {
            let before = snapshot(&c).await;
            let (status, body) = c.call(action, bad.clone()).await;
            if status == 200 {
                continue;
            }
            refused += 1;
            assert!(status < 500, "{action} {bad}: {status} {body}");
            assert!(body["error"]["type"].is_string(), "{body}");
            assert_eq!(snapshot(&c).await, before, "refused {action} {bad} changed the state");
        }
    }
    assert!(refused > 100, "only {refused} refusals: the mutations do not exercise the checks");
    // Raw garbage over RTM: every frame is answered, the connection stays up.
    let mut rtm = common::Rtm::login(&server, "3.6", &c.token).await.0;
    let before = snapshot(&c).await;
    for garbage in [
        "",
        "[]",
        "null",
        "{",
        "{\"action\": 5}",
        "{\"action\": \"send_event\", \"payload\": []}",
        "{\"action\": \"send_event\", \"payload\": {}, \"version\": 3.6}",
        "{\"action\": \"send_event\", \"request_id\": 7, \"payload\": {}}",
    ] {
        rtm.send_text(garbage).await;
        let r = rtm.next().await.expect("an answer");
        assert_eq!(
            (r["type"].as_str(), r["success"].as_bool()),
            (Some("response"), Some(false)),
            "{garbage}: {r}"
        );
    }
    rtm.ok("ping", json!({})).await;
    assert_eq!(snapshot(&c).await, before);
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn get_parameters_are_typed_as_the_schema_types_them() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let org = server.organization_id().to_owned();
    // `version` is a string even when it looks like a number; `group_id` an integer.
    let target = format!("/v3.6/customer/action/get_localization?organization_id={org}&group_id=0&language=en&version=1");
    let (status, body) = http(&server, "GET", &target, &[], "").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.as_object().is_some_and(|o| o.values().all(Value::is_string)), "{body}");
    let target = format!("/v3.6/customer/action/get_localization?organization_id={org}&group_id=zero&language=en&version=1");
    let (status, body) = http(&server, "GET", &target, &[], "").await;
    assert_eq!((status, body["error"]["type"].as_str()), (400, Some("validation")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("/group_id"), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn get_dynamic_configuration_accepts_the_legacy_license_id() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let org = server.organization_id().to_owned();
    for version in ["3.5", "3.6", "3.7"] {
        let target = format!("/v{version}/customer/action/get_dynamic_configuration?license_id={org}");
        let (status, body) = http(&server, "GET", &target, &[], "").await;
        assert_eq!(
            (status, body["organization_id"].as_str()),
            (200, Some(org.as_str())),
            "{version}: {body}"
        );
        // Only this action takes it.
        let target = format!("/v{version}/customer/action/get_localization?license_id={org}&group_id=0&language=en&version=x");
        let (status, body) = http(&server, "GET", &target, &[], "").await;
        assert_eq!((status, body["error"]["type"].as_str()), (400, Some("validation")), "{body}");
    }
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// Issue 14's finding: an accepted request's unknown fields once went into the state (the
/// customer's `type` became `message`) and every later read answered 500. Unknown fields are
/// now ignored at every depth, as the real API ignores them, and every read still renders.
#[tokio::test]
async fn unknown_request_fields_never_reach_the_state() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let c = Web {
        server: &server,
        token: server.issue_token(),
        version: "3.6",
    };
    // Nothing the version knows is left: nothing to update (and nothing changes).
    c.refused("update_customer", json!({"type": "message"}), 400, "validation").await;
    c.ok(
        "update_customer",
        json!({"type": "message", "name": "Ada", "id": "someone-else", "statistics": {"chats_count": 99}}),
    )
    .await;
    let started = c
        .ok(
            "start_chat",
            json!({"chat": {"users": [], "thread": {"events": [{"type": "message", "text": "Hi", "mood": "new", "author_id": "x"}], "active": false}, "extra": 1}}),
        )
        .await;
    let chat_id = started["chat_id"].as_str().unwrap();
    c.ok(
        "send_event",
        json!({"chat_id": chat_id, "event": {"type": "message", "text": "Again", "recipients": "all", "deleted": true}}),
    )
    .await;
    c.ok(
        "update_chat_properties",
        json!({"id": chat_id, "properties": {"ns": {"p": 1}}, "evil": true}),
    )
    .await;
    c.ok("set_customer_session_fields", json!({"session_fields": [{"a": "1"}], "x": 1}))
        .await;

    let customer = c.ok("get_customer", json!({})).await;
    assert_eq!(customer["type"], "customer");
    assert_eq!(customer["name"], "Ada");
    assert_ne!(customer["id"], "someone-else");
    assert!(
        customer.get("statistics").is_none() || customer["statistics"]["chats_count"] != 99,
        "{customer}"
    );
    let chats = c.ok("list_chats", json!({})).await;
    assert_eq!(chats["chats_summary"][0]["users"][0]["type"], "customer");
    let chat = c.ok("get_chat", json!({"chat_id": chat_id})).await;
    let events = chat["thread"]["events"].as_array().unwrap();
    assert!(
        events.iter().all(|e| e.get("mood").is_none() && e.get("deleted").is_none()),
        "{events:?}"
    );
    c.ok("list_threads", json!({"chat_id": chat_id})).await;
    assert!(server.problems().is_empty(), "{:?}", server.problems());
}

/// Found by the `mock_stateful` fuzz target: JSON Schema's `integer` accepts whole numbers
/// written as floats (`2.0`, `6.7e22`), which the request's `i64` group IDs do not read; kept,
/// such a chat made every later `list_chats` of the customer a mock bug. Refused now, and
/// nothing changes.
#[tokio::test]
async fn numbers_the_request_type_cannot_read_are_refused_not_kept() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let c = Web {
        server: &server,
        token: server.issue_token(),
        version: "3.6",
    };
    for group_ids in [json!([2, 6.713737991982828e22]), json!([2.0])] {
        let chat = json!({"chat": {"access": {"group_ids": group_ids}, "thread": {"events": [{"type": "message", "text": "Hi"}]}}});
        let before = c.ok("list_chats", json!({})).await;
        let message = c.refused("start_chat", chat, 400, "validation").await;
        assert!(message.contains("chat.access.group_ids"), "{message}");
        assert_eq!(c.ok("list_chats", json!({})).await, before);
    }
    c.ok("start_chat", json!({"chat": {"access": {"group_ids": [2]}}})).await;
    assert_eq!(
        c.ok("list_chats", json!({})).await["chats_summary"][0]["access"]["group_ids"],
        json!([2])
    );
    assert!(server.problems().is_empty(), "{:?}", server.problems());
}

/// Bodies over [`lc_mock::MAX_BODY_BYTES`] are refused with the API's envelope: one sent
/// whole, a much larger one, and one only announced by its `Content-Length` (answered at once,
/// though none of it was sent); a body of exactly the limit is fine, and nothing refused
/// changes anything.
#[tokio::test]
async fn request_bodies_over_the_limit_are_refused_with_the_envelope() {
    use common::{announce, http_raw};
    use lc_mock::{MAX_BODY_BYTES, MAX_CONTROL_BODY_BYTES, MAX_UPLOAD_BODY_BYTES};
    let server = MockServer::start(Config::default()).await.unwrap();
    let c = Web {
        server: &server,
        token: server.issue_token(),
        version: "3.6",
    };
    let chat_id = c.ok("start_chat", json!({})).await["chat_id"].as_str().unwrap().to_owned();
    let events = |chat: Value| chat["thread"]["events"].as_array().map_or(0, Vec::len);
    let before = events(c.ok("get_chat", json!({ "chat_id": chat_id })).await);
    let target = format!("/v3.6/customer/action/send_event?organization_id={}", server.organization_id());
    let auth = format!("Bearer {}", c.token);
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let json = json!({"chat_id": chat_id, "event": {"type": "message", "text": "padded"}}).to_string();

    // Exactly the limit (JSON padded with spaces): accepted.
    let mut body = json.clone().into_bytes();
    body.resize(MAX_BODY_BYTES, b' ');
    let (status, answer) = http_raw(&server, "POST", &target, &headers, &body).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));

    // One byte more, and 11 MB: entity_too_large, HTTP 413, in the envelope.
    for len in [MAX_BODY_BYTES + 1, 11 * 1024 * 1024] {
        body.resize(len, b' ');
        let (status, answer) = http_raw(&server, "POST", &target, &headers, &body).await;
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(
            (status, answer["error"]["type"].as_str()),
            (413, Some("entity_too_large")),
            "{answer}"
        );
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(&MAX_BODY_BYTES.to_string()),
            "{answer}"
        );
    }

    // Announced, never sent: answered at once (`announce` fails after 5 s without an answer).
    let (status, answer) = announce(&server, "POST", &target, &headers, 100 * 1024 * 1024).await;
    assert_eq!(
        (status, answer["error"]["type"].as_str()),
        (413, Some("entity_too_large")),
        "{answer}"
    );
    let upload = format!("/v3.6/customer/action/upload_file?organization_id={}", server.organization_id());
    let multipart = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "multipart/form-data; boundary=b"),
    ];
    let (status, answer) = announce(&server, "POST", &upload, &multipart, MAX_UPLOAD_BODY_BYTES as u64 + 1).await;
    assert_eq!(
        (status, &answer["error"]),
        (
            413,
            &json!({"type": "entity_too_large", "message": "Upload limit exceeded (10MB)."})
        )
    );
    let (status, answer) = announce(
        &server,
        "POST",
        "/_lc/agent/send_message",
        &JSON_ONLY,
        MAX_CONTROL_BODY_BYTES as u64 + 1,
    )
    .await;
    assert_eq!(
        (status, answer["error"]["type"].as_str()),
        (413, Some("entity_too_large")),
        "{answer}"
    );

    // Only the padded message went in; the mock serves on.
    assert_eq!(events(c.ok("get_chat", json!({ "chat_id": chat_id })).await), before + 1);
    assert!(server.problems().is_empty(), "{:?}", server.problems());
    server.shutdown().await;
}

const JSON_ONLY: [(&str, &str); 1] = [("Content-Type", "application/json")];

/// `pad_next_response` pads the next Web answer, whatever it is, to the length asked with
/// spaces (the same JSON), chunked or with a `Content-Length`; the answer after it is plain.
#[tokio::test]
async fn a_padded_answer_is_the_same_json_at_the_length_asked() {
    use common::http_exchange;
    let server = MockServer::start(Config::default()).await.unwrap();
    let c = Web {
        server: &server,
        token: server.issue_token(),
        version: "3.6",
    };
    let plain = c.ok("get_customer", json!({})).await;
    let target = format!("/v3.6/customer/action/get_customer?organization_id={}", server.organization_id());
    let auth = format!("Bearer {}", c.token);
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let len = 3 * 64 * 1024 + 17;
    // Over the control API, chunked: no Content-Length.
    let (status, _) = http(
        &server,
        "POST",
        "/_lc/faults/pad_next_response",
        &JSON_ONLY,
        &json!({"len": len, "chunked": true}).to_string(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, head, body) = http_exchange(&server, "POST", &target, &headers, b"{}").await;
    assert_eq!((status, body.len()), (200, len));
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("transfer-encoding: chunked") && !head.contains("content-length"),
        "{head}"
    );
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), plain);
    // Through the Rust API, with a Content-Length; an error answer is padded too.
    server.faults().pad_next_response(len, false);
    let (status, head, body) = http_exchange(&server, "POST", &target, &[("Content-Type", "application/json")], b"{}").await;
    assert_eq!((status, body.len()), (401, len));
    assert!(head.to_ascii_lowercase().contains(&format!("content-length: {len}")), "{head}");
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["error"]["type"], "authentication");
    // Used up.
    let (_, _, body) = http_exchange(&server, "POST", &target, &headers, b"{}").await;
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), plain);
    assert!(body.len() < 4096);
    assert!(server.problems().is_empty(), "{:?}", server.problems());
    server.shutdown().await;
}

/// Issue 20: every mock issued the same token sequence (`dal:mock-token-1`, ...), so a token of
/// one mock authenticated a customer of another. Tokens now carry a part random to each
/// instance.
#[tokio::test]
async fn a_token_of_one_mock_is_refused_by_another() {
    let a = MockServer::start(Config::default()).await.unwrap();
    let b = MockServer::start(Config::default()).await.unwrap();
    let (ca, cb) = (a.issue_customer(), b.issue_customer());
    // The same customer number in both, yet different tokens.
    assert_eq!(ca.id, cb.id);
    assert_ne!(ca.token, cb.token);
    assert!(ca.token.starts_with("dal:mock-"), "{}", ca.token);
    let web_b = Web {
        server: &b,
        token: ca.token.clone(),
        version: "3.6",
    };
    let (status, body) = web_b.call("get_customer", json!({})).await;
    assert_eq!((status, &body["error"]["type"]), (401, &json!("authentication")), "{body}");
    let mut rtm = common::Rtm::connect(&b, "3.6").await;
    rtm.refused("login", json!({ "token": format!("Bearer {}", ca.token) }), "authentication")
        .await;
    // Each mock takes its own.
    let web_a = Web {
        server: &a,
        token: ca.token.clone(),
        version: "3.6",
    };
    assert_eq!(web_a.ok("get_customer", json!({})).await["id"], ca.id);
    a.shutdown().await;
    b.shutdown().await;
}

/// `upload_file` with a body of one `file` part; (status, JSON body).
async fn upload(server: &MockServer, token: &str, content_type: &str, filename: &str, part_type: &str, bytes: &[u8]) -> (u16, Value) {
    let mut body =
        format!("--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {part_type}\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--XX--\r\n");
    let target = format!("/v3.6/customer/action/upload_file?organization_id={}", server.organization_id());
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str()), ("Content-Type", content_type)];
    let (status, body) = common::http_raw(server, "POST", &target, &headers, &body).await;
    let text = String::from_utf8_lossy(&body).to_string();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

/// Issue 20: an empty multipart boundary and a file name of any length were accepted, and an
/// uploaded HTML file was served as `text/html` from the mock's origin. Now the boundary must
/// have 1 to 70 characters, the name at most [`lc_mock::MAX_FILE_NAME_BYTES`], and a file is
/// served as a download that is never sniffed, a page as text.
#[tokio::test]
async fn uploads_are_checked_and_served_as_downloads() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = server.issue_customer();
    let token = customer.token.as_str();
    let multipart = "multipart/form-data; boundary=XX";

    for content_type in ["multipart/form-data; boundary=", "multipart/form-data; boundary=\"\""] {
        let (status, body) = upload(&server, token, content_type, "a.txt", "text/plain", b"hi").await;
        assert_eq!(
            (status, &body["error"]["type"]),
            (400, &json!("validation")),
            "{content_type}: {body}"
        );
        assert!(body["error"]["message"].as_str().unwrap().contains("boundary"), "{body}");
    }

    let max = lc_mock::MAX_FILE_NAME_BYTES;
    let long = format!("{}.txt", "n".repeat(max + 1 - 4));
    let (status, body) = upload(&server, token, multipart, &long, "text/plain", b"hi").await;
    assert_eq!((status, &body["error"]["type"]), (400, &json!("validation")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(&max.to_string()), "{body}");
    let exact = format!("{}.txt", "n".repeat(max - 4));
    let (status, body) = upload(&server, token, multipart, &exact, "text/plain", b"hi").await;
    assert_eq!(status, 200, "{body}");

    let page = b"<html><script>alert(1)</script></html>";
    let (status, body) = upload(&server, token, multipart, "page.html", "text/html", page).await;
    assert_eq!(status, 200, "{body}");
    let url = body["url"].as_str().unwrap();
    let path = &url[url.find("/files/").unwrap()..];
    let (status, head, bytes) = common::http_exchange(&server, "GET", path, &[], b"").await;
    assert_eq!((status, bytes.as_slice()), (200, &page[..]));
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-disposition: attachment; filename=\"page.html\""), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    assert!(head.contains("content-type: text/plain"), "{head}");

    // Other types keep theirs.
    let (_, body) = upload(&server, token, multipart, "a.png", "image/png", b"\x89PNG").await;
    let url = body["url"].as_str().unwrap();
    let (status, head, _) = common::http_exchange(&server, "GET", &url[url.find("/files/").unwrap()..], &[], b"").await;
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("content-type: image/png"), "{head}");
    assert!(server.problems().is_empty(), "{:?}", server.problems());
    server.shutdown().await;
}

/// The files the mock keeps are bounded in bytes ([`Config::max_stored_file_bytes`]): an
/// upload (or the agent's `send_file`) that would go over it is refused with
/// `entity_too_large`; a name or type that cannot go in a header is made safe, never a 500.
#[tokio::test]
async fn stored_files_are_bounded_in_bytes() {
    let config = Config {
        max_stored_file_bytes: 1000,
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    let customer = server.issue_customer();
    let multipart = "multipart/form-data; boundary=XX";
    let (status, body) = upload(&server, &customer.token, multipart, "a.bin", "application/octet-stream", &[1; 600]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = upload(&server, &customer.token, multipart, "b.bin", "application/octet-stream", &[2; 600]).await;
    assert_eq!((status, &body["error"]["type"]), (413, &json!("entity_too_large")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("1000"), "{body}");
    // The agent side counts against the same bound.
    let c = Web {
        server: &server,
        token: customer.token.clone(),
        version: "3.6",
    };
    let chat = c.ok("start_chat", json!({})).await["chat_id"].as_str().unwrap().to_owned();
    let refused = server.agent().send_file(&chat, "c.bin", "application/octet-stream", &[3; 600]);
    assert_eq!(refused.unwrap_err().kind().as_str(), "entity_too_large");
    // A name and a type no header can carry: stored safely, served (not a 500).
    let event = server
        .agent()
        .send_file(&chat, "a \"b\"\r\nX: y.txt", "text/plain\u{1}", b"hi")
        .unwrap();
    let events = c.ok("get_chat", json!({ "chat_id": chat })).await["thread"]["events"].clone();
    let file = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == event.as_str())
        .unwrap()
        .clone();
    let url = file["url"].as_str().unwrap();
    let (status, head, bytes) = common::http_exchange(&server, "GET", &url[url.find("/files/").unwrap()..], &[], b"").await;
    assert_eq!((status, bytes.as_slice()), (200, &b"hi"[..]), "{head}");
    assert!(head.contains("filename=\"a__b___X__y.txt\""), "{head}");
    assert!(server.problems().is_empty(), "{:?}", server.problems());
    server.shutdown().await;
}

/// Requests for made-up action names are counted under one key
/// ([`lc_mock::UNKNOWN_ACTION`]), so a client sending many distinct names grows nothing.
#[tokio::test]
async fn unknown_action_names_are_counted_under_one_key() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = server.issue_customer();
    let c = Web {
        server: &server,
        token: customer.token.clone(),
        version: "3.6",
    };
    for i in 0..50 {
        let (status, _) = c.call(&format!("made_up_{i}"), json!({})).await;
        assert_eq!(status, 404);
    }
    c.ok("get_customer", json!({})).await;
    let (mut rtm, _) = common::Rtm::login(&server, "3.6", &customer.token).await;
    for i in 0..50 {
        rtm.refused(&format!("made_up_{i}"), json!({}), "not_found").await;
    }
    let (status, counts) = http(&server, "GET", "/_lc/requests", &[], "").await;
    assert_eq!(status, 200);
    assert_eq!(counts["web"], json!({"get_customer": 1, (lc_mock::UNKNOWN_ACTION): 50}));
    assert_eq!(counts["rtm"], json!({"login": 1, (lc_mock::UNKNOWN_ACTION): 50}));
    assert_eq!(server.web_requests(lc_mock::UNKNOWN_ACTION), 50);
    assert_eq!(server.web_requests("made_up_1"), 0);
    server.shutdown().await;
}

//! The `lc` binary as a user runs it: stdin in, stdout/stderr/exit code out.

use serde_json::{json, Value};

mod common;

/// `lc args` with `stdin`, in a clean environment.
fn lc(args: &[&str], stdin: &str) -> common::Run {
    common::lc(args, &[], stdin)
}

const PUSH: &str = r#"{"chat_id": "PJ0MRSHTDG", "thread_id": "Q20N9CKRX2",
  "event": {"id": "Q20N9CKRX2_3", "type": "message", "text": "Hello",
            "author_id": "7c3a1e0f-2b4d-4e8a-9f1c-5d6e7f8a9b0c",
            "created_at": "2026-03-02T10:15:31.123456Z"}}"#;

#[test]
fn decodes_a_push_and_prints_it_re_encoded_on_one_line() {
    let r = lc(&["decode", "push", "incoming_event"], PUSH);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1);
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out, serde_json::from_str::<Value>(PUSH).unwrap());
    assert_eq!(r.stderr, "");
}

#[test]
fn reports_unknowns_and_fails_them_with_strict() {
    let input = r#"{"chat_id": "C", "thread_id": "T", "mood": "good",
        "event": {"type": "hologram", "created_at": "2026-03-02T10:15:31.123456Z"}}"#;
    let r = lc(&["decode", "push", "incoming_event"], input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert!(lines.iter().all(|l| l.starts_with("unknown")), "{}", r.stderr);
    assert!(r.stderr.contains("`mood`") && r.stderr.contains("`hologram`"), "{}", r.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap(),
        serde_json::from_str::<Value>(input).unwrap()
    );
    let strict = lc(&["decode", "--strict", "push", "incoming_event"], input);
    assert_eq!(strict.code, 3);
    assert_eq!(strict.stdout, r.stdout, "the value is still printed");
}

#[test]
fn unknown_enum_value_is_reported() {
    let r = lc(&["decode", "push", "customer_disconnected"], r#"{"reason": "moon_phase"}"#);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.starts_with("unknown enum value `moon_phase`"), "{}", r.stderr);
}

#[test]
fn decode_errors_name_the_path_and_exit_1() {
    let r = lc(
        &["decode", "request", "send_event"],
        r#"{"chat_id": "C", "event": {"type": "message", "text": 5}}"#,
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("`event.text`"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let missing = lc(&["decode", "request", "list_threads"], "{}");
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("missing field `chat_id`"), "{}", missing.stderr);
    let not_json = lc(&["decode", "type", "Event"], "{");
    assert_eq!(not_json.code, 1);
    let two_documents = lc(&["decode", "type", "Access"], r#"{"group_ids": [0]} {}"#);
    assert_eq!(two_documents.code, 1, "one document only");
}

#[test]
fn unknown_kind_name_or_version_exit_2() {
    for args in [
        &["decode", "gizmo", "x"][..],
        &["decode", "push", "no_such_push"],
        &["decode", "request", "no_such_action"],
        &["decode", "type", "NoSuchType"],
        &["decode", "--api-version", "2.0", "push", "incoming_event"],
        &["decode", "--api-version", "banana", "push", "incoming_event"],
        &["decode", "push"],
        &["decode", "request", "upload_file"],
        &["actions", "--api-version", "9.9"],
        &["frobnicate"],
        &[],
    ] {
        let r = lc(args, PUSH);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(!r.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn types_and_versions_are_accepted() {
    let r = lc(
        &["decode", "--api-version", "3.6", "type", "Event"],
        r#"{"type": "custom", "id": "X_1", "created_at": "2026-03-02T10:15:31.123456Z", "content": {"a": [1]}}"#,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
}

#[test]
fn frames_decode_their_payload_by_action() {
    let push = format!(r#"{{"version": "3.6", "action": "incoming_event", "type": "push", "payload": {PUSH}}}"#);
    let r = lc(&["decode", "frame"], &push);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap(),
        serde_json::from_str::<Value>(&push).unwrap()
    );

    let bad = r#"{"version": "3.6", "action": "incoming_event", "type": "push", "payload": {"chat_id": 1}}"#;
    let r = lc(&["decode", "frame"], bad);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("`payload.chat_id`"), "{}", r.stderr);

    let error = r#"{"request_id": "9", "action": "send_event", "type": "response", "success": false,
        "payload": {"error": {"type": "chat_inactive", "message": "Chat is inactive"}}}"#;
    let r = lc(&["decode", "--strict", "frame"], error);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let request = r#"{"request_id": "1", "action": "ping", "payload": {}}"#;
    assert_eq!(lc(&["decode", "--strict", "frame"], request).code, 0);

    let unknown_push =
        r#"{"version": "3.6", "action": "customer_page_updated", "type": "push", "payload": {"url": "https://example.com"}}"#;
    let r = lc(&["decode", "frame"], unknown_push);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.starts_with("unknown push `customer_page_updated`"), "{}", r.stderr);

    let unknown_type = r#"{"action": "x", "type": "telemetry", "payload": {}}"#;
    let r = lc(&["decode", "--strict", "frame"], unknown_type);
    assert_eq!(r.code, 3);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap(),
        serde_json::from_str::<Value>(unknown_type).unwrap()
    );
}

#[test]
fn actions_json_lists_every_action_and_push() {
    let r = lc(&["actions", "--json"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let actions = v["actions"].as_array().unwrap();
    let pushes = v["pushes"].as_array().unwrap();
    assert_eq!(actions.len(), 39);
    assert_eq!(pushes.len(), 29);
    let find = |n: &str| actions.iter().find(|a| a["name"] == n).unwrap().clone();
    assert_eq!(
        find("login"),
        json!({"name": "login", "web": null, "rtm": true, "token": true, "idempotent": false, "request": "LoginRequest", "response": "LoginResponse"})
    );
    assert_eq!(find("upload_file")["web"], "MULTIPART");
    assert_eq!(find("upload_file")["request"], Value::Null);
    assert_eq!(find("get_localization")["web"], "GET");
    assert_eq!(find("check_goals")["rtm"], false);
    assert_eq!(find("get_localization")["token"], false);
    assert_eq!(find("get_customer")["token"], true);
    assert_eq!(
        (find("get_customer")["idempotent"].clone(), find("send_event")["idempotent"].clone()),
        (json!(true), json!(false))
    );
    assert!(pushes.contains(&json!({"name": "incoming_chat", "type": "IncomingChatPush"})));
    let table = lc(&["actions"], "");
    assert_eq!(table.code, 0);
    assert!(table.stdout.contains("send_event") && table.stdout.contains("incoming_greeting"));
}

/// Every version is built in: `--api-version` picks one, and a frame is decoded in the version
/// it names (a `system` event is unknown in 3.5, known in 3.6).
#[test]
fn every_api_version_is_available() {
    for (version, actions, pushes, has, lacks) in [
        ("3.5", 36, 25, "get_predicted_agent", "delete_event"),
        ("3.6", 39, 29, "delete_event", "no_such_action"),
        ("3.7", 38, 29, "delete_event", "get_predicted_agent"),
    ] {
        let r = lc(&["actions", "--json", "--api-version", version], "");
        assert_eq!(r.code, 0, "{version}: {}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let names: Vec<&str> = v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), actions, "{version}: {names:?}");
        assert_eq!(v["pushes"].as_array().unwrap().len(), pushes, "{version}");
        assert!(names.contains(&has) && !names.contains(&lacks), "{version}: {names:?}");
    }
    let system = r#"{"chat_id": "C", "thread_id": "T", "event": {"id": "T_1", "type": "system",
        "created_at": "2026-03-02T10:15:31.123456Z", "source": "cdp", "subtype": "x", "version": 1, "details": "{}"}}"#;
    for (version, code) in [("3.5", 3), ("3.6", 0), ("3.7", 0)] {
        let r = lc(&["decode", "--strict", "--api-version", version, "push", "incoming_event"], system);
        assert_eq!(r.code, code, "{version}: {}", r.stderr);
        let frame = format!(r#"{{"version": "{version}", "action": "incoming_event", "type": "push", "payload": {system}}}"#);
        // The frame's version wins over `--api-version`.
        let r = lc(&["decode", "--strict", "--api-version", "3.6", "frame"], &frame);
        assert_eq!(r.code, code, "frame {version}: {}", r.stderr);
    }
    // A version this build does not have: the payload is kept as it is, and reported.
    let future = r#"{"version": "3.99", "action": "incoming_event", "type": "push", "payload": {"chat_id": 7}}"#;
    let r = lc(&["decode", "frame"], future);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("API version `3.99` not in this build"), "{}", r.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap(),
        serde_json::from_str::<Value>(future).unwrap()
    );
    assert_eq!(lc(&["decode", "--strict", "frame"], future).code, 3);
    // 3.7 rich messages: `elements` is required, `visibility` is not (the docs' sample has none).
    let rich = r#"{"chat_id": "C", "thread_id": "T", "event": {"id": "T_1", "type": "rich_message",
        "created_at": "2026-03-02T10:15:31.123456Z", "author_id": "a", "template_id": "cards", "elements": []}}"#;
    for version in ["3.6", "3.7"] {
        let r = lc(&["decode", "--strict", "--api-version", version, "push", "incoming_event"], rich);
        assert_eq!(r.code, 0, "{version}: {}", r.stderr);
    }
    let r = lc(
        &["decode", "--api-version", "3.7", "push", "incoming_event"],
        &rich.replace(r#", "elements": []"#, ""),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("elements"), "{}", r.stderr);
    // `visibility` (the Agent Chat API's name for an event's audience) is modelled on every event
    // type in every version, so one event type serves both APIs: a known value decodes cleanly
    // even with --strict; a value no version knows is kept, and --strict reports it.
    let message = r#"{"chat_id": "C", "thread_id": "T", "event": {"id": "T_1", "type": "message", "text": "Hi",
        "created_at": "2026-03-02T10:15:31.123456Z", "author_id": "a", "visibility": "all"}}"#;
    for version in ["3.5", "3.6", "3.7"] {
        let r = lc(&["decode", "--strict", "--api-version", version, "push", "incoming_event"], message);
        assert_eq!(r.code, 0, "{version}: {}", r.stderr);
        assert!(r.stdout.contains(r#""visibility":"all""#), "{version}: {}", r.stdout);
        let r = lc(
            &["decode", "--strict", "--api-version", version, "push", "incoming_event"],
            &message.replace(r#""visibility": "all""#, r#""visibility": "bots""#),
        );
        assert_eq!(r.code, 3, "{version}: {}", r.stderr);
        assert!(r.stderr.contains("bots"), "{version}: {}", r.stderr);
        assert!(r.stdout.contains(r#""visibility":"bots""#), "{version}: {}", r.stdout);
    }
}

#[test]
fn the_agent_api_is_listed_and_decoded_with_api_agent() {
    // `lc actions --api agent`: the Agent Chat API's table, with its own actions.
    let r = lc(&["actions", "--api", "agent", "--json"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let table: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = table["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"transfer_chat") && names.contains(&"list_archives"), "{names:?}");
    let customer = lc(&["actions", "--json"], "");
    assert!(
        !customer.stdout.contains("\"transfer_chat\""),
        "the customer's table is the default"
    );
    // `lc decode --api agent`: an agent push, with an unknown field reported.
    let push = r#"{"chat_id":"Q7TR2KLM0B","thread_id":"Q7TR2KLM1C","event":{"id":"Q7TR2KLM1C_1","type":"message","text":"Hi","author_id":"mira.jones@example.org","created_at":"2026-03-02T10:15:31.123456Z","visibility":"agents","mood":"new"}}"#;
    let r = lc(&["decode", "--api", "agent", "push", "incoming_event"], push);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(r#""visibility":"agents""#), "{}", r.stdout);
    assert!(r.stderr.contains("mood"), "{}", r.stderr);
    // An agent-only push is not in the customer's API, and an agent frame decodes by its action.
    assert_eq!(lc(&["decode", "push", "routing_status_set"], "{}").code, 2);
    let frame = r#"{"version":"3.6","action":"routing_status_set","type":"push","payload":{"agent_id":"mira.jones@example.org","status":"accepting_chats"}}"#;
    let r = lc(&["decode", "--api", "agent", "frame"], frame);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    // A version this build does not have keeps the frame and says so.
    let r = lc(&["decode", "--api", "agent", "frame"], &frame.replace("3.6", "9.9"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("9.9"), "{}", r.stderr);
    // A malformed known agent payload names its path inside the frame.
    let bad = r#"{"version":"3.6","action":"routing_status_set","type":"push","payload":{"status":1}}"#;
    let r = lc(&["decode", "--api", "agent", "frame"], bad);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("payload"), "{}", r.stderr);
    // An API that does not exist is a usage error.
    let r = lc(&["actions", "--api", "robot"], "");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("customer") && r.stderr.contains("agent"), "{}", r.stderr);
}

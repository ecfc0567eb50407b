//! The forward-compatibility promises of DESIGN.md, one test each, on v3.6 types.

use lc_types::v3_6::{
    AnyPush, Event, FilledFormField, GetChatResponse, GroupStatus, IncomingEventPush, ListThreadsResponse, MessageEventInput,
    SendEventRequest, StartChatRequest, User,
};
use lc_types::{Frame, Timestamp, UnknownKind, Unknowns};
use serde_json::{json, Value};

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(input: &Value) -> T {
    let decoded: T = lc_types::from_value(input.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&serde_json::to_value(&decoded).unwrap(), input);
    decoded
}

#[test]
fn null_and_absent_thread_both_round_trip() {
    let with_null = json!({"id": "PJ0MRSHTDG", "users": [], "thread": null});
    let chat: GetChatResponse = round_trip(&with_null);
    assert_eq!(chat.thread, Some(None));
    let absent = json!({"id": "PJ0MRSHTDG", "users": []});
    let chat: GetChatResponse = round_trip(&absent);
    assert_eq!(chat.thread, None);
}

#[test]
fn present_empty_collections_stay_present() {
    let input = json!({"threads": [{"id": "Q20N9CKRX2", "active": true, "created_at": "2026-03-02T10:15:31.123456Z",
        "events": [], "user_ids": [], "properties": {}}], "found_threads": 1});
    let r: ListThreadsResponse = round_trip(&input);
    assert_eq!(r.threads[0].events, Some(vec![]));
    let without =
        json!({"threads": [{"id": "Q20N9CKRX2", "active": true, "created_at": "2026-03-02T10:15:31.123456Z"}], "found_threads": 1});
    let r: ListThreadsResponse = round_trip(&without);
    assert_eq!(r.threads[0].events, None);
}

#[test]
fn unknown_members_fields_and_values_are_kept() {
    let input = json!({"chat_id": "C", "thread_id": "T", "shiny": {"new": true},
        "event": {"id": "T_1", "type": "hologram", "created_at": "2026-03-02T10:15:31.123456Z", "depth": 3}});
    let push: IncomingEventPush = round_trip(&input);
    assert!(matches!(push.event, Event::Unknown(_)));
    assert_eq!(push.event.tag(), Some("hologram"));
    let kinds: Vec<UnknownKind> = push.unknowns().into_iter().map(|u| u.kind).collect();
    assert_eq!(
        kinds,
        vec![UnknownKind::Variant(Some("hologram".into())), UnknownKind::Field("shiny".into())]
    );

    let status: GroupStatus = serde_json::from_value(json!("busy_ish")).unwrap();
    assert_eq!(status, GroupStatus::Unknown("busy_ish".into()));
    assert_eq!(status.as_str(), "busy_ish");
    assert_eq!(serde_json::to_value(&status).unwrap(), json!("busy_ish"));
    assert_eq!(GroupStatus::from("online"), GroupStatus::Online);

    let user: User = round_trip(&json!({"id": "x", "type": "bot", "name": "R2"}));
    assert_eq!(user.tag(), Some("bot"));
    let untagged: User = round_trip(&json!({"id": "x"}));
    assert!(matches!(untagged, User::Unknown(_)));
}

#[test]
fn a_malformed_known_member_is_an_error_with_its_path() {
    let input = json!({"threads": [{"id": "Q", "active": true, "created_at": "2026-03-02T10:15:31.123456Z",
        "events": [{"id": "Q_1", "type": "message", "text": "ok", "created_at": "2026-03-02T10:15:31.123456Z"},
                   {"id": "Q_2", "type": "message", "text": 7, "created_at": "2026-03-02T10:15:31.123456Z"}]}],
        "found_threads": 1});
    let err = lc_types::from_str::<ListThreadsResponse>(&input.to_string()).unwrap_err();
    assert_eq!(err.path(), "threads[0].events[1].text");
    assert!(err.message().contains("invalid type: integer `7`"), "{err}");

    let field = json!({"type": "checkbox", "id": "f1", "label": "Pick", "answers": [{"id": 1}]});
    let err = lc_types::from_value::<FilledFormField>(field).unwrap_err();
    assert!(err.path().starts_with("answers[0]"), "{err}");
}

#[test]
fn timestamps_keep_their_text() {
    for text in [
        "2026-03-02T10:15:31.123456Z",
        "2026-03-02T10:15:31.123Z",
        "2026-03-02T12:15:31.123456+02:00",
    ] {
        let input = json!({"id": "Q_1", "type": "message", "text": "t", "created_at": text});
        let Event::Message(m) = round_trip::<Event>(&input) else { panic!() };
        assert_eq!(m.created_at.as_str(), text);
    }
    assert_eq!(
        Timestamp::new("2026-03-02T12:15:31.123456+02:00").unwrap().unix_micros(),
        Timestamp::new("2026-03-02T10:15:31.123456Z").unwrap().unix_micros()
    );
    let bad = json!({"id": "Q_1", "type": "message", "text": "t", "created_at": "yesterday"});
    assert_eq!(lc_types::from_value::<Event>(bad).unwrap_err().path(), "created_at");
}

#[test]
fn requests_carry_only_what_was_set() {
    let req = StartChatRequest::default();
    assert_eq!(serde_json::to_value(&req).unwrap(), json!({}));
    let mut send = SendEventRequest::new("PJ0MRSHTDG", MessageEventInput::new("Hi"));
    assert_eq!(
        serde_json::to_value(&send).unwrap(),
        json!({"chat_id": "PJ0MRSHTDG", "event": {"type": "message", "text": "Hi"}})
    );
    send.attach_to_last_thread = Some(false);
    assert_eq!(serde_json::to_value(&send).unwrap()["attach_to_last_thread"], json!(false));
}

#[test]
fn frames_decode_in_two_steps() {
    let text = r#"{"version":"3.6","request_id":"r1","action":"incoming_event","type":"push","payload":{"chat_id":"C","thread_id":"T","event":{"id":"T_1","type":"message","text":"x","created_at":"2026-03-02T10:15:31.123456Z"}},"trace":"abc"}"#;
    let frame: Frame = lc_types::from_str(text).unwrap();
    assert_eq!(serde_json::to_value(&frame).unwrap(), serde_json::from_str::<Value>(text).unwrap());
    let Frame::Push(push) = frame else { panic!("a push") };
    assert_eq!(push.extra.get("trace"), Some(&json!("abc")));
    assert!(matches!(
        AnyPush::decode(&push.action, push.payload.get()).unwrap(),
        AnyPush::IncomingEvent(_)
    ));
    let typed: IncomingEventPush = push.decode().unwrap();
    assert_eq!(typed.chat_id, "C");

    let unknown = AnyPush::decode("customer_page_updated", r#"{"url":"https://example.com"}"#).unwrap();
    assert!(matches!(&unknown, AnyPush::Unknown { name, .. } if name == "customer_page_updated"));
    assert_eq!(unknown.unknowns()[0].kind, UnknownKind::Push("customer_page_updated".into()));

    for odd in [
        r#"{"type":"telemetry","data":1}"#,
        r#"{"payload":{}}"#,
        r#"{"type":"push","payload":{}}"#,
    ] {
        let f: Frame = lc_types::from_str(odd).unwrap();
        assert!(matches!(f, Frame::Unknown(_)), "{odd}");
        assert_eq!(serde_json::to_value(&f).unwrap(), serde_json::from_str::<Value>(odd).unwrap());
    }
    for stray in [
        r#"{"action":"ping","payload":{},"success":true}"#,
        r#"{"version":"3.6","action":"ping","type":"response","success":true}"#,
        r#"{"action":"greeting_accepted","type":"push","success":false,"payload":{}}"#,
    ] {
        let f: Frame = lc_types::from_str(stray).unwrap();
        assert!(!matches!(f, Frame::Unknown(_)), "{stray}");
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::from_str::<Value>(stray).unwrap(),
            "{stray}"
        );
    }
    let err = lc_types::from_str::<Frame>(r#"{"action":"ping","type":"response","success":"yes"}"#).unwrap_err();
    assert_eq!(err.path(), "success");
    assert!(lc_types::from_str::<Frame>(r#"{"action":"a","action":"b","payload":{}}"#).is_err());
}

/// One connection may mix versions: each push and request frame decodes in the version it names,
/// in every version this build has; a version it lacks keeps the payload and says so.
#[test]
fn frames_decode_in_the_version_they_name() {
    let apis = lc_types::apis();
    assert!(!apis.is_empty());
    for api in apis {
        let v = api.version;
        let push = format!(r#"{{"version":"{v}","action":"greeting_accepted","type":"push","payload":{{"unique_id":"u1"}}}}"#);
        let Frame::Push(frame) = lc_types::from_str(&push).unwrap() else {
            panic!("a push")
        };
        // The connection's version is another one: the frame's wins.
        let decoded = frame.decode_any(lc_types::ApiVersion::new(3, 99)).unwrap();
        assert_eq!(decoded.version(), Some(v), "{push}");
        assert_eq!(decoded.name(), "greeting_accepted");
        assert!(decoded.unknowns().is_empty(), "{:?}", decoded.unknowns());
        assert_eq!(serde_json::to_value(&decoded).unwrap(), json!({"unique_id": "u1"}));

        let request = format!(r#"{{"version":"{v}","request_id":"1","action":"get_customer","payload":{{}}}}"#);
        let Frame::Request(frame) = lc_types::from_str(&request).unwrap() else {
            panic!("a request")
        };
        assert_eq!(frame.decode_any(lc_types::ApiVersion::new(3, 99)).unwrap().version(), Some(v));
        // No version in the frame: the connection's.
        let bare = r#"{"action":"get_customer","payload":{}}"#;
        let Frame::Request(frame) = lc_types::from_str(bare).unwrap() else {
            panic!("a request")
        };
        assert_eq!(frame.decode_any(v).unwrap().version(), Some(v));
        // A malformed known push is an error at its path, whatever the version.
        let bad = lc_types::VersionedPush::decode(&v.to_string(), "greeting_accepted", r#"{"unique_id":5}"#).unwrap_err();
        assert_eq!(bad.path(), "unique_id");
    }
    for missing in ["3.99", "banana"] {
        let decoded = lc_types::VersionedPush::decode(missing, "greeting_accepted", r#"{"unique_id":"u1","x":[1]}"#).unwrap();
        assert!(
            matches!(&decoded, lc_types::VersionedPush::Unsupported { version, name, .. } if version == missing && name == "greeting_accepted")
        );
        assert_eq!(decoded.version(), None);
        assert_eq!(serde_json::to_value(&decoded).unwrap(), json!({"unique_id": "u1", "x": [1]}));
        assert_eq!(decoded.unknowns()[0].kind, UnknownKind::Version(missing.into()));
    }
}

/// A type identical in several versions is one Rust type: a value moves between versions as it
/// is. A type that differs (v3.5's `Event` has no `system` member) stays one type per version.
#[test]
fn shared_types_are_one_rust_type() {
    use std::any::TypeId;
    let access = lc_types::v3_6::Access::new(vec![0_i64]);
    let older: lc_types::v3_5::Access = access.clone();
    let newer: lc_types::v3_7::Access = older;
    assert_eq!(newer, access);
    assert_eq!(
        TypeId::of::<lc_types::v3_5::Properties>(),
        TypeId::of::<lc_types::v3_7::Properties>()
    );
    assert_ne!(TypeId::of::<lc_types::v3_5::Event>(), TypeId::of::<lc_types::v3_6::Event>());
    assert_ne!(
        TypeId::of::<lc_types::v3_6::RichMessageEvent>(),
        TypeId::of::<lc_types::v3_7::RichMessageEvent>()
    );
    // Requests and pushes name their version in `impl Action`/`impl Push`: never shared.
    assert_ne!(
        TypeId::of::<lc_types::v3_5::GetChatRequest>(),
        TypeId::of::<lc_types::v3_6::GetChatRequest>()
    );
}

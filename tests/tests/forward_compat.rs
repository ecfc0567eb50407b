//! The forward-compatibility promises of DESIGN.md, one test each, on v3.6 types.

use lc_types::v3_6::customer::{
    AnyPush, DisconnectReason, Event, FilledFormField, GetChatResponse, GroupStatus, IncomingEventPush, ListThreadsResponse,
    MessageEventInput, SendEventRequest, StartChatRequest, User,
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
    assert!(push.event.is_unknown());
    assert_eq!(push.event.tag(), Some("hologram"));
    let unknown = push.event.as_unknown().expect("an unknown member");
    assert_eq!(unknown.tag(), Some("hologram"));
    assert_eq!(unknown.tag_field(), Event::TAG);
    assert_eq!(unknown.json()["depth"], json!(3));
    assert_eq!(Value::Object(unknown.clone().into_json()), input["event"]);
    let kinds: Vec<UnknownKind> = push.unknowns().into_iter().map(|u| u.kind).collect();
    assert_eq!(
        kinds,
        vec![UnknownKind::Variant(Some("hologram".into())), UnknownKind::Field("shiny".into())]
    );

    let status: GroupStatus = serde_json::from_value(json!("busy_ish")).unwrap();
    assert!(status.is_unknown());
    assert_eq!(status, GroupStatus::from("busy_ish"));
    assert_eq!(status.as_str(), "busy_ish");
    assert_eq!(serde_json::to_value(&status).unwrap(), json!("busy_ish"));
    assert_eq!(GroupStatus::from("online"), GroupStatus::Online);

    let user: User = round_trip(&json!({"id": "x", "type": "bot", "name": "R2"}));
    assert_eq!(user.tag(), Some("bot"));
    let untagged: User = round_trip(&json!({"id": "x"}));
    assert!(untagged.is_unknown());
    assert_eq!(untagged.tag(), None);
    assert!(untagged.as_unknown().is_some_and(|u| u.tag().is_none()));
    let customer: User = round_trip(&json!({"id": "x", "type": "customer"}));
    assert!(!customer.is_unknown() && customer.as_unknown().is_none());
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
    assert!(unknown.is_unknown());
    assert_eq!(unknown.name(), "customer_page_updated");
    let raw = unknown.as_unknown().expect("an unknown push");
    assert_eq!((raw.name(), raw.version()), ("customer_page_updated", None));
    assert_eq!(raw.payload(), &json!({"url": "https://example.com"}));
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
    let apis: Vec<_> = lc_types::apis().iter().filter(|a| a.api == lc_types::ChatApi::Customer).collect();
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
        assert!(!decoded.is_unsupported() && decoded.as_unsupported().is_none());
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
        assert!(decoded.is_unsupported());
        let raw = decoded.as_unsupported().expect("unsupported");
        assert_eq!((raw.version(), raw.name()), (Some(missing), "greeting_accepted"));
        assert_eq!(decoded.name(), "greeting_accepted");
        assert_eq!(decoded.version(), None);
        assert_eq!(serde_json::to_value(&decoded).unwrap(), json!({"unique_id": "u1", "x": [1]}));
        assert_eq!(decoded.unknowns()[0].kind, UnknownKind::Version(missing.into()));
    }
}

/// Code written for one version takes its pushes and requests out of the versioned enums with
/// `get` / `into_version`; a value of another version (or one this build lacks) is not taken,
/// and `into_version` gives it back whole.
#[test]
fn a_version_takes_its_own_out_of_the_versioned_enums() {
    use lc_types::{v3_5, v3_6, VersionMember, VersionedPush, VersionedRequest};
    let payload = r#"{"unique_id":"u1"}"#;
    let push = VersionedPush::decode("3.6", "greeting_accepted", payload).unwrap();
    assert!(matches!(push.get(), Some(v3_6::customer::AnyPush::GreetingAccepted(p)) if p.unique_id == "u1"));
    assert!(push.get::<v3_5::customer::AnyPush>().is_none());
    let push = push.into_version::<v3_5::customer::AnyPush>().unwrap_err();
    assert!(matches!(
        push.into_version::<v3_6::customer::AnyPush>(),
        Ok(v3_6::customer::AnyPush::GreetingAccepted(_))
    ));
    let future = VersionedPush::decode("3.99", "greeting_accepted", payload).unwrap();
    assert!(future.get::<v3_6::customer::AnyPush>().is_none());
    assert!(future.into_version::<v3_6::customer::AnyPush>().unwrap_err().is_unsupported());
    assert_eq!(
        <v3_5::customer::AnyPush as VersionMember<VersionedPush>>::VERSION,
        lc_types::ApiVersion::V3_5
    );

    let request = VersionedRequest::decode("3.5", "get_customer", "{}").unwrap();
    assert!(matches!(request.get(), Some(v3_5::customer::AnyRequest::GetCustomer(_))));
    assert!(request.get::<v3_6::customer::AnyRequest>().is_none());
}

/// A type identical in several versions is one Rust type: a value moves between versions as it
/// is. A type that differs (v3.5's `Event` has no `system` member) stays one type per version.
#[test]
fn shared_types_are_one_rust_type() {
    use std::any::TypeId;
    let access = lc_types::v3_6::customer::Access::new(vec![0_i64]);
    let older: lc_types::v3_5::customer::Access = access.clone();
    let newer: lc_types::v3_7::customer::Access = older;
    assert_eq!(newer, access);
    assert_eq!(
        TypeId::of::<lc_types::v3_5::customer::Properties>(),
        TypeId::of::<lc_types::v3_7::customer::Properties>()
    );
    assert_ne!(
        TypeId::of::<lc_types::v3_5::customer::Event>(),
        TypeId::of::<lc_types::v3_6::customer::Event>()
    );
    assert_ne!(
        TypeId::of::<lc_types::v3_6::customer::RichMessageEvent>(),
        TypeId::of::<lc_types::v3_7::customer::RichMessageEvent>()
    );
    // Requests and pushes name their version in `impl Action`/`impl Push`: never shared.
    assert_ne!(
        TypeId::of::<lc_types::v3_5::customer::GetChatRequest>(),
        TypeId::of::<lc_types::v3_6::customer::GetChatRequest>()
    );
}

/// Every titled string enum of every version's schema: each known value decodes into its known
/// variant (nothing reported unknown) and re-encodes as it came; another value is kept and
/// reported. The run-time decoder goes through serde, which shares `From<&str>`'s lookup.
#[test]
fn a_known_enum_value_never_lands_in_the_catch_all() {
    fn enums(node: &Value, out: &mut Vec<(String, Vec<String>)>) {
        match node {
            Value::Object(o) => {
                if let (Some(title), Some(Value::Array(values))) = (o.get("title").and_then(Value::as_str), o.get("enum")) {
                    out.push((
                        title.to_owned(),
                        values.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                    ));
                }
                o.values().for_each(|v| enums(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| enums(v, out)),
            _ => {}
        }
    }
    let mut checked = 0;
    for version in lc_tests::versions() {
        let set = lc_tests::SchemaSet::load(&version);
        let mut found = Vec::new();
        for rel in set.titles.values() {
            enums(&lc_tests::read_json(&set.dir.join(rel)), &mut found);
        }
        found.sort();
        found.dedup();
        for (title, values) in &found {
            for value in values {
                let text = Value::String(value.clone()).to_string();
                let decoded = lc_tests::decode(&version, "type", title, &text)
                    .unwrap_or_else(|| panic!("v{version}: no type {title}"))
                    .unwrap_or_else(|e| panic!("v{version} {title} {value}: {e}"));
                assert!(
                    decoded.unknowns().is_empty(),
                    "v{version}: {title} `{value}` landed in the catch-all"
                );
                assert_eq!(decoded.to_json().unwrap(), Value::String(value.clone()));
                checked += 1;
            }
            let other = lc_tests::decode(&version, "type", title, r#""zz_not_known""#).unwrap().unwrap();
            assert_eq!(
                other.unknowns()[0].kind,
                UnknownKind::EnumValue("zz_not_known".into()),
                "v{version}: {title}"
            );
            assert_eq!(other.to_json().unwrap(), json!("zz_not_known"));
        }
    }
    assert!(checked > 100, "only {checked} enum values found");
}

/// Every action and push name of every version decodes as its own member, never as the unknown
/// one (a payload that does not fit is an error, not "unknown").
#[test]
fn a_known_action_or_push_never_lands_in_the_catch_all() {
    let mut checked = 0;
    for api in lc_types::apis() {
        let named = |r: Result<Box<dyn lc_types::Decoded>, lc_types::DecodeError>| {
            r.map(|d| {
                d.unknowns()
                    .into_iter()
                    .any(|u| matches!(u.kind, UnknownKind::Action(_) | UnknownKind::Push(_)))
            })
        };
        for a in api.actions {
            if a.request.is_some() {
                assert_ne!(
                    named((api.decode_request)(a.name, "{}")).ok(),
                    Some(true),
                    "{} {}",
                    api.version,
                    a.name
                );
            }
            assert_ne!(
                named((api.decode_response)(a.name, "{}")).ok(),
                Some(true),
                "{} {}",
                api.version,
                a.name
            );
            checked += 1;
        }
        for p in api.pushes {
            assert_ne!(
                named((api.decode_push)(p.name, "{}")).ok(),
                Some(true),
                "{} {}",
                api.version,
                p.name
            );
            checked += 1;
        }
        assert_eq!(named((api.decode_push)("zz_new_push", "{}")).ok(), Some(true));
    }
    assert!(checked > 60);
}

/// Building an enum from text always gives the known variant; equality, hashing and ordering
/// follow the wire text, so two values that encode the same compare equal.
#[test]
fn enum_equality_hash_and_order_follow_the_wire_text() {
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};
    let hash = |r: &DisconnectReason| {
        let mut h = DefaultHasher::new();
        r.hash(&mut h);
        h.finish()
    };
    assert_eq!(DisconnectReason::from("access_token_expired"), DisconnectReason::AccessTokenExpired);
    assert!(matches!(
        DisconnectReason::from("access_token_expired".to_owned()),
        DisconnectReason::AccessTokenExpired
    ));
    assert!(matches!(
        "access_token_expired".parse::<DisconnectReason>().unwrap(),
        DisconnectReason::AccessTokenExpired
    ));
    assert!(matches!(
        serde_json::from_value::<DisconnectReason>(json!("access_token_expired")).unwrap(),
        DisconnectReason::AccessTokenExpired
    ));
    for known in DisconnectReason::KNOWN {
        assert!(!DisconnectReason::from(*known).is_unknown(), "{known}");
    }
    let (a, b) = (DisconnectReason::from("zz_new"), DisconnectReason::from("zz_new".to_owned()));
    assert!(a.is_unknown());
    assert_eq!(a, b);
    assert_eq!(hash(&a), hash(&b));
    assert_eq!(
        hash(&DisconnectReason::from("too_many_connections")),
        hash(&DisconnectReason::TooManyConnections)
    );
    let mut all: Vec<DisconnectReason> = ["zz_new", "access_token_expired", "aaa_new", "too_many_connections"]
        .into_iter()
        .map(DisconnectReason::from)
        .collect();
    all.sort();
    let texts: Vec<&str> = all.iter().map(DisconnectReason::as_str).collect();
    assert_eq!(texts, ["aaa_new", "access_token_expired", "too_many_connections", "zz_new"]);
    let set: std::collections::HashSet<GroupStatus> = [GroupStatus::Online, GroupStatus::from("online"), GroupStatus::from("busy_ish")]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 2);
}

//! One struct per concept across APIs: an object whose shape is the same in the Customer and the
//! Agent Chat API of a version is one Rust type (a value moves from a customer's push into an
//! agent's request unchanged), and where the agent sees more, the types are distinct.

use std::any::TypeId;

use lc_types::{v3_5, v3_6, v3_7};

/// Whether `A` and `B` are one type.
fn same<A: 'static, B: 'static>() -> bool {
    TypeId::of::<A>() == TypeId::of::<B>()
}

#[test]
fn objects_of_the_same_shape_are_one_type_in_both_apis() {
    // Each line compiles only if the two paths name one type, and asserts it at run time too.
    macro_rules! one_type {
        ($($v:ident :: $t:ident),* $(,)?) => {$(
            let _: fn($v::customer::$t) -> $v::agent::$t = |x| x;
            let _: fn($v::agent::$t) -> $v::$t = |x| x;
            assert!(same::<$v::customer::$t, $v::agent::$t>(), "{}::{}", stringify!($v), stringify!($t));
        )*};
    }
    one_type!(
        v3_6::Access,
        v3_6::Properties,
        v3_6::MessageEvent,
        v3_6::FileEvent,
        v3_6::Postback,
        v3_6::Event,
        v3_6::EventInput,
        v3_6::Visibility,
        v3_6::RichMessageEvent,
        v3_6::SystemMessageEvent,
        v3_5::Access,
        v3_5::Properties,
        v3_5::MessageEvent,
        v3_5::FileEvent,
        v3_5::Postback,
        v3_7::Access,
        v3_7::Properties,
        v3_7::MessageEvent,
        v3_7::FileEvent,
        v3_7::Postback,
    );
    // Across versions too, where the shape did not change.
    assert!(same::<v3_5::agent::Access, v3_7::customer::Access>());
    assert!(same::<v3_6::agent::MessageEvent, v3_7::customer::MessageEvent>());
    // The answer of `upload_file` is one type in every version and API.
    assert!(same::<v3_5::agent::UploadFileResponse, lc_types::web::UploadFileResponse>());
}

#[test]
fn the_agents_views_are_distinct_types() {
    // The agent's `Customer` has statistics and visits, its `Thread` and `Chat` more fields.
    assert!(!same::<v3_6::customer::Customer, v3_6::agent::Customer>());
    assert!(!same::<v3_6::customer::Thread, v3_6::agent::Thread>());
    assert!(!same::<v3_6::customer::Chat, v3_6::agent::Chat>());
    assert!(!same::<v3_6::customer::User, v3_6::agent::User>());
    // Requests and pushes belong to their API, even where the fields agree.
    assert!(!same::<v3_6::customer::SendEventRequest, v3_6::agent::SendEventRequest>());
    assert!(!same::<v3_6::customer::IncomingEventPush, v3_6::agent::IncomingEventPush>());
}

#[test]
fn a_customers_event_is_an_agents_event() {
    // A customer's `incoming_event` push, with a field this schema does not know.
    let push: v3_6::customer::IncomingEventPush = lc_types::from_str(
        r#"{"chat_id":"PJ0MRSHTDG","thread_id":"QZ1GZJ7E2Q","event":{"id":"QZ1GZJ7E2Q_3","type":"message",
            "text":"Size 42?","author_id":"b7eff798-f8df-4364-8059-649c35c9ed0c",
            "created_at":"2026-03-02T10:15:31.123456Z","mood":"curious"}}"#,
    )
    .unwrap();
    // No conversion: the customer's event is the agent's, and an agent's push of it decodes equal.
    let event: v3_6::agent::Event = push.event;
    let agent_push: v3_6::agent::IncomingEventPush = lc_types::from_str(
        r#"{"chat_id":"PJ0MRSHTDG","thread_id":"QZ1GZJ7E2Q","event":{"id":"QZ1GZJ7E2Q_3","type":"message",
            "text":"Size 42?","author_id":"b7eff798-f8df-4364-8059-649c35c9ed0c",
            "created_at":"2026-03-02T10:15:31.123456Z","mood":"curious"}}"#,
    )
    .unwrap();
    assert_eq!(agent_push.event, event);
    let v3_6::Event::Message(mut message) = event else {
        panic!("a message")
    };
    // An agent quotes it to the other agents only: the same struct, one field set.
    message.visibility = Some(v3_6::Visibility::Agents);
    let json = serde_json::to_value(&message).unwrap();
    assert_eq!(json["mood"], "curious", "the unknown field travels with it");
    assert_eq!(json["visibility"], "agents");
}

//! Every RTM action of every compiled version through `RtmClient::call` against `lc-mock` on
//! loopback, over a connection of that version, each with an assertion on its typed response
//! or on its effect (read back with another call, or seen as a typed push). The set of actions
//! that ran is compared with the manifest (`lc_types::apis()`, `ActionInfo::rtm`), so an action
//! without a case fails the test.

mod common;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use common::*;
use lc_mock::{GreetingStatus, MockServer};
use lc_rtm::{ErrorKind, Events, Pushed, RtmClient, RtmEvent};
use lc_types::{ApiVersion, RtmAction, VersionedPush};
use serde::Serialize;
use serde_json::{json, Value};

/// (version, action) of every call that succeeded.
static RAN: Mutex<BTreeSet<(ApiVersion, &'static str)>> = Mutex::new(BTreeSet::new());

/// Calls `R` with the request decoded from `payload` (typed: a payload the type does not
/// accept fails here), records it, and gives the typed response.
async fn call<R: RtmAction + Sync>(client: &RtmClient, payload: Value) -> R::Response {
    let request: R = lc_types::from_value(payload.clone()).unwrap_or_else(|e| panic!("{} {payload}: {e}", R::NAME));
    let response = client
        .call(&request)
        .await
        .unwrap_or_else(|e| panic!("{} v{} over v{}: {e}", R::NAME, R::VERSION, client.api_version()));
    RAN.lock().unwrap().insert((R::VERSION, R::NAME));
    response
}

fn js<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("a string: {v}")).to_owned()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|i| text(&i["id"]))
        .collect()
}

fn message(words: &str) -> Value {
    json!({"type": "message", "text": words})
}

fn quick_replies() -> Value {
    json!([{
        "title": "Did that help?",
        "buttons": [{"text": "Yes", "type": "message", "value": "Yes", "postback_id": "yes", "user_ids": []}]
    }])
}

fn prechat_form() -> Value {
    json!({
        "id": "prechat-lc-rtm",
        "fields": [
            {"id": "f1", "type": "header", "label": "Before we start"},
            {"id": "f2", "type": "name", "label": "Your name", "required": true}
        ]
    })
}

/// A new customer connected over RTM in `version`: the client, its events, the customer ID and
/// the first `login` response frame.
async fn connect(server: &MockServer, version: ApiVersion) -> (RtmClient, Events, String, lc_types::ResponseFrame) {
    let me = server.issue_customer();
    let (client, mut events) = builder(server).api_version(version).token(&me.token).build().unwrap();
    let RtmEvent::Connected(c) = next(&mut events).await else {
        panic!("the first event is Connected")
    };
    assert!(!c.reconnect);
    assert_eq!(client.api_version(), version);
    (client, events, me.id, c.login)
}

/// The next push named `name` (others skipped), within 5 s.
async fn push(events: &mut Events, name: &str) -> Box<Pushed> {
    let (e, _) = until(events, |e| matches!(e, RtmEvent::Push(p) if p.push.name() == name)).await;
    let RtmEvent::Push(p) = e else { unreachable!() };
    p
}

/// The actions every compiled version has over the RTM API.
macro_rules! every_version {
    ($v:ident, $V:ident) => {
        mod $v {
            use super::*;
            use lc_types::$v::customer as t;

            const VERSION: ApiVersion = ApiVersion::$V;

            /// The typed push of this version.
            fn any(p: &Pushed) -> &t::AnyPush {
                match &p.push {
                    VersionedPush::$V(a) => a,
                    other => panic!("a v{} push: {other:?}", VERSION),
                }
            }

            async fn chat(c: &RtmClient, chat: &str) -> Value {
                js(&call::<t::GetChatRequest>(c, json!({ "chat_id": chat })).await)
            }

            pub(super) async fn run(server: &MockServer) {
                let agent = server.agent();

                // login (the client's own, typed), start_chat
                let (c, mut events, me, login) = connect(server, VERSION).await;
                let login: t::LoginResponse = login.decode().unwrap();
                assert_eq!(js(&login.customer)["id"], me.as_str());
                assert!(login.chats.is_empty() && !login.has_active_thread);
                // The client logs in by itself after every connect: a `login` through `call`
                // is refused before it is sent (it would log in a second time).
                let again: t::LoginRequest = lc_types::from_value(json!({"token": "Bearer whatever"})).unwrap();
                let err = c.call(&again).await.unwrap_err();
                assert!(matches!(err.kind(), ErrorKind::InvalidInput) && err.to_string().contains("logs in by itself"), "{err}");
                assert_eq!(c.state(), lc_rtm::ConnectionState::Active);

                let started = call::<t::StartChatRequest>(
                    &c,
                    json!({"chat": {"properties": {"shop": {"topic": "shoes"}}, "thread": {"events": [message("Hi")]}}, "active": true}),
                )
                .await;
                let (chat_id, thread_id) = (started.chat_id.clone(), started.thread_id.clone());
                assert_eq!(started.event_ids.map(|e| e.len()), Some(1));
                assert_eq!(agent.active_chat(&me), Some((chat_id.clone(), thread_id.clone())));
                let p = push(&mut events, "incoming_chat").await;
                let t::AnyPush::IncomingChat(incoming) = any(&p) else { panic!("{p:?}") };
                assert_eq!(incoming.chat.id, chat_id);
                assert!(p.request_id.is_some(), "our start_chat caused it");

                // send_event (and its push), get_chat, get_customer
                let sent = call::<t::SendEventRequest>(&c, json!({"chat_id": chat_id, "event": message("Size 42")})).await;
                assert_eq!(sent.event_id, format!("{thread_id}_2"));
                let p = push(&mut events, "incoming_event").await;
                let t::AnyPush::IncomingEvent(incoming) = any(&p) else { panic!("{p:?}") };
                assert_eq!((incoming.chat_id.as_str(), js(&incoming.event)["text"].clone()), (chat_id.as_str(), json!("Size 42")));
                let got = call::<t::GetChatRequest>(&c, json!({"chat_id": chat_id})).await;
                assert_eq!(got.id, chat_id);
                let got = js(&got);
                assert_eq!(got["thread"]["events"][1]["text"], "Size 42", "{got}");
                assert_eq!(got["properties"], json!({"shop": {"topic": "shoes"}}));
                let customer = js(&call::<t::GetCustomerRequest>(&c, json!({})).await);
                assert_eq!((text(&customer["id"]), text(&customer["type"])), (me.clone(), "customer".to_owned()));

                // send_sneak_peek, mark_events_as_seen
                call::<t::SendSneakPeekRequest>(&c, json!({"chat_id": chat_id, "sneak_peek_text": "I would like"})).await;
                assert_eq!(agent.sneak_peek(&chat_id).as_deref(), Some("I would like"));
                agent.send_message(&chat_id, "Anything else?").unwrap();
                let got = chat(&c, &chat_id).await;
                let last = got["thread"]["events"].as_array().unwrap().last().unwrap()["created_at"].clone();
                call::<t::MarkEventsAsSeenRequest>(&c, json!({"chat_id": chat_id, "seen_up_to": last})).await;
                let got = chat(&c, &chat_id).await;
                let mine = got["users"].as_array().unwrap().iter().find(|u| u["id"] == me.as_str()).unwrap().clone();
                assert_eq!(mine["events_seen_up_to"], last, "{got}");

                // send_rich_message_postback
                let rich = agent.send_rich_message(&chat_id, "quick_replies", quick_replies()).unwrap();
                call::<t::SendRichMessagePostbackRequest>(
                    &c,
                    json!({"chat_id": chat_id, "thread_id": thread_id, "event_id": rich, "postback": {"id": "yes", "toggled": true}}),
                )
                .await;
                let p = push(&mut events, "incoming_rich_message_postback").await;
                assert_eq!(js(&p.push)["event_id"], rich.as_str(), "{p:?}");

                // chat, thread and event properties
                call::<t::UpdateChatPropertiesRequest>(&c, json!({"id": chat_id, "properties": {"shop": {"paid": true}}})).await;
                let p = push(&mut events, "chat_properties_updated").await;
                let t::AnyPush::ChatPropertiesUpdated(updated) = any(&p) else { panic!("{p:?}") };
                assert_eq!(js(&updated.properties), json!({"shop": {"paid": true}}));
                call::<t::DeleteChatPropertiesRequest>(&c, json!({"id": chat_id, "properties": {"shop": ["topic"]}})).await;
                assert_eq!(chat(&c, &chat_id).await["properties"], json!({"shop": {"paid": true}}));
                call::<t::UpdateThreadPropertiesRequest>(
                    &c,
                    json!({"chat_id": chat_id, "thread_id": thread_id, "properties": {"shop": {"a": 1, "b": 2}}}),
                )
                .await;
                call::<t::DeleteThreadPropertiesRequest>(
                    &c,
                    json!({"chat_id": chat_id, "thread_id": thread_id, "properties": {"shop": ["a"]}}),
                )
                .await;
                assert_eq!(chat(&c, &chat_id).await["thread"]["properties"], json!({"shop": {"b": 2}}));
                let first_event = format!("{thread_id}_1");
                call::<t::UpdateEventPropertiesRequest>(
                    &c,
                    json!({"chat_id": chat_id, "thread_id": thread_id, "event_id": first_event, "properties": {"shop": {"x": "1", "y": "2"}}}),
                )
                .await;
                call::<t::DeleteEventPropertiesRequest>(
                    &c,
                    json!({"chat_id": chat_id, "thread_id": thread_id, "event_id": first_event, "properties": {"shop": ["x"]}}),
                )
                .await;
                assert_eq!(chat(&c, &chat_id).await["thread"]["events"][0]["properties"], json!({"shop": {"y": "2"}}));

                // deactivate_chat (and its push), resume_chat, list_threads, list_chats
                call::<t::DeactivateChatRequest>(&c, json!({"id": chat_id})).await;
                assert_eq!(agent.active_chat(&me), None);
                let p = push(&mut events, "chat_deactivated").await;
                let t::AnyPush::ChatDeactivated(closed) = any(&p) else { panic!("{p:?}") };
                assert_eq!((closed.chat_id.as_str(), closed.thread_id.as_str()), (chat_id.as_str(), thread_id.as_str()));
                let resumed = call::<t::ResumeChatRequest>(&c, json!({"chat": {"id": chat_id, "thread": {"events": [message("Back")]}}})).await;
                assert_ne!(resumed.thread_id, thread_id);
                let threads = call::<t::ListThreadsRequest>(&c, json!({"chat_id": chat_id})).await;
                assert_eq!(threads.found_threads, 2);
                assert_eq!(ids(&js(&threads.threads)), [resumed.thread_id.clone(), thread_id.clone()]);
                let listed = js(&call::<t::ListChatsRequest>(&c, json!({"limit": 5})).await);
                let key = if VERSION >= ApiVersion::V3_7 { "chats_info" } else { "chats_summary" };
                assert_eq!((ids(&listed[key]), &listed["total_chats"]), (vec![chat_id.clone()], &json!(1)), "{listed}");

                // login again (after a dropped connection): the typed login response shows the chat
                server.faults().drop_connections();
                let (e, _) = until(&mut events, |e| matches!(e, RtmEvent::Connected(_))).await;
                let RtmEvent::Connected(again) = e else { unreachable!() };
                assert!(again.reconnect);
                let login: t::LoginResponse = again.login.decode().unwrap();
                assert!(login.has_active_thread);
                assert_eq!(js(&login.chats)[0]["chat_id"], chat_id.as_str(), "{:?}", login.chats);
                RAN.lock().unwrap().insert((VERSION, "login"));

                // ping
                let pong = call::<t::PingRequest>(&c, json!({})).await;
                assert_eq!(js(&pong), json!({}));

                // update_customer (and its push), set_customer_session_fields, update_customer_page
                let (c, mut events, me, _) = connect(server, VERSION).await;
                call::<t::UpdateCustomerRequest>(&c, json!({"name": "Ola", "email": "ola@shop.example"})).await;
                let p = push(&mut events, "customer_updated").await;
                assert_eq!(js(&p.push)["name"], "Ola", "{p:?}");
                call::<t::SetCustomerSessionFieldsRequest>(&c, json!({"session_fields": [{"plan": "gold"}]})).await;
                let customer = js(&call::<t::GetCustomerRequest>(&c, json!({})).await);
                assert_eq!(
                    (&customer["name"], &customer["email"], &customer["session_fields"]),
                    (&json!("Ola"), &json!("ola@shop.example"), &json!([{"plan": "gold"}])),
                    "{customer}"
                );
                let views = customer["statistics"]["page_views_count"].as_u64().unwrap();
                call::<t::UpdateCustomerPageRequest>(&c, json!({"url": "https://shop.example/cart", "title": "Cart"})).await;
                let customer = js(&call::<t::GetCustomerRequest>(&c, json!({})).await);
                assert_eq!(customer["statistics"]["page_views_count"], views + 1, "{customer}");
                assert_eq!(agent.customer(&me).unwrap()["name"], "Ola");

                // list_group_statuses, get_form, get_url_info
                let statuses = call::<t::ListGroupStatusesRequest>(&c, json!({"group_ids": [0, 4242]})).await;
                assert_eq!(js(&statuses), json!({"groups_status": {"0": "online"}}));
                agent.set_form(0, "prechat", Some(prechat_form())).unwrap();
                let form = call::<t::GetFormRequest>(&c, json!({"group_id": 0, "type": "prechat"})).await;
                assert!(form.enabled);
                assert_eq!(js(&form.form), prechat_form());
                let info = call::<t::GetUrlInfoRequest>(&c, json!({"url": "https://www.example.com/products/1"})).await;
                assert_eq!(js(&info)["url"], "https://www.example.com/products/1");

                // accept_greeting, cancel_greeting (after their incoming_greeting pushes)
                let unique_id = agent.greet(&me, "Need a hand?").unwrap();
                let p = push(&mut events, "incoming_greeting").await;
                let t::AnyPush::IncomingGreeting(greeting) = any(&p) else { panic!("{p:?}") };
                assert_eq!(greeting.0.unique_id, unique_id);
                let greeting_id = greeting.0.id;
                call::<t::AcceptGreetingRequest>(&c, json!({"greeting_id": greeting_id, "unique_id": unique_id})).await;
                assert_eq!(agent.greeting_status(&unique_id), Some(GreetingStatus::Accepted));
                let unique_id = agent.greet(&me, "Still there?").unwrap();
                call::<t::CancelGreetingRequest>(&c, json!({"unique_id": unique_id})).await;
                assert_eq!(agent.greeting_status(&unique_id), Some(GreetingStatus::Canceled));
                assert_eq!(server.problems(), Vec::<String>::new());
            }
        }
    };
}

every_version!(v3_5, V3_5);
every_version!(v3_6, V3_6);
every_version!(v3_7, V3_7);

/// `get_predicted_agent` (3.5 and 3.6; removed in 3.7).
macro_rules! predicted_agent {
    ($v:ident, $V:ident, $name:ident) => {
        async fn $name(server: &MockServer) {
            use lc_types::$v::customer as t;
            let (c, _events, _, _) = connect(server, ApiVersion::$V).await;
            let got = call::<t::GetPredictedAgentRequest>(&c, json!({})).await;
            assert!(!got.queue);
            assert_eq!(js(&got.agent)["id"], server.agent().id());
        }
    };
}
predicted_agent!(v3_5, V3_5, predicted_agent_3_5);
predicted_agent!(v3_6, V3_6, predicted_agent_3_6);

/// `delete_event`, `request_welcome_message`, `send_greeting_button_clicked` (3.6+).
macro_rules! since_3_6 {
    ($v:ident, $V:ident, $name:ident) => {
        async fn $name(server: &MockServer) {
            use lc_types::$v::customer as t;
            let (c, mut events, me, _) = connect(server, ApiVersion::$V).await;
            let started = call::<t::StartChatRequest>(&c, json!({})).await;
            let sent = call::<t::SendEventRequest>(&c, json!({"chat_id": started.chat_id, "event": message("Oops")})).await;
            call::<t::DeleteEventRequest>(
                &c,
                json!({"chat_id": started.chat_id, "thread_id": started.thread_id, "event_id": sent.event_id}),
            )
            .await;
            let p = push(&mut events, "event_deleted").await;
            let VersionedPush::$V(t::AnyPush::EventDeleted(deleted)) = &p.push else {
                panic!("{p:?}")
            };
            assert_eq!(deleted.event_id, sent.event_id);
            let got = js(&call::<t::GetChatRequest>(&c, json!({"chat_id": started.chat_id})).await);
            assert!(!ids(&got["thread"]["events"]).contains(&sent.event_id), "{got}");
            let welcome = call::<t::RequestWelcomeMessageRequest>(&c, json!({"group_id": 0})).await;
            assert!(!welcome.id.is_empty());
            assert_eq!(js(&welcome.predicted_agent)["id"], server.agent().id());
            let unique_id = server.agent().greet(&me, "Free shipping today!").unwrap();
            call::<t::SendGreetingButtonClickedRequest>(&c, json!({"greeting_unique_id": unique_id, "button_id": "shop-now"})).await;
            // The greeting is still there to accept: clicking a button is not answering it.
            assert_eq!(server.agent().greeting_status(&unique_id), Some(GreetingStatus::Pending));
        }
    };
}
since_3_6!(v3_6, V3_6, since_3_6_in_3_6);
since_3_6!(v3_7, V3_7, since_3_6_in_3_7);

#[tokio::test]
async fn every_rtm_action_of_every_version_over_a_connection_of_that_version() {
    let server = mock().await;
    tokio::time::timeout(Duration::from_secs(60), async {
        v3_5::run(&server).await;
        v3_6::run(&server).await;
        v3_7::run(&server).await;
        predicted_agent_3_5(&server).await;
        predicted_agent_3_6(&server).await;
        since_3_6_in_3_6(&server).await;
        since_3_6_in_3_7(&server).await;
    })
    .await
    .expect("within 60 s");
    let expected: BTreeSet<(ApiVersion, &'static str)> = lc_types::apis()
        .iter()
        .filter(|a| a.api == lc_types::ChatApi::Customer)
        .flat_map(|api| api.actions.iter().filter(|a| a.rtm).map(|a| (api.version, a.name)))
        .collect();
    let ran = RAN.lock().unwrap().clone();
    let missing: Vec<_> = expected.difference(&ran).collect();
    assert!(missing.is_empty(), "RTM actions not called: {missing:?}");
    assert_eq!(ran, expected);
    // The manifest: 28 RTM actions in 3.5, 31 in 3.6 (+ delete_event, request_welcome_message,
    // send_greeting_button_clicked), 30 in 3.7 (- get_predicted_agent).
    assert_eq!(expected.len(), 28 + 31 + 30);
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// `call_value` sends what `call` would: a `null` the schema does not allow (which the API, and
/// the mock, refuse) is left out; a payload its type refuses is not sent.
#[tokio::test]
async fn call_value_goes_through_the_typed_request() {
    let server = mock().await;
    let me = server.issue_customer();
    let (client, _events) = connected(&server, &me.token).await;
    let chats = client
        .call_value(ApiVersion::V3_6, "list_chats", &json!({"limit": null}))
        .await
        .unwrap();
    assert!(chats["chats_summary"].is_array(), "{chats}");
    let e = client
        .call_value(ApiVersion::V3_6, "list_chats", &json!({"limit": "ten"}))
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Encode) && e.to_string().contains("limit"), "{e:?}");
}

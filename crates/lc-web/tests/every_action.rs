//! Every Web action of every compiled version through one `WebClient` against `lc-mock` on
//! loopback, each with an assertion on its typed response (or on the effect it had, read back
//! with another call). The set of actions that ran is compared with the manifest
//! (`lc_types::apis()`), so an action without a case fails the test.

mod common;

use common::{call, RAN};

use std::collections::BTreeSet;

use lc_mock::{GreetingStatus, MockServer};
use lc_types::ApiVersion;
use lc_web::{Upload, WebClient};
use serde::Serialize;
use serde_json::{json, Value};

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

fn prechat_form() -> Value {
    json!({
        "id": "prechat-lc-web",
        "fields": [
            {"id": "f1", "type": "header", "label": "Before we start"},
            {"id": "f2", "type": "name", "label": "Your name", "required": true}
        ]
    })
}

fn quick_replies() -> Value {
    json!([{
        "title": "Did that help?",
        "buttons": [{"text": "Yes", "type": "message", "value": "Yes", "postback_id": "yes", "user_ids": []}]
    }])
}

/// The actions every compiled version has over the Web API.
macro_rules! every_version {
    ($v:ident) => {
        mod $v {
            use super::*;
            use lc_types::$v::customer as t;

            async fn start(c: &WebClient, payload: Value) -> (String, String, Option<Vec<String>>) {
                let r = call::<t::StartChatRequest>(c, payload).await;
                (r.chat_id, r.thread_id, r.event_ids)
            }

            async fn chat(c: &WebClient, chat: &str) -> Value {
                js(&call::<t::GetChatRequest>(c, json!({ "chat_id": chat })).await)
            }

            pub(super) async fn run(server: &MockServer) -> ApiVersion {
                let version = <t::GetCustomerRequest as lc_types::Action>::VERSION;
                let agent = server.agent();
                let fresh = || {
                    let me = server.issue_customer();
                    (common::client(server, &me.token), me)
                };

                // start_chat
                let (c, me) = fresh();
                let (chat_id, thread_id, events) = start(
                    &c,
                    json!({"chat": {"properties": {"shop": {"topic": "shoes"}}, "thread": {"events": [message("Hi")]}}, "active": true}),
                )
                .await;
                assert_eq!(chat_id.len(), 10);
                assert_eq!(events.map(|e| e.len()), Some(1));
                assert_eq!(agent.active_chat(&me.id), Some((chat_id.clone(), thread_id.clone())));

                // send_event, get_chat, get_customer
                let sent = call::<t::SendEventRequest>(&c, json!({"chat_id": chat_id, "event": message("Size 42")})).await;
                assert_eq!(sent.event_id, format!("{thread_id}_2"));
                let got = call::<t::GetChatRequest>(&c, json!({"chat_id": chat_id})).await;
                assert_eq!(got.id, chat_id);
                let got = js(&got);
                assert_eq!(got["thread"]["events"][1]["text"], "Size 42", "{got}");
                assert_eq!(got["properties"], json!({"shop": {"topic": "shoes"}}));
                let customer = js(&call::<t::GetCustomerRequest>(&c, json!({})).await);
                assert_eq!((text(&customer["id"]), text(&customer["type"])), (me.id.clone(), "customer".to_owned()));

                // send_sneak_peek, mark_events_as_seen
                call::<t::SendSneakPeekRequest>(&c, json!({"chat_id": chat_id, "sneak_peek_text": "I would like"})).await;
                assert_eq!(agent.sneak_peek(&chat_id).as_deref(), Some("I would like"));
                agent.send_message(&chat_id, "Anything else?").unwrap();
                let got = chat(&c, &chat_id).await;
                let last = got["thread"]["events"].as_array().unwrap().last().unwrap()["created_at"].clone();
                call::<t::MarkEventsAsSeenRequest>(&c, json!({"chat_id": chat_id, "seen_up_to": last})).await;
                let got = chat(&c, &chat_id).await;
                let mine = got["users"].as_array().unwrap().iter().find(|u| u["id"] == me.id.as_str()).unwrap().clone();
                assert_eq!(mine["events_seen_up_to"], last, "{got}");

                // send_rich_message_postback
                let rich = agent.send_rich_message(&chat_id, "quick_replies", quick_replies()).unwrap();
                call::<t::SendRichMessagePostbackRequest>(
                    &c,
                    json!({"chat_id": chat_id, "thread_id": thread_id, "event_id": rich, "postback": {"id": "yes", "toggled": true}}),
                )
                .await;

                // chat, thread and event properties
                call::<t::UpdateChatPropertiesRequest>(&c, json!({"id": chat_id, "properties": {"shop": {"paid": true}}})).await;
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

                // deactivate_chat, resume_chat, list_threads, list_chats
                call::<t::DeactivateChatRequest>(&c, json!({"id": chat_id})).await;
                assert_eq!(agent.active_chat(&me.id), None);
                let resumed = call::<t::ResumeChatRequest>(&c, json!({"chat": {"id": chat_id, "thread": {"events": [message("Back")]}}})).await;
                assert_ne!(resumed.thread_id, thread_id);
                let threads = call::<t::ListThreadsRequest>(&c, json!({"chat_id": chat_id})).await;
                assert_eq!(threads.found_threads, 2);
                assert_eq!(ids(&js(&threads.threads)), [resumed.thread_id.clone(), thread_id.clone()]);
                let listed = js(&call::<t::ListChatsRequest>(&c, json!({"limit": 5})).await);
                let key = if version >= ApiVersion::V3_7 { "chats_info" } else { "chats_summary" };
                assert_eq!((ids(&listed[key]), &listed["total_chats"]), (vec![chat_id.clone()], &json!(1)), "{listed}");

                // upload_file
                let bytes = b"lc-web upload \x00\xff".to_vec();
                let uploaded: t::UploadFileResponse = c
                    .upload_file(Upload::from_bytes("receipt.bin", "application/octet-stream", bytes).version(version))
                    .await
                    .unwrap();
                assert!(uploaded.url.ends_with("/receipt.bin"), "{}", uploaded.url);
                RAN.lock().unwrap().insert((version, "upload_file"));

                // update_customer, set_customer_session_fields
                let (c, me) = fresh();
                call::<t::UpdateCustomerRequest>(&c, json!({"name": "Ola", "email": "ola@shop.example"})).await;
                call::<t::SetCustomerSessionFieldsRequest>(&c, json!({"session_fields": [{"plan": "gold"}]})).await;
                let customer = js(&call::<t::GetCustomerRequest>(&c, json!({})).await);
                assert_eq!(
                    (&customer["name"], &customer["email"], &customer["session_fields"]),
                    (&json!("Ola"), &json!("ola@shop.example"), &json!([{"plan": "gold"}])),
                    "{customer}"
                );

                // request_email_verification
                call::<t::RequestEmailVerificationRequest>(&c, json!({"callback_uri": "https://shop.example/verified"})).await;
                assert_eq!(agent.verify_email(&me.id).unwrap(), ["https://shop.example/verified"]);

                // properties listings (no token needed)
                agent.set_license_properties(json!({"shop": {"currency": "EUR"}, "other": {"f": true}})).unwrap();
                let license = call::<t::ListLicensePropertiesRequest>(&c, json!({"namespace": "shop"})).await;
                assert_eq!(js(&license), json!({"shop": {"currency": "EUR"}}));
                agent.set_group_properties(0, json!({"shop": {"opening": "9-17"}})).unwrap();
                let group = call::<t::ListGroupPropertiesRequest>(&c, json!({"id": 0})).await;
                assert_eq!(js(&group), json!({"shop": {"opening": "9-17"}}));

                // list_group_statuses, check_goals, get_form, get_url_info
                let statuses = call::<t::ListGroupStatusesRequest>(&c, json!({"group_ids": [0, 4242]})).await;
                assert_eq!(js(&statuses), json!({"groups_status": {"0": "online"}}));
                call::<t::CheckGoalsRequest>(&c, json!({"session_fields": [{"cart": "full"}], "group_id": 0, "page_url": "https://shop.example/checkout"})).await;
                agent.set_form(0, "prechat", Some(prechat_form())).unwrap();
                let form = call::<t::GetFormRequest>(&c, json!({"group_id": 0, "type": "prechat"})).await;
                assert!(form.enabled);
                assert_eq!(js(&form.form), prechat_form());
                let info = call::<t::GetUrlInfoRequest>(&c, json!({"url": "https://www.example.com/products/1"})).await;
                assert_eq!(js(&info)["url"], "https://www.example.com/products/1");

                // accept_greeting, cancel_greeting
                let (c, me) = fresh();
                let unique_id = agent.greet(&me.id, "Need a hand?").unwrap();
                let greeting_id: i64 = unique_id.trim_start_matches("greeting-").parse().unwrap();
                call::<t::AcceptGreetingRequest>(&c, json!({"greeting_id": greeting_id, "unique_id": unique_id})).await;
                assert_eq!(agent.greeting_status(&unique_id), Some(GreetingStatus::Accepted));
                let unique_id = agent.greet(&me.id, "Still there?").unwrap();
                call::<t::CancelGreetingRequest>(&c, json!({"unique_id": unique_id})).await;
                assert_eq!(agent.greeting_status(&unique_id), Some(GreetingStatus::Canceled));

                // get_dynamic_configuration, get_configuration, get_localization (GET)
                let dynamic = js(&call::<t::GetDynamicConfigurationRequest>(&c, json!({"group_id": 0})).await);
                assert_eq!(dynamic["organization_id"], server.organization_id(), "{dynamic}");
                let lc = if version >= ApiVersion::V3_6 { dynamic["livechat"].clone() } else { dynamic.clone() };
                let config_version = text(&lc["config_version"]);
                let localization_version = text(&lc["localization_version"]);
                let config = call::<t::GetConfigurationRequest>(&c, json!({"group_id": 0, "version": config_version})).await;
                assert!(!config.buttons.is_empty());
                assert_eq!(js(&config.prechat_form), prechat_form());
                let phrases = js(&call::<t::GetLocalizationRequest>(
                    &c,
                    json!({"group_id": 0, "language": "en", "version": localization_version}),
                )
                .await);
                assert!(phrases.as_object().is_some_and(|p| !p.is_empty() && p.values().all(Value::is_string)), "{phrases}");
                version
            }
        }
    };
}

every_version!(v3_5);
every_version!(v3_6);
every_version!(v3_7);

/// `get_predicted_agent` (3.5 and 3.6; removed in 3.7).
macro_rules! predicted_agent {
    ($v:ident, $name:ident) => {
        async fn $name(server: &MockServer) {
            use lc_types::$v::customer as t;
            let me = server.issue_customer();
            let c = common::client(server, &me.token);
            let got = call::<t::GetPredictedAgentRequest>(&c, json!({})).await;
            assert!(!got.queue);
            assert_eq!(js(&got.agent)["id"], server.agent().id());
        }
    };
}
predicted_agent!(v3_5, predicted_agent_3_5);
predicted_agent!(v3_6, predicted_agent_3_6);

/// `delete_event`, `request_welcome_message`, `send_greeting_button_clicked` (3.6+).
macro_rules! since_3_6 {
    ($v:ident, $name:ident) => {
        async fn $name(server: &MockServer) {
            use lc_types::$v::customer as t;
            let me = server.issue_customer();
            let c = common::client(server, &me.token);
            let started = call::<t::StartChatRequest>(&c, json!({})).await;
            let sent = call::<t::SendEventRequest>(&c, json!({"chat_id": started.chat_id, "event": message("Oops")})).await;
            call::<t::DeleteEventRequest>(
                &c,
                json!({"chat_id": started.chat_id, "thread_id": started.thread_id, "event_id": sent.event_id}),
            )
            .await;
            let got = js(&call::<t::GetChatRequest>(&c, json!({"chat_id": started.chat_id})).await);
            assert!(!ids(&got["thread"]["events"]).contains(&sent.event_id), "{got}");
            let welcome = call::<t::RequestWelcomeMessageRequest>(&c, json!({"group_id": 0})).await;
            assert!(!welcome.id.is_empty());
            assert_eq!(js(&welcome.predicted_agent)["id"], server.agent().id());
            let unique_id = server.agent().greet(&me.id, "Free shipping today!").unwrap();
            call::<t::SendGreetingButtonClickedRequest>(&c, json!({"greeting_unique_id": unique_id, "button_id": "shop-now"})).await;
        }
    };
}
since_3_6!(v3_6, since_3_6_in_3_6);
since_3_6!(v3_7, since_3_6_in_3_7);

#[tokio::test]
async fn every_web_action_of_every_version_through_one_client() {
    let server = common::mock().await;
    v3_5::run(&server).await;
    v3_6::run(&server).await;
    v3_7::run(&server).await;
    predicted_agent_3_5(&server).await;
    predicted_agent_3_6(&server).await;
    since_3_6_in_3_6(&server).await;
    since_3_6_in_3_7(&server).await;
    let expected: BTreeSet<(ApiVersion, &'static str)> = lc_types::apis()
        .iter()
        .filter(|a| a.api == lc_types::ChatApi::Customer)
        .flat_map(|api| api.actions.iter().filter(|a| a.web.is_some()).map(|a| (api.version, a.name)))
        .collect();
    let ran = RAN.lock().unwrap().clone();
    let missing: Vec<_> = expected.difference(&ran).collect();
    assert!(missing.is_empty(), "Web actions not called: {missing:?}");
    assert_eq!(ran, expected);
    // Reference §2.1/§2.4: 36 Web actions in 3.6; 3.5 lacks delete_event,
    // request_welcome_message and send_greeting_button_clicked; 3.7 lacks get_predicted_agent.
    assert_eq!(expected.len(), 33 + 36 + 35);
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// One client, three versions, interleaved: the version comes from each request's type.
#[tokio::test]
async fn versions_mix_through_one_client() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let c = common::client(&server, &me.token);
    let a = c.call(&lc_types::v3_5::customer::GetCustomerRequest::default()).await.unwrap();
    let b = c.call(&lc_types::v3_7::customer::GetCustomerRequest::default()).await.unwrap();
    let d = c.call(&lc_types::v3_6::customer::GetCustomerRequest::default()).await.unwrap();
    assert_eq!(
        (js(&a)["id"].clone(), js(&b)["id"].clone(), js(&d)["id"].clone()),
        (json!(me.id), json!(me.id), json!(me.id))
    );
    assert_eq!((server.web_requests("get_customer"), server.problems().len()), (3, 0));
    server.shutdown().await;
}

/// `call_value` sends what `call` would: a `null` the schema does not allow (which the API, and
/// the mock, refuse) is left out; a payload its type refuses is not sent.
#[tokio::test]
async fn call_value_goes_through_the_typed_request() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let client = common::client(&server, &me.token);
    let chats = client
        .call_value(client.api_version(), "list_chats", &json!({"limit": null}))
        .await
        .unwrap();
    assert!(chats["chats_summary"].is_array(), "{chats}");
    let e = client
        .call_value(client.api_version(), "list_chats", &json!({"limit": "ten"}))
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), lc_web::ErrorKind::Encode), "{e:?}");
    assert!(e.to_string().contains("`limit`"), "names the path: {e}");
    assert_eq!(server.web_requests("list_chats"), 1, "only the first was sent");
}

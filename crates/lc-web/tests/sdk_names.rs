//! The README's tables (lc-sdk-js customer `Web` methods and the 3.0 Web API methods, each to its
//! action and `lc-web` call) are checked against the manifest, and every action they name is
//! called through `lc-web` against `lc-mock`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use lc_types::{WebAction, WebMethod};
use lc_web::{Upload, WebClient};
use serde_json::{json, Value};

/// The rows of the README table under `heading`: (first column, action).
fn table(heading: &str) -> Vec<(String, String)> {
    common::readme_table(heading)
        .into_iter()
        .map(|row| {
            let cells: Vec<&str> = row.iter().map(|c| c.trim_matches('`')).collect();
            let call = cells[2];
            let action = cells[1].to_owned();
            // The call names the action's request type (or `upload_file`).
            let pascal: String = action.split('_').map(|w| w[..1].to_uppercase() + &w[1..]).collect();
            assert!(
                call.contains(&format!("{pascal}Request")) || (action == "upload_file" && call.contains("upload_file")),
                "{row:?}"
            );
            (cells[0].to_owned(), action)
        })
        .collect()
}

/// Calls `R` with the request decoded from `payload`, recording the action.
async fn call<R: WebAction + Sync>(c: &WebClient, called: &mut BTreeSet<&'static str>, payload: Value) -> Value {
    let request: R = lc_types::from_value(payload).unwrap();
    let response = c.call(&request).await.unwrap_or_else(|e| panic!("{}: {e}", R::NAME));
    called.insert(R::NAME);
    serde_json::to_value(response).unwrap()
}

#[tokio::test]
async fn every_sdk_js_method_and_3_0_method_maps_to_a_call_that_works() {
    use lc_types::v3_6::customer::*;
    let js = table("## From lc-sdk-js");
    let old = table("## From the 3.0 Web API");
    // The methods of lc-sdk-js's customer Web class (its v3.2 branch named resume `activateChat`).
    let js_methods: BTreeMap<&str, &str> = js.iter().map(|(m, a)| (m.as_str(), a.as_str())).collect();
    for method in [
        "acceptGreeting",
        "activateChat",
        "cancelGreeting",
        "checkGoals",
        "deactivateChat",
        "deleteChatProperties",
        "deleteEventProperties",
        "deleteThreadProperties",
        "getChat",
        "getCustomer",
        "getForm",
        "getPredictedAgent",
        "getURLInfo",
        "listChats",
        "listGroupProperties",
        "listGroupStatuses",
        "listLicenseProperties",
        "listThreads",
        "markEventsAsSeen",
        "sendEvent",
        "sendRichMessagePostback",
        "sendSneakPeek",
        "setCustomerSessionFields",
        "startChat",
        "updateChatProperties",
        "updateCustomer",
        "updateEventProperties",
        "updateThreadProperties",
        "uploadFile",
        "resumeChat",
        "requestEmailVerification",
        "getDynamicConfiguration",
        "getConfiguration",
        "getLocalization",
    ] {
        assert!(js_methods.contains_key(method), "`{method}` is not in the README");
    }
    assert_eq!(js_methods["activateChat"], "resume_chat");
    assert_eq!(js_methods["getURLInfo"], "get_url_info");
    let old_methods: BTreeMap<&str, &str> = old.iter().map(|(m, a)| (m.as_str(), a.as_str())).collect();
    for (was, is) in [
        ("get_chats_summary", "list_chats"),
        ("close_thread", "deactivate_chat"),
        ("send_file", "upload_file"),
        ("update_last_seen_timestamp", "mark_events_as_seen"),
        ("activate_chat", "resume_chat"),
        ("get_url_details", "get_url_info"),
    ] {
        assert_eq!(old_methods.get(was), Some(&is), "{was}");
    }
    // Every action named exists over the Web API in 3.6.
    let api = lc_types::api(lc_types::ChatApi::Customer, lc_types::ApiVersion::V3_6).unwrap();
    let named: BTreeSet<&str> = js.iter().chain(&old).map(|(_, a)| a.as_str()).collect();
    for action in &named {
        assert!(
            api.action(action).is_some_and(|a| a.web.is_some()),
            "`{action}` is not a 3.6 Web action"
        );
    }

    // Call each one.
    let server = common::mock().await;
    let agent = server.agent();
    let me = server.issue_customer();
    let c = common::client(&server, &me.token);
    let mut called = BTreeSet::new();
    let k = &mut called;
    let started = call::<StartChatRequest>(
        &c,
        k,
        json!({"chat": {"thread": {"events": [{"type": "message", "text": "Hi", "properties": {"p": {"a": 1}}}]}}}),
    )
    .await;
    let (chat, thread) = (
        started["chat_id"].as_str().unwrap().to_owned(),
        started["thread_id"].as_str().unwrap().to_owned(),
    );
    let event = format!("{thread}_1");
    call::<ListChatsRequest>(&c, k, json!({})).await;
    call::<ListThreadsRequest>(&c, k, json!({"chat_id": chat})).await;
    call::<GetCustomerRequest>(&c, k, json!({})).await;
    call::<SendEventRequest>(&c, k, json!({"chat_id": chat, "event": {"type": "message", "text": "More"}})).await;
    call::<SendSneakPeekRequest>(&c, k, json!({"chat_id": chat, "sneak_peek_text": "typing"})).await;
    let got = call::<GetChatRequest>(&c, k, json!({"chat_id": chat})).await;
    let seen = got["thread"]["events"][1]["created_at"].clone();
    call::<MarkEventsAsSeenRequest>(&c, k, json!({"chat_id": chat, "seen_up_to": seen})).await;
    call::<UpdateChatPropertiesRequest>(&c, k, json!({"id": chat, "properties": {"p": {"a": 1, "b": 2}}})).await;
    call::<DeleteChatPropertiesRequest>(&c, k, json!({"id": chat, "properties": {"p": ["a"]}})).await;
    call::<UpdateThreadPropertiesRequest>(&c, k, json!({"chat_id": chat, "thread_id": thread, "properties": {"p": {"a": 1}}})).await;
    call::<DeleteThreadPropertiesRequest>(&c, k, json!({"chat_id": chat, "thread_id": thread, "properties": {"p": ["a"]}})).await;
    call::<UpdateEventPropertiesRequest>(
        &c,
        k,
        json!({"chat_id": chat, "thread_id": thread, "event_id": event, "properties": {"p": {"b": 2}}}),
    )
    .await;
    call::<DeleteEventPropertiesRequest>(
        &c,
        k,
        json!({"chat_id": chat, "thread_id": thread, "event_id": event, "properties": {"p": ["a"]}}),
    )
    .await;
    let rich = agent
        .send_rich_message(
            &chat,
            "quick_replies",
            json!([{"title": "OK?", "buttons": [{"text": "Yes", "type": "message", "value": "Yes", "postback_id": "yes", "user_ids": []}]}]),
        )
        .unwrap();
    call::<SendRichMessagePostbackRequest>(
        &c,
        k,
        json!({"chat_id": chat, "thread_id": thread, "event_id": rich, "postback": {"id": "yes", "toggled": true}}),
    )
    .await;
    call::<ListLicensePropertiesRequest>(&c, k, json!({})).await;
    call::<ListGroupPropertiesRequest>(&c, k, json!({"id": 0})).await;
    call::<ListGroupStatusesRequest>(&c, k, json!({"all": true})).await;
    call::<CheckGoalsRequest>(
        &c,
        k,
        json!({"session_fields": [{"cart": "full"}], "group_id": 0, "page_url": "https://shop.example/"}),
    )
    .await;
    call::<GetFormRequest>(&c, k, json!({"group_id": 0, "type": "prechat"})).await;
    call::<GetPredictedAgentRequest>(&c, k, json!({})).await;
    call::<GetUrlInfoRequest>(&c, k, json!({"url": "https://shop.example/a"})).await;
    let dynamic = call::<GetDynamicConfigurationRequest>(&c, k, json!({"group_id": 0})).await;
    let versions = &dynamic["livechat"];
    call::<GetConfigurationRequest>(&c, k, json!({"group_id": 0, "version": versions["config_version"]})).await;
    call::<GetLocalizationRequest>(
        &c,
        k,
        json!({"group_id": 0, "language": "en", "version": versions["localization_version"]}),
    )
    .await;
    call::<UpdateCustomerRequest>(&c, k, json!({"name": "Ola"})).await;
    call::<SetCustomerSessionFieldsRequest>(&c, k, json!({"session_fields": [{"a": "1"}]})).await;
    call::<RequestEmailVerificationRequest>(&c, k, json!({"callback_uri": "https://shop.example/v"})).await;
    let unique = agent.greet(&me.id, "Hello").unwrap();
    let id: i64 = unique.trim_start_matches("greeting-").parse().unwrap();
    call::<AcceptGreetingRequest>(&c, k, json!({"greeting_id": id, "unique_id": unique})).await;
    let unique = agent.greet(&me.id, "Hello again").unwrap();
    call::<CancelGreetingRequest>(&c, k, json!({"unique_id": unique})).await;
    call::<DeactivateChatRequest>(&c, k, json!({"id": chat})).await;
    call::<ResumeChatRequest>(&c, k, json!({"chat": {"id": chat}})).await;
    // The README row, as written (no type annotation).
    let (path, content_type) = (
        std::env::temp_dir().join(format!("lc-web-sdk-{}.txt", std::process::id())),
        "text/plain",
    );
    std::fs::write(&path, b"hi").unwrap();
    let file = c.upload_file(Upload::from_path(&path, content_type)).await.unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(file.url.ends_with(".txt"), "{}", file.url);
    k.insert("upload_file");

    let not_called: Vec<_> = named.iter().filter(|a| !called.contains(**a)).collect();
    assert!(not_called.is_empty(), "named in the README but not called: {not_called:?}");
    // The tables cover every 3.6 Web action but the ones lc-sdk-js never had.
    let uncovered: BTreeSet<&str> = api
        .actions
        .iter()
        .filter(|a| matches!(a.web, Some(WebMethod::Get | WebMethod::Post | WebMethod::Multipart)))
        .map(|a| a.name)
        .filter(|a| !named.contains(a))
        .collect();
    assert_eq!(
        uncovered,
        BTreeSet::from(["delete_event", "request_welcome_message", "send_greeting_button_clicked"]),
        "3.6 additions lc-sdk-js does not have"
    );
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

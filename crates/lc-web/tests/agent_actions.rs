//! Every Agent Chat Web API action of every version (3.5, 3.6, 3.7) through one agent's
//! `WebClient` against `lc-mock` on loopback: typed requests of `lc_types::v3_x::agent` sent
//! with `WebClient::call` (and `upload_file` with `WebClient::upload_file`), a personal access
//! token for some versions and a bearer token for others. Each answer is checked, or the effect
//! the action had, read back by the agent or by a customer's client of the same mock. The set
//! of (version, action) that ran is compared with the agent manifests (`lc_types::apis()`), so
//! an action without a case fails. The README's table "Parity with the official agent SDKs" is
//! checked against the manifests and the tests of this file.

mod common;

use common::{call, RAN};

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use lc_mock::{AgentCredentials, MockServer, NewAgent};
use lc_types::{ApiVersion, ChatApi, ErrorType, WebAction};
use lc_web::{RetryPolicy, Upload, WebClient};
use serde::Serialize;
use serde_json::{json, Value};

/// Calls `R` with `payload` and asserts the API refused it with `kind`.
async fn refused<R: WebAction + Sync>(client: &WebClient, payload: Value, kind: ErrorType) -> lc_web::Error {
    let request: R = lc_types::from_value(payload.clone()).unwrap_or_else(|e| panic!("{} {payload}: {e}", R::NAME));
    match client.call(&request).await {
        Err(e) if e.api_kind() == Some(&kind) => e,
        Err(e) => panic!("{} v{} {payload}: expected `{}`, got {e:?}", R::NAME, R::VERSION, kind.as_str()),
        Ok(_) => panic!("{} v{} {payload}: expected `{}`, got an answer", R::NAME, R::VERSION, kind.as_str()),
    }
}

fn js<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn message(words: &str) -> Value {
    json!({"type": "message", "text": words})
}

/// The texts of the events of a chat's `thread` (a `get_chat` answer, as JSON).
fn texts(chat: &Value) -> Vec<String> {
    chat["thread"]["events"]
        .as_array()
        .unwrap_or_else(|| panic!("events: {chat}"))
        .iter()
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect()
}

/// The IDs of the users of a chat (a `get_chat` answer, as JSON).
fn user_ids(chat: &Value) -> Vec<String> {
    chat["users"]
        .as_array()
        .unwrap_or_else(|| panic!("users: {chat}"))
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

/// How an agent's client authenticates.
#[derive(Clone, Copy, Debug)]
enum Auth {
    /// `Authorization: Basic base64(account_id:pat)`.
    Pat,
    /// `Authorization: Bearer dal:…`.
    Bearer,
}

/// An agent's client of the mock (no organization ID), with short backoffs.
fn agent_client(server: &MockServer, agent: &AgentCredentials, auth: Auth) -> WebClient {
    let builder = WebClient::agent_builder()
        .base_url(common::origin(server))
        .retry(RetryPolicy::default().backoff(Duration::from_millis(10), Duration::from_millis(50)));
    match auth {
        Auth::Pat => builder.personal_access_token(&agent.account_id, &agent.pat),
        Auth::Bearer => builder.token(&agent.token),
    }
    .build()
    .expect("an agent's client")
}

/// The agent Web actions of the manifest of `version`.
fn manifest(version: ApiVersion) -> BTreeSet<(ApiVersion, &'static str)> {
    let api = lc_types::api(ChatApi::Agent, version).unwrap_or_else(|| panic!("no agent API {version}"));
    api.actions.iter().filter(|a| a.web.is_some()).map(|a| (version, a.name)).collect()
}

/// The actions of `version` that ran, compared with its manifest.
fn assert_every_action_ran(version: ApiVersion) {
    let ran: BTreeSet<_> = RAN.lock().unwrap().iter().filter(|(v, _)| *v == version).copied().collect();
    let expected = manifest(version);
    let missing: Vec<_> = expected.difference(&ran).collect();
    assert!(missing.is_empty(), "v{version}: agent Web actions not called: {missing:?}");
    assert_eq!(ran, expected, "v{version}");
    // Reference §0: 35 agent Web actions in each of 3.5, 3.6 and 3.7.
    assert_eq!(expected.len(), 35, "v{version}");
}

/// The actions every agent version has over the Web API, run by `v3_x::every_agent_web_action`.
macro_rules! every_version {
    ($v:ident, $auth:expr, $only:path) => {
        mod $v {
            use super::*;
            use lc_types::$v::agent as t;
            use lc_types::$v::customer as c;

            async fn chat(a: &WebClient, chat: &str) -> Value {
                js(&call::<t::GetChatRequest>(a, json!({ "chat_id": chat })).await)
            }

            #[tokio::test]
            async fn every_agent_web_action() {
                let version = <t::ListChatsRequest as lc_types::Action>::VERSION;
                let server = common::mock().await;
                let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
                let bob = server.issue_agent(NewAgent::new("bob@example.com", "Bob").groups([0, 1])).unwrap();
                let cy = server.issue_agent(NewAgent::new("cy@example.com", "Cy")).unwrap();
                server.agent().set_group_status(1, "online").unwrap();
                let a = agent_client(&server, &ann, $auth);
                let as_bob = agent_client(&server, &bob, Auth::Bearer);
                let as_cy = agent_client(&server, &cy, Auth::Pat);

                // A customer over lc-web's customer client starts a chat and writes.
                let me = server.issue_customer();
                let customer = common::client(&server, &me.token);
                let started = customer.call(&c::StartChatRequest::default()).await.unwrap();
                let (chat_id, thread_id) = (started.chat_id.clone(), started.thread_id.clone());
                let hello = lc_types::from_value(json!({"chat_id": chat_id, "event": message("Hello from the customer")})).unwrap();
                customer.call::<c::SendEventRequest>(&hello).await.unwrap();

                // list_chats, get_chat, list_threads, list_archives: the customer's chat and message.
                let listed = js(&call::<t::ListChatsRequest>(&a, json!({"limit": 5})).await);
                let key = if version >= ApiVersion::V3_7 { "chats_info" } else { "chats_summary" };
                assert_eq!((&listed[key][0]["id"], &listed["found_chats"]), (&json!(chat_id), &json!(1)), "{listed}");
                let got = call::<t::GetChatRequest>(&a, json!({"chat_id": chat_id, "thread_id": thread_id})).await;
                assert_eq!(got.id, chat_id);
                let got = js(&got);
                assert_eq!(texts(&got), ["Hello from the customer"], "{got}");
                assert_eq!(got["thread"]["id"], thread_id.as_str());
                let threads = js(&call::<t::ListThreadsRequest>(&a, json!({ "chat_id": chat_id })).await);
                assert_eq!((&threads["found_threads"], &threads["threads"][0]["id"]), (&json!(1), &json!(thread_id)), "{threads}");
                let archives = js(&call::<t::ListArchivesRequest>(&a, json!({"filters": {"query": "hello"}})).await);
                assert_eq!((&archives["found_chats"], &archives["chats"][0]["id"]), (&json!(1), &json!(chat_id)), "{archives}");

                // follow_chat, unfollow_chat
                call::<t::FollowChatRequest>(&a, json!({ "id": chat_id })).await;
                assert_eq!(chat(&a, &chat_id).await["is_followed"], true);
                call::<t::UnfollowChatRequest>(&a, json!({ "id": chat_id })).await;
                assert_ne!(chat(&a, &chat_id).await["is_followed"], true);

                // add_user_to_chat: Ann joins (not in the chat yet: `ignore_requester_presence`).
                call::<t::AddUserToChatRequest>(
                    &a,
                    json!({"chat_id": chat_id, "user_id": ann.agent_id, "user_type": "agent", "visibility": "all", "ignore_requester_presence": true}),
                )
                .await;
                assert!(user_ids(&chat(&a, &chat_id).await).contains(&ann.agent_id));

                // send_event: the customer sees Ann's message, not her note for agents.
                let sent = call::<t::SendEventRequest>(&a, json!({"chat_id": chat_id, "event": message("Hi, Ann here")})).await;
                let event_id = sent.event_id.clone();
                let note = json!({"type": "message", "text": "Note for agents", "visibility": "agents"});
                call::<t::SendEventRequest>(&a, json!({"chat_id": chat_id, "event": note})).await;
                let seen = js(&customer.call(&c::GetChatRequest::new(chat_id.clone())).await.unwrap());
                assert_eq!(texts(&seen), ["Hello from the customer", "Hi, Ann here"], "{seen}");
                let mine = js(&seen["thread"]["events"].as_array().unwrap()[1]);
                assert_eq!((&mine["id"], &mine["author_id"]), (&json!(event_id), &json!(ann.agent_id)), "{seen}");
                assert_eq!(texts(&chat(&a, &chat_id).await), ["Hello from the customer", "Hi, Ann here", "Note for agents"]);

                // upload_file, then the file in a `file` event.
                let bytes = b"agent notes \x00\xff".to_vec();
                let uploaded = a
                    .upload_file(Upload::from_bytes("notes.bin", "application/octet-stream", bytes).version(version))
                    .await
                    .unwrap();
                assert!(uploaded.url.ends_with("/notes.bin"), "{}", uploaded.url);
                RAN.lock().unwrap().insert((version, "upload_file"));
                call::<t::SendEventRequest>(&a, json!({"chat_id": chat_id, "event": {"type": "file", "url": uploaded.url}})).await;
                let seen = js(&customer.call(&c::GetChatRequest::new(chat_id.clone())).await.unwrap());
                let last = seen["thread"]["events"].as_array().unwrap().last().unwrap().clone();
                assert_eq!((&last["type"], &last["url"]), (&json!("file"), &json!(uploaded.url)), "{seen}");

                // send_rich_message_postback: on a quick reply Ann sent.
                let button = json!({"text": "Yes", "type": "message", "value": "yes", "postback_id": "yes", "user_ids": []});
                let rich = json!({"type": "rich_message", "template_id": "quick_replies", "elements": [{"title": "OK?", "buttons": [button]}]});
                let rich = call::<t::SendEventRequest>(&a, json!({"chat_id": chat_id, "event": rich})).await.event_id;
                let postback = call::<t::SendRichMessagePostbackRequest>(
                    &a,
                    json!({"chat_id": chat_id, "thread_id": thread_id, "event_id": rich, "postback": {"id": "yes", "toggled": true}}),
                )
                .await;
                assert_eq!(js(&postback), json!({}));
                let e = refused::<t::SendRichMessagePostbackRequest>(
                    &a,
                    json!({"chat_id": chat_id, "thread_id": thread_id, "event_id": "NOSUCHEVENT", "postback": {"id": "yes", "toggled": true}}),
                    ErrorType::NotFound,
                )
                .await;
                assert_eq!(e.api_error().and_then(|e| e.status()), Some(404), "{e}");

                // chat, thread and event properties, as the customer reads them too.
                call::<t::UpdateChatPropertiesRequest>(&a, json!({"id": chat_id, "properties": {"ns": {"score": 5, "n": 1}}})).await;
                call::<t::DeleteChatPropertiesRequest>(&a, json!({"id": chat_id, "properties": {"ns": ["n"]}})).await;
                assert_eq!(chat(&a, &chat_id).await["properties"]["ns"], json!({"score": 5}));
                let at = json!({"chat_id": chat_id, "thread_id": thread_id});
                let with = |k: &str, x: Value| {
                    let mut v = at.clone();
                    v[k] = x;
                    v
                };
                call::<t::UpdateThreadPropertiesRequest>(&a, with("properties", json!({"ns": {"k": "v", "w": 2}}))).await;
                call::<t::DeleteThreadPropertiesRequest>(&a, with("properties", json!({"ns": ["k"]}))).await;
                assert_eq!(chat(&a, &chat_id).await["thread"]["properties"]["ns"], json!({"w": 2}));
                let mut at_event = at.clone();
                at_event["event_id"] = json!(event_id);
                let mut update = at_event.clone();
                update["properties"] = json!({"ns": {"k": true, "j": 1}});
                call::<t::UpdateEventPropertiesRequest>(&a, update).await;
                let mut delete = at_event.clone();
                delete["properties"] = json!({"ns": ["k"]});
                call::<t::DeleteEventPropertiesRequest>(&a, delete).await;
                let seen = js(&customer.call(&c::GetChatRequest::new(chat_id.clone())).await.unwrap());
                assert_eq!(seen["thread"]["events"][1]["properties"]["ns"], json!({"j": 1}), "{seen}");

                // tag_thread, untag_thread
                call::<t::TagThreadRequest>(&a, with("tag", json!("billing"))).await;
                assert_eq!(chat(&a, &chat_id).await["thread"]["tags"], json!(["billing"]));
                call::<t::UntagThreadRequest>(&a, with("tag", json!("billing"))).await;
                let tags = chat(&a, &chat_id).await["thread"]["tags"].clone();
                assert!(tags.is_null() || tags == json!([]), "{tags}");

                // get_customer, update_customer: the customer reads its new name.
                let got = js(&call::<t::GetCustomerRequest>(&a, json!({ "id": me.id })).await);
                assert_eq!((&got["id"], &got["chat_ids"]), (&json!(me.id), &json!([chat_id])), "{got}");
                call::<t::UpdateCustomerRequest>(&a, json!({"id": me.id, "name": "Ada", "email": "ada@shop.example"})).await;
                let mine = js(&customer.call(&c::GetCustomerRequest::default()).await.unwrap());
                assert_eq!((&mine["name"], &mine["email"]), (&json!("Ada"), &json!("ada@shop.example")), "{mine}");

                // set_routing_status, list_routing_statuses
                call::<t::SetRoutingStatusRequest>(&a, json!({"status": "not_accepting_chats"})).await;
                let statuses = js(&call::<t::ListRoutingStatusesRequest>(&a, json!({"filters": {"group_ids": [1]}})).await);
                assert_eq!(statuses, json!([{"agent_id": bob.agent_id, "status": "accepting_chats"}]));
                let statuses = js(&call::<t::ListRoutingStatusesRequest>(&a, json!({})).await);
                let ann_status = statuses.as_array().unwrap().iter().find(|s| s["agent_id"] == ann.agent_id.as_str()).cloned();
                assert_eq!(ann_status.map(|s| s["status"].clone()), Some(json!("not_accepting_chats")), "{statuses}");
                call::<t::SetRoutingStatusRequest>(&a, json!({"status": "accepting_chats"})).await;

                // mark_events_as_seen: Ann's `events_seen_up_to`.
                let now = lc_types::Timestamp::from_system_time(std::time::SystemTime::now());
                call::<t::MarkEventsAsSeenRequest>(&a, json!({"chat_id": chat_id, "seen_up_to": now.as_str()})).await;
                let got = chat(&a, &chat_id).await;
                let ann_user = got["users"].as_array().unwrap().iter().find(|u| u["id"] == ann.agent_id.as_str()).cloned().unwrap();
                assert_eq!(ann_user["events_seen_up_to"], now.as_str(), "{got}");

                // send_typing_indicator (pushed to the customer only: its answer is empty, and a
                // chat the agent cannot see is refused).
                let typing = call::<t::SendTypingIndicatorRequest>(&a, json!({"chat_id": chat_id, "is_typing": true})).await;
                assert_eq!(js(&typing), json!({}));
                refused::<t::SendTypingIndicatorRequest>(&a, json!({"chat_id": "NOSUCHCHAT", "is_typing": true}), ErrorType::NotFound).await;

                // multicast (to agents: the empty answer; naming no one is `validation`).
                let sent = call::<t::MulticastRequest>(&a, json!({"recipients": {"agents": {"all": true}}, "content": {"note": "hi all"}})).await;
                assert_eq!(js(&sent), json!({}));
                refused::<t::MulticastRequest>(&a, json!({"recipients": {"agents": {}}, "content": {}}), ErrorType::Validation).await;

                // list_agents_for_transfer: Bob, not Ann (in the chat already).
                let agents = js(&call::<t::ListAgentsForTransferRequest>(&a, json!({ "chat_id": chat_id })).await);
                let ids: Vec<&str> = agents.as_array().unwrap().iter().filter_map(|a| a["agent_id"].as_str()).collect();
                assert!(ids.contains(&bob.agent_id.as_str()) && !ids.contains(&ann.agent_id.as_str()), "{agents}");

                // add_user_to_chat for agents only, remove_user_from_chat: Bob comes and goes.
                call::<t::AddUserToChatRequest>(
                    &a,
                    json!({"chat_id": chat_id, "user_id": bob.agent_id, "user_type": "agent", "visibility": "agents"}),
                )
                .await;
                let got = chat(&a, &chat_id).await;
                let bob_user = got["users"].as_array().unwrap().iter().find(|u| u["id"] == bob.agent_id.as_str()).cloned();
                assert_eq!(bob_user.map(|u| u["visibility"].clone()), Some(json!("agents")), "{got}");
                call::<t::RemoveUserFromChatRequest>(&a, json!({"chat_id": chat_id, "user_id": bob.agent_id, "user_type": "agent"})).await;
                assert!(!user_ids(&chat(&a, &chat_id).await).contains(&bob.agent_id));

                // transfer_chat to group 1: the chat's access is group 1; Cy (group 0, not in
                // the chat) lost sight of it, Bob (group 1) has it.
                assert_eq!(js(&call::<t::GetChatRequest>(&as_cy, json!({ "chat_id": chat_id })).await)["id"], chat_id.as_str());
                call::<t::TransferChatRequest>(&a, json!({"id": chat_id, "target": {"type": "group", "ids": [1]}})).await;
                let got = js(&call::<t::GetChatRequest>(&as_bob, json!({ "chat_id": chat_id })).await);
                assert_eq!(got["access"]["group_ids"], json!([1]), "{got}");
                refused::<t::GetChatRequest>(&as_cy, json!({ "chat_id": chat_id }), ErrorType::MissingAccess).await;
                let cy_sees = js(&call::<t::ListChatsRequest>(&as_cy, json!({})).await);
                assert_eq!(cy_sees["found_chats"], 0, "{cy_sees}");

                // Version-specific actions, on the active chat.
                $only(&server, &a, &chat_id, &thread_id).await;

                // deactivate_chat: the thread ends for both sides; a message is `chat_inactive`.
                call::<t::DeactivateChatRequest>(&a, json!({ "id": chat_id })).await;
                assert_eq!(chat(&a, &chat_id).await["thread"]["active"], false);
                let seen = js(&customer.call(&c::ListChatsRequest::default()).await.unwrap());
                assert!(seen.to_string().contains("\"active\":false"), "{seen}");
                refused::<t::SendEventRequest>(&a, json!({"chat_id": chat_id, "event": message("Still there?")}), ErrorType::ChatInactive).await;

                // resume_chat: a second thread, with its first event.
                let resumed = call::<t::ResumeChatRequest>(&a, json!({"chat": {"id": chat_id, "thread": {"events": [message("Back again")]}}})).await;
                assert_ne!(resumed.thread_id, thread_id);
                let threads = js(&call::<t::ListThreadsRequest>(&a, json!({ "chat_id": chat_id })).await);
                assert_eq!(threads["found_threads"], 2, "{threads}");
                let seen = js(&customer.call(&c::GetChatRequest::new(chat_id.clone())).await.unwrap());
                assert_eq!((texts(&seen), &seen["thread"]["id"]), (vec!["Back again".to_owned()], &json!(resumed.thread_id)), "{seen}");
                call::<t::DeactivateChatRequest>(&a, json!({ "id": chat_id, "ignore_requester_presence": true })).await;

                // start_chat: a new chat with the customer, who finds it and its first message.
                let users = json!([{"id": me.id, "type": "customer"}]);
                let started = call::<t::StartChatRequest>(
                    &a,
                    json!({"chat": {"users": users, "thread": {"events": [message("We started this one")]}}}),
                )
                .await;
                assert_eq!(js(&started.event_ids).as_array().map(Vec::len), Some(1));
                assert_ne!(started.chat_id, chat_id);
                let seen = js(&customer.call(&c::GetChatRequest::new(started.chat_id.clone())).await.unwrap());
                assert_eq!(texts(&seen), ["We started this one"], "{seen}");

                // ban_customer: another customer is refused with `customer_banned`.
                let other = server.issue_customer();
                call::<t::BanCustomerRequest>(&a, json!({"id": other.id, "ban": {"days": 1}})).await;
                let banned = common::client(&server, &other.token).call(&c::GetCustomerRequest::default()).await.unwrap_err();
                assert_eq!(banned.api_kind(), Some(&ErrorType::CustomerBanned), "{banned}");

                assert_eq!(server.problems(), Vec::<String>::new());
                assert_every_action_ran(version);
                server.shutdown().await;
            }
        }
    };
}

/// 3.5 only: `list_customers`, `create_customer`, `get_license_info`.
async fn only_3_5(_server: &MockServer, a: &WebClient, _chat_id: &str, _thread_id: &str) {
    use lc_types::v3_5::agent as t;
    let created = call::<t::CreateCustomerRequest>(a, json!({"name": "Made by Ann", "email": "made@shop.example"})).await;
    let got = js(&call::<t::GetCustomerRequest>(a, json!({ "id": created.customer_id })).await);
    assert_eq!(
        (&got["name"], &got["email"]),
        (&json!("Made by Ann"), &json!("made@shop.example")),
        "{got}"
    );
    let first = js(&call::<t::ListCustomersRequest>(a, json!({"limit": 1})).await);
    assert_eq!(
        first["customers"][0]["id"],
        created.customer_id.as_str(),
        "the newest first: {first}"
    );
    assert!(first["total_customers"].as_u64() >= Some(2), "{first}");
    let next = call::<t::ListCustomersRequest>(a, json!({ "page_id": first["next_page_id"] })).await;
    assert_ne!(js(&next)["customers"][0]["id"], first["customers"][0]["id"]);
    let license = js(&call::<t::GetLicenseInfoRequest>(a, json!({})).await);
    assert!(license["license_id"].is_string() && license["in_trial"].is_boolean(), "{license}");
}

/// 3.6 and later: `send_event_preview`, `send_thinking_indicator`, `request_thread_summary`.
macro_rules! since_3_6 {
    ($v:ident, $name:ident) => {
        async fn $name(_server: &MockServer, a: &WebClient, chat_id: &str, thread_id: &str) {
            use lc_types::$v::agent as t;
            let before = js(&call::<t::GetChatRequest>(a, json!({ "chat_id": chat_id })).await);
            let preview = call::<t::SendEventPreviewRequest>(a, json!({"chat_id": chat_id, "event": message("Let me ch")})).await;
            assert_eq!(js(&preview), json!({}));
            let thinking = call::<t::SendThinkingIndicatorRequest>(
                a,
                json!({"chat_id": chat_id, "title": "Thinking...", "description": "Looking it up", "custom_id": "t-1"}),
            )
            .await;
            assert_eq!(js(&thinking), json!({}));
            // Neither is stored.
            let after = js(&call::<t::GetChatRequest>(a, json!({ "chat_id": chat_id })).await);
            assert_eq!(texts(&after), texts(&before));
            call::<t::RequestThreadSummaryRequest>(a, json!({"chat_id": chat_id, "thread_id": thread_id})).await;
            let got = js(&call::<t::GetChatRequest>(a, json!({"chat_id": chat_id, "thread_id": thread_id})).await);
            assert_eq!(got["thread"]["summary"]["status"], "ok", "{got}");
            assert!(got["thread"]["summary"]["text"].is_string(), "{got}");
        }
    };
}
since_3_6!(v3_6, since_3_6_in_3_6);
since_3_6!(v3_7, since_3_6_in_3_7);

every_version!(v3_5, Auth::Pat, only_3_5);
every_version!(v3_6, Auth::Bearer, since_3_6_in_3_6);
every_version!(v3_7, Auth::Pat, since_3_6_in_3_7);

/// The agent manifests are those of 3.5, 3.6 and 3.7, each with a test above.
#[test]
fn every_agent_version_has_a_test() {
    let versions: Vec<ApiVersion> = lc_types::apis()
        .iter()
        .filter(|a| a.api == ChatApi::Agent)
        .map(|a| a.version)
        .collect();
    assert_eq!(versions, [ApiVersion::V3_5, ApiVersion::V3_6, ApiVersion::V3_7]);
}

/// The documented errors, as typed errors: `missing_access`, `chat_inactive`, `not_found`,
/// `validation`, `group_not_found`; a customer's token on an agent's client is `authorization`.
#[tokio::test]
async fn documented_errors_are_typed() {
    use lc_types::v3_6::agent as t;
    let server = common::mock().await;
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann").groups([1])).unwrap();
    let me = server.issue_customer();
    let customer = common::client(&server, &me.token);
    let started = customer.call(&lc_types::v3_6::customer::StartChatRequest::default()).await.unwrap();
    let chat_id = started.chat_id;
    let a = agent_client(&server, &ann, Auth::Pat);
    let hi = || json!({"chat_id": chat_id, "event": message("Hi")});

    // In sight (group 0), but not in the chat: acting needs `ignore_requester_presence`.
    let e = refused::<t::SendEventRequest>(&a, hi(), ErrorType::MissingAccess).await;
    assert_eq!(e.api_error().and_then(|e| e.status()), Some(403));
    refused::<t::DeactivateChatRequest>(&a, json!({ "id": chat_id }), ErrorType::MissingAccess).await;
    refused::<t::TransferChatRequest>(&a, json!({ "id": chat_id }), ErrorType::MissingAccess).await;
    // A group the license does not have.
    let nowhere = json!({"id": chat_id, "target": {"type": "group", "ids": [4242]}, "ignore_requester_presence": true});
    refused::<t::TransferChatRequest>(&a, nowhere, ErrorType::GroupNotFound).await;
    // Bea (group 2) transfers the chat to group 2: out of Ann's sight (group 1).
    let bea = server.issue_agent(NewAgent::new("bea@example.com", "Bea").groups([2])).unwrap();
    server.agent().set_group_status(2, "online").unwrap();
    let b = agent_client(&server, &bea, Auth::Bearer);
    let to_2 = json!({"id": chat_id, "target": {"type": "group", "ids": [2]}, "ignore_requester_presence": true});
    call::<t::TransferChatRequest>(&b, to_2).await;
    // A target agent must see the chat.
    let to_ann = json!({"id": chat_id, "target": {"type": "agent", "ids": [ann.agent_id]}, "ignore_requester_presence": true});
    refused::<t::TransferChatRequest>(&b, to_ann, ErrorType::MissingAccess).await;
    refused::<t::GetChatRequest>(&a, json!({ "chat_id": chat_id }), ErrorType::MissingAccess).await;
    refused::<t::ListThreadsRequest>(&a, json!({ "chat_id": chat_id }), ErrorType::MissingAccess).await;
    // Nothing of that name.
    let e = refused::<t::GetChatRequest>(&a, json!({"chat_id": "NOSUCHCHAT"}), ErrorType::NotFound).await;
    assert_eq!(e.api_error().and_then(|e| e.status()), Some(404));
    refused::<t::GetCustomerRequest>(&a, json!({"id": "nobody"}), ErrorType::NotFound).await;
    // Typed requests the server refuses: `validation` (400).
    let e = refused::<t::ListChatsRequest>(&a, json!({"limit": 101}), ErrorType::Validation).await;
    assert_eq!(e.api_error().and_then(|e| e.status()), Some(400));
    refused::<t::UpdateCustomerRequest>(&a, json!({ "id": me.id }), ErrorType::Validation).await;
    refused::<t::SetRoutingStatusRequest>(&a, json!({"status": "offline"}), ErrorType::Validation).await;
    // An inactive chat: `chat_inactive`.
    let d = b;
    call::<t::DeactivateChatRequest>(&d, json!({"id": chat_id, "ignore_requester_presence": true})).await;
    let join =
        json!({"chat_id": chat_id, "user_id": bea.agent_id, "user_type": "agent", "visibility": "all", "ignore_requester_presence": true});
    refused::<t::AddUserToChatRequest>(&d, join, ErrorType::ChatInactive).await;
    let e = refused::<t::SendEventRequest>(&d, hi(), ErrorType::ChatInactive).await;
    assert!(!e.is_retryable(), "{e}");
    refused::<t::TransferChatRequest>(
        &d,
        json!({"id": chat_id, "ignore_requester_presence": true}),
        ErrorType::ChatInactive,
    )
    .await;
    // A customer's token on an agent's client: `authorization` (403), not retried.
    let wrong = WebClient::agent_builder()
        .base_url(common::origin(&server))
        .token(&me.token)
        .build()
        .unwrap();
    let e = wrong.call(&t::ListChatsRequest::default()).await.unwrap_err();
    assert_eq!(e.api_kind(), Some(&ErrorType::Authorization), "{e}");
    assert_eq!((e.api_error().and_then(|e| e.status()), e.attempts()), (Some(403), 1));
    // A wrong personal access token: `authentication` (401).
    let bad = AgentCredentials {
        pat: "not-it".into(),
        ..ann.clone()
    };
    let e = agent_client(&server, &bad, Auth::Pat)
        .call(&t::ListChatsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.api_kind(), Some(&ErrorType::Authentication), "{e}");
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// The backquoted words of `text`.
fn quoted(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Asserts each test `tests` names (`name`, or `file.rs: name` with `file.rs` quoted before it)
/// is a function of that test file.
fn assert_tests_exist(row: &str, tests: &str) {
    let files: BTreeMap<&str, &str> = BTreeMap::from([
        ("agent_actions.rs", include_str!("agent_actions.rs")),
        ("agent_auth.rs", include_str!("agent_auth.rs")),
        ("behaviour.rs", include_str!("behaviour.rs")),
        ("secrets.rs", include_str!("secrets.rs")),
    ]);
    let mut file = "agent_actions.rs";
    let mut named = 0;
    for word in quoted(tests) {
        if files.contains_key(word) {
            file = word;
            continue;
        }
        let name = word.rsplit("::").next().unwrap();
        assert!(files[file].contains(&format!("fn {name}(")), "{row}: no test `{name}` in {file}");
        named += 1;
    }
    assert!(named > 0 || tests == "—", "{row}: no test named");
}

/// The README's tables "Parity with the official agent SDKs": in the table of actions, a ✓
/// (the SDK has the method, lc offers it in that version) is a Web action of the version's
/// manifest, so `v3_x::every_agent_web_action` calls it or fails, and its lc call names the
/// action's request type (or `upload_file`); a ✗ (the SDK has it, lc does not offer it over
/// the Web) is not; the versions in the test column are the ✓ ones; each test named exists.
/// The counts are the totals the README gives.
#[test]
fn the_readme_parity_table_matches_the_manifests_and_the_tests() {
    let rows = common::readme_table("### Actions");
    // Columns: action | python 3.5 | python 3.6 | python 3.7 | go v5 | go v6 | lc | tested by.
    let versions = [
        ApiVersion::V3_5,
        ApiVersion::V3_6,
        ApiVersion::V3_7,
        ApiVersion::V3_5,
        ApiVersion::V3_6,
    ];
    let mut methods = [0; 5];
    let mut offered = [0; 5];
    let mut actions = BTreeSet::new();
    for cells in &rows {
        let row = cells.join(" | ");
        assert_eq!(cells.len(), 8, "{row}");
        let action = cells[0].trim_matches('`');
        assert!(actions.insert(action.to_owned()), "{row}: twice");
        let (lc, tests) = (&cells[6], &cells[7]);
        let mut tested = BTreeSet::new();
        for (i, version) in versions.iter().enumerate() {
            let web = manifest(*version).iter().any(|(_, a)| *a == action);
            match cells[1 + i].as_str() {
                "✓" => {
                    assert!(web, "{row}: not a Web action of {version}");
                    methods[i] += 1;
                    offered[i] += 1;
                    tested.insert(version.to_string());
                }
                "✗" => {
                    assert!(!web, "{row}: a Web action of {version}, marked not offered");
                    methods[i] += 1;
                }
                "—" => {}
                other => panic!("{row}: `{other}`"),
            }
        }
        if !tested.is_empty() {
            let pascal: String = action.split('_').map(|w| w[..1].to_uppercase() + &w[1..]).collect();
            let names_it = lc.contains(&format!("{pascal}Request")) || (action == "upload_file" && lc.contains("upload_file"));
            assert!(names_it, "{row}");
            // `every_agent_web_action` (3.5, 3.6, 3.7): the versions it is marked for.
            let listed = tests
                .split_once("every_agent_web_action` (")
                .map(|(_, rest)| rest.split(')').next().unwrap());
            let listed: BTreeSet<String> = listed.unwrap_or_else(|| panic!("{row}")).split(", ").map(str::to_owned).collect();
            assert_eq!(listed, tested, "{row}");
        }
        assert_tests_exist(&row, tests);
    }
    // Every manifest Web action has its row.
    for version in [ApiVersion::V3_5, ApiVersion::V3_6, ApiVersion::V3_7] {
        for (_, action) in manifest(version) {
            assert!(actions.contains(action), "{version} {action}: no row");
        }
    }
    // lc-sdk-python 0.4.2 (3.5, 3.6, 3.7), lc-sdk-go /v5 and /v6: methods, and those lc offers.
    assert_eq!((methods, offered), ([35, 37, 37, 36, 37], [35, 35, 35, 34, 33]));
    for cells in common::readme_table("### Client options and helpers") {
        assert_eq!(cells.len(), 4, "{cells:?}");
        assert_tests_exist(&cells.join(" | "), &cells[3]);
    }
}

/// The README's lc calls build: each request with `new` (or `default`) and the arguments the
/// table shows, in its order, sent through one client against the mock.
#[tokio::test]
async fn the_readme_constructors_build_the_requests() {
    use lc_types::v3_6::agent;
    use lc_types::{from_value as v, v3_5};
    let server = common::mock().await;
    let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
    let client = agent_client(&server, &ann, Auth::Bearer);
    let me = server.issue_customer();
    let customer = common::client(&server, &me.token);
    let started = customer.call(&lc_types::v3_6::customer::StartChatRequest::default()).await.unwrap();
    let (chat_id, thread_id, id) = (started.chat_id.clone(), started.thread_id.clone(), started.chat_id.clone());
    let user_id = ann.agent_id.clone();
    let user_type: agent::UserType = v(json!("agent")).unwrap();
    let visibility: agent::Visibility = v(json!("all")).unwrap();
    let mut join = agent::AddUserToChatRequest::new(chat_id.clone(), user_id.clone(), user_type, visibility);
    join.ignore_requester_presence = Some(true);
    client.call(&join).await.unwrap();
    let event: agent::EventInput = v(message("Built with new")).unwrap();
    let sent = client.call(&agent::SendEventRequest::new(chat_id.clone(), event)).await.unwrap();
    let event_id = sent.event_id;
    let props = || -> agent::Properties { v(json!({"ns": {"k": 1}})).unwrap() };
    let names = || -> agent::PropertyNames { v(json!({"ns": ["k"]})).unwrap() };
    client
        .call(&agent::UpdateChatPropertiesRequest::new(id.clone(), props()))
        .await
        .unwrap();
    client
        .call(&agent::DeleteChatPropertiesRequest::new(id.clone(), names()))
        .await
        .unwrap();
    client
        .call(&agent::UpdateThreadPropertiesRequest::new(
            chat_id.clone(),
            props(),
            thread_id.clone(),
        ))
        .await
        .unwrap();
    client
        .call(&agent::DeleteThreadPropertiesRequest::new(
            chat_id.clone(),
            names(),
            thread_id.clone(),
        ))
        .await
        .unwrap();
    client
        .call(&agent::UpdateEventPropertiesRequest::new(
            chat_id.clone(),
            event_id.clone(),
            props(),
            thread_id.clone(),
        ))
        .await
        .unwrap();
    client
        .call(&agent::DeleteEventPropertiesRequest::new(
            chat_id.clone(),
            event_id.clone(),
            names(),
            thread_id.clone(),
        ))
        .await
        .unwrap();
    client
        .call(&agent::TagThreadRequest::new(chat_id.clone(), "vip", thread_id.clone()))
        .await
        .unwrap();
    client
        .call(&agent::UntagThreadRequest::new(chat_id.clone(), "vip", thread_id.clone()))
        .await
        .unwrap();
    let got = client.call(&agent::GetChatRequest::new(chat_id.clone())).await.unwrap();
    assert_eq!(got.id, chat_id);
    client.call(&agent::ListThreadsRequest::new(chat_id.clone())).await.unwrap();
    client.call(&agent::ListChatsRequest::default()).await.unwrap();
    client.call(&agent::ListArchivesRequest::default()).await.unwrap();
    client.call(&agent::FollowChatRequest::new(id.clone())).await.unwrap();
    client.call(&agent::UnfollowChatRequest::new(id.clone())).await.unwrap_err(); // a user of the chat cannot unfollow it
    client.call(&agent::GetCustomerRequest::new(me.id.clone())).await.unwrap();
    let mut update = agent::UpdateCustomerRequest::new(me.id.clone());
    update.name = Some("Ada".into());
    client.call(&update).await.unwrap();
    let seen_up_to = lc_types::Timestamp::from_system_time(std::time::SystemTime::now());
    client
        .call(&agent::MarkEventsAsSeenRequest::new(chat_id.clone(), seen_up_to))
        .await
        .unwrap();
    client
        .call(&agent::SendTypingIndicatorRequest::new(chat_id.clone(), true))
        .await
        .unwrap();
    client
        .call(&agent::SendThinkingIndicatorRequest::new(chat_id.clone()))
        .await
        .unwrap();
    let preview: agent::EventInput = v(message("Let me")).unwrap();
    client
        .call(&agent::SendEventPreviewRequest::new(chat_id.clone(), preview))
        .await
        .unwrap();
    client
        .call(&agent::RequestThreadSummaryRequest::new(chat_id.clone(), thread_id.clone()))
        .await
        .unwrap();
    let content = json!({"note": "hi"});
    let recipients: agent::MulticastRecipients = v(json!({"agents": {"all": true}})).unwrap();
    client.call(&agent::MulticastRequest::new(content, recipients)).await.unwrap();
    client
        .call(&agent::ListAgentsForTransferRequest::new(chat_id.clone()))
        .await
        .unwrap();
    client
        .call(&agent::SetRoutingStatusRequest::new(
            v::<agent::RoutingStatus>(json!("accepting_chats")).unwrap(),
        ))
        .await
        .unwrap();
    client.call(&agent::ListRoutingStatusesRequest::default()).await.unwrap();
    client.call(&agent::TransferChatRequest::new(id.clone())).await.unwrap();
    client.call(&agent::DeactivateChatRequest::new(id.clone())).await.unwrap();
    let chat: agent::ChatToResume = v(json!({ "id": chat_id })).unwrap();
    client.call(&agent::ResumeChatRequest::new(chat)).await.unwrap();
    client
        .call(&agent::RemoveUserFromChatRequest::new(
            chat_id.clone(),
            user_id.clone(),
            v::<agent::UserType>(json!("agent")).unwrap(),
        ))
        .await
        .unwrap();
    let other = server.issue_customer();
    client
        .call(&agent::BanCustomerRequest::new(agent::Ban::new(1), other.id.clone()))
        .await
        .unwrap();
    client.call(&v3_5::agent::CreateCustomerRequest::default()).await.unwrap();
    client.call(&v3_5::agent::ListCustomersRequest::default()).await.unwrap();
    client.call(&v3_5::agent::GetLicenseInfoRequest::default()).await.unwrap();
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

//! Every Agent Chat RTM action of every version (3.5, 3.6, 3.7) through an `lc-rtm` agent
//! connection against `lc-mock` on loopback: typed requests of `lc_types::v3_x::agent` sent with
//! `RtmClient::call`, a personal access token for some versions and a bearer token for others.
//! Each answer is checked, or the effect the action had, as the agent reads it back or as the
//! pushes show it: to the customer (its own `lc-rtm` connection) and to another agent. The set
//! of (version, action) that ran is compared with the agent manifests' RTM actions, so an
//! action without a case fails (`login` is the connection's own).

mod common;

use std::collections::BTreeSet;
use std::sync::Mutex;

use common::*;
use lc_mock::{AgentCredentials, MockServer, NewAgent};
use lc_rtm::{Events, RtmClient, RtmEvent};
use lc_types::{Action, ApiVersion, ChatApi, ErrorType, RtmAction};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// The (version, action) pairs that ran.
static RAN: Mutex<BTreeSet<(ApiVersion, &'static str)>> = Mutex::new(BTreeSet::new());

/// Calls `R` with `payload` (which must decode as `R`); its typed answer.
async fn call<R: RtmAction + DeserializeOwned>(client: &RtmClient, payload: Value) -> R::Response {
    let request: R = lc_types::from_value(payload.clone()).unwrap_or_else(|e| panic!("{} {payload}: {e}", R::NAME));
    let response = client.call(&request).await;
    let response = response.unwrap_or_else(|e| panic!("{} v{} {payload}: {e}", R::NAME, R::VERSION));
    RAN.lock().unwrap().insert((R::VERSION, R::NAME));
    response
}

/// Calls `R` with `payload` and asserts the API refused it with `kind`.
async fn refused<R: RtmAction + DeserializeOwned>(client: &RtmClient, payload: Value, kind: ErrorType) {
    let request: R = lc_types::from_value(payload.clone()).unwrap();
    match client.call(&request).await {
        Err(e) if e.api_error().map(|a| a.kind()) == Some(&kind) => {}
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

/// The next push `name` at `events` (other events skipped), as JSON.
async fn push(events: &mut Events, name: &str) -> Value {
    let (event, _) = until(events, |e| matches!(e, RtmEvent::Push(p) if p.push.name() == name)).await;
    let RtmEvent::Push(p) = event else { unreachable!() };
    js(&p.push)
}

/// How an agent's connection authenticates.
#[derive(Clone, Copy, Debug)]
enum Auth {
    Pat,
    Bearer,
}

/// An agent's connection of `version`, logged in.
async fn agent(server: &MockServer, who: &AgentCredentials, auth: Auth, version: ApiVersion) -> (RtmClient, Events) {
    let b = agent_builder(server, who).api_version(version);
    let b = match auth {
        Auth::Pat => b,
        Auth::Bearer => b.token(&who.token),
    };
    let (client, mut events) = b.build().unwrap();
    let first = next(&mut events).await;
    let RtmEvent::Connected(c) = first else { panic!("{first:?}") };
    // The login response names the agent.
    let login: Value = c.login.decode().unwrap();
    assert_eq!(login["my_profile"]["id"], who.agent_id.as_str(), "{login}");
    assert!(login["license"]["id"].is_string(), "{login}");
    RAN.lock().unwrap().insert((version, "login"));
    (client, events)
}

/// The agent RTM actions of the manifest of `version`.
fn manifest(version: ApiVersion) -> BTreeSet<(ApiVersion, &'static str)> {
    let api = lc_types::api(ChatApi::Agent, version).unwrap_or_else(|| panic!("no agent API {version}"));
    api.actions.iter().filter(|a| a.rtm).map(|a| (version, a.name)).collect()
}

fn assert_every_action_ran(version: ApiVersion) {
    let ran: BTreeSet<_> = RAN.lock().unwrap().iter().filter(|(v, _)| *v == version).copied().collect();
    let expected = manifest(version);
    let missing: Vec<_> = expected.difference(&ran).collect();
    assert!(missing.is_empty(), "v{version}: agent RTM actions not called: {missing:?}");
    assert_eq!(ran, expected, "v{version}");
    // Reference §0: 36 RTM actions plus `ping` in 3.5, 40 plus `ping` in 3.6 and 3.7.
    assert_eq!(expected.len(), if version == ApiVersion::V3_5 { 37 } else { 41 }, "v{version}");
}

macro_rules! every_version {
    ($v:ident, $auth:expr, $only:path) => {
        mod $v {
            use super::*;
            use lc_types::$v::agent as t;
            use lc_types::$v::customer as c;

            async fn chat(a: &RtmClient, chat: &str) -> Value {
                js(&call::<t::GetChatRequest>(a, json!({ "chat_id": chat })).await)
            }

            #[tokio::test]
            async fn every_agent_rtm_action() {
                let version = <t::ListChatsRequest as Action>::VERSION;
                let server = mock().await;
                let ann = server.issue_agent(NewAgent::new("ann@example.com", "Ann")).unwrap();
                let bob = server.issue_agent(NewAgent::new("bob@example.com", "Bob").groups([0, 1])).unwrap();
                server.agent().set_group_status(1, "online").unwrap();
                let (a, mut ae) = agent(&server, &ann, $auth, version).await;
                let (b, mut be) = agent(&server, &bob, Auth::Bearer, version).await;

                // A customer over lc-rtm starts a chat and writes: both agents are told.
                let me = server.issue_customer();
                let (customer, mut ce) = builder(&server).token(&me.token).api_version(version).build().unwrap();
                until(&mut ce, |e| matches!(e, RtmEvent::Connected(_))).await;
                let started = customer.call(&c::StartChatRequest::default()).await.unwrap();
                let (chat_id, thread_id) = (started.chat_id.clone(), started.thread_id.clone());
                for events in [&mut ae, &mut be] {
                    let offered = push(events, "incoming_chat").await;
                    assert_eq!(offered["chat"]["id"], chat_id.as_str(), "{offered}");
                }
                let hello = lc_types::from_value(json!({"chat_id": chat_id, "event": message("Hello from the customer")})).unwrap();
                customer.call::<c::SendEventRequest>(&hello).await.unwrap();
                let heard = push(&mut ae, "incoming_event").await;
                assert_eq!((&heard["chat_id"], &heard["event"]["text"]), (&json!(chat_id), &json!("Hello from the customer")), "{heard}");

                // list_chats, get_chat, list_threads, list_archives.
                let listed = js(&call::<t::ListChatsRequest>(&a, json!({"limit": 5})).await);
                let key = if version >= ApiVersion::V3_7 { "chats_info" } else { "chats_summary" };
                assert_eq!(listed[key][0]["id"], chat_id.as_str(), "{listed}");
                let got = js(&call::<t::GetChatRequest>(&a, json!({"chat_id": chat_id, "thread_id": thread_id})).await);
                assert_eq!(got["thread"]["id"], thread_id.as_str(), "{got}");
                let threads = js(&call::<t::ListThreadsRequest>(&a, json!({ "chat_id": chat_id })).await);
                assert_eq!(threads["threads"][0]["id"], thread_id.as_str(), "{threads}");
                let archives = js(&call::<t::ListArchivesRequest>(&a, json!({"filters": {"query": "hello"}})).await);
                assert_eq!(archives["chats"][0]["id"], chat_id.as_str(), "{archives}");

                // follow_chat, unfollow_chat.
                call::<t::FollowChatRequest>(&a, json!({ "id": chat_id })).await;
                assert_eq!(chat(&a, &chat_id).await["is_followed"], true);
                call::<t::UnfollowChatRequest>(&a, json!({ "id": chat_id })).await;
                assert_ne!(chat(&a, &chat_id).await["is_followed"], true);

                // add_user_to_chat: Ann joins; the customer is told.
                call::<t::AddUserToChatRequest>(
                    &a,
                    json!({"chat_id": chat_id, "user_id": ann.agent_id, "user_type": "agent", "visibility": "all", "ignore_requester_presence": true}),
                )
                .await;
                let added = push(&mut ce, "user_added_to_chat").await;
                assert_eq!(added["user"]["id"], ann.agent_id.as_str(), "{added}");

                // send_event: the customer gets Ann's message, not her note for agents; Bob gets both.
                let sent = call::<t::SendEventRequest>(&a, json!({"chat_id": chat_id, "event": message("Hi, Ann here")})).await;
                let event_id = sent.event_id.clone();
                let note = json!({"type": "message", "text": "Note for agents", "visibility": "agents"});
                call::<t::SendEventRequest>(&a, json!({"chat_id": chat_id, "event": note})).await;
                let got = push(&mut ce, "incoming_event").await;
                assert_eq!((&got["event"]["id"], &got["event"]["text"]), (&json!(event_id), &json!("Hi, Ann here")), "{got}");
                let (_, bob_saw) = until(&mut be, |e| {
                    matches!(e, RtmEvent::Push(p) if serde_json::to_string(&p.push).unwrap().contains("Note for agents"))
                })
                .await;
                assert!(bob_saw.iter().any(|e| matches!(e, RtmEvent::Push(p) if serde_json::to_string(&p.push).unwrap().contains("Hi, Ann here"))));

                // send_rich_message_postback on a quick reply Ann sent.
                let button = json!({"text": "Yes", "type": "message", "value": "yes", "postback_id": "yes", "user_ids": []});
                let rich = json!({"type": "rich_message", "template_id": "quick_replies", "elements": [{"title": "OK?", "buttons": [button]}]});
                let rich = call::<t::SendEventRequest>(&a, json!({"chat_id": chat_id, "event": rich})).await.event_id;
                let postback = json!({"chat_id": chat_id, "thread_id": thread_id, "event_id": rich, "postback": {"id": "yes", "toggled": true}});
                assert_eq!(js(&call::<t::SendRichMessagePostbackRequest>(&a, postback).await), json!({}));

                // chat, thread and event properties; the customer is told of the chat's.
                call::<t::UpdateChatPropertiesRequest>(&a, json!({"id": chat_id, "properties": {"ns": {"score": 5, "n": 1}}})).await;
                let changed = push(&mut ce, "chat_properties_updated").await;
                assert_eq!(changed["properties"]["ns"]["score"], 5, "{changed}");
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

                // tag_thread, untag_thread.
                call::<t::TagThreadRequest>(&a, with("tag", json!("billing"))).await;
                assert_eq!(chat(&a, &chat_id).await["thread"]["tags"], json!(["billing"]));
                call::<t::UntagThreadRequest>(&a, with("tag", json!("billing"))).await;

                // get_customer, update_customer.
                let got = js(&call::<t::GetCustomerRequest>(&a, json!({ "id": me.id })).await);
                assert_eq!(got["id"], me.id.as_str(), "{got}");
                call::<t::UpdateCustomerRequest>(&a, json!({"id": me.id, "name": "Ada"})).await;
                let mine = js(&customer.call(&c::GetCustomerRequest::default()).await.unwrap());
                assert_eq!(mine["name"], "Ada", "{mine}");

                // set_routing_status, list_routing_statuses, set_away_status.
                call::<t::SetRoutingStatusRequest>(&a, json!({"status": "not_accepting_chats"})).await;
                let statuses = js(&call::<t::ListRoutingStatusesRequest>(&a, json!({})).await);
                let ann_status = statuses.as_array().unwrap().iter().find(|s| s["agent_id"] == ann.agent_id.as_str()).cloned();
                assert_eq!(ann_status.map(|s| s["status"].clone()), Some(json!("not_accepting_chats")), "{statuses}");
                call::<t::SetRoutingStatusRequest>(&a, json!({"status": "accepting_chats"})).await;
                assert_eq!(js(&call::<t::SetAwayStatusRequest>(&a, json!({"away": true})).await), json!({}));
                call::<t::SetAwayStatusRequest>(&a, json!({"away": false})).await;

                // mark_events_as_seen; send_typing_indicator (the customer sees it).
                let now = lc_types::Timestamp::from_system_time(std::time::SystemTime::now());
                call::<t::MarkEventsAsSeenRequest>(&a, json!({"chat_id": chat_id, "seen_up_to": now.as_str()})).await;
                call::<t::SendTypingIndicatorRequest>(&a, json!({"chat_id": chat_id, "is_typing": true})).await;
                push(&mut ce, "incoming_typing_indicator").await;

                // multicast to every agent: Bob gets it.
                call::<t::MulticastRequest>(&a, json!({"recipients": {"agents": {"all": true}}, "content": {"note": "hi all"}})).await;
                let got = push(&mut be, "incoming_multicast").await;
                assert_eq!(got["content"], json!({"note": "hi all"}), "{got}");
                refused::<t::MulticastRequest>(&a, json!({"recipients": {"agents": {}}, "content": {}}), ErrorType::Validation).await;

                // list_agents_for_transfer, add and remove Bob, transfer to group 1.
                let agents = js(&call::<t::ListAgentsForTransferRequest>(&a, json!({ "chat_id": chat_id })).await);
                assert!(agents.to_string().contains(&bob.agent_id), "{agents}");
                call::<t::AddUserToChatRequest>(
                    &a,
                    json!({"chat_id": chat_id, "user_id": bob.agent_id, "user_type": "agent", "visibility": "agents"}),
                )
                .await;
                call::<t::RemoveUserFromChatRequest>(&a, json!({"chat_id": chat_id, "user_id": bob.agent_id, "user_type": "agent"})).await;
                call::<t::TransferChatRequest>(&a, json!({"id": chat_id, "target": {"type": "group", "ids": [1]}})).await;
                let moved = push(&mut ce, "chat_transferred").await;
                assert_eq!(moved["transferred_to"]["group_ids"], json!([1]), "{moved}");

                // Version-specific actions, on the active chat.
                $only(&server, &a, &ann, &chat_id, &thread_id).await;

                // deactivate_chat, resume_chat, start_chat, ban_customer.
                call::<t::DeactivateChatRequest>(&a, json!({ "id": chat_id })).await;
                push(&mut ce, "chat_deactivated").await;
                let resumed = call::<t::ResumeChatRequest>(&a, json!({"chat": {"id": chat_id, "thread": {"events": [message("Back again")]}}})).await;
                assert_ne!(resumed.thread_id, thread_id);
                call::<t::DeactivateChatRequest>(&a, json!({ "id": chat_id, "ignore_requester_presence": true })).await;
                let users = json!([{"id": me.id, "type": "customer"}]);
                let started =
                    call::<t::StartChatRequest>(&a, json!({"chat": {"users": users, "thread": {"events": [message("We started this one")]}}})).await;
                assert_ne!(started.chat_id, chat_id);
                let other = server.issue_customer();
                call::<t::BanCustomerRequest>(&a, json!({"id": other.id, "ban": {"days": 1}})).await;

                // ping, then logout: the connection is logged out for good.
                call::<t::PingRequest>(&a, json!({})).await;
                call::<t::LogoutRequest>(&a, json!({})).await;
                let (ended, _) = until(&mut ae, |e| matches!(e, RtmEvent::Disconnected(_))).await;
                let RtmEvent::Disconnected(d) = ended else { unreachable!() };
                assert_eq!(d.next, lc_rtm::Next::Stop, "{:?}", d.cause);

                assert_eq!(server.problems(), Vec::<String>::new());
                assert_every_action_ran(version);
                drop((b, customer));
                server.shutdown().await;
            }
        }
    };
}

/// 3.5 only: `list_customers`, `create_customer`.
async fn only_3_5(_server: &MockServer, a: &RtmClient, _ann: &AgentCredentials, _chat_id: &str, _thread_id: &str) {
    use lc_types::v3_5::agent as t;
    let created = call::<t::CreateCustomerRequest>(a, json!({"name": "Made by Ann", "email": "made@shop.example"})).await;
    let first = js(&call::<t::ListCustomersRequest>(a, json!({"limit": 1})).await);
    assert_eq!(first["customers"][0]["id"], created.customer_id.as_str(), "{first}");
}

/// 3.6 and later: `send_event_preview`, `send_thinking_indicator`, `request_thread_summary`,
/// `subscribe_customers`, `unsubscribe_customers`, `update_session`.
macro_rules! since_3_6 {
    ($v:ident, $name:ident) => {
        async fn $name(_server: &MockServer, a: &RtmClient, ann: &AgentCredentials, chat_id: &str, thread_id: &str) {
            use lc_types::$v::agent as t;
            let preview = call::<t::SendEventPreviewRequest>(a, json!({"chat_id": chat_id, "event": message("Let me ch")})).await;
            assert_eq!(js(&preview), json!({}));
            call::<t::SendThinkingIndicatorRequest>(a, json!({"chat_id": chat_id, "title": "Thinking..."})).await;
            call::<t::RequestThreadSummaryRequest>(a, json!({"chat_id": chat_id, "thread_id": thread_id})).await;
            let subscribed = js(&call::<t::SubscribeCustomersRequest>(a, json!({"limit": 10})).await);
            let id = subscribed["subscription_id"].as_str().unwrap_or_else(|| panic!("{subscribed}")).to_owned();
            assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{subscribed}");
            call::<t::UnsubscribeCustomersRequest>(a, json!({ "subscription_id": id })).await;
            call::<t::UpdateSessionRequest>(a, json!({"token": format!("Bearer {}", ann.token)})).await;
        }
    };
}
since_3_6!(v3_6, since_3_6_in_3_6);
since_3_6!(v3_7, since_3_6_in_3_7);

every_version!(v3_5, Auth::Pat, only_3_5);
every_version!(v3_6, Auth::Bearer, since_3_6_in_3_6);
every_version!(v3_7, Auth::Pat, since_3_6_in_3_7);

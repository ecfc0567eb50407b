//! The README's mapping ("lc-rtm for @livechat/customer-sdk users"), row by row, against
//! `lc-mock`: every row whose lc-rtm form exists today is exercised here, and each test names
//! the rows it covers (customer-sdk name / pre-3.0 RTM name). Rows marked "(planned)" in the
//! README are covered through their "today" form.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use lc_mock::{GreetingStatus, TransferTo};
use lc_rtm::{Cause, ConnectionState, CustomerProfile, ErrorKind, Events, Next, Pushed, RtmEvent};
use lc_types::auth::{token_fn, AccessToken};
use lc_types::v3_6::customer::{self as t, AnyPush};
use lc_types::{from_value, RtmAction, VersionedPush};
use serde_json::{json, Value};

async fn call<R: RtmAction + Sync>(client: &lc_rtm::RtmClient, payload: Value) -> R::Response {
    let request: R = from_value(payload.clone()).unwrap_or_else(|e| panic!("{} {payload}: {e}", R::NAME));
    client.call(&request).await.unwrap_or_else(|e| panic!("{}: {e}", R::NAME))
}

fn js<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

/// The next v3.6 push named `name` (others skipped).
async fn push(events: &mut Events, name: &str) -> AnyPush {
    let (e, _) = until(events, |e| matches!(e, RtmEvent::Push(p) if p.push.name() == name)).await;
    let RtmEvent::Push(p) = e else { unreachable!() };
    let Pushed { push, .. } = *p;
    match push {
        VersionedPush::V3_6(any) => any,
        other => panic!("a v3.6 push: {other:?}"),
    }
}

fn message(text: &str) -> Value {
    json!({"type": "message", "text": text})
}

/// Rows: `init({ organizationId })`, `clientId`, `groupId`, `page`, `referrer`, `tabId`,
/// `customerDataProvider`, `identityProvider`, `auth.getToken()`, event `connected`, event
/// `customer_id`; pre-3.0 `login`.
#[tokio::test]
async fn init_options_log_in_and_connected_gives_the_customer() {
    let server = Arc::new(mock().await);
    let me = server.issue_customer();
    let asked = Arc::new(AtomicUsize::new(0));
    let provider = {
        let (asked, token) = (asked.clone(), me.token.clone());
        token_fn(move |_refresh| {
            asked.fetch_add(1, Ordering::SeqCst);
            let token = token.clone();
            async move { Ok(AccessToken::new(token)) }
        })
    };
    let (client, mut events) = builder(&server)
        .token_provider(provider)
        .client_id("my-client-id")
        .group_id(0)
        .page("https://shop.example/cart", Some("Cart"))
        .referrer("https://search.example/")
        .login_field("tab_id", json!("tab-1"))
        .customer_provider(|| {
            CustomerProfile::default()
                .name("Ada")
                .email("ada@shop.example")
                .session_field("plan", "gold")
        })
        .build()
        .unwrap();
    let RtmEvent::Connected(c) = next(&mut events).await else {
        panic!("connected")
    };
    assert!(!c.reconnect);
    assert_eq!(asked.load(Ordering::SeqCst), 1, "the identity provider gave the token");
    let login: t::LoginResponse = c.login.decode().unwrap();
    let customer = js(&login.customer);
    assert_eq!(customer["id"], me.id.as_str(), "customer_id");
    assert_eq!((&customer["name"], &customer["email"]), (&json!("Ada"), &json!("ada@shop.example")));
    assert_eq!(customer["session_fields"], json!([{"plan": "gold"}]));
    assert_eq!(customer["statistics"]["page_views_count"], 1, "the page was sent: {customer}");
    assert!(!login.has_active_thread && login.chats.is_empty());
    assert_eq!(client.state(), ConnectionState::Active);
    assert_eq!(server.problems(), Vec::<String>::new());
}

/// Rows: `autoConnect: false`, `connect()`, `disconnect()`, `destroy()`, event `disconnected`,
/// `on`/`off` (the event stream ends after `destroy()`).
#[tokio::test]
async fn auto_connect_connect_disconnect_destroy() {
    let server = mock().await;
    let me = server.issue_customer();
    let (client, mut events) = builder(&server).token(&me.token).auto_connect(false).build().unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(200), events.next()).await.is_err(),
        "not connecting by itself"
    );
    client.connect();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(ref c) if !c.reconnect));
    client.disconnect();
    let RtmEvent::Disconnected(d) = next(&mut events).await else {
        panic!("disconnected")
    };
    assert_eq!((d.cause, d.next), (Cause::User, Next::WaitForConnect));
    assert_eq!(client.state(), ConnectionState::Disconnected);
    client.connect();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(ref c) if c.reconnect));
    client.destroy();
    let _ = until(&mut events, |e| matches!(e, RtmEvent::Disconnected(_))).await;
    assert!(events.next().await.is_none());
    let err = client.call(&t::GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Closed), "{err}");
}

/// Rows: `startChat` / `start_chat`, event `incoming_chat`, `sendEvent` / `send_event`, events
/// `incoming_event` and `new_event`, `getChat` / `get_chat_threads`, `listChats` /
/// `get_chats_summary`, `listThreads` / `get_chat_threads_summary`, `deactivateChat` /
/// `close_thread`, event `chat_deactivated`, `resumeChat` / `activate_chat`,
/// `markEventsAsSeen` / `update_last_seen_timestamp`, event `events_marked_as_seen`,
/// `setSneakPeek` / `send_sneak_peek` (today's form), `getChatHistory` (today's form: pages of
/// `list_threads`).
#[tokio::test]
async fn chats_events_history_and_seen() {
    let server = mock().await;
    let me = server.issue_customer();
    let (c, mut events) = connected(&server, &me.token).await;
    let started = call::<t::StartChatRequest>(&c, json!({"chat": {"thread": {"events": [message("Hi")]}}})).await;
    let AnyPush::IncomingChat(p) = push(&mut events, "incoming_chat").await else {
        unreachable!()
    };
    assert_eq!(p.chat.id, started.chat_id);
    let sent = call::<t::SendEventRequest>(&c, json!({"chat_id": started.chat_id, "event": message("Size 42")})).await;
    let AnyPush::IncomingEvent(p) = push(&mut events, "incoming_event").await else {
        unreachable!()
    };
    assert_eq!(js(&p.event)["id"], sent.event_id.as_str());
    call::<t::SendSneakPeekRequest>(&c, json!({"chat_id": started.chat_id, "sneak_peek_text": "and 43?"})).await;
    assert_eq!(server.agent().sneak_peek(&started.chat_id).as_deref(), Some("and 43?"));

    let got = call::<t::GetChatRequest>(&c, json!({"chat_id": started.chat_id, "thread_id": started.thread_id})).await;
    assert_eq!(js(&got)["thread"]["events"][1]["text"], "Size 42");

    // Three threads, then the history page by page (newest first), as getChatHistory does today.
    let mut threads = vec![started.thread_id.clone()];
    for n in 0..2 {
        call::<t::DeactivateChatRequest>(&c, json!({"id": started.chat_id})).await;
        let AnyPush::ChatDeactivated(p) = push(&mut events, "chat_deactivated").await else {
            unreachable!()
        };
        assert_eq!(p.thread_id, *threads.last().unwrap());
        let resumed = call::<t::ResumeChatRequest>(
            &c,
            json!({"chat": {"id": started.chat_id, "thread": {"events": [message(&format!("again {n}"))]}}}),
        )
        .await;
        threads.push(resumed.thread_id);
    }
    let mut seen = Vec::new();
    let mut page = call::<t::ListThreadsRequest>(&c, json!({"chat_id": started.chat_id, "limit": 1})).await;
    loop {
        assert_eq!(page.found_threads, 3);
        seen.extend(page.threads.iter().map(|t| t.id.clone()));
        let Some(next_page) = page.next_page_id.clone() else { break };
        page = call::<t::ListThreadsRequest>(&c, json!({"chat_id": started.chat_id, "page_id": next_page})).await;
    }
    threads.reverse();
    assert_eq!(seen, threads, "newest first, every thread once");

    let listed = js(&call::<t::ListChatsRequest>(&c, json!({})).await);
    assert_eq!(listed["chats_summary"][0]["id"], started.chat_id.as_str(), "{listed}");

    let got = js(&call::<t::GetChatRequest>(&c, json!({"chat_id": started.chat_id})).await);
    let last = got["thread"]["events"][0]["created_at"].clone();
    call::<t::MarkEventsAsSeenRequest>(&c, json!({"chat_id": started.chat_id, "seen_up_to": last})).await;
    let AnyPush::EventsMarkedAsSeen(p) = push(&mut events, "events_marked_as_seen").await else {
        unreachable!()
    };
    assert_eq!((p.user_id.as_str(), js(&p.seen_up_to)), (me.id.as_str(), last));
    assert_eq!(server.problems(), Vec::<String>::new());
}

/// Rows: `updateChatProperties` / `update_chat_properties`, `deleteChatProperties` /
/// `delete_chat_properties`, `updateThreadProperties` / `update_chat_thread_properties`,
/// `deleteThreadProperties` / `delete_chat_thread_properties`, `updateEventProperties`,
/// `deleteEventProperties`, and their six push rows; `rateChat` and `cancelRate` (today's
/// form: the `rating` thread properties).
#[tokio::test]
async fn properties_and_rating() {
    let server = mock().await;
    let me = server.issue_customer();
    let (c, mut events) = connected(&server, &me.token).await;
    let s = call::<t::StartChatRequest>(&c, json!({"chat": {"thread": {"events": [message("Hi")]}}})).await;
    let (chat, thread, event) = (s.chat_id.clone(), s.thread_id.clone(), format!("{}_1", s.thread_id));

    call::<t::UpdateChatPropertiesRequest>(&c, json!({"id": chat, "properties": {"shop": {"a": 1}}})).await;
    assert!(matches!(
        push(&mut events, "chat_properties_updated").await,
        AnyPush::ChatPropertiesUpdated(_)
    ));
    call::<t::DeleteChatPropertiesRequest>(&c, json!({"id": chat, "properties": {"shop": ["a"]}})).await;
    assert!(matches!(
        push(&mut events, "chat_properties_deleted").await,
        AnyPush::ChatPropertiesDeleted(_)
    ));
    call::<t::UpdateEventPropertiesRequest>(
        &c,
        json!({"chat_id": chat, "thread_id": thread, "event_id": event, "properties": {"shop": {"x": "1"}}}),
    )
    .await;
    assert!(matches!(
        push(&mut events, "event_properties_updated").await,
        AnyPush::EventPropertiesUpdated(_)
    ));
    call::<t::DeleteEventPropertiesRequest>(
        &c,
        json!({"chat_id": chat, "thread_id": thread, "event_id": event, "properties": {"shop": ["x"]}}),
    )
    .await;
    assert!(matches!(
        push(&mut events, "event_properties_deleted").await,
        AnyPush::EventPropertiesDeleted(_)
    ));

    // rateChat: the rating as properties of the last thread.
    call::<t::UpdateThreadPropertiesRequest>(
        &c,
        json!({"chat_id": chat, "thread_id": thread, "properties": {"rating": {"score": 1, "comment": "Quick!"}}}),
    )
    .await;
    let AnyPush::ThreadPropertiesUpdated(p) = push(&mut events, "thread_properties_updated").await else {
        unreachable!()
    };
    assert_eq!(js(&p.properties), json!({"rating": {"score": 1, "comment": "Quick!"}}));
    // cancelRate: the same properties deleted.
    call::<t::DeleteThreadPropertiesRequest>(
        &c,
        json!({"chat_id": chat, "thread_id": thread, "properties": {"rating": ["score", "comment"]}}),
    )
    .await;
    assert!(matches!(
        push(&mut events, "thread_properties_deleted").await,
        AnyPush::ThreadPropertiesDeleted(_)
    ));
    let got = js(&call::<t::GetChatRequest>(&c, json!({"chat_id": chat})).await);
    let rating = &got["thread"]["properties"]["rating"];
    assert!(rating.is_null() || rating == &json!({}), "{got}");
    assert_eq!(server.problems(), Vec::<String>::new());
}

/// Rows: `getCustomer`, `updateCustomer` / `update_customer`, event `customer_updated`,
/// `setCustomerSessionFields` / `set_customer_fields`, `updateCustomerPage` (today's form).
#[tokio::test]
async fn the_customer() {
    let server = mock().await;
    let me = server.issue_customer();
    let (c, mut events) = connected(&server, &me.token).await;
    call::<t::UpdateCustomerRequest>(&c, json!({"name": "Ola"})).await;
    let AnyPush::CustomerUpdated(p) = push(&mut events, "customer_updated").await else {
        unreachable!()
    };
    assert_eq!(p.name.as_deref(), Some("Ola"));
    call::<t::SetCustomerSessionFieldsRequest>(&c, json!({"session_fields": [{"cart": "2"}]})).await;
    call::<t::UpdateCustomerPageRequest>(&c, json!({"url": "https://shop.example/pay", "title": "Pay"})).await;
    let got = js(&call::<t::GetCustomerRequest>(&c, json!({})).await);
    assert_eq!((&got["name"], &got["session_fields"]), (&json!("Ola"), &json!([{"cart": "2"}])));
    assert_eq!(got["statistics"]["page_views_count"], 1, "{got}");
    assert_eq!(server.problems(), Vec::<String>::new());
}

/// Rows: event `incoming_greeting`, `acceptGreeting`, event `greeting_accepted`,
/// `cancelGreeting`, event `greeting_canceled`, `sendGreetingButtonClicked`,
/// `requestWelcomeMessage`, event `incoming_welcome_message`, `getPredictedAgent` /
/// `get_predicted_agent`.
#[tokio::test]
async fn greetings_and_welcome_messages() {
    let server = mock().await;
    let me = server.issue_customer();
    let (c, mut events) = connected(&server, &me.token).await;
    let unique = server.agent().greet(&me.id, "Hello there").unwrap();
    let AnyPush::IncomingGreeting(g) = push(&mut events, "incoming_greeting").await else {
        unreachable!()
    };
    assert_eq!(g.0.unique_id, unique);
    call::<t::SendGreetingButtonClickedRequest>(&c, json!({"greeting_unique_id": unique, "button_id": "b1"})).await;
    call::<t::AcceptGreetingRequest>(&c, json!({"greeting_id": g.0.id, "unique_id": unique})).await;
    let AnyPush::GreetingAccepted(p) = push(&mut events, "greeting_accepted").await else {
        unreachable!()
    };
    assert_eq!(p.unique_id, unique);
    let unique = server.agent().greet(&me.id, "Still there?").unwrap();
    call::<t::CancelGreetingRequest>(&c, json!({"unique_id": unique})).await;
    let AnyPush::GreetingCanceled(p) = push(&mut events, "greeting_canceled").await else {
        unreachable!()
    };
    assert_eq!(p.unique_id, unique);
    assert_eq!(server.agent().greeting_status(&unique), Some(GreetingStatus::Canceled));

    let welcome = call::<t::RequestWelcomeMessageRequest>(&c, json!({"group_id": 0})).await;
    let AnyPush::IncomingWelcomeMessage(p) = push(&mut events, "incoming_welcome_message").await else {
        unreachable!()
    };
    assert_eq!(p.id, welcome.id);
    let predicted = call::<t::GetPredictedAgentRequest>(&c, json!({})).await;
    assert_eq!(js(&predicted.agent)["id"], server.agent().id());
    assert_eq!(server.problems(), Vec::<String>::new());
}

/// Rows: `listGroupStatuses` / `get_groups_status`, event `availability_updated`, `getForm` /
/// `get_form`, `getUrlInfo` / `get_url_details`, `sendRichMessagePostback` /
/// `send_rich_message_postback`, event `incoming_rich_message_postback`, and the pushes an
/// agent causes: `chat_transferred`, `queue_position_updated`, `user_added_to_chat`,
/// `user_removed_from_chat`, `event_updated`, `incoming_typing_indicator`,
/// `incoming_thinking_indicator`, `incoming_event_preview`; (keep-alive) `PingRequest`.
#[tokio::test]
async fn groups_forms_urls_postbacks_and_agent_pushes() {
    let server = mock().await;
    let me = server.issue_customer();
    let (c, mut events) = connected(&server, &me.token).await;
    let agent = server.agent();
    let statuses = call::<t::ListGroupStatusesRequest>(&c, json!({"all": true})).await;
    assert_eq!(js(&statuses)["groups_status"]["0"], "online");
    agent.set_group_status(0, "offline").unwrap();
    let AnyPush::GroupsStatusUpdated(p) = push(&mut events, "groups_status_updated").await else {
        unreachable!()
    };
    assert_eq!(js(&p.groups)[0]["status"], "offline");
    agent.set_form(0, "postchat", Some(json!({"id": "post", "fields": []}))).unwrap();
    let form = call::<t::GetFormRequest>(&c, json!({"group_id": 0, "type": "postchat"})).await;
    assert!(form.enabled);
    let info = call::<t::GetUrlInfoRequest>(&c, json!({"url": "https://www.example.com/a"})).await;
    assert_eq!(js(&info)["url"], "https://www.example.com/a");
    assert_eq!(js(&call::<t::PingRequest>(&c, json!({})).await), json!({}));

    agent.set_group_status(0, "online").unwrap();
    let s = call::<t::StartChatRequest>(&c, json!({})).await;
    let buttons =
        json!([{"title": "Ok?", "buttons": [{"text": "Yes", "type": "message", "value": "Yes", "postback_id": "yes", "user_ids": []}]}]);
    let rich = agent.send_rich_message(&s.chat_id, "quick_replies", buttons).unwrap();
    call::<t::SendRichMessagePostbackRequest>(
        &c,
        json!({"chat_id": s.chat_id, "thread_id": s.thread_id, "event_id": rich, "postback": {"id": "yes", "toggled": true}}),
    )
    .await;
    let AnyPush::IncomingRichMessagePostback(p) = push(&mut events, "incoming_rich_message_postback").await else {
        unreachable!()
    };
    assert_eq!(p.event_id, rich);

    let said = agent.send_message(&s.chat_id, "typo").unwrap();
    agent.edit_message(&s.chat_id, &said, "fixed").unwrap();
    let AnyPush::EventUpdated(p) = push(&mut events, "event_updated").await else {
        unreachable!()
    };
    assert_eq!(js(&p.event)["text"], "fixed");
    agent.typing(&s.chat_id, true).unwrap();
    assert!(matches!(
        push(&mut events, "incoming_typing_indicator").await,
        AnyPush::IncomingTypingIndicator(_)
    ));
    agent.thinking(&s.chat_id, Some("Looking")).unwrap();
    assert!(matches!(
        push(&mut events, "incoming_thinking_indicator").await,
        AnyPush::IncomingThinkingIndicator(_)
    ));
    agent.event_preview(&s.chat_id, "I am wri").unwrap();
    assert!(matches!(
        push(&mut events, "incoming_event_preview").await,
        AnyPush::IncomingEventPreview(_)
    ));
    agent.leave(&s.chat_id).unwrap();
    assert!(matches!(
        push(&mut events, "user_removed_from_chat").await,
        AnyPush::UserRemovedFromChat(_)
    ));
    agent.join(&s.chat_id).unwrap();
    assert!(matches!(push(&mut events, "user_added_to_chat").await, AnyPush::UserAddedToChat(_)));
    let to = TransferTo {
        group_ids: vec![0],
        ..TransferTo::default()
    };
    agent.transfer(&s.chat_id, &to, Some((3, 60))).unwrap();
    let AnyPush::ChatTransferred(p) = push(&mut events, "chat_transferred").await else {
        unreachable!()
    };
    assert_eq!(p.chat_id, s.chat_id);
    agent.update_queue(&s.chat_id, 1, 10).unwrap();
    let AnyPush::QueuePositionUpdated(p) = push(&mut events, "queue_position_updated").await else {
        unreachable!()
    };
    assert_eq!(js(&p.queue)["position"], 1);
    assert_eq!(server.problems(), Vec::<String>::new());
}

/// Rows: events `connection_unstable` and `connection_recovered`.
#[tokio::test]
async fn connection_unstable_then_recovered() {
    let server = mock().await;
    let me = server.issue_customer();
    let (_client, mut events) = builder(&server)
        .token(&me.token)
        .ping_interval(Duration::from_millis(100))
        .pong_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(_)));
    server.faults().stall_connections(Duration::from_millis(450));
    let _ = until(&mut events, |e| matches!(e, RtmEvent::ConnectionUnstable)).await;
    let _ = until(&mut events, |e| matches!(e, RtmEvent::ConnectionRecovered)).await;
}

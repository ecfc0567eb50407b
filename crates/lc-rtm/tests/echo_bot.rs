//! Runs the example bot (`examples/echo_bot.rs`) against lc-mock: a customer starts a chat with
//! a message and writes more; every message is echoed once, also after the server drops the
//! bot's connection with a survivable reason; a fatal reason ends the bot with its count.

mod common;

#[allow(dead_code)]
#[path = "../examples/echo_bot.rs"]
mod echo_bot;

use std::time::Duration;

use common::*;
use lc_mock::NewAgent;
use lc_rtm::RtmEvent;
use lc_types::v3_6::customer as c;
use serde_json::{json, Value};

/// The customer's next `incoming_event` whose text starts with `echo: `.
async fn echo(events: &mut lc_rtm::Events) -> String {
    let (event, _) = until(events, |e| {
        matches!(e, RtmEvent::Push(p) if serde_json::to_value(&p.push).unwrap()["event"]["text"].as_str().is_some_and(|t| t.starts_with("echo: ")))
    })
    .await;
    let RtmEvent::Push(p) = event else { unreachable!() };
    serde_json::to_value(&p.push).unwrap()["event"]["text"].as_str().unwrap().to_owned()
}

async fn say(customer: &lc_rtm::RtmClient, chat_id: &str, text: &str) {
    let request: c::SendEventRequest =
        lc_types::from_value(json!({"chat_id": chat_id, "event": {"type": "message", "text": text}})).unwrap();
    customer.call(&request).await.unwrap();
}

#[tokio::test]
async fn the_echo_bot_answers_every_customer_message_once() {
    let server = mock().await;
    let bot = server.issue_agent(NewAgent::new("bot@example.com", "Echo")).unwrap();
    let running = tokio::spawn(echo_bot::run(agent_builder(&server, &bot)));
    // Wait for the bot's login (the mock counts every RTM `login`).
    for _ in 0..100 {
        if server.rtm_requests("login") >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let me = server.issue_customer();
    let (customer, mut events) = connected(&server, &me.token).await;
    let start: c::StartChatRequest =
        lc_types::from_value(json!({"chat": {"thread": {"events": [{"type": "message", "text": "Hello?"}]}}})).unwrap();
    let chat_id = customer.call(&start).await.unwrap().chat_id;
    assert_eq!(echo(&mut events).await, "echo: Hello?");
    say(&customer, &chat_id, "Where is my order?").await;
    assert_eq!(echo(&mut events).await, "echo: Where is my order?");

    // A survivable reason: the bot reconnects by itself and goes on answering.
    assert_eq!(server.faults().disconnect_agent(&bot.agent_id, "internal_error", None), 1);
    for _ in 0..200 {
        if server.rtm_requests("login") >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    say(&customer, &chat_id, "Still there?").await;
    assert_eq!(echo(&mut events).await, "echo: Still there?");

    // A fatal reason: the bot stops and tells how many it answered, each once.
    assert_eq!(
        server
            .faults()
            .disconnect_agent(&bot.agent_id, "agent_disconnected_by_server", None),
        1
    );
    let answered = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(answered, 3);
    let history: Value = customer
        .call_value(lc_types::ApiVersion::V3_6, "get_chat", &json!({ "chat_id": chat_id }))
        .await
        .unwrap();
    let echoes: Vec<&str> = history["thread"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str().filter(|t| t.starts_with("echo: ")))
        .collect();
    assert_eq!(
        echoes,
        ["echo: Hello?", "echo: Where is my order?", "echo: Still there?"],
        "{history}"
    );
    assert_eq!(server.problems(), Vec::<String>::new());
}

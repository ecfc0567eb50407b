//! A complete bot over the Agent Chat RTM API: it logs in as an agent, joins every chat it is
//! offered, and answers every customer message with an echo, reconnecting whenever the API
//! allows, until the connection closes for good.
//!
//! ```sh
//! # Against `lc mock`: an agent from its control API; LC_PAT is the answer's account_id:pat
//! curl -X POST http://127.0.0.1:PORT/_lc/agents -d '{"id":"bot@example.com"}'
//! LC_PAT=ACCOUNT_ID:PAT LC_BASE_URL=http://127.0.0.1:PORT cargo run -p lc-rtm --features agent --example echo_bot
//! # Against LiveChat, with an agent's personal access token:
//! LC_PAT=ACCOUNT_ID:PAT cargo run -p lc-rtm --features agent --example echo_bot
//! ```
//!
//! Its test (`crates/lc-rtm/tests/echo_bot.rs`) runs it against lc-mock with a customer.

use std::collections::HashSet;

use lc_rtm::{Next, RtmClient, RtmClientBuilder, RtmEvent};
use lc_types::v3_6::agent::{
    AddUserToChatRequest, AnyPush, Event, EventInput, LoginResponse, MessageEventInput, SendEventRequest, UserType,
};
use lc_types::v3_6::Visibility;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pat = std::env::var("LC_PAT").map_err(|_| "set LC_PAT=ACCOUNT_ID:PAT (an agent's personal access token)")?;
    let (account, token) = pat.split_once(':').ok_or("LC_PAT is ACCOUNT_ID:PAT")?;
    let mut builder = RtmClient::agent_builder().personal_access_token(account, token);
    if let Ok(url) = std::env::var("LC_BASE_URL") {
        builder = builder.base_url(url);
    }
    let answered = run(builder).await?;
    println!("closed for good after {answered} answers");
    Ok(())
}

/// Runs the bot on the connection `builder` describes; returns how many messages it answered
/// when the connection closes for good.
pub(crate) async fn run(builder: RtmClientBuilder) -> Result<usize, lc_rtm::Error> {
    let (client, mut events) = builder.application("echo_bot", "1.0").build()?;
    let (mut me, mut joined, mut answered) = (String::new(), HashSet::new(), 0);
    while let Some(event) = events.next().await {
        match &event {
            RtmEvent::Connected(c) => {
                let login: LoginResponse = c.login.decode()?;
                me = login.my_profile.map(|p| p.id).unwrap_or_default();
                if me.is_empty() {
                    println!("the login named no agent: stopping (the bot could not tell its own messages)");
                    break;
                }
                println!("logged in as {me}");
            }
            RtmEvent::Disconnected(d) => {
                println!("disconnected: {}", d.cause.describe());
                if d.next == Next::Stop {
                    break;
                }
            }
            _ => {}
        }
        // A new chat brings its first messages; a new event, one more.
        let (chat_id, texts): (String, Vec<String>) = match event.push() {
            Some(AnyPush::IncomingChat(push)) => {
                let events = push.chat.thread.iter().flatten().flat_map(|t| t.events.iter().flatten());
                (push.chat.id.clone(), events.filter_map(|e| text_of(e, &me)).collect())
            }
            Some(AnyPush::IncomingEvent(push)) => match text_of(&push.event, &me) {
                Some(text) => (push.chat_id.clone(), vec![text]),
                None => continue,
            },
            _ => continue,
        };
        if joined.insert(chat_id.clone()) {
            let mut join = AddUserToChatRequest::new(chat_id.clone(), me.clone(), UserType::Agent, Visibility::All);
            join.ignore_requester_presence = Some(true);
            if let Err(e) = client.call(&join).await {
                println!("could not join {chat_id}: {e}");
                joined.remove(&chat_id);
                continue;
            }
        }
        for text in texts {
            let echo = EventInput::Message(MessageEventInput::new(format!("echo: {text}")));
            match client.call(&SendEventRequest::new(chat_id.clone(), echo)).await {
                Ok(_) => answered += 1,
                Err(e) => println!("could not answer in {chat_id}: {e}"),
            }
        }
    }
    client.shutdown().await;
    Ok(answered)
}

/// The text of a message someone else wrote (not the bot itself).
fn text_of(event: &Event, me: &str) -> Option<String> {
    match event {
        Event::Message(m) if m.author_id.as_deref() != Some(me) => m.text.clone(),
        _ => None,
    }
}

//! A customer's chat over the RTM API: connect, start a chat, send a message, print pushes as
//! they arrive, survive a disconnect, stop after a bound.
//!
//! ```sh
//! # On a fresh clone: an embedded lc-mock plays the agent and drops the connection once.
//! cargo run -p lc-rtm --example chat
//! # Against LiveChat (a customer access token, e.g. from the customer accounts API):
//! LC_ORGANIZATION_ID=... LC_TOKEN=dal:... cargo run -p lc-rtm --example chat
//! ```
//!
//! Environment: `LC_ORGANIZATION_ID`, `LC_TOKEN` (when unset, the embedded mock is used),
//! `LC_BASE_URL` (default: the production API host), `LC_CHAT_SECONDS` (how long to listen;
//! default 60 against LiveChat, 10 at most with the mock, which ends as soon as its script has
//! played).

use std::time::Duration;

use lc_rtm::{Next, RtmClient, RtmEvent};
use lc_types::v3_6::customer::{self, AnyPush, GetCustomerRequest, MessageEventInput, SendEventRequest, StartChatRequest, User};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds = std::env::var("LC_CHAT_SECONDS").ok().and_then(|s| s.parse().ok());
    let transcript = match std::env::var("LC_TOKEN") {
        Ok(token) => {
            let organization = std::env::var("LC_ORGANIZATION_ID").map_err(|_| "LC_ORGANIZATION_ID is needed with LC_TOKEN")?;
            let mut builder = RtmClient::builder(organization).token(token);
            if let Ok(url) = std::env::var("LC_BASE_URL") {
                builder = builder.base_url(url);
            }
            chat(builder, None, Duration::from_secs(seconds.unwrap_or(60)), &mut Print).await?
        }
        Err(_) => {
            println!("LC_TOKEN is not set: using an embedded lc-mock that plays the agent");
            with_mock(Duration::from_secs(seconds.unwrap_or(10)), &mut Print).await?
        }
    };
    println!("done: {} lines", transcript.len());
    Ok(())
}

/// Where the example's lines go: stdout, and a transcript the test reads.
trait Out {
    fn line(&mut self, line: String);
}

struct Print;

impl Out for Print {
    fn line(&mut self, line: String) {
        println!("{line}");
    }
}

/// The agent's side, played on the embedded mock in reaction to what the customer sees.
struct Agent {
    server: lc_mock::MockServer,
    step: u8,
}

impl Agent {
    /// Reacts to an event of the customer's; `true` when the script is over.
    fn react(&mut self, event: &RtmEvent, chat_id: &str) -> bool {
        let agent = self.server.agent();
        match (self.step, event) {
            // The customer's own message came back as a push: the agent answers.
            (0, event) if message(event).is_some_and(|(author, _)| author != agent.id()) => {
                agent
                    .send_message(chat_id, "Hi, I'm Ada. Let me check your order.")
                    .expect("the agent answers");
                self.step = 1;
            }
            // The agent's answer arrived: the network fails.
            (1, event) if message(event).is_some_and(|(author, _)| author == agent.id()) => {
                self.server.faults().drop_connections();
                self.step = 2;
            }
            // The client is back: the agent goes on.
            (2, RtmEvent::Connected(c)) if c.reconnect => {
                agent
                    .send_message(chat_id, "Back again? Your order ships today.")
                    .expect("the agent answers");
                self.step = 3;
            }
            (3, event) if message(event).is_some_and(|(author, _)| author == agent.id()) => return true,
            _ => {}
        }
        false
    }
}

/// Starts the embedded mock and chats with it; the transcript.
async fn with_mock(bound: Duration, out: &mut dyn Out) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    let customer = server.issue_customer();
    let builder = RtmClient::builder(server.organization_id())
        .base_url(format!("http://{}", server.addr()))
        .token(customer.token);
    let mut agent = Agent { server, step: 0 };
    chat(builder, Some(&mut agent), bound, out).await
}

/// The author and text of a message push (the connection speaks v3.6).
fn message(event: &RtmEvent) -> Option<(&str, &str)> {
    match event.push() {
        Some(AnyPush::IncomingEvent(e)) => match &e.event {
            customer::Event::Message(m) => Some((m.author_id.as_deref().unwrap_or_default(), m.text.as_deref()?)),
            _ => None,
        },
        _ => None,
    }
}

/// The customer's side: connect, start a chat, send a message, then print events until `bound`
/// passes (or the mock's script is over). Gives the lines printed.
async fn chat(
    builder: lc_rtm::RtmClientBuilder,
    mut agent: Option<&mut Agent>,
    bound: Duration,
    out: &mut dyn Out,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut transcript = Vec::new();
    let mut say = |line: String| {
        out.line(line.clone());
        transcript.push(line);
    };
    let (client, mut events) = builder.build()?;
    client.wait_connected(Duration::from_secs(10)).await?;
    let me = match &*client.call(&GetCustomerRequest::default()).await? {
        User::Customer(c) => c.id.clone(),
        other => return Err(format!("get_customer gave {other:?}").into()),
    };
    say(format!("connected as customer {me}"));
    let chat = client.call(&StartChatRequest::default()).await?;
    say(format!("started chat {}", chat.chat_id));
    let hello = SendEventRequest::new(chat.chat_id.clone(), MessageEventInput::new("Hello! Where is my order?"));
    client.call(&hello).await?;

    let until = tokio::time::Instant::now() + bound;
    loop {
        let event = match tokio::time::timeout_at(until, events.next()).await {
            Ok(Some(event)) => event,
            Ok(None) => {
                say("the connection ended".to_owned());
                break;
            }
            Err(_) => {
                say(format!("{bound:?} passed"));
                break;
            }
        };
        say(describe(&event, &me));
        if agent.as_mut().is_some_and(|a| a.react(&event, &chat.chat_id)) {
            say("the agent's script is over".to_owned());
            break;
        }
    }
    client.destroy();
    Ok(transcript)
}

/// One line for an event.
fn describe(event: &RtmEvent, me: &str) -> String {
    match event {
        RtmEvent::Connected(c) if c.reconnect => "reconnected and logged in again".to_owned(),
        RtmEvent::Connected(_) => "connected".to_owned(),
        RtmEvent::Push(p) => match message(event) {
            Some((author, text)) if author == me => format!("you: {text}"),
            Some((_, text)) => format!("agent: {text}"),
            None => format!("push {}", p.push.name()),
        },
        RtmEvent::Disconnected(d) => match d.next {
            Next::Reconnect { delay, attempt, .. } => {
                format!("disconnected ({}); reconnect attempt {attempt} in {delay:?}", d.cause.describe())
            }
            Next::WaitForConnect => format!("disconnected ({}); waiting for connect()", d.cause.describe()),
            Next::Stop => format!("disconnected for good ({})", d.cause.describe()),
            _ => format!("disconnected ({})", d.cause.describe()),
        },
        RtmEvent::ConnectionUnstable => "the connection is silent...".to_owned(),
        RtmEvent::ConnectionRecovered => "the connection is back".to_owned(),
        RtmEvent::RegionChanged(r) => format!("moved to region {}", r.as_str()),
        RtmEvent::UndecodedPush { frame, error } => format!("push {} did not decode: {error}", frame.action),
        RtmEvent::UnexpectedFrame(text) => format!("unexpected frame: {text}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;

    impl Out for Quiet {
        fn line(&mut self, _: String) {}
    }

    /// The example's script against the embedded mock: the chat starts, both messages arrive,
    /// the dropped connection is announced and followed by a reconnect, and the agent's message
    /// after it arrives too; all before the bound.
    #[tokio::test]
    async fn the_chat_survives_a_dropped_connection() {
        let lines = with_mock(Duration::from_secs(10), &mut Quiet).await.unwrap();
        let at = |want: &str| {
            lines
                .iter()
                .position(|l| l.starts_with(want))
                .unwrap_or_else(|| panic!("no line `{want}` in {lines:#?}"))
        };
        let order = [
            at("started chat"),
            at("you: Hello! Where is my order?"),
            at("agent: Hi, I'm Ada."),
            at("disconnected (the connection closed"),
            at("reconnected and logged in again"),
            at("agent: Back again? Your order ships today."),
            at("the agent's script is over"),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "out of order: {lines:#?}");
        assert!(
            lines.iter().all(|l| !l.contains("did not decode") && !l.starts_with("unexpected")),
            "{lines:#?}"
        );
    }
}

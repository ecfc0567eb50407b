//! Starts a chat and sends a message.
//!
//! Against an embedded `lc-mock` by default (an agent answers, and the chat is read back);
//! against LiveChat when `LC_ORGANIZATION_ID` and `LC_TOKEN` (a customer access token) are set:
//!
//! ```sh
//! cargo run -p lc-web --example chat
//! LC_ORGANIZATION_ID=… LC_TOKEN=dal:… cargo run -p lc-web --example chat
//! ```

use lc_types::v3_6::customer::{GetChatRequest, MessageEventInput, SendEventRequest, StartChatRequest};
use lc_web::WebClient;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = match (std::env::var("LC_ORGANIZATION_ID"), std::env::var("LC_TOKEN")) {
        (Ok(org), Ok(token)) => Some((org, token)),
        _ => None,
    };
    let mock = match live {
        Some(_) => None,
        None => Some(lc_mock::MockServer::start(lc_mock::Config::default()).await?),
    };
    let client = match (&live, &mock) {
        (Some((org, token)), _) => WebClient::builder(org.as_str()).token(token.as_str()).build()?,
        (None, Some(server)) => WebClient::builder(server.organization_id())
            .base_url(format!("http://{}", server.addr()))
            .token(server.issue_token())
            .build()?,
        (None, None) => unreachable!(),
    };

    let chat = client.call(&StartChatRequest::default()).await?;
    println!("started chat {} (thread {})", chat.chat_id, chat.thread_id);
    let (sent, meta) = client
        .call_with_meta(&SendEventRequest::new(
            chat.chat_id.clone(),
            MessageEventInput::new("Hello from lc-web!"),
        ))
        .await?;
    println!("sent event {} (HTTP {}, {:?})", sent.event_id, meta.status, meta.http_version);

    if let Some(server) = &mock {
        // `lc_mock::Refusal` is an error type: `?` boxes it.
        server.agent().send_message(&chat.chat_id, "Hi! How can I help?")?;
        let got = client.call(&GetChatRequest::new(chat.chat_id.clone())).await?;
        let thread = serde_json::to_value(&got)?;
        for event in thread["thread"]["events"].as_array().into_iter().flatten() {
            println!(
                "  {}: {}",
                event["author_id"].as_str().unwrap_or("?"),
                event["text"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

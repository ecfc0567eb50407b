//! Reads a chat's history as a stream of threads, newest first, page by page.
//!
//! Against an embedded `lc-mock` (where it first makes a chat of a few threads), or against
//! LiveChat when `LC_ORGANIZATION_ID`, `LC_TOKEN` and `LC_CHAT_ID` are set:
//!
//! ```sh
//! cargo run -p lc-rtm --example history
//! LC_ORGANIZATION_ID=… LC_TOKEN=dal:… LC_CHAT_ID=PJ0MRSHTDG cargo run -p lc-rtm --example history
//! ```

use std::time::Duration;

use futures_util::StreamExt;
use lc_rtm::RtmClient;
use lc_types::v3_6::customer::{ChatToResume, DeactivateChatRequest, ListThreadsRequest, ResumeChatRequest, StartChatRequest};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = match (
        std::env::var("LC_ORGANIZATION_ID"),
        std::env::var("LC_TOKEN"),
        std::env::var("LC_CHAT_ID"),
    ) {
        (Ok(org), Ok(token), Ok(chat)) => Some((org, token, chat)),
        _ => None,
    };
    let mock = match live {
        Some(_) => None,
        None => Some(lc_mock::MockServer::start(lc_mock::Config::default()).await?),
    };
    let (client, _events) = match (&live, &mock) {
        (Some((org, token, _)), _) => RtmClient::builder(org.as_str()).token(token.as_str()).build()?,
        (None, Some(server)) => RtmClient::builder(server.organization_id())
            .base_url(format!("http://{}", server.addr()))
            .token(server.issue_token())
            .build()?,
        (None, None) => unreachable!(),
    };
    client.wait_connected(Duration::from_secs(10)).await?;
    let chat_id = match &live {
        Some((_, _, chat)) => chat.clone(),
        None => {
            // A chat of three threads: start, then close and resume twice.
            let chat = client.call(&StartChatRequest::default()).await?.chat_id;
            for _ in 0..2 {
                client.call(&DeactivateChatRequest::new(chat.clone())).await?;
                client.call(&ResumeChatRequest::new(ChatToResume::new(chat.clone()))).await?;
            }
            chat
        }
    };
    let mut history = std::pin::pin!(client.history::<ListThreadsRequest>(&chat_id));
    let mut threads = 0;
    while let Some(thread) = history.next().await {
        let thread = thread?;
        threads += 1;
        let events = thread.events.as_ref().map_or(0, Vec::len);
        println!(
            "thread {} created {} ({events} events, active: {})",
            thread.id, thread.created_at, thread.active
        );
    }
    println!("{threads} thread(s) in chat {chat_id}, newest first");
    client.destroy();
    Ok(())
}

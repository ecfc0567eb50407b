//! What lc-rtm offers beyond the actions, as @livechat/customer-sdk does: the chat history
//! stream, rating, sneak peeks, page changes.

mod common;

use common::*;
use futures_util::StreamExt;
use lc_rtm::{ErrorKind, Rating};
use lc_types::v3_6;
use serde_json::json;

#[tokio::test]
async fn history_gives_every_thread_newest_first_across_pages_and_ends() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    let chat = client.call(&v3_6::StartChatRequest::default()).await.unwrap();
    let mut threads = vec![chat.thread_id.clone()];
    for _ in 0..11 {
        client.call(&v3_6::DeactivateChatRequest::new(chat.chat_id.clone())).await.unwrap();
        let resumed = client
            .call(&v3_6::ResumeChatRequest::new(v3_6::ChatToResume::new(chat.chat_id.clone())))
            .await
            .unwrap();
        threads.push(resumed.thread_id);
    }
    threads.reverse();

    let history: Vec<_> = client.history::<v3_6::ListThreadsRequest>(&chat.chat_id).collect().await;
    let ids: Vec<String> = history.into_iter().map(|t| t.unwrap().id).collect();
    assert_eq!(ids, threads, "12 threads over two pages of 10, newest first, each once");

    let mut missing = std::pin::pin!(client.history::<v3_6::ListThreadsRequest>("NO_SUCH_CHAT"));
    let err = missing.next().await.unwrap().unwrap_err();
    assert!(err.api_error().is_some(), "{err}");
    assert!(missing.next().await.is_none(), "the stream ends after its error");
}

#[tokio::test]
async fn rate_chat_sets_and_cancel_rate_removes_the_rating_properties() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    let chat = client.call(&v3_6::StartChatRequest::default()).await.unwrap();
    let rating = |client: lc_rtm::RtmClient, chat_id: String| async move {
        let got = client.call(&v3_6::GetChatRequest::new(chat_id)).await.unwrap();
        let v = serde_json::to_value(&got).unwrap();
        v["thread"]["properties"]["rating"].clone()
    };

    client
        .rate_chat(&chat.chat_id, Some(Rating::Good), Some("Quick and kind"))
        .await
        .unwrap();
    assert_eq!(
        rating(client.clone(), chat.chat_id.clone()).await,
        json!({"score": 1, "comment": "Quick and kind"})
    );
    client.rate_chat(&chat.chat_id, Some(Rating::Bad), None).await.unwrap();
    assert_eq!(rating(client.clone(), chat.chat_id.clone()).await["score"], json!(0));
    client.cancel_rate(&chat.chat_id).await.unwrap();
    let after = rating(client.clone(), chat.chat_id.clone()).await;
    assert!(after.is_null() || after == json!({}), "{after}");

    let err = client.rate_chat(&chat.chat_id, None, None).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput(_)), "{err}");
}

#[tokio::test]
async fn a_sneak_peek_goes_out_without_waiting() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    let chat = client.call(&v3_6::StartChatRequest::default()).await.unwrap();
    client.set_sneak_peek(&chat.chat_id, "I would like to ask");
    // A call after it is answered after it (one connection, in order).
    client.call(&v3_6::GetCustomerRequest::default()).await.unwrap();
    assert_eq!(server.agent().sneak_peek(&chat.chat_id).as_deref(), Some("I would like to ask"));
}

#[tokio::test]
async fn update_customer_page_is_sent() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    let response = client
        .update_customer_page("https://shop.example/cart", Some("Cart"))
        .await
        .unwrap();
    assert!(response.is_object(), "{response}");
}

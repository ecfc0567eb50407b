//! What lc-rtm offers beyond the actions, as @livechat/customer-sdk does: the chat history
//! stream, rating, sneak peeks, page changes, the availability at login.

mod common;

use common::*;
use futures_util::StreamExt;
use lc_rtm::{Availability, ErrorKind, Rating, RatingPart, RtmEvent};
use lc_types::v3_6;
use serde_json::json;

#[tokio::test]
async fn history_gives_every_thread_newest_first_across_pages_and_ends() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    let chat = client.call(&v3_6::customer::StartChatRequest::default()).await.unwrap();
    let mut threads = vec![chat.thread_id.clone()];
    for _ in 0..11 {
        client
            .call(&v3_6::customer::DeactivateChatRequest::new(chat.chat_id.clone()))
            .await
            .unwrap();
        let resumed = client
            .call(&v3_6::customer::ResumeChatRequest::new(v3_6::customer::ChatToResume::new(
                chat.chat_id.clone(),
            )))
            .await
            .unwrap();
        threads.push(resumed.thread_id);
    }
    threads.reverse();

    let history: Vec<_> = client.history::<v3_6::customer::ListThreadsRequest>(&chat.chat_id).collect().await;
    let ids: Vec<String> = history.into_iter().map(|t| t.unwrap().id).collect();
    assert_eq!(ids, threads, "12 threads over two pages of 10, newest first, each once");

    let mut missing = std::pin::pin!(client.history::<v3_6::customer::ListThreadsRequest>("NO_SUCH_CHAT"));
    let err = missing.next().await.unwrap().unwrap_err();
    assert!(err.api_error().is_some(), "{err}");
    assert!(missing.next().await.is_none(), "the stream ends after its error");
}

#[tokio::test]
async fn rate_chat_sets_and_cancel_rate_removes_the_rating_properties() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    let chat = client.call(&v3_6::customer::StartChatRequest::default()).await.unwrap();
    let rating = |client: lc_rtm::RtmClient, chat_id: String| async move {
        let got = client.call(&v3_6::customer::GetChatRequest::new(chat_id)).await.unwrap();
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
    client.rate_chat(&chat.chat_id, None, Some("Slow")).await.unwrap();
    // Like the customer-sdk's cancelRate({ chatId, properties }): the parts named go, the
    // others stay.
    client.cancel_rate(&chat.chat_id, &[RatingPart::Score]).await.unwrap();
    assert_eq!(rating(client.clone(), chat.chat_id.clone()).await, json!({"comment": "Slow"}));
    client
        .cancel_rate(&chat.chat_id, &[RatingPart::Score, RatingPart::Comment])
        .await
        .unwrap();
    let after = rating(client.clone(), chat.chat_id.clone()).await;
    assert!(after.is_null() || after == json!({}), "{after}");
    let err = client.cancel_rate(&chat.chat_id, &[]).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput), "{err}");

    let err = client.rate_chat(&chat.chat_id, None, None).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidInput), "{err}");
}

#[tokio::test]
async fn a_sneak_peek_goes_out_without_waiting() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    let chat = client.call(&v3_6::customer::StartChatRequest::default()).await.unwrap();
    client.set_sneak_peek(&chat.chat_id, "I would like to ask");
    // A call after it is answered after it (one connection, in order).
    client.call(&v3_6::customer::GetCustomerRequest::default()).await.unwrap();
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

/// customer-sdk's `connected` carries `availability`: online when the customer's group is.
#[tokio::test]
async fn connected_says_whether_the_customers_group_is_online() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, mut events) = builder(&server).token(&customer.token).group_id(3).build().unwrap();
    let RtmEvent::Connected(c) = next(&mut events).await else {
        panic!("connected")
    };
    // Group 0 is online, the customer's group 3 does not exist yet: offline.
    assert_eq!(c.availability(), Some(Availability::Offline));
    server.agent().set_group_status(3, "online").unwrap();
    client.disconnect();
    client.connect();
    let (RtmEvent::Connected(c), _) = until(&mut events, |e| matches!(e, RtmEvent::Connected(_))).await else {
        unreachable!()
    };
    assert_eq!(c.availability(), Some(Availability::Online));
    // Every group offline: the server leaves the list out; the SDK reads that as offline.
    server.agent().set_group_status(3, "offline").unwrap();
    server.agent().set_group_status(0, "offline").unwrap();
    client.disconnect();
    client.connect();
    let (RtmEvent::Connected(c), _) = until(&mut events, |e| matches!(e, RtmEvent::Connected(_))).await else {
        unreachable!()
    };
    assert_eq!(c.availability(), Some(Availability::Offline));
    assert_eq!(server.problems(), Vec::<String>::new());
}

//! `lc-rtm` against `lc-mock` on loopback: login, typed calls and pushes, dropped connections,
//! dead-connection detection, token refresh, region switch, the in-flight limit, the queue
//! bound, timeouts.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use lc_rtm::{Backoff, Cause, ConnectionState, ErrorKind, Next, RtmEvent};
use lc_types::auth::{token_fn, AccessToken};
use lc_types::v3_6::customer::{self, AnyPush};
use lc_types::{Region, VersionedPush};

#[tokio::test]
async fn logs_in_calls_typed_and_receives_typed_pushes() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, mut events) = connected(&server, &customer.token).await;
    assert_eq!(client.state(), lc_rtm::ConnectionState::Active);

    let me = client.call(&customer::GetCustomerRequest::default()).await.unwrap();
    assert_eq!(me.customer_id(), customer.id);
    let chat = client.call(&customer::StartChatRequest::default()).await.unwrap();
    let (_, skipped) = until(&mut events, |e| matches!(e, RtmEvent::Push(p) if p.push.name() == "incoming_chat")).await;
    assert!(skipped.is_empty(), "{skipped:?}");

    server.agent().send_message(&chat.chat_id, "Hello from the agent").unwrap();
    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Push(p) if p.push.name() == "incoming_event")).await;
    // The connection's version takes its pushes out in one pattern (the version inferred from it);
    // another version's enum gets nothing.
    let Some(AnyPush::IncomingEvent(push)) = event.push() else {
        panic!("{event:?}")
    };
    assert!(event.push::<lc_types::v3_5::customer::AnyPush>().is_none());
    let RtmEvent::Push(p) = &event else { unreachable!() };
    assert!(matches!(&p.push, VersionedPush::V3_6(AnyPush::IncomingEvent(_))));
    assert_eq!(push.chat_id, chat.chat_id);
    let customer::Event::Message(m) = &push.event else {
        panic!("{:?}", push.event)
    };
    assert_eq!(m.text.as_deref(), Some("Hello from the agent"));
    assert!(p.request_id.is_none(), "the agent's push carries no request id of ours");
    // By value too (for stream adapters).
    assert!(matches!(event.into_push(), Some(AnyPush::IncomingEvent(p)) if p.chat_id == chat.chat_id));
    assert!(server.problems().is_empty(), "{:?}", server.problems());
}

#[tokio::test]
async fn requests_of_older_versions_are_refused_before_sending_and_newer_ones_name_theirs() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    let err = client
        .call(&lc_types::v3_5::customer::GetCustomerRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Version), "{err}");
    let newer = client.call(&lc_types::v3_7::customer::GetCustomerRequest::default()).await.unwrap();
    assert_eq!(newer.customer_id(), customer.id);
}

#[tokio::test]
async fn a_dropped_connection_fails_calls_in_flight_at_once_then_reconnects_and_pushes_resume() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, mut events) = connected(&server, &customer.token).await;
    let chat = client.call(&customer::StartChatRequest::default()).await.unwrap();

    server.faults().delay_responses(Duration::from_secs(3));
    let pending = {
        let client = client.clone();
        tokio::spawn(async move { client.call(&customer::GetCustomerRequest::default()).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let dropped_at = Instant::now();
    server.faults().drop_connections();
    let err = pending.await.unwrap().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ConnectionLost), "{err}");
    assert!(dropped_at.elapsed() < Duration::from_secs(1), "failed at once, not at the timeout");
    server.faults().clear();

    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Disconnected(_))).await;
    let RtmEvent::Disconnected(d) = event else { unreachable!() };
    assert!(matches!(d.cause, Cause::SocketClosed { code: None, .. }), "{:?}", d.cause);
    assert!(
        matches!(
            d.next,
            Next::Reconnect {
                attempt: 1,
                new_token: false,
                ..
            }
        ),
        "{:?}",
        d.next
    );
    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Connected(_))).await;
    assert!(matches!(event, RtmEvent::Connected(ref c) if c.reconnect));

    server.agent().send_message(&chat.chat_id, "still there?").unwrap();
    let (_, skipped) = until(&mut events, |e| matches!(e, RtmEvent::Push(p) if p.push.name() == "incoming_event")).await;
    assert_eq!(push_names(&skipped), ["user_added_to_chat"], "the agent joins first");
    assert_eq!(
        client.call(&customer::GetCustomerRequest::default()).await.unwrap().customer_id(),
        customer.id
    );
}

#[tokio::test]
async fn silence_is_detected_as_unstable_then_recovered_or_reconnected() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, mut events) = builder(&server)
        .token(&customer.token)
        .ping_interval(Duration::from_millis(100))
        .pong_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(_)));

    // A short stall: unstable, then recovered, on the same connection.
    server.faults().stall_connections(Duration::from_millis(450));
    let (_, skipped) = until(&mut events, |e| matches!(e, RtmEvent::ConnectionUnstable)).await;
    assert!(skipped.is_empty(), "{skipped:?}");
    let (_, skipped) = until(&mut events, |e| matches!(e, RtmEvent::ConnectionRecovered)).await;
    assert!(skipped.is_empty(), "{skipped:?}");

    // A long one: unstable, then the client gives up on the connection and reconnects.
    server.faults().stall_connections(Duration::from_millis(1500));
    let (_, _) = until(&mut events, |e| matches!(e, RtmEvent::ConnectionUnstable)).await;
    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Disconnected(_))).await;
    let RtmEvent::Disconnected(d) = event else { unreachable!() };
    assert_eq!(d.cause, Cause::Unresponsive);
    assert!(matches!(d.next, Next::Reconnect { .. }));
    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Connected(_))).await;
    assert!(matches!(event, RtmEvent::Connected(ref c) if c.reconnect));
    assert_eq!(
        client.call(&customer::GetCustomerRequest::default()).await.unwrap().customer_id(),
        customer.id
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_before_reconnecting() {
    let server = Arc::new(mock().await);
    let customer = server.issue_customer();
    let calls = Arc::new(AtomicUsize::new(0));
    let refreshes = Arc::new(AtomicUsize::new(0));
    let provider = {
        let (server, id, first) = (server.clone(), customer.id.clone(), customer.token.clone());
        let (calls, refreshes) = (calls.clone(), refreshes.clone());
        token_fn(move |refresh| {
            calls.fetch_add(1, Ordering::SeqCst);
            let token = if refresh {
                refreshes.fetch_add(1, Ordering::SeqCst);
                server.issue_token_for(&id)
            } else {
                first.clone()
            };
            async move { Ok(AccessToken::new(token)) }
        })
    };
    let (client, mut events) = builder(&server).token_provider(provider).build().unwrap();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(_)));

    server.expire_token(&customer.token);
    assert_eq!(server.agent().disconnect(&customer.id, "access_token_expired", None), 1);
    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Disconnected(_))).await;
    let RtmEvent::Disconnected(d) = event else { unreachable!() };
    assert!(matches!(d.next, Next::Reconnect { new_token: true, .. }), "{:?}", d.next);
    let (event, skipped) = until(&mut events, |e| matches!(e, RtmEvent::Connected(_))).await;
    assert!(
        matches!(event, RtmEvent::Connected(ref c) if c.reconnect),
        "{event:?} after {skipped:?}"
    );
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        client.call(&customer::GetCustomerRequest::default()).await.unwrap().customer_id(),
        customer.id
    );
}

#[tokio::test]
async fn a_misdirected_connection_moves_to_the_region_the_server_names() {
    let server = mock().await;
    let customer = server.issue_customer();
    assert!(customer.token.starts_with("dal:"));
    let (client, mut events) = connected(&server, &customer.token).await;

    server.set_region("fra");
    server.faults().drop_connections();
    let (event, skipped) = until(&mut events, |e| matches!(e, RtmEvent::RegionChanged(_))).await;
    assert!(matches!(event, RtmEvent::RegionChanged(ref r) if *r == Region::FRA), "{event:?}");
    assert!(
        skipped.iter().any(|e| matches!(e, RtmEvent::Disconnected(d) if matches!(&d.cause, Cause::Server { reason, .. } if reason == "misdirected_connection"))),
        "{skipped:?}"
    );
    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Connected(_))).await;
    assert!(matches!(event, RtmEvent::Connected(ref c) if c.reconnect));
    assert_eq!(
        client.call(&customer::GetCustomerRequest::default()).await.unwrap().customer_id(),
        customer.id
    );
}

#[tokio::test]
async fn twenty_five_concurrent_calls_never_put_more_than_ten_on_the_wire() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    server.faults().delay_responses(Duration::from_millis(100));
    let calls = (0..25).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.call(&customer::GetCustomerRequest::default()).await })
    });
    for call in calls.collect::<Vec<_>>() {
        let response = call.await.unwrap().expect("no call is refused with pending_requests_limit_reached");
        assert_eq!(response.customer_id(), customer.id);
    }
    let max = server.faults().max_in_flight();
    assert!((2..=10).contains(&max), "the server saw {max} requests in flight at once");
}

/// Calls wait in the client at most `max_queued_calls` deep: with the mock answering slowly,
/// 10 go on the wire, 5 wait, and the 16th fails at once with `QueueFull`, never sent; the
/// others all get their answers. While reconnecting the same bound holds.
#[tokio::test]
async fn calls_beyond_the_queue_bound_fail_at_once_and_are_not_sent() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, mut events) = builder(&server).token(&customer.token).max_queued_calls(5).build().unwrap();
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    let request = customer::GetCustomerRequest::default();
    let queue_full = |r: &Result<_, lc_rtm::Error>| matches!(r, Err(e) if matches!(e.kind(), ErrorKind::QueueFull(5)) && e.is_retryable());

    // Active, answers delayed: 10 on the wire, 5 waiting, the 16th refused.
    server.faults().delay_responses(Duration::from_millis(300));
    let before = server.rtm_requests("get_customer");
    let results = futures_util::future::join_all((0..16).map(|_| client.call(&request))).await;
    assert!(results[..15].iter().all(Result::is_ok), "{results:?}");
    assert!(queue_full(&results[15]), "{:?}", results[15]);
    assert_eq!(server.rtm_requests("get_customer") - before, 15, "the refused call was not sent");
    assert!(server.faults().max_in_flight() <= 10);
    server.faults().clear();

    // Reconnecting (new connections refused for a while): 5 wait for the connection, the 6th
    // fails at once; the 5 go out once the client is back.
    server.faults().refuse_connections(Duration::from_millis(600));
    server.faults().drop_connections();
    until(
        &mut events,
        |e| matches!(e, RtmEvent::Disconnected(d) if matches!(d.next, Next::Reconnect { .. })),
    )
    .await;
    let started = Instant::now();
    let timed = (0..6).map(|_| async {
        let result = client.call(&request).await;
        (result, started.elapsed())
    });
    let results = futures_util::future::join_all(timed).await;
    let (refused, at) = &results[5];
    assert!(queue_full(refused), "{refused:?}");
    assert!(*at < Duration::from_millis(300), "refused at once, not after {at:?}");
    for (result, at) in &results[..5] {
        assert_eq!(result.as_ref().unwrap().customer_id(), customer.id);
        assert!(*at >= Duration::from_millis(300), "answered after the reconnect: {at:?}");
    }
    assert!(server.problems().is_empty(), "{:?}", server.problems());
}

#[tokio::test]
async fn a_delayed_response_times_out_and_the_connection_stays_up() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    server.faults().delay_responses(Duration::from_millis(800));
    let err = client
        .call_with_timeout(&customer::GetCustomerRequest::default(), Some(Duration::from_millis(150)))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Timeout(_)), "{err}");
    server.faults().clear();
    assert_eq!(
        client.call(&customer::GetCustomerRequest::default()).await.unwrap().customer_id(),
        customer.id
    );
    assert_eq!(client.state(), lc_rtm::ConnectionState::Active);
}

/// Ten `update_customer` calls of ~1 MB each, made at once: against a mock that stopped
/// reading, they fill loopback's socket buffers, so the client's writes cannot finish. Each gives
/// its result and when it came.
fn ten_calls_of_a_megabyte(
    client: &lc_rtm::RtmClient,
    timeout: Option<Duration>,
) -> tokio::task::JoinSet<(Result<(), lc_rtm::Error>, Duration)> {
    let started = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let client = client.clone();
        let mut request = customer::UpdateCustomerRequest::default();
        request.name = Some("n".repeat(1_000_000));
        calls.spawn(async move { (client.call_with_timeout(&request, timeout).await.map(drop), started.elapsed()) });
    }
    calls
}

#[tokio::test]
async fn a_peer_that_stops_reading_holds_no_call_past_its_timeout() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    server.faults().stall_connections(Duration::from_secs(4));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let timeout = Some(Duration::from_millis(500));
    let started = Instant::now();
    let mut calls = ten_calls_of_a_megabyte(&client, timeout);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let small = {
        let client = client.clone();
        tokio::spawn(async move { client.call_with_timeout(&customer::GetCustomerRequest::default(), timeout).await })
    };
    while let Some(done) = calls.join_next().await {
        let (result, at) = done.unwrap();
        let err = result.unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Timeout(_)), "{err}");
        assert!(
            at < Duration::from_millis(2000),
            "resolved {at:?} after the call, its timeout is 500 ms"
        );
    }
    // A call made while the socket is full waits for a slot, and still resolves by its timeout.
    let err = small.await.unwrap().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Timeout(_)), "{err}");
    assert!(started.elapsed() < Duration::from_millis(2000), "{:?}", started.elapsed());
    // Once the peer reads again, the frames go out and the connection carries on.
    assert_eq!(
        client.call(&customer::GetCustomerRequest::default()).await.unwrap().customer_id(),
        customer.id
    );
    assert_eq!(client.state(), lc_rtm::ConnectionState::Active);
}

#[tokio::test]
async fn a_server_that_reads_nothing_is_dropped_even_while_the_event_stream_is_full() {
    let server = mock().await;
    let customer = server.issue_customer();
    // A stream of one event that is never read: the client stops reading the socket, and
    // silence from the server then proves nothing. Frames it cannot write still do.
    let (client, _events) = builder(&server)
        .token(&customer.token)
        .event_buffer(1)
        .ping_interval(Duration::from_millis(200))
        .pong_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    client.call(&customer::StartChatRequest::default()).await.unwrap(); // its push waits: the stream is full
    server.faults().stall_connections(Duration::from_secs(30));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let mut calls = ten_calls_of_a_megabyte(&client, Some(Duration::from_secs(20)));
    while let Some(done) = calls.join_next().await {
        let err = done.unwrap().0.unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::ConnectionLost), "{err}");
    }
    // The stall limit is ping_interval + 2 × pong_timeout = 800 ms; the calls' own timeout is 20 s.
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn frames_sent_before_disconnect_still_go_out() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = connected(&server, &customer.token).await;
    let chat = client.call(&customer::StartChatRequest::default()).await.unwrap();
    for i in 0..10 {
        client.wait_connected(Duration::from_secs(5)).await.unwrap();
        let text = format!("typing {i}");
        client.set_sneak_peek(&chat.chat_id, &text);
        client.disconnect();
        let deadline = Instant::now() + Duration::from_secs(2);
        while server.agent().sneak_peek(&chat.chat_id).as_deref() != Some(text.as_str()) {
            assert!(Instant::now() < deadline, "sneak peek {i} was not sent before the disconnect");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        client.connect();
    }
}

#[tokio::test]
async fn unknown_pushes_malformed_pushes_and_garbage_never_break_the_connection() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, mut events) = connected(&server, &customer.token).await;
    let send = |text: &str| assert_eq!(server.faults().send_raw(&customer.id, text), 1);
    send(r#"{"version":"3.6","action":"brand_new_push","type":"push","payload":{"x":1}}"#);
    send(r#"{"version":"3.6","action":"incoming_event","type":"push","payload":{"chat_id":5}}"#);
    send("this is not JSON");

    let RtmEvent::Push(p) = next(&mut events).await else {
        panic!("the unknown push")
    };
    assert_eq!(p.push.name(), "brand_new_push");
    assert_eq!(serde_json::to_string(&p.push).unwrap(), r#"{"x":1}"#);
    let RtmEvent::UndecodedPush { frame, error } = next(&mut events).await else {
        panic!("the malformed push")
    };
    assert_eq!(frame.action, "incoming_event");
    assert!(!error.path().is_empty(), "{error}");
    let RtmEvent::UnexpectedFrame(text) = next(&mut events).await else {
        panic!("the garbage")
    };
    assert_eq!(text, "this is not JSON");
    assert_eq!(
        client.call(&customer::GetCustomerRequest::default()).await.unwrap().customer_id(),
        customer.id
    );
}

#[tokio::test]
async fn calls_while_disconnected_wait_for_the_connection_or_fail_fast() {
    let server = mock().await;
    let customer = server.issue_customer();
    // Waiting: a call made before the connection is up goes out once it is.
    let (client, _events) = builder(&server).token(&customer.token).build().unwrap();
    assert_eq!(
        client.call(&customer::GetCustomerRequest::default()).await.unwrap().customer_id(),
        customer.id
    );

    // Not connecting at all: refused at once.
    let (idle, _e) = builder(&server).token(&customer.token).auto_connect(false).build().unwrap();
    let err = idle.call(&customer::GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotConnected), "{err}");
    idle.connect();
    idle.wait_connected(Duration::from_secs(5)).await.unwrap();

    // Failing fast while reconnecting.
    server.faults().refuse_connections(Duration::from_secs(2));
    let (fast, mut events) = builder(&server)
        .token(&customer.token)
        .wait_for_connection(Duration::ZERO)
        .build()
        .unwrap();
    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Disconnected(_))).await;
    assert!(
        matches!(event, RtmEvent::Disconnected(ref d) if matches!(d.cause, Cause::UpgradeRefused { status: 503, .. }) && matches!(d.next, Next::Reconnect { .. })),
        "{event:?}"
    );
    let err = fast.call(&customer::GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotConnected), "{err}");
}

#[tokio::test]
async fn disconnect_connect_and_destroy() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, mut events) = connected(&server, &customer.token).await;
    client.disconnect();
    let RtmEvent::Disconnected(d) = next(&mut events).await else {
        panic!()
    };
    assert_eq!((d.cause, d.next), (Cause::User, Next::WaitForConnect));
    let err = client.call(&customer::GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotConnected), "{err}");
    client.connect();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(ref c) if c.reconnect));
    client.destroy();
    let RtmEvent::Disconnected(d) = next(&mut events).await else {
        panic!()
    };
    assert_eq!(d.cause, Cause::User);
    assert!(events.next().await.is_none(), "the stream ends after destroy()");
    let err = client.call(&customer::GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Closed), "{err}");
}

#[tokio::test]
async fn a_frame_over_the_limit_drops_the_connection_and_the_client_comes_back() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, mut events) = connected(&server, &customer.token).await;
    let huge = format!(
        r#"{{"version":"3.6","action":"brand_new_push","type":"push","payload":{{"x":"{}"}}}}"#,
        "a".repeat(lc_rtm::MAX_FRAME_BYTES)
    );
    assert_eq!(server.faults().send_raw(&customer.id, &huge), 1);
    let (event, skipped) = until(&mut events, |e| matches!(e, RtmEvent::Disconnected(_))).await;
    assert!(skipped.is_empty(), "the oversized push is not delivered: {skipped:?}");
    let RtmEvent::Disconnected(d) = event else { unreachable!() };
    assert!(
        matches!(&d.cause, Cause::SocketClosed { code: None, reason } if reason.contains("too long") || reason.contains("size")),
        "{:?}",
        d.cause
    );
    assert!(matches!(d.next, Next::Reconnect { .. }));
    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Connected(_))).await;
    assert!(matches!(event, RtmEvent::Connected(ref c) if c.reconnect));
    assert_eq!(
        client.call(&customer::GetCustomerRequest::default()).await.unwrap().customer_id(),
        customer.id
    );
}

#[tokio::test]
async fn a_full_event_stream_holds_the_socket_and_loses_nothing() {
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, mut events) = builder(&server)
        .token(&customer.token)
        .event_buffer(4)
        .ping_interval(Duration::from_millis(50))
        .pong_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(_)));
    let chat = client.call(&customer::StartChatRequest::default()).await.unwrap();
    let (_, _) = until(&mut events, |e| matches!(e, RtmEvent::Push(p) if p.push.name() == "incoming_chat")).await;
    for i in 0..60 {
        server.agent().send_message(&chat.chat_id, &format!("message {i}")).unwrap();
    }
    // Nobody reads for a while: the client holds, without counting the silence as a dead
    // connection.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut texts = Vec::new();
    while texts.len() < 60 {
        let event = next(&mut events).await;
        assert!(
            !matches!(event, RtmEvent::Disconnected(_) | RtmEvent::ConnectionUnstable),
            "{event:?}"
        );
        if let RtmEvent::Push(p) = event {
            if let VersionedPush::V3_6(AnyPush::IncomingEvent(e)) = &p.push {
                if let customer::Event::Message(m) = &e.event {
                    texts.push(m.text.clone().unwrap_or_default());
                }
            }
        }
    }
    let expected: Vec<String> = (0..60).map(|i| format!("message {i}")).collect();
    assert_eq!(texts, expected, "every push, in order");
    // Calls need the socket read too: keep reading the events, as an application does.
    tokio::spawn(async move { while events.next().await.is_some() {} });
    assert_eq!(client.state(), lc_rtm::ConnectionState::Active);
    assert_eq!(
        client.call(&customer::GetCustomerRequest::default()).await.unwrap().customer_id(),
        customer.id
    );
}

#[tokio::test]
async fn an_upgrade_refused_with_a_4xx_stops_and_wait_connected_says_why() {
    // A server that answers every request with 404 (a wrong host or path).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot here!")
                .await;
        }
    });
    let (client, mut events) = lc_rtm::RtmClient::builder("org")
        .base_url(format!("http://{addr}"))
        .token("dal:t")
        .build()
        .unwrap();
    let RtmEvent::Disconnected(d) = next(&mut events).await else {
        panic!()
    };
    assert!(
        matches!(&d.cause, Cause::UpgradeRefused { status: 404, message } if message.contains("not here!") && message.contains("/customer/rtm/ws")),
        "{:?}",
        d.cause
    );
    assert_eq!(d.next, Next::Stop);
    let err = client.wait_connected(Duration::from_secs(5)).await.unwrap_err();
    assert!(err.to_string().contains("HTTP 404"), "{err}");

    // Nothing listening: retried, and `wait_connected` names the last cause.
    let (client, _events) = lc_rtm::RtmClient::builder("org")
        .base_url("http://127.0.0.1:9")
        .token("dal:t")
        .build()
        .unwrap();
    let err = client.wait_connected(Duration::from_millis(500)).await.unwrap_err();
    assert!(err.to_string().contains("last: could not connect: ws://127.0.0.1:9/"), "{err}");
}

/// A push of about `len` bytes (an unknown one: its payload is kept as it came) numbered `i`.
fn big_push(i: usize, len: usize) -> String {
    format!(
        r#"{{"version":"3.6","action":"brand_new_push","type":"push","payload":{{"i":{i},"pad":"{}"}}}}"#,
        "p".repeat(len)
    )
}

/// The number of a [`big_push`].
fn push_number(event: &RtmEvent) -> Option<u64> {
    match event {
        RtmEvent::Push(p) if p.push.name() == "brand_new_push" => serde_json::to_value(&p.push).ok()?["i"].as_u64(),
        _ => None,
    }
}

/// Big pushes and a reader that lags: what waits for the reader stays within the byte bound
/// plus one frame (the client stops reading the socket), a push larger than the whole bound
/// still gets through, and every push arrives, in order.
#[tokio::test]
async fn the_event_stream_is_bounded_in_bytes_and_loses_nothing() {
    const BOUND: usize = 1024 * 1024;
    const PUSH: usize = 256 * 1024;
    const HUGE: usize = 2 * BOUND;
    let server = mock().await;
    let customer = server.issue_customer();
    let (client, mut events) = builder(&server)
        .token(&customer.token)
        .event_buffer_bytes(BOUND)
        .ping_interval(Duration::from_millis(100))
        .pong_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(_)));
    let sizes: Vec<usize> = (0..40).map(|i| if i == 20 { HUGE } else { PUSH }).collect();
    for (i, len) in sizes.iter().enumerate() {
        assert_eq!(server.faults().send_raw(&customer.id, &big_push(i, *len)), 1);
    }
    // Most of 12 MB were sent; nobody reads for a while (longer than the dead-connection limit).
    let most = BOUND + HUGE + 1024;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let waiting = events.buffered_bytes();
        assert!((BOUND..=most).contains(&waiting), "{waiting} bytes wait for the reader");
    }
    let mut seen = Vec::new();
    while seen.len() < sizes.len() {
        let event = next(&mut events).await;
        assert!(
            !matches!(event, RtmEvent::Disconnected(_) | RtmEvent::ConnectionUnstable),
            "{event:?}"
        );
        if let Some(i) = push_number(&event) {
            seen.push(i);
        }
        assert!(events.buffered_bytes() <= most, "{} bytes wait", events.buffered_bytes());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(seen, (0..40).collect::<Vec<u64>>(), "every push, in order");
    assert_eq!(client.state(), ConnectionState::Active);
    assert_eq!(client.discarded_events(), 0);
}

/// A dropped stream, or `events(false)`, means "no events": a flood of pushes (far more than
/// `event_buffer`) arrives before the call's answer, is discarded and counted, and the call
/// resolves.
#[tokio::test]
async fn a_dropped_event_stream_discards_pushes_and_calls_still_resolve() {
    let server = mock().await;
    let customer = server.issue_customer();
    for keep in [true, false] {
        let (client, events) = builder(&server)
            .token(&customer.token)
            .event_buffer(10)
            .events(keep)
            .build()
            .unwrap();
        client.wait_connected(Duration::from_secs(5)).await.unwrap();
        drop(events);
        for i in 0..100 {
            assert_eq!(server.faults().send_raw(&customer.id, &big_push(i, 10)), 1);
        }
        let me = tokio::time::timeout(Duration::from_secs(5), client.call(&customer::GetCustomerRequest::default()))
            .await
            .expect("the call resolves")
            .unwrap();
        assert_eq!(me.customer_id(), customer.id);
        // `Connected` was discarded too when the stream was off from the start.
        let discarded = client.discarded_events();
        assert!((100..=101).contains(&discarded), "keep {keep}: {discarded}");
        client.shutdown().await;
    }
    // A kept `events(false)` stream ends at once.
    let (_client, mut events) = builder(&server).token(&customer.token).events(false).build().unwrap();
    assert!(events.next().await.is_none());
}

/// A server that accepts the login and closes at once, again and again: the attempts count
/// on and the delays grow (instead of "attempt 1" at full speed forever); once a connection
/// lives past the ping interval, the next drop counts from 1 again.
#[tokio::test]
async fn a_server_that_closes_after_each_login_sees_the_backoff_grow() {
    let server = mock().await;
    let customer = server.issue_customer();
    server.faults().close_after_login(4);
    let (client, mut events) = builder(&server)
        .token(&customer.token)
        .backoff(Backoff::new(Duration::from_millis(20), Duration::from_secs(1), 0.0))
        .ping_interval(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 4 {
        if let RtmEvent::Disconnected(d) = next(&mut events).await {
            assert!(matches!(d.cause, Cause::SocketClosed { code: Some(1000), .. }), "{:?}", d.cause);
            let Next::Reconnect { attempt, delay, .. } = d.next else {
                panic!("{:?}", d.next)
            };
            seen.push((attempt, delay.as_millis()));
        }
    }
    assert_eq!(seen, [(1, 20), (2, 40), (3, 80), (4, 160)]);
    // The fifth login stays up; past the ping interval, a drop starts a new series.
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    server.faults().drop_connections();
    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Disconnected(_))).await;
    assert!(
        matches!(event, RtmEvent::Disconnected(ref d) if matches!(d.next, Next::Reconnect { attempt: 1, .. })),
        "{event:?}"
    );
}

/// A token provider that gives a second customer's token after a refresh: the client does
/// not carry on as that customer. It stops with `Cause::IdentityMismatch`, fails the calls,
/// and says so in the event stream, with `Next::Stop`.
#[tokio::test]
async fn a_token_provider_that_switches_customers_stops_the_connection() {
    let server = Arc::new(mock().await);
    let first = server.issue_customer();
    let second = server.issue_customer();
    let provider = {
        let (a, b) = (first.token.clone(), second.token.clone());
        token_fn(move |refresh| {
            let token = if refresh { b.clone() } else { a.clone() };
            async move { Ok(AccessToken::new(token)) }
        })
    };
    let (client, mut events) = builder(&server).token_provider(provider).build().unwrap();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(_)));
    assert_eq!(server.agent().disconnect(&first.id, "access_token_expired", None), 1);
    let (event, _) = until(&mut events, |e| matches!(e, RtmEvent::Disconnected(_))).await;
    assert!(matches!(event, RtmEvent::Disconnected(ref d) if matches!(d.next, Next::Reconnect { new_token: true, .. })));
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move { client.call(&customer::GetCustomerRequest::default()).await })
    };
    let (event, skipped) = until(&mut events, |e| matches!(e, RtmEvent::Disconnected(_))).await;
    assert!(!skipped.iter().any(|e| matches!(e, RtmEvent::Connected(_))), "{skipped:?}");
    let RtmEvent::Disconnected(d) = event else { unreachable!() };
    let mismatch = Cause::IdentityMismatch {
        expected: first.id.clone(),
        got: second.id.clone(),
    };
    assert_eq!((&d.cause, d.next), (&mismatch, Next::Stop));
    assert!(d.cause.describe().contains("identity_mismatch"), "{}", d.cause.describe());
    let err = waiting.await.unwrap().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Closed), "{err}");
    assert_eq!(err.cause(), Some(&mismatch));
    let err = client.call(&customer::GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Closed) && err.cause() == Some(&mismatch), "{err}");
    assert_eq!(client.state(), ConnectionState::Closed { cause: mismatch });
}

/// For one-shot users: the first attempt's failure comes back at once, typed. Nothing
/// listening: a transport failure, well under a second. A wrong organization: the API's
/// refusal, `license_not_found` (policy Stop). A refused token: `authentication`.
#[tokio::test]
async fn wait_first_connection_fails_at_once_and_says_why() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nothing = listener.local_addr().unwrap();
    drop(listener);
    let (client, _events) = lc_rtm::RtmClient::builder("org")
        .base_url(format!("http://{nothing}"))
        .token("dal:t")
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.wait_first_connection(Duration::from_secs(10)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert!(matches!(err.kind(), ErrorKind::NotConnected), "{err}");
    assert!(matches!(err.cause(), Some(Cause::ConnectFailed(_))), "{:?}", err.cause());
    assert_eq!(err.cause().and_then(Cause::refusal), None, "not the API's answer");
    client.shutdown().await;

    let server = mock().await;
    let customer = server.issue_customer();
    let (client, _events) = lc_rtm::RtmClient::builder("no-such-organization")
        .base_url(server.base_url())
        .token(&customer.token)
        .build()
        .unwrap();
    let err = client.wait_first_connection(Duration::from_secs(10)).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Closed), "{err}");
    assert!(
        matches!(err.cause(), Some(Cause::Server { reason, policy: lc_types::DisconnectPolicy::Stop, .. }) if reason == "license_not_found"),
        "{:?}",
        err.cause()
    );
    assert_eq!(err.cause().and_then(Cause::refusal), Some("license_not_found"));
    assert!(err.to_string().contains("license_not_found"), "{err}");

    let (client, _events) = builder(&server).token("dal:not-a-token").build().unwrap();
    let err = client.wait_first_connection(Duration::from_secs(10)).await.unwrap_err();
    assert_eq!(err.cause().and_then(Cause::refusal), Some("authentication"), "{err}");

    // Connected: at once.
    let (client, _events) = builder(&server).token(&customer.token).build().unwrap();
    client.wait_first_connection(Duration::from_secs(5)).await.unwrap();
}

/// The server's keep-alive: the mock pings at the WebSocket level (as the real server must:
/// the official browser SDK sends no keep-alive of its own) and the client's pongs keep the
/// connection, even with lc-rtm's own `ping` requests far apart.
#[tokio::test]
async fn the_servers_websocket_pings_are_answered() {
    let config = lc_mock::Config {
        ping_timeout: Duration::from_millis(800),
        ..lc_mock::Config::default()
    };
    let server = lc_mock::MockServer::start(config).await.unwrap();
    let customer = server.issue_customer();
    let (client, mut events) = builder(&server)
        .token(&customer.token)
        .ping_interval(Duration::from_secs(60))
        .build()
        .unwrap();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(_)));
    // Four times the server's timeout, without one `ping` request.
    let quiet = tokio::time::timeout(Duration::from_millis(3200), events.next()).await;
    assert!(quiet.is_err(), "no event while the pongs answer: {quiet:?}");
    assert_eq!(client.state(), ConnectionState::Active);
    client.call(&customer::GetCustomerRequest::default()).await.unwrap();
    assert_eq!(server.rtm_requests("ping"), 0);
}

/// `root_certificate_pem`: a bundle without a certificate is refused by `build()`, naming why.
#[tokio::test]
async fn a_root_certificate_that_is_none_fails_the_build() {
    for pem in [
        &b"not a certificate"[..],
        b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n",
    ] {
        let e = lc_rtm::RtmClient::builder("o")
            .token("dal:t")
            .root_certificate_pem(pem)
            .build()
            .unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Config) && e.to_string().starts_with("invalid client configuration: root certificate"),
            "{e}"
        );
    }
}

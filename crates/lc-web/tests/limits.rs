//! The bound on what a server can make the client hold: an answer's body is read up to
//! [`lc_web::MAX_RESPONSE_BYTES`] (or the builder's limit), never further, whether it comes
//! with a `Content-Length` or chunked; over it the call fails with
//! `ErrorKind::ResponseTooLarge`, once, not retried. `lc-mock`'s `pad_next_response` makes
//! the oversized answers; a raw server announces one it never sends.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use lc_types::v3_6::customer::GetCustomerRequest;
use lc_web::{AccountsTokenProvider, ErrorKind, TokenProvider, WebClient, MAX_RESPONSE_BYTES};

/// Whether `e` is `ResponseTooLarge` with this status and limit.
fn too_large(e: &lc_web::Error, status: u16, limit: usize) -> bool {
    matches!(e.kind(), ErrorKind::ResponseTooLarge { status: s, limit: l } if *s == status && *l == limit as u64)
}

#[tokio::test]
async fn an_answer_over_the_limit_fails_once_and_one_at_the_limit_is_read() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let limit = 256 * 1024 + 3;
    let c = common::builder(&server).token(&me.token).max_response_bytes(limit).build().unwrap();
    let request = GetCustomerRequest::default();
    let plain = serde_json::to_value(c.call(&request).await.unwrap()).unwrap();
    for chunked in [false, true] {
        // Exactly the limit (the JSON, then spaces): read and decoded.
        server.faults().pad_next_response(limit, chunked);
        assert_eq!(
            serde_json::to_value(c.call(&request).await.unwrap()).unwrap(),
            plain,
            "chunked: {chunked}"
        );
        // One byte more: refused, and not retried although `get_customer` is idempotent.
        let before = server.web_requests("get_customer");
        server.faults().pad_next_response(limit + 1, chunked);
        let e = c.call(&request).await.unwrap_err();
        assert!(too_large(&e, 200, limit), "chunked: {chunked}: {e:?}");
        assert!(!e.is_retryable());
        assert_eq!(server.web_requests("get_customer"), before + 1, "sent once");
        assert_eq!(
            e.to_string(),
            format!("the answer (HTTP 200) is larger than the {limit} bytes the client reads")
        );
    }
    // An error answer is bounded the same way (its envelope is never read).
    server.faults().fail_next(1, "validation");
    server.faults().pad_next_response(limit + 1, true);
    let e = c.call(&request).await.unwrap_err();
    assert!(too_large(&e, 400, limit), "{e:?}");
    // The client carries on.
    assert_eq!(serde_json::to_value(c.call(&request).await.unwrap()).unwrap(), plain);
    assert!(server.problems().is_empty(), "{:?}", server.problems());
    server.shutdown().await;
}

#[tokio::test]
async fn the_default_limit_is_max_response_bytes() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let c = common::client(&server, &me.token);
    let request = GetCustomerRequest::default();
    server.faults().pad_next_response(MAX_RESPONSE_BYTES, true);
    c.call(&request).await.unwrap();
    for chunked in [true, false] {
        server.faults().pad_next_response(MAX_RESPONSE_BYTES + 1, chunked);
        let e = c.call(&request).await.unwrap_err();
        assert!(too_large(&e, 200, MAX_RESPONSE_BYTES), "chunked: {chunked}: {e:?}");
    }
    server.shutdown().await;
}

/// A `Content-Length` over the limit fails the call at once: the client neither reads nor
/// waits for a body the server never sends (it would time out otherwise).
#[tokio::test]
async fn an_announced_length_over_the_limit_is_refused_without_waiting_for_the_body() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{";
    let raw = common::raw_server(vec![format!("HOLD {head}")]).await;
    let c = WebClient::builder("o").base_url(raw.url.clone()).token("dal:t").build().unwrap();
    let started = Instant::now();
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(too_large(&e, 200, MAX_RESPONSE_BYTES), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(raw.count.load(Ordering::SeqCst), 1, "not retried");

    // The accounts service's answers are bounded alike.
    let tokens = AccountsTokenProvider::cookie_grant("lc-web-tests", "o").accounts_url(raw.url.clone());
    let started = Instant::now();
    let e = tokens.token().await.unwrap_err();
    assert!(e.to_string().contains(&format!("larger than {MAX_RESPONSE_BYTES} bytes")), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

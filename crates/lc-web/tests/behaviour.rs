//! The client's behaviours end to end against `lc-mock` on loopback (and, where the mock
//! cannot misbehave enough, a raw HTTP server): documented errors as typed `Error`s, token
//! refresh, region switch, retries and timeouts, lifecycle headers, HTTP/2.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lc_mock::{Config, LifecycleHeader, MockServer};
use lc_types::v3_6::customer::{
    DeactivateChatRequest, GetChatRequest, GetCustomerRequest, ListLicensePropertiesRequest, MessageEventInput, SendEventRequest,
    StartChatRequest,
};
use lc_types::{ApiVersion, ErrorType, Region};
use lc_web::{token_fn, AccessToken, AccountsTokenProvider, ErrorKind, RetryPolicy, TokenError, WebClient};

fn api_kind(e: &lc_web::Error) -> ErrorType {
    e.api_error().unwrap_or_else(|| panic!("an API error: {e:?}")).kind().clone()
}

#[tokio::test]
async fn documented_errors_are_typed() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let c = common::client(&server, &me.token);
    // not_found with its status, message and raw body
    let e = c.call(&GetChatRequest::new("NOSUCHCHAT")).await.unwrap_err();
    let api = e.api_error().unwrap();
    assert_eq!((api.kind(), api.status()), (&ErrorType::NotFound, Some(404)));
    assert!(api.raw().contains("not_found"), "{}", api.raw());
    assert!(!e.is_retryable());
    // chat_limit_reached: one chat per customer
    let chat = c.call(&StartChatRequest::default()).await.unwrap();
    assert_eq!(
        api_kind(&c.call(&StartChatRequest::default()).await.unwrap_err()),
        ErrorType::ChatLimitReached
    );
    // chat_inactive
    c.call(&DeactivateChatRequest::new(chat.chat_id.clone())).await.unwrap();
    let e = c
        .call(&SendEventRequest::new(chat.chat_id.clone(), MessageEventInput::new("x")))
        .await
        .unwrap_err();
    assert_eq!(api_kind(&e), ErrorType::ChatInactive);
    assert_eq!(e.to_string(), format!("API error {}", e.api_error().unwrap()));
    // authentication (a static token cannot be renewed: refused twice, then reported)
    let bad = common::client(&server, "dal:not-a-token");
    let e = bad.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert_eq!(
        (api_kind(&e), e.api_error().unwrap().status()),
        (ErrorType::Authentication, Some(401))
    );
    // ... but the token-less GETs work without one
    let anonymous = common::builder(&server).build().unwrap();
    anonymous.call(&ListLicensePropertiesRequest::default()).await.unwrap();
    // license_not_found: another organization
    let other = WebClient::builder("another-org")
        .base_url(common::origin(&server))
        .token(me.token.clone())
        .build()
        .unwrap();
    assert_eq!(
        api_kind(&other.call(&GetCustomerRequest::default()).await.unwrap_err()),
        ErrorType::LicenseNotFound
    );
    // validation: a value the schema refuses (list_chats takes at most 25 per page)
    let mut bad_limit = lc_types::v3_6::customer::ListChatsRequest::default();
    bad_limit.limit = Some(1000);
    let e = c.call(&bad_limit).await.unwrap_err();
    assert_eq!(api_kind(&e), ErrorType::Validation);
    // greeting_not_found
    let e = c
        .call(&lc_types::v3_6::customer::CancelGreetingRequest::new("no-such-greeting"))
        .await
        .unwrap_err();
    assert_eq!(api_kind(&e), ErrorType::GreetingNotFound);
    // injected types come through with their data
    server.faults().fail_next(1, "customer_banned");
    assert_eq!(
        api_kind(&c.call(&GetCustomerRequest::default()).await.unwrap_err()),
        ErrorType::CustomerBanned
    );
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn answers_that_are_not_the_response() {
    // A 2xx body that is not the response: a decode error with the JSON path and raw body.
    let common::Raw { url, .. } = common::raw_server(vec![common::answer("200 OK", "", r#"{"event_id": 5}"#)]).await;
    let c = WebClient::builder("o").base_url(url).token("dal:t").build().unwrap();
    let e = c.call(&SendEventRequest::new("C", MessageEventInput::new("x"))).await.unwrap_err();
    let ErrorKind::Decode(d) = e.kind() else { panic!("{e:?}") };
    assert_eq!((d.path(), d.raw()), ("event_id", r#"{"event_id": 5}"#));
    // A proxy's HTML page: the status and body, no envelope.
    let page = "<html>Bad Gateway</html>";
    let common::Raw { url, count, .. } = common::raw_server(vec![common::answer("502 Bad Gateway", "", page)]).await;
    let c = WebClient::builder("o")
        .base_url(url)
        .token("dal:t")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Status { status: 502, body } if body == page), "{e:?}");
    assert!(e.is_retryable());
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn retryable_errors_are_retried_with_backoff_within_bounds() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let c = common::client(&server, &me.token);
    // Two injected failures, then the answer: a get_* retried to success.
    server.faults().fail_next(2, "service_unavailable");
    let (customer, meta) = c.call_with_meta(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(serde_json::to_value(&customer).unwrap()["id"], me.id.as_str());
    assert_eq!((meta.attempts, meta.status), (3, 200));
    assert_eq!(server.web_requests("get_customer"), 3);
    // Bounded in attempts: 5 failures, 3 attempts, then the error.
    server.faults().fail_next(5, "too_many_requests");
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert_eq!(api_kind(&e), ErrorType::TooManyRequests);
    assert!(e.is_retryable());
    assert_eq!(server.web_requests("get_customer"), 6);
    server.faults().clear();
    // Bounded in time: a long backoff does not fit in max_elapsed, so no retry is made.
    let slow = common::builder(&server)
        .token(me.token.clone())
        .retry(
            RetryPolicy::default()
                .backoff(Duration::from_secs(5), Duration::from_secs(5))
                .max_elapsed(Duration::from_secs(1)),
        )
        .build()
        .unwrap();
    server.faults().fail_next(1, "service_unavailable");
    let started = std::time::Instant::now();
    assert_eq!(
        api_kind(&slow.call(&GetCustomerRequest::default()).await.unwrap_err()),
        ErrorType::ServiceUnavailable
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.web_requests("get_customer"), 7);
    // Not retryable: reported at once.
    server.faults().fail_next(1, "validation");
    c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert_eq!(server.web_requests("get_customer"), 8);
    // `internal` may come after the server acted: a send_event is not sent again ...
    let chat = c.call(&StartChatRequest::default()).await.unwrap();
    server.faults().fail_next(1, "internal");
    let e = c
        .call(&SendEventRequest::new(chat.chat_id.clone(), MessageEventInput::new("once")))
        .await
        .unwrap_err();
    assert_eq!(api_kind(&e), ErrorType::Internal);
    assert_eq!(server.web_requests("send_event"), 1);
    // ... but one refused before acting (`service_unavailable`) is.
    server.faults().fail_next(1, "service_unavailable");
    let (_, meta) = c
        .call_with_meta(&SendEventRequest::new(chat.chat_id.clone(), MessageEventInput::new("twice")))
        .await
        .unwrap();
    assert_eq!((meta.attempts, server.web_requests("send_event")), (2, 3));
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn max_elapsed_bounds_the_whole_call_attempts_included() {
    let server = common::mock().await;
    let me = server.issue_customer();
    server.faults().delay_responses(Duration::from_secs(3));
    let c = common::builder(&server)
        .token(me.token.clone())
        .timeout(Duration::from_millis(800))
        .retry(
            RetryPolicy::default()
                .backoff(Duration::from_millis(100), Duration::from_millis(100))
                .max_elapsed(Duration::from_millis(1200)),
        )
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(e.kind(), ErrorKind::Timeout(_)), "{e:?}");
    assert!(
        took >= Duration::from_millis(1100) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    // The second attempt had only the rest of the budget, and says so.
    let ErrorKind::Timeout(cut) = e.kind() else { unreachable!() };
    assert!(*cut < Duration::from_millis(800), "{cut:?}");
    assert_eq!(server.web_requests("get_customer"), 2);
}

/// `Display` and the messages of the `source` chain, in order.
fn chain(e: &lc_web::Error) -> Vec<String> {
    let mut all = vec![e.to_string()];
    let mut next = std::error::Error::source(e);
    while let Some(s) = next {
        all.push(s.to_string());
        next = s.source();
    }
    all
}

#[tokio::test]
async fn error_chains_print_each_cause_once() {
    let server = common::mock().await;
    let me = server.issue_customer();
    server.expire_token(&me.token);
    let refused = common::client(&server, &me.token)
        .call(&GetCustomerRequest::default())
        .await
        .unwrap_err();
    let unreachable = WebClient::builder("o")
        .base_url("http://127.0.0.1:1")
        .token("dal:t")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .call(&GetCustomerRequest::default())
        .await
        .unwrap_err();
    let slow = common::builder(&server)
        .token(server.issue_customer().token)
        .timeout(Duration::from_millis(100))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    server.faults().delay_responses(Duration::from_millis(500));
    let timeout = slow.call(&GetCustomerRequest::default()).await.unwrap_err();
    server.faults().clear();
    for e in [&refused, &unreachable, &timeout] {
        let all = chain(e);
        for pair in all.windows(2) {
            assert!(!pair[0].contains(&pair[1]), "printed twice: {all:?}");
        }
    }
    assert!(matches!(timeout.kind(), ErrorKind::Timeout(_)), "{timeout:?}");
    assert!(timeout.to_string().starts_with("timed out"), "{timeout}");
    assert!(
        matches!(unreachable.kind(), ErrorKind::Transport { connect: true }),
        "{unreachable:?}"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let busy = common::answer(
        "429 Too Many Requests",
        "Retry-After: 1\r\n",
        r#"{"error":{"type":"too_many_requests","message":"slow down"}}"#,
    );
    let ok = common::answer("200 OK", "", r#"{"id":"c1","type":"customer"}"#);
    let common::Raw { url, count, .. } = common::raw_server(vec![busy, ok]).await;
    let c = WebClient::builder("o")
        .base_url(url)
        .token("dal:t")
        .retry(RetryPolicy::default().backoff(Duration::from_millis(1), Duration::from_millis(1)))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let (_, meta) = c.call_with_meta(&GetCustomerRequest::default()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!((meta.attempts, count.load(Ordering::SeqCst)), (2, 2));
}

#[tokio::test]
async fn a_timed_out_send_event_is_not_sent_twice_but_a_get_is_retried() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let c = common::builder(&server)
        .token(me.token.clone())
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let chat = c.call(&StartChatRequest::default()).await.unwrap();
    // The server runs the send_event but its answer is lost: the client times out.
    server.faults().drop_responses(1);
    let e = c
        .call(&SendEventRequest::new(chat.chat_id.clone(), MessageEventInput::new("only once")))
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Timeout(d) if *d == Duration::from_millis(400)),
        "{e:?}"
    );
    assert!(e.is_retryable());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        server.web_requests("send_event"),
        1,
        "a non-idempotent action is never resent after a timeout"
    );
    let got = c.call(&GetChatRequest::new(chat.chat_id.clone())).await.unwrap();
    let events = serde_json::to_value(&got).unwrap()["thread"]["events"].clone();
    let texts: Vec<_> = events.as_array().unwrap().iter().filter(|e| e["text"] == "only once").collect();
    assert_eq!(texts.len(), 1, "{events}");
    // A get_customer whose answer is lost is sent again and succeeds.
    server.faults().drop_responses(1);
    let (_, meta) = c.call_with_meta(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(meta.attempts, 2);
    assert_eq!(server.web_requests("get_customer"), 2);
}

#[tokio::test]
async fn connection_failures() {
    // Nothing listens: a connect error, retried (nothing was sent), then reported.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = WebClient::builder("o")
        .base_url(format!("http://127.0.0.1:{port}"))
        .token("dal:t")
        .retry(RetryPolicy::default().backoff(Duration::from_millis(1), Duration::from_millis(2)))
        .build()
        .unwrap();
    let e = c.call(&SendEventRequest::new("C", MessageEventInput::new("x"))).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport { connect: true }), "{e:?}");
    assert!(e.is_retryable());
    // A connection closed after the request was read: the server may have acted, so a
    // send_event is not resent, while a get_customer is.
    let ok = common::answer("200 OK", "", r#"{"id":"c1","type":"customer"}"#);
    let common::Raw { url, count, .. } = common::raw_server(vec!["RESET".into(), ok]).await;
    let c = WebClient::builder("o")
        .base_url(url)
        .token("dal:t")
        .retry(RetryPolicy::default().backoff(Duration::from_millis(1), Duration::from_millis(2)))
        .build()
        .unwrap();
    let e = c.call(&SendEventRequest::new("C", MessageEventInput::new("x"))).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport { connect: false }), "{e:?}");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let common::Raw { url, count, .. } = common::raw_server(vec![
        "RESET".into(),
        common::answer("200 OK", "", r#"{"id":"c1","type":"customer"}"#),
    ])
    .await;
    let c = WebClient::builder("o").base_url(url).token("dal:t").build().unwrap();
    let (_, meta) = c.call_with_meta(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!((meta.attempts, count.load(Ordering::SeqCst)), (2, 2));
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_and_the_call_retried() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let expired = me.token.clone();
    server.expire_token(&expired);
    let fresh = server.issue_token_for(&me.id);
    let asked = Arc::new(AtomicUsize::new(0));
    let seen = asked.clone();
    let provider = token_fn(move |refresh| {
        seen.fetch_add(1, Ordering::SeqCst);
        let token = if refresh { fresh.clone() } else { expired.clone() };
        async move { Ok::<_, TokenError>(AccessToken::new(token)) }
    });
    let c = common::builder(&server).token_provider(provider).build().unwrap();
    let customer = c.call(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(serde_json::to_value(&customer).unwrap()["id"], me.id.as_str());
    assert_eq!((asked.load(Ordering::SeqCst), server.web_requests("get_customer")), (2, 2));
    // A provider that fails is reported as such.
    let failing = common::builder(&server)
        .token_provider(token_fn(|_| async { Err(TokenError::new("backend down")) }))
        .build()
        .unwrap();
    let e = failing.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Token), "{e:?}");
    assert_eq!(e.to_string(), "the token provider failed: backend down");
    server.shutdown().await;
}

#[tokio::test]
async fn a_refused_token_the_provider_cannot_renew_is_not_sent_again() {
    let server = common::mock().await;
    let me = server.issue_customer();
    server.expire_token(&me.token);
    let c = common::client(&server, &me.token);
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert_eq!(api_kind(&e), ErrorType::Authentication);
    assert_eq!(server.web_requests("get_customer"), 1, "a static token is sent once");
    // A function whose refresh gives the same token: asked again once, sent once.
    let asked = Arc::new(AtomicUsize::new(0));
    let seen = asked.clone();
    let same = me.token.clone();
    let provider = token_fn(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
        let token = same.clone();
        async move { Ok::<_, TokenError>(AccessToken::new(token)) }
    });
    let c = common::builder(&server).token_provider(provider).build().unwrap();
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert_eq!(api_kind(&e), ErrorType::Authentication);
    assert_eq!((asked.load(Ordering::SeqCst), server.web_requests("get_customer")), (2, 2));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_refused_with_one_token_share_one_refresh() {
    let server = Arc::new(common::mock().await);
    let me = server.issue_customer();
    let current = Arc::new(std::sync::Mutex::new(me.token.clone()));
    let (asked, refreshes) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let provider = {
        let (server, current, asked, refreshes, id) = (server.clone(), current.clone(), asked.clone(), refreshes.clone(), me.id.clone());
        token_fn(move |refresh| {
            let (server, current, refreshes, id) = (server.clone(), current.clone(), refreshes.clone(), id.clone());
            asked.fetch_add(1, Ordering::SeqCst);
            async move {
                if refresh {
                    refreshes.fetch_add(1, Ordering::SeqCst);
                    // A slow backend: the other calls are refused meanwhile.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    *current.lock().unwrap() = server.issue_token_for(&id);
                }
                Ok::<_, TokenError>(AccessToken::new(current.lock().unwrap().clone()))
            }
        })
    };
    let c = common::builder(&server).token_provider(provider).build().unwrap();
    c.call(&GetCustomerRequest::default()).await.unwrap();
    server.expire_token(&current.lock().unwrap());
    let calls: Vec<_> = (0..32)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.call(&GetCustomerRequest::default()).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("every call succeeds with the refreshed token");
    }
    assert_eq!(refreshes.load(Ordering::SeqCst), 1, "one refresh for the one refused token");
    // 1 + 32 first tries; then each call asks once more at most (waiting on the refresh or
    // getting the new token).
    assert!(asked.load(Ordering::SeqCst) <= 1 + 32 + 32, "{}", asked.load(Ordering::SeqCst));
    server.expire_token(&current.lock().unwrap());
    c.call(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(refreshes.load(Ordering::SeqCst), 2, "a newly refused token is refreshed again");
}

#[tokio::test]
async fn accounts_tokens_are_cached_refreshed_before_expiry_and_after_refusal() {
    let config = Config {
        token_lifetime: Duration::from_secs(2),
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    let tokens = Arc::new(
        AccountsTokenProvider::cookie_grant("lc-web-tests", server.organization_id())
            .accounts_url(server.accounts_url())
            .refresh_before(Duration::from_millis(800)),
    );
    let c = common::builder(&server).shared_token_provider(tokens.clone()).build().unwrap();
    // Ten calls at once, no token yet: one request to the accounts service.
    let request = GetCustomerRequest::default();
    let all = futures_util::future::join_all((0..10).map(|_| c.call(&request))).await;
    let first = serde_json::to_value(all.into_iter().next().unwrap().unwrap()).unwrap();
    c.call(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(tokens.fetched(), 1, "cached, fetched once");
    let customer = tokens.current_customer_id().unwrap();
    assert_eq!(first["id"], customer.as_str());
    // Renewed before it expires (2 s lifetime, renewed 0.8 s before), for the same customer
    // (the identity cookies are sent back).
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let again = serde_json::to_value(c.call(&GetCustomerRequest::default()).await.unwrap()).unwrap();
    assert_eq!((tokens.fetched(), again["id"].clone()), (2, first["id"].clone()));
    assert_eq!(server.web_requests("get_customer"), 12, "no call was refused");
    // Refused (revoked early): renewed at once and the call retried.
    let current = lc_types::auth::TokenProvider::token(&*tokens).await.unwrap();
    server.expire_token(current.secret());
    c.call(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!((tokens.fetched(), server.web_requests("get_customer")), (3, 14));
    // The agent-token grant: a new customer each provider, or the one named.
    let agent = AccountsTokenProvider::agent_token_grant("lc-web-tests", server.organization_id(), "agent-token")
        .accounts_url(server.accounts_url())
        .customer_id(customer.clone());
    let c = common::builder(&server).token_provider(agent).build().unwrap();
    assert_eq!(
        serde_json::to_value(c.call(&GetCustomerRequest::default()).await.unwrap()).unwrap()["id"],
        customer.as_str()
    );
    // A refusal of the accounts service is a token error.
    let wrong = AccountsTokenProvider::cookie_grant("x", "wrong-org").accounts_url(server.accounts_url());
    let c = common::builder(&server).token_provider(wrong).build().unwrap();
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Token) && e.to_string().contains("HTTP 400"), "{e}");
    server.shutdown().await;
}

#[tokio::test]
async fn misdirected_requests_switch_region_for_this_and_later_calls() {
    let server = common::mock().await;
    let me = server.issue_customer();
    assert!(me.token.starts_with("dal:"));
    server.set_region("fra");
    let c = common::client(&server, &me.token);
    assert_eq!(c.region(), None);
    let (customer, meta) = c.call_with_meta(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(serde_json::to_value(&customer).unwrap()["id"], me.id.as_str());
    assert_eq!((meta.region.clone(), meta.attempts), (Some(Region::FRA), 2));
    assert_eq!(server.web_requests("get_customer"), 2, "refused once in dal, then answered in fra");
    assert_eq!(c.region(), Some(Region::FRA));
    c.call(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(server.web_requests("get_customer"), 3, "later calls go to fra at once");
    // The token's prefix decides when nothing else does: a fra token goes to fra.
    server.set_region("fra");
    let fra_token = server.issue_token();
    assert!(fra_token.starts_with("fra:"));
    let c = common::client(&server, &fra_token);
    let before = server.web_requests("get_customer");
    c.call(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(server.web_requests("get_customer"), before + 1);
    server.shutdown().await;
}

#[tokio::test]
async fn lifecycle_headers_are_reported_and_warned_once() {
    let config = Config {
        lifecycle: vec![
            LifecycleHeader::legacy(ApiVersion::V3_5, "2025-08-13"),
            LifecycleHeader::deprecation(ApiVersion::V3_7, "2026-12-01"),
        ],
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    let me = server.issue_customer();
    let c = common::client(&server, &me.token);
    let (_, meta) = c
        .call_with_meta(&lc_types::v3_5::customer::GetCustomerRequest::default())
        .await
        .unwrap();
    assert_eq!((meta.legacy.as_deref(), meta.deprecation.as_deref()), (Some("2025-08-13"), None));
    let (_, meta) = c
        .call_with_meta(&lc_types::v3_7::customer::GetCustomerRequest::default())
        .await
        .unwrap();
    assert_eq!((meta.legacy.as_deref(), meta.deprecation.as_deref()), (None, Some("2026-12-01")));
    let (_, meta) = c.call_with_meta(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!((meta.legacy, meta.deprecation), (None, None));
    server.shutdown().await;
}

#[tokio::test]
async fn http2_and_http1() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let h2 = common::builder(&server)
        .token(me.token.clone())
        .http2_prior_knowledge()
        .build()
        .unwrap();
    // A customer starts one chat: another customer for the second client.
    let h1 = common::client(&server, &server.issue_customer().token);
    for (c, version) in [(&h2, reqwest::Version::HTTP_2), (&h1, reqwest::Version::HTTP_11)] {
        let (_, meta) = c.call_with_meta(&GetCustomerRequest::default()).await.unwrap();
        assert_eq!(meta.http_version, version);
        let chat = c.call(&StartChatRequest::default()).await.unwrap();
        c.call(&SendEventRequest::new(
            chat.chat_id.clone(),
            MessageEventInput::new("over h2 or h1"),
        ))
        .await
        .unwrap();
        c.call(&DeactivateChatRequest::new(chat.chat_id)).await.unwrap();
        let (_, meta) = c.call_with_meta(&ListLicensePropertiesRequest::default()).await.unwrap();
        assert_eq!(meta.http_version, version);
    }
    // An upload over HTTP/2.
    let file: lc_types::v3_6::customer::UploadFileResponse = h2
        .upload_file(lc_web::Upload::from_bytes("h2.bin", "application/octet-stream", vec![3u8; 300_000]))
        .await
        .unwrap();
    assert!(file.url.ends_with("/h2.bin"));
    // Many calls at once share one HTTP/2 connection.
    let request = GetCustomerRequest::default();
    let calls = (0..20).map(|_| h2.call(&request));
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn what_is_sent_headers_proxy_and_user_agent() {
    let ok = common::answer("200 OK", "", r#"{"event_id":"T_1"}"#);
    let raw = common::raw_server(vec![ok]).await;
    // Through a proxy: the request goes to the proxy, for the API's host.
    let c = WebClient::builder("org 1")
        .base_url("http://api.example.invalid")
        .proxy(raw.url.clone())
        .token("Bearer fra:the-token")
        .user_agent("my-app/2.0")
        .header("X-Debug-Id", "dbg-1")
        .build()
        .unwrap();
    let mut request = SendEventRequest::new("PJ0MRSHTDG", MessageEventInput::new("Hi"));
    request.attach_to_last_thread = Some(false);
    let sent = c.call(&request).await.unwrap();
    assert_eq!(sent.event_id, "T_1");
    let text = raw.requests.lock().unwrap()[0].clone();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let lines: Vec<String> = head.lines().map(str::to_ascii_lowercase).collect();
    assert_eq!(
        lines[0],
        "post http://api.example.invalid/v3.6/customer/action/send_event?organization_id=org%201 http/1.1"
    );
    for want in [
        "content-type: application/json",
        "authorization: bearer fra:the-token",
        "x-region: fra",
        "user-agent: my-app/2.0",
        "x-debug-id: dbg-1",
    ] {
        assert!(lines.iter().any(|l| l == want), "{want} in {lines:?}");
    }
    // Exactly what the lc-types codec encodes: no field the user did not set.
    let lc_types::web::Body::Json(expected) = lc_types::web::HttpRequest::new(&request, "org 1", None).unwrap().body else {
        panic!()
    };
    assert_eq!(body.as_bytes(), expected.as_slice());
    assert_eq!(
        body,
        r#"{"attach_to_last_thread":false,"chat_id":"PJ0MRSHTDG","event":{"type":"message","text":"Hi"}}"#
    );
    // A GET that needs no token: the query from the codec, no body, and still the client's
    // token (the API's header table asks for it; LiveChat's Python SDK always sends it); the
    // client ID after the product in the User-Agent, as lc-rtm sends it.
    let raw = common::raw_server(vec![common::answer("200 OK", "", "{}")]).await;
    let c = WebClient::builder("o")
        .base_url(raw.url.clone())
        .token("dal:t")
        .client_id("my-app")
        .build()
        .unwrap();
    let mut props = ListLicensePropertiesRequest::default();
    props.namespace = Some("shop".into());
    c.call(&props).await.unwrap();
    let text = raw.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(
        text.starts_with("get /v3.6/customer/action/list_license_properties?organization_id=o&namespace=shop http/1.1"),
        "{text}"
    );
    assert!(text.contains("\r\nauthorization: bearer dal:t\r\n"), "{text}");
    let agent = format!("\r\nuser-agent: lc-web/{} application my-app\r\n", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&agent), "{text}");
    // Without a provider, or when the provider fails, such a call goes on without a token.
    let raw = common::raw_server(vec![common::answer("200 OK", "", "{}")]).await;
    let failing = WebClient::builder("o")
        .base_url(raw.url.clone())
        .token_provider(lc_types::auth::token_fn(|_| async { Err(TokenError::new("accounts down")) }))
        .build()
        .unwrap();
    failing.call(&props).await.unwrap();
    let c = WebClient::builder("o").base_url(raw.url.clone()).build().unwrap();
    c.call(&props).await.unwrap();
    for text in raw.requests.lock().unwrap().iter() {
        let text = text.to_ascii_lowercase();
        assert!(!text.contains("authorization"), "{text}");
        assert!(text.contains("user-agent: lc-web/"), "{text}");
        assert!(!text.contains("application"), "{text}");
    }
    // A provider that never answers holds such a call for the timeout at most.
    let raw_hung = common::raw_server(vec![common::answer("200 OK", "", "{}")]).await;
    let hung = WebClient::builder("o")
        .base_url(raw_hung.url.clone())
        .timeout(Duration::from_millis(300))
        .token_provider(lc_types::auth::token_fn(|_| std::future::pending()))
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), hung.call(&props))
        .await
        .expect("not held by the provider")
        .unwrap();
    assert!(!raw_hung.requests.lock().unwrap()[0].to_ascii_lowercase().contains("authorization"));
    // A call that needs a token fails when the provider does.
    let e = failing.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Token), "{e}");
    // A bad configuration is reported by build().
    assert!(matches!(
        WebClient::builder("o").base_url("not a url").build().unwrap_err().kind(),
        ErrorKind::Config
    ));
    assert!(matches!(
        WebClient::builder("o").header("bad header", "x").build().unwrap_err().kind(),
        ErrorKind::Config
    ));
}

/// `root_certificate_pem`: a bundle without a certificate is refused by `build()`, naming why.
#[test]
fn a_root_certificate_that_is_none_fails_the_build() {
    for pem in [
        &b"not a certificate"[..],
        b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n",
    ] {
        let e = WebClient::builder("o").root_certificate_pem(pem).build().unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Config) && e.to_string().starts_with("invalid client configuration: root certificate"),
            "{e}"
        );
    }
}

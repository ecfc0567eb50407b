//! What a hostile (or broken) server cannot do to the client: no panic on a number it
//! sends (`Retry-After`, `expires_in`), no wait past the call's budget, no answer taken from
//! another origin, no unbounded or terminal-driving text in `Display`, no region that breaks
//! later calls. Each server is a small raw HTTP server on loopback (`common::raw_server`).

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use lc_types::limits::MAX_PEER_WAIT;
use lc_types::v3_6::customer::GetCustomerRequest;
use lc_types::ErrorType;
use lc_web::{AccountsTokenProvider, ErrorKind, RetryPolicy, TokenProvider, WebClient, MAX_REDIRECTS};

/// A client of `url` with the default budget (30 s, 3 attempts) and short backoffs.
fn client(url: &str) -> WebClient {
    WebClient::builder("o")
        .base_url(url)
        .token("dal:t")
        .retry(RetryPolicy::default().backoff(Duration::from_millis(1), Duration::from_millis(2)))
        .build()
        .unwrap()
}

const OK: &str = r#"{"id":"c1","type":"customer"}"#;

#[tokio::test]
async fn a_retry_after_no_clock_can_hold_fails_the_call_at_once_naming_the_wait() {
    let busy = r#"{"error":{"type":"too_many_requests","message":"slow down"}}"#;
    let unavailable = r#"{"error":{"type":"service_unavailable","message":"later"}}"#;
    let answers = [
        ("429 Too Many Requests", busy),
        ("503 Service Unavailable", unavailable),
        ("503 Service Unavailable", "<html>busy</html>"),
        ("429 Too Many Requests", ""),
    ];
    for wait in ["9223372036854775807", "18446744073709551615", "99999999999999999999999999"] {
        for (status, body) in answers {
            let raw = common::raw_server(vec![common::answer(status, &format!("Retry-After: {wait}\r\n"), body)]).await;
            let started = Instant::now();
            let e = client(&raw.url).call(&GetCustomerRequest::default()).await.unwrap_err();
            assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
            assert_eq!(raw.count.load(Ordering::SeqCst), 1, "{status} {wait}: not retried");
            assert_eq!((e.retry_after(), e.attempts()), (Some(MAX_PEER_WAIT), 1), "{status} {wait}");
            let shown = e.to_string();
            assert!(
                shown.contains("; the server asked to wait 86400 s, more than the ") && shown.ends_with(" s left of the call's budget"),
                "{shown}"
            );
            match e.kind() {
                ErrorKind::Api(api) => assert!(matches!(api.kind(), ErrorType::TooManyRequests | ErrorType::ServiceUnavailable)),
                ErrorKind::Status { status, .. } => assert!(matches!(status, 429 | 503)),
                other => panic!("{other:?}"),
            }
            assert!(e.is_retryable());
        }
    }
}

#[tokio::test]
async fn a_retry_after_within_the_budget_is_honoured_and_one_over_it_is_not_waited_for() {
    let busy = |secs: &str| {
        common::answer(
            "429 Too Many Requests",
            &format!("Retry-After: {secs}\r\n"),
            r#"{"error":{"type":"too_many_requests","message":"slow down"}}"#,
        )
    };
    let ok = common::answer("200 OK", "", OK);
    // Within the budget: waited for, then the retry succeeds.
    let raw = common::raw_server(vec![busy("1"), ok.clone()]).await;
    let started = Instant::now();
    let (_, meta) = client(&raw.url).call_with_meta(&GetCustomerRequest::default()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(meta.attempts, 2);
    // More than the 1.5 s budget: not waited for.
    let raw = common::raw_server(vec![busy("3"), ok.clone()]).await;
    let c = WebClient::builder("o")
        .base_url(&raw.url)
        .token("dal:t")
        .retry(RetryPolicy::default().max_elapsed(Duration::from_millis(1500)))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    assert!(
        e.to_string()
            .starts_with("API error too_many_requests: slow down (HTTP 429); the server asked to wait 3 s, more than the 1."),
        "{e}"
    );
    // The HTTP-date form is ignored: the backoff applies.
    let raw = common::raw_server(vec![busy("Wed, 21 Oct 2099 07:28:00 GMT"), ok]).await;
    let (_, meta) = client(&raw.url).call_with_meta(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(meta.attempts, 2);
    // Without a retry policy the wait is still reported.
    let raw = common::raw_server(vec![busy("7")]).await;
    let c = WebClient::builder("o")
        .base_url(&raw.url)
        .token("dal:t")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert_eq!((e.retry_after(), e.attempts()), (Some(Duration::from_secs(7)), 1));
    assert_eq!(e.to_string(), "API error too_many_requests: slow down (HTTP 429)");
}

#[tokio::test]
async fn a_backoff_no_clock_can_hold_fails_the_call_instead_of_panicking() {
    let raw = common::raw_server(vec![common::answer("503 Service Unavailable", "", "busy")]).await;
    let c = WebClient::builder("o")
        .base_url(&raw.url)
        .token("dal:t")
        .retry(RetryPolicy::default().backoff(Duration::MAX, Duration::MAX))
        .build()
        .unwrap();
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Status { status: 503, .. }), "{e:?}");
    assert_eq!(raw.count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_timeout_after_retries_names_the_budget_and_the_attempts() {
    // A server that reads each request and never answers.
    let raw = common::raw_server(vec!["HOLD ".into()]).await;
    let silent = |timeout: u64, policy: RetryPolicy| {
        WebClient::builder("o")
            .base_url(&raw.url)
            .token("dal:t")
            .timeout(Duration::from_millis(timeout))
            .retry(policy.backoff(Duration::from_millis(1), Duration::from_millis(2)))
            .build()
            .unwrap()
    };
    // The budget ends the call: 300 ms attempts within 1 s, the last one cut short.
    let c = silent(300, RetryPolicy::default().max_attempts(10).max_elapsed(Duration::from_secs(1)));
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    let ErrorKind::Timeout(last) = e.kind() else { panic!("{e:?}") };
    assert!(*last <= Duration::from_millis(300), "{last:?}");
    assert_eq!(e.attempts() as usize, raw.count.load(Ordering::SeqCst));
    assert!(e.attempts() >= 3, "{}", e.attempts());
    assert_eq!(
        e.to_string(),
        format!(
            "timed out: no answer within the call's 1 s budget ({} attempts; the last one waited {} ms)",
            e.attempts(),
            last.as_millis()
        )
    );
    // The attempts end it.
    let c = silent(200, RetryPolicy::default().max_attempts(2));
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert_eq!(e.to_string(), "timed out: no answer in 2 attempts (the last one waited 200 ms)");
    // One attempt.
    let c = silent(200, RetryPolicy::none());
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert_eq!((e.to_string().as_str(), e.attempts()), ("timed out: no answer within 200 ms", 1));
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let elsewhere = common::raw_server(vec![common::answer("200 OK", "", OK)]).await;
    let target = format!("{}/v3.6/customer/action/get_customer?organization_id=o", elsewhere.url);
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let api = common::raw_server(vec![common::answer(status, &format!("Location: {target}\r\n"), "")]).await;
        let e = client(&api.url).call(&GetCustomerRequest::default()).await.unwrap_err();
        let ErrorKind::Redirect { status: code, location } = e.kind() else {
            panic!("{e:?}")
        };
        assert_eq!((status.starts_with(&code.to_string()), location.as_str()), (true, target.as_str()));
        assert_eq!(
            e.to_string(),
            format!(
                "the API answered HTTP {code}, a redirect to {target}, which is not followed (only redirects within the API's origin are, at most {MAX_REDIRECTS})"
            )
        );
        assert!(!e.is_retryable());
        assert_eq!(api.count.load(Ordering::SeqCst), 1, "not retried");
    }
    assert_eq!(elsewhere.count.load(Ordering::SeqCst), 0, "nothing went to the other origin");

    // A long target is cut in `Display`, kept whole in the kind.
    let long = format!("{}/{}", elsewhere.url, "p".repeat(50_000));
    let api = common::raw_server(vec![common::answer("302 Found", &format!("Location: {long}\r\n"), "")]).await;
    let e = client(&api.url).call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Redirect { location, .. } if *location == long));
    assert!(e.to_string().len() < 1000, "{}", e.to_string().len());

    // The accounts service alike.
    let token = r#"{"access_token":"dal:from-elsewhere","expires_in":3600}"#;
    let elsewhere = common::raw_server(vec![common::answer("200 OK", "", token)]).await;
    let accounts = common::raw_server(vec![common::answer(
        "307 Temporary Redirect",
        &format!("Location: {}/v2/customer/token\r\n", elsewhere.url),
        "",
    )])
    .await;
    let e = AccountsTokenProvider::cookie_grant("c", "o")
        .accounts_url(&accounts.url)
        .token()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "the accounts service answered HTTP 307 Temporary Redirect, a redirect to {}/v2/customer/token, which is not followed (only redirects within its origin are)",
            elsewhere.url
        )
    );
    assert_eq!(elsewhere.count.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn redirects_within_the_origin_are_followed_a_few_times() {
    let path = "/v3.6/customer/action/get_customer?organization_id=o";
    let moved = common::answer("307 Temporary Redirect", &format!("Location: {path}\r\n"), "");
    let raw = common::raw_server(vec![moved.clone(), common::answer("200 OK", "", OK)]).await;
    client(&raw.url).call(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(raw.count.load(Ordering::SeqCst), 2);
    // A loop: followed MAX_REDIRECTS times, then reported.
    let raw = common::raw_server(vec![moved]).await;
    let e = client(&raw.url).call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Redirect { status: 307, location } if location == path),
        "{e:?}"
    );
    assert_eq!(raw.count.load(Ordering::SeqCst), 1 + MAX_REDIRECTS);
}

#[tokio::test]
async fn display_bounds_and_escapes_what_the_server_said_and_the_accessors_keep_it() {
    // A 15.7 MB error message with terminal escapes.
    let message = format!("\u{1b}]0;owned\u{7}\u{1b}[2J{}", "m".repeat(15_700_000));
    let body = serde_json::json!({"error": {"type": "validation", "message": message}}).to_string();
    let raw = common::raw_server(vec![common::answer("400 Bad Request", "", &body)]).await;
    let e = client(&raw.url).call(&GetCustomerRequest::default()).await.unwrap_err();
    let shown = e.to_string();
    assert!(shown.len() < 2000, "{}", shown.len());
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    assert!(
        shown.starts_with(r"API error validation: \u{1b}]0;owned\u{7}\u{1b}[2Jmmm"),
        "{}",
        &shown[..80]
    );
    let api = e.api_error().unwrap();
    assert_eq!((api.message(), api.raw()), (message.as_str(), body.as_str()));

    // A body without an envelope.
    let page = format!("\u{1b}[31m<html>{}</html>", "x".repeat(1 << 20));
    let raw = common::raw_server(vec![common::answer("404 Not Found", "", &page)]).await;
    let e = client(&raw.url).call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Status { status: 404, body } if *body == page));
    let shown = e.to_string();
    assert!(
        shown.starts_with(r"HTTP 404 without an API error envelope: \u{1b}[31m<html>xxx"),
        "{shown}"
    );
    assert!(shown.len() < 500, "{}", shown.len());

    // A success that does not decode, quoting a huge value with escapes.
    let bad = serde_json::json!({"id": "c1", "type": "customer", "name": ["\u{1b}[2J", "n".repeat(1 << 20)]}).to_string();
    let raw = common::raw_server(vec![common::answer("200 OK", "", &bad)]).await;
    let e = client(&raw.url).call(&GetCustomerRequest::default()).await.unwrap_err();
    let ErrorKind::Decode(d) = e.kind() else { panic!("{e:?}") };
    assert_eq!(d.raw(), bad);
    let shown = e.to_string();
    assert!(shown.len() < 3000 && !shown.chars().any(char::is_control), "{}", shown.len());
}

#[tokio::test]
async fn a_region_that_cannot_be_one_is_not_switched_to() {
    let misdirected = |region: &str| {
        let body = serde_json::json!({"error": {"type": "misdirected_request", "message": "wrong region", "data": {"region": region}}});
        common::answer("421 Misdirected Request", "", &body.to_string())
    };
    for region in ["fra\u{1b}[2J", "fra\r\nx-injected: 1", &"x".repeat(100_000), ""] {
        let raw = common::raw_server(vec![misdirected(region), common::answer("200 OK", "", OK)]).await;
        let c = client(&raw.url);
        let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
        assert_eq!(
            e.api_error().map(|a| a.kind().clone()),
            Some(ErrorType::MisdirectedRequest),
            "{e:?}"
        );
        assert_eq!(c.region(), None);
        // The client carries on, in the token's region.
        c.call(&GetCustomerRequest::default()).await.unwrap();
        assert_eq!(raw.count.load(Ordering::SeqCst), 2);
    }
    // A plausible one is switched to.
    let raw = common::raw_server(vec![misdirected("fra-b"), common::answer("200 OK", "", OK)]).await;
    let c = client(&raw.url);
    c.call(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(c.region(), Some(lc_types::Region::FRA_B));
    assert!(raw.requests.lock().unwrap()[1].contains("x-region: fra-b"));
}

#[tokio::test]
async fn the_accounts_service_cannot_overflow_a_lifetime_or_flood_an_error() {
    // A lifetime no clock can hold: the token is kept at most a day.
    let token = r#"{"access_token":"dal:t","expires_in":18446744073709551615}"#;
    let raw = common::raw_server(vec![common::answer("200 OK", "", token)]).await;
    let tokens = AccountsTokenProvider::cookie_grant("c", "o").accounts_url(&raw.url);
    let t = tokens.token().await.unwrap();
    let expires = t.expires_at().expect("an expiry");
    assert!(expires <= Instant::now() + MAX_PEER_WAIT, "{expires:?}");
    assert!(expires > Instant::now() + MAX_PEER_WAIT - Duration::from_secs(60));
    tokens.token().await.unwrap();
    assert_eq!(tokens.fetched(), 1, "cached");

    // A refusal and an answer that is no token, huge and with escapes: bounded in errors.
    let flood = format!("\u{1b}[2J{}", "e".repeat(1 << 20));
    let refusal = common::answer("400 Bad Request", "", &flood);
    let not_a_token = common::answer(
        "200 OK",
        "",
        &serde_json::json!({"access_token": "dal:t", "expires_in": flood}).to_string(),
    );
    for (answer, start) in [
        (refusal, r"the accounts service refused: HTTP 400 Bad Request: \u{1b}[2Jeee"),
        (not_a_token, r"the accounts service's answer is not a token: invalid type: string "),
    ] {
        let raw = common::raw_server(vec![answer]).await;
        let e = AccountsTokenProvider::cookie_grant("c", "o")
            .accounts_url(&raw.url)
            .token()
            .await
            .unwrap_err();
        let shown = e.to_string();
        assert!(shown.starts_with(start), "{shown}");
        assert!(shown.len() < 1000 && !shown.chars().any(char::is_control), "{}", shown.len());
        assert!(std::error::Error::source(&e).is_none());
    }
}

#[tokio::test(flavor = "current_thread")]
async fn what_a_server_sends_reaches_the_log_bounded_and_escaped() {
    let captured = lc_mock::testing::Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(captured.writer())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // A customer ID with escapes, a long `Legacy` date, a long error message on a retry.
    let customer = format!("\u{1b}[2J{}", "c".repeat(1 << 20));
    let token = serde_json::json!({"access_token": "dal:t", "entity_id": customer}).to_string();
    let accounts = common::raw_server(vec![common::answer("200 OK", "", &token)]).await;
    let tokens = AccountsTokenProvider::cookie_grant("c", "o").accounts_url(&accounts.url);
    assert_eq!(tokens.token().await.unwrap().secret(), "dal:t");
    assert_eq!(tokens.current_customer_id().as_deref(), Some(customer.as_str()));
    let legacy = "d".repeat(100_000);
    let busy = serde_json::json!({"error": {"type": "service_unavailable", "message": "m".repeat(1 << 20)}}).to_string();
    let api = common::raw_server(vec![
        common::answer("503 Service Unavailable", "", &busy),
        common::answer("200 OK", &format!("Legacy: {legacy}\r\n"), OK),
    ])
    .await;
    let (_, meta) = client(&api.url).call_with_meta(&GetCustomerRequest::default()).await.unwrap();
    assert_eq!(meta.legacy.as_deref(), Some(legacy.as_str()), "kept whole");
    let log = captured.text();
    for needle in ["got a customer token", "retrying", "is legacy"] {
        assert!(log.contains(needle), "{needle}: {log}");
    }
    assert!(!log.contains('\u{1b}'));
    for line in log.lines() {
        assert!(line.len() < 3000, "{}: {}", line.len(), &line[..200]);
    }
}

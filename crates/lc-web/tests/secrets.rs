//! Tokens never appear in `Debug`, `Display`, error messages, URLs or `tracing` output: every
//! event of failing, retried, refreshed and region-switched calls is captured (at TRACE level,
//! reqwest's and hyper's included) and searched for the token.

mod common;

use std::time::Duration;

use lc_types::v3_6::customer::{GetCustomerRequest, MessageEventInput, SendEventRequest};
use lc_web::{token_fn, AccessToken, TokenError, Upload};

#[tokio::test(flavor = "current_thread")]
async fn tokens_never_leak() {
    let captured = lc_mock::testing::Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.writer())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = common::mock().await;
    let me = server.issue_customer();
    let secret_part = me.token.split_once(':').unwrap().1.to_owned();
    let mut shown = Vec::new();

    // A refused token (renewed once by the provider, still refused), retries, a region switch,
    // an upload, a timeout and a connection failure.
    let expired = me.token.clone();
    server.expire_token(&expired);
    let provider = token_fn(move |_| {
        let t = expired.clone();
        async move { Ok::<_, TokenError>(AccessToken::new(t)) }
    });
    let c = common::builder(&server).token_provider(provider).build().unwrap();
    let e = c.call(&GetCustomerRequest::default()).await.unwrap_err();
    shown.push(format!("{e} {e:?} {c:?}"));
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        shown.push(format!("{s} {s:?}"));
        source = s.source();
    }

    let live = server.issue_customer();
    let live_secret = live.token.split_once(':').unwrap().1.to_owned();
    let c = common::builder(&server)
        .token(live.token.clone())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    server.faults().fail_next(2, "service_unavailable");
    c.call(&GetCustomerRequest::default()).await.unwrap();
    server.set_region("fra");
    c.call(&GetCustomerRequest::default()).await.unwrap();
    let _: lc_types::v3_6::customer::UploadFileResponse = c
        .upload_file(Upload::from_bytes("a.txt", "text/plain", b"hi".to_vec()))
        .await
        .unwrap();
    server.faults().drop_responses(1);
    let e = c
        .call(&SendEventRequest::new("NOSUCHCHAT", MessageEventInput::new("x")))
        .await
        .unwrap_err();
    shown.push(format!("{e} {e:?}"));
    let e = c
        .call(&SendEventRequest::new("NOSUCHCHAT", MessageEventInput::new("x")))
        .await
        .unwrap_err();
    shown.push(format!("{e} {e:?}"));
    let nowhere = lc_web::WebClient::builder("o")
        .base_url("http://127.0.0.1:9")
        .token(live.token.clone())
        .build()
        .unwrap();
    let e = nowhere.call(&GetCustomerRequest::default()).await.unwrap_err();
    shown.push(format!("{e} {e:?} {nowhere:?}"));
    shown.push(format!("{:?}", AccessToken::new(live.token.clone())));

    drop(_guard);
    let logs = captured.text();
    assert!(logs.contains("lc-web: retrying"), "the capture works: {logs}");
    assert!(logs.contains("switching region"), "{logs}");
    assert!(logs.contains("the token was refused"), "{logs}");
    for secret in [&secret_part, &live_secret] {
        assert!(!logs.contains(secret.as_str()), "a token in the tracing output:\n{logs}");
        for s in &shown {
            assert!(!s.contains(secret.as_str()), "a token in {s}");
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn lifecycle_warning_is_logged_once_per_version() {
    let captured = lc_mock::testing::Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(captured.writer())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = common::mock().await; // 3.5 answers carry `Legacy` by default
    let me = server.issue_customer();
    let c = common::client(&server, &me.token);
    for _ in 0..3 {
        c.call(&lc_types::v3_5::customer::GetCustomerRequest::default()).await.unwrap();
        c.call(&GetCustomerRequest::default()).await.unwrap();
    }
    let logs = captured.text();
    assert_eq!(logs.matches("API v3.5 is legacy").count(), 1, "{logs}");
    assert!(logs.contains("2025-08-13"), "{logs}");
    assert!(!logs.contains("v3.6"), "{logs}");
}

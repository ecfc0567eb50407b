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

/// An agent's personal access token (and its `Basic` form), a bot's secret and its tokens, and
/// an agent token given to the bot-token provider never appear in `Debug`, errors or `tracing`
/// output, through refusals, renewals and a refusal that quotes the secret.
#[tokio::test(flavor = "current_thread")]
async fn agent_and_bot_secrets_never_leak() {
    use lc_types::v3_6::agent::ListRoutingStatusesRequest;
    let captured = lc_mock::testing::Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.writer())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let refused = r#"{"error":{"type":"authentication","message":"Invalid access token"}}"#;
    let mut shown = Vec::new();

    // A personal access token, refused.
    let server = common::raw_server(vec![common::answer("401 Unauthorized", "", refused)]).await;
    let builder = lc_web::WebClient::agent_builder()
        .base_url(&server.url)
        .personal_access_token("acc", "pat-s3cr3t")
        .author_id("bot-7");
    shown.push(format!("{builder:?}"));
    let c = builder.build().unwrap();
    let e = c
        .call(&lc_types::v3_5::agent::ListRoutingStatusesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.api_kind(), Some(&lc_types::ErrorType::Authentication));
    shown.push(format!("{e} {e:?} {c:?}"));
    let pat = lc_web::PersonalAccessToken::new("acc", "pat-s3cr3t");
    shown.push(format!("{pat:?}"));
    let basic = pat.authorization().trim_start_matches("Basic ").to_owned();

    // A bot: a refusal quoting the secret, then tokens the API refuses (renewed once).
    let server = common::routed_server(move |n, text| {
        if text.contains("/issue_bot_token ") {
            if n == 0 {
                return common::answer(
                    "400 Bad Request",
                    "",
                    r#"{"error":{"type":"validation","message":"bot_secret bot-s3cr3t is wrong"}}"#,
                );
            }
            return common::answer("200 OK", "", &format!(r#"{{"token":"bot-tok3n-{n}"}}"#));
        }
        common::answer(
            "401 Unauthorized",
            "",
            r#"{"error":{"type":"authentication","message":"Invalid access token"}}"#,
        )
    })
    .await;
    let tokens = std::sync::Arc::new(
        lc_web::BotTokenProvider::new("bot-7", "my-client", "bot-s3cr3t", "my-org")
            .base_url(&server.url)
            .agent_token("dal:agent-s3cr3t"),
    );
    shown.push(format!("{tokens:?}"));
    let c = lc_web::WebClient::agent_builder()
        .base_url(&server.url)
        .shared_token_provider(tokens.clone())
        .build()
        .unwrap();
    for _ in 0..2 {
        let e = c.call(&ListRoutingStatusesRequest::default()).await.unwrap_err();
        shown.push(format!("{e} {e:?} {c:?} {tokens:?}"));
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            shown.push(format!("{s} {s:?}"));
            source = s.source();
        }
    }
    assert!(tokens.fetched() >= 2, "tokens were issued and renewed");
    let pat_tokens = lc_web::BotTokenProvider::new("bot-7", "c", "bot-s3cr3t", "o").personal_access_token("acc", "pat-s3cr3t");
    shown.push(format!("{pat_tokens:?}"));

    drop(_guard);
    let logs = captured.text();
    assert!(logs.contains("the token was refused"), "the capture works: {logs}");
    assert!(shown.iter().any(|s| s.contains("***")), "the quoted secret is replaced: {shown:?}");
    for secret in ["pat-s3cr3t", basic.as_str(), "bot-s3cr3t", "bot-tok3n", "agent-s3cr3t"] {
        assert!(!logs.contains(secret), "{secret} in the tracing output:\n{logs}");
        for s in &shown {
            assert!(!s.contains(secret), "{secret} in {s}");
        }
    }
}

//! Agents and bots on the wire: each form of authorization (OAuth `Bearer`, personal access
//! token, `X-Author-Id` up to 3.5, bot tokens), checked on a recording server; the bot-token
//! provider's caching and renewal; no second send of a non-idempotent agent action.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{answer, raw_server, routed_server, Raw};
use lc_types::v3_6::agent::{ListRoutingStatusesRequest, MessageEventInput, SendEventRequest};
use lc_types::{v3_5, Region};
use lc_web::{BotTokenProvider, ErrorKind, RetryPolicy, WebClient, WebClientBuilder};

/// An agent's client of `server`, with short backoffs.
fn agent(server: &Raw) -> WebClientBuilder {
    WebClient::agent_builder()
        .base_url(&server.url)
        .retry(RetryPolicy::default().backoff(Duration::from_millis(10), Duration::from_millis(50)))
}

fn ok(body: &str) -> String {
    answer("200 OK", "", body)
}

/// The request line and head of request `n`, lowercased, and its body.
fn request(server: &Raw, n: usize) -> (String, String) {
    let text = server.requests.lock().unwrap()[n].clone();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.to_ascii_lowercase(), body.to_owned())
}

/// The value of header `name` (lowercase) in `head`.
fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
}

#[tokio::test]
async fn a_personal_access_token_is_sent_as_basic_without_region_or_organization() {
    let server = raw_server(vec![ok("[]")]).await;
    let client = agent(&server)
        .personal_access_token("agent@example.com", "pat-s3cr3t")
        .build()
        .unwrap();
    assert_eq!(client.organization_id(), None);
    assert_eq!(client.chat_api(), lc_types::ChatApi::Agent);
    client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
    let (head, body) = request(&server, 0);
    assert!(head.starts_with("post /v3.6/agent/action/list_routing_statuses http/1.1"), "{head}");
    // base64("agent@example.com:pat-s3cr3t"), byte for byte.
    let basic = "Basic YWdlbnRAZXhhbXBsZS5jb206cGF0LXMzY3IzdA==";
    let text = server.requests.lock().unwrap()[0].clone();
    assert!(text.contains(&format!("authorization: {basic}\r\n")), "{text}");
    assert_eq!(header(&head, "x-region"), None, "a PAT has no region: {head}");
    assert_eq!(header(&head, "x-author-id"), None, "{head}");
    assert_eq!(body, "{}");

    // The builder's region is sent with it.
    let server = raw_server(vec![ok("[]")]).await;
    let client = agent(&server)
        .personal_access_token("agent@example.com", "pat-s3cr3t")
        .region(Region::FRA)
        .build()
        .unwrap();
    client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
    assert_eq!(header(&request(&server, 0).0, "x-region"), Some("fra"));

    // An account ID with `:` cannot be a Basic user name.
    let e = WebClient::agent_builder().personal_access_token("a:b", "t").build().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Config), "{e}");
}

#[tokio::test]
async fn a_bearer_token_names_its_region_and_no_organization() {
    for (token, region) in [("fra:agent-token", "fra"), ("dal:agent-token", "dal")] {
        let server = raw_server(vec![ok("[]")]).await;
        let client = agent(&server).token(token).build().unwrap();
        client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
        let (head, _) = request(&server, 0);
        assert!(
            head.starts_with("post /v3.6/agent/action/list_routing_statuses http/1.1"),
            "no query: {head}"
        );
        assert_eq!(header(&head, "authorization"), Some(format!("bearer {token}").as_str()));
        assert_eq!(header(&head, "x-region"), Some(region));
        assert_eq!(header(&head, "x-author-id"), None);
    }
    // An agent's call from a customer's client has no `organization_id` either.
    let server = raw_server(vec![ok("[]")]).await;
    let client = WebClient::builder("my-org").base_url(&server.url).token("dal:t").build().unwrap();
    client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
    assert!(request(&server, 0)
        .0
        .starts_with("post /v3.6/agent/action/list_routing_statuses http/1.1"));
}

#[tokio::test]
async fn an_agents_client_refuses_customer_calls() {
    let server = raw_server(vec![ok("[]")]).await;
    let client = agent(&server).token("dal:t").build().unwrap();
    let e = client
        .call(&lc_types::v3_6::customer::GetCustomerRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Config), "{e}");
    assert!(e.to_string().contains("organization ID"), "{e}");
    assert_eq!(e.attempts(), 0);
    // Untyped calls are the Agent Chat API's.
    let statuses = client
        .call_value(lc_types::ApiVersion::V3_6, "list_routing_statuses", &serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(statuses, serde_json::json!([]));
    assert!(request(&server, 0)
        .0
        .starts_with("post /v3.6/agent/action/list_routing_statuses http/1.1"));
    assert_eq!(server.count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn author_id_is_sent_up_to_3_5_and_refused_from_3_6() {
    let server = raw_server(vec![ok("[]")]).await;
    let client = agent(&server).token("dal:agent-token").author_id("bot-7").build().unwrap();
    client.call(&v3_5::agent::ListRoutingStatusesRequest::default()).await.unwrap();
    let (head, _) = request(&server, 0);
    assert!(head.starts_with("post /v3.5/agent/action/list_routing_statuses"), "{head}");
    assert_eq!(header(&head, "x-author-id"), Some("bot-7"));
    assert_eq!(header(&head, "authorization"), Some("bearer dal:agent-token"));

    // 3.6 removed it: refused before sending, not sent as the agent.
    let e = client.call(&ListRoutingStatusesRequest::default()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Config), "{e}");
    assert!(e.to_string().contains("up to 3.5"), "{e}");
    let e = client
        .call_value(lc_types::ApiVersion::V3_7, "list_routing_statuses", &serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Config), "{e}");
    // The Customer Chat API never had it.
    let customer = WebClient::builder("o")
        .base_url(&server.url)
        .token("dal:t")
        .author_id("bot-7")
        .build()
        .unwrap();
    let e = customer.call(&v3_5::customer::GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Config), "{e}");
    assert_eq!(server.count.load(Ordering::SeqCst), 1, "nothing more was sent");

    // With a PAT too.
    let server = raw_server(vec![ok("[]")]).await;
    let client = agent(&server)
        .personal_access_token("acc", "pat")
        .author_id("bot-7")
        .build()
        .unwrap();
    client.call(&v3_5::agent::ListRoutingStatusesRequest::default()).await.unwrap();
    let (head, _) = request(&server, 0);
    assert_eq!(header(&head, "x-author-id"), Some("bot-7"));
    assert!(header(&head, "authorization").unwrap().starts_with("basic "), "{head}");
}

/// A server for bot tokens: `issue_bot_token` answers `{"token":"bot-token-N"}` (N counting
/// from 1); the Agent Chat API answers `[]`, or `authentication` to the tokens in `refused`.
struct BotServer {
    raw: Raw,
    issued: Arc<AtomicUsize>,
}

async fn bot_server(refused: &'static [&'static str]) -> BotServer {
    let issued = Arc::new(AtomicUsize::new(0));
    let count = issued.clone();
    let raw = routed_server(move |_, text| {
        let head = text.split("\r\n\r\n").next().unwrap_or_default().to_ascii_lowercase();
        if head.starts_with("post /v3.6/configuration/action/issue_bot_token ") {
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            return ok(&format!(r#"{{"token":"bot-token-{n}"}}"#));
        }
        if refused.iter().any(|t| head.contains(&format!("authorization: bearer {t}\r\n"))) {
            return answer(
                "401 Unauthorized",
                "",
                r#"{"error":{"type":"authentication","message":"Invalid access token"}}"#,
            );
        }
        ok("[]")
    })
    .await;
    BotServer { raw, issued }
}

fn bot(server: &BotServer) -> BotTokenProvider {
    BotTokenProvider::new("bot-7", "my-client", "bot-s3cr3t", "my-org").base_url(&server.raw.url)
}

/// The `Authorization` of each Agent Chat API request, in order.
fn agent_authorizations(server: &Raw) -> Vec<String> {
    let requests = server.requests.lock().unwrap().clone();
    requests
        .iter()
        .map(|t| t.to_ascii_lowercase())
        .filter(|t| t.contains("/agent/action/"))
        .map(|t| header(&t, "authorization").unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_bot_token_is_issued_once_and_cached() {
    let server = bot_server(&[]).await;
    let tokens = Arc::new(bot(&server));
    let client = agent(&server.raw).shared_token_provider(tokens.clone()).build().unwrap();
    for _ in 0..3 {
        client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
    }
    // Concurrent calls share one token.
    let list = ListRoutingStatusesRequest::default();
    let calls = (0..5).map(|_| client.call(&list));
    for r in futures_join(calls).await {
        r.unwrap();
    }
    assert_eq!(server.issued.load(Ordering::SeqCst), 1);
    assert_eq!(tokens.fetched(), 1);
    assert_eq!(agent_authorizations(&server.raw), vec!["bearer bot-token-1"; 8]);

    // The issuing request.
    let (head, body) = request(&server.raw, 0);
    assert!(
        head.starts_with("post /v3.6/configuration/action/issue_bot_token http/1.1"),
        "{head}"
    );
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    assert_eq!(header(&head, "authorization"), None, "no agent credentials unless set");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"bot_id": "bot-7", "client_id": "my-client", "bot_secret": "bot-s3cr3t", "organization_id": "my-org"})
    );

    // With an agent's credentials for the issuing request, in another version.
    for (tokens, expected) in [
        (bot(&server).agent_token("dal:agent-token"), "bearer dal:agent-token"),
        (bot(&server).personal_access_token("acc", "pat"), "basic ywnjonbhda=="),
    ] {
        let client = agent(&server.raw).token_provider(tokens).build().unwrap();
        client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
        let n = server.raw.requests.lock().unwrap().len() - 2;
        let (head, _) = request(&server.raw, n);
        assert!(head.contains("/issue_bot_token "), "{head}");
        assert_eq!(header(&head, "authorization"), Some(expected));
    }
    let tokens = bot(&server).api_version(v3_5_version());
    let client = agent(&server.raw).token_provider(tokens).build().unwrap();
    // The server answers 3.6 only: 3.5's path is asked for.
    let e = client.call(&ListRoutingStatusesRequest::default()).await;
    let n = server.raw.requests.lock().unwrap().len();
    let text = server.raw.requests.lock().unwrap()[n - 2..].join("\n");
    assert!(text.contains("POST /v3.5/configuration/action/issue_bot_token"), "{text} {e:?}");
}

fn v3_5_version() -> lc_types::ApiVersion {
    lc_types::ApiVersion::V3_5
}

/// Runs the futures concurrently on this task.
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    futures_util::future::join_all(futures).await
}

#[tokio::test]
async fn a_bot_token_is_renewed_before_it_expires() {
    let server = bot_server(&[]).await;
    let tokens = Arc::new(bot(&server).lifetime(Duration::from_millis(300)).refresh_before(Duration::ZERO));
    let client = agent(&server.raw).shared_token_provider(tokens.clone()).build().unwrap();
    client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
    client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
    assert_eq!(tokens.fetched(), 2);
    assert_eq!(
        agent_authorizations(&server.raw),
        ["bearer bot-token-1", "bearer bot-token-1", "bearer bot-token-2"]
    );
    // A lifetime is at most a day.
    let long = bot(&server).lifetime(Duration::from_secs(u64::MAX));
    assert!(format!("{long:?}").contains("bot-7"));
}

#[tokio::test]
async fn a_refused_bot_token_is_renewed_once() {
    let server = bot_server(&["bot-token-1"]).await;
    let tokens = Arc::new(bot(&server));
    let client = agent(&server.raw).shared_token_provider(tokens.clone()).build().unwrap();
    client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
    client.call(&ListRoutingStatusesRequest::default()).await.unwrap();
    assert_eq!(tokens.fetched(), 2);
    assert_eq!(
        agent_authorizations(&server.raw),
        ["bearer bot-token-1", "bearer bot-token-2", "bearer bot-token-2"]
    );

    // A provider that gets refused tokens only: one renewal, then the API's error.
    let server = bot_server(&["bot-token-1", "bot-token-2", "bot-token-3"]).await;
    let tokens = Arc::new(bot(&server));
    let client = agent(&server.raw).shared_token_provider(tokens.clone()).build().unwrap();
    let e = client.call(&ListRoutingStatusesRequest::default()).await.unwrap_err();
    assert_eq!(e.api_kind(), Some(&lc_types::ErrorType::Authentication), "{e}");
    assert_eq!(tokens.fetched(), 2);
}

#[tokio::test]
async fn issue_bot_token_failures_are_token_errors() {
    let huge = "x".repeat(lc_web::MAX_RESPONSE_BYTES + 10);
    for (answer_text, says) in [
        (
            answer(
                "401 Unauthorized",
                "",
                r#"{"error":{"type":"authentication","message":"bad secret bot-s3cr3t \u001b[31m"}}"#,
            ),
            "issue_bot_token failed: API error authentication",
        ),
        (ok(r#"{"tok":"x"}"#), "issue_bot_token failed"),
        (ok(&huge), "larger than"),
        (answer("302 Found", "Location: https://elsewhere.example/\r\n", ""), "not followed"),
        ("RESET".to_owned(), "did not answer"),
    ] {
        let server = raw_server(vec![answer_text]).await;
        let tokens = BotTokenProvider::new("bot-7", "my-client", "bot-s3cr3t", "my-org").base_url(&server.url);
        let client = agent(&server).token_provider(tokens).build().unwrap();
        let e = client.call(&ListRoutingStatusesRequest::default()).await.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Token), "{e}");
        let shown = format!("{e} {e:?}");
        assert!(shown.contains(says), "{shown}");
        assert!(!shown.contains("bot-s3cr3t"), "{shown}");
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert!(shown.len() < 2_000, "{shown}");
    }
}

#[tokio::test]
async fn a_non_idempotent_agent_action_is_never_sent_twice() {
    // The manifest says `idempotent: false`.
    const { assert!(!<SendEventRequest as lc_types::WebAction>::IDEMPOTENT) };
    // The server reads the request and drops the connection without answering.
    let server = raw_server(vec!["RESET".into(), ok(r#"{"event_id":"E1"}"#)]).await;
    let client = agent(&server).token("dal:agent-token").build().unwrap();
    let e = client
        .call(&SendEventRequest::new("CHAT1", MessageEventInput::new("Hello")))
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport { .. }), "{e}");
    assert_eq!(e.attempts(), 1);
    assert_eq!(server.count.load(Ordering::SeqCst), 1, "sent once");
    assert!(request(&server, 0).0.starts_with("post /v3.6/agent/action/send_event "));

    // An idempotent one is sent again.
    let server = raw_server(vec!["RESET".into(), ok("[]")]).await;
    let client = agent(&server).token("dal:agent-token").build().unwrap();
    let (_, meta) = client.call_with_meta(&ListRoutingStatusesRequest::default()).await.unwrap();
    assert_eq!(meta.attempts, 2);
}

//! What the mock does at the transport level for clients to notice: the accounts token
//! endpoint (issuing and expiring tokens), regions (`misdirected_request` with `data.region`),
//! the lifecycle headers on Web answers and RTM handshakes, and request counts. HTTP/2 is
//! exercised by lc-web's tests.

use std::time::Duration;

use lc_mock::{Config, LifecycleHeader, MockServer};
use lc_types::ApiVersion;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 exchange: (status, lower-cased head, JSON body).
async fn exchange(server: &MockServer, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> (u16, String, Value) {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: mock\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head[9..12].parse().unwrap();
    let text = String::from_utf8_lossy(&raw[split + 4..]).to_string();
    (status, head, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn action(server: &MockServer, version: &str, name: &str) -> String {
    format!("/v{version}/customer/action/{name}?organization_id={}", server.organization_id())
}

#[tokio::test]
async fn accounts_issue_tokens_that_work_and_expire() {
    let config = Config {
        token_lifetime: Duration::from_secs(1),
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    let org = server.organization_id().to_owned();
    let grant = json!({"grant_type": "cookie", "client_id": "c1", "organization_id": org, "response_type": "token"}).to_string();
    let json = [("Content-Type", "application/json")];
    let (status, head, token) = exchange(&server, "POST", "/v2/customer/token", &json, &grant).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(
        (&token["token_type"], &token["expires_in"], &token["organization_id"]),
        (&json!("Bearer"), &json!(1), &json!(org))
    );
    let access = token["access_token"].as_str().unwrap().to_owned();
    assert!(access.starts_with("dal:"), "{access}");
    let customer = token["entity_id"].as_str().unwrap().to_owned();
    // The identity cookies bring the same customer back with a new token.
    let cookies: Vec<String> = head
        .lines()
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .collect();
    assert_eq!(cookies.len(), 2, "{head}");
    let cookie = cookies.join("; ");
    let (_, _, again) = exchange(&server, "POST", "/v2/customer/token", &[json[0], ("Cookie", &cookie)], &grant).await;
    assert_eq!(again["entity_id"], customer.as_str());
    assert_ne!(again["access_token"], access.as_str());
    // Without them: a new customer.
    let (_, _, other) = exchange(&server, "POST", "/v2/customer/token", &json, &grant).await;
    assert_ne!(other["entity_id"], customer.as_str());
    // The token authenticates, until it expires.
    let bearer = format!("Bearer {access}");
    let auth = [("Content-Type", "application/json"), ("Authorization", bearer.as_str())];
    let (status, _, me) = exchange(&server, "POST", &action(&server, "3.6", "get_customer"), &auth, "{}").await;
    assert_eq!((status, &me["id"]), (200, &json!(customer)));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, e) = exchange(&server, "POST", &action(&server, "3.6", "get_customer"), &auth, "{}").await;
    assert_eq!((status, &e["error"]["type"]), (401, &json!("authentication")));
    // The agent-token grant, for a named customer; refusals.
    let agent =
        json!({"grant_type": "agent_token", "client_id": "c1", "organization_id": org, "response_type": "token", "customer_id": customer})
            .to_string();
    let (status, _, t) = exchange(
        &server,
        "POST",
        "/v2/customer/token",
        &[json[0], ("Authorization", "Bearer agent")],
        &agent,
    )
    .await;
    assert_eq!((status, &t["entity_id"]), (200, &json!(customer)));
    let (status, _, e) = exchange(&server, "POST", "/v2/customer/token", &json, &agent).await;
    assert_eq!((status, &e["error"]), (401, &json!("unauthorized")));
    let wrong = json!({"grant_type": "cookie", "client_id": "c1", "organization_id": "nope", "response_type": "token"}).to_string();
    assert_eq!(exchange(&server, "POST", "/v2/customer/token", &json, &wrong).await.0, 400);
    // expire_token ends one at once.
    let live = server.issue_token();
    server.expire_token(&live);
    let bearer = format!("Bearer {live}");
    let (status, _, _) = exchange(
        &server,
        "POST",
        &action(&server, "3.6", "get_customer"),
        &[json[0], ("Authorization", &bearer)],
        "{}",
    )
    .await;
    assert_eq!(status, 401);
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_for_another_region_is_misdirected() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let token = server.issue_token();
    let bearer = format!("Bearer {token}");
    let target = action(&server, "3.6", "get_customer");
    let with = |region: &'static str| [("Content-Type", "application/json"), ("Authorization", ""), ("X-Region", region)];
    // dal by default, with or without the header.
    let mut h = with("dal");
    h[1].1 = &bearer;
    assert_eq!(exchange(&server, "POST", &target, &h[..2], "{}").await.0, 200);
    assert_eq!(exchange(&server, "POST", &target, &h, "{}").await.0, 200);
    let mut h = with("fra");
    h[1].1 = &bearer;
    let (status, _, e) = exchange(&server, "POST", &target, &h, "{}").await;
    assert_eq!(
        (status, e),
        (
            421,
            json!({"error": {"type": "misdirected_request", "message": "Wrong region", "data": {"region": "dal"}}})
        )
    );
    server.set_region("fra");
    assert_eq!(server.region(), "fra");
    assert_eq!(exchange(&server, "POST", &target, &h, "{}").await.0, 200);
    let (status, _, e) = exchange(&server, "POST", &target, &h[..2], "{}").await;
    assert_eq!((status, &e["error"]["data"]), (421, &json!({"region": "fra"})));
    assert!(server.issue_token().starts_with("fra:"));
    assert_eq!(server.web_requests("get_customer"), 5);
    assert_eq!(server.web_requests("send_event"), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn lifecycle_headers_on_web_answers_and_rtm_handshakes() {
    let config = Config {
        lifecycle: vec![
            LifecycleHeader::legacy(ApiVersion::V3_5, "2025-08-13"),
            LifecycleHeader::deprecation(ApiVersion::V3_7, "2026-12-01"),
        ],
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    let json = [("Content-Type", "application/json")];
    for (version, want) in [
        ("3.5", Some("legacy: 2025-08-13")),
        ("3.6", None),
        ("3.7", Some("deprecation: 2026-12-01")),
    ] {
        // Errors carry them too (here: no token).
        let (status, head, _) = exchange(&server, "POST", &action(&server, version, "get_customer"), &json, "{}").await;
        assert_eq!(status, 401);
        match want {
            Some(line) => assert!(head.lines().any(|l| l == line), "{version}: {head}"),
            None => assert!(!head.contains("legacy") && !head.contains("deprecation"), "{head}"),
        }
        let url = format!("{}?organization_id={}", server.rtm_url(version), server.organization_id());
        let (_, response) = tokio_tungstenite::connect_async(url).await.unwrap();
        let header = |n: &str| response.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
        let got = header("legacy")
            .map(|d| format!("legacy: {d}"))
            .or(header("deprecation").map(|d| format!("deprecation: {d}")));
        assert_eq!(got.as_deref(), want, "RTM {version}");
    }
    // The default configuration marks 3.5 legacy.
    assert_eq!(
        Config::default().lifecycle,
        vec![LifecycleHeader::legacy(ApiVersion::V3_5, "2025-08-13")]
    );
    server.shutdown().await;
}

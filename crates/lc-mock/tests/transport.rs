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
        "{method} {target} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str("Host: mock\r\n");
    }
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

/// What a browser needs, as the official customer-sdk showed: CORS on every answer (the
/// accounts service with credentials, preflights for requests with `Authorization`), identity
/// cookies a cross-site request sends back, the `uniqueGroups` token path, and the region
/// named by the host (`api-fra.…`), since a browser cannot send `X-Region`.
#[tokio::test]
async fn browsers_get_cors_cookies_the_group_token_path_and_the_hosts_region() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let org = server.organization_id().to_owned();
    let origin = ("Origin", "https://www.example.com");
    // A preflight: answered at once, nothing routed or counted.
    let target = action(&server, "3.5", "check_goals");
    let preflight = [
        origin,
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "authorization,content-type"),
    ];
    let (status, head, _) = exchange(&server, "OPTIONS", &target, &preflight, "").await;
    assert_eq!(status, 204, "{head}");
    for want in [
        "access-control-allow-origin: https://www.example.com",
        "access-control-allow-credentials: true",
        "access-control-allow-headers: authorization,content-type",
    ] {
        assert!(head.lines().any(|l| l == want), "{want} in {head}");
    }
    assert!(head.contains("access-control-allow-methods: get, post, options"), "{head}");
    assert_eq!(server.web_requests("check_goals"), 0);
    let (status, head, _) = exchange(&server, "OPTIONS", "/v2/customer/token", &preflight, "").await;
    assert_eq!(status, 204, "{head}");
    // Never on the control API: a page a developer visits must not read a local mock's tokens.
    let (status, head, _) = exchange(&server, "POST", "/_lc/customers", &[origin], "").await;
    assert_eq!(status, 200, "{head}");
    assert!(!head.contains("access-control"), "{head}");
    let (_, head, _) = exchange(&server, "OPTIONS", "/_lc/customers", &preflight, "").await;
    assert!(!head.contains("access-control"), "{head}");
    // The token with credentials: CORS, and cookies a cross-site request carries.
    let grant = json!({"grant_type": "cookie", "client_id": "c1", "organization_id": org, "response_type": "token"}).to_string();
    let (status, head, token) = exchange(&server, "POST", "/v2/customer/token", &[origin], &grant).await;
    assert_eq!(status, 200, "{token}");
    assert!(head.contains("access-control-allow-origin: https://www.example.com\r\n"), "{head}");
    assert!(head.contains("access-control-allow-credentials: true"), "{head}");
    let cookies: Vec<&str> = head.lines().filter(|l| l.starts_with("set-cookie:")).collect();
    assert!(
        cookies.len() == 2 && cookies.iter().all(|c| c.contains("samesite=none") && c.contains("secure")),
        "{head}"
    );
    // Without an Origin (not a browser), no CORS headers.
    let (_, head, _) = exchange(&server, "POST", "/v2/customer/token", &[], &grant).await;
    assert!(!head.contains("access-control"), "{head}");
    // customer-auth's `uniqueGroups` path.
    let path = format!("/v2/customer/{org}/0/token");
    let (status, _, t) = exchange(&server, "POST", &path, &[origin], &grant).await;
    assert_eq!(status, 200, "{t}");
    assert!(t["access_token"].as_str().unwrap().starts_with("dal:"), "{t}");
    assert_eq!(exchange(&server, "POST", "/v2/customer/nope/0/token", &[], &grant).await.0, 400);
    assert_eq!(
        exchange(&server, "POST", &format!("/v2/customer/{org}/x/token"), &[], &grant)
            .await
            .0,
        400
    );
    assert_eq!(
        exchange(&server, "POST", &format!("/v2/customer/{org}/+1/token"), &[], &grant)
            .await
            .0,
        400
    );
    // A customer identity of its own per group, in one cookie jar.
    let paths = ["/v2/customer/token".to_owned(), format!("/v2/customer/{org}/1/token")];
    let mut cookies = Vec::new();
    let mut ids = Vec::new();
    for path in &paths {
        let (_, head, t) = exchange(&server, "POST", path, &[], &grant).await;
        cookies.extend(
            head.lines()
                .filter_map(|l| l.strip_prefix("set-cookie: "))
                .map(|c| c.split(';').next().unwrap().to_owned()),
        );
        ids.push(t["entity_id"].clone());
    }
    assert_ne!(ids[0], ids[1]);
    let cookie = cookies.join("; ");
    for (path, id) in paths.iter().zip(&ids) {
        let (_, _, t) = exchange(&server, "POST", path, &[("Cookie", cookie.as_str())], &grant).await;
        assert_eq!(&t["entity_id"], id, "{path}: the same customer again");
    }
    let (_, _, two) = exchange(
        &server,
        "POST",
        &format!("/v2/customer/{org}/2/token"),
        &[("Cookie", cookie.as_str())],
        &grant,
    )
    .await;
    assert!(!ids.contains(&two["entity_id"]), "group 2 is another customer: {two}");

    // The region from the host when there is no X-Region.
    server.set_region("fra");
    let bearer = format!("Bearer {}", server.issue_token());
    let target = action(&server, "3.6", "get_customer");
    let fra = [
        ("Host", "api-fra.livechatinc.com"),
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
    ];
    assert_eq!(exchange(&server, "POST", &target, &fra, "{}").await.0, 200);
    let dal = [("Host", "api.livechatinc.com"), fra[1], fra[2]];
    let (status, _, e) = exchange(&server, "POST", &target, &dal, "{}").await;
    assert_eq!((status, &e["error"]["data"]), (421, &json!({"region": "fra"})));
    // X-Region wins over the host.
    let both = [fra[0], fra[1], fra[2], ("X-Region", "dal")];
    assert_eq!(exchange(&server, "POST", &target, &both, "{}").await.0, 421);
    // RTM alike: the host's region is the mock's, so the connection is not misdirected.
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}?organization_id={org}", server.rtm_url("3.6"));
    for (host, misdirected) in [("api-fra.livechatinc.com", false), ("api.livechatinc.com", true)] {
        let mut request = url.as_str().into_client_request().unwrap();
        request.headers_mut().insert("host", host.parse().unwrap());
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let login = json!({"action": "login", "request_id": "1", "payload": {"token": bearer}}).to_string();
        socket
            .send(tokio_tungstenite::tungstenite::Message::Text(login.into()))
            .await
            .unwrap();
        let first = loop {
            match tokio::time::timeout(Duration::from_secs(5), socket.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap()
            {
                tokio_tungstenite::tungstenite::Message::Text(t) => break serde_json::from_str::<Value>(t.as_str()).unwrap(),
                _ => continue,
            }
        };
        let was_misdirected = first["payload"]["reason"] == "misdirected_connection";
        assert_eq!(was_misdirected, misdirected, "{host}: {first}");
    }
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

/// HTTP/2 names the host in `:authority`, not `Host`: the region it names counts all the same
/// (curl and browsers speak HTTP/2 to a TLS mock).
#[tokio::test]
async fn the_hosts_region_counts_over_http2_too() {
    let server = MockServer::start(Config::default()).await.unwrap();
    server.set_region("fra");
    let bearer = format!("Bearer {}", server.issue_token());
    let tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), hyper_util::rt::TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let target = action(&server, "3.6", "get_customer");
    for (host, want) in [("api-fra.livechatinc.com", 200), ("api.livechatinc.com", 421)] {
        let request = hyper::Request::post(format!("http://{host}:{}{target}", server.addr().port()))
            .header("authorization", bearer.as_str())
            .header("content-type", "application/json")
            .body(String::from("{}"))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(
            (response.version(), response.status().as_u16()),
            (hyper::Version::HTTP_2, want),
            "{host}"
        );
    }
    server.shutdown().await;
}

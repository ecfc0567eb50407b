//! Plain clients for the mock's integration tests: HTTP/1.1 over a TCP socket and a bare
//! WebSocket (tokio-tungstenite), not our transports.
#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lc_mock::MockServer;
use lc_types::web::{Body, HttpRequest};
use lc_types::{ApiVersion, RequestFrame, WebMethod};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// Sends one HTTP request with a raw body; returns (status, body bytes).
pub(crate) async fn http_raw(server: &MockServer, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let (status, _, body) = http_exchange(server, method, target, headers, body).await;
    (status, body)
}

/// Sends one HTTP request with a raw body; returns (status, the response head, body bytes
/// (de-chunked)).
pub(crate) async fn http_exchange(
    server: &MockServer,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: mock\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    // The server may answer (and close) before reading a body it refuses.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head[9..12].parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, head, body)
}

/// Sends the head of a request whose `Content-Length` announces `len` bytes, and none of the
/// body; returns (status, JSON body) of the answer, which must come within [`WAIT`] (so the
/// server answered without waiting for the body).
pub(crate) async fn announce(server: &MockServer, method: &str, target: &str, headers: &[(&str, &str)], len: u64) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: mock\r\nConnection: close\r\nContent-Length: {len}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("an answer without the body")
        .unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head[9..12].parse().unwrap();
    let text = String::from_utf8_lossy(&raw[split + 4..]).to_string();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[line_end + 2..line_end + 2 + size]);
        raw = &raw[line_end + 2 + size + 2..];
    }
}

/// Sends one HTTP request; returns (status, JSON body).
pub(crate) async fn http(server: &MockServer, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    let (status, body) = http_raw(server, method, target, headers, body.as_bytes()).await;
    let text = String::from_utf8_lossy(&body).to_string();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

/// A customer calling the Web API of one version.
pub(crate) struct Web<'a> {
    pub server: &'a MockServer,
    pub token: String,
    pub version: &'a str,
}

impl Web<'_> {
    /// Calls `action` as `lc_types`' Web codec encodes it (POST with a JSON body, GET with query
    /// parameters for the GET actions; POST for an action the version does not have on the Web
    /// API); (status, body).
    pub(crate) async fn call(&self, action: &str, payload: Value) -> (u16, Value) {
        let version: ApiVersion = self.version.parse().unwrap();
        let method = match lc_types::api(lc_types::ChatApi::Customer, version)
            .and_then(|a| a.action(action))
            .and_then(|a| a.web)
        {
            Some(WebMethod::Get) => WebMethod::Get,
            _ => WebMethod::Post,
        };
        let org = self.server.organization_id();
        let auth = format!("Bearer {}", self.token);
        let Ok(request) = HttpRequest::from_parts(lc_types::ChatApi::Customer, version, action, method, &payload, org, None) else {
            // Not a JSON object: the codec refuses it, so it goes out as it is (bad-input tests).
            let target = format!("/v{version}/customer/action/{action}?organization_id={org}");
            let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
            return http(self.server, "POST", &target, &headers, &payload.to_string()).await;
        };
        let mut headers = vec![("Authorization", auth.as_str())];
        headers.extend(request.headers.iter().map(|(k, v)| (*k, v.as_str())));
        let body = match &request.body {
            Body::Json(bytes) => String::from_utf8(bytes.clone()).unwrap(),
            _ => String::new(),
        };
        http(self.server, request.method.as_str(), &request.path_and_query(), &headers, &body).await
    }

    /// Calls and asserts HTTP 200; the body.
    pub(crate) async fn ok(&self, action: &str, payload: Value) -> Value {
        let (status, body) = self.call(action, payload).await;
        assert_eq!(status, 200, "{action} over Web v{}: {body}", self.version);
        body
    }

    /// Calls and asserts the error status and type; the message.
    pub(crate) async fn refused(&self, action: &str, payload: Value, status: u16, kind: &str) -> String {
        let (got, body) = self.call(action, payload).await;
        assert_eq!((got, body["error"]["type"].as_str()), (status, Some(kind)), "{action}: {body}");
        body["error"]["message"].as_str().unwrap().to_owned()
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A bare RTM connection.
pub(crate) struct Rtm {
    pub socket: Socket,
    /// The version of the connection's URL.
    pub version: ApiVersion,
    next: u64,
    /// Frames read while waiting for something else.
    pub backlog: Vec<Value>,
}

/// How long a test waits for a frame before it fails.
pub(crate) const WAIT: Duration = Duration::from_secs(5);

impl Rtm {
    /// Connects to `version` of the mock's organization (not logged in).
    pub(crate) async fn connect(server: &MockServer, version: &str) -> Rtm {
        let url = format!("{}?organization_id={}", server.rtm_url(version), server.organization_id());
        Self::connect_url(&url).await
    }

    pub(crate) async fn connect_url(url: &str) -> Rtm {
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let path = url.split('?').next().unwrap_or_default();
        let version = path.split('/').find_map(|s| s.parse().ok()).unwrap_or(ApiVersion::V3_6);
        Rtm {
            socket,
            version,
            next: 0,
            backlog: Vec::new(),
        }
    }

    /// Connects and logs in with `token`; the login response payload.
    pub(crate) async fn login(server: &MockServer, version: &str, token: &str) -> (Rtm, Value) {
        let mut rtm = Rtm::connect(server, version).await;
        let r = rtm.request("login", json!({ "token": format!("Bearer {token}") })).await;
        assert_eq!(r["success"], true, "{r}");
        (rtm, r["payload"].clone())
    }

    pub(crate) async fn send_text(&mut self, text: &str) {
        self.socket.send(Message::Text(text.into())).await.unwrap();
    }

    /// Sends a request frame, as `lc_types`' [`RequestFrame`] encodes it, with a fresh
    /// `request_id`; the ID.
    pub(crate) async fn send(&mut self, action: &str, payload: Value) -> String {
        self.next += 1;
        let id = format!("r{}", self.next);
        let frame = RequestFrame::from_parts(self.version, action, &payload, Some(id.clone()), self.version).unwrap();
        self.send_text(&serde_json::to_string(&frame).unwrap()).await;
        id
    }

    /// Sends `frame` with a fresh `request_id` added; the ID.
    pub(crate) async fn send_frame(&mut self, mut frame: Value) -> String {
        self.next += 1;
        let id = format!("r{}", self.next);
        frame["request_id"] = json!(id);
        self.send_text(&frame.to_string()).await;
        id
    }

    /// The next frame (from the backlog first); `None` when the socket closed.
    pub(crate) async fn next(&mut self) -> Option<Value> {
        if !self.backlog.is_empty() {
            return Some(self.backlog.remove(0));
        }
        self.read().await
    }

    /// Reads off the socket (not the backlog); `None` when it closed.
    async fn read(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next()).await.expect("a frame in time")?;
            match message {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(t.as_str()).unwrap_or_else(|_| json!({ "raw": t.as_str() }))),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Waits for the frame matching `want`, keeping the others in the backlog.
    pub(crate) async fn wait(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&want) {
            return self.backlog.remove(i);
        }
        loop {
            let frame = self.read().await.expect("the connection to stay open");
            if want(&frame) {
                return frame;
            }
            self.backlog.push(frame);
        }
    }

    /// The response to `request_id`.
    pub(crate) async fn response(&mut self, request_id: &str) -> Value {
        self.wait(|f| f["type"] == "response" && f["request_id"] == request_id).await
    }

    /// The next push named `name`.
    pub(crate) async fn push(&mut self, name: &str) -> Value {
        self.wait(|f| f["type"] == "push" && f["action"] == name).await
    }

    /// Sends a request and waits for its response frame.
    pub(crate) async fn request(&mut self, action: &str, payload: Value) -> Value {
        let id = self.send(action, payload).await;
        self.response(&id).await
    }

    /// Sends a request and asserts success; the response payload.
    pub(crate) async fn ok(&mut self, action: &str, payload: Value) -> Value {
        let r = self.request(action, payload).await;
        assert_eq!(r["success"], true, "{action} over RTM: {r}");
        r["payload"].clone()
    }

    /// Sends a request and asserts failure with `kind`; the message.
    pub(crate) async fn refused(&mut self, action: &str, payload: Value, kind: &str) -> String {
        let r = self.request(action, payload).await;
        assert_eq!(
            (r["success"].as_bool(), r["payload"]["error"]["type"].as_str()),
            (Some(false), Some(kind)),
            "{action}: {r}"
        );
        r["payload"]["error"]["message"].as_str().unwrap().to_owned()
    }

    /// Reads for `d` as a browser does, sending nothing of its own (tungstenite answers each
    /// WebSocket ping while reading); asserts no text frame arrives; the pings seen.
    pub(crate) async fn idle_reading(&mut self, d: Duration) -> usize {
        assert!(self.backlog.is_empty(), "unexpected frames: {:?}", self.backlog);
        let until = tokio::time::Instant::now() + d;
        let mut pings = 0;
        while let Ok(m) = tokio::time::timeout_at(until, self.socket.next()).await {
            match m {
                Some(Ok(Message::Ping(_))) => pings += 1,
                other => panic!("unexpected frame: {other:?}"),
            }
        }
        pings
    }

    /// Asserts nothing arrives within `d` (backlog included).
    pub(crate) async fn silent_for(&mut self, d: Duration) {
        assert!(self.backlog.is_empty(), "unexpected frames: {:?}", self.backlog);
        if let Ok(Some(m)) = tokio::time::timeout(d, self.socket.next()).await {
            panic!("unexpected frame: {m:?}");
        }
    }
}

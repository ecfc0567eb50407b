//! Entry points for the fuzz targets in `fuzz/` (not part of the API): the mock's Web and RTM
//! handlers run in process, without sockets (RTM over an in-memory stream, through the same
//! router and connection task as a real socket), the customer actions through the engine, and
//! a fingerprint of the state to check that a refused request changed nothing.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;

use crate::engine::{self, Caller};
use crate::{Config, CustomerCredentials, Shared};

/// A mock without a socket, with its own single-threaded runtime.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    shared: Arc<Shared>,
    connect: mpsc::UnboundedSender<DuplexStream>,
}

/// An answer: the HTTP status (RTM: 200 for a success, else the error type's status), and the
/// body (the response, or the error envelope).
#[derive(Clone, Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The JSON body (`Value::Null` when it is not JSON).
    pub body: Value,
}

impl Answer {
    fn of(result: Result<Value, crate::Refusal>) -> Answer {
        match result {
            Ok(body) => Answer { status: 200, body },
            Err(r) => Answer {
                status: r.status(),
                body: serde_json::to_value(r.envelope()).expect("an envelope is JSON"),
            },
        }
    }
}

/// Accepts the in-memory connections [`Harness::rtm`] opens.
struct InMemory(mpsc::UnboundedReceiver<DuplexStream>);

impl axum::serve::Listener for InMemory {
    type Io = DuplexStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (DuplexStream, std::net::SocketAddr) {
        match self.0.recv().await {
            Some(io) => (io, ([127, 0, 0, 1], 9).into()),
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        Ok(([127, 0, 0, 1], 9).into())
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    /// A mock with [`Config::default`] (schemas checked), serving in-memory connections.
    pub fn new() -> Harness {
        let config = Config::default();
        let shared = Arc::new(Shared::new(config, ([127, 0, 0, 1], 9).into()));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let app = axum::Router::new()
            .route("/{version}/customer/action/{action}", axum::routing::any(crate::web::action))
            .route("/{version}/customer/rtm/ws", axum::routing::get(crate::rtm::upgrade))
            .with_state(shared.clone());
        let (connect, accepted) = mpsc::unbounded_channel();
        rt.spawn(async move {
            let _ = axum::serve(InMemory(accepted), app).await;
        });
        Harness { rt, shared, connect }
    }

    /// Forgets everything: a fresh organization, no problems, no tokens (the compiled schemas
    /// are kept, which is what makes this cheaper than a new harness).
    pub fn reset(&self) {
        self.settle();
        self.shared.faults.clear();
        *crate::write(&self.shared.region) = Config::default().region;
        *crate::lock(&self.shared.state) = crate::state::State::new(&self.shared.organization_id, &self.shared.instance);
        self.shared.clear_problems();
        crate::lock(&self.shared.expiries).clear();
        crate::lock(&self.shared.token_clients).clear();
    }

    /// Lets the server's tasks run (e.g. a closed connection unregister).
    pub fn settle(&self) {
        self.rt.block_on(async {
            for _ in 0..16 {
                tokio::task::yield_now().await;
            }
        });
    }

    /// The organization ID requests must name.
    pub fn organization_id(&self) -> &str {
        &self.shared.organization_id
    }

    /// A new customer and its token.
    pub fn issue_customer(&self) -> CustomerCredentials {
        let (id, token) = self.shared.issue_token(None);
        CustomerCredentials { id, token }
    }

    /// Every mock bug seen since the last [`Harness::reset`] (see `MockServer::problems`).
    pub fn problems(&self) -> Vec<String> {
        self.shared.problems()
    }

    /// The whole state, as text: equal before and after a request that changed nothing.
    pub fn fingerprint(&self) -> String {
        format!("{:?}", *crate::lock(&self.shared.state))
    }

    /// One Web request through the mock's HTTP handler (`/v{version}/customer/action/{action}`).
    pub fn web(&self, version: &str, action: &str, query: &str, method: &str, headers: &[(String, String)], body: Vec<u8>) -> Answer {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::POST);
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                map.append(k, v);
            }
        }
        let future = crate::web::action(
            State(self.shared.clone()),
            Path((version.to_owned(), action.to_owned())),
            RawQuery(Some(query.to_owned())),
            method,
            map,
            Body::from(body),
        );
        self.answer(future)
    }

    /// Every control endpoint: (method, path), in the order `GET /_lc` lists them.
    pub fn control_endpoints() -> Vec<(&'static str, &'static str)> {
        crate::control::endpoint_list()
    }

    /// Clears the injected faults (as `POST /_lc/faults/clear`) and moves the mock back to its
    /// first region: what a control request may have changed that makes customer requests
    /// fail or wait.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
        *crate::write(&self.shared.region) = Config::default().region;
    }

    /// Runs a handler's future to its answer: status and body as JSON (`null` if it is none).
    fn answer(&self, future: impl std::future::Future<Output = axum::response::Response>) -> Answer {
        self.rt.block_on(async {
            let response = future.await;
            let status = response.status().as_u16();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
            Answer {
                status,
                body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            }
        })
    }

    /// One control API request through the mock's handler (`method path?query`, `body`).
    pub fn control(&self, method: &str, path: &str, query: &str, body: Vec<u8>) -> Answer {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::POST);
        let uri = format!("{path}?{query}")
            .parse::<axum::http::Uri>()
            .unwrap_or_else(|_| axum::http::Uri::from_static("/_lc"));
        let future = crate::control::handle(
            State(self.shared.clone()),
            method,
            uri,
            RawQuery(Some(query.to_owned())),
            HeaderMap::new(),
            Body::from(body),
        );
        self.answer(future)
    }

    /// Runs customer action `action` of `version` for `customer` through the engine (what the
    /// Web and RTM handlers call after their transport checks; `login` too, without
    /// registering a connection).
    pub fn execute(&self, version: lc_types::ApiVersion, action: &str, customer: &str, payload: &Value) -> Answer {
        Answer::of(engine::execute(
            &self.shared,
            version,
            action,
            customer,
            payload,
            &Caller::default(),
        ))
    }

    /// Opens an RTM connection at `path_and_query` (e.g.
    /// `/v3.6/customer/rtm/ws?organization_id=…`) over an in-memory stream: `Err` with the
    /// HTTP status line when the upgrade is refused.
    pub fn rtm(&self, path_and_query: &str) -> Result<Rtm<'_>, String> {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        self.connect.send(server).map_err(|_| "the server is gone".to_owned())?;
        let request = format!(
            "GET {path_and_query} HTTP/1.1\r\nHost: mock\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        let head = self.rt.block_on(async {
            client.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                let n = tokio::time::timeout(Duration::from_secs(5), client.read(&mut byte))
                    .await
                    .map_err(|_| "no answer to the upgrade".to_owned())?
                    .map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err("closed during the upgrade".to_owned());
                }
                head.push(byte[0]);
            }
            Ok::<_, String>(String::from_utf8_lossy(&head).into_owned())
        })?;
        let status = head.lines().next().unwrap_or_default().to_owned();
        if !status.starts_with("HTTP/1.1 101") {
            return Err(status);
        }
        Ok(Rtm {
            harness: self,
            io: client,
            closed: false,
        })
    }
}

/// A client RTM connection to a [`Harness`], speaking WebSocket by hand.
pub struct Rtm<'a> {
    harness: &'a Harness,
    io: DuplexStream,
    closed: bool,
}

/// What the server sent back for one frame.
#[derive(Debug, Default)]
pub struct Exchange {
    /// The text frames received, in order (the response last, when there is one).
    pub frames: Vec<String>,
    /// The server closed the connection.
    pub closed: bool,
}

impl Rtm<'_> {
    /// Sends a text frame (`binary`: a binary one) and reads until the server's response to it
    /// (a frame with `"type": "response"`), the connection closes, or a second passes.
    pub fn send(&mut self, payload: &[u8], binary: bool) -> Exchange {
        let mut out = Exchange::default();
        if self.closed {
            out.closed = true;
            return out;
        }
        let mut frame = vec![if binary { 0x82 } else { 0x81 }];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= 0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&[0, 0, 0, 0]); // the mask key: all zero leaves the payload as it is
        frame.extend_from_slice(payload);
        let io = &mut self.io;
        let closed = self.harness.rt.block_on(async {
            if io.write_all(&frame).await.is_err() {
                return true;
            }
            loop {
                match tokio::time::timeout(Duration::from_secs(1), read_frame(io)).await {
                    Err(_) => return false,
                    Ok(None) => return true,
                    Ok(Some((0x1, text))) => {
                        let text = String::from_utf8_lossy(&text).into_owned();
                        let response = serde_json::from_str::<Value>(&text).is_ok_and(|v| v["type"] == "response");
                        out.frames.push(text);
                        if response {
                            return false;
                        }
                    }
                    Ok(Some((0x8, _))) => return true,
                    Ok(Some(_)) => {}
                }
            }
        });
        self.closed = closed;
        out.closed = closed;
        out
    }
}

/// One server frame: (opcode, payload); `None` at the end of the stream.
async fn read_frame(io: &mut DuplexStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    io.read_exact(&mut head).await.ok()?;
    let len = match head[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            io.read_exact(&mut b).await.ok()?;
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0u8; 8];
            io.read_exact(&mut b).await.ok()?;
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    let mut payload = vec![0u8; usize::try_from(len).ok()?];
    io.read_exact(&mut payload).await.ok()?;
    Some((head[0] & 0x0f, payload))
}

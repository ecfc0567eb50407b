//! What the end-to-end tests share: a mock on loopback and clients of it.
#![allow(dead_code, unused_imports)]

use std::time::Duration;

use lc_mock::MockServer;
use lc_web::{RetryPolicy, WebClient, WebClientBuilder};

pub(crate) use lc_mock::testing::mock;

/// The mock's origin, `http://127.0.0.1:PORT`.
pub(crate) fn origin(server: &MockServer) -> String {
    format!("http://{}", server.addr())
}

/// A builder for a client of the mock, with short backoffs.
pub(crate) fn builder(server: &MockServer) -> WebClientBuilder {
    WebClient::builder(server.organization_id())
        .base_url(origin(server))
        .retry(RetryPolicy::default().backoff(Duration::from_millis(10), Duration::from_millis(50)))
}

/// A client of the mock for `token`.
pub(crate) fn client(server: &MockServer, token: &str) -> WebClient {
    builder(server).token(token).build().expect("a client")
}

/// A one-answer-per-connection HTTP/1.1 server on loopback that answers the requests it gets
/// with `answers` in turn (the last one repeated), each a full HTTP response text (`RESET`:
/// close without answering; `HOLD <text>`: send the text, then nothing more for a minute,
/// the connection open). Counts the requests it read.
pub(crate) async fn raw_server(answers: Vec<String>) -> Raw {
    routed_server(move |n, _| answers[n.min(answers.len() - 1)].clone()).await
}

/// A [`raw_server`] whose answer to request `n` (from 0) is `answer(n, request text)`.
pub(crate) async fn routed_server(answer: impl Fn(usize, &str) -> String + Send + Sync + 'static) -> Raw {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let answer = Arc::new(answer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = heads.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            let log = log.clone();
            tokio::spawn(async move {
                // Read the head and the announced body, then answer and close.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(read) = socket.read(&mut chunk).await else { return };
                    if read == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..read]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            log.lock().unwrap().push(String::from_utf8_lossy(&buf).into_owned());
                            break;
                        }
                    }
                }
                let answer = answer(n, &String::from_utf8_lossy(&buf));
                if answer == "RESET" {
                    return; // close without answering
                }
                if let Some(head) = answer.strip_prefix("HOLD ") {
                    // Send this much, then keep the connection open without another byte.
                    let _ = socket.write_all(head.as_bytes()).await;
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    return;
                }
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Raw {
        url: format!("http://{addr}"),
        count,
        requests: heads,
    }
}

/// A [`raw_server`]: its origin, how many requests it read, and each request's text.
pub(crate) struct Raw {
    pub url: String,
    pub count: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// An HTTP/1.1 response with `status`, extra header lines and `body`.
pub(crate) fn answer(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    )
}

/// (version, action) of every call of [`call`] that succeeded, in this test binary.
pub(crate) static RAN: std::sync::Mutex<std::collections::BTreeSet<(lc_types::ApiVersion, &'static str)>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Calls `R` with the request decoded from `payload` (typed: a payload the type does not
/// accept fails here), records it in [`RAN`], and gives the typed response.
pub(crate) async fn call<R: lc_types::WebAction + Sync>(client: &WebClient, payload: serde_json::Value) -> R::Response {
    let request: R = lc_types::from_value(payload.clone()).unwrap_or_else(|e| panic!("{} {payload}: {e}", R::NAME));
    let response = client
        .call(&request)
        .await
        .unwrap_or_else(|e| panic!("{} v{}: {e}", R::NAME, R::VERSION));
    RAN.lock().unwrap().insert((R::VERSION, R::NAME));
    response
}

/// The rows of the first table under `heading` in the README, each a list of its cells.
pub(crate) fn readme_table(heading: &str) -> Vec<Vec<String>> {
    const README: &str = include_str!("../../README.md");
    let start = README.find(heading).unwrap_or_else(|| panic!("no `{heading}` in the README"));
    README[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| l.split('|').map(|c| c.trim().to_owned()).collect::<Vec<_>>())
        .map(|cells| cells[1..cells.len() - 1].to_vec())
        .collect()
}

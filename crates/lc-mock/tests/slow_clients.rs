//! Clients that hold connections without finishing requests (slowloris), and idle keep-alive
//! connections: the mock's header-read timeout, idle timeout and connection cap
//! ([`Config::header_read_timeout`], [`Config::idle_timeout`], [`Config::max_connections`]).

use std::time::Duration;

use lc_mock::{Config, MockServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for what must happen, at most.
const WAIT: Duration = Duration::from_secs(5);

/// Reads until the server closes the connection; `true` if it did within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read).await.is_ok()
}

/// One keep-alive `GET path` on `stream`; the status and body of the answer.
async fn get(stream: &mut TcpStream, path: &str) -> (u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: mock\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let (head, len) = loop {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf)).await.expect("an answer").unwrap();
        assert!(n > 0, "closed before answering");
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .expect("a content-length")
                .trim()
                .parse()
                .unwrap();
            raw.drain(..end + 4);
            break (head, len);
        }
    };
    while raw.len() < len {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf)).await.expect("the body").unwrap();
        assert!(n > 0, "closed in the body");
        raw.extend_from_slice(&buf[..n]);
    }
    (head[9..12].parse().unwrap(), String::from_utf8_lossy(&raw[..len]).into_owned())
}

/// A connection that sends a request head one byte at a time, every 200 ms, never finishing.
async fn slowloris(server: &MockServer) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(b"GET /_lc/info HTTP/1.1\r\nHost: mock\r\n").await.unwrap();
    stream
}

/// Issue 20: 2 × 10,000 connections sending their headers slowly reached the process's file
/// limit and normal requests timed out. Now each must send its head within the header-read
/// timeout, and over the cap a connection is closed as soon as it is accepted while the
/// others go on.
#[tokio::test]
async fn slow_headers_are_cut_off_and_the_cap_holds() {
    let config = Config {
        max_connections: 50,
        header_read_timeout: Duration::from_secs(2),
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    let mut slow = Vec::new();
    for _ in 0..50 {
        slow.push(slowloris(&server).await);
    }
    // The 50 hold every place (accepted in order: give the server a moment to take them).
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Over the cap: closed at once, well before the header-read timeout.
    for _ in 0..10 {
        let mut extra = slowloris(&server).await;
        assert!(
            closed_within(&mut extra, Duration::from_secs(1)).await,
            "a connection over the cap stays open"
        );
    }
    let mut normal = TcpStream::connect(server.addr()).await.unwrap();
    normal.write_all(b"GET /_lc/info HTTP/1.1\r\nHost: mock\r\n\r\n").await.unwrap();
    assert!(closed_within(&mut normal, Duration::from_secs(1)).await, "over the cap, not served");
    // The slow ones trickle one more byte every 200 ms, and are closed all the same.
    let trickle = async {
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            for s in &mut slow {
                let _ = s.write_all(b"X").await;
            }
        }
    };
    tokio::time::timeout(Duration::from_millis(2100), trickle).await.ok();
    for s in &mut slow {
        assert!(closed_within(s, WAIT).await, "a slow head is closed by the header-read timeout");
    }
    // Their places are free again: a normal request is answered.
    let mut normal = TcpStream::connect(server.addr()).await.unwrap();
    let (status, body) = get(&mut normal, "/_lc/info").await;
    assert_eq!(status, 200, "{body}");
    server.shutdown().await;
}

/// A connection that sends nothing at all is closed by the header-read timeout too (hyper's
/// own timeout does not run before the HTTP version is known).
#[tokio::test]
async fn a_silent_connection_is_closed_by_the_header_read_timeout() {
    let config = Config {
        header_read_timeout: Duration::from_millis(300),
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    let mut silent = TcpStream::connect(server.addr()).await.unwrap();
    assert!(closed_within(&mut silent, WAIT).await, "a silent connection stays open");
    server.shutdown().await;
}

/// An idle keep-alive connection is closed after the idle timeout, and not after the
/// header-read timeout: the head's clock starts at a request's first byte.
#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let config = Config {
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(1500),
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(get(&mut stream, "/_lc/info").await.0, 200);
    // Idle for more than the header-read timeout: still open.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(get(&mut stream, "/_lc/faults").await.0, 200);
    // Then idle past the idle timeout: closed.
    assert!(closed_within(&mut stream, WAIT).await, "an idle connection stays open");
    server.shutdown().await;
}

/// The status of the first answer on `stream`, read until the head is complete.
async fn status(stream: &mut TcpStream) -> Option<u16> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 1024];
    while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf)).await.ok()?.ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&raw).get(9..12)?.parse().ok()
}

/// A request whose head announces a body that never comes (or comes a byte at a time) held
/// its connection forever: nothing timed a body. Now it is answered `request_timeout` (408)
/// after `body_read_timeout`, and the connection closes; a normal request is answered
/// meanwhile.
#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused_and_its_connection_closed() {
    let config = Config {
        body_read_timeout: Duration::from_millis(500),
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    let head = format!(
        "POST /v3.6/customer/action/get_customer?organization_id={} HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
        server.organization_id()
    );
    let mut silent = TcpStream::connect(server.addr()).await.unwrap();
    silent.write_all(head.as_bytes()).await.unwrap();
    let mut trickle = TcpStream::connect(server.addr()).await.unwrap();
    trickle.write_all(head.as_bytes()).await.unwrap();
    let dripping = tokio::spawn(async move {
        for _ in 0..40 {
            if trickle.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        status(&mut trickle).await
    });
    let mut normal = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(get(&mut normal, "/_lc/info").await.0, 200);
    let started = std::time::Instant::now();
    assert_eq!(status(&mut silent).await, Some(408));
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(closed_within(&mut silent, WAIT).await, "the connection stays open");
    assert_eq!(dripping.await.unwrap(), Some(408), "a body a byte at a time");
    server.shutdown().await;
}

/// A client that never reads a large answer holds its connection only as long as the idle
/// timeout: the answer makes no progress, and the connection is closed.
#[tokio::test]
async fn a_client_that_never_reads_its_answer_is_closed_after_the_idle_timeout() {
    let config = Config {
        idle_timeout: Duration::from_millis(1000),
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    server.faults().pad_next_response(100 << 20, true);
    let customer = server.issue_customer();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(server.addr()).await.unwrap();
    let request = format!(
        "POST /v3.6/customer/action/get_customer?organization_id={} HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}",
        server.organization_id(),
        customer.token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // Nothing read for longer than the idle timeout...
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // ...then what the socket holds is read, and the connection must have been closed.
    assert!(
        closed_within(&mut stream, WAIT).await,
        "a client that never reads holds its connection"
    );
    server.shutdown().await;
}

/// A request whose handler is still running (the `delay` fault) is not a stalled connection:
/// it is answered after longer than the idle timeout.
#[tokio::test]
async fn a_delayed_answer_outlasts_the_idle_timeout() {
    let config = Config {
        idle_timeout: Duration::from_millis(300),
        header_read_timeout: Duration::from_millis(300),
        ..Config::default()
    };
    let server = MockServer::start(config).await.unwrap();
    server.faults().delay_responses(Duration::from_millis(1200));
    let customer = server.issue_customer();
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let request = format!(
        "POST /v3.6/customer/action/get_customer?organization_id={} HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}",
        server.organization_id(),
        customer.token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(status(&mut stream).await, Some(200));
    server.shutdown().await;
}

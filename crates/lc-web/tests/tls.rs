//! Certificates are verified: an `https://` server with a self-signed certificate (not issued
//! by a root the client trusts; lc-mock's test certificate) is
//! refused before any request (so any token) is sent. Only
//! `danger_accept_invalid_certs(true)` lets the client talk to it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use lc_types::v3_6::customer::GetCustomerRequest;
use lc_web::{ErrorKind, RetryPolicy, WebClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Counts of a TLS server: connections tried, TLS sessions established, requests read.
#[derive(Default)]
struct Seen {
    tried: AtomicUsize,
    sessions: AtomicUsize,
    requests: AtomicUsize,
}

/// A TLS server on loopback with the self-signed certificate; it answers every request with an
/// API error. Its port and what it saw.
async fn self_signed_server() -> (u16, Arc<Seen>) {
    let acceptor = lc_mock::testing::tls_acceptor();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counts.tried.fetch_add(1, Ordering::SeqCst);
            let Ok(mut tls) = acceptor.accept(stream).await else { continue };
            counts.sessions.fetch_add(1, Ordering::SeqCst);
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            counts.requests.fetch_add(1, Ordering::SeqCst);
            let body = r#"{"error":{"type":"authentication","message":"Invalid access token"}}"#;
            let answer = format!(
                "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(answer.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    });
    (port, seen)
}

fn client(port: u16, accept_invalid: bool) -> WebClient {
    WebClient::builder("org")
        .base_url(format!("https://127.0.0.1:{port}"))
        .token("dal:a-secret-token")
        .retry(RetryPolicy::none())
        .danger_accept_invalid_certs(accept_invalid)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_certificate_no_trusted_root_issued_is_refused() {
    let (port, seen) = self_signed_server().await;
    let err = client(port, false).call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Transport { connect: true }), "{err:?}");
    let chain = format!("{err:?}").to_lowercase();
    assert!(chain.contains("certificate"), "the cause names the certificate: {chain}");
    assert!(seen.tried.load(Ordering::SeqCst) >= 1, "the client did reach the server");
    assert_eq!(seen.sessions.load(Ordering::SeqCst), 0, "no TLS session was established");
    assert_eq!(seen.requests.load(Ordering::SeqCst), 0, "no request was sent");
}

#[tokio::test]
async fn only_the_dangerous_option_accepts_it() {
    let (port, seen) = self_signed_server().await;
    let err = client(port, true).call(&GetCustomerRequest::default()).await.unwrap_err();
    // The exchange happened: the server's API error came back.
    let api = err.api_error().unwrap_or_else(|| panic!("not the server's API error: {err:?}"));
    assert_eq!((api.status(), api.message()), (Some(401), "Invalid access token"), "{err:?}");
    assert_eq!(seen.sessions.load(Ordering::SeqCst), 1);
    assert_eq!(seen.requests.load(Ordering::SeqCst), 1);
}

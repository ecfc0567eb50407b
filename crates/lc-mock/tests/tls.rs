//! The mock over TLS ([`Config::tls`]) on loopback, with the test-only certificate of
//! `tests/tls/` (for `localhost` and `127.0.0.1`) as the clients' only root: the Web API and
//! the control API over HTTP/1.1 and HTTP/2 (by ALPN), RTM over `wss://`, a client that does
//! not trust the certificate, and peers that never finish their handshake.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lc_mock::{Config, MockServer, TlsConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;

const CERT: &[u8] = include_bytes!("tls/cert.pem");
const KEY: &[u8] = include_bytes!("tls/key.pem");

/// How long a test waits for what must happen, at most.
const WAIT: Duration = Duration::from_secs(5);

/// A mock over TLS with the test certificate.
async fn start(config: Config) -> MockServer {
    MockServer::start(config.tls(TlsConfig::from_pem(CERT, KEY).unwrap()))
        .await
        .unwrap()
}

/// A client trusting the test certificate (or no root at all), offering `alpn`.
fn connector(trust: bool, alpn: &[&[u8]]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    if trust {
        roots.add(CertificateDer::from_pem_slice(CERT).unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    TlsConnector::from(Arc::new(config))
}

/// A TLS connection to the mock, trusting the test certificate, for the name `host`.
async fn connect(server: &MockServer, host: &str, alpn: &[&[u8]]) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(server.addr()).await?;
    let name = ServerName::try_from(host.to_owned()).unwrap();
    tokio::time::timeout(WAIT, connector(true, alpn).connect(name, tcp))
        .await
        .expect("a handshake in time")
}

/// One HTTP/1.1 request on `stream` (closing it); the status and the JSON body.
async fn http1<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    // rustls reports a peer that closes without close_notify as an error, after the data.
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut raw)).await.expect("an answer");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head: {text}"));
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding"), "{head}");
    (
        head[9..12].parse().unwrap(),
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

/// Reads until the server closes the connection; `true` if it did within `within`.
async fn closed_within<S: AsyncRead + Unpin>(stream: &mut S, within: Duration) -> bool {
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

/// The URLs say https/wss; a Web call over HTTP/1.1 (for the name `127.0.0.1`, as the base URL
/// says) and an RTM login over `wss://` (for `localhost`) succeed, and the file URL the mock
/// gives for an upload is `https://` too.
#[tokio::test]
async fn web_control_and_rtm_are_served_over_tls() {
    let server = start(Config::default()).await;
    let addr = server.addr();
    assert_eq!(server.base_url(), format!("https://{addr}"));
    assert_eq!(server.accounts_url(), format!("https://{addr}"));
    assert_eq!(server.control_url(), format!("https://{addr}/_lc"));
    assert_eq!(server.web_url("3.6"), format!("https://{addr}/v3.6/customer/action"));
    assert_eq!(server.rtm_url("3.6"), format!("wss://{addr}/v3.6/customer/rtm/ws"));

    // The control API reports the same URLs.
    let tls = connect(&server, "127.0.0.1", &[b"http/1.1"]).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (status, info) = http1(tls, "GET", "/_lc/info", &[], "").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["base_url"], server.base_url());
    assert_eq!(info["rtm_url"], format!("wss://{addr}/v{{version}}/customer/rtm/ws"));

    // A Web call.
    let customer = server.issue_customer();
    let auth = format!("Bearer {}", customer.token);
    let target = format!("/v3.6/customer/action/get_customer?organization_id={}", server.organization_id());
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let (status, body) = http1(connect(&server, "127.0.0.1", &[]).await.unwrap(), "POST", &target, &headers, "{}").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], customer.id.as_str());

    // The agent's file is served from an https URL.
    let (status, chat) = http1(
        connect(&server, "localhost", &[]).await.unwrap(),
        "POST",
        &format!("/v3.6/customer/action/start_chat?organization_id={}", server.organization_id()),
        &headers,
        "{}",
    )
    .await;
    assert_eq!(status, 200, "{chat}");
    let chat_id = chat["chat_id"].as_str().unwrap();
    server.agent().join(chat_id).unwrap();
    server.agent().send_file(chat_id, "a.txt", "text/plain", b"hi").unwrap();
    let (status, threads) = http1(
        connect(&server, "localhost", &[]).await.unwrap(),
        "POST",
        &format!("/v3.6/customer/action/list_threads?organization_id={}", server.organization_id()),
        &headers,
        &json!({ "chat_id": chat_id }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{threads}");
    let text = threads.to_string();
    assert!(text.contains(&format!("\"url\":\"https://{addr}/files/")), "{text}");

    // RTM: a WebSocket over the TLS stream, and a login.
    let tls = connect(&server, "localhost", &[]).await.unwrap();
    let url = format!("{}?organization_id={}", server.rtm_url("3.6"), server.organization_id());
    let (mut socket, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    let login = json!({"action": "login", "request_id": "1", "payload": {"token": auth}});
    socket.send(Message::Text(login.to_string().into())).await.unwrap();
    let answer = loop {
        let message = tokio::time::timeout(WAIT, socket.next()).await.expect("a frame").unwrap().unwrap();
        let Message::Text(text) = message else { continue };
        let frame: Value = serde_json::from_str(&text).unwrap();
        if frame["request_id"] == "1" {
            break frame;
        }
    };
    assert_eq!(answer["action"], "login");
    assert_eq!(answer["success"], true, "{answer}");
    assert_eq!(answer["payload"]["customer"]["id"], customer.id.as_str(), "{answer}");
    drop(socket);
    assert!(server.problems().is_empty(), "{:?}", server.problems());
    server.shutdown().await;
}

/// A client offering `h2` gets HTTP/2 (ALPN) and is answered over it.
#[tokio::test]
async fn http2_is_offered_by_alpn() {
    let server = start(Config::default()).await;
    let tls = connect(&server, "localhost", &[b"h2", b"http/1.1"]).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, conn) = hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), hyper_util::rt::TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = hyper::Request::get(format!("{}/_lc/info", server.base_url()))
        .body(String::new())
        .unwrap();
    let response = tokio::time::timeout(WAIT, sender.send_request(request)).await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    server.shutdown().await;
}

/// A client that does not trust the certificate fails its handshake (a certificate error),
/// and so does plain HTTP sent to the TLS port; neither harms the server, which serves the
/// next client.
#[tokio::test]
async fn an_untrusting_client_fails_the_handshake_and_the_mock_serves_on() {
    let server = start(Config::default()).await;
    for _ in 0..3 {
        let tcp = TcpStream::connect(server.addr()).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let refused = tokio::time::timeout(WAIT, connector(false, &[]).connect(name, tcp)).await.unwrap();
        let error = refused.expect_err("an untrusted certificate is refused");
        assert!(error.to_string().to_lowercase().contains("certificate"), "{error}");
    }
    // Plain HTTP on the TLS port: no HTTP answer, the connection is closed.
    let mut plain = TcpStream::connect(server.addr()).await.unwrap();
    plain.write_all(b"GET /_lc/info HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(WAIT, plain.read_to_end(&mut raw)).await.expect("closed");
    assert!(!raw.starts_with(b"HTTP/"), "{}", String::from_utf8_lossy(&raw));
    // A trusting client is served.
    let (status, info) = http1(connect(&server, "localhost", &[]).await.unwrap(), "GET", "/_lc/info", &[], "").await;
    assert_eq!(status, 200, "{info}");
    server.shutdown().await;
}

/// A peer that opens a connection and sends nothing, or half a ClientHello, holds a place
/// under `max_connections` (a connection over the cap is closed at once), and is cut after
/// the header-read timeout; then the places are free and a client is served.
#[tokio::test]
async fn an_unfinished_handshake_is_cut_by_the_header_read_timeout_and_counts_under_the_cap() {
    let config = Config {
        header_read_timeout: Duration::from_secs(2),
        max_connections: 2,
        ..Config::default()
    };
    let server = start(config).await;
    let mut silent = TcpStream::connect(server.addr()).await.unwrap();
    let mut half = TcpStream::connect(server.addr()).await.unwrap();
    // A TLS handshake record announcing 512 bytes, of which a ClientHello's first few come.
    half.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Both places are taken: a third connection is closed at once.
    let mut extra = TcpStream::connect(server.addr()).await.unwrap();
    assert!(
        closed_within(&mut extra, Duration::from_secs(1)).await,
        "a connection over the cap stays open"
    );
    assert!(closed_within(&mut silent, WAIT).await, "a silent peer holds its connection");
    assert!(closed_within(&mut half, WAIT).await, "half a ClientHello holds its connection");
    // The places are free again.
    let (status, info) = http1(connect(&server, "localhost", &[]).await.unwrap(), "GET", "/_lc/info", &[], "").await;
    assert_eq!(status, 200, "{info}");
    server.shutdown().await;
}

/// The certificate and key are checked before anything is served: errors say what is wrong,
/// name the file, and never print the key.
#[test]
fn bad_certificates_and_keys_are_refused_with_a_reason() {
    let invalid = |cert: &[u8], key: &[u8]| {
        let e = TlsConfig::from_pem(cert, key).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        e.to_string()
    };
    assert!(invalid(b"", KEY).contains("no PEM `CERTIFICATE` block"));
    assert!(invalid(CERT, CERT).contains("the private key has no PEM"));
    assert!(invalid(CERT, b"").contains("the private key has no PEM"));
    let broken = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert!(invalid(broken, KEY).contains("the certificate chain is not valid PEM"));
    // A key of another certificate.
    let other_key = b"-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJX94rjgPT520HJjd
+RSbq1n3NPZjwIBCkRWMDf+ujlahRANCAARDHXL8gKvKL3bd9A58RN4fzk53B/qe
Gy9NCgf4Sx3pup2iGNfQLyuUpqSf7w0lS61j14i6gcJOJAzOMjmhop86
-----END PRIVATE KEY-----
";
    let mismatch = invalid(CERT, other_key);
    assert!(mismatch.contains("not the key of the chain's first certificate"), "{mismatch}");
    assert!(!format!("{:?}", TlsConfig::from_pem(CERT, KEY).unwrap()).contains("PRIVATE"));

    let dir = env!("CARGO_MANIFEST_DIR");
    let (cert, key) = (format!("{dir}/tests/tls/cert.pem"), format!("{dir}/tests/tls/key.pem"));
    TlsConfig::from_pem_files(&cert, &key).unwrap();
    let missing = TlsConfig::from_pem_files(&cert, "/nonexistent/key.pem").unwrap_err();
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    assert!(
        missing.to_string().contains("cannot read the private key /nonexistent/key.pem"),
        "{missing}"
    );
    let swapped = TlsConfig::from_pem_files(&cert, &cert).unwrap_err().to_string();
    assert!(swapped.starts_with(&format!("{cert}: the private key has no PEM")), "{swapped}");
}

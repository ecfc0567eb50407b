//! How connections end, against small WebSocket servers on loopback written here: a server's
//! close code and reason reach the error (escaped), and the client closes as RFC 6455 §7 asks
//! (Close with status 1000, then it waits for the server's Close, at most about a second).

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use lc_rtm::{Cause, ErrorKind, RtmClient, RtmEvent};
use lc_types::v3_6::customer::GetCustomerRequest;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Socket = WebSocketStream<TcpStream>;

/// A WebSocket server on loopback that answers each connection's `login` (as customer `c1`),
/// then hands the socket to `then`; its base URL.
async fn server<F, Fut>(then: F) -> String
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let then = std::sync::Arc::new(then);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let then = then.clone();
            tokio::spawn(async move {
                let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let Some(Ok(Message::Text(login))) = socket.next().await else {
                    return;
                };
                let login: Value = serde_json::from_str(login.as_str()).unwrap();
                let response = json!({
                    "request_id": login["request_id"], "action": "login", "type": "response", "success": true,
                    "payload": {"customer": {"id": "c1", "type": "customer"}, "has_active_thread": false, "chats": []}
                });
                socket.send(Message::Text(response.to_string().into())).await.unwrap();
                then(socket).await;
            });
        }
    });
    format!("http://{addr}")
}

fn client(base: &str) -> (RtmClient, lc_rtm::Events) {
    RtmClient::builder("org").base_url(base).token("dal:t").build().unwrap()
}

/// The server closes with code 4000 and a reason with an ESC in it while a call waits: the
/// call fails with `ConnectionLost` carrying the code and the raw reason, shown escaped.
#[tokio::test]
async fn a_close_code_and_reason_reach_the_error_escaped() {
    let base = server(|mut socket| async move {
        // The first request: answered by closing.
        let _ = socket.next().await;
        let close = CloseFrame {
            code: CloseCode::from(4000),
            reason: "going\u{1b}[2J away".into(),
        };
        let _ = socket.close(Some(close)).await;
        while socket.next().await.is_some() {}
    })
    .await;
    let (client, mut events) = client(&base);
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    let err = client.call(&GetCustomerRequest::default()).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ConnectionLost), "{err}");
    let cause = Cause::SocketClosed {
        code: Some(4000),
        reason: "going\u{1b}[2J away".into(),
    };
    assert_eq!(err.cause(), Some(&cause));
    let shown = err.to_string();
    assert_eq!(
        shown,
        r"the connection was lost before the response arrived: the connection was closed by the server with 4000: going\u{1b}[2J away"
    );
    loop {
        if let Some(RtmEvent::Disconnected(d)) = events.next().await {
            assert_eq!(d.cause, cause);
            break;
        }
    }
}

/// A server that records the Close frames it gets (and answers them, as tungstenite does).
async fn recording() -> (String, mpsc::UnboundedReceiver<Option<u16>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let base = server(move |mut socket| {
        let tx = tx.clone();
        async move {
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Close(frame) = message {
                    let _ = tx.send(frame.map(|f| u16::from(f.code)));
                }
            }
        }
    })
    .await;
    (base, rx)
}

async fn close_code(rx: &mut mpsc::UnboundedReceiver<Option<u16>>) -> Option<u16> {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a Close frame in time")
        .expect("the server goes on")
}

#[tokio::test]
async fn disconnect_destroy_and_shutdown_send_close_with_1000() {
    let (base, mut closes) = recording().await;
    let (client, _events) = client(&base);
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    client.disconnect();
    assert_eq!(close_code(&mut closes).await, Some(1000), "after disconnect()");
    client.connect();
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    client.destroy();
    assert_eq!(close_code(&mut closes).await, Some(1000), "after destroy()");

    let (client, _events) = self::client(&base);
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    client.shutdown().await;
    // The handshake is done when `shutdown` returns: the server has the Close already.
    assert_eq!(closes.try_recv().ok(), Some(Some(1000)), "after shutdown()");
    // Closed already: at once.
    client.shutdown().await;
}

/// A server that never answers the Close (it reads nothing after the login) holds
/// `shutdown()` no longer than the close bound (1 s), and `destroy()` not at all.
#[tokio::test]
async fn a_server_that_never_answers_the_close_does_not_hold_the_client() {
    let base = server(|socket| async move {
        let _keep = socket;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let (client, _events) = client(&base);
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    let started = Instant::now();
    client.shutdown().await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2500), "shutdown() took {took:?}");

    let (client, mut events) = self::client(&base);
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    let started = Instant::now();
    client.destroy();
    assert!(started.elapsed() < Duration::from_millis(100));
    // The stream ends without waiting for the handshake.
    let ended = tokio::time::timeout(Duration::from_millis(500), async { while events.next().await.is_some() {} }).await;
    assert!(ended.is_ok(), "the stream ends at once");
}

/// A server that opens the WebSocket but never answers `login`: a one-shot user's wait ends
/// at its timeout saying where the connection stands (not a bare "not connected").
#[tokio::test]
async fn a_login_never_answered_is_said_as_such() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(socket) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let _keep = socket;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let (client, _events) = client(&base);
    let e = client.wait_first_connection(Duration::from_millis(500)).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NotConnected), "{e:?}");
    assert!(
        e.to_string()
            .contains("the socket is open and `login` was sent, with no answer yet after 0.5 s"),
        "{e}"
    );
    client.destroy();
}

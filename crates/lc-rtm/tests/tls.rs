//! Certificates are verified: a `wss://` server with a self-signed certificate (not issued by
//! a root the client trusts; lc-mock's test certificate) is refused, and no
//! login (so no token) is ever sent to it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lc_rtm::{Cause, RtmClient, RtmEvent};

#[tokio::test]
async fn a_certificate_no_trusted_root_issued_is_refused() {
    let acceptor = lc_mock::testing::tls_acceptor();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tried, completed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    {
        let (tried, completed) = (tried.clone(), completed.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tried.fetch_add(1, Ordering::SeqCst);
                if acceptor.accept(stream).await.is_ok() {
                    completed.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
    }
    let (client, mut events) = RtmClient::builder("org")
        .base_url(format!("https://127.0.0.1:{}", addr.port()))
        .token("dal:a-secret-token")
        .build()
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), events.next()).await.unwrap().unwrap();
    let RtmEvent::Disconnected(d) = event else { panic!("{event:?}") };
    assert!(
        matches!(&d.cause, Cause::ConnectFailed(why) if why.to_lowercase().contains("certificate")),
        "{:?}",
        d.cause
    );
    assert!(tried.load(Ordering::SeqCst) >= 1, "the client did reach the server");
    assert_eq!(completed.load(Ordering::SeqCst), 0, "no TLS session was established");
    client.destroy();
}

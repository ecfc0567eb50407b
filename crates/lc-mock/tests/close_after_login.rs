//! The `close_after_login` fault, through the Rust API and the HTTP control API: the next N
//! RTM logins succeed, then their connection is closed at once; bounded over HTTP, shown in
//! `GET /_lc/faults`, cleared by `faults/clear`.

mod common;

use common::{http, Rtm};
use lc_mock::{Config, MockServer};
use serde_json::{json, Value};

const JSON: [(&str, &str); 1] = [("Content-Type", "application/json")];

async fn post(server: &MockServer, path: &str, body: Value) -> (u16, Value) {
    http(server, "POST", path, &JSON, &body.to_string()).await
}

#[tokio::test]
async fn the_next_logins_succeed_then_the_connection_closes_at_once() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = server.issue_customer();
    server.faults().close_after_login(2);
    for _ in 0..2 {
        let (mut rtm, login) = Rtm::login(&server, "3.6", &customer.token).await;
        assert_eq!(login["customer"]["id"], customer.id.as_str(), "{login}");
        assert_eq!(rtm.next().await, None, "closed right after the login response");
    }
    // The third stays up.
    let (mut rtm, _) = Rtm::login(&server, "3.6", &customer.token).await;
    let me = rtm.ok("get_customer", json!({})).await;
    assert_eq!(me["id"], customer.id.as_str());
    // A refused login is not counted.
    server.faults().close_after_login(1);
    let mut bad = Rtm::connect(&server, "3.6").await;
    let refused = bad.request("login", json!({"token": "Bearer dal:nope"})).await;
    assert_eq!(refused["success"], false, "{refused}");
    let (_, shown) = http(&server, "GET", "/_lc/faults", &[], "").await;
    assert_eq!(shown["close_after_login"], 1, "{shown}");
}

#[tokio::test]
async fn over_http_it_is_bounded_shown_and_cleared() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let (status, faults) = post(&server, "/_lc/faults/close_after_login", json!({"count": 1_000_000})).await;
    assert_eq!((status, &faults["close_after_login"]), (200, &json!(1_000_000)), "{faults}");
    let (status, refused) = post(&server, "/_lc/faults/close_after_login", json!({"count": 1_000_001})).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["type"], "validation", "{refused}");
    let (status, refused) = post(&server, "/_lc/faults/close_after_login", json!({})).await;
    assert_eq!(status, 400, "{refused}");
    let (_, shown) = http(&server, "GET", "/_lc/faults", &[], "").await;
    assert_eq!(shown["close_after_login"], 1_000_000, "the refused ones changed nothing: {shown}");
    let (_, cleared) = post(&server, "/_lc/faults/clear", json!({})).await;
    assert_eq!(cleared["close_after_login"], 0, "{cleared}");
    // Cleared: a login stays up.
    let customer = server.issue_customer();
    let (mut rtm, _) = Rtm::login(&server, "3.6", &customer.token).await;
    assert_eq!(rtm.ok("get_customer", json!({})).await["id"], customer.id.as_str());
}

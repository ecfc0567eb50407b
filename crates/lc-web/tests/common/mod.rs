//! What the end-to-end tests share: a mock on loopback and clients of it.
#![allow(dead_code)]

use std::time::Duration;

use lc_mock::{Config, MockServer};
use lc_web::{RetryPolicy, WebClient, WebClientBuilder};

/// A mock with the default configuration.
pub async fn mock() -> MockServer {
    MockServer::start(Config::default()).await.expect("the mock starts")
}

/// The mock's origin, `http://127.0.0.1:PORT`.
pub fn origin(server: &MockServer) -> String {
    format!("http://{}", server.addr())
}

/// A builder for a client of the mock, with short backoffs.
pub fn builder(server: &MockServer) -> WebClientBuilder {
    WebClient::builder(server.organization_id())
        .base_url(origin(server))
        .retry(RetryPolicy::default().backoff(Duration::from_millis(10), Duration::from_millis(50)))
}

/// A client of the mock for `token`.
pub fn client(server: &MockServer, token: &str) -> WebClient {
    builder(server).token(token).build().expect("a client")
}

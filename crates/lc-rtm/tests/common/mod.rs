//! What the end-to-end tests share: a mock on loopback, clients of it, and waiting for events.
#![allow(dead_code, unused_imports)]

use std::time::Duration;

use lc_mock::MockServer;
use lc_rtm::{Backoff, Events, RtmClient, RtmClientBuilder, RtmEvent};

pub(crate) use lc_mock::testing::mock;

/// A builder for a client of the mock with short backoffs and a fixed jitter seed.
pub(crate) fn builder(server: &MockServer) -> RtmClientBuilder {
    RtmClient::builder(server.organization_id())
        .base_url(format!("http://{}", server.addr()))
        .backoff(Backoff::new(Duration::from_millis(20), Duration::from_millis(100), 0.5))
        .jitter_seed(7)
}

/// A builder for an agent's client of the mock (its personal access token), with short
/// backoffs and a fixed jitter seed.
pub(crate) fn agent_builder(server: &MockServer, agent: &lc_mock::AgentCredentials) -> RtmClientBuilder {
    RtmClient::agent_builder()
        .personal_access_token(&agent.account_id, &agent.pat)
        .base_url(format!("http://{}", server.addr()))
        .backoff(Backoff::new(Duration::from_millis(20), Duration::from_millis(100), 0.5))
        .jitter_seed(7)
}

/// An agent's client of the mock, connected.
pub(crate) async fn agent_connected(server: &MockServer, agent: &lc_mock::AgentCredentials) -> (RtmClient, Events) {
    let (client, mut events) = agent_builder(server, agent).build().expect("an agent's client");
    let first = next(&mut events).await;
    assert!(matches!(first, RtmEvent::Connected(ref c) if !c.reconnect), "{first:?}");
    (client, events)
}

/// A client of the mock for `token`, connected.
pub(crate) async fn connected(server: &MockServer, token: &str) -> (RtmClient, Events) {
    let (client, mut events) = builder(server).token(token).build().expect("a client");
    let first = next(&mut events).await;
    assert!(matches!(first, RtmEvent::Connected(ref c) if !c.reconnect), "{first:?}");
    (client, events)
}

/// The next event, within 5 s.
pub(crate) async fn next(events: &mut Events) -> RtmEvent {
    tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("an event within 5 s")
        .expect("the stream goes on")
}

/// Events until one matches `want` (the skipped ones are given too), within 5 s.
pub(crate) async fn until(events: &mut Events, want: impl Fn(&RtmEvent) -> bool) -> (RtmEvent, Vec<RtmEvent>) {
    let mut skipped = Vec::new();
    loop {
        let e = next(events).await;
        if want(&e) {
            return (e, skipped);
        }
        skipped.push(e);
    }
}

/// The names of the pushes among `events`.
pub(crate) fn push_names(events: &[RtmEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            RtmEvent::Push(p) => Some(p.push.name().to_owned()),
            _ => None,
        })
        .collect()
}

/// The `id` of a user-shaped response (`get_customer`).
pub(crate) trait CustomerId {
    fn customer_id(&self) -> String;
}

impl<T: serde::Serialize> CustomerId for T {
    fn customer_id(&self) -> String {
        let v = serde_json::to_value(self).unwrap();
        v["id"].as_str().unwrap_or_else(|| panic!("an id: {v}")).to_owned()
    }
}

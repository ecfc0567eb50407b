//! Every documented `customer_disconnected` reason of every version (`DisconnectReason::KNOWN`),
//! sent by `lc-mock`'s agent control, and every documented `agent_disconnected` reason
//! (`AgentDisconnectReason::KNOWN`, to an agent's connection, sent by the mock's
//! `disconnect_agent` fault), produces its documented behaviour end to end (customer reference
//! §3.3, agent reference §3.3): the typed push, then `RtmEvent::Disconnected` with `Cause::Server` and the `Next` of the
//! reason's policy, then what that policy promises (a reconnect, a fresh token, another region,
//! a wait, nothing until `connect()`, or closed for good). A reason nobody documented gets the
//! conservative policy: wait `blocked_wait`, then reconnect.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use lc_mock::MockServer;
use lc_rtm::{Cause, ConnectionState, ErrorKind, Events, Next, RtmClient, RtmEvent};
use lc_types::auth::{AccessToken, TokenFuture, TokenProvider};
use lc_types::{ApiVersion, ChatApi, DisconnectPolicy, Region, VersionedPush};
use serde_json::{json, Map, Value};

/// Reference §3.3, the "suggested client behaviour" column, row by row (written here, not
/// taken from the generated policy, so a wrong generated policy fails this test).
const DOCUMENTED: &[(&str, DisconnectPolicy)] = &[
    ("access_token_revoked", DisconnectPolicy::ReconnectWithNewToken),
    ("access_token_expired", DisconnectPolicy::ReconnectWithNewToken),
    ("connection_evicted", DisconnectPolicy::Reconnect),
    ("connection_timeout", DisconnectPolicy::Reconnect),
    ("internal_error", DisconnectPolicy::Reconnect),
    ("license_not_found", DisconnectPolicy::Stop),
    ("license_expired", DisconnectPolicy::Stop),
    ("misdirected_connection", DisconnectPolicy::ReconnectInRegion),
    ("unsupported_version", DisconnectPolicy::Stop),
    ("service_temporarily_unavailable", DisconnectPolicy::Reconnect),
    ("too_many_connections", DisconnectPolicy::Stop),
    ("too_many_unauthorized_connections", DisconnectPolicy::Reconnect),
    ("logged_out_remotely", DisconnectPolicy::Stop),
    ("customer_banned", DisconnectPolicy::Stop),
    ("customer_temporarily_blocked", DisconnectPolicy::WaitThenReconnect),
    ("inactivity_timeout", DisconnectPolicy::ReconnectOnUserIntent),
    ("product_version_changed", DisconnectPolicy::Stop),
    ("users_limit_reached", DisconnectPolicy::ReconnectOnUserIntent),
    // §3.3's last row: the customer-sdk's own reason (a login as another customer), which
    // closes the SDK instance; should a server send it, the client stops.
    ("identity_mismatch", DisconnectPolicy::Stop),
];

/// Agent reference §3.3, the "suggested behaviour" column, row by row (written here, not taken
/// from the generated policy). `misdirected_request` is the CONFLICT of §3.3 (the push's sample
/// names an error type): read as `misdirected_connection`.
const AGENT_DOCUMENTED: &[(&str, DisconnectPolicy)] = &[
    ("agent_disconnected_by_server", DisconnectPolicy::Stop),
    ("agent_logged_out_remotely", DisconnectPolicy::Stop),
    ("access_token_revoked", DisconnectPolicy::Stop),
    ("connection_evicted", DisconnectPolicy::Stop),
    ("access_token_expired", DisconnectPolicy::ReconnectWithNewToken),
    ("connection_timeout", DisconnectPolicy::Reconnect),
    ("internal_error", DisconnectPolicy::Reconnect),
    ("license_expired", DisconnectPolicy::Stop),
    ("license_not_found", DisconnectPolicy::Stop),
    ("misdirected_connection", DisconnectPolicy::ReconnectInRegion),
    ("misdirected_request", DisconnectPolicy::ReconnectInRegion),
    ("unsupported_version", DisconnectPolicy::Stop),
    ("too_many_connections", DisconnectPolicy::Stop),
    ("too_many_unauthorized_connections", DisconnectPolicy::Reconnect),
    // Since 3.6.
    ("role_permissions_changed", DisconnectPolicy::Reconnect),
];

/// `blocked_wait` of every client here (the wait for an unknown reason, or for
/// `customer_temporarily_blocked` without a timeout).
const BLOCKED_WAIT: Duration = Duration::from_millis(300);

/// How long "nothing happens" is watched for.
const QUIET: Duration = Duration::from_millis(400);

/// A token provider that records what it is asked: a fresh token from the mock once the last
/// one was invalidated, the first one before.
struct Recording {
    server: Arc<MockServer>,
    api: ChatApi,
    /// The customer's or the agent's ID.
    owner: String,
    current: Mutex<String>,
    asked: AtomicUsize,
    invalidated: Mutex<Vec<String>>,
}

impl TokenProvider for Recording {
    fn token(&self) -> TokenFuture<'_> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        let token = self.current.lock().unwrap().clone();
        Box::pin(async move { Ok(AccessToken::new(token)) })
    }

    fn invalidate(&self, token: &AccessToken) {
        self.invalidated.lock().unwrap().push(token.secret().to_owned());
        let mut current = self.current.lock().unwrap();
        if *current == token.secret() {
            *current = match self.api {
                ChatApi::Agent => self.server.issue_agent_token(&self.owner).expect("the agent exists"),
                _ => self.server.issue_token_for(&self.owner),
            };
        }
    }
}

/// One case: a fresh mock, a customer (or an agent), and a connected client of `version` whose
/// tokens come from a [`Recording`] provider.
struct Case {
    server: Arc<MockServer>,
    api: ChatApi,
    /// The customer's or the agent's ID.
    owner: String,
    first_token: String,
    tokens: Arc<Recording>,
    client: RtmClient,
    events: Events,
    version: ApiVersion,
}

impl Case {
    async fn new(version: ApiVersion) -> Case {
        Case::of(ChatApi::Customer, version).await
    }

    async fn of(api: ChatApi, version: ApiVersion) -> Case {
        let server = Arc::new(mock().await);
        let (owner, token, builder) = match api {
            ChatApi::Agent => {
                let me = server.issue_agent(lc_mock::NewAgent::new("bot@example.com", "Bot")).unwrap();
                let b = RtmClient::agent_builder()
                    .base_url(format!("http://{}", server.addr()))
                    .backoff(lc_rtm::Backoff::new(Duration::from_millis(20), Duration::from_millis(100), 0.5))
                    .jitter_seed(7);
                (me.agent_id, me.token, b)
            }
            _ => {
                let me = server.issue_customer();
                (me.id, me.token, builder(&server))
            }
        };
        let tokens = Arc::new(Recording {
            server: server.clone(),
            api,
            owner: owner.clone(),
            current: Mutex::new(token.clone()),
            asked: AtomicUsize::new(0),
            invalidated: Mutex::new(Vec::new()),
        });
        let (client, mut events) = builder
            .api_version(version)
            .shared_token_provider(tokens.clone())
            .blocked_wait(BLOCKED_WAIT)
            .build()
            .unwrap();
        let first = next(&mut events).await;
        assert!(matches!(first, RtmEvent::Connected(ref c) if !c.reconnect), "{first:?}");
        if api == ChatApi::Agent {
            incoming_customers(&mut events).await;
        }
        Case {
            server,
            api,
            owner,
            first_token: token,
            tokens,
            client,
            events,
            version,
        }
    }

    /// The customer (agent) is still who the client says, over the connection.
    async fn works(&self, what: &str) {
        let (action, payload) = match self.api {
            ChatApi::Agent => ("list_routing_statuses", json!({})),
            _ => ("get_customer", json!({})),
        };
        let answer = self
            .client
            .call_value(self.version, action, &payload)
            .await
            .unwrap_or_else(|e| panic!("{what}: a call after the reconnect: {e}"));
        match self.api {
            ChatApi::Agent => assert!(answer.to_string().contains(&self.owner), "{what}: {answer}"),
            _ => assert_eq!(answer["id"], self.owner.as_str(), "{what}"),
        }
    }

    /// A call the connection refuses once it is closed or not connected.
    async fn call_fails(&self) -> lc_rtm::Error {
        let action = match self.api {
            ChatApi::Agent => "list_routing_statuses",
            _ => "get_customer",
        };
        self.client.call_value(self.version, action, &json!({})).await.unwrap_err()
    }

    /// Nothing arrives for a while.
    async fn quiet(&mut self, what: &str) {
        if let Ok(e) = tokio::time::timeout(QUIET, self.events.next()).await {
            panic!("{what}: expected nothing, got {e:?}");
        }
    }

    /// The next event is `Connected { reconnect: true }`.
    async fn reconnected(&mut self, what: &str) {
        let e = next(&mut self.events).await;
        assert!(matches!(e, RtmEvent::Connected(ref c) if c.reconnect), "{what}: {e:?}");
        assert_eq!(self.client.state(), ConnectionState::Active, "{what}");
        if self.api == ChatApi::Agent {
            incoming_customers(&mut self.events).await;
        }
    }
}

/// `reason` and `data` of a typed `customer_disconnected` (`agent_disconnected`) push of `version`.
fn disconnected_push(push: &VersionedPush, version: ApiVersion) -> (String, Option<Map<String, Value>>) {
    assert_eq!(push.version(), Some(version), "{push:?}");
    match push {
        VersionedPush::AgentV3_5(lc_types::v3_5::agent::AnyPush::AgentDisconnected(p)) => (p.reason.as_str().to_owned(), object(&p.data)),
        VersionedPush::AgentV3_6(lc_types::v3_6::agent::AnyPush::AgentDisconnected(p)) => (p.reason.as_str().to_owned(), object(&p.data)),
        VersionedPush::AgentV3_7(lc_types::v3_7::agent::AnyPush::AgentDisconnected(p)) => (p.reason.as_str().to_owned(), object(&p.data)),
        VersionedPush::V3_5(lc_types::v3_5::customer::AnyPush::CustomerDisconnected(p)) => (p.reason.as_str().to_owned(), p.data.clone()),
        VersionedPush::V3_6(lc_types::v3_6::customer::AnyPush::CustomerDisconnected(p)) => (p.reason.as_str().to_owned(), p.data.clone()),
        VersionedPush::V3_7(lc_types::v3_7::customer::AnyPush::CustomerDisconnected(p)) => (p.reason.as_str().to_owned(), p.data.clone()),
        other => panic!("a typed customer_disconnected push: {other:?}"),
    }
}

/// The `incoming_customers` push that follows an agent's login.
async fn incoming_customers(events: &mut Events) {
    let e = next(events).await;
    assert!(matches!(e, RtmEvent::Push(ref p) if p.push.name() == "incoming_customers"), "{e:?}");
}

/// An agent push's `data` (any JSON in the schema) as the object the mock sent.
fn object(data: &Option<Value>) -> Option<Map<String, Value>> {
    data.as_ref()
        .map(|d| d.as_object().cloned().unwrap_or_else(|| panic!("`data` is an object: {d}")))
}

/// Sends `reason` with `data` to the case's customer and checks the typed push and the
/// `Disconnected` event; gives the `Next` and when the event arrived.
async fn disconnect(case: &mut Case, reason: &str, data: Option<Value>, policy: DisconnectPolicy) -> (Next, Instant) {
    let what = format!("v{} {reason}", case.version);
    let closed = match case.api {
        ChatApi::Agent => case.server.faults().disconnect_agent(&case.owner, reason, data.clone()),
        _ => case.server.agent().disconnect(&case.owner, reason, data.clone()),
    };
    assert_eq!(closed, 1, "{what}");
    let e = next(&mut case.events).await;
    let RtmEvent::Push(p) = e else {
        panic!("{what}: first the push, got {e:?}")
    };
    let (got_reason, got_data) = disconnected_push(&p.push, case.version);
    assert_eq!(got_reason, reason, "{what}");
    assert_eq!(got_data.map(Value::Object), data, "{what}");
    let e = next(&mut case.events).await;
    let at = Instant::now();
    let RtmEvent::Disconnected(d) = e else {
        panic!("{what}: then Disconnected, got {e:?}")
    };
    assert_eq!(
        d.cause,
        Cause::Server {
            reason: reason.to_owned(),
            data,
            policy
        },
        "{what}"
    );
    (d.next, at)
}

/// One documented reason (or an unknown one, with `policy` its expected policy).
async fn reason_case(api: ChatApi, version: ApiVersion, reason: &str, policy: DisconnectPolicy) {
    let what = format!("{api:?} v{version} {reason}");
    let mut case = Case::of(api, version).await;
    match policy {
        DisconnectPolicy::Reconnect => {
            let (next, _) = disconnect(&mut case, reason, None, policy).await;
            assert!(
                matches!(
                    next,
                    Next::Reconnect {
                        attempt: 1,
                        new_token: false,
                        ..
                    }
                ),
                "{what}: {next:?}"
            );
            case.reconnected(&what).await;
            assert!(case.tokens.invalidated.lock().unwrap().is_empty(), "{what}: the same token");
            assert_eq!(case.tokens.asked.load(Ordering::SeqCst), 2, "{what}");
            case.works(&what).await;
        }
        DisconnectPolicy::ReconnectWithNewToken => {
            // The old token no longer works: reconnecting with it would be refused.
            case.server.expire_token(&case.first_token);
            let (next, _) = disconnect(&mut case, reason, None, policy).await;
            assert!(
                matches!(
                    next,
                    Next::Reconnect {
                        attempt: 1,
                        new_token: true,
                        ..
                    }
                ),
                "{what}: {next:?}"
            );
            case.reconnected(&what).await;
            assert_eq!(
                *case.tokens.invalidated.lock().unwrap(),
                [case.first_token.clone()],
                "{what}: the old token is invalidated"
            );
            assert_eq!(case.tokens.asked.load(Ordering::SeqCst), 2, "{what}: asked again after invalidate");
            case.works(&what).await;
        }
        DisconnectPolicy::ReconnectInRegion => {
            case.server.set_region("fra");
            let (next, _) = disconnect(&mut case, reason, Some(json!({"region": "fra"})), policy).await;
            assert!(matches!(next, Next::Reconnect { new_token: false, .. }), "{what}: {next:?}");
            let e = next_event(&mut case).await;
            assert!(matches!(e, RtmEvent::RegionChanged(ref r) if *r == Region::FRA), "{what}: {e:?}");
            // The mock accepts only connections that name its region (`X-Region`).
            case.reconnected(&what).await;
            case.works(&what).await;
        }
        DisconnectPolicy::WaitThenReconnect => {
            let (next, at) = disconnect(&mut case, reason, Some(json!({"timeout": 0.2})), policy).await;
            assert!(
                matches!(next, Next::Reconnect { delay, new_token: false, .. } if delay == Duration::from_millis(200)),
                "{what}: {next:?}"
            );
            assert!(matches!(case.client.state(), ConnectionState::Reconnecting { .. }), "{what}");
            case.reconnected(&what).await;
            let waited = at.elapsed();
            assert!(
                waited >= Duration::from_millis(190) && waited < Duration::from_secs(10),
                "{what}: reconnected after {waited:?}"
            );
            case.works(&what).await;
        }
        DisconnectPolicy::ReconnectOnUserIntent => {
            let (next, _) = disconnect(&mut case, reason, None, policy).await;
            assert_eq!(next, Next::WaitForConnect, "{what}");
            assert_eq!(case.client.state(), ConnectionState::Disconnected, "{what}");
            case.quiet(&what).await;
            assert_eq!(case.client.state(), ConnectionState::Disconnected, "{what}: no reconnect by itself");
            let err = case.call_fails().await;
            assert!(matches!(err.kind(), ErrorKind::NotConnected), "{what}: {err}");
            case.client.connect();
            case.reconnected(&what).await;
            case.works(&what).await;
        }
        DisconnectPolicy::Stop => {
            let (next, _) = disconnect(&mut case, reason, None, policy).await;
            assert_eq!(next, Next::Stop, "{what}");
            assert!(
                matches!(case.client.state(), ConnectionState::Closed { cause: Cause::Server { reason: ref r, .. } } if r == reason),
                "{what}: {:?}",
                case.client.state()
            );
            case.quiet(&what).await;
            let err = case.call_fails().await;
            assert!(matches!(err.kind(), ErrorKind::Closed), "{what}: {err}");
            let err = case.client.wait_connected(Duration::from_secs(1)).await.unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::Closed), "{what}: {err}");
            assert_eq!(case.tokens.asked.load(Ordering::SeqCst), 1, "{what}: never reconnected");
        }
        other => panic!("{what}: a policy this test does not know: {other:?}"),
    }
    assert_eq!(case.server.problems(), Vec::<String>::new(), "{what}");
}

async fn next_event(case: &mut Case) -> RtmEvent {
    next(&mut case.events).await
}

/// Every reason `known` lists for `version` of `api`, each with its documented behaviour.
async fn every_reason_of(api: ChatApi, version: ApiVersion, known: &[&str]) {
    let documented: Vec<_> = match api {
        ChatApi::Agent => AGENT_DOCUMENTED
            .iter()
            .filter(|(r, _)| version >= ApiVersion::V3_6 || *r != "role_permissions_changed")
            .collect(),
        _ => DOCUMENTED.iter().collect(),
    };
    assert_eq!(
        known.len(),
        documented.len(),
        "{api:?} v{version}: a reason is missing from the table"
    );
    for reason in known {
        let (_, policy) = documented
            .iter()
            .find(|(r, _)| r == reason)
            .unwrap_or_else(|| panic!("{api:?} v{version}: `{reason}` is not in reference §3.3"));
        reason_case(api, version, reason, *policy).await;
    }
}

async fn every_reason(version: ApiVersion, known: &[&str]) {
    every_reason_of(ChatApi::Customer, version, known).await;
}

#[tokio::test]
async fn every_documented_agent_reason_of_v3_5() {
    every_reason_of(
        ChatApi::Agent,
        ApiVersion::V3_5,
        lc_types::v3_5::agent::AgentDisconnectReason::KNOWN,
    )
    .await;
}

#[tokio::test]
async fn every_documented_agent_reason_of_v3_6() {
    every_reason_of(
        ChatApi::Agent,
        ApiVersion::V3_6,
        lc_types::v3_6::agent::AgentDisconnectReason::KNOWN,
    )
    .await;
}

#[tokio::test]
async fn every_documented_agent_reason_of_v3_7() {
    every_reason_of(
        ChatApi::Agent,
        ApiVersion::V3_7,
        lc_types::v3_7::agent::AgentDisconnectReason::KNOWN,
    )
    .await;
}

/// An agent's unknown reason: the same conservative policy as a customer's.
#[tokio::test]
async fn an_unknown_agent_reason_waits_blocked_wait_then_reconnects() {
    let mut case = Case::of(ChatApi::Agent, ApiVersion::V3_6).await;
    let (next, _) = disconnect(&mut case, "brand_new_reason", None, DisconnectPolicy::FOR_UNKNOWN).await;
    assert!(
        matches!(next, Next::Reconnect { delay, attempt: 1, new_token: false } if delay == BLOCKED_WAIT),
        "{next:?}"
    );
    case.reconnected("agent brand_new_reason").await;
    case.works("agent brand_new_reason").await;
}

#[tokio::test]
async fn every_documented_reason_of_v3_5() {
    every_reason(ApiVersion::V3_5, lc_types::v3_5::customer::DisconnectReason::KNOWN).await;
}

#[tokio::test]
async fn every_documented_reason_of_v3_6() {
    every_reason(ApiVersion::V3_6, lc_types::v3_6::customer::DisconnectReason::KNOWN).await;
}

#[tokio::test]
async fn every_documented_reason_of_v3_7() {
    every_reason(ApiVersion::V3_7, lc_types::v3_7::customer::DisconnectReason::KNOWN).await;
}

/// A reason nobody documented: the conservative policy, `blocked_wait`, then a reconnect (in
/// every version).
#[tokio::test]
async fn an_unknown_reason_waits_blocked_wait_then_reconnects() {
    assert_eq!(DisconnectPolicy::FOR_UNKNOWN, DisconnectPolicy::WaitThenReconnect);
    for version in [ApiVersion::V3_5, ApiVersion::V3_6, ApiVersion::V3_7] {
        let what = format!("v{version} brand_new_reason");
        let mut case = Case::new(version).await;
        let (next, at) = disconnect(&mut case, "brand_new_reason", None, DisconnectPolicy::FOR_UNKNOWN).await;
        assert!(
            matches!(next, Next::Reconnect { delay, attempt: 1, new_token: false } if delay == BLOCKED_WAIT),
            "{what}: {next:?}"
        );
        case.reconnected(&what).await;
        let waited = at.elapsed();
        assert!(
            waited >= BLOCKED_WAIT - Duration::from_millis(10) && waited < BLOCKED_WAIT + Duration::from_secs(10),
            "{what}: reconnected after {waited:?}"
        );
        case.works(&what).await;
        assert_eq!(case.server.problems(), Vec::<String>::new(), "{what}");
    }
}

/// The documented reasons whose `data` is optional, without it: `customer_temporarily_blocked`
/// waits `blocked_wait`; `misdirected_connection` without a region cannot reconnect anywhere
/// better, so it stops.
#[tokio::test]
async fn reasons_without_their_optional_data() {
    let mut case = Case::new(ApiVersion::V3_6).await;
    let (next, at) = disconnect(&mut case, "customer_temporarily_blocked", None, DisconnectPolicy::WaitThenReconnect).await;
    assert!(matches!(next, Next::Reconnect { delay, .. } if delay == BLOCKED_WAIT), "{next:?}");
    case.reconnected("customer_temporarily_blocked without data").await;
    assert!(at.elapsed() >= BLOCKED_WAIT - Duration::from_millis(10), "{:?}", at.elapsed());
    case.works("customer_temporarily_blocked without data").await;

    let mut case = Case::new(ApiVersion::V3_6).await;
    let (next, _) = disconnect(&mut case, "misdirected_connection", None, DisconnectPolicy::ReconnectInRegion).await;
    assert_eq!(next, Next::Stop);
    assert!(matches!(case.client.state(), ConnectionState::Closed { .. }));
    case.quiet("misdirected_connection without a region").await;
}

/// `customer_temporarily_blocked`: the API docs' wait by default (above); the customer-sdk
/// destroys its instance instead, which a user chooses with `disconnect_policy`: the client
/// stops.
#[tokio::test]
async fn a_chosen_policy_overrides_the_schemas() {
    let server = Arc::new(mock().await);
    let me = server.issue_customer();
    let (client, mut events) = builder(&server)
        .token(&me.token)
        .disconnect_policy("customer_temporarily_blocked", DisconnectPolicy::Stop)
        .build()
        .unwrap();
    assert!(matches!(next(&mut events).await, RtmEvent::Connected(_)));
    assert_eq!(server.agent().disconnect(&me.id, "customer_temporarily_blocked", None), 1);
    let (e, _) = until(&mut events, |e| matches!(e, RtmEvent::Disconnected(_))).await;
    let RtmEvent::Disconnected(d) = e else { unreachable!() };
    assert!(
        matches!(
            d.cause,
            Cause::Server {
                policy: DisconnectPolicy::Stop,
                ..
            }
        ),
        "{d:?}"
    );
    assert_eq!(d.next, Next::Stop);
    assert!(matches!(client.state(), ConnectionState::Closed { .. }), "{:?}", client.state());
}

//! `lc_rtm::session::Session`, the RTM connection state machine, fed arbitrary sequences of
//! inputs: connect, opened, connect failures, frames (responses to the requests it sent, pushes
//! including `customer_disconnected` with any reason, garbage), closed sockets, sockets that
//! take nothing (unresponsive), ticks of synthetic time, calls, cancels, disconnect and destroy.
//!
//! The session is a customer's or an agent's (`agent_disconnected` with the agent's reasons,
//! logins answering in `my_profile`, the other API's close push sent too, as a plain push).
//! Logins answer as one of a few users; sockets close with any close code and reason.
//!
//! Invariants: never more than 10 requests in flight; a call is resolved at most once, and only
//! a call that was made; every call that was on the wire when the connection went (socket
//! closed, `customer_disconnected`, disconnect, destroy) is resolved by then; disconnect and
//! destroy resolve every call; and given enough ticks, every call is resolved exactly once.
//! Every `Connected` is the customer of the first one (a login as another customer stops the
//! client with `IdentityMismatch`, never `Connected`). A reconnect after a connection that
//! lived less than a ping interval (or none) is the next attempt of the series, never attempt
//! 1 again; after one that lived longer, attempt 1. Every cause's description is free of
//! control characters and bounded, whatever the peer sent.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use lc_rtm::session::{Backoff, CallId, Output, Session, Settings};
use lc_rtm::{Cause, ConnectionState, Next, RtmEvent};
use lc_types::{ApiVersion, ChatApi, PushFrame, RequestFrame, ResponseFrame};
use serde_json::{json, Map, Value};

const V: ApiVersion = ApiVersion::V3_6;
const LIMIT: usize = lc_types::limits::MAX_PENDING_REQUESTS;

/// Disconnect reasons: every documented one, and unknown ones.
const REASONS: &[&str] = &[
    "access_token_expired",
    "access_token_revoked",
    "connection_evicted",
    "connection_timeout",
    "customer_banned",
    "customer_temporarily_blocked",
    "inactivity_timeout",
    "internal_error",
    "license_expired",
    "license_not_found",
    "logged_out_remotely",
    "misdirected_connection",
    "product_version_changed",
    "service_temporarily_unavailable",
    "too_many_connections",
    "too_many_unauthorized_connections",
    "unsupported_version",
    "users_limit_reached",
    "identity_mismatch",
    // The agent's (reference §3.3 of the agent API).
    "agent_disconnected_by_server",
    "agent_logged_out_remotely",
    "misdirected_request",
    "role_permissions_changed",
    "",
    "fuzz_new_reason",
];

const ERROR_TYPES: &[&str] = &[
    "authentication",
    "authorization",
    "internal",
    "validation",
    "service_unavailable",
    "too_many_requests",
    "pending_requests_limit_reached",
    "request_timeout",
    "fuzz_new_type",
];

#[derive(Arbitrary, Debug)]
enum Op {
    Connect,
    Opened,
    ConnectFailed,
    Closed {
        code: Option<u16>,
        reason: String,
    },
    /// The socket took none of our frames for too long (the driver's write-stall limit).
    Unresponsive,
    /// Time passes (milliseconds).
    Tick(u16),
    /// Much time passes (seconds).
    LongTick(u8),
    Call {
        timeout_ms: Option<u16>,
    },
    Cancel(u8),
    Disconnect,
    Destroy,
    /// A response to the `n`-th request on the wire (the login, calls, pings).
    Respond {
        n: u8,
        success: bool,
        error: u8,
        odd_payload: bool,
        /// Which customer a login answers as.
        customer: u8,
    },
    /// A response to a request that is not on the wire.
    RespondUnknown(String),
    Disconnected {
        reason: u8,
        data: Option<u8>,
    },
    DisconnectedAny(String),
    Push {
        name: String,
        payload: String,
    },
    Garbage(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// An agent's session instead of a customer's.
    agent: bool,
    /// Close pushes of the other API (a plain push to this session).
    other_api: bool,
    fail_fast: bool,
    short_timeouts: bool,
    ops: Vec<Op>,
}

struct Harness {
    s: Session,
    api: ChatApi,
    now: Instant,
    next_call: CallId,
    /// Calls made and not resolved yet.
    open: BTreeSet<CallId>,
    resolved: BTreeSet<CallId>,
    /// Request ID -> (action, call) of every request sent and not answered yet.
    wire: BTreeMap<String, (String, Option<CallId>)>,
    /// The user of the first `Connected`.
    identity: Option<String>,
    /// When the current connection logged in.
    connected_at: Option<Instant>,
    /// The attempt of the last `Next::Reconnect` of the current series.
    series: Option<u32>,
    stable_after: Duration,
}

impl Harness {
    fn drain(&mut self) -> Vec<Output> {
        let out: Vec<Output> = std::iter::from_fn(|| self.s.poll_output()).collect();
        for o in &out {
            match o {
                Output::Resolve(call, _) => {
                    assert!(self.resolved.insert(*call), "call {call} resolved twice");
                    assert!(self.open.remove(call), "call {call} resolved but never made");
                }
                Output::Send(text) => {
                    let v: Value = serde_json::from_str(text).expect("the session sends JSON");
                    let id = v["request_id"].as_str().expect("every request has an ID").to_owned();
                    let action = v["action"].as_str().expect("an action").to_owned();
                    let call = v["payload"]["fuzz_call"].as_u64();
                    assert!(self.wire.insert(id.clone(), (action, call)).is_none(), "request ID {id} reused");
                }
                Output::Emit(RtmEvent::Connected(c)) => {
                    let id = lc_rtm::session::login_identity(self.api, &c.login);
                    let first = self.identity.get_or_insert_with(|| id.clone());
                    assert_eq!(*first, id, "connected as another customer");
                    self.connected_at = Some(self.now);
                }
                Output::Emit(RtmEvent::Disconnected(d)) => {
                    let shown = d.cause.describe();
                    assert!(!shown.chars().any(char::is_control), "{shown:?}");
                    assert!(shown.len() < 8 * 1024, "{} bytes", shown.len());
                    let lived = self.connected_at.take().map(|t| self.now.saturating_duration_since(t));
                    match d.next {
                        Next::Reconnect { attempt, .. } => {
                            let expected = match (lived, self.series) {
                                (Some(l), _) if l >= self.stable_after => 1,
                                (_, Some(prev)) => prev + 1,
                                (_, None) => attempt,
                            };
                            assert_eq!(attempt, expected, "lived {lived:?} after attempt {:?}", self.series);
                            assert!(attempt >= 1);
                            self.series = Some(attempt);
                        }
                        _ => self.series = None,
                    }
                    if let Cause::IdentityMismatch { .. } = &d.cause {
                        assert_eq!(d.next, Next::Stop);
                    }
                    // The connection is gone: nothing it carried may stay unanswered.
                    for (id, (_, call)) in std::mem::take(&mut self.wire) {
                        if let Some(call) = call {
                            assert!(
                                !self.open.contains(&call),
                                "call {call} (request {id}) unresolved after a disconnect"
                            );
                        }
                    }
                    assert_eq!(self.s.in_flight(), 0, "requests in flight after a disconnect");
                }
                _ => {}
            }
        }
        assert!(self.s.in_flight() <= LIMIT, "{} requests in flight", self.s.in_flight());
        out
    }

    fn frame(&mut self, text: &str) {
        self.s.frame(self.now, text);
    }
}

const CUSTOMERS: &[&str] = &["c1", "c2", "", "\u{1b}[2J"];

fn response(api: ChatApi, id: &str, action: &str, success: bool, error: u8, odd: bool, customer: u8) -> String {
    let frame = if success {
        let user = CUSTOMERS[usize::from(customer) % CUSTOMERS.len()];
        let payload = if odd {
            json!([1, {"x": null}])
        } else if action == "login" && api == ChatApi::Agent {
            json!({"my_profile": {"id": user}, "license": {"id": "1"}})
        } else if action == "login" {
            json!({"customer": {"id": user}})
        } else {
            json!({})
        };
        ResponseFrame::success(Some(id.to_owned()), action, &payload).expect("JSON")
    } else if odd {
        ResponseFrame::success(Some(id.to_owned()), action, &json!("not an envelope"))
            .map(|mut f| {
                f.success = false;
                f
            })
            .expect("JSON")
    } else {
        let kind = ERROR_TYPES[usize::from(error) % ERROR_TYPES.len()];
        let envelope = lc_types::ErrorEnvelope::new(kind.into(), "fuzz");
        ResponseFrame::failure(Some(id.to_owned()), action, &envelope)
    };
    serde_json::to_string(&frame).expect("JSON")
}

fn push(name: &str, payload: &Value) -> String {
    serde_json::to_string(&PushFrame::from_parts(V, name, payload, None).expect("JSON")).expect("JSON")
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let mut settings = Settings::new(V);
    let api = if input.agent { ChatApi::Agent } else { ChatApi::Customer };
    settings.api = api;
    let close_push = match (api, input.other_api) {
        (ChatApi::Agent, false) | (ChatApi::Customer, true) => "agent_disconnected",
        _ => "customer_disconnected",
    };
    settings.seed = Some(7);
    settings.backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2), 0.5);
    if input.fail_fast {
        settings.wait_for_connection = Duration::ZERO;
    }
    if input.short_timeouts {
        settings.call_timeout = Duration::from_millis(500);
        settings.login_timeout = Duration::from_millis(300);
        settings.ping_interval = Duration::from_millis(200);
        settings.pong_timeout = Duration::from_millis(100);
    }
    let now = Instant::now();
    let settings_stable_after = settings.stable_after();
    let mut h = Harness {
        s: Session::new(settings, now),
        api,
        now,
        next_call: 0,
        open: BTreeSet::new(),
        resolved: BTreeSet::new(),
        wire: BTreeMap::new(),
        identity: None,
        connected_at: None,
        series: None,
        stable_after: Duration::ZERO,
    };
    h.stable_after = settings_stable_after;
    for op in input.ops.iter().take(300) {
        match op {
            Op::Connect => {
                // The user's connect() after a stop starts a new series.
                if matches!(h.s.state(), ConnectionState::Disconnected | ConnectionState::Closed { .. }) {
                    h.series = None;
                }
                h.s.connect(h.now);
            }
            Op::Opened => h.s.opened(h.now, Map::from_iter([("token".to_owned(), json!("Bearer x"))])),
            Op::ConnectFailed => h.s.connect_failed(h.now, Cause::ConnectFailed("fuzz".into())),
            Op::Closed { code, reason } => h.s.closed(h.now, *code, reason.clone()),
            Op::Unresponsive => h.s.unresponsive(h.now),
            Op::Tick(ms) => {
                h.now += Duration::from_millis(u64::from(*ms));
                h.s.tick(h.now);
            }
            Op::LongTick(s) => {
                h.now += Duration::from_secs(u64::from(*s));
                h.s.tick(h.now);
            }
            Op::Call { timeout_ms } => {
                h.next_call += 1;
                let call = h.next_call;
                let frame = RequestFrame::from_parts(V, "get_customer", &json!({ "fuzz_call": call }), None, V).expect("JSON");
                h.open.insert(call);
                h.s.call(h.now, call, frame, timeout_ms.map(|ms| Duration::from_millis(u64::from(ms))));
            }
            Op::Cancel(n) => {
                // A canceled call is never resolved to anyone: it is done.
                if let Some(&call) = h.open.iter().nth(usize::from(*n) % h.open.len().max(1)) {
                    h.s.cancel(call);
                    h.open.remove(&call);
                    h.resolved.insert(call);
                    h.wire.retain(|_, (_, c)| *c != Some(call));
                }
            }
            Op::Disconnect => {
                h.s.disconnect(h.now);
                h.drain();
                assert!(h.open.is_empty(), "calls unresolved after disconnect(): {:?}", h.open);
            }
            Op::Destroy => {
                h.s.destroy(h.now);
                h.drain();
                assert!(h.open.is_empty(), "calls unresolved after destroy(): {:?}", h.open);
            }
            Op::Respond {
                n,
                success,
                error,
                odd_payload,
                customer,
            } => {
                if let Some((id, (action, _))) = h.wire.iter().nth(usize::from(*n) % h.wire.len().max(1)) {
                    let (id, action) = (id.clone(), action.clone());
                    h.wire.remove(&id);
                    let text = response(api, &id, &action, *success, *error, *odd_payload, *customer);
                    h.frame(&text);
                }
            }
            Op::RespondUnknown(id) => {
                if !h.wire.contains_key(id) {
                    let text = response(api, id, "get_customer", true, 0, false, 0);
                    h.frame(&text);
                }
            }
            Op::Disconnected { reason, data } => {
                let mut payload = json!({ "reason": REASONS[usize::from(*reason) % REASONS.len()] });
                match data {
                    Some(0) => payload["data"] = json!({"region": "fra"}),
                    Some(1) => payload["data"] = json!({"timeout": 0.5}),
                    Some(2) => payload["data"] = json!({"timeout": -1e300}),
                    Some(n) => payload["data"] = json!({ "timeout": n }),
                    None => {}
                }
                let text = push(close_push, &payload);
                h.frame(&text);
            }
            Op::DisconnectedAny(reason) => {
                let text = push(close_push, &json!({ "reason": reason }));
                h.frame(&text);
            }
            Op::Push { name, payload } => {
                let payload = serde_json::from_str::<Value>(payload).unwrap_or_else(|_| json!({ "text": payload }));
                let text = push(name, &payload);
                h.frame(&text);
            }
            Op::Garbage(text) => {
                // A garbage frame may be anything, even a response that names a request on the wire.
                if let Ok(v) = serde_json::from_str::<Value>(text) {
                    if let Some(id) = v.get("request_id").and_then(Value::as_str) {
                        h.wire.remove(id);
                    }
                }
                h.frame(text);
            }
        }
        h.drain();
    }
    // Enough time: every call is resolved, whatever state the connection is in.
    for _ in 0..4 {
        h.now += Duration::from_secs(86_400);
        h.s.tick(h.now);
        h.drain();
    }
    assert!(h.open.is_empty(), "calls never resolved: {:?}", h.open);
    h.s.destroy(h.now);
    h.drain();
    assert!(h.open.is_empty());
});

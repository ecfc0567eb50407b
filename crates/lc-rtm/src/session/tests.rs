//! Every transition, driven with synthetic time.

use super::*;

const V: ApiVersion = ApiVersion::V3_6;

fn settings() -> Settings {
    let mut s = Settings::new(V);
    s.seed = Some(1);
    s.backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2), 0.0);
    s
}

struct T {
    s: Session,
    t0: Instant,
    now: Instant,
}

impl T {
    fn new() -> T {
        T::with(settings())
    }

    fn with(settings: Settings) -> T {
        let t0 = Instant::now();
        T {
            s: Session::new(settings, t0),
            t0,
            now: t0,
        }
    }

    fn at(&mut self, ms: u64) -> Instant {
        self.now = self.t0 + Duration::from_millis(ms);
        self.now
    }

    fn outputs(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.s.poll_output()).collect()
    }

    /// Connects and logs in; gives the outputs of the login response.
    fn active(&mut self) -> Vec<Output> {
        self.s.connect(self.now);
        assert!(matches!(
            self.outputs()[..],
            [Output::Connect {
                fresh_token: false,
                region: None
            }]
        ));
        self.s.opened(self.now, Map::new());
        let sent = self.sent();
        assert_eq!(sent.len(), 1);
        let id = request_id(&sent[0]);
        assert!(matches!(self.s.state(), ConnectionState::LoggingIn { attempt: 1 }));
        self.s.frame(self.now, &login_response(&id, "c1"));
        let out = self.outputs();
        assert_eq!(self.s.state(), &ConnectionState::Active);
        out
    }

    fn sent(&mut self) -> Vec<String> {
        self.outputs()
            .into_iter()
            .map(|o| match o {
                Output::Send(text) => text,
                other => panic!("expected a send, got {other:?}"),
            })
            .collect()
    }

    fn call(&mut self, id: CallId) {
        let frame = RequestFrame::from_parts(V, "get_customer", &Map::new(), None, V).unwrap();
        self.s.call(self.now, id, frame, None);
    }
}

fn request_id(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap();
    v["request_id"].as_str().unwrap().to_owned()
}

fn response(id: &str, action: &str, success: bool) -> String {
    let frame = if success {
        ResponseFrame::success(Some(id.to_owned()), action, &serde_json::json!({})).unwrap()
    } else {
        let envelope: lc_types::ErrorEnvelope =
            lc_types::from_str(r#"{"error":{"type":"authentication","message":"Invalid access token"}}"#).unwrap();
        ResponseFrame::failure(Some(id.to_owned()), action, &envelope)
    };
    serde_json::to_string(&frame).unwrap()
}

fn disconnected(reason: &str, data: Option<Value>) -> String {
    let mut payload = serde_json::json!({ "reason": reason });
    if let Some(d) = data {
        payload["data"] = d;
    }
    serde_json::to_string(&PushFrame::from_parts(V, "customer_disconnected", &payload, None).unwrap()).unwrap()
}

fn disconnect_of(out: &[Output]) -> &Disconnected {
    out.iter()
        .find_map(|o| match o {
            Output::Emit(RtmEvent::Disconnected(d)) => Some(d),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Disconnected in {out:?}"))
}

#[test]
fn connect_login_call_and_response() {
    let mut t = T::new();
    let out = t.active();
    assert!(
        matches!(&out[..], [Output::Emit(RtmEvent::Connected(c))] if !c.reconnect),
        "{out:?}"
    );
    t.call(1);
    let sent = t.sent();
    let v: Value = serde_json::from_str(&sent[0]).unwrap();
    assert_eq!((v["action"].as_str(), v.get("version")), (Some("get_customer"), None));
    t.s.frame(t.now, &response(&request_id(&sent[0]), "get_customer", true));
    assert!(matches!(&t.outputs()[..], [Output::Resolve(1, Ok(_))]));
    assert_eq!(t.s.in_flight(), 0);
}

#[test]
fn an_answer_that_is_no_response_frame_fails_its_call_at_once() {
    let mut t = T::new();
    t.active();
    t.call(1);
    t.call(2);
    let sent = t.sent();
    // A response without `action`: the call it names fails now, with the decode error.
    let id = request_id(&sent[0]);
    t.s.frame(
        t.now,
        &format!(r#"{{"request_id":"{id}","type":"response","success":true,"payload":{{}}}}"#),
    );
    let out = t.outputs();
    assert!(
        matches!(&out[..], [Output::Resolve(1, Err(e))] if matches!(e.kind(), ErrorKind::Decode(d) if d.message().contains("action"))),
        "{out:?}"
    );
    assert_eq!(t.s.in_flight(), 1, "its slot is free");
    // One that names no call on the wire is an unexpected frame, as before.
    t.s.frame(t.now, r#"{"request_id":"nobody","type":"response"}"#);
    assert!(matches!(&t.outputs()[..], [Output::Emit(RtmEvent::UnexpectedFrame(_))]));
}

#[test]
fn the_eleventh_call_waits_for_a_slot() {
    let mut t = T::new();
    t.active();
    for id in 1..=11 {
        t.call(id);
    }
    let sent = t.sent();
    assert_eq!((sent.len(), t.s.in_flight()), (10, 10));
    t.s.frame(t.now, &response(&request_id(&sent[3]), "get_customer", true));
    let out = t.outputs();
    assert!(matches!(&out[0], Output::Resolve(4, Ok(_))), "{out:?}");
    assert!(matches!(&out[1], Output::Send(_)), "the 11th goes out: {out:?}");
    assert_eq!(t.s.in_flight(), 10);
}

#[test]
fn calls_beyond_the_queue_bound_are_refused_at_once() {
    let mut s = settings();
    s.max_queued_calls = 3;
    let mut t = T::with(s);
    t.active();
    // 10 on the wire, 3 waiting, the 14th refused at once, unsent.
    for id in 1..=14 {
        t.call(id);
    }
    let out = t.outputs();
    let sent = out.iter().filter(|o| matches!(o, Output::Send(_))).count();
    let refused: Vec<CallId> = out
        .iter()
        .filter_map(|o| match o {
            Output::Resolve(id, Err(e)) if matches!(e.kind(), ErrorKind::QueueFull(3)) => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!((sent, refused, t.s.queued()), (10, vec![14], 3), "{out:?}");
    // While reconnecting every call waits, up to the bound.
    t.s.closed(t.now, None, "x".into());
    t.outputs();
    t.call(15);
    let out = t.outputs();
    assert!(
        matches!(&out[..], [Output::Resolve(15, Err(e))] if matches!(e.kind(), ErrorKind::QueueFull(3))),
        "{out:?}"
    );
    // None: a call goes out on a free slot, or fails.
    let mut s = settings();
    s.max_queued_calls = 0;
    let mut t = T::with(s);
    t.active();
    for id in 1..=11 {
        t.call(id);
    }
    let out = t.outputs();
    assert_eq!(out.iter().filter(|o| matches!(o, Output::Send(_))).count(), 10);
    assert!(matches!(out.last(), Some(Output::Resolve(11, Err(_)))), "{out:?}");
    assert_eq!(Settings::new(V).max_queued_calls, crate::MAX_QUEUED_CALLS);
}

#[test]
fn a_closed_socket_fails_every_call_in_flight_and_schedules_a_reconnect() {
    let mut t = T::new();
    t.active();
    t.call(1);
    t.call(2);
    t.outputs();
    t.s.closed(t.now, Some(1011), "reset".into());
    let out = t.outputs();
    let lost = out
        .iter()
        .filter(|o| matches!(o, Output::Resolve(_, Err(e)) if matches!(e.kind(), ErrorKind::ConnectionLost)))
        .count();
    assert_eq!(lost, 2);
    // Each lost call says why: the close code and reason.
    assert!(out.iter().all(|o| match o {
        Output::Resolve(_, Err(e)) =>
            e.cause()
                == Some(&Cause::SocketClosed {
                    code: Some(1011),
                    reason: "reset".into()
                }),
        _ => true,
    }));
    let d = disconnect_of(&out);
    assert_eq!(
        d.cause,
        Cause::SocketClosed {
            code: Some(1011),
            reason: "reset".into()
        }
    );
    assert_eq!(
        d.next,
        Next::Reconnect {
            delay: Duration::from_millis(100),
            attempt: 1,
            new_token: false
        }
    );
    t.at(99);
    t.s.tick(t.now);
    assert!(t.outputs().is_empty());
    t.at(100);
    t.s.tick(t.now);
    assert!(matches!(&t.outputs()[..], [Output::Connect { fresh_token: false, .. }]));
    assert_eq!(t.s.state(), &ConnectionState::Connecting { attempt: 1 });
}

/// Logs in on the connection just opened (after `opened`); the outputs of the response.
fn log_in(t: &mut T, customer: &str) -> Vec<Output> {
    let id = request_id(&t.sent()[0]);
    t.s.frame(t.now, &login_response(&id, customer));
    t.outputs()
}

fn login_response(id: &str, customer: &str) -> String {
    let payload = serde_json::json!({"customer": {"id": customer, "type": "customer"}, "has_active_thread": false, "chats": []});
    serde_json::to_string(&ResponseFrame::success(Some(id.to_owned()), "login", &payload).unwrap()).unwrap()
}

#[test]
fn backoff_doubles_up_to_its_maximum_and_resets_after_a_connection_that_lived() {
    let mut t = T::new();
    t.active();
    let mut delays = Vec::new();
    for _ in 0..7 {
        if t.s.socket_open() {
            t.s.closed(t.now, None, "x".into());
        } else {
            t.s.connect_failed(t.now, Cause::ConnectFailed("refused".into()));
        }
        let Next::Reconnect { delay, .. } = disconnect_of(&t.outputs()).next else {
            panic!()
        };
        delays.push(delay.as_millis());
        t.now += delay;
        t.s.tick(t.now);
        t.outputs();
    }
    assert_eq!(delays, [100, 200, 400, 800, 1600, 2000, 2000]);
    t.s.opened(t.now, Map::new());
    assert!(matches!(&log_in(&mut t, "c1")[..], [Output::Emit(RtmEvent::Connected(c))] if c.reconnect));
    // It lives a ping interval: the next drop starts a new series.
    t.now += t.s.s.ping_interval;
    t.s.tick(t.now);
    t.outputs();
    t.s.closed(t.now, None, "x".into());
    assert!(matches!(disconnect_of(&t.outputs()).next, Next::Reconnect { attempt: 1, delay, .. } if delay == Duration::from_millis(100)));
}

/// A server that accepts every login and closes at once: the attempts count on and the
/// delays grow to the maximum, instead of "attempt 1" after 100 ms forever.
#[test]
fn a_server_that_asks_for_no_wait_after_each_login_still_sees_the_backoff_grow() {
    let mut t = T::new();
    t.active();
    let mut seen = Vec::new();
    for _ in 0..6 {
        t.now += Duration::from_millis(10);
        let data = serde_json::json!({ "timeout": 0 });
        t.s.frame(t.now, &disconnected("customer_temporarily_blocked", Some(data)));
        let Next::Reconnect { delay, attempt, .. } = disconnect_of(&t.outputs()).next else {
            panic!()
        };
        seen.push((attempt, delay.as_millis()));
        t.now += delay;
        t.s.tick(t.now);
        t.outputs();
        t.s.opened(t.now, Map::new());
        log_in(&mut t, "c1");
    }
    assert_eq!(seen, [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1600), (6, 2000)]);
}

#[test]
fn a_server_that_closes_right_after_each_login_sees_the_backoff_grow() {
    let mut t = T::new();
    t.active();
    let mut seen = Vec::new();
    for _ in 0..8 {
        t.now += Duration::from_millis(10); // well within a ping interval
        t.s.closed(t.now, Some(1000), String::new());
        let Next::Reconnect { delay, attempt, .. } = disconnect_of(&t.outputs()).next else {
            panic!()
        };
        seen.push((attempt, delay.as_millis()));
        t.now += delay;
        t.s.tick(t.now);
        assert_eq!(t.s.state(), &ConnectionState::Connecting { attempt });
        t.outputs();
        t.s.opened(t.now, Map::new());
        let out = log_in(&mut t, "c1");
        assert!(matches!(&out[..], [Output::Emit(RtmEvent::Connected(_))]), "{out:?}");
    }
    assert_eq!(
        seen,
        [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1600), (6, 2000), (7, 2000), (8, 2000)]
    );
    // Just short of the ping interval still counts as closing at once.
    t.now += t.s.s.ping_interval - Duration::from_millis(1);
    t.s.closed(t.now, None, "x".into());
    assert!(matches!(disconnect_of(&t.outputs()).next, Next::Reconnect { attempt: 9, .. }));
    // `connect()` by the user after a stop starts a new series.
    let mut t = T::new();
    t.active();
    t.s.closed(t.now, None, "x".into());
    t.outputs();
    t.s.disconnect(t.now);
    t.outputs();
    t.s.connect(t.now);
    assert!(matches!(&t.outputs()[..], [Output::Connect { .. }]));
    assert_eq!(t.s.state(), &ConnectionState::Connecting { attempt: 1 });
}

/// A token provider that gives another customer's token after a refresh: the login comes
/// back as that customer; the client stops (no `Connected`), fails what waits, and says why.
#[test]
fn a_login_as_another_customer_stops_the_connection() {
    let mut t = T::new();
    t.s.connect(t.now);
    t.outputs();
    t.s.opened(t.now, Map::new());
    assert!(matches!(&log_in(&mut t, "c1")[..], [Output::Emit(RtmEvent::Connected(_))]));
    // A reconnect as the same customer is fine.
    t.s.frame(t.now, &disconnected("access_token_expired", None));
    let Next::Reconnect { delay, .. } = disconnect_of(&t.outputs()).next else {
        panic!()
    };
    t.now += delay;
    t.s.tick(t.now);
    t.outputs();
    t.s.opened(t.now, Map::new());
    assert!(matches!(&log_in(&mut t, "c1")[..], [Output::Emit(RtmEvent::Connected(c))] if c.reconnect));
    // Then another customer: a call waits for the connection meanwhile.
    t.s.frame(t.now, &disconnected("access_token_expired", None));
    let Next::Reconnect { delay, .. } = disconnect_of(&t.outputs()).next else {
        panic!()
    };
    t.call(1);
    t.now += delay;
    t.s.tick(t.now);
    t.outputs();
    t.s.opened(t.now, Map::new());
    let out = log_in(&mut t, "c2");
    assert!(matches!(out[0], Output::Close), "{out:?}");
    assert!(!out.iter().any(|o| matches!(o, Output::Emit(RtmEvent::Connected(_)))), "{out:?}");
    let mismatch = Cause::IdentityMismatch {
        expected: "c1".into(),
        got: "c2".into(),
    };
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Resolve(1, Err(e)) if matches!(e.kind(), ErrorKind::Closed) && e.cause() == Some(&mismatch))),
        "{out:?}"
    );
    let d = disconnect_of(&out);
    assert_eq!((&d.cause, d.next), (&mismatch, Next::Stop));
    assert_eq!(t.s.state(), &ConnectionState::Closed { cause: mismatch.clone() });
    assert_eq!(mismatch.refusal(), Some("identity_mismatch"));
    assert_eq!(policy_of(ChatApi::Customer, "identity_mismatch"), DisconnectPolicy::Stop);
    // A login response without a customer ID is not the first customer either.
    let mut t = T::new();
    t.s.connect(t.now);
    t.outputs();
    t.s.opened(t.now, Map::new());
    let id = request_id(&t.sent()[0]);
    t.s.frame(t.now, &response(&id, "login", true)); // it names no customer: ""
    t.outputs();
    t.s.closed(t.now, None, "x".into());
    let Next::Reconnect { delay, .. } = disconnect_of(&t.outputs()).next else {
        panic!()
    };
    t.now += delay;
    t.s.tick(t.now);
    t.outputs();
    t.s.opened(t.now, Map::new());
    let out = log_in(&mut t, "c1");
    assert_eq!(disconnect_of(&out).next, Next::Stop);
}

/// One connection's end fails every waiting call with the same cause, shared, not a copy
/// each: a `customer_disconnected` with a large `data` must not be multiplied by the
/// number of waiting calls.
#[test]
fn calls_failed_by_one_disconnect_share_its_cause() {
    let mut t = T::new();
    t.s.connect(t.now);
    t.outputs();
    for id in 1..=100 {
        t.call(id);
    }
    t.s.opened(t.now, Map::new());
    t.outputs();
    let big = serde_json::json!({ "pad": "x".repeat(100_000) });
    t.s.frame(t.now, &disconnected("license_expired", Some(big)));
    let causes: Vec<*const Cause> = t
        .outputs()
        .iter()
        .filter_map(|o| match o {
            Output::Resolve(_, Err(e)) => e.cause().map(|c| c as *const Cause),
            _ => None,
        })
        .collect();
    assert_eq!(causes.len(), 100);
    assert!(causes.iter().all(|c| *c == causes[0]), "one shared cause");
}

/// Numbers and durations from the peer, or configured at their extremes, never overflow
/// an `Instant` or a `Duration`.
#[test]
fn peer_waits_are_clamped_and_extreme_settings_do_not_panic() {
    for (timeout, want) in [
        (serde_json::json!(1e300), limits::MAX_PEER_WAIT),
        (serde_json::json!(u64::MAX), limits::MAX_PEER_WAIT),
        (serde_json::json!(-5), Duration::from_secs(300)),
        (serde_json::json!("soon"), Duration::from_secs(300)),
        (serde_json::json!(0.25), Duration::from_millis(250)),
        // Less than the backoff asks (here 100 ms): the backoff.
        (serde_json::json!(0), Duration::from_millis(100)),
    ] {
        let mut t = T::new();
        t.active();
        let data = serde_json::json!({ "timeout": timeout });
        t.s.frame(t.now, &disconnected("customer_temporarily_blocked", Some(data)));
        let next = disconnect_of(&t.outputs()).next;
        assert!(
            matches!(next, Next::Reconnect { delay, .. } if delay == want),
            "{timeout}: {next:?}"
        );
        t.now += Duration::from_secs(2 * 86_400);
        t.s.tick(t.now);
        assert!(matches!(&t.outputs()[..], [Output::Connect { .. }]), "{timeout}");
    }
    let mut s = settings();
    s.call_timeout = Duration::MAX;
    s.login_timeout = Duration::MAX;
    s.ping_interval = Duration::MAX;
    s.pong_timeout = Duration::MAX;
    s.wait_for_connection = Duration::MAX;
    s.backoff = Backoff::new(Duration::MAX, Duration::MAX, 1.0);
    let mut t = T::with(s);
    t.active();
    t.call(1);
    t.outputs();
    assert!(t.s.next_deadline().is_some());
    t.s.closed(t.now, None, "x".into());
    assert!(matches!(disconnect_of(&t.outputs()).next, Next::Reconnect { .. }));
    t.call(2);
    t.now += Duration::from_secs(86_400);
    t.s.tick(t.now);
    assert_eq!(t.s.s.dead_after(), Duration::MAX);
}

#[test]
fn no_login_response_in_time_closes_and_reconnects() {
    let mut t = T::new();
    t.s.connect(t.now);
    t.s.opened(t.now, Map::new());
    t.outputs();
    t.at(29_999);
    t.s.tick(t.now);
    assert!(t.outputs().is_empty());
    t.at(30_000);
    t.s.tick(t.now);
    let out = t.outputs();
    assert!(matches!(out[0], Output::Close));
    assert_eq!(disconnect_of(&out).cause, Cause::LoginTimeout);
}

#[test]
fn pings_every_interval_and_silence_makes_the_connection_unstable_then_dead() {
    let mut t = T::new();
    t.active();
    t.at(15_000);
    t.s.tick(t.now);
    let sent = t.sent();
    assert!(sent[0].contains(r#""action":"ping""#), "{sent:?}");
    // Answered: nothing else happens.
    t.s.frame(t.now, &response(&request_id(&sent[0]), "ping", true));
    assert!(t.outputs().is_empty());
    // The next ping goes unanswered.
    t.at(30_000);
    t.s.tick(t.now);
    assert_eq!(t.sent().len(), 1);
    t.at(40_000);
    t.s.tick(t.now);
    assert!(matches!(&t.outputs()[..], [Output::Emit(RtmEvent::ConnectionUnstable)]));
    // A frame: recovered.
    t.s.frame(t.now, &disconnected_free_push());
    assert!(matches!(t.outputs()[0], Output::Emit(RtmEvent::ConnectionRecovered)));
    // Silence again, past twice the pong timeout: dead.
    t.at(65_000);
    t.s.tick(t.now);
    t.outputs();
    t.at(75_000);
    t.s.tick(t.now);
    let out = t.outputs();
    assert!(matches!(out[0], Output::Close), "{out:?}");
    assert_eq!(disconnect_of(&out).cause, Cause::Unresponsive);
}

#[test]
fn a_server_that_stops_reading_is_dropped_as_unresponsive_and_reconnected() {
    let mut t = T::new();
    t.active();
    t.s.unresponsive(t.now);
    let out = t.outputs();
    assert!(matches!(out[0], Output::Close), "{out:?}");
    let d = disconnect_of(&out);
    assert_eq!(d.cause, Cause::Unresponsive);
    assert!(matches!(d.next, Next::Reconnect { .. }), "{:?}", d.next);
    // Once the socket is gone, a late stall report changes nothing.
    t.s.unresponsive(t.now);
    assert!(t.outputs().is_empty());
}

fn disconnected_free_push() -> String {
    let payload = serde_json::json!({"unique_id": "g1"});
    serde_json::to_string(&PushFrame::from_parts(V, "greeting_accepted", &payload, None).unwrap()).unwrap()
}

#[test]
fn each_disconnect_policy_decides_what_next() {
    type Case = (&'static str, Option<Value>, fn(&Next) -> bool);
    let cases: &[Case] = &[
        ("connection_evicted", None, |n| {
            matches!(n, Next::Reconnect { new_token: false, .. })
        }),
        ("access_token_expired", None, |n| {
            matches!(n, Next::Reconnect { new_token: true, .. })
        }),
        ("misdirected_connection", Some(serde_json::json!({"region": "fra"})), |n| {
            matches!(n, Next::Reconnect { .. })
        }),
        ("misdirected_connection", None, |n| *n == Next::Stop),
        // A region no region can be (it would go into every later URL): as without one.
        (
            "misdirected_connection",
            Some(serde_json::json!({"region": "fra/../x?\u{1b}"})),
            |n| *n == Next::Stop,
        ),
        (
            "customer_temporarily_blocked",
            Some(serde_json::json!({"timeout": 7})),
            |n| matches!(n, Next::Reconnect { delay, .. } if *delay == Duration::from_secs(7)),
        ),
        (
            "customer_temporarily_blocked",
            None,
            |n| matches!(n, Next::Reconnect { delay, .. } if *delay == Duration::from_secs(300)),
        ),
        (
            "a_reason_from_the_future",
            None,
            |n| matches!(n, Next::Reconnect { delay, .. } if *delay == Duration::from_secs(300)),
        ),
        ("inactivity_timeout", None, |n| *n == Next::WaitForConnect),
        ("customer_banned", None, |n| *n == Next::Stop),
        ("license_expired", None, |n| *n == Next::Stop),
    ];
    for (reason, data, want) in cases {
        let mut t = T::new();
        t.active();
        t.call(1);
        t.outputs();
        t.s.frame(t.now, &disconnected(reason, data.clone()));
        let out = t.outputs();
        assert!(
            matches!(&out[0], Output::Push(f) if f.contains(r#""action":"customer_disconnected""#)),
            "{reason}: {out:?}"
        );
        assert!(out.iter().any(|o| matches!(o, Output::Close)), "{reason}");
        assert!(
            out.iter()
                .any(|o| matches!(o, Output::Resolve(1, Err(e)) if matches!(e.kind(), ErrorKind::ConnectionLost))),
            "{reason}"
        );
        let d = disconnect_of(&out);
        assert!(matches!(&d.cause, Cause::Server { reason: r, .. } if r == reason), "{reason}");
        assert!(want(&d.next), "{reason}: {:?}", d.next);
        match d.next {
            Next::Stop => {
                t.call(2);
                let out = t.outputs();
                assert!(
                    matches!(&out[..], [Output::Resolve(2, Err(e))] if matches!(e.kind(), ErrorKind::Closed)),
                    "{reason}"
                );
            }
            Next::WaitForConnect => {
                assert_eq!(t.s.state(), &ConnectionState::Disconnected);
                t.s.connect(t.now);
                assert!(matches!(&t.outputs()[..], [Output::Connect { .. }]));
            }
            Next::Reconnect { delay, new_token, .. } => {
                t.now += delay;
                t.s.tick(t.now);
                let out = t.outputs();
                let region = (*reason == "misdirected_connection").then_some(Region::FRA);
                assert!(
                    matches!(&out[..], [Output::Connect { fresh_token, region: r }] if *fresh_token == new_token && *r == region),
                    "{reason}: {out:?}"
                );
            }
        }
    }
}

#[test]
fn a_misdirected_connection_announces_the_region_after_the_disconnect() {
    let mut t = T::new();
    t.active();
    t.s.frame(
        t.now,
        &disconnected("misdirected_connection", Some(serde_json::json!({"region": "fra"}))),
    );
    let out = t.outputs();
    let n = out.len();
    assert!(matches!(&out[n - 2], Output::Emit(RtmEvent::Disconnected(_))), "{out:?}");
    assert!(
        matches!(&out[n - 1], Output::Emit(RtmEvent::RegionChanged(r)) if *r == Region::FRA),
        "{out:?}"
    );
}

#[test]
fn a_refused_login_refreshes_the_token_once_then_stops() {
    let mut t = T::new();
    t.s.connect(t.now);
    t.outputs();
    t.s.opened(t.now, Map::new());
    let id = request_id(&t.sent()[0]);
    t.s.frame(t.now, &response(&id, "login", false));
    let out = t.outputs();
    let d = disconnect_of(&out);
    assert!(matches!(&d.cause, Cause::LoginRefused { kind, .. } if kind == "authentication"));
    let Next::Reconnect { delay, .. } = d.next else {
        panic!("{:?}", d.next)
    };
    t.now += delay;
    t.s.tick(t.now);
    assert!(matches!(&t.outputs()[..], [Output::Connect { fresh_token: true, .. }]));
    t.s.opened(t.now, Map::new());
    let id = request_id(&t.sent()[0]);
    t.s.frame(t.now, &response(&id, "login", false));
    assert_eq!(disconnect_of(&t.outputs()).next, Next::Stop);
}

#[test]
fn calls_while_reconnecting_wait_up_to_the_bound() {
    let mut s = settings();
    s.wait_for_connection = Duration::from_secs(2);
    let mut t = T::with(s);
    t.active();
    t.s.closed(t.now, None, "x".into());
    t.outputs();
    t.call(1);
    assert!(t.outputs().is_empty(), "waits");
    t.at(1_999);
    t.s.tick(t.now);
    assert!(t.outputs().iter().all(|o| !matches!(o, Output::Resolve(..))));
    t.at(2_000);
    t.s.tick(t.now);
    let out = t.outputs();
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Resolve(1, Err(e)) if matches!(e.kind(), ErrorKind::NotConnected))),
        "{out:?}"
    );
}

#[test]
fn a_call_waiting_when_the_connection_comes_up_goes_out() {
    let mut t = T::new();
    t.s.connect(t.now);
    t.outputs();
    t.call(1);
    assert!(t.outputs().is_empty());
    t.s.opened(t.now, Map::new());
    let id = request_id(&t.sent()[0]);
    t.s.frame(t.now, &response(&id, "login", true));
    let out = t.outputs();
    assert!(
        matches!(&out[..], [Output::Emit(RtmEvent::Connected(_)), Output::Send(_)]),
        "{out:?}"
    );
}

#[test]
fn failing_fast_refuses_calls_while_not_connected() {
    let mut s = settings();
    s.wait_for_connection = Duration::ZERO;
    let mut t = T::with(s);
    t.s.connect(t.now);
    t.outputs();
    t.call(1);
    assert!(matches!(&t.outputs()[..], [Output::Resolve(1, Err(e))] if matches!(e.kind(), ErrorKind::NotConnected)));
}

#[test]
fn a_timed_out_call_keeps_its_slot_until_the_server_gave_up_too() {
    let mut s = settings();
    s.call_timeout = Duration::from_secs(1);
    s.ping_interval = Duration::from_secs(3600);
    let mut t = T::with(s);
    t.active();
    t.call(1);
    t.outputs();
    t.at(1_000);
    t.s.tick(t.now);
    assert!(matches!(&t.outputs()[..], [Output::Resolve(1, Err(e))] if matches!(e.kind(), ErrorKind::Timeout(_))));
    assert_eq!(t.s.in_flight(), 1, "the slot is still held");
    t.at(15_000);
    t.s.tick(t.now);
    assert_eq!(t.s.in_flight(), 0);
}

#[test]
fn a_late_answer_to_a_timed_out_call_is_dropped_quietly() {
    let mut s = settings();
    s.call_timeout = Duration::from_secs(1);
    let mut t = T::with(s);
    t.active();
    t.call(1);
    let id = request_id(&t.sent()[0]);
    t.at(1_000);
    t.s.tick(t.now);
    t.outputs();
    t.s.frame(t.now, &response(&id, "get_customer", true));
    assert!(t.outputs().is_empty());
    assert_eq!(t.s.in_flight(), 0);
}

#[test]
fn destroy_fails_everything_for_good() {
    let mut t = T::new();
    t.active();
    t.call(1);
    t.outputs();
    t.s.destroy(t.now);
    let out = t.outputs();
    assert!(matches!(out[0], Output::Close));
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Resolve(1, Err(e)) if matches!(e.kind(), ErrorKind::ConnectionLost))));
    t.call(2);
    assert!(matches!(&t.outputs()[..], [Output::Resolve(2, Err(e))] if matches!(e.kind(), ErrorKind::Closed)));
    t.s.connect(t.now);
    assert!(t.outputs().is_empty(), "connect() after destroy() does nothing");
}

#[test]
fn a_response_nobody_waits_for_and_garbage_are_reported() {
    let mut t = T::new();
    t.active();
    t.s.frame(t.now, &response("r-999", "get_customer", true));
    t.s.frame(t.now, "[1,2");
    let out = t.outputs();
    assert!(matches!(&out[..], [Output::Emit(RtmEvent::UnexpectedFrame(_)), Output::Emit(RtmEvent::UnexpectedFrame(g))] if g == "[1,2"));
}

/// An agent's session: `agent_disconnected` is its server close, with the agent's reasons and
/// policies (not the customer's: `connection_evicted` stops an agent, reconnects a customer);
/// `customer_disconnected` is just a push to it; the login names the agent in `my_profile`; a
/// reconnect's login says `reconnect: true`.
#[cfg(feature = "agent")]
mod agent {
    use super::*;

    fn agent_settings() -> Settings {
        let mut s = settings();
        s.api = ChatApi::Agent;
        s
    }

    fn agent_login(id: &str, agent: &str) -> String {
        let payload = serde_json::json!({"license": {"id": "1"}, "my_profile": {"id": agent, "name": "A"}, "chats_summary": []});
        serde_json::to_string(&ResponseFrame::success(Some(id.to_owned()), "login", &payload).unwrap()).unwrap()
    }

    fn push(action: &str, reason: &str) -> String {
        let payload = serde_json::json!({ "reason": reason });
        serde_json::to_string(&PushFrame::from_parts(V, action, &payload, None).unwrap()).unwrap()
    }

    /// Connects and logs in as `agent`; the login frame sent.
    fn log_in_as(t: &mut T, agent: &str) -> Value {
        t.s.connect(t.now);
        t.outputs();
        t.s.opened(t.now, Map::new());
        let sent = t.sent();
        let id = request_id(&sent[0]);
        t.s.frame(t.now, &agent_login(&id, agent));
        t.outputs();
        serde_json::from_str(&sent[0]).unwrap()
    }

    #[test]
    fn the_agents_disconnect_push_and_policies_decide() {
        for (reason, expect) in [
            ("connection_evicted", Next::Stop),
            ("agent_logged_out_remotely", Next::Stop),
            ("access_token_revoked", Next::Stop),
            ("too_many_connections", Next::Stop),
        ] {
            let mut t = T::with(agent_settings());
            log_in_as(&mut t, "a1");
            t.s.frame(t.now, &push("agent_disconnected", reason));
            let out = t.outputs();
            assert_eq!(disconnect_of(&out).next, expect, "{reason}");
        }
        let mut t = T::with(agent_settings());
        log_in_as(&mut t, "a1");
        t.s.frame(t.now, &push("agent_disconnected", "access_token_expired"));
        assert!(matches!(disconnect_of(&t.outputs()).next, Next::Reconnect { new_token: true, .. }));
        // The customer's close push means nothing to an agent's connection.
        let mut t = T::with(agent_settings());
        log_in_as(&mut t, "a1");
        t.s.frame(t.now, &push("customer_disconnected", "license_expired"));
        assert!(t.outputs().iter().all(|o| matches!(o, Output::Push(..))));
        assert_eq!(t.s.state(), &ConnectionState::Active);
    }

    #[test]
    fn a_reconnect_logs_in_with_reconnect_true_as_the_same_agent() {
        let mut t = T::with(agent_settings());
        let first = log_in_as(&mut t, "a1");
        assert!(first["payload"].get("reconnect").is_none(), "{first}");
        let now = t.at(20_000);
        t.s.closed(now, Some(1006), String::new());
        t.outputs();
        let now = t.at(40_000);
        t.s.tick(now);
        t.outputs();
        t.s.opened(t.now, Map::new());
        let sent = t.sent();
        let login: Value = serde_json::from_str(&sent[0]).unwrap();
        assert_eq!(login["payload"]["reconnect"], true);
        // Another agent than the first login: stopped.
        t.s.frame(t.now, &agent_login(&request_id(&sent[0]), "a2"));
        let out = t.outputs();
        assert_eq!(disconnect_of(&out).next, Next::Stop);
        assert!(matches!(disconnect_of(&out).cause, Cause::IdentityMismatch { .. }));
    }
}

//! The RTM client's overhead, in one run:
//!
//! 1. **Round trips**: client CPU per pipelined round trip (`get_customer` and `ping`, 10 in
//!    flight) through `lc-rtm` (`RtmClient::call`, typed response) against a bare
//!    tokio-tungstenite client written by hand (request frames built with `format!`, responses
//!    decoded to `serde_json::Value`, matched by `request_id`).
//! 2. **Pushes**: client CPU per `incoming_event` push (a 619 B v3.6 frame built from the
//!    fixtures), from the socket to a typed `RtmEvent::Push` read off the `Events` stream, against
//!    decoding the same frames alone, as `lc-rtm` does (`PushFrame::decode_text`, one pass).
//!
//! The server is a tiny WebSocket server in this file, on its own thread and runtime: it answers
//! `login`, `ping` and `get_customer` with canned responses (from the fixtures) and a
//! `bench_pushes` request with that many pushes (written in one burst) and then a response. The
//! clients run on a current-thread runtime on the main thread, whose CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`) is what is measured: everything a client does (building frames,
//! the socket, tungstenite, decoding, `lc-rtm`'s connection task and channels), nothing the
//! server does. Rounds alternate the cases (and their order) so drift hits them alike; the
//! median per-operation CPU of each case is printed, and the median over rounds of the
//! within-round ratios. Before anything is timed, the responses and pushes are checked (they
//! decode, the ids match, nothing is lost).
//!
//! ```sh
//! cargo bench -p lc-rtm --bench overhead     # 30 rounds, 2000 round trips and 2000 pushes per case
//! LC_BENCH_ROUNDS=5 LC_BENCH_CALLS=500 LC_BENCH_PUSHES=500 cargo bench -p lc-rtm --bench overhead
//! LC_BENCH_ONLY=4 perf record -g target/release/deps/overhead-…   # one case only (0 to 6, as printed)
//! ```
//!
//! A seventh case, for information, reads the same pushes through the bare client and decodes
//! them as `lc-rtm` does: what a hand-written client pays for the socket on top of decoding.
//!
//! `LC_BENCH_AGENT=1` measures an agent's connection instead (issue 24): `lc-rtm`'s agent
//! client (a personal access token) against the bare client on `/v3.6/agent/rtm/ws`; the round
//! trips are `list_chats` (a 3-chat agent response from the fixtures) and `ping`, the pushes
//! the agent's `incoming_event` (the agent fixture, its keys in LiveChat's order).

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use lc_rtm::{RtmClient, RtmEvent};
use lc_types::v3_6::customer::{AnyPush, GetCustomerRequest, PingRequest};
use lc_types::{ApiVersion, Frame, VersionedPush};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Goals of issue 12.
const ROUND_TRIP_GOAL: f64 = 1.3;
const PUSH_GOAL: f64 = 0.8;
/// Requests on the wire at once (the API's limit).
const IN_FLIGHT: usize = 10;

fn fixture(rel: &str) -> String {
    let path = format!("{}/../../tests/fixtures/v3.6/{rel}", env!("CARGO_MANIFEST_DIR"));
    minify(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

/// `text` without the whitespace outside strings, keys kept in order.
fn minify(text: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            (escaped, in_string) = (c == '\\' && !escaped, in_string && (c != '"' || escaped));
        } else if !c.is_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// Push `n`: an `incoming_event` message push of v3.6 (the fixture's message event, its id
/// numbered), keys in the order LiveChat writes them.
fn push_frame(event: &str, n: usize) -> String {
    let event = event.replacen(r#""id":"RX4H8WQ3ZA_4""#, &format!(r#""id":"RX4H8WQ3ZA_{n}""#), 1);
    format!(
        r#"{{"version":"3.6","action":"incoming_event","type":"push","payload":{{"chat_id":"RX4H8WQ3ZA","thread_id":"RX4H8WQ3ZB","event":{event}}}}}"#
    )
}

/// Push `n` of an agent's connection: the agent fixture's `incoming_event` (its event id
/// numbered), keys in the order LiveChat writes them.
fn agent_push_frame(payload: &str, n: usize) -> String {
    let payload = payload.replacen(r#""id":"Q7TR2KLM1C_3""#, &format!(r#""id":"Q7TR2KLM1C_{n}""#), 1);
    format!(r#"{{"version":"3.6","action":"incoming_event","type":"push","payload":{payload}}}"#)
}

/// Whether this run measures an agent's connection (`LC_BENCH_AGENT`).
fn agent() -> bool {
    std::env::var_os("LC_BENCH_AGENT").is_some()
}

/// The action the round trips call besides `ping`: `get_customer`, or an agent's `list_chats`.
fn call_action() -> &'static str {
    if agent() {
        "list_chats"
    } else {
        "get_customer"
    }
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write into.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

// ---- the server ----

/// What the server answers with, built once.
struct Canned {
    login: String,
    customer: String,
    pushes: Vec<tokio_tungstenite::tungstenite::Utf8Bytes>,
}

/// Starts the server on its own thread and runtime; its address.
fn start_server(canned: Canned) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let canned = std::sync::Arc::new(canned);
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                tcp.set_nodelay(true).unwrap();
                tokio::spawn(serve(tcp, canned.clone()));
            }
        });
    });
    rx.recv().unwrap()
}

#[derive(serde::Deserialize)]
struct Request<'a> {
    action: &'a str,
    request_id: Option<&'a str>,
    #[serde(default)]
    payload: Option<&'a serde_json::value::RawValue>,
}

async fn serve(tcp: TcpStream, canned: std::sync::Arc<Canned>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else { continue };
        let request: Request = serde_json::from_str(text.as_str()).expect("a request frame");
        let id = request.request_id.unwrap_or_default();
        let payload = match request.action {
            "login" => canned.login.as_str(),
            "get_customer" | "list_chats" => canned.customer.as_str(),
            "ping" => "{}",
            "bench_pushes" => {
                let n: usize = serde_json::from_str::<Value>(request.payload.unwrap().get()).unwrap()["count"]
                    .as_u64()
                    .unwrap() as usize;
                for push in &canned.pushes[..n] {
                    ws.feed(Message::Text(push.clone())).await.unwrap();
                }
                "{}"
            }
            other => panic!("the bench server does not know `{other}`"),
        };
        let response = format!(
            r#"{{"request_id":"{id}","action":"{}","type":"response","success":true,"payload":{payload}}}"#,
            request.action
        );
        if ws.send(Message::text(response)).await.is_err() {
            return;
        }
    }
}

// ---- the bare client ----

/// A hand-written minimal RTM client: a socket, frames by `format!`, responses to `Value`.
struct Bare {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Bare {
    async fn connect(addr: SocketAddr) -> Bare {
        let side = if agent() { "agent" } else { "customer" };
        let url = format!("ws://{addr}/v3.6/{side}/rtm/ws?organization_id=bench");
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut bare = Bare { ws, next_id: 0 };
        let token = if agent() { "Basic Ym90OnNlY3JldA==" } else { "Bearer dal:bench" };
        let id = bare.send("login", &format!(r#"{{"token":"{token}"}}"#)).await;
        let response = bare.receive().await;
        assert_eq!(response["request_id"], id.as_str());
        assert_eq!(response["success"], true);
        bare
    }

    async fn send(&mut self, action: &str, payload: &str) -> String {
        self.next_id += 1;
        let id = format!("b{}", self.next_id);
        let frame = format!(r#"{{"version":"3.6","request_id":"{id}","action":"{action}","payload":{payload}}}"#);
        self.ws.send(Message::text(frame)).await.unwrap();
        id
    }

    async fn receive(&mut self) -> Value {
        loop {
            match self.ws.next().await.unwrap().unwrap() {
                Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
                _ => continue,
            }
        }
    }

    /// `n` round trips of `action`, at most [`IN_FLIGHT`] at once; the payloads, when `keep`.
    async fn round_trips(&mut self, action: &str, n: usize, keep: bool) -> Vec<Value> {
        let mut pending: Vec<String> = Vec::with_capacity(IN_FLIGHT);
        let mut kept = Vec::new();
        let mut sent = 0;
        while sent < n.min(IN_FLIGHT) {
            pending.push(self.send(action, "{}").await);
            sent += 1;
        }
        while !pending.is_empty() {
            let mut response = self.receive().await;
            let id = response["request_id"].as_str().expect("a response");
            let at = pending.iter().position(|p| p == id).expect("a response to a pending request");
            pending.swap_remove(at);
            assert_eq!(response["success"], true);
            let payload = response["payload"].take();
            if keep {
                kept.push(payload);
            } else {
                black_box(payload);
            }
            if sent < n {
                pending.push(self.send(action, "{}").await);
                sent += 1;
            }
        }
        kept
    }

    /// Asks for `n` pushes and decodes each as `lc-rtm` does (`PushFrame::decode_text`), by hand.
    async fn pushes(&mut self, n: usize, keep: bool) -> Vec<VersionedPush> {
        let id = self.send("bench_pushes", &format!(r#"{{"count":{n}}}"#)).await;
        let mut kept = Vec::new();
        loop {
            let text = match self.ws.next().await.unwrap().unwrap() {
                Message::Text(text) => text,
                _ => continue,
            };
            match Frame::peek(text.as_str()) {
                Some(e) if e.type_ == "push" => {
                    let push = decode_push(text.as_str());
                    if keep {
                        kept.push(push);
                    } else {
                        black_box(push);
                    }
                }
                _ => match lc_types::from_str::<Frame>(text.as_str()).expect("a frame") {
                    Frame::Response(r) if r.request_id.as_deref() == Some(id.as_str()) => break,
                    _ => panic!("an unexpected frame"),
                },
            }
        }
        assert!(!keep || kept.len() == n, "no push lost");
        kept
    }
}

// ---- lc-rtm ----

/// `n` calls of `request` through `client`, at most [`IN_FLIGHT`] at once; the responses, when `keep`.
async fn lc_round_trips<R: lc_types::RtmAction + Default>(client: &RtmClient, n: usize, keep: bool) -> Vec<R::Response> {
    let request = R::default();
    let mut running = FuturesUnordered::new();
    let mut kept = Vec::new();
    let mut sent = 0;
    while sent < n.min(IN_FLIGHT) {
        running.push(client.call(&request));
        sent += 1;
    }
    while let Some(response) = running.next().await {
        let response = response.expect("the call succeeds");
        if keep {
            kept.push(response);
        } else {
            black_box(response);
        }
        if sent < n {
            running.push(client.call(&request));
            sent += 1;
        }
    }
    kept
}

/// `n` `ping` round trips through `client`, typed (the agent API's `ping` on an agent's).
async fn lc_pings(client: &RtmClient, n: usize) -> usize {
    if agent() {
        lc_round_trips::<lc_types::v3_6::agent::PingRequest>(client, n, true).await.len()
    } else {
        lc_round_trips::<PingRequest>(client, n, true).await.len()
    }
}

/// `n` round trips of the run's action ([`call_action`]) through `client`, typed.
async fn lc_calls(client: &RtmClient, n: usize) {
    if agent() {
        lc_round_trips::<lc_types::v3_6::agent::ListChatsRequest>(client, n, false).await;
    } else {
        lc_round_trips::<GetCustomerRequest>(client, n, false).await;
    }
}

/// Asks the server for `n` pushes and reads them off `events`; the typed pushes, when `keep`.
async fn lc_pushes(client: &RtmClient, events: &mut lc_rtm::Events, n: usize, keep: bool) -> Vec<Box<lc_rtm::Pushed>> {
    let payload = serde_json::json!({ "count": n });
    let call = client.call_value(ApiVersion::V3_6, "bench_pushes", &payload);
    let read = async {
        let mut kept = Vec::new();
        for _ in 0..n {
            match events.next().await.expect("the stream goes on") {
                RtmEvent::Push(p) => {
                    assert!(matches!(
                        p.push,
                        VersionedPush::V3_6(AnyPush::IncomingEvent(_))
                            | VersionedPush::AgentV3_6(lc_types::v3_6::agent::AnyPush::IncomingEvent(_))
                    ));
                    if keep {
                        kept.push(p);
                    } else {
                        black_box(p);
                    }
                }
                other => panic!("not a push: {other:?}"),
            }
        }
        kept
    };
    let (response, kept) = tokio::join!(call, read);
    response.expect("bench_pushes succeeds");
    kept
}

/// The Chat API of the run.
fn api() -> lc_types::ChatApi {
    if agent() {
        lc_types::ChatApi::Agent
    } else {
        lc_types::ChatApi::Customer
    }
}

/// Decodes a push frame without a client, as `lc-rtm` does it (one pass).
fn decode_push(text: &str) -> VersionedPush {
    lc_types::PushFrame::decode_text(text, api(), ApiVersion::V3_6)
        .expect("a push frame")
        .push
}

fn main() {
    let rounds = env("LC_BENCH_ROUNDS", 30);
    let calls = env("LC_BENCH_CALLS", 2000);
    let pushes = env("LC_BENCH_PUSHES", 2000);
    // For profilers: only this case (0 to 6, in the order printed) is measured.
    let only = std::env::var("LC_BENCH_ONLY").ok().and_then(|v| v.parse::<usize>().ok());

    let agent = agent();
    let customer = fixture(if agent {
        "agent/response/list_chats/full.json"
    } else {
        "response/get_customer/full.json"
    });
    let event = fixture("type/Event/message_full.json");
    let agent_push = fixture("agent/push/incoming_event/full.json");
    let push_texts: Vec<String> = (0..pushes.max(1))
        .map(|n| {
            if agent {
                agent_push_frame(&agent_push, n)
            } else {
                push_frame(&event, n)
            }
        })
        .collect();
    let canned = Canned {
        login: fixture(if agent {
            "agent/response/login/full.json"
        } else {
            "response/login/minimal.json"
        }),
        customer: customer.clone(),
        pushes: push_texts.iter().map(|t| t.as_str().into()).collect(),
    };
    let addr = start_server(canned);

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let builder = if agent {
            RtmClient::agent_builder().personal_access_token("bot", "secret")
        } else {
            RtmClient::builder("bench").token("dal:bench")
        };
        let (client, mut events) = builder.base_url(format!("http://{addr}")).build().unwrap();
        match events.next().await {
            Some(RtmEvent::Connected(_)) => {}
            other => panic!("not connected: {other:?}"),
        }
        let mut bare = Bare::connect(addr).await;

        // ---- correctness, before anything is timed ----
        let expected: Value = serde_json::from_str(&customer).unwrap();
        let typed: Vec<Value> = if agent {
            let r = lc_round_trips::<lc_types::v3_6::agent::ListChatsRequest>(&client, 25, true).await;
            r.iter().map(|r| serde_json::to_value(r).unwrap()).collect()
        } else {
            let r = lc_round_trips::<GetCustomerRequest>(&client, 25, true).await;
            r.iter().map(|r| serde_json::to_value(r).unwrap()).collect()
        };
        assert_eq!(typed.len(), 25, "every call answered");
        for r in &typed {
            assert_eq!(*r, expected, "the typed response re-encodes to the fixture");
        }
        assert_eq!(lc_pings(&client, 25).await, 25);
        let raw = bare.round_trips(call_action(), 25, true).await;
        assert_eq!(raw.len(), 25);
        assert!(raw.iter().all(|v| *v == expected));
        assert_eq!(bare.round_trips("ping", 25, true).await.len(), 25);
        let received = lc_pushes(&client, &mut events, pushes, true).await;
        assert_eq!(received.len(), pushes, "no push lost");
        for (n, (p, text)) in received.iter().zip(&push_texts).enumerate() {
            let id = match &p.push {
                VersionedPush::V3_6(AnyPush::IncomingEvent(e)) => match &e.event {
                    lc_types::v3_6::customer::Event::Message(m) => m.id.clone(),
                    other => panic!("not a message: {other:?}"),
                },
                VersionedPush::AgentV3_6(lc_types::v3_6::agent::AnyPush::IncomingEvent(e)) => match &e.event {
                    lc_types::v3_6::agent::Event::Message(m) => m.id.clone(),
                    other => panic!("not a message: {other:?}"),
                },
                other => panic!("not the push: {other:?}"),
            };
            let want = if agent { format!("Q7TR2KLM1C_{n}") } else { format!("RX4H8WQ3ZA_{n}") };
            assert_eq!(id.as_deref(), Some(want.as_str()), "pushes arrive in order");
            let payload = serde_json::to_value(&p.push).unwrap();
            assert_eq!(payload, serde_json::from_str::<Value>(text).unwrap()["payload"], "push {n} round-trips");
        }
        drop(received);
        let by_hand = bare.pushes(pushes, true).await;
        assert!(by_hand.iter().zip(&push_texts).all(|(p, t)| serde_json::to_value(p).unwrap()
            == serde_json::from_str::<Value>(t).unwrap()["payload"]));
        let push_bytes = push_texts[0].len();

        // ---- warm-up ----
        for _ in 0..3 {
            lc_calls(&client, 200).await;
            bare.round_trips(call_action(), 200, false).await;
            lc_pings(&client, 200).await;
            bare.round_trips("ping", 200, false).await;
            lc_pushes(&client, &mut events, pushes.min(500), false).await;
            bare.pushes(pushes.min(500), false).await;
        }

        // ---- measuring ----
        let (lc_call_name, bare_call_name) = (format!("lc-rtm {}", call_action()), format!("bare   {}", call_action()));
        let names = [
            lc_call_name.as_str(),
            bare_call_name.as_str(),
            "lc-rtm ping",
            "bare   ping",
            "lc-rtm pushes (socket to RtmEvent::Push)",
            "decode only (PushFrame::decode_text)",
            "bare socket + the same decode (info)",
        ];
        let mut cpu: [Vec<f64>; 7] = Default::default();
        let mut wall: [Vec<f64>; 7] = Default::default();
        for round in 0..rounds {
            for i in 0..7 {
                let case = if round % 2 == 0 { i } else { 6 - i };
                if only.is_some_and(|o| o != case) {
                    continue;
                }
                let (start, started) = (thread_cpu(), Instant::now());
                let n = match case {
                    0 => {
                        lc_calls(&client, calls).await;
                        calls
                    }
                    1 => {
                        bare.round_trips(call_action(), calls, false).await;
                        calls
                    }
                    2 => {
                        lc_pings(&client, calls).await;
                        calls
                    }
                    3 => {
                        bare.round_trips("ping", calls, false).await;
                        calls
                    }
                    4 => {
                        lc_pushes(&client, &mut events, pushes, false).await;
                        pushes
                    }
                    6 => {
                        bare.pushes(pushes, false).await;
                        pushes
                    }
                    _ => {
                        for text in &push_texts[..pushes] {
                            black_box(decode_push(black_box(text)));
                        }
                        pushes
                    }
                };
                cpu[case].push((thread_cpu() - start).as_secs_f64() * 1e6 / n as f64);
                wall[case].push(started.elapsed().as_secs_f64() * 1e6 / n as f64);
            }
        }
        assert!(events.try_next().is_none(), "no stray event");
        if only.is_some() {
            return;
        }

        let side = if agent { "an agent's connection" } else { "a customer's connection" };
        println!("lc-rtm overhead ({side}): medians of {rounds} interleaved rounds ({calls} round trips, {pushes} pushes of {push_bytes} B per case)");
        println!("  {:<40} {:>12} {:>12}", "case", "client CPU", "wall");
        for (i, name) in names.iter().enumerate() {
            println!("  {name:<40} {:>9.2} µs {:>9.2} µs", median(&cpu[i]), median(&wall[i]));
        }
        // Each round measured every case back to back: the median of the per-round ratios is
        // robust to load that drifts between rounds.
        let ratio = |a: usize, b: usize| median(&cpu[a].iter().zip(&cpu[b]).map(|(x, y)| x / y).collect::<Vec<_>>());
        let get = ratio(0, 1);
        let ping = ratio(2, 3);
        let push = ratio(5, 4); // rate ratio: decode-only CPU per push / lc-rtm CPU per push
        println!(
            "push rates (per second of client CPU): lc-rtm {:.0}/s, decode only {:.0}/s",
            1e6 / median(&cpu[4]),
            1e6 / median(&cpu[5])
        );
        println!(
            "  (info) lc-rtm push rate / bare socket + decode rate: {:.3}x",
            ratio(6, 4)
        );
        let verdict = |met: bool| if met { "met" } else { "MISSED" };
        println!(
            "goal round trips: lc-rtm / bare client CPU per round trip: {} {get:.3}x, ping {ping:.3}x (goal <= {ROUND_TRIP_GOAL}x): {}",
            call_action(),
            verdict(get <= ROUND_TRIP_GOAL && ping <= ROUND_TRIP_GOAL)
        );
        println!(
            "goal pushes: lc-rtm push rate / decode-only rate {push:.3}x (goal >= {PUSH_GOAL}x): {}",
            verdict(push >= PUSH_GOAL)
        );
    });
}

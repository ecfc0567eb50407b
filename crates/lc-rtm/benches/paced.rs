//! Client CPU per push as pushes really arrive: one at a time, 1,000 a second (not in bursts,
//! as the `overhead` bench sends them). Side by side, in alternating rounds:
//!
//! 1. `lc-rtm` on a multi-threaded tokio runtime, pushes read as typed `RtmEvent::Push` off
//!    the `Events` stream by the runtime's `block_on` (what `#[tokio::main]`'s `main` does);
//! 2. the same, the stream read by a task spawned on the runtime (`tokio::spawn`);
//! 3. `lc-rtm` on a current-thread runtime;
//! 4. a bare tokio-tungstenite client that decodes each frame as `lc-rtm` does
//!    (`PushFrame::decode_text`, one pass): the socket and the decode, nothing else; read by
//!    `block_on` on the multi-threaded runtime;
//! 5. the same bare client in a spawned task on that runtime;
//! 6. the same bare client on a current-thread runtime.
//!
//! The server is this program run again as a child process (`LC_BENCH_SERVE=1`), so the
//! client's CPU is its whole process's (`getrusage(RUSAGE_SELF)`: every thread, user and
//! system time, the runtime's wake-ups and the kernel's socket work included). On a request
//! `bench_paced {count, interval_us}` the server answers, then writes `count` `incoming_event`
//! pushes (619 B, v3.6, from the fixtures) one by one, each at its own instant on a fixed
//! schedule. The client CPU of a case, divided by the pushes read, is its CPU per paced push;
//! the median of each case over the rounds is printed, with the median of the per-round ratios
//! against the bare client.
//!
//! ```sh
//! cargo bench -p lc-rtm --bench paced                    # 5 rounds of 2,000 pushes per case
//! LC_BENCH_ROUNDS=3 LC_BENCH_PUSHES=1000 cargo bench -p lc-rtm --bench paced
//! LC_BENCH_AGENT=1 cargo bench -p lc-rtm --bench paced   # an agent's connection instead
//! ```

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use lc_rtm::{RtmClient, RtmEvent};
use lc_types::{ApiVersion, ChatApi, PushFrame, VersionedPush};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// Goal of issue 24: client CPU per paced push, multi-threaded runtime.
const GOAL_US: f64 = 20.0;

/// A fixture, its keys in the order written (as LiveChat orders them), without whitespace.
fn fixture(rel: &str) -> String {
    let path = format!("{}/../../tests/fixtures/v3.6/{rel}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
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

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// CPU time of this process (every thread): (user, system).
fn process_cpu() -> (Duration, Duration) {
    // SAFETY: an all-zero `rusage` is valid to write into.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid rusage to write into.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (tv(usage.ru_utime), tv(usage.ru_stime))
}

// ---- the server (a child process) ----

#[derive(serde::Deserialize)]
struct Request<'a> {
    action: &'a str,
    request_id: Option<&'a str>,
    #[serde(default)]
    payload: Option<&'a serde_json::value::RawValue>,
}

/// Serves until stdin closes; prints its address first.
fn serve() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        std::io::stdout().flush().unwrap();
        let push = std::sync::Arc::new(push_frame());
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                tcp.set_nodelay(true).unwrap();
                tokio::spawn(connection(tcp, push.clone()));
            }
        });
        // The parent closing our stdin (or dying) ends the server.
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin().lock().read_line(&mut line).unwrap_or(0) > 0 {}
        })
        .await
        .unwrap();
    });
}

/// The pushed frame: an `incoming_event` message push of v3.6, keys in LiveChat's order.
fn push_frame() -> String {
    let event = fixture("type/Event/message_full.json");
    format!(
        r#"{{"version":"3.6","action":"incoming_event","type":"push","payload":{{"chat_id":"RX4H8WQ3ZA","thread_id":"RX4H8WQ3ZB","event":{event}}}}}"#
    )
}

async fn connection(tcp: TcpStream, push: std::sync::Arc<String>) {
    let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    let (mut tx, mut rx) = ws.split();
    let (paced_tx, mut paced_rx) = tokio::sync::mpsc::unbounded_channel::<(usize, u64)>();
    let writer = async {
        let login = fixture("response/login/minimal.json");
        let agent_login = r#"{"my_profile":{"id":"bot@example.com"},"license":{"id":"1"}}"#.to_owned();
        let (answers_tx, mut answers_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let reader = async {
            while let Some(Ok(message)) = rx.next().await {
                let Message::Text(text) = message else { continue };
                let request: Request = serde_json::from_str(text.as_str()).expect("a request frame");
                let id = request.request_id.unwrap_or_default();
                let payload = match request.action {
                    "login" if text.contains("\"Basic ") || text.contains("bot") => agent_login.as_str(),
                    "login" => login.as_str(),
                    "ping" => "{}",
                    "bench_paced" => {
                        let p: serde_json::Value = serde_json::from_str(request.payload.unwrap().get()).unwrap();
                        let _ = paced_tx.send((p["count"].as_u64().unwrap() as usize, p["interval_us"].as_u64().unwrap()));
                        "{}"
                    }
                    other => panic!("the bench server does not know `{other}`"),
                };
                let response = format!(
                    r#"{{"request_id":"{id}","action":"{}","type":"response","success":true,"payload":{payload}}}"#,
                    request.action
                );
                let _ = answers_tx.send(response);
            }
        };
        let write = async {
            loop {
                tokio::select! {
                    biased;
                    answer = answers_rx.recv() => match answer {
                        Some(a) => if tx.send(Message::text(a)).await.is_err() { return },
                        None => return,
                    },
                    paced = paced_rx.recv() => {
                        let Some((count, interval)) = paced else { return };
                        let start = tokio::time::Instant::now();
                        for k in 0..count {
                            tokio::time::sleep_until(start + Duration::from_micros(interval * k as u64)).await;
                            if tx.send(Message::text(push.as_str())).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        };
        tokio::join!(reader, write);
    };
    writer.await;
}

/// Starts the server process; its address, and the process (killed when dropped).
struct Server {
    addr: SocketAddr,
    child: std::process::Child,
}

impl Server {
    fn start() -> Server {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .env("LC_BENCH_SERVE", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        Server {
            addr: line.trim().parse().expect("the server's address"),
            child,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- the clients ----

const PACED: &str = "bench_paced";

/// An lc-rtm client of the server (a customer's, or an agent's when `agent`), connected.
async fn lc_client(addr: SocketAddr, agent: bool) -> (RtmClient, lc_rtm::Events) {
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
    (client, events)
}

/// [`lc_paced`] in a task spawned on `rt`; the client and stream back.
fn lc_paced_spawned(
    rt: &tokio::runtime::Runtime,
    (client, mut events): (RtmClient, lc_rtm::Events),
    n: usize,
    interval: u64,
) -> (RtmClient, lc_rtm::Events) {
    rt.block_on(async {
        tokio::spawn(async move {
            lc_paced(&client, &mut events, n, interval).await;
            (client, events)
        })
        .await
        .unwrap()
    })
}

/// Asks for `n` paced pushes and reads them; checks each is the typed push.
async fn lc_paced(client: &RtmClient, events: &mut lc_rtm::Events, n: usize, interval: u64) {
    let payload = serde_json::json!({ "count": n, "interval_us": interval });
    client.call_value(ApiVersion::V3_6, PACED, &payload).await.expect("bench_paced");
    for _ in 0..n {
        match events.next().await.expect("the stream goes on") {
            RtmEvent::Push(p) => assert_eq!(p.push.name(), "incoming_event"),
            other => panic!("not a push: {other:?}"),
        }
    }
}

/// A bare tokio-tungstenite client: the socket and the one-pass decode.
struct Bare {
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>,
    api: ChatApi,
}

impl Bare {
    async fn connect(addr: SocketAddr, agent: bool) -> Bare {
        let side = if agent { "agent" } else { "customer" };
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v3.6/{side}/rtm/ws"))
            .await
            .unwrap();
        let api = if agent { ChatApi::Agent } else { ChatApi::Customer };
        let mut bare = Bare { ws, api };
        let token = if agent { "Basic Ym90OnNlY3JldA==" } else { "Bearer dal:bench" };
        bare.send("login", &format!(r#"{{"token":"{token}"}}"#)).await;
        bare.response().await;
        bare
    }

    async fn send(&mut self, action: &str, payload: &str) {
        let frame = format!(r#"{{"request_id":"b","action":"{action}","payload":{payload}}}"#);
        self.ws.send(Message::text(frame)).await.unwrap();
    }

    async fn response(&mut self) {
        loop {
            if let Message::Text(t) = self.ws.next().await.unwrap().unwrap() {
                assert!(t.as_str().contains(r#""type":"response""#), "{t}");
                return;
            }
        }
    }

    async fn paced(&mut self, n: usize, interval: u64) {
        self.send(PACED, &format!(r#"{{"count":{n},"interval_us":{interval}}}"#)).await;
        self.response().await;
        let mut read = 0;
        while read < n {
            let Message::Text(text) = self.ws.next().await.unwrap().unwrap() else {
                continue;
            };
            let decoded = PushFrame::decode_text(text.as_str(), self.api, ApiVersion::V3_6).expect("a push");
            assert!(matches!(decoded.push, VersionedPush::V3_6(_) | VersionedPush::AgentV3_6(_)));
            std::hint::black_box(decoded);
            read += 1;
        }
    }
}

fn main() {
    if std::env::var_os("LC_BENCH_SERVE").is_some() {
        return serve();
    }
    let rounds = env("LC_BENCH_ROUNDS", 5);
    let pushes = env("LC_BENCH_PUSHES", 2000);
    let interval = 1_000_000 / env("LC_BENCH_RATE", 1000) as u64;
    let agent = std::env::var_os("LC_BENCH_AGENT").is_some();
    let server = Server::start();
    let addr = server.addr;

    let multi = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let single = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (lc_multi, mut lc_multi_events) = multi.block_on(lc_client(addr, agent));
    let mut lc_spawned = Some(multi.block_on(lc_client(addr, agent)));
    let (lc_single, mut lc_single_events) = single.block_on(lc_client(addr, agent));
    let mut bare_multi = multi.block_on(Bare::connect(addr, agent));
    let mut bare_spawned = Some(multi.block_on(Bare::connect(addr, agent)));
    let mut bare_single = single.block_on(Bare::connect(addr, agent));
    let bare_in_task = |bare: Bare, n: usize| -> Bare {
        multi.block_on(async {
            tokio::spawn(async move {
                let mut bare = bare;
                bare.paced(n, interval).await;
                bare
            })
            .await
            .unwrap()
        })
    };

    // Warm-up, and a check that every case reads every push.
    multi.block_on(lc_paced(&lc_multi, &mut lc_multi_events, 200, interval));
    single.block_on(lc_paced(&lc_single, &mut lc_single_events, 200, interval));
    multi.block_on(bare_multi.paced(200, interval));
    single.block_on(bare_single.paced(200, interval));
    lc_spawned = lc_spawned.map(|c| lc_paced_spawned(&multi, c, 200, interval));
    bare_spawned = bare_spawned.map(|b| bare_in_task(b, 200));

    let names = [
        "lc-rtm, multi-thread, read by block_on",
        "lc-rtm, multi-thread, read by a spawned task",
        "lc-rtm, current-thread",
        "bare + decode, multi-thread, block_on",
        "bare + decode, multi-thread, spawned task",
        "bare + decode, current-thread",
    ];
    const CASES: usize = 6;
    let mut cpu: [Vec<f64>; CASES] = Default::default();
    let mut user: [Vec<f64>; CASES] = Default::default();
    for round in 0..rounds {
        for i in 0..CASES {
            let case = if round % 2 == 0 { i } else { CASES - 1 - i };
            let (start, started) = (process_cpu(), Instant::now());
            match case {
                0 => multi.block_on(lc_paced(&lc_multi, &mut lc_multi_events, pushes, interval)),
                1 => lc_spawned = lc_spawned.map(|c| lc_paced_spawned(&multi, c, pushes, interval)),
                2 => single.block_on(lc_paced(&lc_single, &mut lc_single_events, pushes, interval)),
                3 => multi.block_on(bare_multi.paced(pushes, interval)),
                4 => bare_spawned = bare_spawned.map(|b| bare_in_task(b, pushes)),
                _ => single.block_on(bare_single.paced(pushes, interval)),
            }
            let elapsed = started.elapsed();
            assert!(
                elapsed >= Duration::from_micros(interval * (pushes as u64 - 1)),
                "the pushes came paced"
            );
            let end = process_cpu();
            let per_push = |d: Duration| d.as_secs_f64() * 1e6 / pushes as f64;
            cpu[case].push(per_push(end.0 + end.1 - start.0 - start.1));
            user[case].push(per_push(end.0 - start.0));
        }
    }
    let side = if agent { "an agent's" } else { "a customer's" };
    let rate = 1_000_000 / interval;
    println!(
        "client CPU per paced push ({side} connection; {pushes} pushes at {rate}/s per case, medians of {rounds} rounds; getrusage, the whole client process)"
    );
    println!("  {:<48} {:>11} {:>11}", "case", "CPU", "of it user");
    for (i, name) in names.iter().enumerate() {
        println!("  {name:<48} {:>8.2} µs {:>8.2} µs", median(&cpu[i]), median(&user[i]));
    }
    let ratio = |a: usize, b: usize| median(&cpu[a].iter().zip(&cpu[b]).map(|(x, y)| x / y).collect::<Vec<_>>());
    println!(
        "  lc-rtm / bare: multi-thread block_on {:.2}x, spawned task {:.2}x, current-thread {:.2}x",
        ratio(0, 3),
        ratio(1, 4),
        ratio(2, 5)
    );
    let got = median(&cpu[0]).min(median(&cpu[1]));
    let verdict = if got <= GOAL_US { "met" } else { "MISSED" };
    println!("goal: lc-rtm on the multi-thread runtime <= {GOAL_US} µs per paced push (the better way to read): {got:.2} µs, {verdict}");
    drop((lc_multi, lc_single, lc_spawned));
    drop(server);
}

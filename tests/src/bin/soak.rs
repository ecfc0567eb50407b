//! The fault-injection soak (a program, not a test): customers on `lc-rtm`, with Web calls
//! through `lc-web`, against `lc-mock` on loopback, while the mock injects faults at random.
//!
//! ```text
//! cargo xtask soak [--seconds 600] [--customers 100]
//! cargo run --release -p lc-tests --bin soak -- --seconds 600 --customers 100
//! ```
//!
//! The mock runs in a child process (this program re-executed with the hidden `serve`
//! command), so each side's resident memory is measured alone; the fault injector runs there,
//! beside the mock, on its Rust control API. The parent runs the customers: each gets tokens
//! from the mock's accounts service (refreshed after `access_token_expired`), keeps one RTM
//! connection, starts a chat, and sends messages every few hundred milliseconds, alternately
//! over RTM and the Web API. A message whose call returned its event ID is *acknowledged*.
//!
//! Faults, at random: dropped connections, delayed and dropped responses, refused
//! connections, errors of every retryable type, every documented disconnect reason (and an
//! unknown one), region switches (`misdirected_connection`), unknown pushes, malformed frames,
//! and agent messages (pushes). Then a quiet phase, and the check: every acknowledged message
//! is found once in its chat's history (read back over the Web API).
//!
//! It prints the counts and, last, one line `soak: key=value ...`; it exits 1 when a goal is
//! missed: a call that did not resolve within its timeout (`hung`), an acknowledged message
//! lost or duplicated, a survivable disconnect not followed by a reconnect (`stuck`), or the
//! client's memory growing (`client_rss_kb`, once warmed up -> at the deadline: more than half
//! again plus 8 MiB fails). The mock keeps every message, so its memory grows with them.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lc_rtm::{Backoff, Next, RtmClient, RtmEvent};
use lc_types::{ApiVersion, Region};
use lc_web::{AccountsTokenProvider, RetryPolicy, WebClient};
use serde_json::{json, Value};

type Failed = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: soak [--seconds N] [--customers N]";

/// How long a call may take before it counts as hung: its own timeout plus a margin.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
const HUNG_AFTER: Duration = Duration::from_secs(12);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(),
        _ => options(&args).and_then(|(seconds, customers)| run(seconds, customers)),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::from(2)
        }
    }
}

fn options(args: &[String]) -> Result<(u64, usize), Failed> {
    let (mut seconds, mut customers) = (600, 100);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().ok_or_else(|| format!("{a} needs a number\n{USAGE}"))?;
        let n: u64 = v.parse().map_err(|_| format!("{a} `{v}` is not a number\n{USAGE}"))?;
        match a.as_str() {
            "--seconds" => seconds = n,
            "--customers" => customers = n as usize,
            _ => return Err(format!("unknown option `{a}`\n{USAGE}").into()),
        }
    }
    Ok((seconds, customers))
}

fn runtime() -> Result<tokio::runtime::Runtime, Failed> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Resident memory of a process, in KiB (Linux; 0 elsewhere).
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

// ---- the child: the mock and the fault injector ----

/// Serves the mock; prints one JSON line with its URLs. Reads commands on stdin:
/// `customers <id>...` (who to disconnect), `quiet` (stop injecting faults), and EOF (print
/// the injected counts as one JSON line and exit).
fn serve() -> Result<bool, Failed> {
    runtime()?.block_on(async {
        // Short-lived tokens: they expire during the run, and both clients must refresh them.
        let config = lc_mock::Config {
            token_lifetime: Duration::from_secs(20),
            ..lc_mock::Config::default()
        };
        let server = Arc::new(lc_mock::MockServer::start(config).await?);
        let base = format!("http://{}", server.addr());
        println!(
            "{}",
            json!({"base_url": base, "accounts_url": server.accounts_url(), "organization_id": server.organization_id()})
        );
        std::io::stdout().flush()?;
        let customers: Arc<Mutex<Vec<String>>> = Arc::default();
        let quiet = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let injected: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
        let injector = {
            let (server, customers, quiet, injected) = (server.clone(), customers.clone(), quiet.clone(), injected.clone());
            tokio::spawn(async move { inject(&server, &customers, &quiet, &injected).await })
        };
        let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        while let Some(line) = lines.recv().await {
            if let Some(ids) = line.strip_prefix("customers ") {
                customers.lock().unwrap().extend(ids.split_whitespace().map(str::to_owned));
            } else if line == "quiet" {
                quiet.store(true, Ordering::SeqCst);
                server.faults().clear();
                server.set_region("dal");
            }
        }
        injector.abort();
        let problems = server.problems();
        let counts = injected.lock().unwrap().clone();
        println!("{}", json!({"injected": counts, "problems": problems}));
        std::io::stdout().flush()?;
        Ok(true)
    })
}

/// The disconnect reasons the injector sends, with `data` where the reason takes it.
fn reasons() -> Vec<(&'static str, Option<Value>)> {
    let mut out: Vec<(&'static str, Option<Value>)> = lc_types::v3_6::customer::DisconnectReason::KNOWN
        .iter()
        .filter(|r| **r != "misdirected_connection")
        .map(|r| (*r, None))
        .collect();
    out.push(("customer_temporarily_blocked", Some(json!({"timeout": 0.3}))));
    out.push(("a_reason_from_the_future", None));
    out
}

async fn inject(
    server: &lc_mock::MockServer,
    customers: &Mutex<Vec<String>>,
    quiet: &std::sync::atomic::AtomicBool,
    injected: &Mutex<BTreeMap<String, u64>>,
) {
    let mut rng = fastrand::Rng::with_seed(42);
    let reasons = reasons();
    let retryable = [
        "internal",
        "request_timeout",
        "service_unavailable",
        "too_many_requests",
        "pending_requests_limit_reached",
    ];
    let count = |what: String| *injected.lock().unwrap().entry(what).or_default() += 1;
    loop {
        tokio::time::sleep(Duration::from_millis(rng.u64(100..400))).await;
        if quiet.load(Ordering::SeqCst) {
            continue;
        }
        let ids = customers.lock().unwrap().clone();
        if ids.is_empty() {
            continue;
        }
        let who = ids[rng.usize(..ids.len())].clone();
        let faults = server.faults();
        match rng.u32(0..100) {
            0..=4 => {
                faults.drop_connections();
                count("drop_connections".into());
            }
            5..=9 => {
                faults.delay_responses(Duration::from_millis(rng.u64(100..1500)));
                count("delay_responses".into());
                tokio::time::sleep(Duration::from_millis(rng.u64(200..800))).await;
                faults.delay_responses(Duration::ZERO);
            }
            10..=14 => {
                faults.drop_responses(rng.u64(1..3));
                count("drop_responses".into());
            }
            15..=17 => {
                faults.refuse_connections(Duration::from_millis(rng.u64(200..1000)));
                count("refuse_connections".into());
            }
            18..=29 => {
                let kind = retryable[rng.usize(..retryable.len())];
                faults.fail_next(rng.usize(1..3), kind);
                count(format!("error:{kind}"));
            }
            30..=49 => {
                let (reason, data) = reasons[rng.usize(..reasons.len())].clone();
                server.agent().disconnect(&who, reason, data);
                count(format!("disconnect:{reason}"));
            }
            50..=52 => {
                // Move the mock to the other region and tell the customer.
                let to = if server.region() == "dal" { "fra" } else { "dal" };
                server.set_region(to);
                faults.drop_connections();
                count("region_switch".into());
            }
            53..=57 => {
                let frame = r#"{"version":"3.6","action":"a_push_from_the_future","type":"push","payload":{"x":1}}"#;
                faults.send_raw(&who, frame);
                count("unknown_push".into());
            }
            58..=60 => {
                faults.send_raw(
                    &who,
                    r#"{"version":"3.6","action":"incoming_event","type":"push","payload":{"chat_id":5}}"#,
                );
                faults.send_raw(&who, "{not json");
                count("malformed_frames".into());
            }
            _ => {
                if let Some((chat, _)) = server.agent().active_chat(&who) {
                    if server.agent().send_message(&chat, "An agent says hello").is_ok() {
                        count("agent_message".into());
                    }
                }
            }
        }
    }
}

// ---- the parent: the customers ----

struct Mock {
    child: Child,
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    stdout: BufReader<std::process::ChildStdout>,
    info: Value,
}

impl Mock {
    fn start() -> Result<Mock, Failed> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = Arc::new(Mutex::new(child.stdin.take()));
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        Ok(Mock {
            child,
            stdin,
            stdout,
            info: serde_json::from_str(&line)?,
        })
    }

    fn tell(&self, line: &str) {
        tell(&self.stdin, line);
    }

    /// Closes its stdin and reads its final counts.
    fn finish(mut self) -> Result<Value, Failed> {
        drop(self.stdin.lock().unwrap().take());
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        let _ = self.child.wait();
        Ok(serde_json::from_str(&line)?)
    }
}

fn tell(stdin: &Mutex<Option<ChildStdin>>, line: &str) {
    if let Some(stdin) = &mut *stdin.lock().unwrap() {
        let _ = writeln!(stdin, "{line}");
        let _ = stdin.flush();
    }
}

#[derive(Default)]
struct Counts {
    calls: AtomicU64,
    resolved: AtomicU64,
    hung: AtomicU64,
    failed: Mutex<BTreeMap<String, u64>>,
    pushes: Mutex<BTreeMap<String, u64>>,
    reconnects: Mutex<BTreeMap<String, u64>>,
    fatal: Mutex<BTreeMap<String, u64>>,
    restarts: AtomicU64,
}

impl Counts {
    fn bump(map: &Mutex<BTreeMap<String, u64>>, key: impl Into<String>) {
        *map.lock().unwrap().entry(key.into()).or_default() += 1;
    }
}

/// One customer's record: its chat, the messages the server acknowledged, and what the
/// history showed of them at the end.
#[derive(Default)]
struct Record {
    chat: Option<String>,
    /// The numbers `n` of the acknowledged messages (`c{i}-m{n}`, unique per customer): kept
    /// small, so the soak's own bookkeeping does not look like the client's memory growing.
    acked: Vec<u32>,
    /// A survivable disconnect not yet followed by a login.
    awaiting_reconnect: bool,
    lost: u64,
    duplicates: u64,
}

fn run(seconds: u64, customers: usize) -> Result<bool, Failed> {
    let mock = Mock::start()?;
    let base = mock.info["base_url"].as_str().ok_or("base_url")?.to_owned();
    let accounts = mock.info["accounts_url"].as_str().ok_or("accounts_url")?.to_owned();
    let org = mock.info["organization_id"].as_str().ok_or("organization_id")?.to_owned();
    let rt = runtime()?;
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let (records, client_rss, mock_rss) = rt.block_on(async {
        // Every customer: tokens, an RTM client, a Web client, logged in.
        let mut people = Vec::new();
        for i in 0..customers {
            let tokens = Arc::new(
                AccountsTokenProvider::cookie_grant("soak-client", org.as_str())
                    .accounts_url(accounts.as_str())
                    .refresh_before(Duration::from_secs(2)),
            );
            let web = WebClient::builder(org.as_str())
                .base_url(base.as_str())
                .shared_token_provider(tokens.clone())
                .timeout(CALL_TIMEOUT)
                .retry(
                    RetryPolicy::default()
                        .max_attempts(4)
                        .backoff(Duration::from_millis(50), Duration::from_millis(500)),
                )
                .build()?;
            let record = Arc::new(Mutex::new(Record::default()));
            people.push((i, tokens, web, record));
        }
        let mut ids = Vec::new();
        for (_, tokens, _, _) in &people {
            // The identity exists once a token was fetched.
            lc_types::auth::TokenProvider::token(&**tokens).await?;
            ids.push(tokens.current_customer_id().ok_or("a customer ID")?);
        }
        mock.tell(&format!("customers {}", ids.join(" ")));
        let before = (rss_kb(std::process::id()), rss_kb(mock.child.id()));
        println!(
            "resident memory before the customers connect: client {} KiB, mock {} KiB",
            before.0, before.1
        );
        let deadline = Instant::now() + Duration::from_secs(seconds);
        // Memory: once warmed up (a quarter of the run, at most a minute), and at the deadline
        // (before the histories are read back). Then the faults stop; the customers settle and
        // read their histories.
        let samples: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
        let stdin = mock.stdin.clone();
        let child = mock.child.id();
        {
            let samples = samples.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs((seconds / 4).min(60))).await;
                samples.lock().unwrap().push((rss_kb(std::process::id()), rss_kb(child)));
                tokio::time::sleep_until(deadline.into()).await;
                samples.lock().unwrap().push((rss_kb(std::process::id()), rss_kb(child)));
                tell(&stdin, "quiet");
            });
        }
        let mut tasks = Vec::new();
        for (i, tokens, web, record) in people {
            let (counts, base, org) = (counts.clone(), base.clone(), org.clone());
            tasks.push(tokio::spawn(async move {
                customer(i, tokens, web, record.clone(), &base, &org, deadline, &counts)
                    .await
                    .map(|()| record)
            }));
        }
        let mut records = Vec::new();
        for t in tasks {
            records.push(t.await??);
        }
        let samples = samples.lock().unwrap().clone();
        let (warm, end) = match samples.as_slice() {
            [warm, end, ..] => (*warm, *end),
            _ => (before, (rss_kb(std::process::id()), rss_kb(child))),
        };
        Ok::<_, Failed>((records, (warm.0, end.0), (warm.1, end.1)))
    })?;
    let (acked, lost, duplicates, stuck) = totals(&records);
    let injected = mock.finish()?;
    let c = &counts;
    let calls = c.calls.load(Ordering::SeqCst);
    let resolved = c.resolved.load(Ordering::SeqCst);
    let hung = c.hung.load(Ordering::SeqCst);
    let reconnects: u64 = c.reconnects.lock().unwrap().values().sum();
    let pushes: u64 = c.pushes.lock().unwrap().values().sum();
    let problems = injected["problems"].as_array().map_or(0, Vec::len);
    println!("faults injected: {}", injected["injected"]);
    println!("calls failed, by kind: {:?}", c.failed.lock().unwrap());
    println!("reconnects, by reason: {:?}", c.reconnects.lock().unwrap());
    println!("stops, by reason (fatal, client restarted): {:?}", c.fatal.lock().unwrap());
    println!("pushes received, by name: {:?}", c.pushes.lock().unwrap());
    if problems > 0 {
        println!("mock problems: {}", injected["problems"]);
    }
    // Flat: at most half again what it was once warmed up, plus 8 MiB of slack for the
    // allocator. (The mock keeps every message, so its memory grows with them by design.)
    let memory_ok = client_rss.1 <= client_rss.0 + client_rss.0 / 2 + 8 * 1024;
    let ok = hung == 0 && calls == resolved && lost == 0 && duplicates == 0 && stuck == 0 && problems == 0 && memory_ok;
    println!(
        "soak: seconds={} customers={customers} calls={calls} resolved={resolved} hung={hung} acked={acked} lost={lost} duplicates={duplicates} reconnects={reconnects} stuck={stuck} restarts={} pushes={pushes} mock_problems={problems} client_rss_kb={}->{} mock_rss_kb={}->{} ok={ok}",
        started.elapsed().as_secs(),
        c.restarts.load(Ordering::SeqCst),
        client_rss.0,
        client_rss.1,
        mock_rss.0,
        mock_rss.1,
    );
    Ok(ok)
}

/// One customer until the deadline, then a quiet settle: connected again, nothing pending.
#[allow(clippy::too_many_arguments)]
async fn customer(
    i: usize,
    tokens: Arc<AccountsTokenProvider>,
    web: WebClient,
    record: Arc<Mutex<Record>>,
    base: &str,
    org: &str,
    deadline: Instant,
    counts: &Arc<Counts>,
) -> Result<(), Failed> {
    let mut rng = fastrand::Rng::with_seed(i as u64);
    let mut n = 0u64;
    while Instant::now() < deadline {
        let (rtm, events) = RtmClient::builder(org)
            .base_url(base)
            .region_base_url(Region::FRA, base)
            .shared_token_provider(tokens.clone())
            .backoff(Backoff::new(Duration::from_millis(50), Duration::from_secs(1), 0.5))
            .blocked_wait(Duration::from_millis(500))
            .call_timeout(CALL_TIMEOUT)
            .wait_for_connection(CALL_TIMEOUT)
            .jitter_seed(i as u64)
            .build()?;
        let watcher = tokio::spawn(watch(events, rtm.clone(), record.clone(), counts.clone()));
        // Messages until the deadline or until the connection is closed for good.
        while Instant::now() < deadline && !matches!(rtm.state(), lc_rtm::ConnectionState::Closed { .. }) {
            tokio::time::sleep(Duration::from_millis(rng.u64(150..450))).await;
            let chat = record.lock().unwrap().chat.clone();
            let Some(chat) = chat else {
                let started = measured(counts, rtm.call_value(ApiVersion::V3_6, "start_chat", &json!({}))).await;
                if let Some(Ok(v)) = started {
                    record.lock().unwrap().chat = v["chat_id"].as_str().map(str::to_owned);
                } else if let Some(Err(kind)) = started {
                    if kind.contains("limit_reached") {
                        // A chat started whose answer was lost: find it.
                        if let Ok(list) = web.call_value(web.api_version(), "list_chats", &json!({})).await {
                            record.lock().unwrap().chat = list["chats_summary"][0]["id"].as_str().map(str::to_owned);
                        }
                    }
                }
                continue;
            };
            n += 1;
            let text = format!("c{i}-m{n}");
            let payload = json!({"chat_id": chat, "event": {"type": "message", "text": text}});
            let result = if n.is_multiple_of(2) {
                measured(counts, rtm.call_value(ApiVersion::V3_6, "send_event", &payload)).await
            } else {
                measured(counts, web.call_value(web.api_version(), "send_event", &payload)).await
            };
            if let Some(Ok(v)) = result {
                if v["event_id"].is_string() {
                    record.lock().unwrap().acked.push(n as u32);
                }
            }
        }
        if Instant::now() < deadline {
            // Closed for good (a fatal reason): a new client for the same customer, as an
            // application would after telling its user.
            counts.restarts.fetch_add(1, Ordering::SeqCst);
            rtm.destroy();
            watcher.abort();
            tokio::time::sleep(Duration::from_millis(300)).await;
            continue;
        }
        // Settle: the connection must come back after the faults stop.
        let settled = rtm.wait_connected(Duration::from_secs(15)).await.is_ok();
        if settled {
            record.lock().unwrap().awaiting_reconnect = false;
        }
        rtm.destroy();
        let _ = watcher.await;
        break;
    }
    let chat = record.lock().unwrap().chat.clone();
    let texts = match chat {
        Some(chat) => history(&web, &chat).await?,
        None => Vec::new(),
    };
    let mut r = record.lock().unwrap();
    // This customer's own messages (the agent's all read alike).
    let mine = format!("c{i}-");
    let mut seen: HashMap<&str, u64> = HashMap::new();
    for (_, text) in texts.iter().filter(|(_, t)| t.starts_with(&mine)) {
        *seen.entry(text.as_str()).or_default() += 1;
    }
    r.lost = r
        .acked
        .iter()
        .filter(|n| !seen.contains_key(format!("{mine}m{n}").as_str()))
        .count() as u64;
    r.duplicates = seen.values().filter(|n| **n > 1).map(|n| n - 1).sum();
    Ok(())
}

/// Every (event ID, text) of a chat, over the Web API, page by page (retried: the faults have
/// stopped, but a request may still meet the region switch back).
async fn history(web: &WebClient, chat: &str) -> Result<Vec<(String, String)>, Failed> {
    let mut out = Vec::new();
    let mut page: Option<String> = None;
    loop {
        let payload = match &page {
            None => json!({"chat_id": chat, "limit": 100}),
            Some(id) => json!({"chat_id": chat, "page_id": id}),
        };
        let mut tries = 0;
        let threads = loop {
            match web.call_value(web.api_version(), "list_threads", &payload).await {
                Ok(v) => break v,
                Err(e) if tries < 5 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(format!("reading the history of {chat}: {e}").into()),
            }
        };
        for thread in threads["threads"].as_array().into_iter().flatten() {
            for event in thread["events"].as_array().into_iter().flatten() {
                if let (Some(id), Some(text)) = (event["id"].as_str(), event["text"].as_str()) {
                    out.push((id.to_owned(), text.to_owned()));
                }
            }
        }
        match threads["next_page_id"].as_str() {
            Some(next) if !threads["threads"].as_array().is_none_or(Vec::is_empty) => page = Some(next.to_owned()),
            _ => return Ok(out),
        }
    }
}

/// Runs a call, counting it: made, resolved (either way), or hung past [`HUNG_AFTER`]. Gives
/// `None` when hung, else the response or the error's text.
async fn measured<E: std::fmt::Display>(
    counts: &Counts,
    call: impl std::future::Future<Output = Result<Value, E>>,
) -> Option<Result<Value, String>> {
    counts.calls.fetch_add(1, Ordering::SeqCst);
    match tokio::time::timeout(HUNG_AFTER, call).await {
        Ok(result) => {
            counts.resolved.fetch_add(1, Ordering::SeqCst);
            Some(result.map_err(|e| {
                let text = e.to_string();
                Counts::bump(&counts.failed, text.split(':').next().unwrap_or_default().to_owned());
                text
            }))
        }
        Err(_) => {
            counts.hung.fetch_add(1, Ordering::SeqCst);
            None
        }
    }
}

/// Reads a client's events: pushes by name, disconnects by reason and what followed.
async fn watch(mut events: lc_rtm::Events, rtm: RtmClient, record: Arc<Mutex<Record>>, counts: Arc<Counts>) {
    while let Some(event) = events.next().await {
        match event {
            RtmEvent::Push(p) => Counts::bump(&counts.pushes, p.push.name()),
            RtmEvent::UndecodedPush { frame, .. } => Counts::bump(&counts.pushes, format!("undecoded:{}", frame.action)),
            RtmEvent::Connected(c) if c.reconnect => record.lock().unwrap().awaiting_reconnect = false,
            // The soak's own `destroy()`.
            RtmEvent::Disconnected(d) if d.cause == lc_rtm::Cause::User => {}
            RtmEvent::Disconnected(d) => {
                let reason = match &d.cause {
                    lc_rtm::Cause::Server { reason, .. } => reason.clone(),
                    other => format!("{other:?}").split('(').next().unwrap_or_default().to_owned(),
                };
                match d.next {
                    Next::Reconnect { .. } => {
                        Counts::bump(&counts.reconnects, reason);
                        record.lock().unwrap().awaiting_reconnect = true;
                    }
                    Next::WaitForConnect => {
                        // The user comes back (opens the chat): reconnect on intent.
                        Counts::bump(&counts.reconnects, format!("{reason} (on intent)"));
                        record.lock().unwrap().awaiting_reconnect = true;
                        let rtm = rtm.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            rtm.connect();
                        });
                    }
                    _ => Counts::bump(&counts.fatal, reason),
                }
            }
            _ => {}
        }
    }
}

/// (acked, lost, duplicates, stuck) over every customer.
fn totals(records: &[Arc<Mutex<Record>>]) -> (u64, u64, u64, u64) {
    let (mut acked, mut lost, mut duplicates, mut stuck) = (0, 0, 0, 0);
    for record in records {
        let r = record.lock().unwrap();
        acked += r.acked.len() as u64;
        lost += r.lost;
        duplicates += r.duplicates;
        stuck += u64::from(r.awaiting_reconnect);
    }
    (acked, lost, duplicates, stuck)
}

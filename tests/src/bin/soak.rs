//! The fault-injection soak (a program, not a test): customers on `lc-rtm`, with Web calls
//! through `lc-web`, and bots on `lc-rtm` agent connections answering them, against `lc-mock`
//! on loopback, while the mock injects faults at random.
//!
//! ```text
//! cargo xtask soak [--seconds 600] [--customers 100] [--bots 10]
//! cargo run --release -p lc-tests --bin soak -- --seconds 600 --customers 100 --bots 10
//! ```
//!
//! The mock runs in a child process (this program re-executed with the hidden `serve`
//! command), so each side's resident memory is measured alone; the fault injector runs there,
//! beside the mock, on its Rust control API. The parent runs the customers: each gets tokens
//! from the mock's accounts service (refreshed after `access_token_expired`), keeps one RTM
//! connection, starts a chat, and sends messages every few hundred milliseconds, alternately
//! over RTM and the Web API. A message whose call returned its event ID is *acknowledged*.
//!
//! The bots are agents of the mock (personal access tokens), each on one Agent Chat RTM
//! connection; a chat belongs to one bot (by a hash of its ID). A bot answers each customer
//! message `c{i}-m{n}` of its chats with one `re:c{i}-m{n}`: from the `incoming_event` push,
//! or, for what it may have missed while disconnected (or a send whose outcome it could not
//! know), from the chat's history, read after each login (and once more when the customers are
//! done). A bot closed for good (a fatal reason) is replaced by a new client, as a service
//! would.
//!
//! Faults, at random: dropped connections, delayed and dropped responses, refused
//! connections, errors of every retryable type, every documented disconnect reason (and an
//! unknown one), region switches (`misdirected_connection`), unknown pushes, malformed frames,
//! and agent messages (pushes); for the bots, every documented `agent_disconnected` reason (and
//! an unknown one). Then a quiet phase, and the check: every acknowledged message is found once
//! in its chat's history (read back over the Web API), and every customer message there has
//! exactly one bot answer.
//!
//! It prints the counts and, last, one line `soak: key=value ...`; it exits 1 when a goal is
//! missed: a call that did not resolve within its timeout (`hung`), an acknowledged message
//! lost or duplicated, a customer message not answered exactly once (`unanswered`,
//! `answered_twice`), a survivable disconnect not followed by a reconnect (`stuck`), or the
//! client's memory growing: the bytes it holds allocated (`client_heap_kb`, counted by its
//! global allocator; the lowest value over a minute once warmed up -> over the last minute
//! before the deadline) more than half again plus 8 MiB. Resident memory is printed too, not
//! judged: glibc keeps freed blocks, and the bots' history reads grow with the chats. The mock
//! keeps every message, so its memory grows with them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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

const USAGE: &str = "usage: soak [--seconds N] [--customers N] [--bots N]";

/// How long a call may take before it counts as hung: its own timeout plus a margin.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a bot waits for a chat's history (`list_threads`, up to 100 threads a page).
const HISTORY_TIMEOUT: Duration = Duration::from_secs(30);
const HUNG_AFTER: Duration = Duration::from_secs(12);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10)),
        _ => options(&args).and_then(|(seconds, customers, bots)| run(seconds, customers, bots)),
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

fn options(args: &[String]) -> Result<(u64, usize, usize), Failed> {
    let (mut seconds, mut customers, mut bots) = (600, 100, 10);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().ok_or_else(|| format!("{a} needs a number\n{USAGE}"))?;
        let n: u64 = v.parse().map_err(|_| format!("{a} `{v}` is not a number\n{USAGE}"))?;
        match a.as_str() {
            "--seconds" => seconds = n,
            "--customers" => customers = n as usize,
            "--bots" => bots = n as usize,
            _ => return Err(format!("unknown option `{a}`\n{USAGE}").into()),
        }
    }
    if bots == 0 {
        return Err(format!("--bots must be at least 1\n{USAGE}").into());
    }
    Ok((seconds, customers, bots))
}

fn runtime() -> Result<tokio::runtime::Runtime, Failed> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Counts the bytes this process has allocated and not freed: what the client holds, apart
/// from what the allocator keeps of freed memory (resident memory includes that: history reads
/// of chats that grow make larger blocks, which glibc's heap retains once freed).
struct CountingAllocator;

static LIVE_HEAP: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only a counter is added.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = std::alloc::System.alloc(layout);
        if !p.is_null() {
            LIVE_HEAP.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        std::alloc::System.dealloc(ptr, layout);
        LIVE_HEAP.fetch_sub(layout.size() as u64, Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = std::alloc::System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE_HEAP.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let p = std::alloc::System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE_HEAP.fetch_add(new_size as u64, Ordering::Relaxed);
            LIVE_HEAP.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The bytes this process holds allocated, in KiB.
fn heap_kb() -> u64 {
    LIVE_HEAP.load(Ordering::Relaxed) / 1024
}

/// One memory sample, in KiB: the client's resident and allocated memory, the mock's resident
/// memory, `at` seconds into the run.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    at: u64,
    rss: u64,
    heap: u64,
    mock: u64,
}

/// The client's memory once warmed up and at the end: over the window after warm-up (a quarter
/// of the run, at most a minute, from then on as long) and over the last such window before
/// the deadline, each figure's lowest value (the floor under what calls in flight hold at any
/// moment: a bot's history read of a chat grows with the chat, and a sample taken while ten
/// are in flight says nothing of what stays). Samples cover the whole run, one a second.
fn memory(samples: &[Sample], seconds: u64) -> (Sample, Sample) {
    let window = (seconds / 4).clamp(1, 60);
    let floor = |from: u64, to: u64| {
        let inside = samples.iter().filter(|s| (from..to).contains(&s.at));
        inside.fold(None, |low: Option<Sample>, s| {
            Some(low.map_or(*s, |l| Sample {
                at: l.at.min(s.at),
                rss: l.rss.min(s.rss),
                heap: l.heap.min(s.heap),
                mock: l.mock.min(s.mock),
            }))
        })
    };
    let last = samples.last().copied().unwrap_or_default();
    let warm = floor(window, 2 * window).unwrap_or(last);
    let end = floor(seconds.saturating_sub(window), seconds + 1).unwrap_or(last);
    (warm, end)
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

/// Serves the mock with `bots` agents for the bots; prints one JSON line with its URLs and the
/// agents' credentials. Reads commands on stdin: `customers <id>...` (who to disconnect),
/// `quiet` (stop injecting faults), and EOF (print the injected counts as one JSON line and
/// exit).
fn serve(bots: usize) -> Result<bool, Failed> {
    runtime()?.block_on(async {
        // Short-lived tokens: they expire during the run, and both clients must refresh them.
        let config = lc_mock::Config {
            token_lifetime: Duration::from_secs(20),
            ..lc_mock::Config::default()
        };
        let server = Arc::new(lc_mock::MockServer::start(config).await?);
        let base = format!("http://{}", server.addr());
        let mut agents = Vec::new();
        for k in 0..bots {
            let agent = lc_mock::NewAgent::new(format!("bot{k}@soak.example"), format!("Bot {k}"));
            let agent = server.issue_agent(agent).map_err(|r| format!("the mock refused a bot: {r:?}"))?;
            agents.push(json!({"agent_id": agent.agent_id, "account_id": agent.account_id, "pat": agent.pat}));
        }
        let bot_ids: Vec<String> = agents.iter().filter_map(|a| a["agent_id"].as_str().map(str::to_owned)).collect();
        println!(
            "{}",
            json!({"base_url": base, "accounts_url": server.accounts_url(), "organization_id": server.organization_id(), "agents": agents})
        );
        std::io::stdout().flush()?;
        let customers: Arc<Mutex<Vec<String>>> = Arc::default();
        let quiet = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let injected: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
        let injector = {
            let (server, customers, quiet, injected) = (server.clone(), customers.clone(), quiet.clone(), injected.clone());
            tokio::spawn(async move { inject(&server, &customers, &bot_ids, &quiet, &injected).await })
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

/// The `agent_disconnected` reasons the injector sends to bots (every documented one but the
/// region's, which the region switch covers, and an unknown one).
fn agent_reasons() -> Vec<(&'static str, Option<Value>)> {
    let mut out: Vec<(&'static str, Option<Value>)> = lc_types::v3_6::agent::AgentDisconnectReason::KNOWN
        .iter()
        .filter(|r| !r.starts_with("misdirected"))
        .map(|r| (*r, None))
        .collect();
    out.push(("an_agent_reason_from_the_future", None));
    out
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
    bots: &[String],
    quiet: &std::sync::atomic::AtomicBool,
    injected: &Mutex<BTreeMap<String, u64>>,
) {
    let mut rng = fastrand::Rng::with_seed(42);
    let reasons = reasons();
    let agent_reasons = agent_reasons();
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
            61..=66 if !bots.is_empty() => {
                let bot = &bots[rng.usize(..bots.len())];
                let (reason, data) = agent_reasons[rng.usize(..agent_reasons.len())].clone();
                server.faults().disconnect_agent(bot, reason, data);
                count(format!("agent_disconnect:{reason}"));
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
    fn start(bots: usize) -> Result<Mock, Failed> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .arg(bots.to_string())
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
    /// Customer messages in the history without a bot's answer, and answers beyond the first.
    unanswered: u64,
    answered_twice: u64,
    /// Up to ten of those messages, with their places in the history (`event ID text`).
    odd: Vec<(String, Vec<String>)>,
}

/// What the bots did.
#[derive(Default)]
struct BotCounts {
    answers: AtomicU64,
    catch_ups: AtomicU64,
    /// Answers sent from a history read rather than from a push.
    caught_up: AtomicU64,
    restarts: AtomicU64,
    reconnects: Mutex<BTreeMap<String, u64>>,
    failed: Mutex<BTreeMap<String, u64>>,
    /// The bots' last sends and history reads (`bot chat text: how it went`), to explain a
    /// message answered twice or not at all; bounded to [`BOT_LOG_LINES`].
    log: Mutex<std::collections::VecDeque<String>>,
}

/// How many of its chats' pushes wait for a bot; past that, their chats are read from the history.
const BOT_QUEUE: usize = 100;

/// How many lines of the bots' log are kept.
const BOT_LOG_LINES: usize = 5_000;

impl BotCounts {
    fn log(&self, line: String) {
        let mut log = self.log.lock().unwrap();
        if log.len() == BOT_LOG_LINES {
            log.pop_front();
        }
        log.push_back(line);
    }
}

fn run(seconds: u64, customers: usize, bots: usize) -> Result<bool, Failed> {
    let mock = Mock::start(bots)?;
    let base = mock.info["base_url"].as_str().ok_or("base_url")?.to_owned();
    let accounts = mock.info["accounts_url"].as_str().ok_or("accounts_url")?.to_owned();
    let org = mock.info["organization_id"].as_str().ok_or("organization_id")?.to_owned();
    let rt = runtime()?;
    let counts = Arc::new(Counts::default());
    let bot_counts = Arc::new(BotCounts::default());
    let started = Instant::now();
    let (records, (warm, end)) = rt.block_on(async {
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
        // Memory, every second: the client's resident and allocated memory and the mock's
        // resident memory (KiB), with the seconds since the start; a line a minute.
        let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
        let stdin = mock.stdin.clone();
        let child = mock.child.id();
        {
            let samples = samples.clone();
            let start = Instant::now();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                let mut ticks = 0u64;
                while Instant::now() < deadline {
                    tick.tick().await;
                    ticks += 1;
                    let at = start.elapsed().as_secs();
                    let sample = Sample {
                        at,
                        rss: rss_kb(std::process::id()),
                        heap: heap_kb(),
                        mock: rss_kb(child),
                    };
                    if ticks.is_multiple_of(60) {
                        println!(
                            "memory at {at} s: client {} KiB resident, {} KiB allocated; mock {} KiB resident",
                            sample.rss, sample.heap, sample.mock
                        );
                    }
                    samples.lock().unwrap().push(sample);
                }
                // Then the faults stop; the customers settle and read their histories.
                tell(&stdin, "quiet");
            });
        }
        let (done_tx, done) = tokio::sync::watch::channel(false);
        let mut bot_tasks = Vec::new();
        for (k, agent) in mock.info["agents"].as_array().into_iter().flatten().enumerate() {
            let login = (
                agent["account_id"].as_str().unwrap_or_default().to_owned(),
                agent["pat"].as_str().unwrap_or_default().to_owned(),
            );
            let (base, done, bot_counts) = (base.clone(), done.clone(), bot_counts.clone());
            bot_tasks.push(tokio::spawn(async move { bot(k, bots, login, &base, done, &bot_counts).await }));
        }
        let mut tasks = Vec::new();
        for (i, tokens, web, record) in people {
            let (counts, base, org) = (counts.clone(), base.clone(), org.clone());
            tasks.push(tokio::spawn(async move {
                customer(i, tokens, web.clone(), record.clone(), &base, &org, deadline, &counts)
                    .await
                    .map(|()| (i, web, record))
            }));
        }
        let mut people = Vec::new();
        for t in tasks {
            people.push(t.await??);
        }
        // The customers are done: each bot reads its chats once more and answers what is
        // left, then the histories are read back.
        let _ = done_tx.send(true);
        for t in bot_tasks {
            t.await??;
        }
        // The bots' share of the memory: what they held (their state, their connections) is
        // freed with them; the customers are still connected.
        println!("client memory allocated once the bots are gone: {} KiB", heap_kb());
        let mut records = Vec::new();
        for (i, web, record) in people {
            check(i, &web, &record).await?;
            records.push(record);
        }
        let samples = std::mem::take(&mut *samples.lock().unwrap());
        Ok::<_, Failed>((records, memory(&samples, seconds)))
    })?;
    // What the records alone hold, every client and connection gone.
    drop(rt);
    println!("client memory allocated once its clients are gone: {} KiB", heap_kb());
    let (acked, lost, duplicates, stuck, unanswered, answered_twice) = totals(&records);
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
    let b = &bot_counts;
    let answers = b.answers.load(Ordering::SeqCst);
    println!(
        "bots: {answers} answers ({} from history reads, {} history reads), {} restarts, reconnects by reason {:?}, failed calls {:?}",
        b.caught_up.load(Ordering::SeqCst),
        b.catch_ups.load(Ordering::SeqCst),
        b.restarts.load(Ordering::SeqCst),
        b.reconnects.lock().unwrap(),
        b.failed.lock().unwrap()
    );
    if problems > 0 {
        println!("mock problems: {}", injected["problems"]);
    }
    // A message not answered exactly once: where it and its answers are, and what the bots did.
    let log = b.log.lock().unwrap();
    for record in &records {
        let record = record.lock().unwrap();
        let chat = record.chat.clone().unwrap_or_default();
        for (text, places) in &record.odd {
            println!("not answered exactly once: {text} in {chat}: in the history {places:?}");
            let word = format!(" {text} ");
            let read = format!(" {chat} read");
            for line in log.iter().filter(|l| l.contains(&word) || l.contains(&read)) {
                println!("  {line}");
            }
        }
    }
    // Flat: at most half again what it was once warmed up, plus 8 MiB of slack for the
    // allocator. (The mock keeps every message, so its memory grows with them by design.)
    let memory_ok = end.heap <= warm.heap + warm.heap / 2 + 8 * 1024;
    let ok = hung == 0
        && calls == resolved
        && lost == 0
        && duplicates == 0
        && stuck == 0
        && problems == 0
        && memory_ok
        && unanswered == 0
        && answered_twice == 0;
    println!(
        "soak: seconds={} customers={customers} bots={bots} calls={calls} resolved={resolved} hung={hung} acked={acked} lost={lost} duplicates={duplicates} answers={answers} unanswered={unanswered} answered_twice={answered_twice} reconnects={reconnects} stuck={stuck} restarts={} pushes={pushes} mock_problems={problems} client_heap_kb={}->{} client_rss_kb={}->{} mock_rss_kb={}->{} ok={ok}",
        started.elapsed().as_secs(),
        c.restarts.load(Ordering::SeqCst),
        warm.heap,
        end.heap,
        warm.rss,
        end.rss,
        warm.mock,
        end.mock,
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
    Ok(())
}

/// Reads customer `i`'s chat back: its acknowledged messages lost or duplicated, its messages
/// without a bot's answer, and answers beyond the first.
async fn check(i: usize, web: &WebClient, record: &Mutex<Record>) -> Result<(), Failed> {
    let chat = record.lock().unwrap().chat.clone();
    let texts = match chat {
        Some(chat) => history(web, &chat).await?,
        None => Vec::new(),
    };
    let mut r = record.lock().unwrap();
    // This customer's own messages (the agent's all read alike), and the bots' answers.
    let mine = format!("c{i}-");
    let mut seen: HashMap<&str, u64> = HashMap::new();
    let mut answers: HashMap<&str, u64> = HashMap::new();
    for (_, text) in &texts {
        if text.starts_with(&mine) {
            *seen.entry(text.as_str()).or_default() += 1;
        } else if let Some(asked) = text.strip_prefix("re:").filter(|t| t.starts_with(&mine)) {
            *answers.entry(asked).or_default() += 1;
        }
    }
    r.lost = r
        .acked
        .iter()
        .filter(|n| !seen.contains_key(format!("{mine}m{n}").as_str()))
        .count() as u64;
    r.duplicates = seen.values().filter(|n| **n > 1).map(|n| n - 1).sum();
    r.unanswered = seen.keys().filter(|t| !answers.contains_key(*t)).count() as u64;
    r.answered_twice = answers.values().filter(|n| **n > 1).map(|n| n - 1).sum();
    let odd = seen.keys().filter(|t| answers.get(*t).is_none_or(|n| *n != 1));
    r.odd = odd
        .take(10)
        .map(|t| {
            let places = texts.iter().filter(|(_, x)| x == t || x.strip_prefix("re:") == Some(t));
            (t.to_string(), places.map(|(id, x)| format!("{id} {x}")).collect())
        })
        .collect();
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

/// (acked, lost, duplicates, stuck, unanswered, answered_twice) over every customer.
fn totals(records: &[Arc<Mutex<Record>>]) -> (u64, u64, u64, u64, u64, u64) {
    let (mut acked, mut lost, mut duplicates, mut stuck, mut unanswered, mut twice) = (0, 0, 0, 0, 0, 0);
    for record in records {
        let r = record.lock().unwrap();
        acked += r.acked.len() as u64;
        lost += r.lost;
        duplicates += r.duplicates;
        stuck += u64::from(r.awaiting_reconnect);
        unanswered += r.unanswered;
        twice += r.answered_twice;
    }
    (acked, lost, duplicates, stuck, unanswered, twice)
}

// ---- the bots ----

/// Seconds since the program started, for the bots' log.
fn elapsed() -> String {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    format!("{:.3}", START.get_or_init(Instant::now).elapsed().as_secs_f64())
}

/// Which bot a chat belongs to: FNV-1a of its ID, modulo the number of bots.
fn owner(chat: &str, bots: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in chat.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % bots as u64) as usize
}

/// Whether `text` is a customer's soak message (`c{i}-m{n}`).
fn asks(text: &str) -> bool {
    text.starts_with('c') && text.contains("-m")
}

/// The numbers `(i, n)` of a customer's soak message `c{i}-m{n}` (`(MAX, MAX)` for other text).
fn numbers(text: &str) -> (u32, u32) {
    let parsed = text
        .strip_prefix('c')
        .and_then(|t| t.split_once("-m"))
        .and_then(|(i, n)| Some((i.parse().ok()?, n.parse().ok()?)));
    parsed.unwrap_or((u32::MAX, u32::MAX))
}

/// What one bot knows across its clients (a fatal reason replaces the client, not this).
#[derive(Default)]
struct BotState {
    /// Which bot (for the log).
    k: usize,
    me: String,
    /// Its chats, and those it joined.
    owned: BTreeSet<String>,
    joined: HashSet<String>,
    /// Customer messages answered, as their (customer, message) numbers: about 100,000 in a
    /// 10-minute run, 12 bytes each rather than a string each (the client's memory is measured).
    answered: HashSet<(u32, u32)>,
    /// Chats whose history must be read: after a login, after a send whose outcome is unknown.
    dirty: BTreeSet<String>,
}

/// The bot's side of one event; `false` when the client is closed for good.
async fn bot_event(client: &RtmClient, event: RtmEvent, k: usize, bots: usize, st: &mut BotState, counts: &BotCounts) -> bool {
    use lc_types::v3_6::agent::{AnyPush, Event, LoginResponse};
    match event.push() {
        Some(AnyPush::IncomingChat(p)) if owner(&p.chat.id, bots) == k => {
            st.owned.insert(p.chat.id.clone());
            st.dirty.insert(p.chat.id.clone());
        }
        Some(AnyPush::IncomingEvent(p)) if owner(&p.chat_id, bots) == k => {
            if let Event::Message(m) = &p.event {
                let text = m.text.clone().unwrap_or_default();
                if m.author_id.as_deref() != Some(st.me.as_str()) && asks(&text) {
                    st.owned.insert(p.chat_id.clone());
                    answer(client, &p.chat_id, &text, "push", st, counts).await;
                }
            }
        }
        _ => {}
    }
    match event {
        RtmEvent::Connected(c) => {
            if let Ok(login) = c.login.decode::<LoginResponse>() {
                st.me = login.my_profile.map(|p| p.id).unwrap_or_default();
            }
            // Whatever happened while away: every chat of this bot is read again.
            discover(client, k, bots, st, counts).await;
            st.dirty.extend(st.owned.iter().cloned());
        }
        RtmEvent::Disconnected(d) if d.cause != lc_rtm::Cause::User => {
            let reason = match &d.cause {
                lc_rtm::Cause::Server { reason, .. } => reason.clone(),
                other => format!("{other:?}").split(['(', ' ', '{']).next().unwrap_or_default().to_owned(),
            };
            Counts::bump(&counts.reconnects, reason);
            match d.next {
                Next::Stop => return false,
                Next::WaitForConnect => client.connect(),
                _ => {}
            }
        }
        _ => {}
    }
    true
}

/// Adds the bot's chats (by the hash) that `list_chats` shows to those it knows.
async fn discover(client: &RtmClient, k: usize, bots: usize, st: &mut BotState, counts: &BotCounts) {
    let mut request = lc_types::v3_6::agent::ListChatsRequest::default();
    request.limit = Some(100);
    loop {
        let page = match client.call(&request).await {
            Ok(page) => page,
            Err(e) => return bot_failed(counts, "list_chats", &e),
        };
        let ids = page.chats_summary.iter().map(|c| c.id.clone());
        st.owned.extend(ids.filter(|id| owner(id, bots) == k));
        match page.next_page_id {
            Some(next) if !page.chats_summary.is_empty() => {
                request = lc_types::v3_6::agent::ListChatsRequest::default();
                request.page_id = Some(next);
            }
            _ => return,
        }
    }
}

fn bot_failed(counts: &BotCounts, action: &str, e: &lc_rtm::Error) {
    let kind = e.to_string().split(':').next().unwrap_or_default().to_owned();
    Counts::bump(&counts.failed, format!("{action}: {kind}"));
}

/// Answers `text` in `chat` unless it was; a send whose outcome is unknown (or refused) leaves
/// the chat to be read again before anything is sent twice.
async fn answer(client: &RtmClient, chat: &str, text: &str, via: &str, st: &mut BotState, counts: &BotCounts) -> bool {
    use lc_types::v3_6::agent::{AddUserToChatRequest, EventInput, MessageEventInput, SendEventRequest, UserType};
    if st.answered.contains(&numbers(text)) {
        return true;
    }
    // An earlier send in this chat may have landed without its answer reaching the bot: only
    // a history read (`catch_up`) may answer here until then. (Found by this soak: a push
    // already in the event stream answered a message whose first answer had landed unseen.)
    if st.dirty.contains(chat) {
        counts.log(format!(
            "{} bot{} {chat} {text} via {via}: not sent, the chat is to be read",
            elapsed(),
            st.k
        ));
        return false;
    }
    if !st.joined.contains(chat) {
        let mut join = AddUserToChatRequest::new(chat, st.me.as_str(), UserType::Agent, lc_types::v3_6::Visibility::All);
        join.ignore_requester_presence = Some(true);
        match client.call(&join).await {
            Ok(_) => {
                st.joined.insert(chat.to_owned());
            }
            // Already in it (a join whose answer was lost), or refused: the send says which.
            Err(e) => bot_failed(counts, "add_user_to_chat", &e),
        }
    }
    let event = EventInput::Message(MessageEventInput::new(format!("re:{text}")));
    match client.call(&SendEventRequest::new(chat, event)).await {
        Ok(r) => {
            counts.log(format!("{} bot{} {chat} {text} via {via}: sent {}", elapsed(), st.k, r.event_id));
            st.answered.insert(numbers(text));
            counts.answers.fetch_add(1, Ordering::SeqCst);
            true
        }
        Err(e) => {
            counts.log(format!("{} bot{} {chat} {text} via {via}: {e}", elapsed(), st.k));
            if e.api_error().is_some_and(|a| a.kind().as_str() == "missing_access") {
                st.joined.remove(chat);
            }
            bot_failed(counts, "send_event", &e);
            st.dirty.insert(chat.to_owned());
            false
        }
    }
}

/// Reads `chat`'s history and answers every customer message there without an answer.
async fn catch_up(client: &RtmClient, chat: &str, st: &mut BotState, counts: &BotCounts) -> bool {
    use lc_types::v3_6::agent::{Event, ListThreadsRequest};
    counts.catch_ups.fetch_add(1, Ordering::SeqCst);
    st.dirty.remove(chat);
    let (mut asked, mut answered) = (Vec::new(), HashSet::new());
    let mut request = ListThreadsRequest::new(chat);
    request.limit = Some(100);
    loop {
        // A long chat's history is a large answer (the mock renders and checks all of it): more
        // time than other calls get.
        let page = match client.call_with_timeout(&request, Some(HISTORY_TIMEOUT)).await {
            Ok(page) => page,
            Err(e) => {
                counts.log(format!("{} bot{} {chat} read: {e}", elapsed(), st.k));
                bot_failed(counts, "list_threads", &e);
                return false;
            }
        };
        for thread in &page.threads {
            for event in thread.events.iter().flatten() {
                let Event::Message(m) = event else { continue };
                let text = m.text.as_deref().unwrap_or_default();
                match text.strip_prefix("re:") {
                    Some(asked) => {
                        answered.insert(numbers(asked));
                    }
                    None if asks(text) => asked.push(text.to_owned()),
                    None => {}
                }
            }
        }
        match page.next_page_id {
            Some(next) if !page.threads.is_empty() => {
                request = ListThreadsRequest::new(chat);
                request.page_id = Some(next);
            }
            _ => break,
        }
    }
    counts.log(format!(
        "{} bot{} {chat} read: {} asked, {} answered",
        elapsed(),
        st.k,
        asked.len(),
        answered.len()
    ));
    st.answered.extend(answered);
    for text in asked {
        if !st.answered.contains(&numbers(&text)) {
            if !answer(client, chat, &text, "history", st, counts).await {
                return false;
            }
            counts.caught_up.fetch_add(1, Ordering::SeqCst);
        }
    }
    true
}

/// Bot `k` of `bots` (the agent whose PAT is `login`) until `done`; then, once connected, a
/// last read of each of its chats.
async fn bot(
    k: usize,
    bots: usize,
    login: (String, String),
    base: &str,
    mut done: tokio::sync::watch::Receiver<bool>,
    counts: &BotCounts,
) -> Result<(), Failed> {
    let mut st = BotState { k, ..BotState::default() };
    loop {
        let (client, mut events) = RtmClient::agent_builder()
            .personal_access_token(&login.0, &login.1)
            .base_url(base)
            .region_base_url(Region::FRA, base)
            .backoff(Backoff::new(Duration::from_millis(50), Duration::from_secs(1), 0.5))
            .blocked_wait(Duration::from_millis(500))
            .call_timeout(CALL_TIMEOUT)
            .wait_for_connection(CALL_TIMEOUT)
            .jitter_seed(1000 + k as u64)
            .build()?;
        // The stream is read in its own task, which passes on only this bot's chats and the
        // connection's events: ~700 pushes a second reach every bot (each sees every chat), and
        // a stream left unread while the bot awaits its calls fills up, after which the client
        // stops reading its socket, the answers of those calls included (found by the
        // 10-minute run: every history read timed out). The pushes wait in a bounded queue; a
        // push that finds it full only marks its chat to be read from the history, as a
        // service that falls behind would (an unbounded queue grew the client's memory by
        // 75 MB in 10 minutes, one of 1,000 events a bot by 40 MB).
        let (push_tx, mut pushes) = tokio::sync::mpsc::channel(BOT_QUEUE);
        let (event_tx, mut connection) = tokio::sync::mpsc::unbounded_channel();
        let behind: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let reader = {
            let behind = behind.clone();
            tokio::spawn(async move {
                use lc_types::v3_6::agent::AnyPush;
                while let Some(event) = events.next().await {
                    let chat = match event.push() {
                        Some(AnyPush::IncomingChat(p)) => Some(p.chat.id.clone()),
                        Some(AnyPush::IncomingEvent(p)) => Some(p.chat_id.clone()),
                        Some(_) => continue,
                        None if matches!(event, RtmEvent::Push(_)) => continue,
                        None => None,
                    };
                    match chat {
                        Some(chat) if owner(&chat, bots) == k => {
                            if let Err(tokio::sync::mpsc::error::TrySendError::Full(_)) = push_tx.try_send(event) {
                                behind.lock().unwrap().insert(chat);
                            }
                        }
                        Some(_) => {}
                        None => {
                            if event_tx.send(event).is_err() {
                                return;
                            }
                        }
                    }
                }
            })
        };
        let mut alive = true;
        while alive && !*done.borrow() {
            tokio::select! {
                _ = done.changed() => {}
                event = connection.recv() => match event {
                    Some(event) => alive = bot_event(&client, event, k, bots, &mut st, counts).await,
                    None => alive = false,
                },
                Some(event) = pushes.recv() => alive = bot_event(&client, event, k, bots, &mut st, counts).await,
            }
            let missed = std::mem::take(&mut *behind.lock().unwrap());
            st.owned.extend(missed.iter().cloned());
            st.dirty.extend(missed);
            if alive && client.state() == lc_rtm::ConnectionState::Active {
                // One chat at a time: a failed read leaves it, and every chat not yet read,
                // to be read again.
                while let Some(chat) = st.dirty.pop_first() {
                    if !catch_up(&client, &chat, &mut st, counts).await {
                        st.dirty.insert(chat);
                        break;
                    }
                }
            }
        }
        if alive {
            // The customers are done and the faults stopped: every chat read once more, until
            // each read went through. A client a fatal reason closed just before is replaced.
            let settle = Instant::now() + Duration::from_secs(60);
            let mut last = String::new();
            // The history is read below: the pushes are not needed any more.
            reader.abort();
            loop {
                if matches!(client.state(), lc_rtm::ConnectionState::Closed { .. }) {
                    alive = false;
                    break;
                }
                let connected = client.wait_connected(Duration::from_secs(15)).await;
                if let Err(e) = &connected {
                    last = format!("not connected: {e}");
                }
                if connected.is_ok() {
                    discover(&client, k, bots, &mut st, counts).await;
                    let mut ok = true;
                    for chat in st.owned.clone() {
                        ok &= catch_up(&client, &chat, &mut st, counts).await;
                    }
                    if ok {
                        break;
                    }
                    last = "a read or an answer failed".to_owned();
                }
                if Instant::now() > settle {
                    let state = client.state();
                    let failed = counts.failed.lock().unwrap().clone();
                    return Err(format!(
                        "bot {k}: its chats could not be read after the faults stopped ({last}; {state:?}; the bots' failed calls: {failed:?})"
                    )
                    .into());
                }
            }
            if alive {
                client.destroy();
                return Ok(());
            }
        }
        // Closed for good: a new client, as a service would.
        counts.restarts.fetch_add(1, Ordering::SeqCst);
        reader.abort();
        client.destroy();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

//! Load program for `lc-mock` (a benchmark, not a test).
//!
//! ```text
//! cargo run --release -p lc-mock --example load -- rtm [--customers 10000] [--seconds 60] [--ping-every 15] [--concurrency 100]
//! cargo run --release -p lc-mock --example load -- web [--clients 32] [--seconds 20]
//! ```
//!
//! The mock runs in a child process (this program re-executed with the hidden `serve` command),
//! so its resident memory is measured alone. The child issues one customer token per connection
//! or client at start and writes them to a temporary file, then prints one JSON line with its
//! URLs; it stops when its stdin closes.
//!
//! - `rtm`: N WebSocket connections to `/v3.6/customer/rtm/ws`, each sends `login` and waits for
//!   its successful response, then `ping` every 15 s (first pings spread over the first period)
//!   for `--seconds`. Reports logins, login time, pings answered/expected, the child's memory.
//! - `web`: each client starts a chat over `POST …/start_chat`, then sends `send_event` in a loop
//!   over one keep-alive HTTP/1.1 connection. Reports requests, errors and requests/s.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as AsyncBufReader};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

const USAGE: &str = "\
usage: load rtm [--customers N] [--seconds S] [--ping-every S] [--concurrency N (logins in flight, 100)]
       load web [--clients N] [--seconds S]";

/// The API version both scenarios call.
const VERSION: &str = "3.6";

type Failed = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("rtm") => Opts::parse(&args[1..], &["--customers", "--seconds", "--ping-every", "--concurrency"]).and_then(|o| rtm(&args, &o)),
        Some("web") => Opts::parse(&args[1..], &["--clients", "--seconds"]).and_then(|o| web(&args, &o)),
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--name N` options, all numeric.
struct Opts(Vec<(String, u64)>);

impl Opts {
    fn parse(args: &[String], known: &[&str]) -> Result<Opts, Failed> {
        let mut out = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if !known.contains(&a.as_str()) {
                return Err(format!("unknown option `{a}`\n{USAGE}").into());
            }
            let v = it.next().ok_or_else(|| format!("{a} needs a number"))?;
            out.push((a.clone(), v.parse().map_err(|_| format!("{a} `{v}` is not a number"))?));
        }
        Ok(Opts(out))
    }

    /// The value of `name`, or `default`.
    fn get(&self, name: &str, default: u64) -> u64 {
        self.0.iter().rev().find(|(n, _)| n == name).map_or(default, |(_, v)| *v)
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failed> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Raises the open-file soft limit to the hard limit; returns the soft limit now in force.
#[cfg(unix)]
fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed by pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
    }
    lim.rlim_cur
}

/// No such limit to raise here.
#[cfg(not(unix))]
fn raise_fd_limit() -> u64 {
    u64::MAX
}

/// Fails clearly when `needed` descriptors do not fit under `limit` (with some room to spare).
fn check_fd_limit(who: &str, limit: u64, needed: u64) -> Result<(), Failed> {
    if limit < needed + 64 {
        return Err(format!(
            "{who}: the open-file limit is {limit} (already raised to the hard limit) but {needed} connections need about {}; \
             raise the hard limit (e.g. `ulimit -Hn`, /etc/security/limits.conf, systemd LimitNOFILE) or use fewer",
            needed + 64
        )
        .into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The child: the mock alone.

/// `serve --tokens N --tokens-file PATH`: starts the mock, writes N tokens, prints one JSON
/// line, serves until stdin closes.
fn serve(args: &[String]) -> Result<(), Failed> {
    let (mut tokens, mut file) = (0u64, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--tokens", Some(v)) => tokens = v.parse()?,
            ("--tokens-file", Some(v)) => file = Some(v.clone()),
            _ => return Err(format!("serve: bad argument `{a}`").into()),
        }
    }
    let file = file.ok_or("serve: --tokens-file is required")?;
    let fd_limit = raise_fd_limit();
    runtime()?.block_on(async move {
        // One connection per token, and room for the rest: above the default cap.
        let config = lc_mock::Config {
            max_connections: usize::try_from(tokens).unwrap_or(usize::MAX).saturating_add(1024),
            ..lc_mock::Config::default()
        };
        let server = lc_mock::MockServer::start(config).await?;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
        for _ in 0..tokens {
            writeln!(out, "{}", server.issue_token())?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        let line = json!({
            "web_url": server.web_url(VERSION), "rtm_url": server.rtm_url(VERSION),
            "organization_id": server.organization_id(), "fd_limit": fd_limit,
        });
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
        drop(stdout);
        let (eof, stdin_closed) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = eof.send(());
        });
        let _ = stdin_closed.await;
        server.shutdown().await;
        Ok(())
    })
}

/// The mock child as the parent sees it.
struct Mock {
    child: Child,
    /// Closing it stops the child.
    stdin: Option<ChildStdin>,
    web_url: String,
    rtm_url: String,
    organization_id: String,
    fd_limit: u64,
    tokens: Vec<String>,
}

impl Mock {
    fn start(tokens: u64) -> Result<Mock, Failed> {
        let file = std::env::temp_dir().join(format!("lc-mock-load-{}.tokens", std::process::id()));
        let mut child = Command::new(std::env::current_exe()?)
            .args(["serve", "--tokens", &tokens.to_string(), "--tokens-file"])
            .arg(&file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
        let v: Value = serde_json::from_str(&line).map_err(|e| format!("the mock child printed {line:?}: {e}"))?;
        let text = std::fs::read_to_string(&file)?;
        let _ = std::fs::remove_file(&file);
        let s = |k: &str| v[k].as_str().map(str::to_owned).ok_or_else(|| format!("no {k} in {line}"));
        Ok(Mock {
            web_url: s("web_url")?,
            rtm_url: s("rtm_url")?,
            organization_id: s("organization_id")?,
            fd_limit: v["fd_limit"].as_u64().unwrap_or(0),
            tokens: text.lines().map(str::to_owned).collect(),
            child,
            stdin,
        })
    }

    /// VmRSS and VmHWM of the child, in KiB.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|r| r.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Closes the child's stdin and waits up to 10 s for it to shut down gracefully.
    fn stop(mut self) -> String {
        drop(self.stdin.take());
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return format!("stopped gracefully in {:.2?} ({status})", start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        "did NOT stop within 10 s of its stdin closing; killed".to_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// Reporting.

/// The kernel's count of connections dropped because a listener's accept queue was full
/// (`TcpExt: ListenOverflows` in /proc/net/netstat); 0 where it cannot be read.
fn listen_overflows() -> u64 {
    let text = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let mut tcp_ext = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (Some(names), Some(values)) = (tcp_ext.next(), tcp_ext.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "ListenOverflows")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The value at quantile `q` (0..=1) of sorted `v`.
fn quantile<T: Copy + Default>(v: &[T], q: f64) -> T {
    if v.is_empty() {
        return T::default();
    }
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// The header every summary starts with: the command, the machine, the commit.
fn summary_header(scenario: &str, args: &[String]) -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(|| "unknown".to_owned(), |o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    format!(
        "=== lc-mock load: {scenario} ===\ncommand: cargo run --release -p lc-mock --example load -- {}\n\
         machine: {cpus} CPUs, commit {commit}, mock in a child process",
        args.join(" ")
    )
}

// ---------------------------------------------------------------------------------------------
// rtm

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame as JSON; `None` when the connection ends.
async fn next_json(ws: &mut Ws) -> Result<Option<Value>, Failed> {
    while let Some(msg) = ws.next().await {
        match msg? {
            Message::Text(t) => return Ok(Some(serde_json::from_str(t.as_str())?)),
            Message::Close(_) => return Ok(None),
            _ => {}
        }
    }
    Ok(None)
}

/// Connects, logs in with `token`, waits for the successful `login` response.
async fn login(url: &str, token: &str) -> Result<Ws, Failed> {
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
    let frame = json!({"action": "login", "request_id": "1", "payload": {"token": format!("Bearer {token}")}});
    ws.send(Message::text(frame.to_string())).await?;
    let answer = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let Some(v) = next_json(&mut ws).await? else {
                return Err::<Value, Failed>("closed before the login response".into());
            };
            if v["request_id"] == "1" {
                return Ok(v);
            }
        }
    })
    .await
    .map_err(|_| "no login response within 30 s")??;
    if answer["success"] != true {
        return Err(format!("login refused: {answer}").into());
    }
    Ok(ws)
}

/// What one connection saw while pinging.
#[derive(Default)]
struct Pings {
    sent: u64,
    answered: u64,
    refused: u64,
    failure: Option<String>,
    rtt_us: Vec<u64>,
}

/// Sends `ping` at `first`, then every `every`, while before `end`; counts the answers
/// (waiting up to `grace` after `end` for the last one). Returns the connection still open
/// unless it failed, so the mock's memory can be measured with every connection in place.
async fn ping_loop(
    mut ws: Ws,
    first: tokio::time::Instant,
    every: Duration,
    end: tokio::time::Instant,
    grace: Duration,
) -> (Pings, Option<Ws>) {
    let mut p = Pings::default();
    let mut next = first;
    let mut sent_at = None;
    let ping = json!({"action": "ping", "request_id": "p", "payload": {}}).to_string();
    loop {
        let waiting = p.answered + p.refused < p.sent;
        let wake = if next < end { next } else { end + grace };
        if next >= end && !waiting {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {
                if next >= end {
                    p.failure = Some(format!("{} ping(s) unanswered {grace:?} after the end", p.sent - p.answered - p.refused));
                    break;
                }
                if let Err(e) = ws.send(Message::text(ping.clone())).await {
                    p.failure = Some(format!("send: {e}"));
                    break;
                }
                p.sent += 1;
                sent_at = Some(Instant::now());
                next += every;
            }
            frame = next_json(&mut ws) => match frame {
                Ok(Some(v)) if v["action"] == "ping" && v["request_id"] == "p" => {
                    if v["success"] == true {
                        p.answered += 1;
                        if let Some(t) = sent_at.take() {
                            p.rtt_us.push(t.elapsed().as_micros() as u64);
                        }
                    } else {
                        p.refused += 1;
                    }
                }
                Ok(Some(_)) => {} // a push
                Ok(None) => {
                    p.failure = Some("the mock closed the connection".to_owned());
                    break;
                }
                Err(e) => {
                    p.failure = Some(format!("receive: {e}"));
                    break;
                }
            },
        }
    }
    if p.failure.is_some() {
        return (p, None);
    }
    tokio::time::sleep_until(end).await;
    (p, Some(ws))
}

fn rtm(args: &[String], o: &Opts) -> Result<(), Failed> {
    let customers = o.get("--customers", 10_000);
    let seconds = o.get("--seconds", 60);
    let every = Duration::from_secs(o.get("--ping-every", 15).max(1));
    // At most this many connections are being set up at once. The mock's listener has the
    // default backlog (128): more than that in flight overflows its accept queue, and the
    // dropped SYNs come back a second later, which measures the backlog, not the mock.
    let concurrency = o.get("--concurrency", 100).max(1) as usize;
    let fd_limit = raise_fd_limit();
    check_fd_limit("this process", fd_limit, customers)?;
    let mock = Mock::start(customers)?;
    check_fd_limit("the mock child", mock.fd_limit, customers)?;
    let (idle_rss, _) = mock.memory();
    let url = format!("{}?organization_id={}", mock.rtm_url, mock.organization_id);
    eprintln!("rtm: {customers} customers, logging in ({concurrency} at a time) to {url}");

    let overflows_before = listen_overflows();
    let rt = runtime()?;
    let unclean = rt.block_on(async {
        // Phase 1: connect and log in every customer.
        let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for token in &mock.tokens {
            let (url, token, permits) = (url.clone(), token.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("never closed");
                let t = Instant::now();
                login(&url, &token).await.map(|ws| (ws, t.elapsed())).map_err(|e| e.to_string())
            });
        }
        let (mut conns, mut login_us, mut login_errors) = (Vec::new(), Vec::new(), Vec::new());
        while let Some(r) = tasks.join_next().await {
            match r.expect("login task") {
                Ok((ws, took)) => {
                    conns.push(ws);
                    login_us.push(took.as_micros() as u64);
                }
                Err(e) => login_errors.push(e),
            }
        }
        let login_total = started.elapsed();
        let overflows = listen_overflows().saturating_sub(overflows_before);
        login_us.sort_unstable();
        let after_login = mock.memory();
        eprintln!(
            "rtm: {} logged in in {login_total:.2?}, {} failed; pinging every {every:?} for {seconds} s",
            conns.len(),
            login_errors.len()
        );

        // Phase 2: ping on every connection, first pings spread over the first period.
        let start = tokio::time::Instant::now();
        let end = start + Duration::from_secs(seconds);
        let n = conns.len().max(1) as u32;
        let mut expected = 0u64;
        let mut tasks = tokio::task::JoinSet::new();
        for (i, ws) in conns.into_iter().enumerate() {
            let first = start + every * (i as u32) / n;
            expected += (end.saturating_duration_since(first).as_nanos()).div_ceil(every.as_nanos()) as u64;
            tasks.spawn(ping_loop(ws, first, every, end, Duration::from_secs(10)));
        }
        let mut all = Pings::default();
        let mut failures = Vec::new();
        let mut open = Vec::new();
        while let Some(r) = tasks.join_next().await {
            let (p, ws) = r.expect("ping task");
            open.extend(ws);
            all.sent += p.sent;
            all.answered += p.answered;
            all.refused += p.refused;
            all.rtt_us.extend(p.rtt_us);
            failures.extend(p.failure);
        }
        all.rtt_us.sort_unstable();
        // Every connection that did not fail is still open here.
        let (at_end, open) = (mock.memory(), open);
        let ms = |us: u64| format!("{:.2} ms", us as f64 / 1000.0);
        println!("\n{}", summary_header("rtm", args));
        println!(
            "fd limit (soft, after raising to the hard limit): this process {fd_limit}, mock child {}",
            mock.fd_limit
        );
        println!("mock child RSS idle with {customers} customers issued: {}", mib(idle_rss));
        println!(
            "connections logged in: {} / {customers} ({} failed)",
            login_us.len(),
            login_errors.len()
        );
        if let Some(e) = login_errors.first() {
            println!("  first login failure: {e}");
        }
        println!(
            "login time: total {login_total:.2?} ({:.0} logins/s); per connection (connect + handshake + login) median {}, p99 {}, max {}",
            login_us.len() as f64 / login_total.as_secs_f64(),
            ms(quantile(&login_us, 0.5)),
            ms(quantile(&login_us, 0.99)),
            ms(login_us.last().copied().unwrap_or(0))
        );
        println!("  accept-queue overflows while logging in (kernel TcpExt ListenOverflows, whole machine): {overflows}");
        println!(
            "mock child memory after all logins: VmRSS {}, VmHWM {}",
            mib(after_login.0),
            mib(after_login.1)
        );
        println!(
            "ping responses: {} / {expected} expected ({} sent, {} refused, {} connections failed); rtt median {}, p99 {}",
            all.answered,
            all.sent,
            all.refused,
            failures.len(),
            ms(quantile(&all.rtt_us, 0.5)),
            ms(quantile(&all.rtt_us, 0.99))
        );
        if let Some(e) = failures.first() {
            println!("  first connection failure: {e}");
        }
        println!(
            "mock child memory at the end ({} connections open): VmRSS {}, VmHWM {}",
            open.len(),
            mib(at_end.0),
            mib(at_end.1)
        );
        for mut ws in open {
            let _ = ws.close(None).await;
        }
        let clean = login_errors.is_empty() && failures.is_empty() && all.answered == expected;
        (!clean).then(|| {
            format!(
                "not a clean run: {} logins failed, {} connections failed, {} of {expected} pings answered",
                login_errors.len(),
                failures.len(),
                all.answered
            )
        })
    });
    println!("mock child: {}", mock.stop());
    match unclean {
        None => Ok(()),
        Some(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// web

/// One keep-alive HTTP/1.1 connection (responses must carry Content-Length).
struct Http {
    stream: AsyncBufReader<tokio::net::TcpStream>,
    host: String,
}

impl Http {
    async fn connect(host: &str) -> Result<Http, Failed> {
        let stream = tokio::net::TcpStream::connect(host).await?;
        stream.set_nodelay(true)?;
        Ok(Http {
            stream: AsyncBufReader::new(stream),
            host: host.to_owned(),
        })
    }

    /// `POST target` with a JSON body; returns (status, body).
    async fn post(&mut self, target: &str, token: &str, body: &str) -> Result<(u16, Vec<u8>), Failed> {
        let req = format!(
            "POST {target} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.stream.get_mut().write_all(req.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let mut length = None;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err("connection closed in the response head".into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = Some(value.trim().parse::<usize>()?);
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    return Err(format!("unsupported {header}").into());
                }
            }
        }
        let mut body = vec![0; length.ok_or("response without Content-Length")?];
        self.stream.read_exact(&mut body).await?;
        Ok((status, body))
    }
}

/// What one client did.
#[derive(Default)]
struct ClientRun {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latency_us: Vec<u64>,
}

impl ClientRun {
    fn error(&mut self, e: String) {
        self.errors += 1;
        self.first_error.get_or_insert(e);
    }
}

/// Starts a chat, then sends events until `end`, counting successes in `done`.
async fn client(base: String, org: String, token: String, end: Instant, done: Arc<AtomicU64>) -> ClientRun {
    let mut run = ClientRun::default();
    let rest = base.strip_prefix("http://").unwrap_or(&base);
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let target = |action: &str| format!("{path}/{action}?organization_id={org}");
    let mut conn = match Http::connect(host).await {
        Ok(c) => c,
        Err(e) => {
            run.error(format!("connect: {e}"));
            return run;
        }
    };
    let chat_id = match conn.post(&target("start_chat"), &token, "{}").await {
        Ok((200, body)) => serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["chat_id"].as_str().map(str::to_owned)),
        Ok((status, body)) => {
            run.error(format!("start_chat: HTTP {status} {}", String::from_utf8_lossy(&body)));
            None
        }
        Err(e) => {
            run.error(format!("start_chat: {e}"));
            None
        }
    };
    let Some(chat_id) = chat_id else { return run };
    let event = json!({"chat_id": chat_id, "event": {"type": "message", "text": "hello", "visibility": "all"}}).to_string();
    let send = target("send_event");
    while Instant::now() < end {
        let t = Instant::now();
        match conn.post(&send, &token, &event).await {
            Ok((200, _)) => {
                run.ok += 1;
                run.latency_us.push(t.elapsed().as_micros() as u64);
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok((status, body)) => run.error(format!("send_event: HTTP {status} {}", String::from_utf8_lossy(&body))),
            Err(e) => {
                run.error(format!("send_event: {e}"));
                match Http::connect(host).await {
                    Ok(c) => conn = c,
                    Err(e) => {
                        run.error(format!("reconnect: {e}"));
                        return run;
                    }
                }
            }
        }
    }
    run
}

fn web(args: &[String], o: &Opts) -> Result<(), Failed> {
    let clients = o.get("--clients", 32).max(1);
    let seconds = o.get("--seconds", 20).max(1);
    let fd_limit = raise_fd_limit();
    check_fd_limit("this process", fd_limit, clients)?;
    let mock = Mock::start(clients)?;
    check_fd_limit("the mock child", mock.fd_limit, clients)?;
    eprintln!("web: {clients} clients for {seconds} s against {}", mock.web_url);
    let rt = runtime()?;
    let (runs, samples, elapsed) = rt.block_on(async {
        let done = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let end = start + Duration::from_secs(seconds);
        let mut tasks = tokio::task::JoinSet::new();
        for token in &mock.tokens {
            let (base, org) = (mock.web_url.clone(), mock.organization_id.clone());
            tasks.spawn(client(base, org, token.clone(), end, done.clone()));
        }
        // One sample of completed requests per whole second.
        let sampler = tokio::spawn({
            let done = done.clone();
            async move {
                let mut samples = Vec::new();
                let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(1), Duration::from_secs(1));
                let mut last = 0;
                for _ in 0..seconds {
                    tick.tick().await;
                    let now = done.load(Ordering::Relaxed);
                    samples.push(now - last);
                    last = now;
                }
                samples
            }
        });
        let mut runs = Vec::new();
        while let Some(r) = tasks.join_next().await {
            runs.push(r.expect("client task"));
        }
        let elapsed = start.elapsed();
        (runs, sampler.await.expect("sampler"), elapsed)
    });
    let memory = mock.memory();
    let stopped = mock.stop();
    let ok: u64 = runs.iter().map(|r| r.ok).sum();
    let errors: u64 = runs.iter().map(|r| r.errors).sum();
    let mut latency: Vec<u64> = runs.iter().flat_map(|r| r.latency_us.iter().copied()).collect();
    latency.sort_unstable();
    let mut sorted = samples.clone();
    sorted.sort_unstable();
    println!("\n{}", summary_header("web", args));
    println!("clients: {clients}, each: start_chat, then send_event in a loop over one keep-alive HTTP/1.1 connection");
    println!(
        "requests: {} ({ok} send_event OK + {clients} start_chat), errors: {errors}",
        ok + clients
    );
    if let Some(e) = runs.iter().find_map(|r| r.first_error.as_ref()) {
        println!("  first error: {e}");
    }
    println!("overall: {:.0} send_event/s over {elapsed:.2?}", ok as f64 / elapsed.as_secs_f64());
    println!("per-second send_event/s samples: {samples:?}");
    println!(
        "per-second median {}, min {}, max {}",
        quantile(&sorted, 0.5),
        sorted.first().copied().unwrap_or(0),
        sorted.last().copied().unwrap_or(0)
    );
    println!(
        "send_event latency: median {:.2} ms, p99 {:.2} ms",
        quantile(&latency, 0.5) as f64 / 1000.0,
        quantile(&latency, 0.99) as f64 / 1000.0
    );
    println!("mock child memory at the end: VmRSS {}, VmHWM {}", mib(memory.0), mib(memory.1));
    println!("mock child: {stopped}");
    match errors {
        0 => Ok(()),
        n => Err(format!("not a clean run: {n} errors").into()),
    }
}

//! Memory per idle connection: a process holds 1,000 customer connections, another 1,000 agent
//! connections (each kind in a fresh process, so neither reuses what the other freed), to
//! `lc-mock` (a third process, so its memory is not counted), each logged in and idle. The
//! client's resident memory (`/proc/self/statm`) is read before the clients are built and once
//! all of them are connected; the difference, divided by the connections, is the memory per
//! idle connection (its tasks, socket buffers, channels, settings and the login response it
//! keeps).
//!
//! ```sh
//! cargo bench -p lc-rtm --bench connections              # 1,000 of each kind
//! LC_BENCH_CONNECTIONS=200 cargo bench -p lc-rtm --bench connections
//! ```

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use lc_rtm::{RtmClient, RtmEvent};

/// Goal of issue 24, per idle connection.
const GOAL_KIB: f64 = 64.0;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    pages * page / 1024.0
}

/// The mock, in a child process: prints one line of JSON (its origin, organization, `n`
/// customer tokens and `n` agents' PATs), then serves until stdin closes.
fn serve(n: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let config = lc_mock::Config {
            max_connections: 4 * n + 100,
            ..lc_mock::Config::default()
        };
        let server = lc_mock::MockServer::start(config).await.unwrap();
        let customers: Vec<String> = (0..n).map(|_| server.issue_customer().token).collect();
        let agents: Vec<(String, String)> = (0..n)
            .map(|i| {
                let a = server
                    .issue_agent(lc_mock::NewAgent::new(format!("bot{i}@example.com"), "Bot"))
                    .unwrap();
                (a.account_id, a.pat)
            })
            .collect();
        let info = serde_json::json!({
            "base_url": server.base_url(), "organization_id": server.organization_id(),
            "customers": customers, "agents": agents,
        });
        println!("{info}");
        std::io::stdout().flush().unwrap();
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin().lock().read_line(&mut line).unwrap_or(0) > 0 {}
        })
        .await
        .unwrap();
    });
}

/// Connects `n` clients built by `build`, waits until each is logged in; the clients (with
/// their streams, kept as a user keeps them) and how long it took.
async fn hold(n: usize, build: impl Fn(usize) -> lc_rtm::RtmClientBuilder) -> (Vec<(RtmClient, lc_rtm::Events)>, Duration) {
    let started = Instant::now();
    let mut held = Vec::with_capacity(n);
    for i in 0..n {
        held.push(build(i).build().expect("a client"));
    }
    for (i, (_, events)) in held.iter_mut().enumerate() {
        match tokio::time::timeout(Duration::from_secs(60), events.next()).await {
            Ok(Some(RtmEvent::Connected(_))) => {}
            other => panic!("connection {i}: {other:?}"),
        }
    }
    (held, started.elapsed())
}

/// This process as a child with `vars`, `input` on its stdin; its first line of output.
fn child(vars: &[(&str, &str)], input: Option<&str>) -> (std::process::Child, String) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    for (k, v) in vars {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    if let Some(input) = input {
        writeln!(child.stdin.as_mut().unwrap(), "{input}").unwrap();
    }
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (child, line.trim().to_owned())
}

/// A client process: reads the mock's line from stdin, holds `n` connections of `kind`, and
/// prints `<KiB per connection> <seconds to connect>`.
fn measure(kind: &str, n: usize) {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).expect("the mock's credentials");
    let base = info["base_url"].as_str().unwrap().to_owned();
    let org = info["organization_id"].as_str().unwrap().to_owned();
    let customers: Vec<String> = serde_json::from_value(info["customers"].clone()).unwrap();
    let agents: Vec<(String, String)> = serde_json::from_value(info["agents"].clone()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let before = rss_kib();
    let (held, took) = rt.block_on(hold(n, |i| match kind {
        "agent" => RtmClient::agent_builder()
            .personal_access_token(&agents[i].0, &agents[i].1)
            .base_url(base.clone()),
        _ => RtmClient::builder(org.clone()).token(&customers[i]).base_url(base.clone()),
    }));
    // Idle for a moment: whatever the logins left settles.
    rt.block_on(async { tokio::time::sleep(Duration::from_millis(500)).await });
    let per = (rss_kib() - before) / n as f64;
    println!("{per:.1} {:.2}", took.as_secs_f64());
    std::io::stdout().flush().unwrap();
    drop(held);
}

fn main() {
    let n = env("LC_BENCH_CONNECTIONS", 1000);
    if std::env::var_os("LC_BENCH_SERVE").is_some() {
        return serve(n);
    }
    if let Ok(kind) = std::env::var("LC_BENCH_CLIENT") {
        return measure(&kind, n);
    }
    let (mut mock, info) = child(&[("LC_BENCH_SERVE", "1")], None);
    println!("memory per idle connection ({n} of each kind, each kind held by a fresh process, against lc-mock; resident memory)");
    let mut verdicts = Vec::new();
    for kind in ["customer", "agent"] {
        let (mut client, line) = child(&[("LC_BENCH_CLIENT", kind)], Some(&info));
        let mut parts = line.split_whitespace().map(|p| p.parse::<f64>().expect("a number"));
        let (per, took) = (parts.next().unwrap(), parts.next().unwrap());
        println!("  {kind:<8} {n} connected and logged in within {took:.2} s: {per:.1} KiB per connection");
        verdicts.push((kind, per));
        let _ = client.wait();
    }
    for (kind, per) in verdicts {
        let verdict = if per <= GOAL_KIB { "met" } else { "MISSED" };
        println!("goal: <= {GOAL_KIB} KiB per idle {kind} connection: {per:.1} KiB, {verdict}");
    }
    let _ = mock.kill();
    let _ = mock.wait();
}

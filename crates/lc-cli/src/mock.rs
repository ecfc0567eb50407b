//! `lc mock`: the Customer Chat API mock (`lc-mock`) as a standalone server on loopback.

use std::net::SocketAddr;

use serde_json::Value;

use crate::Failure;

/// Options of `lc mock`.
struct MockOptions {
    addr: SocketAddr,
    organization_id: Option<String>,
    json: bool,
}

fn parse(args: &[String]) -> Result<MockOptions, Failure> {
    let mut opts = MockOptions {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        organization_id: None,
        json: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (a.as_str(), None),
        };
        let mut value = |name: &str, example: &str| {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| Failure::usage(format!("{name} needs a value, e.g. {example}")))
        };
        match flag {
            "--json" if inline.is_none() => opts.json = true,
            "--addr" => {
                let v = value("--addr", "127.0.0.1:8080")?;
                opts.addr = v
                    .parse()
                    .map_err(|_| Failure::usage(format!("--addr `{v}` is not an IP address and port, e.g. 127.0.0.1:8080")))?;
            }
            "--organization-id" => {
                let v = value("--organization-id", "my-organization")?;
                if v.is_empty() {
                    return Err(Failure::usage("--organization-id must not be empty"));
                }
                opts.organization_id = Some(v);
            }
            _ => return Err(Failure::usage(format!("`lc mock`: unexpected argument `{a}`\n{}", crate::USAGE))),
        }
    }
    Ok(opts)
}

/// Runs `lc mock`: starts the mock, prints how to reach it, serves until Ctrl-C or SIGTERM.
pub fn run(args: &[String]) -> Result<(), Failure> {
    let opts = parse(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(opts))
}

async fn serve(opts: MockOptions) -> Result<(), Failure> {
    let mut config = lc_mock::Config {
        addr: opts.addr,
        ..Default::default()
    };
    if let Some(id) = opts.organization_id {
        config.organization_id = id;
    }
    // Listen for signals before announcing the server, so a signal sent right after the
    // announcement is never missed.
    let mut stop = Stop::new()?;
    let server = lc_mock::MockServer::start(config)
        .await
        .map_err(|e| Failure::runtime(format!("cannot listen on {}: {e}", opts.addr)))?;
    let (web, rtm) = (server.web_url("{version}"), server.rtm_url("{version}"));
    let (org, token) = (server.organization_id().to_owned(), server.issue_token());
    if opts.json {
        // In this order whatever serde_json's map type: the keys a reader looks for first.
        let fields = [("web_url", &web), ("rtm_url", &rtm), ("organization_id", &org), ("token", &token)];
        let fields: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{}", Value::from(v.as_str()))).collect();
        out!("{{{}}}", fields.join(","));
    } else {
        out!("lc mock: the LiveChat Customer Chat API on {} (Ctrl-C to stop)\n", server.addr());
        out!("  Web API          {web}/<action>?organization_id=<organization ID>");
        out!("  RTM API          {rtm}?organization_id=<organization ID>");
        out!("  organization ID  {org}");
        out!("  customer token   {token}   (send `Authorization: Bearer <token>`; new customer per token)");
        out!(
            "\n  try: curl -X POST '{}/get_customer?organization_id={org}' \\",
            server.web_url("3.6")
        );
        out!("         -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' -d '{{}}'");
    }
    {
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
    }
    let signal = stop.next().await;
    err!("lc mock: {signal}, shutting down (again to stop at once)");
    tokio::select! {
        () = server.shutdown() => Ok(()),
        signal = stop.next() => Err(Failure::runtime(format!("{signal} again: stopped without waiting for open requests"))),
    }
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM; both handlers are installed when it is created.
#[cfg(unix)]
struct Stop {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Stop {
    fn new() -> Result<Stop, Failure> {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind: SignalKind, name: &str| signal(kind).map_err(|e| Failure::runtime(format!("cannot listen for {name}: {e}")));
        Ok(Stop {
            int: listen(SignalKind::interrupt(), "SIGINT")?,
            term: listen(SignalKind::terminate(), "SIGTERM")?,
        })
    }

    /// Waits for the next signal and names it.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "interrupted",
            _ = self.term.recv() => "terminated",
        }
    }
}

/// Ctrl-C.
#[cfg(not(unix))]
struct Stop;

#[cfg(not(unix))]
impl Stop {
    fn new() -> Result<Stop, Failure> {
        Ok(Stop)
    }

    /// Waits for the next Ctrl-C.
    async fn next(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "interrupted"
    }
}

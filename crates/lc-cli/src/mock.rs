//! `lc mock`: the Customer Chat API mock (`lc-mock`) as a standalone server on loopback.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde_json::Value;

use crate::Failure;

/// Serve the API mock (the Customer and the Agent Chat API, Web and RTM, every version, one
/// port) until Ctrl-C or SIGTERM, for trying clients and for test suites in any language.
#[derive(clap::Args)]
#[command(after_help = "\
It prints how to reach it: the base URL (what `lc call`/`lc listen --base-url` and the clients
take), the customer's and the agent's Web and RTM URLs (with a {version} placeholder), the
control API's URL (HTTP, JSON:
customers and tokens, the agent's actions, faults, problems; `GET` it for the list), the
organization ID and a customer token; with --json exactly one line, flushed before it serves.

With --tls-cert and --tls-key (PEM: the certificate chain, the server's own certificate first,
and its private key) it serves everything over TLS instead, and the URLs say https and wss:
for clients that only speak those, such as the official Python SDK. Clients must trust the
certificate (Python: REQUESTS_CA_BUNDLE and SSL_CERT_FILE; Node: NODE_EXTRA_CA_CERTS) and use
a name it has (127.0.0.1 by default). A file that is missing, unreadable or not what it should
be is a usage error (exit code 2). crates/lc-mock/tests/tls/README.md has the openssl command
that makes a test certificate for localhost and 127.0.0.1.

Examples:
  lc mock
  lc mock --addr 127.0.0.1:8080 --organization-id my-org
  lc mock --ping-timeout 3    # a keep-alive test: silent clients are cut after 3 s
  lc mock --json    {\"base_url\":\"http://127.0.0.1:40113\",\"web_url\":…,\"rtm_url\":…,\"control_url\":…,\"organization_id\":…,\"token\":…}
  lc mock --tls-cert cert.pem --tls-key key.pem    # https://127.0.0.1:…, wss://127.0.0.1:…
  curl -X POST http://127.0.0.1:40113/_lc/agent/send_message -d '{\"chat_id\":\"…\",\"text\":\"Hi\"}'")]
pub(crate) struct MockArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "IP:PORT", value_parser = parse_addr)]
    addr: SocketAddr,
    /// The organization ID requests must name (a generated one by default).
    #[arg(long, value_name = "ID", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    organization_id: Option<String>,
    /// How long a logged-in RTM connection may stay silent, in seconds (0.1 to 3600, fractions
    /// allowed; 30 as the API); the mock sends a WebSocket ping every half of it, so clients
    /// that answer pings stay.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = parse_secs)]
    ping_timeout: f64,
    /// Print one JSON line instead of the text.
    #[arg(long)]
    json: bool,
    /// Serve over TLS (https, wss) with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert's certificate.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

fn parse_secs(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if (0.1..=3600.0).contains(&secs) => Ok(secs),
        _ => Err(format!("`{text}` is not a number of seconds from 0.1 to 3600")),
    }
}

fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not an IP address and port, e.g. 127.0.0.1:8080"))
}

/// Runs `lc mock`: starts the mock, prints how to reach it, serves until Ctrl-C or SIGTERM.
pub(crate) fn run(opts: MockArgs) -> Result<(), Failure> {
    crate::runtime()?.block_on(serve(opts))
}

async fn serve(opts: MockArgs) -> Result<(), Failure> {
    let mut config = lc_mock::Config {
        addr: opts.addr,
        ping_timeout: std::time::Duration::from_secs_f64(opts.ping_timeout),
        ..Default::default()
    };
    if let Some(id) = opts.organization_id {
        config.organization_id = id;
    }
    if let (Some(cert), Some(key)) = (&opts.tls_cert, &opts.tls_key) {
        // The message names the file and what is wrong with it (never the key's text).
        let tls = lc_mock::TlsConfig::from_pem_files(cert, key).map_err(|e| Failure::usage(format!("--tls-cert/--tls-key: {e}")))?;
        config = config.tls(tls);
    }
    // Listen for signals before announcing the server, so a signal sent right after the
    // announcement is never missed.
    let mut stop = crate::signal::Stop::new()?;
    let server = lc_mock::MockServer::start(config)
        .await
        .map_err(|e| Failure::runtime(format!("cannot listen on {}: {e}", opts.addr)))?;
    let (web, rtm) = (server.web_url("{version}"), server.rtm_url("{version}"));
    let (agent_web, agent_rtm) = (server.agent_web_url("{version}"), server.agent_rtm_url("{version}"));
    let configuration = server.configuration_web_url("{version}");
    let (org, token) = (server.organization_id().to_owned(), server.issue_token());
    if opts.json {
        // In this order whatever serde_json's map type: the keys a reader looks for first.
        let (base, control) = (server.base_url(), server.control_url());
        let fields = [
            ("base_url", &base),
            ("web_url", &web),
            ("rtm_url", &rtm),
            ("agent_web_url", &agent_web),
            ("agent_rtm_url", &agent_rtm),
            ("configuration_url", &configuration),
            ("control_url", &control),
            ("organization_id", &org),
            ("token", &token),
        ];
        let fields: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{}", Value::from(v.as_str()))).collect();
        out!("{{{}}}", fields.join(","));
    } else {
        out!(
            "lc mock: the LiveChat Customer Chat API and Agent Chat API (Web and RTM) and the Configuration API's webhooks on {} (agents: POST /_lc/agents; Ctrl-C to stop)\n",
            server.addr()
        );
        // Over TLS the clients must trust the certificate too.
        let cacert = opts.tls_cert.as_ref().map(|cert| format!("--cacert '{}'", cert.display()));
        let trust = cacert.as_ref().map_or(String::new(), |flag| format!(" {flag}"));
        out!(
            "  base URL         {}   (lc call/lc listen --base-url{trust}, LC_BASE_URL)",
            server.base_url()
        );
        out!(
            "  control API      {}   (play the agent, inject faults; GET it for the list)",
            server.control_url()
        );
        out!("  Web API          {web}/<action>?organization_id=<organization ID>");
        out!("  RTM API          {rtm}?organization_id=<organization ID>");
        out!("  agent Web API    {agent_web}/<action>   (an agent's Bearer token or Basic PAT)");
        out!("  agent RTM API    {agent_rtm}   (login.token: `Bearer <token>` or `Basic <base64>`)");
        out!("  webhooks         {configuration}/<action>   (an agent's credentials; `lc webhooks`; deliveries: GET /_lc/webhooks)");
        out!("  organization ID  {org}");
        out!("  customer token   {token}   (send `Authorization: Bearer <token>`; new customer per token)");
        let cacert = cacert.map_or(String::new(), |flag| format!("{flag} "));
        out!(
            "\n  try: curl {cacert}-X POST '{}/get_customer?organization_id={org}' \\",
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

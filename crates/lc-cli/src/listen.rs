//! `lc listen`: a live RTM connection, every push printed as it arrives.

use std::io::IsTerminal;

use lc_rtm::{Next, RtmEvent};
use serde_json::{json, Value};

use crate::connection::Connection;
use crate::Failure;

/// Connect over RTM, log in, and print every push as it arrives (typed, re-encoded), with
/// disconnects and reconnects on stderr, until Ctrl-C or SIGTERM.
#[derive(clap::Args)]
#[command(after_help = "\
Output: each push as `<action> (v<version>)` and its payload as pretty JSON; with --ndjson one
JSON object per line: {\"action\", \"version\", \"request_id\"?, \"payload\"}. Connection events
(connected, unstable, disconnected with the reason and what next, region changes) go to stderr,
so stdout holds only pushes.

It reconnects after every reason the API calls survivable. It stops by itself when the login is
refused or the server ends the session for good (a fatal disconnect reason such as
`license_not_found` or `customer_banned`): exit 4, as `lc call` on either transport; and when
the server asks to wait for the customer to act (`inactivity_timeout`): exit 1. `unstable` is printed when
nothing arrived for ping interval + pong timeout (25 s), and the connection is dropped and
reconnected after 35 s of silence, or when the server takes none of the client's frames as long.

Examples:
  export LC_ORGANIZATION_ID=… LC_TOKEN=…
  lc listen
  lc listen --ndjson | jq 'select(.action == \"incoming_event\") | .payload.event.text'
  lc listen --base-url http://127.0.0.1:40113 --api-version 3.7      # an `lc mock`
  LC_PAT=ACCOUNT_ID:TOKEN lc listen --agent --ndjson                 # an agent's pushes")]
pub(crate) struct ListenArgs {
    /// Listen as an agent (the Agent Chat API's RTM connection, with --pat or --token): every
    /// push of the agent's chats, customers and configuration. `agent_disconnected` reasons
    /// decide the reconnects as `customer_disconnected` ones do a customer's.
    #[arg(long)]
    agent: bool,
    /// One JSON object per line instead of pretty JSON.
    #[arg(long)]
    ndjson: bool,
    #[command(flatten)]
    connection: Connection,
}

pub(crate) fn run(args: ListenArgs) -> Result<(), Failure> {
    let api = if args.agent {
        lc_types::ChatApi::Agent
    } else {
        lc_types::ChatApi::Customer
    };
    crate::api_of(api, args.connection.api_version)?;
    crate::runtime()?.block_on(listen(args))
}

async fn listen(args: ListenArgs) -> Result<(), Failure> {
    let mut stop = crate::signal::Stop::new()?;
    let (client, mut events) = args.connection.rtm(args.agent, true)?;
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            signal = stop.next() => {
                err!("lc listen: {signal}, closing the connection");
                client.shutdown().await;
                return Ok(());
            }
        };
        let Some(event) = event else {
            return Err(Failure::runtime("the connection task ended"));
        };
        match event {
            RtmEvent::Push(p) => {
                let payload = serde_json::to_value(&p.push).unwrap_or(Value::Null);
                // A version this build does not have: the text the frame named.
                let version = match (p.push.version(), p.push.as_unsupported()) {
                    (Some(v), _) => v.to_string(),
                    (None, Some(u)) => u.version().unwrap_or_default().to_owned(),
                    (None, None) => String::new(),
                };
                if args.ndjson {
                    let mut line = json!({"action": p.push.name(), "version": version, "payload": payload});
                    if let Some(id) = &p.request_id {
                        line["request_id"] = json!(id);
                    }
                    out!("{}", crate::safe_json(&line, false));
                } else {
                    // The name and version are the server's text: escaped, as on stderr.
                    let title = crate::safe_line(&format!("{} (v{version})", p.push.name()));
                    let title = if colour { format!("\x1b[1;36m{title}\x1b[0m") } else { title };
                    out!("{title}\n{}", crate::safe_json(&payload, true));
                }
                for u in lc_types::Unknowns::unknowns(&p.push) {
                    err!("  {u}");
                }
            }
            RtmEvent::UndecodedPush { frame, error } => {
                err!(
                    "lc listen: push `{}` did not decode ({error}); raw: {}",
                    frame.action,
                    frame.payload.get()
                )
            }
            RtmEvent::UnexpectedFrame(text) => err!("lc listen: unexpected frame: {text}"),
            RtmEvent::Connected(c) => err!(
                "lc listen: {} (API v{})",
                if c.reconnect { "reconnected" } else { "connected" },
                client.api_version()
            ),
            RtmEvent::ConnectionUnstable => err!("lc listen: no answer to ping, the connection may be dead"),
            RtmEvent::ConnectionRecovered => err!("lc listen: the connection answers again"),
            RtmEvent::RegionChanged(r) => err!("lc listen: moved to region {r}"),
            RtmEvent::Disconnected(d) => {
                err!("lc listen: {}", d.cause.describe());
                match d.next {
                    Next::Reconnect { delay, attempt, .. } => {
                        err!("lc listen: reconnecting in {} ms (attempt {attempt})", delay.as_millis())
                    }
                    Next::WaitForConnect => return Err(Failure::runtime("the server asks to reconnect only when the user acts; stopped")),
                    // The API's refusal exits 4, as for `lc call` over either transport.
                    Next::Stop => return Err(crate::connection::rtm_failure(&d.cause)),
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

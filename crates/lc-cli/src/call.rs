//! `lc call`: one request through `lc-web` (or `lc-rtm`), its typed response as JSON.

use std::time::Duration;

use serde_json::Value;

use crate::connection::{call_failure, rtm_failure, Connection};
use crate::Failure;

/// How long `lc call --rtm` waits for the connection and login.
const CONNECT_WAIT: Duration = Duration::from_secs(15);

/// Send one request to the API (Web by default, RTM with --rtm) and print the typed response
/// as pretty JSON. The request is checked against its type before anything is sent.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  export LC_ORGANIZATION_ID=… LC_TOKEN=…          # the token stays out of `ps`
  lc call get_customer
  lc call start_chat '{\"chat\":{\"thread\":{\"events\":[{\"type\":\"message\",\"text\":\"Hi\"}]}}}'
  lc call send_event @event.json --compact
  echo '{\"chat_id\":\"PJ0MRSHTDG\"}' | lc call list_threads - --rtm
  lc call get_customer --base-url http://127.0.0.1:40113    # an `lc mock`
  LC_PAT=ACCOUNT_ID:TOKEN lc call --agent list_chats          # the Agent Chat API, with a personal access token
  lc call --agent transfer_chat '{\"id\":\"PJ0MRSHTDG\",\"target\":{\"type\":\"group\",\"ids\":[2]}}'
  lc call --agent --rtm set_away_status '{\"away\":true}'     # an agent's RTM-only action")]
pub(crate) struct CallArgs {
    /// The action (see `lc actions`).
    action: String,
    /// The request: JSON text, @FILE, or - for stdin; `{}` when absent.
    #[arg(value_name = "JSON|@FILE|-")]
    payload: Option<String>,
    /// Send it over RTM (a WebSocket connection and login) instead of the Web API. The first
    /// connection decides: nothing listening, a refused login or a session the API ends
    /// (`license_not_found`, …) fail at once, as over the Web API; otherwise it waits up to 15 s
    /// for the connection and login, then up to 20 s for the response (lc-rtm's call timeout),
    /// and fails with a message saying which. Pushes that arrive meanwhile are discarded.
    #[arg(long)]
    rtm: bool,
    /// Call the Agent Chat API (an agent's --pat or --token; no organization ID needed) instead
    /// of the Customer Chat API; with --rtm over an agent's RTM connection.
    #[arg(long)]
    agent: bool,
    /// Print the response on one line.
    #[arg(long)]
    compact: bool,
    #[command(flatten)]
    connection: Connection,
}

pub(crate) fn run(args: CallArgs) -> Result<(), Failure> {
    let chat_api = if args.agent {
        lc_types::ChatApi::Agent
    } else {
        lc_types::ChatApi::Customer
    };
    let api = crate::api_of(chat_api, args.connection.api_version)?;
    let name = args.action.as_str();
    let action = api.action(name).ok_or_else(|| {
        let list = if args.agent { "lc actions --api agent" } else { "lc actions" };
        Failure::usage(format!(
            "the {} v{} has no action `{name}` (see `{list}`)",
            chat_api.title(),
            api.version
        ))
    })?;
    if action.request.is_none() {
        return Err(Failure::usage(format!(
            "`{name}` is a multipart upload; `lc call` sends JSON requests"
        )));
    }
    if name == "login" {
        let with = if args.agent { "--pat or --token" } else { "--token" };
        return Err(Failure::usage(format!(
            "`login` is sent by the RTM client itself after every connect (with {with}); call any other action with --rtm"
        )));
    }
    match (args.rtm, action.rtm, action.web.is_some()) {
        (true, false, _) => return Err(Failure::usage(format!("`{name}` is not an RTM action (drop --rtm)"))),
        (false, _, false) => return Err(Failure::usage(format!("`{name}` is an RTM-only action (add --rtm)"))),
        _ => {}
    }
    let text = read_payload(args.payload.as_deref())?;
    let payload: Value = serde_json::from_str(&text).map_err(|e| Failure::runtime(format!("the request is not JSON: {e}")))?;
    // Typed first: a request the type refuses is never sent; what it does not know is said.
    let typed = (api.decode_request)(name, &text).map_err(|e| Failure::runtime(format!("the request of `{name}` does not decode: {e}")))?;
    for u in typed.unknowns() {
        err!("lc call: {u} (sent as given; the API may refuse or ignore it)");
    }
    // What goes on the wire is what the typed request writes: a `null` the schema does not
    // allow (the API refuses it) is left out, and said.
    let checked = api
        .check_request(name, &payload)
        .map_err(|e| Failure::runtime(format!("the request of `{name}` does not decode: {e}")))?;
    for path in &checked.dropped_nulls {
        err!("lc call: `null` at `{path}` left out (the field is optional, not nullable: absent is how to leave it unset)");
    }
    let payload = checked.payload;
    let version = api.version;
    let response = crate::runtime()?.block_on(async {
        if args.rtm {
            // Pushes are not wanted: the client discards them, so no flood of pushes can hold
            // up the response.
            let (client, _) = args.connection.rtm(args.agent, false)?;
            // The first connection decides: a refusal or a failure ends the call at once (a
            // long-lived `lc listen` keeps retrying instead).
            if let Err(e) = client.wait_first_connection(CONNECT_WAIT).await {
                client.shutdown().await;
                return Err(match e.cause() {
                    Some(cause) => rtm_failure(cause),
                    None => Failure::runtime(format!("RTM: {}", crate::connection::chain(&e))),
                });
            }
            let result = client.call_value(version, name, &payload).await;
            // The close handshake (1000), then exit.
            client.shutdown().await;
            result.map_err(|e| call_failure(name, e.api_error().map(|a| (a.kind().to_string(), a.message().to_owned())), &e))
        } else {
            let client = args.connection.web(args.agent)?;
            client.call_value(version, name, &payload).await.map_err(|e| {
                let mut failure = call_failure(name, e.api_error().map(|a| (a.kind().to_string(), a.message().to_owned())), &e);
                // The wait the server asked for, when the client gave up rather than wait.
                if let (Some(wait), Some(_)) = (e.retry_after(), e.api_error()) {
                    failure.message.push_str(&format!(
                        " (the server asked to wait {} s before trying again; {} attempt(s) made)",
                        wait.as_secs(),
                        e.attempts()
                    ));
                }
                failure
            })
        }
    })?;
    // Typed again: the response as its type re-encodes it (unknown fields kept).
    let text = response.to_string();
    let typed =
        (api.decode_response)(name, &text).map_err(|e| Failure::runtime(format!("the response of `{name}` does not decode: {e}")))?;
    let json = typed.to_json().map_err(|e| Failure::runtime(format!("cannot re-encode: {e}")))?;
    let unknowns = typed.unknowns();
    // A union member without a string tag is no value a newer API version added: the answer
    // is not the action's response (an empty 200, `{"type": 5}`).
    if let Some(u) = unknowns.iter().find(|u| matches!(u.kind, lc_types::UnknownKind::Variant(None))) {
        return Err(Failure::runtime(format!(
            "the response of `{name}` does not decode: a value without a usable tag at `{}`: {}",
            u.path,
            crate::safe_json(&json, false)
        )));
    }
    for u in unknowns {
        err!("{u}");
    }
    out!("{}", crate::safe_json(&json, !args.compact));
    Ok(())
}

/// The request text: inline JSON, `@file`, `-` (stdin), or `{}`.
fn read_payload(arg: Option<&str>) -> Result<String, Failure> {
    match arg {
        None => Ok("{}".to_owned()),
        Some("-") => crate::decode::read_stdin(),
        Some(file) if file.starts_with('@') => crate::decode::read_file(&file[1..]),
        Some(json) => Ok(json.to_owned()),
    }
}

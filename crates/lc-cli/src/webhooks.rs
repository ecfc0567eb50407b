//! `lc webhooks`: receive webhook deliveries (verified, typed, printed as NDJSON) and manage
//! the registrations (the Configuration API's webhook actions).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use lc_types::webhook::{WebhookError, WebhookSecret, MAX_WEBHOOK_BODY_BYTES};
use lc_types::{ApiVersion, VersionedWebhook};
use serde_json::{json, Value};

use crate::connection::{call_failure, Connection};
use crate::Failure;

/// How many connections `lc webhooks serve` holds at once; one more is closed at once, so a
/// few slow peers cannot keep deliveries waiting.
const MAX_CONNECTIONS: usize = 256;
/// How long a sender may take to send a request's head, and its whole body.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Receive LiveChat webhook deliveries, or register, list and remove webhooks and switch a
/// license's webhooks on and off (the Configuration API, with an agent's --pat or --token).
#[derive(clap::Args)]
pub(crate) struct WebhooksArgs {
    #[command(subcommand)]
    command: WebhooksCommand,
}

#[derive(clap::Subcommand)]
enum WebhooksCommand {
    Serve(ServeArgs),
    Register(RegisterArgs),
    List(ListArgs),
    Unregister(UnregisterArgs),
    /// Turn on the license webhooks of a Client ID for the token's license
    /// (`enable_license_webhooks`).
    Enable(LicenseArgs),
    /// Turn off the license webhooks of a Client ID for the token's license
    /// (`disable_license_webhooks`); they stay off until enabled again.
    Disable(LicenseArgs),
    /// Whether the license webhooks of a Client ID are on for the token's license
    /// (`get_license_webhooks_state`): {"license_webhooks_enabled"}.
    State(LicenseArgs),
}

/// Listen for webhook deliveries over HTTP, check each one's secret, decode it with the types
/// of --api-version, and print it as one JSON object per line: {"action", "version",
/// "webhook_id", "organization_id", "payload", "additional_data"?, "requester"?} (never the
/// secret).
#[derive(clap::Args)]
#[command(after_help = "\
A delivery is answered 200 once verified and printed (503 when stdout is gone, and the server
stops with exit code 1: LiveChat may send it again); one with a wrong or missing secret 401, a
body that is not a delivery 400, one over 4 MiB 413, a content type that is not JSON 415,
anything but POST 405; each refusal is said on stderr (escaped), and nothing of a refused body
is printed. Plain HTTP, at most 256 connections, 5 s for a request's head and 10 s for its
body: put a TLS proxy in front of it to face the internet. Prefer LC_WEBHOOK_SECRET to --secret
(options show in `ps`). Runs until Ctrl-C or SIGTERM.

Examples:
  export LC_WEBHOOK_SECRET=…                       # the secret you registered
  lc webhooks serve --port 8080
  lc webhooks serve --port 8080 | jq 'select(.action == \"incoming_event\") | .payload.event.text'
  lc webhooks serve --port 8080 --api-version 3.5  # deliveries of webhooks registered in 3.5")]
struct ServeArgs {
    /// The port to listen on.
    #[arg(long)]
    port: u16,
    /// The address to listen on (0.0.0.0: every interface).
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// The secret the webhooks were registered with.
    #[arg(long, env = "LC_WEBHOOK_SECRET", hide_env_values = true, value_name = "SECRET")]
    secret: String,
    /// The API version the webhooks were registered in (their payloads' shape).
    #[arg(long, env = "LC_API_VERSION", default_value_t = lc_types::endpoint::default_version(), value_parser = crate::parse_version, value_name = "X.Y")]
    api_version: ApiVersion,
}

/// Register a webhook (`register_webhook`) and print the answer (`{"id"}`).
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  export LC_PAT=ACCOUNT_ID:TOKEN LC_CLIENT_ID=… LC_WEBHOOK_SECRET=…
  lc webhooks register --action incoming_event --url https://hooks.example.com/lc
  lc webhooks register --action incoming_event --url http://127.0.0.1:8080/ \\
      --additional-data chat_properties --filters '{\"author_type\":\"customer\"}' \\
      --base-url http://127.0.0.1:40113              # an `lc mock`")]
struct RegisterArgs {
    /// The webhook action (e.g. incoming_event; `lc webhooks list --names` lists them).
    #[arg(long)]
    action: String,
    /// Where LiveChat sends the deliveries.
    #[arg(long)]
    url: String,
    /// A secret of yours, sent back in every delivery.
    #[arg(long, env = "LC_WEBHOOK_SECRET", hide_env_values = true, value_name = "SECRET")]
    secret: String,
    /// The Client ID (of your application) that owns the webhook.
    #[arg(long, env = "LC_CLIENT_ID", value_name = "ID")]
    owner_client_id: String,
    /// `license` (every license that installed the application) or `bot`.
    #[arg(long = "type", default_value = "license", value_parser = ["license", "bot"])]
    kind: String,
    /// Data to carry beside the payload: chat_properties, chat_presence_user_ids (repeat the
    /// option for both).
    #[arg(long, value_parser = ["chat_properties", "chat_presence_user_ids"])]
    additional_data: Vec<String>,
    /// A description.
    #[arg(long)]
    description: Option<String>,
    /// When it fires, as JSON (e.g. '{"author_type":"customer"}').
    #[arg(long, value_name = "JSON")]
    filters: Option<String>,
    #[command(flatten)]
    connection: Connection,
}

/// List the webhooks of a Client ID (`list_webhooks`; their secrets never printed), or with
/// --names the webhook actions of the API version (`list_webhook_names`, no credentials needed).
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  lc webhooks list --owner-client-id c0ffee00c0ffee00c0ffee00c0ffee00 | jq -r '.[] | .id + \" \" + .action'
  lc webhooks list --names --api-version 3.7       # the actions and the filters each allows")]
struct ListArgs {
    /// The Client ID whose webhooks to list.
    #[arg(long, env = "LC_CLIENT_ID", value_name = "ID", required_unless_present = "names")]
    owner_client_id: Option<String>,
    /// List the webhook actions of the version and their filters instead.
    #[arg(long)]
    names: bool,
    #[command(flatten)]
    connection: Connection,
}

/// Remove a webhook (`unregister_webhook`).
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  lc webhooks unregister --id 000000005eb00c000000000000000001   # an ID from `lc webhooks list`")]
struct UnregisterArgs {
    /// The webhook's ID.
    #[arg(long)]
    id: String,
    /// The Client ID that owns it.
    #[arg(long, env = "LC_CLIENT_ID", value_name = "ID")]
    owner_client_id: String,
    #[command(flatten)]
    connection: Connection,
}

/// The license webhooks of a Client ID: `lc webhooks enable`, `disable`, `state`.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  lc webhooks disable --owner-client-id c0ffee00c0ffee00c0ffee00c0ffee00
  lc webhooks state                                 # {\"license_webhooks_enabled\": false}
  lc webhooks enable")]
struct LicenseArgs {
    /// The Client ID whose license webhooks to switch or show.
    #[arg(long, env = "LC_CLIENT_ID", value_name = "ID")]
    owner_client_id: String,
    #[command(flatten)]
    connection: Connection,
}

pub(crate) fn run(args: WebhooksArgs) -> Result<(), Failure> {
    match args.command {
        WebhooksCommand::Serve(a) if a.secret.is_empty() => Err(Failure::usage("the secret is empty: an empty secret matches no delivery")),
        WebhooksCommand::Register(a) if a.secret.is_empty() => Err(Failure::usage("the secret is empty: give the webhook a secret")),
        WebhooksCommand::Serve(a) => {
            if lc_types::webhook::webhooks(a.api_version).is_empty() {
                return Err(Failure::usage(format!(
                    "no webhooks in API version {} in this build",
                    a.api_version
                )));
            }
            crate::runtime()?.block_on(serve(a))
        }
        WebhooksCommand::Register(a) => {
            let mut payload = json!({
                "action": a.action,
                "url": a.url,
                "secret_key": a.secret,
                "owner_client_id": a.owner_client_id,
                "type": a.kind,
            });
            if !a.additional_data.is_empty() {
                payload["additional_data"] = json!(a.additional_data);
            }
            if let Some(d) = a.description {
                payload["description"] = json!(d);
            }
            if let Some(f) = a.filters {
                let filters: Value = serde_json::from_str(&f).map_err(|e| Failure::usage(format!("--filters is not JSON: {e}")))?;
                payload["filters"] = filters;
            }
            configuration_call(&a.connection, "register_webhook", payload)
        }
        WebhooksCommand::List(a) if a.names => configuration_call(&a.connection, "list_webhook_names", json!({})),
        WebhooksCommand::List(a) => configuration_call(&a.connection, "list_webhooks", json!({ "owner_client_id": a.owner_client_id })),
        WebhooksCommand::Unregister(a) => configuration_call(
            &a.connection,
            "unregister_webhook",
            json!({ "id": a.id, "owner_client_id": a.owner_client_id }),
        ),
        WebhooksCommand::Enable(a) => license_call(a, "enable_license_webhooks"),
        WebhooksCommand::Disable(a) => license_call(a, "disable_license_webhooks"),
        WebhooksCommand::State(a) => license_call(a, "get_license_webhooks_state"),
    }
}

/// A license webhooks action, for the Client ID of `args`.
fn license_call(args: LicenseArgs, action: &str) -> Result<(), Failure> {
    configuration_call(&args.connection, action, json!({ "owner_client_id": args.owner_client_id }))
}

/// Calls Configuration API action `action` and prints the answer as pretty JSON.
fn configuration_call(connection: &Connection, action: &str, payload: Value) -> Result<(), Failure> {
    crate::api_of(lc_types::ChatApi::Configuration, connection.api_version)?;
    let client = connection.configuration_web(action != "list_webhook_names")?;
    let answer = crate::runtime()?.block_on(async {
        client
            .call_value(connection.api_version, action, &payload)
            .await
            .map_err(|e| call_failure(action, e.api_error().map(|a| (a.kind().to_string(), a.message().to_owned())), &e))
    })?;
    let mut answer = answer;
    // Whether LiveChat echoes a webhook's secret in `list_webhooks` is not documented: never
    // print one.
    if let Value::Array(webhooks) = &mut answer {
        for webhook in webhooks.iter_mut().filter_map(Value::as_object_mut) {
            webhook.remove("secret_key");
        }
    }
    out!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
    Ok(())
}

/// The delivery in `body`, verified and decoded with the types of `version`, as printed (no
/// secret).
fn verified_in(version: ApiVersion, headers: &hyper::HeaderMap, body: &[u8], secret: &WebhookSecret) -> Result<Value, WebhookError> {
    let headers = headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes()));
    let delivery = VersionedWebhook::from_http(version, headers, body, secret)?;
    let mut out = match serde_json::to_value(&delivery) {
        Ok(Value::Object(fields)) => fields,
        _ => serde_json::Map::new(),
    };
    out.remove("secret_key");
    // Ours, over any top-level field of the same name the delivery carried.
    out.insert("action".into(), json!(delivery.action()));
    out.insert("version".into(), json!(delivery.version().to_string()));
    Ok(Value::Object(out))
}

async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let addr = SocketAddr::new(args.bind, args.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::runtime(format!("cannot listen on {addr}: {e}")))?;
    err!(
        "lc webhooks serve: listening on http://{}",
        listener.local_addr().map_or(addr, |a| a)
    );
    let secret = Arc::new(WebhookSecret::new(args.secret));
    let version = args.api_version;
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    // Set when stdout is gone (a closed pipe): the server stops, exiting 1.
    let gone = Arc::new(tokio::sync::Notify::new());
    let mut stop = crate::signal::Stop::new()?;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = gone.notified() => {
                return Err(Failure::runtime("webhooks serve: stdout is closed, stopped (the delivery answered 503 may come again)"));
            }
            signal = stop.next() => {
                err!("lc webhooks serve: {signal}, stopping");
                return Ok(());
            }
        };
        let Ok((stream, peer)) = accepted else { continue };
        // Full: this one is closed at once rather than making the next delivery wait.
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            err!("lc webhooks serve: {MAX_CONNECTIONS} connections open, closed one from {peer}");
            continue;
        };
        let (secret, gone) = (secret.clone(), gone.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| answer(request, peer, version, secret.clone(), gone.clone()));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = tokio::time::timeout(BODY_TIMEOUT * 2, connection).await;
            drop(slot);
        });
    }
}

/// One delivery: read within bounds, verified, printed; the status says how it went.
async fn answer(
    request: Request<Incoming>,
    peer: SocketAddr,
    version: ApiVersion,
    secret: Arc<WebhookSecret>,
    gone: Arc<tokio::sync::Notify>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let reply = |status: StatusCode, body: &'static str| {
        let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
        *r.status_mut() = status;
        if !status.is_success() {
            // What is left of a refused request is not read: the connection ends with it.
            r.headers_mut()
                .insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
        }
        Ok(r)
    };
    if request.method() != Method::POST {
        let mut r = reply(StatusCode::METHOD_NOT_ALLOWED, "webhook deliveries are POST\n")?;
        r.headers_mut()
            .insert(hyper::header::ALLOW, hyper::header::HeaderValue::from_static("POST"));
        return Ok(r);
    }
    let (parts, body) = request.into_parts();
    let body = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_WEBHOOK_BODY_BYTES).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(_)) => {
            err!("lc webhooks serve: refused a delivery from {peer}: its body is over {MAX_WEBHOOK_BODY_BYTES} bytes or broken");
            return reply(StatusCode::PAYLOAD_TOO_LARGE, "too large\n");
        }
        Err(_) => {
            err!(
                "lc webhooks serve: refused a delivery from {peer}: its body did not arrive within {} s",
                BODY_TIMEOUT.as_secs()
            );
            return reply(StatusCode::REQUEST_TIMEOUT, "too slow\n");
        }
    };
    match verified_in(version, &parts.headers, &body, &secret) {
        Ok(line) => {
            use std::io::Write;
            // Acknowledged only once printed: a delivery stdout could not take is not lost.
            if writeln!(std::io::stdout().lock(), "{line}").is_err() {
                gone.notify_one();
                return reply(StatusCode::SERVICE_UNAVAILABLE, "not printed\n");
            }
            reply(StatusCode::OK, "{}")
        }
        Err(e) => {
            err!("lc webhooks serve: refused a delivery from {peer}: {e}");
            reply(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST), "refused\n")
        }
    }
}

//! Webhooks: the Configuration API's webhook actions (`/v{X.Y}/configuration/action/{action}`)
//! and the deliveries the registrations ask for.
//!
//! A registration keeps the version it was made in: its deliveries carry the Agent Chat API
//! push of that version (the same rendering and checks as an agent RTM connection's), in the
//! documented wrapper (`webhook_id`, `secret_key`, `action`, `organization_id`, `payload`,
//! `additional_data`). Each registration has its own queue and task, so a slow receiver delays
//! only its own deliveries, in order. A delivery is an HTTP/1.1 `POST` to the registered
//! `http://` URL on a loopback address, tried up to [`MAX_WEBHOOK_ATTEMPTS`] times (a failure
//! is anything but a 2xx answer within [`WEBHOOK_TIMEOUT`]); what happened to each is kept
//! (the last [`MAX_WEBHOOK_LOG`]) for [`MockServer::webhook_deliveries`](crate::MockServer::webhook_deliveries)
//! and `GET /_lc/webhooks`.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lc_types::{ApiVersion, ChatApi};
use serde_json::{json, Map, Value};

use crate::ctx::{PushOut, To};
use crate::error::Refusal;
use crate::schemas::Kind;
use crate::state::State;
use crate::Shared;

/// How many times a delivery is tried: 3 (then it is recorded as failed).
pub const MAX_WEBHOOK_ATTEMPTS: u32 = 3;

/// How long one attempt may take, connecting and answering included: 5 s.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// How many deliveries wait for one registration; past it, a delivery fails at once
/// (`queue full`): 1,000.
pub const MAX_WEBHOOK_QUEUE: usize = 1000;

/// How many delivery outcomes are kept: the last 1,000.
pub const MAX_WEBHOOK_LOG: usize = 1000;

/// How many webhooks one Client ID may register per action (reference §6.3): 3.
pub const MAX_WEBHOOKS_PER_ACTION: usize = 3;

/// How many webhooks the mock holds in all, whatever their Client IDs (each has a sender task
/// and a queue): 100; past it, `register_webhook` answers `validation`.
pub const MAX_WEBHOOKS: usize = 100;

/// How many bytes of deliveries wait in all the queues together; past it, a delivery fails at
/// once (`queue full`): 8 MiB.
pub const MAX_WEBHOOK_QUEUED_BYTES: usize = 8 * 1024 * 1024;

/// What happened to one delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The registration's ID (the delivery's `webhook_id`).
    pub webhook_id: String,
    /// The webhook action.
    pub action: String,
    /// Where it was sent.
    pub url: String,
    /// How many times it was tried.
    pub attempts: u32,
    /// The receiver's HTTP status of the last attempt, when it answered.
    pub status: Option<u16>,
    /// Whether a 2xx answer came.
    pub delivered: bool,
    /// Why the last attempt failed, when it did (bounded, escaped).
    pub error: Option<String>,
}

impl WebhookDelivery {
    fn to_json(&self) -> Value {
        json!({
            "webhook_id": self.webhook_id,
            "action": self.action,
            "url": self.url,
            "attempts": self.attempts,
            "status": self.status,
            "delivered": self.delivered,
            "error": self.error,
        })
    }
}

/// One registration.
struct Registration {
    id: String,
    version: ApiVersion,
    action: String,
    secret_key: String,
    url: String,
    /// `host:port` and path of `url`.
    authority: String,
    path: String,
    owner_client_id: String,
    kind: String,
    additional_data: Vec<String>,
    filters: Option<Value>,
    description: Option<String>,
    queue: tokio::sync::mpsc::Sender<String>,
    /// Cleared by `unregister_webhook`: what is still queued is not sent.
    live: Arc<std::sync::atomic::AtomicBool>,
}

impl Registration {
    /// The outcome of one of its deliveries before it is tried.
    fn outcome(&self) -> WebhookDelivery {
        WebhookDelivery {
            webhook_id: self.id.clone(),
            action: self.action.clone(),
            url: self.url.clone(),
            attempts: 0,
            status: None,
            delivered: false,
            error: None,
        }
    }

    /// As `list_webhooks` answers it.
    fn listed(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "url": self.url,
            "action": self.action,
            "owner_client_id": self.owner_client_id,
            "type": self.kind,
        });
        if let Some(d) = &self.description {
            v["description"] = json!(d);
        }
        if let Some(f) = &self.filters {
            v["filters"] = f.clone();
        }
        if !self.additional_data.is_empty() {
            v["additional_data"] = json!(self.additional_data);
        }
        v
    }
}

/// The registrations, the Client IDs whose license webhooks are off, and the outcomes.
#[derive(Default)]
pub(crate) struct Webhooks {
    inner: Mutex<Inner>,
    log: Arc<Mutex<VecDeque<WebhookDelivery>>>,
    /// The bytes of the deliveries waiting in every queue (at most [`MAX_WEBHOOK_QUEUED_BYTES`]).
    queued_bytes: Arc<AtomicUsize>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    registrations: Vec<Registration>,
    disabled: BTreeSet<String>,
}

impl Webhooks {
    /// The outcomes kept, oldest first.
    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        crate::lock(&self.log).iter().cloned().collect()
    }

    /// What `GET /_lc/webhooks` shows: the registrations (without their secrets), the Client
    /// IDs whose license webhooks are off, and the outcomes kept.
    pub(crate) fn overview(&self) -> Value {
        let inner = crate::lock(&self.inner);
        let registrations: Vec<Value> = inner
            .registrations
            .iter()
            .map(|r| {
                let mut v = r.listed();
                v["version"] = json!(r.version.to_string());
                v
            })
            .collect();
        let deliveries: Vec<Value> = crate::lock(&self.log).iter().map(WebhookDelivery::to_json).collect();
        json!({
            "registrations": registrations,
            "license_webhooks_disabled": inner.disabled,
            "deliveries": deliveries,
        })
    }

    /// Queues a delivery of every push of a kept change that a registration asks for. Called
    /// with the new state, while it is locked (so deliveries leave in the order of the changes).
    pub(crate) fn deliver(&self, shared: &Shared, state: &State, pushes: &[PushOut], source: Option<&str>) {
        let inner = crate::lock(&self.inner);
        if inner.registrations.is_empty() {
            return;
        }
        // One push can reach several audiences in one change: one delivery.
        let mut seen: Vec<(&str, &Value)> = Vec::new();
        for push in pushes {
            if matches!(push.to, To::Customer(_)) || seen.contains(&(push.name, &push.payload)) {
                continue;
            }
            seen.push((push.name, &push.payload));
            // Rendered once per version, whatever the number of registrations (`None`: it
            // does not render in that version, a mock bug recorded once).
            let mut rendered: Vec<(ApiVersion, Option<Value>)> = Vec::new();
            let chat = chat_of(&push.payload).and_then(|id| state.chats.get(id));
            for r in inner.registrations.iter().filter(|r| r.action == push.name) {
                if r.kind == "license" && inner.disabled.contains(&r.owner_client_id) {
                    continue;
                }
                if !passes(r, state, chat, &push.payload, source) {
                    continue;
                }
                let payload = match rendered.iter().find(|(v, _)| *v == r.version) {
                    Some((_, p)) => p.clone(),
                    None => {
                        let kind = if matches!(push.to, To::Webhooks) {
                            Kind::Webhook
                        } else {
                            Kind::Push
                        };
                        let p = crate::engine::render(shared, ChatApi::Agent, r.version, kind, push.name, push.payload.clone())
                            .map_err(|e| shared.problem(Refusal::mock_bug(format!("webhook `{}` in v{}: {e}", push.name, r.version))))
                            .ok();
                        rendered.push((r.version, p.clone()));
                        p
                    }
                };
                let Some(payload) = payload else { continue };
                let mut additional = Map::new();
                for wanted in &r.additional_data {
                    match (wanted.as_str(), chat) {
                        ("chat_properties", Some(c)) => {
                            additional.insert(wanted.clone(), Value::Object(c.properties.clone()));
                        }
                        ("chat_presence_user_ids", Some(c)) => {
                            additional.insert(wanted.clone(), json!(present(c)));
                        }
                        _ => {}
                    }
                }
                let body = json!({
                    "webhook_id": r.id,
                    "secret_key": r.secret_key,
                    "action": push.name,
                    "organization_id": shared.organization_id,
                    "payload": payload,
                    "additional_data": additional,
                });
                let body = body.to_string();
                let len = body.len();
                let fits = self
                    .queued_bytes
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |q| {
                        (q + len <= MAX_WEBHOOK_QUEUED_BYTES).then_some(q + len)
                    })
                    .is_ok();
                if !fits || r.queue.try_send(body).is_err() {
                    if fits {
                        self.queued_bytes.fetch_sub(len, Ordering::SeqCst);
                    }
                    let mut refused = r.outcome();
                    refused.error = Some("queue full".into());
                    record(&self.log, refused);
                }
            }
        }
    }

    /// Runs Configuration API action `action` (its request valid against the schema).
    pub(crate) fn run(&self, version: ApiVersion, action: &str, p: &Value) -> Result<Value, Refusal> {
        let owner = p["owner_client_id"].as_str().unwrap_or_default().to_owned();
        let mut inner = crate::lock(&self.inner);
        match action {
            "register_webhook" => {
                let name = p["action"].as_str().unwrap_or_default();
                if !lc_types::webhook::webhooks(version).iter().any(|w| w.name == name) {
                    return Err(Refusal::validation(format!(
                        "`{}` is not a webhook action of v{version}",
                        lc_types::PeerText::new(name).max(100)
                    )));
                }
                if p["secret_key"].as_str().unwrap_or_default().is_empty() {
                    return Err(Refusal::validation("`secret_key` must not be empty"));
                }
                if let Some(filters) = p["filters"].as_object() {
                    let allowed = filters_of(name);
                    if let Some(bad) = filters.keys().find(|k| !allowed.contains(&k.as_str())) {
                        return Err(Refusal::validation(format!(
                            "Filter `{}` is not allowed for `{name}` (allowed: {})",
                            lc_types::PeerText::new(bad).max(100),
                            allowed.join(", ")
                        )));
                    }
                }
                let url = p["url"].as_str().unwrap_or_default();
                let (authority, path) = loopback_http(url)?;
                let same = inner
                    .registrations
                    .iter()
                    .filter(|r| r.owner_client_id == owner && r.action == name)
                    .count();
                if same >= MAX_WEBHOOKS_PER_ACTION {
                    return Err(Refusal::validation(format!(
                        "At most {MAX_WEBHOOKS_PER_ACTION} webhooks per action per Client ID"
                    )));
                }
                if inner.registrations.len() >= MAX_WEBHOOKS {
                    return Err(Refusal::validation(format!("At most {MAX_WEBHOOKS} webhooks in the mock")));
                }
                inner.next_id += 1;
                let id = format!("{:032x}", 0x5eb0_0c00_u128 << 64 | u128::from(inner.next_id));
                let (queue, jobs) = tokio::sync::mpsc::channel(MAX_WEBHOOK_QUEUE);
                let live = Arc::new(std::sync::atomic::AtomicBool::new(true));
                let strings = |v: &Value| -> Vec<String> {
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                };
                let registration = Registration {
                    id: id.clone(),
                    version,
                    action: name.to_owned(),
                    secret_key: p["secret_key"].as_str().unwrap_or_default().to_owned(),
                    url: url.to_owned(),
                    authority,
                    path,
                    owner_client_id: owner,
                    kind: p["type"].as_str().unwrap_or("license").to_owned(),
                    additional_data: strings(&p["additional_data"]),
                    filters: p.get("filters").cloned(),
                    description: p["description"].as_str().map(str::to_owned),
                    queue,
                    live: live.clone(),
                };
                tokio::spawn(sender(
                    registration.outcome(),
                    registration.authority.clone(),
                    registration.path.clone(),
                    jobs,
                    live,
                    self.log.clone(),
                    self.queued_bytes.clone(),
                ));
                inner.registrations.push(registration);
                Ok(json!({ "id": id }))
            }
            "list_webhooks" => Ok(Value::Array(
                inner
                    .registrations
                    .iter()
                    .filter(|r| r.owner_client_id == owner)
                    .map(Registration::listed)
                    .collect(),
            )),
            "unregister_webhook" => {
                let id = p["id"].as_str().unwrap_or_default();
                let before = inner.registrations.len();
                // Its sender records what is still queued as not sent, and ends.
                inner.registrations.retain(|r| {
                    let gone = r.id == id && r.owner_client_id == owner;
                    if gone {
                        r.live.store(false, std::sync::atomic::Ordering::SeqCst);
                    }
                    !gone
                });
                if inner.registrations.len() == before {
                    return Err(Refusal::not_found("Webhook"));
                }
                Ok(json!({}))
            }
            "list_webhook_names" => {
                let asked = match p["version"].as_str() {
                    None => version,
                    Some(v) => v
                        .parse::<ApiVersion>()
                        .ok()
                        .filter(|v| !lc_types::webhook::webhooks(*v).is_empty())
                        .ok_or_else(|| Refusal::validation("Unsupported `version`"))?,
                };
                Ok(Value::Array(
                    lc_types::webhook::webhooks(asked)
                        .iter()
                        .map(|w| {
                            let mut v = json!({ "action": w.name, "filters": filters_of(w.name) });
                            if w.name != "agent_deleted" {
                                v["additional_data"] = json!(["chat_properties", "chat_presence_user_ids"]);
                            }
                            v
                        })
                        .collect(),
                ))
            }
            "enable_license_webhooks" => {
                inner.disabled.remove(&owner);
                Ok(json!({}))
            }
            "disable_license_webhooks" => {
                inner.disabled.insert(owner);
                Ok(json!({}))
            }
            "get_license_webhooks_state" => Ok(json!({ "license_webhooks_enabled": !inner.disabled.contains(&owner) })),
            _ => Err(Refusal::not_found(&format!("Configuration API action `{action}`"))),
        }
    }
}

/// The filters `action` allows (reference §6.4).
fn filters_of(action: &str) -> Vec<&'static str> {
    match action {
        "incoming_event" | "event_updated" => vec!["chat_presence", "author_type", "only_my_chats", "source_type"],
        "routing_status_set" => vec!["agent_ids", "source_type"],
        "customer_session_fields_updated" => vec!["chat_presence", "source_type"],
        a if a.starts_with("agent_")
            || a.starts_with("bot_")
            || a.starts_with("group_")
            || a.starts_with("tag_")
            || a == "auto_accesses_updated"
            || a == "incoming_customer" =>
        {
            vec!["source_type"]
        }
        _ => vec!["chat_presence", "only_my_chats", "source_type"],
    }
}

/// `host:port` and path of an `http://` URL on a loopback address: the only kind the mock
/// delivers to (it is a test server, not a crawler).
fn loopback_http(url: &str) -> Result<(String, String), Refusal> {
    let refuse = || {
        Refusal::validation(format!(
            "lc-mock delivers webhooks to http:// URLs on a loopback address (127.0.0.1, [::1], localhost), not {}",
            lc_types::PeerText::new(url).max(100)
        ))
    };
    let rest = url.strip_prefix("http://").ok_or_else(refuse)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        _ => authority,
    };
    let loopback = host == "localhost" || host == "[::1]" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback || path.contains(char::is_whitespace) {
        return Err(refuse());
    }
    let authority = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
}

/// The chat a push or webhook is about (`chat_id`, `chat.id` of `incoming_chat`, `active_chat.chat_id`).
fn chat_of(payload: &Value) -> Option<&str> {
    payload["chat_id"]
        .as_str()
        .or_else(|| payload["chat"]["id"].as_str())
        .or_else(|| payload["active_chat"]["chat_id"].as_str())
}

/// The users present in a chat: its customer and its present agents.
fn present(chat: &crate::state::Chat) -> Vec<String> {
    let agents = chat.agents.iter().filter(|(_, here)| **here).map(|(a, _)| a.clone());
    std::iter::once(chat.customer_id.clone()).chain(agents).collect()
}

/// Whether a push passes a registration's filters. `author_type`, `only_my_chats`,
/// `chat_presence.user_ids` and `source_type` are applied (the source: the Client ID of the
/// token that made the change, `system` without one); `chat_presence.my_bots` matches no chat
/// (the mock's bots belong to no Client ID); `agent_ids`, which the docs do not describe, is
/// accepted and not applied.
fn passes(r: &Registration, state: &State, chat: Option<&crate::state::Chat>, payload: &Value, source: Option<&str>) -> bool {
    let Some(filters) = &r.filters else { return true };
    if let Some(kinds) = filters["source_type"].as_array() {
        let kind = match source {
            None => "system",
            Some(client) if client == r.owner_client_id => "my_client",
            Some(_) => "other_clients",
        };
        if !kinds.iter().any(|k| k.as_str() == Some(kind)) {
            return false;
        }
    }
    if let Some(kind) = filters["author_type"].as_str() {
        // An event without an author (a system message) is neither a customer's nor an agent's.
        let author = payload["event"]["author_id"].as_str().unwrap_or_default();
        let matches = match kind {
            "agent" => state.agents.contains_key(author),
            _ => state.customers.contains_key(author),
        };
        if !matches {
            return false;
        }
    }
    if filters["only_my_chats"] == json!(true) {
        // The chat's `source.client_id` property: the Client ID it was started with, unless a
        // client set the property itself.
        let property = chat.and_then(|c| c.properties.get("source")).and_then(|s| s.get("client_id"));
        let source = property
            .and_then(Value::as_str)
            .or_else(|| chat.and_then(|c| c.client_id.as_deref()));
        if source != Some(r.owner_client_id.as_str()) {
            return false;
        }
    }
    let presence = &filters["chat_presence"];
    if presence.is_object() {
        let here = chat.map(present).unwrap_or_default();
        let ids = |key: &str| {
            presence["user_ids"][key]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        };
        if let Some(values) = ids("values") {
            if !values.iter().any(|v| here.iter().any(|h| h == v)) {
                return false;
            }
        }
        if let Some(excluded) = ids("exclude_values") {
            if excluded.iter().any(|v| here.iter().any(|h| h == v)) {
                return false;
            }
        }
        if presence["my_bots"] == json!(true) {
            return false;
        }
    }
    true
}

fn record(log: &Mutex<VecDeque<WebhookDelivery>>, delivery: WebhookDelivery) {
    let mut log = crate::lock(log);
    if log.len() == MAX_WEBHOOK_LOG {
        log.pop_front();
    }
    log.push_back(delivery);
}

/// One registration's deliveries, in order, each tried up to [`MAX_WEBHOOK_ATTEMPTS`] times
/// (0.1 s, then 0.2 s between tries); once the registration is gone, what is left is recorded
/// as `unregistered`, not sent.
async fn sender(
    blank: WebhookDelivery,
    authority: String,
    path: String,
    mut jobs: tokio::sync::mpsc::Receiver<String>,
    live: Arc<std::sync::atomic::AtomicBool>,
    log: Arc<Mutex<VecDeque<WebhookDelivery>>>,
    queued_bytes: Arc<AtomicUsize>,
) {
    while let Some(body) = jobs.recv().await {
        queued_bytes.fetch_sub(body.len(), Ordering::SeqCst);
        let mut outcome = blank.clone();
        for attempt in 1..=MAX_WEBHOOK_ATTEMPTS {
            if !live.load(std::sync::atomic::Ordering::SeqCst) {
                outcome.error = Some("unregistered".into());
                break;
            }
            outcome.attempts = attempt;
            match tokio::time::timeout(WEBHOOK_TIMEOUT, post(&authority, &path, body.clone())).await {
                Ok(Ok(status)) => {
                    outcome.status = Some(status);
                    outcome.delivered = (200..300).contains(&status);
                    outcome.error = (!outcome.delivered).then(|| format!("HTTP {status}"));
                }
                Ok(Err(e)) => outcome.error = Some(lc_types::PeerText::new(&e).max(200).to_string()),
                Err(_) => outcome.error = Some(format!("no answer within {WEBHOOK_TIMEOUT:?}")),
            }
            if outcome.delivered {
                break;
            }
            if attempt < MAX_WEBHOOK_ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(100 << (attempt - 1))).await;
            }
        }
        record(&log, outcome);
    }
}

/// One `POST` of `body` to `http://{authority}{path}`; the answer's status (its body is not
/// read beyond what hyper needs for the status line and headers).
async fn post(authority: &str, path: &str, body: String) -> Result<u16, String> {
    let stream = tokio::net::TcpStream::connect(authority).await.map_err(|e| e.to_string())?;
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut send, connection) = hyper::client::conn::http1::handshake(io).await.map_err(|e| e.to_string())?;
    let driver = tokio::spawn(connection);
    let request = axum::http::Request::post(path)
        .header(axum::http::header::HOST, authority)
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .header(axum::http::header::USER_AGENT, "lc-mock webhooks")
        .body(axum::body::Body::from(body))
        .map_err(|e| e.to_string())?;
    let result = send
        .send_request(request)
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string());
    driver.abort();
    result
}

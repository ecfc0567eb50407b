//! The HTTP control API under `/_lc` (documented in the README, the crate docs): what
//! [`MockServer`](crate::MockServer), [`AgentControl`] and [`FaultControl`] do, for test
//! suites in any language. Reads are `GET` with query parameters, changes `POST` with a JSON
//! object; answers are JSON objects, errors the API's error envelope.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::error::Refusal;
use crate::{AgentControl, FaultControl, GreetingStatus, Shared, Target, TransferTo};

/// The path prefix of the control API.
pub(crate) const PREFIX: &str = "/_lc";

/// The largest body of a control API request the mock reads: 16 MiB (a 10 MB file as
/// `content_base64` for `agent/send_file` fits). A larger one is refused with
/// `entity_too_large` (HTTP 413) in the API's error envelope, at once when its
/// `Content-Length` announces more.
pub const MAX_CONTROL_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The largest count a control request may give (`fail_next` and `drop_responses`'s
/// `count`, `update_queue`'s and `transfer`'s `position` and `wait_time`, a `group_id`):
/// 1,000,000. A larger one is refused with `validation` (400) naming the field and this
/// maximum; a count costs the same memory whatever its value.
pub const MAX_CONTROL_COUNT: u64 = 1_000_000;

/// The longest error type `POST /_lc/faults/fail_next` takes: 64 characters.
const MAX_ERROR_TYPE_LEN: usize = 64;

/// The longest duration a control request may give, in milliseconds (`delay_ms`,
/// `duration_ms`): one hour. A longer one is refused with `validation` (400).
pub const MAX_CONTROL_MILLIS: u64 = 3_600_000;

/// The largest `len` of `faults/pad_next_response`: 1 GiB (the padding is streamed, never
/// held; this bounds how long one answer takes). A larger one is refused with `validation`.
pub const MAX_PAD_BYTES: u64 = 1 << 30;

/// The most items in a list a control request gives (`group_ids`, `agent_ids`,
/// `customer_ids`): 1,000. A longer list is refused with `validation`.
const MAX_CONTROL_LIST: usize = 1000;

/// The most JSON values (objects, lists, strings, numbers, ...) in one control request:
/// 100,000. With [`MAX_CONTROL_LIST`] keys or items per object or list, this keeps what a
/// request stores (`set_license_properties` kept 40,000 namespaces at about 125 times their
/// size) proportionate to it. A request over either is refused with `validation`.
const MAX_CONTROL_NODES: usize = 100_000;

/// The longest string (or object key) in a control request: 1 MiB, as much as a whole Web
/// API request ([`MAX_BODY_BYTES`](crate::MAX_BODY_BYTES)); a file's `content` or
/// `content_base64` (`agent/send_file`) is bounded by the body alone. Every text a control
/// request gives (a message, a name, an ID) is kept or sent as given: a longer one is refused
/// with `validation`.
const MAX_CONTROL_STRING: usize = crate::MAX_BODY_BYTES;

/// Counts `value`'s nodes into `nodes`; the path (`.a[3]`) of the first object or list over
/// [`MAX_CONTROL_LIST`], string or key over [`MAX_CONTROL_STRING`], or where the count passed
/// [`MAX_CONTROL_NODES`].
fn within_shape(value: &Value, nodes: &mut usize) -> Result<(), String> {
    *nodes += 1;
    if *nodes > MAX_CONTROL_NODES {
        return Err(String::new());
    }
    match value {
        Value::String(text) if text.len() > MAX_CONTROL_STRING => Err(String::new()),
        Value::Object(map) if map.keys().any(|k| k.len() > MAX_CONTROL_STRING) => Err(String::new()),
        Value::Object(map) if map.len() > MAX_CONTROL_LIST => Err(String::new()),
        Value::Array(items) if items.len() > MAX_CONTROL_LIST => Err(String::new()),
        Value::Object(map) => map
            .iter()
            .try_for_each(|(k, v)| within_shape(v, nodes).map_err(|p| format!(".{k}{p}"))),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| within_shape(v, nodes).map_err(|p| format!("[{i}]{p}"))),
        _ => Ok(()),
    }
}

/// How a control endpoint is called.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
}

impl Verb {
    fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
        }
    }
}

/// What answers a control request: the mock and the request's arguments.
type Handler = fn(&Shared, &Args) -> Result<Value, Refusal>;

/// One control endpoint: how it is called, what it does (as the index and the README's table
/// say) and what answers it.
struct Endpoint {
    verb: Verb,
    path: &'static str,
    about: &'static str,
    handler: Handler,
}

const fn get(path: &'static str, about: &'static str, handler: Handler) -> Endpoint {
    Endpoint {
        verb: Verb::Get,
        path,
        about,
        handler,
    }
}

const fn post(path: &'static str, about: &'static str, handler: Handler) -> Endpoint {
    Endpoint {
        verb: Verb::Post,
        path,
        about,
        handler,
    }
}

/// `{}` once a change is done.
fn done(r: Result<(), Refusal>) -> Result<Value, Refusal> {
    r.map(|()| json!({}))
}

/// `{"event_id"}` of an event the agent sent.
fn event_id(r: Result<String, Refusal>) -> Result<Value, Refusal> {
    r.map(|id| json!({ "event_id": id }))
}

/// The faults in force, the answer of every fault change.
fn faults_now(shared: &Shared) -> Result<Value, Refusal> {
    Ok(shared.faults.snapshot())
}

/// Every control endpoint, in the order `GET /_lc` and the README list them: the one table
/// that routes, indexes and documents the control API.
static ENDPOINTS: &[Endpoint] = &[
    get("/_lc", "this list", |_, _| {
        let list: Vec<Value> = ENDPOINTS
            .iter()
            .map(|e| json!({"method": e.verb.as_str(), "path": e.path, "about": e.about}))
            .collect();
        Ok(json!({ "endpoints": list }))
    }),
    get(
        "/_lc/info",
        "base_url, control_url, organization_id, region, versions, URL templates, agent_id",
        |s, _| {
            let base = s.origin();
            let versions: Vec<String> = lc_types::apis()
                .iter()
                .filter(|a| a.api == lc_types::ChatApi::Customer)
                .map(|a| a.version.to_string())
                .collect();
            Ok(json!({
                "base_url": base, "control_url": format!("{base}{PREFIX}"),
                "organization_id": s.organization_id, "region": s.region(), "versions": versions,
                "web_url": format!("{base}/v{{version}}/customer/action"),
                "agent_web_url": format!("{base}/v{{version}}/agent/action"),
                "rtm_url": format!("{}/v{{version}}/customer/rtm/ws", s.ws_origin()),
                "agent_rtm_url": format!("{}/v{{version}}/agent/rtm/ws", s.ws_origin()),
                "agent_id": AgentControl::new(s).id(),
            }))
        },
    ),
    post("/_lc/customers", "a new customer: {} -> {id, token}", |s, _| {
        let (id, token) = s.issue_token(None);
        Ok(json!({"id": id, "token": token}))
    }),
    post("/_lc/tokens", "a new token for a customer: {customer_id} -> {token}", |s, a| {
        let id = a.str("customer_id")?;
        if !crate::lock(&s.state).customers.contains_key(id) {
            return Err(Refusal::not_found("Customer"));
        }
        Ok(json!({ "token": s.issue_token(Some(id)).1 }))
    }),
    post("/_lc/tokens/expire", "expire a token now: {token}", |s, a| {
        // Only a token the mock issued (each has its expiry): any other text was kept.
        if !s.expire_token(a.str("token")?) {
            return Err(Refusal::not_found("Token"));
        }
        Ok(json!({}))
    }),
    post(
        "/_lc/agents",
        "a new agent (an existing ID: new credentials): {id, name?, groups? (default: group 0), role? (default: normal)} -> {agent_id, account_id, token, pat}",
        |s, a| {
            let id = a.str("id")?;
            let mut agent = crate::NewAgent::new(id, a.opt_str("name")?.unwrap_or(id)).groups(a.integers("groups")?);
            if a.opt_value("groups").is_none() {
                agent = agent.groups([0]);
            }
            if let Some(role) = a.opt_str("role")? {
                agent = agent.role(role);
            }
            let c = s.issue_agent(&agent)?;
            Ok(json!({"agent_id": c.agent_id, "account_id": c.account_id, "token": c.token, "pat": c.pat}))
        },
    ),
    post("/_lc/agents/token", "a new bearer token for an agent: {agent_id} -> {token}", |s, a| {
        let token = s.issue_agent_token(a.str("agent_id")?).ok_or_else(|| Refusal::not_found("Agent"))?;
        Ok(json!({ "token": token }))
    }),
    get(
        "/_lc/webhooks",
        "the webhook registrations (without secrets) and what became of their deliveries: -> {registrations, license_webhooks_disabled, deliveries}",
        |s, _| Ok(s.webhooks.overview()),
    ),
    get("/_lc/region", "the mock's region: -> {region}", |s, _| {
        Ok(json!({ "region": s.region() }))
    }),
    post("/_lc/region", "move the mock: {region}", |s, a| {
        let region = a.str("region")?;
        if !s.set_region(region) {
            let max = lc_types::Region::MAX_LEN;
            return Err(Refusal::validation(format!(
                "`region` must be 1 to {max} characters of a-z, 0-9 and -"
            )));
        }
        Ok(json!({ "region": region }))
    }),
    get(
        "/_lc/problems",
        "mock bugs seen so far: -> {problems: [...]} (assert empty)",
        |s, _| Ok(json!({ "problems": s.problems() })),
    ),
    get(
        "/_lc/requests",
        "requests received per action: -> {web: {action: n}, rtm: {action: n}}",
        |s, _| {
            let web = crate::lock(&s.web_requests).clone();
            let rtm = crate::lock(&s.rtm_requests).clone();
            Ok(json!({"web": web, "rtm": rtm}))
        },
    ),
    get(
        "/_lc/closes",
        "close codes of the Close frames RTM clients sent, oldest first (null: no code): -> {closes: [1000, ...]}",
        |s, _| Ok(json!({ "closes": *crate::lock(&s.client_closes) })),
    ),
    get("/_lc/agent", "the agent: -> {id}", |s, _| {
        Ok(json!({ "id": AgentControl::new(s).id() }))
    }),
    post("/_lc/agent/join", "{chat_id}", |s, a| {
        done(AgentControl::new(s).join(a.str("chat_id")?))
    }),
    post("/_lc/agent/leave", "{chat_id}", |s, a| {
        done(AgentControl::new(s).leave(a.str("chat_id")?))
    }),
    post("/_lc/agent/send_event", "{chat_id, event} -> {event_id}", |s, a| {
        event_id(AgentControl::new(s).send_event(a.str("chat_id")?, a.value("event")?))
    }),
    post("/_lc/agent/send_message", "{chat_id, text} -> {event_id}", |s, a| {
        event_id(AgentControl::new(s).send_message(a.str("chat_id")?, a.str("text")?))
    }),
    post(
        "/_lc/agent/send_rich_message",
        "{chat_id, template_id, elements} -> {event_id}",
        |s, a| {
            let elements = a.opt_value("elements").unwrap_or_else(|| json!([]));
            event_id(AgentControl::new(s).send_rich_message(a.str("chat_id")?, a.str("template_id")?, elements))
        },
    ),
    post(
        "/_lc/agent/send_file",
        "{chat_id, name, content_type, content | content_base64} -> {event_id}",
        |s, a| {
            let content_type = a.opt_str("content_type")?.unwrap_or("application/octet-stream");
            event_id(AgentControl::new(s).send_file(a.str("chat_id")?, a.str("name")?, content_type, &a.content()?))
        },
    ),
    post("/_lc/agent/edit_message", "{chat_id, event_id, text}", |s, a| {
        done(AgentControl::new(s).edit_message(a.str("chat_id")?, a.str("event_id")?, a.str("text")?))
    }),
    post(
        "/_lc/agent/update_properties",
        "{chat_id, thread_id?, event_id?, properties: {ns: {name: value}}}",
        |s, a| done(AgentControl::new(s).update_properties(&a.target()?, a.value("properties")?)),
    ),
    post(
        "/_lc/agent/delete_properties",
        "{chat_id, thread_id?, event_id?, properties: {ns: [name]}}",
        |s, a| done(AgentControl::new(s).delete_properties(&a.target()?, a.value("properties")?)),
    ),
    post(
        "/_lc/agent/transfer",
        "{chat_id, group_ids?, agent_ids?, queue?: {position, wait_time}}",
        |s, a| {
            let to = TransferTo {
                group_ids: a.integers("group_ids")?,
                agent_ids: a.strings("agent_ids")?,
            };
            let queue = match a.opt_value("queue") {
                None => None,
                Some(q) => {
                    let q = Args::json(
                        q.as_object()
                            .cloned()
                            .ok_or_else(|| Refusal::validation("`queue` must be an object"))?,
                    );
                    Some((q.u64("position", MAX_CONTROL_COUNT)?, q.u64("wait_time", MAX_CONTROL_COUNT)?))
                }
            };
            done(AgentControl::new(s).transfer(a.str("chat_id")?, &to, queue))
        },
    ),
    post("/_lc/agent/update_queue", "{chat_id, position, wait_time}", |s, a| {
        let (position, wait_time) = (a.u64("position", MAX_CONTROL_COUNT)?, a.u64("wait_time", MAX_CONTROL_COUNT)?);
        done(AgentControl::new(s).update_queue(a.str("chat_id")?, position, wait_time))
    }),
    post("/_lc/agent/greet", "{customer_id, text} -> {unique_id}", |s, a| {
        let id = AgentControl::new(s).greet(a.str("customer_id")?, a.str("text")?)?;
        Ok(json!({ "unique_id": id }))
    }),
    get(
        "/_lc/agent/greeting_status",
        "?unique_id= -> {status: pending|accepted|canceled|null}",
        |s, a| {
            let status = AgentControl::new(s).greeting_status(a.str("unique_id")?).map(status_name);
            Ok(json!({ "status": status }))
        },
    ),
    post("/_lc/agent/typing", "{chat_id, is_typing}", |s, a| {
        done(AgentControl::new(s).typing(a.str("chat_id")?, a.bool("is_typing")?))
    }),
    post("/_lc/agent/thinking", "{chat_id, title?}", |s, a| {
        done(AgentControl::new(s).thinking(a.str("chat_id")?, a.opt_str("title")?))
    }),
    post("/_lc/agent/event_preview", "{chat_id, text}", |s, a| {
        done(AgentControl::new(s).event_preview(a.str("chat_id")?, a.str("text")?))
    }),
    post("/_lc/agent/multicast", "{customer_ids?, content}", |s, a| {
        let ids = a.strings("customer_ids")?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        done(AgentControl::new(s).multicast(&ids, a.value("content")?))
    }),
    post("/_lc/agent/set_group_status", "{group_id, status}", |s, a| {
        done(AgentControl::new(s).set_group_status(a.i64("group_id")?, a.str("status")?))
    }),
    post("/_lc/agent/set_form", "{group_id, type, form?} (no form: disabled)", |s, a| {
        done(AgentControl::new(s).set_form(a.i64("group_id")?, a.str("type")?, a.opt_value("form")))
    }),
    post("/_lc/agent/set_license_properties", "{properties}", |s, a| {
        done(AgentControl::new(s).set_license_properties(a.value("properties")?))
    }),
    post("/_lc/agent/set_group_properties", "{group_id, properties}", |s, a| {
        done(AgentControl::new(s).set_group_properties(a.i64("group_id")?, a.value("properties")?))
    }),
    post(
        "/_lc/agent/update_side_storage",
        "{customer_id, storage} -> {customer_side_storage}",
        |s, a| {
            let stored = AgentControl::new(s).update_side_storage(a.str("customer_id")?, a.value("storage")?)?;
            Ok(json!({ "customer_side_storage": stored }))
        },
    ),
    post("/_lc/agent/verify_email", "{customer_id} -> {callback_uris}", |s, a| {
        let uris = AgentControl::new(s).verify_email(a.str("customer_id")?)?;
        Ok(json!({ "callback_uris": uris }))
    }),
    post(
        "/_lc/agent/start_chat",
        "{customer_id} -> {chat_id, thread_id} (a customer starts one chat; the agent side may open more, one active at a time)",
        |s, a| {
            let (chat, thread) = AgentControl::new(s).start_chat(a.str("customer_id")?)?;
            Ok(json!({"chat_id": chat, "thread_id": thread}))
        },
    ),
    post("/_lc/agent/deactivate_chat", "{chat_id}", |s, a| {
        done(AgentControl::new(s).deactivate_chat(a.str("chat_id")?))
    }),
    post("/_lc/agent/disconnect", "{customer_id, reason, data?} -> {connections}", |s, a| {
        let n = AgentControl::new(s).disconnect(a.str("customer_id")?, a.str("reason")?, a.opt_value("data"));
        Ok(json!({ "connections": n }))
    }),
    get("/_lc/agent/chats_of", "?customer_id= -> {chat_ids}", |s, a| {
        Ok(json!({ "chat_ids": AgentControl::new(s).chats_of(a.str("customer_id")?) }))
    }),
    get(
        "/_lc/agent/active_chat",
        "?customer_id= -> {chat_id, thread_id} (null when none)",
        |s, a| {
            let (chat, thread) = AgentControl::new(s).active_chat(a.str("customer_id")?).unzip();
            Ok(json!({"chat_id": chat, "thread_id": thread}))
        },
    ),
    get("/_lc/agent/sneak_peek", "?chat_id= -> {sneak_peek}", |s, a| {
        Ok(json!({ "sneak_peek": AgentControl::new(s).sneak_peek(a.str("chat_id")?) }))
    }),
    get("/_lc/agent/customer", "?customer_id= -> {customer}", |s, a| {
        Ok(json!({ "customer": AgentControl::new(s).customer(a.str("customer_id")?) }))
    }),
    get("/_lc/faults", "the faults in force", |s, _| faults_now(s)),
    post(
        "/_lc/faults/fail_next",
        "{type, count?: 1} (the answer lists runs: `fail_next: [{type, count}]`)",
        |s, a| {
            let count = a.opt_u64("count", MAX_CONTROL_COUNT)?.unwrap_or(1);
            // Any error type (a new one too), but one that can be one: it is kept and sent.
            let kind = a.str("type")?;
            if !(1..=MAX_ERROR_TYPE_LEN).contains(&kind.len())
                || !kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(Refusal::validation(format!(
                    "`type` must be 1 to {MAX_ERROR_TYPE_LEN} characters of a-z, 0-9 and _"
                )));
            }
            if !s.faults.fail_next(count, kind.into()) {
                let why = format!("At most {} runs of errors of different types wait at once", crate::MAX_FAULT_RUNS);
                return Err(Refusal::validation(why));
            }
            faults_now(s)
        },
    ),
    post("/_lc/faults/delay_responses", "{delay_ms} (0: none)", |s, a| {
        FaultControl::new(s).delay_responses(a.millis("delay_ms")?);
        faults_now(s)
    }),
    post("/_lc/faults/drop_responses", "{count}", |s, a| {
        FaultControl::new(s).drop_responses(a.u64("count", MAX_CONTROL_COUNT)?);
        faults_now(s)
    }),
    post("/_lc/faults/pad_next_response", "{len, chunked?: false}", |s, a| {
        let len = usize::try_from(a.u64("len", MAX_PAD_BYTES)?).map_err(|_| Refusal::validation("`len` is too large"))?;
        FaultControl::new(s).pad_next_response(len, a.opt_bool("chunked")?.unwrap_or(false));
        faults_now(s)
    }),
    post("/_lc/faults/close_after_login", "{count} (at most 1,000,000)", |s, a| {
        FaultControl::new(s).close_after_login(a.u64("count", MAX_CONTROL_COUNT)?);
        faults_now(s)
    }),
    post("/_lc/faults/refuse_connections", "{duration_ms}", |s, a| {
        FaultControl::new(s).refuse_connections(a.millis("duration_ms")?);
        faults_now(s)
    }),
    post("/_lc/faults/stall_connections", "{duration_ms}", |s, a| {
        FaultControl::new(s).stall_connections(a.millis("duration_ms")?);
        faults_now(s)
    }),
    get("/_lc/faults/max_in_flight", "-> {max_in_flight}", |s, _| {
        Ok(json!({ "max_in_flight": FaultControl::new(s).max_in_flight() }))
    }),
    post("/_lc/faults/drop_connections", "{}", |s, _| {
        FaultControl::new(s).drop_connections();
        Ok(json!({}))
    }),
    post("/_lc/faults/send_raw", "{customer_id, text} -> {connections}", |s, a| {
        let n = FaultControl::new(s).send_raw(a.str("customer_id")?, a.str("text")?);
        Ok(json!({ "connections": n }))
    }),
    post(
        "/_lc/faults/disconnect_agent",
        "{agent_id, reason, data?} -> {connections}",
        |s, a| {
            let n = FaultControl::new(s).disconnect_agent(a.str("agent_id")?, a.str("reason")?, a.opt_value("data"));
            Ok(json!({ "connections": n }))
        },
    ),
    post("/_lc/faults/clear", "{}", |s, _| {
        FaultControl::new(s).clear();
        faults_now(s)
    }),
];

/// Every endpoint's method and path (for the fuzz targets).
pub(crate) fn endpoint_list() -> Vec<(&'static str, &'static str)> {
    ENDPOINTS.iter().map(|e| (e.verb.as_str(), e.path)).collect()
}

/// Every endpoint as `METHOD /path`.
fn paths() -> Vec<String> {
    ENDPOINTS.iter().map(|e| format!("{} {}", e.verb.as_str(), e.path)).collect()
}

/// Answers one control request.
pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path().trim_end_matches('/');
    let path = if path.is_empty() { PREFIX } else { path };
    let at_path: Vec<&Endpoint> = ENDPOINTS.iter().filter(|e| e.path == path).collect();
    let allowed = || at_path.iter().map(|e| e.verb.as_str()).collect::<Vec<_>>();
    let result = match at_path.iter().find(|e| e.verb.as_str() == method.as_str()) {
        _ if at_path.is_empty() => {
            Err(Refusal::not_found(&format!("Control endpoint `{method} {path}`")).with_data(json!({ "paths": paths() })))
        }
        None => Err(Refusal::transport(
            405,
            format!("`{path}` is called with {}", allowed().join(" or ")),
        )),
        Some(endpoint) => match crate::web::read_body(&headers, body, MAX_CONTROL_BODY_BYTES, shared.body_read_timeout).await {
            Ok(body) => args(endpoint.verb, query.as_deref(), &body).and_then(|a| (endpoint.handler)(&shared, &a)),
            Err(e) => Err(e.refusal(|| {
                Refusal::new(
                    "entity_too_large",
                    format!("Request too large (more than {MAX_CONTROL_BODY_BYTES} bytes)."),
                )
            })),
        },
    };
    match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(r) => {
            let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = (status, axum::Json(r.envelope())).into_response();
            if status == StatusCode::METHOD_NOT_ALLOWED {
                if let Ok(v) = allowed().join(", ").parse() {
                    response.headers_mut().insert(header::ALLOW, v);
                }
            }
            response
        }
    }
}

/// The arguments: the query parameters of a `GET` (as strings), the JSON object of a `POST`
/// (an empty body is `{}`).
fn args(verb: Verb, query: Option<&str>, body: &[u8]) -> Result<Args, Refusal> {
    if verb == Verb::Get {
        let map = lc_types::web::parse_query(query.unwrap_or_default())
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        return Ok(Args { map, query: true });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Args::json(Map::new()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => {
            // What a control request may keep (properties, events, fields): bounded in shape
            // as well as in bytes, so no request makes the mock hold many times its size.
            let mut nodes = 0;
            for (key, value) in &map {
                let file = matches!(key.as_str(), "content" | "content_base64") && value.is_string();
                let checked = if file {
                    nodes += 1;
                    Ok(())
                } else {
                    within_shape(value, &mut nodes)
                };
                if let Err(path) = checked {
                    let path = lc_types::PeerText::new(&format!("{key}{path}")).max(200).to_string();
                    return Err(Refusal::validation(format!(
                        "`{path}` is too large: at most {MAX_CONTROL_LIST} keys or items per object or list, strings of {MAX_CONTROL_STRING} bytes, {MAX_CONTROL_NODES} values in all"
                    )));
                }
            }
            Ok(Args::json(map))
        }
        Ok(_) => Err(Refusal::validation("The body must be a JSON object")),
        Err(e) => Err(Refusal::validation(format!("The body is not JSON: {e}"))),
    }
}

/// A control request's arguments, with typed getters that refuse with `validation` naming the
/// argument.
struct Args {
    map: Map<String, Value>,
    /// From a query string, where every value is text: a number may be written as text there,
    /// never in a JSON body.
    query: bool,
}

impl Args {
    fn json(map: Map<String, Value>) -> Args {
        Args { map, query: false }
    }

    fn opt_str(&self, key: &str) -> Result<Option<&str>, Refusal> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Refusal::validation(format!("`{key}` must be a string"))),
        }
    }

    fn str(&self, key: &str) -> Result<&str, Refusal> {
        self.opt_str(key)?
            .ok_or_else(|| Refusal::validation(format!("`{key}` (a string) is required")))
    }

    /// An integer from 0 to `max`, if given: a larger one, a negative one, a fraction or (in
    /// a JSON body) text is refused naming the field and the bound.
    fn opt_u64(&self, key: &str, max: u64) -> Result<Option<u64>, Refusal> {
        let n = match self.map.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) if self.query => s.parse::<u64>().ok(),
            Some(_) => None,
        };
        match n {
            Some(n) if n <= max => Ok(Some(n)),
            _ => Err(Refusal::validation(format!(
                "`{key}` must be an integer from 0 to {max} (a JSON number, not text)"
            ))),
        }
    }

    fn u64(&self, key: &str, max: u64) -> Result<u64, Refusal> {
        self.opt_u64(key, max)?
            .ok_or_else(|| Refusal::validation(format!("`{key}` (an integer from 0 to {max}) is required")))
    }

    /// An integer from `-MAX_CONTROL_COUNT` to `MAX_CONTROL_COUNT`.
    fn i64(&self, key: &str) -> Result<i64, Refusal> {
        const MAX: i64 = MAX_CONTROL_COUNT as i64;
        let n = match self.map.get(key) {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) if self.query => s.parse::<i64>().ok(),
            _ => None,
        };
        n.filter(|n| (-MAX..=MAX).contains(n))
            .ok_or_else(|| Refusal::validation(format!("`{key}` (an integer from -{MAX} to {MAX}, a JSON number) is required")))
    }

    fn bool(&self, key: &str) -> Result<bool, Refusal> {
        match self.map.get(key) {
            Some(Value::Bool(b)) => Ok(*b),
            _ => Err(Refusal::validation(format!("`{key}` (true or false) is required"))),
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, Refusal> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Refusal::validation(format!("`{key}` must be true or false"))),
        }
    }

    fn value(&self, key: &str) -> Result<Value, Refusal> {
        self.opt_value(key)
            .ok_or_else(|| Refusal::validation(format!("`{key}` is required")))
    }

    fn opt_value(&self, key: &str) -> Option<Value> {
        self.map.get(key).filter(|v| !v.is_null()).cloned()
    }

    /// A duration in milliseconds, at most [`MAX_CONTROL_MILLIS`].
    fn millis(&self, key: &str) -> Result<Duration, Refusal> {
        self.u64(key, MAX_CONTROL_MILLIS).map(Duration::from_millis)
    }

    /// The list at `key` (absent: empty), at most [`MAX_CONTROL_LIST`] items.
    fn list(&self, key: &str, what: &str) -> Result<&[Value], Refusal> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) if a.len() <= MAX_CONTROL_LIST => Ok(a),
            Some(_) => Err(Refusal::validation(format!(
                "`{key}` must be a list of at most {MAX_CONTROL_LIST} {what}"
            ))),
        }
    }

    /// A list of strings (absent: empty).
    fn strings(&self, key: &str) -> Result<Vec<String>, Refusal> {
        let what = "strings";
        let bad = || Refusal::validation(format!("`{key}` must be a list of at most {MAX_CONTROL_LIST} {what}"));
        self.list(key, what)?
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect()
    }

    /// A list of integers, each from `-MAX_CONTROL_COUNT` to `MAX_CONTROL_COUNT` (absent: empty).
    fn integers(&self, key: &str) -> Result<Vec<i64>, Refusal> {
        const MAX: i64 = MAX_CONTROL_COUNT as i64;
        let what = format!("integers from -{MAX} to {MAX}");
        let bad = || Refusal::validation(format!("`{key}` must be a list of at most {MAX_CONTROL_LIST} {what}"));
        self.list(key, &what)?
            .iter()
            .map(|v| v.as_i64().filter(|n| (-MAX..=MAX).contains(n)).ok_or_else(bad))
            .collect()
    }

    /// `chat_id`, `thread_id`?, `event_id`? as a property target.
    fn target(&self) -> Result<Target, Refusal> {
        let chat = self.str("chat_id")?.to_owned();
        Ok(match (self.opt_str("thread_id")?, self.opt_str("event_id")?) {
            (None, None) => Target::Chat(chat),
            (Some(t), None) => Target::Thread(chat, t.to_owned()),
            (Some(t), Some(e)) => Target::Event(chat, t.to_owned(), e.to_owned()),
            (None, Some(_)) => return Err(Refusal::validation("`event_id` needs `thread_id`")),
        })
    }

    /// The file content: `content` (UTF-8 text) or `content_base64`.
    fn content(&self) -> Result<Vec<u8>, Refusal> {
        match (self.opt_str("content")?, self.opt_str("content_base64")?) {
            (Some(text), None) => Ok(text.as_bytes().to_vec()),
            (None, Some(b64)) => base64(b64).ok_or_else(|| Refusal::validation("`content_base64` is not base64")),
            _ => Err(Refusal::validation("One of `content` or `content_base64` is required")),
        }
    }
}

/// Decodes standard base64 (padding optional, whitespace ignored).
pub(crate) fn base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Standard base64 with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn status_name(status: GreetingStatus) -> &'static str {
    match status {
        GreetingStatus::Pending => "pending",
        GreetingStatus::Accepted => "accepted",
        GreetingStatus::Canceled => "canceled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes() {
        assert_eq!(base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64("AAEC/w==").unwrap(), [0, 1, 2, 255]);
        assert!(base64("a*b").is_none());
        for text in [&b""[..], b"h", b"he", b"hel", b"hello", &[0, 1, 2, 255]] {
            assert_eq!(base64(&base64_encode(text)).unwrap(), text);
        }
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
    }

    /// The README's table of control endpoints, row by row: (method, path, about), the cells
    /// read as text (code spans unquoted, Markdown escapes undone).
    fn documented() -> Vec<(String, String, String)> {
        include_str!("../README.md")
            .lines()
            .filter(|l| l.starts_with("| `GET` | `/_lc") || l.starts_with("| `POST` | `/_lc"))
            .map(|row| {
                let row = row.replace("\\|", "\u{1}");
                let cells: Vec<String> = row
                    .trim_matches('|')
                    .split(" | ")
                    .map(|c| c.trim().replace('\u{1}', "|").replace("\\[", "[").replace("\\]", "]"))
                    .collect();
                assert_eq!(cells.len(), 3, "{row}");
                (
                    cells[0].trim_matches('`').to_owned(),
                    cells[1].trim_matches('`').to_owned(),
                    cells[2].clone(),
                )
            })
            .collect()
    }

    /// The README's table is the endpoint table: the same endpoints, in the same order, with
    /// the same words.
    #[test]
    fn the_readme_documents_every_endpoint() {
        let table: Vec<(String, String, String)> = ENDPOINTS
            .iter()
            .map(|e| (e.verb.as_str().to_owned(), e.path.to_owned(), e.about.to_owned()))
            .collect();
        let rows: Vec<String> = ENDPOINTS
            .iter()
            .map(|e| format!("| `{}` | `{}` | {} |", e.verb.as_str(), e.path, e.about.replace('|', "\\|")))
            .collect();
        assert_eq!(documented(), table, "the README's table should be:\n{}", rows.join("\n"));
    }
}

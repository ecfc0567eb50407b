//! The HTTP control API under `/_lc` (documented in the crate docs): what
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

/// One control endpoint: its method, path and what it does.
struct Endpoint {
    method: Method,
    path: &'static str,
    about: &'static str,
}

macro_rules! endpoints {
    ($($method:ident $path:literal => $about:literal,)*) => {
        /// Every control endpoint, in the order the index lists them.
        fn endpoints() -> Vec<Endpoint> {
            vec![$(Endpoint { method: Method::$method, path: $path, about: $about },)*]
        }
    };
}

endpoints! {
    GET "/_lc" => "this list",
    GET "/_lc/info" => "base_url, control_url, organization_id, region, versions, URL templates, agent_id",
    POST "/_lc/customers" => "a new customer: {} -> {id, token}",
    POST "/_lc/tokens" => "a new token for a customer: {customer_id} -> {token}",
    POST "/_lc/tokens/expire" => "expire a token now: {token}",
    GET "/_lc/region" => "the mock's region: -> {region}",
    POST "/_lc/region" => "move the mock: {region}",
    GET "/_lc/problems" => "mock bugs seen so far: -> {problems: [...]} (assert empty)",
    GET "/_lc/requests" => "requests received per action: -> {web: {action: n}, rtm: {action: n}}",
    GET "/_lc/closes" => "close codes of the Close frames RTM clients sent, oldest first (null: no code): -> {closes: [1000, ...]}",
    GET "/_lc/agent" => "the agent: -> {id}",
    POST "/_lc/agent/join" => "{chat_id}",
    POST "/_lc/agent/leave" => "{chat_id}",
    POST "/_lc/agent/send_event" => "{chat_id, event} -> {event_id}",
    POST "/_lc/agent/send_message" => "{chat_id, text} -> {event_id}",
    POST "/_lc/agent/send_rich_message" => "{chat_id, template_id, elements} -> {event_id}",
    POST "/_lc/agent/send_file" => "{chat_id, name, content_type, content | content_base64} -> {event_id}",
    POST "/_lc/agent/edit_message" => "{chat_id, event_id, text}",
    POST "/_lc/agent/update_properties" => "{chat_id, thread_id?, event_id?, properties: {ns: {name: value}}}",
    POST "/_lc/agent/delete_properties" => "{chat_id, thread_id?, event_id?, properties: {ns: [name]}}",
    POST "/_lc/agent/transfer" => "{chat_id, group_ids?, agent_ids?, queue?: {position, wait_time}}",
    POST "/_lc/agent/update_queue" => "{chat_id, position, wait_time}",
    POST "/_lc/agent/greet" => "{customer_id, text} -> {unique_id}",
    GET "/_lc/agent/greeting_status" => "?unique_id= -> {status: pending|accepted|canceled|null}",
    POST "/_lc/agent/typing" => "{chat_id, is_typing}",
    POST "/_lc/agent/thinking" => "{chat_id, title?}",
    POST "/_lc/agent/event_preview" => "{chat_id, text}",
    POST "/_lc/agent/multicast" => "{customer_ids?, content}",
    POST "/_lc/agent/set_group_status" => "{group_id, status}",
    POST "/_lc/agent/set_form" => "{group_id, type, form?} (no form: disabled)",
    POST "/_lc/agent/set_license_properties" => "{properties}",
    POST "/_lc/agent/set_group_properties" => "{group_id, properties}",
    POST "/_lc/agent/update_side_storage" => "{customer_id, storage} -> {customer_side_storage}",
    POST "/_lc/agent/verify_email" => "{customer_id} -> {callback_uris}",
    POST "/_lc/agent/start_chat" => "{customer_id} -> {chat_id, thread_id}",
    POST "/_lc/agent/deactivate_chat" => "{chat_id}",
    POST "/_lc/agent/disconnect" => "{customer_id, reason, data?} -> {connections}",
    GET "/_lc/agent/chats_of" => "?customer_id= -> {chat_ids}",
    GET "/_lc/agent/active_chat" => "?customer_id= -> {chat_id, thread_id} (null when none)",
    GET "/_lc/agent/sneak_peek" => "?chat_id= -> {sneak_peek}",
    GET "/_lc/agent/customer" => "?customer_id= -> {customer}",
    GET "/_lc/faults" => "the faults in force",
    POST "/_lc/faults/fail_next" => "{type, count?: 1}",
    POST "/_lc/faults/delay_responses" => "{delay_ms} (0: none)",
    POST "/_lc/faults/drop_responses" => "{count}",
    POST "/_lc/faults/pad_next_response" => "{len, chunked?: false}",
    POST "/_lc/faults/close_after_login" => "{count} (at most 1,000,000)",
    POST "/_lc/faults/refuse_connections" => "{duration_ms}",
    POST "/_lc/faults/stall_connections" => "{duration_ms}",
    GET "/_lc/faults/max_in_flight" => "-> {max_in_flight}",
    POST "/_lc/faults/drop_connections" => "{}",
    POST "/_lc/faults/send_raw" => "{customer_id, text} -> {connections}",
    POST "/_lc/faults/clear" => "{}",
}

/// Every endpoint's method and path (for the fuzz targets).
pub(crate) fn endpoint_list() -> Vec<(&'static str, &'static str)> {
    endpoints()
        .iter()
        .map(|e| (if e.method == Method::GET { "GET" } else { "POST" }, e.path))
        .collect()
}

/// Every endpoint as `METHOD /path`.
fn paths() -> Vec<String> {
    endpoints().iter().map(|e| format!("{} {}", e.method, e.path)).collect()
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
    let all = endpoints();
    let at_path: Vec<&Endpoint> = all.iter().filter(|e| e.path == path).collect();
    let result = if at_path.is_empty() {
        Err(Refusal::not_found(&format!("Control endpoint `{method} {path}`")).with_data(json!({ "paths": paths() })))
    } else if !at_path.iter().any(|e| e.method == method) {
        let allowed: Vec<String> = at_path.iter().map(|e| e.method.to_string()).collect();
        let message = format!("`{path}` is called with {}", allowed.join(" or "));
        Err(Refusal::transport(405, message))
    } else {
        match crate::web::read_body(&headers, body, MAX_CONTROL_BODY_BYTES, shared.body_read_timeout).await {
            Ok(body) => args(&method, query.as_deref(), &body).and_then(|a| answer(&shared, &method, path, &a)),
            Err(e) => Err(e.refusal(|| {
                Refusal::new(
                    "entity_too_large",
                    format!("Request too large (more than {MAX_CONTROL_BODY_BYTES} bytes)."),
                )
            })),
        }
    };
    match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(r) => {
            let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = (status, axum::Json(r.envelope())).into_response();
            if status == StatusCode::METHOD_NOT_ALLOWED {
                let allowed: Vec<String> = all.iter().filter(|e| e.path == path).map(|e| e.method.to_string()).collect();
                if let Ok(v) = allowed.join(", ").parse() {
                    response.headers_mut().insert(header::ALLOW, v);
                }
            }
            response
        }
    }
}

/// The arguments: the query parameters of a `GET` (as strings), the JSON object of a `POST`
/// (an empty body is `{}`).
fn args(method: &Method, query: Option<&str>, body: &[u8]) -> Result<Args, Refusal> {
    if *method == Method::GET {
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
fn base64(text: &str) -> Option<Vec<u8>> {
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

fn status_name(status: GreetingStatus) -> &'static str {
    match status {
        GreetingStatus::Pending => "pending",
        GreetingStatus::Accepted => "accepted",
        GreetingStatus::Canceled => "canceled",
    }
}

/// Runs one control request.
fn answer(shared: &Shared, method: &Method, path: &str, a: &Args) -> Result<Value, Refusal> {
    let agent = AgentControl::new(shared);
    let faults = FaultControl::new(shared);
    let done = |r: Result<(), Refusal>| r.map(|()| json!({}));
    let event_id = |r: Result<String, Refusal>| r.map(|id| json!({ "event_id": id }));
    let name = path.strip_prefix(PREFIX).unwrap_or(path).trim_start_matches('/');
    match (method.as_str(), name) {
        ("GET", "") => {
            let list: Vec<Value> = endpoints()
                .iter()
                .map(|e| json!({"method": e.method.as_str(), "path": e.path, "about": e.about}))
                .collect();
            Ok(json!({ "endpoints": list }))
        }
        ("GET", "info") => {
            let base = shared.origin();
            let versions: Vec<String> = lc_types::apis().iter().map(|a| a.version.to_string()).collect();
            Ok(json!({
                "base_url": base, "control_url": format!("{base}{PREFIX}"),
                "organization_id": shared.organization_id, "region": shared.region(), "versions": versions,
                "web_url": format!("{base}/v{{version}}/customer/action"),
                "rtm_url": format!("{}/v{{version}}/customer/rtm/ws", shared.ws_origin()),
                "agent_id": agent.id(),
            }))
        }
        ("POST", "customers") => {
            let (id, token) = shared.issue_token(None);
            Ok(json!({"id": id, "token": token}))
        }
        ("POST", "tokens") => {
            let id = a.str("customer_id")?;
            if !crate::lock(&shared.state).customers.contains_key(id) {
                return Err(Refusal::not_found("Customer"));
            }
            Ok(json!({ "token": shared.issue_token(Some(id)).1 }))
        }
        ("POST", "tokens/expire") => {
            // Only a token the mock issued (each has its expiry): any other text was kept.
            if !shared.expire_token(a.str("token")?) {
                return Err(Refusal::not_found("Token"));
            }
            Ok(json!({}))
        }
        ("GET", "region") => Ok(json!({ "region": shared.region() })),
        ("POST", "region") => {
            let region = a.str("region")?;
            if !shared.set_region(region) {
                let max = lc_types::Region::MAX_LEN;
                return Err(Refusal::validation(format!(
                    "`region` must be 1 to {max} characters of a-z, 0-9 and -"
                )));
            }
            Ok(json!({ "region": region }))
        }
        ("GET", "problems") => Ok(json!({ "problems": shared.problems() })),
        ("GET", "closes") => Ok(json!({ "closes": *crate::lock(&shared.client_closes) })),
        ("GET", "requests") => {
            let web = crate::lock(&shared.web_requests).clone();
            let rtm = crate::lock(&shared.rtm_requests).clone();
            Ok(json!({"web": web, "rtm": rtm}))
        }
        ("GET", "agent") => Ok(json!({ "id": agent.id() })),
        ("POST", "agent/join") => done(agent.join(a.str("chat_id")?)),
        ("POST", "agent/leave") => done(agent.leave(a.str("chat_id")?)),
        ("POST", "agent/send_event") => event_id(agent.send_event(a.str("chat_id")?, a.value("event")?)),
        ("POST", "agent/send_message") => event_id(agent.send_message(a.str("chat_id")?, a.str("text")?)),
        ("POST", "agent/send_rich_message") => event_id(agent.send_rich_message(
            a.str("chat_id")?,
            a.str("template_id")?,
            a.opt_value("elements").unwrap_or_else(|| json!([])),
        )),
        ("POST", "agent/send_file") => {
            let content_type = a.opt_str("content_type")?.unwrap_or("application/octet-stream");
            event_id(agent.send_file(a.str("chat_id")?, a.str("name")?, content_type, &a.content()?))
        }
        ("POST", "agent/edit_message") => done(agent.edit_message(a.str("chat_id")?, a.str("event_id")?, a.str("text")?)),
        ("POST", "agent/update_properties") => done(agent.update_properties(&a.target()?, a.value("properties")?)),
        ("POST", "agent/delete_properties") => done(agent.delete_properties(&a.target()?, a.value("properties")?)),
        ("POST", "agent/transfer") => {
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
            done(agent.transfer(a.str("chat_id")?, &to, queue))
        }
        ("POST", "agent/update_queue") => done(agent.update_queue(
            a.str("chat_id")?,
            a.u64("position", MAX_CONTROL_COUNT)?,
            a.u64("wait_time", MAX_CONTROL_COUNT)?,
        )),
        ("POST", "agent/greet") => agent
            .greet(a.str("customer_id")?, a.str("text")?)
            .map(|id| json!({ "unique_id": id })),
        ("GET", "agent/greeting_status") => {
            let status = agent.greeting_status(a.str("unique_id")?).map(status_name);
            Ok(json!({ "status": status }))
        }
        ("POST", "agent/typing") => done(agent.typing(a.str("chat_id")?, a.bool("is_typing")?)),
        ("POST", "agent/thinking") => done(agent.thinking(a.str("chat_id")?, a.opt_str("title")?)),
        ("POST", "agent/event_preview") => done(agent.event_preview(a.str("chat_id")?, a.str("text")?)),
        ("POST", "agent/multicast") => {
            let ids = a.strings("customer_ids")?;
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            done(agent.multicast(&ids, a.value("content")?))
        }
        ("POST", "agent/set_group_status") => done(agent.set_group_status(a.i64("group_id")?, a.str("status")?)),
        ("POST", "agent/set_form") => done(agent.set_form(a.i64("group_id")?, a.str("type")?, a.opt_value("form"))),
        ("POST", "agent/set_license_properties") => done(agent.set_license_properties(a.value("properties")?)),
        ("POST", "agent/set_group_properties") => done(agent.set_group_properties(a.i64("group_id")?, a.value("properties")?)),
        ("POST", "agent/update_side_storage") => agent
            .update_side_storage(a.str("customer_id")?, a.value("storage")?)
            .map(|stored| json!({ "customer_side_storage": stored })),
        ("POST", "agent/verify_email") => agent
            .verify_email(a.str("customer_id")?)
            .map(|uris| json!({ "callback_uris": uris })),
        ("POST", "agent/start_chat") => agent
            .start_chat(a.str("customer_id")?)
            .map(|(chat, thread)| json!({"chat_id": chat, "thread_id": thread})),
        ("POST", "agent/deactivate_chat") => done(agent.deactivate_chat(a.str("chat_id")?)),
        ("POST", "agent/disconnect") => {
            let n = agent.disconnect(a.str("customer_id")?, a.str("reason")?, a.opt_value("data"));
            Ok(json!({ "connections": n }))
        }
        ("GET", "agent/chats_of") => Ok(json!({ "chat_ids": agent.chats_of(a.str("customer_id")?) })),
        ("GET", "agent/active_chat") => {
            let (chat, thread) = agent.active_chat(a.str("customer_id")?).unzip();
            Ok(json!({"chat_id": chat, "thread_id": thread}))
        }
        ("GET", "agent/sneak_peek") => Ok(json!({ "sneak_peek": agent.sneak_peek(a.str("chat_id")?) })),
        ("GET", "agent/customer") => Ok(json!({ "customer": agent.customer(a.str("customer_id")?) })),
        ("GET", "faults") => Ok(shared.faults.snapshot()),
        ("POST", "faults/fail_next") => {
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
            if !shared.faults.fail_next(count, kind.into()) {
                let why = format!("At most {} runs of errors of different types wait at once", crate::MAX_FAULT_RUNS);
                return Err(Refusal::validation(why));
            }
            Ok(shared.faults.snapshot())
        }
        ("POST", "faults/delay_responses") => {
            faults.delay_responses(a.millis("delay_ms")?);
            Ok(shared.faults.snapshot())
        }
        ("POST", "faults/drop_responses") => {
            faults.drop_responses(a.u64("count", MAX_CONTROL_COUNT)?);
            Ok(shared.faults.snapshot())
        }
        ("POST", "faults/pad_next_response") => {
            let len = usize::try_from(a.u64("len", MAX_PAD_BYTES)?).map_err(|_| Refusal::validation("`len` is too large"))?;
            faults.pad_next_response(len, a.opt_bool("chunked")?.unwrap_or(false));
            Ok(shared.faults.snapshot())
        }
        ("POST", "faults/close_after_login") => {
            faults.close_after_login(a.u64("count", MAX_CONTROL_COUNT)?);
            Ok(shared.faults.snapshot())
        }
        ("POST", "faults/refuse_connections") => {
            faults.refuse_connections(a.millis("duration_ms")?);
            Ok(shared.faults.snapshot())
        }
        ("POST", "faults/stall_connections") => {
            faults.stall_connections(a.millis("duration_ms")?);
            Ok(shared.faults.snapshot())
        }
        ("GET", "faults/max_in_flight") => Ok(json!({ "max_in_flight": faults.max_in_flight() })),
        ("POST", "faults/drop_connections") => {
            faults.drop_connections();
            Ok(json!({}))
        }
        ("POST", "faults/send_raw") => {
            let n = faults.send_raw(a.str("customer_id")?, a.str("text")?);
            Ok(json!({ "connections": n }))
        }
        ("POST", "faults/clear") => {
            faults.clear();
            Ok(shared.faults.snapshot())
        }
        _ => Err(shared.problem(Refusal::mock_bug(format!("control endpoint `{method} {path}` has no handler")))),
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
    }

    /// The public methods of an `impl` block in `source` (the block starting at `start`).
    fn methods(source: &str, start: &str) -> Vec<String> {
        let block = &source[source.find(start).expect("the impl block")..];
        let block = &block[..block.find("\n}\n").expect("its end")];
        block
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub fn "))
            .map(|l| l.split(['(', '<']).next().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn every_agent_and_fault_method_has_an_endpoint() {
        let paths: Vec<&str> = endpoints().iter().map(|e| e.path).collect();
        let agent = methods(include_str!("agent.rs"), "impl<'a> AgentControl<'a>");
        let faults = methods(include_str!("faults.rs"), "impl<'a> FaultControl<'a>");
        assert!(agent.len() > 25 && faults.len() > 8, "{agent:?} {faults:?}");
        for m in agent {
            let path = if m == "id" {
                "/_lc/agent".to_owned()
            } else {
                format!("/_lc/agent/{m}")
            };
            assert!(paths.contains(&path.as_str()), "no endpoint for AgentControl::{m}");
        }
        for m in faults {
            assert!(
                paths.contains(&format!("/_lc/faults/{m}").as_str()),
                "no endpoint for FaultControl::{m}"
            );
        }
    }

    #[test]
    fn every_endpoint_is_documented_in_the_crate_docs() {
        let docs = include_str!("lib.rs");
        for e in endpoints() {
            let row = format!("| `{}` | `{}` |", e.method, e.path);
            assert!(docs.contains(&row), "crate docs lack the row {row}");
        }
    }
}

//! Running one change of state, for a customer request (Web or RTM) or for the agent control
//! API: the request is validated, the change runs on a copy of the state, its response and
//! pushes are rendered in their versions through the `lc-types` structs (and checked against
//! the JSON Schemas), and only then is the copy kept and the pushes sent.

use lc_types::{ApiVersion, ChatApi, JsonPath, PathSegment};
use serde_json::Value;

use crate::ctx::{Ctx, PushOut, To};
use crate::error::Refusal;
use crate::hub::{Conn, Out};
use crate::schemas::Kind;
use crate::Shared;

/// The push that answers each action on the requester's own connection: the one push of the
/// change that carries the request's `request_id` there. Every other push (a system message,
/// a greeting or queue change that follows, the same push on the customer's other
/// connections) carries none. Pushes leave after the response.
///
/// The evidence, where the docs only say "`request_id` only for the requester": the official
/// browser SDK (@livechat/customer-sdk 4.0.2, `dist/customer-sdk.cjs.js`, its socket
/// listener) ignores the responses of `start_chat`, `resume_chat` and `send_event` and settles
/// those calls with the `incoming_chat` / `incoming_event` push that carries their
/// `request_id` ("requests with indirect responses"), in either order; and it looks up the
/// request of *every* `incoming_chat` or `incoming_event` that carries a `request_id`,
/// throwing when there is none. So the real server cannot give its `request_id` to the
/// system `incoming_event` that `deactivate_chat` causes (the SDK would throw on every chat a
/// customer closes): only the push that reports the request's own change carries it. Other
/// pushes with a `request_id` reach the SDK's ordinary push handler, which ignores the ID.
pub(crate) const ANSWERING_PUSHES: &[(&str, &str)] = &[
    ("start_chat", "incoming_chat"),
    ("resume_chat", "incoming_chat"),
    ("send_event", "incoming_event"),
    ("deactivate_chat", "chat_deactivated"),
    ("delete_event", "event_deleted"),
    ("mark_events_as_seen", "events_marked_as_seen"),
    ("update_customer", "customer_updated"),
    ("send_rich_message_postback", "incoming_rich_message_postback"),
    ("update_chat_properties", "chat_properties_updated"),
    ("delete_chat_properties", "chat_properties_deleted"),
    ("update_thread_properties", "thread_properties_updated"),
    ("delete_thread_properties", "thread_properties_deleted"),
    ("update_event_properties", "event_properties_updated"),
    ("delete_event_properties", "event_properties_deleted"),
    ("accept_greeting", "greeting_accepted"),
    ("cancel_greeting", "greeting_canceled"),
    ("request_welcome_message", "incoming_welcome_message"),
];

/// The push that answers `action` (see [`ANSWERING_PUSHES`]).
pub(crate) fn answering_push(action: &str) -> Option<&'static str> {
    ANSWERING_PUSHES.iter().find(|(a, _)| *a == action).map(|(_, push)| *push)
}

/// Who sent a request, so that the push answering it carries its `request_id` on its own
/// connection.
#[derive(Clone, Debug, Default)]
pub(crate) struct Caller {
    pub conn: Option<u64>,
    pub request_id: Option<String>,
    /// The Client ID the caller's token was issued for (a customer's, from the accounts
    /// service); `None` for the mock's own credentials and the control API (`system` to a
    /// webhook's `source_type` filter).
    pub client_id: Option<String>,
}

/// Validates `payload` against the request schema of `action` in `api`'s `version`.
pub(crate) fn validate_request(shared: &Shared, api: ChatApi, version: ApiVersion, action: &str, payload: &Value) -> Result<(), Refusal> {
    match shared.schemas.check(api, version, Kind::Request, action, payload) {
        Ok(None) => Ok(()),
        Ok(Some(problem)) => {
            // JSON Schema reports a broken union member at the union (`/event`); the lc-types
            // decoder follows the `type` tag to the field (`event.text`), so both are named.
            let decoded = lc_types::api(api, version).map(|api| (api.decode_request)(action, &payload.to_string()));
            let detail = match decoded {
                Some(Err(e)) => format!("; at `{}`: {}", e.path(), e.message()),
                _ => String::new(),
            };
            Err(Refusal::validation(format!("Wrong format of request: {problem}{detail}")))
        }
        Err(e) => Err(shared.problem(Refusal::mock_bug(format!("schema: {e}")))),
    }
}

/// The next injected error ([`FaultControl::fail_next`](crate::FaultControl::fail_next)), if one is pending: every customer
/// action (`upload_file` too) fails with it before doing anything.
pub(crate) fn injected_fault(shared: &Shared) -> Result<(), Refusal> {
    match shared.faults.take_error() {
        Some(kind) => {
            let message = format!("Injected fault: {kind}");
            Err(Refusal::new(kind, message))
        }
        None => Ok(()),
    }
}

/// Runs a customer action: faults, schema validation, then [`transact`].
pub(crate) fn execute(
    shared: &Shared,
    version: ApiVersion,
    action: &str,
    customer: &str,
    payload: &Value,
    caller: &Caller,
) -> Result<Value, Refusal> {
    injected_fault(shared)?;
    validate_request(shared, ChatApi::Customer, version, action, payload)?;
    let payload = known_part(ChatApi::Customer, version, action, payload)?;
    transact(shared, version, customer, Some(action), caller, |ctx| {
        crate::actions::run(ctx, action, &payload)
    })
}

/// Runs an Agent Chat API action for `agent` (Web or RTM): faults, schema validation, then the
/// change, its response rendered and checked as the agent API's.
pub(crate) fn execute_agent(
    shared: &Shared,
    version: ApiVersion,
    action: &str,
    agent: &str,
    payload: &Value,
    caller: &Caller,
) -> Result<Value, Refusal> {
    injected_fault(shared)?;
    validate_request(shared, ChatApi::Agent, version, action, payload)?;
    let payload = known_part(ChatApi::Agent, version, action, payload)?;
    transact_as(shared, ChatApi::Agent, version, "", Some(action), caller, |ctx| {
        crate::agent_api::run(ctx, agent, action, &payload)
    })
}

/// The request as the API reads it: every field its version's request type does not know is
/// left out, at any depth (the real API ignores such fields), so none can reach the state and
/// poison later reads (an `update_customer` with `{"type": "message"}` once turned the
/// customer into a message). The fields are found by the `lc-types` request type's
/// [`Unknowns`](lc_types::Unknowns), by the segments of their paths; one that cannot be found
/// again in the payload (a mock bug) refuses the request rather than keep it.
///
/// A request the schema accepts but its type does not is refused too: JSON Schema's `integer`
/// takes `2.0` and `6.7e22` (whole numbers), which no `i64` field reads, so kept in the state
/// they made every later read fail (found by the `mock_stateful` fuzz target).
fn known_part(api: ChatApi, version: ApiVersion, action: &str, payload: &Value) -> Result<Value, Refusal> {
    use lc_types::{UnknownKind, Unknowns};
    let text = payload.to_string();
    let refused = |e: lc_types::DecodeError| Refusal::validation(format!("Wrong format of request: at `{}`: {}", e.path(), e.message()));
    let unknowns = match api {
        ChatApi::Agent => {
            let decode = lc_types::api(api, version)
                .ok_or_else(|| Refusal::mock_bug("version not built"))?
                .decode_request;
            decode(action, &text).map_err(refused)?.unknowns()
        }
        _ => lc_types::VersionedRequest::decode(&version.to_string(), action, &text)
            .map_err(refused)?
            .unknowns(),
    };
    let mut known = payload.clone();
    for unknown in unknowns {
        let UnknownKind::Field(name) = &unknown.kind else { continue };
        let removed = object_at(&mut known, &unknown.path).and_then(|o| o.remove(name));
        if removed.is_none() {
            return Err(Refusal::validation(format!("Unsupported field `{name}` at `{}`", unknown.path)));
        }
    }
    Ok(known)
}

/// The object at `path` inside `value`, if there is one.
fn object_at<'a>(value: &'a mut Value, path: &JsonPath) -> Option<&'a mut serde_json::Map<String, Value>> {
    let mut here = value;
    for segment in path.segments() {
        here = match segment {
            PathSegment::Field(name) => here.get_mut(name)?,
            PathSegment::Index(i) => here.get_mut(i)?,
        };
    }
    here.as_object_mut()
}

/// Runs `change` on a copy of the state; when it succeeds and its response (for `action`, when
/// given) and pushes render in their versions, keeps the copy and sends the pushes.
pub(crate) fn transact(
    shared: &Shared,
    version: ApiVersion,
    customer: &str,
    action: Option<&str>,
    caller: &Caller,
    change: impl FnOnce(&mut Ctx) -> Result<Value, Refusal>,
) -> Result<Value, Refusal> {
    transact_as(shared, ChatApi::Customer, version, customer, action, caller, change)
}

/// [`transact`], the response rendered as `api`'s.
pub(crate) fn transact_as(
    shared: &Shared,
    api: ChatApi,
    version: ApiVersion,
    customer: &str,
    action: Option<&str>,
    caller: &Caller,
    change: impl FnOnce(&mut Ctx) -> Result<Value, Refusal>,
) -> Result<Value, Refusal> {
    let mut state = crate::lock(&shared.state);
    let mut scratch = state.clone();
    let mut ctx = Ctx {
        state: &mut scratch,
        version,
        customer: customer.to_owned(),
        pushes: Vec::new(),
        client_id: caller.client_id.clone(),
    };
    let response = change(&mut ctx)?;
    let pushes = std::mem::take(&mut ctx.pushes);
    let response = match action {
        Some(action) => render(shared, api, version, Kind::Response, action, response)
            .map_err(|e| shared.problem(Refusal::mock_bug(format!("response of `{action}` in v{version}: {e}"))))?,
        None => response,
    };
    let frames = push_frames(shared, &pushes, caller, action.and_then(answering_push))?;
    *state = scratch;
    shared.webhooks.deliver(shared, &state, &pushes, caller.client_id.as_deref());
    // Sent while the state is still locked, so pushes leave in the order their changes were kept.
    for (conn, frame) in frames {
        let _ = conn.tx.send(Out::Text(frame));
    }
    Ok(response)
}

/// Every frame the pushes make, per connection: one per subscribed version that has the push,
/// in the API of the connection (a customer's push rendered as the Customer Chat API's, an
/// agent's as the Agent Chat API's). Only the first push named `answer` that reaches the
/// caller's connection carries the caller's `request_id`, there (in each version's frame).
fn push_frames(shared: &Shared, pushes: &[PushOut], caller: &Caller, answer: Option<&str>) -> Result<Vec<(Conn, String)>, Refusal> {
    let mut frames = Vec::new();
    let mut answered = false;
    for push in pushes {
        let (api, conns) = match &push.to {
            To::Customer(customer) => (ChatApi::Customer, shared.hub.connections_of(customer)),
            To::Webhooks => continue,
            To::Agents(agents) => (
                ChatApi::Agent,
                agents.iter().flat_map(|a| shared.hub.agent_connections(a)).collect(),
            ),
        };
        let mut answering = false;
        // Rendered once per version, whatever the number of connections.
        let mut rendered: Vec<(ApiVersion, Value)> = Vec::new();
        for conn in conns {
            for version in conn.versions_for(push.name) {
                let payload = match rendered.iter().find(|(v, _)| *v == version) {
                    Some((_, p)) => p.clone(),
                    None => {
                        let p = render(shared, api, version, Kind::Push, push.name, push.payload.clone())
                            .map_err(|e| shared.problem(Refusal::mock_bug(format!("push `{}` in v{version}: {e}", push.name))))?;
                        rendered.push((version, p.clone()));
                        p
                    }
                };
                // Every version's frame of that push carries it.
                let answers = !answered && answer == Some(push.name) && caller.conn == Some(conn.id);
                answering |= answers;
                let request_id = caller.request_id.as_deref().filter(|_| answers);
                frames.push((conn.clone(), push_frame(version, request_id, push.name, payload)));
            }
        }
        answered |= answering;
    }
    Ok(frames)
}

/// `{"version", "request_id"?, "action", "type": "push", "payload"}`, through `lc_types`'
/// [`PushFrame`](lc_types::PushFrame), the frame clients decode.
pub(crate) fn push_frame(version: ApiVersion, request_id: Option<&str>, name: &str, payload: Value) -> String {
    let frame = lc_types::PushFrame::from_parts(version, name, &payload, request_id.map(str::to_owned)).expect("a JSON value is JSON");
    serde_json::to_string(&frame).expect("a frame is JSON")
}

/// Renders a response or push payload in `version`: it must decode with that version's
/// `lc-types` struct, which decides what the version shows. Unknown fields are data a newer
/// version stored (a 3.6 customer's `address` read over 3.5) and are left out, as a versioned
/// server does; anything else unknown, or a failure to decode, is a mock bug. Under
/// `Config::check_schemas` the result is also validated against the version's JSON Schema.
pub(crate) fn render(
    shared: &Shared,
    chat_api: ChatApi,
    version: ApiVersion,
    kind: Kind,
    name: &str,
    value: Value,
) -> Result<Value, String> {
    let api = lc_types::api(chat_api, version).ok_or("version not built")?;
    let text = value.to_string();
    let decoded: Box<dyn lc_types::Decoded> = match kind {
        Kind::Response => (api.decode_response)(name, &text),
        Kind::Push => (api.decode_push)(name, &text),
        Kind::Request => (api.decode_request)(name, &text),
        Kind::Webhook => return render_webhook(shared, version, name, value),
    }
    .map_err(|e| format!("does not decode: {e}"))?;
    let out = known_json(&*decoded)?;
    check_schema(shared, chat_api, version, kind, name, &out)?;
    Ok(out)
}

/// [`render`] for the payload of webhook `name` of the Agent Chat API's `version`: decoded with
/// its own type inside a delivery, as a receiver decodes it.
fn render_webhook(shared: &Shared, version: ApiVersion, name: &str, value: Value) -> Result<Value, String> {
    let secret = lc_types::webhook::WebhookSecret::new("-");
    let body = serde_json::json!({"webhook_id": "-", "secret_key": "-", "action": name, "organization_id": "-", "payload": value});
    let decoded =
        lc_types::VersionedWebhook::verify(version, body.to_string().as_bytes(), &secret).map_err(|e| format!("does not decode: {e}"))?;
    let out = known_json(&decoded)?["payload"].take();
    check_schema(shared, ChatApi::Agent, version, Kind::Webhook, name, &out)?;
    Ok(out)
}

/// `decoded` re-encoded without the fields its type does not know; anything else unknown (an
/// enum value, a union member) is an error.
fn known_json(decoded: &dyn lc_types::Decoded) -> Result<Value, String> {
    let mut out = decoded.to_json().map_err(|e| format!("does not encode: {e}"))?;
    for unknown in decoded.unknowns() {
        match unknown.kind {
            lc_types::UnknownKind::Field(field) => {
                if let Some(object) = object_at(&mut out, &unknown.path) {
                    object.remove(&field);
                }
            }
            _ => return Err(format!("{unknown}")),
        }
    }
    Ok(out)
}

/// `out` against the schema of `name` as `kind`, when the mock checks schemas.
fn check_schema(shared: &Shared, api: ChatApi, version: ApiVersion, kind: Kind, name: &str, out: &Value) -> Result<(), String> {
    if shared.check_schemas {
        if let Some(problem) = shared.schemas.check(api, version, kind, name, out)? {
            return Err(format!("breaks its schema: {problem}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::object_at;
    use lc_types::{JsonPath, PathSegment};
    use serde_json::json;

    #[test]
    fn object_at_follows_fields_and_indexes() {
        let mut v = json!({"a": 1, "chats": [{"users": [{"x": 1}, {"x": 2, "address": {}}]}], "k.e[y]": {"z": 1}});
        let path = |s: &[PathSegment]| s.iter().copied().collect::<JsonPath>();
        let users = path(&[
            PathSegment::Field("chats"),
            PathSegment::Index(0),
            PathSegment::Field("users"),
            PathSegment::Index(1),
        ]);
        object_at(&mut v, &users).unwrap().remove("address");
        object_at(&mut v, &JsonPath::default()).unwrap().remove("a");
        assert!(object_at(&mut v, &path(&[PathSegment::Field("k.e[y]")])).is_some());
        assert!(object_at(&mut v, &path(&[PathSegment::Field("chats"), PathSegment::Index(5)])).is_none());
        assert!(object_at(&mut v, &path(&[PathSegment::Field("k.e[y]"), PathSegment::Field("z")])).is_none());
        assert_eq!(v, json!({"chats": [{"users": [{"x": 1}, {"x": 2}]}], "k.e[y]": {"z": 1}}));
    }
}

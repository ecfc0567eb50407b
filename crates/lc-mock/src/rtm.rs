//! The RTM API of both sides: `/v{X.Y}/customer/rtm/ws?organization_id=…` and
//! `/v{X.Y}/agent/rtm/ws[?organization_id=…]`.
//!
//! One task per connection reads requests, writes responses and pushes, and keeps the two
//! deadlines: `login` within `Config::login_timeout` of connecting, then any frame (a `ping`
//! request, a WebSocket ping or pong) within `Config::ping_timeout` of the last one. Missing
//! either closes the connection after a `customer_disconnected` (agents: `agent_disconnected`)
//! push with reason `connection_timeout`.
//!
//! An agent's connection is the same task with the Agent Chat API's data: its actions (every
//! Web action of the agent API plus the RTM-only `login`, `logout`, `set_away_status`,
//! `update_session`, `subscribe_customers`, `unsubscribe_customers`), its pushes, and its
//! close push. Its `organization_id` is optional (checked when given: reference §7.2, the
//! CONFLICT resolved in the agent `api.json`); its `login.token` is `Bearer <token>` or
//! `Basic base64(<account ID>:<PAT>)`, a customer's token is refused with `authorization`.
//! After `logout` the mock closes every connection of the agent with `agent_disconnected`
//! reason `agent_logged_out_remotely` (the docs say only that `logout` logs the agent out).
//!
//! Keep-alive, as the real server must do it: the server sends a WebSocket ping every half
//! [`Config::ping_timeout`](crate::Config::ping_timeout), and the client's pong counts as a
//! frame. The evidence: the official browser SDK (@livechat/customer-sdk 4.0.2, through
//! @livechat/platform-client 0.3.2 and @livechat/websocket-manager 0.1.1) sends no `ping`
//! action and no WebSocket ping (a browser cannot send one), yet stays connected for as long
//! as a page is open; a browser answers a server's WebSocket ping by itself. So a client that
//! answers pings is never cut off, whether or not it sends `ping` requests (which the docs
//! ask for and lc-rtm sends every 15 s); one that neither reads nor sends is, as the docs say.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use lc_types::{ApiVersion, ChatApi, Frame, PushSubscription, RequestFrame, ResponseFrame};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::engine::{self, Caller};
use crate::hub::{Conn, Out, Subscription};
use crate::schemas::Kind;
use crate::state::Refusal;
use crate::Shared;

use lc_types::limits::MAX_PENDING_REQUESTS as PENDING_LIMIT;

/// The largest RTM frame (WebSocket message) the mock reads: 1 MiB, far above any customer
/// request (a 16 KB message, 100 session fields). A frame whose header announces more is
/// refused before its payload is read: the mock closes that connection with close code 1009
/// (message too big) and goes on serving the others. The same size as the largest Web body
/// the mock reads for a JSON action ([`MAX_BODY_BYTES`](crate::MAX_BODY_BYTES)).
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// `/v{X.Y}/customer/rtm/ws`.
pub(crate) async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Path(version): Path<String>,
    RawQuery(query): RawQuery,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    accept(ChatApi::Customer, shared, version, query, headers, ws)
}

/// `/v{X.Y}/agent/rtm/ws`.
pub(crate) async fn agent_upgrade(
    State(shared): State<Arc<Shared>>,
    Path(version): Path<String>,
    RawQuery(query): RawQuery,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    accept(ChatApi::Agent, shared, version, query, headers, ws)
}

fn accept(
    api: ChatApi,
    shared: Arc<Shared>,
    version: String,
    query: Option<String>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if shared.faults.refusing() {
        let r = Refusal::new("service_unavailable", "Connections are refused for now (injected fault)");
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(r.envelope())).into_response();
    }
    let org = lc_types::web::parse_query(query.as_deref().unwrap_or_default())
        .into_iter()
        .find_map(|(k, v)| (k == lc_types::web::ORGANIZATION_ID).then_some(v));
    // Small buffers: a mock may hold ten thousand idle connections.
    // The frame limit too: a frame header announcing more than the message limit would
    // otherwise make tungstenite reserve (and read) that much before checking the message.
    let ws = ws
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES);
    let lifecycle = crate::web::version_of(&version).ok();
    // The region: `X-Region` on the upgrade (reference §5.2: backends pass the region header),
    // else the host's (`api-fra.…`, how browsers reach a region), `dal` otherwise; another
    // region than the mock's is told where to go once connected.
    let region = crate::web::region_of(&headers);
    let here = shared.region();
    let misdirected = (region != here).then_some(here);
    let headers_of = shared.clone();
    let mut response = ws.on_upgrade(move |socket| connection(api, shared, version, org, misdirected, socket));
    if let Some(v) = lifecycle {
        crate::web::lifecycle_headers(&headers_of, v, response.headers_mut());
    }
    response
}

/// The push that closes a connection of `api`.
pub(crate) fn disconnect_push(api: ChatApi) -> &'static str {
    match api {
        ChatApi::Agent => "agent_disconnected",
        _ => "customer_disconnected",
    }
}

/// Closes every logged-in connection of `owner` (a customer, or an agent when `api` is the
/// agent's) with its disconnect push (`reason`, `data`); how many it closed.
pub(crate) fn disconnect(shared: &Shared, api: ChatApi, owner: &str, reason: &str, data: Option<Value>) -> usize {
    let conns = match api {
        ChatApi::Agent => shared.hub.agent_connections(owner),
        _ => shared.hub.connections_of(owner),
    };
    for conn in &conns {
        let frame = disconnected_frame(shared, api, conn.version, reason, data.clone());
        let _ = conn.tx.send(Out::Text(frame));
        let _ = conn.tx.send(Out::Close);
        shared.hub.unregister(api, owner, conn.id);
    }
    conns.len()
}

/// A `customer_disconnected` (`api` agent: `agent_disconnected`) push in `version`; `reason`
/// may be any string.
pub(crate) fn disconnected_frame(shared: &Shared, api: ChatApi, version: ApiVersion, reason: &str, data: Option<Value>) -> String {
    let name = disconnect_push(api);
    let mut payload = json!({ "reason": reason });
    if let Some(data) = data {
        payload["data"] = data;
    }
    if shared.check_schemas {
        // The schema lists the documented reasons; any other is allowed here (the types keep
        // it as an unknown value), so the rest of the shape is checked with a documented one.
        let mut checked = payload.clone();
        checked["reason"] = json!("internal_error");
        if let Ok(Some(problem)) = shared.schemas.check(api, version, Kind::Push, name, &checked) {
            shared.problem(Refusal::mock_bug(format!("push `{name}`: {problem}")));
        }
    }
    engine::push_frame(version, None, name, payload)
}

/// `{"request_id"?, "action", "type": "response", "success", "payload"}`, through `lc_types`'
/// [`ResponseFrame`], the frame clients decode.
fn response_frame(request_id: Option<&str>, action: &str, result: Result<Value, Refusal>) -> String {
    let request_id = request_id.map(str::to_owned);
    let frame = match result {
        Ok(payload) => ResponseFrame::success(request_id, action, &payload).expect("a JSON value is JSON"),
        Err(refusal) => ResponseFrame::failure(request_id, action, &refusal.envelope()),
    };
    serde_json::to_string(&frame).expect("a frame is JSON")
}

/// A frame that is not a request: what could be read of its `request_id` and `action`, and why.
struct BadFrame {
    request_id: Option<String>,
    action: String,
    refusal: Refusal,
}

/// One request as read off the socket.
struct Request {
    request_id: Option<String>,
    action: String,
    version: ApiVersion,
    payload: Value,
}

/// Reads a frame with `lc_types`' [`Frame`] (the envelope, then the payload); a refusal keeps
/// what could be read of `request_id` and `action`.
fn parse(text: &str, api: ChatApi, connection: ApiVersion) -> Result<Request, Box<BadFrame>> {
    let bad = |request_id: Option<String>, action: Option<String>, refusal| {
        Box::new(BadFrame {
            request_id,
            action: action.unwrap_or_default(),
            refusal,
        })
    };
    // What a frame that is not a request shows of itself, read leniently.
    let ids = |value: &Value| {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        (text("request_id"), text("action"))
    };
    let frame = match lc_types::from_str::<Frame>(text) {
        Ok(Frame::Request(frame)) => frame,
        Ok(other) => {
            let value = serde_json::to_value(&other).unwrap_or_default();
            let (request_id, action) = ids(&value);
            let why = if action.is_none() {
                "`action` (a string) is required"
            } else {
                "A request frame has no `type`"
            };
            return Err(bad(request_id, action, Refusal::validation(why)));
        }
        Err(e) => {
            let Ok(value) = serde_json::from_str::<Value>(text) else {
                return Err(bad(None, None, Refusal::validation(format!("Frame is not JSON: {e}"))));
            };
            let (request_id, action) = ids(&value);
            let why = if value.is_object() {
                format!("Not a request frame: {e}")
            } else {
                "A frame is a JSON object".to_owned()
            };
            return Err(bad(request_id, action, Refusal::validation(why)));
        }
    };
    let RequestFrame {
        version,
        request_id,
        action,
        payload,
        ..
    } = frame;
    let version = match version {
        None => connection,
        Some(v) => match v.parse::<ApiVersion>() {
            Ok(v) if v >= connection && lc_types::api(api, v).is_some() => v,
            _ => {
                let refusal = Refusal::new("unsupported_version", "Cannot call unsupported API versions.");
                return Err(bad(request_id, Some(action), refusal));
            }
        },
    };
    // Raw JSON is checked for its syntax, not for what a `Value` can hold: a number out of
    // `f64`'s range (`1e999`) passes the envelope and is refused here (it panicked once: found
    // by the `mock_rtm` fuzz target).
    let payload: Value = match serde_json::from_str(payload.get()) {
        Ok(payload) => payload,
        Err(e) => {
            let refusal = Refusal::validation(format!("Wrong format of request: `payload`: {e}"));
            return Err(bad(request_id, Some(action), refusal));
        }
    };
    if !payload.is_object() {
        return Err(bad(request_id, Some(action), Refusal::validation("`payload` must be an object")));
    }
    Ok(Request {
        request_id,
        action,
        version,
        payload,
    })
}

/// What one connection knows.
struct Session {
    shared: Arc<Shared>,
    api: ChatApi,
    id: u64,
    version: ApiVersion,
    tx: crate::hub::Outbox,
    /// The customer's (agent's) ID, set by a successful login.
    me: Option<String>,
    /// The Client ID of the customer's token (see [`Caller::client_id`]).
    client_id: Option<String>,
    /// `set_away_status` (agents).
    away: Arc<std::sync::atomic::AtomicBool>,
    /// The IDs of this connection's `subscribe_customers` (agents), at most
    /// [`MAX_CUSTOMER_SUBSCRIPTIONS`].
    customer_subscriptions: Vec<String>,
    inflight: Arc<AtomicUsize>,
    /// Close the connection once the reply is sent (the `close_after_login` fault).
    close_now: bool,
}

async fn connection(
    api: ChatApi,
    shared: Arc<Shared>,
    version: String,
    org: Option<String>,
    misdirected: Option<String>,
    socket: WebSocket,
) {
    let (mut sink, mut stream) = socket.split();
    // How long one write may wait for the client to take it: as long as a client may stay
    // silent. A client that stops reading is dropped then, so the connection never stops
    // reading or keeping its deadlines for longer.
    let limit = shared.ping_timeout;
    let version = match crate::web::version_of(&version) {
        Ok(v) => v,
        Err(_) => {
            // No version to render in: a frame that names none, in the shape every version shares.
            let payload = json!({"reason": "unsupported_version"});
            let mut frame = lc_types::PushFrame::from_parts(ApiVersion::V3_6, disconnect_push(api), &payload, None).expect("JSON");
            frame.version = None;
            let text = serde_json::to_string(&frame).expect("a frame is JSON");
            send(&mut sink, Message::Text(text.into()), limit).await;
            send(&mut sink, Message::Close(None), limit).await;
            return;
        }
    };
    // An agent may leave the organization out (see the module docs); a customer may not.
    let org_ok = match (&org, api) {
        (None, ChatApi::Agent) => true,
        (org, _) => org.as_deref() == Some(shared.organization_id.as_str()),
    };
    if !org_ok {
        let frame = disconnected_frame(&shared, api, version, "license_not_found", None);
        send(&mut sink, Message::Text(frame.into()), limit).await;
        send(&mut sink, Message::Close(None), limit).await;
        return;
    }
    if let Some(region) = misdirected {
        let frame = disconnected_frame(&shared, api, version, "misdirected_connection", Some(json!({ "region": region })));
        send(&mut sink, Message::Text(frame.into()), limit).await;
        send(&mut sink, Message::Close(None), limit).await;
        return;
    }
    let (tx, mut rx) = crate::hub::Outbox::new();
    let outbox = tx.clone();
    let mut drops = shared.faults.drops.subscribe();
    let mut stalls = shared.faults.stalls.subscribe();
    let mut session = Session {
        id: shared.hub.next_id(),
        shared: shared.clone(),
        api,
        version,
        tx,
        me: None,
        client_id: None,
        away: Arc::default(),
        customer_subscriptions: Vec::new(),
        inflight: Arc::default(),
        close_now: false,
    };
    let mut deadline = Instant::now() + shared.login_timeout;
    let ping_every = shared.ping_timeout / 2;
    let mut next_ping = Instant::now() + ping_every;
    loop {
        if let Some(until) = shared.faults.stalled_until() {
            tokio::select! {
                _ = tokio::time::sleep_until(until.into()) => {}
                _ = drops.changed() => break,
                // A new stall, or `clear()`: look again.
                _ = stalls.changed() => continue,
            }
        }
        tokio::select! {
            _ = stalls.changed() => continue,
            out = rx.recv() => match out {
                Some(Out::Text(text)) => {
                    outbox.taken(text.len());
                    if outbox.overflowed() || !send(&mut sink, Message::Text(text.into()), limit).await {
                        break;
                    }
                }
                Some(Out::Close) => {
                    outbox.taken(0);
                    send(&mut sink, Message::Close(None), limit).await;
                    break;
                }
                None => break,
            },
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let reply = session.handle(text.as_str());
                    // Before login only the login deadline counts; after it, every frame.
                    if session.me.is_some() {
                        deadline = Instant::now() + shared.ping_timeout;
                    }
                    if let Some(reply) = reply {
                        if !send(&mut sink, Message::Text(reply.into()), limit).await {
                            break;
                        }
                    }
                    if std::mem::take(&mut session.close_now) {
                        // The `close_after_login` fault: logged in, and closed at once.
                        let close = axum::extract::ws::CloseFrame {
                            code: axum::extract::ws::close_code::NORMAL,
                            reason: "".into(),
                        };
                        let _ = sink.send(Message::Close(Some(close))).await;
                        break;
                    }
                }
                Some(Ok(Message::Ping(_))) | Some(Ok(Message::Pong(_))) => {
                    if session.me.is_some() {
                        deadline = Instant::now() + shared.ping_timeout;
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    let reply = response_frame(None, "", Err(Refusal::validation("Frames are JSON text")));
                    if !send(&mut sink, Message::Text(reply.into()), limit).await {
                        break;
                    }
                }
                Some(Err(e)) => {
                    // A frame over the limit: say why (RFC 6455's 1009), then drop the socket
                    // (the rest of that frame is never read).
                    if too_big(e) {
                        let reason = format!("frame larger than {MAX_FRAME_BYTES} bytes");
                        let close = axum::extract::ws::CloseFrame {
                            code: axum::extract::ws::close_code::SIZE,
                            reason: reason.into(),
                        };
                        send(&mut sink, Message::Close(Some(close)), limit.min(std::time::Duration::from_secs(1))).await;
                    }
                    break;
                }
                Some(Ok(Message::Close(frame))) => {
                    shared.note_client_close(frame.map(|f| f.code));
                    // The Close answered (RFC 6455 §5.5.1), so the client need not wait for it.
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), sink.close()).await;
                    break;
                }
                None => break,
            },
            _ = tokio::time::sleep_until(next_ping) => {
                next_ping = Instant::now() + ping_every;
                if !send(&mut sink, Message::Ping(Default::default()), limit).await {
                    break;
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                let frame = disconnected_frame(&shared, api, version, "connection_timeout", None);
                send(&mut sink, Message::Text(frame.into()), limit).await;
                send(&mut sink, Message::Close(None), limit).await;
                break;
            }
            _ = drops.changed() => break,
        }
    }
    if let Some(me) = &session.me {
        shared.hub.unregister(api, me, session.id);
    }
}

/// Sends one message, waiting at most `limit` for the client to take it: `false` when it did
/// not (or the socket is gone).
async fn send(sink: &mut futures_util::stream::SplitSink<WebSocket, Message>, message: Message, limit: std::time::Duration) -> bool {
    matches!(tokio::time::timeout(limit, sink.send(message)).await, Ok(Ok(())))
}

/// Whether a read error is a frame over [`MAX_FRAME_BYTES`].
fn too_big(e: axum::Error) -> bool {
    use tokio_tungstenite::tungstenite::Error;
    matches!(e.into_inner().downcast_ref::<Error>(), Some(Error::Capacity(_)))
}

/// The most `subscribe_customers` subscriptions one agent connection keeps: 100 (a connection
/// asking for more is refused with `validation`).
pub const MAX_CUSTOMER_SUBSCRIPTIONS: usize = 100;

impl Session {
    /// Handles one text frame; the reply to send now, if any (a delayed reply goes through the
    /// channel later).
    fn handle(&mut self, text: &str) -> Option<String> {
        let request = match parse(text, self.api, self.version) {
            Ok(r) => r,
            Err(bad) => return Some(response_frame(bad.request_id.as_deref(), &bad.action, Err(bad.refusal))),
        };
        self.shared.count_request(&self.shared.rtm_requests, &request.action);
        let id = request.request_id.clone();
        let reply = |result| Some(response_frame(id.as_deref(), &request.action, result));
        let known = lc_types::api(self.api, request.version)
            .and_then(|api| api.action(&request.action))
            .filter(|a| a.rtm);
        if known.is_none() {
            return reply(Err(Refusal::not_found(&format!(
                "RTM action `{}` of v{}",
                request.action, request.version
            ))));
        }
        if request.action == "ping" {
            // Before login a ping is a no-op; it never counts as a request in flight.
            return reply(Ok(json!({})));
        }
        match (&self.me, request.action.as_str()) {
            (None, "login") => return self.login(request),
            (None, _) => return reply(Err(Refusal::new("authentication", "`login` must be the first request"))),
            (Some(_), "login") => return reply(Err(Refusal::validation("Already logged in"))),
            _ => {}
        }
        if self.api == ChatApi::Agent {
            if let Some(result) = self.connection_action(&request) {
                return reply(result);
            }
        }
        let me = self.me.clone().unwrap_or_default();
        let delay = self.shared.faults.delay();
        if delay.is_zero() {
            self.shared.faults.note_in_flight(1);
            let result = run(&self.shared, self.api, self.caller(&request), &me, &request);
            return if self.shared.faults.take_drop() { None } else { reply(result) };
        }
        // With a delay, requests overlap: past the limit they are refused at once.
        let before = self.inflight.fetch_add(1, Ordering::SeqCst);
        self.shared.faults.note_in_flight(before + 1);
        if before >= PENDING_LIMIT {
            self.inflight.fetch_sub(1, Ordering::SeqCst);
            return reply(Err(Refusal::new("pending_requests_limit_reached", "Requests limit reached")));
        }
        // The request runs now, in the order it arrived; only its response waits (a slow
        // network, not a late change: a client that gives up on the answer and reads the state
        // finds the change made).
        let result = run(&self.shared, self.api, self.caller(&request), &me, &request);
        let shared = self.shared.clone();
        let tx = self.tx.clone();
        let inflight = self.inflight.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            inflight.fetch_sub(1, Ordering::SeqCst);
            if !shared.faults.take_drop() {
                let _ = tx.send(Out::Text(response_frame(request.request_id.as_deref(), &request.action, result)));
            }
        });
        None
    }

    /// Who makes `request`: this connection, its `request_id`, its token's Client ID.
    fn caller(&self, request: &Request) -> Caller {
        Caller {
            conn: Some(self.id),
            request_id: request.request_id.clone(),
            client_id: self.client_id.clone(),
        }
    }

    /// Checks the token and `pushes`, runs `login`, and registers the connection.
    fn login(&mut self, request: Request) -> Option<String> {
        let id = request.request_id.clone();
        let result = match self.api {
            ChatApi::Agent => self.try_agent_login(&request),
            _ => self.try_login(&request),
        };
        Some(response_frame(id.as_deref(), "login", result))
    }

    fn try_login(&mut self, request: &Request) -> Result<Value, Refusal> {
        engine::validate_request(&self.shared, ChatApi::Customer, request.version, "login", &request.payload)?;
        let token = request.payload["token"].as_str().unwrap_or_default();
        let token = token.strip_prefix("Bearer ").unwrap_or(token);
        let customer = self.shared.customer_of_token(Some(token))?;
        let subscriptions = subscriptions(&request.payload, ChatApi::Customer, self.version)?;
        self.client_id = self.shared.client_of_token(token);
        let response = run(&self.shared, ChatApi::Customer, self.caller(request), &customer, request)?;
        self.register(customer, subscriptions);
        Ok(response)
    }

    /// An agent's `login`: `Bearer` token or `Basic` PAT (a bare token is read as a bearer
    /// one), the response, then `incoming_customers` on this connection.
    fn try_agent_login(&mut self, request: &Request) -> Result<Value, Refusal> {
        let shared = self.shared.clone();
        engine::injected_fault(&shared)?;
        engine::validate_request(&shared, ChatApi::Agent, request.version, "login", &request.payload)?;
        let token = request.payload["token"].as_str().unwrap_or_default();
        let agent = if token.starts_with("Basic ") || token.starts_with("Bearer ") {
            crate::web::agent_of_credentials(&shared, token)?
        } else {
            crate::web::agent_of_credentials(&shared, &format!("Bearer {token}"))?
        };
        let subscriptions = subscriptions(&request.payload, ChatApi::Agent, self.version)?;
        let caller = self.caller(request);
        let response = engine::transact_as(&shared, ChatApi::Agent, request.version, "", Some("login"), &caller, |ctx| {
            crate::agent_api::connection::login(ctx, &agent)
        })?;
        self.register(agent.clone(), subscriptions);
        let customers = crate::agent_api::connection::incoming_customers(&crate::lock(&shared.state), &agent)?;
        let versions = shared.hub.agent_connections(&agent).into_iter().find(|c| c.id == self.id);
        for version in versions.map(|c| c.versions_for("incoming_customers")).unwrap_or_default() {
            let payload = engine::render(
                &shared,
                ChatApi::Agent,
                version,
                Kind::Push,
                "incoming_customers",
                customers.clone(),
            )
            .map_err(|e| shared.problem(Refusal::mock_bug(format!("push `incoming_customers` in v{version}: {e}"))))?;
            let _ = self
                .tx
                .send(Out::Text(engine::push_frame(version, None, "incoming_customers", payload)));
        }
        Ok(response)
    }

    /// Registers the logged-in connection of `me`.
    fn register(&mut self, me: String, subscriptions: Vec<Subscription>) {
        self.shared.hub.register(Conn {
            id: self.id,
            api: self.api,
            owner: me.clone(),
            version: self.version,
            subscriptions,
            tx: self.tx.clone(),
            away: self.away.clone(),
        });
        self.me = Some(me);
        self.close_now = self.shared.faults.take_close_after_login();
    }

    /// The agent actions that concern the connection itself: `logout`, `set_away_status`,
    /// `update_session`, `subscribe_customers`, `unsubscribe_customers` (`None` for the others).
    fn connection_action(&mut self, request: &Request) -> Option<Result<Value, Refusal>> {
        const OWN: [&str; 5] = [
            "logout",
            "set_away_status",
            "update_session",
            "subscribe_customers",
            "unsubscribe_customers",
        ];
        if !OWN.contains(&request.action.as_str()) {
            return None;
        }
        let shared = self.shared.clone();
        let me = self.me.clone().unwrap_or_default();
        let (version, action, p) = (request.version, request.action.as_str(), &request.payload);
        let checked = engine::injected_fault(&shared).and_then(|()| engine::validate_request(&shared, ChatApi::Agent, version, action, p));
        if let Err(refusal) = checked {
            return Some(Err(refusal));
        }
        let caller = self.caller(request);
        let transact = |change: &mut dyn FnMut(&mut crate::ctx::Ctx) -> Result<Value, Refusal>| {
            engine::transact_as(&shared, ChatApi::Agent, version, "", Some(action), &caller, change)
        };
        Some(match action {
            "logout" => {
                disconnect(&shared, ChatApi::Agent, &me, "agent_logged_out_remotely", None);
                Ok(json!({}))
            }
            "set_away_status" => {
                self.away.store(p["away"] == true, Ordering::SeqCst);
                let all_away = shared.hub.agent_connections(&me).iter().all(|c| c.away.load(Ordering::SeqCst));
                transact(&mut |ctx| crate::agent_api::connection::set_away(ctx, &me, all_away))
            }
            "update_session" => {
                let token = p["token"].as_str().unwrap_or_default();
                match crate::web::agent_of_credentials(&shared, token) {
                    Ok(agent) if agent == me => Ok(json!({})),
                    Ok(_) => Err(Refusal::new("authorization", "The token is another agent's")),
                    Err(e) => Err(e),
                }
            }
            "subscribe_customers" => {
                if self.customer_subscriptions.len() >= MAX_CUSTOMER_SUBSCRIPTIONS {
                    return Some(Err(Refusal::validation(format!(
                        "At most {MAX_CUSTOMER_SUBSCRIPTIONS} customer subscriptions per connection"
                    ))));
                }
                let id = format!("{:016x}{:016x}", self.id, shared.hub.next_id());
                let result = transact(&mut |ctx| crate::agent_api::connection::subscribe_customers(ctx, &me, &id, p));
                if result.is_ok() {
                    self.customer_subscriptions.push(id);
                }
                result
            }
            _ => {
                let id = p["subscription_id"].as_str().unwrap_or_default();
                match self.customer_subscriptions.iter().position(|s| s == id) {
                    Some(i) => {
                        self.customer_subscriptions.remove(i);
                        Ok(json!({}))
                    }
                    None => Err(Refusal::not_found("Subscription")),
                }
            }
        })
    }
}

/// Runs a request of `caller`'s connection for `me` (a customer, or an agent when `api` is the
/// agent's); the push answering it carries its `request_id` on this connection.
fn run(shared: &Shared, api: ChatApi, caller: Caller, me: &str, request: &Request) -> Result<Value, Refusal> {
    match api {
        ChatApi::Agent => engine::execute_agent(shared, request.version, &request.action, me, &request.payload, &caller),
        _ => engine::execute(shared, request.version, &request.action, me, &request.payload, &caller),
    }
}

/// `login.pushes` (read as `lc_types`' [`PushSubscription`]): version -> push names or
/// `["all"]`; every push of the connection's version without it. Each version must be supported.
fn subscriptions(payload: &Value, api: ChatApi, connection: ApiVersion) -> Result<Vec<Subscription>, Refusal> {
    let Some(pushes) = payload.get("pushes") else {
        return Ok(vec![(connection, None)]);
    };
    let pushes: PushSubscription = serde_json::from_value(pushes.clone()).map_err(|e| Refusal::validation(format!("`pushes`: {e}")))?;
    let mut out = Vec::new();
    for (version, names) in pushes.versions() {
        let v: ApiVersion = version
            .parse()
            .ok()
            .filter(|v| lc_types::api(api, *v).is_some())
            .ok_or_else(|| Refusal::new("unsupported_version", format!("`pushes` names unsupported version `{version}`")))?;
        out.push((v, names.map(<[String]>::to_vec)));
    }
    Ok(out)
}

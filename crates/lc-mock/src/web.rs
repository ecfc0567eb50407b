//! The Web API: `/v{X.Y}/customer/action/{action}?organization_id=…` and
//! `/v{X.Y}/agent/action/{action}`, and the uploaded files.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use lc_types::{web, ApiVersion, ChatApi, WebMethod};
use serde_json::{json, Value};

use crate::engine::{self, Caller};
use crate::schemas::Kind;
use crate::state::{File, Refusal};
use crate::Shared;

use lc_types::limits::MAX_UPLOAD_BYTES as UPLOAD_LIMIT;

/// The largest body of a Web request the mock reads, for every action but `upload_file`:
/// 1 MiB, as much as an RTM frame ([`MAX_FRAME_BYTES`](crate::MAX_FRAME_BYTES)). A customer's
/// largest requests (a 16 KB message, 100 session fields) stay far below it. A larger body is
/// refused with `entity_too_large` (HTTP 413) and the API's error envelope: at once, without
/// reading it, when its `Content-Length` announces more; after reading this much otherwise.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The largest body of an `upload_file` request the mock reads: the 10 MB file limit
/// ([`lc_types::limits::MAX_UPLOAD_BYTES`]) plus 64 KiB for the multipart framing. A larger
/// body is refused like one over [`MAX_BODY_BYTES`], with the API's upload message; a file
/// over 10 MB in a body that fits is refused the same way.
pub const MAX_UPLOAD_BODY_BYTES: usize = UPLOAD_LIMIT + 64 * 1024;

/// The longest name an uploaded file may have, in bytes (as sent, before the mock replaces
/// characters other than letters, digits, `.`, `-` and `_`): 255, what most file systems
/// take. A longer one is refused with `validation` (`upload_file`, and the control API's
/// `agent/send_file`).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// The longest multipart boundary (RFC 2046 §5.1.1): 70 characters.
const MAX_BOUNDARY: usize = 70;

/// The refusal of a body over the limit of `action`.
fn too_large(action: &str, limit: usize) -> Refusal {
    if action == "upload_file" {
        Refusal::new("entity_too_large", "Upload limit exceeded (10MB).")
    } else {
        Refusal::new("entity_too_large", format!("Request too large (more than {limit} bytes)."))
    }
}

/// Why a request's body was not read.
pub(crate) enum BodyError {
    /// It is (or announces to be) larger than the limit.
    TooLarge,
    /// It did not arrive within [`Config::body_read_timeout`](crate::Config::body_read_timeout).
    Slow,
}

impl BodyError {
    /// The refusal of a body that is too large by `too_large`, or too slow.
    pub(crate) fn refusal(&self, too_large: impl FnOnce() -> Refusal) -> Refusal {
        match self {
            BodyError::TooLarge => too_large(),
            BodyError::Slow => Refusal::transport(408, "The request body did not arrive in time."),
        }
    }
}

/// The body, read up to `limit` bytes within `timeout`: refused at once when its
/// `Content-Length` announces more, so the mock never waits for (or holds) more than `limit`
/// bytes of it, nor waits longer than `timeout` for it.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<axum::body::Bytes, BodyError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let hinted = axum::body::HttpBody::size_hint(&body).lower();
    if announced.is_some_and(|n| n > limit as u64) || hinted > limit as u64 {
        return Err(BodyError::TooLarge);
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Slow),
    }
}

/// `/v{X.Y}/customer/action/{action}`.
pub(crate) async fn action(
    State(shared): State<Arc<Shared>>,
    Path((version, action)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    shared.count_request(&shared.web_requests, &action);
    serve(&shared, ChatApi::Customer, &version, &action, query, &method, &headers, body).await
}

/// `/v{X.Y}/agent/action/{action}`: the Agent Chat API (POST, no `organization_id`: the
/// credentials name the license).
pub(crate) async fn agent_action(
    State(shared): State<Arc<Shared>>,
    Path((version, action)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    serve(&shared, ChatApi::Agent, &version, &action, query, &method, &headers, body).await
}

/// `/v{X.Y}/configuration/action/{action}`: the Configuration API's webhook actions (POST, the
/// agent's credentials; `list_webhook_names` needs none).
pub(crate) async fn configuration_action(
    State(shared): State<Arc<Shared>>,
    Path((version, action)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    serve(&shared, ChatApi::Configuration, &version, &action, query, &method, &headers, body).await
}

/// Answers one Web request of `api`: its body read within bounds, the faults in force applied.
#[allow(clippy::too_many_arguments)]
async fn serve(
    shared: &Shared,
    api: ChatApi,
    version: &str,
    action: &str,
    query: Option<String>,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let limit = if action == "upload_file" {
        MAX_UPLOAD_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let body = match read_body(headers, body, limit, shared.body_read_timeout).await {
        Ok(body) => body,
        Err(e) => return error(&e.refusal(|| too_large(action, limit))),
    };
    let dropped = shared.faults.take_drop();
    let query = web::parse_query(query.as_deref().unwrap_or_default());
    let result = match api {
        ChatApi::Agent => answer_agent(shared, version, action, method, headers, &body),
        ChatApi::Configuration => answer_configuration(shared, version, action, method, headers, &body),
        _ => answer(shared, version, action, &query, method, headers, &body),
    };
    // The request ran on arrival; only its answer waits (see `FaultControl::delay_responses`).
    let delay = shared.faults.delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut response = if dropped {
        // The request ran, but its answer is lost: the client waits until the server's
        // request timeout.
        tokio::time::sleep(lc_types::limits::SERVER_REQUEST_TIMEOUT).await;
        error(&Refusal::new("request_timeout", "Request timed out"))
    } else {
        match result {
            Ok(v) => (StatusCode::OK, axum::Json(v)).into_response(),
            Err(r) => error(&r),
        }
    };
    if let Ok(version) = version_of(version) {
        lifecycle_headers(shared, version, response.headers_mut());
    }
    match shared.faults.take_pad() {
        Some((len, chunked)) => padded(response, len, chunked).await,
        None => response,
    }
}

/// `response` with its body padded with spaces to `len` bytes (see
/// [`FaultControl::pad_next_response`](crate::FaultControl::pad_next_response)), streamed in
/// pieces of a static buffer.
async fn padded(response: Response, len: usize, chunked: bool) -> Response {
    const PIECE: usize = 64 * 1024;
    static SPACES: [u8; PIECE] = [b' '; PIECE];
    let (mut parts, body) = response.into_parts();
    // The mock's own JSON answer: small.
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let total = len.max(body.len());
    let mut left = total - body.len();
    let pieces = std::iter::once(body).chain(std::iter::from_fn(move || {
        let n = left.min(PIECE);
        left -= n;
        (n > 0).then(|| axum::body::Bytes::from_static(&SPACES[..n]))
    }));
    let stream = futures_util::stream::iter(pieces.map(Ok::<_, std::convert::Infallible>));
    parts.headers.remove(header::CONTENT_LENGTH);
    if !chunked {
        parts.headers.insert(header::CONTENT_LENGTH, total.into());
    }
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Adds the lifecycle headers of `version` (`Legacy`, `Deprecation`).
pub(crate) fn lifecycle_headers(shared: &Shared, version: ApiVersion, headers: &mut HeaderMap) {
    for h in shared.lifecycle_headers(version) {
        if let Ok(value) = axum::http::HeaderValue::from_str(&h.date) {
            headers.insert(h.name, value);
        }
    }
}

fn error(r: &Refusal) -> Response {
    (
        StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(r.envelope()),
    )
        .into_response()
}

/// The agent the `Authorization` header names: `Bearer <agent token>` or `Basic
/// base64(<account ID>:<personal access token>)` (reference §7.3).
fn agent_of(shared: &Shared, headers: &HeaderMap) -> Result<String, Refusal> {
    let value = headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()).unwrap_or_default();
    agent_of_credentials(shared, value)
}

/// The agent credentials `value` (an `Authorization` header's value, or an agent RTM
/// `login.token`) name: `Bearer <token>` or `Basic <base64>`.
pub(crate) fn agent_of_credentials(shared: &Shared, value: &str) -> Result<String, Refusal> {
    if let Some(basic) = value.strip_prefix("Basic ") {
        // At most a few hundred bytes: the header is bounded by the server's header limits.
        let decoded = crate::control::base64(basic.trim()).and_then(|b| String::from_utf8(b).ok());
        let (account, pat) = decoded.as_deref().and_then(|d| d.split_once(':')).unwrap_or_default();
        return shared.agent_of_pat(account, pat);
    }
    shared.agent_of_token(value.strip_prefix("Bearer "))
}

/// The customer the `Authorization: Bearer` header names.
pub(crate) fn customer_of(shared: &Shared, headers: &HeaderMap) -> Result<String, Refusal> {
    shared.customer_of_token(bearer(headers))
}

/// The token of an `Authorization: Bearer` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
}

/// The version of a `v3.6` path segment, when it is supported.
pub(crate) fn version_of(segment: &str) -> Result<ApiVersion, Refusal> {
    segment
        .strip_prefix('v')
        .and_then(|v| v.parse::<ApiVersion>().ok())
        .filter(|v| lc_types::api(lc_types::ChatApi::Customer, *v).is_some())
        .ok_or_else(|| Refusal::new("unsupported_version", "Cannot call unsupported API versions."))
}

/// An Agent Chat API request: every Web action is `POST` (JSON; `upload_file` multipart), with
/// the agent's credentials; no `organization_id` (reference §7.1).
fn answer_agent(shared: &Shared, version: &str, action: &str, method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<Value, Refusal> {
    let version = version_of(version)?;
    let api = lc_types::api(ChatApi::Agent, version)
        .ok_or_else(|| Refusal::new("unsupported_version", "Cannot call unsupported API versions."))?;
    let info = api
        .action(action)
        .filter(|a| a.web.is_some())
        .ok_or_else(|| Refusal::not_found(&format!("Web action `{action}` of the agent API v{version}")))?;
    let here = shared.region();
    if region_of(headers) != here {
        return Err(Refusal::new("misdirected_request", "Wrong region").with_data(json!({ "region": here })));
    }
    post_only(method, action)?;
    let agent = agent_of(shared, headers)?;
    if info.web == Some(WebMethod::Multipart) {
        return upload_file(shared, ChatApi::Agent, version, "", content_type_of(headers), body);
    }
    let payload = json_body(headers, body)?;
    engine::execute_agent(shared, version, action, &agent, &payload, &Caller::default())
}

/// Refuses (405) a method other than `POST`.
fn post_only(method: &Method, action: &str) -> Result<(), Refusal> {
    if *method != Method::POST {
        return Err(Refusal::transport(405, format!("`{action}` is called with POST")));
    }
    Ok(())
}

/// The request's `Content-Type`, or "" without a readable one.
fn content_type_of(headers: &HeaderMap) -> &str {
    headers.get(header::CONTENT_TYPE).and_then(|h| h.to_str().ok()).unwrap_or_default()
}

/// A JSON body: 415 for another content type, `validation` for a body that is not JSON.
fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, Refusal> {
    if !content_type_of(headers).starts_with("application/json") {
        return Err(Refusal::transport(415, "Content-Type must be application/json"));
    }
    serde_json::from_slice(body).map_err(|e| Refusal::validation(format!("Body is not JSON: {e}")))
}

/// A Configuration API request: `POST` with JSON, the agent's credentials (but for
/// `list_webhook_names`), run on the mock's webhook registrations.
fn answer_configuration(
    shared: &Shared,
    version: &str,
    action: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Refusal> {
    let version = version_of(version)?;
    let api = lc_types::api(ChatApi::Configuration, version)
        .ok_or_else(|| Refusal::new("unsupported_version", "Cannot call unsupported API versions."))?;
    let info = api
        .action(action)
        .ok_or_else(|| Refusal::not_found(&format!("Configuration API action `{action}` of v{version}")))?;
    post_only(method, action)?;
    if info.needs_token {
        agent_of(shared, headers)?;
    }
    let payload = json_body(headers, body)?;
    engine::injected_fault(shared)?;
    engine::validate_request(shared, ChatApi::Configuration, version, action, &payload)?;
    let response = shared.webhooks.run(version, action, &payload)?;
    engine::render(shared, ChatApi::Configuration, version, Kind::Response, action, response)
        .map_err(|e| shared.problem(Refusal::mock_bug(format!("response of `{action}` in v{version}: {e}"))))
}

fn answer(
    shared: &Shared,
    version: &str,
    action: &str,
    query: &[(String, String)],
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Refusal> {
    let version = version_of(version)?;
    let api = lc_types::api(lc_types::ChatApi::Customer, version).expect("checked");
    // An action the version does not have, or has only over RTM, has no Web endpoint.
    let info = api
        .action(action)
        .filter(|a| a.web.is_some())
        .ok_or_else(|| Refusal::not_found(&format!("Web action `{action}` of v{version}")))?;
    // A repeated parameter counts with its last value, as in the payload below.
    let param = |name: &str| query.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
    let org = param(web::ORGANIZATION_ID).or_else(|| param("license_id").filter(|_| action == "get_dynamic_configuration"));
    match org {
        None => return Err(Refusal::validation("`organization_id` query parameter is required")),
        Some(id) if *id != shared.organization_id => return Err(Refusal::new("license_not_found", "License not found")),
        Some(_) => {}
    }
    let region = region_of(headers);
    let here = shared.region();
    if region != here {
        return Err(Refusal::new("misdirected_request", "Wrong region").with_data(json!({ "region": here })));
    }
    let web = info.web.expect("filtered");
    let expected = if web == WebMethod::Get { Method::GET } else { Method::POST };
    if *method != expected {
        return Err(Refusal::transport(405, format!("`{action}` is called with {expected}")));
    }
    let customer = if info.needs_token {
        customer_of(shared, headers)?
    } else {
        String::new()
    };
    let content_type = content_type_of(headers);
    let payload = match web {
        // Query values are text: typed as the version's request type expects (lc_types' inverse
        // of the encoding clients use).
        WebMethod::Get => Value::Object(web::payload_from_query(
            version,
            action,
            query.iter().filter(|(k, _)| k != "license_id").cloned(),
        )),
        WebMethod::Post => json_body(headers, body)?,
        WebMethod::Multipart => return upload_file(shared, ChatApi::Customer, version, &customer, content_type, body),
    };
    let caller = Caller {
        client_id: bearer(headers).and_then(|t| shared.client_of_token(t)),
        ..Caller::default()
    };
    engine::execute(shared, version, action, &customer, &payload, &caller)
}

/// `upload_file` of `api`: one multipart part named `file`, at most 10 MB (`entity_too_large`).
fn upload_file(
    shared: &Shared,
    api: ChatApi,
    version: ApiVersion,
    customer: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Value, Refusal> {
    // Injected faults apply here as to every other action, before the upload is looked at.
    engine::injected_fault(shared)?;
    let boundary = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split(';').find_map(|p| p.trim().strip_prefix("boundary=")))
        .map(|b| b.trim_matches('"').to_owned())
        .ok_or_else(|| Refusal::transport(415, "Content-Type must be multipart/form-data with a boundary"))?;
    if boundary.is_empty() || boundary.len() > MAX_BOUNDARY {
        return Err(Refusal::validation(format!(
            "Wrong format of request: the multipart boundary must have 1 to {MAX_BOUNDARY} characters"
        )));
    }
    let part =
        multipart_file(body, &boundary)?.ok_or_else(|| Refusal::validation("Wrong format of request: a part named `file` is required"))?;
    if part.bytes.len() > UPLOAD_LIMIT {
        return Err(Refusal::new("entity_too_large", "Upload limit exceeded (10MB)."));
    }
    let origin = shared.origin();
    let max = shared.max_stored_file_bytes;
    engine::transact_as(
        shared,
        api,
        version,
        customer,
        Some("upload_file"),
        &Caller::default(),
        move |ctx| {
            let name = part.name.clone();
            let id = ctx.state.add_file(part, max)?;
            Ok(json!({ "url": format!("{origin}/files/{id}/{name}") }))
        },
    )
}

/// The part named `file` of a multipart body, if there is one; refused when its file name is
/// longer than [`MAX_FILE_NAME_BYTES`].
fn multipart_file(body: &[u8], boundary: &str) -> Result<Option<File>, Refusal> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + d.len() <= body.len() {
        if &body[i..i + d.len()] == d {
            starts.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    for pair in starts.windows(2) {
        let part = &body[pair[0] + d.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let Some(split) = part.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Ok(None);
        };
        let Ok(head) = std::str::from_utf8(&part[..split]) else {
            return Ok(None);
        };
        let content = &part[split + 4..];
        let content = content.strip_suffix(b"\r\n").unwrap_or(content);
        let Some(disposition) = head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition")) else {
            return Ok(None);
        };
        let params = disposition_params(disposition);
        let field = |key: &str| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone());
        if field("name").as_deref() != Some(web::UPLOAD_FIELD) {
            continue;
        }
        let content_type = head
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let name = field("filename").unwrap_or_else(|| "file".to_owned());
        return File::new(&name, &content_type, content).map(Some);
    }
    Ok(None)
}

/// The parameters of a `Content-Disposition` line (`form-data; name="file"; filename="a;b"`),
/// in order: a quoted value read to its closing quote (a `;` in it is part of it, `\x` is
/// `x`), a bare one to the next `;`.
fn disposition_params(line: &str) -> Vec<(String, String)> {
    // After the header's name and the disposition type.
    let rest = line.split_once(':').map_or(line, |(_, v)| v);
    let mut chars = rest.chars().skip_while(|c| *c != ';').peekable();
    let mut params = Vec::new();
    while chars.next().is_some() {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        let mut value = String::new();
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
            // Anything up to the next parameter is not part of it.
            while chars.next_if(|c| *c != ';').is_some() {}
        } else {
            while let Some(c) = chars.next_if(|c| *c != ';') {
                value.push(c);
            }
            value.truncate(value.trim_end().len());
        }
        params.push((key.trim().to_owned(), value));
    }
    params
}

/// Types a browser would run or render as a page (scripts included): an uploaded file of
/// one is served as text, so a link to it never runs what a customer uploaded.
const ACTIVE_TYPES: [&str; 7] = [
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
];

/// `GET /files/{id}/{name}`: an uploaded file, as a download (`Content-Disposition:
/// attachment`, `X-Content-Type-Options: nosniff`), a page or script type served as
/// `text/plain`.
pub(crate) async fn file(State(shared): State<Arc<Shared>>, Path((id, _name)): Path<(String, String)>) -> Response {
    let file = crate::lock(&shared.state).files.get(&id).cloned();
    let Some(f) = file else {
        return error(&Refusal::not_found("File"));
    };
    let essence = f.content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let content_type = if ACTIVE_TYPES.contains(&essence.as_str()) {
        "text/plain; charset=utf-8".to_owned()
    } else {
        f.content_type
    };
    // The name holds only letters, digits, `.`, `-` and `_` (see `multipart_file`).
    let disposition = format!("attachment; filename=\"{}\"", f.name);
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, disposition),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    (headers, f.bytes.to_vec()).into_response()
}

/// HTTP/2 names the host in the `:authority` pseudo-header (the request URI), not in `Host`:
/// this copies it into `Host` when the request has none, so [`region_of`] reads one place
/// whatever the HTTP version.
pub(crate) async fn host_from_authority(mut request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if !request.headers().contains_key(axum::http::header::HOST) {
        let authority = request
            .uri()
            .authority()
            .and_then(|a| axum::http::HeaderValue::from_str(a.as_str()).ok());
        if let Some(host) = authority {
            request.headers_mut().insert(axum::http::header::HOST, host);
        }
    }
    next.run(request).await
}

/// The region a request is for: `X-Region` (reference §5.4); without it, the region the host
/// names (`api-fra.livechatinc.com`, as a browser, which cannot set headers, reaches a region:
/// [`Region::of_host`](lc_types::Region::of_host)); `dal` otherwise.
pub(crate) fn region_of(headers: &axum::http::HeaderMap) -> String {
    if let Some(region) = headers.get(web::X_REGION).and_then(|h| h.to_str().ok()) {
        return region.to_owned();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    lc_types::Region::of_host(host).map_or_else(|| "dal".to_owned(), |r| r.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::multipart_file;

    #[test]
    fn multipart_finds_the_file_part() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nzzz\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX--\r\n";
        let f = multipart_file(body, "XX").unwrap().unwrap();
        assert_eq!(
            (f.name.as_str(), f.content_type.as_str(), &*f.bytes),
            ("a_b.txt", "text/plain", &b"hello"[..])
        );
        assert!(
            multipart_file(b"--XX\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--XX--", "XX")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn multipart_reads_what_the_lc_types_codec_writes() {
        let bytes = b"\x00\x01binary\r\n--not-the-boundary\r\n";
        let part = lc_types::web::FilePart::new("r\u{e9}sum\u{e9} \"1\".pdf", "application/pdf", bytes.len() as u64);
        let body = part.multipart_body("lc-boundary-7", bytes);
        let f = multipart_file(&body, "lc-boundary-7").unwrap().unwrap();
        assert_eq!((f.content_type.as_str(), &*f.bytes), ("application/pdf", &bytes[..]));
        assert_eq!(f.name, "r_sum___221_22.pdf");
    }

    /// A quoted file name holding `;` was cut there (`a%22b;c=d.html` was stored as `a_22b`).
    #[test]
    fn a_quoted_file_name_is_read_whole() {
        for (disposition, name) in [
            (r#"form-data; name="file"; filename="a%22b;c=d.html""#, "a_22b_c_d.html"),
            (r#"form-data; filename="x;y.txt"; name="file""#, "x_y.txt"),
            (r#"form-data;name=file;filename="q\"t.txt""#, "q_t.txt"),
            (r#"form-data; name="file"; filename=plain.txt"#, "plain.txt"),
        ] {
            let body = format!("--XX\r\nContent-Disposition: {disposition}\r\n\r\nhi\r\n--XX--\r\n");
            let f = multipart_file(body.as_bytes(), "XX").unwrap().expect(disposition);
            assert_eq!(f.name, name, "{disposition}");
        }
        // The same through the lc-types codec, which leaves `;` as it is.
        let part = lc_types::web::FilePart::new("a;b.txt", "text/plain", 2);
        let f = multipart_file(&part.multipart_body("B", b"hi"), "B").unwrap().unwrap();
        assert_eq!(f.name, "a_b.txt");
    }
}

//! The Web API: `/v{X.Y}/customer/action/{action}?organization_id=…`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use lc_types::{ApiVersion, WebMethod};
use serde_json::Value;

use crate::state::Refusal;
use crate::Shared;

/// Actions the reference calls without a customer token (§5.1).
const NO_TOKEN: &[&str] = &[
    "list_license_properties",
    "list_group_properties",
    "get_dynamic_configuration",
    "get_configuration",
    "get_localization",
];

pub(crate) async fn action(
    State(shared): State<Arc<Shared>>,
    Path((version, action)): Path<(String, String)>,
    Query(query): Query<BTreeMap<String, String>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match answer(&shared, &version, &action, &query, &method, &headers, &body) {
        Ok(v) => (StatusCode::OK, axum::Json(v)).into_response(),
        Err(r) => (
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
            axum::Json(r.envelope()),
        )
            .into_response(),
    }
}

fn answer(
    shared: &Shared,
    version: &str,
    action: &str,
    query: &BTreeMap<String, String>,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Refusal> {
    let parsed: Option<ApiVersion> = version.strip_prefix('v').and_then(|v| v.parse().ok());
    let api = parsed
        .and_then(lc_types::api)
        .ok_or_else(|| Refusal::new("unsupported_version", 400, "Cannot call unsupported API versions."))?;
    let version = api.version.to_string();
    // An action the version does not have, or has only over RTM, has no Web endpoint.
    let info = api
        .action(action)
        .filter(|a| a.web.is_some())
        .ok_or_else(|| Refusal::new("not_found", 404, format!("No Web action `{action}` in v{version}")))?;
    match query.get("organization_id") {
        None => return Err(Refusal::new("validation", 400, "`organization_id` query parameter is required")),
        Some(id) if *id != shared.organization_id => return Err(Refusal::new("license_not_found", 404, "License not found")),
        Some(_) => {}
    }
    let web = info.web.expect("filtered");
    let expected = if web == WebMethod::Get { Method::GET } else { Method::POST };
    if *method != expected {
        return Err(Refusal::new("validation", 405, format!("`{action}` is called with {expected}")));
    }
    let customer = if NO_TOKEN.contains(&action) {
        None
    } else {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "));
        let state = shared.state.lock().expect("not poisoned");
        let id = token.and_then(|t| state.tokens.get(t)).cloned();
        Some(id.ok_or_else(|| Refusal::new("authentication", 401, "Invalid access token"))?)
    };
    let payload = match web {
        WebMethod::Get => Value::Object(
            query
                .iter()
                .filter(|(k, _)| *k != "organization_id")
                .map(|(k, v)| (k.clone(), serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.clone()))))
                .collect(),
        ),
        WebMethod::Post => {
            let json = headers
                .get(header::CONTENT_TYPE)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|h| h.starts_with("application/json"));
            if !json {
                return Err(Refusal::new("validation", 415, "Content-Type must be application/json"));
            }
            serde_json::from_slice(body).map_err(|e| Refusal::new("validation", 400, format!("Body is not JSON: {e}")))?
        }
        WebMethod::Multipart => return Err(Refusal::new("internal", 501, "upload_file is not implemented by the mock yet")),
    };
    if let Some(schema) = shared.request_schema(&version, action) {
        let problem = shared
            .schemas
            .check(&version, &schema, &payload)
            .map_err(|e| Refusal::new("internal", 500, format!("mock schema error: {e}")))?;
        if let Some(problem) = problem {
            return Err(Refusal::new("validation", 400, format!("Wrong format of request: {problem}")));
        }
    }
    // A rejected request changes nothing: handlers refuse before they write, and the response
    // is checked before the state is kept.
    let mut state = shared.state.lock().expect("not poisoned");
    let mut scratch = state.clone();
    let response = crate::actions::run(&mut scratch, &version, action, customer.as_deref(), &payload).unwrap_or_else(|| {
        Err(Refusal::new(
            "internal",
            501,
            format!("`{action}` is not implemented by the mock yet"),
        ))
    })?;
    // The mock answers only what the lc-types response type of this version accepts as it is.
    let text = response.to_string();
    match (api.decode_response)(action, &text) {
        Ok(decoded) if decoded.unknowns().is_empty() => {}
        Ok(decoded) => {
            return Err(Refusal::new(
                "internal",
                500,
                format!("mock bug: response has unknowns {:?}", decoded.unknowns()),
            ))
        }
        Err(e) => return Err(Refusal::new("internal", 500, format!("mock bug: response does not decode: {e}"))),
    }
    *state = scratch;
    Ok(response)
}

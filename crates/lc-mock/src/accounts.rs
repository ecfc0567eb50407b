//! The accounts service's customer token endpoint, `POST /v2/customer/token` (reference §5.3),
//! and `POST /v2/customer/{organization_id}/{group_id}/token`, the path
//! @livechat/customer-auth asks with `uniqueGroups` (a customer identity of its own per group:
//! its cookies are named for the group, `__lc_cid_<group>`):
//! the `cookie` grant (the customer identity lives in the `__lc_cid`/`__lc_cst` cookies the
//! answer sets; a request that sends them back gets a new token for the same customer) and
//! the `agent_token` grant (any bearer token is accepted as an agent's; `customer_id` picks an
//! existing customer, otherwise a new one is created). Tokens carry the mock's region prefix
//! and expire after `Config::token_lifetime`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::Shared;

/// An OAuth-style refusal, as the accounts service answers.
fn refuse(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(json!({ "error": error, "error_description": description }))).into_response()
}

/// The identity cookie's value for a customer: its ID, and a check the mock can verify.
fn cookie_secret(shared: &Shared, customer_id: &str) -> String {
    format!("cst-{}-{}", shared.organization_id.len(), customer_id.len() * 7919 % 1000)
}

/// `POST /v2/customer/{organization_id}/{group_id}/token`: the path must name the mock's
/// organization and a whole-number group; the identity is the group's own.
pub(crate) async fn group_token(
    State(shared): State<Arc<Shared>>,
    Path((organization, group)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let group = Some(group).filter(|g| (1..=10).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
    match group {
        Some(group) if organization == shared.organization_id => issue(&shared, &headers, body, &format!("_{group}")).await,
        _ => refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Unknown organization or group in the path",
        ),
    }
}

/// `POST /v2/customer/token`.
pub(crate) async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: axum::body::Body) -> Response {
    issue(&shared, &headers, body, "").await
}

/// A token for the grant in `body`; the identity cookies' names end with `cookie_suffix`.
async fn issue(shared: &Shared, headers: &HeaderMap, body: axum::body::Body, cookie_suffix: &str) -> Response {
    // Bounded like the API's own requests, refused before reading when announced larger.
    let body = match crate::web::read_body(headers, body, crate::MAX_BODY_BYTES, shared.body_read_timeout).await {
        Ok(body) => body,
        Err(crate::web::BodyError::TooLarge) => {
            let why = format!("The body is larger than {} bytes", crate::MAX_BODY_BYTES);
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", &why);
        }
        Err(crate::web::BodyError::Slow) => {
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                "invalid_request",
                "The request body did not arrive in time",
            );
        }
    };
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "invalid_request", "The body must be a JSON object");
    };
    let text = |k: &str| body.get(k).and_then(Value::as_str);
    if text("response_type") != Some("token") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "`response_type` must be `token`",
        );
    }
    if text("client_id").is_none_or(str::is_empty) {
        return refuse(StatusCode::BAD_REQUEST, "invalid_request", "`client_id` is required");
    }
    if text("organization_id") != Some(shared.organization_id.as_str()) {
        return refuse(StatusCode::BAD_REQUEST, "invalid_request", "Unknown `organization_id`");
    }
    let known = |id: &str| crate::lock(&shared.state).customers.contains_key(id);
    let customer = match text("grant_type") {
        Some("cookie") => {
            let cookies: Vec<(String, String)> = headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|h| h.to_str().ok())
                .flat_map(|h| h.split(';'))
                .filter_map(|c| c.trim().split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
                .collect();
            let cookie = |name: &str| cookies.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            match (
                cookie(&format!("__lc_cid{cookie_suffix}")),
                cookie(&format!("__lc_cst{cookie_suffix}")),
            ) {
                (Some(id), Some(cst)) if known(&id) && cst == cookie_secret(shared, &id) => Some(id),
                _ => None,
            }
        }
        Some("agent_token") => {
            let bearer = headers
                .get(header::AUTHORIZATION)
                .and_then(|h| h.to_str().ok())
                .and_then(|h| h.strip_prefix("Bearer "))
                .filter(|t| !t.trim().is_empty());
            if bearer.is_none() {
                return refuse(StatusCode::UNAUTHORIZED, "unauthorized", "An agent token is required");
            }
            match text("customer_id") {
                Some(id) if known(id) => Some(id.to_owned()),
                Some(_) => return refuse(StatusCode::BAD_REQUEST, "invalid_request", "Unknown `customer_id`"),
                None => None,
            }
        }
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "`grant_type` is `cookie` or `agent_token`",
            )
        }
    };
    let (id, token) = shared.issue_token(customer.as_deref());
    if let Some(client) = text("client_id") {
        crate::lock(&shared.token_clients).insert(token.clone(), client.to_owned());
    }
    let answer = json!({
        "access_token": token,
        "entity_id": id,
        "expires_in": shared.token_lifetime.as_secs(),
        "token_type": "Bearer",
        "organization_id": shared.organization_id,
    });
    let mut response = (StatusCode::OK, axum::Json(answer)).into_response();
    if text("grant_type") == Some("cookie") {
        for (name, value) in [("__lc_cid", id.clone()), ("__lc_cst", cookie_secret(shared, &id))] {
            let name = format!("{name}{cookie_suffix}");
            // `SameSite=None`: the page that asks is on another site than the accounts service,
            // and a browser sends a cookie without it only to its own site.
            let cookie = format!("{name}={value}; Path=/; Max-Age=63072000; HttpOnly; Secure; SameSite=None");
            if let Ok(v) = header::HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    response
}

//! CORS, as an API that browsers call across sites must answer it: the official browser SDK
//! (@livechat/customer-sdk) asks the accounts service for tokens with credentials (cookies)
//! and sends `upload_file` and `check_goals` with an `Authorization` header, from the page's
//! origin. A browser drops an answer without `Access-Control-Allow-Origin` (and, with
//! credentials, `Access-Control-Allow-Credentials: true`), and sends a preflight `OPTIONS`
//! before a request with such headers; both are answered here for the API paths (not the
//! control API).

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Answers a preflight at once (204, nothing routed or counted); adds the CORS headers to
/// every answer to a request that names an `Origin`.
pub(crate) async fn layer(request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let preflight = request.method() == Method::OPTIONS && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    let mut response = if preflight {
        let asked = request.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned();
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
        if let Some(asked) = asked {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
        }
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        response
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Legacy, Deprecation"),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    response
}

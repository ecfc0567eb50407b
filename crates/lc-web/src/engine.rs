//! The retry engine: sends a call's attempts until one succeeds or the [`RetryPolicy`]'s
//! decision ([`RetryPolicy::decide`], a pure function) says to stop; builds each attempt's
//! request (token, region, headers) and reads its answer.

use std::time::{Duration, Instant};

use bytes::Bytes;
use lc_types::auth::AccessToken;
use lc_types::web::{self, HttpRequest};
use lc_types::{ApiVersion, ChatApi, PeerText, Region};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::client::{ResponseMeta, WebClient};
use crate::error::{End, Error, ErrorKind};
use crate::response::{read_body, redirect_target, retry_after, BodyError};
use crate::retry::{Decision, Failed};

static X_REGION: HeaderName = HeaderName::from_static("x-region");
static X_AUTHOR_ID: HeaderName = HeaderName::from_static("x-author-id");
static LEGACY: HeaderName = HeaderName::from_static("legacy");
static DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
static X_DEBUG_ID: HeaderName = HeaderName::from_static("x-debug-id");

/// The header name of a codec header, without parsing the two the codec uses.
fn header_name(name: &str) -> Result<HeaderName, Error> {
    if name.eq_ignore_ascii_case(web::CONTENT_TYPE) {
        Ok(reqwest::header::CONTENT_TYPE)
    } else if name.eq_ignore_ascii_case(web::X_REGION) {
        Ok(X_REGION.clone())
    } else {
        HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::with_source(ErrorKind::Config, format!("header `{name}`")))
    }
}
/// What one call is: its action, version and the properties retries depend on.
#[derive(Clone, Copy)]
pub(crate) struct Spec<'a> {
    pub api: ChatApi,
    pub version: ApiVersion,
    pub action: &'a str,
    pub needs_token: bool,
    pub idempotent: bool,
    /// The request's body can be sent once only (a streamed upload): the call is never
    /// retried, and fails with the error that a retry would have followed.
    pub once: bool,
}

/// One attempt's request, from the codec, with the body for a multipart upload.
pub(crate) struct Prepared {
    pub http: HttpRequest,
    /// The multipart body and its `Content-Type` and `Content-Length`.
    pub multipart: Option<(reqwest::Body, String, u64)>,
}

/// Builds the request of an attempt for a region.
pub(crate) type Make<'a> = dyn Fn(Option<&Region>) -> Result<Prepared, Error> + Send + Sync + 'a;

impl WebClient {
    /// The token for a call, whenever a provider is set: the configuration and property GETs
    /// need none, but the API's header table asks for it and LiveChat's Python SDK always
    /// sends it, so they carry it too. "Needs no token" only decides that such a call goes
    /// on without one when the provider fails, or gives none within the call's timeout.
    async fn token(&self, spec: &Spec<'_>) -> Result<Option<AccessToken>, Error> {
        let Some(provider) = &self.inner.tokens else {
            return Ok(None);
        };
        if spec.needs_token {
            return provider
                .token()
                .await
                .map(Some)
                .map_err(|e| Error::with_source(ErrorKind::Token, e));
        }
        match tokio::time::timeout(self.inner.timeout, provider.token()).await {
            Ok(Ok(token)) => Ok(Some(token)),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "lc-web: no token for a call that needs none; sent without one");
                Ok(None)
            }
            Err(_) => {
                tracing::debug!("lc-web: the token provider took longer than the timeout; a call that needs no token went without one");
                Ok(None)
            }
        }
    }

    /// Sends the call until it succeeds or must fail; gives the 2xx status, body and meta. An
    /// error says how many requests were sent ([`Error::attempts`]).
    pub(crate) async fn run(&self, spec: Spec<'_>, make: &Make<'_>) -> Result<(u16, Bytes, ResponseMeta), Error> {
        // Acting as a bot is a configuration the call's version may not have: sent without the
        // header, the call would act as the agent instead.
        if self.inner.author_id.is_some() && !web::author_id_allowed(spec.api, spec.version) {
            return Err(Error::with_source(
                ErrorKind::Config,
                format!(
                    "`author_id` (X-Author-Id) is for Agent Chat API calls up to 3.5, not a {} API v{} call (`{}`); from 3.5 on a bot uses its own token (`BotTokenProvider`)",
                    spec.api, spec.version, spec.action
                ),
            ));
        }
        let mut sent = 0;
        self.send_until_done(spec, make, &mut sent).await.map_err(|e| e.with_attempts(sent))
    }

    /// [`WebClient::run`], counting the requests sent into `sent`.
    async fn send_until_done(&self, spec: Spec<'_>, make: &Make<'_>, sent: &mut u32) -> Result<(u16, Bytes, ResponseMeta), Error> {
        let budget = self.inner.retry.max_elapsed;
        // The whole call ends by then (`None`: a budget too large to matter).
        let deadline = Instant::now().checked_add(budget);
        let left = || deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let mut refreshed = false;
        let mut switched = false;
        // The token a refresh gave, for the next attempt.
        let mut renewed: Option<Option<AccessToken>> = None;
        loop {
            let token = match renewed.take() {
                Some(token) => token,
                None => self.token(&spec).await?,
            };
            let region = self.region().or_else(|| token.as_ref().and_then(AccessToken::region));
            let prepared = make(region.as_ref())?;
            // This attempt may take what remains of the budget, at most the timeout.
            let timeout = left().map_or(self.inner.timeout, |left| left.min(self.inner.timeout));
            let request = self.request(prepared, token.as_ref(), region.as_ref(), timeout)?;
            *sent += 1;
            let attempts = *sent;
            tracing::debug!(action = spec.action, version = %spec.version, attempt = attempts, "lc-web: sending");
            let (error, retry_after) = match self.inner.http.execute(request).await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let mut meta = self.meta(&spec, status, response.headers(), attempts, region);
                    meta.http_version = response.version();
                    let retry_after = retry_after(response.headers());
                    let redirect = redirect_target(status, response.headers());
                    let limit = self.inner.max_response_bytes;
                    match (read_body(response, limit).await, redirect) {
                        (Ok(body), _) if (200..300).contains(&status) => return Ok((status, body, meta)),
                        (Ok(_), Some(location)) => (Error::new(ErrorKind::Redirect { status, location }), None),
                        (Ok(body), None) => match web::decode::<serde::de::IgnoredAny>(status, &body) {
                            Err(e) => (Error::from_response(e), retry_after),
                            // Not reached: the codec takes every status but 2xx for an error.
                            Ok(_) => {
                                let body = String::from_utf8_lossy(&body).into_owned();
                                (Error::new(ErrorKind::Status { status, body }), retry_after)
                            }
                        },
                        (Err(BodyError::TooLarge), _) => {
                            let limit = limit as u64;
                            (Error::new(ErrorKind::ResponseTooLarge { status, limit }), None)
                        }
                        (Err(BodyError::Transport(e)), _) => (Error::transport(e, timeout), None),
                    }
                }
                Err(e) => (Error::transport(e, timeout), None),
            };
            let mut error = error.with_retry_after(retry_after);
            // An attempt cut short by the budget that timed out used the budget up.
            if timeout < self.inner.timeout && matches!(error.kind(), ErrorKind::Timeout(_)) {
                error = error.with_end(End::BudgetSpent { budget });
            }
            let failed = Failed {
                kind: error.kind(),
                retry_after,
                idempotent: spec.idempotent,
                attempts,
                had_token: token.is_some(),
                refreshed,
                switched,
                left: left(),
            };
            match self.inner.retry.decide(&failed, fastrand::f64()) {
                Decision::Refresh => {
                    let refused = token.as_ref();
                    if let (Some(provider), Some(refused)) = (&self.inner.tokens, refused) {
                        provider.invalidate(refused);
                    }
                    // The body cannot be sent again: report why a retry was wanted, after the
                    // refused token is dropped, for the calls after.
                    if spec.once {
                        tracing::debug!(action = spec.action, attempt = attempts, error = %error, "lc-web: call failed");
                        return Err(error);
                    }
                    tracing::info!(action = spec.action, "lc-web: the token was refused; getting a new one");
                    let new = self.token(&spec).await?;
                    // A provider that cannot renew (a static token) gives the refused token
                    // again: sending it again would be refused again.
                    if new.as_ref().is_none_or(|new| refused.is_some_and(|r| r.secret() == new.secret())) {
                        tracing::debug!(action = spec.action, "lc-web: the token provider gave the refused token again");
                        return Err(error);
                    }
                    renewed = Some(new);
                    refreshed = true;
                }
                Decision::Switch(region) => {
                    tracing::info!(action = spec.action, region = %region, "lc-web: misdirected request; switching region");
                    *self.inner.region.write().expect("not poisoned") = Some(region);
                    if spec.once {
                        return Err(error);
                    }
                    switched = true;
                }
                // The body cannot be sent again.
                Decision::Wait(_) if spec.once => return Err(error),
                Decision::Wait(delay) => {
                    tracing::info!(action = spec.action, attempt = attempts, error = %error, delay_ms = delay.as_millis() as u64, "lc-web: retrying");
                    tokio::time::sleep(delay).await;
                }
                Decision::Fail(end) => {
                    if end != End::Plain {
                        error = error.with_end(end);
                    }
                    tracing::debug!(action = spec.action, attempt = attempts, error = %error, "lc-web: call failed");
                    return Err(error);
                }
            }
        }
    }

    /// The reqwest request of an attempt.
    fn request(
        &self,
        prepared: Prepared,
        token: Option<&AccessToken>,
        region: Option<&Region>,
        timeout: Duration,
    ) -> Result<reqwest::Request, Error> {
        let Prepared { http, multipart } = prepared;
        let url = http.url(self.inner.endpoint.origin(region));
        let url = reqwest::Url::parse(&url).map_err(|e| Error::with_source(ErrorKind::Config, format!("request URL: {e}")))?;
        let method = match http.method {
            web::Method::Get => reqwest::Method::GET,
            web::Method::Post => reqwest::Method::POST,
        };
        let mut request = reqwest::Request::new(method, url);
        *request.timeout_mut() = Some(timeout);
        let headers = request.headers_mut();
        if !self.inner.headers.is_empty() {
            headers.extend(self.inner.headers.clone());
        }
        for (name, value) in &http.headers {
            let name = header_name(name)?;
            let value = if value == web::APPLICATION_JSON {
                HeaderValue::from_static(web::APPLICATION_JSON)
            } else {
                HeaderValue::from_str(value).map_err(|_| Error::with_source(ErrorKind::Config, format!("header value of `{name}`")))?
            };
            headers.insert(name, value);
        }
        if let Some(token) = token {
            headers.insert(reqwest::header::AUTHORIZATION, self.authorization(token)?);
        } else if let Some(basic) = &self.inner.basic {
            headers.insert(reqwest::header::AUTHORIZATION, basic.clone());
        }
        if let Some(bot_id) = &self.inner.author_id {
            // `run` refused the calls that may not carry it.
            headers.insert(X_AUTHOR_ID.clone(), bot_id.clone());
        }
        match (http.body, multipart) {
            (web::Body::Json(bytes), _) => *request.body_mut() = Some(bytes.into()),
            (web::Body::Multipart(_), Some((body, content_type, len))) => {
                let content_type = HeaderValue::try_from(content_type).map_err(|_| Error::with_source(ErrorKind::Config, "boundary"))?;
                headers.insert(reqwest::header::CONTENT_TYPE, content_type);
                headers.insert(reqwest::header::CONTENT_LENGTH, HeaderValue::from(len));
                *request.body_mut() = Some(body);
            }
            _ => {}
        }
        Ok(request)
    }

    /// `Bearer <token>`, marked sensitive; built once per token.
    fn authorization(&self, token: &AccessToken) -> Result<HeaderValue, Error> {
        let mut cached = self.inner.authorization.lock().expect("not poisoned");
        if let Some((t, value)) = &*cached {
            if t.same_as(token) || t == token {
                return Ok(value.clone());
            }
        }
        let mut value = HeaderValue::from_maybe_shared(Bytes::from(format!("Bearer {}", token.secret())))
            .map_err(|_| Error::with_source(ErrorKind::Config, "the access token is not a valid header value"))?;
        value.set_sensitive(true);
        *cached = Some((token.clone(), value.clone()));
        Ok(value)
    }

    /// The meta of an answer; warns once per version and header about `Legacy`/`Deprecation`.
    fn meta(&self, spec: &Spec<'_>, status: u16, headers: &HeaderMap, attempts: u32, region: Option<Region>) -> ResponseMeta {
        let text = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let legacy = text(&LEGACY);
        let deprecation = text(&DEPRECATION);
        for (name, value) in [("Legacy", &legacy), ("Deprecation", &deprecation)] {
            if let Some(date) = value {
                let mut warned = self.inner.warned.lock().expect("not poisoned");
                if !warned.contains(&(spec.version, name)) {
                    warned.push((spec.version, name));
                    tracing::warn!(version = %spec.version, header = name, date = %PeerText::new(date).max(100), "lc-web: API v{} is {}", spec.version,
                        if name == "Legacy" { "legacy" } else { "deprecated" });
                }
            }
        }
        ResponseMeta {
            status,
            debug_id: text(&X_DEBUG_ID),
            legacy,
            deprecation,
            attempts,
            region,
            http_version: reqwest::Version::HTTP_11,
        }
    }
}

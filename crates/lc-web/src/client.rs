//! [`WebClient`] and its builder.

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use lc_types::auth::{AccessToken, StaticToken, TokenProvider};
use lc_types::endpoint::Endpoint;
use lc_types::limits::peer_wait;
use lc_types::web::{self, HttpRequest};
use lc_types::{ApiVersion, ErrorType, PeerText, Region, WebAction, WebMethod};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{End, Error, ErrorKind};
use crate::retry::RetryPolicy;

/// The default time a call may take (per attempt): a little more than the server's own
/// 15 s ([`lc_types::limits::SERVER_REQUEST_TIMEOUT`]), so its `request_timeout` arrives first.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The largest answer body the client reads by default: 16 MiB (the same bound as `lc-rtm`'s
/// frames). The largest real answers, `list_threads` pages of 100 threads, stay far below it.
/// A larger body (API answers, errors, and the accounts service's answers alike) fails the
/// call with [`ErrorKind::ResponseTooLarge`], which is not retried: at once, without reading
/// it, when its `Content-Length` announces more, and as soon as this much has arrived
/// otherwise. The body is read piece by piece, so what a server sends never makes the client
/// hold more than this. Change it with [`WebClientBuilder::max_response_bytes`].
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The most redirects a call follows within the API's origin (scheme, host and port);
/// a redirect to another origin is never followed, whatever the count. Past either, the call
/// fails with [`ErrorKind::Redirect`], saying where the redirect pointed.
pub const MAX_REDIRECTS: usize = 5;

/// The redirect policy of the clients this crate builds (the API's and the accounts
/// service's): follow at most [`MAX_REDIRECTS`] redirects, all to the origin of the first
/// request; stop at any other, which then reaches the caller as the 3xx answer it is.
pub(crate) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// The `Location` of a 3xx answer (lossily decoded), when it is a redirect.
pub(crate) fn redirect_target(status: u16, headers: &HeaderMap) -> Option<String> {
    let location = headers.get(reqwest::header::LOCATION).filter(|_| (300..400).contains(&status))?;
    Some(String::from_utf8_lossy(location.as_bytes()).into_owned())
}

/// What came with an answer besides its body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// The HTTP status.
    pub status: u16,
    /// The `x-debug-id` header (quote it to LiveChat support).
    pub debug_id: Option<String>,
    /// The `Legacy` header: the version is legacy (its value is a date).
    pub legacy: Option<String>,
    /// The `Deprecation` header: the version is deprecated (its value is a date).
    pub deprecation: Option<String>,
    /// How many requests the call took (1 without retries).
    pub attempts: u32,
    /// The region the answering request was sent to (`X-Region`), if any.
    pub region: Option<Region>,
    /// The HTTP version of the answer (HTTP/1.1 or HTTP/2).
    pub http_version: reqwest::Version,
}

/// A client of the Customer Chat Web API, for one organization: cheap to clone (clones share
/// the connection pool, the token provider and the region).
///
/// ```no_run
/// # async fn run() -> Result<(), lc_web::Error> {
/// use lc_types::v3_6::{GetCustomerRequest, ListChatsRequest};
/// let client = lc_web::WebClient::builder("my-organization-id")
///     .token("dal:customer-access-token")
///     .build()?;
/// let customer = client.call(&GetCustomerRequest::default()).await?;
/// let chats = client.call(&ListChatsRequest::default()).await?;
/// println!("{} chats; the customer: {customer:?}", chats.total_chats);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WebClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    organization_id: String,
    endpoint: Endpoint,
    tokens: Option<Arc<dyn TokenProvider>>,
    region: RwLock<Option<Region>>,
    retry: RetryPolicy,
    timeout: Duration,
    max_response_bytes: usize,
    headers: HeaderMap,
    warned: Mutex<Vec<(ApiVersion, &'static str)>>,
    /// The `Authorization` value of the last token, reused while the token is the same.
    authorization: Mutex<Option<(AccessToken, HeaderValue)>>,
}

static X_REGION: HeaderName = HeaderName::from_static("x-region");
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

impl fmt::Debug for WebClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebClient")
            .field("organization_id", &self.inner.organization_id)
            .field("base_url", &self.inner.endpoint.base_url)
            .field("version", &self.inner.endpoint.version)
            .field("region", &*self.inner.region.read().expect("not poisoned"))
            .field("has_token_provider", &self.inner.tokens.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds a [`WebClient`]; see [`WebClient::builder`].
#[must_use]
pub struct WebClientBuilder {
    organization_id: String,
    tokens: Option<Arc<dyn TokenProvider>>,
    endpoint: Endpoint,
    timeout: Duration,
    max_response_bytes: usize,
    retry: RetryPolicy,
    user_agent: String,
    headers: Vec<(String, String)>,
    proxy: Option<String>,
    http: Option<reqwest::Client>,
    accept_invalid_certs: bool,
    http2_prior_knowledge: bool,
}

impl fmt::Debug for WebClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebClientBuilder")
            .field("organization_id", &self.organization_id)
            .field("base_url", &self.endpoint.base_url)
            .field("version", &self.endpoint.version)
            .finish_non_exhaustive()
    }
}

impl WebClientBuilder {
    /// A static access token (`dal:…`; a leading `Bearer ` is removed).
    pub fn token(self, token: impl Into<String>) -> Self {
        self.token_provider(StaticToken::new(token))
    }

    /// Where tokens come from: [`StaticToken`], [`lc_types::auth::token_fn`],
    /// [`AccountsTokenProvider`](crate::AccountsTokenProvider) or your own.
    pub fn token_provider(self, provider: impl TokenProvider + 'static) -> Self {
        self.shared_token_provider(Arc::new(provider))
    }

    /// A token provider shared with others (e.g. with an `lc-rtm` connection).
    pub fn shared_token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.tokens = Some(provider);
        self
    }

    /// The API origin, e.g. `http://127.0.0.1:8080` for `lc-mock` ([`DEFAULT_BASE_URL`](crate::DEFAULT_BASE_URL) by
    /// default).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint.base_url = url.into();
        self
    }

    /// The origin to use for `region` instead of the base URL (e.g. `https://api-fra.livechatinc.com`
    /// for `fra`); without one, the base URL with `X-Region` is used.
    pub fn region_base_url(mut self, region: Region, url: impl Into<String>) -> Self {
        self.endpoint.set_region_url(region, url);
        self
    }

    /// The region to send (`X-Region`) instead of the token's prefix.
    pub fn region(mut self, region: Region) -> Self {
        self.endpoint.region = Some(region);
        self
    }

    /// The client's default version ([`WebClient::api_version`]), for
    /// [`WebClient::upload_file`] without [`Upload::version`](crate::Upload::version); typed
    /// calls use their request type's version. The default is
    /// [`lc_types::endpoint::default_version`]: 3.6 when compiled in, else the newest.
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.endpoint.version = version;
        self
    }

    /// Every endpoint setting at once (base URL, region URLs, region, version, client ID, root
    /// certificates, connect timeout): one [`Endpoint`] value can configure both clients.
    ///
    /// ```
    /// let mut endpoint = lc_types::endpoint::Endpoint::default();
    /// endpoint.base_url = "http://127.0.0.1:8080".into();
    /// let client = lc_web::WebClient::builder("my-organization-id").endpoint(endpoint).build()?;
    /// # Ok::<(), lc_web::Error>(())
    /// ```
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// The time each attempt may take ([`DEFAULT_TIMEOUT`] by default; less when the
    /// [`RetryPolicy::max_elapsed`] budget of the call has less left).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time to establish a connection ([`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT) by default).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.endpoint.connect_timeout = timeout;
        self
    }

    /// The largest answer body to read ([`MAX_RESPONSE_BYTES`], 16 MiB, by default); a larger
    /// one fails the call with [`ErrorKind::ResponseTooLarge`].
    ///
    /// ```
    /// let client = lc_web::WebClient::builder("my-organization-id")
    ///     .token("dal:customer-access-token")
    ///     .max_response_bytes(4 * 1024 * 1024)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), lc_web::Error>(())
    /// ```
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// When and how to retry ([`RetryPolicy::default`]: 3 attempts within 30 s).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` (`lc-web/<version>` by default).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The application's client ID, sent in the `User-Agent` after the product
    /// (`lc-web/<version> Application <client_id>`), as `lc_rtm`'s builder sends it
    /// ([`lc_types::web::user_agent`]); LiveChat's SDKs take it as `clientId`.
    ///
    /// ```
    /// let client = lc_web::WebClient::builder("my-organization-id").client_id("my-app").build()?;
    /// # Ok::<(), lc_web::Error>(())
    /// ```
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.endpoint.client_id = Some(client_id.into());
        self
    }

    /// A header sent with every request (e.g. `X-Debug-Id`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// An HTTP(S) proxy for every request, e.g. `http://proxy.local:3128`.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Use this `reqwest::Client` (its pool, TLS, proxy and redirect settings); the builder's
    /// connect timeout, user agent and client ID, proxy and HTTP/2 options, and the redirect policy of
    /// [`MAX_REDIRECTS`] within the API's origin, then do not apply (a redirect that client
    /// does not follow still fails the call with [`ErrorKind::Redirect`]).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Speak HTTP/2 without negotiating it first (for `http://` servers that speak HTTP/2,
    /// such as `lc-mock`; over TLS, HTTP/2 is negotiated anyway).
    pub fn http2_prior_knowledge(mut self) -> Self {
        self.http2_prior_knowledge = true;
        self
    }

    /// Trusts the certificates of this PEM bundle too, besides the public roots: for a server
    /// with a private certificate, such as `lc mock --tls-cert` (as `lc_rtm`'s builder takes
    /// it; unlike [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs), every
    /// other certificate is still checked). A bundle without a certificate, or one that does
    /// not parse, fails `build()`.
    ///
    /// ```no_run
    /// let pem = std::fs::read("crates/lc-mock/tests/tls/cert.pem").unwrap();
    /// let client = lc_web::WebClient::builder("my-organization-id").root_certificate_pem(pem).build()?;
    /// # Ok::<(), lc_web::Error>(())
    /// ```
    pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.endpoint.root_pems.push(pem.into());
        self
    }

    /// **Dangerous**: accept any TLS certificate, so anyone on the path can read and change
    /// the traffic, tokens included. For test servers with self-signed certificates only.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// The client.
    pub fn build(self) -> Result<WebClient, Error> {
        let config = |what: String| Error::with_source(ErrorKind::Config, what);
        let http = match self.http {
            Some(http) => http,
            None => {
                let mut b = reqwest::Client::builder()
                    .connect_timeout(self.endpoint.connect_timeout)
                    .user_agent(lc_types::web::user_agent(&self.user_agent, self.endpoint.client_id.as_deref()))
                    .https_only(false)
                    .redirect(redirect_policy())
                    .danger_accept_invalid_certs(self.accept_invalid_certs);
                if self.http2_prior_knowledge {
                    b = b.http2_prior_knowledge();
                }
                for pem in &self.endpoint.root_pems {
                    let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| config(format!("root certificate: {e}")))?;
                    if certs.is_empty() {
                        return Err(config("root certificate: the PEM holds no certificate".into()));
                    }
                    for cert in certs {
                        b = b.add_root_certificate(cert);
                    }
                }
                if let Some(proxy) = &self.proxy {
                    let proxy = reqwest::Proxy::all(proxy).map_err(|e| config(format!("proxy: {}", e.without_url())))?;
                    b = b.proxy(proxy);
                }
                b.build().map_err(|e| config(format!("HTTP client: {e}")))?
            }
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| config(format!("header name `{name}`")))?;
            let v = HeaderValue::from_str(value).map_err(|_| config(format!("the value of header `{name}`")))?;
            headers.append(n, v);
        }
        for url in self.endpoint.origins() {
            reqwest::Url::parse(url).map_err(|e| config(format!("base URL `{url}`: {e}")))?;
        }
        Ok(WebClient {
            inner: Arc::new(Inner {
                http,
                organization_id: self.organization_id,
                region: RwLock::new(self.endpoint.region.clone()),
                endpoint: self.endpoint,
                tokens: self.tokens,
                retry: self.retry,
                timeout: self.timeout,
                max_response_bytes: self.max_response_bytes,
                headers,
                warned: Mutex::default(),
                authorization: Mutex::default(),
            }),
        })
    }
}

/// What one call is: its action, version and the properties retries depend on.
#[derive(Clone, Copy)]
pub(crate) struct Spec<'a> {
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

/// What a retry loop does after a failed attempt.
enum Next {
    Refresh(AccessToken),
    Switch(Region),
    Backoff(Option<Duration>),
    Fail,
}

impl WebClient {
    /// A builder for a client of organization `organization_id` (the `organization_id` query
    /// parameter of every call).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lc_web::{RetryPolicy, WebClient};
    /// let client = WebClient::builder("my-organization-id")
    ///     .token("dal:customer-access-token")
    ///     .timeout(Duration::from_secs(15))
    ///     .retry(RetryPolicy::default().max_attempts(5))
    ///     .header("X-Debug-Id", "checkout-42")
    ///     .build()?;
    /// assert_eq!(client.organization_id(), "my-organization-id");
    /// # Ok::<(), lc_web::Error>(())
    /// ```
    pub fn builder(organization_id: impl Into<String>) -> WebClientBuilder {
        WebClientBuilder {
            organization_id: organization_id.into(),
            tokens: None,
            endpoint: Endpoint::default(),
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: MAX_RESPONSE_BYTES,
            retry: RetryPolicy::default(),
            user_agent: concat!("lc-web/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
            proxy: None,
            http: None,
            accept_invalid_certs: false,
            http2_prior_knowledge: false,
        }
    }

    /// The organization calls are made for.
    pub fn organization_id(&self) -> &str {
        &self.inner.organization_id
    }

    /// The version of calls that name none.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.endpoint.version
    }

    /// The region calls are sent to: the configured one, or the one a `misdirected_request`
    /// named; `None` when the token's prefix decides.
    pub fn region(&self) -> Option<Region> {
        self.inner.region.read().expect("not poisoned").clone()
    }

    /// Calls the action of `request` in its version and decodes its response.
    ///
    /// Retries what the [`RetryPolicy`] allows (never a non-idempotent action that may have
    /// reached the server), gets a new token once on `authentication` (and fails at once when
    /// the provider gives the refused token again, as a static token does), and switches
    /// region once on `misdirected_request`.
    ///
    /// ```no_run
    /// # async fn run(client: lc_web::WebClient) -> Result<(), lc_web::Error> {
    /// use lc_types::{v3_6, v3_7};
    /// let chat = client.call(&v3_6::StartChatRequest::default()).await?;
    /// let event = v3_6::MessageEventInput::new("Hello");
    /// client.call(&v3_6::SendEventRequest::new(chat.chat_id.clone(), event)).await?;
    /// // Versions mix freely: the request type names its version.
    /// let chats = client.call(&v3_7::ListChatsRequest::default()).await?;
    /// # let _ = chats; Ok(()) }
    /// ```
    pub async fn call<R: WebAction + Sync>(&self, request: &R) -> Result<R::Response, Error> {
        self.call_with_meta(request).await.map(|(response, _)| response)
    }

    /// [`WebClient::call`], also giving the answer's [`ResponseMeta`] (status, `x-debug-id`,
    /// `Legacy`/`Deprecation`, attempts).
    pub async fn call_with_meta<R: WebAction + Sync>(&self, request: &R) -> Result<(R::Response, ResponseMeta), Error> {
        let spec = Spec {
            version: R::VERSION,
            action: R::NAME,
            needs_token: R::NEEDS_TOKEN,
            idempotent: R::IDEMPOTENT,
            once: false,
        };
        let org = self.inner.organization_id.as_str();
        let make = move |region: Option<&Region>| -> Result<Prepared, Error> {
            let http = HttpRequest::new(request, org, region).map_err(|e| Error::with_source(ErrorKind::Encode, e))?;
            Ok(Prepared { http, multipart: None })
        };
        let (status, body, meta) = self.run(spec, &make).await?;
        let response = web::decode_response::<R>(status, &body).map_err(Error::from_response)?;
        Ok((response, meta))
    }

    /// Calls action `action` of `version` by name with a JSON payload (for tools that choose
    /// the action at run time; [`WebClient::api_version`] is the client's default version).
    /// The action must exist over the Web API in that version; `upload_file` is refused (use
    /// [`WebClient::upload_file`]). The payload goes through the action's typed request
    /// ([`lc_types::Api::check_request`]), as [`WebClient::call`] would send it: one that does
    /// not decode fails with [`ErrorKind::Encode`] (the source names the JSON path), and a
    /// `null` the schema does not allow is left out (with a `tracing` warning).
    ///
    /// ```no_run
    /// # async fn run(client: lc_web::WebClient) -> Result<(), lc_web::Error> {
    /// let customer = client.call_value(client.api_version(), "get_customer", &serde_json::json!({})).await?;
    /// # let _ = customer; Ok(()) }
    /// ```
    pub async fn call_value(&self, version: ApiVersion, action: &str, payload: &serde_json::Value) -> Result<serde_json::Value, Error> {
        let api = lc_types::api(version);
        let info = api
            .and_then(|api| api.action(action))
            .filter(|a| matches!(a.web, Some(WebMethod::Get | WebMethod::Post)))
            .ok_or_else(|| Error::with_source(ErrorKind::Config, format!("no JSON Web action `{action}` in v{version}")))?;
        let checked = api
            .map(|api| api.check_request(action, payload))
            .transpose()
            .map_err(|e| Error::with_source(ErrorKind::Encode, e))?;
        for path in checked.iter().flat_map(|c| &c.dropped_nulls) {
            tracing::warn!(action, path = %path, "lc-web: a `null` the schema does not allow is left out");
        }
        let payload = checked.as_ref().map_or(payload, |c| &c.payload);
        let spec = Spec {
            version,
            action: info.name,
            needs_token: info.needs_token,
            idempotent: info.idempotent,
            once: false,
        };
        let org = self.inner.organization_id.as_str();
        let method = info.web.expect("filtered");
        let make = move |region: Option<&Region>| -> Result<Prepared, Error> {
            let http = HttpRequest::from_parts(version, info.name, method, payload, org, region)
                .map_err(|e| Error::with_source(ErrorKind::Encode, e))?;
            Ok(Prepared { http, multipart: None })
        };
        let (status, body, _) = self.run(spec, &make).await?;
        web::decode(status, &body).map_err(Error::from_response)
    }

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
        let mut sent = 0;
        self.send_until_done(spec, make, &mut sent).await.map_err(|e| e.with_attempts(sent))
    }

    /// [`WebClient::run`], counting the requests sent into `sent`.
    async fn send_until_done(&self, spec: Spec<'_>, make: &Make<'_>, sent: &mut u32) -> Result<(u16, Bytes, ResponseMeta), Error> {
        let policy = &self.inner.retry;
        // The whole call ends by then (`None`: a budget too large to matter).
        let deadline = Instant::now().checked_add(policy.max_elapsed);
        let left = || deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let spent = End::BudgetSpent {
            budget: policy.max_elapsed,
        };
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
                error = error.with_end(spent);
            }
            let next = match self.next(&spec, &error, token, refreshed, switched) {
                Next::Backoff(_) if attempts >= policy.attempts => Next::Fail,
                Next::Backoff(after) => {
                    let wait = after.or(retry_after);
                    let delay = policy.delay(attempts, wait);
                    match left() {
                        // The server asks for a longer wait than the budget has left: fail
                        // now, with the wait in the error, rather than sleep into the deadline.
                        Some(left) if wait.is_some_and(|w| w >= left) => {
                            error = error.with_end(End::WaitOverBudget { left });
                            Next::Fail
                        }
                        // No retry starts without time left for it after the backoff.
                        Some(left) if delay >= left => {
                            error = error.with_end(spent);
                            Next::Fail
                        }
                        _ => Next::Backoff(Some(delay)),
                    }
                }
                // A token refresh or a region switch is not backed off, but is within the time
                // budget too.
                Next::Refresh(_) | Next::Switch(_) if left().is_some_and(|left| left.is_zero()) => {
                    error = error.with_end(spent);
                    Next::Fail
                }
                other => other,
            };
            let next = match next {
                // The body cannot be sent again: report why a retry was wanted, after the
                // refused token is dropped or the region switched, for the calls after.
                Next::Refresh(token) if spec.once => {
                    if let Some(provider) = &self.inner.tokens {
                        provider.invalidate(&token);
                    }
                    Next::Fail
                }
                Next::Switch(region) if spec.once => {
                    *self.inner.region.write().expect("not poisoned") = Some(region);
                    Next::Fail
                }
                Next::Backoff(_) if spec.once => Next::Fail,
                other => other,
            };
            match next {
                Next::Refresh(token) => {
                    tracing::info!(action = spec.action, "lc-web: the token was refused; getting a new one");
                    if let Some(provider) = &self.inner.tokens {
                        provider.invalidate(&token);
                    }
                    let new = self.token(&spec).await?;
                    // A provider that cannot renew (a static token) gives the refused token
                    // again: sending it again would be refused again.
                    if new.as_ref().is_none_or(|new| new.secret() == token.secret()) {
                        tracing::debug!(action = spec.action, "lc-web: the token provider gave the refused token again");
                        return Err(error);
                    }
                    renewed = Some(new);
                    refreshed = true;
                }
                Next::Switch(region) => {
                    tracing::info!(action = spec.action, region = %region, "lc-web: misdirected request; switching region");
                    *self.inner.region.write().expect("not poisoned") = Some(region);
                    switched = true;
                }
                Next::Backoff(delay) => {
                    let delay = delay.unwrap_or_default();
                    tracing::info!(action = spec.action, attempt = attempts, error = %error, delay_ms = delay.as_millis() as u64, "lc-web: retrying");
                    tokio::time::sleep(delay).await;
                }
                Next::Fail => {
                    tracing::debug!(action = spec.action, attempt = attempts, error = %error, "lc-web: call failed");
                    return Err(error);
                }
            }
        }
    }

    /// What to do after `error`. A retry of a call the server may have acted on is allowed
    /// only for idempotent actions.
    fn next(&self, spec: &Spec<'_>, error: &Error, token: Option<AccessToken>, refreshed: bool, switched: bool) -> Next {
        match error.kind() {
            ErrorKind::Api(e) => match e.kind() {
                ErrorType::Authentication if !refreshed => token.map_or(Next::Fail, Next::Refresh),
                ErrorType::MisdirectedRequest if !switched => match e.region() {
                    Some(region) if region.is_plausible() => Next::Switch(region),
                    _ => Next::Fail,
                },
                // Refused before anything was done: safe for every action.
                ErrorType::TooManyRequests | ErrorType::ServiceUnavailable | ErrorType::PendingRequestsLimitReached => Next::Backoff(None),
                // May come after the server acted (`internal`, `request_timeout`).
                t if t.is_retryable() && spec.idempotent => Next::Backoff(None),
                _ => Next::Fail,
            },
            ErrorKind::Status { status: 429, .. } => Next::Backoff(None),
            ErrorKind::Status { status: 502..=504, .. } if spec.idempotent => Next::Backoff(None),
            // Not connected: nothing was sent.
            ErrorKind::Transport { connect: true } => Next::Backoff(None),
            ErrorKind::Transport { connect: false } | ErrorKind::Timeout(_) if spec.idempotent => Next::Backoff(None),
            _ => Next::Fail,
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

/// Why an answer's body was not read.
pub(crate) enum BodyError {
    /// It is (or announces to be) larger than the limit.
    TooLarge,
    /// Reading it failed.
    Transport(reqwest::Error),
}

/// The body of `response`, read piece by piece, at most `limit` bytes: refused at once when
/// its `Content-Length` announces more, and as soon as more has arrived otherwise. A body that
/// arrives in one piece is not copied.
pub(crate) async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Bytes, BodyError> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut len = 0usize;
    let mut first: Option<Bytes> = None;
    let mut joined: Option<bytes::BytesMut> = None;
    while let Some(piece) = response.chunk().await.map_err(BodyError::Transport)? {
        len = len.saturating_add(piece.len());
        if len > limit {
            return Err(BodyError::TooLarge);
        }
        if let Some(buf) = &mut joined {
            // Grown by doubling, but never past the limit (a body just under it must not make
            // the buffer twice as large).
            if buf.capacity() - buf.len() < piece.len() {
                let target = buf.capacity().saturating_mul(2).max(len).min(limit);
                let mut grown = bytes::BytesMut::with_capacity(target);
                grown.extend_from_slice(buf);
                *buf = grown;
            }
            buf.extend_from_slice(&piece);
        } else if let Some(head) = first.take() {
            // Announced: at most the limit; else grown as pieces come.
            let capacity = announced.map_or(len, |n| n as usize).max(len);
            let mut buf = bytes::BytesMut::with_capacity(capacity);
            buf.extend_from_slice(&head);
            buf.extend_from_slice(&piece);
            joined = Some(buf);
        } else {
            first = Some(piece);
        }
    }
    Ok(joined.map(bytes::BytesMut::freeze).or(first).unwrap_or_default())
}

/// The wait a `Retry-After` header asks for, when it gives seconds: at most
/// [`MAX_PEER_WAIT`](lc_types::limits::MAX_PEER_WAIT), one day (a number too large for any
/// clock, `u64` or not, is a day). The HTTP-date form is ignored, and the backoff applies:
/// LiveChat sends seconds, and a date would mean trusting that both clocks agree.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    peer_wait(value.parse::<u64>().map_or(f64::INFINITY, |secs| secs as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_seconds_clamped_to_a_day_and_nothing_else() {
        let wait = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_str(value).unwrap());
            retry_after(&headers)
        };
        let day = lc_types::limits::MAX_PEER_WAIT;
        assert_eq!(wait("120"), Some(Duration::from_secs(120)));
        assert_eq!(wait(" 5 "), Some(Duration::from_secs(5)));
        assert_eq!(wait("0"), Some(Duration::ZERO));
        assert_eq!(wait("86401"), Some(day));
        for huge in [
            "9223372036854775807",
            "18446744073709551615",
            "18446744073709551616",
            &"9".repeat(400),
        ] {
            assert_eq!(wait(huge), Some(day), "{huge}");
        }
        for ignored in ["", "-1", "1.5", "+3", "1e9", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"] {
            assert_eq!(wait(ignored), None, "{ignored}");
        }
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn a_redirect_is_a_3xx_with_a_location() {
        let mut headers = HeaderMap::new();
        assert_eq!(redirect_target(302, &headers), None);
        headers.insert(reqwest::header::LOCATION, HeaderValue::from_bytes(b"http://x/\xff").unwrap());
        assert_eq!(redirect_target(302, &headers).as_deref(), Some("http://x/\u{fffd}"));
        assert_eq!(redirect_target(200, &headers), None);
        assert_eq!(redirect_target(400, &headers), None);
    }
}

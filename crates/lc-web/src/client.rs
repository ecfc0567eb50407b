//! [`WebClient`]: the calls; the builder is in `builder.rs`, the retry engine in `engine.rs`.

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use lc_types::auth::{AccessToken, TokenProvider};
use lc_types::endpoint::Endpoint;
use lc_types::web::{self, HttpRequest};
use lc_types::{ApiVersion, ChatApi, Region, WebAction, WebMethod};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::builder::WebClientBuilder;
use crate::engine::{Prepared, Spec};
use crate::error::{Error, ErrorKind};
use crate::retry::RetryPolicy;

/// The default time a call may take (per attempt): a little more than the server's own
/// 15 s ([`lc_types::limits::SERVER_REQUEST_TIMEOUT`]), so its `request_timeout` arrives first.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

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

/// A client of the Chat Web APIs: a customer's, for one organization ([`WebClient::builder`]),
/// or an agent's or a bot's ([`WebClient::agent_builder`]). Cheap to clone (clones share the
/// connection pool, the token provider and the region).
///
/// ```no_run
/// # async fn run() -> Result<(), lc_web::Error> {
/// use lc_types::v3_6::customer::{GetCustomerRequest, ListChatsRequest};
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
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// The Customer Chat API's `organization_id`; `None` for an agent's client.
    pub(crate) organization_id: Option<String>,
    pub(crate) endpoint: Endpoint,
    /// The provider of `Bearer` tokens.
    pub(crate) tokens: Option<Arc<dyn TokenProvider>>,
    /// The `Authorization: Basic` value of a personal access token (sensitive).
    pub(crate) basic: Option<HeaderValue>,
    /// `X-Author-Id`: the bot an agent's calls act as (up to 3.5).
    pub(crate) author_id: Option<HeaderValue>,
    pub(crate) region: RwLock<Option<Region>>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) headers: HeaderMap,
    pub(crate) warned: Mutex<Vec<(ApiVersion, &'static str)>>,
    /// The `Authorization` value of the last token, reused while the token is the same.
    pub(crate) authorization: Mutex<Option<(AccessToken, HeaderValue)>>,
    pub(crate) chat_api: lc_types::ChatApi,
}

impl fmt::Debug for WebClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebClient")
            .field("organization_id", &self.inner.organization_id)
            .field("chat_api", &self.inner.chat_api)
            .field("base_url", &self.inner.endpoint.base_url)
            .field("version", &self.inner.endpoint.version)
            .field("region", &*self.inner.region.read().expect("not poisoned"))
            .field("has_token_provider", &self.inner.tokens.is_some())
            .field("has_personal_access_token", &self.inner.basic.is_some())
            .field("author_id", &self.inner.author_id)
            .finish_non_exhaustive()
    }
}
impl WebClient {
    /// A builder for a customer's client of organization `organization_id` (the
    /// `organization_id` query parameter of every Customer Chat API call). For an agent or a
    /// bot, see [`WebClient::agent_builder`].
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
    /// assert_eq!(client.organization_id(), Some("my-organization-id"));
    /// # Ok::<(), lc_web::Error>(())
    /// ```
    pub fn builder(organization_id: impl Into<String>) -> WebClientBuilder {
        WebClientBuilder::new(Some(organization_id.into()), ChatApi::Customer)
    }

    /// A builder for an agent's or a bot's client of the Agent Chat API: no organization ID
    /// (the credentials name the account), and [`WebClient::chat_api`] is
    /// [`ChatApi::Agent`] for untyped calls. Credentials: an OAuth token
    /// ([`token`](WebClientBuilder::token), [`token_provider`](WebClientBuilder::token_provider)),
    /// a [`personal_access_token`](WebClientBuilder::personal_access_token), or a bot's token
    /// ([`BotTokenProvider`](crate::BotTokenProvider)); up to 3.5, an agent's credentials with
    /// [`author_id`](WebClientBuilder::author_id) act as a bot. A Customer Chat API call from
    /// this client fails with [`ErrorKind::Config`] (it needs an organization ID).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), lc_web::Error> {
    /// use lc_types::v3_6::agent::ListChatsRequest;
    /// let client = lc_web::WebClient::agent_builder()
    ///     .personal_access_token("my-account-id", "my-personal-access-token")
    ///     .build()?;
    /// let chats = client.call(&ListChatsRequest::default()).await?;
    /// println!("{} chats", chats.found_chats);
    /// # Ok(()) }
    /// ```
    pub fn agent_builder() -> WebClientBuilder {
        WebClientBuilder::new(None, ChatApi::Agent)
    }

    /// The organization a customer's calls are made for; `None` for a client of
    /// [`WebClient::agent_builder`].
    pub fn organization_id(&self) -> Option<&str> {
        self.inner.organization_id.as_deref()
    }

    /// The `organization_id` of a call of `api`: the client's for the Customer Chat API (a
    /// [`ErrorKind::Config`] error without one), none for the others.
    pub(crate) fn organization_for(&self, api: ChatApi) -> Result<&str, Error> {
        match (api, &self.inner.organization_id) {
            (ChatApi::Customer, Some(org)) => Ok(org),
            (ChatApi::Customer, None) => Err(Error::with_source(
                ErrorKind::Config,
                "a Customer Chat API call needs an organization ID: build the client with `WebClient::builder(organization_id)`",
            )),
            _ => Ok(""),
        }
    }

    /// The version of calls that name none.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.endpoint.version
    }

    /// The API of calls that name none ([`WebClientBuilder::chat_api`](crate::WebClientBuilder::chat_api)).
    pub fn chat_api(&self) -> lc_types::ChatApi {
        self.inner.chat_api
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
    /// let chat = client.call(&v3_6::customer::StartChatRequest::default()).await?;
    /// let event = v3_6::customer::MessageEventInput::new("Hello");
    /// client.call(&v3_6::customer::SendEventRequest::new(chat.chat_id.clone(), event)).await?;
    /// // Versions mix freely: the request type names its version.
    /// let chats = client.call(&v3_7::customer::ListChatsRequest::default()).await?;
    /// # let _ = chats; Ok(()) }
    /// ```
    pub async fn call<R: WebAction + Sync>(&self, request: &R) -> Result<R::Response, Error> {
        self.call_with_meta(request).await.map(|(response, _)| response)
    }

    /// [`WebClient::call`], also giving the answer's [`ResponseMeta`] (status, `x-debug-id`,
    /// `Legacy`/`Deprecation`, attempts).
    pub async fn call_with_meta<R: WebAction + Sync>(&self, request: &R) -> Result<(R::Response, ResponseMeta), Error> {
        let spec = Spec {
            api: R::API,
            version: R::VERSION,
            action: R::NAME,
            needs_token: R::NEEDS_TOKEN,
            idempotent: R::IDEMPOTENT,
            once: false,
        };
        let org = self.organization_for(R::API)?;
        let make = move |region: Option<&Region>| -> Result<Prepared, Error> {
            let http = HttpRequest::new(request, org, region).map_err(|e| Error::with_source(ErrorKind::Encode, e))?;
            Ok(Prepared { http, multipart: None })
        };
        let (status, body, meta) = self.run(spec, &make).await?;
        let response = web::decode_response::<R>(status, &body).map_err(Error::from_response)?;
        Ok((response, meta))
    }

    /// Calls action `action` of `version` by name with a JSON payload (for tools that choose
    /// the action at run time; [`WebClient::api_version`] is the client's default version), in
    /// the client's API ([`WebClient::chat_api`]).
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
        let chat_api = self.chat_api();
        let api = lc_types::api(chat_api, version);
        let info = api
            .and_then(|api| api.action(action))
            .filter(|a| matches!(a.web, Some(WebMethod::Get | WebMethod::Post)))
            .ok_or_else(|| {
                Error::with_source(
                    ErrorKind::Config,
                    format!("no JSON Web action `{action}` in the {chat_api} API v{version}"),
                )
            })?;
        let checked = api
            .map(|api| api.check_request(action, payload))
            .transpose()
            .map_err(|e| Error::with_source(ErrorKind::Encode, e))?;
        for path in checked.iter().flat_map(|c| &c.dropped_nulls) {
            tracing::warn!(action, path = %path, "lc-web: a `null` the schema does not allow is left out");
        }
        let payload = checked.as_ref().map_or(payload, |c| &c.payload);
        let spec = Spec {
            api: chat_api,
            version,
            action: info.name,
            needs_token: info.needs_token,
            idempotent: info.idempotent,
            once: false,
        };
        let org = self.organization_for(chat_api)?;
        let method = info.web.expect("filtered");
        let make = move |region: Option<&Region>| -> Result<Prepared, Error> {
            let http = HttpRequest::from_parts(chat_api, version, info.name, method, payload, org, region)
                .map_err(|e| Error::with_source(ErrorKind::Encode, e))?;
            Ok(Prepared { http, multipart: None })
        };
        let (status, body, _) = self.run(spec, &make).await?;
        web::decode(status, &body).map_err(Error::from_response)
    }
}

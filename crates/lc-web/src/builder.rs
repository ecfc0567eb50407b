//! [`WebClientBuilder`]: what a [`WebClient`] is built from.

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use lc_types::auth::{PersonalAccessToken, StaticToken, TokenProvider};
use lc_types::endpoint::Endpoint;
use lc_types::{ApiVersion, Region};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::client::{Inner, WebClient, DEFAULT_TIMEOUT};
use crate::error::{Error, ErrorKind};
use crate::response::{redirect_policy, MAX_RESPONSE_BYTES};
use crate::retry::RetryPolicy;

/// Builds a [`WebClient`]; see [`WebClient::builder`] (a customer's client) and
/// [`WebClient::agent_builder`] (an agent's or a bot's).
#[must_use]
pub struct WebClientBuilder {
    organization_id: Option<String>,
    credentials: Credentials,
    author_id: Option<String>,
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
    chat_api: lc_types::ChatApi,
}

/// What goes in `Authorization`: the last of [`WebClientBuilder::token`],
/// [`WebClientBuilder::token_provider`] and [`WebClientBuilder::personal_access_token`] set.
#[derive(Clone)]
pub(crate) enum Credentials {
    None,
    /// `Bearer <token>`, renewed by the provider.
    Bearer(Arc<dyn TokenProvider>),
    /// `Basic base64(account_id:token)`, never renewed.
    Basic(PersonalAccessToken),
}

impl Credentials {
    /// Its name in `Debug` output (never a secret).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Credentials::None => "none",
            Credentials::Bearer(_) => "bearer",
            Credentials::Basic(_) => "personal_access_token",
        }
    }
}

impl fmt::Debug for WebClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebClientBuilder")
            .field("organization_id", &self.organization_id)
            .field("chat_api", &self.chat_api)
            .field("credentials", &self.credentials.kind())
            .field("author_id", &self.author_id)
            .field("base_url", &self.endpoint.base_url)
            .field("version", &self.endpoint.version)
            .finish_non_exhaustive()
    }
}

impl WebClientBuilder {
    /// The defaults, for organization `organization_id` (if any), calling `chat_api` by default.
    pub(crate) fn new(organization_id: Option<String>, chat_api: lc_types::ChatApi) -> Self {
        WebClientBuilder {
            organization_id,
            credentials: Credentials::None,
            author_id: None,
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
            chat_api,
        }
    }

    /// A static access token, sent as `Authorization: Bearer <token>` (a customer's or an
    /// agent's `dal:…`, or a bot token; a leading `Bearer ` is removed). Replaces the
    /// credentials set before.
    pub fn token(self, token: impl Into<String>) -> Self {
        self.token_provider(StaticToken::new(token))
    }

    /// Where `Bearer` tokens come from: [`StaticToken`], [`lc_types::auth::token_fn`],
    /// [`AccountsTokenProvider`](crate::AccountsTokenProvider) (a customer's),
    /// [`BotTokenProvider`](crate::BotTokenProvider) (a bot's) or your own. Replaces the
    /// credentials set before.
    pub fn token_provider(self, provider: impl TokenProvider + 'static) -> Self {
        self.shared_token_provider(Arc::new(provider))
    }

    /// A token provider shared with others (e.g. with an `lc-rtm` connection).
    pub fn shared_token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.credentials = Credentials::Bearer(provider);
        self
    }

    /// An agent's personal access token (PAT) of account `account_id`, sent as
    /// `Authorization: Basic base64(<account_id>:<token>)` (Agent Chat Web API; not renewed: a
    /// refused PAT fails the call). A PAT has no region prefix: set [`region`](Self::region)
    /// for an organization outside `dal`. Replaces the credentials set before; never shown in
    /// `Debug` output, errors or logs.
    ///
    /// ```
    /// let client = lc_web::WebClient::agent_builder()
    ///     .personal_access_token("my-account-id", "my-personal-access-token")
    ///     .region(lc_types::Region::FRA)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), lc_web::Error>(())
    /// ```
    pub fn personal_access_token(mut self, account_id: impl Into<String>, token: impl Into<String>) -> Self {
        self.credentials = Credentials::Basic(PersonalAccessToken::new(account_id, token));
        self
    }

    /// Act as bot `bot_id` with an agent's credentials (`X-Author-Id: <bot_id>`), as the API
    /// allowed up to 3.5. 3.6 removed the header: a call of the Agent Chat API in 3.6 or later
    /// (or of the Customer Chat API) then fails before anything is sent, with
    /// [`ErrorKind::Config`], instead of going out as the agent. From 3.5 on, a bot acts with
    /// its own token: [`BotTokenProvider`](crate::BotTokenProvider).
    ///
    /// ```
    /// let client = lc_web::WebClient::agent_builder()
    ///     .token("dal:agent-access-token")
    ///     .author_id("my-bot-agent-id")
    ///     .build()?;
    /// // client.call(&lc_types::v3_5::agent::SendEventRequest::new(..)) acts as the bot
    /// # let _ = client;
    /// # Ok::<(), lc_web::Error>(())
    /// ```
    pub fn author_id(mut self, bot_id: impl Into<String>) -> Self {
        self.author_id = Some(bot_id.into());
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

    /// The API of the calls that name none ([`WebClient::chat_api`]): [`WebClient::call_value`]
    /// and [`WebClient::upload_file`]; typed calls use their request type's API. The default is
    /// the Customer Chat API.
    pub fn chat_api(mut self, api: lc_types::ChatApi) -> Self {
        self.chat_api = api;
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
    /// [`MAX_REDIRECTS`](crate::MAX_REDIRECTS) within the API's origin, then do not apply (a redirect that client
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
        // An origin, as lc-rtm takes it: a path here would be sent before `/v3.x/...` and
        // answered with a bare 404 on every call.
        for url in self.endpoint.origins() {
            match reqwest::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                    if !matches!(u.path(), "" | "/") || u.query().is_some() {
                        return Err(config(format!(
                            "base URL `{url}`: an origin has no path (the client adds `/v3.x/customer/action/<name>`); \
                             for lc-mock use `MockServer::base_url()`"
                        )));
                    }
                }
                _ => return Err(config(format!("base URL `{url}`: expected http(s):// and a host"))),
            }
        }
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
        let (tokens, basic) = match self.credentials {
            Credentials::None => (None, None),
            Credentials::Bearer(provider) => (Some(provider), None),
            Credentials::Basic(pat) => {
                // The user name of Basic ends at the first `:`.
                if pat.account_id().contains(':') {
                    return Err(config("the account ID of a personal access token contains `:`".into()));
                }
                let mut value = HeaderValue::try_from(pat.authorization())
                    .map_err(|_| config("the personal access token is not a valid header value".into()))?;
                value.set_sensitive(true);
                (None, Some(value))
            }
        };
        let author_id = match &self.author_id {
            Some(id) => Some(HeaderValue::from_str(id).map_err(|_| config("the author ID is not a valid header value".into()))?),
            None => None,
        };
        Ok(WebClient {
            inner: Arc::new(Inner {
                http,
                organization_id: self.organization_id,
                region: RwLock::new(self.endpoint.region.clone()),
                endpoint: self.endpoint,
                tokens,
                basic,
                author_id,
                retry: self.retry,
                timeout: self.timeout,
                max_response_bytes: self.max_response_bytes,
                headers,
                warned: Mutex::default(),
                authorization: Mutex::default(),
                chat_api: self.chat_api,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{ErrorKind, WebClient};

    /// A base URL is an origin, as lc-rtm takes it: a path (the mock's `web_url`, say) is refused
    /// at `build()` with a message that says what to pass, instead of a bare 404 on every call.
    #[test]
    fn a_base_url_with_a_path_is_refused_at_build() {
        for (url, says) in [
            ("http://127.0.0.1:8080/v3.6/customer/action", "an origin has no path"),
            ("http://127.0.0.1:8080/?organization_id=o", "an origin has no path"),
            ("ws://127.0.0.1:8080", "expected http(s)://"),
            ("127.0.0.1:8080", "expected http(s)://"),
        ] {
            let e = WebClient::builder("o").base_url(url).token("dal:t").build().unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Config), "{url}: {e}");
            assert!(e.to_string().contains(says), "{url}: {e}");
        }
        for url in ["http://127.0.0.1:8080", "https://api.livechatinc.com/"] {
            WebClient::builder("o").base_url(url).token("dal:t").build().unwrap();
        }
        let e = WebClient::builder("o")
            .region_base_url(lc_types::Region::FRA, "https://api-fra.example/v3.6")
            .token("dal:t")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("an origin has no path"), "{e}");
    }
}

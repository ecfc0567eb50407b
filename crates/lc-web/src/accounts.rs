//! [`AccountsTokenProvider`]: customer access tokens from the LiveChat accounts service.

use std::fmt;
use std::time::{Duration, Instant};

use lc_types::auth::{AccessToken, TokenError, TokenFuture, TokenProvider};
use lc_types::limits::MAX_PEER_WAIT;
use lc_types::PeerText;
use serde::Deserialize;

/// The production accounts service.
pub const DEFAULT_ACCOUNTS_URL: &str = "https://accounts.livechat.com";

/// How the accounts service identifies the customer.
#[derive(Clone)]
enum Grant {
    /// `grant_type=cookie`: the identity lives in the `__lc_cid`/`__lc_cst` cookies the
    /// service sets; the provider keeps and resends them, so refreshed tokens stay the same
    /// customer.
    Cookie,
    /// `grant_type=agent_token`: an agent token with `customers:own` manages customer
    /// identities; `customer_id` picks an existing one.
    AgentToken { agent_token: String, customer_id: Option<String> },
}

/// Customer access tokens from the LiveChat accounts service
/// (`POST {accounts}/v2/customer/token`, reference §5.3), cached with their expiry and
/// renewed shortly before it (or at once after the API refused one). Concurrent calls share
/// one request.
///
/// It implements [`TokenProvider`], so one provider (in an `Arc`) can serve a
/// [`WebClient`](crate::WebClient) and an `lc-rtm` connection alike.
///
/// What the service sends is bounded: its answers at [`MAX_RESPONSE_BYTES`](crate::MAX_RESPONSE_BYTES),
/// a token's lifetime (`expires_in`) at [`MAX_PEER_WAIT`] (a day; the token is renewed by
/// then), the text of a refusal in errors at 300 characters, escaped. Redirects are followed
/// only within the service's origin, at most [`MAX_REDIRECTS`](crate::MAX_REDIRECTS) (unless
/// [`AccountsTokenProvider::http_client`] gives another client).
///
/// ```no_run
/// # async fn run() -> Result<(), lc_web::Error> {
/// use lc_web::{AccountsTokenProvider, WebClient};
/// let tokens = AccountsTokenProvider::cookie_grant("my-client-id", "my-organization-id")
///     .redirect_uri("https://shop.example/chat");
/// let client = WebClient::builder("my-organization-id").token_provider(tokens).build()?;
/// # let _ = client; Ok(()) }
/// ```
pub struct AccountsTokenProvider {
    http: reqwest::Client,
    url: String,
    client_id: String,
    organization_id: String,
    redirect_uri: Option<String>,
    grant: Grant,
    refresh_before: Duration,
    /// The cache; never held across an await.
    state: std::sync::Mutex<State>,
    /// Held while fetching, so concurrent calls share one request.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    token: Option<AccessToken>,
    /// When the token is due for renewal; `None` with a token: not before the API refuses it.
    refresh_at: Option<Instant>,
    cookies: Vec<(String, String)>,
    customer_id: Option<String>,
    fetched: u64,
}

impl fmt::Debug for AccountsTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountsTokenProvider")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("organization_id", &self.organization_id)
            .field(
                "grant",
                &match self.grant {
                    Grant::Cookie => "cookie",
                    Grant::AgentToken { .. } => "agent_token",
                },
            )
            .finish_non_exhaustive()
    }
}

/// The characters of the service's text (a refusal, a redirect target) shown in errors.
const SHOWN: usize = 300;

/// The accounts service's answer.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    entity_id: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl AccountsTokenProvider {
    fn new(client_id: impl Into<String>, organization_id: impl Into<String>, grant: Grant) -> Self {
        AccountsTokenProvider {
            // As `reqwest::Client::new()`, which panics the same way (no TLS backend), with
            // this crate's redirect policy.
            http: reqwest::Client::builder()
                .redirect(crate::response::redirect_policy())
                .build()
                .expect("the HTTP client builds"),
            url: DEFAULT_ACCOUNTS_URL.to_owned(),
            client_id: client_id.into(),
            organization_id: organization_id.into(),
            redirect_uri: None,
            grant,
            refresh_before: Duration::from_secs(60),
            state: std::sync::Mutex::default(),
            fetching: tokio::sync::Mutex::const_new(()),
        }
    }

    /// Tokens for one customer identity, kept in the accounts service's cookies (a new
    /// customer the first time).
    pub fn cookie_grant(client_id: impl Into<String>, organization_id: impl Into<String>) -> Self {
        AccountsTokenProvider::new(client_id, organization_id, Grant::Cookie)
    }

    /// Tokens obtained with an agent token that has `customers:own`; a new customer unless
    /// [`AccountsTokenProvider::customer_id`] names one.
    pub fn agent_token_grant(client_id: impl Into<String>, organization_id: impl Into<String>, agent_token: impl Into<String>) -> Self {
        let grant = Grant::AgentToken {
            agent_token: agent_token.into(),
            customer_id: None,
        };
        AccountsTokenProvider::new(client_id, organization_id, grant)
    }

    /// With the agent-token grant: the existing customer to get tokens for.
    pub fn customer_id(mut self, id: impl Into<String>) -> Self {
        if let Grant::AgentToken { customer_id, .. } = &mut self.grant {
            *customer_id = Some(id.into());
        }
        self
    }

    /// The accounts service origin ([`DEFAULT_ACCOUNTS_URL`]; `lc-mock` serves one too).
    pub fn accounts_url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// The `redirect_uri` sent with the request (the one registered for the client ID).
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// Renew a token this long before it expires (60 s by default; at most half its
    /// lifetime).
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// The HTTP client to use (its redirect policy applies instead of this crate's).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    /// The customer the tokens belong to (`entity_id`), once a token was obtained.
    pub fn current_customer_id(&self) -> Option<String> {
        self.state().customer_id.clone()
    }

    /// How many tokens were fetched so far.
    pub fn fetched(&self) -> u64 {
        self.state().fetched
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached token, while it is not due for renewal.
    fn cached(&self) -> Option<AccessToken> {
        let state = self.state();
        match (&state.token, state.refresh_at) {
            (Some(token), None) => Some(token.clone()),
            (Some(token), Some(at)) if Instant::now() < at => Some(token.clone()),
            _ => None,
        }
    }

    async fn get(&self) -> Result<AccessToken, TokenError> {
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        let _fetching = self.fetching.lock().await;
        // Another call may have fetched one meanwhile.
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        let cookies = self.state().cookies.clone();
        let mut body = serde_json::json!({
            "grant_type": match self.grant { Grant::Cookie => "cookie", Grant::AgentToken { .. } => "agent_token" },
            "client_id": self.client_id,
            "organization_id": self.organization_id,
            "response_type": "token",
        });
        if let Some(uri) = &self.redirect_uri {
            body["redirect_uri"] = uri.as_str().into();
        }
        if let Grant::AgentToken { customer_id: Some(id), .. } = &self.grant {
            body["customer_id"] = id.as_str().into();
        }
        let url = format!("{}/v2/customer/token", self.url.trim_end_matches('/'));
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        match &self.grant {
            Grant::Cookie if !cookies.is_empty() => {
                let cookie = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
                let mut value = reqwest::header::HeaderValue::try_from(cookie).map_err(|_| TokenError::new("invalid identity cookie"))?;
                value.set_sensitive(true);
                request = request.header(reqwest::header::COOKIE, value);
            }
            Grant::AgentToken { agent_token, .. } => {
                let mut value = reqwest::header::HeaderValue::try_from(format!("Bearer {agent_token}"))
                    .map_err(|_| TokenError::new("the agent token is not a valid header value"))?;
                value.set_sensitive(true);
                request = request.header(reqwest::header::AUTHORIZATION, value);
            }
            Grant::Cookie => {}
        }
        let response = request
            .send()
            .await
            .map_err(|e| TokenError::with_source("the accounts service did not answer", e.without_url()))?;
        let status = response.status();
        let redirect = crate::response::redirect_target(status.as_u16(), response.headers());
        for cookie in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let Some((name, rest)) = cookie.to_str().ok().and_then(|c| c.split_once('=')) else {
                continue;
            };
            if name == "__lc_cid" || name == "__lc_cst" {
                let value = rest.split(';').next().unwrap_or_default().to_owned();
                let mut state = self.state();
                state.cookies.retain(|(k, _)| k != name);
                state.cookies.push((name.to_owned(), value));
            }
        }
        let limit = crate::MAX_RESPONSE_BYTES;
        let bytes = match crate::response::read_body(response, limit).await {
            Ok(bytes) => bytes,
            Err(crate::response::BodyError::TooLarge) => {
                return Err(TokenError::new(format!(
                    "the accounts service's answer (HTTP {status}) is larger than {limit} bytes"
                )))
            }
            Err(crate::response::BodyError::Transport(e)) => {
                return Err(TokenError::with_source(
                    "reading the accounts service's answer failed",
                    e.without_url(),
                ))
            }
        };
        if let (false, Some(location)) = (status.is_success(), redirect) {
            return Err(TokenError::new(format!(
                "the accounts service answered HTTP {status}, a redirect to {}, which is not followed (only redirects within its origin are)",
                PeerText::new(&location).max(SHOWN)
            )));
        }
        if !status.is_success() {
            // The body of a refusal names the error; it carries no token.
            let text = String::from_utf8_lossy(&bytes);
            return Err(TokenError::new(format!(
                "the accounts service refused: HTTP {status}: {}",
                PeerText::new(&text).max(SHOWN)
            )));
        }
        let answer: TokenResponse = serde_json::from_slice(&bytes).map_err(|e| {
            // serde's message quotes the values it refused: shown bounded, without a source
            // that would show them whole.
            TokenError::new(format!(
                "the accounts service's answer is not a token: {}",
                PeerText::new(&e.to_string()).max(SHOWN)
            ))
        })?;
        let now = Instant::now();
        let mut state = self.state();
        let mut token = AccessToken::new(answer.access_token);
        // Without an expiry, the token is kept until the API refuses it.
        let mut refresh_at = None;
        if let Some(secs) = answer.expires_in {
            // A peer's number, clamped before any arithmetic: renewed within a day at most.
            let lifetime = Duration::from_secs(secs).min(MAX_PEER_WAIT);
            if let Some(expires_at) = now.checked_add(lifetime) {
                token = token.expiring_at(expires_at);
                refresh_at = expires_at.checked_sub(self.refresh_before.min(lifetime / 2));
            }
        }
        state.token = Some(token.clone());
        state.refresh_at = refresh_at;
        state.customer_id = answer.entity_id.or(state.customer_id.take());
        state.fetched += 1;
        let customer_id = state.customer_id.as_deref().unwrap_or_default();
        tracing::debug!(customer_id = %PeerText::new(customer_id).max(100), "lc-web: got a customer token from the accounts service");
        Ok(token)
    }
}

impl TokenProvider for AccountsTokenProvider {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self.get())
    }

    fn invalidate(&self, token: &AccessToken) {
        let mut state = self.state();
        if state.token.as_ref() == Some(token) {
            state.token = None;
            state.refresh_at = None;
        }
    }
}

//! [`BotTokenProvider`]: a bot's tokens from the Configuration API's `issue_bot_token`.

use std::fmt;
use std::time::{Duration, Instant};

use lc_types::auth::{AccessToken, IssueBotToken, PersonalAccessToken, TokenError, TokenFuture, TokenProvider, BOT_TOKEN_LIFETIME};
use lc_types::endpoint::{default_version, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT};
use lc_types::{ApiVersion, PeerText};
use reqwest::header::HeaderValue;

use crate::client::DEFAULT_TIMEOUT;
use crate::response::{read_body, redirect_policy, redirect_target, BodyError};

/// A bot's tokens, from the Configuration API's `issue_bot_token` (3.5+; from 3.6 the only way
/// to act as a bot): issued on first use, cached, renewed shortly before their 24 h run out
/// and at once after the API refused one; sent as `Authorization: Bearer`. Concurrent calls
/// share one request. The wire form is [`IssueBotToken`] of `lc-types`. A bot token (a JWT)
/// has no region prefix: set the client's [`region`](crate::WebClientBuilder::region) for an
/// organization outside `dal`.
///
/// The bot secret and the tokens never appear in `Debug` output, errors or logs (a refusal
/// that quotes the secret has it replaced by `***`). What the API sends is bounded: answers
/// at [`MAX_RESPONSE_BYTES`](crate::MAX_RESPONSE_BYTES), the text of a refusal in errors at
/// 300 characters, escaped; each request takes at most [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT);
/// redirects are followed only within the API's origin.
///
/// ```no_run
/// # async fn run() -> Result<(), lc_web::Error> {
/// use lc_web::{BotTokenProvider, WebClient};
/// let tokens = BotTokenProvider::new("my-bot-agent-id", "my-client-id", "my-bot-secret", "my-organization-id");
/// let client = WebClient::agent_builder().token_provider(tokens).build()?;
/// # let _ = client; Ok(()) }
/// ```
pub struct BotTokenProvider {
    http: reqwest::Client,
    base_url: String,
    version: ApiVersion,
    issue: IssueBotToken,
    /// An agent's `Authorization` for `issue_bot_token` (sensitive), if set; what is wrong
    /// with the one set, when it is not a header value.
    authorization: Result<Option<HeaderValue>, &'static str>,
    lifetime: Duration,
    refresh_before: Duration,
    /// The cache; never held across an await.
    state: std::sync::Mutex<State>,
    /// Held while fetching, so concurrent calls share one request.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    token: Option<AccessToken>,
    refresh_at: Option<Instant>,
    fetched: u64,
}

impl fmt::Debug for BotTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotTokenProvider")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("issue", &self.issue)
            .field("has_authorization", &!matches!(self.authorization, Ok(None)))
            .finish_non_exhaustive()
    }
}

/// The characters of the API's text (a refusal, a redirect target) shown in errors.
const SHOWN: usize = 300;

impl BotTokenProvider {
    /// Tokens for bot `bot_id` (its agent ID) of application `client_id`, with the bot's
    /// secret (from `create_bot`), in organization `organization_id`.
    pub fn new(
        bot_id: impl Into<String>,
        client_id: impl Into<String>,
        bot_secret: impl Into<String>,
        organization_id: impl Into<String>,
    ) -> Self {
        BotTokenProvider {
            // As `reqwest::Client::new()`, which panics the same way (no TLS backend), with
            // this crate's redirect policy.
            http: reqwest::Client::builder()
                .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
                .redirect(redirect_policy())
                .build()
                .expect("the HTTP client builds"),
            base_url: DEFAULT_BASE_URL.to_owned(),
            version: default_version(),
            issue: IssueBotToken::new(bot_id, client_id, bot_secret, organization_id),
            authorization: Ok(None),
            lifetime: BOT_TOKEN_LIFETIME,
            refresh_before: Duration::from_secs(60),
            state: std::sync::Mutex::default(),
            fetching: tokio::sync::Mutex::const_new(()),
        }
    }

    /// The API origin ([`DEFAULT_BASE_URL`](crate::DEFAULT_BASE_URL) by default).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The Configuration API version of `issue_bot_token` (3.5 or later; the default is
    /// [`lc_types::endpoint::default_version`]).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// An agent's OAuth token sent with `issue_bot_token` (`Bearer`). LiveChat's docs name
    /// only the bot secret; lc-sdk-python sends its Configuration API client's credentials.
    /// None are sent unless set.
    pub fn agent_token(mut self, token: impl Into<String>) -> Self {
        let token = AccessToken::new(token);
        self.authorization = sensitive(format!("Bearer {}", token.secret())).map(Some);
        self
    }

    /// An agent's personal access token sent with `issue_bot_token` (`Basic`); see
    /// [`BotTokenProvider::agent_token`].
    pub fn personal_access_token(mut self, account_id: impl Into<String>, token: impl Into<String>) -> Self {
        self.authorization = sensitive(PersonalAccessToken::new(account_id, token).authorization()).map(Some);
        self
    }

    /// The lifetime a token is taken to have ([`BOT_TOKEN_LIFETIME`], 24 h, by default and at
    /// most).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime.min(BOT_TOKEN_LIFETIME);
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

    /// How many tokens were issued so far.
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
            (Some(token), Some(at)) if Instant::now() < at => Some(token.clone()),
            _ => None,
        }
    }

    /// A text of the API for an error: without the bot secret, escaped and cut.
    fn shown(&self, text: &str) -> String {
        let secret = self.issue.bot_secret();
        let text = if secret.is_empty() {
            text.to_owned()
        } else {
            text.replace(secret, "***")
        };
        PeerText::new(&text).max(SHOWN).to_string()
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
        let url = format!("{}{}", self.base_url.trim_end_matches('/'), IssueBotToken::path(self.version));
        let mut request = self
            .http
            .post(url)
            .timeout(DEFAULT_TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, lc_types::web::APPLICATION_JSON)
            .body(self.issue.body());
        match &self.authorization {
            Ok(Some(value)) => request = request.header(reqwest::header::AUTHORIZATION, value.clone()),
            Ok(None) => {}
            Err(what) => return Err(TokenError::new(*what)),
        }
        let response = request
            .send()
            .await
            .map_err(|e| TokenError::with_source("issue_bot_token: the Configuration API did not answer", e.without_url()))?;
        let status = response.status().as_u16();
        let redirect = redirect_target(status, response.headers());
        let limit = crate::MAX_RESPONSE_BYTES;
        let bytes = match read_body(response, limit).await {
            Ok(bytes) => bytes,
            Err(BodyError::TooLarge) => {
                return Err(TokenError::new(format!(
                    "issue_bot_token: the answer (HTTP {status}) is larger than {limit} bytes"
                )))
            }
            Err(BodyError::Transport(e)) => {
                return Err(TokenError::with_source(
                    "issue_bot_token: reading the answer failed",
                    e.without_url(),
                ))
            }
        };
        if let (false, Some(location)) = ((200..300).contains(&status), redirect) {
            return Err(TokenError::new(format!(
                "issue_bot_token: HTTP {status}, a redirect to {}, which is not followed (only redirects within the API's origin are)",
                self.shown(&location)
            )));
        }
        // An error's text quotes what the API sent, never the token; the secret is cut out
        // in case the API quotes the request.
        let token = IssueBotToken::decode(status, &bytes)
            .map_err(|e| TokenError::new(format!("issue_bot_token failed: {}", self.shown(&e.to_string()))))?;
        let now = Instant::now();
        let token = match now.checked_add(self.lifetime) {
            Some(at) => token.expiring_at(at),
            None => token,
        };
        let mut state = self.state();
        state.refresh_at = now.checked_add(self.lifetime - self.refresh_before.min(self.lifetime / 2));
        state.token = Some(token.clone());
        state.fetched += 1;
        tracing::debug!(bot_id = %PeerText::new(self.issue.bot_id()).max(100), "lc-web: got a bot token");
        Ok(token)
    }
}

/// An `Authorization` value marked sensitive.
fn sensitive(text: String) -> Result<HeaderValue, &'static str> {
    let mut value = HeaderValue::try_from(text).map_err(|_| "issue_bot_token: the agent's credentials are not a valid header value")?;
    value.set_sensitive(true);
    Ok(value)
}

impl TokenProvider for BotTokenProvider {
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

//! Access tokens for the transports, without I/O: the [`TokenProvider`] trait that `lc-web` and
//! `lc-rtm` both ask for a `Bearer` token (a customer's, an agent's OAuth token, a bot token),
//! the two providers that need no HTTP ([`StaticToken`] and [`token_fn`]), an agent's
//! [`PersonalAccessToken`] (`Basic`), and the wire form of the Configuration API's
//! [`IssueBotToken`]. The provider that calls the LiveChat accounts service
//! needs an HTTP client, so it lives in `lc-web` (`lc_web::AccountsTokenProvider`); `lc-rtm`
//! takes any `Arc<dyn TokenProvider>`, so it can use that one without depending on `lc-web`.
//!
//! A token's secret never appears in `Debug` output: [`AccessToken`] shows only its region and
//! expiry.
//!
//! ```
//! use lc_types::auth::{AccessToken, StaticToken, TokenProvider};
//! # let rt = |f: lc_types::auth::TokenFuture<'_>| -> AccessToken {
//! #     // A tiny executor for the doc test: the static provider is ready at once.
//! #     use std::task::{Context, Poll, Waker};
//! #     let mut f = f;
//! #     match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) { Poll::Ready(r) => r.unwrap(), _ => unreachable!() }
//! # };
//! let provider = StaticToken::new("fra:Xq7bN2kLr5TzW0vYpA3cHd9eFg");
//! let token = rt(provider.token());
//! assert_eq!(token.region(), Some(lc_types::Region::FRA));
//! assert_eq!(token.secret(), "fra:Xq7bN2kLr5TzW0vYpA3cHd9eFg");
//! assert!(!format!("{token:?}").contains("Xq7b"));
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::{ApiVersion, Region, ResponseError};

/// A `Bearer` access token (a customer's or an agent's `dal:…`, or a bot token), with its
/// expiry when known.
///
/// `Debug` shows the region and expiry, never the secret; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// Shared: a token is cloned for every call.
    secret: Arc<str>,
    expires_at: Option<Instant>,
}

impl AccessToken {
    /// A token without a known expiry. A leading `Bearer ` is removed.
    pub fn new(secret: impl Into<String>) -> Self {
        let secret: String = secret.into();
        let secret: Arc<str> = match secret.strip_prefix("Bearer ") {
            Some(rest) => rest.trim().into(),
            None => secret.into(),
        };
        AccessToken { secret, expires_at: None }
    }

    /// The same token, expiring at `at`.
    pub fn expiring_at(mut self, at: Instant) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// The same token, expiring `after` from now (e.g. the accounts service's `expires_in`).
    /// A lifetime too long for an `Instant` (as a hostile server may send) never panics: the
    /// expiry is then unknown, which is what such a token means in practice.
    pub fn expiring_in(mut self, after: Duration) -> Self {
        self.expires_at = Instant::now().checked_add(after);
        self
    }

    /// The token itself, for the `Authorization: Bearer` header. Keep it out of logs.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// When it expires, if known.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// Whether it is still valid `margin` from now (always, when the expiry is unknown).
    pub fn is_fresh(&self, margin: Duration) -> bool {
        // `now + margin < at`, without adding (a huge margin must not overflow).
        self.expires_at
            .is_none_or(|at| at.checked_duration_since(Instant::now()).is_some_and(|left| left > margin))
    }

    /// Whether `self` and `other` share their text (clones of one token), a cheap identity
    /// check for caches.
    pub fn same_as(&self, other: &AccessToken) -> bool {
        Arc::ptr_eq(&self.secret, &other.secret)
    }

    /// The region of the token, from its prefix (`dal:…` is `dal`); see [`Region::of_token`].
    pub fn region(&self) -> Option<Region> {
        Region::of_token(&self.secret)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("region", &self.region().as_ref().map(Region::as_str))
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Why a [`TokenProvider`] could not give a token. Its message must not contain a token.
#[derive(Debug)]
pub struct TokenError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TokenError {
    /// An error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        TokenError {
            message: message.into(),
            source: None,
        }
    }

    /// An error with `message` caused by `source`.
    pub fn with_source(message: impl Into<String>, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        TokenError {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TokenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// What [`TokenProvider::token`] returns: a boxed future, so the trait stays object safe and
/// free of any runtime.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send + 'a>>;

/// Where a transport gets its `Bearer` access token (a customer's, an agent's or a bot's).
///
/// `token` is called before each call that needs one, so a provider should cache (the
/// accounts-service provider of `lc-web` does, refreshing before expiry). When the API answers
/// `authentication`, the transport calls [`TokenProvider::invalidate`] with the refused token
/// and asks again once.
pub trait TokenProvider: Send + Sync {
    /// The current token (fetching a new one when there is none or it expired).
    fn token(&self) -> TokenFuture<'_>;

    /// `token` was refused by the API: forget it, so the next [`TokenProvider::token`] gets a
    /// new one. The default does nothing (a static token cannot be renewed).
    fn invalidate(&self, token: &AccessToken) {
        let _ = token;
    }
}

impl<T: TokenProvider + ?Sized> TokenProvider for Arc<T> {
    fn token(&self) -> TokenFuture<'_> {
        (**self).token()
    }
    fn invalidate(&self, token: &AccessToken) {
        (**self).invalidate(token)
    }
}

impl<T: TokenProvider + ?Sized> TokenProvider for Box<T> {
    fn token(&self) -> TokenFuture<'_> {
        (**self).token()
    }
    fn invalidate(&self, token: &AccessToken) {
        (**self).invalidate(token)
    }
}

/// A token that never changes (e.g. from configuration).
#[derive(Clone, Debug)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// The provider of `token` (a leading `Bearer ` is removed).
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(AccessToken::new(token))
    }
}

impl TokenProvider for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(std::future::ready(Ok(token)))
    }
}

/// A provider from an async function the user supplies (called for every token; cache in it
/// if fetching is costly). After [`TokenProvider::invalidate`], the next call gets
/// `refresh = true`.
///
/// Refreshes are single-flight and tied to the refused token: when many calls are refused
/// with the same token at once, the function is called with `refresh = true` once, every
/// caller that asks for a token meanwhile waits for that refresh and gets its token, and a
/// later `invalidate` of the token that refresh replaced does nothing (those calls just use
/// the new token).
///
/// ```
/// use lc_types::auth::{token_fn, AccessToken, TokenProvider};
/// let provider = token_fn(|refresh: bool| async move {
///     // e.g. ask your backend for the customer's token, a fresh one when `refresh`
///     Ok(AccessToken::new(if refresh { "dal:new" } else { "dal:old" }))
/// });
/// # let _: &dyn TokenProvider = &provider;
/// ```
pub fn token_fn<F, Fut>(f: F) -> FnTokenProvider<F>
where
    F: Fn(bool) -> Fut + Send + Sync,
    Fut: Future<Output = Result<AccessToken, TokenError>> + Send + 'static,
{
    FnTokenProvider {
        f,
        state: Mutex::default(),
    }
}

/// The provider [`token_fn`] makes.
pub struct FnTokenProvider<F> {
    f: F,
    state: Mutex<FnState>,
}

/// The refresh bookkeeping of a [`FnTokenProvider`]; never locked across an await.
#[derive(Default)]
struct FnState {
    /// A token was refused and is not replaced yet: the next fetch is a refresh.
    refused: Option<AccessToken>,
    /// The token the last refresh replaced (with a different one): refusing it again does
    /// nothing.
    replaced: Option<AccessToken>,
    /// A refresh is running; other callers wait for its outcome.
    refreshing: bool,
    /// Counts the refreshes that ended (or were abandoned).
    generation: u64,
    /// The outcome of refresh `generation`, for its waiters.
    outcome: Option<Result<AccessToken, String>>,
    waiters: Vec<Waker>,
}

impl<F> FnTokenProvider<F> {
    fn state(&self) -> std::sync::MutexGuard<'_, FnState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<F> fmt::Debug for FnTokenProvider<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnTokenProvider").finish_non_exhaustive()
    }
}

/// Ends a refresh when dropped: records its outcome (none when the refresh was dropped before
/// it finished, so the next caller refreshes) and wakes its waiters.
struct RefreshGuard<'a> {
    state: &'a Mutex<FnState>,
    refused: AccessToken,
    outcome: Option<Result<AccessToken, String>>,
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        let mut s = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        s.refreshing = false;
        s.generation += 1;
        if let Some(Ok(token)) = &self.outcome {
            // Replaced, unless a newer refusal came meanwhile.
            if s.refused.as_ref() == Some(&self.refused) {
                s.refused = None;
            }
            s.replaced = (*token != self.refused).then(|| self.refused.clone());
        }
        s.outcome = self.outcome.take();
        for waker in s.waiters.drain(..) {
            waker.wake();
        }
    }
}

/// Waits until the running refresh of generation `generation` ends.
struct RefreshEnded<'a> {
    state: &'a Mutex<FnState>,
    generation: u64,
}

impl Future for RefreshEnded<'_> {
    type Output = Option<Result<AccessToken, String>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if s.generation != self.generation {
            // The outcome of a later refresh may be here; it is as good.
            return Poll::Ready(s.outcome.clone());
        }
        if !s.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            s.waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// What a caller of [`FnTokenProvider::token`] does.
enum Step {
    Fetch,
    Refresh(AccessToken),
    Wait(u64),
}

impl<F, Fut> TokenProvider for FnTokenProvider<F>
where
    F: Fn(bool) -> Fut + Send + Sync,
    Fut: Future<Output = Result<AccessToken, TokenError>> + Send + 'static,
{
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            loop {
                let step = {
                    let mut s = self.state();
                    if s.refreshing {
                        Step::Wait(s.generation)
                    } else if let Some(refused) = s.refused.clone() {
                        s.refreshing = true;
                        Step::Refresh(refused)
                    } else {
                        Step::Fetch
                    }
                };
                match step {
                    Step::Fetch => return (self.f)(false).await,
                    Step::Refresh(refused) => {
                        let mut guard = RefreshGuard {
                            state: &self.state,
                            refused,
                            outcome: None,
                        };
                        let result = (self.f)(true).await;
                        guard.outcome = Some(match &result {
                            Ok(token) => Ok(token.clone()),
                            Err(e) => Err(e.to_string()),
                        });
                        return result;
                    }
                    Step::Wait(generation) => {
                        let ended = RefreshEnded {
                            state: &self.state,
                            generation,
                        };
                        match ended.await {
                            Some(Ok(token)) => return Ok(token),
                            Some(Err(message)) => return Err(TokenError::new(message)),
                            // The refresh was abandoned: try again.
                            None => continue,
                        }
                    }
                }
            }
        })
    }

    fn invalidate(&self, token: &AccessToken) {
        let mut s = self.state();
        let known = s.refused.as_ref() == Some(token) || s.replaced.as_ref() == Some(token);
        if !known {
            s.refused = Some(token.clone());
        }
    }
}

/// A personal access token (PAT) of a LiveChat account, for the Agent Chat Web API and the
/// Configuration API: sent as `Authorization: Basic base64(<account_id>:<token>)`
/// ([`PersonalAccessToken::authorization`]). It acts as its creator, has no region prefix and
/// is not renewed (a refused PAT stays refused).
///
/// `Debug` shows the account ID, never the token; there is no `Display`.
///
/// ```
/// use lc_types::auth::PersonalAccessToken;
/// let pat = PersonalAccessToken::new("4f1a7c4e-agent", "pat-secret");
/// assert_eq!(pat.authorization(), "Basic NGYxYTdjNGUtYWdlbnQ6cGF0LXNlY3JldA==");
/// assert!(!format!("{pat:?}").contains("pat-secret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalAccessToken {
    account_id: String,
    secret: Arc<str>,
}

impl PersonalAccessToken {
    /// The PAT `token` of account `account_id` (the Basic user name).
    pub fn new(account_id: impl Into<String>, token: impl Into<String>) -> Self {
        let token: String = token.into();
        PersonalAccessToken {
            account_id: account_id.into(),
            secret: token.into(),
        }
    }

    /// The account the token belongs to.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The token itself. Keep it out of logs.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The `Authorization` header value, `Basic base64(<account_id>:<token>)`. Keep it out of
    /// logs.
    pub fn authorization(&self) -> String {
        let mut pair = Vec::with_capacity(self.account_id.len() + 1 + self.secret.len());
        pair.extend_from_slice(self.account_id.as_bytes());
        pair.push(b':');
        pair.extend_from_slice(self.secret.as_bytes());
        format!("Basic {}", base64(&pair))
    }
}

impl fmt::Debug for PersonalAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonalAccessToken")
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

/// Standard base64 with padding (RFC 4648 §4), as HTTP Basic authentication takes it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// How long a bot token of `issue_bot_token` is valid: 24 hours (reference §7.3; the answer
/// does not say).
pub const BOT_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The Configuration API's `issue_bot_token` as data, without I/O: a bot's token (3.5+; from
/// 3.6 the only way to act as a bot), valid [`BOT_TOKEN_LIFETIME`] and sent as `Bearer`.
///
/// `POST /v3.x/configuration/action/issue_bot_token` ([`IssueBotToken::path`]) with the JSON
/// body `{"bot_id", "client_id", "bot_secret", "organization_id"}` ([`IssueBotToken::body`]);
/// the answer is `{"token": "…"}` ([`IssueBotToken::decode`]). `lc_web::BotTokenProvider`
/// sends it, caches the token and renews it.
///
/// `Debug` never shows the bot secret.
///
/// ```
/// use lc_types::{auth::IssueBotToken, ApiVersion};
/// let issue = IssueBotToken::new("bot-1", "my-client-id", "bot-secret", "my-organization-id");
/// assert_eq!(IssueBotToken::path(ApiVersion::V3_6), "/v3.6/configuration/action/issue_bot_token");
/// assert_eq!(
///     issue.body(),
///     br#"{"bot_id":"bot-1","client_id":"my-client-id","bot_secret":"bot-secret","organization_id":"my-organization-id"}"#
/// );
/// let token = IssueBotToken::decode(200, br#"{"token": "eyJhbGciOi"}"#)?;
/// assert_eq!(token.secret(), "eyJhbGciOi");
/// assert!(token.expires_at().is_some());
/// assert!(!format!("{issue:?}").contains("bot-secret"));
/// # Ok::<(), lc_types::ResponseError>(())
/// ```
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssueBotToken {
    bot_id: String,
    client_id: String,
    bot_secret: String,
    organization_id: String,
}

impl IssueBotToken {
    /// The action's name.
    pub const ACTION: &'static str = "issue_bot_token";

    /// The request for bot `bot_id` (an agent ID) of application `client_id`, with its secret
    /// (from `create_bot`), in organization `organization_id`.
    pub fn new(
        bot_id: impl Into<String>,
        client_id: impl Into<String>,
        bot_secret: impl Into<String>,
        organization_id: impl Into<String>,
    ) -> Self {
        IssueBotToken {
            bot_id: bot_id.into(),
            client_id: client_id.into(),
            bot_secret: bot_secret.into(),
            organization_id: organization_id.into(),
        }
    }

    /// The bot the token is for.
    pub fn bot_id(&self) -> &str {
        &self.bot_id
    }

    /// The bot secret. Keep it out of logs.
    pub fn bot_secret(&self) -> &str {
        &self.bot_secret
    }

    /// `/v{version}/configuration/action/issue_bot_token`.
    pub fn path(version: ApiVersion) -> String {
        format!("/v{version}/configuration/action/{}", IssueBotToken::ACTION)
    }

    /// The JSON body (it holds the bot secret: keep it out of logs).
    pub fn body(&self) -> Vec<u8> {
        // A struct of strings always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The token of an answer (`status`, `body`), expiring [`BOT_TOKEN_LIFETIME`] from now; an
    /// error answer is the API's error (or the status), as for any action ([`crate::web::decode`]).
    pub fn decode(status: u16, body: &[u8]) -> Result<AccessToken, ResponseError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            token: String,
        }
        let answer: Answer = crate::web::decode(status, body)?;
        Ok(AccessToken::new(answer.token).expiring_in(BOT_TOKEN_LIFETIME))
    }
}

impl fmt::Debug for IssueBotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssueBotToken")
            .field("bot_id", &self.bot_id)
            .field("client_id", &self.client_id)
            .field("organization_id", &self.organization_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::{Context, Poll, Waker};

    fn now(f: TokenFuture<'_>) -> Result<AccessToken, TokenError> {
        let mut f = f;
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(r) => r,
            Poll::Pending => panic!("pending"),
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let t = AccessToken::new("Bearer dal:s3cr3t-value").expiring_in(Duration::from_secs(60));
        assert_eq!(t.secret(), "dal:s3cr3t-value");
        let shown = format!("{t:?} {:?} {t:#?}", StaticToken::new("dal:s3cr3t-value"));
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("dal"), "{shown}");
        assert!(t.is_fresh(Duration::from_secs(1)));
        assert!(!t.is_fresh(Duration::from_secs(61)));
        assert!(AccessToken::new("x").is_fresh(Duration::MAX / 4));
    }

    #[test]
    fn huge_lifetimes_and_margins_do_not_overflow() {
        // A lifetime no `Instant` can hold: no expiry, not a panic.
        let t = AccessToken::new("dal:t").expiring_in(Duration::from_secs(u64::MAX));
        assert_eq!(t.expires_at(), None);
        assert!(t.is_fresh(Duration::MAX));
        // A known expiry and a margin no `Instant` can hold: not fresh, not a panic.
        let t = AccessToken::new("dal:t").expiring_in(Duration::from_secs(60));
        assert!(t.expires_at().is_some());
        assert!(!t.is_fresh(Duration::MAX));
        assert!(!t.is_fresh(Duration::from_secs(u64::MAX)));
        assert!(t.is_fresh(Duration::ZERO));
        let expired = AccessToken::new("dal:t").expiring_at(Instant::now());
        assert!(!expired.is_fresh(Duration::ZERO));
    }

    #[test]
    fn fn_provider_is_told_to_refresh_after_invalidate() {
        let p = token_fn(|refresh| async move { Ok(AccessToken::new(if refresh { "dal:b" } else { "dal:a" })) });
        let a = now(p.token()).unwrap();
        assert_eq!(a.secret(), "dal:a");
        p.invalidate(&a);
        assert_eq!(now(p.token()).unwrap().secret(), "dal:b");
        assert_eq!(now(p.token()).unwrap().secret(), "dal:a");
        // `a` was already replaced: refusing it again (a call that sent it before the refresh)
        // does not refresh again.
        p.invalidate(&a);
        assert_eq!(now(p.token()).unwrap().secret(), "dal:a");
        let failing = token_fn(|_| async { Err(TokenError::new("backend down")) });
        assert_eq!(now(failing.token()).unwrap_err().to_string(), "backend down");
    }

    #[test]
    fn base64_of_basic_credentials() {
        // RFC 4648 §10 test vectors.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        let pat = PersonalAccessToken::new("a@b.c", "fra:s3cr3t");
        assert_eq!(pat.authorization(), format!("Basic {}", base64(b"a@b.c:fra:s3cr3t")));
        assert!(!format!("{pat:?} {pat:#?}").contains("s3cr3t"));
        let issue = IssueBotToken::new("b", "c", "s3cr3t", "o");
        assert!(!format!("{issue:?} {issue:#?}").contains("s3cr3t"));
    }

    #[test]
    fn bot_token_answers() {
        assert!(IssueBotToken::decode(200, br#"{"token":"t","extra":1}"#)
            .unwrap()
            .is_fresh(Duration::from_secs(23 * 3600)));
        assert!(IssueBotToken::decode(200, br#"{"tok":"t"}"#).is_err());
        let e = IssueBotToken::decode(401, br#"{"error":{"type":"authentication","message":"Invalid bot secret"}}"#).unwrap_err();
        assert!(matches!(e, ResponseError::Api(_)), "{e}");
    }
}

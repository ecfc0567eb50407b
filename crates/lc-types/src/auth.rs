//! Access tokens for the transports, without I/O: the [`TokenProvider`] trait that `lc-web` and
//! `lc-rtm` both ask for the customer's token, and the two providers that need no HTTP
//! ([`StaticToken`] and [`token_fn`]). The provider that calls the LiveChat accounts service
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

use crate::Region;

/// A customer access token (`dal:…`), with its expiry when known.
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

/// Where a transport gets the customer's access token.
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
}

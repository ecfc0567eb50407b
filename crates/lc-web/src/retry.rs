//! [`RetryPolicy`]: how often and how long a call is retried.

use std::time::Duration;

use lc_types::endpoint::Backoff;

/// When a failed call is sent again: at most [`max_attempts`](RetryPolicy::max_attempts)
/// requests in all, the whole call within [`max_elapsed`](RetryPolicy::max_elapsed), waiting
/// an exponential backoff with jitter between them (or the `Retry-After` the server asks for,
/// if longer).
///
/// `Retry-After` is read in seconds and cut to
/// [`MAX_PEER_WAIT`](lc_types::limits::MAX_PEER_WAIT) (a day) before any arithmetic; its
/// HTTP-date form is ignored (the backoff applies). When the server asks for a longer wait
/// than what is left of [`max_elapsed`](RetryPolicy::max_elapsed), the call fails at once
/// with the server's error, and [`Error::retry_after`](crate::Error::retry_after) and its
/// `Display` give the wait.
///
/// Only these are retried: retryable API errors (`too_many_requests`, `service_unavailable`,
/// `internal`, `request_timeout`), HTTP 429/502/503/504 without an envelope, connection
/// failures and timeouts, and of those, the ones the server may have acted on (a timeout, a
/// connection lost mid-request, `internal`, `request_timeout`, 502–504) only for actions that
/// are [idempotent](lc_types::WebAction::IDEMPOTENT). A token refresh after `authentication`
/// and a region switch after `misdirected_request` happen once per call, outside the attempts
/// budget but within the time budget.
///
/// ```
/// use std::time::Duration;
/// use lc_web::RetryPolicy;
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .backoff(Duration::from_millis(100), Duration::from_secs(2))
///     .max_elapsed(Duration::from_secs(10));
/// assert_eq!(RetryPolicy::none().attempts(), 1);
/// # let _ = policy;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    pub(crate) attempts: u32,
    pub(crate) backoff: Backoff,
    pub(crate) max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 250 ms up to 4 s, all within 30 s.
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            backoff: Backoff::new(Duration::from_millis(250), Duration::from_secs(4), 0.5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// At most `n` requests per call, the first included (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.attempts = n.max(1);
        self
    }

    /// The backoff before the first retry, doubling up to `max`.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff = Backoff::new(initial, max, self.backoff.jitter);
        self
    }

    /// The most time a call takes, every attempt and backoff included (30 s by default; the
    /// time to get a token aside): each attempt's timeout is cut to what remains of `d`, and
    /// no retry starts when its backoff would use up the rest. With a 20 s
    /// [timeout](crate::WebClientBuilder::timeout) and the default 30 s, a call whose server
    /// never answers ends after 30 s: a 20 s attempt, a backoff, and a second attempt cut
    /// short.
    pub fn max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// The most requests per call.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The wait after attempt `attempt` (1-based): the exponential backoff less a random part
    /// of its half ("equal jitter", [`Backoff`]), at least `retry_after` when the server asked.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        self.backoff.delay(attempt, fastrand::f64()).max(retry_after.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let p = RetryPolicy::default().backoff(Duration::from_millis(100), Duration::from_millis(400));
        for _ in 0..100 {
            let d1 = p.delay(1, None);
            assert!((Duration::from_millis(50)..=Duration::from_millis(100)).contains(&d1), "{d1:?}");
            let d3 = p.delay(3, None);
            assert!((Duration::from_millis(200)..=Duration::from_millis(400)).contains(&d3), "{d3:?}");
            let d40 = p.delay(40, None);
            assert!(d40 <= Duration::from_millis(400), "{d40:?}");
        }
        let spread: std::collections::BTreeSet<_> = (0..50).map(|_| p.delay(2, None)).collect();
        assert!(spread.len() > 10, "jitter varies the delay");
        assert_eq!(p.delay(1, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }
}

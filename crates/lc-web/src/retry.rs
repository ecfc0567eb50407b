//! [`RetryPolicy`]: how often and how long a call is retried, and the decision after a failed
//! attempt ([`RetryPolicy::decide`]): a pure function of what happened and the time left, with
//! no clock and no I/O, tested with synthetic time as `lc-rtm`'s `Session` is.

use std::time::Duration;

use lc_types::endpoint::Backoff;
use lc_types::{ErrorType, Region};

use crate::error::{End, ErrorKind};

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

    /// What the call does after a failed attempt, given `random` in `0.0..=1.0` for the
    /// backoff's jitter. A retry of a call the server may have acted on is allowed only for
    /// idempotent actions; a token refresh and a region switch happen once per call, outside
    /// the attempts but within the time budget; no retry starts without time left for it.
    pub(crate) fn decide(&self, failed: &Failed<'_>, random: f64) -> Decision {
        let spent = End::BudgetSpent { budget: self.max_elapsed };
        let left = failed.left;
        match wanted(failed) {
            Decision::Refresh | Decision::Switch(_) if left.is_some_and(|left| left.is_zero()) => Decision::Fail(spent),
            Decision::Wait(_) if failed.attempts >= self.attempts => Decision::Fail(End::Plain),
            Decision::Wait(_) => {
                let wait = failed.retry_after;
                let delay = self.backoff.delay(failed.attempts, random).max(wait.unwrap_or_default());
                match left {
                    // The server asks for a longer wait than the budget has left: fail now,
                    // with the wait in the error, rather than sleep into the deadline.
                    Some(left) if wait.is_some_and(|w| w >= left) => Decision::Fail(End::WaitOverBudget { left }),
                    Some(left) if delay >= left => Decision::Fail(spent),
                    _ => Decision::Wait(delay),
                }
            }
            other => other,
        }
    }
}

/// What a call does after a failed attempt ([`RetryPolicy::decide`]).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Decision {
    /// Drop the refused token, get a new one and send again at once.
    Refresh,
    /// Switch to this region (for this call and the ones after) and send again at once.
    Switch(Region),
    /// Wait this long, then send again.
    Wait(Duration),
    /// Give up; the error ends as this says (`End::Plain`: the budget had no say).
    Fail(End),
}

/// A failed attempt and the state of its call, all [`RetryPolicy::decide`] needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Failed<'a> {
    /// What went wrong.
    pub kind: &'a ErrorKind,
    /// The `Retry-After` of the answer, clamped.
    pub retry_after: Option<Duration>,
    /// Whether the action may be repeated safely ([`lc_types::WebAction::IDEMPOTENT`]).
    pub idempotent: bool,
    /// The requests the call has sent, the failed one included.
    pub attempts: u32,
    /// Whether the attempt carried a token (one to refresh).
    pub had_token: bool,
    /// Whether the call has refreshed its token already.
    pub refreshed: bool,
    /// Whether the call has switched region already.
    pub switched: bool,
    /// What is left of the call's budget (`None`: a budget too large to matter).
    pub left: Option<Duration>,
}

/// What the failure asks for, before the attempts and the budget have their say
/// (`Wait(ZERO)`: a backoff).
fn wanted(failed: &Failed<'_>) -> Decision {
    let backoff = Decision::Wait(Duration::ZERO);
    let fail = Decision::Fail(End::Plain);
    match failed.kind {
        ErrorKind::Api(e) => match e.kind() {
            ErrorType::Authentication if !failed.refreshed => {
                if failed.had_token {
                    Decision::Refresh
                } else {
                    fail
                }
            }
            ErrorType::MisdirectedRequest if !failed.switched => match e.region() {
                Some(region) if region.is_plausible() => Decision::Switch(region),
                _ => fail,
            },
            // Refused before anything was done: safe for every action.
            ErrorType::TooManyRequests | ErrorType::ServiceUnavailable | ErrorType::PendingRequestsLimitReached => backoff,
            // May come after the server acted (`internal`, `request_timeout`).
            t if t.is_retryable() && failed.idempotent => backoff,
            _ => fail,
        },
        ErrorKind::Status { status: 429, .. } => backoff,
        ErrorKind::Status { status: 502..=504, .. } if failed.idempotent => backoff,
        // Not connected: nothing was sent.
        ErrorKind::Transport { connect: true } => backoff,
        ErrorKind::Transport { connect: false } | ErrorKind::Timeout(_) if failed.idempotent => backoff,
        _ => fail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The API error of type `t`, as the codec reports it.
    fn api(t: &str, data: &str) -> ErrorKind {
        let raw = format!(r#"{{"error":{{"type":"{t}","message":"m"{data}}}}}"#);
        crate::Error::from_response(lc_types::web::decode::<serde_json::Value>(400, raw.as_bytes()).unwrap_err()).into_kind()
    }

    /// A first failed attempt of an idempotent call with a token and a 30 s budget left.
    fn failed(kind: &ErrorKind) -> Failed<'_> {
        Failed {
            kind,
            retry_after: None,
            idempotent: true,
            attempts: 1,
            had_token: true,
            refreshed: false,
            switched: false,
            left: Some(Duration::from_secs(30)),
        }
    }

    /// A policy without jitter: 100 ms doubling to 400 ms, 3 attempts in 30 s.
    fn policy() -> RetryPolicy {
        RetryPolicy {
            backoff: Backoff::new(ms(100), ms(400), 0.0),
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn what_may_have_reached_the_server_is_retried_only_when_idempotent() {
        let p = policy();
        let cases = [
            (api("too_many_requests", ""), true),
            (api("service_unavailable", ""), true),
            (api("pending_requests_limit_reached", ""), true),
            (api("internal", ""), false),
            (api("request_timeout", ""), false),
            (
                ErrorKind::Status {
                    status: 429,
                    body: String::new(),
                },
                true,
            ),
            (
                ErrorKind::Status {
                    status: 503,
                    body: String::new(),
                },
                false,
            ),
            (ErrorKind::Transport { connect: true }, true),
            (ErrorKind::Transport { connect: false }, false),
            (ErrorKind::Timeout(ms(20)), false),
        ];
        for (kind, even_if_not_idempotent) in &cases {
            assert_eq!(p.decide(&failed(kind), 0.0), Decision::Wait(ms(100)), "{kind:?}");
            let once = Failed {
                idempotent: false,
                ..failed(kind)
            };
            let want = if *even_if_not_idempotent {
                Decision::Wait(ms(100))
            } else {
                Decision::Fail(End::Plain)
            };
            assert_eq!(p.decide(&once, 0.0), want, "{kind:?}");
        }
        for kind in [
            api("validation", ""),
            api("not_found", ""),
            ErrorKind::Status {
                status: 404,
                body: String::new(),
            },
            ErrorKind::Cancelled,
        ] {
            assert_eq!(p.decide(&failed(&kind), 0.0), Decision::Fail(End::Plain), "{kind:?}");
        }
    }

    #[test]
    fn the_backoff_grows_until_the_attempts_are_spent() {
        let p = policy();
        let kind = ErrorKind::Transport { connect: true };
        let at = |attempts| p.decide(&Failed { attempts, ..failed(&kind) }, 0.0);
        assert_eq!([at(1), at(2)], [Decision::Wait(ms(100)), Decision::Wait(ms(200))]);
        assert_eq!(at(3), Decision::Fail(End::Plain), "3 attempts in all");
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
        let more = policy().max_attempts(5);
        assert_eq!(
            more.decide(
                &Failed {
                    attempts: 4,
                    ..failed(&kind)
                },
                0.0
            ),
            Decision::Wait(ms(400)),
            "capped"
        );
        // Half the jitter share at most.
        let jittered = RetryPolicy::default().backoff(ms(100), ms(400));
        assert_eq!(jittered.decide(&failed(&kind), 1.0), Decision::Wait(ms(50)));
    }

    #[test]
    fn the_budget_and_the_servers_wait_decide_the_end() {
        let p = policy();
        let busy = api("too_many_requests", "");
        let asked = |wait: u64, left: u64| Failed {
            retry_after: Some(ms(wait)),
            left: Some(ms(left)),
            ..failed(&busy)
        };
        // A wait the server asks for is a floor for the backoff.
        assert_eq!(p.decide(&asked(2000, 30_000), 0.0), Decision::Wait(ms(2000)));
        // Longer than what is left: fail at once, naming what was left.
        assert_eq!(
            p.decide(&asked(5000, 4000), 0.0),
            Decision::Fail(End::WaitOverBudget { left: ms(4000) })
        );
        // No retry starts without time left after its backoff.
        let short = Failed {
            left: Some(ms(100)),
            ..failed(&busy)
        };
        assert_eq!(
            p.decide(&short, 0.0),
            Decision::Fail(End::BudgetSpent {
                budget: Duration::from_secs(30)
            })
        );
        // A budget too large to matter never ends a call.
        assert_eq!(
            p.decide(
                &Failed {
                    left: None,
                    ..asked(9_000_000, 0)
                },
                0.0
            ),
            Decision::Wait(ms(9_000_000))
        );
    }

    #[test]
    fn a_refresh_and_a_switch_happen_once_and_within_the_budget() {
        let p = policy();
        let refused = api("authentication", "");
        assert_eq!(p.decide(&failed(&refused), 0.0), Decision::Refresh);
        assert_eq!(
            p.decide(
                &Failed {
                    refreshed: true,
                    ..failed(&refused)
                },
                0.0
            ),
            Decision::Fail(End::Plain)
        );
        assert_eq!(
            p.decide(
                &Failed {
                    had_token: false,
                    ..failed(&refused)
                },
                0.0
            ),
            Decision::Fail(End::Plain)
        );
        // Outside the attempts budget.
        assert_eq!(
            p.decide(
                &Failed {
                    attempts: 9,
                    ..failed(&refused)
                },
                0.0
            ),
            Decision::Refresh
        );
        let spent = Decision::Fail(End::BudgetSpent {
            budget: Duration::from_secs(30),
        });
        assert_eq!(
            p.decide(
                &Failed {
                    left: Some(Duration::ZERO),
                    ..failed(&refused)
                },
                0.0
            ),
            spent
        );

        let misdirected = api("misdirected_request", r#","data":{"region":"fra"}"#);
        assert_eq!(p.decide(&failed(&misdirected), 0.0), Decision::Switch(Region::FRA));
        assert_eq!(
            p.decide(
                &Failed {
                    switched: true,
                    ..failed(&misdirected)
                },
                0.0
            ),
            Decision::Fail(End::Plain)
        );
        assert_eq!(
            p.decide(
                &Failed {
                    left: Some(Duration::ZERO),
                    ..failed(&misdirected)
                },
                0.0
            ),
            spent
        );
        // A region that cannot be one is not taken.
        let odd = api("misdirected_request", r#","data":{"region":"fra\r\nx: 1"}"#);
        assert_eq!(p.decide(&failed(&odd), 0.0), Decision::Fail(End::Plain));
        let none = api("misdirected_request", "");
        assert_eq!(p.decide(&failed(&none), 0.0), Decision::Fail(End::Plain));
    }
}

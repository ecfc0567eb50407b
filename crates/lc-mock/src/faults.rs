//! Faults the control API injects.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The faults in force.
#[derive(Default)]
pub(crate) struct Faults {
    inner: Mutex<Inner>,
    /// Bumped to drop every open RTM connection.
    pub drops: tokio::sync::watch::Sender<u64>,
    /// Bumped when RTM connections must stall (see [`Faults::stall_for`]).
    pub stalls: tokio::sync::watch::Sender<u64>,
    /// The most RTM requests one connection had in flight at once, since start or `clear`.
    pub max_in_flight: std::sync::atomic::AtomicUsize,
}

#[derive(Default)]
struct Inner {
    /// Error types the next requests answer with, one each.
    errors: VecDeque<String>,
    /// Delay before each response.
    delay: Duration,
    /// How many of the next responses are never sent.
    drop_responses: u64,
    /// New connections are refused until then.
    refuse_until: Option<Instant>,
    /// Open RTM connections neither read nor write until then.
    stall_until: Option<Instant>,
}

impl Faults {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("not poisoned")
    }

    pub fn fail_next(&self, n: usize, kind: &str) {
        let mut inner = self.inner();
        inner.errors.extend(std::iter::repeat_n(kind.to_owned(), n));
    }

    /// The error type the current request must answer with, if one is queued.
    pub fn take_error(&self) -> Option<String> {
        self.inner().errors.pop_front()
    }

    pub fn set_delay(&self, delay: Duration) {
        self.inner().delay = delay;
    }

    pub fn delay(&self) -> Duration {
        self.inner().delay
    }

    pub fn drop_responses(&self, n: u64) {
        self.inner().drop_responses += n;
    }

    /// Whether the current response must be dropped (counts it).
    pub fn take_drop(&self) -> bool {
        let mut inner = self.inner();
        if inner.drop_responses > 0 {
            inner.drop_responses -= 1;
            true
        } else {
            false
        }
    }

    pub fn refuse_for(&self, d: Duration) {
        self.inner().refuse_until = Some(Instant::now() + d);
    }

    pub fn refusing(&self) -> bool {
        self.inner().refuse_until.is_some_and(|t| Instant::now() < t)
    }

    /// Open RTM connections go silent for `d`: they read nothing (so answer no ping) and send
    /// nothing, but stay open.
    pub fn stall_for(&self, d: Duration) {
        self.inner().stall_until = Some(Instant::now() + d);
        self.stalls.send_modify(|n| *n += 1);
    }

    /// Until when connections stall, if they do now.
    pub fn stalled_until(&self) -> Option<Instant> {
        self.inner().stall_until.filter(|t| Instant::now() < *t)
    }

    /// Records that a connection has `n` requests in flight.
    pub fn note_in_flight(&self, n: usize) {
        self.max_in_flight.fetch_max(n, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn drop_connections(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    pub fn clear(&self) {
        *self.inner() = Inner::default();
        self.max_in_flight.store(0, std::sync::atomic::Ordering::SeqCst);
    }
}

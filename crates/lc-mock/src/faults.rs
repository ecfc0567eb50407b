//! Fault injection: [`FaultControl`], the public side, and the faults in force, which the
//! transports consult.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lc_types::ErrorType;
use serde_json::{json, Value};

use crate::hub::Out;
use crate::Shared;

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

/// The most runs of queued errors ([`FaultControl::fail_next`] calls with a type other than
/// the last one's) kept at once: further ones are refused over HTTP, dropped from Rust.
pub const MAX_FAULT_RUNS: usize = 1000;

#[derive(Default)]
struct Inner {
    /// Error types the next requests answer with, in runs: (type, how many requests), so
    /// that any count takes one entry.
    errors: VecDeque<(ErrorType, u64)>,
    /// Delay before each response.
    delay: Duration,
    /// How many of the next responses are never sent.
    drop_responses: u64,
    /// New connections are refused until then.
    refuse_until: Option<Instant>,
    /// Open RTM connections neither read nor write until then.
    stall_until: Option<Instant>,
    /// The next Web answer is padded to this many bytes (and sent chunked when `true`).
    pad: Option<(usize, bool)>,
    /// How many of the next RTM logins succeed and then have their connection closed at once.
    close_after_login: u64,
}

impl Faults {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        crate::lock(&self.inner)
    }

    /// Queues `n` errors of type `kind`; `false` (nothing queued) when [`MAX_FAULT_RUNS`]
    /// runs are queued already and `kind` would start another.
    pub(crate) fn fail_next(&self, n: u64, kind: ErrorType) -> bool {
        if n == 0 {
            return true;
        }
        let mut inner = self.inner();
        let runs = inner.errors.len();
        match inner.errors.back_mut() {
            Some((last, count)) if *last == kind => *count = count.saturating_add(n),
            _ if runs >= MAX_FAULT_RUNS => return false,
            _ => inner.errors.push_back((kind, n)),
        }
        true
    }

    /// The error type the current request must answer with, if one is queued.
    pub(crate) fn take_error(&self) -> Option<ErrorType> {
        let mut inner = self.inner();
        let (kind, count) = inner.errors.front_mut()?;
        let kind = kind.clone();
        *count -= 1;
        if *count == 0 {
            inner.errors.pop_front();
        }
        Some(kind)
    }

    pub(crate) fn set_delay(&self, delay: Duration) {
        self.inner().delay = delay.min(lc_types::limits::MAX_PEER_WAIT);
    }

    pub(crate) fn delay(&self) -> Duration {
        self.inner().delay
    }

    pub(crate) fn drop_responses(&self, n: u64) {
        let mut inner = self.inner();
        inner.drop_responses = inner.drop_responses.saturating_add(n);
    }

    /// Whether the current response must be dropped (counts it).
    pub(crate) fn take_drop(&self) -> bool {
        let mut inner = self.inner();
        if inner.drop_responses > 0 {
            inner.drop_responses -= 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn pad_next(&self, len: usize, chunked: bool) {
        self.inner().pad = Some((len, chunked));
    }

    /// The padding the current Web answer must get, if any (used up).
    pub(crate) fn take_pad(&self) -> Option<(usize, bool)> {
        self.inner().pad.take()
    }

    pub(crate) fn close_after_login(&self, n: u64) {
        self.inner().close_after_login = n;
    }

    /// Whether the connection of the login that just succeeded must be closed (counts it).
    pub(crate) fn take_close_after_login(&self) -> bool {
        let mut inner = self.inner();
        if inner.close_after_login > 0 {
            inner.close_after_login -= 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn refuse_for(&self, d: Duration) {
        self.inner().refuse_until = until(d);
    }

    pub(crate) fn refusing(&self) -> bool {
        self.inner().refuse_until.is_some_and(|t| Instant::now() < t)
    }

    /// Open RTM connections go silent for `d`: they read nothing (so answer no ping) and send
    /// nothing, but stay open.
    pub(crate) fn stall_for(&self, d: Duration) {
        self.inner().stall_until = until(d);
        self.stalls.send_modify(|n| *n += 1);
    }

    /// Until when connections stall, if they do now.
    pub(crate) fn stalled_until(&self) -> Option<Instant> {
        self.inner().stall_until.filter(|t| Instant::now() < *t)
    }

    /// Records that a connection has `n` requests in flight.
    pub(crate) fn note_in_flight(&self, n: usize) {
        self.max_in_flight.fetch_max(n, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn drop_connections(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    pub(crate) fn clear(&self) {
        *self.inner() = Inner::default();
        self.max_in_flight.store(0, std::sync::atomic::Ordering::SeqCst);
        // Stalled connections wake up and find the stall gone.
        self.stalls.send_modify(|n| *n += 1);
    }

    /// The faults in force, as the control API's `GET /_lc/faults` shows them.
    pub(crate) fn snapshot(&self) -> Value {
        let inner = self.inner();
        let now = Instant::now();
        let left = |until: Option<Instant>| until.filter(|t| now < *t).map(|t| (t - now).as_millis() as u64);
        let runs: Vec<Value> = inner
            .errors
            .iter()
            .map(|(kind, count)| json!({"type": kind.as_str(), "count": count}))
            .collect();
        json!({
            "fail_next": runs,
            "delay_ms": inner.delay.as_millis() as u64,
            "drop_responses": inner.drop_responses,
            "refuse_connections_ms": left(inner.refuse_until),
            "stall_connections_ms": left(inner.stall_until),
            "pad_next_response": inner.pad.map(|(len, chunked)| json!({"len": len, "chunked": chunked})),
            "close_after_login": inner.close_after_login,
            "max_in_flight": self.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
        })
    }
}

/// `d` from now, if the clock can say when (a duration past what an `Instant` holds: never).
fn until(d: Duration) -> Option<Instant> {
    Instant::now().checked_add(d.min(lc_types::limits::MAX_PEER_WAIT))
}

/// Fault injection.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
/// // The next two requests (any transport) answer `service_unavailable`.
/// server.faults().fail_next(2, lc_types::ErrorType::ServiceUnavailable);
/// server.faults().fail_next(1, "too_many_requests"); // the wire text works too
/// server.faults().delay_responses(std::time::Duration::from_millis(10));
/// server.faults().clear();
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct FaultControl<'a> {
    shared: &'a Shared,
}

impl<'a> FaultControl<'a> {
    pub(crate) fn new(shared: &'a Shared) -> Self {
        FaultControl { shared }
    }

    /// The next `n` customer requests (Web or RTM, `ping` excepted) answer with error `kind`
    /// (an [`ErrorType`], or its wire text: `"service_unavailable"`; the Web status follows
    /// the type, see [`Refusal::status_of`](crate::Refusal::status_of)) and change nothing.
    ///
    /// Any `n` costs the same: errors are queued in runs of one type (the answer of `GET
    /// /_lc/faults` lists the runs, `{"type", "count"}`). At most [`MAX_FAULT_RUNS`] runs wait
    /// at once; a call that would start one more queues nothing (the HTTP control API refuses
    /// it with `validation`).
    pub fn fail_next(&self, n: usize, kind: impl Into<ErrorType>) {
        self.shared.faults.fail_next(n as u64, kind.into());
    }

    /// Every response waits `delay` first (zero: none). The request itself runs when it
    /// arrives: a client that gives up waiting and reads the state back finds the change made,
    /// as after a slow network. Over RTM, delayed requests overlap, so the 11th in flight is
    /// refused with `pending_requests_limit_reached`.
    pub fn delay_responses(&self, delay: Duration) {
        self.shared.faults.set_delay(delay);
    }

    /// The next `n` requests run but get no response (Web: `request_timeout` after 15 s).
    pub fn drop_responses(&self, n: u64) {
        self.shared.faults.drop_responses(n);
    }

    /// The next Web answer (whatever it is: a response or an error) gets its JSON body padded
    /// with trailing spaces to `len` bytes (it stays the same JSON; a body already longer is
    /// left as it is), sent in 64 KiB pieces, as a chunked body without `Content-Length` when
    /// `chunked`, else with a `Content-Length` announcing `len`. The padding is never held in
    /// memory whole: this tests what a client does with an answer larger than it accepts (such
    /// as `lc-web`'s `MAX_RESPONSE_BYTES`).
    pub fn pad_next_response(&self, len: usize, chunked: bool) {
        self.shared.faults.pad_next(len, chunked);
    }

    /// The next `n` RTM logins (replacing what was left of an earlier count) succeed and then
    /// their connection is closed at once: the login response, then a Close frame (status
    /// 1000) right after it. A server that keeps closing: a client should not reconnect at
    /// full speed forever (its backoff keeps growing while no connection lives).
    pub fn close_after_login(&self, n: u64) {
        self.shared.faults.close_after_login(n);
    }

    /// New RTM connections are refused (HTTP 503) for `duration`.
    pub fn refuse_connections(&self, duration: Duration) {
        self.shared.faults.refuse_for(duration);
    }

    /// Every open RTM connection goes silent for `duration`: it reads nothing (so answers no
    /// `ping`, not even a WebSocket ping) and sends nothing, but stays open; a client must
    /// notice on its own. Afterwards the connection carries on (unless the mock's own ping
    /// deadline closed it meanwhile).
    pub fn stall_connections(&self, duration: Duration) {
        self.shared.faults.stall_for(duration);
    }

    /// The most RTM requests a single connection had in flight at once (received, not yet
    /// answered) since the start or the last [`clear`](Self::clear). Requests overlap only
    /// while responses are delayed ([`delay_responses`](Self::delay_responses)).
    pub fn max_in_flight(&self) -> usize {
        self.shared.faults.max_in_flight.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Drops every open RTM connection without a close frame or a push.
    pub fn drop_connections(&self) {
        self.shared.faults.drop_connections();
    }

    /// Sends `text` as is (an unknown push, malformed JSON, ...) to every RTM connection of a
    /// customer. Answers how many connections took it (one whose client fell
    /// [`MAX_QUEUED_FRAMES`](crate::MAX_QUEUED_FRAMES) frames behind takes none).
    pub fn send_raw(&self, customer_id: &str, text: &str) -> usize {
        let conns = self.shared.hub.connections_of(customer_id);
        conns.iter().filter(|conn| conn.tx.send(Out::Text(text.to_owned())).is_ok()).count()
    }

    /// Disconnects every RTM connection of agent `agent_id` with `agent_disconnected`: any
    /// reason (an [`AgentDisconnectReason`](lc_types::v3_6::agent::AgentDisconnectReason), or
    /// its wire text; an undocumented one too), with `data` where it has one (`{"region":
    /// "fra"}` for `misdirected_connection`). Answers how many connections were closed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
    /// let bot = server.issue_agent(lc_mock::NewAgent::new("bot@example.com", "Bot")).unwrap();
    /// // Not connected: nothing to close.
    /// assert_eq!(server.faults().disconnect_agent(&bot.agent_id, "connection_evicted", None), 0);
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn disconnect_agent(&self, agent_id: &str, reason: &str, data: Option<Value>) -> usize {
        crate::rtm::disconnect(self.shared, lc_types::ChatApi::Agent, agent_id, reason, data)
    }

    /// Clears the queued errors, the delay, the dropped responses, the padding, the closes
    /// after login, the refusal, the stall (connections stalled now carry on at once) and the
    /// in-flight maximum.
    pub fn clear(&self) {
        self.shared.faults.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 20: a panic while the faults were locked (a control request's `count` of 2^62
    /// once did it) poisoned the lock, and every later request failed with `PoisonError`.
    /// The mock's locks recover: the state a panic leaves is still consistent data.
    #[test]
    fn a_panic_while_holding_the_faults_breaks_nothing_after_it() {
        let faults = std::sync::Arc::new(Faults::default());
        let held = faults.clone();
        let panicked = std::thread::spawn(move || {
            let _guard = held.inner();
            panic!("a handler panics while holding the faults");
        })
        .join();
        assert!(panicked.is_err() && faults.inner.is_poisoned());
        assert!(faults.fail_next(2, ErrorType::Internal));
        assert_eq!(faults.take_error(), Some(ErrorType::Internal));
        faults.clear();
        assert_eq!(faults.take_error(), None);
    }
}

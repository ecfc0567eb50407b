//! The logged-in RTM connections of each customer and each agent, and what they subscribed to.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use lc_types::{ApiVersion, ChatApi};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

/// The most frames waiting to be written to one RTM connection. A client that does not read
/// them is cut off: the connection stops taking frames (pushes to it are dropped from then on,
/// as they are for a disconnected client) and is closed as soon as its writer can move.
pub const MAX_QUEUED_FRAMES: usize = 10_000;

/// The most bytes of frames waiting to be written to one RTM connection: 16 MiB (pushes are
/// as large as the events they carry, up to [`MAX_FRAME_BYTES`](crate::MAX_FRAME_BYTES) and
/// more). Over it, the client is cut off as over [`MAX_QUEUED_FRAMES`]; one frame larger than
/// the bound is queued when nothing else waits.
pub const MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;

/// The writer queue of one connection, bounded by [`MAX_QUEUED_FRAMES`] and
/// [`MAX_QUEUED_BYTES`].
#[derive(Clone, Debug)]
pub(crate) struct Outbox {
    tx: UnboundedSender<Out>,
    queued: Arc<AtomicUsize>,
    bytes: Arc<AtomicUsize>,
    overflowed: Arc<AtomicBool>,
}

impl Outbox {
    /// A queue and its receiving end.
    pub(crate) fn new() -> (Outbox, UnboundedReceiver<Out>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let outbox = Outbox {
            tx,
            queued: Arc::default(),
            bytes: Arc::default(),
            overflowed: Arc::default(),
        };
        (outbox, rx)
    }

    /// Queues `out`; refused when the connection is gone or overflowed.
    pub(crate) fn send(&self, out: Out) -> Result<(), Out> {
        if self.overflowed.load(Ordering::SeqCst) {
            return Err(out);
        }
        let len = out.bytes();
        let frames = self.queued.fetch_add(1, Ordering::SeqCst);
        let bytes = self.bytes.fetch_add(len, Ordering::SeqCst);
        // A frame larger than the byte bound alone still goes out when nothing waits (the
        // bound is on what piles up, not on one frame: a test's oversized push must arrive).
        if frames >= MAX_QUEUED_FRAMES || (bytes > 0 && bytes.saturating_add(len) > MAX_QUEUED_BYTES) {
            self.taken(len);
            self.overflowed.store(true, Ordering::SeqCst);
            return Err(out);
        }
        self.tx.send(out).map_err(|e| {
            self.taken(len);
            e.0
        })
    }

    /// The writer took a frame of `len` bytes off the queue.
    pub(crate) fn taken(&self, len: usize) {
        self.queued.fetch_sub(1, Ordering::SeqCst);
        self.bytes.fetch_sub(len, Ordering::SeqCst);
    }

    /// Whether the client fell [`MAX_QUEUED_FRAMES`] or [`MAX_QUEUED_BYTES`] behind (the
    /// connection must close).
    pub(crate) fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::SeqCst)
    }
}

/// What a connection's writer is told to do.
#[derive(Debug)]
pub(crate) enum Out {
    /// Send one text frame.
    Text(String),
    /// Close the socket with a close frame.
    Close,
}

impl Out {
    /// The bytes it queues.
    pub(crate) fn bytes(&self) -> usize {
        match self {
            Out::Text(text) => text.len(),
            Out::Close => 0,
        }
    }
}

/// A subscribed version and its push names (`None`: all of them).
pub(crate) type Subscription = (ApiVersion, Option<Vec<String>>);

/// One logged-in RTM connection.
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    pub id: u64,
    /// Whose connection it is: a customer's (Customer Chat API) or an agent's (Agent Chat API).
    pub api: ChatApi,
    /// The customer's or the agent's ID.
    pub owner: String,
    /// The version in the connection's URL.
    pub version: ApiVersion,
    /// `login.pushes`: version -> push names (`None` = all of that version). Without it, every
    /// push of the connection's version.
    pub subscriptions: Vec<Subscription>,
    pub tx: Outbox,
    /// `set_away_status` (agents): whether this connection is away.
    pub away: Arc<AtomicBool>,
}

impl Conn {
    /// The versions in which this connection gets push `name`: each subscribed version that
    /// has the push and whose list selects it.
    pub(crate) fn versions_for(&self, name: &str) -> Vec<ApiVersion> {
        self.subscriptions
            .iter()
            .filter(|(version, names)| {
                let has = lc_types::api(self.api, *version).is_some_and(|api| api.push(name).is_some());
                has && names.as_ref().is_none_or(|n| n.iter().any(|p| p == name || p == "all"))
            })
            .map(|(version, _)| *version)
            .collect()
    }
}

/// Every logged-in connection, by customer and by agent.
#[derive(Default)]
pub(crate) struct Hub {
    conns: Mutex<HashMap<String, Vec<Conn>>>,
    agents: Mutex<HashMap<String, Vec<Conn>>>,
    next: AtomicU64,
}

impl Hub {
    /// A new connection ID.
    pub(crate) fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn map(&self, api: ChatApi) -> &Mutex<HashMap<String, Vec<Conn>>> {
        match api {
            ChatApi::Agent => &self.agents,
            _ => &self.conns,
        }
    }

    pub(crate) fn register(&self, conn: Conn) {
        crate::lock(self.map(conn.api)).entry(conn.owner.clone()).or_default().push(conn);
    }

    /// Forgets connection `id` of `owner` in `api`.
    pub(crate) fn unregister(&self, api: ChatApi, owner: &str, id: u64) {
        let mut conns = crate::lock(self.map(api));
        if let Some(list) = conns.get_mut(owner) {
            list.retain(|c| c.id != id);
            if list.is_empty() {
                conns.remove(owner);
            }
        }
    }

    /// The logged-in connections of agent `agent`.
    pub(crate) fn agent_connections(&self, agent: &str) -> Vec<Conn> {
        crate::lock(&self.agents).get(agent).cloned().unwrap_or_default()
    }

    pub(crate) fn connections_of(&self, customer: &str) -> Vec<Conn> {
        crate::lock(&self.conns).get(customer).cloned().unwrap_or_default()
    }

    /// Customers with at least one logged-in connection.
    pub(crate) fn customers(&self) -> Vec<String> {
        crate::lock(&self.conns).keys().cloned().collect()
    }
}

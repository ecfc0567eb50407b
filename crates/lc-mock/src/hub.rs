//! The logged-in RTM connections of each customer, and what they subscribed to.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use lc_types::ApiVersion;
use tokio::sync::mpsc::UnboundedSender;

/// What a connection's writer is told to do.
#[derive(Debug)]
pub(crate) enum Out {
    /// Send one text frame.
    Text(String),
    /// Close the socket with a close frame.
    Close,
}

/// A subscribed version and its push names (`None`: all of them).
pub(crate) type Subscription = (ApiVersion, Option<Vec<String>>);

/// One logged-in RTM connection.
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    pub id: u64,
    pub customer: String,
    /// The version in the connection's URL.
    pub version: ApiVersion,
    /// `login.pushes`: version -> push names (`None` = all of that version). Without it, every
    /// push of the connection's version.
    pub subscriptions: Vec<Subscription>,
    pub tx: UnboundedSender<Out>,
}

impl Conn {
    /// The versions in which this connection gets push `name`: each subscribed version that
    /// has the push and whose list selects it.
    pub fn versions_for(&self, name: &str) -> Vec<ApiVersion> {
        self.subscriptions
            .iter()
            .filter(|(version, names)| {
                let has = lc_types::api(*version).is_some_and(|api| api.push(name).is_some());
                has && names.as_ref().is_none_or(|n| n.iter().any(|p| p == name || p == "all"))
            })
            .map(|(version, _)| *version)
            .collect()
    }
}

/// Every logged-in connection, by customer.
#[derive(Default)]
pub(crate) struct Hub {
    conns: Mutex<HashMap<String, Vec<Conn>>>,
    next: AtomicU64,
}

impl Hub {
    /// A new connection ID.
    pub fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn register(&self, conn: Conn) {
        self.conns
            .lock()
            .expect("not poisoned")
            .entry(conn.customer.clone())
            .or_default()
            .push(conn);
    }

    pub fn unregister(&self, customer: &str, id: u64) {
        let mut conns = self.conns.lock().expect("not poisoned");
        if let Some(list) = conns.get_mut(customer) {
            list.retain(|c| c.id != id);
            if list.is_empty() {
                conns.remove(customer);
            }
        }
    }

    pub fn connections_of(&self, customer: &str) -> Vec<Conn> {
        self.conns.lock().expect("not poisoned").get(customer).cloned().unwrap_or_default()
    }

    /// Customers with at least one logged-in connection.
    pub fn customers(&self) -> Vec<String> {
        self.conns.lock().expect("not poisoned").keys().cloned().collect()
    }
}

//! The organization's state, in memory. Payloads are kept as JSON in their wire form; every
//! response built from them is decoded with the `lc-types` response type of its version before
//! it is sent (see `web.rs`), so the mock cannot answer what the types would refuse.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{json, Map, Value};

/// An API error: its type (`validation`, `authentication`, ...), message and HTTP status.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// The error type, e.g. `chat_inactive`.
    pub kind: &'static str,
    /// The human-readable message.
    pub message: String,
    /// The HTTP status the Web API answers with.
    pub status: u16,
}

impl Refusal {
    pub(crate) fn new(kind: &'static str, status: u16, message: impl Into<String>) -> Self {
        Refusal {
            kind,
            message: message.into(),
            status,
        }
    }

    /// The error envelope, `{"error": {"type", "message"}}`.
    pub fn envelope(&self) -> Value {
        json!({"error": {"type": self.kind, "message": self.message}})
    }
}

/// One chat thread.
#[derive(Clone, Debug)]
pub(crate) struct Thread {
    pub id: String,
    pub created_at: String,
    pub active: bool,
    pub events: Vec<Value>,
    pub properties: Map<String, Value>,
}

/// One chat of a customer.
#[derive(Clone, Debug)]
pub(crate) struct Chat {
    pub id: String,
    pub customer_id: String,
    pub threads: Vec<Thread>,
    pub properties: Map<String, Value>,
    pub access: Value,
}

impl Chat {
    pub fn active(&self) -> bool {
        self.threads.last().is_some_and(|t| t.active)
    }
}

/// Everything the mock knows about one organization.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    /// Access token -> customer ID.
    pub tokens: BTreeMap<String, String>,
    /// Customer ID -> the customer as `get_customer` shows it.
    pub customers: BTreeMap<String, Map<String, Value>>,
    pub chats: BTreeMap<String, Chat>,
    counter: u64,
}

/// Upper-case letters and digits, as LiveChat's chat and thread IDs.
const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

impl State {
    /// A fresh ID: 10 characters from a counter, unique within this state.
    pub fn next_id(&mut self) -> String {
        self.counter += 1;
        let mut n = self.counter * 7_919 + 1_000_003;
        let mut id = String::with_capacity(10);
        for _ in 0..10 {
            id.push(ID_CHARS[(n % 36) as usize] as char);
            n /= 36;
        }
        id
    }

    /// A new customer and a token for it.
    pub fn new_customer(&mut self) -> (String, String) {
        self.counter += 1;
        let n = self.counter;
        let id = format!("00000000-0000-4000-8000-{n:012x}");
        let token = format!("dal:mock-token-{n}");
        let mut customer = Map::new();
        customer.insert("id".into(), json!(id));
        customer.insert("type".into(), json!("customer"));
        self.customers.insert(id.clone(), customer);
        self.tokens.insert(token.clone(), id.clone());
        (id, token)
    }
}

/// Now, in the wire form: RFC 3339, UTC, microseconds.
pub(crate) fn now() -> String {
    lc_types::Timestamp::from_system_time(SystemTime::now()).into_string()
}

//! The organization's state, in memory.
//!
//! Collections are persistent (`imbl`): cloning the whole state is O(1), so every request runs
//! on a copy that is kept only when the request succeeds, and a rejected request leaves
//! nothing changed. Payload objects (events, properties, customer fields) are kept in their
//! wire form; every response and push built from them passes through the `lc-types` structs of
//! its version before it is sent (see `engine.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{json, Map, Value};

pub(crate) use crate::error::Refusal;

/// A customer.
#[derive(Clone, Debug)]
pub(crate) struct Customer {
    /// `id`, `type` and whatever the customer set (`name`, `email`, `session_fields`, ...), in
    /// the wire form of `get_customer`.
    pub fields: Map<String, Value>,
    /// The last `customer_side_storage` given at login.
    pub side_storage: Map<String, Value>,
    /// `visits_count` etc. of `statistics`.
    pub visits: u64,
    pub page_views: u64,
    pub greetings_shown: u64,
    pub greetings_accepted: u64,
    /// The current page (`update_customer_page`, `login.customer_page`).
    pub page: Option<Value>,
    /// Group the customer is in (`login.group_id`, default 0).
    pub group_id: i64,
    /// `request_email_verification` callbacks, the 10 most recent.
    pub email_callbacks: Vec<String>,
    /// Until when an agent's `ban_customer` refuses the customer.
    pub banned_until: Option<std::time::Instant>,
}

/// An agent: the one the control API plays, and those [`MockServer::issue_agent`](crate::MockServer::issue_agent) adds.
#[derive(Clone, Debug)]
pub(crate) struct Agent {
    pub id: String,
    pub name: String,
    pub is_bot: bool,
    /// The groups the agent belongs to (its access: chats of these groups, and of group 0).
    pub groups: Vec<i64>,
    /// `owner`, `viceowner`, `administrator` or `normal`.
    pub role: String,
    /// `accepting_chats`, `not_accepting_chats` or `offline`.
    pub routing_status: String,
    /// The account ID of its personal access tokens (Basic auth's user name).
    pub account_id: String,
    /// Whether `set_away_status` (every connection away) set `not_accepting_chats`, to be
    /// undone when a connection comes back.
    pub auto_away: bool,
}

impl Agent {
    /// A human agent in `groups`, accepting chats.
    pub(crate) fn new(id: &str, name: &str, groups: Vec<i64>, role: &str, account_id: String) -> Agent {
        Agent {
            id: id.to_owned(),
            name: name.to_owned(),
            is_bot: false,
            groups,
            role: role.to_owned(),
            routing_status: "accepting_chats".to_owned(),
            account_id,
            auto_away: false,
        }
    }

    /// As a chat user (`type: agent`).
    pub(crate) fn user(&self, present: bool) -> Value {
        json!({
            "id": self.id, "type": "agent", "name": self.name, "avatar": "https://cdn.mock.invalid/avatar.png",
            "job_title": "Support Agent", "is_bot": self.is_bot, "present": present,
        })
    }

    /// Whether the agent may see a chat of `access` (`{"group_ids": [...]}`): group 0 means
    /// every agent (reference §4.2); otherwise its groups and the chat's must overlap (the
    /// `chats--access` scopes, reference §2). An owner, vice-owner or administrator sees every
    /// chat: the mock gives their roles the `chats--all` scopes.
    pub(crate) fn can_access(&self, access: &Value) -> bool {
        if self.role != "normal" {
            return true;
        }
        let groups = access["group_ids"].as_array().into_iter().flatten().filter_map(Value::as_i64);
        groups.into_iter().any(|g| g == 0 || self.groups.contains(&g))
    }

    /// Whether the agent may see `chat`: it is in it, or may access the chat's groups
    /// ([`can_access`](Self::can_access)).
    pub(crate) fn can_see(&self, chat: &Chat) -> bool {
        chat.agents.contains_key(&self.id) || self.can_access(&chat.access)
    }

    /// As the `agent` of a greeting or the `predicted_agent` of a welcome message.
    pub(crate) fn profile(&self) -> Value {
        json!({
            "id": self.id, "type": "agent", "name": self.name, "avatar": "https://cdn.mock.invalid/avatar.png",
            "job_title": "Support Agent", "is_bot": self.is_bot,
        })
    }
}

/// One chat thread.
#[derive(Clone, Debug)]
pub(crate) struct Thread {
    pub id: String,
    pub created_at: String,
    pub active: bool,
    /// Events in order; deleted events are removed (the Customer API never shows them).
    pub events: imbl::Vector<Value>,
    /// Number of events ever added, so event IDs stay unique after a deletion.
    pub event_count: u64,
    pub properties: Map<String, Value>,
    /// Queue position while the chat waits for an agent.
    pub queue: Option<Value>,
    /// Tags (`tag_thread`), in the order given.
    pub tags: Vec<String>,
    /// The summary `request_thread_summary` made.
    pub summary: Option<Value>,
}

impl Thread {
    pub(crate) fn event(&self, id: &str) -> Option<usize> {
        self.events.iter().position(|e| e["id"] == id)
    }
}

/// One chat of a customer.
#[derive(Clone, Debug)]
pub(crate) struct Chat {
    pub id: String,
    pub customer_id: String,
    pub threads: imbl::Vector<Thread>,
    pub properties: Map<String, Value>,
    pub access: Value,
    /// Agents in the chat, and whether they are present.
    pub agents: BTreeMap<String, bool>,
    /// User ID -> `events_seen_up_to`.
    pub seen: BTreeMap<String, String>,
    /// The last sneak peek the customer sent.
    pub sneak_peek: Option<String>,
    /// Agents following the chat (`follow_chat`) without being in it.
    pub followers: std::collections::BTreeSet<String>,
    /// Agents in the chat that only agents see (added with `visibility: agents`).
    pub agents_only: std::collections::BTreeSet<String>,
    /// The Client ID of the token that started it (a webhook's `only_my_chats`), if any.
    pub client_id: Option<String>,
}

impl Chat {
    pub(crate) fn active(&self) -> bool {
        self.threads.last().is_some_and(|t| t.active)
    }

    pub(crate) fn last_thread(&self) -> &Thread {
        self.threads.last().expect("a chat has a thread")
    }

    pub(crate) fn last_thread_mut(&mut self) -> &mut Thread {
        self.threads.back_mut().expect("a chat has a thread")
    }

    pub(crate) fn thread(&self, id: &str) -> Option<usize> {
        self.threads.iter().position(|t| t.id == id)
    }
}

/// A greeting shown to a customer.
#[derive(Clone, Debug)]
pub(crate) struct Greeting {
    /// The greeting as `incoming_greeting` carries it.
    pub greeting: Value,
    pub customer_id: String,
    pub status: GreetingStatus,
}

/// What became of a greeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GreetingStatus {
    /// Shown, not answered yet.
    Pending,
    /// The customer accepted it (`accept_greeting`).
    Accepted,
    /// The customer (or a newer greeting) canceled it.
    Canceled,
}

/// An uploaded file.
#[derive(Clone, Debug)]
pub(crate) struct File {
    pub name: String,
    pub content_type: String,
    pub bytes: Arc<[u8]>,
}

impl File {
    /// A file named `name` (refused over [`MAX_FILE_NAME_BYTES`](crate::MAX_FILE_NAME_BYTES);
    /// every character but letters, digits, `.`, `-` and `_` replaced with `_`, so the name is
    /// safe in a URL and a header) of type `content_type` (`application/octet-stream` when it
    /// is not a valid header value of at most 255 bytes).
    pub(crate) fn new(name: &str, content_type: &str, bytes: &[u8]) -> Result<File, Refusal> {
        let max = crate::MAX_FILE_NAME_BYTES;
        if name.len() > max {
            return Err(Refusal::validation(format!(
                "Wrong format of request: the file name is longer than {max} bytes"
            )));
        }
        let name = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let valid = content_type.len() <= 255 && axum::http::HeaderValue::from_str(content_type).is_ok();
        let content_type = if valid { content_type } else { "application/octet-stream" };
        Ok(File {
            name,
            content_type: content_type.to_owned(),
            bytes: bytes.into(),
        })
    }
}

/// Everything the mock knows about the organization.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    /// The organization's ID.
    pub organization_id: String,
    /// Random to the mock instance: tokens are `<region>:mock-<instance>-<n>`.
    pub instance: String,
    /// Access token -> customer ID.
    pub tokens: imbl::HashMap<String, String>,
    /// Access token -> agent ID.
    pub agent_tokens: imbl::HashMap<String, String>,
    /// Account ID -> (personal access token, agent ID).
    pub pats: imbl::HashMap<String, (String, String)>,
    pub customers: imbl::HashMap<String, Customer>,
    pub chats: imbl::OrdMap<String, Chat>,
    pub agents: imbl::OrdMap<String, Agent>,
    /// Group ID -> `online`, `online_for_queue` or `offline`.
    pub groups: imbl::OrdMap<i64, String>,
    /// Greeting `unique_id` -> greeting.
    pub greetings: imbl::OrdMap<String, Greeting>,
    /// (group ID, form type) -> form.
    pub forms: imbl::OrdMap<(i64, String), Value>,
    /// File ID -> file.
    pub files: imbl::HashMap<String, File>,
    /// The bytes of every file in `files`.
    pub file_bytes: usize,
    pub license_properties: Map<String, Value>,
    pub group_properties: imbl::OrdMap<i64, Map<String, Value>>,
    counter: u64,
}

/// The ID of the agent the control API plays ([`AgentControl`](crate::AgentControl)).
pub(crate) const DEFAULT_AGENT: &str = "agent@mock.invalid";

/// Upper-case letters and digits, as LiveChat's chat and thread IDs.
const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

impl State {
    /// A fresh organization of the mock instance `instance`: group 0 online, one agent.
    pub(crate) fn new(organization_id: &str, instance: &str) -> State {
        let mut state = State {
            organization_id: organization_id.to_owned(),
            instance: instance.to_owned(),
            ..State::default()
        };
        state.groups.insert(0, "online".into());
        // A fixed account ID: the ID counter (customer, chat and thread IDs) starts untouched.
        let account = "00000000-0000-4000-a000-000000000000".to_owned();
        let agent = Agent::new(DEFAULT_AGENT, "Mock Agent", vec![0], "owner", account);
        state.agents.insert(agent.id.clone(), agent);
        state
    }

    /// The groups with an agent available now (`online` or `online_for_queue`), by ID.
    pub(crate) fn online_groups(&self) -> Vec<i64> {
        self.groups
            .iter()
            .filter(|(_, status)| status.as_str() != "offline")
            .map(|(id, _)| *id)
            .collect()
    }

    /// The next value of the ID counter.
    pub(crate) fn next_number(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// A fresh chat or thread ID: 10 upper-case characters, unique within this state.
    pub(crate) fn next_id(&mut self) -> String {
        let mut n = self.next_number() * 7_919 + 1_000_003;
        let mut id = String::with_capacity(10);
        for _ in 0..10 {
            id.push(ID_CHARS[(n % 36) as usize] as char);
            n /= 36;
        }
        id
    }

    /// A new token, `<region>:mock-<instance>-<n>`: unique to this mock instance.
    fn token(&self, n: u64, region: &str) -> String {
        format!("{region}:mock-{}-{n}", self.instance)
    }

    /// A new token for customer `id`, prefixed with `region` (`dal:…`).
    pub(crate) fn new_token(&mut self, id: &str, region: &str) -> String {
        let n = self.next_number();
        let token = self.token(n, region);
        self.tokens.insert(token.clone(), id.to_owned());
        token
    }

    /// A new bearer token for agent `id`, prefixed with `region` (`None`: no such agent).
    pub(crate) fn new_agent_token(&mut self, id: &str, region: &str) -> Option<String> {
        self.agents.get(id)?;
        let n = self.next_number();
        let token = self.token(n, region);
        self.agent_tokens.insert(token.clone(), id.to_owned());
        Some(token)
    }

    /// A fresh account ID (the user name of an agent's personal access tokens).
    pub(crate) fn account_id(&mut self) -> String {
        let n = self.next_number();
        format!("00000000-0000-4000-a000-{n:012x}")
    }

    /// Adds (or replaces the profile of) `agent`, with a new token prefixed with `region` and
    /// a new personal access token: (token, PAT). An existing agent keeps its account ID.
    pub(crate) fn new_agent(&mut self, mut agent: Agent, region: &str) -> (Agent, String, String) {
        if let Some(old) = self.agents.get(&agent.id) {
            agent.account_id = old.account_id.clone();
            agent.routing_status = old.routing_status.clone();
        }
        let n = self.next_number();
        let token = self.token(n, region);
        let pat = format!("{region}:mock-pat-{}-{n}", self.instance);
        self.agent_tokens.insert(token.clone(), agent.id.clone());
        self.pats.insert(agent.account_id.clone(), (pat.clone(), agent.id.clone()));
        self.agents.insert(agent.id.clone(), agent.clone());
        (agent, token, pat)
    }

    /// A new customer and a token for it, prefixed with `region`.
    pub(crate) fn new_customer(&mut self, region: &str) -> (String, String) {
        let n = self.next_number();
        let id = self.insert_customer(n);
        let token = self.token(n, region);
        self.tokens.insert(token.clone(), id.clone());
        (id, token)
    }

    /// A new customer without a token (an agent's `create_customer`, 3.5 only).
    #[cfg(feature = "v3_5")]
    pub(crate) fn new_customer_without_token(&mut self) -> String {
        let n = self.next_number();
        self.insert_customer(n)
    }

    /// Customer number `n`, added; its ID.
    fn insert_customer(&mut self, n: u64) -> String {
        let id = format!("00000000-0000-4000-8000-{n:012x}");
        let mut fields = Map::new();
        fields.insert("id".into(), json!(id));
        fields.insert("type".into(), json!("customer"));
        let customer = Customer {
            fields,
            side_storage: Map::new(),
            visits: 0,
            page_views: 0,
            greetings_shown: 0,
            greetings_accepted: 0,
            page: None,
            group_id: 0,
            email_callbacks: Vec::new(),
            banned_until: None,
        };
        self.customers.insert(id.clone(), customer);
        id
    }

    /// Keeps `file` under a new ID, unless the files kept would then hold more than `max`
    /// bytes (`entity_too_large`); the ID.
    pub(crate) fn add_file(&mut self, file: File, max: usize) -> Result<String, Refusal> {
        let total = self.file_bytes.saturating_add(file.bytes.len());
        if total > max {
            return Err(Refusal::new(
                "entity_too_large",
                format!("The mock keeps at most {max} bytes of files (Config::max_stored_file_bytes)"),
            ));
        }
        let id = self.next_id();
        self.files.insert(id.clone(), file);
        self.file_bytes = total;
        Ok(id)
    }

    /// A chat by ID (`not_found` otherwise).
    pub(crate) fn chat(&self, id: &str) -> Result<&Chat, Refusal> {
        self.chats.get(id).ok_or_else(|| Refusal::not_found("Chat"))
    }

    /// The chats of a customer, oldest first.
    pub(crate) fn chats_of(&self, customer: &str) -> Vec<&Chat> {
        self.chats.values().filter(|c| c.customer_id == customer).collect()
    }

    /// The customer as a chat user (`present`, `events_seen_up_to` of `chat`).
    pub(crate) fn customer_user(&self, customer: &str, chat: Option<&Chat>) -> Value {
        let mut c = self.customers.get(customer).map(|c| c.fields.clone()).unwrap_or_default();
        c.insert("present".into(), json!(true));
        if let Some(seen) = chat.and_then(|chat| chat.seen.get(customer)) {
            c.insert("events_seen_up_to".into(), json!(seen));
        }
        Value::Object(c)
    }

    /// The agents who get the pushes about chat `chat_id`: those in it, those following it,
    /// and those whose access covers the chat's groups (reference §2.2 `login`: the
    /// `chats--access` scopes bring the chat pushes of the agent's groups). None for a chat
    /// that does not exist.
    pub(crate) fn chat_audience(&self, chat_id: &str) -> Vec<String> {
        let Some(chat) = self.chats.get(chat_id) else { return Vec::new() };
        self.agents
            .values()
            .filter(|a| a.can_see(chat) || chat.followers.contains(&a.id))
            .map(|a| a.id.clone())
            .collect()
    }

    /// The agents who get the pushes about customer `customer_id`: the audience of each of
    /// its chats (the `customers:ro` scope, narrowed to the customers an agent chats with:
    /// `customer_monitoring_level` `my`, the documented default).
    pub(crate) fn customer_audience(&self, customer_id: &str) -> Vec<String> {
        let mut agents = std::collections::BTreeSet::new();
        for chat in self.chats.values().filter(|c| c.customer_id == customer_id) {
            agents.extend(self.chat_audience(&chat.id));
        }
        agents.into_iter().collect()
    }

    /// The users of a chat as agents see them: agents with their `visibility`.
    pub(crate) fn agent_view_users(&self, chat: &Chat) -> Value {
        let mut users = self.users(chat);
        for user in users.as_array_mut().into_iter().flatten() {
            if user["type"] == "agent" {
                let hidden = user["id"].as_str().is_some_and(|id| chat.agents_only.contains(id));
                user["visibility"] = json!(if hidden { "agents" } else { "all" });
            }
        }
        users
    }

    /// The users of a chat: the customer, then its agents.
    pub(crate) fn users(&self, chat: &Chat) -> Value {
        let mut users = vec![self.customer_user(&chat.customer_id, Some(chat))];
        for (id, present) in &chat.agents {
            if let Some(agent) = self.agents.get(id) {
                let mut user = agent.user(*present);
                if let Some(seen) = chat.seen.get(id) {
                    user["events_seen_up_to"] = json!(seen);
                }
                users.push(user);
            }
        }
        Value::Array(users)
    }
}

/// Whether `customer` sees `event`: not an event by someone else meant for agents only
/// (`visibility: agents`).
pub(crate) fn customer_sees(event: &Value, customer: &str) -> bool {
    event["visibility"] != "agents" || event["author_id"] == customer
}

/// Now, in the wire form: RFC 3339, UTC, microseconds. Strictly increasing within the process,
/// so events created in one microsecond still sort in order.
pub(crate) fn now() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let micros = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let mut last = LAST.load(Ordering::Relaxed);
    let t = loop {
        let t = micros.max(last + 1);
        match LAST.compare_exchange(last, t, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break t,
            Err(seen) => last = seen,
        }
    };
    let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(t);
    lc_types::Timestamp::from_system_time(time).into_string()
}

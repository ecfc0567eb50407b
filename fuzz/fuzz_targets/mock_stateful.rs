//! lc-mock under arbitrary sequences of customer requests, statefully: each step is an action
//! of the chosen version with a payload built from a fixture of that action (or nothing) and
//! mutations from a small vocabulary (IDs the mock handed out, strings, numbers, nested objects,
//! unknown fields, unions' `type` tags), run through the engine.
//!
//! Invariants, after every step: no 5xx and no mock bug in `problems()`; a refused request left
//! the state exactly as it was; and after an accepted one, every read of the customer still
//! renders and validates in every version: `get_customer`, `list_chats`, `list_threads` and
//! `get_chat` of each chat, and the `login` response (the class of issue 14's poisoned
//! `update_customer` with `{"type": "message"}`).
#![no_main]

use std::cell::RefCell;

use arbitrary::Arbitrary;
use lc_mock::fuzzing::{Answer, Harness};
use lc_types::ApiVersion;
use serde_json::{json, Map, Value};

thread_local! {
    static MOCK: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

const KEYS: &[&str] = &[
    "type",
    "id",
    "chat_id",
    "thread_id",
    "event_id",
    "text",
    "name",
    "email",
    "avatar",
    "properties",
    "session_fields",
    "fields",
    "users",
    "access",
    "group_ids",
    "thread",
    "events",
    "chat",
    "event",
    "customer",
    "custom_id",
    "postback",
    "url",
    "title",
    "value",
    "recipients",
    "attach_to_last_thread",
    "active",
    "limit",
    "sort_order",
    "page_id",
    "min_events_count",
    "token",
    "pushes",
    "customer_page",
    "data",
    "form_id",
    "seen_up_to",
    "unique_id",
    "elements",
    "visibility",
    "created_at",
    "thread_ids",
    "x_unknown",
    "",
    "a.b",
    "c[0]",
];

const TYPES: &[&str] = &[
    "message",
    "customer",
    "agent",
    "file",
    "rich_message",
    "filled_form",
    "system_message",
    "custom",
    "form",
    "postback",
    "unknown_type",
];

#[derive(Arbitrary, Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i16),
    Float(f32),
    Word(u8),
    Type(u8),
    Known(u8),
    Text(String),
    Array(Vec<Node>),
    Object(Vec<(u8, Node)>),
}

#[derive(Arbitrary, Debug)]
enum Mutation {
    /// Sets a key (of the vocabulary) at the top level or inside the first object/array found by the path.
    Set {
        path: Vec<u8>,
        key: u8,
        value: Node,
    },
    Remove {
        path: Vec<u8>,
        key: u8,
    },
    /// Replaces every chat, thread and event ID in the payload with ones the mock handed out.
    UseKnownIds(u8),
}

#[derive(Arbitrary, Debug)]
struct Step {
    action: u8,
    fixture: u8,
    mutations: Vec<Mutation>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    version: u8,
    steps: Vec<Step>,
}

struct World<'a> {
    mock: &'a Harness,
    known: Vec<String>,
}

impl World<'_> {
    fn node(&self, n: &Node, depth: u8) -> Value {
        match n {
            Node::Null => Value::Null,
            Node::Bool(b) => json!(b),
            Node::Int(i) => json!(i),
            Node::Float(f) => serde_json::Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number),
            Node::Word(w) => json!(KEYS[usize::from(*w) % KEYS.len()]),
            Node::Type(t) => json!(TYPES[usize::from(*t) % TYPES.len()]),
            Node::Known(k) => self
                .known
                .get(usize::from(*k) % self.known.len().max(1))
                .map_or(Value::Null, |s| json!(s)),
            Node::Text(s) => json!(s),
            Node::Array(items) if depth < 4 => Value::Array(items.iter().take(8).map(|i| self.node(i, depth + 1)).collect()),
            Node::Object(fields) if depth < 4 => Value::Object(
                fields
                    .iter()
                    .take(8)
                    .map(|(k, v)| (KEYS[usize::from(*k) % KEYS.len()].to_owned(), self.node(v, depth + 1)))
                    .collect(),
            ),
            _ => Value::Null,
        }
    }

    fn learn(&mut self, v: &Value) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if let (true, Some(s)) = (k.ends_with("id"), v.as_str()) {
                        if !self.known.iter().any(|x| x == s) && self.known.len() < 64 {
                            self.known.push(s.to_owned());
                        }
                    }
                    self.learn(v);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| self.learn(v)),
            _ => {}
        }
    }
}

fn target<'v>(v: &'v mut Value, path: &[u8]) -> &'v mut Value {
    // The steps are chosen on a shared borrow, then walked mutably.
    enum Step {
        Key(String),
        Index(usize),
    }
    let mut steps = Vec::new();
    let mut here: &Value = v;
    for &p in path.iter().take(4) {
        let (step, next) = match here {
            Value::Object(m) if !m.is_empty() => {
                let (k, n) = m.iter().nth(usize::from(p) % m.len()).expect("in range");
                (Step::Key(k.clone()), n)
            }
            Value::Array(a) if !a.is_empty() => {
                let i = usize::from(p) % a.len();
                (Step::Index(i), &a[i])
            }
            _ => break,
        };
        if !(next.is_object() || next.is_array()) {
            break;
        }
        steps.push(step);
        here = next;
    }
    let mut here = v;
    for step in steps {
        here = match step {
            Step::Key(k) => here.get_mut(&k).expect("walked"),
            Step::Index(i) => here.get_mut(i).expect("walked"),
        };
    }
    here
}

fn replace_ids(v: &mut Value, known: &[String], salt: usize) {
    match v {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if k.ends_with("_id") && v.is_string() && !known.is_empty() && k != "custom_id" {
                    *v = json!(known[(salt + k.len()) % known.len()]);
                } else {
                    replace_ids(v, known, salt);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| replace_ids(v, known, salt)),
        _ => {}
    }
}

fn check(mock: &Harness, what: &str, answer: &Answer) {
    let problems = mock.problems();
    assert!(problems.is_empty(), "mock bug after {what}: {problems:?}");
    assert!(answer.status < 500, "{what}: {} {}", answer.status, answer.body);
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    // The customer's side: the harness plays a customer.
    let apis: Vec<_> = lc_types::apis().iter().filter(|a| a.api == lc_types::ChatApi::Customer).collect();
    let api = apis[usize::from(input.version) % apis.len()];
    let version = api.version;
    let fixtures = lc_fuzz::request_fixtures(version);
    MOCK.with(|m| {
        let mut m = m.borrow_mut();
        let mock = m.get_or_insert_with(Harness::new);
        mock.reset();
        let customer = mock.issue_customer();
        let mut world = World { mock, known: Vec::new() };
        for (n, step) in input.steps.iter().take(24).enumerate() {
            // JSON actions only: `upload_file` is multipart, handled by the Web transport
            // before the engine (its own fuzzing is `mock_web`'s).
            let json: Vec<_> = api.actions.iter().filter(|a| a.request.is_some()).collect();
            let action = json[usize::from(step.action) % json.len()].name;
            let templates = fixtures.get(action).map(Vec::as_slice).unwrap_or_default();
            let mut payload = match usize::from(step.fixture) % (templates.len() + 1) {
                0 => Value::Object(Map::new()),
                i => templates[i - 1].clone(),
            };
            for m in step.mutations.iter().take(8) {
                match m {
                    Mutation::Set { path, key, value } => {
                        let value = world.node(value, 0);
                        let key = KEYS[usize::from(*key) % KEYS.len()].to_owned();
                        match target(&mut payload, path) {
                            Value::Object(o) => {
                                o.insert(key, value);
                            }
                            Value::Array(a) => a.push(value),
                            _ => {}
                        }
                    }
                    Mutation::Remove { path, key } => {
                        if let Value::Object(o) = target(&mut payload, path) {
                            if !o.is_empty() {
                                let key = o.keys().nth(usize::from(*key) % o.len()).expect("in range").clone();
                                o.remove(&key);
                            }
                        }
                    }
                    Mutation::UseKnownIds(salt) => replace_ids(&mut payload, &world.known, usize::from(*salt)),
                }
            }
            if action == "login" {
                payload["token"] = json!(format!("Bearer {}", customer.token));
            }
            let before = mock.fingerprint();
            let answer = mock.execute(version, action, &customer.id, &payload);
            let what = format!("step {n}: `{action}` v{version} {payload}");
            check(mock, &what, &answer);
            if answer.status != 200 {
                assert_eq!(
                    before,
                    mock.fingerprint(),
                    "{what}: refused ({}) but changed the state",
                    answer.body
                );
                continue;
            }
            world.learn(&answer.body);
            reads(&mut world, &customer, &what);
        }
    });
});

/// Every read of the customer, in every version, must succeed.
fn reads(world: &mut World, customer: &lc_mock::CustomerCredentials, after: &str) {
    let mock = world.mock;
    for api in lc_types::apis().iter().filter(|a| a.api == lc_types::ChatApi::Customer) {
        let v: ApiVersion = api.version;
        let read = |action: &str, payload: Value| {
            let answer = mock.execute(v, action, &customer.id, &payload);
            let what = format!("`{action}` v{v} {payload} after {after}");
            check(mock, &what, &answer);
            assert_eq!(answer.status, 200, "{what}: {}", answer.body);
            answer.body
        };
        read("get_customer", json!({}));
        read("login", json!({ "token": format!("Bearer {}", customer.token) }));
        let chats = read("list_chats", json!({}));
        let ids: Vec<String> = chats["chats_summary"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect();
        for chat in ids {
            let threads = read("list_threads", json!({ "chat_id": chat }));
            read("get_chat", json!({ "chat_id": chat }));
            for t in threads["threads"].as_array().into_iter().flatten().take(3) {
                if let Some(t) = t["id"].as_str() {
                    read("get_chat", json!({ "chat_id": chat, "thread_id": t }));
                }
            }
            world.learn(&threads);
        }
    }
}

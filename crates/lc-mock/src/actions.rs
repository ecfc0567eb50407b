//! The documented semantics of each action, on the organization's [`State`].

use serde_json::{json, Map, Value};

use crate::state::{now, Chat, Refusal, State, Thread};

/// Runs `action` for the customer `customer` in API `version` (`3.6`); the payload is already
/// schema-valid. `None` when the mock does not implement the action yet.
pub(crate) fn run(
    state: &mut State,
    version: &str,
    action: &str,
    customer: Option<&str>,
    payload: &Value,
) -> Option<Result<Value, Refusal>> {
    let customer = customer.unwrap_or_default().to_owned();
    Some(match action {
        "get_customer" => get_customer(state, &customer),
        "update_customer" => update_customer(state, &customer, payload),
        "set_customer_session_fields" => {
            customer_mut(state, &customer).insert("session_fields".into(), payload["session_fields"].clone());
            Ok(json!({}))
        }
        "start_chat" => start_chat(state, &customer, payload),
        "send_event" => send_event(state, &customer, payload),
        "get_chat" => get_chat(state, &customer, payload),
        "list_chats" => Ok(list_chats(state, &customer, version)),
        "deactivate_chat" => deactivate_chat(state, &customer, payload),
        "list_license_properties" | "list_group_properties" => Ok(json!({})),
        _ => return None,
    })
}

fn customer_mut<'a>(state: &'a mut State, id: &str) -> &'a mut Map<String, Value> {
    state.customers.entry(id.to_owned()).or_default()
}

fn get_customer(state: &State, id: &str) -> Result<Value, Refusal> {
    state
        .customers
        .get(id)
        .map(|c| Value::Object(c.clone()))
        .ok_or_else(|| Refusal::new("not_found", 404, "Customer not found"))
}

/// At least one field must be given (reference §2.2).
fn update_customer(state: &mut State, id: &str, payload: &Value) -> Result<Value, Refusal> {
    let fields = payload.as_object().map(|o| o.len()).unwrap_or(0);
    if fields == 0 {
        return Err(Refusal::new("validation", 400, "At least one field is required"));
    }
    let customer = customer_mut(state, id);
    for (k, v) in payload.as_object().into_iter().flatten() {
        customer.insert(k.clone(), v.clone());
    }
    Ok(json!({}))
}

fn owned_chat<'a>(state: &'a mut State, customer: &str, chat_id: &str) -> Result<&'a mut Chat, Refusal> {
    state
        .chats
        .get_mut(chat_id)
        .filter(|c| c.customer_id == customer)
        .ok_or_else(|| Refusal::new("not_found", 404, "Chat not found"))
}

/// Adds the server-side fields to an event sent by `author`.
fn received_event(mut event: Value, thread: &Thread, author: &str) -> Value {
    let n = thread.events.len() + 1;
    if let Some(o) = event.as_object_mut() {
        o.insert("id".into(), json!(format!("{}_{n}", thread.id)));
        o.insert("created_at".into(), json!(now()));
        o.insert("author_id".into(), json!(author));
    }
    event
}

/// One active chat per customer; the events of `chat.thread.events` start the thread.
fn start_chat(state: &mut State, customer: &str, payload: &Value) -> Result<Value, Refusal> {
    if state.chats.values().any(|c| c.customer_id == customer && c.active()) {
        return Err(Refusal::new(
            "validation",
            400,
            "Chat limit reached: the customer already has an active chat",
        ));
    }
    let chat_id = state.next_id();
    let thread_id = state.next_id();
    let chat = &payload["chat"];
    let mut thread = Thread {
        id: thread_id.clone(),
        created_at: now(),
        active: payload["active"].as_bool().unwrap_or(true),
        events: Vec::new(),
        properties: chat["thread"]["properties"].as_object().cloned().unwrap_or_default(),
    };
    let mut event_ids = Vec::new();
    for e in chat["thread"]["events"].as_array().into_iter().flatten() {
        let event = received_event(e.clone(), &thread, customer);
        event_ids.push(event["id"].clone());
        thread.events.push(event);
    }
    state.chats.insert(
        chat_id.clone(),
        Chat {
            id: chat_id.clone(),
            customer_id: customer.to_owned(),
            threads: vec![thread],
            properties: chat["properties"].as_object().cloned().unwrap_or_default(),
            access: chat.get("access").cloned().unwrap_or_else(|| json!({"group_ids": [0]})),
        },
    );
    let mut out = json!({"chat_id": chat_id, "thread_id": thread_id});
    if !event_ids.is_empty() {
        out["event_ids"] = Value::Array(event_ids);
    }
    Ok(out)
}

/// An inactive chat takes events only with `attach_to_last_thread` (reference §2.2).
fn send_event(state: &mut State, customer: &str, payload: &Value) -> Result<Value, Refusal> {
    let attach = payload["attach_to_last_thread"].as_bool().unwrap_or(false);
    let chat = owned_chat(state, customer, payload["chat_id"].as_str().unwrap_or_default())?;
    if !chat.active() && !attach {
        return Err(Refusal::new("chat_inactive", 400, "Chat is inactive"));
    }
    let thread = chat.threads.last_mut().expect("a chat has a thread");
    let event = received_event(payload["event"].clone(), thread, customer);
    let id = event["id"].clone();
    thread.events.push(event);
    Ok(json!({"event_id": id}))
}

fn thread_json(t: &Thread, customer: &str) -> Value {
    json!({
        "id": t.id, "created_at": t.created_at, "active": t.active, "user_ids": [customer],
        "events": t.events, "properties": t.properties,
    })
}

fn users(state: &State, customer: &str) -> Value {
    let mut c = state.customers.get(customer).cloned().unwrap_or_default();
    c.insert("present".into(), json!(true));
    json!([c])
}

fn get_chat(state: &mut State, customer: &str, payload: &Value) -> Result<Value, Refusal> {
    let chat = owned_chat(state, customer, payload["chat_id"].as_str().unwrap_or_default())?.clone();
    let thread = match payload["thread_id"].as_str() {
        Some(id) => chat
            .threads
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| Refusal::new("not_found", 404, "Thread not found"))?,
        None => chat.threads.last().expect("a chat has a thread"),
    };
    Ok(json!({
        "id": chat.id, "thread": thread_json(thread, customer), "users": users(state, customer),
        "access": chat.access, "properties": chat.properties,
    }))
}

/// Newest first; 3.7 answers `chats_info` with `last_thread_info`, older versions `chats_summary`.
fn list_chats(state: &State, customer: &str, version: &str) -> Value {
    let summary = version == "3.5" || version == "3.6";
    fn last(c: &Chat) -> &Thread {
        c.threads.last().expect("a chat has a thread")
    }
    let mut chats: Vec<&Chat> = state.chats.values().filter(|c| c.customer_id == customer).collect();
    // Timestamps have one fixed width, so their text sorts by time.
    chats.sort_by(|a, b| last(b).created_at.cmp(&last(a).created_at));
    let mut out = Vec::new();
    for chat in chats {
        let last = last(chat);
        let mut item = json!({
            "id": chat.id, "users": users(state, customer), "access": chat.access,
            "properties": chat.properties, "active": chat.active(),
        });
        if summary {
            item["last_thread_id"] = json!(last.id);
            item["last_thread_created_at"] = json!(last.created_at);
        } else {
            item["last_thread_info"] = json!({"id": last.id, "created_at": last.created_at});
        }
        out.push(item);
    }
    let key = if summary { "chats_summary" } else { "chats_info" };
    json!({ key: out, "total_chats": out.len() })
}

/// Closes the active thread with a system message.
fn deactivate_chat(state: &mut State, customer: &str, payload: &Value) -> Result<Value, Refusal> {
    let chat = owned_chat(state, customer, payload["id"].as_str().unwrap_or_default())?;
    if !chat.active() {
        return Err(Refusal::new("chat_inactive", 400, "Chat is inactive"));
    }
    let thread = chat.threads.last_mut().expect("a chat has a thread");
    let mut event = received_event(
        json!({"type": "system_message", "system_message_type": "manual_archived_customer", "text": "Chat archived by the customer"}),
        thread,
        customer,
    );
    event.as_object_mut().expect("an object").remove("author_id");
    thread.events.push(event);
    thread.active = false;
    Ok(json!({}))
}

//! The documented semantics of every customer action (reference §2.2), on a copy of the state.
//!
//! Payloads arrive already valid against the version's request schema. Where the docs do not
//! name the error type of a rule, the mock uses: `limit_reached` for a second active chat,
//! `validation` for resuming an active chat, and `not_allowed` for deleting another user's event.

use serde_json::{json, Map, Value};

use lc_types::limits;

use crate::engine::Ctx;
use crate::state::{now, Chat, GreetingStatus, Refusal, Thread};

/// Runs `action` for `ctx.customer`.
pub(crate) fn run(ctx: &mut Ctx, action: &str, p: &Value) -> Result<Value, Refusal> {
    match action {
        "login" => login(ctx, p),
        "ping" => Ok(json!({})),
        "get_customer" => get_customer(ctx),
        "update_customer" => update_customer(ctx, p),
        "set_customer_session_fields" => set_session_fields(ctx, p),
        "update_customer_page" => update_customer_page(ctx, p),
        "start_chat" => start_chat(ctx, p),
        "resume_chat" => resume_chat(ctx, p),
        "deactivate_chat" => deactivate_chat(ctx, p),
        "send_event" => send_event(ctx, p),
        "delete_event" => delete_event(ctx, p),
        "get_chat" => get_chat(ctx, p),
        "list_chats" => list_chats(ctx, p),
        "list_threads" => list_threads(ctx, p),
        "mark_events_as_seen" => mark_events_as_seen(ctx, p),
        "send_rich_message_postback" => send_rich_message_postback(ctx, p),
        "send_sneak_peek" => send_sneak_peek(ctx, p),
        "update_chat_properties"
        | "delete_chat_properties"
        | "update_thread_properties"
        | "delete_thread_properties"
        | "update_event_properties"
        | "delete_event_properties" => customer_properties(ctx, action, p),
        "list_license_properties" => Ok(filter_properties(&ctx.state.license_properties, p)),
        "list_group_properties" => list_group_properties(ctx, p),
        "list_group_statuses" => list_group_statuses(ctx, p),
        "check_goals" => Ok(json!({})),
        "get_form" => get_form(ctx, p),
        "get_predicted_agent" => get_predicted_agent(ctx),
        "get_url_info" => get_url_info(p),
        "accept_greeting" => answer_greeting(ctx, p, true),
        "cancel_greeting" => answer_greeting(ctx, p, false),
        "send_greeting_button_clicked" => greeting_button_clicked(ctx, p),
        "request_email_verification" => request_email_verification(ctx, p),
        "request_welcome_message" => request_welcome_message(ctx, p),
        "get_dynamic_configuration" => get_dynamic_configuration(ctx, p),
        "get_configuration" => get_configuration(ctx, p),
        "get_localization" => {
            Ok(json!({"Agents_currently_not_available": "Our agents are not available right now.", "Chat_now": "Chat now"}))
        }
        other => Err(Refusal::mock_bug(format!("no handler for action `{other}`"))),
    }
}

fn str_of<'a>(p: &'a Value, key: &str) -> &'a str {
    p[key].as_str().unwrap_or_default()
}

fn customer_fields<'a>(ctx: &'a mut Ctx) -> Result<&'a mut Map<String, Value>, Refusal> {
    let id = ctx.customer.clone();
    ctx.state
        .customers
        .get_mut(&id)
        .map(|c| &mut c.fields)
        .ok_or_else(|| Refusal::not_found("Customer"))
}

/// `get_customer`: the customer with its statistics.
fn customer_json(ctx: &Ctx) -> Result<Value, Refusal> {
    let customer = ctx
        .state
        .customers
        .get(&ctx.customer)
        .ok_or_else(|| Refusal::not_found("Customer"))?;
    let chats = ctx.state.chats_of(&ctx.customer);
    let mut out = customer.fields.clone();
    out.insert(
        "statistics".into(),
        json!({
            "chats_count": chats.len(),
            "threads_count": chats.iter().map(|c| c.threads.len()).sum::<usize>(),
            "visits_count": customer.visits,
            "page_views_count": customer.page_views,
            "greetings_shown_count": customer.greetings_shown,
            "greetings_accepted_count": customer.greetings_accepted,
        }),
    );
    Ok(Value::Object(out))
}

fn get_customer(ctx: &mut Ctx) -> Result<Value, Refusal> {
    customer_json(ctx)
}

/// The session fields after merging `new` into `old`, keeping the order; at most 100 keys.
fn merge_session_fields(old: Option<&Value>, new: &Value) -> Result<Value, Refusal> {
    let mut fields: Vec<(String, Value)> = Vec::new();
    for item in old
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(new.as_array().into_iter().flatten())
    {
        for (k, v) in item.as_object().into_iter().flatten() {
            match fields.iter_mut().find(|(key, _)| key == k) {
                Some(slot) => slot.1 = v.clone(),
                None => fields.push((k.clone(), v.clone())),
            }
        }
    }
    if fields.len() > limits::MAX_SESSION_FIELDS {
        return Err(Refusal::new("limit_reached", 400, "Session fields limit reached (100 keys)"));
    }
    Ok(Value::Array(fields.into_iter().map(|(k, v)| json!({ k: v })).collect()))
}

/// At least one field must be given (reference §2.2); pushes `customer_updated` with the
/// changed fields.
fn update_customer(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let given = p.as_object().cloned().unwrap_or_default();
    if given.is_empty() {
        return Err(Refusal::validation("At least one field is required"));
    }
    let fields = customer_fields(ctx)?;
    let mut changed = Map::new();
    for (k, v) in given {
        let v = if k == "session_fields" {
            merge_session_fields(fields.get(&k), &v)?
        } else {
            v
        };
        fields.insert(k.clone(), v.clone());
        changed.insert(k, v);
    }
    changed.insert("id".into(), json!(ctx.customer));
    let customer = ctx.customer.clone();
    ctx.push(&customer, "customer_updated", Value::Object(changed));
    Ok(json!({}))
}

/// No push: the changelog says `set_customer_session_fields` does not send `customer_updated`
/// (see the push table's conflict note in `schema/`).
fn set_session_fields(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let fields = customer_fields(ctx)?;
    let merged = merge_session_fields(fields.get("session_fields"), &p["session_fields"])?;
    fields.insert("session_fields".into(), merged);
    Ok(json!({}))
}

fn update_customer_page(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let id = ctx.customer.clone();
    let customer = ctx.state.customers.get_mut(&id).ok_or_else(|| Refusal::not_found("Customer"))?;
    customer.page = Some(json!({"url": p["url"], "title": p.get("title"), "opened_at": now()}));
    customer.page_views += 1;
    // The group assignment never changes in the mock, so 3.6+ answers without `groups`.
    Ok(json!({}))
}

/// The login response: customer, chats with unread marks, pending greeting. The transport
/// registers the connection and applies `pushes`.
fn login(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let id = ctx.customer.clone();
    {
        let customer = ctx.state.customers.get_mut(&id).ok_or_else(|| Refusal::not_found("Customer"))?;
        customer.visits += 1;
        if let Some(storage) = p["customer_side_storage"].as_object() {
            customer.side_storage = storage.clone();
        }
        if let Some(page) = p.get("customer_page") {
            customer.page = Some(page.clone());
            customer.page_views += 1;
        }
        if let Some(group) = p["group_id"].as_i64() {
            customer.group_id = group;
        }
    }
    if let Some(given) = p["customer"].as_object() {
        let fields = customer_fields(ctx)?;
        for (k, v) in given {
            let v = if k == "session_fields" {
                merge_session_fields(fields.get(k), v)?
            } else {
                v.clone()
            };
            fields.insert(k.clone(), v);
        }
    }
    let chats = ctx.state.chats_of(&id);
    let has_active_thread = chats.iter().any(|c| c.active());
    let chat_list: Vec<Value> = chats
        .iter()
        .map(|c| json!({"chat_id": c.id, "has_unread_events": has_unread(c, &id)}))
        .collect();
    let mut out = json!({"customer": customer_json(ctx)?, "has_active_thread": has_active_thread, "chats": chat_list});
    if let Some(g) = ctx
        .state
        .greetings
        .values()
        .find(|g| g.customer_id == id && g.status == GreetingStatus::Pending)
    {
        out["greeting"] = g.greeting.clone();
    }
    Ok(out)
}

/// Whether `chat` has events by someone else newer than what `user` has seen.
fn has_unread(chat: &Chat, user: &str) -> bool {
    let seen = chat.seen.get(user).map(String::as_str).unwrap_or("");
    chat.threads
        .iter()
        .flat_map(|t| t.events.iter())
        .any(|e| e["author_id"] != user && e["created_at"].as_str().unwrap_or("") > seen)
}

fn owned_chat<'a>(ctx: &'a mut Ctx, chat_id: &str) -> Result<&'a mut Chat, Refusal> {
    let customer = ctx.customer.clone();
    ctx.state
        .chats
        .get_mut(chat_id)
        .filter(|c| c.customer_id == customer)
        .ok_or_else(|| Refusal::not_found("Chat"))
}

fn chat_ref<'a>(ctx: &'a Ctx, chat_id: &str) -> Result<&'a Chat, Refusal> {
    ctx.state
        .chats
        .get(chat_id)
        .filter(|c| c.customer_id == ctx.customer)
        .ok_or_else(|| Refusal::not_found("Chat"))
}

/// Adds the server-side fields to an event `author` sent: `id` (`<thread>_<n>`), `created_at`,
/// `author_id`, `visibility`, and what an uploaded file's URL tells about the file.
pub(crate) fn stamp_event(ctx: &Ctx, mut event: Value, thread: &mut Thread, author: &str) -> Value {
    thread.event_count += 1;
    let o = event.as_object_mut().expect("events are objects");
    o.insert("id".into(), json!(format!("{}_{}", thread.id, thread.event_count)));
    o.insert("created_at".into(), json!(now()));
    o.insert("author_id".into(), json!(author));
    let visibility = o.get("recipients").cloned().unwrap_or_else(|| json!("all"));
    o.entry("visibility").or_insert(visibility);
    if o.get("type") == Some(&json!("rich_message")) {
        o.entry("elements").or_insert(json!([]));
    }
    if o.get("type") == Some(&json!("file")) {
        let url = o.get("url").and_then(Value::as_str).unwrap_or_default().to_owned();
        let file = url.rsplit('/').nth(1).and_then(|id| ctx.state.files.get(id));
        let (name, content_type, size) = match file {
            Some(f) => (f.name.clone(), f.content_type.clone(), f.bytes.len()),
            None => (
                url.rsplit('/').next().unwrap_or("file").to_owned(),
                "application/octet-stream".to_owned(),
                0,
            ),
        };
        o.entry("name").or_insert(json!(name));
        o.entry("content_type").or_insert(json!(content_type));
        o.entry("size").or_insert(json!(size));
    }
    event
}

/// A new thread (active unless `active: false`) with the events of `chat.thread.events`.
fn new_thread(ctx: &mut Ctx, p: &Value) -> (Thread, Vec<Value>) {
    let id = ctx.state.next_id();
    let mut thread = Thread {
        id,
        created_at: now(),
        active: p["active"].as_bool().unwrap_or(true),
        events: imbl::Vector::new(),
        event_count: 0,
        properties: p["chat"]["thread"]["properties"].as_object().cloned().unwrap_or_default(),
        queue: None,
    };
    let customer = ctx.customer.clone();
    let mut ids = Vec::new();
    for e in p["chat"]["thread"]["events"].as_array().into_iter().flatten() {
        let event = stamp_event(ctx, e.clone(), &mut thread, &customer);
        ids.push(event["id"].clone());
        thread.events.push_back(event);
    }
    (thread, ids)
}

/// The chat with one thread, as `incoming_chat` and `get_chat` show it.
fn chat_json(ctx: &Ctx, chat: &Chat, thread: Option<&Thread>) -> Value {
    let mut out = json!({
        "id": chat.id, "users": ctx.state.users(chat), "access": chat.access, "properties": chat.properties,
    });
    if let Some(t) = thread {
        out["thread"] = thread_json(ctx, chat, t);
    }
    out
}

pub(crate) fn thread_json(_ctx: &Ctx, chat: &Chat, t: &Thread) -> Value {
    let mut user_ids = vec![json!(chat.customer_id)];
    user_ids.extend(chat.agents.keys().map(|a| json!(a)));
    let mut out = json!({
        "id": t.id, "created_at": t.created_at, "active": t.active, "user_ids": user_ids,
        "events": t.events.iter().cloned().collect::<Vec<_>>(), "properties": t.properties, "access": chat.access,
    });
    let index = chat.thread(&t.id).unwrap_or(0);
    if index > 0 {
        out["previous_thread_id"] = json!(chat.threads[index - 1].id);
    }
    if let Some(next) = chat.threads.get(index + 1) {
        out["next_thread_id"] = json!(next.id);
    }
    if let Some(q) = &t.queue {
        out["queue"] = q.clone();
    }
    out
}

/// Starting or resuming needs no other active chat of the customer (`limit_reached`), and an
/// online group unless the chat is continuous (`groups_offline`).
fn check_can_open(ctx: &Ctx, p: &Value) -> Result<(), Refusal> {
    if ctx.state.chats_of(&ctx.customer).iter().any(|c| c.active()) {
        let message = "Chat limit reached: the customer already has an active chat";
        return Err(Refusal::new("limit_reached", 400, message));
    }
    let continuous = p["continuous"].as_bool().unwrap_or(false);
    let online = ctx.state.groups.values().any(|s| s != "offline");
    if online || continuous {
        Ok(())
    } else {
        Err(Refusal::new("groups_offline", 400, "Groups offline"))
    }
}

/// `event_ids` is present only when the thread started with events.
fn with_event_ids(mut out: Value, event_ids: Vec<Value>) -> Value {
    if !event_ids.is_empty() {
        out["event_ids"] = Value::Array(event_ids);
    }
    out
}

/// Marks everything in `chat` as seen by `user`.
fn see_all(chat: &mut Chat, user: &str) {
    chat.seen.insert(user.to_owned(), now());
}

/// One active chat per customer; `incoming_chat` to the customer; the requester has seen it all.
fn start_chat(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let customer = ctx.customer.clone();
    check_can_open(ctx, p)?;
    let chat_id = ctx.state.next_id();
    let (thread, event_ids) = new_thread(ctx, p);
    let thread_id = thread.id.clone();
    let mut chat = Chat {
        id: chat_id.clone(),
        customer_id: customer.clone(),
        threads: imbl::vector![thread],
        properties: p["chat"]["properties"].as_object().cloned().unwrap_or_default(),
        access: p["chat"].get("access").cloned().unwrap_or_else(|| json!({"group_ids": [0]})),
        agents: Default::default(),
        seen: Default::default(),
        sneak_peek: None,
    };
    see_all(&mut chat, &customer);
    let push = json!({"requester_id": customer, "chat": chat_json(ctx, &chat, Some(chat.last_thread()))});
    ctx.state.chats.insert(chat_id.clone(), chat);
    ctx.push(&customer, "incoming_chat", push);
    Ok(with_event_ids(json!({"chat_id": chat_id, "thread_id": thread_id}), event_ids))
}

/// A new thread in an inactive chat; resuming an active chat fails.
fn resume_chat(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let customer = ctx.customer.clone();
    let chat_id = str_of(&p["chat"], "id").to_owned();
    if chat_ref(ctx, &chat_id)?.active() {
        return Err(Refusal::validation("Chat is already active"));
    }
    check_can_open(ctx, p)?;
    let (thread, event_ids) = new_thread(ctx, p);
    let thread_id = thread.id.clone();
    let chat = owned_chat(ctx, &chat_id)?;
    if let Some(access) = p["chat"].get("access") {
        chat.access = access.clone();
    }
    if let Some(props) = p["chat"]["properties"].as_object() {
        merge_properties(&mut chat.properties, props);
    }
    chat.threads.push_back(thread);
    see_all(chat, &customer);
    let chat = chat.clone();
    let push = json!({"requester_id": customer, "chat": chat_json(ctx, &chat, Some(chat.last_thread()))});
    ctx.push(&customer, "incoming_chat", push);
    Ok(with_event_ids(json!({ "thread_id": thread_id }), event_ids))
}

/// Closes the active thread with a system message: `incoming_event` and `chat_deactivated`.
pub(crate) fn close_chat(ctx: &mut Ctx, chat_id: &str, by: Option<&str>) -> Result<(), Refusal> {
    let chat = ctx.state.chat(chat_id)?.clone();
    if !chat.active() {
        return Err(Refusal::new("chat_inactive", 400, "Chat is inactive"));
    }
    let mut chat = chat;
    let customer = chat.customer_id.clone();
    let mut thread = chat.last_thread().clone();
    let kind = if by == Some(customer.as_str()) {
        "manual_archived_customer"
    } else {
        "manual_archived_agent"
    };
    let mut event = stamp_event(
        ctx,
        json!({"type": "system_message", "system_message_type": kind, "text": "Chat closed"}),
        &mut thread,
        "",
    );
    event.as_object_mut().expect("an object").remove("author_id");
    thread.events.push_back(event.clone());
    thread.active = false;
    thread.queue = None;
    let thread_id = thread.id.clone();
    *chat.last_thread_mut() = thread;
    ctx.state.chats.insert(chat_id.to_owned(), chat);
    ctx.push(
        &customer,
        "incoming_event",
        json!({"chat_id": chat_id, "thread_id": thread_id, "event": event}),
    );
    let mut push = json!({"chat_id": chat_id, "thread_id": thread_id});
    if let Some(by) = by {
        push["user_id"] = json!(by);
    }
    ctx.push(&customer, "chat_deactivated", push);
    Ok(())
}

fn deactivate_chat(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let chat_id = str_of(p, "id").to_owned();
    chat_ref(ctx, &chat_id)?;
    let customer = ctx.customer.clone();
    close_chat(ctx, &chat_id, Some(&customer))?;
    Ok(json!({}))
}

/// Adds `event` by `author` to the chat's last thread and pushes `incoming_event`.
pub(crate) fn add_event(ctx: &mut Ctx, chat_id: &str, event: Value, author: &str) -> Result<Value, Refusal> {
    let mut chat = ctx.state.chat(chat_id)?.clone();
    let mut thread = chat.last_thread().clone();
    let event = stamp_event(ctx, event, &mut thread, author);
    thread.events.push_back(event.clone());
    let thread_id = thread.id.clone();
    *chat.last_thread_mut() = thread;
    see_all(&mut chat, author);
    let customer = chat.customer_id.clone();
    ctx.state.chats.insert(chat_id.to_owned(), chat);
    ctx.push(
        &customer,
        "incoming_event",
        json!({"chat_id": chat_id, "thread_id": thread_id, "event": event}),
    );
    Ok(event)
}

/// An inactive chat takes events only with `attach_to_last_thread` (reference §2.2).
fn send_event(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let chat_id = str_of(p, "chat_id").to_owned();
    let attach = p["attach_to_last_thread"].as_bool().unwrap_or(false);
    if !chat_ref(ctx, &chat_id)?.active() && !attach {
        return Err(Refusal::new("chat_inactive", 400, "Chat is inactive"));
    }
    let customer = ctx.customer.clone();
    let event = add_event(ctx, &chat_id, p["event"].clone(), &customer)?;
    Ok(json!({"event_id": event["id"]}))
}

/// Where an event is: (chat, thread index, event index).
fn find_event(ctx: &Ctx, p: &Value, chat_key: &str) -> Result<(Chat, usize, usize), Refusal> {
    let chat = chat_ref(ctx, str_of(p, chat_key))?.clone();
    let t = chat.thread(str_of(p, "thread_id")).ok_or_else(|| Refusal::not_found("Thread"))?;
    let e = chat.threads[t]
        .event(str_of(p, "event_id"))
        .ok_or_else(|| Refusal::not_found("Event"))?;
    Ok((chat, t, e))
}

/// Only the customer's own events; `event_deleted`.
fn delete_event(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let (mut chat, t, e) = find_event(ctx, p, "chat_id")?;
    if chat.threads[t].events[e]["author_id"] != ctx.customer.as_str() {
        return Err(Refusal::new("not_allowed", 403, "A customer can delete only its own events"));
    }
    chat.threads[t].events.remove(e);
    let customer = chat.customer_id.clone();
    ctx.state.chats.insert(chat.id.clone(), chat);
    ctx.push(
        &customer,
        "event_deleted",
        json!({"chat_id": p["chat_id"], "thread_id": p["thread_id"], "event_id": p["event_id"]}),
    );
    Ok(json!({}))
}

fn get_chat(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let chat = chat_ref(ctx, str_of(p, "chat_id"))?;
    let thread = match p["thread_id"].as_str() {
        Some(id) => Some(&chat.threads[chat.thread(id).ok_or_else(|| Refusal::not_found("Thread"))?]),
        None => chat.threads.last(),
    };
    Ok(chat_json(ctx, chat, thread))
}

/// A page cursor: `<offset>.<limit>.<asc|desc>` in hex-free plain text, opaque to clients.
fn page_id(offset: usize, limit: usize, asc: bool) -> String {
    format!("MP{offset}_{limit}_{}", if asc { "a" } else { "d" })
}

/// (offset, limit, asc) from `page_id`, or from `limit` and `sort_order`. A `page_id` cannot be
/// combined with `limit` or `sort_order`.
fn paging(p: &Value, default_limit: usize, max: usize) -> Result<(usize, usize, bool), Refusal> {
    if let Some(page) = p["page_id"].as_str() {
        if p.get("limit").is_some() || p.get("sort_order").is_some() {
            return Err(Refusal::validation("`page_id` cannot be combined with `limit` or `sort_order`"));
        }
        let bad = || Refusal::validation("Invalid `page_id`");
        let rest = page.strip_prefix("MP").ok_or_else(bad)?;
        let mut parts = rest.split('_');
        let offset = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let limit = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let asc = match parts.next() {
            Some("a") => true,
            Some("d") => false,
            _ => return Err(bad()),
        };
        return Ok((offset, limit, asc));
    }
    let limit = p["limit"].as_u64().map_or(default_limit, |l| l as usize);
    if limit == 0 || limit > max {
        return Err(Refusal::validation(format!("`limit` must be between 1 and {max}")));
    }
    Ok((0, limit, p["sort_order"] == "asc"))
}

/// One page of `items` (already in `desc` order), with cursors.
fn page<T: Clone>(items: &[T], offset: usize, limit: usize, asc: bool) -> (Vec<T>, Option<String>, Option<String>) {
    let mut ordered = items.to_vec();
    if asc {
        ordered.reverse();
    }
    let shown: Vec<T> = ordered.iter().skip(offset).take(limit).cloned().collect();
    let next = (offset + limit < ordered.len()).then(|| page_id(offset + limit, limit, asc));
    let previous = (offset > 0).then(|| page_id(offset.saturating_sub(limit), limit, asc));
    (shown, next, previous)
}

fn with_cursors(mut out: Value, next: Option<String>, previous: Option<String>) -> Value {
    if let Some(n) = next {
        out["next_page_id"] = json!(n);
    }
    if let Some(p) = previous {
        out["previous_page_id"] = json!(p);
    }
    out
}

/// Newest first by the last thread's creation (default `desc`, at most 25); 3.7 answers
/// `chats_info` with `last_thread_info`, older versions `chats_summary`.
fn list_chats(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let (offset, limit, asc) = paging(p, 10, limits::LIST_CHATS_MAX_LIMIT)?;
    let info = ctx.at_least(3, 7);
    let mut chats = ctx.state.chats_of(&ctx.customer);
    // Timestamps have one fixed width, so their text sorts by time.
    chats.sort_by(|a, b| b.last_thread().created_at.cmp(&a.last_thread().created_at));
    let total = chats.len();
    let (shown, next, previous) = page(&chats, offset, limit, asc);
    let items: Vec<Value> = shown
        .into_iter()
        .map(|chat| {
            let last = chat.last_thread();
            let mut item = json!({
                "id": chat.id, "users": ctx.state.users(chat), "access": chat.access,
                "properties": chat.properties, "active": chat.active(),
            });
            let mut per_type = Map::new();
            for e in last.events.iter() {
                if let Some(t) = e["type"].as_str() {
                    per_type.insert(
                        t.to_owned(),
                        json!({"thread_id": last.id, "thread_created_at": last.created_at, "event": e}),
                    );
                }
            }
            if info {
                item["last_thread_info"] = json!({"id": last.id, "created_at": last.created_at, "last_event_per_type": per_type});
            } else {
                item["last_thread_id"] = json!(last.id);
                item["last_thread_created_at"] = json!(last.created_at);
                item["last_event_per_type"] = Value::Object(per_type);
            }
            item
        })
        .collect();
    let key = if info { "chats_info" } else { "chats_summary" };
    Ok(with_cursors(json!({ key: items, "total_chats": total }), next, previous))
}

/// Newest first by default, at most 100 threads, or the latest threads holding at least
/// `min_events_count` events (1-100; not with `limit`).
fn list_threads(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let chat = chat_ref(ctx, str_of(p, "chat_id"))?.clone();
    let mut threads: Vec<&Thread> = chat.threads.iter().collect();
    threads.reverse();
    let total = threads.len();
    let (shown, next, previous) = if let Some(min) = p["min_events_count"].as_u64() {
        if p.get("limit").is_some() {
            return Err(Refusal::validation("`min_events_count` cannot be combined with `limit`"));
        }
        if !(1..=limits::LIST_THREADS_MAX_LIMIT as u64).contains(&min) {
            let max = limits::LIST_THREADS_MAX_LIMIT;
            return Err(Refusal::validation(format!("`min_events_count` must be between 1 and {max}")));
        }
        let mut count = 0;
        let mut n = 0;
        for t in &threads {
            if count >= min as usize {
                break;
            }
            count += t.events.len();
            n += 1;
        }
        let asc = p["sort_order"] == "asc";
        let mut shown: Vec<&Thread> = threads[..n].to_vec();
        if asc {
            shown.reverse();
        }
        (shown, None, None)
    } else {
        let (offset, limit, asc) = paging(p, 3, limits::LIST_THREADS_MAX_LIMIT)?;
        page(&threads, offset, limit, asc)
    };
    let items: Vec<Value> = shown.into_iter().map(|t| thread_json(ctx, &chat, t)).collect();
    Ok(with_cursors(json!({"threads": items, "found_threads": total}), next, previous))
}

fn mark_events_as_seen(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let customer = ctx.customer.clone();
    let chat = owned_chat(ctx, str_of(p, "chat_id"))?;
    chat.seen.insert(customer.clone(), str_of(p, "seen_up_to").to_owned());
    let push = json!({"user_id": customer, "chat_id": p["chat_id"], "seen_up_to": p["seen_up_to"]});
    ctx.push(&customer, "events_marked_as_seen", push);
    Ok(json!({}))
}

/// The event must be a rich message; the push goes out for active threads only.
fn send_rich_message_postback(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let (chat, t, e) = find_event(ctx, p, "chat_id")?;
    if chat.threads[t].events[e]["type"] != "rich_message" {
        return Err(Refusal::validation("The event is not a rich message"));
    }
    if chat.threads[t].active {
        let customer = ctx.customer.clone();
        let push = json!({
            "user_id": customer, "chat_id": p["chat_id"], "thread_id": p["thread_id"], "event_id": p["event_id"],
            "postback": p["postback"],
        });
        ctx.push(&customer, "incoming_rich_message_postback", push);
    }
    Ok(json!({}))
}

/// Kept for the agent side to read; customers get no push.
fn send_sneak_peek(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let chat = owned_chat(ctx, str_of(p, "chat_id"))?;
    if !chat.active() {
        return Err(Refusal::new("chat_inactive", 400, "Chat is inactive"));
    }
    chat.sneak_peek = Some(str_of(p, "sneak_peek_text").to_owned());
    Ok(json!({}))
}

/// Merges `namespace -> name -> value` into `into`.
pub(crate) fn merge_properties(into: &mut Map<String, Value>, props: &Map<String, Value>) {
    for (ns, values) in props {
        let slot = into.entry(ns.clone()).or_insert_with(|| json!({}));
        if let (Some(slot), Some(values)) = (slot.as_object_mut(), values.as_object()) {
            for (k, v) in values {
                slot.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Removes `namespace -> [names]` from `from`; a namespace left empty goes too.
pub(crate) fn delete_properties(from: &mut Map<String, Value>, names: &Map<String, Value>) {
    for (ns, list) in names {
        if let Some(slot) = from.get_mut(ns).and_then(Value::as_object_mut) {
            for name in list.as_array().into_iter().flatten().filter_map(Value::as_str) {
                slot.remove(name);
            }
            if slot.is_empty() {
                from.remove(ns);
            }
        }
    }
}

/// Applies an update (`properties` = Properties) or delete (`properties` = names) to `target`.
fn apply_properties(target: &mut Map<String, Value>, update: bool, props: &Value) {
    let props = props.as_object().cloned().unwrap_or_default();
    if update {
        merge_properties(target, &props);
    } else {
        delete_properties(target, &props);
    }
}

/// The six customer property actions: the chat must be the customer's own.
fn customer_properties(ctx: &mut Ctx, action: &str, p: &Value) -> Result<Value, Refusal> {
    let id = |key| str_of(p, key).to_owned();
    let target = match action {
        "update_chat_properties" | "delete_chat_properties" => Target::Chat(id("id")),
        "update_thread_properties" | "delete_thread_properties" => Target::Thread(id("chat_id"), id("thread_id")),
        _ => Target::Event(id("chat_id"), id("thread_id"), id("event_id")),
    };
    chat_ref(ctx, target.chat_id())?;
    change_properties(ctx, &target, action.starts_with("update"), &p["properties"])?;
    Ok(json!({}))
}

/// What a property change targets: a chat, a thread, or an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A chat, by ID.
    Chat(String),
    /// A thread: chat ID, thread ID.
    Thread(String, String),
    /// An event: chat ID, thread ID, event ID.
    Event(String, String, String),
}

impl Target {
    /// The chat the target is in.
    pub fn chat_id(&self) -> &str {
        match self {
            Target::Chat(c) | Target::Thread(c, _) | Target::Event(c, _, _) => c,
        }
    }
}

/// Updates (`namespace -> name -> value`) or deletes (`namespace -> [names]`) properties of a
/// chat, thread or event, and pushes `{chat,thread,event}_properties_{updated,deleted}` with
/// the IDs and the properties as given.
pub(crate) fn change_properties(ctx: &mut Ctx, target: &Target, update: bool, props: &Value) -> Result<(), Refusal> {
    let chat_id = target.chat_id();
    let mut chat = ctx.state.chat(chat_id)?.clone();
    let mut push = json!({"chat_id": chat_id, "properties": props});
    let name = match target {
        Target::Chat(_) => {
            apply_properties(&mut chat.properties, update, props);
            if update {
                "chat_properties_updated"
            } else {
                "chat_properties_deleted"
            }
        }
        Target::Thread(_, t) | Target::Event(_, t, _) => {
            let ti = chat.thread(t).ok_or_else(|| Refusal::not_found("Thread"))?;
            push["thread_id"] = json!(t);
            match target {
                Target::Event(_, _, e) => {
                    let ei = chat.threads[ti].event(e).ok_or_else(|| Refusal::not_found("Event"))?;
                    let event = &mut chat.threads[ti].events[ei];
                    let mut current = event["properties"].as_object().cloned().unwrap_or_default();
                    apply_properties(&mut current, update, props);
                    event["properties"] = Value::Object(current);
                    push["event_id"] = json!(e);
                    if update {
                        "event_properties_updated"
                    } else {
                        "event_properties_deleted"
                    }
                }
                _ => {
                    apply_properties(&mut chat.threads[ti].properties, update, props);
                    if update {
                        "thread_properties_updated"
                    } else {
                        "thread_properties_deleted"
                    }
                }
            }
        }
    };
    let customer = chat.customer_id.clone();
    ctx.state.chats.insert(chat_id.to_owned(), chat);
    ctx.push(&customer, name, push);
    Ok(())
}

/// Properties filtered by the optional `namespace` and `name` query parameters.
fn filter_properties(all: &Map<String, Value>, p: &Value) -> Value {
    let mut out = Map::new();
    for (ns, values) in all {
        if p["namespace"].as_str().is_some_and(|want| want != ns) {
            continue;
        }
        let values: Map<String, Value> = values
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| p["name"].as_str().is_none_or(|want| want == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !values.is_empty() {
            out.insert(ns.clone(), Value::Object(values));
        }
    }
    Value::Object(out)
}

fn group_id(p: &Value, key: &str) -> Option<i64> {
    p[key].as_i64().or_else(|| p[key].as_str().and_then(|s| s.parse().ok()))
}

fn list_group_properties(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let id = group_id(p, "id").ok_or_else(|| Refusal::validation("`id` is required"))?;
    if !ctx.state.groups.contains_key(&id) {
        return Err(Refusal::new("group_not_found", 404, "Group not found"));
    }
    let props = ctx.state.group_properties.get(&id).cloned().unwrap_or_default();
    Ok(filter_properties(&props, p))
}

/// `all` or `group_ids`; unknown group IDs are left out.
fn list_group_statuses(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let all = p["all"].as_bool().unwrap_or(false);
    let ids: Option<Vec<i64>> = p["group_ids"].as_array().map(|a| a.iter().filter_map(Value::as_i64).collect());
    if !all && ids.is_none() {
        return Err(Refusal::validation("One of `all` or `group_ids` is required"));
    }
    let statuses: Map<String, Value> = ctx
        .state
        .groups
        .iter()
        .filter(|(id, _)| all || ids.as_ref().is_some_and(|ids| ids.contains(id)))
        .map(|(id, s)| (id.to_string(), json!(s)))
        .collect();
    Ok(json!({ "groups_status": statuses }))
}

fn get_form(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let group = group_id(p, "group_id").unwrap_or(0);
    if !ctx.state.groups.contains_key(&group) {
        return Err(Refusal::new("group_not_found", 404, "Group not found"));
    }
    Ok(match ctx.state.forms.get(&(group, str_of(p, "type").to_owned())) {
        Some(form) => json!({"enabled": true, "form": form}),
        None => json!({"enabled": false}),
    })
}

/// The first agent; `group_offline` when the customer's group is offline.
fn predicted_agent(ctx: &Ctx, group: i64) -> Result<Value, Refusal> {
    match ctx.state.groups.get(&group).map(String::as_str) {
        None => return Err(Refusal::new("group_not_found", 404, "Group not found")),
        Some("offline") => return Err(Refusal::new("group_offline", 400, "Group is offline")),
        Some(_) => {}
    }
    let agent = ctx
        .state
        .agents
        .values()
        .next()
        .ok_or_else(|| Refusal::new("group_unavailable", 400, "No agent available for group"))?;
    Ok(agent.profile())
}

fn get_predicted_agent(ctx: &mut Ctx) -> Result<Value, Refusal> {
    let group = ctx.state.customers.get(&ctx.customer).map_or(0, |c| c.group_id);
    Ok(json!({"agent": predicted_agent(ctx, group)?, "queue": false}))
}

/// A title made from the URL; nothing is fetched.
fn get_url_info(p: &Value) -> Result<Value, Refusal> {
    let url = str_of(p, "url");
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(Refusal::validation("`url` must be an http(s) URL"));
    }
    let host = url.split('/').nth(2).unwrap_or_default();
    Ok(json!({"url": url, "title": host, "description": format!("A page on {host}")}))
}

fn answer_greeting(ctx: &mut Ctx, p: &Value, accept: bool) -> Result<Value, Refusal> {
    let unique_id = str_of(p, "unique_id").to_owned();
    let customer = ctx.customer.clone();
    let greeting = ctx
        .state
        .greetings
        .get_mut(&unique_id)
        .filter(|g| g.customer_id == customer && g.status == GreetingStatus::Pending)
        .filter(|g| !accept || g.greeting["id"] == p["greeting_id"])
        .ok_or_else(|| Refusal::new("greeting_not_found", 404, "Greeting not found"))?;
    greeting.status = if accept {
        GreetingStatus::Accepted
    } else {
        GreetingStatus::Canceled
    };
    if accept {
        if let Some(c) = ctx.state.customers.get_mut(&customer) {
            c.greetings_accepted += 1;
        }
    }
    let name = if accept { "greeting_accepted" } else { "greeting_canceled" };
    ctx.push(&customer, name, json!({ "unique_id": unique_id }));
    Ok(json!({}))
}

fn greeting_button_clicked(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let customer = ctx.customer.clone();
    ctx.state
        .greetings
        .get(str_of(p, "greeting_unique_id"))
        .filter(|g| g.customer_id == customer)
        .ok_or_else(|| Refusal::new("greeting_not_found", 404, "Greeting not found"))?;
    Ok(json!({}))
}

/// Keeps the callback (only the 10 most recent are honoured) for the agent side to verify.
fn request_email_verification(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let id = ctx.customer.clone();
    let customer = ctx.state.customers.get_mut(&id).ok_or_else(|| Refusal::not_found("Customer"))?;
    customer.email_callbacks.push(str_of(p, "callback_uri").to_owned());
    let excess = customer.email_callbacks.len().saturating_sub(10);
    customer.email_callbacks.drain(..excess);
    Ok(json!({}))
}

/// Answers with the predicted agent and sends the message as `incoming_welcome_message`.
fn request_welcome_message(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let group = group_id(p, "group_id").unwrap_or_else(|| ctx.state.customers.get(&ctx.customer).map_or(0, |c| c.group_id));
    let agent = predicted_agent(ctx, group)?;
    let id = format!("welcome-{}", ctx.state.next_number());
    let event = json!({
        "type": "message", "text": "Hello! How can we help you today?", "created_at": now(),
        "author_id": agent["id"], "visibility": "all",
    });
    let customer = ctx.customer.clone();
    ctx.push(&customer, "incoming_welcome_message", json!({"id": id, "event": event}));
    Ok(json!({"id": id, "predicted_agent": agent, "queue": false}))
}

/// 3.6+ nests the LiveChat part under `livechat`; 3.5 has it flat.
fn get_dynamic_configuration(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let group = group_id(p, "group_id").unwrap_or(0);
    if !ctx.state.groups.contains_key(&group) {
        return Err(Refusal::new("group_not_found", 404, "Group not found"));
    }
    let online: Vec<i64> = ctx
        .state
        .groups
        .iter()
        .filter(|(_, s)| *s != "offline")
        .map(|(id, _)| *id)
        .collect();
    let mut livechat = json!({
        "group_id": group, "client_limit_exceeded": false, "domain_allowed": true,
        "config_version": "mock-config-1", "localization_version": "mock-localization-1", "language": "en",
    });
    if !online.is_empty() {
        livechat["online_group_ids"] = json!(online);
    }
    if ctx.at_least(3, 6) {
        let org = &ctx.state.organization_id;
        Ok(json!({"organization_id": org, "default_widget": "livechat", "livechat_active": true, "livechat": livechat}))
    } else {
        livechat["organization_id"] = json!(ctx.state.organization_id);
        Ok(livechat)
    }
}

fn get_configuration(ctx: &mut Ctx, p: &Value) -> Result<Value, Refusal> {
    let group = group_id(p, "group_id").unwrap_or(0);
    if !ctx.state.groups.contains_key(&group) {
        return Err(Refusal::new("group_not_found", 404, "Group not found"));
    }
    let mut out = json!({
        "buttons": [{"id": "mock-button", "type": "text", "online_value": "Chat now", "offline_value": "Leave a message"}],
        "integrations": {},
        "properties": {
            "group": ctx.state.group_properties.get(&group).cloned().unwrap_or_default(),
            "license": ctx.state.license_properties,
        },
    });
    if let Some(form) = ctx.state.forms.get(&(group, "prechat".to_owned())) {
        out["prechat_form"] = form.clone();
    }
    if let Some(form) = ctx.state.forms.get(&(group, "ticket".to_owned())) {
        out["ticket_form"] = form.clone();
    }
    Ok(out)
}

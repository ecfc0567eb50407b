//! Events: stamping, adding, `send_event`, `delete_event`, rich message postbacks.

use serde_json::{json, Value};

use super::{api, chat_ref, chats::see_all, to_json};
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::state::{now, Chat, Thread};

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

/// Adds `event` by `author` to the chat's last thread and pushes `incoming_event` to the chat's
/// customer, unless it is for agents only (`visibility: agents`).
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
    let push = json!({"chat_id": chat_id, "thread_id": thread_id, "event": event});
    if crate::state::customer_sees(&event, &customer) {
        ctx.push(&customer, "incoming_event", push.clone());
    }
    ctx.push_to_chat_agents(chat_id, None, "incoming_event", push);
    Ok(event)
}

/// An inactive chat takes events only with `attach_to_last_thread` (reference §2.2).
pub(super) fn send_event(ctx: &mut Ctx, r: &api::SendEventRequest) -> Result<Value, Refusal> {
    let attach = r.attach_to_last_thread.unwrap_or(false);
    if !chat_ref(ctx, &r.chat_id)?.active() && !attach {
        return Err(Refusal::chat_inactive());
    }
    let customer = ctx.customer.clone();
    let event = add_event(ctx, &r.chat_id, to_json(&r.event), &customer)?;
    Ok(json!({"event_id": event["id"]}))
}

/// Where an event is: (chat, thread index, event index).
fn find_event(ctx: &Ctx, chat_id: &str, thread_id: &str, event_id: &str) -> Result<(Chat, usize, usize), Refusal> {
    let chat = chat_ref(ctx, chat_id)?.clone();
    let t = chat.thread(thread_id).ok_or_else(|| Refusal::not_found("Thread"))?;
    let e = chat.threads[t].event(event_id).ok_or_else(|| Refusal::not_found("Event"))?;
    Ok((chat, t, e))
}

/// Only the customer's own events; `event_deleted`.
pub(super) fn delete_event(ctx: &mut Ctx, r: &api::DeleteEventRequest) -> Result<Value, Refusal> {
    let (mut chat, t, e) = find_event(ctx, &r.chat_id, &r.thread_id, &r.event_id)?;
    if chat.threads[t].events[e]["author_id"] != ctx.customer.as_str() {
        return Err(Refusal::new("not_allowed", "A customer can delete only its own events"));
    }
    chat.threads[t].events.remove(e);
    let customer = chat.customer_id.clone();
    ctx.state.chats.insert(chat.id.clone(), chat);
    let push = json!({"chat_id": r.chat_id, "thread_id": r.thread_id, "event_id": r.event_id});
    ctx.push(&customer, "event_deleted", push.clone());
    ctx.push_to_chat_agents(&r.chat_id, None, "event_deleted", push);
    Ok(json!({}))
}

/// The event must be a rich message; the push goes out for active threads only.
pub(super) fn send_rich_message_postback(ctx: &mut Ctx, r: &api::SendRichMessagePostbackRequest) -> Result<Value, Refusal> {
    chat_ref(ctx, &r.chat_id)?;
    let customer = ctx.customer.clone();
    postback(ctx, &customer, [&r.chat_id, &r.thread_id, &r.event_id], to_json(&r.postback))?;
    Ok(json!({}))
}

/// `user` clicked a button of the rich message at `[chat, thread, event]`:
/// `incoming_rich_message_postback` to the chat's customer while the thread is active.
pub(crate) fn postback(ctx: &mut Ctx, user: &str, [chat_id, thread_id, event_id]: [&str; 3], postback: Value) -> Result<(), Refusal> {
    let chat = ctx.state.chat(chat_id)?;
    let t = chat.thread(thread_id).ok_or_else(|| Refusal::not_found("Thread"))?;
    let e = chat.threads[t].event(event_id).ok_or_else(|| Refusal::not_found("Event"))?;
    if chat.threads[t].events[e]["type"] != "rich_message" {
        return Err(Refusal::validation("The event is not a rich message"));
    }
    if chat.threads[t].active {
        let customer = chat.customer_id.clone();
        let push = json!({
            "user_id": user, "chat_id": chat_id, "thread_id": thread_id, "event_id": event_id, "postback": postback,
        });
        ctx.push(&customer, "incoming_rich_message_postback", push.clone());
        ctx.push_to_chat_agents(chat_id, None, "incoming_rich_message_postback", push);
    }
    Ok(())
}

//! What an agent does to a chat, once: the Agent Chat API's handlers (after their own checks:
//! access, presence, the request's shape) and the control API's scripted agent
//! ([`AgentControl`](crate::AgentControl)) both call these.

use std::time::SystemTime;

use serde_json::{json, Map, Value};

use crate::actions::{self, api};
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::state::now;
use crate::TransferTo;

/// The customer of a chat and its active thread (`chat_inactive` when it has none).
pub(crate) fn active_thread(ctx: &Ctx, chat_id: &str) -> Result<(String, String), Refusal> {
    let chat = ctx.state.chat(chat_id)?;
    if !chat.active() {
        return Err(Refusal::chat_inactive());
    }
    Ok((chat.customer_id.clone(), chat.last_thread().id.clone()))
}

/// Adds `agent` to a chat (`user_added_to_chat` to the customer, unless the agent is for
/// agents' eyes only), `present` or not; `requester` when another agent adds it.
pub(crate) fn add_agent(
    ctx: &mut Ctx,
    chat_id: &str,
    agent: &str,
    present: bool,
    agents_only: bool,
    requester: Option<&str>,
) -> Result<(), Refusal> {
    let mut chat = ctx.state.chat(chat_id)?.clone();
    if chat.agents.get(agent) == Some(&true) {
        return Err(Refusal::validation("The agent is already in the chat"));
    }
    chat.agents.insert(agent.to_owned(), present);
    if agents_only {
        chat.agents_only.insert(agent.to_owned());
    } else {
        chat.agents_only.remove(agent);
    }
    chat.followers.remove(agent);
    let user = ctx.state.agents.get(agent).map(|a| a.user(present)).unwrap_or_default();
    let mut push = json!({"chat_id": chat_id, "user": user, "reason": "manual"});
    if chat.active() {
        push["thread_id"] = json!(chat.last_thread().id);
    }
    if let Some(requester) = requester {
        push["requester_id"] = json!(requester);
    }
    let customer = chat.customer_id.clone();
    ctx.state.chats.insert(chat_id.to_owned(), chat);
    if !agents_only {
        ctx.push(&customer, "user_added_to_chat", push.clone());
    }
    ctx.push_to_chat_agents(chat_id, None, "user_added_to_chat", push);
    Ok(())
}

/// Removes `agent` from a chat (`user_removed_from_chat`; `validation` when it is not in it).
pub(crate) fn remove_agent(ctx: &mut Ctx, chat_id: &str, agent: &str, requester: Option<&str>) -> Result<(), Refusal> {
    let mut chat = ctx.state.chat(chat_id)?.clone();
    if chat.agents.remove(agent).is_none() {
        return Err(Refusal::validation("The agent is not in the chat"));
    }
    let hidden = chat.agents_only.remove(agent);
    let mut push = json!({"chat_id": chat_id, "user_id": agent, "reason": "manual"});
    if chat.active() {
        push["thread_id"] = json!(chat.last_thread().id);
    }
    if let Some(requester) = requester {
        push["requester_id"] = json!(requester);
    }
    let customer = chat.customer_id.clone();
    ctx.state.chats.insert(chat_id.to_owned(), chat);
    if !hidden {
        ctx.push(&customer, "user_removed_from_chat", push.clone());
    }
    ctx.push_to_chat_agents(chat_id, Some(agent), "user_removed_from_chat", push);
    Ok(())
}

/// Sends `event` (an object with a `type`) by `agent` to an active chat; the agent is added,
/// not present, when it is not in the chat. The event as stored.
pub(crate) fn send_event(ctx: &mut Ctx, agent: &str, chat_id: &str, event: Value) -> Result<Value, Refusal> {
    if !event.is_object() || event.get("type").and_then(Value::as_str).is_none() {
        return Err(Refusal::validation("An event is an object with a `type`"));
    }
    active_thread(ctx, chat_id)?;
    if !ctx.state.chat(chat_id)?.agents.contains_key(agent) {
        add_agent(ctx, chat_id, agent, false, false, None)?;
    }
    actions::add_event(ctx, chat_id, event, agent)
}

/// Starts a chat of `customer` with `agent` in it (`incoming_chat`), refused with
/// `chat_limit_reached` while the customer has an active chat; `{chat_id, thread_id, event_ids?}`.
pub(crate) fn start_chat(ctx: &mut Ctx, agent: &str, customer: &str, r: &api::StartChatRequest) -> Result<Value, Refusal> {
    if !ctx.state.customers.contains_key(customer) {
        return Err(Refusal::not_found("Customer"));
    }
    actions::no_active_chat(ctx, customer)?;
    actions::open_chat(ctx, customer, agent, r)
}

/// Closes the chat's active thread as `agent` (`incoming_event` with a system message, then
/// `chat_deactivated`).
pub(crate) fn deactivate_chat(ctx: &mut Ctx, agent: &str, chat_id: &str) -> Result<(), Refusal> {
    actions::close_chat(ctx, chat_id, Some(agent))
}

/// Transfers an active chat (`chat_transferred`, reason `manual`): to groups (the chat's
/// access becomes theirs; `group_not_found` for a group the mock does not know) and agents;
/// with `queue` = `(position, wait_time_seconds)` the chat waits in the queue.
pub(crate) fn transfer(ctx: &mut Ctx, agent: &str, chat_id: &str, to: &TransferTo, queue: Option<(u64, u64)>) -> Result<(), Refusal> {
    let mut chat = ctx.state.chat(chat_id)?.clone();
    if !chat.active() {
        return Err(Refusal::chat_inactive());
    }
    for g in &to.group_ids {
        if !ctx.state.groups.contains_key(g) {
            return Err(Refusal::group_not_found());
        }
    }
    let mut target = Map::new();
    if !to.group_ids.is_empty() {
        target.insert("group_ids".into(), json!(to.group_ids));
        chat.access = json!({ "group_ids": to.group_ids });
    }
    if !to.agent_ids.is_empty() {
        target.insert("agent_ids".into(), json!(to.agent_ids));
    }
    let thread_id = chat.last_thread().id.clone();
    let mut push = json!({
        "chat_id": chat_id, "thread_id": thread_id, "requester_id": agent, "reason": "manual",
        "transferred_to": target,
    });
    let queued = queue.map(|(position, wait)| json!({"position": position, "wait_time": wait, "queued_at": now()}));
    chat.last_thread_mut().queue = queued.clone();
    if let Some(q) = queued {
        push["queue"] = q;
    }
    let customer = chat.customer_id.clone();
    let access = chat.access.clone();
    let before = ctx.state.chat_audience(chat_id);
    ctx.state.chats.insert(chat_id.to_owned(), chat);
    ctx.push(&customer, "chat_transferred", push.clone());
    // The agents who saw the chat and those who see it now.
    let mut agents = ctx.state.chat_audience(chat_id);
    for a in before {
        if !agents.contains(&a) {
            agents.push(a);
        }
    }
    if !to.group_ids.is_empty() {
        ctx.push_to_agents(agents.clone(), "chat_access_updated", json!({"id": chat_id, "access": access}));
    }
    ctx.push_to_agents(agents, "chat_transferred", push);
    Ok(())
}

/// `agent` starts or stops typing in the chat's active thread (`incoming_typing_indicator` to
/// the customer, unless only agents are to see it).
pub(crate) fn typing(ctx: &mut Ctx, agent: &str, chat_id: &str, is_typing: bool, agents_only: bool) -> Result<(), Refusal> {
    let (customer, thread) = active_thread(ctx, chat_id)?;
    let seconds = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let push = json!({
        "chat_id": chat_id, "thread_id": thread,
        "typing_indicator": {"author_id": agent, "recipients": "all", "timestamp": seconds, "is_typing": is_typing},
    });
    if !agents_only {
        ctx.push(&customer, "incoming_typing_indicator", push);
    }
    // The agent's push names the audience `visibility` (reference §3.4).
    let visibility = if agents_only { "agents" } else { "all" };
    let push = json!({
        "chat_id": chat_id, "thread_id": thread,
        "typing_indicator": {"author_id": agent, "visibility": visibility, "timestamp": seconds, "is_typing": is_typing},
    });
    ctx.push_to_chat_agents(chat_id, None, "incoming_typing_indicator", push);
    Ok(())
}

/// `agent` prepares an answer (`incoming_thinking_indicator`, 3.6+, to the customer unless
/// only agents are to see it); `fields` are its optional `title`, `description`, `custom_id`.
pub(crate) fn thinking(ctx: &mut Ctx, agent: &str, chat_id: &str, fields: Map<String, Value>, agents_only: bool) -> Result<(), Refusal> {
    let (customer, thread) = active_thread(ctx, chat_id)?;
    let mut push = json!({"chat_id": chat_id, "thread_id": thread, "author_id": agent, "sent_at": now()});
    for (k, v) in fields {
        push[k] = v;
    }
    if !agents_only {
        ctx.push(&customer, "incoming_thinking_indicator", push.clone());
    }
    ctx.push_to_chat_agents(chat_id, None, "incoming_thinking_indicator", push);
    Ok(())
}

/// Previews a message `agent` is writing (`incoming_event_preview`, 3.6+; the event has no ID).
pub(crate) fn event_preview(ctx: &mut Ctx, agent: &str, chat_id: &str, text: &str) -> Result<(), Refusal> {
    let (customer, thread) = active_thread(ctx, chat_id)?;
    let event = json!({"type": "message", "text": text, "created_at": now(), "author_id": agent});
    ctx.push(
        &customer,
        "incoming_event_preview",
        json!({"chat_id": chat_id, "thread_id": thread, "event": event}),
    );
    Ok(())
}

//! Chats as agents see and change them: listing (chats, threads, archives), starting,
//! resuming, deactivating, following, transferring, users, events, tags, summaries.

use serde_json::{json, Map, Value};

use super::{acting_chat, api, done, ops, visible_chat, with_cursors, Cursor};
use crate::actions::{self, to_json, to_object, ThreadsAsked, View};
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::state::{now, Agent, Chat, State, Thread};
use crate::TransferTo;

/// The most chats (`list_chats`) and archive threads (`list_archives`) on a page: 100.
const MAX_LIMIT: usize = 100;

/// The users of a chat as agents see them.
fn users(state: &State, chat: &Chat) -> Value {
    state.agent_view_users(chat)
}

/// A chat with one of its threads, as `get_chat` and `list_archives` show it to `agent`.
fn chat_view(state: &State, agent: &Agent, chat: &Chat, thread: Option<&Thread>) -> Value {
    let mut out = json!({
        "id": chat.id, "users": users(state, chat), "properties": chat.properties, "access": chat.access,
        "is_followed": chat.followers.contains(&agent.id),
    });
    if let Some(t) = thread {
        out["thread"] = actions::thread_json(chat, t, View::Agent);
    }
    out
}

/// A chat as `list_chats` shows it: 3.7's ChatInfo (`last_thread_info` holding
/// `last_event_per_type`), or the older ChatSummary.
fn chat_summary(ctx: &Ctx, agent: &Agent, chat: &Chat) -> Value {
    let last = chat.last_thread();
    let info = ctx.at_least(3, 7);
    let mut per_type = Map::new();
    for e in last.events.iter() {
        if let Some(t) = e["type"].as_str() {
            let entry = if info {
                json!({ "event": e })
            } else {
                json!({"thread_id": last.id, "thread_created_at": last.created_at, "event": e})
            };
            per_type.insert(t.to_owned(), entry);
        }
    }
    let mut user_ids = vec![json!(chat.customer_id)];
    user_ids.extend(chat.agents.keys().map(|a| json!(a)));
    let mut thread = json!({
        "id": last.id, "created_at": last.created_at, "user_ids": user_ids, "properties": last.properties,
        "active": last.active, "access": chat.access,
    });
    if let Some(q) = &last.queue {
        thread["queue"] = q.clone();
    }
    if !last.tags.is_empty() {
        thread["tags"] = json!(last.tags);
    }
    let mut out = json!({
        "id": chat.id, "users": users(ctx.state, chat), "properties": chat.properties, "access": chat.access,
        "is_followed": chat.followers.contains(&agent.id),
    });
    if info {
        thread["last_event_per_type"] = Value::Object(per_type);
        out["last_thread_info"] = thread;
    } else {
        out["last_thread_summary"] = thread;
        out["last_event_per_type"] = Value::Object(per_type);
    }
    out
}

/// Whether `properties` (`namespace -> name -> value`) pass the property filters (`namespace
/// -> name -> {exists | values | exclude_values}`).
fn properties_match(properties: &Map<String, Value>, filters: &Value) -> bool {
    let namespaces = filters.as_object().into_iter().flatten();
    namespaces.into_iter().all(|(ns, names)| {
        names.as_object().into_iter().flatten().all(|(name, filter)| {
            let value = properties.get(ns).and_then(|n| n.get(name));
            let listed = |key: &str| filter[key].as_array().map(|list| value.is_some_and(|v| list.contains(v)));
            if let Some(exists) = filter["exists"].as_bool() {
                return value.is_some() == exists;
            }
            listed("values").unwrap_or(true) && !listed("exclude_values").unwrap_or(false)
        })
    })
}

/// Whether `ids` (integers) meet `chat`'s access groups.
fn in_groups(chat: &Chat, ids: &Value) -> bool {
    let Some(ids) = ids.as_array() else { return true };
    let groups = chat.access["group_ids"].as_array().cloned().unwrap_or_default();
    ids.iter().any(|id| groups.contains(id))
}

/// Newest last thread first (default `desc`), the chats the agent may see that pass the
/// filters (`active` (3.6+) or `include_active` (3.5), `group_ids`, `properties`); at most 100
/// a page, 10 by default; the filters ride in the page cursors.
pub(super) fn list_chats(ctx: &mut Ctx, agent: &Agent, _r: &api::ListChatsRequest, p: &Value) -> Result<Value, Refusal> {
    let cursor = Cursor::of_request(p, "AC", 10, MAX_LIMIT)?;
    let f = &cursor.filters;
    // `include_active: false` (3.5) leaves active chats out; `active` (3.6+) picks one kind.
    let active = f["active"].as_bool().or_else(|| (f["include_active"] == false).then_some(false));
    let mut chats: Vec<&Chat> = ctx
        .state
        .chats
        .values()
        .filter(|c| agent.can_see(c))
        .filter(|c| active.is_none_or(|a| c.active() == a))
        .filter(|c| in_groups(c, &f["group_ids"]))
        .filter(|c| properties_match(&c.properties, &f["properties"]))
        .collect();
    chats.sort_by(|a, b| b.last_thread().created_at.cmp(&a.last_thread().created_at));
    let found = chats.len();
    let (shown, cursors) = cursor.page(&chats, "AC");
    let items: Vec<Value> = shown.into_iter().map(|c| chat_summary(ctx, agent, c)).collect();
    let key = if ctx.at_least(3, 7) { "chats_info" } else { "chats_summary" };
    Ok(with_cursors(json!({ key: items, "found_chats": found }), cursors))
}

/// As the customer's (newest first, at most 100, or `min_events_count`), every event shown.
pub(super) fn list_threads(ctx: &mut Ctx, agent: &Agent, r: &api::ListThreadsRequest) -> Result<Value, Refusal> {
    let chat = visible_chat(ctx, agent, &r.chat_id)?;
    if r.filters.is_some() && r.min_events_count.is_some() {
        return Err(Refusal::validation("`min_events_count` cannot be combined with `filters`"));
    }
    let asked = ThreadsAsked {
        page_id: r.page_id.as_deref(),
        limit: r.limit,
        sort_order: r.sort_order.as_ref(),
        min_events_count: r.min_events_count,
    };
    actions::threads_page(&chat, &asked, View::Agent)
}

/// The chat with the asked thread (default: the newest).
pub(super) fn get_chat(ctx: &mut Ctx, agent: &Agent, r: &api::GetChatRequest) -> Result<Value, Refusal> {
    let chat = visible_chat(ctx, agent, &r.chat_id)?;
    let thread = match r.thread_id.as_deref() {
        Some(id) => Some(&chat.threads[chat.thread(id).ok_or_else(|| Refusal::not_found("Thread"))?]),
        None => chat.threads.last(),
    };
    Ok(chat_view(ctx.state, agent, &chat, thread))
}

/// Whether a list of strings in `filter` (`{exists | values | exclude_values}`) passes for `have`.
fn values_match(filter: &Value, have: &[&str]) -> bool {
    let listed = |key: &str| {
        filter[key]
            .as_array()
            .map(|l| l.iter().filter_map(Value::as_str).collect::<Vec<_>>())
    };
    if let Some(exists) = filter["exists"].as_bool() {
        return have.is_empty() != exists;
    }
    let every = filter["require_every_value"] == true;
    let values_ok = listed("values").is_none_or(|want| {
        if every {
            want.iter().all(|w| have.contains(w))
        } else {
            want.iter().any(|w| have.contains(w))
        }
    });
    values_ok && listed("exclude_values").is_none_or(|no| !no.iter().any(|n| have.contains(n)))
}

/// Whether a thread of `chat` passes the archive filters the mock reads: `query` (text of the
/// thread's messages, case-insensitive), `from`/`to`, `chat_ids`, `thread_ids`, `group_ids`,
/// `customer_id`, `customer_email`, `agents`, `tags`, `properties`. Others are accepted and
/// not applied.
fn archive_match(state: &State, chat: &Chat, t: &Thread, f: &Value) -> bool {
    let contains = |key: &str, id: &str| f[key].as_array().is_none_or(|l| l.iter().any(|v| v == id));
    let when = |key: &str| {
        f[key]
            .as_str()
            .and_then(|t| lc_types::Timestamp::new(t).ok())
            .map(|t| t.unix_micros())
    };
    let created = lc_types::Timestamp::new(t.created_at.as_str())
        .map(|t| t.unix_micros())
        .unwrap_or(0);
    let query = f["query"].as_str().map(str::to_lowercase);
    let customer = state.customers.get(&chat.customer_id);
    let agents: Vec<&str> = chat.agents.keys().map(String::as_str).collect();
    let tags: Vec<&str> = t.tags.iter().map(String::as_str).collect();
    contains("chat_ids", &chat.id)
        && contains("thread_ids", &t.id)
        && in_groups(chat, &f["group_ids"])
        && when("from").is_none_or(|from| created >= from)
        && when("to").is_none_or(|to| created <= to)
        && f["customer_id"].as_str().is_none_or(|id| id == chat.customer_id)
        && f["customer_email"]
            .as_str()
            .is_none_or(|e| customer.is_some_and(|c| c.fields.get("email").and_then(Value::as_str) == Some(e)))
        && (f["agents"].is_null() || values_match(&f["agents"], &agents))
        && (f["tags"].is_null() || values_match(&f["tags"], &tags))
        && properties_match(&chat.properties, &f["properties"])
        && query.is_none_or(|q| {
            t.events
                .iter()
                .filter_map(|e| e["text"].as_str())
                .any(|text| text.to_lowercase().contains(&q))
        })
}

/// One item per thread the agent may see (newest first by default, at most 100 a page, 10 by
/// default), each a whole chat with that thread.
pub(super) fn list_archives(ctx: &mut Ctx, agent: &Agent, _r: &api::ListArchivesRequest, p: &Value) -> Result<Value, Refusal> {
    let cursor = Cursor::of_request(p, "AA", 10, MAX_LIMIT)?;
    let mut found: Vec<(&Chat, &Thread)> = ctx
        .state
        .chats
        .values()
        .filter(|c| agent.can_see(c))
        .flat_map(|c| c.threads.iter().map(move |t| (c, t)))
        .filter(|(c, t)| archive_match(ctx.state, c, t, &cursor.filters))
        .collect();
    found.sort_by(|a, b| b.1.created_at.cmp(&a.1.created_at));
    let total = found.len();
    let (shown, cursors) = cursor.page(&found, "AA");
    let items: Vec<Value> = shown.into_iter().map(|(c, t)| chat_view(ctx.state, agent, c, Some(t))).collect();
    Ok(with_cursors(json!({"chats": items, "found_chats": total}), cursors))
}

/// The users a start or resume request lists besides the requester: the customer (the one
/// the chat is for) and at most 4 agents, who must exist and may see a chat of `access`.
fn listed_users(
    state: &State,
    users: Option<&Vec<lc_types::v3_6::agent::UserRef>>,
    access: &Value,
) -> Result<(Option<String>, Vec<String>), Refusal> {
    let (mut customer, mut agents) = (None, Vec::new());
    for user in users.into_iter().flatten() {
        match user.type_.as_str() {
            "customer" if customer.is_some() => return Err(Refusal::validation("A chat has at most one customer")),
            "customer" => customer = Some(user.id.clone()),
            _ => {
                let agent = state.agents.get(&user.id).ok_or_else(|| Refusal::not_found("Agent"))?;
                if !agent.can_access(access) {
                    return Err(Refusal::new("missing_access", "A listed agent has no access to the chat"));
                }
                agents.push(user.id.clone());
            }
        }
    }
    if agents.len() > 4 {
        return Err(Refusal::validation("At most 4 agents besides the requester"));
    }
    Ok((customer, agents))
}

/// The initial thread as the customer side reads it, every event's `visibility` forced to
/// `all` (reference §2.2).
fn first_thread(thread: Option<&lc_types::v3_6::NewThread>) -> Option<Value> {
    let mut thread = to_json(&thread?);
    for event in thread["events"].as_array_mut().into_iter().flatten() {
        event["visibility"] = json!("all");
        if let Some(o) = event.as_object_mut() {
            o.remove("recipients");
        }
    }
    Some(thread)
}

/// A chat of the customer `chat.users` names (the mock's chats all have one: without one,
/// `validation`) with the requester and the listed agents in it (present).
pub(super) fn start_chat(ctx: &mut Ctx, agent: &Agent, r: &api::StartChatRequest) -> Result<Value, Refusal> {
    let chat = r.chat.as_ref();
    let access = chat
        .and_then(|c| c.access.as_ref())
        .map_or_else(|| json!({"group_ids": [0]}), to_json);
    let (customer, agents) = listed_users(ctx.state, chat.and_then(|c| c.users.as_ref()), &access)?;
    let customer = customer.ok_or_else(|| {
        Refusal::validation("The mock's chats have a customer: list one in `chat.users` (`{\"id\", \"type\": \"customer\"}`)")
    })?;
    let mut request = json!({"chat": {"access": access}});
    if let Some(c) = chat {
        if let Some(props) = &c.properties {
            request["chat"]["properties"] = to_json(props);
        }
        if let Some(thread) = first_thread(c.thread.as_ref()) {
            request["chat"]["thread"] = thread;
        }
    }
    for (key, value) in [("active", r.active), ("continuous", r.continuous)] {
        if let Some(v) = value {
            request[key] = json!(v);
        }
    }
    let request: actions::api::StartChatRequest =
        lc_types::from_value(request).map_err(|e| Refusal::mock_bug(format!("start_chat as the customer side reads it: {e}")))?;
    let out = ops::start_chat(ctx, &agent.id, &customer, &request)?;
    let chat_id = out["chat_id"].as_str().unwrap_or_default().to_owned();
    for other in agents.iter().filter(|a| **a != agent.id) {
        ops::add_agent(ctx, &chat_id, other, true, false, Some(&agent.id))?;
    }
    Ok(out)
}

/// A new thread in an inactive chat the agent may see, the requester (and the listed agents)
/// in it.
pub(super) fn resume_chat(ctx: &mut Ctx, agent: &Agent, r: &api::ResumeChatRequest) -> Result<Value, Refusal> {
    let chat = visible_chat(ctx, agent, &r.chat.id)?;
    if chat.active() {
        return Err(Refusal::new("chat_already_active", "Chat is already active"));
    }
    let access = r.chat.access.as_ref().map(to_json);
    let (customer, agents) = listed_users(ctx.state, r.chat.users.as_ref(), access.as_ref().unwrap_or(&chat.access))?;
    if customer.is_some_and(|c| c != chat.customer_id) {
        return Err(Refusal::validation("A chat has at most one customer"));
    }
    actions::no_active_chat(ctx, &chat.customer_id)?;
    let thread: Option<actions::api::NewThread> = first_thread(r.chat.thread.as_ref())
        .map(lc_types::from_value)
        .transpose()
        .map_err(|e| Refusal::mock_bug(format!("the thread as the customer side reads it: {e}")))?;
    let props = to_object(r.chat.properties.as_ref());
    let out = actions::reopen_chat(ctx, &chat.id, &agent.id, r.active, thread.as_ref(), access, &props)?;
    for other in agents.iter().filter(|a| **a != agent.id && !chat.agents.contains_key(*a)) {
        ops::add_agent(ctx, &chat.id, other, true, false, Some(&agent.id))?;
    }
    Ok(out)
}

pub(super) fn deactivate_chat(ctx: &mut Ctx, agent: &Agent, r: &api::DeactivateChatRequest) -> Result<Value, Refusal> {
    acting_chat(ctx, agent, &r.id, r.ignore_requester_presence)?;
    ops::deactivate_chat(ctx, &agent.id, &r.id)?;
    done()
}

/// Followers are kept (a member follows already).
pub(super) fn follow_chat(ctx: &mut Ctx, agent: &Agent, r: &api::FollowChatRequest) -> Result<Value, Refusal> {
    let mut chat = visible_chat(ctx, agent, &r.id)?;
    if !chat.agents.contains_key(&agent.id) {
        chat.followers.insert(agent.id.clone());
        ctx.state.chats.insert(chat.id.clone(), chat);
    }
    // The chat as the follower now gets its pushes (reference §3.1: `incoming_chat` follows
    // `follow_chat`).
    let chat = ctx.state.chat(&r.id)?.clone();
    let push = json!({"chat": actions::agent_chat_json(ctx, &chat)});
    ctx.push_to_agents(vec![agent.id.clone()], "incoming_chat", push);
    done()
}

/// A member cannot unfollow (`validation`).
pub(super) fn unfollow_chat(ctx: &mut Ctx, agent: &Agent, r: &api::UnfollowChatRequest) -> Result<Value, Refusal> {
    let mut chat = visible_chat(ctx, agent, &r.id)?;
    if chat.agents.contains_key(&agent.id) {
        return Err(Refusal::validation("A user of the chat cannot unfollow it"));
    }
    chat.followers.remove(&agent.id);
    let id = chat.id.clone();
    ctx.state.chats.insert(chat.id.clone(), chat);
    ctx.push_to_agents(vec![agent.id.clone()], "chat_unfollowed", json!({ "chat_id": id }));
    done()
}

/// To groups or agents (who must exist and may see the chat); without a target, within the
/// chat's groups.
pub(super) fn transfer_chat(ctx: &mut Ctx, agent: &Agent, r: &api::TransferChatRequest) -> Result<Value, Refusal> {
    use lc_types::v3_6::agent::ChatTransferTarget;
    let chat = acting_chat(ctx, agent, &r.id, r.ignore_requester_presence)?;
    let mut to = TransferTo::default();
    match &r.target {
        None => {
            let groups = chat.access["group_ids"].as_array().into_iter().flatten().filter_map(Value::as_i64);
            to.group_ids = groups.collect();
        }
        Some(ChatTransferTarget::GroupTransferTarget(t)) => to.group_ids = t.ids.clone(),
        Some(ChatTransferTarget::AgentTransferTarget(t)) => {
            for id in &t.ids {
                let target = ctx.state.agents.get(id).ok_or_else(|| Refusal::not_found("Agent"))?;
                if !target.can_see(&chat) {
                    return Err(Refusal::new("missing_access", "The target agent has no access to the chat"));
                }
            }
            to.agent_ids = t.ids.clone();
        }
        Some(_) => return Err(Refusal::validation("`target.type` is `group` or `agent`")),
    }
    ops::transfer(ctx, &agent.id, &r.id, &to, None)?;
    done()
}

/// An agent (who must exist and may see the chat) to an active chat; the customer is in its
/// chat already, and a chat has one.
pub(super) fn add_user_to_chat(ctx: &mut Ctx, agent: &Agent, r: &api::AddUserToChatRequest) -> Result<Value, Refusal> {
    let chat = acting_chat(ctx, agent, &r.chat_id, r.ignore_requester_presence)?;
    if !chat.active() {
        return Err(Refusal::chat_inactive());
    }
    let agents_only = r.visibility.as_str() == "agents";
    if r.user_type.as_str() == "customer" {
        return Err(Refusal::validation(if r.user_id == chat.customer_id {
            "The customer is in its chat already"
        } else {
            "A chat has at most one customer"
        }));
    }
    let added = ctx.state.agents.get(&r.user_id).ok_or_else(|| Refusal::not_found("Agent"))?;
    if !added.can_access(&chat.access) {
        return Err(Refusal::new("missing_access", "The agent has no access to the chat"));
    }
    ops::add_agent(ctx, &r.chat_id, &r.user_id, true, agents_only, Some(&agent.id))?;
    done()
}

/// Only agents can be removed.
pub(super) fn remove_user_from_chat(ctx: &mut Ctx, agent: &Agent, r: &api::RemoveUserFromChatRequest) -> Result<Value, Refusal> {
    acting_chat(ctx, agent, &r.chat_id, r.ignore_requester_presence)?;
    if r.user_type.as_str() != "agent" {
        return Err(Refusal::validation("Only agents can be removed from a chat"));
    }
    ops::remove_agent(ctx, &r.chat_id, &r.user_id, Some(&agent.id))?;
    done()
}

/// To an active chat the requester is in; one added for agents only cannot send to everyone.
pub(super) fn send_event(ctx: &mut Ctx, agent: &Agent, r: &api::SendEventRequest) -> Result<Value, Refusal> {
    let chat = visible_chat(ctx, agent, &r.chat_id)?;
    if !chat.active() {
        return Err(Refusal::chat_inactive());
    }
    let chat = acting_chat(ctx, agent, &r.chat_id, None)?;
    let event = to_json(&r.event);
    if chat.agents_only.contains(&agent.id) && event["visibility"] != "agents" {
        return Err(Refusal::validation(
            "A user added for agents only sends `visibility: agents` events",
        ));
    }
    let event = ops::send_event(ctx, &agent.id, &r.chat_id, event)?;
    Ok(json!({"event_id": event["id"]}))
}

/// A `message` (visible to all) previewed to the customer; not stored.
pub(super) fn send_event_preview(ctx: &mut Ctx, agent: &Agent, r: &api::SendEventPreviewRequest) -> Result<Value, Refusal> {
    acting_chat(ctx, agent, &r.chat_id, None)?;
    let lc_types::v3_6::EventInput::Message(message) = &r.event else {
        return Err(Refusal::validation("Only `message` events can be previewed"));
    };
    if super::agents_only(message.visibility.as_ref()) {
        return Err(Refusal::validation("A preview is for everyone: `visibility` is `all` or absent"));
    }
    ops::event_preview(ctx, &agent.id, &r.chat_id, &message.text)?;
    done()
}

/// Adds or removes a tag of a thread (a tag the thread does not have: `not_found`).
pub(super) fn tag(ctx: &mut Ctx, agent: &Agent, chat_id: &str, thread_id: &str, tag: &str, add: bool) -> Result<Value, Refusal> {
    let mut chat = visible_chat(ctx, agent, chat_id)?;
    let t = chat.thread(thread_id).ok_or_else(|| Refusal::not_found("Thread"))?;
    let tags = &mut chat.threads[t].tags;
    let at = tags.iter().position(|x| x == tag);
    match (add, at) {
        (true, None) => tags.push(tag.to_owned()),
        (true, Some(_)) => {}
        (false, Some(i)) => {
            tags.remove(i);
        }
        (false, None) => return Err(Refusal::not_found("Tag")),
    }
    ctx.state.chats.insert(chat_id.to_owned(), chat);
    let name = if add { "thread_tagged" } else { "thread_untagged" };
    ctx.push_to_chat_agents(chat_id, None, name, json!({"chat_id": chat_id, "thread_id": thread_id, "tag": tag}));
    done()
}

/// The mock summarizes at once (the API does it later): `thread.summary` counts the thread's
/// messages. An inactive thread is summarized once (`validation` then).
pub(super) fn request_thread_summary(ctx: &mut Ctx, agent: &Agent, r: &api::RequestThreadSummaryRequest) -> Result<Value, Refusal> {
    let mut chat = visible_chat(ctx, agent, &r.chat_id)?;
    let t = chat.thread(&r.thread_id).ok_or_else(|| Refusal::not_found("Thread"))?;
    let thread = &mut chat.threads[t];
    if !thread.active && thread.summary.is_some() {
        return Err(Refusal::validation("An inactive thread is summarized once"));
    }
    let messages = thread.events.iter().filter(|e| e["type"] == "message").count();
    let summary = json!({"status": "ok", "text": format!("A thread of {messages} messages."), "updated_at": now()});
    thread.summary = Some(summary.clone());
    ctx.state.chats.insert(r.chat_id.clone(), chat);
    let push = json!({"chat_id": r.chat_id, "thread_id": r.thread_id, "summary": summary});
    ctx.push_to_chat_agents(&r.chat_id, None, "thread_summary_set", push);
    done()
}

/// Other agents accepting chats who may see the chat, fewest active chats first.
pub(super) fn list_agents_for_transfer(ctx: &mut Ctx, agent: &Agent, r: &api::ListAgentsForTransferRequest) -> Result<Value, Refusal> {
    let chat = visible_chat(ctx, agent, &r.chat_id)?;
    let mut list: Vec<(usize, &str)> = ctx
        .state
        .agents
        .values()
        .filter(|a| a.id != agent.id && a.routing_status == "accepting_chats" && a.can_see(&chat))
        .map(|a| {
            let load = ctx
                .state
                .chats
                .values()
                .filter(|c| c.active() && c.agents.contains_key(&a.id))
                .count();
            (load, a.id.as_str())
        })
        .collect();
    list.sort();
    let items: Vec<Value> = list
        .into_iter()
        .map(|(load, id)| json!({"agent_id": id, "total_active_chats": load}))
        .collect();
    Ok(Value::Array(items))
}

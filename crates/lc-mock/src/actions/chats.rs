//! Chats and threads: start, resume, deactivate, read, list (with paging), seen marks, sneak
//! peeks.

use serde_json::{json, Map, Value};

use lc_types::limits;
use lc_types::v3_6::customer::SortOrder;

use super::{api, chat_ref, events::stamp_event, owned_chat, properties::merge_properties, to_json, to_object};
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::state::{now, Chat, Thread};

/// A new thread (active unless `active` is `Some(false)`) with the events and properties of
/// `first`, its events by `author`.
fn new_thread(ctx: &mut Ctx, active: Option<bool>, first: Option<&api::NewThread>, author: &str) -> (Thread, Vec<Value>) {
    let id = ctx.state.next_id();
    let mut thread = Thread {
        id,
        created_at: now(),
        active: active.unwrap_or(true),
        events: imbl::Vector::new(),
        event_count: 0,
        properties: to_object(first.and_then(|t| t.properties.as_ref())),
        queue: None,
        tags: Vec::new(),
        summary: None,
    };
    let mut ids = Vec::new();
    for e in first.and_then(|t| t.events.as_ref()).into_iter().flatten() {
        let event = stamp_event(ctx, to_json(e), &mut thread, author);
        ids.push(event["id"].clone());
        thread.events.push_back(event);
    }
    (thread, ids)
}

/// The chat with one thread, as `incoming_chat` and the customer's `get_chat` show it.
fn chat_json(ctx: &Ctx, chat: &Chat, thread: Option<&Thread>) -> Value {
    let mut out = json!({
        "id": chat.id, "users": ctx.state.users(chat), "access": chat.access, "properties": chat.properties,
    });
    if let Some(t) = thread {
        out["thread"] = thread_json(chat, t, View::Customer);
    }
    out
}

/// A chat with its last thread as agents see it (`incoming_chat` to agents): every event,
/// agents with their `visibility`.
pub(crate) fn agent_chat_json(ctx: &Ctx, chat: &Chat) -> Value {
    json!({
        "id": chat.id, "users": ctx.state.agent_view_users(chat), "access": chat.access, "properties": chat.properties,
        "thread": thread_json(chat, chat.last_thread(), View::Agent),
    })
}

/// Who reads a thread: the chat's customer sees no event of someone else meant for agents only
/// (`visibility: agents`); agents see every event, the thread's tags and summary.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Customer,
    Agent,
}

pub(crate) fn thread_json(chat: &Chat, t: &Thread, view: View) -> Value {
    let mut user_ids = vec![json!(chat.customer_id)];
    user_ids.extend(chat.agents.keys().map(|a| json!(a)));
    let events: Vec<Value> = t
        .events
        .iter()
        .filter(|e| view == View::Agent || crate::state::customer_sees(e, &chat.customer_id))
        .cloned()
        .collect();
    let mut out = json!({
        "id": t.id, "created_at": t.created_at, "active": t.active, "user_ids": user_ids,
        "events": events, "properties": t.properties, "access": chat.access,
    });
    if view == View::Agent {
        if !t.tags.is_empty() {
            out["tags"] = json!(t.tags);
        }
        if let Some(summary) = &t.summary {
            out["summary"] = summary.clone();
        }
    }
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

/// One active chat per customer (the agent side may have opened another): `chat_limit_reached`
/// while `customer` has one.
pub(crate) fn no_active_chat(ctx: &Ctx, customer: &str) -> Result<(), Refusal> {
    if ctx.state.chats_of(customer).iter().any(|c| c.active()) {
        return Err(Refusal::new("chat_limit_reached", "The customer has an active chat"));
    }
    Ok(())
}

/// Starting or resuming needs an online group unless the chat is continuous (`groups_offline`).
fn check_can_open(ctx: &Ctx, continuous: Option<bool>) -> Result<(), Refusal> {
    let continuous = continuous.unwrap_or(false);
    let online = !ctx.state.online_groups().is_empty();
    if online || continuous {
        Ok(())
    } else {
        Err(Refusal::new("groups_offline", "Groups offline"))
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
pub(super) fn see_all(chat: &mut Chat, user: &str) {
    chat.seen.insert(user.to_owned(), now());
}

/// One chat per customer (`chat_limit_reached` once there is one, active or not: the customer
/// resumes it; the evidence is at `ErrorType` in the schema); `incoming_chat` to the customer;
/// the requester has seen it all.
pub(super) fn start_chat(ctx: &mut Ctx, r: &api::StartChatRequest) -> Result<Value, Refusal> {
    let customer = ctx.customer.clone();
    if !ctx.state.chats_of(&customer).is_empty() {
        let message = "Chat limit reached: the customer has a chat already; resume it";
        return Err(Refusal::new("chat_limit_reached", message));
    }
    check_can_open(ctx, r.continuous)?;
    open_chat(ctx, &customer, &customer, r)
}

/// A new chat of `customer` with an active thread, started by `requester` (the customer, or
/// the agent side, which the one-chat limit does not bind); `incoming_chat` to the customer.
pub(crate) fn open_chat(ctx: &mut Ctx, customer: &str, requester: &str, r: &api::StartChatRequest) -> Result<Value, Refusal> {
    let customer = customer.to_owned();
    let chat_id = ctx.state.next_id();
    let given = r.chat.as_ref();
    let (thread, event_ids) = new_thread(ctx, r.active, given.and_then(|c| c.thread.as_ref()), requester);
    let thread_id = thread.id.clone();
    let mut chat = Chat {
        id: chat_id.clone(),
        customer_id: customer.clone(),
        threads: imbl::vector![thread],
        properties: to_object(given.and_then(|c| c.properties.as_ref())),
        access: given
            .and_then(|c| c.access.as_ref())
            .map_or_else(|| json!({"group_ids": [0]}), to_json),
        agents: Default::default(),
        seen: Default::default(),
        sneak_peek: None,
        followers: Default::default(),
        agents_only: Default::default(),
        client_id: ctx.client_id.clone(),
    };
    if requester != customer {
        chat.agents.insert(requester.to_owned(), true);
    }
    see_all(&mut chat, requester);
    let push = json!({"requester_id": requester, "chat": chat_json(ctx, &chat, Some(chat.last_thread()))});
    let agents_push = json!({"requester_id": requester, "chat": agent_chat_json(ctx, &chat)});
    ctx.state.chats.insert(chat_id.clone(), chat);
    ctx.push(&customer, "incoming_chat", push);
    ctx.push_to_chat_agents(&chat_id, None, "incoming_chat", agents_push);
    Ok(with_event_ids(json!({"chat_id": chat_id, "thread_id": thread_id}), event_ids))
}

/// A new thread in an inactive chat; resuming an active chat fails (`chat_already_active`), and
/// so does resuming while another chat of the customer is active (`chat_limit_reached`).
pub(super) fn resume_chat(ctx: &mut Ctx, r: &api::ResumeChatRequest) -> Result<Value, Refusal> {
    let customer = ctx.customer.clone();
    let chat_id = r.chat.id.clone();
    if chat_ref(ctx, &chat_id)?.active() {
        return Err(Refusal::new("chat_already_active", "Chat is already active"));
    }
    no_active_chat(ctx, &customer)?;
    check_can_open(ctx, r.continuous)?;
    let (access, properties) = (r.chat.access.as_ref().map(to_json), to_object(r.chat.properties.as_ref()));
    reopen_chat(ctx, &chat_id, &customer, r.active, r.chat.thread.as_ref(), access, &properties)
}

/// A new thread in the inactive chat `chat_id`, started by `requester` (its customer, or an
/// agent, who is then in the chat, present), with `access` and `properties` set on the chat;
/// `incoming_chat` to the customer. The callers check the rules of their API.
pub(crate) fn reopen_chat(
    ctx: &mut Ctx,
    chat_id: &str,
    requester: &str,
    active: Option<bool>,
    first: Option<&api::NewThread>,
    access: Option<Value>,
    properties: &Map<String, Value>,
) -> Result<Value, Refusal> {
    ctx.state.chat(chat_id)?;
    let (thread, event_ids) = new_thread(ctx, active, first, requester);
    let thread_id = thread.id.clone();
    let mut chat = ctx.state.chat(chat_id)?.clone();
    if let Some(access) = access {
        chat.access = access;
    }
    merge_properties(&mut chat.properties, properties);
    chat.threads.push_back(thread);
    if requester != chat.customer_id {
        chat.agents.insert(requester.to_owned(), true);
    }
    see_all(&mut chat, requester);
    let customer = chat.customer_id.clone();
    let push = json!({"requester_id": requester, "chat": chat_json(ctx, &chat, Some(chat.last_thread()))});
    let agents_push = json!({"requester_id": requester, "chat": agent_chat_json(ctx, &chat)});
    ctx.state.chats.insert(chat_id.to_owned(), chat);
    ctx.push(&customer, "incoming_chat", push);
    ctx.push_to_chat_agents(chat_id, None, "incoming_chat", agents_push);
    Ok(with_event_ids(json!({ "thread_id": thread_id }), event_ids))
}

/// Closes the active thread with a system message: `incoming_event` and `chat_deactivated`.
pub(crate) fn close_chat(ctx: &mut Ctx, chat_id: &str, by: Option<&str>) -> Result<(), Refusal> {
    let chat = ctx.state.chat(chat_id)?.clone();
    if !chat.active() {
        return Err(Refusal::chat_inactive());
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
    let push = json!({"chat_id": chat_id, "thread_id": thread_id, "event": event});
    ctx.push(&customer, "incoming_event", push.clone());
    ctx.push_to_chat_agents(chat_id, None, "incoming_event", push);
    let mut push = json!({"chat_id": chat_id, "thread_id": thread_id});
    if let Some(by) = by {
        push["user_id"] = json!(by);
    }
    ctx.push(&customer, "chat_deactivated", push.clone());
    ctx.push_to_chat_agents(chat_id, None, "chat_deactivated", push);
    Ok(())
}

pub(super) fn deactivate_chat(ctx: &mut Ctx, r: &api::DeactivateChatRequest) -> Result<Value, Refusal> {
    chat_ref(ctx, &r.id)?;
    let customer = ctx.customer.clone();
    close_chat(ctx, &r.id, Some(&customer))?;
    Ok(json!({}))
}

pub(super) fn get_chat(ctx: &mut Ctx, r: &api::GetChatRequest) -> Result<Value, Refusal> {
    let chat = chat_ref(ctx, &r.chat_id)?;
    let thread = match r.thread_id.as_deref() {
        Some(id) => Some(&chat.threads[chat.thread(id).ok_or_else(|| Refusal::not_found("Thread"))?]),
        None => chat.threads.last(),
    };
    Ok(chat_json(ctx, chat, thread))
}

/// A page cursor: `<offset>.<limit>.<asc|desc>` in hex-free plain text, opaque to clients.
fn page_id(offset: usize, limit: usize, asc: bool) -> String {
    format!("MP{offset}_{limit}_{}", if asc { "a" } else { "d" })
}

/// What a list request asks for: `page_id`, `limit`, `sort_order`.
struct Paging<'a> {
    page_id: Option<&'a str>,
    limit: Option<i64>,
    sort_order: Option<&'a SortOrder>,
}

/// Whether `sort_order` asks for the oldest first.
fn ascending(sort_order: Option<&SortOrder>) -> bool {
    sort_order == Some(&SortOrder::Asc)
}

/// (offset, limit, asc) from `page_id`, or from `limit` and `sort_order`. A `page_id` cannot be
/// combined with `limit` or `sort_order`.
fn paging(p: Paging, default_limit: usize, max: usize) -> Result<(usize, usize, bool), Refusal> {
    if let Some(page) = p.page_id {
        if p.limit.is_some() || p.sort_order.is_some() {
            return Err(Refusal::validation("`page_id` cannot be combined with `limit` or `sort_order`"));
        }
        let bad = || Refusal::validation("Invalid `page_id`");
        let rest = page.strip_prefix("MP").ok_or_else(bad)?;
        let mut parts = rest.split('_');
        let offset = parts.next().and_then(digits).filter(|o| *o <= MAX_PAGE_OFFSET).ok_or_else(bad)?;
        let limit = parts.next().and_then(digits).filter(|l| (1..=max).contains(l)).ok_or_else(bad)?;
        let asc = match (parts.next(), parts.next()) {
            (Some("a"), None) => true,
            (Some("d"), None) => false,
            _ => return Err(bad()),
        };
        return Ok((offset, limit, asc));
    }
    let limit = p.limit.map_or(Some(default_limit), |l| usize::try_from(l).ok());
    match limit {
        Some(limit) if (1..=max).contains(&limit) => Ok((0, limit, ascending(p.sort_order))),
        _ => Err(Refusal::validation(format!("`limit` must be between 1 and {max}"))),
    }
}

/// The largest offset a page ID may name: far above any list the mock holds, and small
/// enough that no sum with a limit can overflow.
const MAX_PAGE_OFFSET: usize = 1 << 32;

/// A page ID's number: ASCII digits only (no sign, no blank), as the mock writes them.
fn digits(text: &str) -> Option<usize> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// One page of `items` (already in `desc` order), with cursors.
pub(super) fn page<T: Clone>(items: &[T], offset: usize, limit: usize, asc: bool) -> (Vec<T>, Option<String>, Option<String>) {
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
pub(super) fn list_chats(ctx: &mut Ctx, r: &api::ListChatsRequest) -> Result<Value, Refusal> {
    let asked = Paging {
        page_id: r.page_id.as_deref(),
        limit: r.limit,
        sort_order: r.sort_order.as_ref(),
    };
    let (offset, limit, asc) = paging(asked, 10, limits::LIST_CHATS_MAX_LIMIT)?;
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
            for e in last.events.iter().filter(|e| crate::state::customer_sees(e, &chat.customer_id)) {
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
/// `min_events_count` events (1-100; not with `limit`). Both page: a `min_events_count` page's
/// `next_page_id` goes on to the older threads holding as many events again (the official
/// browser SDK's `getChatHistory` asks for 25 events, then follows `next_page_id` until there
/// is none), its `previous_page_id` back to the newer ones.
pub(super) fn list_threads(ctx: &mut Ctx, r: &api::ListThreadsRequest) -> Result<Value, Refusal> {
    let chat = chat_ref(ctx, &r.chat_id)?.clone();
    let asked = ThreadsAsked {
        page_id: r.page_id.as_deref(),
        limit: r.limit,
        sort_order: r.sort_order.as_ref(),
        min_events_count: r.min_events_count,
    };
    threads_page(&chat, &asked, View::Customer)
}

/// What a `list_threads` request asks for, in either API.
pub(crate) struct ThreadsAsked<'a> {
    pub page_id: Option<&'a str>,
    pub limit: Option<i64>,
    pub sort_order: Option<&'a SortOrder>,
    pub min_events_count: Option<i64>,
}

/// One page of the threads of `chat` (see [`list_threads`]), as `view` reads them.
pub(crate) fn threads_page(chat: &Chat, r: &ThreadsAsked, view: View) -> Result<Value, Refusal> {
    let mut threads: Vec<&Thread> = chat.threads.iter().collect();
    threads.reverse();
    let total = threads.len();
    let by_events = match (r.page_id, r.min_events_count) {
        (Some(page), _) if page.starts_with("ME") => {
            if r.limit.is_some() || r.sort_order.is_some() || r.min_events_count.is_some() {
                return Err(Refusal::validation(
                    "`page_id` cannot be combined with `limit`, `sort_order` or `min_events_count`",
                ));
            }
            Some(events_page_id(page)?)
        }
        (Some(_), Some(_)) => return Err(Refusal::validation("`page_id` cannot be combined with `min_events_count`")),
        (None, Some(min)) => {
            if r.limit.is_some() {
                return Err(Refusal::validation("`min_events_count` cannot be combined with `limit`"));
            }
            let max = limits::LIST_THREADS_MAX_LIMIT;
            match usize::try_from(min) {
                Ok(min) if (1..=max).contains(&min) => Some((0, min, ascending(r.sort_order))),
                _ => return Err(Refusal::validation(format!("`min_events_count` must be between 1 and {max}"))),
            }
        }
        _ => None,
    };
    let (shown, next, previous) = match by_events {
        Some((offset, _, _)) if offset > total => return Err(Refusal::validation("Invalid `page_id`")),
        Some((offset, min, asc)) => {
            // Threads from `offset` (newest first) until they hold `min` events.
            let older = threads.get(offset..).unwrap_or_default();
            let n = threads_holding(older.iter().map(|t| t.events.len()), min);
            let mut shown: Vec<&Thread> = older[..n].to_vec();
            if asc {
                shown.reverse();
            }
            let next = (offset + n < total).then(|| events_page(offset + n, min, asc));
            // The newer threads holding `min` events, walking back from `offset`.
            let back = threads_holding(threads[..offset.min(total)].iter().rev().map(|t| t.events.len()), min);
            let previous = (offset > 0).then(|| events_page(offset - back, min, asc));
            (shown, next, previous)
        }
        None => {
            let asked = Paging {
                page_id: r.page_id,
                limit: r.limit,
                sort_order: r.sort_order,
            };
            let (offset, limit, asc) = paging(asked, 3, limits::LIST_THREADS_MAX_LIMIT)?;
            page(&threads, offset, limit, asc)
        }
    };
    let items: Vec<Value> = shown.into_iter().map(|t| thread_json(chat, t, view)).collect();
    Ok(with_cursors(json!({"threads": items, "found_threads": total}), next, previous))
}

/// How many of the threads (their event counts, in walking order) it takes to hold `min`
/// events; all of them when they hold fewer.
fn threads_holding(counts: impl Iterator<Item = usize>, min: usize) -> usize {
    let mut held = 0;
    let mut n = 0;
    for count in counts {
        if held >= min {
            break;
        }
        held += count;
        n += 1;
    }
    n
}

/// A `min_events_count` page cursor: `ME<offset>_<min>_<a|d>`.
fn events_page(offset: usize, min: usize, asc: bool) -> String {
    format!("ME{offset}_{min}_{}", if asc { "a" } else { "d" })
}

/// (offset, min, asc) from an [`events_page`] cursor.
fn events_page_id(page: &str) -> Result<(usize, usize, bool), Refusal> {
    let bad = || Refusal::validation("Invalid `page_id`");
    let mut parts = page.strip_prefix("ME").ok_or_else(bad)?.split('_');
    let offset = parts.next().and_then(digits).filter(|o| *o <= MAX_PAGE_OFFSET).ok_or_else(bad)?;
    let min = parts
        .next()
        .and_then(digits)
        .filter(|m| (1..=limits::LIST_THREADS_MAX_LIMIT).contains(m))
        .ok_or_else(bad)?;
    let asc = match (parts.next(), parts.next()) {
        (Some("a"), None) => true,
        (Some("d"), None) => false,
        _ => return Err(bad()),
    };
    Ok((offset, min, asc))
}

pub(super) fn mark_events_as_seen(ctx: &mut Ctx, r: &api::MarkEventsAsSeenRequest) -> Result<Value, Refusal> {
    let customer = ctx.customer.clone();
    owned_chat(ctx, &r.chat_id)?;
    mark_seen(ctx, &r.chat_id, &customer, r.seen_up_to.as_str())?;
    Ok(json!({}))
}

/// `user` has seen the events of `chat_id` up to `seen_up_to`: `events_marked_as_seen` to the
/// chat's customer.
pub(crate) fn mark_seen(ctx: &mut Ctx, chat_id: &str, user: &str, seen_up_to: &str) -> Result<(), Refusal> {
    let mut chat = ctx.state.chat(chat_id)?.clone();
    chat.seen.insert(user.to_owned(), seen_up_to.to_owned());
    let customer = chat.customer_id.clone();
    ctx.state.chats.insert(chat_id.to_owned(), chat);
    let push = json!({"user_id": user, "chat_id": chat_id, "seen_up_to": seen_up_to});
    ctx.push(&customer, "events_marked_as_seen", push.clone());
    ctx.push_to_chat_agents(chat_id, None, "events_marked_as_seen", push);
    Ok(())
}

/// Kept for the agent side to read; customers get no push.
pub(super) fn send_sneak_peek(ctx: &mut Ctx, r: &api::SendSneakPeekRequest) -> Result<Value, Refusal> {
    let chat = owned_chat(ctx, &r.chat_id)?;
    if !chat.active() {
        return Err(Refusal::chat_inactive());
    }
    chat.sneak_peek = Some(r.sneak_peek_text.clone());
    Ok(json!({}))
}

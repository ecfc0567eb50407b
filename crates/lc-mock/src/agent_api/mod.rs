//! The Agent Chat API's Web actions (reference §2), on the state the customer side uses: an
//! agent's message reaches the customer as the control API's scripted agent's does (both call
//! [`ops`]), and the customer's messages are in what agents read.
//!
//! Payloads arrive valid against the version's agent request schema and are read as v3.6's
//! typed agent requests (`lc_types::v3_6::agent`), into which 3.5's and 3.7's decode; the
//! 3.5-only actions as 3.5's. An agent sees a chat it is in, or one whose access names group
//! 0 (every agent) or one of its groups (reference §2: `chats--access`); any other chat is
//! `missing_access`. Where the reference names no error type the mock answers: `missing_access`
//! when the requester must be in the chat and is not (and sets no
//! `ignore_requester_presence`), `validation` for other requests the rules refuse,
//! `chat_already_active` for resuming an active chat and `chat_limit_reached` for a second
//! active chat of one customer (as on the customer side).

mod chats;
pub(crate) mod connection;
mod customers;
pub(crate) mod ops;

use lc_types::v3_6::agent as api;
use serde_json::{json, Value};

use crate::actions::{to_json, Target};
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::state::{Agent, Chat};

/// Runs agent action `action` for `agent`.
pub(crate) fn run(ctx: &mut Ctx, agent: &str, action: &str, p: &Value) -> Result<Value, Refusal> {
    let me = ctx
        .state
        .agents
        .get(agent)
        .cloned()
        .ok_or_else(|| Refusal::new("authentication", "The agent is gone"))?;
    let me = &me;
    match action {
        "list_chats" => chats::list_chats(ctx, me, &typed(p)?, p),
        "list_threads" => chats::list_threads(ctx, me, &typed(p)?),
        "get_chat" => chats::get_chat(ctx, me, &typed(p)?),
        "list_archives" => chats::list_archives(ctx, me, &typed(p)?, p),
        "start_chat" => chats::start_chat(ctx, me, &typed(p)?),
        "resume_chat" => chats::resume_chat(ctx, me, &typed(p)?),
        "deactivate_chat" => chats::deactivate_chat(ctx, me, &typed(p)?),
        "follow_chat" => chats::follow_chat(ctx, me, &typed(p)?),
        "unfollow_chat" => chats::unfollow_chat(ctx, me, &typed(p)?),
        "transfer_chat" => chats::transfer_chat(ctx, me, &typed(p)?),
        "add_user_to_chat" => chats::add_user_to_chat(ctx, me, &typed(p)?),
        "remove_user_from_chat" => chats::remove_user_from_chat(ctx, me, &typed(p)?),
        "send_event" => chats::send_event(ctx, me, &typed(p)?),
        "send_event_preview" => chats::send_event_preview(ctx, me, &typed(p)?),
        "send_rich_message_postback" => {
            let r: api::SendRichMessagePostbackRequest = typed(p)?;
            visible_chat(ctx, me, &r.chat_id)?;
            crate::actions::postback(ctx, &me.id, [&r.chat_id, &r.thread_id, &r.event_id], to_json(&r.postback))?;
            done()
        }
        "update_chat_properties" => {
            let r: api::UpdateChatPropertiesRequest = typed(p)?;
            properties(ctx, me, Target::Chat(r.id), true, to_json(&r.properties))
        }
        "delete_chat_properties" => {
            let r: api::DeleteChatPropertiesRequest = typed(p)?;
            properties(ctx, me, Target::Chat(r.id), false, to_json(&r.properties))
        }
        "update_thread_properties" => {
            let r: api::UpdateThreadPropertiesRequest = typed(p)?;
            properties(ctx, me, Target::Thread(r.chat_id, r.thread_id), true, to_json(&r.properties))
        }
        "delete_thread_properties" => {
            let r: api::DeleteThreadPropertiesRequest = typed(p)?;
            properties(ctx, me, Target::Thread(r.chat_id, r.thread_id), false, to_json(&r.properties))
        }
        "update_event_properties" => {
            let r: api::UpdateEventPropertiesRequest = typed(p)?;
            let target = Target::Event(r.chat_id, r.thread_id, r.event_id);
            properties(ctx, me, target, true, to_json(&r.properties))
        }
        "delete_event_properties" => {
            let r: api::DeleteEventPropertiesRequest = typed(p)?;
            let target = Target::Event(r.chat_id, r.thread_id, r.event_id);
            properties(ctx, me, target, false, to_json(&r.properties))
        }
        "tag_thread" => {
            let r: api::TagThreadRequest = typed(p)?;
            chats::tag(ctx, me, &r.chat_id, &r.thread_id, &r.tag, true)
        }
        "untag_thread" => {
            let r: api::UntagThreadRequest = typed(p)?;
            chats::tag(ctx, me, &r.chat_id, &r.thread_id, &r.tag, false)
        }
        "mark_events_as_seen" => {
            let r: api::MarkEventsAsSeenRequest = typed(p)?;
            visible_chat(ctx, me, &r.chat_id)?;
            crate::actions::mark_seen(ctx, &r.chat_id, &me.id, r.seen_up_to.as_str())?;
            done()
        }
        "send_typing_indicator" => {
            let r: api::SendTypingIndicatorRequest = typed(p)?;
            visible_chat(ctx, me, &r.chat_id)?;
            ops::typing(ctx, &me.id, &r.chat_id, r.is_typing, agents_only(r.visibility.as_ref()))?;
            done()
        }
        "send_thinking_indicator" => {
            let r: api::SendThinkingIndicatorRequest = typed(p)?;
            visible_chat(ctx, me, &r.chat_id)?;
            let mut fields = serde_json::Map::new();
            for (k, v) in [("title", &r.title), ("description", &r.description), ("custom_id", &r.custom_id)] {
                if let Some(v) = v {
                    fields.insert(k.into(), json!(v));
                }
            }
            ops::thinking(ctx, &me.id, &r.chat_id, fields, agents_only(r.visibility.as_ref()))?;
            done()
        }
        "request_thread_summary" => chats::request_thread_summary(ctx, me, &typed(p)?),
        "list_agents_for_transfer" => chats::list_agents_for_transfer(ctx, me, &typed(p)?),
        "get_customer" => customers::get_customer(ctx, &typed(p)?),
        "update_customer" => customers::update_customer(ctx, &typed(p)?),
        "ban_customer" => customers::ban_customer(ctx, &typed(p)?),
        #[cfg(feature = "v3_5")]
        "list_customers" => customers::list_customers(ctx, &typed(p)?, p),
        #[cfg(feature = "v3_5")]
        "create_customer" => customers::create_customer(ctx, &typed(p)?),
        "get_license_info" => customers::get_license_info(),
        "set_routing_status" => customers::set_routing_status(ctx, me, &typed(p)?),
        "list_routing_statuses" => customers::list_routing_statuses(ctx, &typed(p)?),
        "multicast" => {
            let r: api::MulticastRequest = typed(p)?;
            let to = &r.recipients.agents;
            let empty = to.all != Some(true) && to.ids.as_ref().is_none_or(Vec::is_empty) && to.groups.as_ref().is_none_or(Vec::is_empty);
            if empty {
                return Err(Refusal::validation(
                    "`recipients.agents` names no one: give `all`, `ids` or `groups`",
                ));
            }
            // Not stored: delivered to the agents' RTM connections (author included), with
            // `type` when given.
            let agents: Vec<String> = ctx
                .state
                .agents
                .values()
                .filter(|a| {
                    to.all == Some(true)
                        || to.ids.as_ref().is_some_and(|ids| ids.contains(&a.id))
                        || to.groups.as_ref().is_some_and(|g| g.iter().any(|g| a.groups.contains(g)))
                })
                .map(|a| a.id.clone())
                .collect();
            let mut push = json!({"author_id": me.id, "content": r.content});
            if let Some(t) = &r.type_ {
                push["type"] = json!(t);
            }
            ctx.push_to_agents(agents, "incoming_multicast", push);
            done()
        }
        other => Err(Refusal::mock_bug(format!("no handler for agent action `{other}`"))),
    }
}

/// `p` as the request type `T` the handler takes (see the module docs); a failure is a mock
/// bug, since the engine decoded `p` with its own version's type already.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(p: &Value) -> Result<T, Refusal> {
    lc_types::from_value(p.clone()).map_err(|e| Refusal::mock_bug(format!("the agent request as the handler reads it: {e}")))
}

/// The empty answer.
fn done() -> Result<Value, Refusal> {
    Ok(json!({}))
}

/// Whether a `visibility` is `agents`.
fn agents_only(visibility: Option<&lc_types::v3_6::Visibility>) -> bool {
    visibility.is_some_and(|v| v.as_str() == "agents")
}

/// The chat `chat_id` when `agent` may see it: `not_found` when there is none,
/// `missing_access` when the agent may not.
fn visible_chat(ctx: &Ctx, agent: &Agent, chat_id: &str) -> Result<Chat, Refusal> {
    let chat = ctx.state.chat(chat_id)?;
    if !agent.can_see(chat) {
        return Err(Refusal::new("missing_access", "Missing access"));
    }
    Ok(chat.clone())
}

/// The chat `chat_id` when `agent` may act in it: visible, and the agent in it unless
/// `ignore_requester_presence` (`missing_access` otherwise).
fn acting_chat(ctx: &Ctx, agent: &Agent, chat_id: &str, ignore_presence: Option<bool>) -> Result<Chat, Refusal> {
    let chat = visible_chat(ctx, agent, chat_id)?;
    if !chat.agents.contains_key(&agent.id) && ignore_presence != Some(true) {
        return Err(Refusal::new(
            "missing_access",
            "Requester is not a user of the chat: join it first (add_user_to_chat with ignore_requester_presence: true)",
        ));
    }
    Ok(chat)
}

/// The six property actions: the chat must be visible.
fn properties(ctx: &mut Ctx, agent: &Agent, target: Target, update: bool, props: Value) -> Result<Value, Refusal> {
    visible_chat(ctx, agent, target.chat_id())?;
    crate::actions::change_properties(ctx, &target, update, &props)?;
    done()
}

/// A list cursor: `<prefix><offset>_<limit>_<a|d>_<hex of the first page's filters>`. The
/// filters ride in the cursor (the first page's are kept, reference §4.10), so the mock keeps
/// nothing per page; a cursor it did not write is `validation`.
struct Cursor {
    offset: usize,
    limit: usize,
    asc: bool,
    filters: Value,
}

/// The largest offset a cursor may name (far above any list the mock holds).
const MAX_CURSOR_OFFSET: usize = 1 << 32;

impl Cursor {
    /// The cursor's text, with `prefix` naming the list.
    fn encode(&self, prefix: &str) -> String {
        let hex: String = self.filters.to_string().bytes().map(|b| format!("{b:02x}")).collect();
        let order = if self.asc { "a" } else { "d" };
        format!("{prefix}{}_{}_{order}_{hex}", self.offset, self.limit)
    }

    /// The cursor `text` of list `prefix`, with limits up to `max`.
    fn decode(prefix: &str, text: &str, max: usize) -> Result<Cursor, Refusal> {
        let bad = || Refusal::validation("Invalid `page_id`");
        let mut parts = text.strip_prefix(prefix).ok_or_else(bad)?.splitn(4, '_');
        let number = |p: Option<&str>| {
            p.filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|t| t.parse::<usize>().ok())
        };
        let offset = number(parts.next()).filter(|o| *o <= MAX_CURSOR_OFFSET).ok_or_else(bad)?;
        let limit = number(parts.next()).filter(|l| (1..=max).contains(l)).ok_or_else(bad)?;
        let asc = match parts.next() {
            Some("a") => true,
            Some("d") => false,
            _ => return Err(bad()),
        };
        let hex = parts.next().ok_or_else(bad)?.as_bytes();
        if hex.len() % 2 != 0 {
            return Err(bad());
        }
        let bytes: Option<Vec<u8>> = hex
            .chunks(2)
            .map(|pair| std::str::from_utf8(pair).ok().and_then(|t| u8::from_str_radix(t, 16).ok()))
            .collect();
        let filters: Value = bytes.and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(bad)?;
        if !filters.is_object() {
            return Err(bad());
        }
        Ok(Cursor {
            offset,
            limit,
            asc,
            filters,
        })
    }

    /// The cursor a list request asks for: from its `page_id` (alone: `filters`, `limit` or
    /// `sort_order` with it is `validation`), or its first page.
    fn of_request(p: &Value, prefix: &str, default_limit: usize, max: usize) -> Result<Cursor, Refusal> {
        if let Some(page) = p.get("page_id").and_then(Value::as_str) {
            if ["filters", "limit", "sort_order"].iter().any(|k| p.get(k).is_some()) {
                return Err(Refusal::validation(
                    "`page_id` cannot be combined with `filters`, `limit` or `sort_order`",
                ));
            }
            return Cursor::decode(prefix, page, max);
        }
        let limit = match p.get("limit") {
            None => Some(default_limit),
            Some(l) => l.as_u64().and_then(|l| usize::try_from(l).ok()),
        };
        let limit = limit
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| Refusal::validation(format!("`limit` must be between 1 and {max}")))?;
        Ok(Cursor {
            offset: 0,
            limit,
            asc: p.get("sort_order").and_then(Value::as_str) == Some("asc"),
            filters: p.get("filters").cloned().unwrap_or_else(|| json!({})),
        })
    }

    /// This page of `items` (newest first), with the cursors of the pages around it.
    fn page<T: Clone>(&self, items: &[T], prefix: &str) -> (Vec<T>, Value) {
        let mut ordered = items.to_vec();
        if self.asc {
            ordered.reverse();
        }
        let shown: Vec<T> = ordered.iter().skip(self.offset).take(self.limit).cloned().collect();
        let mut cursors = json!({});
        let at = |offset| Cursor {
            offset,
            filters: self.filters.clone(),
            ..*self
        };
        if self.offset.saturating_add(self.limit) < ordered.len() {
            cursors["next_page_id"] = json!(at(self.offset + self.limit).encode(prefix));
        }
        if self.offset > 0 {
            cursors["previous_page_id"] = json!(at(self.offset.saturating_sub(self.limit)).encode(prefix));
        }
        (shown, cursors)
    }
}

/// `out` with the cursors of [`Cursor::page`] added.
fn with_cursors(mut out: Value, cursors: Value) -> Value {
    if let (Some(out), Value::Object(cursors)) = (out.as_object_mut(), cursors) {
        out.extend(cursors);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Cursor;
    use serde_json::json;

    #[test]
    fn cursors_round_trip_and_refuse_what_the_mock_did_not_write() {
        let c = Cursor {
            offset: 20,
            limit: 10,
            asc: true,
            filters: json!({"group_ids": [1]}),
        };
        let text = c.encode("AC");
        let back = Cursor::decode("AC", &text, 100).unwrap();
        assert_eq!(
            (back.offset, back.limit, back.asc, back.filters),
            (20, 10, true, json!({"group_ids": [1]}))
        );
        for bad in [
            "",
            "AC",
            "AC1_1_a",
            "AC1_1_a_7",
            "AC1_0_a_7b7d",
            "AC1_1_x_7b7d",
            "AC1_1_a_5b5d",
            "AC-1_1_a_7b7d",
            "XX1_1_a_7b7d",
            "AC1_1_a_zz",
        ] {
            assert!(Cursor::decode("AC", bad, 100).is_err(), "{bad}");
        }
    }
}

//! The documented semantics of every customer action (reference §2.2), on a copy of the state.
//!
//! Payloads arrive already valid against the version's request schema. Where the docs do not
//! name the error type of a rule, the mock uses: `limit_reached` for a second active chat,
//! `validation` for resuming an active chat, and `not_allowed` for deleting another user's event.

mod chats;
mod configuration;
mod customer;
mod events;
mod greetings;
mod properties;

pub(crate) use chats::{
    agent_chat_json, close_chat, mark_seen, no_active_chat, open_chat, reopen_chat, thread_json, threads_page, ThreadsAsked, View,
};
pub(crate) use customer::{customer_with_statistics, update_fields};
pub(crate) use events::{add_event, postback};
pub(crate) use properties::change_properties;
pub use properties::Target;

pub(crate) use lc_types::v3_6::customer as api;
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::state::Chat;

/// Runs `action` for `ctx.customer`.
pub(crate) fn run(ctx: &mut Ctx, action: &str, p: &Value) -> Result<Value, Refusal> {
    match action {
        "login" => customer::login(ctx, &typed(p)?),
        "ping" => Ok(json!({})),
        "get_customer" => customer::get_customer(ctx),
        "update_customer" => customer::update_customer(ctx, &typed(p)?),
        "set_customer_session_fields" => customer::set_session_fields(ctx, &typed(p)?),
        "update_customer_page" => customer::update_customer_page(ctx, &typed(p)?),
        "start_chat" => chats::start_chat(ctx, &typed(p)?),
        "resume_chat" => chats::resume_chat(ctx, &typed(p)?),
        "deactivate_chat" => chats::deactivate_chat(ctx, &typed(p)?),
        "send_event" => events::send_event(ctx, &typed(p)?),
        "delete_event" => events::delete_event(ctx, &typed(p)?),
        "get_chat" => chats::get_chat(ctx, &typed(p)?),
        "list_chats" => chats::list_chats(ctx, &typed(p)?),
        "list_threads" => chats::list_threads(ctx, &typed(p)?),
        "mark_events_as_seen" => chats::mark_events_as_seen(ctx, &typed(p)?),
        "send_rich_message_postback" => events::send_rich_message_postback(ctx, &typed(p)?),
        "send_sneak_peek" => chats::send_sneak_peek(ctx, &typed(p)?),
        "update_chat_properties" => properties::update_chat_properties(ctx, &typed(p)?),
        "delete_chat_properties" => properties::delete_chat_properties(ctx, &typed(p)?),
        "update_thread_properties" => properties::update_thread_properties(ctx, &typed(p)?),
        "delete_thread_properties" => properties::delete_thread_properties(ctx, &typed(p)?),
        "update_event_properties" => properties::update_event_properties(ctx, &typed(p)?),
        "delete_event_properties" => properties::delete_event_properties(ctx, &typed(p)?),
        "list_license_properties" => properties::list_license_properties(ctx, &typed(p)?),
        "list_group_properties" => properties::list_group_properties(ctx, &typed(p)?),
        "list_group_statuses" => configuration::list_group_statuses(ctx, &typed(p)?),
        "check_goals" => Ok(json!({})),
        "get_form" => configuration::get_form(ctx, &typed(p)?),
        "get_predicted_agent" => configuration::get_predicted_agent(ctx, &typed(p)?),
        "get_url_info" => configuration::get_url_info(&typed(p)?),
        "accept_greeting" => greetings::accept_greeting(ctx, &typed(p)?),
        "cancel_greeting" => greetings::cancel_greeting(ctx, &typed(p)?),
        "send_greeting_button_clicked" => greetings::greeting_button_clicked(ctx, &typed(p)?),
        "request_email_verification" => customer::request_email_verification(ctx, &typed(p)?),
        "request_welcome_message" => greetings::request_welcome_message(ctx, &typed(p)?),
        "get_dynamic_configuration" => configuration::get_dynamic_configuration(ctx, &typed(p)?),
        "get_configuration" => configuration::get_configuration(ctx, &typed(p)?),
        "get_localization" => {
            Ok(json!({"Agents_currently_not_available": "Our agents are not available right now.", "Chat_now": "Chat now"}))
        }
        other => Err(Refusal::mock_bug(format!("no handler for action `{other}`"))),
    }
}

/// `p` as the request type `T` the handler takes: v3.6's (`api`), into which every supported
/// version's request of the action decodes (3.5's has fewer fields, 3.7's the same). The
/// engine checked `p` against its own version's type already, so a failure is a mock bug.
fn typed<T: serde::de::DeserializeOwned>(p: &Value) -> Result<T, Refusal> {
    lc_types::from_value(p.clone()).map_err(|e| Refusal::mock_bug(format!("the request as v3.6 reads it: {e}")))
}

/// A typed value as the JSON the state keeps.
pub(crate) fn to_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// A typed object (properties, ...) as the JSON object the state keeps; absent: empty.
pub(crate) fn to_object(value: Option<&impl serde::Serialize>) -> serde_json::Map<String, Value> {
    match value.map(to_json) {
        Some(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
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

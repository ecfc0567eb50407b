//! Greetings (accept, cancel, button clicks) and the welcome message.

use serde_json::{json, Value};

use super::{api, configuration::predicted_agent};
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::state::{now, GreetingStatus};

pub(super) fn accept_greeting(ctx: &mut Ctx, r: &api::AcceptGreetingRequest) -> Result<Value, Refusal> {
    answer_greeting(ctx, &r.unique_id, Some(r.greeting_id))
}

pub(super) fn cancel_greeting(ctx: &mut Ctx, r: &api::CancelGreetingRequest) -> Result<Value, Refusal> {
    answer_greeting(ctx, &r.unique_id, None)
}

/// Accepts (with the greeting's template ID, which must match) or cancels a pending greeting.
fn answer_greeting(ctx: &mut Ctx, unique_id: &str, accepted_id: Option<i64>) -> Result<Value, Refusal> {
    let accept = accepted_id.is_some();
    let customer = ctx.customer.clone();
    let greeting = ctx
        .state
        .greetings
        .get_mut(unique_id)
        .filter(|g| g.customer_id == customer && g.status == GreetingStatus::Pending)
        .filter(|g| accepted_id.is_none_or(|id| g.greeting["id"] == id))
        .ok_or_else(|| Refusal::new("greeting_not_found", "Greeting not found"))?;
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

pub(super) fn greeting_button_clicked(ctx: &mut Ctx, r: &api::SendGreetingButtonClickedRequest) -> Result<Value, Refusal> {
    let customer = ctx.customer.clone();
    ctx.state
        .greetings
        .get(&r.greeting_unique_id)
        .filter(|g| g.customer_id == customer)
        .ok_or_else(|| Refusal::new("greeting_not_found", "Greeting not found"))?;
    Ok(json!({}))
}

/// Answers with the predicted agent and sends the message as `incoming_welcome_message`.
pub(super) fn request_welcome_message(ctx: &mut Ctx, r: &api::RequestWelcomeMessageRequest) -> Result<Value, Refusal> {
    let group = r
        .group_id
        .unwrap_or_else(|| ctx.state.customers.get(&ctx.customer).map_or(0, |c| c.group_id));
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

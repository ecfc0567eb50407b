//! The customer: `login`, `get_customer`, `update_customer`, session fields, the page, email
//! verification.

use serde_json::{json, Map, Value};

use lc_types::limits;

use super::{api, to_json, to_object};
use crate::ctx::{Ctx, PushOut, To};
use crate::error::Refusal;
use crate::state::{now, Chat, GreetingStatus};

fn customer_fields<'a>(ctx: &'a mut Ctx, id: &str) -> Result<&'a mut Map<String, Value>, Refusal> {
    ctx.state
        .customers
        .get_mut(id)
        .map(|c| &mut c.fields)
        .ok_or_else(|| Refusal::not_found("Customer"))
}

/// `get_customer`: the customer with its statistics.
fn customer_json(ctx: &Ctx) -> Result<Value, Refusal> {
    customer_with_statistics(ctx.state, &ctx.customer)
}

/// Customer `id`'s fields with its `statistics` (`not_found` when there is none).
pub(crate) fn customer_with_statistics(state: &crate::state::State, id: &str) -> Result<Value, Refusal> {
    let customer = state.customers.get(id).ok_or_else(|| Refusal::not_found("Customer"))?;
    let chats = state.chats_of(id);
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

pub(super) fn get_customer(ctx: &mut Ctx) -> Result<Value, Refusal> {
    customer_json(ctx)
}

/// The session fields after merging `new` into `old`, keeping the order; at most 100 keys.
fn merge_session_fields(old: Option<&Value>, new: &api::SessionFields) -> Result<Value, Refusal> {
    let old = old.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object);
    let old = old.flatten().map(|(k, v)| (k, v.clone()));
    let new = new.iter().flatten().map(|(k, v)| (k, Value::String(v.clone())));
    let mut fields: Vec<(String, Value)> = Vec::new();
    for (k, v) in old.chain(new) {
        match fields.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = v,
            None => fields.push((k.clone(), v)),
        }
    }
    if fields.len() > limits::MAX_SESSION_FIELDS {
        return Err(Refusal::new("limit_reached", "Session fields limit reached (100 keys)"));
    }
    Ok(Value::Array(fields.into_iter().map(|(k, v)| json!({ k: v })).collect()))
}

/// Sets the customer's fields from `given` (a typed customer update as JSON), its
/// `session_fields` merged into the kept ones; returns the fields as set.
fn set_customer_fields(
    ctx: &mut Ctx,
    id: &str,
    mut given: Map<String, Value>,
    session_fields: Option<&api::SessionFields>,
) -> Result<Map<String, Value>, Refusal> {
    let fields = customer_fields(ctx, id)?;
    if let Some(new) = session_fields {
        let merged = merge_session_fields(fields.get("session_fields"), new)?;
        given.insert("session_fields".into(), merged);
    }
    for (k, v) in &given {
        fields.insert(k.clone(), v.clone());
    }
    Ok(given)
}

/// At least one field must be given (reference §2.2); pushes `customer_updated` with the
/// changed fields.
pub(super) fn update_customer(ctx: &mut Ctx, r: &api::UpdateCustomerRequest) -> Result<Value, Refusal> {
    let customer = ctx.customer.clone();
    update_fields(ctx, &customer, to_object(Some(r)), r.session_fields.as_ref())?;
    Ok(json!({}))
}

/// Sets customer `id`'s fields from `given` (at least one, else `validation`), its
/// `session_fields` merged into the kept ones; `customer_updated` with the changed fields.
pub(crate) fn update_fields(
    ctx: &mut Ctx,
    id: &str,
    given: Map<String, Value>,
    session_fields: Option<&api::SessionFields>,
) -> Result<(), Refusal> {
    if given.is_empty() {
        return Err(Refusal::validation("At least one field is required"));
    }
    let mut changed = set_customer_fields(ctx, id, given, session_fields)?;
    changed.insert("id".into(), json!(id));
    let agents = ctx.state.customer_audience(id);
    ctx.push(id, "customer_updated", Value::Object(changed.clone()));
    ctx.push_to_agents(agents, "customer_updated", Value::Object(changed));
    Ok(())
}

/// No push: the changelog says `set_customer_session_fields` does not send `customer_updated`
/// (see the push table's conflict note in `schema/`). The webhook
/// `customer_session_fields_updated` goes out once per active chat of the customer.
pub(super) fn set_session_fields(ctx: &mut Ctx, r: &api::SetCustomerSessionFieldsRequest) -> Result<Value, Refusal> {
    let id = ctx.customer.clone();
    let fields = customer_fields(ctx, &id)?;
    let merged = merge_session_fields(fields.get("session_fields"), &r.session_fields)?;
    fields.insert("session_fields".into(), merged.clone());
    let active: Vec<(String, String)> = ctx
        .state
        .chats
        .values()
        .filter(|c| c.customer_id == id && c.active())
        .map(|c| (c.id.clone(), c.last_thread().id.clone()))
        .collect();
    for (chat_id, thread_id) in active {
        ctx.pushes.push(PushOut {
            to: To::Webhooks,
            name: "customer_session_fields_updated",
            payload: json!({"id": id, "active_chat": {"chat_id": chat_id, "thread_id": thread_id}, "session_fields": merged}),
        });
    }
    Ok(json!({}))
}

pub(super) fn update_customer_page(ctx: &mut Ctx, r: &api::UpdateCustomerPageRequest) -> Result<Value, Refusal> {
    let id = ctx.customer.clone();
    let customer = ctx.state.customers.get_mut(&id).ok_or_else(|| Refusal::not_found("Customer"))?;
    customer.page = Some(json!({"url": r.url, "title": r.title, "opened_at": now()}));
    customer.page_views += 1;
    // The group assignment never changes in the mock, so 3.6+ answers without `groups`.
    Ok(json!({}))
}

/// The login response: customer, chats with unread marks, pending greeting. The transport
/// registers the connection and applies `pushes`.
pub(super) fn login(ctx: &mut Ctx, r: &api::LoginRequest) -> Result<Value, Refusal> {
    let id = ctx.customer.clone();
    {
        let customer = ctx.state.customers.get_mut(&id).ok_or_else(|| Refusal::not_found("Customer"))?;
        customer.visits += 1;
        if let Some(storage) = &r.customer_side_storage {
            customer.side_storage = to_object(Some(storage));
        }
        if let Some(page) = &r.customer_page {
            customer.page = Some(to_json(page));
            customer.page_views += 1;
        }
        if let Some(group) = r.group_id {
            customer.group_id = group;
        }
    }
    if let Some(details) = &r.customer {
        set_customer_fields(ctx, &id, to_object(Some(details)), details.session_fields.as_ref())?;
    }
    let chats = ctx.state.chats_of(&id);
    let has_active_thread = chats.iter().any(|c| c.active());
    let chat_list: Vec<Value> = chats
        .iter()
        .map(|c| json!({"chat_id": c.id, "has_unread_events": has_unread(c, &id)}))
        .collect();
    let mut out = json!({
        "customer": customer_json(ctx)?,
        "has_active_thread": has_active_thread,
        "chats": chat_list,
        "__priv_dynamic_config": dynamic_config(ctx, &id),
    });
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

/// The login's `__priv_dynamic_config` (the schema's `DynamicConfig`): the groups with an
/// agent available now (`online` or `online_for_queue`; the list is left out when there is
/// none, as the official browser SDK expects) and the customer's group as the monitoring one.
fn dynamic_config(ctx: &Ctx, customer: &str) -> Value {
    let online = ctx.state.online_groups();
    let group = ctx.state.customers.get(customer).map_or(0, |c| c.group_id);
    let mut config = json!({"customer_groups": {"monitoring": {"id": group}}});
    if !online.is_empty() {
        config["online_groups_ids"] = json!(online);
    }
    config
}

/// Whether `chat` has events by someone else newer than what `user` has seen.
fn has_unread(chat: &Chat, user: &str) -> bool {
    let seen = chat.seen.get(user).map(String::as_str).unwrap_or("");
    chat.threads
        .iter()
        .flat_map(|t| t.events.iter())
        .any(|e| e["author_id"] != user && e["created_at"].as_str().unwrap_or("") > seen)
}

/// Keeps the callback (only the 10 most recent are honoured) for the agent side to verify.
pub(super) fn request_email_verification(ctx: &mut Ctx, r: &api::RequestEmailVerificationRequest) -> Result<Value, Refusal> {
    let id = ctx.customer.clone();
    let customer = ctx.state.customers.get_mut(&id).ok_or_else(|| Refusal::not_found("Customer"))?;
    customer.email_callbacks.push(r.callback_uri.clone());
    let excess = customer.email_callbacks.len().saturating_sub(10);
    customer.email_callbacks.drain(..excess);
    Ok(json!({}))
}

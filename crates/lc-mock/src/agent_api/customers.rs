//! Customers, routing statuses and the license, as agents read and change them.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[cfg(feature = "v3_5")]
use super::Cursor;
use super::{api, done};
use crate::actions::{self, to_object};
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::state::{Agent, State};

/// Customer `id` as agents see it: its fields, `statistics`, and `chat_ids` when it has chats.
pub(super) fn customer_view(state: &State, id: &str) -> Result<Value, Refusal> {
    let mut out = actions::customer_with_statistics(state, id)?;
    let chats: Vec<&str> = state.chats_of(id).iter().map(|c| c.id.as_str()).collect();
    if !chats.is_empty() {
        out["chat_ids"] = json!(chats);
    }
    Ok(out)
}

pub(super) fn get_customer(ctx: &mut Ctx, r: &api::GetCustomerRequest) -> Result<Value, Refusal> {
    customer_view(ctx.state, &r.id)
}

/// At least one field besides `id`; `customer_updated` to the customer, as its own update.
pub(super) fn update_customer(ctx: &mut Ctx, r: &api::UpdateCustomerRequest) -> Result<Value, Refusal> {
    let mut given = to_object(Some(r));
    given.remove("id");
    actions::update_fields(ctx, &r.id, given, r.session_fields.as_ref())?;
    done()
}

/// The longest ban the mock keeps: 100 years (a longer one is kept as this long).
const MAX_BAN_DAYS: u64 = 36_500;

/// Refuses the customer's requests for `ban.days` days (`customer_banned`), and tells its RTM
/// connections why (`customer_disconnected`, reason `customer_banned`).
pub(super) fn ban_customer(ctx: &mut Ctx, r: &api::BanCustomerRequest) -> Result<Value, Refusal> {
    let days = u64::try_from(r.ban.days).map_err(|_| Refusal::validation("`ban.days` must not be negative"))?;
    let customer = ctx.state.customers.get_mut(&r.id).ok_or_else(|| Refusal::not_found("Customer"))?;
    let lasts = Duration::from_secs(days.min(MAX_BAN_DAYS) * 86_400);
    customer.banned_until = Instant::now().checked_add(lasts);
    ctx.push(&r.id, "customer_disconnected", json!({"reason": "customer_banned"}));
    let agents = ctx.state.customer_audience(&r.id);
    let push = json!({"customer_id": r.id, "ban": {"days": days.min(MAX_BAN_DAYS)}});
    ctx.push_to_agents(agents, "customer_banned", push);
    done()
}

/// Newest first by default, 10 a page (at most 100); the filters the mock reads are
/// `customer_id`, `email`, `name` (`values` / `exclude_values`) and
/// `include_customers_without_chats` (default `true`); others are accepted and not applied.
#[cfg(feature = "v3_5")]
pub(super) fn list_customers(ctx: &mut Ctx, _r: &lc_types::v3_5::agent::ListCustomersRequest, p: &Value) -> Result<Value, Refusal> {
    let cursor = Cursor::of_request(p, "LC", 10, 100)?;
    let f = &cursor.filters;
    let field_ok = |filter: &Value, have: Option<&str>| {
        let listed = |key: &str| filter[key].as_array().map(|l| have.is_some_and(|h| l.iter().any(|v| v == h)));
        listed("values").unwrap_or(true) && !listed("exclude_values").unwrap_or(false)
    };
    let without_chats = f["include_customers_without_chats"] != false;
    // IDs hold their creation number at a fixed width: sorted, they are in creation order.
    let mut ids: Vec<&String> = ctx
        .state
        .customers
        .iter()
        .filter(|(id, c)| {
            let text = |k: &str| c.fields.get(k).and_then(Value::as_str);
            field_ok(&f["customer_id"], Some(id.as_str()))
                && field_ok(&f["email"], text("email"))
                && field_ok(&f["name"], text("name"))
                && (without_chats || !ctx.state.chats_of(id).is_empty())
        })
        .map(|(id, _)| id)
        .collect();
    ids.sort_by(|a, b| b.cmp(a));
    let total = ids.len();
    let (shown, cursors) = cursor.page(&ids, "LC");
    let customers = shown
        .into_iter()
        .map(|id| customer_view(ctx.state, id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(super::with_cursors(
        json!({"customers": customers, "total_customers": total}),
        cursors,
    ))
}

/// A customer without a token, with the fields given; `{customer_id}`.
#[cfg(feature = "v3_5")]
pub(super) fn create_customer(ctx: &mut Ctx, r: &lc_types::v3_5::agent::CreateCustomerRequest) -> Result<Value, Refusal> {
    let id = ctx.state.new_customer_without_token();
    let given = to_object(Some(r));
    if let Some(customer) = ctx.state.customers.get_mut(&id) {
        customer.fields.extend(given);
    }
    Ok(json!({ "customer_id": id }))
}

/// The mock's license: created when the process started, a year from expiry, not in trial.
pub(super) fn get_license_info() -> Result<Value, Refusal> {
    let created = lc_types::Timestamp::from_unix_micros(1_700_000_000_000_000);
    let expires = lc_types::Timestamp::from_unix_micros(4_102_444_800_000_000);
    Ok(json!({
        "license_id": "100000001", "created_at": created.as_str(), "expires_at": expires.as_str(), "in_trial": false,
    }))
}

/// The requester's (or `agent_id`'s) status; `offline` only for bots (`validation`).
pub(super) fn set_routing_status(ctx: &mut Ctx, me: &Agent, r: &api::SetRoutingStatusRequest) -> Result<Value, Refusal> {
    let id = r.agent_id.clone().unwrap_or_else(|| me.id.clone());
    let agent = ctx.state.agents.get_mut(&id).ok_or_else(|| Refusal::not_found("Agent"))?;
    let status = r.status.as_str();
    if status == "offline" && !agent.is_bot {
        return Err(Refusal::validation("Only bots can be set `offline`"));
    }
    agent.routing_status = status.to_owned();
    agent.auto_away = false;
    ctx.push_to_all_agents("routing_status_set", json!({"agent_id": id, "status": status}));
    done()
}

/// Every agent (of `filters.group_ids`, when given) with its status: a top-level array.
pub(super) fn list_routing_statuses(ctx: &mut Ctx, r: &api::ListRoutingStatusesRequest) -> Result<Value, Refusal> {
    let groups = r.filters.as_ref().and_then(|f| f.group_ids.as_ref());
    let items: Vec<Value> = ctx
        .state
        .agents
        .values()
        .filter(|a| groups.is_none_or(|g| g.iter().any(|g| a.groups.contains(g))))
        .map(|a| json!({"agent_id": a.id, "status": a.routing_status}))
        .collect();
    Ok(Value::Array(items))
}

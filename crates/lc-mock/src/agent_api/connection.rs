//! What only an agent's RTM connection does (reference §2.2, §7.2): `login` and the
//! `incoming_customers` push after it, `set_away_status`, `subscribe_customers`. The connection
//! keeps its own part (away or not, its subscriptions); these change and read the state.

use serde_json::{json, Value};

use super::{api, chats, customers::customer_view, typed};
use crate::ctx::Ctx;
use crate::error::Refusal;
use crate::state::{Agent, State};

/// The agent `agent`, or `authentication` when it is gone.
fn agent(ctx: &Ctx, agent: &str) -> Result<Agent, Refusal> {
    ctx.state
        .agents
        .get(agent)
        .cloned()
        .ok_or_else(|| Refusal::new("authentication", "The agent is gone"))
}

/// The `login` response: the license, the agent's profile, and the chats it sees as
/// `list_chats` summarizes them (`chats_summary`; 3.7: `chats_info`), newest first, at most 100.
pub(crate) fn login(ctx: &mut Ctx, me: &str) -> Result<Value, Refusal> {
    let me = agent(ctx, me)?;
    let listed = chats::list_chats(ctx, &me, &api::ListChatsRequest::default(), &json!({"limit": 100}))?;
    let key = if ctx.at_least(3, 7) { "chats_info" } else { "chats_summary" };
    Ok(json!({
        "license": {
            "id": "100000001", "organization_id": ctx.state.organization_id, "plan": "enterprise",
            "creation_timestamp": 1_700_000_000, "expiration_timestamp": 4_102_444_800_u64, "in_trial": false,
        },
        "my_profile": {
            "id": me.id, "type": "agent", "name": me.name, "email": me.id,
            "avatar": "https://cdn.mock.invalid/avatar.png", "routing_status": me.routing_status, "permission": me.role,
        },
        key: listed[key],
    }))
}

/// The `incoming_customers` payload after a login: at `customer_monitoring_level` `my` (the
/// only level the mock keeps), the customers of the active chats the agent is in.
pub(crate) fn incoming_customers(state: &State, me: &str) -> Result<Value, Refusal> {
    let mut customers = Vec::new();
    for chat in state.chats.values().filter(|c| c.active() && c.agents.contains_key(me)) {
        customers.push(customer_view(state, &chat.customer_id)?);
    }
    Ok(json!({"customer_monitoring_level": "my", "customers": customers}))
}

/// `set_away_status` once the connection's flag is set: when every connection of the agent
/// is away (`all_away`) an accepting agent becomes `not_accepting_chats`; when one is back,
/// an agent the away status made so accepts chats again. `routing_status_set` to every agent
/// when the status changes.
pub(crate) fn set_away(ctx: &mut Ctx, me: &str, all_away: bool) -> Result<Value, Refusal> {
    let mut me = agent(ctx, me)?;
    let status = match (all_away, me.routing_status.as_str(), me.auto_away) {
        (true, "accepting_chats", _) => Some((true, "not_accepting_chats")),
        (false, "not_accepting_chats", true) => Some((false, "accepting_chats")),
        _ => None,
    };
    if let Some((auto, status)) = status {
        me.routing_status = status.to_owned();
        me.auto_away = auto;
        ctx.push_to_all_agents("routing_status_set", json!({"agent_id": me.id, "status": status}));
        ctx.state.agents.insert(me.id.clone(), me);
    }
    Ok(json!({}))
}

/// `subscribe_customers` as subscription `id`: the customers of `group_ids` (every group
/// when absent) the agent may see, at most `limit` of them.
pub(crate) fn subscribe_customers(ctx: &mut Ctx, me: &str, id: &str, p: &Value) -> Result<Value, Refusal> {
    let me = agent(ctx, me)?;
    let r: api::SubscribeCustomersRequest = typed(p)?;
    let limit = r.limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let mut customers = Vec::new();
    for (cid, c) in ctx.state.customers.iter() {
        let in_groups = r.group_ids.as_ref().is_none_or(|g| g.contains(&c.group_id));
        if in_groups && me.can_access(&json!({"group_ids": [c.group_id]})) && customers.len() < limit {
            customers.push(customer_view(ctx.state, cid)?);
        }
    }
    Ok(json!({"subscription_id": id, "customers": customers}))
}

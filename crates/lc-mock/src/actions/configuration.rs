//! Groups, forms, the predicted agent, URL info, the dynamic configuration, the configuration
//! and the localization.

use serde_json::{json, Map, Value};

use super::api;
use crate::ctx::Ctx;
use crate::error::Refusal;

/// `all` or `group_ids`; unknown group IDs are left out.
pub(super) fn list_group_statuses(ctx: &mut Ctx, r: &api::ListGroupStatusesRequest) -> Result<Value, Refusal> {
    let all = r.all.unwrap_or(false);
    let ids = r.group_ids.as_ref();
    if !all && ids.is_none() {
        return Err(Refusal::validation("One of `all` or `group_ids` is required"));
    }
    let statuses: Map<String, Value> = ctx
        .state
        .groups
        .iter()
        .filter(|(id, _)| all || ids.is_some_and(|ids| ids.contains(id)))
        .map(|(id, s)| (id.to_string(), json!(s)))
        .collect();
    Ok(json!({ "groups_status": statuses }))
}

pub(super) fn get_form(ctx: &mut Ctx, r: &api::GetFormRequest) -> Result<Value, Refusal> {
    if !ctx.state.groups.contains_key(&r.group_id) {
        return Err(Refusal::group_not_found());
    }
    Ok(match ctx.state.forms.get(&(r.group_id, r.type_.as_str().to_owned())) {
        Some(form) => json!({"enabled": true, "form": form}),
        None => json!({"enabled": false}),
    })
}

/// The first agent; `group_offline` when the customer's group is offline.
pub(super) fn predicted_agent(ctx: &Ctx, group: i64) -> Result<Value, Refusal> {
    match ctx.state.groups.get(&group).map(String::as_str) {
        None => return Err(Refusal::group_not_found()),
        Some("offline") => return Err(Refusal::new("group_offline", "Group is offline")),
        Some(_) => {}
    }
    let agent = ctx
        .state
        .agents
        .values()
        .next()
        .ok_or_else(|| Refusal::new("group_unavailable", "No agent available for group"))?;
    Ok(agent.profile())
}

/// The agent of `group_id` (the official customer-sdk sends it), else of the customer's group.
pub(super) fn get_predicted_agent(ctx: &mut Ctx, r: &api::GetPredictedAgentRequest) -> Result<Value, Refusal> {
    let own = ctx.state.customers.get(&ctx.customer).map_or(0, |c| c.group_id);
    let group = r.group_id.unwrap_or(own);
    Ok(json!({"agent": predicted_agent(ctx, group)?, "queue": false}))
}

/// A title made from the URL; nothing is fetched.
pub(super) fn get_url_info(r: &api::GetUrlInfoRequest) -> Result<Value, Refusal> {
    let url = &r.url;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(Refusal::validation("`url` must be an http(s) URL"));
    }
    let host = url.split('/').nth(2).unwrap_or_default();
    Ok(json!({"url": url, "title": host, "description": format!("A page on {host}")}))
}

/// 3.6+ nests the LiveChat part under `livechat`; 3.5 has it flat.
pub(super) fn get_dynamic_configuration(ctx: &mut Ctx, r: &api::GetDynamicConfigurationRequest) -> Result<Value, Refusal> {
    let group = r.group_id.unwrap_or(0);
    if !ctx.state.groups.contains_key(&group) {
        return Err(Refusal::group_not_found());
    }
    let online = ctx.state.online_groups();
    let mut livechat = json!({
        "group_id": group, "client_limit_exceeded": false, "domain_allowed": true,
        "config_version": "mock-config-1", "localization_version": "mock-localization-1", "language": "en",
    });
    if !online.is_empty() {
        livechat["online_group_ids"] = json!(online);
    }
    if ctx.at_least(3, 6) {
        let org = &ctx.state.organization_id;
        Ok(json!({"organization_id": org, "default_widget": "livechat", "livechat_active": true, "livechat": livechat}))
    } else {
        livechat["organization_id"] = json!(ctx.state.organization_id);
        Ok(livechat)
    }
}

pub(super) fn get_configuration(ctx: &mut Ctx, r: &api::GetConfigurationRequest) -> Result<Value, Refusal> {
    let group = r.group_id;
    if !ctx.state.groups.contains_key(&group) {
        return Err(Refusal::group_not_found());
    }
    let mut out = json!({
        "buttons": [{"id": "mock-button", "type": "text", "online_value": "Chat now", "offline_value": "Leave a message"}],
        "integrations": {},
        "properties": {
            "group": ctx.state.group_properties.get(&group).cloned().unwrap_or_default(),
            "license": ctx.state.license_properties,
        },
    });
    if let Some(form) = ctx.state.forms.get(&(group, "prechat".to_owned())) {
        out["prechat_form"] = form.clone();
    }
    if let Some(form) = ctx.state.forms.get(&(group, "ticket".to_owned())) {
        out["ticket_form"] = form.clone();
    }
    Ok(out)
}

//! `lc actions`: the action and push tables of one API (customer or agent) in one version.

use lc_types::{ApiVersion, ChatApi};
use serde_json::{json, Value};

use crate::Failure;

/// List every action (Web method, RTM, request and response types) and push of an API version.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  lc actions\n  lc actions --api agent\n  lc actions --api-version 3.7 --json | jq '.actions[].name'")]
pub(crate) struct ActionsArgs {
    /// The API: `customer` (the Customer Chat API) or `agent` (the Agent Chat API).
    #[arg(long, default_value_t = ChatApi::Customer, value_parser = crate::parse_chat_api, value_name = "API")]
    api: ChatApi,
    /// The API version.
    #[arg(long, default_value_t = lc_types::endpoint::default_version(), value_parser = crate::parse_version, value_name = "X.Y")]
    api_version: ApiVersion,
    /// One JSON object: {"actions": [...], "pushes": [...]}.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: ActionsArgs) -> Result<(), Failure> {
    let api = crate::api_of(args.api, args.api_version)?;
    if args.json {
        let actions: Vec<Value> = api
            .actions
            .iter()
            .map(|a| json!({"name": a.name, "web": a.web.map(|m| m.as_str()), "rtm": a.rtm, "token": a.needs_token, "idempotent": a.idempotent, "request": a.request, "response": a.response}))
            .collect();
        let pushes: Vec<Value> = api.pushes.iter().map(|p| json!({"name": p.name, "type": p.payload})).collect();
        out!("{}", json!({"actions": actions, "pushes": pushes}));
        return Ok(());
    }
    out!(
        "{} v{}: {} actions, {} pushes\n",
        api.api.title(),
        api.version,
        api.actions.len(),
        api.pushes.len()
    );
    out!("{:<30} {:<10} {:<4} {:<36} RESPONSE", "ACTION", "WEB", "RTM", "REQUEST");
    for a in api.actions {
        let web = a.web.map_or("-", |m| m.as_str());
        let rtm = if a.rtm { "yes" } else { "no" };
        out!(
            "{:<30} {:<10} {:<4} {:<36} {}",
            a.name,
            web,
            rtm,
            a.request.unwrap_or("(multipart)"),
            a.response
        );
    }
    out!("\n{:<33} TYPE", "PUSH");
    for p in api.pushes {
        out!("{:<33} {}", p.name, p.payload);
    }
    Ok(())
}

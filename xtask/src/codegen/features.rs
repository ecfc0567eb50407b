//! Step 7c, the cargo features: takes the text of `lc-types/Cargo.toml` and the version
//! [`Module`]s, and gives that text with its generated features block listing one feature per
//! version, `all-versions`, one per API and `all-apis`.

use super::bundle::Api;
use super::{Module, CARGO_TOML};

const FEATURES_START: &str = "# @generated-features-start (kept in step by `cargo xtask codegen`)";
const FEATURES_END: &str = "# @generated-features-end";

/// Rewrites the features block of `lc-types/Cargo.toml` to list every version and API.
pub(super) fn features(cargo: &str, modules: &[Module]) -> Result<String, String> {
    let (head, rest) = cargo
        .split_once(FEATURES_START)
        .ok_or_else(|| format!("{CARGO_TOML}: no `{FEATURES_START}` line"))?;
    let (_, tail) = rest
        .split_once(FEATURES_END)
        .ok_or_else(|| format!("{CARGO_TOML}: no `{FEATURES_END}` line"))?;
    let versions: Vec<&Module> = modules.iter().filter(|m| m.version.is_some()).collect();
    let mut block = String::new();
    for m in &versions {
        block.push_str(&format!("{} = []\n", m.name));
    }
    let all: Vec<String> = versions.iter().map(|m| format!("\"{}\"", m.name)).collect();
    block.push_str(&format!("# Every API version.\nall-versions = [{}]\n", all.join(", ")));
    let mut apis: Vec<Api> = versions.iter().flat_map(|m| m.units.iter().map(|u| u.api)).collect();
    apis.sort();
    apis.dedup();
    for api in &apis {
        block.push_str(&format!(
            "# The {} (module `vX_Y::{}` of each version on).\n{} = []\n",
            super::share::api_title(*api),
            api.name(),
            api.name()
        ));
    }
    if apis.contains(&Api::Agent) {
        block.push_str("# Webhook deliveries (`lc_types::webhook`, `vX_Y::agent::AnyWebhook`): their payloads are agent pushes.\nwebhooks = [\"agent\"]\n");
    }
    let mut all: Vec<String> = apis.iter().map(|a| format!("\"{}\"", a.name())).collect();
    if apis.contains(&Api::Agent) {
        all.push("\"webhooks\"".to_owned());
    }
    block.push_str(&format!("# Every API.\nall-apis = [{}]\n", all.join(", ")));
    Ok(format!("{head}{FEATURES_START}\n{block}{FEATURES_END}{tail}"))
}

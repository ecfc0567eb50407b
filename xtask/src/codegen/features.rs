//! Step 7c, the cargo features: takes the text of `lc-types/Cargo.toml` and the (version, module)
//! of every version, and gives that text with its generated features block listing one feature
//! per version and `all-versions`.

use super::CARGO_TOML;

const FEATURES_START: &str = "# @generated-features-start (kept in step by `cargo xtask codegen`)";
const FEATURES_END: &str = "# @generated-features-end";

/// Rewrites the features block of `lc-types/Cargo.toml` to list every version.
pub(super) fn features(cargo: &str, modules: &[(String, String)]) -> Result<String, String> {
    let (head, rest) = cargo
        .split_once(FEATURES_START)
        .ok_or_else(|| format!("{CARGO_TOML}: no `{FEATURES_START}` line"))?;
    let (_, tail) = rest
        .split_once(FEATURES_END)
        .ok_or_else(|| format!("{CARGO_TOML}: no `{FEATURES_END}` line"))?;
    let mut block = String::new();
    for (_, module) in modules {
        block.push_str(&format!("{module} = []\n"));
    }
    let all: Vec<String> = modules.iter().map(|(_, m)| format!("\"{m}\"")).collect();
    block.push_str(&format!("# Every API version.\nall-versions = [{}]\n", all.join(", ")));
    Ok(format!("{head}{FEATURES_START}\n{block}{FEATURES_END}{tail}"))
}

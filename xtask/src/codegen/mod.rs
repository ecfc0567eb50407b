//! `cargo xtask codegen [--check]`: every `schema/vX.Y/` directory becomes the module
//! `crates/lc-types/src/generated/vX_Y/`, with one module per API: `customer/` from the
//! directory's own files, `agent/` from its `agent/` folder (each a `mod.rs` and one file per
//! folder of the schema: `objects.rs`, `requests.rs`, `responses.rs`, `pushes.rs`); plus the
//! modules of the types several versions or APIs share (split the same way), the module list and
//! the cargo features.
//!
//! The pipeline, in order ([`generate`] runs steps 1 to 7, `main` then calls step 8):
//!
//! 1. [`discover`]: the version directories under `schema/`, oldest first.
//! 2. [`bundle`]: one API of one version (a *unit*): its schema files, checked -> a [`Bundle`](bundle::Bundle),
//!    the single-root `definitions` typify takes plus the manifest's actions and pushes.
//! 3. [`version_code`](mod@version_code): one unit's driver: a bundle -> typify's items for it, then steps 4 and 5 -> a [`VersionCode`].
//! 4. [`postprocess`]: the syn pass over typify's items (open enums, unions, `extra`, ...).
//! 5. [`manifest`]: the items the manifest gives (trait impls, `Any*` enums, tables).
//! 6. [`share`]: every unit's code -> the files of the version and API modules and of the
//!    modules holding the types several units share, and the [`Module`] list.
//! 7. The crate-level files, from the module list: [`generated_mod`] (`generated/mod.rs`),
//!    [`versioned`] (`generated/versioned.rs`), [`features`] (`lc-types/Cargo.toml`'s features).
//! 8. [`write`](mod@write): the files -> the tree (or, with `--check`, a comparison with it).
//!
//! [`render`] holds what steps 5 to 7 share: doc lines, the order of items, a file's text.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

pub(crate) mod bundle;
mod discover;
mod features;
mod generated_mod;
mod manifest;
pub(crate) mod postprocess;
mod render;
mod share;
pub(crate) mod tidy;
mod version_code;
mod versioned;
mod write;

pub(crate) use discover::versions;
pub(crate) use generated_mod::mod_rs;
pub(crate) use share::{assemble, Module};
pub(crate) use version_code::{version_code, VersionCode};
pub(crate) use write::write_or_check;

/// The generated files, by path relative to the workspace root.
pub(crate) type Output = BTreeMap<PathBuf, String>;

pub(crate) const GENERATED_DIR: &str = "crates/lc-types/src/generated";
pub(crate) const CARGO_TOML: &str = "crates/lc-types/Cargo.toml";

/// Generates every file in memory.
pub(crate) fn generate(root: &Path) -> Result<Output, Vec<String>> {
    let mut codes = Vec::new();
    let mut errors = Vec::new();
    for (_, dir) in versions(root).map_err(|e| vec![e])? {
        // The customer API (the version directory's own files), then the agent's (`agent/`) and
        // the Configuration API's (`configuration/`).
        for api in bundle::Api::ALL {
            if !dir.join(api.prefix()).join("api.json").is_file() {
                continue;
            }
            match bundle::bundle_api(&dir, api).and_then(|b| version_code(&b)) {
                Ok(code) => codes.push(code),
                Err(e) => errors.extend(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Output::new();
    let (files, modules) = assemble(&codes);
    for (name, text) in files {
        out.insert(Path::new(GENERATED_DIR).join(format!("{name}.rs")), text);
    }
    out.insert(Path::new(GENERATED_DIR).join("mod.rs"), render::rustfmt(&mod_rs(&modules)));
    out.insert(Path::new(GENERATED_DIR).join("versioned.rs"), versioned::versioned_rs(&modules));
    let cargo = fs::read_to_string(root.join(CARGO_TOML)).map_err(|e| vec![format!("{CARGO_TOML}: {e}")])?;
    out.insert(
        PathBuf::from(CARGO_TOML),
        features::features(&cargo, &modules).map_err(|e| vec![e])?,
    );
    Ok(out)
}

#[cfg(test)]
/// typify, the syn pass and the manifest-driven code for one version, rendered alone (no sharing).
pub(crate) fn generate_version(b: &bundle::Bundle) -> Result<String, Vec<String>> {
    let code = version_code(b)?;
    let (files, _) = assemble(std::slice::from_ref(&code));
    // The version's files (`mod.rs`, `objects.rs`, ...), one after the other.
    Ok(files.into_iter().map(|(_, text)| text).collect::<Vec<_>>().join("\n"))
}

#[cfg(test)]
mod tests;

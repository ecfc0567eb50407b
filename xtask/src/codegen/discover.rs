//! Step 1, version discovery: takes the workspace root and gives every `schema/vX.Y/` directory,
//! oldest first, and the module (and cargo feature) name of a version (`3.6` -> `v3_6`).

use std::fs;
use std::path::{Path, PathBuf};

/// The version directories under `schema/`, oldest first.
pub(crate) fn versions(root: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let dir = root.join("schema");
    let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(v) = name.strip_prefix('v') {
            if let Some((major, minor)) = v.split_once('.') {
                if let (Ok(major), Ok(minor)) = (major.parse::<u16>(), minor.parse::<u16>()) {
                    out.push(((major, minor), v.to_owned(), e.path()));
                }
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(format!("{}: no version directories (v<major>.<minor>)", dir.display()));
    }
    Ok(out.into_iter().map(|(_, v, p)| (v, p)).collect())
}

/// `3.6` -> `v3_6`.
pub(super) fn module_name(version: &str) -> String {
    format!("v{}", version.replace('.', "_"))
}

//! Step 8, the writer: takes the generated files ([`Output`], path relative to the workspace
//! root -> text) and writes them to the tree, or with `--check` compares them with it. Gives the
//! number of files written (or removed), or every stale, missing and orphaned file.

use std::fs;
use std::path::Path;

use super::{Output, GENERATED_DIR};

/// Every file under `dir` (relative to `root`), recursively, as paths relative to `root`.
fn files_under(root: &Path, dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let mut out = Vec::new();
    for e in fs::read_dir(root.join(dir))
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
    {
        let rel = dir.join(e.file_name());
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(files_under(root, &rel)?);
        } else {
            out.push(rel);
        }
    }
    Ok(out)
}

/// Writes `out` (or, with `check`, compares it) to the tree at `root`; orphans in the generated
/// directory are removed (or reported).
pub(crate) fn write_or_check(root: &Path, out: &Output, check: bool) -> Result<usize, Vec<String>> {
    let mut problems = Vec::new();
    let mut written = 0;
    for (rel, text) in out {
        let path = root.join(rel);
        let current = fs::read_to_string(&path).ok();
        if current.as_deref() == Some(text.as_str()) {
            continue;
        }
        if check {
            problems.push(format!(
                "{} is {}; run `cargo xtask codegen`",
                rel.display(),
                if current.is_some() { "stale" } else { "missing" }
            ));
        } else {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|e| vec![format!("{}: {e}", parent.display())])?;
            }
            fs::write(&path, text).map_err(|e| vec![format!("{}: {e}", path.display())])?;
            written += 1;
        }
    }
    for rel in files_under(root, Path::new(GENERATED_DIR)).map_err(|e| vec![e])? {
        if !out.contains_key(&rel) {
            if check {
                problems.push(format!("{} is an orphan (no schema directory generates it)", rel.display()));
            } else {
                fs::remove_file(root.join(&rel)).map_err(|err| vec![format!("{}: {err}", rel.display())])?;
                written += 1;
            }
        }
    }
    // Directories left empty by removed files.
    if !check {
        if let Ok(entries) = fs::read_dir(root.join(GENERATED_DIR)) {
            for e in entries.filter_map(Result::ok) {
                let _ = fs::remove_dir(e.path()); // fails, as it should, unless empty
            }
        }
    }
    if problems.is_empty() {
        Ok(written)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests;

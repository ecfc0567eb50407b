//! Step 8, the writer: takes the generated files ([`Output`], path relative to the workspace
//! root -> text) and writes them to the tree, or with `--check` compares them with it. Gives the
//! number of files written (or removed), or every stale, missing and orphaned file.

use std::fs;
use std::path::Path;

use super::{Output, GENERATED_DIR};

/// Writes `out` (or, with `check`, compares it) to the tree at `root`; orphans in the generated
/// directory are removed (or reported).
pub fn write_or_check(root: &Path, out: &Output, check: bool) -> Result<usize, Vec<String>> {
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
    let dir = root.join(GENERATED_DIR);
    for e in fs::read_dir(&dir)
        .map_err(|e| vec![format!("{}: {e}", dir.display())])?
        .filter_map(Result::ok)
    {
        let rel = Path::new(GENERATED_DIR).join(e.file_name());
        if !out.contains_key(&rel) {
            if check {
                problems.push(format!("{} is an orphan (no schema directory generates it)", rel.display()));
            } else {
                fs::remove_file(e.path()).map_err(|err| vec![format!("{}: {err}", rel.display())])?;
                written += 1;
            }
        }
    }
    if problems.is_empty() {
        Ok(written)
    } else {
        Err(problems)
    }
}

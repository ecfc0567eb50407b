//! Step 2a: reads every schema file of a version and names every type (file titles, local
//! definitions), refusing duplicates.

use super::*;

impl Bundler {
    /// Reads every file and names every type.
    pub(super) fn load(&mut self) {
        for folder in FOLDERS {
            let path = self.dir.join(folder);
            let Ok(entries) = fs::read_dir(&path) else {
                continue;
            };
            let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            files.sort();
            for file in files {
                let Some(stem) = file.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                    continue;
                };
                if !stem.ends_with(".json") {
                    continue;
                }
                let rel = format!("{folder}/{stem}");
                let shown = self.shown(&rel);
                let text = match fs::read_to_string(&file) {
                    Ok(t) => t,
                    Err(e) => {
                        self.err(&shown, e);
                        continue;
                    }
                };
                let value: Value = match serde_json::from_str(&text) {
                    Ok(v) => v,
                    Err(e) => {
                        self.err(&shown, format!("not JSON: {e}"));
                        continue;
                    }
                };
                let Some(title) = value.get("title").and_then(Value::as_str).map(str::to_owned) else {
                    self.err(&shown, "no `title` (it is the Rust type name)");
                    continue;
                };
                self.name(&rel, &title, &shown);
                for key in ["definitions", "$defs"] {
                    if let Some(defs) = value.get(key).and_then(Value::as_object) {
                        for (k, d) in defs {
                            let at = format!("{shown}#/{key}/{k}");
                            match d.get("title").and_then(Value::as_str) {
                                Some(t) if t == k => self.name(&format!("{rel}#/{key}/{k}"), k, &at),
                                _ => self.err(&at, format!("a local definition needs `title` equal to its key `{k}`")),
                            }
                        }
                    }
                }
                self.files.insert(rel, value);
            }
        }
        if self.files.is_empty() {
            let shown = self.dir.display().to_string();
            self.err(&shown, "no schema files");
        }
    }

    fn name(&mut self, key: &str, title: &str, at: &str) {
        if let Some(first) = self.origin.get(title) {
            let first = first.clone();
            self.err(at, format!("duplicate type name `{title}` (also defined in {first})"));
            return;
        }
        if !is_type_name(title) {
            self.err(at, format!("`{title}` is not a PascalCase type name"));
        }
        self.origin.insert(title.to_owned(), at.to_owned());
        self.names.insert(key.to_owned(), title.to_owned());
    }
}

//! Step 2a: reads every schema file of a version and names every type (file titles, local
//! definitions), refusing duplicates.

use super::*;

impl Bundler {
    /// Reads every file of the API's folders and names every type; for an API under a
    /// subfolder (`agent/`), then every file of the version's shared `objects/` those files
    /// refer to, and what those refer to (only what the API reaches: the pool also holds the
    /// customer's own views, whose titles the agent's files may reuse).
    pub(super) fn load(&mut self) {
        for folder in FOLDERS {
            let dir = format!("{}{folder}", self.api.prefix());
            let Ok(entries) = fs::read_dir(self.dir.join(&dir)) else {
                continue;
            };
            let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
            files.sort();
            for file in files {
                let Some(name) = file.to_str().filter(|n| n.ends_with(".json")) else {
                    continue;
                };
                self.load_file(&format!("{dir}/{name}"));
            }
        }
        if !self.api.prefix().is_empty() {
            // The shared files the API's files reach, until none is new.
            loop {
                let mut wanted = BTreeSet::new();
                for (rel, value) in &self.files {
                    refs_of(value, &mut |reference| {
                        let file = reference.split_once('#').map_or(reference, |(f, _)| f);
                        if !file.is_empty() {
                            let base = Path::new(rel).parent().unwrap_or(Path::new(""));
                            wanted.insert(normalize(&base.join(file)));
                        }
                    });
                }
                let new: Vec<String> = wanted
                    .into_iter()
                    .filter(|rel| !self.files.contains_key(rel) && !self.unreadable.contains(rel))
                    .collect();
                if new.is_empty() {
                    break;
                }
                for rel in new {
                    if !self.load_file(&rel) {
                        // Reported where the `$ref` is resolved (a file that does not exist),
                        // or as it is read (not JSON, no title).
                        self.unreadable.insert(rel);
                    }
                }
            }
        }
        if self.files.is_empty() {
            let shown = self.dir.join(self.api.prefix()).display().to_string();
            self.err(&shown, "no schema files");
        }
    }

    /// Reads one file (`rel`: its path under the version directory) and names its types;
    /// `false` when it could not be read.
    fn load_file(&mut self, rel: &str) -> bool {
        let shown = self.shown(rel);
        let path = self.dir.join(rel);
        if !path.is_file() {
            return false;
        }
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                self.err(&shown, e);
                return false;
            }
        };
        let value: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                self.err(&shown, format!("not JSON: {e}"));
                return false;
            }
        };
        let Some(title) = value.get("title").and_then(Value::as_str).map(str::to_owned) else {
            self.err(&shown, "no `title` (it is the Rust type name)");
            return false;
        };
        self.name(rel, &title, &shown);
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
        self.files.insert(rel.to_owned(), value);
        true
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

/// Calls `found` with every `$ref` in `value`.
fn refs_of(value: &Value, found: &mut dyn FnMut(&str)) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                found(r);
            }
            map.values().for_each(|v| refs_of(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_of(v, found)),
        _ => {}
    }
}

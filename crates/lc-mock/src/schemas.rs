//! The request schemas of every version, loaded from the repository's `schema/` directory with
//! the `jsonschema` crate: the same files the types are generated from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::Value;

/// Reads `file://` schema references from disk.
struct FileRetriever;

impl Retrieve for FileRetriever {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.path().as_str();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Validators by schema file, built on first use.
#[derive(Default)]
pub(crate) struct Schemas {
    cache: Mutex<BTreeMap<PathBuf, Arc<Validator>>>,
}

/// `schema/` of the workspace this crate was built in.
fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema")
}

impl Schemas {
    /// The validator of `schema/v<version>/<rel>`; an error names the file.
    fn validator(&self, version: &str, rel: &str) -> Result<Arc<Validator>, String> {
        let path = schema_dir().join(format!("v{version}")).join(rel);
        let path = path.canonicalize().map_err(|e| format!("{}: {e}", path.display()))?;
        let mut cache = self.cache.lock().expect("not poisoned");
        if let Some(v) = cache.get(&path) {
            return Ok(v.clone());
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let schema: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let validator = jsonschema::options()
            .with_draft(Draft::Draft7)
            .with_base_uri(format!("file://{}", path.display()))
            .with_retriever(FileRetriever)
            .build(&schema)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let v = Arc::new(validator);
        cache.insert(path, v.clone());
        Ok(v)
    }

    /// The first way `instance` breaks the schema `rel` of `version`, as `<message> at <path>`;
    /// `None` when it is valid.
    pub(crate) fn check(&self, version: &str, rel: &str, instance: &Value) -> Result<Option<String>, String> {
        let v = self.validator(version, rel)?;
        let first = v.iter_errors(instance).next().map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            format!("{e} (at `{at}`)")
        });
        Ok(first)
    }
}

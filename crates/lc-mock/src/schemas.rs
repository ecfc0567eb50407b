//! The JSON Schemas of every version, embedded at build time from the workspace's `schema/`
//! (see `build.rs`) and compiled with the `jsonschema` crate on first use: the same files the
//! `lc-types` structs are generated from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::{Draft, Retrieve, Uri, Validator};
use lc_types::{ApiVersion, ChatApi};
use serde_json::Value;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/schema_files.rs"));
}

/// `schema/<rel>` as JSON: every embedded file is parsed once, on first use. An error names
/// the file.
fn file(rel: &str) -> Result<&'static Value, String> {
    static PARSED: OnceLock<HashMap<&'static str, Result<Value, String>>> = OnceLock::new();
    let all = PARSED.get_or_init(|| {
        let parse = |path: &str, text: &str| serde_json::from_str(text).map_err(|e| format!("schema/{path}: {e}"));
        embedded::FILES.iter().map(|(path, text)| (*path, parse(path, text))).collect()
    });
    match all.get(rel) {
        Some(parsed) => parsed.as_ref().map_err(Clone::clone),
        None => Err(format!("schema/{rel}: not embedded")),
    }
}

/// Resolves `file:///schema/<rel>` references from the embedded files.
struct Embedded;

impl Retrieve for Embedded {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.path().as_str();
        let rel = path.strip_prefix("/schema/").ok_or_else(|| format!("{path}: not under /schema/"))?;
        Ok(file(rel)?.clone())
    }
}

/// Which schema of a version: an action's request or response, a push payload or a webhook's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Request,
    Response,
    Push,
    /// A webhook's payload (the agent manifest's `webhooks`).
    Webhook,
}

/// A version's schema of one action or push of an API, as `kind`.
type Key = (ChatApi, ApiVersion, Kind, String);

/// Compiled validators by key, built on first use; `None` when there is no schema.
#[derive(Default)]
pub(crate) struct Schemas {
    cache: Mutex<HashMap<Key, Option<Arc<Validator>>>>,
}

/// The directory of `api`'s schemas in `version`, under `schema/`: `v3.6` (the customer's),
/// `v3.6/agent`.
fn dir(api: ChatApi, version: ApiVersion) -> String {
    match api {
        ChatApi::Agent => format!("v{version}/agent"),
        ChatApi::Configuration => format!("v{version}/configuration"),
        _ => format!("v{version}"),
    }
}

/// The schema file (under [`dir`]) of `name` as `kind`, from the API's manifest (`api.json`).
fn schema_path(api: ChatApi, version: ApiVersion, kind: Kind, name: &str) -> Option<String> {
    let manifest = file(&format!("{}/api.json", dir(api, version))).ok()?;
    let (list, field) = match kind {
        Kind::Request => ("actions", "request"),
        Kind::Response => ("actions", "response"),
        Kind::Push => ("pushes", "payload"),
        Kind::Webhook => ("webhooks", "payload"),
    };
    let entry = manifest[list].as_array()?.iter().find(|e| e["name"] == name)?;
    Some(entry[field].as_str()?.to_owned())
}

impl Schemas {
    /// The validator of `name` as `kind` in `api`'s `version`; `Ok(None)` when the manifest has
    /// none (e.g. the multipart request of `upload_file`).
    fn validator(&self, api: ChatApi, version: ApiVersion, kind: Kind, name: &str) -> Result<Option<Arc<Validator>>, String> {
        let key = (api, version, kind, name.to_owned());
        if let Some(v) = crate::lock(&self.cache).get(&key) {
            return Ok(v.clone());
        }
        let built = match schema_path(api, version, kind, name) {
            None => None,
            Some(rel) => {
                let rel = format!("{}/{rel}", dir(api, version));
                let schema = file(&rel)?;
                let validator = jsonschema::options()
                    .with_draft(Draft::Draft7)
                    .with_base_uri(format!("file:///schema/{rel}"))
                    .with_retriever(Embedded)
                    .build(schema)
                    .map_err(|e| format!("schema/{rel}: {e}"))?;
                Some(Arc::new(validator))
            }
        };
        crate::lock(&self.cache).insert(key, built.clone());
        Ok(built)
    }

    /// The first way `instance` breaks the schema of `name` as `kind`, as `<message> (at
    /// `<path>`)`; `Ok(None)` when it is valid or there is no schema; `Err` when the schema itself
    /// cannot be loaded (a mock bug).
    pub(crate) fn check(
        &self,
        api: ChatApi,
        version: ApiVersion,
        kind: Kind,
        name: &str,
        instance: &Value,
    ) -> Result<Option<String>, String> {
        let Some(v) = self.validator(api, version, kind, name)? else {
            return Ok(None);
        };
        let first = v.iter_errors(instance).next().map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            format!("{e} (at `{at}`)")
        });
        Ok(first)
    }
}

//! Shared support of the lc test suites: the schema sets, their fixtures, and validation of JSON
//! against the source schemas (the same files the types are generated from).
//!
//! Fixture layout: `tests/fixtures/v<X.Y>/<kind>/<name>/<case>.json` with kind `request`,
//! `response` (name = action), `push` (name = push) or `type` (name = type title); negative
//! fixtures under `invalid/<kind>/<name>/<case>.json` hold `{"path": ..., "input": ...}`. The
//! Customer Chat API's are at the top; another API's are laid out alike below its name
//! (`tests/fixtures/v<X.Y>/agent/`, `.../configuration/`), without inheritance.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::Value;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_owned()
}

/// Reads a JSON file, panicking with its path on failure.
pub fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One fixture file.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// `request`, `response`, `push` or `type`.
    pub kind: String,
    /// Action, push or type name.
    pub name: String,
    /// File stem.
    pub case: String,
    /// Where the file is.
    pub path: PathBuf,
    /// The exact file text.
    pub text: String,
}

impl Fixture {
    /// Whether the case carries something the schema does not know (`unknown_*`).
    pub fn expects_unknowns(&self) -> bool {
        self.case.starts_with("unknown")
    }

    /// `push/incoming_chat/full`.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.kind, self.name, self.case)
    }
}

/// Every API version with a schema directory (`schema/v<X.Y>`), oldest first.
pub fn versions() -> Vec<String> {
    let mut out: Vec<((u16, u16), String)> = sorted_dir(&root().join("schema"))
        .iter()
        .filter_map(|p| {
            let v = p.file_name()?.to_str()?.strip_prefix('v')?.to_owned();
            let (major, minor) = v.split_once('.')?;
            Some(((major.parse().ok()?, minor.parse().ok()?), v))
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, v)| v).collect()
}

/// `tests/fixtures/v<version>`.
pub fn fixture_dir(version: &str) -> PathBuf {
    root().join("tests/fixtures").join(format!("v{version}"))
}

/// The version whose fixtures `version` inherits (its `inherit` file), if any.
pub fn inherits(version: &str) -> Option<String> {
    let path = fixture_dir(version).join("inherit");
    let text = fs::read_to_string(&path).ok()?;
    let base = text.trim().to_owned();
    assert!(
        base != version && fixture_dir(&base).is_dir(),
        "{}: names `{base}`, which has no fixture directory",
        path.display()
    );
    Some(base)
}

/// The fixtures of `version` (`invalid`: the negative ones): its own, plus, for every item it has
/// no directory for, those of the version it inherits from.
pub fn version_fixtures(version: &str, invalid: bool) -> Vec<Fixture> {
    let sub = |v: &str| {
        let dir = fixture_dir(v);
        if invalid {
            dir.join("invalid")
        } else {
            dir
        }
    };
    let mut out = fixtures(&sub(version));
    // Only what this version has: a removed action's fixtures stay behind.
    let items: std::collections::BTreeSet<(String, String)> = SchemaSet::load(version).items().into_iter().collect();
    let mut seen: std::collections::BTreeSet<(String, String)> = out.iter().map(|f| (f.kind.clone(), f.name.clone())).collect();
    let mut current = version.to_owned();
    while let Some(base) = inherits(&current) {
        let inherited = fixtures(&sub(&base));
        let new: Vec<Fixture> = inherited
            .into_iter()
            .filter(|f| {
                let item = (f.kind.clone(), f.name.clone());
                !seen.contains(&item) && items.contains(&item)
            })
            .collect();
        seen.extend(new.iter().map(|f| (f.kind.clone(), f.name.clone())));
        out.extend(new);
        current = base;
    }
    out
}

/// The items (`kind/name`) of `set` that would inherit fixtures although their schema, or a file
/// it refers to, differs from the inherited version's (empty when `set` does not inherit).
pub fn must_own_fixtures(set: &SchemaSet) -> Vec<String> {
    let Some(base_version) = inherits(&set.version) else {
        return Vec::new();
    };
    let base = SchemaSet::load(&base_version);
    let own = fixture_dir(&set.version);
    let inherited: std::collections::BTreeSet<(String, String)> = version_fixtures(&base_version, false)
        .into_iter()
        .map(|f| (f.kind, f.name))
        .collect();
    let mut out = Vec::new();
    for (kind, name) in set.items() {
        if own.join(&kind).join(&name).is_dir() || !inherited.contains(&(kind.clone(), name.clone())) {
            continue;
        }
        let rel = set.schema_of(&kind, &name).expect("an item of the set");
        let same = base
            .schema_of(&kind, &name)
            .is_some_and(|b| b == rel && base.closure(&b) == set.closure(&rel));
        if !same {
            out.push(format!("{kind}/{name}"));
        }
    }
    out
}

/// Every fixture below `dir` (`<kind>/<name>/<case>.json`), sorted.
pub fn fixtures(dir: &Path) -> Vec<Fixture> {
    let mut out = Vec::new();
    for kind in ["request", "response", "push", "type"] {
        for name_dir in sorted_dir(&dir.join(kind)) {
            let name = name_dir.file_name().unwrap().to_string_lossy().into_owned();
            for path in sorted_dir(&name_dir) {
                if path.extension().is_some_and(|e| e == "json") {
                    let case = path.file_stem().unwrap().to_string_lossy().into_owned();
                    let text = fs::read_to_string(&path).unwrap();
                    out.push(Fixture {
                        kind: kind.to_owned(),
                        name: name.clone(),
                        case,
                        path,
                        text,
                    });
                }
            }
        }
    }
    out
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// One API version's schema set.
pub struct SchemaSet {
    /// `3.6`.
    pub version: String,
    /// `schema/v3.6`.
    pub dir: PathBuf,
    /// `api.json`.
    pub manifest: Value,
    /// Type title -> file path relative to `dir` (root types only).
    pub titles: BTreeMap<String, String>,
    validators: std::sync::Mutex<BTreeMap<String, std::sync::Arc<Validator>>>,
}

/// Reads `file://` schema references from disk.
struct FileRetriever;

impl Retrieve for FileRetriever {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = uri.path().as_str();
        let text = fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        Ok(serde_json::from_str(&text)?)
    }
}

impl SchemaSet {
    /// Loads `schema/v<version>` (the Customer Chat API).
    pub fn load(version: &str) -> SchemaSet {
        SchemaSet::load_dir(version, root().join("schema").join(format!("v{version}")))
    }

    /// Loads `schema/v<version>/agent` (the Agent Chat API), when the version has one; its
    /// `$ref`s to the version's shared objects resolve from disk like any other.
    pub fn load_agent(version: &str) -> Option<SchemaSet> {
        SchemaSet::load_api(version, "agent")
    }

    /// Loads `schema/v<version>/<api>` (`agent`, `configuration`: an API laid out in a
    /// subdirectory of the version), when the version has one (an `api.json` there); its `$ref`s
    /// to the version's shared objects resolve from disk like any other.
    pub fn load_api(version: &str, api: &str) -> Option<SchemaSet> {
        let dir = root().join("schema").join(format!("v{version}")).join(api);
        dir.join("api.json").is_file().then(|| SchemaSet::load_dir(version, dir))
    }

    fn load_dir(version: &str, dir: PathBuf) -> SchemaSet {
        let manifest = read_json(&dir.join("api.json"));
        let mut titles = BTreeMap::new();
        for folder in ["objects", "requests", "responses", "pushes"] {
            for path in sorted_dir(&dir.join(folder)) {
                let schema = read_json(&path);
                if let Some(t) = schema.get("title").and_then(Value::as_str) {
                    titles.insert(t.to_owned(), format!("{folder}/{}", path.file_name().unwrap().to_string_lossy()));
                }
            }
        }
        SchemaSet {
            version: version.to_owned(),
            dir,
            manifest,
            titles,
            validators: Default::default(),
        }
    }

    /// The manifest's actions.
    pub fn actions(&self) -> &[Value] {
        self.manifest["actions"].as_array().expect("actions")
    }

    /// The manifest's pushes.
    pub fn pushes(&self) -> &[Value] {
        self.manifest["pushes"].as_array().expect("pushes")
    }

    /// The schema file (relative to the version directory) that describes a fixture.
    pub fn schema_of(&self, kind: &str, name: &str) -> Option<String> {
        let find = |list: &[Value], key: &str| {
            list.iter()
                .find(|a| a["name"] == name)
                .and_then(|a| a[key].as_str())
                .map(str::to_owned)
        };
        match kind {
            "request" => find(self.actions(), "request"),
            "response" => find(self.actions(), "response"),
            "push" => find(self.pushes(), "payload"),
            "type" => self.titles.get(name).cloned(),
            _ => None,
        }
    }

    /// Every item that fixtures can describe: (`request`|`response`, action), (`push`, push) and
    /// (`type`, title) for every object file.
    pub fn items(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for a in self.actions() {
            let name = a["name"].as_str().expect("action name").to_owned();
            if a["request"].is_string() {
                out.push(("request".to_owned(), name.clone()));
            }
            out.push(("response".to_owned(), name));
        }
        for p in self.pushes() {
            out.push(("push".to_owned(), p["name"].as_str().expect("push name").to_owned()));
        }
        for (title, rel) in &self.titles {
            if rel.starts_with("objects/") {
                out.push(("type".to_owned(), title.clone()));
            }
        }
        out
    }

    /// The schema file `rel` and every file it refers to, transitively: relative path -> content.
    pub fn closure(&self, rel: &str) -> BTreeMap<String, Value> {
        fn refs(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    if let Some(Value::String(r)) = o.get("$ref") {
                        out.push(r.clone());
                    }
                    o.values().for_each(|v| refs(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut out = BTreeMap::new();
        let mut todo = vec![rel.to_owned()];
        while let Some(rel) = todo.pop() {
            if out.contains_key(&rel) {
                continue;
            }
            let schema = read_json(&self.dir.join(&rel));
            let mut found = Vec::new();
            refs(&schema, &mut found);
            let folder = Path::new(&rel).parent().unwrap_or(Path::new(""));
            for r in found {
                let file = r.split('#').next().unwrap_or_default();
                if !file.is_empty() {
                    todo.push(normalize(&folder.join(file)));
                }
            }
            out.insert(rel, schema);
        }
        out
    }

    /// A validator for the schema file `rel`, with cross-file references resolved from disk.
    pub fn validator(&self, rel: &str) -> std::sync::Arc<Validator> {
        let mut cache = self.validators.lock().unwrap();
        if let Some(v) = cache.get(rel) {
            return v.clone();
        }
        let path = self.dir.join(rel).canonicalize().unwrap_or_else(|e| panic!("{rel}: {e}"));
        let schema = read_json(&path);
        let validator = jsonschema::options()
            .with_draft(Draft::Draft7)
            .with_base_uri(format!("file://{}", path.display()))
            .with_retriever(FileRetriever)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{rel}: not a usable schema: {e}"));
        let v = std::sync::Arc::new(validator);
        cache.insert(rel.to_owned(), v.clone());
        v
    }

    /// Validation errors of `instance` against `rel`: (keyword, instance path, message).
    pub fn errors(&self, rel: &str, instance: &Value) -> Vec<(String, String, String)> {
        let v = self.validator(rel);
        let out = v
            .iter_errors(instance)
            .map(|e| (e.kind().keyword().to_owned(), e.instance_path().to_string(), e.to_string()))
            .collect();
        out
    }
}

/// `requests/../objects/chat.json` -> `objects/chat.json`.
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

/// Decodes a fixture's text as what its kind and name say, in the Customer Chat API `version`.
/// `None` when the version (or its cargo feature) has no such action, push or type.
pub fn decode(version: &str, kind: &str, name: &str, text: &str) -> Option<Result<Box<dyn lc_types::Decoded>, lc_types::DecodeError>> {
    decode_in(lc_types::ChatApi::Customer, version, kind, name, text)
}

/// [`decode`] in API `api`.
pub fn decode_in(
    api: lc_types::ChatApi,
    version: &str,
    kind: &str,
    name: &str,
    text: &str,
) -> Option<Result<Box<dyn lc_types::Decoded>, lc_types::DecodeError>> {
    let api = lc_types::api(api, version.parse().ok()?)?;
    match kind {
        "request" => api.action(name)?.request.map(|_| (api.decode_request)(name, text)),
        "response" => api.action(name).map(|_| (api.decode_response)(name, text)),
        "push" => api.push(name).map(|_| (api.decode_push)(name, text)),
        "type" => (api.decode_type)(name, text),
        _ => None,
    }
}

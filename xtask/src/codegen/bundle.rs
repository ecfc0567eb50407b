//! The bundler: reads one version's schema files, checks the conventions of `schema/README.md`,
//! and builds the single-root `definitions` bundle that typify takes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Keywords that only validate; typify would turn some into newtypes or non-zero integers, and the
/// generated types do not enforce them, so they are removed from the bundle.
const VALIDATION_ONLY: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "multipleOf",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
];

/// Annotations that do not shape the Rust types.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "examples",
    "discriminator",
    "x-lc-core",
    "x-lc-disconnect-policy",
];

/// The values of `x-lc-disconnect-policy`: the variants of `lc_types::DisconnectPolicy`.
pub const DISCONNECT_POLICIES: &[&str] = &[
    "Reconnect",
    "ReconnectWithNewToken",
    "ReconnectInRegion",
    "WaitThenReconnect",
    "ReconnectOnUserIntent",
    "Stop",
];

/// Fields the generator adds to structs; a schema property of that name would collide.
pub const GENERATED_FIELDS: &[&str] = &["extra"];

/// The hand-written types of the `lc-types` core that a schema may stand for (`x-lc-core`).
pub const CORE_TYPES: &[&str] = &["ErrorEnvelope", "ErrorDetails", "ErrorType"];

/// The folders of a version directory, in bundling order.
pub const FOLDERS: &[&str] = &["objects", "requests", "responses", "pushes"];

/// A discriminated union (`oneOf` of `$ref`s plus `discriminator`).
#[derive(Clone, Debug, PartialEq)]
pub struct Union {
    pub name: String,
    pub tag: String,
    pub variants: Vec<Variant>,
}

/// One member of a [`Union`].
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub type_name: String,
    /// The tag values that select this member.
    pub tags: Vec<String>,
    /// One tag value: the field is removed from the struct and written back by the union.
    pub strip: bool,
}

/// An action of the manifest, with type names resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionEntry {
    pub name: String,
    pub web: Option<String>,
    pub rtm: bool,
    /// Whether a Web call needs the customer's access token.
    pub token: bool,
    /// Whether sending the request twice has the effect of sending it once (safe to retry
    /// after an answer was lost).
    pub idempotent: bool,
    pub request: Option<String>,
    pub response: String,
    pub docs: String,
}

/// A push of the manifest, with its type name resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct PushEntry {
    pub name: String,
    pub payload: String,
    pub docs: String,
}

/// A checked, bundled schema set of one API version.
#[derive(Clone, Debug)]
pub struct Bundle {
    /// `3.6`.
    pub version: String,
    /// Type name -> schema, `$ref`s rewritten to `#/definitions/<Name>`, policies applied.
    pub definitions: BTreeMap<String, Value>,
    pub unions: Vec<Union>,
    /// (type, property) pairs that are optional and nullable.
    pub nullable: BTreeSet<(String, String)>,
    /// (type, property) -> description, for fields whose docs typify puts on the field's type.
    pub descriptions: BTreeMap<(String, String), String>,
    /// Type name -> path of the hand-written core type that replaces it.
    pub core: BTreeMap<String, String>,
    /// String enum -> (value -> `DisconnectPolicy` variant), from `x-lc-disconnect-policy`.
    pub disconnect_policies: BTreeMap<String, BTreeMap<String, String>>,
    pub actions: Vec<ActionEntry>,
    pub pushes: Vec<PushEntry>,
    /// Type name (of a file, a local definition or an inline title) -> the folder of its file
    /// (one of [`FOLDERS`]): where the generated type goes too.
    pub folders: BTreeMap<String, &'static str>,
}

/// The snake_case to PascalCase rule of type names (`list_chats` -> `ListChats`).
pub fn pascal(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Loads and bundles `dir` (e.g. `schema/v3.6`). Every problem found is reported, each naming its file.
pub fn bundle(dir: &Path) -> Result<Bundle, Vec<String>> {
    let version = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix('v'))
        .filter(|v| {
            v.split_once('.')
                .is_some_and(|(a, b)| [a, b].iter().all(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit())))
        })
        .ok_or_else(|| vec![format!("{}: a version directory is named v<major>.<minor>", dir.display())])?
        .to_owned();
    let mut b = Bundler {
        dir: dir.to_owned(),
        errors: Vec::new(),
        ..Bundler::default()
    };
    b.load();
    if b.errors.is_empty() {
        b.process();
    }
    let (actions, pushes) = if b.errors.is_empty() {
        b.manifest(&version)
    } else {
        (vec![], vec![])
    };
    if !b.errors.is_empty() {
        b.errors.sort();
        b.errors.dedup();
        return Err(b.errors);
    }
    let root = format!("{}/", b.dir.display());
    let folders = b
        .origin
        .iter()
        .chain(&b.inline_titles)
        .filter_map(|(name, at)| {
            let rel = at.strip_prefix(&root)?;
            FOLDERS
                .iter()
                .find(|f| rel.starts_with(&format!("{f}/")))
                .map(|f| (name.clone(), *f))
        })
        .collect();
    Ok(Bundle {
        version,
        folders,
        definitions: b.definitions,
        unions: b.unions,
        nullable: b.nullable,
        descriptions: b.descriptions,
        core: b.core,
        disconnect_policies: b.disconnect_policies,
        actions,
        pushes,
    })
}

#[derive(Default)]
struct Bundler {
    dir: PathBuf,
    errors: Vec<String>,
    /// `objects/chat.json` -> raw file content.
    files: BTreeMap<String, Value>,
    /// `objects/chat.json` or `objects/chat.json#/definitions/X` -> type name.
    names: BTreeMap<String, String>,
    /// Type name -> where it is defined (for messages).
    origin: BTreeMap<String, String>,
    definitions: BTreeMap<String, Value>,
    unions: Vec<Union>,
    nullable: BTreeSet<(String, String)>,
    descriptions: BTreeMap<(String, String), String>,
    core: BTreeMap<String, String>,
    disconnect_policies: BTreeMap<String, BTreeMap<String, String>>,
    /// Inline titles seen: title -> where.
    inline_titles: BTreeMap<String, String>,
    /// (from type, to type, inside a union's oneOf).
    refs: Vec<(String, String, bool)>,
}

/// Where [`Bundler::walk`] is in a schema file.
struct Place<'a> {
    /// The file, e.g. `objects/chat.json` (relative `$ref`s resolve from it).
    rel: &'a str,
    /// Where the node is, as shown in messages (file and JSON pointer).
    at: String,
    /// The type the file defines.
    root: &'a str,
    /// The nearest titled type around the node (whose field a property becomes).
    owner: String,
    /// The node is the file's root schema.
    is_root: bool,
    /// The node is a member of a union's `oneOf`.
    in_union: bool,
}

impl<'a> Place<'a> {
    /// The place of a sub-schema at `at`, inside the titled type `owner`.
    fn child(&self, at: String, owner: &str, in_union: bool) -> Place<'a> {
        Place {
            rel: self.rel,
            at,
            root: self.root,
            owner: owner.to_owned(),
            is_root: false,
            in_union,
        }
    }
}

impl Bundler {
    fn err(&mut self, at: &str, msg: impl std::fmt::Display) {
        self.errors.push(format!("{at}: {msg}"));
    }

    /// Reads `x-lc-disconnect-policy` of the string enum `title`: every enum value must name its
    /// policy, so a new reason cannot be added without deciding how clients react to it.
    fn disconnect_policy(&mut self, title: &str, schema: &Value, policy: &Value, at: &str) {
        let values: Vec<&str> = schema
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let Some(map) = policy.as_object().filter(|_| !values.is_empty()) else {
            return self.err(
                at,
                "`x-lc-disconnect-policy` belongs on a string enum and maps each value to a policy",
            );
        };
        let mut policies = BTreeMap::new();
        for (value, p) in map {
            match p.as_str() {
                Some(p) if DISCONNECT_POLICIES.contains(&p) && values.contains(&value.as_str()) => {
                    policies.insert(value.clone(), p.to_owned());
                }
                Some(p) if DISCONNECT_POLICIES.contains(&p) => self.err(
                    at,
                    format!("`x-lc-disconnect-policy` names `{value}`, which is not a value of the enum"),
                ),
                _ => self.err(
                    at,
                    format!("`x-lc-disconnect-policy` of `{value}` is one of {DISCONNECT_POLICIES:?}"),
                ),
            }
        }
        for v in values {
            if !policies.contains_key(v) {
                self.err(at, format!("`x-lc-disconnect-policy` has no policy for `{v}`"));
            }
        }
        self.disconnect_policies.insert(title.to_owned(), policies);
    }

    /// Reads every file and names every type.
    fn load(&mut self) {
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

    fn shown(&self, rel: &str) -> String {
        self.dir.join(rel).display().to_string()
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

    /// Rewrites, lints and applies the policies to every type.
    fn process(&mut self) {
        let files = std::mem::take(&mut self.files);
        let mut roots: Vec<(String, String, Value)> = Vec::new(); // (file, title, schema)
        for (rel, mut value) in files {
            let obj = value.as_object_mut().expect("titled files are objects");
            for key in ["definitions", "$defs"] {
                if let Some(Value::Object(defs)) = obj.remove(key) {
                    for (k, d) in defs {
                        roots.push((rel.clone(), k, d));
                    }
                }
            }
            let title = self.names[&rel].clone();
            roots.push((rel, title, value));
        }
        for (rel, title, mut schema) in roots {
            let at = format!(
                "{}{}",
                self.shown(&rel),
                if self.names.get(&rel) == Some(&title) {
                    String::new()
                } else {
                    format!("#/definitions/{title}")
                }
            );
            if let Some(core) = schema.get("x-lc-core") {
                match core.as_str() {
                    Some(path) if CORE_TYPES.contains(&path) => {
                        self.core.insert(title.clone(), format!("crate::{path}"));
                    }
                    _ => self.err(&at, format!("`x-lc-core` names a type of the lc-types core: one of {CORE_TYPES:?}")),
                }
            }
            if let Some(policy) = schema.get("x-lc-disconnect-policy") {
                self.disconnect_policy(&title, &schema, policy, &at);
            }
            self.union_of(&title, &schema, &at, &rel);
            let place = Place {
                rel: &rel,
                at: at.clone(),
                root: &title,
                owner: title.clone(),
                is_root: true,
                in_union: false,
            };
            self.walk(&mut schema, &place);
            strip(&mut schema);
            self.definitions.insert(title, schema);
        }
        self.finish_unions();
        for (from, to, in_union) in std::mem::take(&mut self.refs) {
            let owner = self
                .unions
                .iter()
                .find(|u| u.variants.iter().any(|v| v.type_name == to))
                .map(|u| u.name.clone());
            if let Some(union) = owner {
                if !(in_union && from == union) {
                    let at = self.origin[&from].clone();
                    self.err(
                        &at,
                        format!("refers to `{to}`, a member of the union `{union}`: refer to `{union}` instead"),
                    );
                }
            }
        }
    }

    /// Records a union defined by `schema`.
    fn union_of(&mut self, title: &str, schema: &Value, at: &str, rel: &str) {
        let Some(disc) = schema.get("discriminator") else {
            return;
        };
        let Some(tag) = disc.get("propertyName").and_then(Value::as_str) else {
            return self.err(at, "`discriminator` needs `propertyName`");
        };
        let Some(members) = schema.get("oneOf").and_then(Value::as_array) else {
            return self.err(at, "a union (`discriminator`) needs a `oneOf` of `$ref`s");
        };
        let mut variants = Vec::new();
        for m in members {
            match m.get("$ref").and_then(Value::as_str).map(|r| self.resolve(r, rel)) {
                Some(Ok(name)) => variants.push(Variant {
                    type_name: name,
                    tags: vec![],
                    strip: false,
                }),
                Some(Err(e)) => self.err(at, e),
                None => self.err(at, "every `oneOf` member of a union is a `$ref`"),
            }
        }
        self.unions.push(Union {
            name: title.to_owned(),
            tag: tag.to_owned(),
            variants,
        });
    }

    /// Reads each union member's tag values and strips single-valued tags from the member.
    fn finish_unions(&mut self) {
        let mut unions = std::mem::take(&mut self.unions);
        for u in &mut unions {
            let mut seen = BTreeSet::new();
            for v in &mut u.variants {
                let at = self.origin.get(&v.type_name).cloned().unwrap_or_default();
                let Some(def) = self.definitions.get_mut(&v.type_name) else {
                    continue;
                };
                let tags: Option<Vec<String>> = def
                    .pointer(&format!("/properties/{}/enum", u.tag))
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect());
                let required = def
                    .get("required")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|x| x == u.tag.as_str()));
                let Some(tags) = tags.filter(|t| !t.is_empty() && required) else {
                    self.errors.push(format!(
                        "{at}: member of the union `{}` needs a required `{}` property with a string `enum` of its tag values",
                        u.name, u.tag
                    ));
                    continue;
                };
                for t in &tags {
                    if !seen.insert(t.clone()) {
                        self.errors
                            .push(format!("{at}: tag value `{t}` is claimed by two members of the union `{}`", u.name));
                    }
                }
                v.strip = tags.len() == 1;
                v.tags = tags;
                if v.strip {
                    let obj = def.as_object_mut().expect("object schema");
                    if let Some(Value::Object(props)) = obj.get_mut("properties") {
                        props.remove(&u.tag);
                    }
                    if let Some(Value::Array(req)) = obj.get_mut("required") {
                        req.retain(|r| r != u.tag.as_str());
                    }
                }
            }
        }
        self.unions = unions;
    }

    /// Resolves a `$ref` written in file `rel` to a type name.
    fn resolve(&self, reference: &str, rel: &str) -> Result<String, String> {
        let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let target = if file.is_empty() {
            rel.to_owned()
        } else {
            let base = Path::new(rel).parent().unwrap_or(Path::new(""));
            normalize(&base.join(file))
        };
        let key = match pointer {
            "" | "/" => target.clone(),
            p if p.starts_with("/definitions/") || p.starts_with("/$defs/") => format!("{target}#{p}"),
            p => {
                return Err(format!(
                    "`$ref` `{reference}`: only whole files and `#/definitions/<Name>` can be referred to (not `{p}`)"
                ))
            }
        };
        self.names
            .get(&key)
            .cloned()
            .ok_or_else(|| format!("`$ref` `{reference}` does not resolve (no schema at `{key}`)"))
    }

    /// Rewrites refs and checks the conventions below `node`.
    #[allow(clippy::too_many_arguments)]
    fn walk(&mut self, node: &mut Value, place: &Place) {
        let Place {
            rel,
            root,
            is_root,
            in_union,
            ..
        } = *place;
        let at = place.at.as_str();
        let Value::Object(obj) = node else { return };
        if let Some(r) = obj.get("$ref").and_then(Value::as_str).map(str::to_owned) {
            match self.resolve(&r, rel) {
                Ok(name) => {
                    self.refs.push((root.to_owned(), name.clone(), in_union));
                    obj.insert("$ref".into(), Value::String(format!("#/definitions/{name}")));
                }
                Err(e) => self.err(at, e),
            }
        }
        if obj.contains_key("default") {
            self.err(
                at,
                "`default` is not allowed: it would make requests carry values the user did not set; put the default in the description",
            );
        }
        if obj.get("additionalProperties") == Some(&Value::Bool(false)) {
            self.err(
                at,
                "`additionalProperties: false` is not allowed: received objects keep unknown fields",
            );
        }
        let mut owner = place.owner.clone();
        if !is_root {
            if let Some(title) = obj.get("title").and_then(Value::as_str) {
                if let Some(first) = self.origin.get(title).or(self.inline_titles.get(title)) {
                    let first = first.clone();
                    self.err(at, format!("duplicate title `{title}` (also {first})"));
                } else {
                    self.inline_titles.insert(title.to_owned(), at.to_owned());
                }
                owner = title.to_owned();
            }
            if obj.get("properties").and_then(Value::as_object).is_some_and(|p| p.is_empty()) {
                self.err(
                    at,
                    "an object with no known properties must be a file or a `definitions` entry of its own",
                );
            } else if obj.get("title").is_none() && obj.contains_key("properties") {
                self.err(at, "an inline object with `properties` needs a `title` (its Rust type name)");
            }
        }
        let required: BTreeSet<String> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        if let Some(Value::Object(props)) = obj.get_mut("properties") {
            for (name, sub) in props.iter_mut() {
                let here = format!("{at}/properties/{name}");
                if GENERATED_FIELDS.contains(&name.as_str()) {
                    self.err(
                        &here,
                        format!("a property may not be named `{name}`: the generator adds a field of that name"),
                    );
                }
                match sub.get("description").and_then(Value::as_str) {
                    Some(d) if !d.trim().is_empty() => {
                        self.descriptions.insert((owner.clone(), name.clone()), d.to_owned());
                    }
                    _ => self.err(&here, "every property needs a `description`"),
                }
                if !required.contains(name) && is_nullable(sub) {
                    self.nullable.insert((owner.clone(), name.clone()));
                }
                self.walk(sub, &place.child(here, &owner, false));
            }
        }
        let is_union = obj.contains_key("discriminator");
        if is_union && !is_root {
            self.err(
                at,
                "a union (`discriminator`) must be a file or a `definitions` entry of its own, referred to by `$ref`",
            );
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(members)) = obj.get(key) {
                let nulls = members
                    .iter()
                    .filter(|m| m.get("type") == Some(&Value::String("null".into())))
                    .count();
                if !(is_union || members.len() == 2 && nulls == 1) {
                    self.err(
                        at,
                        format!(
                            "`{key}` is only for unions (with `discriminator`) and nullable values (`[<schema>, {{\"type\": \"null\"}}]`)"
                        ),
                    );
                }
            }
        }
        for key in ["oneOf", "anyOf", "allOf", "items"] {
            if let Some(Value::Array(items)) = obj.get_mut(key) {
                for (i, sub) in items.iter_mut().enumerate() {
                    let here = format!("{at}/{key}/{i}");
                    self.walk(sub, &place.child(here, &owner, is_union && key == "oneOf"));
                }
            }
        }
        for key in [
            "additionalProperties",
            "items",
            "not",
            "propertyNames",
            "if",
            "then",
            "else",
            "contains",
        ] {
            if let Some(sub @ Value::Object(_)) = obj.get_mut(key) {
                let here = format!("{at}/{key}");
                self.walk(sub, &place.child(here, &owner, false));
            }
        }
        if let Some(Value::Object(pats)) = obj.get_mut("patternProperties") {
            for (p, sub) in pats.iter_mut() {
                let here = format!("{at}/patternProperties/{p}");
                self.walk(sub, &place.child(here, &owner, false));
            }
        }
    }

    /// Reads `api.json`.
    fn manifest(&mut self, version: &str) -> (Vec<ActionEntry>, Vec<PushEntry>) {
        let at = self.shown("api.json");
        let text = match fs::read_to_string(self.dir.join("api.json")) {
            Ok(t) => t,
            Err(e) => {
                self.err(&at, e);
                return (vec![], vec![]);
            }
        };
        let api: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                self.err(&at, format!("not JSON: {e}"));
                return (vec![], vec![]);
            }
        };
        if api.get("version").and_then(Value::as_str) != Some(version) {
            self.err(&at, format!("`version` must be \"{version}\", as the directory name says"));
        }
        let mut actions = Vec::new();
        let mut names = BTreeSet::new();
        for (i, a) in api.get("actions").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let here = format!("{at}#/actions/{i}");
            let Some(name) = a.get("name").and_then(Value::as_str) else {
                self.err(&here, "no `name`");
                continue;
            };
            if !names.insert(name.to_owned()) {
                self.err(&here, format!("action `{name}` is listed twice"));
            }
            if !is_wire_name(name) {
                self.err(&here, format!("action name `{name}` is not snake_case"));
            }
            let web = match a.get("web") {
                Some(Value::Null) | None => None,
                Some(Value::String(m)) if ["POST", "GET", "MULTIPART"].contains(&m.as_str()) => Some(m.clone()),
                Some(other) => {
                    self.err(&here, format!("`web` is \"POST\", \"GET\", \"MULTIPART\" or null, not {other}"));
                    None
                }
            };
            let rtm = a.get("rtm").and_then(Value::as_bool).unwrap_or_else(|| {
                self.errors.push(format!("{here}: `rtm` must be true or false"));
                false
            });
            let token = a.get("token").and_then(Value::as_bool).unwrap_or_else(|| {
                self.errors.push(format!("{here}: `token` must be true or false"));
                true
            });
            let idempotent = a.get("idempotent").and_then(Value::as_bool).unwrap_or_else(|| {
                self.errors.push(format!("{here}: `idempotent` must be true or false"));
                false
            });
            if web.is_none() && !rtm {
                self.err(&here, format!("action `{name}` is available over neither Web nor RTM"));
            }
            let request = match a.get("request") {
                Some(Value::String(p)) => self.manifest_type(p, &format!("{}Request", pascal(name)), &here),
                _ if web.as_deref() == Some("MULTIPART") => None,
                _ => {
                    self.err(&here, "`request` is the path of the request schema (null only for MULTIPART)");
                    None
                }
            };
            let response = match a.get("response") {
                Some(Value::String(p)) => self.manifest_type(p, &format!("{}Response", pascal(name)), &here),
                _ => {
                    self.err(&here, "`response` is the path of the response schema");
                    None
                }
            };
            let docs = a.get("docs").and_then(Value::as_str).unwrap_or_default().to_owned();
            if let Some(response) = response {
                actions.push(ActionEntry {
                    name: name.to_owned(),
                    web,
                    rtm,
                    token,
                    idempotent,
                    request,
                    response,
                    docs,
                });
            }
        }
        let mut pushes = Vec::new();
        for (i, p) in api.get("pushes").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let here = format!("{at}#/pushes/{i}");
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                self.err(&here, "no `name`");
                continue;
            };
            if !names.insert(format!("push:{name}")) {
                self.err(&here, format!("push `{name}` is listed twice"));
            }
            if !is_wire_name(name) {
                self.err(&here, format!("push name `{name}` is not snake_case"));
            }
            let payload = p
                .get("payload")
                .and_then(Value::as_str)
                .and_then(|path| self.manifest_type(path, &format!("{}Push", pascal(name)), &here));
            let docs = p.get("docs").and_then(Value::as_str).unwrap_or_default().to_owned();
            match payload {
                Some(payload) => pushes.push(PushEntry {
                    name: name.to_owned(),
                    payload,
                    docs,
                }),
                None => self.err(&here, "`payload` is the path of the push schema"),
            }
        }
        if actions.is_empty() {
            self.err(&at, "no actions");
        }
        (actions, pushes)
    }

    fn manifest_type(&mut self, path: &str, expected: &str, at: &str) -> Option<String> {
        match self.names.get(path) {
            Some(name) if name == expected => Some(name.clone()),
            Some(name) => {
                let name = name.clone();
                self.err(at, format!("`{path}` has title `{name}`; it must be `{expected}`"));
                None
            }
            None => {
                self.err(at, format!("`{path}` does not exist"));
                None
            }
        }
    }
}

fn is_wire_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.contains("__")
        && !s.ends_with('_')
}

fn is_type_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn normalize(p: &Path) -> String {
    let mut out: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    out.join("/")
}

/// Whether a property schema admits `null`.
fn is_nullable(s: &Value) -> bool {
    let null = |v: &Value| v.get("type") == Some(&Value::String("null".into()));
    match s.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => ["oneOf", "anyOf"]
            .iter()
            .any(|k| s.get(k).and_then(Value::as_array).is_some_and(|a| a.iter().any(null))),
    }
}

/// Applies the policies: drops validation-only keywords and annotations, keeps unknown fields.
fn strip(node: &mut Value) {
    let Value::Object(obj) = node else { return };
    for k in VALIDATION_ONLY.iter().chain(ANNOTATIONS) {
        obj.remove(*k);
    }
    if obj.get("format").and_then(Value::as_str).is_some_and(|f| f != "date-time") {
        obj.remove("format");
    }
    if obj.contains_key("properties") && !obj.contains_key("additionalProperties") {
        obj.insert("additionalProperties".into(), Value::Object(Map::new()));
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        props.values_mut().for_each(strip);
    }
    if let Some(Value::Object(pats)) = obj.get_mut("patternProperties") {
        pats.values_mut().for_each(strip);
    }
    for key in ["oneOf", "anyOf", "allOf", "items"] {
        if let Some(Value::Array(items)) = obj.get_mut(key) {
            items.iter_mut().for_each(strip);
        }
    }
    for key in ["additionalProperties", "items", "not", "if", "then", "else", "contains"] {
        if let Some(sub @ Value::Object(_)) = obj.get_mut(key) {
            strip(sub);
        }
    }
}

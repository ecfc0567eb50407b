//! The bundler: reads one version's schema files, checks the conventions of `schema/README.md`,
//! and builds the single-root `definitions` bundle that typify takes. One job per file:
//! [`load`] reads the files and names every type, [`walk`] rewrites and checks each schema,
//! [`unions`] finds the unions (and the disconnect policies), [`manifest`] reads `api.json`.

mod load;
mod manifest;
mod unions;
mod walk;

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
pub(crate) const DISCONNECT_POLICIES: &[&str] = &[
    "Reconnect",
    "ReconnectWithNewToken",
    "ReconnectInRegion",
    "WaitThenReconnect",
    "ReconnectOnUserIntent",
    "Stop",
];

/// Fields the generator adds to structs; a schema property of that name would collide.
pub(crate) const GENERATED_FIELDS: &[&str] = &["extra"];

/// The hand-written types of the `lc-types` core that a schema may stand for (`x-lc-core`).
pub(crate) const CORE_TYPES: &[&str] = &["ErrorEnvelope", "ErrorDetails", "ErrorType", "StringOrInteger"];

/// The folders of a version directory, in bundling order.
pub(crate) const FOLDERS: &[&str] = &["objects", "requests", "responses", "pushes", "webhooks"];

/// Which API of a version a bundle describes: the Customer Chat API (the version directory's
/// own `api.json` and folders) or the Agent Chat API (its `agent/` subfolder, laid out alike).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Api {
    #[default]
    Customer,
    Agent,
    /// The Configuration API (its `configuration/` subfolder): the webhook actions.
    Configuration,
}

impl Api {
    /// Every API, in the order of their modules.
    pub(crate) const ALL: [Api; 3] = [Api::Customer, Api::Agent, Api::Configuration];

    /// Where its files are under the version directory, with a trailing `/` (`""`: the root).
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Api::Customer => "",
            Api::Agent => "agent/",
            Api::Configuration => "configuration/",
        }
    }

    /// `customer` or `agent`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Api::Customer => "customer",
            Api::Agent => "agent",
            Api::Configuration => "configuration",
        }
    }
}

/// A discriminated union (`oneOf` of `$ref`s plus `discriminator`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Union {
    pub name: String,
    pub tag: String,
    pub variants: Vec<Variant>,
}

/// One member of a [`Union`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Variant {
    pub type_name: String,
    /// The tag values that select this member.
    pub tags: Vec<String>,
    /// One tag value: the field is removed from the struct and written back by the union.
    pub strip: bool,
}

/// An action of the manifest, with type names resolved.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ActionEntry {
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
pub(crate) struct PushEntry {
    pub name: String,
    pub payload: String,
    pub docs: String,
}

/// A checked, bundled schema set of one API version.
#[derive(Clone, Debug)]
pub(crate) struct Bundle {
    /// `3.6`.
    pub version: String,
    /// The API its manifest describes.
    pub api: Api,
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
    /// The webhook actions (agent API): name, payload type (a push's, or a `webhooks/` file's), docs.
    pub webhooks: Vec<PushEntry>,
    /// Type name (of a file, a local definition or an inline title) -> the folder of its file
    /// (one of [`FOLDERS`]): where the generated type goes too.
    pub folders: BTreeMap<String, &'static str>,
}

impl Bundle {
    /// How messages name it: `v3.6` (the customer API), `v3.6 agent`.
    pub(crate) fn label(&self) -> String {
        match self.api {
            Api::Customer => format!("v{}", self.version),
            api => format!("v{} {}", self.version, api.name()),
        }
    }
}

/// The snake_case to PascalCase rule of type names (`list_chats` -> `ListChats`).
pub(crate) fn pascal(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
/// Loads and bundles the customer API of `dir` (e.g. `schema/v3.6`). Every problem found is
/// reported, each naming its file.
pub(crate) fn bundle(dir: &Path) -> Result<Bundle, Vec<String>> {
    bundle_api(dir, Api::Customer)
}

/// Loads and bundles one API of `dir`: its files and the shared objects they reach.
pub(crate) fn bundle_api(dir: &Path, api: Api) -> Result<Bundle, Vec<String>> {
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
        api,
        errors: Vec::new(),
        ..Bundler::default()
    };
    b.load();
    if b.errors.is_empty() {
        b.process();
    }
    let (actions, pushes, webhooks) = if b.errors.is_empty() {
        b.manifest(&version)
    } else {
        (vec![], vec![], vec![])
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
            let rel = rel.strip_prefix(api.prefix()).unwrap_or(rel);
            FOLDERS
                .iter()
                .find(|f| rel.starts_with(&format!("{f}/")))
                .map(|f| (name.clone(), *f))
        })
        .collect();
    Ok(Bundle {
        version,
        api,
        folders,
        definitions: b.definitions,
        unions: b.unions,
        nullable: b.nullable,
        descriptions: b.descriptions,
        core: b.core,
        disconnect_policies: b.disconnect_policies,
        actions,
        pushes,
        webhooks,
    })
}

#[derive(Default)]
struct Bundler {
    dir: PathBuf,
    api: Api,
    errors: Vec<String>,
    /// Shared files a `$ref` names that could not be read (reported once, where they are named).
    unreadable: BTreeSet<String>,
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

impl Bundler {
    fn err(&mut self, at: &str, msg: impl std::fmt::Display) {
        self.errors.push(format!("{at}: {msg}"));
    }

    fn shown(&self, rel: &str) -> String {
        self.dir.join(rel).display().to_string()
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

#[cfg(test)]
mod tests;

//! Step 2b: rewrites and checks each schema: `$ref`s to `#/definitions/<Name>`, inline titles,
//! nullable and optional fields, the conventions of `schema/README.md`; then strips what only
//! validates.

use super::*;

impl Bundler {
    /// Rewrites, lints and applies the policies to every type.
    pub(super) fn process(&mut self) {
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

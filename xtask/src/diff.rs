//! `cargo xtask diff <old> <new>`: the changelog between two schema sets, as the generated Rust
//! API sees it. Every change that can break code written against the old version, or payloads
//! of the old version, is marked `[breaking]`.
//!
//! The rule follows what the generated code promises. Every generated struct, enum and union is
//! `#[non_exhaustive]`: structs are built with `new(required fields)` (or `Default` when every
//! field is optional) and their optional fields set by assignment, and no `match` outside
//! `lc-types` can be exhaustive; every enum and union keeps what it does not know. So these are
//! **not** breaking:
//! - a new action, transport, push, webhook or type (`AnyRequest`, `AnyResponse`, `AnyPush` and
//!   `AnyWebhook` are non-exhaustive too);
//! - a new optional field (`new` keeps its signature and `Default` stays);
//! - a new enum value or union member.
//!
//! These **are** breaking (code written against the old version stops compiling, or payloads of
//! the old version stop decoding):
//! - anything removed: an action, a transport (its `WebAction`/`RtmAction` impl), a push, a
//!   webhook, a type, a field, an enum value or a union member (their variants);
//! - a new required field (`new` gains a parameter, `Default` may go, and old payloads without
//!   the field no longer decode);
//! - a field that became required or optional (`T` and `Option<T>` swap, and `new` gains or
//!   loses a parameter);
//! - a changed type: of a field, a union member, an action's request or response, a push
//!   payload, a newtype or map; a changed Web method; a changed union tag field; a type whose
//!   kind changed (object, string enum, union, newtype).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::Value;

use crate::codegen::bundle::{Bundle, PushEntry};

/// One line of the changelog.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Change {
    breaking: bool,
    text: String,
}

impl Change {
    fn new(breaking: bool, text: String) -> Self {
        Change { breaking, text }
    }
}

/// The shape of one named type, as far as the Rust API is concerned.
#[derive(Clone, Debug, PartialEq)]
enum Shape {
    /// Field -> (type, required).
    Object(BTreeMap<String, (String, bool)>),
    /// Known values.
    Enum(Vec<String>),
    /// Tag value -> member type.
    Union(String, BTreeMap<String, String>),
    /// Anything else (a newtype, a map): its type.
    Alias(String),
}

impl Shape {
    fn kind(&self) -> String {
        match self {
            Shape::Object(_) => "object".into(),
            Shape::Enum(_) => "string enum".into(),
            Shape::Union(tag, _) => format!("union on `{tag}`"),
            Shape::Alias(t) => t.clone(),
        }
    }
}

/// Every named type of a bundle (definitions and titled inline schemas), by name.
fn shapes(b: &Bundle) -> BTreeMap<String, Shape> {
    let unions: BTreeMap<&str, (&str, BTreeMap<String, String>)> = b
        .unions
        .iter()
        .map(|u| {
            let members = u
                .variants
                .iter()
                .flat_map(|v| v.tags.iter().map(|t| (t.clone(), v.type_name.clone())))
                .collect();
            (u.name.as_str(), (u.tag.as_str(), members))
        })
        .collect();
    let mut named: BTreeMap<String, &Value> = BTreeMap::new();
    fn collect<'a>(node: &'a Value, out: &mut BTreeMap<String, &'a Value>) {
        let Value::Object(o) = node else { return };
        if let Some(t) = o.get("title").and_then(Value::as_str) {
            out.entry(t.to_owned()).or_insert(node);
        }
        for key in ["properties", "definitions", "patternProperties"] {
            if let Some(Value::Object(m)) = o.get(key) {
                m.values().for_each(|v| collect(v, out));
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(Value::Array(a)) = o.get(key) {
                a.iter().for_each(|v| collect(v, out));
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(v) = o.get(key) {
                collect(v, out);
            }
        }
    }
    for (name, schema) in &b.definitions {
        named.insert(name.clone(), schema);
        collect(schema, &mut named);
    }
    named
        .into_iter()
        .map(|(name, schema)| {
            let shape = if let Some((tag, members)) = unions.get(name.as_str()) {
                Shape::Union((*tag).to_owned(), members.clone())
            } else if let Some(Value::Object(props)) = schema.get("properties") {
                let required: BTreeSet<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                Shape::Object(
                    props
                        .iter()
                        .map(|(k, v)| (k.clone(), (type_of(v, false), required.contains(k.as_str()))))
                        .collect(),
                )
            } else if let Some(Value::Array(values)) = schema.get("enum") {
                Shape::Enum(
                    values
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect(),
                )
            } else {
                Shape::Alias(type_of(schema, true))
            };
            (name, shape)
        })
        .collect()
}

/// A short rendering of a schema's type: `string`, `integer`, `array<Event>`, `map<string>`,
/// `Access`, `Thread | null`, `any JSON`. `root`: the schema is the type itself (ignore its title).
fn type_of(s: &Value, root: bool) -> String {
    if !root {
        if let Some(t) = s.get("title").and_then(Value::as_str) {
            return t.to_owned();
        }
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(a)) = s.get(key) {
            let parts: Vec<String> = a.iter().map(|v| type_of(v, false)).collect();
            return parts.join(" | ");
        }
    }
    if let Some(Value::Array(values)) = s.get("enum") {
        let v: Vec<String> = values.iter().map(Value::to_string).collect();
        return format!("one of {}", v.join(", "));
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ => String::new(),
    };
    match ty.as_str() {
        "array" => format!("array<{}>", s.get("items").map_or("any JSON".into(), |i| type_of(i, false))),
        "object" | "" if s.get("properties").is_none_or(|p| p.as_object().is_some_and(|p| p.is_empty())) => {
            match s.get("additionalProperties") {
                Some(v @ Value::Object(o)) if !o.is_empty() => format!("map<{}>", type_of(v, false)),
                _ if ty.is_empty() => "any JSON".into(),
                _ => "object".into(),
            }
        }
        "string" if s.get("format").and_then(Value::as_str) == Some("date-time") => "date-time".into(),
        _ => ty,
    }
}

fn transports(web: &Option<String>, rtm: bool) -> String {
    let mut t = Vec::new();
    if let Some(m) = web {
        t.push(format!("Web {m}"));
    }
    if rtm {
        t.push("RTM".to_owned());
    }
    t.join(", ")
}

/// The changelog from `old` to `new`, as Markdown.
pub(crate) fn diff(old: &Bundle, new: &Bundle) -> String {
    let mut sections: Vec<(String, Vec<Change>)> = Vec::new();

    let mut actions = Vec::new();
    let old_actions: BTreeMap<&str, _> = old.actions.iter().map(|a| (a.name.as_str(), a)).collect();
    let new_actions: BTreeMap<&str, _> = new.actions.iter().map(|a| (a.name.as_str(), a)).collect();
    for (name, a) in &new_actions {
        match old_actions.get(name) {
            None => actions.push(Change::new(false, format!("+ `{name}` added ({})", transports(&a.web, a.rtm)))),
            Some(o) => {
                if o.web != a.web {
                    let show = |w: &Option<String>| w.clone().unwrap_or_else(|| "not on the Web API".into());
                    actions.push(Change::new(
                        o.web.is_some(),
                        format!("~ `{name}`: Web {} -> {}", show(&o.web), show(&a.web)),
                    ));
                }
                if o.rtm != a.rtm {
                    actions.push(Change::new(
                        o.rtm,
                        format!("~ `{name}`: {}", if a.rtm { "now on RTM" } else { "no longer on RTM" }),
                    ));
                }
                if o.request != a.request || o.response != a.response {
                    actions.push(Change::new(
                        true,
                        format!(
                            "~ `{name}`: request/response types {:?}/{} -> {:?}/{}",
                            o.request, o.response, a.request, a.response
                        ),
                    ));
                }
            }
        }
    }
    for (name, a) in &old_actions {
        if !new_actions.contains_key(name) {
            actions.push(Change::new(true, format!("- `{name}` removed (was {})", transports(&a.web, a.rtm))));
        }
    }
    sections.push(("Actions".into(), actions));

    if new.api != crate::codegen::bundle::Api::Configuration {
        // The Configuration API is Web only: it has no pushes.
        sections.push(("Pushes".into(), named_payloads(&old.pushes, &new.pushes)));
    }
    if new.api == crate::codegen::bundle::Api::Agent {
        // A webhook's payload type is a push's, or its own: a change is as breaking as a push's.
        sections.push(("Webhooks".into(), named_payloads(&old.webhooks, &new.webhooks)));
    }

    let (old_shapes, new_shapes) = (shapes(old), shapes(new));
    let mut types = Vec::new();
    for (name, shape) in &new_shapes {
        if !old_shapes.contains_key(name) {
            types.push(Change::new(false, format!("+ `{name}` added ({})", shape.kind())));
        }
    }
    for (name, shape) in &old_shapes {
        if !new_shapes.contains_key(name) {
            types.push(Change::new(true, format!("- `{name}` removed (was {})", shape.kind())));
        }
    }
    sections.push(("Types".into(), types));

    let mut changed: Vec<(String, Vec<Change>)> = Vec::new();
    for (name, new_shape) in &new_shapes {
        let Some(old_shape) = old_shapes.get(name) else { continue };
        let changes = type_changes(old_shape, new_shape);
        if !changes.is_empty() {
            changed.push((format!("`{name}` ({})", new_shape.kind()), changes));
        }
    }

    let all: Vec<&Change> = sections
        .iter()
        .flat_map(|(_, c)| c)
        .chain(changed.iter().flat_map(|(_, c)| c))
        .collect();
    let mut out = String::new();
    let api = match new.api {
        crate::codegen::bundle::Api::Customer => "API",
        crate::codegen::bundle::Api::Agent => "Agent Chat API",
        crate::codegen::bundle::Api::Configuration => "Configuration API",
    };
    writeln!(out, "# {api} v{} -> v{}\n", old.version, new.version).unwrap();
    writeln!(
        out,
        "{} changes, {} breaking; {} types changed.",
        all.len(),
        all.iter().filter(|c| c.breaking).count(),
        changed.len()
    )
    .unwrap();
    let line = |c: &Change| format!("{}{}", c.text, if c.breaking { " [breaking]" } else { "" });
    for (title, changes) in &sections {
        writeln!(out, "\n## {title}\n").unwrap();
        if changes.is_empty() {
            writeln!(out, "(none)").unwrap();
        }
        for c in changes {
            writeln!(out, "{}", line(c)).unwrap();
        }
    }
    writeln!(out, "\n## Changed types").unwrap();
    if changed.is_empty() {
        writeln!(out, "\n(none)").unwrap();
    }
    for (title, changes) in &changed {
        writeln!(out, "\n### {title}\n").unwrap();
        for c in changes {
            writeln!(out, "{}", line(c)).unwrap();
        }
    }
    out
}

/// Pushes or webhooks added, removed, or whose payload type changed.
fn named_payloads(old: &[PushEntry], new: &[PushEntry]) -> Vec<Change> {
    let mut changes = Vec::new();
    let old: BTreeMap<&str, &str> = old.iter().map(|p| (p.name.as_str(), p.payload.as_str())).collect();
    let new: BTreeMap<&str, &str> = new.iter().map(|p| (p.name.as_str(), p.payload.as_str())).collect();
    for (name, payload) in &new {
        match old.get(name) {
            None => changes.push(Change::new(false, format!("+ `{name}` added"))),
            Some(o) if o != payload => changes.push(Change::new(true, format!("~ `{name}`: payload type {o} -> {payload}"))),
            _ => {}
        }
    }
    for name in old.keys() {
        if !new.contains_key(name) {
            changes.push(Change::new(true, format!("- `{name}` removed")));
        }
    }
    changes
}

fn type_changes(old: &Shape, new: &Shape) -> Vec<Change> {
    let req = |r: bool| if r { "required" } else { "optional" };
    let mut out = Vec::new();
    match (old, new) {
        (Shape::Object(o), Shape::Object(n)) => {
            for (field, (ty, required)) in n {
                match o.get(field) {
                    None if *required => out.push(Change::new(
                        true,
                        format!("+ field `{field}`: {ty} (required; `new` gains a parameter)"),
                    )),
                    None => out.push(Change::new(false, format!("+ field `{field}`: {ty} (optional)"))),
                    Some((old_ty, old_required)) => {
                        if old_required != required {
                            let why = if *required {
                                "`Option<T>` becomes `T`; `new` gains a parameter"
                            } else {
                                "`T` becomes `Option<T>`; `new` loses a parameter"
                            };
                            out.push(Change::new(
                                true,
                                format!("~ field `{field}`: {} -> {} ({why})", req(*old_required), req(*required)),
                            ));
                        }
                        if old_ty != ty {
                            out.push(Change::new(true, format!("~ field `{field}`: {old_ty} -> {ty}")));
                        }
                    }
                }
            }
            for (field, (ty, required)) in o {
                if !n.contains_key(field) {
                    out.push(Change::new(
                        true,
                        format!("- field `{field}` removed (was {ty}, {})", req(*required)),
                    ));
                }
            }
        }
        (Shape::Enum(o), Shape::Enum(n)) => {
            for v in n.iter().filter(|v| !o.contains(v)) {
                out.push(Change::new(false, format!("+ value `{v}`")));
            }
            for v in o.iter().filter(|v| !n.contains(v)) {
                out.push(Change::new(true, format!("- value `{v}` removed")));
            }
        }
        (Shape::Union(old_tag, o), Shape::Union(tag, n)) => {
            if old_tag != tag {
                out.push(Change::new(true, format!("~ tag field `{old_tag}` -> `{tag}`")));
            }
            for (t, ty) in n {
                match o.get(t) {
                    None => out.push(Change::new(false, format!("+ variant `{t}` ({ty})"))),
                    Some(old_ty) if old_ty != ty => out.push(Change::new(true, format!("~ variant `{t}`: {old_ty} -> {ty}"))),
                    _ => {}
                }
            }
            for (t, ty) in o {
                if !n.contains_key(t) {
                    out.push(Change::new(true, format!("- variant `{t}` removed (was {ty})")));
                }
            }
        }
        (Shape::Alias(o), Shape::Alias(n)) => {
            if o != n {
                out.push(Change::new(true, format!("~ {o} -> {n}")));
            }
        }
        (o, n) => out.push(Change::new(true, format!("~ kind: {} -> {}", o.kind(), n.kind()))),
    }
    out
}

#[cfg(test)]
mod tests;

//! Step 5, the manifest-driven tables: takes a version's [`Bundle`] (its actions and pushes) and
//! the names of its types, and gives the declarations typify cannot: the `actions!`, `pushes!`,
//! `any!` (`AnyRequest`, `AnyResponse`, `AnyPush`) and `types!` tables of `lc_types::declare`, one
//! row per action, push or type, and `api!` (`VERSION`, `API`). Text, printed as it is read.

use std::fmt::Write;

use crate::codegen::bundle::{pascal, Api, Bundle};

/// Words a manifest name cannot be, as it becomes an identifier in the tables.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn", "for", "if", "impl",
    "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try", "typeof",
    "unsized", "virtual", "yield",
];

/// The tables of one version, as the text of `mod.rs`'s declarations.
pub(super) fn manifest_text(b: &Bundle, types: &[String]) -> Result<String, String> {
    let v = &b.version;
    let version = format!("V{}", v.replace('.', "_"));
    let api = match b.api {
        Api::Customer => "Customer",
        Api::Agent => "Agent",
        Api::Configuration => "Configuration",
    };
    let title = format!("the {} v{v}", crate::codegen::share::api_title(b.api));
    for name in b.actions.iter().map(|a| &a.name).chain(b.pushes.iter().map(|p| &p.name)) {
        if KEYWORDS.contains(&name.as_str()) {
            return Err(format!("v{v}: `{name}` is a Rust keyword; the tables cannot name it"));
        }
    }
    let mut out = String::new();
    let w = &mut out;
    let method = |web: Option<&str>| match web {
        Some("GET") => "Get",
        Some("MULTIPART") => "Multipart",
        Some(_) => "Post",
        None => "None",
    };
    writeln!(
        w,
        "actions! {{\n    /// Every action of {title}, in the manifest's order.\n    pub const ACTIONS for {version} {api} = ["
    )
    .unwrap();
    for a in &b.actions {
        let call = format!("{}({})", a.name, a.request.as_deref().unwrap_or_default());
        let rest = format!(
            "-> {} {{ web: {}, rtm: {}, token: {}, idempotent: {} }}",
            a.response,
            method(a.web.as_deref()),
            a.rtm,
            a.token,
            a.idempotent
        );
        // One line when it fits the repository's width, else the response on a line of its own.
        if 8 + call.len() + 1 + rest.len() <= 140 {
            writeln!(w, "        {call} {rest}").unwrap();
        } else {
            writeln!(w, "        {call}\n            {rest}").unwrap();
        }
        writeln!(w, "            {:?},", a.docs).unwrap();
    }
    writeln!(w, "    ];\n}}\n").unwrap();
    writeln!(
        w,
        "pushes! {{\n    /// Every push of {title}, in the manifest's order.\n    pub const PUSHES for {version} {api} = ["
    )
    .unwrap();
    for p in &b.pushes {
        writeln!(w, "        {}({})\n            {:?},", p.name, p.payload, p.docs).unwrap();
    }
    writeln!(w, "    ];\n}}\n").unwrap();
    let requests: Vec<(&str, &str)> = b
        .actions
        .iter()
        .filter_map(|a| Some((a.name.as_str(), a.request.as_deref()?)))
        .collect();
    let responses: Vec<(&str, &str)> = b.actions.iter().map(|a| (a.name.as_str(), a.response.as_str())).collect();
    let pushes: Vec<(&str, &str)> = b.pushes.iter().map(|p| (p.name.as_str(), p.payload.as_str())).collect();
    for (name, doc, by, members) in [
        (
            "AnyRequest",
            format!("Any request of {title}, decoded by action name."),
            "action",
            requests,
        ),
        (
            "AnyResponse",
            format!("Any response of {title}, decoded by action name."),
            "action",
            responses,
        ),
        (
            "AnyPush",
            format!("Any push payload of {title}, decoded by push name."),
            "push",
            pushes,
        ),
    ] {
        writeln!(w, "any! {{\n    /// {doc}\n    pub enum {name} by {by} {{").unwrap();
        for (wire, ty) in members {
            writeln!(w, "        {}({ty}) = {wire:?},", pascal(wire)).unwrap();
        }
        writeln!(w, "    }}\n}}\n").unwrap();
    }
    if !b.webhooks.is_empty() {
        writeln!(
            w,
            "#[cfg(feature = \"webhooks\")]\nany! {{\n    /// Any webhook payload of {title}, decoded by webhook action name.\n    pub enum AnyWebhook by webhook {{"
        )
        .unwrap();
        for h in &b.webhooks {
            writeln!(w, "        {}({}) = {:?},", pascal(&h.name), h.payload, h.name).unwrap();
        }
        writeln!(w, "    }}\n}}\n").unwrap();
        writeln!(w, "#[cfg(feature = \"webhooks\")]\nwebhook_table! {{").unwrap();
        writeln!(
            w,
            "    /// Every webhook action of {title}, in the manifest's order.\n    pub const WEBHOOKS for {version} = ["
        )
        .unwrap();
        for h in &b.webhooks {
            writeln!(w, "        {}({})\n            {:?},", h.name, h.payload, h.docs).unwrap();
        }
        writeln!(w, "    ];\n}}\n").unwrap();
    }
    // Several names a line, at the repository's width.
    writeln!(w, "types! {{").unwrap();
    let mut line = String::new();
    for t in types {
        let entry = match b.core.get(t) {
            Some(path) => format!("{t} = {path},"),
            None => format!("{t},"),
        };
        if !line.is_empty() && 4 + line.len() + 1 + entry.len() > 140 {
            writeln!(w, "    {line}").unwrap();
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&entry);
    }
    if !line.is_empty() {
        writeln!(w, "    {line}").unwrap();
    }
    writeln!(w, "}}\n\napi!({api});").unwrap();
    Ok(out)
}

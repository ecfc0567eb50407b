//! insta snapshots that make every schema change visible in review: each request fixture as it
//! goes on the wire (Web form and RTM frame), and the generated API surface (types, fields,
//! variants) of each version.

use std::fmt::Write;

use lc_tests::{root, version_fixtures, versions};
use lc_types::web::{self, Body, HttpRequest};
use lc_types::{ApiVersion, Frame, RequestFrame, VersionedRequest, WebMethod};
use serde_json::Value;

fn has_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(has_null),
        Value::Object(o) => o.values().any(has_null),
        _ => false,
    }
}

/// The organization ID the Web forms name.
const ORG: &str = "org-1";

/// Each request fixture as it is sent, through both transports, from one decoded value: the
/// Web form (method, path, query, body) and the RTM frame, side by side. No `null` and no field
/// the fixture did not set may appear; a GET action's query must read back (as `lc-mock` reads
/// it) as the request, a POST body and an RTM payload must be the request.
#[test]
fn requests_on_the_wire() {
    for version in &versions() {
        let v: ApiVersion = version.parse().unwrap();
        let api = lc_types::api(lc_types::ChatApi::Customer, v).unwrap();
        let mut text = String::new();
        let mut all = version_fixtures(version, false);
        all.sort_by_key(|a| a.id());
        for f in all.iter().filter(|f| f.kind == "request") {
            let input: Value = serde_json::from_str(&f.text).unwrap();
            let request = VersionedRequest::decode(version, &f.name, &f.text).unwrap();
            let sent = serde_json::to_value(&request).unwrap();
            assert!(!has_null(&sent) || has_null(&input), "{}: the request carries a null", f.id());
            assert_eq!(sent, input, "{}: the request as sent differs from what was set", f.id());
            let info = api.action(&f.name).unwrap();
            writeln!(text, "{}/{}", f.name, f.case).unwrap();
            match info.web {
                Some(method @ (WebMethod::Get | WebMethod::Post)) => {
                    let http = HttpRequest::from_parts(lc_types::ChatApi::Customer, v, &f.name, method, &request, ORG, None).unwrap();
                    writeln!(text, "  web  {} {}", http.method.as_str(), http.path_and_query()).unwrap();
                    match &http.body {
                        Body::Json(body) => {
                            let body = std::str::from_utf8(body).unwrap();
                            assert_eq!(serde_json::from_str::<Value>(body).unwrap(), input, "{}: the body", f.id());
                            writeln!(text, "       {body}").unwrap();
                        }
                        Body::Empty => {
                            let back = web::payload_from_query(v, &f.name, web::parse_query(&http.query_string()));
                            assert_eq!(Value::Object(back), input, "{}: the query does not read back", f.id());
                            assert_eq!(method, WebMethod::Get, "{}", f.id());
                        }
                        other => panic!("{}: {other:?}", f.id()),
                    }
                }
                Some(WebMethod::Multipart) => panic!("{}: a multipart action has no request type", f.id()),
                None => writeln!(text, "  web  (RTM only)").unwrap(),
            }
            if info.rtm {
                let frame = RequestFrame::from_parts(v, &f.name, &request, Some("1".to_owned()), v).unwrap();
                let wire = serde_json::to_string(&frame).unwrap();
                let Frame::Request(back) = lc_types::from_str::<Frame>(&wire).unwrap() else {
                    panic!("{}: {wire}", f.id())
                };
                assert_eq!(back.decode_any(v).unwrap(), request, "{}: the frame does not read back", f.id());
                writeln!(text, "  rtm  {wire}").unwrap();
            } else {
                writeln!(text, "  rtm  (Web only)").unwrap();
            }
        }
        insta::assert_snapshot!(format!("requests_on_the_wire_v{version}"), text);
    }
}

fn ty(t: &syn2::Type) -> String {
    let s = quote_type(t);
    s.replace("::std::string::", "")
        .replace("::std::vec::", "")
        .replace("::std::option::", "")
        .replace("::std::collections::", "")
        .replace("::std::boxed::", "")
        .replace("::serde_json::", "serde_json::")
}

fn quote_type(t: &syn2::Type) -> String {
    use quote::ToTokens;
    t.to_token_stream()
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
}

/// The public API of the generated module of each version, one line per type, field and variant;
/// a type that the version shares with others (re-exported from a shared module) says with which.
#[test]
fn api_surface() {
    let dir = root().join("crates/lc-types/src/generated");
    // A module is a directory: `mod.rs` and one file per folder of `schema/` (`objects.rs`, ...).
    let parse = |module: &str| {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(module)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let mut all = syn2::parse_file("").unwrap();
        for f in files {
            all.items
                .extend(syn2::parse_file(&std::fs::read_to_string(f).unwrap()).unwrap().items);
        }
        all
    };
    for (version, api) in versions()
        .iter()
        .flat_map(|v| ["customer", "agent", "configuration"].map(|a| (v.clone(), a)))
    {
        let module = format!("v{}/{api}", version.replace('.', "_"));
        if !dir.join(&module).is_dir() {
            continue;
        }
        let file = parse(&module);
        // (type name, the shared module it comes from, or "") -> its items.
        let mut items: Vec<(String, String, syn2::Item)> = Vec::new();
        for item in file.items.iter().flat_map(declared) {
            if let syn2::Item::Use(u) = &item {
                // Only the re-exports of shared types (`pub use super::shared_..::{A, B}`).
                if !matches!(u.vis, syn2::Visibility::Public(_)) {
                    continue;
                }
                let mut names = Vec::new();
                reexports(&u.tree, "", &mut names);
                for (shared, name) in names {
                    for it in parse(&shared).items.iter().flat_map(declared) {
                        if item_name(&it).as_deref() == Some(name.as_str()) {
                            items.push((name.clone(), shared.clone(), it));
                        }
                    }
                }
            } else if let Some(name) = item_name(&item) {
                items.push((name, String::new(), item));
            }
        }
        // By name; a type first, then its inherent impl (`new`), then its trait impls (the tables
        // of `mod.rs`, read first, declare those).
        let rank = |item: &syn2::Item| match item {
            syn2::Item::Impl(i) if i.trait_.is_some() => 2,
            syn2::Item::Impl(_) => 1,
            _ => 0,
        };
        items.sort_by(|a, b| (&a.0, rank(&a.2)).cmp(&(&b.0, rank(&b.2))));
        let mut text = String::new();
        for (_, shared, item) in &items {
            let from = if shared.is_empty() {
                String::new()
            } else {
                format!("  (shared: {})", shared_label(shared))
            };
            match item {
                syn2::Item::Struct(s) if matches!(s.vis, syn2::Visibility::Public(_)) => {
                    writeln!(text, "struct {}{from}", s.ident).unwrap();
                    if derives(&s.attrs, "Default") {
                        writeln!(text, "  Default").unwrap();
                    }
                    for (i, f) in s.fields.iter().enumerate() {
                        let name = f.ident.as_ref().map_or(i.to_string(), ToString::to_string);
                        writeln!(text, "  {name}: {}", ty(&f.ty)).unwrap();
                    }
                }
                syn2::Item::Enum(e) if matches!(e.vis, syn2::Visibility::Public(_)) => {
                    writeln!(text, "enum {}{from}", e.ident).unwrap();
                    for v in &e.variants {
                        let fields: Vec<String> = v.fields.iter().map(|f| ty(&f.ty)).collect();
                        if fields.is_empty() {
                            writeln!(text, "  {}", v.ident).unwrap();
                        } else {
                            writeln!(text, "  {}({})", v.ident, fields.join(", ")).unwrap();
                        }
                    }
                }
                syn2::Item::Impl(i) => {
                    if i.trait_.is_none() {
                        for f in &i.items {
                            let syn2::ImplItem::Fn(f) = f else { continue };
                            if f.sig.ident == "new" {
                                let params: Vec<String> = f
                                    .sig
                                    .inputs
                                    .iter()
                                    .map(|a| quote::ToTokens::to_token_stream(a).to_string().replace(" :", ":"))
                                    .map(|a| tidy_tokens(&a))
                                    .collect();
                                writeln!(text, "  new({})", params.join(", ")).unwrap();
                            }
                        }
                    }
                    if let Some((_, trait_path, _)) = &i.trait_ {
                        let name = trait_path.segments.last().unwrap().ident.to_string();
                        if ["Action", "WebAction", "RtmAction", "Push"].contains(&name.as_str()) {
                            writeln!(text, "impl {name} for {}", ty(&i.self_ty)).unwrap();
                        }
                    }
                }
                _ => {}
            }
        }
        // The customer's snapshots keep their names from before the agent's API.
        let name = match api {
            "customer" => format!("api_surface_v{version}"),
            _ => format!("api_surface_v{version}_{api}"),
        };
        insta::assert_snapshot!(name, text);
    }
}

/// `shared_v3_5_v3_6_agent_v3_6` -> `v3.5, v3.6; agent v3.6`: the units a shared module serves.
fn shared_label(module: &str) -> String {
    let rest = module.trim_start_matches("shared_");
    if let Some(versions) = rest.strip_prefix("configuration_") {
        return format!(
            "configuration v{}",
            versions.trim_start_matches('v').replace("_v", ", v").replace('_', ".")
        );
    }
    let (customer, agent) = match rest.split_once("agent_") {
        Some((c, a)) => (c.trim_end_matches('_'), a),
        None => (rest, ""),
    };
    let versions = |part: &str| {
        part.trim_start_matches('v')
            .split("_v")
            .map(|v| format!("v{}", v.replace('_', ".")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (customer.is_empty(), agent.is_empty()) {
        (false, true) => versions(customer),
        (true, false) => format!("agent {}", versions(agent)),
        _ => format!("{}; agent {}", versions(customer), versions(agent)),
    }
}

/// The impls a row of `actions!` (`name(Request) -> Response { web: .., rtm: .. } "docs",`) or
/// `pushes!` (`name(Payload) "docs",`) declares: `Action`, `WebAction` unless `web: None`,
/// `RtmAction` when `rtm: true`; `Push`.
fn table_impls(tokens: proc_macro2::TokenStream) -> Vec<syn2::Item> {
    use proc_macro2::TokenTree;
    // The rows: the last `[..]` (the first ones are the doc attributes).
    let rows = tokens
        .into_iter()
        .filter_map(|t| match t {
            TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Bracket => Some(g.stream()),
            _ => None,
        })
        .last()
        .expect("a table");
    let mut out = Vec::new();
    let mut row: Vec<TokenTree> = Vec::new();
    for t in rows {
        if matches!(&t, TokenTree::Punct(p) if p.as_char() == ',') {
            let ty = row.iter().find_map(|t| match t {
                TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Parenthesis && !g.stream().is_empty() => Some(g.stream()),
                _ => None,
            });
            let flags = row.iter().find_map(|t| match t {
                TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace => Some(g.stream().to_string()),
                _ => None,
            });
            if let Some(ty) = ty {
                let mut traits = Vec::new();
                match flags {
                    None => traits.push("Push"),
                    Some(flags) => {
                        traits.push("Action");
                        if !flags.contains("web : None") {
                            traits.push("WebAction");
                        }
                        if flags.contains("rtm : true") {
                            traits.push("RtmAction");
                        }
                    }
                }
                for t in traits {
                    let t = quote::format_ident!("{t}");
                    out.push(syn2::parse_quote!(impl crate::#t for #ty {}));
                }
            }
            row.clear();
        } else {
            row.push(t);
        }
    }
    out
}

/// Every (module, name) a `use` tree names, whatever its grouping (`a::b::C`, `a::b::{C, D}`).
fn reexports(tree: &syn2::UseTree, module: &str, out: &mut Vec<(String, String)>) {
    match tree {
        syn2::UseTree::Path(p) => reexports(&p.tree, &p.ident.to_string(), out),
        syn2::UseTree::Name(n) => out.push((module.to_owned(), n.ident.to_string())),
        syn2::UseTree::Group(g) => g.items.iter().for_each(|t| reexports(t, module, out)),
        _ => {}
    }
}

/// An item as the public API sees it: a type declared with `object!`, `open_enum!` or `union!`
/// (`lc_types::declare`) becomes what the macro declares (the `extra` map, `Default` when every
/// field is optional, else `new` with the required fields (`#[required]`: an `Option` that must be present); the hidden `_Custom` case); any
/// other item is itself.
fn declared(item: &syn2::Item) -> Vec<syn2::Item> {
    let syn2::Item::Macro(m) = item else {
        return vec![item.clone()];
    };
    if m.mac.path.is_ident("object") {
        let mut s: syn2::ItemStruct = syn2::parse2(m.mac.tokens.clone()).expect("object! declares a struct");
        let syn2::Fields::Named(fields) = &mut s.fields else {
            unreachable!("object! declares named fields")
        };
        let is_option = |ty: &syn2::Type| quote::ToTokens::to_token_stream(ty).to_string().starts_with("Option <");
        let params: Vec<syn2::FnArg> = fields
            .named
            .iter()
            .filter(|f| !is_option(&f.ty) || f.attrs.iter().any(|a| a.path().is_ident("required")))
            .map(|f| {
                let (name, ty) = (&f.ident, &f.ty);
                if is_option(ty) {
                    return syn2::parse_quote!(#name: impl Into<#ty>);
                }
                let plain =
                    ["bool", "i64", "u64", "i32", "u32", "f64"].contains(&quote::ToTokens::to_token_stream(ty).to_string().as_str());
                if plain {
                    syn2::parse_quote!(#name: #ty)
                } else {
                    syn2::parse_quote!(#name: impl Into<#ty>)
                }
            })
            .collect();
        fields.named.push(syn2::parse_quote!(pub extra: Map<String, Value>));
        if params.is_empty() {
            s.attrs.push(syn2::parse_quote!(#[derive(Default)]));
            return vec![syn2::Item::Struct(s)];
        }
        let name = s.ident.clone();
        let new: syn2::ItemImpl = syn2::parse_quote!(impl #name { pub fn new(#(#params),*) -> Self {} });
        return vec![syn2::Item::Struct(s), syn2::Item::Impl(new)];
    }
    if m.mac.path.is_ident("any") {
        // `pub enum AnyPush by push { Variant(Payload) = "name", .. }`: the enum less `by push`
        // (`by action`, `by webhook`).
        let text = m
            .mac
            .tokens
            .to_string()
            .replacen(" by action {", " {", 1)
            .replacen(" by push {", " {", 1)
            .replacen(" by webhook {", " {", 1);
        let mut e: syn2::ItemEnum = syn2::parse_str(&text).expect("any! declares an enum");
        e.variants.iter_mut().for_each(|v| v.discriminant = None);
        e.variants.push(syn2::parse_quote!(_Custom(crate::UnknownPayload)));
        return vec![syn2::Item::Enum(e)];
    }
    if m.mac.path.is_ident("actions") || m.mac.path.is_ident("pushes") {
        return table_impls(m.mac.tokens.clone());
    }
    for (name, custom) in [("open_enum", "PrivOwnedStr"), ("union", "UnknownVariant")] {
        if m.mac.path.is_ident(name) {
            let mut e: syn2::ItemEnum = syn2::parse2(m.mac.tokens.clone()).expect("the macro declares an enum");
            e.variants.iter_mut().for_each(|v| v.discriminant = None);
            let custom = quote::format_ident!("{custom}");
            e.variants.push(syn2::parse_quote!(_Custom(crate::#custom)));
            return vec![syn2::Item::Enum(e)];
        }
    }
    vec![item.clone()]
}

/// Whether `attrs` derive `name`.
fn derives(attrs: &[syn2::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.parse_args_with(syn2::punctuated::Punctuated::<syn2::Path, syn2::Token![,]>::parse_terminated)
                .is_ok_and(|paths| paths.iter().any(|p| p.is_ident(name)))
    })
}

/// Token text with the spaces `to_string` puts around punctuation removed.
fn tidy_tokens(s: &str) -> String {
    s.replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
}

/// The type an item defines or implements something for.
fn item_name(item: &syn2::Item) -> Option<String> {
    match item {
        syn2::Item::Struct(s) => Some(s.ident.to_string()),
        syn2::Item::Enum(e) => Some(e.ident.to_string()),
        syn2::Item::Impl(i) => match &*i.self_ty {
            syn2::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        _ => None,
    }
}

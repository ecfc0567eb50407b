//! Step 6, cross-version sharing: takes every version's [`VersionCode`] and gives the text of each
//! version module and of each shared module, plus the [`Module`] list. A type whose code, and the
//! code of everything it refers to, is identical in several versions is generated once in a
//! `shared_…` module that each of those versions re-exports. Also groups a version's items by the
//! type that owns them ([`by_owner`]), the unit of sharing.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};

use super::bundle::Api;
use super::render::{item_key, render};
use super::VersionCode;

/// One API of one version: the unit whose requests, responses and pushes a module holds
/// (`v3_6::customer`, `v3_6::agent`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Unit {
    /// `v3_6` (the version's module and cargo feature).
    pub module: String,
    /// `3.6`.
    pub version: String,
    /// The API (its module and cargo feature: `customer`, `agent`).
    pub api: Api,
}

impl Unit {
    /// The unit of `code`.
    pub(crate) fn of(code: &VersionCode) -> Unit {
        Unit {
            module: code.module.clone(),
            version: code.version.clone(),
            api: code.api,
        }
    }

    /// `v3_6::customer`: its module's path under `generated`.
    pub(crate) fn path(&self) -> String {
        format!("{}::{}", self.module, self.api.name())
    }

    /// `all(feature = "v3_6", feature = "customer")`: when it is compiled.
    pub(crate) fn cfg(&self) -> String {
        format!("all(feature = \"{}\", feature = \"{}\")", self.module, self.api.name())
    }

    /// `the Customer Chat API v3.6`.
    pub(crate) fn title(&self) -> String {
        format!("the {} v{}", api_title(self.api), self.version)
    }

    /// How a docs link names it: `v3.6` (customer), `agent v3.6`.
    fn label(&self) -> String {
        match self.api {
            Api::Customer => format!("v{}", self.version),
            api => format!("{} v{}", api.name(), self.version),
        }
    }

    /// `schema/v3.6/` or `schema/v3.6/agent/`.
    fn dir(&self) -> String {
        format!("schema/v{}/{}", self.version, self.api.prefix())
    }
}

/// `Customer Chat API`, `Agent Chat API`.
pub(crate) fn api_title(api: Api) -> &'static str {
    match api {
        Api::Customer => "Customer Chat API",
        Api::Agent => "Agent Chat API",
        Api::Configuration => "Configuration API",
    }
}

/// `the Customer Chat API v3.5 and v3.6 and the Agent Chat API v3.6`.
fn describe(units: &[&Unit]) -> String {
    let mut parts = Vec::new();
    for api in Api::ALL {
        let versions: Vec<String> = units.iter().filter(|u| u.api == api).map(|u| format!("v{}", u.version)).collect();
        if !versions.is_empty() {
            parts.push(format!("the {} {}", api_title(api), versions.join(" and ")));
        }
    }
    parts.join(" and ")
}

/// The name of the module of the types `units` share: `shared_v3_5_v3_6` (customer APIs only),
/// `shared_agent_v3_6_v3_7`, `shared_v3_6_agent_v3_6` (both).
fn shared_name(units: &[&Unit]) -> String {
    let mut name = String::from("shared");
    for api in Api::ALL {
        let modules: Vec<&str> = units.iter().filter(|u| u.api == api).map(|u| u.module.as_str()).collect();
        if modules.is_empty() {
            continue;
        }
        if api != Api::Customer {
            name.push('_');
            name.push_str(api.name());
        }
        name.push('_');
        name.push_str(&modules.join("_"));
    }
    name
}

/// One generated module under `generated/`: a version's (its APIs' modules, and the objects they
/// share), or one holding the types that several units share.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Module {
    /// `v3_6`, or `shared_v3_5_v3_6`.
    pub name: String,
    /// The units it serves: a version module's own APIs; those that re-export a shared module.
    pub units: Vec<Unit>,
    /// `3.6` for a version module.
    pub version: Option<String>,
}

/// The generated type names an item's tokens mention.
fn mentions(tokens: TokenStream, known: &BTreeMap<String, Vec<syn::Item>>, out: &mut BTreeSet<String>) {
    for t in tokens {
        match t {
            proc_macro2::TokenTree::Ident(i) => {
                let i = i.to_string();
                if known.contains_key(&i) {
                    out.insert(i);
                }
            }
            proc_macro2::TokenTree::Group(g) => mentions(g.stream(), known, out),
            _ => {}
        }
    }
}

/// Groups items by the type that owns them: a struct or enum owns itself; an impl belongs to the
/// type it names, and an impl naming two (`From<Newtype> for Inner`, `From<Variant> for Union`)
/// to the one whose definition refers to the other, so that it moves with that type.
pub(super) fn by_owner(items: Vec<syn::Item>) -> Result<BTreeMap<String, Vec<syn::Item>>, String> {
    let mut types: BTreeMap<String, Vec<syn::Item>> = BTreeMap::new();
    let mut impls = Vec::new();
    for item in items {
        match &item {
            syn::Item::Struct(x) => types.entry(x.ident.to_string()).or_default().insert(0, item),
            syn::Item::Enum(x) => types.entry(x.ident.to_string()).or_default().insert(0, item),
            syn::Item::Impl(_) => impls.push(item),
            other => {
                return Err(format!(
                    "internal: an item the generator does not place: {}",
                    other.to_token_stream()
                ))
            }
        }
    }
    let defs: BTreeMap<String, BTreeSet<String>> = types
        .iter()
        .map(|(name, items)| {
            let mut m = BTreeSet::new();
            mentions(items[0].to_token_stream(), &types, &mut m);
            m.remove(name);
            (name.clone(), m)
        })
        .collect();
    for item in impls {
        let syn::Item::Impl(i) = &item else { unreachable!() };
        let mut named = BTreeSet::new();
        mentions(i.self_ty.to_token_stream(), &types, &mut named);
        if let Some((path, _)) = &i.trait_ {
            mentions(path.to_token_stream(), &types, &mut named);
        }
        let self_name = match &*i.self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        let owner = named
            .iter()
            .find(|n| named.iter().all(|o| o == *n || defs[*n].contains(o)))
            .cloned()
            .or(self_name.filter(|n| types.contains_key(n)))
            .or_else(|| named.iter().next().cloned())
            .ok_or_else(|| format!("internal: an impl that names no generated type: {}", i.self_ty.to_token_stream()))?;
        types.get_mut(&owner).expect("a known type").push(item);
    }
    Ok(types)
}

/// Splits the units' code (one [`VersionCode`] per API of a version) into files: a type whose
/// code, and the code of everything it refers to, is identical in several units (versions, APIs)
/// goes once into a shared module that each of them re-exports; the rest stays in its unit's
/// module. Returns (file stem, text) and the modules (versions and shared ones).
pub(crate) fn assemble(codes: &[VersionCode]) -> (Vec<(String, String)>, Vec<Module>) {
    let units: Vec<Unit> = codes.iter().map(Unit::of).collect();
    // Per unit: type -> (its code as text, the types it refers to).
    let facts: Vec<BTreeMap<&str, (String, BTreeSet<String>)>> = codes
        .iter()
        .map(|c| {
            c.types
                .iter()
                .map(|(name, items)| {
                    let mut tokens = TokenStream::new();
                    undocumented(items).iter().for_each(|i| i.to_tokens(&mut tokens));
                    // The types its paths name: a variant of the same name as a type
                    // (`Event::Form` and the customer's `Form`) is no reference.
                    let mut refs: BTreeSet<String> = used_names(items).into_iter().filter(|n| c.types.contains_key(n)).collect();
                    refs.remove(name);
                    (name.as_str(), (tokens.to_string(), refs))
                })
                .collect()
        })
        .collect();
    // class[(type, unit)] = the units that can share that unit's type: same code, not bound to a
    // unit, and every type it refers to shared by them too (a fixpoint).
    let mut class: BTreeMap<(&str, usize), BTreeSet<usize>> = BTreeMap::new();
    for (v, c) in codes.iter().enumerate() {
        for name in c.types.keys() {
            let same = (0..codes.len())
                .filter(|&w| {
                    w == v
                        || (!c.bound.contains(name)
                            && !codes[w].bound.contains(name)
                            && facts[w].get(name.as_str()).is_some_and(|f| f.0 == facts[v][name.as_str()].0))
                })
                .collect();
            class.insert((name.as_str(), v), same);
        }
    }
    loop {
        let mut changed = false;
        for (v, f) in facts.iter().enumerate() {
            for (name, (_, refs)) in f {
                let mut set = class[&(*name, v)].clone();
                for r in refs {
                    let of_ref = &class[&(r.as_str(), v)];
                    set.retain(|w| of_ref.contains(w));
                }
                // Sharing goes both ways: `w` shares with `v` only if `v` shares with `w`.
                set.retain(|&w| class[&(*name, w)].contains(&v));
                if set != class[&(*name, v)] {
                    class.insert((name, v), set);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let members = |set: &BTreeSet<usize>| -> Vec<&Unit> { set.iter().map(|&v| &units[v]).collect() };
    let module_of = |set: &BTreeSet<usize>| -> String {
        match set.len() {
            1 => units[*set.iter().next().expect("one")].path(),
            _ => shared_name(&members(set)),
        }
    };
    // Shared module name -> (its units, type -> items, the (module, type)s its types refer to).
    type Shared = (BTreeSet<usize>, BTreeMap<String, Vec<syn::Item>>, BTreeSet<(String, String)>);
    let mut shared: BTreeMap<String, Shared> = BTreeMap::new();
    // Shared type -> its kind (the folder of its schema), as its first unit says.
    let mut shared_kinds: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut files = Vec::new();
    for (v, c) in codes.iter().enumerate() {
        let unit = &units[v];
        let mut own: BTreeMap<&'static str, Vec<syn::Item>> = BTreeMap::new();
        let mut reexports: BTreeMap<&'static str, BTreeSet<(String, String)>> = BTreeMap::new();
        for (name, items) in &c.types {
            let set = &class[&(name.as_str(), v)];
            let kind = c.kind(name);
            // Added after the sharing is decided: the links differ between units.
            let mut items = items.clone();
            link_docs(&mut items[0], set.iter().map(|&w| (units[w].label(), codes[w].links.get(name))));
            if set.len() == 1 {
                own.entry(kind).or_default().extend(items);
                continue;
            }
            let module = module_of(set);
            reexports.entry(kind).or_default().insert((module.clone(), name.clone()));
            if set.iter().next() == Some(&v) {
                shared_kinds.insert(name.clone(), kind);
                let entry = shared
                    .entry(module)
                    .or_insert_with(|| (set.clone(), BTreeMap::new(), BTreeSet::new()));
                entry.1.insert(name.clone(), items);
                for r in &facts[v][name.as_str()].1 {
                    entry.2.insert((module_of(&class[&(r.as_str(), v)]), r.clone()));
                }
            }
        }
        let kinds: BTreeSet<&'static str> = own.keys().chain(reexports.keys()).copied().collect();
        let title = unit.title();
        let v_doc = title[..1].to_uppercase() + &title[1..];
        let dir = unit.dir();
        let stem = unit.path().replace("::", "/");
        let pool = match unit.api {
            Api::Customer => String::new(),
            _ => format!(" (and the `schema/v{}/objects/` they refer to)", unit.version),
        };
        for kind in &kinds {
            let mut items = own.remove(kind).unwrap_or_default();
            items.sort_by_cached_key(item_key);
            let uses = grouped_uses(reexports.get(kind).into_iter().flatten(), quote!(pub use crate::generated));
            let imported: BTreeSet<&str> = reexports.get(kind).into_iter().flatten().map(|(_, t)| t.as_str()).collect();
            let glob = needs_glob(&items, &imported, &c.types).then(|| {
                quote!(
                    use super::*;
                )
            });
            let shared_doc = if reexports.contains_key(kind) { SHARED_DOC } else { "" };
            let pool = if *kind == "objects" { pool.as_str() } else { "" };
            let header = format!(
                "// @generated by `cargo xtask codegen` from `{dir}{kind}/`. Do not edit by hand: change\n// the schema or the generator and regenerate.\n//! {v_doc}: its {kind}, generated from `{dir}{kind}/`{pool}.\n{shared_doc}"
            );
            files.push((format!("{stem}/{kind}"), render(&header, quote!(#glob #uses), items, "")));
        }
        let header = format!(
            "// @generated by `cargo xtask codegen` from `{dir}`. Do not edit by hand: change the\n// schema or the generator and regenerate.\n//! {v_doc}: every object, request, response and push, generated from `{dir}`\n//! (one module per folder, all re-exported here), and the tables of its actions, pushes and types.\n{shared_doc}",
            shared_doc = if reexports.is_empty() {
                ""
            } else {
                SHARED_DOC
            }
        );
        let modules_tokens = kind_modules(&kinds);
        let webhook_table = c.tables.contains("webhook_table!").then(|| {
            quote!(
                #[cfg(feature = "webhooks")]
                use crate::declare::webhook_table;
            )
        });
        let uses = quote!(use crate::declare::{actions, any, api, pushes, types}; #webhook_table #modules_tokens);
        files.push((format!("{stem}/mod"), render(&header, uses, Vec::new(), &c.tables)));
    }
    // The version modules: `pub mod customer;`, `pub mod agent;` and the objects both share.
    let mut modules = Vec::new();
    let mut versions: Vec<&str> = units.iter().map(|u| u.module.as_str()).collect();
    versions.dedup();
    for module in versions {
        let of_version: Vec<usize> = (0..units.len()).filter(|&v| units[v].module == module).collect();
        let own = &units[of_version[0]];
        let api_mods = of_version.iter().map(|&v| {
            let api = units[v].api;
            let name = format_ident!("{}", api.name());
            let feature = api.name();
            let doc = format!(" {} v{} (feature `{feature}`).", api_title(api), own.version);
            quote!(#[doc = #doc] #[cfg(feature = #feature)] pub mod #name;)
        });
        // Objects both Chat APIs of the version share: one type, found here as in each API's
        // module (the Configuration API shares none of them).
        let chat: Vec<usize> = of_version.iter().copied().filter(|&v| units[v].api != Api::Configuration).collect();
        let mut both = BTreeSet::new();
        if chat.len() > 1 {
            let first = chat[0];
            for name in codes[first].types.keys() {
                let set = &class[&(name.as_str(), first)];
                if codes[first].kind(name) == "objects" && chat.iter().all(|w| set.contains(w)) {
                    both.insert((module_of(set), name.clone()));
                }
            }
        }
        let any_api = chat.iter().map(|&v| units[v].api.name()).map(|a| quote!(feature = #a));
        let both_uses = grouped_uses(both.iter(), quote!(#[cfg(any(#(#any_api),*))] pub use crate::generated));
        let var = format_ident!("V{}", own.version.replace('.', "_"));
        let header = format!(
            "// @generated by `cargo xtask codegen` from `schema/v{v}/`. Do not edit by hand: change the\n// schema or the generator and regenerate.\n//! API v{v}: one module per API ({}), each behind the cargo feature of its name{}.\n",
            of_version.iter().map(|&v| format!("`{}`", units[v].api.name())).collect::<Vec<_>>().join(", "),
            if both.is_empty() { "" } else { ";\n//! and the objects both Chat APIs share, re-exported here (the same types as in each API's module)" },
            v = own.version,
        );
        let tokens = quote! {
            #(#api_mods)*
            #both_uses
            /// This module's API version.
            pub const VERSION: crate::ApiVersion = crate::ApiVersion::#var;
        };
        files.push((format!("{module}/mod"), render(&header, tokens, Vec::new(), "")));
        modules.push(Module {
            name: module.to_owned(),
            units: of_version.iter().map(|&v| units[v].clone()).collect(),
            version: Some(own.version.clone()),
        });
    }
    let all_types: BTreeMap<String, Vec<syn::Item>> = codes.iter().flat_map(|c| c.types.clone()).collect();
    for (name, (set, types, refs)) in shared {
        let serves = members(&set);
        let mut by_kind: BTreeMap<&'static str, Vec<syn::Item>> = BTreeMap::new();
        for (t, items) in types {
            by_kind.entry(shared_kinds[&t]).or_default().extend(items);
        }
        let mut dirs: Vec<String> = serves.iter().map(|u| format!("`{}`", u.dir())).collect();
        dirs.dedup();
        let who = describe(&serves);
        let mut used = BTreeSet::new();
        for (kind, mut items) in std::mem::take(&mut by_kind) {
            items.sort_by_cached_key(item_key);
            used.extend(used_names(&items));
            let glob = needs_glob(&items, &BTreeSet::new(), &all_types).then(|| {
                quote!(
                    use super::*;
                )
            });
            let header = format!(
                "// @generated by `cargo xtask codegen` from {}. Do not edit by hand: change the\n// schema or the generator and regenerate.\n//! The {kind} that {who} share: their schemas, and everything those refer to, are identical.\n",
                dirs.join(" and "),
            );
            files.push((format!("{name}/{kind}"), render(&header, quote!(#glob), items, "")));
            by_kind.insert(kind, Vec::new());
        }
        // `refs` may name a type only where a variant of the same name is meant (`EventInput::Form`).
        let uses = grouped_uses(refs.iter().filter(|(m, t)| *m != name && used.contains(t)), quote!(use super));
        let kinds: BTreeSet<&'static str> = by_kind.keys().copied().collect();
        let modules_tokens = kind_modules(&kinds);
        let header = format!(
            "// @generated by `cargo xtask codegen` from {}. Do not edit by hand: change the\n// schema or the generator and regenerate.\n//! The types that {who} share: their schemas, and everything those refer to, are identical\n//! (one module per folder of `schema/`, all re-exported here).\n",
            dirs.join(" and "),
        );
        files.push((
            format!("{name}/mod"),
            render(&header, quote!(#uses #modules_tokens), Vec::new(), ""),
        ));
        modules.push(Module {
            name,
            units: serves.into_iter().cloned().collect(),
            version: None,
        });
    }
    (files, modules)
}

/// `items` without their doc comments: the shape that decides sharing (two schemas that differ
/// only in their descriptions give one type, documented as the first unit says).
fn undocumented(items: &[syn::Item]) -> Vec<syn::Item> {
    struct Strip;
    fn strip(attrs: &mut Vec<syn::Attribute>) {
        attrs.retain(|a| !a.path().is_ident("doc"));
    }
    impl syn::visit_mut::VisitMut for Strip {
        fn visit_item_struct_mut(&mut self, i: &mut syn::ItemStruct) {
            strip(&mut i.attrs);
            syn::visit_mut::visit_item_struct_mut(self, i);
        }
        fn visit_item_enum_mut(&mut self, i: &mut syn::ItemEnum) {
            strip(&mut i.attrs);
            syn::visit_mut::visit_item_enum_mut(self, i);
        }
        fn visit_field_mut(&mut self, i: &mut syn::Field) {
            strip(&mut i.attrs);
            syn::visit_mut::visit_field_mut(self, i);
        }
        fn visit_variant_mut(&mut self, i: &mut syn::Variant) {
            strip(&mut i.attrs);
            syn::visit_mut::visit_variant_mut(self, i);
        }
        fn visit_item_impl_mut(&mut self, i: &mut syn::ItemImpl) {
            strip(&mut i.attrs);
            syn::visit_mut::visit_item_impl_mut(self, i);
        }
        fn visit_impl_item_fn_mut(&mut self, i: &mut syn::ImplItemFn) {
            strip(&mut i.attrs);
            syn::visit_mut::visit_impl_item_fn_mut(self, i);
        }
    }
    let mut items = items.to_vec();
    for item in &mut items {
        syn::visit_mut::VisitMut::visit_item_mut(&mut Strip, item);
    }
    items
}

/// What a module that re-exports shared types says of them.
const SHARED_DOC: &str = "//!\n//! A type that is identical in several versions (its schema and everything it refers to) is\n//! generated once and re-exported here, so the same value moves between versions unchanged.\n";

/// One `<head>::<module>::{A, B};` per module of the (module, type) pairs.
fn grouped_uses<'a>(pairs: impl Iterator<Item = &'a (String, String)>, head: TokenStream) -> TokenStream {
    let mut by_module: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (module, t) in pairs {
        by_module.entry(module).or_default().push(t);
    }
    let uses = by_module.into_iter().map(|(m, ts)| {
        let m = format_ident!("{m}");
        let ts = ts.iter().map(|t| format_ident!("{t}"));
        quote!(#head::#m::{#(#ts),*};)
    });
    quote!(#(#uses)*)
}

/// `mod objects; pub use objects::*;` for each kind (folder) a module has.
fn kind_modules(kinds: &BTreeSet<&'static str>) -> TokenStream {
    let idents: Vec<syn::Ident> = kinds.iter().map(|k| format_ident!("{k}")).collect();
    quote!(#(mod #idents;)* #(pub use #idents::*;)*)
}

/// Whether `items` name a generated type (one of `known`) they do not define: then their file
/// imports its module's names.
fn needs_glob(items: &[syn::Item], imported: &BTreeSet<&str>, known: &BTreeMap<String, Vec<syn::Item>>) -> bool {
    let mut tokens = TokenStream::new();
    for item in items {
        match item {
            // A variant's name is not a type (`Customer = "customer"`): only its fields are.
            syn::Item::Enum(e) => e.variants.iter().for_each(|v| v.fields.to_tokens(&mut tokens)),
            other => other.to_tokens(&mut tokens),
        }
    }
    let mut named = BTreeSet::new();
    mentions(tokens, known, &mut named);
    named.iter().any(|n| {
        !imported.contains(n.as_str())
            && !items.iter().any(|i| match i {
                syn::Item::Struct(s) => s.ident == n,
                syn::Item::Enum(e) => e.ident == n,
                _ => false,
            })
    })
}

/// Appends to a request, response or push type's docs the link to its section of the API
/// reference in each version that has it (`versions`: (version, its links for the type)).
fn link_docs<'a>(item: &mut syn::Item, versions: impl Iterator<Item = (String, Option<&'a Vec<(String, String)>>)>) {
    // Action or push name -> (version, link).
    let mut by_name: BTreeMap<&str, Vec<(String, &str)>> = BTreeMap::new();
    for (label, links) in versions {
        for (name, url) in links.into_iter().flatten() {
            by_name.entry(name).or_default().push((label.clone(), url));
        }
    }
    if by_name.is_empty() {
        return;
    }
    let attrs = match item {
        syn::Item::Struct(s) => &mut s.attrs,
        syn::Item::Enum(e) => &mut e.attrs,
        _ => return,
    };
    attrs.push(syn::parse_quote!(#[doc = ""]));
    for (name, uses) in by_name {
        let line = match uses.as_slice() {
            [(label, url)] => format!("API reference: [`{name}` ({label})]({url})."),
            _ => {
                let links: Vec<String> = uses.iter().map(|(label, url)| format!("[{label}]({url})")).collect();
                format!("API reference of `{name}`: {}.", links.join(", "))
            }
        };
        attrs.push(syn::parse_quote!(#[doc = #line]));
    }
}

/// The first segment of every path in `items`: the names they use from elsewhere.
fn used_names(items: &[syn::Item]) -> BTreeSet<String> {
    struct Names(BTreeSet<String>);
    impl<'a> syn::visit::Visit<'a> for Names {
        fn visit_path(&mut self, p: &'a syn::Path) {
            if let Some(first) = p.segments.first() {
                self.0.insert(first.ident.to_string());
            }
            syn::visit::visit_path(self, p);
        }
    }
    let mut names = Names(BTreeSet::new());
    for item in items {
        syn::visit::Visit::visit_item(&mut names, item);
    }
    names.0
}

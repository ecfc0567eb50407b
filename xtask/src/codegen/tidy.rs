//! The last pass before printing: makes the generated code read like code a person would write.
//!
//! - Prelude types and variants unqualified (`Option<String>`, `Vec<T>`, `Box<T>`, `Some`, `Ok`,
//!   `From`, `Into`, `Default`, not `::std::option::Option<::std::string::String>`), in paths,
//!   in `#[derive(..)]` lists and in serde attribute strings (`skip_serializing_if =
//!   "Option::is_none"`).
//! - `serde::{Deserialize, Serialize}`, `serde_json::{Map, Value}` and
//!   `std::collections::BTreeMap` imported at the top of the file (only the ones it uses); every
//!   other path loses its leading `::` (`std::fmt::Display`, `serde::Serializer`).
//! - One doc-comment style: one `/// Text` line per line of text (prettyplease prints a doc
//!   attribute as `///` followed by its text verbatim, and a multi-line one as `/** */`).
//! - Doc comments first, then the other attributes (`#[derive]`, `#[serde]`, `#[doc(hidden)]`).
//!
//! A short name is used only where the file defines or imports nothing of that name.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Item, Path, PathSegment};

/// (full path, short path, the `use` it needs). The short path replaces the full one as a
/// prefix: `std::option::Option::Some` becomes `Some`, `serde_json::Value::as_str` `Value::as_str`.
const SHORT: &[(&str, &str, Option<&str>)] = &[
    ("std::option::Option::Some", "Some", None),
    ("std::option::Option::None", "None", None),
    ("std::option::Option", "Option", None),
    ("std::result::Result::Ok", "Ok", None),
    ("std::result::Result::Err", "Err", None),
    ("std::result::Result", "Result", None),
    ("std::string::String", "String", None),
    ("std::vec::Vec", "Vec", None),
    ("std::boxed::Box", "Box", None),
    ("std::convert::From", "From", None),
    ("std::convert::Into", "Into", None),
    ("std::default::Default", "Default", None),
    ("std::clone::Clone", "Clone", None),
    ("std::collections::BTreeMap", "BTreeMap", Some("std::collections::BTreeMap")),
    ("serde_json::Map", "Map", Some("serde_json::Map")),
    ("serde_json::Value", "Value", Some("serde_json::Value")),
    ("serde::Serialize", "Serialize", Some("serde::Serialize")),
    ("serde::Deserialize", "Deserialize", Some("serde::Deserialize")),
];

/// Every lint the generated code allows (on single items only), with the reason printed above
/// each `#[allow]`: tokens carry no comments, so [`justify`] adds them to the printed text.
const ALLOWED: &[(&str, &str)] = &[
    (
        "unreachable_patterns",
        "Which versions match depends on the features on: with all of them (or one) this arm matches nothing.",
    ),
    (
        "clippy::large_enum_variant",
        "Members differ in size as the payloads do; boxing them would cost an allocation per decode and `Box` patterns in every match.",
    ),
    (
        "clippy::result_large_err",
        "The error is the value the caller passed in, given back as it came; boxing it would allocate on every miss.",
    ),
];

/// Puts the reason of every allowed lint (see [`ALLOWED`]) in a comment above its `#[allow]`;
/// panics on an `#[allow]` without a reason, so none slips in unexplained.
pub(crate) fn justify(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4096);
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(lints) = trimmed.strip_prefix("#[allow(").and_then(|l| l.strip_suffix(")]")) {
            let indent = &line[..line.len() - trimmed.len()];
            for lint in lints.split(',').map(str::trim) {
                let (_, reason) = ALLOWED
                    .iter()
                    .find(|(l, _)| *l == lint)
                    .unwrap_or_else(|| panic!("generated code allows `{lint}` without a reason in xtask/src/codegen/tidy.rs"));
                out.push_str(&format!("{indent}// {reason}\n"));
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Crates whose paths lose their leading `::`.
const ROOTS: &[&str] = &["std", "core", "alloc", "serde", "serde_json"];

/// Tidies `file` in place and puts the `use` lines it needs at its top.
pub(crate) fn tidy(file: &mut syn::File) {
    let mut taken = BTreeSet::new();
    for item in &file.items {
        match item {
            Item::Struct(s) => {
                taken.insert(s.ident.to_string());
            }
            Item::Enum(e) => {
                taken.insert(e.ident.to_string());
            }
            Item::Fn(f) => {
                taken.insert(f.sig.ident.to_string());
            }
            Item::Const(c) => {
                taken.insert(c.ident.to_string());
            }
            Item::Use(u) => use_names(&u.tree, &mut taken),
            _ => {}
        }
    }
    let mut t = Tidy {
        taken,
        uses: BTreeSet::new(),
    };
    t.visit_file_mut(file);
    // `serde::{Deserialize, Serialize}`, `serde_json::{Map, Value}`, `std::collections::BTreeMap`.
    let mut by_module: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for u in &t.uses {
        let (module, name) = u.rsplit_once("::").expect("a path");
        by_module.entry(module).or_default().push(name);
    }
    let mut uses: Vec<Item> = by_module
        .into_iter()
        .map(|(module, names)| {
            let text = if names.len() == 1 {
                format!("use {module}::{};", names[0])
            } else {
                format!("use {module}::{{{}}};", names.join(", "))
            };
            syn::parse_str(&text).expect("a use line")
        })
        .collect();
    // Before the `pub use` re-exports, after nothing else.
    uses.append(&mut file.items);
    file.items = uses;
}

fn use_names(tree: &syn::UseTree, out: &mut BTreeSet<String>) {
    match tree {
        syn::UseTree::Path(p) => use_names(&p.tree, out),
        syn::UseTree::Name(n) => {
            out.insert(n.ident.to_string());
        }
        syn::UseTree::Rename(r) => {
            out.insert(r.rename.to_string());
        }
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
        syn::UseTree::Glob(_) => {}
    }
}

struct Tidy {
    /// Names the file defines or imports: never shortened to.
    taken: BTreeSet<String>,
    /// The imports the shortened paths need.
    uses: BTreeSet<&'static str>,
}

impl Tidy {
    /// Shortens `path` in place; true when it changed.
    fn path(&mut self, path: &mut Path) -> bool {
        let Some(first) = path.segments.first() else { return false };
        if !ROOTS.iter().any(|r| first.ident == r) {
            return false;
        }
        let mut changed = path.leading_colon.take().is_some();
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        for (full, short, import) in SHORT {
            let full: Vec<&str> = full.split("::").collect();
            let short: Vec<&str> = short.split("::").collect();
            if names.len() < full.len() || names.iter().zip(&full).any(|(a, b)| a != b) {
                continue;
            }
            // Generic arguments may sit only on the last segment of the prefix (`Option<T>`).
            if path.segments.iter().take(full.len() - 1).any(|s| !s.arguments.is_none()) {
                continue;
            }
            if self.taken.contains(short[0]) {
                break;
            }
            let rest: Vec<PathSegment> = path.segments.iter().skip(full.len()).cloned().collect();
            let last_args = path.segments[full.len() - 1].arguments.clone();
            let mut segments: Punctuated<PathSegment, syn::Token![::]> = Punctuated::new();
            for (i, s) in short.iter().enumerate() {
                let mut seg = PathSegment::from(syn::Ident::new(s, Span::call_site()));
                if i == short.len() - 1 {
                    seg.arguments = last_args.clone();
                }
                segments.push(seg);
            }
            segments.extend(rest);
            path.segments = segments;
            if let Some(import) = import {
                self.uses.insert(import);
            }
            changed = true;
            break;
        }
        changed
    }

    /// Doc comments split into one attribute per line, each starting with a space, and moved
    /// before every other attribute.
    fn attrs(&mut self, attrs: &mut Vec<Attribute>) {
        let mut docs = Vec::new();
        let mut others = Vec::new();
        for attr in attrs.drain(..) {
            match doc_text(&attr) {
                Some(text) => {
                    for line in text.split('\n') {
                        let line = line.trim_end();
                        let line = if line.is_empty() || line.starts_with(' ') {
                            line.to_owned()
                        } else {
                            format!(" {line}")
                        };
                        docs.push(syn::parse_quote!(#[doc = #line]));
                    }
                }
                None => others.push(attr),
            }
        }
        for attr in &mut others {
            self.attr(attr);
        }
        attrs.extend(docs);
        attrs.extend(others);
    }

    /// `#[derive(..)]` paths and serde's path strings.
    fn attr(&mut self, attr: &mut Attribute) {
        let syn::Meta::List(list) = &mut attr.meta else { return };
        if list.path.is_ident("derive") {
            if let Ok(mut paths) = list.parse_args_with(Punctuated::<Path, syn::Token![,]>::parse_terminated) {
                for p in paths.iter_mut() {
                    self.path(p);
                }
                list.tokens = paths.to_token_stream();
            }
        } else if list.path.is_ident("serde") {
            list.tokens = self.strings(list.tokens.clone());
        }
    }

    /// Shortens every string literal in `tokens` that holds a path (`"::std::option::Option::is_none"`).
    fn strings(&mut self, tokens: TokenStream) -> TokenStream {
        tokens
            .into_iter()
            .map(|t| match t {
                TokenTree::Literal(l) => {
                    let Ok(s) = syn::parse_str::<syn::LitStr>(&l.to_string()) else {
                        return TokenTree::Literal(l);
                    };
                    let Ok(mut path) = syn::parse_str::<Path>(&s.value()) else {
                        return TokenTree::Literal(l);
                    };
                    if !self.path(&mut path) {
                        return TokenTree::Literal(l);
                    }
                    let text = path.to_token_stream().to_string().replace(' ', "");
                    TokenTree::Literal(proc_macro2::Literal::string(&text))
                }
                TokenTree::Group(g) => {
                    let mut n = proc_macro2::Group::new(g.delimiter(), self.strings(g.stream()));
                    n.set_span(g.span());
                    TokenTree::Group(n)
                }
                other => other,
            })
            .collect()
    }
}

/// The text of a `#[doc = "..."]` attribute (not of `#[doc(hidden)]`).
fn doc_text(attr: &Attribute) -> Option<String> {
    let syn::Meta::NameValue(nv) = &attr.meta else { return None };
    if !nv.path.is_ident("doc") {
        return None;
    }
    match &nv.value {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
        _ => None,
    }
}

fn item_attrs(item: &mut Item) -> Option<&mut Vec<Attribute>> {
    Some(match item {
        Item::Const(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Struct(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Use(i) => &mut i.attrs,
        _ => return None,
    })
}

fn impl_item_attrs(item: &mut syn::ImplItem) -> Option<&mut Vec<Attribute>> {
    Some(match item {
        syn::ImplItem::Const(i) => &mut i.attrs,
        syn::ImplItem::Fn(i) => &mut i.attrs,
        syn::ImplItem::Type(i) => &mut i.attrs,
        _ => return None,
    })
}

impl Tidy {
    /// A path that may follow a `<T as Trait>` (whose `position` counts the trait's segments).
    fn qualified(&mut self, qself: &mut Option<syn::QSelf>, path: &mut Path) {
        let before = path.segments.len();
        self.path(path);
        if let Some(q) = qself {
            q.position = q.position + path.segments.len() - before;
        }
    }
}

impl VisitMut for Tidy {
    fn visit_path_mut(&mut self, path: &mut Path) {
        self.path(path);
        visit_mut::visit_path_mut(self, path);
    }

    fn visit_expr_path_mut(&mut self, e: &mut syn::ExprPath) {
        self.qualified(&mut e.qself, &mut e.path);
        visit_mut::visit_expr_path_mut(self, e);
    }

    fn visit_type_path_mut(&mut self, t: &mut syn::TypePath) {
        self.qualified(&mut t.qself, &mut t.path);
        visit_mut::visit_type_path_mut(self, t);
    }

    fn visit_item_mut(&mut self, item: &mut Item) {
        if let Some(attrs) = item_attrs(item) {
            self.attrs(attrs);
        }
        visit_mut::visit_item_mut(self, item);
    }

    fn visit_impl_item_mut(&mut self, item: &mut syn::ImplItem) {
        if let Some(attrs) = impl_item_attrs(item) {
            self.attrs(attrs);
        }
        visit_mut::visit_impl_item_mut(self, item);
    }

    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        self.attrs(&mut field.attrs);
        visit_mut::visit_field_mut(self, field);
    }

    fn visit_variant_mut(&mut self, variant: &mut syn::Variant) {
        self.attrs(&mut variant.attrs);
        visit_mut::visit_variant_mut(self, variant);
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        self.attrs(&mut arm.attrs);
        visit_mut::visit_arm_mut(self, arm);
    }

    fn visit_file_mut(&mut self, file: &mut syn::File) {
        self.attrs(&mut file.attrs);
        visit_mut::visit_file_mut(self, file);
    }
}

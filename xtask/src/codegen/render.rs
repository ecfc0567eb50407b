//! Rendering, shared by steps 5 to 7: a multi-line doc as `#[doc]` attributes, the order of items
//! in a file, and a file's text from a header, its `use` lines and its items (tidied by
//! [`crate::codegen::tidy`], printed by prettyplease).

use proc_macro2::TokenStream;
use quote::quote;

/// A multi-line doc comment as one `#[doc]` per line (so it prints as `///` lines).
pub(super) fn doc_lines(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    quote!(#(#[doc = #lines])*)
}

/// A header, `use` lines, then the items, tidied (see [`crate::codegen::tidy`]) and through prettyplease.
pub(super) fn render(header: &str, uses: TokenStream, items: Vec<syn::Item>) -> String {
    let mut file: syn::File = syn::parse2(uses).expect("use lines parse");
    file.items.extend(items);
    crate::codegen::tidy::tidy(&mut file);
    header.to_owned() + &crate::codegen::tidy::justify(&prettyplease::unparse(&file))
}

/// Orders items by kind of name, so that the file reads like an index and diffs stay small.
pub(super) fn item_key(item: &syn::Item) -> (String, u8) {
    let name = |ty: &syn::Type| match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        _ => String::new(),
    };
    match item {
        syn::Item::Struct(s) => (s.ident.to_string(), 0),
        syn::Item::Enum(e) => (e.ident.to_string(), 0),
        syn::Item::Impl(i) => (name(&i.self_ty), 1),
        syn::Item::Const(c) => (c.ident.to_string(), 0),
        syn::Item::Mod(m) => (m.ident.to_string(), 0),
        _ => (String::new(), 2),
    }
}

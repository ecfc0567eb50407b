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

/// A header, `use` lines, then the items: tidied (see [`crate::codegen::tidy`]), printed by
/// prettyplease, the declarations wrapped in their macros ([`declarations`]), a blank line
/// between items, and formatted by rustfmt with the repository's `rustfmt.toml`.
/// `tables`, declarations printed as they are given (see [`super::manifest`]), come last.
pub(super) fn render(header: &str, uses: TokenStream, items: Vec<syn::Item>, tables: &str) -> String {
    let mut file: syn::File = syn::parse2(uses).expect("use lines parse");
    let macros: std::collections::BTreeSet<String> = items.iter().filter_map(declared_as).collect();
    if !macros.is_empty() {
        let names = macros.iter().map(|m| quote::format_ident!("{m}"));
        file.items.insert(0, syn::parse_quote!(use crate::declare::{#(#names),*};));
    }
    file.items.extend(items);
    crate::codegen::tidy::tidy(&mut file);
    let text = crate::codegen::tidy::justify(&prettyplease::unparse(&file));
    rustfmt(&(header.to_owned() + &separate(&declarations(&text)) + "\n" + tables))
}

/// The macro an item is declared with (`#[declare(object)]`, see `lc_types::declare`).
fn declared_as(item: &syn::Item) -> Option<String> {
    let attrs = match item {
        syn::Item::Struct(s) => &s.attrs,
        syn::Item::Enum(e) => &e.attrs,
        _ => return None,
    };
    attrs
        .iter()
        .find(|a| a.path().is_ident("declare"))
        .and_then(|a| a.parse_args::<syn::Ident>().ok())
        .map(|i| i.to_string())
}

/// Wraps every item marked `#[declare(name)]` (and its docs) in `name! { .. }`.
fn declarations(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line.strip_prefix("#[declare(").and_then(|l| l.strip_suffix(")]")) else {
            out.push(line.to_owned());
            continue;
        };
        let docs_from = out.iter().rposition(|l| !l.starts_with("///")).map_or(0, |i| i + 1);
        let docs = out.split_off(docs_from);
        out.push(format!("{name}! {{"));
        out.extend(docs.iter().map(|l| format!("    {l}")));
        for line in lines.by_ref() {
            out.push(format!("    {line}"));
            if line == "}" || (!line.starts_with(' ') && line.ends_with("{}")) {
                break;
            }
        }
        out.push("}".to_owned());
    }
    out.join("\n") + "\n"
}

/// A blank line after every top-level item, except between one-line `use`s and between one-line `mod`s.
fn separate(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len() + lines.len());
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        let ends_item = !line.starts_with([' ', '/', '#']) && (*line == "}" || line.ends_with(';') || line.ends_with("{}"));
        // One-line `use`s, and one-line `mod`s, stay together.
        let kind = |l: &str| match l.ends_with(';') {
            true if l.starts_with("use ") || l.starts_with("pub use ") => "use",
            true if l.starts_with("mod ") || l.starts_with("pub mod ") => "mod",
            _ => "item",
        };
        if let Some(next) = lines.get(i + 1) {
            if ends_item && !next.is_empty() && (kind(line) == "item" || kind(line) != kind(next)) {
                out.push('\n');
            }
        }
    }
    out
}

/// `text` formatted by rustfmt with the workspace's `rustfmt.toml`.
pub(super) fn rustfmt(text: &str) -> String {
    use std::io::Write;
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rustfmt.toml");
    let mut child = std::process::Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--config-path"])
        .arg(&config)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("rustfmt runs (rustup component add rustfmt)");
    let mut stdin = child.stdin.take().expect("piped");
    let input = text.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("rustfmt runs");
    writer.join().expect("writer").expect("rustfmt reads its input");
    assert!(output.status.success(), "rustfmt failed on generated code");
    String::from_utf8(output.stdout).expect("rustfmt writes UTF-8")
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

//! The syn pass over typify's output, which it turns into declarations for `lc_types::declare`:
//! a struct becomes its docs and fields for `object!` (optional collections and nullable fields
//! made `Option`s that keep a present `[]` or `null`), a string enum its values for `open_enum!`,
//! a union its members and tags for `union!`; newtypes keep typify's form and get `Unknowns`.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{parse_quote, Attribute, Fields, File, Ident, Item, Type};

use crate::codegen::bundle::{Bundle, Union};

/// What the pass needs to know besides typify's output.
pub(crate) struct Context<'a> {
    pub bundle: &'a Bundle,
    /// Types whose schema is an object with an empty `properties`: declared with no fields.
    /// (name -> description.)
    pub empty_objects: BTreeMap<String, String>,
}

/// A string enum as read from typify's output.
struct StringEnum {
    docs: Vec<Attribute>,
    /// (variant, wire value, variant docs)
    variants: Vec<(Ident, String, Vec<Attribute>)>,
}

/// Rewrites `file` in place. Errors name the type or field that did not match the schema.
pub(crate) fn process(file: &mut File, cx: &Context) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    let mut string_enums: BTreeMap<String, StringEnum> = BTreeMap::new();
    let mut structs: BTreeMap<String, syn::ItemStruct> = BTreeMap::new();
    let mut nullable_seen = BTreeSet::new();

    // 1. Take out string enums (re-emitted open) and the newtypes of empty objects.
    for item in &file.items {
        if let Item::Enum(e) = item {
            if e.variants.iter().all(|v| matches!(v.fields, Fields::Unit)) {
                let variants = e
                    .variants
                    .iter()
                    .map(|v| {
                        let wire = serde_rename(&v.attrs).unwrap_or_else(|| v.ident.to_string());
                        (v.ident.clone(), wire, docs(&v.attrs))
                    })
                    .collect();
                string_enums.insert(
                    e.ident.to_string(),
                    StringEnum {
                        docs: docs(&e.attrs),
                        variants,
                    },
                );
            }
        }
    }
    let replaced: BTreeSet<String> = string_enums.keys().chain(cx.empty_objects.keys()).cloned().collect();
    file.items.retain(|item| match item {
        Item::Enum(e) => !string_enums.contains_key(&e.ident.to_string()),
        Item::Struct(s) => !cx.empty_objects.contains_key(&s.ident.to_string()),
        Item::Impl(i) => {
            let trait_arg = i
                .trait_
                .as_ref()
                .and_then(|(path, _)| path.segments.last())
                .and_then(|seg| match &seg.arguments {
                    syn::PathArguments::AngleBracketed(a) => a.args.first().and_then(|g| {
                        if let syn::GenericArgument::Type(t) = g {
                            type_name(t)
                        } else {
                            None
                        }
                    }),
                    _ => None,
                });
            ![type_name(&i.self_ty), trait_arg]
                .into_iter()
                .flatten()
                .any(|n| replaced.contains(&n))
        }
        Item::Mod(m) => m.ident != "error",
        _ => true,
    });

    // 2. Fix fields of the remaining structs.
    for item in &mut file.items {
        let Item::Struct(s) = item else { continue };
        let name = s.ident.to_string();
        if let Fields::Named(fields) = &mut s.fields {
            for f in fields.named.iter_mut() {
                let ident = f.ident.as_ref().expect("named").to_string();
                let wire = serde_rename(&f.attrs).unwrap_or_else(|| ident.trim_start_matches("r#").to_owned());
                if docs(&f.attrs).is_empty() {
                    if let Some(d) = cx.bundle.descriptions.get(&(name.clone(), wire.clone())) {
                        f.attrs.insert(0, parse_quote!(#[doc = #d]));
                    }
                }
                if ident == "extra" {
                    continue;
                }
                // What `object!` needs of a field: its docs, its wire name when it is not the
                // field's, and its kind where its type does not say it.
                let skip = serde_skip_if(&f.attrs);
                let rename = serde_rename(&f.attrs);
                f.attrs.retain(|a| a.path().is_ident("doc"));
                if let Some(r) = rename {
                    f.attrs.push(parse_quote!(#[serde(rename = #r)]));
                }
                if cx.bundle.nullable.contains(&(name.clone(), wire.clone())) {
                    let Some(inner) = option_inner(&f.ty).cloned() else {
                        errors.push(format!("{name}.{wire}: nullable field is not an Option"));
                        continue;
                    };
                    f.ty = parse_quote!(::std::option::Option<::std::option::Option<#inner>>);
                    f.attrs.push(parse_quote!(#[nullable]));
                    nullable_seen.insert((name.clone(), wire));
                } else if skip.as_deref().is_some_and(|s| s.ends_with("::is_empty")) {
                    // An optional collection: keep a present `[]`/`{}` present.
                    let ty = f.ty.clone();
                    f.ty = parse_quote!(::std::option::Option<#ty>);
                } else if option_inner(&f.ty).is_some() && skip.is_none() {
                    // Required and may be `null` (typify writes no `skip_serializing_if`).
                    f.attrs.push(parse_quote!(#[required]));
                }
            }
        }
        structs.insert(name, s.clone());
    }
    for (owner, field) in &cx.bundle.nullable {
        if !nullable_seen.contains(&(owner.clone(), field.clone())) {
            errors.push(format!("nullable field `{owner}.{field}` matches no generated struct field"));
        }
    }

    // 3. Emit what typify does not.
    let mut out: Vec<TokenStream> = Vec::new();
    for (name, e) in &string_enums {
        out.push(open_enum(name, e));
        if let Some(policies) = cx.bundle.disconnect_policies.get(name) {
            out.push(disconnect_policy(name, e, policies));
        }
    }
    for (name, description) in &cx.empty_objects {
        out.push(empty_object(name, description));
    }
    for u in &cx.bundle.unions {
        for v in &u.variants {
            if !structs.contains_key(&v.type_name) {
                errors.push(format!("union `{}`: member `{}` matches no generated struct", u.name, v.type_name));
            }
        }
        let description = cx.bundle.definitions[&u.name]
            .get("description")
            .and_then(|d| d.as_str())
            .unwrap_or_default();
        out.push(union(u, description, &structs));
    }
    for s in structs.values() {
        out.push(struct_extras(s));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for tokens in out {
        let extra: File = syn::parse2(tokens).map_err(|e| vec![format!("internal: emitted code does not parse: {e}")])?;
        file.items.extend(extra.items);
    }
    // A struct of named fields becomes a declaration for `object!`, which adds what every such
    // struct has (`extra`, `#[non_exhaustive]`, serde, `Unknowns`, `new` or `Default`): its
    // docs, and its fields with their docs and wire names only.
    for item in &mut file.items {
        if let Item::Struct(s) = item {
            if matches!(s.fields, Fields::Unnamed(_)) && !s.attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
                s.attrs.push(parse_quote!(#[non_exhaustive]));
            }
            if let Fields::Unnamed(fields) = &mut s.fields {
                // The inner value decodes as a field does, so a failure in an array's or a
                // map's item names the item (serde's own impls for them do not).
                if let Some(inner) = fields.unnamed.first_mut() {
                    if inner.attrs.is_empty() {
                        inner.attrs.push(parse_quote!(#[serde(deserialize_with = "crate::object::field")]));
                    }
                }
            }
            if s.attrs.iter().any(|a| a.path().is_ident("declare")) {
                continue;
            }
            if let Fields::Named(fields) = &mut s.fields {
                if !has_extra(fields) {
                    errors.push(format!("{}: a struct of named fields without `extra`", s.ident));
                    continue;
                }
                s.attrs.retain(|a| a.path().is_ident("doc"));
                s.attrs.push(parse_quote!(#[declare(object)]));
                fields.named = std::mem::take(&mut fields.named)
                    .into_iter()
                    .filter(|f| f.ident.as_ref().is_some_and(|i| i != "extra"))
                    .collect();
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(())
}

/// The doc attributes of an item.
fn docs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("doc")).cloned().collect()
}

fn serde_args(attrs: &[Attribute]) -> Vec<syn::Meta> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        if let Ok(list) = a.parse_args_with(syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated) {
            out.extend(list);
        }
    }
    out
}

fn serde_str(attrs: &[Attribute], key: &str) -> Option<String> {
    serde_args(attrs).into_iter().find_map(|m| match m {
        syn::Meta::NameValue(nv) if nv.path.is_ident(key) => match nv.value {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

fn serde_rename(attrs: &[Attribute]) -> Option<String> {
    serde_str(attrs, "rename")
}

fn serde_skip_if(attrs: &[Attribute]) -> Option<String> {
    serde_str(attrs, "skip_serializing_if")
}

/// Whether a struct has the `extra` map of unknown fields (every struct of named fields does:
/// the bundler asks typify for it; `object!` declares its own).
fn has_extra(fields: &syn::FieldsNamed) -> bool {
    fields.named.iter().any(|f| f.ident.as_ref().is_some_and(|i| i == "extra"))
}

fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `T` of `Option<T>`.
fn option_inner(ty: &Type) -> Option<&Type> {
    generic_args(ty, "Option").and_then(|a| a.first().copied())
}

fn generic_args<'a>(ty: &'a Type, name: &str) -> Option<Vec<&'a Type>> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    Some(
        args.args
            .iter()
            .filter_map(|a| if let syn::GenericArgument::Type(t) = a { Some(t) } else { None })
            .collect(),
    )
}

/// Whether values of `ty` can hold nothing unknown (so no `Unknowns` call is emitted for them).
fn trivially_known(ty: &Type) -> bool {
    let Some(name) = type_name(ty) else {
        return false;
    };
    match name.as_str() {
        "String" | "bool" | "i64" | "u64" | "i32" | "u32" | "f64" | "f32" | "Timestamp" | "Value" | "Map" => true,
        "Option" | "Vec" | "Box" | "BTreeMap" => generic_args(ty, &name).is_some_and(|a| a.last().is_some_and(|t| trivially_known(t))),
        _ => false,
    }
}

fn lit(s: &str) -> syn::LitStr {
    syn::LitStr::new(s, Span::call_site())
}

/// `policy()` of an enum with `x-lc-disconnect-policy`; a value it does not know gets
/// `DisconnectPolicy::FOR_UNKNOWN`.
fn disconnect_policy(name: &str, e: &StringEnum, policies: &BTreeMap<String, String>) -> TokenStream {
    let ident = format_ident!("{name}");
    // Matched on the wire text, like equality, so a value can only have one policy.
    let arms = e.variants.iter().map(|(_, wire, _)| {
        let p = format_ident!("{}", policies[wire]);
        quote!(#wire => crate::DisconnectPolicy::#p,)
    });
    quote! {
        impl #ident {
            /// What a client should do about this reason (reference §3.3); see
            /// [`DisconnectPolicy`](crate::DisconnectPolicy). A reason this version does not know
            /// gets [`DisconnectPolicy::FOR_UNKNOWN`](crate::DisconnectPolicy::FOR_UNKNOWN).
            pub fn policy(&self) -> crate::DisconnectPolicy {
                match self.as_str() {
                    #(#arms)*
                    _ => crate::DisconnectPolicy::FOR_UNKNOWN,
                }
            }
        }
    }
}

/// An open string enum: the known values plus a hidden `_Custom(PrivOwnedStr)` case that only
/// the conversions from text fill, and only with a value that is not known.
fn open_enum(name: &str, e: &StringEnum) -> TokenStream {
    let ident = format_ident!("{name}");
    let docs = &e.docs;
    let variants = e.variants.iter().map(|(v, wire, d)| {
        let d = if d.is_empty() {
            let w = format!("`{wire}`");
            quote!(#[doc = #w])
        } else {
            quote!(#(#d)*)
        };
        quote!(#d #v = #wire,)
    });
    quote! {
        #(#docs)*
        #[declare(open_enum)]
        pub enum #ident {
            #(#variants)*
        }
    }
}

/// An object with no known fields (an empty response, an empty request).
fn empty_object(name: &str, description: &str) -> TokenStream {
    let ident = format_ident!("{name}");
    let doc = lit(description);
    quote! {
        #[doc = #doc]
        #[declare(object)]
        pub struct #ident {}
    }
}

/// A discriminated union, declared for `union!` (which adds the hidden `_Custom(UnknownVariant)`
/// member for tags it does not know, and every impl): its docs, tag field and members with their
/// tag values; a member whose struct keeps the tag (several values) names the field.
fn union(u: &Union, description: &str, structs: &BTreeMap<String, syn::ItemStruct>) -> TokenStream {
    let ident = format_ident!("{}", u.name);
    let tag = lit(&u.tag);
    let doc = lit(description);
    let variants = u.variants.iter().map(|v| {
        let vt = format_ident!("{}", v.type_name);
        let vn = format_ident!("{}", variant_name(&v.type_name, &u.name));
        let vdoc = structs.get(&v.type_name).map(|s| docs(&s.attrs)).unwrap_or_default();
        let tags = v.tags.iter().map(|t| lit(t));
        let keeps = if v.strip {
            quote!()
        } else {
            let field = format_ident!("{}", rust_field(&u.tag));
            quote!(#[tag_in(#field)])
        };
        quote!(#(#vdoc)* #keeps #vn(#vt) = #(#tags)|*,)
    });
    // The text fields every member has (required `String`s, the tag aside): the union reads them
    // whatever the member (`user.id()`).
    let tag_field = rust_field(&u.tag);
    let mut common: Option<Vec<syn::Ident>> = None;
    for v in &u.variants {
        let Some(Fields::Named(fields)) = structs.get(&v.type_name).map(|s| &s.fields) else {
            continue;
        };
        let texts: Vec<syn::Ident> = fields
            .named
            .iter()
            // (A renamed field aside: an unknown member is read by the field's name.)
            .filter(|f| type_name(&f.ty).as_deref() == Some("String") && serde_rename(&f.attrs).is_none())
            .filter(|f| f.ident.as_ref().is_some_and(|i| *i != tag_field))
            .filter_map(|f| f.ident.clone())
            .collect();
        common = Some(match common {
            None => texts,
            Some(before) => before.into_iter().filter(|i| texts.contains(i)).collect(),
        });
    }
    let common = common.unwrap_or_default();
    let common = if common.is_empty() {
        quote!()
    } else {
        quote!(#[common(#(#common),*)])
    };
    quote! {
        #[doc = #doc]
        #[declare(union)]
        #[tag = #tag]
        #common
        pub enum #ident {
            #(#variants)*
        }
    }
}

/// `MessageEvent` in `Event` -> `Message`; `Customer` in `User` -> `Customer`.
pub(crate) fn variant_name(member: &str, union: &str) -> String {
    match member.strip_suffix(union) {
        Some(short) if !short.is_empty() => short.to_owned(),
        _ => member.to_owned(),
    }
}

fn rust_field(wire: &str) -> String {
    match wire {
        "type" => "type_".to_owned(),
        other => other.to_owned(),
    }
}

/// `Unknowns` and `Field` for a newtype struct (a struct of named fields is declared with
/// `object!`, which implements them).
fn struct_extras(s: &syn::ItemStruct) -> TokenStream {
    let ident = &s.ident;
    let Fields::Unnamed(fields) = &s.fields else {
        return quote!();
    };
    let visit = if fields.unnamed.iter().all(|f| trivially_known(&f.ty)) {
        quote!(
            fn visit_unknowns(&self, _: &mut crate::JsonPath, _: &mut dyn FnMut(crate::Unknown)) {}
        )
    } else {
        quote! {
            fn visit_unknowns(&self, path: &mut crate::JsonPath, found: &mut dyn FnMut(crate::Unknown)) {
                crate::Unknowns::visit_unknowns(&self.0, path, found);
            }
        }
    };
    quote! {
        impl crate::Unknowns for #ident {
            #visit
        }

        impl crate::object::Field for #ident {}
    }
}

//! The syn pass over typify's output: opens string enums, emits the unions, keeps present empty
//! collections and `null`s, and adds what typify does not know about (constructors, `Unknowns`).

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{parse_quote, Attribute, Fields, File, Ident, Item, Type};

use crate::codegen::bundle::{Bundle, Union};

/// What the pass needs to know besides typify's output.
pub struct Context<'a> {
    pub bundle: &'a Bundle,
    /// Types whose schema is an object with an empty `properties`: structs holding only `extra`.
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
pub fn process(file: &mut File, cx: &Context) -> Result<(), Vec<String>> {
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
                    f.attrs
                        .push(parse_quote!(#[doc = "Fields this version of the schema does not know, kept and re-emitted."]));
                    continue;
                }
                if cx.bundle.nullable.contains(&(name.clone(), wire.clone())) {
                    let Some(inner) = option_inner(&f.ty).cloned() else {
                        errors.push(format!("{name}.{wire}: nullable field is not an Option"));
                        continue;
                    };
                    f.ty = parse_quote!(::std::option::Option<::std::option::Option<#inner>>);
                    set_serde(
                        &mut f.attrs,
                        quote!(default, skip_serializing_if = "Option::is_none", with = "crate::double_option"),
                    );
                    nullable_seen.insert((name.clone(), wire));
                    continue;
                }
                let skip = serde_skip_if(&f.attrs);
                if skip.as_deref().is_some_and(|s| s.ends_with("::is_empty")) {
                    // An optional collection: keep a present `[]`/`{}` present.
                    let ty = f.ty.clone();
                    f.ty = parse_quote!(::std::option::Option<#ty>);
                    set_serde(&mut f.attrs, quote!(default, skip_serializing_if = "Option::is_none"));
                } else if option_inner(&f.ty).is_some() && skip.is_some() {
                    // Optional; a required nullable field has no `skip_serializing_if` and keeps its `null`.
                    set_serde(&mut f.attrs, quote!(default, skip_serializing_if = "Option::is_none"));
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
    // Every struct is `#[non_exhaustive]` (LiveChat adds fields in every version, and schema
    // fixups add fields too), so users build them with `new` or `Default` and set optional fields
    // by assignment. Structs whose every field is optional get `Default`.
    for item in &mut file.items {
        if let Item::Struct(s) = item {
            if !s.attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
                s.attrs.push(parse_quote!(#[non_exhaustive]));
            }
            if let Fields::Named(fields) = &s.fields {
                if fields
                    .named
                    .iter()
                    .all(|f| f.ident.as_ref().is_some_and(|i| i == "extra") || option_inner(&f.ty).is_some())
                {
                    add_derive(&mut s.attrs, quote!(Default));
                }
                if has_extra(fields) {
                    remove_derive(&mut s.attrs, "Deserialize");
                }
            }
        }
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

/// Replaces every `#[serde(..)]` of a field by `#[serde(<args>)]`, keeping a `rename`.
fn set_serde(attrs: &mut Vec<Attribute>, args: TokenStream) {
    let rename = serde_rename(attrs);
    attrs.retain(|a| !a.path().is_ident("serde"));
    match rename {
        Some(r) => attrs.push(parse_quote!(#[serde(rename = #r, #args)])),
        None => attrs.push(parse_quote!(#[serde(#args)])),
    }
}

fn add_derive(attrs: &mut [Attribute], derive: TokenStream) {
    for a in attrs.iter_mut() {
        if a.path().is_ident("derive") {
            if let syn::Meta::List(list) = &mut a.meta {
                let tokens = &list.tokens;
                list.tokens = quote!(#tokens, #derive);
                return;
            }
        }
    }
}

/// Drops `name` (however qualified) from the `#[derive(..)]` lists.
fn remove_derive(attrs: &mut [Attribute], name: &str) {
    for a in attrs.iter_mut() {
        if a.path().is_ident("derive") {
            if let syn::Meta::List(list) = &mut a.meta {
                let Ok(paths) = list.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated) else {
                    continue;
                };
                let kept = paths.into_iter().filter(|p| p.segments.last().is_none_or(|s| s.ident != name));
                list.tokens = quote!(#(#kept),*);
            }
        }
    }
}

/// Whether a struct has the `extra` map of unknown fields (then it gets [`object_impl`]).
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
        quote!(#d #v,)
    });
    let as_str = e.variants.iter().map(|(v, wire, _)| quote!(Self::#v => #wire,));
    let from = e.variants.iter().map(|(v, wire, _)| quote!(#wire => Self::#v,));
    let known = e.variants.iter().map(|(_, wire, _)| lit(wire));
    quote! {
        #(#docs)*
        ///
        /// Open: a value this version of the schema does not know decodes into a hidden case and
        /// is re-encoded unchanged (`as_str()`, `is_unknown()`); a known value always decodes into
        /// its variant. Equality, hashing and ordering follow `as_str()`.
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum #ident {
            #(#variants)*
            /// A value this version of the schema does not know. Not part of the API (a later
            /// version may know the value): use `as_str()` and `is_unknown()`.
            #[doc(hidden)]
            _Custom(crate::PrivOwnedStr),
        }
        impl #ident {
            /// Every known value, as sent on the wire.
            pub const KNOWN: &'static [&'static str] = &[#(#known),*];
            /// The wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#as_str)*
                    Self::_Custom(s) => s.as_str(),
                }
            }
            /// Whether the value is one this version of the schema does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::_Custom(_))
            }
            /// The known variant for `s`, if there is one.
            fn known(s: &str) -> Option<Self> {
                Some(match s {
                    #(#from)*
                    _ => return None,
                })
            }
        }
        impl From<&str> for #ident {
            fn from(s: &str) -> Self {
                Self::known(s).unwrap_or_else(|| Self::_Custom(crate::PrivOwnedStr::new(s)))
            }
        }
        impl From<String> for #ident {
            fn from(s: String) -> Self {
                Self::known(&s).unwrap_or_else(|| Self::_Custom(crate::PrivOwnedStr::new(s)))
            }
        }
        impl std::str::FromStr for #ident {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }
        impl std::fmt::Display for #ident {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl PartialEq for #ident {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }
        impl Eq for #ident {}
        impl std::hash::Hash for #ident {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }
        impl PartialOrd for #ident {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        impl Ord for #ident {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }
        impl ::serde::Serialize for #ident {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::open::decode_str(deserializer)
            }
        }
        impl crate::Unknowns for #ident {
            fn visit_unknowns(&self, path: &mut crate::JsonPath, found: &mut dyn FnMut(crate::Unknown)) {
                if let Self::_Custom(s) = self {
                    path.report(crate::UnknownKind::EnumValue(s.as_str().to_owned()), found);
                }
            }
        }
    }
}

/// An object with no known fields (an empty response, an empty request).
fn empty_object(name: &str, description: &str) -> TokenStream {
    let ident = format_ident!("{name}");
    let doc = lit(description);
    let object = object_impl(&ident, &[]);
    quote! {
        #[doc = #doc]
        #[derive(::serde::Serialize, Clone, Debug, PartialEq)]
        pub struct #ident {
            /// Fields this version of the schema does not know, kept and re-emitted.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }
        #object
        impl crate::Unknowns for #ident {
            fn visit_unknowns(&self, path: &mut crate::JsonPath, found: &mut dyn FnMut(crate::Unknown)) {
                path.report_fields(&self.extra, found);
            }
        }
    }
}

/// A discriminated union with a hidden `_Custom(UnknownVariant)` member for tags it does not know.
fn union(u: &Union, description: &str, structs: &BTreeMap<String, syn::ItemStruct>) -> TokenStream {
    let ident = format_ident!("{}", u.name);
    let tag = lit(&u.tag);
    let doc = lit(description);
    let union_doc = lit(&format!(
        "A union on `{}`: a member this version of the schema does not know decodes into a hidden case that keeps its raw JSON (`is_unknown()`, `as_unknown()`, `tag()`), while a known member with a malformed body is an error.",
        u.tag
    ));
    let mut variants = Vec::new();
    let mut tag_arms = Vec::new();
    let mut tagged_variants = Vec::new();
    let mut ser_arms = Vec::new();
    let mut member_arms = Vec::new();
    let mut decode_arms = Vec::new();
    let mut froms = Vec::new();
    let mut unknown_arms = Vec::new();
    let mut known = Vec::new();
    for (i, v) in u.variants.iter().enumerate() {
        let vt = format_ident!("{}", v.type_name);
        let vn = format_ident!("{}", variant_name(&v.type_name, &u.name));
        let vdoc = structs.get(&v.type_name).map(|s| docs(&s.attrs)).unwrap_or_default();
        variants.push(quote!(#(#vdoc)* #vn(#vt),));
        let tags: Vec<syn::LitStr> = v.tags.iter().map(|t| lit(t)).collect();
        known.extend(tags.iter().cloned());
        if v.strip {
            let t = &tags[0];
            tag_arms.push(quote!(Self::#vn(_) => Some(#t),));
            tagged_variants.push(quote!(#[serde(rename = #t)] #vn(&'a #vt),));
            ser_arms.push(quote!(Self::#vn(v) => ::serde::Serialize::serialize(&Tagged::#vn(v), serializer),));
        } else {
            let field = format_ident!("{}", rust_field(&u.tag));
            tag_arms.push(quote!(Self::#vn(v) => Some(v.#field.as_str()),));
            ser_arms.push(quote!(Self::#vn(v) => ::serde::Serialize::serialize(v, serializer),));
        }
        let keeps_tag = !v.strip;
        member_arms.push(quote!(#(#tags)|* => Some((#i, #keeps_tag)),));
        decode_arms.push(quote!(#i => crate::object::resume::<#vt, A>(prefix, map).map(Self::#vn),));
        froms.push(quote! {
            impl From<#vt> for #ident {
                fn from(v: #vt) -> Self { Self::#vn(v) }
            }
        });
        unknown_arms.push(quote!(Self::#vn(v) => crate::Unknowns::visit_unknowns(v, path, found),));
    }
    let tagged = if tagged_variants.is_empty() {
        quote!()
    } else {
        quote! {
            #[derive(::serde::Serialize)]
            #[serde(tag = #tag)]
            enum Tagged<'a> { #(#tagged_variants)* }
        }
    };
    quote! {
        #[doc = #doc]
        ///
        #[doc = #union_doc]
        #[derive(Clone, Debug, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        #[non_exhaustive]
        pub enum #ident {
            #(#variants)*
            /// A member this version of the schema does not know. Not part of the API: use
            /// `is_unknown()`, `as_unknown()` and `tag()`.
            #[doc(hidden)]
            _Custom(crate::UnknownVariant),
        }
        impl #ident {
            /// The name of the tag field.
            pub const TAG: &'static str = #tag;
            /// Every known tag value.
            pub const KNOWN: &'static [&'static str] = &[#(#known),*];
            /// The tag value of this member, if it has a string tag.
            pub fn tag(&self) -> Option<&str> {
                match self {
                    #(#tag_arms)*
                    Self::_Custom(v) => v.tag(),
                }
            }
            /// Whether this is a member this version of the schema does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::_Custom(_))
            }
            /// The raw JSON of a member this version of the schema does not know; `None` for a
            /// known member.
            pub fn as_unknown(&self) -> Option<&crate::UnknownVariant> {
                match self {
                    Self::_Custom(v) => Some(v),
                    _ => None,
                }
            }
        }
        #(#froms)*
        impl ::serde::Serialize for #ident {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                #tagged
                match self {
                    #(#ser_arms)*
                    Self::_Custom(v) => ::serde::Serialize::serialize(v, serializer),
                }
            }
        }
        impl crate::union::Members for #ident {
            const TAG: &'static str = #tag;
            fn member(tag: &str) -> Option<(usize, bool)> {
                match tag {
                    #(#member_arms)*
                    _ => None,
                }
            }
            fn decode<'de, A: serde::de::MapAccess<'de>>(index: usize, prefix: &mut crate::union::Prefix<'de>, map: A) -> Result<Self, A::Error> {
                match index {
                    #(#decode_arms)*
                    _ => Err(<A::Error as serde::de::Error>::custom("no such member")),
                }
            }
            fn unknown(object: ::serde_json::Map<String, ::serde_json::Value>) -> Self {
                Self::_Custom(crate::UnknownVariant::new(Self::TAG, object))
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::union::decode(deserializer)
            }
        }
        impl crate::Unknowns for #ident {
            fn visit_unknowns(&self, path: &mut crate::JsonPath, found: &mut dyn FnMut(crate::Unknown)) {
                match self {
                    #(#unknown_arms)*
                    Self::_Custom(v) => path.report(crate::UnknownKind::Variant(v.tag().map(str::to_owned)), found),
                }
            }
        }
    }
}

/// `MessageEvent` in `Event` -> `Message`; `Customer` in `User` -> `Customer`.
pub fn variant_name(member: &str, union: &str) -> String {
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

/// Whether a required field of type `ty` reads best taken as it is (`bool`, numbers) rather than
/// as `impl Into<..>`.
fn taken_as_is(ty: &Type) -> bool {
    matches!(
        type_name(ty).as_deref(),
        Some("bool" | "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "f32" | "f64")
    )
}

/// `new` (for structs with required fields) and `Unknowns` for a typify struct.
fn struct_extras(s: &syn::ItemStruct) -> TokenStream {
    let ident = &s.ident;
    let visit = |body: &[TokenStream]| {
        if body.is_empty() {
            quote! {
                fn visit_unknowns(&self, _: &mut crate::JsonPath, _: &mut dyn FnMut(crate::Unknown)) {}
            }
        } else {
            quote! {
                fn visit_unknowns(&self, path: &mut crate::JsonPath, found: &mut dyn FnMut(crate::Unknown)) {
                    #(#body)*
                }
            }
        }
    };
    match &s.fields {
        Fields::Named(fields) => {
            let mut visits = Vec::new();
            let mut params = Vec::new();
            let mut inits = Vec::new();
            let mut required_docs = Vec::new();
            for f in &fields.named {
                let fi = f.ident.as_ref().expect("named");
                if fi == "extra" {
                    visits.push(quote!(path.report_fields(&self.extra, found);));
                    inits.push(quote!(extra: ::serde_json::Map::new()));
                    continue;
                }
                let wire = serde_rename(&f.attrs).unwrap_or_else(|| fi.to_string().trim_start_matches("r#").to_owned());
                if !trivially_known(&f.ty) {
                    let w = lit(&wire);
                    visits.push(quote!(path.field(#w, |p| crate::Unknowns::visit_unknowns(&self.#fi, p, found));));
                }
                if option_inner(&f.ty).is_some() {
                    inits.push(quote!(#fi: None));
                } else if taken_as_is(&f.ty) {
                    let ty = &f.ty;
                    params.push(quote!(#fi: #ty));
                    inits.push(quote!(#fi));
                    required_docs.push(format!("`{fi}`"));
                } else {
                    let ty = &f.ty;
                    params.push(quote!(#fi: impl Into<#ty>));
                    inits.push(quote!(#fi: #fi.into()));
                    required_docs.push(format!("`{fi}`"));
                }
            }
            let new = if params.is_empty() {
                quote!()
            } else {
                let doc = lit(&format!(
                    "Builds it from its required fields ({}); every optional field is `None`, to be set by assignment.",
                    required_docs.join(", ")
                ));
                // One parameter per required field, in schema order: a struct that mirrors a
                // payload with many required fields gets a long constructor, by design.
                let allow = if params.len() > 7 {
                    quote!(#[allow(clippy::too_many_arguments)])
                } else {
                    quote!()
                };
                quote! {
                    impl #ident {
                        #[doc = #doc]
                        #allow
                        pub fn new(#(#params),*) -> Self {
                            Self { #(#inits),* }
                        }
                    }
                }
            };
            let visit = visit(&visits);
            let object = if has_extra(fields) {
                let known: Vec<&syn::Field> = fields
                    .named
                    .iter()
                    .filter(|f| f.ident.as_ref().is_some_and(|i| i != "extra"))
                    .collect();
                object_impl(ident, &known)
            } else {
                quote!()
            };
            quote! {
                #new
                impl crate::Unknowns for #ident {
                    #visit
                }
                #object
            }
        }
        Fields::Unnamed(fields) => {
            let body = if fields.unnamed.iter().all(|f| trivially_known(&f.ty)) {
                vec![]
            } else {
                vec![quote!(crate::Unknowns::visit_unknowns(&self.0, path, found);)]
            };
            let visit = visit(&body);
            quote! {
                impl crate::Unknowns for #ident {
                    #visit
                }
            }
        }
        Fields::Unit => quote!(),
    }
}

/// The `Deserialize` impl of a struct with an `extra` map, through the one generic loop of
/// `lc_types::object` (instead of a derived impl per struct, which buffers every unknown field
/// for `flatten` and is much more code): the known fields (`known`, all but `extra`) by wire
/// name, their slots, and how the struct is built from them. A required field that is missing is
/// serde's `missing field` error; an `Option` field that is missing is `None` (as derived impls
/// do), a double option (`crate::double_option`) is `None` when absent and `Some(None)` for `null`.
fn object_impl(ident: &Ident, known: &[&syn::Field]) -> TokenStream {
    let expecting = lit(&format!("struct {ident}"));
    let mut wires = Vec::new();
    let mut slot_types = Vec::new();
    let mut index_arms = Vec::new();
    let mut read_arms = Vec::new();
    let mut inits = Vec::new();
    for (i, f) in known.iter().enumerate() {
        let fi = f.ident.as_ref().expect("named");
        let wire = lit(&serde_rename(&f.attrs).unwrap_or_else(|| fi.to_string().trim_start_matches("r#").to_owned()));
        let ty = &f.ty;
        let n = syn::Index::from(i);
        let double = serde_str(&f.attrs, "with").is_some_and(|w| w.ends_with("double_option"));
        if double {
            // The slot is the field: `None` absent, `Some(None)` for `null`.
            slot_types.push(quote!(#ty));
            inits.push(quote!(#fi: s.#n));
        } else if option_inner(ty).is_some() {
            slot_types.push(quote!(::std::option::Option<#ty>));
            inits.push(quote!(#fi: s.#n.flatten()));
        } else {
            slot_types.push(quote!(::std::option::Option<#ty>));
            inits.push(quote!(#fi: s.#n.ok_or(#wire)?));
        }
        let i = proc_macro2::Literal::usize_unsuffixed(i);
        index_arms.push(quote!(#wire => #i,));
        read_arms.push(quote!(#i => crate::object::slot(&mut s.#n, map),));
        wires.push(wire);
    }
    let nones = known.iter().map(|_| quote!(::std::option::Option::None));
    let (index, read) = if known.is_empty() {
        (
            quote!(
                fn index(_: &str) -> ::std::option::Option<usize> {
                    ::std::option::Option::None
                }
            ),
            quote! {
                fn read<'de, A: ::serde::de::MapAccess<'de>>(_: &mut (), _: usize, _: &mut A) -> ::std::result::Result<bool, A::Error> {
                    ::std::result::Result::Ok(false)
                }
            },
        )
    } else {
        (
            quote! {
                #[inline]
                fn index(key: &str) -> ::std::option::Option<usize> {
                    ::std::option::Option::Some(match key {
                        #(#index_arms)*
                        _ => return ::std::option::Option::None,
                    })
                }
            },
            quote! {
                #[inline]
                fn read<'de, A: ::serde::de::MapAccess<'de>>(s: &mut Self::Slots, index: usize, map: &mut A) -> ::std::result::Result<bool, A::Error> {
                    match index {
                        #(#read_arms)*
                        _ => ::std::result::Result::Ok(false),
                    }
                }
            },
        )
    };
    let finish_arg = if known.is_empty() { quote!(_) } else { quote!(s) };
    let slots = if known.is_empty() { quote!() } else { quote!((#(#nones,)*)) };
    quote! {
        impl crate::object::Object for #ident {
            const EXPECTING: &'static str = #expecting;
            const FIELDS: &'static [&'static str] = &[#(#wires),*];
            type Slots = (#(#slot_types,)*);
            fn slots() -> Self::Slots {
                #slots
            }
            #index
            #read
            fn finish(#finish_arg: Self::Slots, extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>) -> ::std::result::Result<Self, &'static str> {
                ::std::result::Result::Ok(Self { #(#inits,)* extra })
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                crate::object::decode(deserializer)
            }
        }
    }
}

//! Step 5, the manifest-driven code: takes a version's [`Bundle`] (its actions and pushes) and the
//! names of its types, and gives the items typify cannot: `impl Action`/`WebAction`/`RtmAction`/
//! `Push`, the `AnyRequest`/`AnyResponse`/`AnyPush` enums, the `ACTIONS`/`PUSHES`/`TYPES` tables,
//! `decode_type`, `VERSION` and `API`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::render::doc_lines;
use crate::codegen::bundle::{pascal, Bundle};

/// `impl Action`/`WebAction`/`RtmAction`/`Push`, `AnyRequest`/`AnyResponse`/`AnyPush`, the tables.
pub(super) fn manifest_items(b: &Bundle, types: &[String]) -> TokenStream {
    let version_const = format_ident!("V{}", b.version.replace('.', "_"));
    let version = quote!(crate::ApiVersion::#version_const);
    let mut items = Vec::new();
    let mut action_rows = Vec::new();
    let mut requests = Vec::new();
    let mut responses = Vec::new();
    for a in &b.actions {
        let name = &a.name;
        let resp = format_ident!("{}", a.response);
        let method = a.web.as_deref().map(|m| match m {
            "GET" => quote!(crate::WebMethod::Get),
            "MULTIPART" => quote!(crate::WebMethod::Multipart),
            _ => quote!(crate::WebMethod::Post),
        });
        if let Some(req) = &a.request {
            let req = format_ident!("{req}");
            items.push(quote! {
                impl crate::Action for #req {
                    const NAME: &'static str = #name;
                    const VERSION: crate::ApiVersion = #version;
                    type Response = #resp;
                }
            });
            if let Some(m) = &method {
                let token = a.token;
                let idempotent = a.idempotent;
                items.push(quote!(impl crate::WebAction for #req {
                    const METHOD: crate::WebMethod = #m;
                    const NEEDS_TOKEN: bool = #token;
                    const IDEMPOTENT: bool = #idempotent;
                }));
            }
            if a.rtm {
                items.push(quote!(impl crate::RtmAction for #req {}));
            }
            requests.push((name.clone(), req));
        }
        responses.push((name.clone(), resp));
        let web = match &method {
            Some(m) => quote!(::std::option::Option::Some(#m)),
            None => quote!(::std::option::Option::None),
        };
        let rtm = a.rtm;
        let needs_token = a.token;
        let idempotent = a.idempotent;
        let request = match &a.request {
            Some(r) => quote!(::std::option::Option::Some(#r)),
            None => quote!(::std::option::Option::None),
        };
        let response = &a.response;
        let docs = &a.docs;
        action_rows
            .push(quote!(crate::ActionInfo { name: #name, web: #web, rtm: #rtm, needs_token: #needs_token, idempotent: #idempotent, request: #request, response: #response, docs: #docs }));
    }
    let mut push_rows = Vec::new();
    let mut pushes = Vec::new();
    for p in &b.pushes {
        let name = &p.name;
        let ty = format_ident!("{}", p.payload);
        items.push(quote! {
            impl crate::Push for #ty {
                const NAME: &'static str = #name;
                const VERSION: crate::ApiVersion = #version;
            }
        });
        let payload = &p.payload;
        let docs = &p.docs;
        push_rows.push(quote!(crate::PushInfo { name: #name, payload: #payload, docs: #docs }));
        pushes.push((name.clone(), ty));
    }
    let v = &b.version;
    items.push(any_enum(
        "AnyRequest",
        &format!("Any request of API v{v}, decoded by action name."),
        "action",
        &requests,
        quote!(crate::UnknownKind::Action),
    ));
    items.push(any_enum(
        "AnyResponse",
        &format!("Any response of API v{v}, decoded by action name."),
        "action",
        &responses,
        quote!(crate::UnknownKind::Action),
    ));
    items.push(any_enum(
        "AnyPush",
        &format!("Any push payload of API v{v}, decoded by push name."),
        "push",
        &pushes,
        quote!(crate::UnknownKind::Push),
    ));
    let version_doc = format!("This module's API version, v{v}.");
    let actions_doc = format!("Every action of API v{v}, in the manifest's order.");
    let pushes_doc = format!("Every push of API v{v}, in the manifest's order.");
    let type_arms = types.iter().map(|t| {
        let ty: syn::Path = match b.core.get(t) {
            Some(path) => syn::parse_str(path).expect("checked core path"),
            None => syn::parse_str(t).expect("type name"),
        };
        quote!(#t => boxed(crate::from_str::<#ty>(text)),)
    });
    let types_doc = format!("The name of every type of API v{v}, sorted.");
    quote! {
        #[doc = #types_doc]
        pub const TYPES: &[&str] = &[#(#types),*];
        /// Decodes `text` as the type called `name` (e.g. `"Event"`); `None` when this version has
        /// no type of that name.
        pub fn decode_type(name: &str, text: &str) -> ::std::option::Option<::std::result::Result<::std::boxed::Box<dyn crate::Decoded>, crate::DecodeError>> {
            fn boxed<T: crate::Decoded + 'static>(r: ::std::result::Result<T, crate::DecodeError>) -> ::std::result::Result<::std::boxed::Box<dyn crate::Decoded>, crate::DecodeError> {
                r.map(|v| ::std::boxed::Box::new(v) as ::std::boxed::Box<dyn crate::Decoded>)
            }
            ::std::option::Option::Some(match name {
                #(#type_arms)*
                _ => return ::std::option::Option::None,
            })
        }
        #[doc = #version_doc]
        pub const VERSION: crate::ApiVersion = #version;
        /// This version's tables and run-time decoders.
        pub const API: crate::Api = crate::Api {
            version: VERSION,
            actions: ACTIONS,
            pushes: PUSHES,
            types: TYPES,
            decode_request: |name, text| AnyRequest::decode(name, text).map(|v| ::std::boxed::Box::new(v) as ::std::boxed::Box<dyn crate::Decoded>),
            decode_response: |name, text| AnyResponse::decode(name, text).map(|v| ::std::boxed::Box::new(v) as ::std::boxed::Box<dyn crate::Decoded>),
            decode_push: |name, text| AnyPush::decode(name, text).map(|v| ::std::boxed::Box::new(v) as ::std::boxed::Box<dyn crate::Decoded>),
            decode_type,
        };
        #[doc = #actions_doc]
        pub const ACTIONS: &[crate::ActionInfo] = &[#(#action_rows),*];
        #[doc = #pushes_doc]
        pub const PUSHES: &[crate::PushInfo] = &[#(#push_rows),*];
        #(#items)*
    }
}

/// An enum over every request, response or push, decoded by name, with a hidden
/// `_Custom(UnknownPayload)` member for names it does not know.
fn any_enum(name: &str, doc: &str, what: &str, members: &[(String, proc_macro2::Ident)], unknown: TokenStream) -> TokenStream {
    let ident = format_ident!("{name}");
    // (wire name, variant, payload type) of every member.
    let members: Vec<_> = members
        .iter()
        .map(|(wire, ty)| (wire, format_ident!("{}", pascal(wire)), ty))
        .collect();
    let variants = members.iter().map(|(wire, v, ty)| {
        let d = format!("`{wire}`.");
        quote!(#[doc = #d] #v(#ty),)
    });
    let decode = members
        .iter()
        .map(|(wire, v, _)| quote!(#wire => crate::from_str(text).map(Self::#v),));
    let decode_value = members
        .iter()
        .map(|(wire, v, _)| quote!(#wire => crate::from_value(payload).map(Self::#v),));
    let names = members.iter().map(|(wire, v, _)| quote!(Self::#v(_) => #wire,));
    let ser_arms = members
        .iter()
        .map(|(_, v, _)| quote!(Self::#v(v) => ::serde::Serialize::serialize(v, serializer),));
    let unknown_arms = members
        .iter()
        .map(|(_, v, _)| quote!(Self::#v(v) => crate::Unknowns::visit_unknowns(v, path, found),));
    let custom_doc = doc_lines(&format!(
        "A {what} this version does not know. Not part of the API: use `name()`, `is_unknown()`\nand `as_unknown()`."
    ));
    let name_doc = format!("The {what} name.");
    let is_unknown_doc = format!("Whether this is a {what} this version does not know.");
    let as_unknown_doc = format!("The name and raw payload of a {what} this version does not know; `None` for a known one.");
    let decode_doc = doc_lines(&format!("Decodes the payload `text` of the {what} `name`. An unknown name keeps the payload\n(`is_unknown()`, `as_unknown()`); a known one with a malformed payload is an error naming\nthe JSON path."));
    let doc = doc_lines(doc);
    let wildcard = if members.is_empty() {
        quote!(Self::_Custom(u) => Some(u),)
    } else {
        quote!(Self::_Custom(u) => Some(u), _ => None,)
    };
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        #[non_exhaustive]
        pub enum #ident {
            #(#variants)*
            #custom_doc
            #[doc(hidden)]
            _Custom(crate::UnknownPayload),
        }
        impl #ident {
            #decode_doc
            pub fn decode(name: &str, text: &str) -> Result<Self, crate::DecodeError> {
                match name {
                    #(#decode)*
                    _ => crate::from_str(text).map(|payload| Self::_Custom(crate::UnknownPayload::new(None, name.to_owned(), payload))),
                }
            }
            /// Like `decode`, from an already parsed payload.
            pub fn decode_value(name: &str, payload: ::serde_json::Value) -> Result<Self, crate::DecodeError> {
                match name {
                    #(#decode_value)*
                    _ => Ok(Self::_Custom(crate::UnknownPayload::new(None, name.to_owned(), payload))),
                }
            }
            #[doc = #name_doc]
            pub fn name(&self) -> &str {
                match self {
                    #(#names)*
                    Self::_Custom(u) => u.name(),
                }
            }
            #[doc = #is_unknown_doc]
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::_Custom(_))
            }
            #[doc = #as_unknown_doc]
            pub fn as_unknown(&self) -> Option<&crate::UnknownPayload> {
                match self {
                    #wildcard
                }
            }
        }
        impl ::serde::Serialize for #ident {
            /// Serializes the payload alone (the name travels beside it, e.g. in the frame's `action`).
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(#ser_arms)*
                    Self::_Custom(u) => ::serde::Serialize::serialize(u, serializer),
                }
            }
        }
        impl crate::Unknowns for #ident {
            fn visit_unknowns(&self, path: &mut crate::JsonPath, found: &mut dyn FnMut(crate::Unknown)) {
                match self {
                    #(#unknown_arms)*
                    Self::_Custom(u) => path.report(#unknown(u.name().to_owned()), found),
                }
            }
        }
    }
}

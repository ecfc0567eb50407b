//! The generator on small schema sets: what each schema shape becomes, sharing between
//! versions, and the generated code's form.

use std::fs;

use serde_json::{json, Value};

use crate::codegen::bundle::bundle;
use crate::codegen::generate_version;
use crate::testing::*;

#[test]
fn minimal_set_is_accepted() {
    let s = Set::minimal("minimal_set_is_accepted");
    let b = s.bundle().unwrap_or_else(|e| panic!("refused: {e:#?}"));
    assert_eq!(b.version, "3.6");
    assert_eq!(b.definitions.keys().collect::<Vec<_>>(), ["DoItRequest", "DoItResponse", "Thing"]);
    // The cross-file `$ref` is rewritten into the bundle, unknown fields are kept.
    assert_eq!(
        b.definitions["DoItRequest"]["properties"]["thing"]["$ref"],
        json!("#/definitions/Thing")
    );
    assert_eq!(b.definitions["Thing"]["additionalProperties"], json!({}));
    assert!(b.definitions["Thing"].get("$schema").is_none());
    assert_eq!(b.actions.len(), 1);
    let a = &b.actions[0];
    assert_eq!(a.name, "do_it");
    assert_eq!(a.web.as_deref(), Some("POST"));
    assert!(a.rtm);
    assert_eq!(a.request.as_deref(), Some("DoItRequest"));
    assert_eq!(a.response, "DoItResponse");
    assert!(b.pushes.is_empty());
    assert!(b.unions.is_empty());
    s.generate();
}

#[test]
fn string_enum_is_open() {
    let s = Set::minimal("string_enum_is_open");
    s.write(
        "objects/color.json",
        json!({
            "title": "Color",
            "description": "A color.",
            "type": "string",
            "enum": ["red", "green"]
        }),
    );
    s.property(
        "objects/thing.json",
        "color",
        json!({ "$ref": "color.json", "description": "Its color." }),
        false,
    );
    let code = s.generate();
    // Emitted once (typify's closed enum is replaced), declared for `open_enum!` with each
    // variant's wire text (the macro adds the hidden member and every impl).
    assert_eq!(count(&code, "pub enum Color {"), 1, "{code}");
    assert_has(
        &code,
        r#"open_enum! { /// A color. pub enum Color { /// `red` Red = "red", /// `green` Green = "green", } }"#,
    );
    assert_has(&code, "use crate::declare::{object, open_enum};");
    assert_lacks(&code, "_Custom(crate::PrivOwnedStr)");
    assert_lacks(&code, "#[declare(");
    assert_has(&code, "pub color: Option<Color>,");
}

#[test]
fn union_is_open_and_strips_single_tags() {
    let s = Set::minimal("union_is_open_and_strips_single_tags");
    add_shapes(&s);
    let b = s.bundle().unwrap();
    assert_eq!(b.unions.len(), 1);
    let u = &b.unions[0];
    assert_eq!((u.name.as_str(), u.tag.as_str()), ("Shape", "type"));
    assert_eq!(u.variants[0].type_name, "CircleShape");
    assert_eq!(u.variants[0].tags, ["circle"]);
    assert!(u.variants[0].strip);
    assert_eq!(u.variants[1].type_name, "PolygonShape");
    assert_eq!(u.variants[1].tags, ["square", "triangle"]);
    assert!(!u.variants[1].strip);
    // The single-valued tag is gone from the member's schema, the multi-valued one stays.
    assert!(b.definitions["CircleShape"]["properties"].get("type").is_none());
    assert_eq!(b.definitions["CircleShape"]["required"], json!(["r"]));
    assert!(b.definitions["PolygonShape"]["properties"].get("type").is_some());

    let code = generate_version(&b).unwrap();
    // Declared for `union!` (which adds the catch-all and every impl; see lc_types::declare):
    // each member with its tag values, the multi-tag member naming the field that keeps its tag.
    assert_eq!(count(&code, "pub enum Shape {"), 1, "{code}");
    assert_has(
        &code,
        r#"union! { /// A shape. #[tag = "type"] pub enum Shape {
            /// A circle. Circle(CircleShape) = "circle",
            /// A polygon. #[tag_in(type_)] Polygon(PolygonShape) = "square" | "triangle",
        } }"#,
    );
    assert_lacks(&code, "_Custom(crate::UnknownVariant)");

    // The single-tag member loses its tag field (the union writes it back).
    let circle = body(&code, "pub struct CircleShape {");
    assert!(!circle.contains("type_"), "{circle}");
    assert!(circle.contains("pubr:i64"), "{circle}");
    // The multi-tag member keeps its `type_` field.
    let polygon = body(&code, "pub struct PolygonShape {");
    assert!(
        polygon.contains(&needle_of(r#"#[serde(rename = "type")] pub type_: PolygonShapeType,"#)),
        "{polygon}"
    );
    assert_has(&code, "pub shape: Shape,");
}

#[test]
fn optional_collections_are_options() {
    let s = Set::minimal("optional_collections_are_options");
    s.property(
        "objects/thing.json",
        "tags",
        json!({ "type": "array", "items": { "type": "string" }, "description": "Tags." }),
        false,
    );
    s.property(
        "objects/thing.json",
        "labels",
        json!({
            "type": "object",
            "additionalProperties": { "type": "string" },
            "description": "A map."
        }),
        false,
    );
    s.property(
        "objects/thing.json",
        "ids",
        json!({ "type": "array", "items": { "type": "string" }, "description": "IDs." }),
        true,
    );
    let code = s.generate();
    assert_has(&code, "pub tags: Option<Vec<String>>,");
    assert_has(&code, "pub labels: Option<BTreeMap<String, String>>,");
    assert_has(&code, "use std::collections::BTreeMap;");
    // A required array stays a plain `Vec`.
    assert_has(&code, "pub ids: Vec<String>,");
    assert_lacks(&code, "::is_empty\"");
}

#[test]
fn optional_nullable_is_double_option() {
    let s = Set::minimal("optional_nullable_is_double_option");
    s.property(
        "requests/do_it.json",
        "previous",
        json!({
            "oneOf": [{ "$ref": "../objects/thing.json" }, { "type": "null" }],
            "description": "The previous thing; null when none."
        }),
        false,
    );
    let b = s.bundle().unwrap();
    assert!(b.nullable.contains(&("DoItRequest".to_owned(), "previous".to_owned())));
    let code = generate_version(&b).unwrap();
    assert_has(
        &code,
        "/// The previous thing; null when none. #[nullable] pub previous: Option<Option<Thing>>,",
    );
}

#[test]
fn empty_properties_make_an_extra_only_struct_with_default() {
    let s = Set::minimal("empty_properties_make_an_extra_only_struct_with_default");
    let code = s.generate();
    assert_eq!(count(&code, "pub struct DoItResponse"), 1, "{code}");
    // Declared for `object!` (which adds `extra`, `Default` when no field is required, serde and
    // `Unknowns`): nothing but its docs and its (no) fields.
    assert_has(&code, "object! { /// Response of `do_it`.");
    assert_has(&code, "pub struct DoItResponse {} }");
    assert_lacks(&code, "impl DoItResponse {");
    assert_lacks(&code, "pub extra");
    assert_lacks(&code, "Default");
}

#[test]
fn every_struct_is_declared_for_object() {
    let s = Set::minimal("every_struct_is_declared_for_object");
    s.add_action("all_optional", json!("POST"), false);
    let code = s.generate();
    // `object!` builds `new` (required fields) or `Default` (none), `#[non_exhaustive]` and the
    // rest from the declaration: every struct of named fields is one.
    assert_eq!(count(&code, "object! {"), count(&code, "pub struct"), "{code}");
    assert_has(&code, "pub struct DoItRequest { /// The thing. pub thing: Thing, }");
    assert_lacks(&code, "#[non_exhaustive] pub struct");
    assert_lacks(&code, "pub fn new(");
}

#[test]
fn date_time_becomes_timestamp() {
    let s = Set::minimal("date_time_becomes_timestamp");
    s.property(
        "objects/thing.json",
        "created_at",
        json!({ "type": "string", "format": "date-time", "description": "Creation time." }),
        true,
    );
    s.property(
        "objects/thing.json",
        "seen_at",
        json!({ "type": "string", "format": "date-time", "description": "Seen." }),
        false,
    );
    s.property(
        "objects/thing.json",
        "link",
        json!({ "type": "string", "format": "uri", "description": "A link." }),
        true,
    );
    let code = s.generate();
    assert_has(&code, "pub created_at: crate::Timestamp,");
    assert_has(&code, "pub seen_at: Option<crate::Timestamp>,");
    // Other formats are dropped: the field stays a `String`.
    assert_has(&code, "pub link: String,");
}

#[test]
fn validation_keywords_do_not_change_types() {
    let s = Set::minimal("validation_keywords_do_not_change_types");
    s.property(
        "objects/thing.json",
        "count",
        json!({ "type": "integer", "minimum": 1, "maximum": 10, "description": "Count." }),
        true,
    );
    s.property(
        "objects/thing.json",
        "name",
        json!({
            "type": "string",
            "minLength": 1,
            "maxLength": 5,
            "pattern": "^[a-z]+$",
            "description": "Name."
        }),
        true,
    );
    s.property(
        "objects/thing.json",
        "codes",
        json!({
            "type": "array",
            "items": { "type": "string", "maxLength": 3 },
            "minItems": 1,
            "uniqueItems": true,
            "description": "Codes."
        }),
        true,
    );
    let b = s.bundle().unwrap();
    let props = &b.definitions["Thing"]["properties"];
    for (field, keyword) in [
        ("count", "minimum"),
        ("count", "maximum"),
        ("name", "maxLength"),
        ("name", "pattern"),
        ("codes", "uniqueItems"),
    ] {
        assert!(props[field].get(keyword).is_none(), "`{keyword}` is left in {field}");
    }
    let code = generate_version(&b).unwrap();
    assert_has(&code, "pub count: i64,");
    assert_has(&code, "pub name: String,");
    assert_has(&code, "pub codes: Vec<String>,");
    assert_lacks(&code, "NonZero");
    assert_lacks(&code, "BTreeSet");
    assert_lacks(&code, "pub struct ThingName");
    assert_lacks(&code, "pub struct ThingCount");
}

#[test]
fn web_and_rtm_impls_follow_the_manifest() {
    let s = Set::minimal("web_and_rtm_impls_follow_the_manifest");
    s.add_action("rtm_only", Value::Null, true);
    s.add_action("web_only", json!("GET"), false);
    s.edit("api.json", |m| {
        m["actions"][2]["token"] = json!(false);
        m["actions"][2]["idempotent"] = json!(true);
    });
    let code = s.generate();
    // One row per action in `actions!` (lc_types::declare), which writes the impls from it.
    assert_has(
        &code,
        r#"actions! { /// Every action of the Customer Chat API v3.6, in the manifest's order. pub const ACTIONS for V3_6 Customer = [
            do_it(DoItRequest) -> DoItResponse { web: Post, rtm: true, token: true, idempotent: false }
                "https://example.com/docs#do_it",
            rtm_only(RtmOnlyRequest) -> RtmOnlyResponse { web: None, rtm: true, token: true, idempotent: false }
                "https://example.com/docs#rtm_only",
            web_only(WebOnlyRequest) -> WebOnlyResponse { web: Get, rtm: false, token: false, idempotent: true }
                "https://example.com/docs#web_only",
        ]; }"#,
    );
    assert_lacks(&code, "impl crate::WebAction");
    assert_lacks(&code, "impl crate::Action");
}

#[test]
fn any_enums_and_tables_exist() {
    let s = Set::minimal("any_enums_and_tables_exist");
    s.write(
        "pushes/thing_changed.json",
        json!({
            "title": "ThingChangedPush",
            "description": "A thing changed.",
            "type": "object",
            "properties": {
                "thing": { "$ref": "../objects/thing.json", "description": "The thing." }
            },
            "required": ["thing"]
        }),
    );
    s.edit("api.json", |m| {
        m["pushes"] = json!([{
            "name": "thing_changed",
            "payload": "pushes/thing_changed.json",
            "docs": "https://example.com/docs#thing_changed"
        }])
    });
    let code = s.generate();
    // Declared for `any!`, `pushes!`, `types!` and `api!` (lc_types::declare), which write the
    // enums, impls and consts from them.
    for (any, by, member) in [
        ("AnyRequest", "action", r#"DoIt(DoItRequest) = "do_it","#),
        ("AnyResponse", "action", r#"DoIt(DoItResponse) = "do_it","#),
        ("AnyPush", "push", r#"ThingChanged(ThingChangedPush) = "thing_changed","#),
    ] {
        assert_has(&code, &format!("pub enum {any} by {by} {{ {member} }}"));
    }
    assert_has(
        &code,
        r#"pushes! { /// Every push of the Customer Chat API v3.6, in the manifest's order. pub const PUSHES for V3_6 Customer = [
            thing_changed(ThingChangedPush) "https://example.com/docs#thing_changed",
        ]; }"#,
    );
    assert_has(&code, "types! { DoItRequest, DoItResponse, Thing, ThingChangedPush, }");
    assert_has(&code, "api!(Customer);");
    assert_lacks(&code, "crate::UnknownPayload");
    // Each request, response and push type links to its section of the docs.
    assert_has(
        &code,
        "/// API reference: [`thing_changed` (v3.6)](https://example.com/docs#thing_changed).",
    );
    assert_has(&code, "/// API reference: [`do_it` (v3.6)](https://example.com/docs#do_it).");
    assert_eq!(count(&code, "/// API reference: [`do_it` (v3.6)]"), 2, "{code}");

    // Without pushes, both tables are empty.
    let s = Set::minimal("any_enums_and_tables_exist_2");
    let code = s.generate();
    assert_has(&code, "pub enum AnyPush by push {}");
    assert_has(&code, "pub const PUSHES for V3_6 Customer = [];");
}

#[test]
fn generation_is_deterministic() {
    let s = Set::minimal("generation_is_deterministic");
    add_shapes(&s);
    s.write(
        "objects/color.json",
        json!({
            "title": "Color",
            "description": "A color.",
            "type": "string",
            "enum": ["red", "green", "blue"]
        }),
    );
    s.property(
        "objects/thing.json",
        "colors",
        json!({ "type": "array", "items": { "$ref": "color.json" }, "description": "Colors." }),
        false,
    );
    s.add_action("rtm_only", Value::Null, true);
    let first = s.generate();
    for _ in 0..3 {
        assert!(first == s.generate(), "two runs differ");
    }
    let b = s.bundle().unwrap();
    assert!(first == generate_version(&b).unwrap());
    assert!(first == generate_version(&b).unwrap());
}

/// The generated code reads like code a person would write: prelude types unqualified, one
/// `/// Text` doc style with docs before attributes, `ApiVersion::V3_6`, and no blanket allows.
#[test]
fn generated_code_reads_like_hand_code() {
    let s = Set::minimal("generated_code_reads_like_hand_code");
    add_shapes(&s);
    s.write(
        "objects/color.json",
        json!({ "title": "Color", "description": "A color.\nOf a thing.", "type": "string", "enum": ["red", "green"] }),
    );
    s.property(
        "objects/thing.json",
        "color",
        json!({ "$ref": "color.json", "description": "Its color." }),
        false,
    );
    s.property(
        "objects/thing.json",
        "labels",
        json!({ "type": "object", "additionalProperties": { "type": "string" }, "description": "A map." }),
        false,
    );
    let code = s.generate();
    for qualified in ["::std::", "::serde::", "::serde_json::", "::core::"] {
        assert!(!code.contains(qualified), "`{qualified}` in:\n{code}");
    }
    let code_without_uses: String = code.lines().filter(|l| !l.starts_with("use ")).collect::<Vec<_>>().join("\n");
    for long in [
        "std::option::Option",
        "std::string::String",
        "std::vec::Vec",
        "std::result::Result",
        "serde_json::Value",
    ] {
        assert!(!code_without_uses.contains(long), "`{long}` in:\n{code}");
    }
    assert!(!code.contains("#![allow"), "a file-wide allow:\n{code}");
    assert!(!code.contains("unused_variables"), "{code}");
    assert!(!code.contains("ApiVersion::new("), "{code}");
    assert!(!code.contains("/**"), "{code}");
    let lines: Vec<&str> = code.lines().map(str::trim_start).collect();
    for (i, line) in lines.iter().enumerate() {
        if let Some(text) = line.strip_prefix("///") {
            assert!(text.is_empty() || text.starts_with(' '), "line {}: `{line}`", i + 1);
        }
        // Doc comments come first: no doc line right after an attribute.
        if i > 0 && lines[i - 1].starts_with("#[") {
            assert!(
                !line.starts_with("///"),
                "line {}: a doc comment after an attribute:\n{}\n{line}",
                i + 1,
                lines[i - 1]
            );
        }
        if line.starts_with("#[allow(") {
            assert!(lines[i - 1].starts_with("// "), "line {}: an allow without a reason", i + 1);
        }
    }
    // A multi-line description is one `///` line per line.
    assert_has(&code, "/// A color.\n/// Of a thing.");
    // Items apart, at the repository's width.
    assert!(code.contains("}\n\nobject! {"), "{code}");
    assert!(!code.contains("}\nobject! {") && !code.contains("}\nimpl "), "{code}");
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        assert!(line.len() <= 140, "longer than rustfmt.toml's max_width: {line}");
    }
}

#[test]
fn every_allow_in_generated_code_carries_its_reason() {
    let text = "struct A;\n    #[allow(clippy::large_enum_variant)]\n    enum E {}\n";
    let out = crate::codegen::tidy::justify(text);
    assert!(
        out.contains("    // Members differ in size as the payloads do; boxing them would cost an allocation per decode and `Box` patterns in every match.\n    #[allow(clippy::large_enum_variant)]"),
        "{out}"
    );
    let unexplained = std::panic::catch_unwind(|| crate::codegen::tidy::justify("#[allow(dead_code)]\nfn f() {}\n"));
    assert!(unexplained.is_err(), "an allow without a reason must not pass");
}

/// With the real schemas: every request, response and push type links to its section of the
/// docs (in every version that has it, for a type several versions share).
#[test]
fn every_request_response_and_push_links_to_its_docs() {
    let root = crate::workspace_root();
    let out = crate::codegen::generate(&root).expect("the schemas generate");
    let mut checked = 0;
    for (version, dir) in crate::codegen::versions(&root).unwrap() {
        let b = bundle(&dir).unwrap();
        let mut uses: Vec<(&str, &str, &str)> = Vec::new();
        for a in &b.actions {
            if let Some(r) = &a.request {
                uses.push((r, &a.name, &a.docs));
            }
            uses.push((&a.response, &a.name, &a.docs));
        }
        for p in &b.pushes {
            uses.push((&p.payload, &p.name, &p.docs));
        }
        for (ty, name, docs) in uses {
            let linked = out.values().any(|text| {
                let lines: Vec<&str> = text.lines().map(str::trim_start).collect();
                lines.iter().enumerate().any(|(i, l)| {
                    let defines = l.starts_with(&format!("pub struct {ty} "))
                        || l.starts_with(&format!("pub struct {ty}("))
                        || l.starts_with(&format!("pub enum {ty} "));
                    defines
                        && lines[..i]
                            .iter()
                            .rev()
                            .take_while(|l| l.starts_with("///") || l.starts_with("#[") || l.starts_with("// "))
                            .any(|l| {
                                l.starts_with("/// API reference")
                                    && l.contains(&format!("`{name}`"))
                                    && l.contains(&format!("v{version}"))
                                    && l.contains(&format!("({docs})"))
                            })
                })
            });
            assert!(linked, "v{version}: `{ty}` has no link to {docs}");
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");
}

#[test]
fn required_nullable_keeps_its_null() {
    let s = Set::minimal("required_nullable_keeps_its_null");
    s.property(
        "requests/do_it.json",
        "previous",
        json!({ "oneOf": [{ "$ref": "../objects/thing.json" }, { "type": "null" }], "description": "Always sent; may be null." }),
        true,
    );
    let code = s.generate();
    // `object!` writes a `#[required]` field always (`null` for `None`) and refuses it absent.
    assert_has(&code, "/// Always sent; may be null. #[required] pub previous: Option<Thing>,");
}

#[test]
fn identical_closures_are_shared_and_the_rest_is_not() {
    let s = Set::minimal("identical_closures_are_shared");
    add_shapes(&s);
    let v3_7 = copy_to_v3_7(&s);
    // 3.7 changes one union member; everything that refers to it, directly or not, must differ.
    let path = v3_7.join("objects/polygon_shape.json");
    let mut polygon: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    polygon["properties"]["color"] = json!({ "type": "string", "description": "Its color." });
    fs::write(&path, polygon.to_string()).unwrap();

    let codes: Vec<_> = [&s.dir, &v3_7]
        .iter()
        .map(|d| crate::codegen::version_code(&bundle(d).unwrap()).unwrap())
        .collect();
    let (files, modules) = crate::codegen::assemble(&codes);
    // A module's files (`mod.rs`, one per folder of the schema), one after the other.
    let file = |name: &str| {
        let texts: Vec<&str> = files
            .iter()
            .filter(|(n, _)| n.split('/').next() == Some(name))
            .map(|(_, text)| text.as_str())
            .collect();
        assert!(!texts.is_empty(), "no module {name}");
        texts.join("\n")
    };
    assert_eq!(
        modules.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        ["v3_6", "v3_7", "shared_v3_6_v3_7"]
    );
    let shared = file("shared_v3_6_v3_7");
    // Identical and referring to nothing that differs: shared, defined once.
    for t in ["CircleShape", "DoItResponse"] {
        assert_has(&shared, &format!("pub struct {t} {{"));
        for v in ["v3_6", "v3_7"] {
            let code = file(v);
            let reexported = code.lines().any(|l| {
                l.strip_prefix("pub use crate::generated::shared_v3_6_v3_7::")
                    .is_some_and(|names| names.trim_matches(|c| "{};".contains(c)).split(", ").any(|n| n == t))
            });
            assert!(reexported, "{v} does not re-export {t}:\n{code}");
            assert_lacks(&code, &format!("pub struct {t} {{"));
        }
    }
    // Changed (PolygonShape), refers to a changed type (Shape, Thing), or bound to its version by
    // `impl Action` (DoItRequest): one definition per version.
    for t in ["PolygonShape", "Shape", "Thing", "DoItRequest"] {
        assert_lacks(&shared, &format!("pub struct {t} {{"));
        assert_lacks(&shared, &format!("pub enum {t} {{"));
        for v in ["v3_6", "v3_7"] {
            let code = file(v);
            assert!(
                has(&code, &format!("pub struct {t} {{")) || has(&code, &format!("pub enum {t} {{")),
                "{v} lacks its own {t}"
            );
        }
    }
    // The union's `From<member>` impls live with the union, not with the shared member.
    assert_lacks(&shared, "for Shape");
    assert_has(&file("v3_7"), "pub enum Shape {");
    // A shared response links to its section of the docs of each version that shares it (the
    // links are added after the sharing is decided, so they do not prevent it).
    assert_has(
        &shared,
        "/// API reference of `do_it`: [v3.6](https://example.com/docs#do_it), [v3.7](https://example.com/docs#do_it).",
    );
    assert_has(
        &file("v3_7"),
        "/// API reference: [`do_it` (v3.7)](https://example.com/docs#do_it).",
    );
    // Only the imports a shared module uses.
    assert_lacks(&shared, "use super::");
    // mod.rs compiles a shared module whenever any of its versions is on.
    let mod_rs = crate::codegen::mod_rs(&modules);
    // ... and has one `ApiVersion` constant per version directory.
    assert_has(&mod_rs, "pub const V3_6: crate::ApiVersion = crate::ApiVersion::new(3, 6);");
    assert_has(&mod_rs, "pub const V3_7: crate::ApiVersion = crate::ApiVersion::new(3, 7);");
    assert_has(
        &mod_rs,
        r#"#[cfg(any(all(feature = "v3_6", feature = "customer"), all(feature = "v3_7", feature = "customer")))] mod shared_v3_6_v3_7;"#,
    );
}

#[test]
fn disconnect_policy_is_generated_per_value() {
    let s = set_with_reason(
        "disconnect_policy_is_generated_per_value",
        json!({"a": "Stop", "b": "ReconnectInRegion"}),
    );
    let code = squash(&s.generate());
    assert!(code.contains("pubfnpolicy(&self)->crate::DisconnectPolicy"), "{code}");
    assert!(code.contains("matchself.as_str(){"), "{code}");
    assert!(code.contains("\"a\"=>crate::DisconnectPolicy::Stop"), "{code}");
    assert!(code.contains("\"b\"=>crate::DisconnectPolicy::ReconnectInRegion"), "{code}");
    assert!(code.contains("_=>crate::DisconnectPolicy::FOR_UNKNOWN"), "{code}");
}

#[test]
fn identical_types_are_shared_across_apis_and_views_are_not() {
    use crate::codegen::bundle::{bundle_api, Api};
    let s = Set::minimal("identical_types_are_shared_across_apis");
    // The customer's `Note` and the agent's `Note` (its view: one field more) differ; `Thing`, the
    // pool's, is the agent's too; the response differs only in its words.
    let note = |fields: Value| json!({ "title": "Note", "description": "A note.", "type": "object", "properties": fields });
    s.write(
        "objects/note.json",
        note(json!({ "text": { "type": "string", "description": "Text." } })),
    );
    s.write(
        "agent/objects/note.json",
        note(json!({
            "text": { "type": "string", "description": "Text." },
            "author": { "type": "string", "description": "Who wrote it (the agent's view)." }
        })),
    );
    s.property(
        "requests/do_it.json",
        "note",
        json!({ "$ref": "../objects/note.json", "description": "A note." }),
        false,
    );
    let mut request = s.read("requests/do_it.json");
    request["properties"]["thing"]["$ref"] = json!("../../objects/thing.json");
    request["properties"]["note"]["$ref"] = json!("../objects/note.json");
    s.write("agent/requests/do_it.json", request);
    let mut response = s.read("responses/do_it.json");
    response["description"] = json!("What `do_it` answers an agent.");
    s.write("agent/responses/do_it.json", response);
    s.write("agent/api.json", s.read("api.json"));

    let codes: Vec<_> = [Api::Customer, Api::Agent]
        .into_iter()
        .map(|api| crate::codegen::version_code(&bundle_api(&s.dir, api).unwrap()).unwrap())
        .collect();
    let (files, modules) = crate::codegen::assemble(&codes);
    let file = |stem: &str| -> String {
        let texts: Vec<&str> = files.iter().filter(|(n, _)| n.starts_with(stem)).map(|(_, t)| t.as_str()).collect();
        assert!(
            !texts.is_empty(),
            "no file {stem}: {:?}",
            files.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        texts.join("\n")
    };
    assert_eq!(
        modules.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        ["v3_6", "shared_v3_6_agent_v3_6"]
    );
    // One definition of what both APIs have the same shape of, documented as the customer's.
    let shared = file("shared_v3_6_agent_v3_6/");
    assert_has(&shared, "pub struct Thing {");
    assert_has(&shared, "/// Response of `do_it`.");
    assert_has(&shared, "pub struct DoItResponse {}");
    // Each API its own request (bound to its API) and its own view of `Note`.
    for api in ["customer", "agent"] {
        let code = file(&format!("v3_6/{api}/"));
        assert_has(&code, "pub struct DoItRequest {");
        assert_has(&code, "pub struct Note {");
        assert_lacks(&code, "pub struct Thing {");
    }
    assert_has(&file("v3_6/agent/"), "pub author: Option<String>,");
    assert_lacks(&file("v3_6/customer/"), "pub author");
    assert_has(&file("v3_6/agent/mod"), "pub const ACTIONS for V3_6 Agent = [");
    // The version module: each API behind its feature, the shared objects (not responses) at its root.
    let version = file("v3_6/mod");
    assert_has(&version, r#"#[cfg(feature = "customer")] pub mod customer;"#);
    assert_has(&version, r#"#[cfg(feature = "agent")] pub mod agent;"#);
    assert_has(
        &version,
        r#"#[cfg(any(feature = "customer", feature = "agent"))] pub use crate::generated::shared_v3_6_agent_v3_6::Thing;"#,
    );
    assert_lacks(&version, "DoItResponse");
    let mod_rs = crate::codegen::mod_rs(&modules);
    assert_has(
        &mod_rs,
        r#"#[cfg(any(all(feature = "v3_6", feature = "customer"), all(feature = "v3_6", feature = "agent")))] mod shared_v3_6_agent_v3_6;"#,
    );
    assert_has(&mod_rs, r#"#[cfg(all(feature = "v3_6", feature = "agent"))] &v3_6::agent::API,"#);
}

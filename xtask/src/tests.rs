//! Unit tests of the bundler, the syn pass and the writer, on small schema sets built in temporary
//! directories.

use std::fs;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::codegen::bundle::{bundle, Bundle};
use crate::codegen::{generate_version, write_or_check, Output, GENERATED_DIR};

/// A schema set `v3.6/` in a fresh temporary directory, removed when dropped (also on panic).
struct Set {
    root: PathBuf,
    dir: PathBuf,
}

impl Set {
    /// An empty `v3.6/` directory.
    fn empty(test: &str) -> Set {
        let root = std::env::temp_dir().join(format!("lc-xtask-test-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dir = root.join("v3.6");
        fs::create_dir_all(&dir).unwrap();
        Set { root, dir }
    }

    /// The smallest valid set: the object `Thing`, the action `do_it` (POST and RTM) with
    /// `DoItRequest` (refers to `Thing`) and the empty `DoItResponse`.
    fn minimal(test: &str) -> Set {
        let s = Set::empty(test);
        s.write(
            "objects/thing.json",
            json!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "title": "Thing",
                "description": "A thing.",
                "type": "object",
                "properties": {
                    "id": { "type": "string", "description": "Its ID." },
                    "note": { "type": "string", "description": "A note." }
                },
                "required": ["id"]
            }),
        );
        s.write(
            "requests/do_it.json",
            json!({
                "title": "DoItRequest",
                "description": "Payload of `do_it`.",
                "type": "object",
                "properties": {
                    "thing": { "$ref": "../objects/thing.json", "description": "The thing." }
                },
                "required": ["thing"]
            }),
        );
        s.write(
            "responses/do_it.json",
            json!({
                "title": "DoItResponse",
                "description": "Response of `do_it`.",
                "type": "object",
                "properties": {}
            }),
        );
        s.write("api.json", manifest(vec![action("do_it", json!("POST"), true)]));
        s
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// How the bundler names `rel` in its messages.
    fn shown(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    fn write(&self, rel: &str, value: Value) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    }

    fn read(&self, rel: &str) -> Value {
        serde_json::from_str(&fs::read_to_string(self.path(rel)).unwrap()).unwrap()
    }

    /// Reads `rel`, lets `f` change it and writes it back.
    fn edit(&self, rel: &str, f: impl FnOnce(&mut Value)) {
        let mut value = self.read(rel);
        f(&mut value);
        self.write(rel, value);
    }

    /// Sets the property `name` of the schema in `rel` (and makes it required or not).
    fn property(&self, rel: &str, name: &str, schema: Value, required: bool) {
        self.edit(rel, |v| {
            v["properties"][name] = schema;
            if required {
                v["required"].as_array_mut().expect("a `required` list").push(json!(name));
            }
        });
    }

    /// Adds an action `name` with its request and response files (each with one optional field).
    fn add_action(&self, name: &str, web: Value, rtm: bool) {
        let title = crate::codegen::bundle::pascal(name);
        for (folder, kind) in [("requests", "Request"), ("responses", "Response")] {
            self.write(
                &format!("{folder}/{name}.json"),
                json!({
                    "title": format!("{title}{kind}"),
                    "description": format!("{kind} of `{name}`."),
                    "type": "object",
                    "properties": {
                        "flag": { "type": "boolean", "description": "A flag." }
                    }
                }),
            );
        }
        self.edit("api.json", |m| m["actions"].as_array_mut().unwrap().push(action(name, web, rtm)));
    }

    fn bundle(&self) -> Result<Bundle, Vec<String>> {
        bundle(&self.dir)
    }

    /// Bundles and generates; both must succeed.
    fn generate(&self) -> String {
        let b = self.bundle().unwrap_or_else(|e| panic!("the set is refused: {e:#?}"));
        generate_version(&b).unwrap_or_else(|e| panic!("generation fails: {e:#?}"))
    }

    /// Asserts that the set is refused with a message naming `file` and containing `reason`.
    fn refused(&self, file: &str, reason: &str) {
        let errors = self.bundle().expect_err("the set must be refused");
        let shown = self.shown(file);
        assert!(
            errors.iter().any(|e| e.contains(&shown) && e.contains(reason)),
            "no message names `{shown}` and says `{reason}`; got {errors:#?}"
        );
    }
}

impl Drop for Set {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn manifest(actions: Vec<Value>) -> Value {
    json!({ "version": "3.6", "actions": actions, "pushes": [] })
}

fn action(name: &str, web: Value, rtm: bool) -> Value {
    json!({
        "name": name,
        "web": web,
        "rtm": rtm,
        "token": true,
        "idempotent": false,
        "request": format!("requests/{name}.json"),
        "response": format!("responses/{name}.json"),
        "docs": format!("https://example.com/docs#{name}")
    })
}

/// `s` without whitespace and trailing commas, so that assertions do not depend on the formatting.
fn squash(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    s.replace(",]", "]").replace(",}", "}").replace(",)", ")").replace(",>", ">")
}

/// Whether `code` contains `needle`, formatting ignored on both sides.
fn has(code: &str, needle: &str) -> bool {
    squash(code).contains(&needle_of(needle))
}

/// `needle` squashed, without a trailing comma (which the code drops before a closing bracket).
fn needle_of(needle: &str) -> String {
    squash(needle).trim_end_matches(',').to_owned()
}

/// How often `needle` occurs in `code`, formatting ignored on both sides.
fn count(code: &str, needle: &str) -> usize {
    squash(code).matches(&needle_of(needle)).count()
}

#[track_caller]
fn assert_has(code: &str, needle: &str) {
    assert!(has(code, needle), "`{needle}` is not in the generated code:\n{code}");
}

#[track_caller]
fn assert_lacks(code: &str, needle: &str) {
    assert!(!has(code, needle), "`{needle}` must not be in the generated code:\n{code}");
}

/// The squashed text of the item that starts with `head` (e.g. `pub struct Thing {`), up to its
/// first `}`: the fields of a struct, the variants of an enum.
#[track_caller]
fn body(code: &str, head: &str) -> String {
    let code = squash(code);
    let head = squash(head);
    let start = code
        .find(&head)
        .unwrap_or_else(|| panic!("`{head}` is not in the generated code:\n{code}"));
    let rest = &code[start..];
    rest[..=rest.find('}').expect("a closing brace")].to_owned()
}

/// Adds the union `Shape` on `type` (`CircleShape`: one tag `circle`; `PolygonShape`: the tags
/// `square` and `triangle`) and a required `Thing.shape`.
fn add_shapes(s: &Set) {
    s.write(
        "objects/shape.json",
        json!({
            "title": "Shape",
            "description": "A shape.",
            "oneOf": [
                { "$ref": "circle_shape.json" },
                { "$ref": "polygon_shape.json" }
            ],
            "discriminator": { "propertyName": "type" }
        }),
    );
    s.write(
        "objects/circle_shape.json",
        json!({
            "title": "CircleShape",
            "description": "A circle.",
            "type": "object",
            "properties": {
                "type": { "type": "string", "enum": ["circle"], "description": "Tag." },
                "r": { "type": "integer", "description": "Radius." }
            },
            "required": ["type", "r"]
        }),
    );
    s.write(
        "objects/polygon_shape.json",
        json!({
            "title": "PolygonShape",
            "description": "A polygon.",
            "type": "object",
            "properties": {
                "type": {
                    "type": "string",
                    "enum": ["square", "triangle"],
                    "description": "Tag."
                },
                "sides": { "type": "integer", "description": "Number of sides." }
            },
            "required": ["type"]
        }),
    );
    s.property(
        "objects/thing.json",
        "shape",
        json!({ "$ref": "shape.json", "description": "Its shape." }),
        true,
    );
}

// ---------------------------------------------------------------------------------------------
// The baseline.

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

// ---------------------------------------------------------------------------------------------
// Refusals.

#[test]
fn refuses_unresolvable_ref() {
    let s = Set::minimal("refuses_unresolvable_ref");
    s.property(
        "requests/do_it.json",
        "other",
        json!({ "$ref": "../objects/missing.json", "description": "Nothing." }),
        false,
    );
    s.refused("requests/do_it.json", "`$ref` `../objects/missing.json` does not resolve");
}

#[test]
fn refuses_ref_to_nested_pointer() {
    let s = Set::minimal("refuses_ref_to_nested_pointer");
    s.property(
        "objects/thing.json",
        "alias",
        json!({ "$ref": "#/properties/id", "description": "Same as id." }),
        false,
    );
    s.refused(
        "objects/thing.json",
        "only whole files and `#/definitions/<Name>` can be referred to (not `/properties/id`)",
    );
}

#[test]
fn refuses_duplicate_type_title_in_two_files() {
    let s = Set::minimal("refuses_duplicate_type_title_in_two_files");
    s.write(
        "objects/other.json",
        json!({
            "title": "Thing",
            "description": "Another thing.",
            "type": "object",
            "properties": { "x": { "type": "string", "description": "X." } }
        }),
    );
    let errors = s.bundle().expect_err("a duplicate title must be refused");
    let (first, second) = (s.shown("objects/other.json"), s.shown("objects/thing.json"));
    assert!(
        errors
            .iter()
            .any(|e| e.contains(&first) && e.contains(&second) && e.contains("duplicate type name `Thing`")),
        "no message names both files: {errors:#?}"
    );
}

#[test]
fn refuses_duplicate_inline_titles() {
    let s = Set::minimal("refuses_duplicate_inline_titles");
    let inner = json!({
        "title": "Inner",
        "type": "object",
        "description": "An inner object.",
        "properties": { "x": { "type": "string", "description": "X." } }
    });
    s.property("objects/thing.json", "a", inner.clone(), false);
    s.property("objects/thing.json", "b", inner, false);
    s.refused("objects/thing.json", "duplicate title `Inner`");

    // An inline title may not repeat a file's title either.
    let s = Set::minimal("refuses_duplicate_inline_titles_2");
    s.property(
        "objects/thing.json",
        "a",
        json!({
            "title": "DoItRequest",
            "type": "object",
            "description": "Clashes with the request.",
            "properties": { "x": { "type": "string", "description": "X." } }
        }),
        false,
    );
    s.refused("objects/thing.json", "duplicate title `DoItRequest`");
}

#[test]
fn refuses_additional_properties_false() {
    let s = Set::minimal("refuses_additional_properties_false");
    s.edit("objects/thing.json", |v| v["additionalProperties"] = json!(false));
    s.refused("objects/thing.json", "`additionalProperties: false` is not allowed");
}

#[test]
fn refuses_property_named_extra() {
    let s = Set::minimal("refuses_property_named_extra");
    s.property(
        "objects/thing.json",
        "extra",
        json!({ "type": "string", "description": "Collides." }),
        false,
    );
    s.refused("objects/thing.json", "a property may not be named `extra`");
}

#[test]
fn refuses_default_anywhere() {
    let s = Set::minimal("refuses_default_anywhere");
    // Deep in a property (array items), on a request property, and on a file's root.
    s.property(
        "objects/thing.json",
        "tags",
        json!({
            "type": "array",
            "description": "Tags.",
            "items": { "type": "string", "default": "a" }
        }),
        false,
    );
    s.property(
        "requests/do_it.json",
        "limit",
        json!({ "type": "integer", "description": "Limit.", "default": 10 }),
        false,
    );
    s.edit("responses/do_it.json", |v| v["default"] = json!({}));
    let reason = "`default` is not allowed";
    s.refused("objects/thing.json", reason);
    s.refused("requests/do_it.json", reason);
    s.refused("responses/do_it.json", reason);
    let errors = s.bundle().unwrap_err();
    assert_eq!(errors.iter().filter(|e| e.contains(reason)).count(), 3, "{errors:#?}");
}

#[test]
fn refuses_untitled_inline_object_with_properties() {
    let s = Set::minimal("refuses_untitled_inline_object_with_properties");
    s.property(
        "objects/thing.json",
        "inner",
        json!({
            "type": "object",
            "description": "No title.",
            "properties": { "x": { "type": "string", "description": "X." } }
        }),
        false,
    );
    s.refused("objects/thing.json", "an inline object with `properties` needs a `title`");
}

#[test]
fn refuses_property_without_description() {
    let s = Set::minimal("refuses_property_without_description");
    s.property("objects/thing.json", "bare", json!({ "type": "string" }), false);
    s.refused("objects/thing.json", "every property needs a `description`");

    // A blank description is no description.
    let s = Set::minimal("refuses_property_without_description_2");
    s.property(
        "requests/do_it.json",
        "blank",
        json!({ "type": "string", "description": "  " }),
        false,
    );
    s.refused("requests/do_it.json", "every property needs a `description`");
}

#[test]
fn refuses_manifest_request_with_wrong_title() {
    let s = Set::minimal("refuses_manifest_request_with_wrong_title");
    s.edit("requests/do_it.json", |v| v["title"] = json!("DoSomethingRequest"));
    s.refused(
        "api.json",
        "`requests/do_it.json` has title `DoSomethingRequest`; it must be `DoItRequest`",
    );
}

#[test]
fn refuses_manifest_path_that_does_not_exist() {
    let s = Set::minimal("refuses_manifest_path_that_does_not_exist");
    s.edit("api.json", |m| m["actions"][0]["request"] = json!("requests/nope.json"));
    s.refused("api.json", "`requests/nope.json` does not exist");
}

#[test]
fn refuses_direct_reference_to_union_member() {
    let s = Set::minimal("refuses_direct_reference_to_union_member");
    add_shapes(&s);
    assert!(s.bundle().is_ok(), "the union alone is fine");
    s.property(
        "requests/do_it.json",
        "circle",
        json!({ "$ref": "../objects/circle_shape.json", "description": "A circle." }),
        false,
    );
    s.refused(
        "requests/do_it.json",
        "refers to `CircleShape`, a member of the union `Shape`: refer to `Shape` instead",
    );
}

#[test]
fn refuses_union_member_without_required_enum_tag() {
    let reason = "member of the union `Shape` needs a required `type` property with a string `enum`";
    // The tag is not required.
    let s = Set::minimal("refuses_union_member_without_required_enum_tag");
    add_shapes(&s);
    s.edit("objects/circle_shape.json", |v| v["required"] = json!(["r"]));
    s.refused("objects/circle_shape.json", reason);

    // The tag is required but has no `enum`.
    let s = Set::minimal("refuses_union_member_without_required_enum_tag_2");
    add_shapes(&s);
    s.edit("objects/polygon_shape.json", |v| {
        v["properties"]["type"] = json!({ "type": "string", "description": "Tag." })
    });
    s.refused("objects/polygon_shape.json", reason);

    // No tag property at all.
    let s = Set::minimal("refuses_union_member_without_required_enum_tag_3");
    add_shapes(&s);
    s.edit("objects/circle_shape.json", |v| {
        v["properties"].as_object_mut().unwrap().remove("type");
        v["required"] = json!(["r"]);
    });
    s.refused("objects/circle_shape.json", reason);
}

#[test]
fn refuses_two_union_members_with_the_same_tag() {
    let s = Set::minimal("refuses_two_union_members_with_the_same_tag");
    add_shapes(&s);
    s.edit("objects/polygon_shape.json", |v| {
        v["properties"]["type"]["enum"] = json!(["square", "circle"])
    });
    s.refused(
        "objects/polygon_shape.json",
        "tag value `circle` is claimed by two members of the union `Shape`",
    );
}

#[test]
fn refuses_action_on_neither_web_nor_rtm() {
    let s = Set::minimal("refuses_action_on_neither_web_nor_rtm");
    s.edit("api.json", |m| {
        m["actions"][0]["web"] = Value::Null;
        m["actions"][0]["rtm"] = json!(false);
    });
    s.refused("api.json", "action `do_it` is available over neither Web nor RTM");
}

#[test]
fn refuses_unknown_web_method() {
    let s = Set::minimal("refuses_unknown_web_method");
    s.edit("api.json", |m| m["actions"][0]["web"] = json!("PUT"));
    s.refused("api.json", r#"`web` is "POST", "GET", "MULTIPART" or null, not "PUT""#);
}

// ---------------------------------------------------------------------------------------------
// Accepted and generated.

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
    assert_has(
        &code,
        "impl crate::WebAction for DoItRequest { const METHOD: crate::WebMethod = crate::WebMethod::Post; const NEEDS_TOKEN: bool = true; const IDEMPOTENT: bool = false; }",
    );
    assert_has(
        &code,
        "impl crate::WebAction for WebOnlyRequest { const METHOD: crate::WebMethod = crate::WebMethod::Get; const NEEDS_TOKEN: bool = false; const IDEMPOTENT: bool = true; }",
    );
    assert_lacks(&code, "impl crate::WebAction for RtmOnlyRequest");
    assert_eq!(count(&code, "impl crate::WebAction for"), 2, "{code}");
    assert_has(&code, "impl crate::RtmAction for DoItRequest {}");
    assert_has(&code, "impl crate::RtmAction for RtmOnlyRequest {}");
    assert_lacks(&code, "impl crate::RtmAction for WebOnlyRequest");
    assert_eq!(count(&code, "impl crate::RtmAction for"), 2, "{code}");
    // Every action is an `Action`, with its wire name and response type.
    assert_eq!(count(&code, "impl crate::Action for"), 3, "{code}");
    assert_has(&code, "impl crate::Action for RtmOnlyRequest {");
    assert_has(&code, r#"const NAME: &'static str = "rtm_only";"#);
    assert_has(&code, "type Response = RtmOnlyResponse;");
    assert_has(&code, "const VERSION: crate::ApiVersion = crate::ApiVersion::V3_6;");
    assert_has(&code, r#"crate::ActionInfo { name: "rtm_only", web: None, rtm: true,"#);
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
    for (any, member) in [
        ("AnyRequest", "DoIt(DoItRequest),"),
        ("AnyResponse", "DoIt(DoItResponse),"),
        ("AnyPush", "ThingChanged(ThingChangedPush),"),
    ] {
        let variants = body(&code, &format!("pub enum {any} {{"));
        assert!(variants.contains(member), "{variants}");
        assert!(variants.contains("#[doc(hidden)]_Custom(crate::UnknownPayload)"), "{variants}");
        assert_has(&code, &format!("#[non_exhaustive] pub enum {any} {{"));
        assert_has(&code, &format!("impl {any} {{"));
        assert_has(&code, &format!("impl Serialize for {any} {{"));
        assert_has(&code, &format!("impl crate::Unknowns for {any} {{"));
    }
    assert_has(
        &code,
        r#"pub const ACTIONS: &[crate::ActionInfo] = &[crate::ActionInfo {
            name: "do_it",
            web: Some(crate::WebMethod::Post),
            rtm: true,
            needs_token: true,
            idempotent: false,
            request: Some("DoItRequest"),
            response: "DoItResponse",
            docs: "https://example.com/docs#do_it"
        }];"#,
    );
    assert_has(
        &code,
        r#"pub const PUSHES: &[crate::PushInfo] = &[crate::PushInfo {
            name: "thing_changed",
            payload: "ThingChangedPush",
            docs: "https://example.com/docs#thing_changed"
        }];"#,
    );
    assert_has(
        &code,
        r#"pub const TYPES: &[&str] = &["DoItRequest", "DoItResponse", "Thing", "ThingChangedPush"];"#,
    );
    assert_has(
        &code,
        r#"impl crate::Push for ThingChangedPush { const NAME: &'static str = "thing_changed";"#,
    );
    assert_has(&code, "pub const VERSION: crate::ApiVersion = crate::ApiVersion::V3_6;");
    // Only the decoders fill the catch-all, and only for a name they do not know.
    assert_eq!(count(&code, "crate::UnknownPayload::new("), 6, "{code}");
    assert_has(
        &code,
        r#"Ok(Self::_Custom(crate::UnknownPayload::new(None, name.to_owned(), payload)))"#,
    );
    // Each request, response and push type links to its section of the docs.
    assert_has(
        &code,
        "/// API reference: [`thing_changed` (v3.6)](https://example.com/docs#thing_changed).",
    );
    assert_has(&code, "/// API reference: [`do_it` (v3.6)](https://example.com/docs#do_it).");
    assert_eq!(count(&code, "/// API reference: [`do_it` (v3.6)]"), 2, "{code}");

    // Without pushes, `AnyPush` has only its hidden catch-all and `PUSHES` is empty.
    let s = Set::minimal("any_enums_and_tables_exist_2");
    let code = s.generate();
    assert_has(&code, "pub enum AnyPush { ///");
    assert_has(&code, "pub const PUSHES: &[crate::PushInfo] = &[];");
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
    let text = "struct A;\n    #[allow(clippy::too_many_arguments)]\n    fn f() {}\n";
    let out = crate::codegen::tidy::justify(text);
    assert!(
        out.contains("    // One parameter per required field, as the schema lists them.\n    #[allow(clippy::too_many_arguments)]"),
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

// ---------------------------------------------------------------------------------------------
// The writer.

#[test]
fn check_reports_stale_missing_and_orphan_files() {
    let s = Set::empty("check_reports_stale_missing_and_orphan_files");
    let generated = s.root.join(GENERATED_DIR);
    fs::create_dir_all(&generated).unwrap();
    fs::write(generated.join("mod.rs"), "// mod\n").unwrap();
    fs::write(generated.join("v3_6.rs"), "// old\n").unwrap();
    fs::write(generated.join("v3_5.rs"), "// orphan\n").unwrap();
    let rel = |name: &str| std::path::Path::new(GENERATED_DIR).join(name);
    let out: Output = [
        (rel("mod.rs"), "// mod\n".to_owned()),
        (rel("v3_6.rs"), "// new\n".to_owned()),
        (rel("v3_7.rs"), "// added\n".to_owned()),
    ]
    .into_iter()
    .collect();

    let problems = write_or_check(&s.root, &out, true).expect_err("the tree is not up to date");
    let shown = |name: &str| rel(name).display().to_string();
    let expected = [
        format!("{} is stale", shown("v3_6.rs")),
        format!("{} is missing", shown("v3_7.rs")),
        format!("{} is an orphan", shown("v3_5.rs")),
    ];
    for e in &expected {
        assert!(
            problems.iter().any(|p| p.contains(e.as_str())),
            "`{e}` is not reported: {problems:#?}"
        );
    }
    assert_eq!(problems.len(), 3, "{problems:#?}");
    // Checking changes nothing.
    assert_eq!(fs::read_to_string(generated.join("v3_6.rs")).unwrap(), "// old\n");
    assert!(generated.join("v3_5.rs").exists());
    assert!(!generated.join("v3_7.rs").exists());

    // Writing fixes all three; then the check passes.
    assert_eq!(write_or_check(&s.root, &out, false), Ok(3));
    assert_eq!(fs::read_to_string(generated.join("v3_6.rs")).unwrap(), "// new\n");
    assert!(!generated.join("v3_5.rs").exists());
    assert_eq!(write_or_check(&s.root, &out, true), Ok(0));
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
fn refuses_a_union_below_the_root_and_other_one_of() {
    let s = Set::minimal("refuses_a_union_below_the_root_and_other_one_of");
    add_shapes(&s);
    s.property(
        "objects/thing.json",
        "inline_shape",
        json!({"title": "InlineShape", "description": "An inline union.", "discriminator": {"propertyName": "type"},
               "oneOf": [{ "$ref": "../objects/shape.json" }]}),
        false,
    );
    s.refused("objects/thing.json", "must be a file or a `definitions` entry of its own");
    let s = Set::minimal("refuses_other_one_of");
    s.property(
        "objects/thing.json",
        "either",
        json!({"description": "Either.", "oneOf": [{"type": "string"}, {"type": "integer"}]}),
        false,
    );
    s.refused("objects/thing.json", "`oneOf` is only for unions");
}

#[test]
fn refuses_an_inline_empty_object() {
    let s = Set::minimal("refuses_an_inline_empty_object");
    s.property(
        "objects/thing.json",
        "inner",
        json!({"title": "InnerEmpty", "type": "object", "properties": {}, "description": "Nothing known yet."}),
        false,
    );
    s.refused("objects/thing.json", "an object with no known properties must be a file");
}

#[test]
fn refuses_names_that_are_not_snake_case_and_bad_version_directories() {
    let s = Set::minimal("refuses_names_that_are_not_snake_case");
    s.add_action("doThat", json!("POST"), true);
    s.refused("api.json", "action name `doThat` is not snake_case");
    let bad = std::env::temp_dir()
        .join(format!("lc-xtask-test-badversion-{}", std::process::id()))
        .join("v3");
    fs::create_dir_all(&bad).unwrap();
    let errors = bundle(&bad).expect_err("v3 is not v<major>.<minor>");
    assert!(errors[0].contains("v<major>.<minor>"), "{errors:?}");
    let _ = fs::remove_dir_all(bad.parent().unwrap());
}

#[test]
fn refuses_a_core_replacement_that_matches_no_core_type() {
    let s = Set::minimal("refuses_a_core_replacement_that_matches_no_core_type");
    s.edit("objects/thing.json", |v| v["x-lc-core"] = json!("NoSuchCoreType"));
    s.refused("objects/thing.json", "`x-lc-core` names a type of the lc-types core");
}

// ---------------------------------------------------------------------------------------------
// Sharing between versions.

/// Copies the set's `v3.6/` to `v3.7/` (with its manifest's version) and returns the new set's dir.
fn copy_to_v3_7(s: &Set) -> PathBuf {
    let to = s.root.join("v3.7");
    for folder in ["objects", "requests", "responses", "pushes"] {
        let from = s.dir.join(folder);
        if let Ok(entries) = fs::read_dir(&from) {
            fs::create_dir_all(to.join(folder)).unwrap();
            for e in entries {
                let e = e.unwrap();
                fs::copy(e.path(), to.join(folder).join(e.file_name())).unwrap();
            }
        }
    }
    let mut m = s.read("api.json");
    m["version"] = json!("3.7");
    fs::write(to.join("api.json"), serde_json::to_string_pretty(&m).unwrap()).unwrap();
    to
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
    assert_has(&mod_rs, r#"#[cfg(any(feature = "v3_6", feature = "v3_7"))] mod shared_v3_6_v3_7;"#);
}

// ---------------------------------------------------------------------------------------------
// `cargo xtask diff`.

#[test]
fn diff_reports_every_kind_of_change_and_marks_breaking_ones() {
    let s = Set::minimal("diff_reports_every_kind_of_change");
    add_shapes(&s);
    s.write(
        "objects/color.json",
        json!({ "title": "Color", "description": "A color.", "type": "string", "enum": ["red", "green"] }),
    );
    s.property(
        "objects/thing.json",
        "color",
        json!({ "$ref": "color.json", "description": "Color." }),
        false,
    );
    s.property(
        "objects/thing.json",
        "size",
        json!({ "type": "integer", "description": "Size." }),
        false,
    );
    s.property(
        "objects/thing.json",
        "old",
        json!({ "type": "string", "description": "Old." }),
        false,
    );
    s.add_action("web_only", json!("POST"), false);
    s.add_action("gone", json!("POST"), true);
    s.add_action("method_change", json!("POST"), true);
    s.add_action("web_gone", json!("POST"), true);
    s.add_action("becomes_upload", json!("POST"), false);
    // A push that goes away.
    s.write(
        "pushes/thing_changed.json",
        json!({ "title": "ThingChangedPush", "description": "A push.", "type": "object", "properties": {} }),
    );
    s.edit("api.json", |m| {
        m["pushes"] = json!([{ "name": "thing_changed", "payload": "pushes/thing_changed.json", "docs": "https://example.com/docs#thing_changed" }])
    });
    // A map whose value type changes, and an enum that becomes an object.
    s.write(
        "objects/tags.json",
        json!({ "title": "Tags", "description": "Tags.", "type": "object", "additionalProperties": { "type": "string" } }),
    );
    s.property(
        "objects/thing.json",
        "tags",
        json!({ "$ref": "tags.json", "description": "Tags." }),
        false,
    );
    s.write(
        "objects/mode.json",
        json!({ "title": "Mode", "description": "A mode.", "type": "string", "enum": ["on", "off"] }),
    );
    s.property(
        "objects/thing.json",
        "mode",
        json!({ "$ref": "mode.json", "description": "Mode." }),
        false,
    );
    // A union member whose tag moves to another member, and a union whose tag field changes.
    s.write(
        "objects/dot_shape.json",
        json!({
            "title": "DotShape", "description": "A dot.", "type": "object",
            "properties": { "type": { "type": "string", "enum": ["dot"], "description": "Tag." } },
            "required": ["type"]
        }),
    );
    s.edit("objects/shape.json", |u| {
        u["oneOf"].as_array_mut().unwrap().push(json!({ "$ref": "dot_shape.json" }))
    });
    s.write(
        "objects/pet.json",
        json!({ "title": "Pet", "description": "A pet.", "oneOf": [{ "$ref": "cat_pet.json" }], "discriminator": { "propertyName": "type" } }),
    );
    s.write(
        "objects/cat_pet.json",
        json!({
            "title": "CatPet", "description": "A cat.", "type": "object",
            "properties": { "type": { "type": "string", "enum": ["cat"], "description": "Tag." } },
            "required": ["type"]
        }),
    );
    s.property(
        "objects/thing.json",
        "pet",
        json!({ "$ref": "pet.json", "description": "A pet." }),
        false,
    );
    let v3_7 = copy_to_v3_7(&s);
    let edit = |rel: &str, f: &dyn Fn(&mut Value)| {
        let path = v3_7.join(rel);
        let mut v: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        f(&mut v);
        fs::write(&path, v.to_string()).unwrap();
    };
    edit("objects/thing.json", &|t| {
        let p = t["properties"].as_object_mut().unwrap();
        p.remove("old");
        p["size"] = json!({ "type": "string", "description": "Size." });
        p.insert("added".into(), json!({ "type": "boolean", "description": "New." }));
        p.insert("must".into(), json!({ "type": "boolean", "description": "New, required." }));
        t["required"] = json!(["must"]); // `id` becomes optional
    });
    edit("objects/color.json", &|c| c["enum"] = json!(["red", "blue"]));
    edit("objects/shape.json", &|u| {
        let members = u["oneOf"].as_array_mut().unwrap();
        members.retain(|m| m["$ref"] != "circle_shape.json" && m["$ref"] != "dot_shape.json");
    });
    edit("objects/polygon_shape.json", &|p| {
        p["properties"]["type"]["enum"] = json!(["square", "triangle", "dot"])
    });
    edit("objects/tags.json", &|t| t["additionalProperties"] = json!({ "type": "integer" }));
    edit(
        "objects/mode.json",
        &|m| *m = json!({ "title": "Mode", "description": "A mode.", "type": "object", "properties": { "on": { "type": "boolean", "description": "On." } } }),
    );
    edit("objects/pet.json", &|u| u["discriminator"]["propertyName"] = json!("species"));
    edit("objects/cat_pet.json", &|c| {
        c["properties"] = json!({ "species": { "type": "string", "enum": ["cat"], "description": "Tag." } });
        c["required"] = json!(["species"]);
    });
    edit("api.json", &|m| {
        let actions = m["actions"].as_array_mut().unwrap();
        actions.retain(|a| a["name"] != "gone");
        for a in actions.iter_mut() {
            match a["name"].as_str().unwrap() {
                "web_only" => a["rtm"] = json!(true),
                "method_change" => a["web"] = json!("GET"),
                "web_gone" => a["web"] = Value::Null,
                "becomes_upload" => {
                    a["web"] = json!("MULTIPART");
                    a["request"] = Value::Null;
                }
                _ => {}
            }
        }
        m["pushes"] = json!([]);
    });
    fs::remove_file(v3_7.join("requests/gone.json")).unwrap();
    fs::remove_file(v3_7.join("responses/gone.json")).unwrap();
    fs::remove_file(v3_7.join("requests/becomes_upload.json")).unwrap();
    fs::remove_file(v3_7.join("pushes/thing_changed.json")).unwrap();
    fs::remove_file(v3_7.join("objects/circle_shape.json")).unwrap();
    fs::remove_file(v3_7.join("objects/dot_shape.json")).unwrap();

    let out = crate::diff::diff(&bundle(&s.dir).unwrap(), &bundle(&v3_7).unwrap());
    // One line per category of change (the module doc of `diff.rs` states the rule). A push's
    // payload type and an action's request or response type cannot change otherwise than to or
    // from none: the bundler ties those type names to the action or push name.
    for line in [
        // Actions and transports.
        "- `gone` removed (was Web POST, RTM) [breaking]",
        "~ `web_only`: now on RTM\n",
        "~ `method_change`: Web POST -> GET [breaking]",
        "~ `web_gone`: Web POST -> not on the Web API [breaking]",
        "~ `becomes_upload`: Web POST -> MULTIPART [breaking]",
        "~ `becomes_upload`: request/response types Some(\"BecomesUploadRequest\")/BecomesUploadResponse -> None/BecomesUploadResponse [breaking]",
        // Pushes.
        "- `thing_changed` removed [breaking]",
        // Types.
        "- `CircleShape` removed (was object) [breaking]",
        "- `GoneRequest` removed (was object) [breaking]",
        // Fields.
        "### `Thing` (object)",
        "+ field `added`: boolean (optional)\n",
        "+ field `must`: boolean (required; `new` gains a parameter) [breaking]",
        "- field `old` removed (was string, optional) [breaking]",
        "~ field `size`: integer -> string [breaking]",
        "~ field `id`: required -> optional (`T` becomes `Option<T>`; `new` loses a parameter) [breaking]",
        // Enum values.
        "### `Color` (string enum)",
        "+ value `blue`\n",
        "- value `green` removed [breaking]",
        // Union members and tags.
        "### `Shape` (union on `type`)",
        "- variant `circle` removed (was CircleShape) [breaking]",
        "~ variant `dot`: DotShape -> PolygonShape [breaking]",
        "### `Pet` (union on `species`)",
        "~ tag field `type` -> `species` [breaking]",
        // Maps and newtypes, and kinds.
        "### `Tags` (map<integer>)",
        "~ map<string> -> map<integer> [breaking]",
        "### `Mode` (object)",
        "~ kind: string enum -> object [breaking]",
    ] {
        assert!(out.contains(line), "`{line}` missing from:\n{out}");
    }
    // The reverse direction: additions are not breaking; what was relaxed above is tightened.
    let back = crate::diff::diff(&bundle(&v3_7).unwrap(), &bundle(&s.dir).unwrap());
    for line in [
        "+ `gone` added (Web POST, RTM)\n",
        "~ `web_only`: no longer on RTM [breaking]",
        "~ `web_gone`: Web not on the Web API -> POST\n",
        "+ `thing_changed` added\n",
        "+ `CircleShape` added (object)\n",
        "+ variant `circle` (CircleShape)\n",
        "+ field `old`: string (optional)\n",
        "+ value `green`\n",
        "~ field `id`: optional -> required (`Option<T>` becomes `T`; `new` gains a parameter) [breaking]",
    ] {
        assert!(back.contains(line), "`{line}` missing from:\n{back}");
    }
    // Every line is marked exactly when it is breaking: none of the additions is.
    for text in [&out, &back] {
        for line in text.lines().filter(|l| l.starts_with("+ ")) {
            assert_eq!(
                line.ends_with("[breaking]"),
                line.contains("(required;"),
                "only a new required field is a breaking addition: {line}"
            );
        }
    }
    // Identical sets: nothing.
    let same = crate::diff::diff(&bundle(&s.dir).unwrap(), &bundle(&s.dir).unwrap());
    assert!(same.contains("0 changes, 0 breaking; 0 types changed."), "{same}");
}

/// The changelog between each pair of consecutive versions in `schema/`, as reviewed in the
/// closing notes of version bumps.
#[test]
fn diff_of_consecutive_versions() {
    let root = crate::workspace_root();
    let versions = crate::codegen::versions(&root).unwrap();
    for pair in versions.windows(2) {
        let (old, new) = (&pair[0], &pair[1]);
        let text = crate::diff::diff(&bundle(&old.1).unwrap(), &bundle(&new.1).unwrap());
        insta::assert_snapshot!(format!("diff_{}_{}", old.0, new.0), text);
    }
}

// ---------------------------------------------------------------------------------------------
// Disconnect policies.

/// The minimal set plus the string enum `Reason` (`a`, `b`) used by `Thing.reason`.
fn set_with_reason(test: &str, policy: Value) -> Set {
    let s = Set::minimal(test);
    s.write(
        "objects/reason.json",
        json!({
            "title": "Reason",
            "description": "A reason.",
            "type": "string",
            "enum": ["a", "b"],
            "x-lc-disconnect-policy": policy
        }),
    );
    s.property(
        "objects/thing.json",
        "reason",
        json!({ "$ref": "reason.json", "description": "Why." }),
        false,
    );
    s
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
fn refuses_a_disconnect_policy_that_misses_a_value_or_names_no_policy() {
    let s = set_with_reason("refuses_a_disconnect_policy_that_misses_a_value", json!({"a": "Stop"}));
    s.refused("objects/reason.json", "`x-lc-disconnect-policy` has no policy for `b`");
    let s = set_with_reason(
        "refuses_a_disconnect_policy_that_names_no_policy",
        json!({"a": "Stop", "b": "Retry"}),
    );
    s.refused("objects/reason.json", "`x-lc-disconnect-policy` of `b` is one of");
    let s = set_with_reason(
        "refuses_a_disconnect_policy_of_no_value",
        json!({"a": "Stop", "b": "Stop", "c": "Stop"}),
    );
    s.refused("objects/reason.json", "names `c`, which is not a value of the enum");
}

#[test]
fn refuses_an_action_without_token() {
    let s = Set::minimal("refuses_an_action_without_token");
    s.edit("api.json", |m| {
        m["actions"][0].as_object_mut().unwrap().remove("token");
    });
    s.refused("api.json", "`token` must be true or false");
}

#[test]
fn refuses_an_action_without_idempotent() {
    let s = Set::minimal("refuses_an_action_without_idempotent");
    s.edit("api.json", |m| {
        m["actions"][0].as_object_mut().unwrap().remove("idempotent");
    });
    s.refused("api.json", "`idempotent` must be true or false");
}

//! The bundler's refusals: each convention of `schema/README.md` broken once, on a small schema
//! set, must be refused with a message naming the file.

use std::fs;

use serde_json::{json, Value};

use crate::codegen::bundle::bundle;
use crate::testing::*;

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

/// The agent API's tree (`agent/`) reads its own folders and only the shared objects it reaches:
/// it may have its own view of a concept under the customer's name (`Thing` here), and a shared
/// file it refers to is one type for both; reaching the customer's file of that name as well is
/// refused as a duplicate, naming both files.
#[test]
fn the_agent_tree_reads_its_folders_and_the_shared_objects_it_reaches() {
    use crate::codegen::bundle::{bundle_api, Api};
    let s = Set::minimal("the_agent_tree_reads_its_folders_and_the_shared_objects_it_reaches");
    s.write(
        "objects/shared.json",
        json!({ "title": "Shared", "description": "In both APIs.", "type": "object",
                "properties": { "id": { "type": "string", "description": "Its ID." } } }),
    );
    s.write(
        "agent/objects/thing.json",
        json!({ "title": "Thing", "description": "The agent's view of a thing.", "type": "object",
                "properties": { "id": { "type": "string", "description": "Its ID." },
                                "secret": { "type": "string", "description": "Only agents see it." } } }),
    );
    s.write(
        "agent/requests/do_it.json",
        json!({ "title": "DoItRequest", "description": "Payload of `do_it`.", "type": "object",
                "properties": {
                    "thing": { "$ref": "../objects/thing.json", "description": "The thing." },
                    "shared": { "$ref": "../../objects/shared.json", "description": "Shared." }
                } }),
    );
    s.write(
        "agent/responses/do_it.json",
        json!({ "title": "DoItResponse", "description": "Response of `do_it`.", "type": "object", "properties": {} }),
    );
    s.write("agent/api.json", manifest(vec![action("do_it", json!("POST"), false)]));
    let b = bundle_api(&s.dir, Api::Agent).unwrap();
    assert_eq!(b.label(), "v3.6 agent");
    let names: Vec<&str> = b.definitions.keys().map(String::as_str).collect();
    assert_eq!(names, ["DoItRequest", "DoItResponse", "Shared", "Thing"]);
    assert!(
        b.definitions["Thing"]["properties"].get("secret").is_some(),
        "the agent's own Thing"
    );
    assert_eq!(b.folders["Shared"], "objects");
    assert_eq!(b.folders["DoItRequest"], "requests");
    // The customer API reads none of the agent's files (every shared object is its own).
    let customer = bundle(&s.dir).unwrap();
    assert!(customer.definitions["Thing"]["properties"].get("secret").is_none());
    assert!(customer.definitions["DoItRequest"]["properties"].get("shared").is_none());

    // Reaching the customer's `Thing` too: two types of one name in one API.
    s.edit("agent/requests/do_it.json", |v| {
        v["properties"]["theirs"] = json!({ "$ref": "../../objects/thing.json", "description": "Theirs." })
    });
    let errors = bundle_api(&s.dir, Api::Agent).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("duplicate type name `Thing`") && e.contains("agent/objects/thing.json")),
        "{errors:?}"
    );
    // A shared file that does not exist is named where it is referred to.
    s.edit("agent/requests/do_it.json", |v| {
        v["properties"]["theirs"] = json!({ "$ref": "../../objects/missing.json", "description": "Nothing." })
    });
    let errors = bundle_api(&s.dir, Api::Agent).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("../../objects/missing.json") && e.contains("does not resolve")),
        "{errors:?}"
    );
}

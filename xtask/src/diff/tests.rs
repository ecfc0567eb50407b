//! `cargo xtask diff` on small schema sets.

use std::fs;

use serde_json::{json, Value};

use crate::codegen::bundle::bundle;
use crate::testing::*;

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

/// The Agent Chat API's changes between consecutive versions (`cargo xtask diff 3.6 3.7 --api
/// agent`), from its own trees: 3.6 adds actions and pushes to 3.5, 3.7 replaces the chat
/// summary with chat info and adds the canned-response pushes; 3.6 adds two webhooks and drops
/// `incoming_customer`.
#[test]
fn diff_of_consecutive_agent_versions() {
    use crate::codegen::bundle::{bundle_api, Api};
    let root = crate::workspace_root();
    let versions = crate::codegen::versions(&root).unwrap();
    for pair in versions.windows(2) {
        let (old, new) = (&pair[0], &pair[1]);
        let text = crate::diff::diff(&bundle_api(&old.1, Api::Agent).unwrap(), &bundle_api(&new.1, Api::Agent).unwrap());
        assert!(text.starts_with(&format!("# Agent Chat API v{} -> v{}", old.0, new.0)), "{text}");
        insta::assert_snapshot!(format!("agent_diff_{}_{}", old.0, new.0), text);
    }
}

/// The Configuration API's changes between consecutive versions (`cargo xtask diff 3.6 3.7 --api
/// configuration`): its webhook actions are the same in every version.
#[test]
fn diff_of_consecutive_configuration_versions() {
    use crate::codegen::bundle::{bundle_api, Api};
    let root = crate::workspace_root();
    let versions = crate::codegen::versions(&root).unwrap();
    for pair in versions.windows(2) {
        let (old, new) = (&pair[0], &pair[1]);
        let text = crate::diff::diff(
            &bundle_api(&old.1, Api::Configuration).unwrap(),
            &bundle_api(&new.1, Api::Configuration).unwrap(),
        );
        assert!(text.starts_with(&format!("# Configuration API v{} -> v{}", old.0, new.0)), "{text}");
        insta::assert_snapshot!(format!("configuration_diff_{}_{}", old.0, new.0), text);
    }
}

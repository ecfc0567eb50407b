//! What the xtask tests share: small schema sets built in temporary directories ([`Set`]) and
//! assertions on generated code that ignore whitespace.

use std::fs;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::codegen::bundle::{bundle, Bundle};
use crate::codegen::generate_version;

/// A schema set `v3.6/` in a fresh temporary directory, removed when dropped (also on panic).
pub(crate) struct Set {
    pub(crate) root: PathBuf,
    pub(crate) dir: PathBuf,
}

impl Set {
    /// An empty `v3.6/` directory.
    pub(crate) fn empty(test: &str) -> Set {
        let root = std::env::temp_dir().join(format!("lc-xtask-test-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dir = root.join("v3.6");
        fs::create_dir_all(&dir).unwrap();
        Set { root, dir }
    }

    /// The smallest valid set: the object `Thing`, the action `do_it` (POST and RTM) with
    /// `DoItRequest` (refers to `Thing`) and the empty `DoItResponse`.
    pub(crate) fn minimal(test: &str) -> Set {
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

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// How the bundler names `rel` in its messages.
    pub(crate) fn shown(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    pub(crate) fn write(&self, rel: &str, value: Value) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    }

    pub(crate) fn read(&self, rel: &str) -> Value {
        serde_json::from_str(&fs::read_to_string(self.path(rel)).unwrap()).unwrap()
    }

    /// Reads `rel`, lets `f` change it and writes it back.
    pub(crate) fn edit(&self, rel: &str, f: impl FnOnce(&mut Value)) {
        let mut value = self.read(rel);
        f(&mut value);
        self.write(rel, value);
    }

    /// Sets the property `name` of the schema in `rel` (and makes it required or not).
    pub(crate) fn property(&self, rel: &str, name: &str, schema: Value, required: bool) {
        self.edit(rel, |v| {
            v["properties"][name] = schema;
            if required {
                v["required"].as_array_mut().expect("a `required` list").push(json!(name));
            }
        });
    }

    /// Adds an action `name` with its request and response files (each with one optional field).
    pub(crate) fn add_action(&self, name: &str, web: Value, rtm: bool) {
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

    pub(crate) fn bundle(&self) -> Result<Bundle, Vec<String>> {
        bundle(&self.dir)
    }

    /// Bundles and generates; both must succeed.
    pub(crate) fn generate(&self) -> String {
        let b = self.bundle().unwrap_or_else(|e| panic!("the set is refused: {e:#?}"));
        generate_version(&b).unwrap_or_else(|e| panic!("generation fails: {e:#?}"))
    }

    /// Asserts that the set is refused with a message naming `file` and containing `reason`.
    pub(crate) fn refused(&self, file: &str, reason: &str) {
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

pub(crate) fn manifest(actions: Vec<Value>) -> Value {
    json!({ "version": "3.6", "actions": actions, "pushes": [] })
}

pub(crate) fn action(name: &str, web: Value, rtm: bool) -> Value {
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
pub(crate) fn squash(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    s.replace(",]", "]").replace(",}", "}").replace(",)", ")").replace(",>", ">")
}

/// Whether `code` contains `needle`, formatting ignored on both sides.
pub(crate) fn has(code: &str, needle: &str) -> bool {
    squash(code).contains(&needle_of(needle))
}

/// `needle` squashed, without a trailing comma (which the code drops before a closing bracket).
pub(crate) fn needle_of(needle: &str) -> String {
    squash(needle).trim_end_matches(',').to_owned()
}

/// How often `needle` occurs in `code`, formatting ignored on both sides.
pub(crate) fn count(code: &str, needle: &str) -> usize {
    squash(code).matches(&needle_of(needle)).count()
}

#[track_caller]
pub(crate) fn assert_has(code: &str, needle: &str) {
    assert!(has(code, needle), "`{needle}` is not in the generated code:\n{code}");
}

#[track_caller]
pub(crate) fn assert_lacks(code: &str, needle: &str) {
    assert!(!has(code, needle), "`{needle}` must not be in the generated code:\n{code}");
}

/// The squashed text of the item that starts with `head` (e.g. `pub struct Thing {`), up to its
/// first `}`: the fields of a struct, the variants of an enum.
#[track_caller]
pub(crate) fn body(code: &str, head: &str) -> String {
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
pub(crate) fn add_shapes(s: &Set) {
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

/// Copies the set's `v3.6/` to `v3.7/` (with its manifest's version) and returns the new set's dir.
pub(crate) fn copy_to_v3_7(s: &Set) -> PathBuf {
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

/// The minimal set plus the string enum `Reason` (`a`, `b`) used by `Thing.reason`.
pub(crate) fn set_with_reason(test: &str, policy: Value) -> Set {
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

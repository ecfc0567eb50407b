//! Unit tests of the bundler, the syn pass and the writer, on small schema sets built in temporary
//! directories.

use std::fs;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::bundle::{bundle, Bundle};
use crate::codegen::{generate_version, write_or_check, Output, GENERATED_DIR};

/// A schema set `v3.6/` in a fresh temporary directory, removed when dropped (also on panic).
struct Set {
    root: PathBuf,
    dir: PathBuf,
}

impl Set {
    /// An empty `v3.6/` directory.
    fn empty(test: &str) -> Set {
        let root =
            std::env::temp_dir().join(format!("lc-xtask-test-{test}-{}", std::process::id()));
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
        s.write(
            "api.json",
            manifest(vec![action("do_it", json!("POST"), true)]),
        );
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
                v["required"]
                    .as_array_mut()
                    .expect("a `required` list")
                    .push(json!(name));
            }
        });
    }

    /// Adds an action `name` with its request and response files (each with one optional field).
    fn add_action(&self, name: &str, web: Value, rtm: bool) {
        let title = crate::bundle::pascal(name);
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
        self.edit("api.json", |m| {
            m["actions"]
                .as_array_mut()
                .unwrap()
                .push(action(name, web, rtm))
        });
    }

    fn bundle(&self) -> Result<Bundle, Vec<String>> {
        bundle(&self.dir)
    }

    /// Bundles and generates; both must succeed.
    fn generate(&self) -> String {
        let b = self
            .bundle()
            .unwrap_or_else(|e| panic!("the set is refused: {e:#?}"));
        generate_version(&b).unwrap_or_else(|e| panic!("generation fails: {e:#?}"))
    }

    /// Asserts that the set is refused with a message naming `file` and containing `reason`.
    fn refused(&self, file: &str, reason: &str) {
        let errors = self.bundle().expect_err("the set must be refused");
        let shown = self.shown(file);
        assert!(
            errors
                .iter()
                .any(|e| e.contains(&shown) && e.contains(reason)),
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
        "request": format!("requests/{name}.json"),
        "response": format!("responses/{name}.json"),
        "docs": format!("https://example.com/docs#{name}")
    })
}

/// `s` without any whitespace, so that assertions do not depend on the formatting.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether `code` contains `needle`, whitespace ignored on both sides.
fn has(code: &str, needle: &str) -> bool {
    squash(code).contains(&squash(needle))
}

/// How often `needle` occurs in `code`, whitespace ignored on both sides.
fn count(code: &str, needle: &str) -> usize {
    squash(code).matches(&squash(needle)).count()
}

#[track_caller]
fn assert_has(code: &str, needle: &str) {
    assert!(
        has(code, needle),
        "`{needle}` is not in the generated code:\n{code}"
    );
}

#[track_caller]
fn assert_lacks(code: &str, needle: &str) {
    assert!(
        !has(code, needle),
        "`{needle}` must not be in the generated code:\n{code}"
    );
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

#[test]
fn dump() {
    let s = Set::minimal("dump");
    s.write(
        "objects/color.json",
        json!({"title":"Color","description":"A color.","type":"string","enum":["red","green"]}),
    );
    s.write("objects/shape.json", json!({"title":"Shape","description":"A shape.","oneOf":[{"$ref":"circle_shape.json"},{"$ref":"polygon_shape.json"}],"discriminator":{"propertyName":"type"}}));
    s.write("objects/circle_shape.json", json!({"title":"CircleShape","description":"A circle.","type":"object","properties":{"type":{"type":"string","enum":["circle"],"description":"Tag."},"r":{"type":"integer","description":"Radius.","minimum":1}},"required":["type","r"]}));
    s.write("objects/polygon_shape.json", json!({"title":"PolygonShape","description":"A polygon.","type":"object","properties":{"type":{"type":"string","enum":["square","triangle"],"description":"Tag."}},"required":["type"]}));
    s.property(
        "objects/thing.json",
        "color",
        json!({"$ref":"color.json","description":"C."}),
        false,
    );
    s.property(
        "objects/thing.json",
        "shape",
        json!({"$ref":"shape.json","description":"S."}),
        true,
    );
    s.property(
        "objects/thing.json",
        "tags",
        json!({"type":"array","items":{"type":"string"},"description":"T."}),
        false,
    );
    s.property(
        "objects/thing.json",
        "map",
        json!({"type":"object","additionalProperties":{"type":"string"},"description":"M."}),
        false,
    );
    s.property(
        "objects/thing.json",
        "parent",
        json!({"oneOf":[{"$ref":"color.json"},{"type":"null"}],"description":"P."}),
        false,
    );
    s.property(
        "objects/thing.json",
        "rparent",
        json!({"oneOf":[{"$ref":"color.json"},{"type":"null"}],"description":"P."}),
        true,
    );
    s.property(
        "objects/thing.json",
        "at",
        json!({"type":"string","format":"date-time","description":"A."}),
        true,
    );
    s.property(
        "objects/thing.json",
        "name",
        json!({"type":"string","maxLength":5,"pattern":"^a","description":"N."}),
        true,
    );
    s.property(
        "objects/thing.json",
        "count",
        json!({"type":"integer","minimum":1, "maximum": 9,"description":"N."}),
        true,
    );
    s.property(
        "objects/thing.json",
        "inner",
        json!({"title":"InnerEmpty","type":"object","properties":{},"description":"N."}),
        false,
    );
    s.property(
        "objects/thing.json",
        "resp",
        json!({"$ref":"../responses/do_it.json","description":"N."}),
        false,
    );
    s.property(
        "objects/thing.json",
        "free",
        json!({"description":"N."}),
        false,
    );
    println!("{}", s.generate());
    panic!();
}

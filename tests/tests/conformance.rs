//! Every fixture validates against its source schema, decodes into the generated type and
//! re-encodes to the same JSON; every negative fixture is refused by both, at the same path; and
//! every action, push and union member has fixtures.

use std::collections::{BTreeMap, BTreeSet};

use lc_tests::{decode_in, fixture_dir, fixtures, must_own_fixtures, read_json, version_fixtures, versions, SchemaSet};
use lc_types::ChatApi;
use serde_json::Value;

/// Keywords of bounds on a value that the generated types do not check (a number's range, a
/// list's or a string's length): a fixture breaking only these is refused by the schema alone.
const VALUE_BOUND_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "uniqueItems",
    "minProperties",
];

/// Keywords whose failure means "a value outside a closed set" (what `unknown_*` fixtures carry).
const CLOSED_SET_KEYWORDS: &[&str] = &["enum", "const", "oneOf"];

/// The requests, responses and pushes of `set`'s manifest that no fixture in `all` describes
/// (`request/send_event`, ...).
fn missing_fixtures(set: &SchemaSet, all: &[lc_tests::Fixture]) -> Vec<String> {
    let has = |kind: &str, name: &str| all.iter().any(|f| f.kind == kind && f.name == name);
    let mut missing = Vec::new();
    for a in set.actions() {
        let name = a["name"].as_str().unwrap();
        if a["request"].is_string() && !has("request", name) {
            missing.push(format!("request/{name}"));
        }
        if !has("response", name) {
            missing.push(format!("response/{name}"));
        }
    }
    for p in set.pushes() {
        let name = p["name"].as_str().unwrap();
        if !has("push", name) {
            missing.push(format!("push/{name}"));
        }
    }
    missing
}

#[test]
fn every_action_and_push_has_fixtures() {
    for version in &versions() {
        let set = SchemaSet::load(version);
        let missing = missing_fixtures(&set, &version_fixtures(version, false));
        assert!(missing.is_empty(), "v{version}: no fixture for {missing:?}");
    }
}

#[test]
fn every_version_has_fixtures() {
    let versions = versions();
    assert!(versions.iter().any(|v| v == "3.6"), "schema versions found: {versions:?}");
    for version in &versions {
        assert!(lc_tests::fixture_dir(version).is_dir(), "v{version}: no fixture directory");
    }
}

/// An item may use the fixtures of the version it inherits from only while its schema, and
/// everything the schema refers to, is the same file content there.
#[test]
fn items_that_changed_have_their_own_fixtures() {
    for version in &versions() {
        let set = SchemaSet::load(version);
        let missing = must_own_fixtures(&set);
        assert!(
            missing.is_empty(),
            "v{version}: these differ from the inherited version and need fixtures of their own: {missing:?}"
        );
    }
}

/// Validates fixture `f` against its schema (an `unknown_*` one may break closed sets only),
/// adding what is wrong to `failures`; gives the schema and the parsed input.
fn validate(set: &SchemaSet, f: &lc_tests::Fixture, failures: &mut Vec<String>) -> Option<(String, Value)> {
    let id = f.id();
    let Some(schema) = set.schema_of(&f.kind, &f.name) else {
        failures.push(format!("{id}: no schema for this fixture"));
        return None;
    };
    let input: Value = serde_json::from_str(&f.text).unwrap_or_else(|e| panic!("{id}: {e}"));
    let errors = set.errors(&schema, &input);
    if f.expects_unknowns() {
        if let Some(e) = errors.iter().find(|e| !CLOSED_SET_KEYWORDS.contains(&e.0.as_str())) {
            failures.push(format!("{id}: invalid beyond closed sets: {} at {}: {}", e.0, e.1, e.2));
        }
    } else if let Some(e) = errors.first() {
        failures.push(format!("{id}: does not validate against {schema}: {} at {}: {}", e.0, e.1, e.2));
    }
    Some((schema, input))
}

/// Fixture `f` (valid against `schema`, parsed as `input`) decodes as its type of `api`, comes
/// back out unchanged, reports unknowns exactly when it is an `unknown_*` case, and the
/// re-encoded value validates; what is wrong goes to `failures`.
fn decodes_losslessly(set: &SchemaSet, api: ChatApi, f: &lc_tests::Fixture, schema: &str, input: &Value, failures: &mut Vec<String>) {
    let id = f.id();
    let decoded = match decode_in(api, &set.version, &f.kind, &f.name, &f.text) {
        None => return failures.push(format!("{id}: no generated type for it")),
        Some(Err(e)) => return failures.push(format!("{id}: does not decode: {e}")),
        Some(Ok(d)) => d,
    };
    let output = decoded.to_json().unwrap();
    if &output != input {
        failures.push(format!("{id}: round trip changed it:\n  in:  {input}\n  out: {output}"));
    }
    let unknowns = decoded.unknowns();
    match (f.expects_unknowns(), unknowns.is_empty()) {
        (true, true) => failures.push(format!("{id}: an `unknown_*` fixture, but nothing unknown was found")),
        (false, false) => failures.push(format!("{id}: unexpected unknowns: {unknowns:?}")),
        _ => {}
    }
    if !f.expects_unknowns() {
        if let Some(e) = set.errors(schema, &output).first() {
            failures.push(format!("{id}: the re-encoded value does not validate: {e:?}"));
        }
    }
}

/// A negative fixture `f` of `api` (`{"path", "input"}`) that the typed decode must refuse: the
/// error names `path`, in its message too, and keeps the raw text.
fn refused_at_path(api: ChatApi, version: &str, f: &lc_tests::Fixture, path: &str, input: &Value, failures: &mut Vec<String>) {
    let id = f.id();
    let raw = input.to_string();
    match decode_in(api, version, &f.kind, &f.name, &raw) {
        None => failures.push(format!("{id}: no generated type")),
        Some(Ok(v)) => failures.push(format!("{id}: decoded anyway: {v:?}")),
        Some(Err(e)) => {
            if e.path() != path {
                failures.push(format!("{id}: error at `{}`, expected `{path}`: {e}", e.path()));
            }
            if !e.to_string().contains(&format!("`{path}`")) {
                failures.push(format!("{id}: the message does not name the path: {e}"));
            }
            if e.raw() != raw {
                failures.push(format!("{id}: the error lost the raw text"));
            }
        }
    }
}

#[test]
fn fixtures_validate_decode_and_round_trip() {
    for version in &versions() {
        let set = SchemaSet::load(version);
        let all = version_fixtures(version, false);
        assert!(all.len() > 100, "v{version}: only {} fixtures", all.len());
        let mut failures = Vec::new();
        for f in &all {
            let Some((schema, input)) = validate(&set, f, &mut failures) else {
                continue;
            };
            decodes_losslessly(&set, ChatApi::Customer, f, &schema, &input, &mut failures);
        }
        assert!(
            failures.is_empty(),
            "v{version}: {} of {} fixtures fail:\n{}",
            failures.len(),
            all.len(),
            failures.join("\n")
        );
    }
}

#[test]
fn negative_fixtures_fail_at_their_path() {
    for version in &versions() {
        let set = SchemaSet::load(version);
        let all = version_fixtures(version, true);
        assert!(all.len() >= 20, "v{version}: only {} negative fixtures", all.len());
        let mut failures = Vec::new();
        for f in &all {
            let id = f.id();
            let wrapper: Value = serde_json::from_str(&f.text).unwrap();
            let path = wrapper["path"].as_str().unwrap_or_else(|| panic!("{id}: no `path`"));
            let input = &wrapper["input"];
            let schema = set.schema_of(&f.kind, &f.name).unwrap_or_else(|| panic!("{id}: no schema"));
            if set.errors(&schema, input).is_empty() {
                failures.push(format!("{id}: the schema accepts it"));
            }
            refused_at_path(ChatApi::Customer, version, f, path, input, &mut failures);
        }
        assert!(failures.is_empty(), "v{version}:\n{}", failures.join("\n"));
    }
}

/// The unions of a schema set: union title -> member title -> its tag values.
fn unions(set: &SchemaSet) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for (title, rel) in &set.titles {
        let schema = read_json(&set.dir.join(rel));
        let Some(tag) = schema.pointer("/discriminator/propertyName").and_then(Value::as_str) else {
            continue;
        };
        let mut members = BTreeMap::new();
        for m in schema["oneOf"].as_array().unwrap() {
            let target = set.dir.join(rel).parent().unwrap().join(m["$ref"].as_str().unwrap());
            let member = read_json(&target);
            let tags = member["properties"][tag]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            members.insert(member["title"].as_str().unwrap().to_owned(), tags);
        }
        out.insert(title.clone(), members);
    }
    out
}

#[test]
fn every_union_member_has_a_fixture() {
    for version in &versions() {
        let set = SchemaSet::load(version);
        let unions = unions(&set);
        assert!(
            unions.contains_key("Event") && unions.contains_key("User"),
            "v{version}: unions not found: {:?}",
            unions.keys()
        );
        let all = version_fixtures(version, false);
        let mut missing = Vec::new();
        for (union, members) in &unions {
            let seen: BTreeSet<String> = all
                .iter()
                .filter(|f| f.kind == "type" && &f.name == union)
                .filter_map(|f| {
                    serde_json::from_str::<Value>(&f.text)
                        .ok()?
                        .get("type")?
                        .as_str()
                        .map(str::to_owned)
                })
                .collect();
            for (member, tags) in members {
                if !tags.iter().any(|t| seen.contains(t)) {
                    missing.push(format!("{union}::{member} (tags {tags:?})"));
                }
            }
            if !all
                .iter()
                .any(|f| f.kind == "type" && &f.name == union && f.case.starts_with("unknown"))
            {
                missing.push(format!("{union}: an unknown_* case"));
            }
        }
        assert!(missing.is_empty(), "v{version}: no fixture for {missing:?}");
    }
}

/// The fixtures of `api` (`tests/fixtures/v3.x/<api>/`), against its schemas
/// (`schema/v3.x/<api>/`) and its generated types (`lc_types::v3_x::<api>`), as the customer's:
/// every action and push has fixtures; each validates (an `unknown_*` one only outside closed
/// sets), decodes, round-trips losslessly and reports unknowns exactly when it should; each
/// `invalid/` one is refused by the schema at its path, and by the typed decode at the same path
/// (with its raw text) unless it breaks only a value bound the types do not carry. Every version
/// must have the API's tree, more than `min_valid` fixtures and at least `min_invalid` negative
/// ones. Gives how many negative fixtures break only a value bound or a closed set.
fn check_api_fixtures(api: ChatApi, min_valid: usize, min_invalid: usize) -> usize {
    let name = api.as_str();
    let mut checked = 0;
    let mut value_bounds = 0;
    let versions = versions();
    for version in &versions {
        let Some(set) = SchemaSet::load_api(version, name) else { continue };
        let dir = fixture_dir(version).join(name);
        let valid = fixtures(&dir);
        let invalid = fixtures(&dir.join("invalid"));
        let mut failures: Vec<String> = missing_fixtures(&set, &valid)
            .iter()
            .map(|m| format!("no fixture for {m}"))
            .collect();
        for f in &valid {
            if let Some((schema, input)) = validate(&set, f, &mut failures) {
                decodes_losslessly(&set, api, f, &schema, &input, &mut failures);
            }
        }
        for f in &invalid {
            let id = f.id();
            let Some(schema) = set.schema_of(&f.kind, &f.name) else {
                failures.push(format!("invalid/{id}: no schema for this fixture"));
                continue;
            };
            // `{"path", "input"}`, as the customer's negative fixtures.
            let wrapper: Value = serde_json::from_str(&f.text).unwrap_or_else(|e| panic!("{id}: {e}"));
            let path = wrapper["path"].as_str().unwrap_or_else(|| panic!("invalid/{id}: no `path`"));
            let errors = set.errors(&schema, &wrapper["input"]);
            if errors.is_empty() {
                failures.push(format!("invalid/{id}: validates against {schema}, but should not"));
            }
            // The schema refuses it at the named path (or inside it).
            let segments: Vec<String> = path
                .replace('[', ".")
                .replace(']', "")
                .split('.')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let pointer = format!("/{}", segments.join("/"));
            let pointer = pointer.as_str();
            if !errors.iter().any(|e| e.1.starts_with(pointer) || pointer.starts_with(&e.1)) {
                failures.push(format!(
                    "invalid/{id}: refused at {:?}, not at `{path}`",
                    errors.iter().map(|e| &e.1).collect::<Vec<_>>()
                ));
            }
            // The typed decode refuses it too, at the same path, unless only a value bound the
            // types do not carry is broken (`maximum`, `maxItems`, ...: the server's to check), or
            // a closed set the types keep open (an unknown tag or value decodes, by design).
            let schema_only = |k: &str| VALUE_BOUND_KEYWORDS.contains(&k) || CLOSED_SET_KEYWORDS.contains(&k);
            if !errors.iter().all(|e| schema_only(&e.0)) {
                refused_at_path(api, version, f, path, &wrapper["input"], &mut failures);
            } else {
                value_bounds += 1;
            }
        }
        assert!(
            valid.len() > min_valid && invalid.len() >= min_invalid,
            "v{version} {name}: {} fixtures, {} negative ones",
            valid.len(),
            invalid.len()
        );
        assert!(
            failures.is_empty(),
            "v{version} {name}: {} problems:\n{}",
            failures.len(),
            failures.join("\n")
        );
        checked += 1;
    }
    assert_eq!(checked, versions.len(), "every version has a {} tree", api.title());
    value_bounds
}

/// The Agent Chat API's fixtures (`tests/fixtures/v3.x/agent/`): see [`check_api_fixtures`].
#[test]
fn agent_fixtures_decode_validate_and_round_trip() {
    let value_bounds = check_api_fixtures(ChatApi::Agent, 200, 1);
    // Most negative fixtures are refused by the types themselves.
    println!("{value_bounds} agent negative fixtures break only a value bound or a closed set");
}

/// The Configuration API's fixtures (`tests/fixtures/v3.x/configuration/`, its webhook actions):
/// see [`check_api_fixtures`].
#[test]
fn configuration_fixtures_decode_validate_and_round_trip() {
    let value_bounds = check_api_fixtures(ChatApi::Configuration, 15, 5);
    println!("{value_bounds} configuration negative fixtures break only a value bound or a closed set");
}

//! `lc_types::limits` and the schemas' validation keywords state the same limits, in every
//! version (the mock validates requests with the schemas and takes the rest from `limits`).

use lc_tests::{read_json, root, versions};
use lc_types::limits;
use serde_json::Value;

/// The keyword `keyword` at `pointer` of the schema file `rel` of `version`.
fn keyword(version: &str, rel: &str, pointer: &str, keyword: &str) -> u64 {
    let schema = read_json(&root().join("schema").join(format!("v{version}")).join(rel));
    let at = schema
        .pointer(pointer)
        .unwrap_or_else(|| panic!("v{version} {rel}: nothing at {pointer}"));
    at.get(keyword)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("v{version} {rel}{pointer}: no `{keyword}`"))
}

#[test]
fn limits_agree_with_the_schemas() {
    let cases: &[(&str, &str, &str, usize)] = &[
        (
            "requests/list_chats.json",
            "/properties/limit",
            "maximum",
            limits::LIST_CHATS_MAX_LIMIT,
        ),
        (
            "requests/list_threads.json",
            "/properties/limit",
            "maximum",
            limits::LIST_THREADS_MAX_LIMIT,
        ),
        (
            "requests/list_threads.json",
            "/properties/min_events_count",
            "maximum",
            limits::LIST_THREADS_MAX_LIMIT,
        ),
        ("objects/session_fields.json", "", "maxItems", limits::MAX_SESSION_FIELDS),
        (
            "objects/message_event_input.json",
            "/properties/text",
            "maxLength",
            limits::MAX_MESSAGE_TEXT_LENGTH,
        ),
        (
            "objects/rich_message_event_input.json",
            "/properties/elements",
            "maxItems",
            limits::MAX_RICH_MESSAGE_ELEMENTS,
        ),
        (
            "objects/rich_message_element.json",
            "/properties/buttons",
            "maxItems",
            limits::MAX_RICH_MESSAGE_BUTTONS,
        ),
    ];
    let versions = versions();
    assert!(versions.len() >= 3, "{versions:?}");
    for version in &versions {
        for (rel, pointer, key, limit) in cases {
            assert_eq!(
                keyword(version, rel, pointer, key),
                *limit as u64,
                "v{version} {rel}{pointer} `{key}`"
            );
        }
    }
}

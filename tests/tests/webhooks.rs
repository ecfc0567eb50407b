//! Webhook deliveries (`lc_types::webhook`): every webhook action of every version decodes from a
//! fixture, verified, losslessly; a payload shared with a push is the push's Rust type; a wrong
//! or missing secret is refused before the body is decoded; unknown actions are kept.
//!
//! Fixtures: a delivery's payload is the push of the same name wherever the two agree, so each
//! such action is checked with every push fixture of that name (`push/<action>/*.json`) inside a
//! delivery; `agent/webhook/<action>/<case>.json` holds whole deliveries: the payloads of their
//! own (`customer_session_fields_updated`, 3.5's `incoming_customer`) and the wrapper's cases.

use std::collections::BTreeSet;

use lc_tests::{read_json, root, versions};
use lc_types::webhook::{Webhook, WebhookError, WebhookInfo, WebhookPayload, WebhookSecret};
use lc_types::{PushInfo, Unknowns, VersionMember, VersionedWebhook};
use serde_json::{json, Value};

const SECRET: &str = "kettle-lamp-orchard-42";

/// A delivery around `payload` as LiveChat orders its fields.
fn delivery(action: &str, payload: &Value) -> Value {
    json!({
        "webhook_id": "e3b1c7d2a9f04c6b8d1e2f3a4b5c6d7e",
        "secret_key": SECRET,
        "action": action,
        "organization_id": "0d5d3a8e-7c0f-4b7e-9d2c-5a1e8f3b6c21",
        "payload": payload,
        "additional_data": {}
    })
}

/// The JSON files of `dir`, sorted.
fn json_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
}

/// Verifies and decodes `body` as a delivery of `P`'s version; checks the action, the lossless
/// round trip and the unknowns; a problem per line.
fn check<P: WebhookPayload>(id: &str, body: &Value, expect_unknowns: bool, problems: &mut Vec<String>) -> Option<Webhook<P>>
where
    Webhook<P>: VersionMember<VersionedWebhook>,
{
    let text = serde_json::to_vec(body).unwrap();
    let secret = WebhookSecret::new(SECRET);
    let delivery = match Webhook::<P>::verify(&text, &secret) {
        Ok(d) => d,
        Err(e) => {
            problems.push(format!("{id}: {e}"));
            return None;
        }
    };
    // The same delivery through the version chosen at run time.
    let version = <Webhook<P> as VersionMember<VersionedWebhook>>::VERSION;
    match VersionedWebhook::verify(version, &text, &secret) {
        Ok(v) if v.version() == version && v.get::<Webhook<P>>() == Some(&delivery) => {
            if serde_json::to_value(&v).ok().as_ref() != Some(body) {
                problems.push(format!("{id}: VersionedWebhook not lossless"));
            }
        }
        other => problems.push(format!("{id}: VersionedWebhook gave {other:?}")),
    }
    if Some(delivery.action()) != body["action"].as_str() {
        problems.push(format!("{id}: decoded as `{}`", delivery.action()));
    }
    let back = serde_json::to_value(&delivery).unwrap();
    if &back != body {
        problems.push(format!("{id}: not lossless:\n  in:  {body}\n  out: {back}"));
    }
    let unknowns = delivery.unknowns();
    if unknowns.is_empty() == expect_unknowns {
        problems.push(format!("{id}: unknowns {unknowns:?}"));
    }
    Some(delivery)
}

/// Every webhook of a version's table decodes from its fixtures; the actions with a push twin
/// from every push fixture of that name.
fn every_webhook_of<P: WebhookPayload>(version: &str, webhooks: &[WebhookInfo], pushes: &[PushInfo], problems: &mut Vec<String>) -> usize
where
    Webhook<P>: VersionMember<VersionedWebhook>,
{
    let dir = root().join("tests/fixtures").join(format!("v{version}")).join("agent");
    let mut checked = 0;
    for h in webhooks {
        let mut cases = 0;
        for path in json_files(&dir.join("webhook").join(h.name)) {
            let id = format!("v{version} webhook/{}/{}", h.name, path.file_stem().unwrap().to_string_lossy());
            let unknown = path.file_stem().unwrap().to_string_lossy().starts_with("unknown");
            check::<P>(&id, &read_json(&path), unknown, problems);
            cases += 1;
        }
        if h.payload.ends_with("Push") {
            // The push of the same name, with the same payload type.
            match pushes.iter().find(|p| p.name == h.name) {
                Some(p) if p.payload == h.payload => {}
                other => problems.push(format!("v{version} {}: payload {} but push {other:?}", h.name, h.payload)),
            }
            for path in json_files(&dir.join("push").join(h.name)) {
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                let id = format!("v{version} push/{}/{stem} as a webhook", h.name);
                check::<P>(&id, &delivery(h.name, &read_json(&path)), stem.starts_with("unknown"), problems);
                cases += 1;
            }
        }
        if cases == 0 {
            problems.push(format!("v{version} {}: no fixture", h.name));
        }
        checked += cases;
    }
    // Fixtures for actions the table does not have are unknown actions (kept losslessly).
    let known: BTreeSet<&str> = webhooks.iter().map(|h| h.name).collect();
    for name_dir in json_files_dirs(&dir.join("webhook")) {
        let name = name_dir.file_name().unwrap().to_string_lossy().into_owned();
        if known.contains(name.as_str()) {
            continue;
        }
        for path in json_files(&name_dir) {
            let id = format!("v{version} webhook/{name}/{}", path.file_stem().unwrap().to_string_lossy());
            if let Some(d) = check::<P>(&id, &read_json(&path), true, problems) {
                if d.payload.unknowns().is_empty() {
                    problems.push(format!("{id}: an unknown action must decode as unknown"));
                }
            }
            checked += 1;
        }
    }
    checked
}

fn json_files_dirs(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

#[test]
fn every_webhook_action_of_every_version_decodes_verified_and_losslessly() {
    let mut problems = Vec::new();
    let counts = [
        every_webhook_of::<lc_types::v3_5::agent::AnyWebhook>(
            "3.5",
            lc_types::v3_5::agent::WEBHOOKS,
            lc_types::v3_5::agent::PUSHES,
            &mut problems,
        ),
        every_webhook_of::<lc_types::v3_6::agent::AnyWebhook>(
            "3.6",
            lc_types::v3_6::agent::WEBHOOKS,
            lc_types::v3_6::agent::PUSHES,
            &mut problems,
        ),
        every_webhook_of::<lc_types::v3_7::agent::AnyWebhook>(
            "3.7",
            lc_types::v3_7::agent::WEBHOOKS,
            lc_types::v3_7::agent::PUSHES,
            &mut problems,
        ),
    ];
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    assert_eq!(versions(), ["3.5", "3.6", "3.7"], "a new version needs its line above");
    assert!(counts.iter().all(|n| *n > 60), "deliveries checked per version: {counts:?}");
    // The reference's counts (§6.2): 37 webhook actions in 3.5, 38 in 3.6 and 3.7.
    assert_eq!(
        [
            lc_types::v3_5::agent::WEBHOOKS.len(),
            lc_types::v3_6::agent::WEBHOOKS.len(),
            lc_types::v3_7::agent::WEBHOOKS.len()
        ],
        [37, 38, 38]
    );
}

/// A payload shared with a push is the push's Rust type: each arm moves the webhook's payload
/// into the push enum unchanged, which compiles only when the types are the same.
macro_rules! same_types {
    ($v:ident: $($variant:ident)*) => {{
        use lc_types::$v::agent::{AnyPush, AnyWebhook};
        fn as_push(w: AnyWebhook) -> Option<AnyPush> {
            match w {
                $(AnyWebhook::$variant(p) => Some(AnyPush::$variant(p)),)*
                _ => None,
            }
        }
        let shared: &[&str] = &[$(stringify!($variant)),*];
        (as_push as fn(AnyWebhook) -> Option<AnyPush>, shared.len())
    }};
}

#[test]
fn a_webhook_payload_shared_with_a_push_is_the_push_type() {
    let common = |v: &[WebhookInfo]| v.iter().filter(|h| h.payload.ends_with("Push")).count();
    let (to_push, n) = same_types!(v3_6: IncomingChat ChatDeactivated ChatAccessUpdated ChatTransferred UserAddedToChat
        UserRemovedFromChat IncomingEvent EventDeleted EventUpdated IncomingRichMessagePostback ChatPropertiesUpdated
        ChatPropertiesDeleted ThreadPropertiesUpdated ThreadPropertiesDeleted EventPropertiesUpdated EventPropertiesDeleted
        ThreadTagged ThreadUntagged RoutingStatusSet AgentCreated AgentApproved AgentUpdated AgentSuspended
        AgentUnsuspended AgentDeleted AutoAccessesUpdated BotCreated BotUpdated BotDeleted GroupCreated GroupUpdated
        GroupDeleted TagCreated TagUpdated TagDeleted EventsMarkedAsSeen ThreadSummarySet);
    assert_eq!(n, common(lc_types::v3_6::agent::WEBHOOKS), "every v3.6 push twin is listed above");
    assert_eq!(n, 37, "v3.6: 37 of 38 webhooks reuse a push type");
    let (_, n5) = same_types!(v3_5: IncomingChat ChatDeactivated ChatAccessUpdated ChatTransferred UserAddedToChat
        UserRemovedFromChat IncomingEvent EventUpdated IncomingRichMessagePostback ChatPropertiesUpdated
        ChatPropertiesDeleted ThreadPropertiesUpdated ThreadPropertiesDeleted EventPropertiesUpdated EventPropertiesDeleted
        ThreadTagged ThreadUntagged RoutingStatusSet AgentCreated AgentApproved AgentUpdated AgentSuspended
        AgentUnsuspended AgentDeleted AutoAccessesUpdated BotCreated BotUpdated BotDeleted GroupCreated GroupUpdated
        GroupDeleted TagCreated TagUpdated TagDeleted EventsMarkedAsSeen);
    assert_eq!(n5, common(lc_types::v3_5::agent::WEBHOOKS), "every v3.5 push twin is listed above");
    let (_, n7) = same_types!(v3_7: IncomingChat ChatDeactivated ChatAccessUpdated ChatTransferred UserAddedToChat
        UserRemovedFromChat IncomingEvent EventDeleted EventUpdated IncomingRichMessagePostback ChatPropertiesUpdated
        ChatPropertiesDeleted ThreadPropertiesUpdated ThreadPropertiesDeleted EventPropertiesUpdated EventPropertiesDeleted
        ThreadTagged ThreadUntagged RoutingStatusSet AgentCreated AgentApproved AgentUpdated AgentSuspended
        AgentUnsuspended AgentDeleted AutoAccessesUpdated BotCreated BotUpdated BotDeleted GroupCreated GroupUpdated
        GroupDeleted TagCreated TagUpdated TagDeleted EventsMarkedAsSeen ThreadSummarySet);
    assert_eq!(n7, common(lc_types::v3_7::agent::WEBHOOKS), "every v3.7 push twin is listed above");

    // And at run time: the delivered `Event` is the push's, value for value.
    let body = read_json(&root().join("tests/fixtures/v3.6/agent/webhook/incoming_event/with_chat_properties.json"));
    let d = lc_types::v3_6::agent::Webhook::verify(&serde_json::to_vec(&body).unwrap(), &WebhookSecret::new(SECRET)).unwrap();
    let push = to_push(d.payload.clone()).expect("incoming_event has a push twin");
    let over_rtm = lc_types::v3_6::agent::AnyPush::decode_value("incoming_event", body["payload"].clone()).unwrap();
    assert_eq!(push, over_rtm);
}

#[test]
fn a_wrong_or_missing_secret_is_refused_before_the_payload_is_decoded() {
    use lc_types::v3_6::agent::Webhook;
    let secret = WebhookSecret::new(SECRET);
    // A payload that would not decode (`chat_id` must be a string): the secret is what fails.
    let mut bad = delivery("incoming_event", &json!({"chat_id": 5}));
    let bytes = |v: &Value| serde_json::to_vec(v).unwrap();
    assert_eq!(
        Webhook::verify(&bytes(&bad), &secret).unwrap_err().decode_error().unwrap().path(),
        "payload.chat_id",
        "with the right secret, the malformed payload is the error"
    );
    bad["secret_key"] = json!("kettle-lamp-orchard-43");
    let err = Webhook::verify(&bytes(&bad), &secret).unwrap_err();
    assert!(matches!(err, WebhookError::WrongSecret), "{err:?}");
    assert_eq!(err.status(), 401);
    // Also when the payload comes first (two passes: the secret is looked up alone).
    let text = r#"{"payload":{"chat_id":5},"action":"incoming_event","secret_key":"nope","webhook_id":"w","organization_id":"o"}"#;
    assert!(matches!(Webhook::verify(text.as_bytes(), &secret), Err(WebhookError::WrongSecret)));
    let text = r#"{"payload":{"chat_id":5},"action":"incoming_event","webhook_id":"w","organization_id":"o"}"#;
    assert!(matches!(
        Webhook::verify(text.as_bytes(), &secret),
        Err(WebhookError::MissingSecret)
    ));
    bad.as_object_mut().unwrap().remove("secret_key");
    assert!(matches!(Webhook::verify(&bytes(&bad), &secret), Err(WebhookError::MissingSecret)));
    // A secret that is not a string is a missing one, wherever it stands; an empty secret is
    // wrong, and an empty expected secret matches nothing, not even an empty one.
    for not_a_secret in [json!(42), json!(null), json!({"s": SECRET})] {
        bad["secret_key"] = not_a_secret;
        assert!(matches!(Webhook::verify(&bytes(&bad), &secret), Err(WebhookError::MissingSecret)));
        let text = format!(
            r#"{{"payload":{{"chat_id":5}},"action":"incoming_event","webhook_id":"w","organization_id":"o","secret_key":{}}}"#,
            bad["secret_key"]
        );
        assert!(
            matches!(Webhook::verify(text.as_bytes(), &secret), Err(WebhookError::MissingSecret)),
            "{text}"
        );
    }
    bad["secret_key"] = json!("");
    assert!(matches!(Webhook::verify(&bytes(&bad), &secret), Err(WebhookError::WrongSecret)));
    let empty = WebhookSecret::new("");
    assert!(!empty.matches(""));
    assert!(matches!(Webhook::verify(&bytes(&bad), &empty), Err(WebhookError::WrongSecret)));
    // Two secrets (another reader may take the other one): malformed, whichever comes first.
    for (first, second) in [(SECRET, "guess"), ("guess", SECRET)] {
        let text = format!(
            r#"{{"webhook_id":"w","secret_key":"{first}","action":"chat_deactivated","organization_id":"o","secret_key":"{second}","payload":{{"chat_id":"c","thread_id":"t","user_id":"u"}}}}"#
        );
        let err = Webhook::verify(text.as_bytes(), &secret).unwrap_err();
        assert!(err.status() == 400 || matches!(err, WebhookError::WrongSecret), "{err:?}");
        if first == SECRET {
            assert!(err.to_string().contains("duplicate field `secret_key`"), "{err}");
        }
        assert!(lc_types::from_str::<Webhook>(&text).is_err(), "the unchecked decode refuses it too");
    }
    // Neither the error nor the delivery shows the secret.
    let good = read_json(&root().join("tests/fixtures/v3.6/agent/webhook/incoming_event/with_chat_properties.json"));
    let d = Webhook::verify(&bytes(&good), &secret).unwrap();
    let mut malformed = good.clone();
    malformed["payload"]["event"]["created_at"] = json!(7);
    let e = Webhook::verify(&bytes(&malformed), &secret).unwrap_err();
    for shown in [format!("{d:?}"), format!("{e}"), format!("{e:?}")] {
        assert!(!shown.contains(SECRET), "{shown}");
    }
    assert_eq!(e.decode_error().unwrap().path(), "payload.event.created_at");
}

#[test]
fn from_http_checks_the_size_and_the_content_type() {
    use lc_types::v3_6::agent::Webhook;
    let secret = WebhookSecret::new(SECRET);
    let body = serde_json::to_vec(&read_json(
        &root().join("tests/fixtures/v3.6/agent/webhook/incoming_event/with_chat_properties.json"),
    ))
    .unwrap();
    let json_type = [("Content-Type", "application/json; charset=utf-8")];
    assert!(Webhook::from_http(json_type, &body, &secret).is_ok());
    assert!(
        Webhook::from_http(Vec::<(&str, &str)>::new(), &body, &secret).is_ok(),
        "no content type: read as JSON"
    );
    let err = Webhook::from_http([("content-type", "text/plain")], &body, &secret).unwrap_err();
    assert_eq!(err.status(), 415);
    let huge = vec![b' '; lc_types::webhook::MAX_WEBHOOK_BODY_BYTES + 1];
    assert_eq!(Webhook::from_http(json_type, &huge, &secret).unwrap_err().status(), 413);
    assert!(matches!(
        Webhook::from_http(json_type, &[0xff, 0xfe], &secret),
        Err(WebhookError::NotUtf8)
    ));
    assert_eq!(Webhook::from_http(json_type, b"[1,2]", &secret).unwrap_err().status(), 400);
    // An escape in a header value is not printed raw.
    let err = Webhook::from_http([("content-type", "text/\u{1b}[31mred")], &body, &secret).unwrap_err();
    assert!(!err.to_string().contains('\u{1b}'), "{err}");
}

#[test]
fn a_delivery_passes_between_services_unchanged() {
    use lc_types::v3_6::agent::Webhook;
    let body = read_json(&root().join("tests/fixtures/v3.6/agent/webhook/incoming_event/unknown_wrapper_field.json"));
    let d = Webhook::verify(&serde_json::to_vec(&body).unwrap(), &WebhookSecret::new(SECRET)).unwrap();
    // Into a queue and out again, without checking the secret a second time.
    let queued = serde_json::to_string(&d).unwrap();
    let back: Webhook = lc_types::from_str(&queued).unwrap();
    assert_eq!(back, d);
    assert_eq!(d.extra["delivery_attempt"], 2, "an unknown wrapper field is kept");
    assert_eq!(d.unknowns().len(), 1);
}

//! The official docs' sample payloads of the Agent Chat API (`payloads/messaging/v3.x/agent-chat-api/`
//! in the `livechat/livechat-public-docs` repository) decode as the agent types and come back out
//! unchanged. The samples are read from a checkout at test time, never copied here (their license
//! does not allow it): set `LC_DOCS_REPO` to the checkout (`git clone --depth 1
//! https://github.com/livechat/livechat-public-docs`); without it the test says so and checks
//! nothing.

use std::path::{Path, PathBuf};

use lc_tests::{decode_in, versions};
use lc_types::webhook::{Webhook, WebhookInfo, WebhookPayload, WebhookSecret};
use lc_types::{ChatApi, UnknownKind, Unknowns};
use serde_json::Value;

/// Samples that do not decode yet, each with the reason (the test fails when one starts to
/// decode, so that this list stays true).
const KNOWN_FAILURES: &[(&str, &str, &str)] = &[];

/// The type of the agent API a sample file describes, and the JSON in it to decode as that type
/// (some samples wrap the value: `{"access": {...}}`, `{"fields": [...]}`).
fn typed(file: &str, sample: &Value) -> Option<(&'static str, Vec<Value>)> {
    let stem = Path::new(file).file_stem()?.to_str()?;
    let folder = Path::new(file).parent()?.file_name()?.to_str()?;
    let one = |t: &'static str| Some((t, vec![sample.clone()]));
    match (folder, stem) {
        ("events", _) => one("Event"),
        ("users", "myProfile") => one("MyProfile"),
        ("users", _) => one("User"),
        (_, "access") => Some(("Access", vec![sample.get("access")?.clone()])),
        (_, "filledFormFields") => Some(("FilledFormField", sample.get("fields")?.as_array()?.clone())),
        (_, "formFields") => Some(("FormField", sample.get("fields")?.as_array()?.clone())),
        (_, "cart") => one("Cart"),
        (_, "cartItem") => one("CartItem"),
        (_, "chat") => one("Chat"),
        (_, "chatSummary") => one("ChatSummary"),
        (_, "chatInfo") => one("ChatInfo"),
        (_, "properties") => one("Properties"),
        (_, "thread") => one("Thread"),
        _ => None,
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

#[test]
fn the_docs_agent_samples_decode_losslessly() {
    let Some(repo) = std::env::var_os("LC_DOCS_REPO") else {
        println!("LC_DOCS_REPO is not set: the docs' samples were not checked");
        return;
    };
    let repo = PathBuf::from(repo);
    let (mut decoded, mut failures, mut known) = (0, Vec::new(), 0);
    for version in versions() {
        let dir = repo.join(format!("payloads/messaging/v{version}/agent-chat-api"));
        let mut files = Vec::new();
        json_files(&dir, &mut files);
        files.sort();
        assert!(!files.is_empty(), "no samples under {}", dir.display());
        for path in files {
            let rel = path.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let Ok(sample) = serde_json::from_str::<Value>(&text) else {
                failures.push(format!("v{version} {rel}: not JSON"));
                continue;
            };
            let Some((ty, values)) = typed(&rel, &sample) else {
                failures.push(format!("v{version} {rel}: no type is known for this sample"));
                continue;
            };
            let expected_failure = KNOWN_FAILURES.iter().any(|(v, f, _)| *v == version && *f == rel);
            let mut problems = Vec::new();
            for value in values {
                match decode_in(ChatApi::Agent, &version, "type", ty, &value.to_string()) {
                    None => problems.push(format!("no type {ty}")),
                    Some(Err(e)) => problems.push(format!("does not decode as {ty}: {e}")),
                    Some(Ok(d)) => {
                        let back = d.to_json().unwrap();
                        if back != value {
                            problems.push(format!("{ty}: the round trip changed it: {back}"));
                        }
                    }
                }
            }
            match (problems.is_empty(), expected_failure) {
                (true, false) => decoded += 1,
                (false, true) => known += 1,
                (true, true) => failures.push(format!("v{version} {rel}: decodes now; remove it from KNOWN_FAILURES")),
                (false, false) => failures.push(format!("v{version} {rel}: {}", problems.join("; "))),
            }
        }
    }
    println!("{decoded} docs samples decode losslessly as the agent types; {known} known failures");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Webhook deliveries: the "Sample webhook" code blocks of the webhooks pages
// (`src/pages/management/webhooks/**/index.mdx`), one or more under each action's heading.

/// The webhooks page of each API version in the docs repository.
const WEBHOOK_PAGES: &[(&str, &str)] = &[
    ("3.5", "src/pages/management/webhooks/v3.5/index.mdx"),
    ("3.6", "src/pages/management/webhooks/index.mdx"),
    ("3.7", "src/pages/management/webhooks/v3.7/index.mdx"),
];

/// Webhook samples that do not decode, as `(version, sample, what the error says, why)`; the
/// sample is the heading's action, with `#n` for the n-th delivery under it. The test fails
/// when one decodes, or fails with another error, so that this table stays true.
const KNOWN_WEBHOOK_FAILURES: &[(&str, &str, &str, &str)] = &[
    (
        "3.5",
        "incoming_chat",
        "webhook body malformed at `payload.chat.thread`: missing field `active`",
        ELIDED_THREAD,
    ),
    (
        "3.6",
        "incoming_chat",
        "webhook body malformed at `payload.chat.thread`: missing field `active`",
        ELIDED_THREAD,
    ),
    (
        "3.7",
        "incoming_chat",
        "webhook body malformed at `payload.chat.thread`: missing field `active`",
        ELIDED_THREAD,
    ),
    (
        "3.5",
        "customer_session_fields_updated",
        "not JSON: expected `,` or `}` at line 12 column 5",
        STRAY_BRACKET,
    ),
    (
        "3.6",
        "customer_session_fields_updated",
        "not JSON: expected `,` or `}` at line 12 column 5",
        STRAY_BRACKET,
    ),
    (
        "3.7",
        "customer_session_fields_updated",
        "not JSON: expected `,` or `}` at line 12 column 5",
        STRAY_BRACKET,
    ),
    (
        "3.6",
        "agent_deleted",
        "not JSON: expected `,` or `}` at line 14 column 3",
        NO_COMMA_AFTER_REQUESTER,
    ),
    (
        "3.7",
        "agent_deleted",
        "not JSON: expected `,` or `}` at line 14 column 3",
        NO_COMMA_AFTER_REQUESTER,
    ),
    (
        "3.6",
        "group_updated",
        "not JSON: expected `,` or `}` at line 17 column 3",
        NO_COMMA_AFTER_REQUESTER,
    ),
    (
        "3.7",
        "group_updated",
        "not JSON: expected `,` or `}` at line 17 column 3",
        NO_COMMA_AFTER_REQUESTER,
    ),
    (
        "3.5",
        "auto_accesses_updated#2",
        "not JSON: expected `,` or `}` at line 30 column 7",
        AUTO_ACCESS_BRACES,
    ),
    (
        "3.6",
        "auto_accesses_updated#2",
        "not JSON: expected `,` or `}` at line 30 column 7",
        AUTO_ACCESS_BRACES,
    ),
    (
        "3.7",
        "auto_accesses_updated#2",
        "not JSON: expected `,` or `}` at line 30 column 7",
        AUTO_ACCESS_BRACES,
    ),
    (
        "3.5",
        "auto_accesses_updated#3",
        "not JSON: expected `,` or `}` at line 17 column 3",
        "invalid JSON: no `,` between the payload's `]` and `additional_data`",
    ),
];
const ELIDED_THREAD: &str = "the sample elides `chat.thread` with a comment: `{}` is no Thread";
const STRAY_BRACKET: &str = "invalid JSON: a stray `]` after `active_chat`";
const NO_COMMA_AFTER_REQUESTER: &str = "invalid JSON: no `,` between `requester` and `additional_data`";
const AUTO_ACCESS_BRACES: &str =
    "invalid JSON: `conditions` is not closed before `geolocation`, and no `,` between `geolocation` and `next_id`";

/// What the types do not know in samples of known actions, as `(sample, unknown, why)` (in
/// every version that has the sample); any other unknown fails the test, and so does an entry
/// no sample shows.
const KNOWN_WEBHOOK_UNKNOWNS: &[(&str, &str, &str)] = &[
    (
        "user_added_to_chat",
        "unknown variant (no tag) at `payload.user`",
        "the sample elides the user with a comment: `{}`",
    ),
    (
        "incoming_event",
        "unknown variant (no tag) at `payload.event`",
        "the sample elides the event with a comment: `{}`",
    ),
    (
        "event_updated",
        "unknown variant (no tag) at `payload.event`",
        "the sample elides the event with a comment: `{}`",
    ),
    (
        "incoming_customer",
        "unknown variant (no tag) at `payload.customer`",
        "the sample elides the customer with a comment: `{}`",
    ),
    (
        "chat_transferred",
        "unknown field `queued_at_us` at `payload.queue`",
        "only the 3.3-3.5 webhook pages name it so; their push pages and the 3.6+ webhook pages say `queued_at`",
    ),
    (
        "routing_status_set",
        "unknown enum value `accepting chats` at `payload.status`",
        "a typo in the docs: the routing status is `accepting_chats`",
    ),
];

/// Sample actions a version does not know, by design, as `(heading, action, why)`: each must
/// decode as an unknown webhook and come back unchanged.
const KNOWN_UNKNOWN_WEBHOOKS: &[(&str, &str, &str)] = &[(
    "auto_accesses_updated",
    "auto_access_added",
    "the samples under `auto_accesses_updated` name the action it replaced in 3.5, which no version here has",
)];

/// One ```json code block of a page: the action heading (`### `name``) it is under, its line
/// (1-based) and its text.
struct CodeBlock {
    heading: String,
    line: usize,
    text: String,
}

/// The ```json code blocks of an mdx page (the fences may be indented).
fn json_code_blocks(mdx: &str) -> Vec<CodeBlock> {
    let (mut blocks, mut heading, mut open) = (Vec::new(), String::new(), None::<CodeBlock>);
    for (i, line) in mdx.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(block) = &mut open {
            if trimmed.starts_with("```") {
                blocks.extend(open.take());
            } else {
                block.text.push_str(line);
                block.text.push('\n');
            }
        } else if trimmed.starts_with("```json") {
            open = Some(CodeBlock {
                heading: heading.clone(),
                line: i + 1,
                text: String::new(),
            });
        } else if let Some(name) = trimmed.strip_prefix("### `").and_then(|r| r.split('`').next()) {
            heading = name.to_owned();
        }
    }
    blocks
}

/// The JSON of a docs code block: without `// comments` (the samples annotate and elide with
/// them) and without trailing commas before `}` or `]`; says which of the two it removed.
fn strip_jsonc(text: &str) -> (String, Vec<&'static str>) {
    let (mut out, mut fixes) = (String::with_capacity(text.len()), Vec::new());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                while chars.next_if(|c| *c != '\n').is_some() {}
                if !fixes.contains(&"comments") {
                    fixes.push("comments");
                }
            }
            '}' | ']' => {
                let kept = out.trim_end().len();
                if out[..kept].ends_with(',') {
                    out.remove(kept - 1);
                    if !fixes.contains(&"trailing commas") {
                        fixes.push("trailing commas");
                    }
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    (out, fixes)
}

/// What the webhook samples of one version gave.
#[derive(Default)]
struct WebhookReport {
    decoded: usize,
    unknown_actions: usize,
    known_failures: usize,
    not_deliveries: Vec<String>,
    with_comments: usize,
    trailing_commas: Vec<String>,
    /// The known actions with a sample that decodes.
    covered: Vec<String>,
    /// The version's webhooks.
    table: &'static [WebhookInfo],
    /// `(sample, unknown)` of the samples of known actions.
    unknowns: Vec<(String, String)>,
}

/// Decodes every webhook delivery sample of `page` as `P` (a version's `AnyWebhook`), with the
/// sample's own secret: the action is the heading's and one of the version's (or a listed
/// unknown one, kept as unknown), and the delivery re-encodes to the sample's JSON.
fn webhook_samples_of<P: WebhookPayload>(
    repo: &Path,
    version: &str,
    page: &str,
    table: &'static [WebhookInfo],
    failures: &mut Vec<String>,
) -> WebhookReport {
    let path = repo.join(page);
    let mdx = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut report = WebhookReport {
        table,
        ..WebhookReport::default()
    };
    // Deliveries per heading, and every sample's name.
    let (mut seen, mut samples): (Vec<(String, usize)>, Vec<String>) = (Vec::new(), Vec::new());
    for block in json_code_blocks(&mdx) {
        let (text, fixes) = strip_jsonc(&block.text);
        let parsed = serde_json::from_str::<Value>(&text);
        let is_delivery = match &parsed {
            Ok(v) => v.get("action").is_some() && v.get("payload").is_some(),
            Err(_) => text.contains("\"action\"") && text.contains("\"payload\""),
        };
        let at = format!("v{version} {page}:{}", block.line);
        if !is_delivery {
            report.not_deliveries.push(format!("{at} (under `{}`)", block.heading));
            continue;
        }
        let nth = match seen.iter_mut().find(|(h, _)| *h == block.heading) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                seen.push((block.heading.clone(), 1));
                1
            }
        };
        let sample = if nth == 1 {
            block.heading.clone()
        } else {
            format!("{}#{nth}", block.heading)
        };
        let id = format!("v{version} {sample} ({page}:{})", block.line);
        samples.push(sample.clone());
        report.with_comments += usize::from(fixes.contains(&"comments"));
        if fixes.contains(&"trailing commas") {
            report.trailing_commas.push(sample.clone());
        }
        let problem = match parsed {
            Err(e) => Some(format!("not JSON: {e}")),
            Ok(value) => check_webhook_sample::<P>(&block.heading, &text, &value, table, &mut report),
        };
        let known = KNOWN_WEBHOOK_FAILURES.iter().find(|(v, s, _, _)| *v == version && *s == sample);
        match (problem, known) {
            (None, None) => {}
            (None, Some(_)) => failures.push(format!("{id}: decodes now; remove it from KNOWN_WEBHOOK_FAILURES")),
            (Some(p), Some((_, _, expected, _))) if p.contains(expected) => report.known_failures += 1,
            (Some(p), Some((_, _, expected, _))) => failures.push(format!("{id}: fails with `{p}`, not the listed `{expected}`")),
            (Some(p), None) => failures.push(format!("{id}: {p}")),
        }
    }
    for (v, sample, _, _) in KNOWN_WEBHOOK_FAILURES.iter().filter(|(v, ..)| *v == version) {
        if !samples.iter().any(|s| s == sample) {
            failures.push(format!("v{v} {sample}: listed in KNOWN_WEBHOOK_FAILURES but not in the docs"));
        }
    }
    report
}

/// Checks one delivery sample; `None` when it decodes as it should.
fn check_webhook_sample<P: WebhookPayload>(
    heading: &str,
    text: &str,
    value: &Value,
    table: &[WebhookInfo],
    report: &mut WebhookReport,
) -> Option<String> {
    let action = value["action"].as_str().unwrap_or_default();
    let secret = WebhookSecret::new(value["secret_key"].as_str().unwrap_or_default());
    let delivery = match Webhook::<P>::verify(text.as_bytes(), &secret) {
        Ok(d) => d,
        Err(e) => return Some(e.to_string()),
    };
    let back = serde_json::to_value(&delivery).unwrap();
    if &back != value {
        return Some(format!("the round trip changed it: {back}"));
    }
    if delivery.action() != action {
        return Some(format!("decoded as `{}`, not `{action}`", delivery.action()));
    }
    let unknowns = delivery.unknowns();
    let known = table.iter().any(|h| h.name == action);
    if KNOWN_UNKNOWN_WEBHOOKS.iter().any(|(h, a, _)| *h == heading && *a == action) {
        if known {
            return Some(format!("`{action}` is a known action now; remove it from KNOWN_UNKNOWN_WEBHOOKS"));
        }
        if !unknowns.iter().any(|u| u.kind == UnknownKind::Webhook(action.to_owned())) {
            return Some(format!("`{action}` did not decode as an unknown webhook: {unknowns:?}"));
        }
        // The payload, under the action its heading names, is that webhook's.
        let mut renamed = value.clone();
        renamed["action"] = Value::from(heading);
        match lc_types::from_str::<Webhook<P>>(&renamed.to_string()) {
            Ok(d) if d.action() == heading && serde_json::to_value(&d).unwrap() == renamed => {}
            Ok(d) => return Some(format!("as `{heading}`: decoded as `{}` or not losslessly", d.action())),
            Err(e) => return Some(format!("as `{heading}`: {e}")),
        }
        report.unknown_actions += 1;
        report.covered.push(heading.to_owned());
        return None;
    }
    if !known {
        return Some(format!("`{action}` is not a webhook of this version"));
    }
    if action != heading {
        return Some(format!("the sample's action `{action}` is not its heading's"));
    }
    report.unknowns.extend(unknowns.iter().map(|u| (heading.to_owned(), u.to_string())));
    report.decoded += 1;
    report.covered.push(action.to_owned());
    None
}

#[test]
fn the_docs_webhook_samples_decode_losslessly() {
    let Some(repo) = std::env::var_os("LC_DOCS_REPO") else {
        println!("LC_DOCS_REPO is not set: the docs' webhook samples were not checked");
        return;
    };
    let repo = PathBuf::from(repo);
    assert_eq!(
        versions(),
        ["3.5", "3.6", "3.7"],
        "a new version needs its line below and in WEBHOOK_PAGES"
    );
    let mut failures = Vec::new();
    let page = |v: &str| WEBHOOK_PAGES.iter().find(|(p, _)| *p == v).unwrap().1;
    let reports = [
        (
            "3.5",
            webhook_samples_of::<lc_types::v3_5::agent::AnyWebhook>(
                &repo,
                "3.5",
                page("3.5"),
                lc_types::v3_5::agent::WEBHOOKS,
                &mut failures,
            ),
        ),
        (
            "3.6",
            webhook_samples_of::<lc_types::v3_6::agent::AnyWebhook>(
                &repo,
                "3.6",
                page("3.6"),
                lc_types::v3_6::agent::WEBHOOKS,
                &mut failures,
            ),
        ),
        (
            "3.7",
            webhook_samples_of::<lc_types::v3_7::agent::AnyWebhook>(
                &repo,
                "3.7",
                page("3.7"),
                lc_types::v3_7::agent::WEBHOOKS,
                &mut failures,
            ),
        ),
    ];
    for (version, r) in &reports {
        println!(
            "v{version}: {} webhook samples decode losslessly, {} with an unknown action kept losslessly, {} known failures",
            r.decoded, r.unknown_actions, r.known_failures
        );
        for n in &r.not_deliveries {
            println!("  not a delivery, skipped: {n}");
        }
        println!(
            "  read without their `//` comments: {} samples; without trailing commas: {}",
            r.with_comments,
            r.trailing_commas.join(", ")
        );
        for (sample, unknown) in &r.unknowns {
            match KNOWN_WEBHOOK_UNKNOWNS.iter().find(|(s, u, _)| s == sample && u == unknown) {
                Some((_, _, why)) => println!("  {sample}: {unknown} (known: {why})"),
                None => failures.push(format!("v{version} {sample}: {unknown}")),
            }
        }
        let missing: Vec<&str> = r
            .table
            .iter()
            .map(|h| h.name)
            .filter(|n| !r.covered.iter().any(|c| c == n))
            .collect();
        println!("  webhooks of v{version} without a sample that decodes: {}", missing.join(", "));
        if r.decoded == 0 {
            failures.push(format!("v{version}: no webhook sample decoded"));
        }
    }
    for (sample, unknown, _) in KNOWN_WEBHOOK_UNKNOWNS {
        if !reports
            .iter()
            .any(|(_, r)| r.unknowns.iter().any(|(s, u)| s == sample && u == unknown))
        {
            failures.push(format!(
                "{sample}: `{unknown}` is no longer in any sample; remove it from KNOWN_WEBHOOK_UNKNOWNS"
            ));
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

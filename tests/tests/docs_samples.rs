//! The official docs' sample payloads of the Agent Chat API (`payloads/messaging/v3.x/agent-chat-api/`
//! in the `livechat/livechat-public-docs` repository) decode as the agent types and come back out
//! unchanged. The samples are read from a checkout at test time, never copied here (their license
//! does not allow it): set `LC_DOCS_REPO` to the checkout (`git clone --depth 1
//! https://github.com/livechat/livechat-public-docs`); without it the test says so and checks
//! nothing.

use std::path::{Path, PathBuf};

use lc_tests::{decode_in, versions};
use lc_types::ChatApi;
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

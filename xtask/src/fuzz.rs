//! `cargo xtask fuzz [--seconds N] [--runs N] [--target NAME]`: seeds the corpora from the test
//! fixtures, writes the dictionary of the API's names, runs each cargo-fuzz target for N seconds
//! (or until it made `--runs` executions, whichever comes first) and
//! prints, per target, the executions, the coverage and whether it crashed.
//!
//! The targets build with the stable toolchain (`RUSTC_BOOTSTRAP=1`, no sanitizer), as on CI.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Every target in `fuzz/Cargo.toml`, in the order they run.
pub(crate) const TARGETS: &[&str] = &[
    "frame",
    "types",
    "timestamp",
    "rtm_session",
    "mock_web",
    "mock_rtm",
    "mock_control",
    "mock_stateful",
    "webhook",
];

/// What one run gave.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub target: String,
    pub executions: u64,
    pub coverage: u64,
    pub features: u64,
    pub crashed: bool,
    pub artifact: Option<String>,
}

/// Seeds, dictionary, then each target for `seconds` (and at most `runs` executions).
pub(crate) fn run(root: &Path, seconds: u64, runs: Option<u64>, only: Option<&str>, dev: bool) -> Result<Vec<Outcome>, String> {
    let fuzz = root.join("fuzz");
    write_dict(root, &fuzz.join("dict/api.dict"))?;
    let seeded = seed(root, &fuzz.join("corpus"))?;
    eprintln!("fuzz: {seeded} seed inputs from tests/fixtures, dictionary fuzz/dict/api.dict");
    let targets: Vec<&str> = match only {
        Some(t) if TARGETS.contains(&t) => vec![t],
        Some(t) => return Err(format!("no fuzz target `{t}` (targets: {})", TARGETS.join(", "))),
        None => TARGETS.to_vec(),
    };
    let mut outcomes = Vec::new();
    for target in targets {
        let corpus = fuzz.join("corpus").join(target);
        fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let output = Command::new("cargo")
            .current_dir(&fuzz)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", "--sanitizer", "none", if dev { "--dev" } else { "-O" }, target])
            .arg(&corpus)
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-dict=dict/api.dict",
                &format!("-runs={}", runs.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))),
                "-print_final_stats=1",
                "-timeout=20",
                "-rss_limit_mb=4096",
            ])
            .output()
            .map_err(|e| format!("cannot run cargo fuzz (install it: cargo install cargo-fuzz --locked): {e}"))?;
        let log = String::from_utf8_lossy(&output.stderr);
        let outcome = parse(target, &log, output.status.success());
        if outcome.crashed {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("---- {target} ----");
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
        println!(
            "{:<14} executions {:>12}  cov {:>6}  ft {:>6}  {}",
            target,
            outcome.executions,
            outcome.coverage,
            outcome.features,
            if outcome.crashed {
                format!("CRASHED ({})", outcome.artifact.as_deref().unwrap_or("see the log above"))
            } else {
                "no crash".to_owned()
            }
        );
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Reads libFuzzer's output: `stat::number_of_executed_units`, the last `cov:`/`ft:` figures,
/// and a crash artifact.
pub(crate) fn parse(target: &str, log: &str, success: bool) -> Outcome {
    let mut o = Outcome {
        target: target.to_owned(),
        crashed: !success,
        ..Outcome::default()
    };
    let number_after = |line: &str, key: &str| -> Option<u64> {
        let rest = &line[line.find(key)? + key.len()..];
        rest.trim_start().split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    };
    for line in log.lines() {
        if let Some(n) = number_after(line, "stat::number_of_executed_units:") {
            o.executions = n;
        }
        if line.starts_with('#') {
            if let Some(n) = number_after(line, "cov:") {
                o.coverage = n;
            }
            if let Some(n) = number_after(line, "ft:") {
                o.features = n;
            }
        }
        if let Some(path) = line.split("Test unit written to ").nth(1) {
            o.crashed = true;
            o.artifact = Some(path.trim().to_owned());
        }
    }
    o
}

fn versions(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(root.join("schema"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix('v').map(str::to_owned))
        .filter(|v| v.contains('.'))
        .collect();
    out.sort();
    out
}

/// `(kind, name, file)` of every fixture of `version` (`invalid/` ones too).
fn fixtures(root: &Path, version: &str) -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    let base = root.join("tests/fixtures").join(format!("v{version}"));
    for dir in [base.clone(), base.join("invalid")] {
        for kind in ["type", "request", "response", "push"] {
            for name in sorted(&dir.join(kind)) {
                let n = name.file_name().unwrap_or_default().to_string_lossy().into_owned();
                for file in sorted(&name).into_iter().filter(|f| f.extension().is_some_and(|e| e == "json")) {
                    out.push((kind.to_owned(), n.clone(), file));
                }
            }
        }
    }
    out
}

fn sorted(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    v.sort();
    v
}

/// Writes the fixture seeds (`fixture-*`, not committed) of every target; how many.
pub(crate) fn seed(root: &Path, corpus: &Path) -> Result<usize, String> {
    let mut count = 0;
    let mut write = |target: &str, name: &str, bytes: &[u8]| -> Result<(), String> {
        let dir = corpus.join(target);
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(format!("fixture-{}", name.replace('/', "_")));
        fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        count += 1;
        Ok(())
    };
    let mut timestamps = BTreeSet::new();
    for v in versions(root) {
        for (kind, name, file) in fixtures(root, &v) {
            let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let stem = file.file_stem().unwrap_or_default().to_string_lossy();
            let invalid = if file.components().any(|c| c.as_os_str() == "invalid") {
                "invalid-"
            } else {
                ""
            };
            let id = format!("{invalid}{v}-{kind}-{name}-{stem}");
            write("types", &id, format!("@{v} {kind} {name}\n{text}").as_bytes())?;
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            collect_timestamps(&value, &mut timestamps);
            let payload = value.to_string();
            let frame = match kind.as_str() {
                "request" => format!(r#"{{"version":"{v}","request_id":"1","action":"{name}","payload":{payload}}}"#),
                "response" => format!(r#"{{"request_id":"1","action":"{name}","type":"response","success":true,"payload":{payload}}}"#),
                "push" => format!(r#"{{"version":"{v}","action":"{name}","type":"push","payload":{payload}}}"#),
                _ => continue,
            };
            write("frame", &id, frame.as_bytes())?;
            if kind == "push" {
                // The push as a webhook delivery (its secret is the one the target verifies with).
                let delivery = format!(
                    r#"{{"webhook_id":"w1","secret_key":"kettle-lamp-orchard-42","action":"{name}","organization_id":"o1","payload":{payload},"additional_data":{{}}}}"#
                );
                write("webhook", &id, delivery.as_bytes())?;
            }
            if kind == "request" {
                write("mock_web", &id, format!("@{v} {name} 0\n{payload}").as_bytes())?;
                let line = format!(r#"{{"action":"{name}","request_id":"2","payload":{payload}}}"#);
                write("mock_rtm", &id, format!("@{v}\n!login\n{line}").as_bytes())?;
            }
        }
    }
    // The webhook fixtures: whole deliveries.
    for v in versions(root) {
        for dir in sorted(&root.join("tests/fixtures").join(format!("v{v}")).join("agent/webhook")) {
            for file in sorted(&dir) {
                let bytes = fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
                let name = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().into_owned();
                write("webhook", &name, &bytes)?;
            }
        }
    }
    let list: Vec<&String> = timestamps.iter().collect();
    for (i, chunk) in list.chunks(3).enumerate() {
        let text: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
        write("timestamp", &format!("{i}"), text.join("\n").as_bytes())?;
    }
    Ok(count)
}

fn collect_timestamps(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) if s.len() >= 20 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T' => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|v| collect_timestamps(v, out)),
        Value::Object(m) => m.values().for_each(|v| collect_timestamps(v, out)),
        _ => {}
    }
}

/// The dictionary: every action, push, property name and enum value of every schema version.
pub(crate) fn dict_text(root: &Path) -> Result<String, String> {
    let mut words = BTreeSet::new();
    for v in versions(root) {
        words.insert(v.clone());
        let dir = root.join("schema").join(format!("v{v}"));
        let mut files = vec![dir.join("api.json")];
        for sub in ["objects", "requests", "responses", "pushes"] {
            files.extend(sorted(&dir.join(sub)));
        }
        for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "json")) {
            let text = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            names(&value, &mut words);
        }
    }
    for w in [
        "request_id",
        "action",
        "type",
        "push",
        "response",
        "success",
        "payload",
        "version",
        "error",
        "message",
    ] {
        words.insert(w.to_owned());
    }
    let mut out = String::from("# The API's names (actions, pushes, fields, enum values): `cargo xtask fuzz` writes it from schema/.\n");
    for w in words.iter().filter(|w| !w.is_empty() && w.len() <= 64) {
        let escaped: String = w
            .chars()
            .flat_map(|c| match c {
                '"' | '\\' => vec!['\\', c],
                c if c.is_ascii_graphic() || c == ' ' => vec![c],
                _ => vec![],
            })
            .collect();
        out.push_str(&format!("\"\\\"{escaped}\\\"\"\n"));
    }
    Ok(out)
}

fn names(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("properties", Value::Object(p)) => out.extend(p.keys().cloned()),
                    ("name", Value::String(s)) => {
                        out.insert(s.clone());
                    }
                    ("enum", Value::Array(a)) => out.extend(a.iter().filter_map(|e| e.as_str().map(str::to_owned))),
                    ("const", Value::String(s)) => {
                        out.insert(s.clone());
                    }
                    _ => {}
                }
                names(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| names(v, out)),
        _ => {}
    }
}

fn write_dict(root: &Path, path: &Path) -> Result<(), String> {
    let text = dict_text(root)?;
    if fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
        fs::create_dir_all(path.parent().expect("a file in a directory")).map_err(|e| e.to_string())?;
        fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

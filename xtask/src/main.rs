//! `cargo xtask`: code generation for lc.
//!
//! - `cargo xtask codegen`: regenerate `lc-types` from `schema/`.
//! - `cargo xtask codegen --check`: fail if the committed generated code is stale or orphaned.
//! - `cargo xtask diff <old> <new> [--api customer|agent|configuration]`: the changelog between two schema sets
//!   (e.g. `3.6 3.7`) of the Customer Chat API, or of the Agent Chat API.
//! - `cargo xtask fuzz [--seconds N] [--runs N] [--target NAME]`: run the cargo-fuzz targets in `fuzz/` (see
//!   `fuzz.rs`).
//! - `cargo xtask soak [--seconds N] [--customers N] [--bots N] [--debug]`: the fault-injection soak
//!   (`tests/src/bin/soak.rs`), release build unless `--debug`.

mod codegen;
mod diff;
mod fuzz;
#[cfg(test)]
mod testing;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask codegen [--check]
       cargo xtask diff <old version> <new version> [--api customer|agent|configuration]   (e.g. `cargo xtask diff 3.6 3.7 --api agent`)
       cargo xtask fuzz [--seconds N] [--runs N] [--target NAME] [--dev]   (N seconds per target, 10 by default;
                                  --runs stops a target after N executions)
       cargo xtask soak [--seconds N] [--customers N] [--bots N] [--debug]";

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = workspace_root();
    match args.as_slice() {
        ["codegen"] | ["codegen", "--check"] => {
            let check = args.len() == 2;
            let start = Instant::now();
            let result = codegen::generate(&root).and_then(|out| codegen::write_or_check(&root, &out, check).map(|n| (n, out.len())));
            match result {
                Ok((written, total)) => {
                    let what = if check {
                        "up to date".to_owned()
                    } else {
                        format!("{written} written")
                    };
                    eprintln!("codegen: {total} files, {what} ({} ms)", start.elapsed().as_millis());
                    ExitCode::SUCCESS
                }
                Err(errors) => {
                    for e in &errors {
                        eprintln!("error: {e}");
                    }
                    eprintln!("codegen: {} problem(s)", errors.len());
                    ExitCode::FAILURE
                }
            }
        }
        ["diff", old, new] | ["diff", old, new, "--api", _] => {
            let api = match args.get(4) {
                None | Some(&"customer") => codegen::bundle::Api::Customer,
                Some(&"agent") => codegen::bundle::Api::Agent,
                Some(&"configuration") => codegen::bundle::Api::Configuration,
                Some(_) => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            };
            let load = |v: &str| {
                let dir = root.join("schema").join(format!("v{}", v.trim_start_matches('v')));
                codegen::bundle::bundle_api(&dir, api)
            };
            match (load(old), load(new)) {
                (Ok(old), Ok(new)) => {
                    print!("{}", diff::diff(&old, &new));
                    ExitCode::SUCCESS
                }
                (old, new) => {
                    for e in old.err().into_iter().chain(new.err()).flatten() {
                        eprintln!("error: {e}");
                    }
                    ExitCode::FAILURE
                }
            }
        }
        ["fuzz", rest @ ..] => fuzz_command(&root, rest),
        ["soak", rest @ ..] => soak(&root, rest),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `cargo xtask fuzz [--seconds N] [--runs N] [--target NAME]`: fails when a target crashed.
fn fuzz_command(root: &Path, args: &[&str]) -> ExitCode {
    let (mut seconds, mut target, mut runs) = (10u64, None, None);
    // `--dev`: an unoptimized build (minutes instead of tens of minutes: what CI uses).
    let dev = args.contains(&"--dev");
    let args: Vec<&str> = args.iter().copied().filter(|a| *a != "--dev").collect();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match (*arg, it.next()) {
            ("--seconds", Some(n)) if n.parse::<u64>().is_ok() => seconds = n.parse().expect("checked"),
            ("--runs", Some(n)) if n.parse::<u64>().is_ok() => runs = n.parse().ok(),
            ("--target", Some(t)) => target = Some(*t),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match fuzz::run(root, seconds, runs, target, dev) {
        Ok(outcomes) if outcomes.iter().all(|o| !o.crashed) => ExitCode::SUCCESS,
        Ok(outcomes) => {
            let crashed: Vec<&str> = outcomes.iter().filter(|o| o.crashed).map(|o| o.target.as_str()).collect();
            eprintln!("fuzz: crashed: {}", crashed.join(", "));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds and runs the soak program with `args` (`--debug` picks the debug build, which CI
/// already has from the tests); its exit code is ours.
fn soak(root: &Path, args: &[&str]) -> ExitCode {
    let debug = args.contains(&"--debug");
    let forwarded: Vec<&str> = args.iter().copied().filter(|a| *a != "--debug").collect();
    let mut cargo = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(root).args(["run", "-q", "-p", "lc-tests", "--bin", "soak"]);
    if !debug {
        cargo.arg("--release");
    }
    match cargo.arg("--").args(forwarded).status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => ExitCode::from(status.code().map_or(1, |c| c.clamp(1, 255) as u8)),
        Err(e) => {
            eprintln!("soak: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

//! `cargo xtask`: code generation for lc.
//!
//! - `cargo xtask codegen`: regenerate `lc-types` from `schema/`.
//! - `cargo xtask codegen --check`: fail if the committed generated code is stale or orphaned.

mod bundle;
mod codegen;
mod postprocess;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask codegen [--check]";

fn workspace_root() -> PathBuf {
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
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

//! Runs the `lc` binary as a user does: arguments, environment and stdin in; exit code, stdout
//! and stderr out.

use std::io::Write;
use std::process::{Command, Stdio};

/// What one run of `lc` gave.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `lc args` with `env` on top of an environment without the `LC_*` settings and
/// `NO_COLOR` of the machine running the tests, feeding it `stdin`.
pub(crate) fn lc(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lc"))
        .args(args)
        .env_remove("LC_TOKEN")
        .env_remove("LC_ORGANIZATION_ID")
        .env_remove("LC_BASE_URL")
        .env_remove("LC_PAT")
        .env_remove("LC_REGION")
        .env_remove("LC_API_VERSION")
        .env_remove("LC_CACERT")
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lc runs");
    // lc may exit before reading stdin (usage errors): a broken pipe here is expected then.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

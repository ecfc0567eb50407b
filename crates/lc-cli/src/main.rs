//! `lc`: the command line for the LiveChat Customer Chat API.
//!
//! ```text
//! lc decode [--api-version 3.6] [--strict] <request|response|push|type|frame> [NAME]  < payload.json
//! lc actions [--api-version 3.6] [--json]
//! lc mock [--addr 127.0.0.1:0] [--organization-id ID] [--json]
//! ```
//!
//! Exit codes: 0 success; 1 the input does not decode (the message names the JSON path), or
//! `lc mock` cannot listen; 2 usage error (unknown command, kind, name, version or option);
//! 3 `--strict` and something unknown was kept.

/// `println!` that ignores a closed stdout (e.g. `lc actions | head`) instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! err {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

mod actions;
mod decode;
mod mock;

use std::process::ExitCode;

use lc_types::{Api, ApiVersion};

const USAGE: &str = "\
usage:
  lc decode [--api-version X.Y] [--strict] <KIND> [NAME]   read one JSON document on stdin
      KIND: request|response NAME=action, push NAME=push, type NAME=type (e.g. Event), frame
  lc actions [--api-version X.Y] [--json]                 list every action and push
  lc mock [--addr IP:PORT] [--organization-id ID] [--json]
      serve the Customer Chat API mock (Web and RTM, every version) until Ctrl-C or SIGTERM;
      prints its Web URL, RTM URL, organization ID and a customer token (--json: one JSON line).
      --addr defaults to 127.0.0.1:0 (a free port)";

/// A failure that ends the command with an exit code and a message on stderr.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// Exit code 2: the command line asks for something that does not exist.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    /// Exit code 1: the command was understood but could not do its work.
    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            message: message.into(),
        }
    }
}

/// Options shared by the commands.
pub struct Options {
    pub api: &'static Api,
    pub strict: bool,
    pub json: bool,
    pub positional: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, Failure> {
    let mut version = lc_types::ApiVersion::V3_6;
    let (mut strict, mut json, mut positional) = (false, false, Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--strict" => strict = true,
            "--json" => json = true,
            "--api-version" => {
                let v = it.next().ok_or_else(|| Failure::usage("--api-version needs a value, e.g. 3.6"))?;
                version = v.parse::<ApiVersion>().map_err(|e| Failure::usage(e.to_string()))?;
            }
            flag if flag.starts_with("--") => {
                if let Some(v) = flag.strip_prefix("--api-version=") {
                    version = v.parse::<ApiVersion>().map_err(|e| Failure::usage(e.to_string()))?;
                } else {
                    return Err(Failure::usage(format!("unknown option `{flag}`\n{USAGE}")));
                }
            }
            _ => positional.push(a.clone()),
        }
    }
    let api = lc_types::api(version).ok_or_else(|| {
        let known: Vec<String> = lc_types::apis().iter().map(|a| a.version.to_string()).collect();
        Failure::usage(format!("unsupported API version {version} (this build has: {})", known.join(", ")))
    })?;
    Ok(Options {
        api,
        strict,
        json,
        positional,
    })
}

fn run(args: &[String]) -> Result<(), Failure> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Failure::usage(USAGE));
    };
    match command.as_str() {
        "decode" => decode::run(&parse(rest)?),
        "actions" => actions::run(&parse(rest)?),
        "mock" => mock::run(rest),
        "-h" | "--help" | "help" => {
            out!("{USAGE}");
            Ok(())
        }
        other => Err(Failure::usage(format!("unknown command `{other}`\n{USAGE}"))),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            err!("lc: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

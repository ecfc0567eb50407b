//! `lc decode`: decode JSON (stdin or a file; one document, or NDJSON: one per line) as a typed
//! value and print it re-encoded, reporting what the schema does not know.

use std::io::Read;
use std::path::PathBuf;

use lc_types::{Api, ApiVersion, ChatApi, DecodeError, Decoded, Frame, JsonPath, PathSegment, Unknown, UnknownKind};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::{Exit, Failure};

/// Decode JSON as a typed value of the API, print it re-encoded on one line, and report on
/// stderr every field, enum value, event type or push the schema does not know.
#[derive(clap::Args)]
#[command(after_help = "\
KIND and NAME:
  request <action>    the request of an action      response <action>   its response
  push <push>         a push's payload              type <Type>         any type, e.g. Event
  frame               an RTM frame: the envelope, then the payload by its `action`

Examples:
  echo '{\"chat_id\":\"C1\",\"event\":{\"type\":\"message\",\"text\":\"Hi\"}}' | lc decode request send_event
  lc decode push incoming_event payload.json
  lc decode --ndjson frame captured-frames.ndjson      one frame per line, reported by line number
  lc decode --strict type Event event.json             exit 3 if anything is unknown
  lc decode --api agent push incoming_chat chat.json   an Agent Chat API push")]
pub(crate) struct DecodeArgs {
    /// The API: `customer` (the Customer Chat API) or `agent` (the Agent Chat API).
    #[arg(long, default_value_t = ChatApi::Customer, value_parser = crate::parse_chat_api, value_name = "API")]
    api: ChatApi,
    /// The API version (frames that name their version are decoded in it).
    #[arg(long, default_value_t = lc_types::endpoint::default_version(), value_parser = crate::parse_version, value_name = "X.Y")]
    api_version: ApiVersion,
    /// Exit with 3 when the input holds anything the schema does not know.
    #[arg(long)]
    strict: bool,
    /// The input is NDJSON: one document per line (empty lines skipped), each decoded and
    /// reported with its line number.
    #[arg(long)]
    ndjson: bool,
    /// request, response, push, type or frame.
    kind: String,
    /// The action, push or type name (none for `frame`), then the input file (stdin when absent or `-`).
    #[arg(num_args = 0..=2, value_name = "NAME] [FILE")]
    rest: Vec<String>,
}

fn failed(e: DecodeError) -> Failure {
    Failure::runtime(format!("decode error {e}"))
}

fn outcome(value: Box<dyn Decoded>) -> Result<Outcome, Failure> {
    let json = value.to_json().map_err(|e| Failure::runtime(format!("cannot re-encode: {e}")))?;
    Ok(Outcome {
        json,
        unknowns: value.unknowns(),
    })
}

/// What a decode produced: the re-encoded JSON and the unknown things it kept.
struct Outcome {
    json: Value,
    unknowns: Vec<Unknown>,
}

pub(crate) fn run(args: DecodeArgs) -> Result<(), Failure> {
    let api = crate::api_of(args.api, args.api_version)?;
    let kind = args.kind.as_str();
    let (name, file) = match (kind, args.rest.as_slice()) {
        ("frame", [file]) => (None, Some(file.as_str())),
        ("frame", [_, _]) => return Err(Failure::usage("`lc decode frame` takes no name: the frame's `action` says it")),
        (_, []) => (None, None),
        (_, [name]) => (Some(name.as_str()), None),
        (_, [name, file]) => (Some(name.as_str()), Some(file.as_str())),
        _ => unreachable!("clap takes at most two"),
    };
    // Check the command line before reading the input.
    let needs_name = |what: &str| name.ok_or_else(|| Failure::usage(format!("`lc decode {kind}` needs the {what} name")));
    match kind {
        "request" | "response" => {
            let n = needs_name("action")?;
            let action = api.action(n).ok_or_else(|| {
                Failure::usage(format!(
                    "the {} v{} has no action `{n}` (see `lc actions`)",
                    api.api.title(),
                    api.version
                ))
            })?;
            if kind == "request" && action.request.is_none() {
                return Err(Failure::usage(format!("`{n}` has no JSON request (it is a multipart upload)")));
            }
        }
        "push" => {
            let n = needs_name("push")?;
            api.push(n).ok_or_else(|| {
                Failure::usage(format!(
                    "the {} v{} has no push `{n}` (see `lc actions`)",
                    api.api.title(),
                    api.version
                ))
            })?;
        }
        "type" => {
            let n = needs_name("type")?;
            if !api.types.contains(&n) {
                return Err(Failure::usage(format!(
                    "the {} v{} has no type `{n}`",
                    api.api.title(),
                    api.version
                )));
            }
        }
        "frame" => {}
        other => {
            return Err(Failure::usage(format!(
                "unknown kind `{other}` (request, response, push, type or frame)"
            )))
        }
    }
    let text = read_input(file)?;
    let n = name.unwrap_or_default();
    let decode = |text: &str| -> Result<Outcome, Failure> {
        if let Err(e) = serde_json::from_str::<&RawValue>(text) {
            return Err(Failure::runtime(format!("not JSON: {e}")));
        }
        match kind {
            "request" => outcome((api.decode_request)(n, text).map_err(failed)?),
            "response" => outcome((api.decode_response)(n, text).map_err(failed)?),
            "push" => outcome((api.decode_push)(n, text).map_err(failed)?),
            "type" => outcome((api.decode_type)(n, text).expect("checked type name").map_err(failed)?),
            _ => frame(api, text),
        }
    };
    if !args.ndjson {
        let result = decode(&text).map_err(|f| Failure {
            message: f.message.replacen("not JSON", "the input is not one JSON document", 1),
            ..f
        })?;
        out!("{}", crate::safe_json(&result.json, false));
        for u in &result.unknowns {
            err!("{u}");
        }
        return strict(args.strict, result.unknowns.len());
    }
    let (mut failures, mut unknown, mut documents) = (0, 0, 0);
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        documents += 1;
        match decode(line) {
            Ok(result) => {
                out!("{}", crate::safe_json(&result.json, false));
                for u in &result.unknowns {
                    err!("line {}: {u}", i + 1);
                }
                unknown += result.unknowns.len();
            }
            Err(f) => {
                failures += 1;
                err!("line {}: {}", i + 1, f.message.replacen("not JSON", "is not JSON", 1));
            }
        }
    }
    if failures > 0 {
        return Err(Failure::runtime(format!("{failures} of {documents} line(s) did not decode")));
    }
    strict(args.strict, unknown)
}

/// The `--strict` verdict.
fn strict(strict: bool, unknowns: usize) -> Result<(), Failure> {
    if strict && unknowns > 0 {
        return Err(Failure::new(Exit::Strict, format!("--strict: {unknowns} unknown thing(s) kept")));
    }
    Ok(())
}

/// The whole input: a file, or stdin for `None` and `-`.
fn read_input(file: Option<&str>) -> Result<String, Failure> {
    match file {
        None | Some("-") => read_stdin(),
        Some(path) => read_file(path),
    }
}

/// All of stdin.
pub(crate) fn read_stdin() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Failure::runtime(format!("cannot read stdin: {e}")))?;
    Ok(text)
}

/// All of the file at `path`.
pub(crate) fn read_file(path: &str) -> Result<String, Failure> {
    std::fs::read_to_string(PathBuf::from(path)).map_err(|e| Failure::runtime(format!("cannot read `{path}`: {e}")))
}

/// `payload` joined with a path inside it.
fn under_payload(path: &str) -> String {
    match path {
        "." => "payload".to_owned(),
        p if p.starts_with('[') => format!("payload{p}"),
        p => format!("payload.{p}"),
    }
}

/// Decodes a frame in two steps: the envelope, then the payload by its action, in the version the
/// frame names (the `--api-version` when it names none). A version this build does not have
/// leaves the payload as it is and is reported as unknown (`decode_any`, and the same rule for
/// the agent's frames).
fn frame(default: &'static Api, text: &str) -> Result<Outcome, Failure> {
    let frame: Frame = lc_types::from_str(text).map_err(failed)?;
    let boxed = |e: lc_types::ErrorEnvelope| Box::new(e) as Box<dyn Decoded>;
    // An agent's request or push payload, in the version the frame names; `None`: this build
    // does not have that version.
    let agent = |version: &Option<String>, decode: fn(&Api) -> lc_types::DecodeFn, action: &str, raw: &str| {
        let named = version.as_deref().map_or(Some(default.version), |v| v.parse().ok());
        named
            .and_then(|v| lc_types::api(default.api, v))
            .map(|api| decode(api)(action, raw))
    };
    // A version this build does not have: the frame as it is, the version reported as unknown.
    let unsupported = |version: &Option<String>| -> Result<Outcome, Failure> {
        let json = serde_json::to_value(&frame).map_err(|e| Failure::runtime(format!("cannot re-encode: {e}")))?;
        let unknowns = vec![Unknown {
            path: std::iter::once(PathSegment::Field("payload")).collect(),
            kind: UnknownKind::Version(version.clone().unwrap_or_default()),
        }];
        Ok(Outcome { json, unknowns })
    };
    let (extra, payload) = match &frame {
        Frame::Request(f) if default.api != ChatApi::Customer => {
            match agent(&f.version, |a| a.decode_request, &f.action, f.payload.get()) {
                Some(payload) => (&f.extra, Some(payload)),
                None => return unsupported(&f.version),
            }
        }
        Frame::Push(f) if default.api != ChatApi::Customer => match agent(&f.version, |a| a.decode_push, &f.action, f.payload.get()) {
            Some(payload) => (&f.extra, Some(payload)),
            None => return unsupported(&f.version),
        },
        Frame::Request(f) => (
            &f.extra,
            Some(f.decode_any(default.version).map(|v| Box::new(v) as Box<dyn Decoded>)),
        ),
        Frame::Push(f) => (
            &f.extra,
            Some(f.decode_any(default.version).map(|v| Box::new(v) as Box<dyn Decoded>)),
        ),
        Frame::Response(f) => {
            let raw = f.payload.as_deref().map(|p| p.get());
            let payload = match (f.success, raw) {
                (true, Some(raw)) => Some((default.decode_response)(&f.action, raw)),
                (true, None) => None,
                (false, raw) => Some(lc_types::from_str(raw.unwrap_or("{}")).map(boxed)),
            };
            (&f.extra, payload)
        }
        // `Frame::Unknown`, and any kind of frame a later lc-types knows.
        other => {
            let v = serde_json::to_value(other).map_err(|e| Failure::runtime(format!("cannot re-encode: {e}")))?;
            let tag = v.get("type").and_then(Value::as_str).map(str::to_owned);
            let unknowns = vec![Unknown {
                path: JsonPath::default(),
                kind: UnknownKind::Variant(tag),
            }];
            return Ok(Outcome { json: v, unknowns });
        }
    };
    let mut unknowns: Vec<Unknown> = extra
        .keys()
        .map(|k| Unknown {
            path: JsonPath::default(),
            kind: UnknownKind::Field(k.clone()),
        })
        .collect();
    let mut json = serde_json::to_value(&frame).map_err(|e| Failure::runtime(format!("cannot re-encode: {e}")))?;
    if let Some(payload) = payload {
        let payload = payload.map_err(|e| Failure::runtime(format!("decode error at `{}`: {}", under_payload(e.path()), e.message())))?;
        let decoded = outcome(payload)?;
        unknowns.extend(decoded.unknowns.into_iter().map(|u| Unknown {
            path: std::iter::once(PathSegment::Field("payload")).chain(u.path.segments()).collect(),
            kind: u.kind,
        }));
        json["payload"] = decoded.json;
    }
    Ok(Outcome { json, unknowns })
}

//! `lc decode`: decode one JSON document from stdin as a typed value and print it re-encoded.

use std::io::Read;

use lc_types::{Api, DecodeError, Decoded, Frame, Unknown, UnknownKind};
use serde_json::Value;

use crate::{Failure, Options};

/// What a decode produced: the re-encoded JSON and the unknown things it kept.
struct Outcome {
    json: Value,
    unknowns: Vec<Unknown>,
}

fn failed(e: DecodeError) -> Failure {
    Failure {
        code: 1,
        message: format!("decode error {e}"),
    }
}

fn outcome(value: Box<dyn Decoded>) -> Result<Outcome, Failure> {
    let json = value.to_json().map_err(|e| Failure {
        code: 1,
        message: format!("cannot re-encode: {e}"),
    })?;
    Ok(Outcome {
        json,
        unknowns: value.unknowns(),
    })
}

pub fn run(opts: &Options) -> Result<(), Failure> {
    let (kind, name) = match opts.positional.as_slice() {
        [kind] => (kind.as_str(), None),
        [kind, name] => (kind.as_str(), Some(name.as_str())),
        _ => return Err(Failure::usage("usage: lc decode [--api-version X.Y] [--strict] <KIND> [NAME]")),
    };
    let api = opts.api;
    // Check the command line before reading stdin.
    let needs_name = |what: &str| name.ok_or_else(|| Failure::usage(format!("`lc decode {kind}` needs the {what} name")));
    match kind {
        "request" | "response" => {
            let n = needs_name("action")?;
            let action = api
                .action(n)
                .ok_or_else(|| Failure::usage(format!("API v{} has no action `{n}` (see `lc actions`)", api.version)))?;
            if kind == "request" && action.request.is_none() {
                return Err(Failure::usage(format!("`{n}` has no JSON request (it is a multipart upload)")));
            }
        }
        "push" => {
            let n = needs_name("push")?;
            api.push(n)
                .ok_or_else(|| Failure::usage(format!("API v{} has no push `{n}` (see `lc actions`)", api.version)))?;
        }
        "type" => {
            let n = needs_name("type")?;
            if !api.types.contains(&n) {
                return Err(Failure::usage(format!("API v{} has no type `{n}`", api.version)));
            }
        }
        "frame" if name.is_some() => return Err(Failure::usage("`lc decode frame` takes no name: the frame's `action` says it")),
        "frame" => {}
        other => {
            return Err(Failure::usage(format!(
                "unknown kind `{other}` (request, response, push, type or frame)"
            )))
        }
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| Failure {
        code: 1,
        message: format!("cannot read stdin: {e}"),
    })?;
    let n = name.unwrap_or_default();
    let result = match kind {
        "request" => outcome((api.decode_request)(n, &text).map_err(failed)?)?,
        "response" => outcome((api.decode_response)(n, &text).map_err(failed)?)?,
        "push" => outcome((api.decode_push)(n, &text).map_err(failed)?)?,
        "type" => outcome((api.decode_type)(n, &text).expect("checked type name").map_err(failed)?)?,
        _ => frame(api, &text)?,
    };
    out!("{}", result.json);
    for u in &result.unknowns {
        err!("{u}");
    }
    if opts.strict && !result.unknowns.is_empty() {
        return Err(Failure {
            code: 3,
            message: format!("--strict: {} unknown thing(s) kept", result.unknowns.len()),
        });
    }
    Ok(())
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
/// leaves the payload as it is and is reported as unknown (`decode_any`).
fn frame(default: &'static Api, text: &str) -> Result<Outcome, Failure> {
    let frame: Frame = lc_types::from_str(text).map_err(failed)?;
    let boxed = |e: lc_types::ErrorEnvelope| Box::new(e) as Box<dyn Decoded>;
    let (extra, payload) = match &frame {
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
            let v = serde_json::to_value(other).map_err(|e| Failure {
                code: 1,
                message: format!("cannot re-encode: {e}"),
            })?;
            let tag = v.get("type").and_then(Value::as_str).map(str::to_owned);
            let unknowns = vec![Unknown {
                path: ".".into(),
                kind: UnknownKind::Variant(tag),
            }];
            return Ok(Outcome { json: v, unknowns });
        }
    };
    let mut unknowns: Vec<Unknown> = extra
        .keys()
        .map(|k| Unknown {
            path: ".".into(),
            kind: UnknownKind::Field(k.clone()),
        })
        .collect();
    let mut json = serde_json::to_value(&frame).map_err(|e| Failure {
        code: 1,
        message: format!("cannot re-encode: {e}"),
    })?;
    if let Some(payload) = payload {
        let payload = payload.map_err(|e| Failure {
            code: 1,
            message: format!("decode error at `{}`: {}", under_payload(e.path()), e.message()),
        })?;
        let decoded = outcome(payload)?;
        unknowns.extend(decoded.unknowns.into_iter().map(|u| Unknown {
            path: under_payload(&u.path),
            kind: u.kind,
        }));
        json["payload"] = decoded.json;
    }
    Ok(Outcome { json, unknowns })
}

//! Decoding with errors that name the JSON path of the failure and keep the raw text.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A payload that did not decode: where, why, and the text that was given.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::v3_6::customer::SendEventRequest;
/// let err = lc_types::from_str::<SendEventRequest>(
///     r#"{"chat_id": "PJ0MRSHTDG", "event": {"type": "message", "text": 5}}"#,
/// )
/// .unwrap_err();
/// assert_eq!(err.path(), "event.text");
/// assert!(err.to_string().starts_with("at `event.text`: invalid type: integer `5`"));
/// assert!(err.raw().contains("PJ0MRSHTDG"));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    path: String,
    message: String,
    line: usize,
    column: usize,
    raw: String,
}

/// Marks an error message that carries a path relative to where it was raised (see [`nested`]).
const NESTED: char = '\u{1}';

impl DecodeError {
    pub(crate) fn new(path: String, error: serde_json::Error, raw: String) -> Self {
        let (line, column) = (error.line(), error.column());
        let mut message = error.to_string();
        // serde_json appends " at line L column C" to errors raised while reading text.
        if line != 0 {
            if let Some(cut) = message.rfind(" at line ") {
                message.truncate(cut);
            }
        }
        let (path, message) = split_nested(&path, message);
        DecodeError {
            path,
            message,
            line,
            column,
            raw,
        }
    }

    /// The JSON path of the failure: field names joined by `.`, array items as `[i]`; `.` is the
    /// top level. A missing field is reported at the object that lacks it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What went wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Line (1-based) of the failure in the raw text; 0 when the input was not text.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Column (1-based) of the failure in the raw text; 0 when the input was not text.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The input exactly as it was given (for a `Value` input, its compact JSON text).
    pub fn raw(&self) -> &str {
        &self.raw
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The path and message quote what the peer sent (keys, values): shown bounded and
        // escaped; `path()` and `message()` keep them whole.
        let path = crate::PeerText::new(&self.path).max(200);
        write!(f, "at `{path}`: {}", crate::PeerText::new(&self.message))?;
        if self.line != 0 {
            write!(f, " (line {}, column {})", self.line, self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// Joins an outer path and an inner, relative one.
/// The text of a path, as [`DecodeError::path`] documents it: `a.b[2].c`, `.` for the top
/// level. A key that this notation cannot show as it is (empty, or holding `.`, `[`, `]` or
/// `"`) is written as a quoted index: `a[""]`, `["x.y"]`.
fn render(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        let part = match segment {
            Segment::Seq { index } => format!("[{index}]"),
            Segment::Map { key } => key_segment(key),
            Segment::Enum { variant } => key_segment(variant),
            Segment::Unknown => "?".to_owned(),
        };
        out = join(if out.is_empty() { "." } else { &out }, &part);
    }
    if out.is_empty() {
        ".".to_owned()
    } else {
        out
    }
}

/// A key as a path segment: as it is, or quoted in brackets when it would be ambiguous.
fn key_segment(key: &str) -> String {
    if key.is_empty() || key.contains(['.', '[', ']', '"']) {
        format!("[{}]", serde_json::Value::from(key))
    } else {
        key.to_owned()
    }
}

fn join(outer: &str, inner: &str) -> String {
    match (outer, inner) {
        (".", inner) => inner.to_owned(),
        (outer, ".") => outer.to_owned(),
        (outer, inner) if inner.starts_with('[') => format!("{outer}{inner}"),
        (outer, inner) => format!("{outer}.{inner}"),
    }
}

/// Splits a message produced by [`nested`] into its path (joined to `outer`) and its text.
fn split_nested(outer: &str, message: String) -> (String, String) {
    if let Some(rest) = message.strip_prefix(NESTED) {
        if let Some((inner, text)) = rest.split_once(NESTED) {
            return (join(outer, inner), text.to_owned());
        }
    }
    (outer.to_owned(), message)
}

/// Builds the message of an error raised while decoding the buffered value of the field `key`
/// (a field before a union's tag), so that the path inside the value survives into the outer
/// [`DecodeError`].
pub(crate) fn nested_at(key: &str, path: &serde_path_to_error::Path, error: &serde_json::Error) -> String {
    // The position inside the buffered value means nothing to the reader of the whole input.
    let mut message = error.to_string();
    if error.line() != 0 {
        if let Some(cut) = message.rfind(" at line ") {
            message.truncate(cut);
        }
    }
    nested_message(key, &render(path), message)
}

/// Builds the message of an error raised at `inner` (a path, `.` for the value itself) inside
/// the buffered value of the field `key`; see [`nested_at`].
pub(crate) fn nested_message(key: &str, inner: &str, message: String) -> String {
    let (inner, text) = split_nested(inner, message);
    format!("{NESTED}{}{NESTED}{text}", join(&key_segment(key), &inner))
}

/// Decodes `T` from JSON text. The error names the JSON path of the failure and keeps the text.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::v3_6::customer::Event;
/// let event: Event = lc_types::from_str(
///     r#"{"id": "Q20N9CKRX2_1", "type": "message", "text": "Hi!", "created_at": "2026-03-02T10:15:31.123456Z"}"#,
/// )
/// .unwrap();
/// assert!(matches!(event, Event::Message(_)));
/// # }
/// ```
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, DecodeError> {
    // Fast: no path tracking. Only a failure decodes again, tracking the path for the error.
    in_pass(Pass::BorrowedText, || serde_json::from_str(text))
        .or_else(|_| from_reader(serde_json::de::StrRead::new(text), || text.to_owned()))
}

/// Decodes `T` from JSON bytes; see [`from_str`]. Bytes that are not UTF-8 are kept lossily in
/// [`DecodeError::raw`].
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    in_pass(Pass::BorrowedText, || serde_json::from_slice(bytes)).or_else(|_| {
        from_reader(serde_json::de::SliceRead::new(bytes), || {
            String::from_utf8_lossy(bytes).into_owned()
        })
    })
}

/// Which decoding pass runs on this thread; the generated unions read it to choose how they
/// keep the fields that come before their tag.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// No pass of ours (e.g. `serde_json::from_value` called directly): fields are kept as
    /// values.
    Values,
    /// The fast pass of [`from_str`] and [`from_slice`], over text it may borrow from: fields are
    /// kept as raw JSON. Should a type on the way not allow that, the fast pass fails and the
    /// second pass decides.
    BorrowedText,
    /// The second pass after a fast decode failed, over the same text: fields are kept as raw
    /// JSON too, and the path of a failure inside them is kept.
    TrackingPaths,
}

std::thread_local! {
    static PASS: std::cell::Cell<Pass> = const { std::cell::Cell::new(Pass::Values) };
}

/// The pass running on this thread.
pub(crate) fn pass() -> Pass {
    PASS.with(std::cell::Cell::get)
}

/// Runs `f` as `pass`, restoring the previous pass afterwards.
fn in_pass<T>(pass: Pass, f: impl FnOnce() -> T) -> T {
    let before = PASS.with(|p| p.replace(pass));
    let result = f();
    PASS.with(|p| p.set(before));
    result
}

/// Decodes one whole JSON document, tracking the path of a failure; `raw` gives the input
/// text for the error. The slow pass, run only after a fast decode failed.
fn from_reader<'de, R: serde_json::de::Read<'de>, T: DeserializeOwned>(read: R, raw: impl Fn() -> String) -> Result<T, DecodeError> {
    in_pass(Pass::TrackingPaths, || {
        let mut de = serde_json::Deserializer::new(read);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| DecodeError::new(render(e.path()), e.into_inner(), raw()))?;
        de.end().map_err(|e| DecodeError::new(".".to_owned(), e, raw()))?;
        Ok(value)
    })
}

/// Decodes `T` from an already parsed JSON value; see [`from_str`]. The error has no line and
/// column (0), and its raw text is the value's compact JSON.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, DecodeError> {
    // Through the value's text: every input then decodes through one deserializer (text), so the
    // generated types are compiled for it alone, not also for `Value` and a path-tracking `Value`.
    from_str(&value.to_string()).map_err(|mut e| {
        (e.line, e.column) = (0, 0);
        e
    })
}

/// A decoded value of some generated type, for tools that choose the type at run time
/// (`lc decode`, the fixture tests): re-encode it and list what it holds unknown.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// let value = lc_types::v3_6::customer::decode_type("Access", r#"{"group_ids": [0]}"#).unwrap().unwrap();
/// assert_eq!(value.to_json().unwrap(), serde_json::json!({"group_ids": [0]}));
/// assert!(value.unknowns().is_empty());
/// # }
/// ```
pub trait Decoded: crate::Unknowns + fmt::Debug {
    /// Re-encodes the value as JSON.
    fn to_json(&self) -> Result<Value, serde_json::Error>;
}

impl<T: serde::Serialize + crate::Unknowns + fmt::Debug> Decoded for T {
    fn to_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

/// Serde helpers for an optional field whose value may be `null`: absent is `None`,
/// `null` is `Some(None)`, and both are written back as they came.
#[doc(hidden)]
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serializes `Some(None)` as `null` (use with `skip_serializing_if = "Option::is_none"`).
    pub fn serialize<T: Serialize, S: Serializer>(value: &Option<Option<T>>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes a present field (value or `null`) as `Some(..)` (use with `default`).
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_paths() {
        assert_eq!(join(".", "a"), "a");
        assert_eq!(join("a", "."), "a");
        assert_eq!(join("a", "[0].b"), "a[0].b");
        assert_eq!(join("a.b", "c"), "a.b.c");
    }

    #[test]
    fn syntax_errors_keep_line_and_raw() {
        let err = from_str::<Value>("{\n  \"a\": ]").unwrap_err();
        assert_eq!(err.line(), 2);
        assert_eq!(err.raw(), "{\n  \"a\": ]");
        let trailing = from_str::<Value>("{} x").unwrap_err();
        assert_eq!(trailing.path(), ".");
    }
}

#[cfg(all(test, feature = "v3_6", feature = "customer"))]
mod path_tests {
    /// Found by the `frame` and `types` fuzz targets: an error under the key `""` had the
    /// empty path, which reads as no path at all.
    #[test]
    fn keys_the_notation_cannot_show_are_quoted() {
        let e = crate::from_str::<crate::v3_6::customer::ResumeChatRequest>(r#"{"chat": {"id": 5}}"#).unwrap_err();
        assert_eq!(e.path(), "chat.id");
        let e = crate::from_str::<std::collections::BTreeMap<String, u8>>(r#"{"": "x"}"#).unwrap_err();
        assert_eq!(e.path(), r#"[""]"#);
        let e = crate::from_str::<std::collections::BTreeMap<String, Vec<u8>>>(r#"{"a.b": [1, "x"]}"#).unwrap_err();
        assert_eq!(e.path(), r#"["a.b"][1]"#);
    }
}

#[cfg(test)]
mod display_tests {
    #[test]
    fn display_is_bounded_and_escaped_while_the_accessors_keep_the_whole_text() {
        // JSON escapes: the decoded key and value hold ESC and BEL.
        let key = format!("k\\u001b[2J{}", "x".repeat(100_000));
        let value = "v\\u001b]0;t\\u0007".repeat(100_000);
        let text = format!(r#"{{"{key}": {{"a": "{value}"}}}}"#);
        let e = crate::from_str::<std::collections::BTreeMap<String, std::collections::BTreeMap<String, u8>>>(&text).unwrap_err();
        let shown = e.to_string();
        assert!(shown.len() < 3000, "{}", shown.len());
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'), "{shown}");
        // The path quotes the key (JSON-escaped), serde's message the value (Debug-escaped),
        // both whole.
        assert!(
            e.path().len() > 100_000 && e.message().len() > 1_000_000,
            "the accessors keep it whole"
        );
    }
}

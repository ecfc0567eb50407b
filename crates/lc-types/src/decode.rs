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

/// Marks an error message that carries a path relative to where it was raised (see [`nest`]).
const NESTED: char = '\u{1}';

impl DecodeError {
    /// The error `error` of decoding `raw`; the path is the one [`nest`] put into its message
    /// on the way out (`.`, the top level, when none did).
    pub(crate) fn new(error: serde_json::Error, raw: String) -> Self {
        let (message, at) = without_position(error.to_string());
        let (path, message, inner) = split_nested(message);
        // The innermost position (where the failure was read), else the outermost one.
        let (line, column) = inner.or(at).unwrap_or((error.line(), error.column()));
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

    /// The same error with `raw` as its raw text (a redacted copy of it).
    #[cfg(feature = "webhooks")]
    pub(crate) fn with_raw(self, raw: String) -> Self {
        DecodeError { raw, ..self }
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

/// A step into a JSON value, for a path: a field (or map key), or an array item.
#[derive(Clone, Copy)]
pub(crate) enum Step<'a> {
    /// A field of an object, or a key of a map.
    Key(&'a str),
    /// An item of an array.
    Index(usize),
}

/// The text of a path, as [`DecodeError::path`] documents it: `a.b[2].c`, `.` for the top
/// level. A key that this notation cannot show as it is (empty, or holding `.`, `[`, `]` or
/// `"`) is written as a quoted index: `a[""]`, `["x.y"]`.
fn step_text(step: Step<'_>) -> String {
    match step {
        Step::Index(index) => format!("[{index}]"),
        Step::Key(key) if key.is_empty() || key.contains(['.', '[', ']', '"']) => {
            format!("[{}]", serde_json::Value::from(key))
        }
        Step::Key(key) => key.to_owned(),
    }
}

/// Joins an outer path and an inner, relative one.
fn join(outer: &str, inner: &str) -> String {
    match (outer, inner) {
        (".", inner) => inner.to_owned(),
        (outer, ".") => outer.to_owned(),
        (outer, inner) if inner.starts_with('[') => format!("{outer}{inner}"),
        (outer, inner) => format!("{outer}.{inner}"),
    }
}

/// Cuts the position serde_json appends to an error read from text (` at line L column C`).
fn without_position(mut message: String) -> (String, Option<(usize, usize)>) {
    let Some(cut) = message.rfind(" at line ") else {
        return (message, None);
    };
    let position = message[cut + " at line ".len()..]
        .split_once(" column ")
        .and_then(|(line, column)| Some((line.parse().ok()?, column.parse().ok()?)));
    if position.is_some() {
        message.truncate(cut);
    }
    (message, position)
}

/// Splits a message produced by [`nest`] into its path, its text and the position where the
/// failure was read.
fn split_nested(message: String) -> (String, String, Option<(usize, usize)>) {
    let parts = message
        .strip_prefix(NESTED)
        .and_then(|rest| rest.split_once(NESTED))
        .and_then(|(path, rest)| Some((path, rest.split_once(NESTED)?)));
    match parts {
        Some((path, (position, text))) => {
            let position = position
                .split_once(':')
                .and_then(|(line, column)| Some((line.parse().ok()?, column.parse().ok()?)));
            (path.to_owned(), text.to_owned(), position.filter(|&(line, _)| line != 0))
        }
        None => (".".to_owned(), message, None),
    }
}

/// The message of an error that happened at `step` inside the value being decoded: the error's
/// path gains `step` in front, and the position where the failure was read is kept (the
/// deserializer gives the outer error the position where the outer value ended). This is how
/// the generated types name the path of a failure in one pass: every field, item and map entry
/// they read puts its step in front of the error of its value on the way out (only when
/// decoding failed), so no second, path-tracking decoder is compiled for every type.
pub(crate) fn nest(step: Step<'_>, message: String) -> String {
    let (message, at) = without_position(message);
    let (inner, text, position) = split_nested(message);
    let (line, column) = position.or(at).unwrap_or((0, 0));
    format!("{NESTED}{}{NESTED}{line}:{column}{NESTED}{text}", join(&step_text(step), &inner))
}

/// The message of `error` (of a value decoded on its own) for the decoder of the value around
/// it: its path kept, its position dropped, as [`relocated`] does.
#[cfg(feature = "webhooks")]
pub(crate) fn nested_message(error: &DecodeError) -> String {
    match error.path.as_str() {
        "." => error.message.clone(),
        path => format!("{NESTED}{path}{NESTED}0:0{NESTED}{}", error.message),
    }
}

/// The message of an error of a value that was decoded on its own (a field kept aside before a
/// union's tag): its path kept, its position dropped (it counts from the start of that value,
/// which means nothing to the reader of the whole input).
pub(crate) fn relocated(message: String) -> String {
    let (message, _) = without_position(message);
    match split_nested(message) {
        (path, text, _) if path != "." => format!("{NESTED}{path}{NESTED}0:0{NESTED}{text}"),
        (_, text, _) => text,
    }
}

/// Decodes `T` from JSON text. The error names the JSON path of the failure and keeps the text.
///
/// The path is named by lc's own types as the failure travels out of them (each field, array
/// item and map entry they read adds its step), in the one decoding pass: exact from the
/// outermost lc type inward. A type of your own that is not one of lc's reports the path from
/// the first lc type it holds (`.` when it holds none); decode it with `serde_path_to_error` if
/// you need its path.
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
    in_pass(Pass::BorrowedText, || serde_json::from_str(text)).map_err(|e| DecodeError::new(e, text.to_owned()))
}

/// Decodes `T` from JSON bytes; see [`from_str`]. Bytes that are not UTF-8 are kept lossily in
/// [`DecodeError::raw`].
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    in_pass(Pass::BorrowedText, || serde_json::from_slice(bytes))
        .map_err(|e| DecodeError::new(e, String::from_utf8_lossy(bytes).into_owned()))
}

/// Decodes `text` with `seed` in the pass [`from_str`] runs; the error keeps the text.
pub(crate) fn from_str_seed<'de, S: serde::de::DeserializeSeed<'de>>(text: &'de str, seed: S) -> Result<S::Value, DecodeError> {
    in_pass(Pass::BorrowedText, || {
        let mut de = serde_json::Deserializer::from_str(text);
        let value = seed.deserialize(&mut de)?;
        de.end()?;
        Ok(value)
    })
    .map_err(|e| DecodeError::new(e, text.to_owned()))
}

/// Which decoding pass runs on this thread; the generated unions read it to choose how they
/// keep the fields that come before their tag.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// No pass of ours (e.g. `serde_json::from_value` called directly): fields are kept as
    /// values.
    Values,
    /// [`from_str`] or [`from_slice`], over text it may borrow from: fields are kept as raw
    /// JSON.
    BorrowedText,
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

/// A map of arrays, as the generated newtypes of a map are declared.
#[cfg(test)]
#[derive(Debug, serde::Deserialize)]
pub(crate) struct MapOf<T: crate::object::Field>(
    #[serde(deserialize_with = "crate::object::field")]
    #[allow(dead_code)]
    std::collections::BTreeMap<String, T>,
);

#[cfg(test)]
impl<T: crate::object::Field> crate::object::Field for MapOf<T> {}

#[cfg(test)]
pub(crate) mod path_tests {
    use super::MapOf;

    /// Found by the `frame` and `types` fuzz targets: an error under the key `""` had the
    /// empty path, which reads as no path at all.
    #[test]
    fn keys_the_notation_cannot_show_are_quoted() {
        let e = crate::from_str::<MapOf<u8>>(r#"{"": "x"}"#).unwrap_err();
        assert_eq!(e.path(), r#"[""]"#);
        let e = crate::from_str::<MapOf<Vec<u8>>>(r#"{"a.b": [1, "x"]}"#).unwrap_err();
        assert_eq!(e.path(), r#"["a.b"][1]"#);
    }

    #[cfg(all(feature = "v3_6", feature = "customer"))]
    #[test]
    fn the_path_goes_through_structs_unions_arrays_and_maps_and_keeps_the_position() {
        use crate::v3_6::customer::{ResumeChatRequest, SendEventRequest};
        let e = crate::from_str::<ResumeChatRequest>(r#"{"chat": {"id": 5}}"#).unwrap_err();
        assert_eq!((e.path(), e.message()), ("chat.id", "invalid type: integer `5`, expected a string"));
        assert_eq!((e.line(), e.column()), (1, 17));
        // Through a union: a field after the tag, and one before it (kept aside, decoded
        // once the tag is known).
        let text = "{\"chat_id\": \"C\",\n \"event\": {\"type\": \"message\", \"text\": 5}}";
        let e = crate::from_str::<SendEventRequest>(text).unwrap_err();
        assert_eq!((e.path(), e.line(), e.column()), ("event.text", 2, 39));
        let e = crate::from_str::<SendEventRequest>(r#"{"chat_id": "C", "event": {"text": [5], "type": "message"}}"#).unwrap_err();
        assert_eq!((e.path(), e.message()), ("event.text", "invalid type: sequence, expected a string"));
        let text = r#"{"chat_id": "C", "event": {"properties": {"ns": 5}, "type": "message", "text": "t"}}"#;
        let e = crate::from_str::<SendEventRequest>(text).unwrap_err();
        assert_eq!(e.path(), "event.properties.ns");
        let e = crate::from_str::<crate::v3_6::customer::LoginRequest>(r#"{"token": "t", "pushes": {"3.6": ["a", 5]}}"#).unwrap_err();
        assert_eq!(e.path(), r#"pushes["3.6"][1]"#);
        // A value that is not JSON at all: the path to where the text broke off.
        let e = crate::from_str::<ResumeChatRequest>(r#"{"chat": {"id": "C", "thread": {"#).unwrap_err();
        assert_eq!(e.path(), "chat.thread");
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
        let e = crate::from_str::<super::MapOf<super::MapOf<u8>>>(&text).unwrap_err();
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

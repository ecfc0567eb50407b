//! Finding what a decoded value kept without knowing it: unknown fields, enum values, union
//! variants, actions and pushes.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// One thing a decoded value holds that its schema does not describe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    /// JSON path of the thing; printed (`.` is the top level) in the format of
    /// [`crate::DecodeError::path`], walked with [`JsonPath::segments`].
    pub path: JsonPath,
    /// What it is.
    pub kind: UnknownKind,
}

/// The kinds of [`Unknown`] things.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownKind {
    /// An object field the schema does not list (kept in the struct's `extra` map).
    Field(String),
    /// A string enum value the schema does not list (kept as its text: the enum's `as_str()`).
    EnumValue(String),
    /// A union member whose tag the schema does not list (kept as raw JSON, a
    /// [`crate::UnknownVariant`]); `None` when the object had no string tag.
    Variant(Option<String>),
    /// An action the API version does not have (kept as raw JSON, a [`crate::UnknownPayload`]).
    Action(String),
    /// A push the API version does not have (kept as raw JSON, a [`crate::UnknownPayload`]).
    Push(String),
    /// A webhook action the API version does not have (kept as raw JSON, a
    /// [`crate::UnknownPayload`]).
    Webhook(String),
    /// A frame in an API version this build does not have (its cargo feature is off, or the
    /// version is newer); the payload is kept as raw JSON.
    Version(String),
}

impl fmt::Display for Unknown {
    /// `unknown field `x` at `chat.thread``, and so on.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            UnknownKind::Field(name) => write!(f, "unknown field `{name}` at `{}`", self.path),
            UnknownKind::EnumValue(value) => {
                write!(f, "unknown enum value `{value}` at `{}`", self.path)
            }
            UnknownKind::Variant(Some(tag)) => {
                write!(f, "unknown variant `{tag}` at `{}`", self.path)
            }
            UnknownKind::Variant(None) => write!(f, "unknown variant (no tag) at `{}`", self.path),
            UnknownKind::Action(name) => write!(f, "unknown action `{name}` at `{}`", self.path),
            UnknownKind::Push(name) => write!(f, "unknown push `{name}` at `{}`", self.path),
            UnknownKind::Webhook(name) => write!(f, "unknown webhook `{name}` at `{}`", self.path),
            UnknownKind::Version(v) => write!(f, "API version `{v}` not in this build, at `{}`", self.path),
        }
    }
}

/// Walks a decoded value and reports every [`Unknown`] it holds.
///
/// Implemented for every generated type. Use it to notice that LiveChat sends something newer than
/// your schemas (nothing is lost either way: unknown things are kept and re-encoded).
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::{Unknowns, UnknownKind};
/// use lc_types::v3_6::customer::GetCustomerResponse;
/// let customer: GetCustomerResponse = lc_types::from_str(
///     r#"{"id": "b7eff798-f8df-4364-8059-649c35c9ed0c", "type": "customer", "mood": "happy"}"#,
/// )
/// .unwrap();
/// let unknowns = customer.unknowns();
/// assert_eq!(unknowns.len(), 1);
/// assert_eq!(unknowns[0].kind, UnknownKind::Field("mood".into()));
/// # }
/// ```
pub trait Unknowns {
    /// Calls `found` for every unknown thing below `path`.
    fn visit_unknowns(&self, path: &mut JsonPath, found: &mut dyn FnMut(Unknown));

    /// Every unknown thing in the value: fields in declaration order, a struct's unknown fields after its known ones.
    fn unknowns(&self) -> Vec<Unknown> {
        let mut all = Vec::new();
        self.visit_unknowns(&mut JsonPath::default(), &mut |u| all.push(u));
        all
    }
}

/// A JSON path: the fields and indexes from the top of a value down to one place in it.
/// Printed as `chat.thread.events[2]` (`.` for the top level); walked with
/// [`JsonPath::segments`], which tells a field named `a.b` from two fields. [`Unknowns`]
/// builds one as it walks a value; [`FromIterator`] builds one from segments.
///
/// ```
/// use lc_types::{JsonPath, PathSegment};
/// let path: JsonPath = [PathSegment::Field("events"), PathSegment::Index(2), PathSegment::Field("a.b")].into_iter().collect();
/// assert_eq!(path.as_str(), "events[2].a.b");
/// assert_eq!(path.segments().last(), Some(PathSegment::Field("a.b")));
/// assert_eq!(JsonPath::default().as_str(), ".");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonPath {
    /// The path as printed (empty for the top level).
    text: String,
    /// Each segment: a field name's byte range in `text`, or an index.
    steps: Vec<Step>,
}

/// Where a [`JsonPath`] segment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Field(usize, usize),
    Index(usize),
}

/// One segment of a [`JsonPath`]: an object's field or an array's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathSegment<'a> {
    /// The field of this name.
    Field(&'a str),
    /// The item at this index.
    Index(usize),
}

impl JsonPath {
    /// The path as text; `.` for the top level.
    pub fn as_str(&self) -> &str {
        if self.text.is_empty() {
            "."
        } else {
            &self.text
        }
    }

    /// The segments from the top level down (none for the top level).
    pub fn segments(&self) -> impl ExactSizeIterator<Item = PathSegment<'_>> + DoubleEndedIterator + '_ {
        self.steps.iter().map(|step| match *step {
            Step::Field(start, end) => PathSegment::Field(&self.text[start..end]),
            Step::Index(i) => PathSegment::Index(i),
        })
    }

    /// Appends `segment`.
    fn push(&mut self, segment: PathSegment<'_>) {
        match segment {
            PathSegment::Field(name) => {
                if !self.text.is_empty() {
                    self.text.push('.');
                }
                let start = self.text.len();
                self.text.push_str(name);
                self.steps.push(Step::Field(start, self.text.len()));
            }
            PathSegment::Index(index) => {
                use std::fmt::Write;
                let _ = write!(self.text, "[{index}]");
                self.steps.push(Step::Index(index));
            }
        }
    }

    /// Runs `f` with `segment` appended.
    fn with<R>(&mut self, segment: PathSegment<'_>, f: impl FnOnce(&mut JsonPath) -> R) -> R {
        let len = self.text.len();
        self.push(segment);
        let r = f(self);
        self.steps.pop();
        self.text.truncate(len);
        r
    }

    /// Runs `f` with `.field` appended.
    pub fn field<R>(&mut self, name: &str, f: impl FnOnce(&mut JsonPath) -> R) -> R {
        self.with(PathSegment::Field(name), f)
    }

    /// Runs `f` with `[index]` appended.
    pub fn index<R>(&mut self, index: usize, f: impl FnOnce(&mut JsonPath) -> R) -> R {
        self.with(PathSegment::Index(index), f)
    }

    /// Reports `kind` at this path.
    pub fn report(&self, kind: UnknownKind, found: &mut dyn FnMut(Unknown)) {
        found(Unknown { path: self.clone(), kind });
    }

    /// Reports every key of an `extra` map as an unknown field.
    pub fn report_fields(&self, extra: &serde_json::Map<String, Value>, found: &mut dyn FnMut(Unknown)) {
        for name in extra.keys() {
            self.report(UnknownKind::Field(name.clone()), found);
        }
    }
}

impl<'a> FromIterator<PathSegment<'a>> for JsonPath {
    fn from_iter<I: IntoIterator<Item = PathSegment<'a>>>(segments: I) -> Self {
        let mut path = JsonPath::default();
        for segment in segments {
            path.push(segment);
        }
        path
    }
}

impl fmt::Display for JsonPath {
    /// [`JsonPath::as_str`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Types that hold nothing unknown by construction.
macro_rules! nothing_unknown {
    ($($t:ty),*) => {$(
        impl Unknowns for $t {
            fn visit_unknowns(&self, _: &mut JsonPath, _: &mut dyn FnMut(Unknown)) {}
        }
    )*};
}

nothing_unknown!(
    String, bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, Value,
    serde_json::Map<String, Value>, crate::Timestamp, crate::ApiVersion
);

impl<T: Unknowns> Unknowns for Option<T> {
    fn visit_unknowns(&self, path: &mut JsonPath, found: &mut dyn FnMut(Unknown)) {
        if let Some(v) = self {
            v.visit_unknowns(path, found);
        }
    }
}

impl<T: Unknowns> Unknowns for Box<T> {
    fn visit_unknowns(&self, path: &mut JsonPath, found: &mut dyn FnMut(Unknown)) {
        (**self).visit_unknowns(path, found);
    }
}

impl<T: Unknowns> Unknowns for Vec<T> {
    fn visit_unknowns(&self, path: &mut JsonPath, found: &mut dyn FnMut(Unknown)) {
        for (i, v) in self.iter().enumerate() {
            path.index(i, |p| v.visit_unknowns(p, found));
        }
    }
}

impl<T: Unknowns> Unknowns for BTreeMap<String, T> {
    fn visit_unknowns(&self, path: &mut JsonPath, found: &mut dyn FnMut(Unknown)) {
        for (k, v) in self {
            path.field(k, |p| v.visit_unknowns(p, found));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nest() {
        let mut p = JsonPath::default();
        assert_eq!(p.as_str(), ".");
        p.field("a", |p| p.index(2, |p| p.field("b", |p| assert_eq!(p.as_str(), "a[2].b"))));
        assert_eq!(p.as_str(), ".");
        assert_eq!(p.segments().count(), 0);
    }

    /// The segments are the steps taken, a field whose name holds `.` or `[` included.
    #[test]
    fn segments_are_the_steps_taken() {
        let mut p = JsonPath::default();
        let seen = p.field("a.b", |p| p.index(3, |p| p.field("c[0]", |p| p.clone())));
        assert_eq!(seen.as_str(), "a.b[3].c[0]");
        let segments: Vec<PathSegment> = seen.segments().collect();
        assert_eq!(
            segments,
            [PathSegment::Field("a.b"), PathSegment::Index(3), PathSegment::Field("c[0]")]
        );
        assert_eq!(seen.segments().collect::<JsonPath>(), seen);
        assert_eq!(p, JsonPath::default());
    }
}

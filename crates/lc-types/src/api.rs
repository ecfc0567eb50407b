//! [`Api`]: what one API version offers, for tools that choose the version and type at run time.

use crate::{ActionInfo, ApiVersion, DecodeError, Decoded, PushInfo};

/// A decoder chosen at run time: `(name, JSON text)` to a decoded value.
pub type DecodeFn = fn(&str, &str) -> Result<Box<dyn Decoded>, DecodeError>;

/// A decoder by type name: `None` when the version has no type of that name.
pub type DecodeTypeFn = fn(&str, &str) -> Option<Result<Box<dyn Decoded>, DecodeError>>;

/// The tables and run-time decoders of one API version (each generated module's `API`).
///
/// ```
/// # #[cfg(feature = "v3_6")] {
/// let api = lc_types::api("3.6".parse().unwrap()).expect("feature v3_6 is on by default");
/// assert!(api.actions.iter().any(|a| a.name == "send_event"));
/// let push = (api.decode_push)("greeting_accepted", r#"{"unique_id": "u1"}"#).unwrap();
/// assert!(push.unknowns().is_empty());
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Api {
    /// The version.
    pub version: ApiVersion,
    /// Every action.
    pub actions: &'static [ActionInfo],
    /// Every push.
    pub pushes: &'static [PushInfo],
    /// The name of every type, sorted.
    pub types: &'static [&'static str],
    /// Decodes a request payload by action name (an unknown name gives an unknown `AnyRequest`).
    pub decode_request: DecodeFn,
    /// Decodes a response payload by action name (an unknown name gives an unknown `AnyResponse`).
    pub decode_response: DecodeFn,
    /// Decodes a push payload by push name (an unknown name gives an unknown `AnyPush`).
    pub decode_push: DecodeFn,
    /// Decodes JSON as the type of that name; `None` when the version has no such type.
    pub decode_type: DecodeTypeFn,
}

impl Api {
    /// The action called `name`, if this version has it.
    pub fn action(&self, name: &str) -> Option<&'static ActionInfo> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// The push called `name`, if this version has it.
    pub fn push(&self, name: &str) -> Option<&'static PushInfo> {
        self.pushes.iter().find(|p| p.name == name)
    }
}

/// The API of `version`, when its cargo feature is on.
pub fn api(version: ApiVersion) -> Option<&'static Api> {
    crate::generated::APIS.iter().copied().find(|a| a.version == version)
}

/// Every API version compiled in (by cargo feature), oldest first.
pub fn apis() -> &'static [&'static Api] {
    crate::generated::APIS
}

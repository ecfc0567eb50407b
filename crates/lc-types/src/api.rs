//! [`Api`]: what one API version offers, for tools that choose the version and type at run time.

use serde_json::Value;

use crate::{ActionInfo, ApiVersion, DecodeError, Decoded, JsonPath, PushInfo};

/// A decoder chosen at run time: `(name, JSON text)` to a decoded value.
pub type DecodeFn = fn(&str, &str) -> Result<Box<dyn Decoded>, DecodeError>;

/// A decoder by type name: `None` when the version has no type of that name.
pub type DecodeTypeFn = fn(&str, &str) -> Option<Result<Box<dyn Decoded>, DecodeError>>;

/// The tables and run-time decoders of one API in one version (the `API` of each API's module:
/// `lc_types::v3_6::customer::API`, `lc_types::v3_6::agent::API`).
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// let api = lc_types::api(lc_types::ChatApi::Customer, "3.6".parse().unwrap()).expect("feature v3_6 is on by default");
/// assert!(api.actions.iter().any(|a| a.name == "send_event"));
/// let push = (api.decode_push)("greeting_accepted", r#"{"unique_id": "u1"}"#).unwrap();
/// assert!(push.unknowns().is_empty());
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Api {
    /// The API.
    pub api: crate::ChatApi,
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

    /// A request payload built as JSON at run time (a CLI's argument, a `call_value`), passed
    /// through the action's typed request: a payload that does not decode is refused (the
    /// error names the JSON path), and a `null` given for an optional field that the schema
    /// does not make nullable is dropped and reported in [`CheckedRequest::dropped_nulls`],
    /// since the API refuses `null` there and the typed request never sends one. Everything
    /// else comes out as it went in: unknown fields, and every field of an action this version
    /// does not know.
    ///
    /// ```
    /// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
    /// let api = lc_types::api(lc_types::ChatApi::Customer, "3.6".parse().unwrap()).unwrap();
    /// let checked = api.check_request("list_chats", &serde_json::json!({"limit": null, "mood": null})).unwrap();
    /// assert_eq!(checked.payload, serde_json::json!({"mood": null}));   // unknown fields are kept as sent
    /// assert_eq!(checked.dropped_nulls, ["limit"]);
    /// let error = api.check_request("list_chats", &serde_json::json!({"limit": "ten"})).unwrap_err();
    /// assert_eq!(error.path(), "limit");
    /// # }
    /// ```
    pub fn check_request(&self, action: &str, payload: &Value) -> Result<CheckedRequest, DecodeError> {
        let text = payload.to_string();
        let typed = (self.decode_request)(action, &text)?;
        let encoded = typed.to_json().map_err(|e| DecodeError::new(e, text.clone()))?;
        let mut dropped_nulls = Vec::new();
        dropped(payload, &encoded, &mut JsonPath::default(), &mut dropped_nulls);
        Ok(CheckedRequest {
            payload: encoded,
            dropped_nulls,
        })
    }
}

/// A request payload checked by [`Api::check_request`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CheckedRequest {
    /// The payload as the typed request writes it.
    pub payload: Value,
    /// The JSON paths of the `null`s that were dropped (`limit`, `chat.thread.events[0].postback`).
    pub dropped_nulls: Vec<String>,
}

/// Collects the paths of `null` members of `given` that `written` does not have.
fn dropped(given: &Value, written: &Value, path: &mut JsonPath, out: &mut Vec<String>) {
    match (given, written) {
        (Value::Object(given), Value::Object(written)) => {
            for (key, value) in given {
                path.field(key, |path| match written.get(key) {
                    None if value.is_null() => out.push(path.as_str().to_owned()),
                    Some(w) => dropped(value, w, path, out),
                    None => {}
                });
            }
        }
        (Value::Array(given), Value::Array(written)) => {
            for (i, (g, w)) in given.iter().zip(written).enumerate() {
                path.index(i, |path| dropped(g, w, path, out));
            }
        }
        _ => {}
    }
}

/// The tables of API `api` in `version`, when the cargo features of both are on.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "agent"))] {
/// use lc_types::{ApiVersion, ChatApi};
/// let agent = lc_types::api(ChatApi::Agent, ApiVersion::V3_6).expect("features v3_6 and agent");
/// assert!(agent.action("transfer_chat").is_some());
/// # }
/// ```
pub fn api(api: crate::ChatApi, version: ApiVersion) -> Option<&'static Api> {
    crate::generated::APIS
        .iter()
        .copied()
        .find(|a| a.api == api && a.version == version)
}

/// Every API of every version compiled in (by cargo feature), oldest version first.
pub fn apis() -> &'static [&'static Api] {
    crate::generated::APIS
}

#[cfg(all(test, feature = "v3_6", feature = "customer"))]
mod tests {
    use serde_json::json;

    #[test]
    fn check_request_drops_nulls_the_schema_does_not_allow_and_names_their_paths() {
        let api = crate::api(crate::ChatApi::Customer, crate::ApiVersion::V3_6).expect("v3_6");
        let given = json!({"active": null, "chat": {"thread": {"events": [{"type": "message", "text": "Hi", "recipients": null}]}}});
        let checked = api.check_request("start_chat", &given).unwrap();
        assert_eq!(
            checked.payload,
            json!({"chat": {"thread": {"events": [{"type": "message", "text": "Hi"}]}}})
        );
        assert_eq!(checked.dropped_nulls, ["active", "chat.thread.events[0].recipients"]);
        // Nothing to drop: the payload comes out as it went in.
        let plain = json!({"chat_id": "C1", "event": {"type": "message", "text": "Hi", "new_field": [1, null]}});
        let checked = api.check_request("send_event", &plain).unwrap();
        assert_eq!((checked.payload, checked.dropped_nulls.len()), (plain, 0));
        // An action this version does not know passes through, nulls included.
        let checked = api.check_request("brand_new_action", &json!({"x": null})).unwrap();
        assert_eq!(checked.payload, json!({"x": null}));
        // A wrong type is refused with its path.
        let error = api
            .check_request("send_event", &json!({"chat_id": 5, "event": {"type": "message", "text": "Hi"}}))
            .unwrap_err();
        assert_eq!(error.path(), "chat_id");
    }
}

//! What a transport reports when an answer is not the response: [`ApiError`] (the API said no)
//! inside [`ResponseError`] (which also covers answers that do not decode).

use std::fmt;

use serde_json::Value;

use crate::{DecodeError, ErrorEnvelope, ErrorType, PeerText, Region};

/// The characters of an unknown error type shown by `Display` (known types are short).
const TYPE_SHOWN: usize = 100;
/// The characters of a body without an envelope shown by `Display`.
const BODY_SHOWN: usize = 200;
/// The characters of a decode error's JSON path shown by `Display`.
const PATH_SHOWN: usize = 200;

/// An error the API answered with: its error envelope, the HTTP status (Web API only) and the
/// raw body, exactly as received.
///
/// The accessors give the text as the peer sent it; `Display` shows it through [`PeerText`]:
/// control characters (ANSI/OSC escapes, line breaks) escaped and a long message cut (at
/// [`PeerText::DEFAULT_MAX`] characters, saying how many bytes were left out), so printing an
/// error never floods or drives a terminal.
///
/// ```
/// use lc_types::{ApiError, ErrorEnvelope, ErrorType, Region};
/// let raw = r#"{"error":{"type":"misdirected_request","message":"Wrong region","data":{"region":"fra"}}}"#;
/// let error = ApiError::new(lc_types::from_str::<ErrorEnvelope>(raw)?, Some(421), raw);
/// assert_eq!(error.kind(), &ErrorType::MisdirectedRequest);
/// assert_eq!(error.message(), "Wrong region");
/// assert_eq!(error.status(), Some(421));
/// assert_eq!(error.region(), Some(Region::FRA));
/// assert_eq!(error.raw(), raw);
/// assert_eq!(error.to_string(), "misdirected_request: Wrong region (HTTP 421)");
/// # Ok::<(), lc_types::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError(Box<Parts>);

/// What an [`ApiError`] holds (boxed: errors travel in `Result`s and should stay small).
#[derive(Clone, Debug, PartialEq)]
struct Parts {
    envelope: ErrorEnvelope,
    status: Option<u16>,
    raw: String,
}

impl ApiError {
    /// An error from its decoded envelope, the HTTP status (`None` over RTM) and the raw text it
    /// was decoded from (the Web body, or the RTM frame's `payload`).
    pub fn new(envelope: ErrorEnvelope, status: Option<u16>, raw: impl Into<String>) -> Self {
        ApiError(Box::new(Parts {
            envelope,
            status,
            raw: raw.into(),
        }))
    }

    /// What kind of error it is (`error.type`); decide on this, not on the message or status.
    pub fn kind(&self) -> &ErrorType {
        &self.0.envelope.error.type_
    }

    /// The human-readable explanation (`error.message`).
    pub fn message(&self) -> &str {
        &self.0.envelope.error.message
    }

    /// The details (`error.data`), for the types that carry them.
    pub fn data(&self) -> Option<&Value> {
        self.0.envelope.error.data.as_ref()
    }

    /// The HTTP status of a Web API answer; `None` over RTM.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The body (Web) or frame payload (RTM) exactly as received.
    pub fn raw(&self) -> &str {
        &self.0.raw
    }

    /// The region to use instead, when the API names one (`data.region`, sent with
    /// `misdirected_request`).
    pub fn region(&self) -> Option<Region> {
        self.data()?.get("region")?.as_str().map(Region::from)
    }

    /// The decoded envelope, with any field this crate does not know.
    pub fn envelope(&self) -> &ErrorEnvelope {
        &self.0.envelope
    }

    /// The decoded envelope.
    pub fn into_envelope(self) -> ErrorEnvelope {
        self.0.envelope
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = PeerText::new(self.kind().as_str()).max(TYPE_SHOWN);
        write!(f, "{kind}: {}", PeerText::new(self.message()))?;
        if let Some(status) = self.0.status {
            write!(f, " (HTTP {status})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// An answer that is not the expected response.
///
/// Three cases that are never confused: the API reported an error ([`ResponseError::Api`]); a
/// successful answer did not decode as the response ([`ResponseError::Decode`], with the JSON
/// path and raw text); or a failed HTTP answer did not carry the API's error envelope
/// ([`ResponseError::Status`], e.g. a proxy's HTML 502 page).
///
/// `Display` shows peer text (messages, bodies, paths) escaped and cut through [`PeerText`];
/// [`ResponseError::raw`] and the inner errors' accessors keep it whole.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::{web, ResponseError};
/// use lc_types::v3_6::customer::GetCustomerRequest;
/// let err = web::decode_response::<GetCustomerRequest>(502, b"<html>Bad Gateway</html>").unwrap_err();
/// assert!(matches!(err, ResponseError::Status { status: 502, .. }));
/// assert_eq!((err.status(), err.raw()), (Some(502), "<html>Bad Gateway</html>"));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ResponseError {
    /// The API answered with its error envelope.
    Api(ApiError),
    /// A successful answer (HTTP 2xx, or an RTM response with `success: true`) whose body is
    /// not the response; also an RTM `success: false` payload that is not an error envelope.
    Decode(DecodeError),
    /// An HTTP status other than 2xx whose body is not the API's error envelope.
    Status {
        /// The HTTP status.
        status: u16,
        /// The body as received (lossily decoded when it is not UTF-8).
        body: String,
    },
}

impl ResponseError {
    /// The API error, when the API reported one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            ResponseError::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, when the answer came over HTTP and it is known here.
    pub fn status(&self) -> Option<u16> {
        match self {
            ResponseError::Api(e) => e.status(),
            ResponseError::Decode(_) => None,
            ResponseError::Status { status, .. } => Some(*status),
        }
    }

    /// The text that was received.
    pub fn raw(&self) -> &str {
        match self {
            ResponseError::Api(e) => e.raw(),
            ResponseError::Decode(e) => e.raw(),
            ResponseError::Status { body, .. } => body,
        }
    }
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::Api(e) => write!(f, "API error {e}"),
            ResponseError::Decode(e) => {
                f.write_str("the response does not decode: ")?;
                fmt_decode_error(e, f)
            }
            ResponseError::Status { status, body } => {
                write!(
                    f,
                    "HTTP {status} without an API error envelope: {}",
                    PeerText::new(body).max(BODY_SHOWN)
                )
            }
        }
    }
}

/// A [`DecodeError`] as its `Display` words it, with its path and message (which quote the
/// peer's keys and values) escaped and cut through [`PeerText`].
fn fmt_decode_error(e: &DecodeError, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(
        f,
        "at `{}`: {}",
        PeerText::new(e.path()).max(PATH_SHOWN),
        PeerText::new(e.message())
    )?;
    if e.line() != 0 {
        write!(f, " (line {}, column {})", e.line(), e.column())?;
    }
    Ok(())
}

impl std::error::Error for ResponseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Display already shows the inner error: forward to its source, so that error
            // chains do not print it twice.
            ResponseError::Api(e) => e.source(),
            ResponseError::Decode(e) => e.source(),
            ResponseError::Status { .. } => None,
        }
    }
}

impl From<ApiError> for ResponseError {
    fn from(e: ApiError) -> Self {
        ResponseError::Api(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An API error answer whose message is `message` and type `kind`.
    fn api(kind: &str, message: &str) -> ApiError {
        let raw = serde_json::json!({"error": {"type": kind, "message": message}}).to_string();
        ApiError::new(crate::from_str::<ErrorEnvelope>(&raw).unwrap(), Some(400), raw)
    }

    #[test]
    fn display_bounds_and_escapes_peer_text_and_the_accessors_keep_it_whole() {
        // 15.7 MB of message: `Display` shows a bounded part, `message()` and `raw()` all of it.
        let huge = "m".repeat(15_700_000);
        let e = api("validation", &huge);
        let shown = e.to_string();
        assert!(shown.len() < 2000, "{}", shown.len());
        assert!(shown.starts_with("validation: mmm"), "{}", &shown[..40]);
        assert!(
            shown.ends_with(&format!("… ({} more bytes) (HTTP 400)", 15_700_000 - PeerText::DEFAULT_MAX)),
            "{shown}"
        );
        assert_eq!(e.message().len(), huge.len());
        assert!(e.raw().len() > huge.len());
        let response = ResponseError::Api(e);
        assert!(response.to_string().len() < 2000);

        // Terminal escapes (ANSI colour, OSC title, a clear screen) are shown escaped.
        let hostile = "\u{1b}[31mred\u{1b}]0;owned\u{7}\u{1b}[2J\r\nfake prompt $ ";
        let e = api("\u{1b}[2Jnew_type", hostile);
        let shown = e.to_string();
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert_eq!(
            shown,
            r"\u{1b}[2Jnew_type: \u{1b}[31mred\u{1b}]0;owned\u{7}\u{1b}[2J\r\nfake prompt $  (HTTP 400)"
        );
        assert_eq!(e.message(), hostile);
        // An unknown type is cut too.
        let e = api(&"t".repeat(100_000), "m");
        assert!(e.to_string().len() < 200, "{}", e.to_string().len());
    }

    #[test]
    fn bodies_and_decode_errors_are_bounded_and_escaped() {
        let body = format!("\u{1b}]8;;http://evil\u{7}{}", "b".repeat(1 << 20));
        let e = ResponseError::Status {
            status: 502,
            body: body.clone(),
        };
        let shown = e.to_string();
        assert!(
            shown.starts_with(r"HTTP 502 without an API error envelope: \u{1b}]8;;http://evil\u{7}bbb"),
            "{shown}"
        );
        assert!(shown.len() < 400, "{}", shown.len());
        assert_eq!(e.raw(), body);
        // A decode error quotes the peer's key (in its path) and value (in its message).
        let key = format!("k\u{1b}[2J{}", "k".repeat(1 << 20));
        let value = format!("v\u{1b}[2J{}", "v".repeat(1 << 20));
        let raw = serde_json::json!({ key: {"x": [value]} }).to_string();
        let d = crate::from_str::<crate::decode::MapOf<crate::decode::MapOf<Vec<u32>>>>(&raw).unwrap_err();
        let e = ResponseError::Decode(d);
        let shown = e.to_string();
        assert!(shown.len() < 3000, "{}", shown.len());
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(shown.starts_with(r#"the response does not decode: at `["k\u001b[2Jkkk"#), "{shown}");
        assert_eq!(e.raw(), raw);
    }
}

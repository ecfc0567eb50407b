//! The Web API (HTTP) as data, without I/O: requests become an [`HttpRequest`] (method, path,
//! query, protocol headers, body) and answers (status and body bytes) decode into the response
//! or a [`ResponseError`]. `lc-web` sends what this module builds; `lc-mock` reads requests and
//! writes errors with the same functions and types.
//!
//! The wire form (reference §5.1):
//! - `POST /v{X.Y}/customer/action/{action}?organization_id=…` with the request as the JSON body
//!   and `Content-Type: application/json`; the request's absent optional fields are not sent.
//! - `GET` for `list_license_properties`, `list_group_properties`, `get_dynamic_configuration`,
//!   `get_configuration` and `get_localization`: every request field is a query pair next to
//!   `organization_id` (see [`encode_query`]), and there is no body.
//! - `upload_file`: `multipart/form-data` with one part named `file` ([`FilePart`]).
//! - `X-Region: <region>` when a region is given (see [`Region`]); `Authorization` (`Bearer
//!   <token>`, or `Basic` for a [`PersonalAccessToken`](crate::auth::PersonalAccessToken)) and
//!   a bot's [`X_AUTHOR_ID`] are the transport's business (tokens never pass through this
//!   module).
//! - Success is HTTP 2xx with the response as JSON; failure is any other status with the error
//!   envelope `{"error": {"type", "message", "data"?}}`. The docs give no status table, so the
//!   type decides, never the status ([`decode`]).
//!
//! ```
//! # #[cfg(all(feature = "v3_6", feature = "customer"))] {
//! use lc_types::web::{self, Body, HttpRequest, Method};
//! use lc_types::v3_6::customer::{GetConfigurationRequest, SendEventRequest, MessageEventInput};
//! use lc_types::{ErrorType, Region, ResponseError};
//!
//! let region = Region::of_token("fra:Xq7bN2kLr5TzW0vYpA3cHd9eFg");
//! let request = SendEventRequest::new("PJ0MRSHTDG", MessageEventInput::new("Hi"));
//! let http = HttpRequest::new(&request, "my-org", region.as_ref())?;
//! assert_eq!(http.method, Method::Post);
//! assert_eq!(http.path_and_query(), "/v3.6/customer/action/send_event?organization_id=my-org");
//! assert_eq!(http.header("x-region"), Some("fra"));
//! assert_eq!(http.header("Content-Type"), Some("application/json"));
//! let Body::Json(body) = &http.body else { unreachable!() };
//! assert_eq!(body, br#"{"chat_id":"PJ0MRSHTDG","event":{"type":"message","text":"Hi"}}"#);
//!
//! // A GET action carries its fields in the query.
//! let http = HttpRequest::new(&GetConfigurationRequest::new(2, "84cc87c"), "my-org", None)?;
//! assert_eq!(http.method, Method::Get);
//! assert_eq!(http.query_string(), "organization_id=my-org&group_id=2&version=84cc87c");
//!
//! // The answer: the response, or the API's error with its status and raw body.
//! let ok = web::decode_response::<SendEventRequest>(200, br#"{"event_id": "Q20N9CKRX2_1"}"#)?;
//! assert_eq!(ok.event_id, "Q20N9CKRX2_1");
//! let body = br#"{"error": {"type": "chat_inactive", "message": "Chat is inactive"}}"#;
//! let Err(ResponseError::Api(e)) = web::decode_response::<SendEventRequest>(400, body) else {
//!     unreachable!()
//! };
//! assert_eq!((e.kind(), e.status()), (&ErrorType::ChatInactive, Some(400)));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::de::DeserializeOwned;
use serde::ser::Error as _;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{ApiError, ApiVersion, ChatApi, ErrorEnvelope, Region, ResponseError, WebAction, WebMethod};

/// The `Content-Type` header.
pub const CONTENT_TYPE: &str = "Content-Type";
/// The `X-Region` header: the region (data center) the request is for.
pub const X_REGION: &str = "X-Region";
/// The content type of JSON bodies.
pub const APPLICATION_JSON: &str = "application/json";
/// The header a bot's requests carried up to 3.5 (`X-Author-Id: <bot_id>`, with an agent's
/// credentials); removed in 3.6, where bots use bot tokens ([`crate::auth::IssueBotToken`]).
pub const X_AUTHOR_ID: &str = "X-Author-Id";
/// The query parameter naming the organization (`license_id` up to 3.3).
pub const ORGANIZATION_ID: &str = "organization_id";
/// The name of the multipart part that carries the file of `upload_file`.
pub const UPLOAD_FIELD: &str = "file";
/// The action name of `upload_file`, the one multipart action.
pub const UPLOAD_FILE: &str = "upload_file";

/// The `User-Agent` both clients send: `product` (e.g. `lc-web/0.1.0`), followed by
/// `Application <client_id>` when the application gave its client ID (as LiveChat's own SDKs
/// take a `clientId`), so the API's logs can tell applications apart. A client ID that cannot
/// be a header value (a control character) or is blank is left out rather than sent broken.
///
/// ```
/// use lc_types::web::user_agent;
/// assert_eq!(user_agent("lc-web/1.0", None), "lc-web/1.0");
/// assert_eq!(user_agent("lc-web/1.0", Some("my-app")), "lc-web/1.0 Application my-app");
/// assert_eq!(user_agent("lc-rtm/1.0", Some("bad\nid")), "lc-rtm/1.0");
/// assert_eq!(user_agent("lc-rtm/1.0", Some(" ")), "lc-rtm/1.0");
/// ```
pub fn user_agent(product: &str, client_id: Option<&str>) -> String {
    match client_id {
        Some(id) if !id.trim().is_empty() && !id.chars().any(char::is_control) => format!("{product} Application {}", id.trim()),
        _ => product.to_owned(),
    }
}

/// An HTTP method of the Web API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET` (the five query actions).
    Get,
    /// `POST` (everything else, `upload_file` included).
    Post,
}

impl Method {
    /// `"GET"` or `"POST"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// The body of an [`HttpRequest`]. Its `Debug` shows a JSON body as text.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// No body (GET).
    Empty,
    /// JSON bytes (`Content-Type: application/json`, set in the request's headers).
    Json(Vec<u8>),
    /// A `multipart/form-data` body with one file part. The multipart encoder chooses the
    /// boundary, so it also sets `Content-Type` (see [`FilePart::content_type_header`]).
    Multipart(FilePart),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Json(bytes) => f.debug_tuple("Json").field(&String::from_utf8_lossy(bytes)).finish(),
            Body::Multipart(part) => f.debug_tuple("Multipart").field(part).finish(),
        }
    }
}

/// What a multipart encoder needs for the one part of `upload_file`; the bytes stay with the
/// caller (they may be streamed).
///
/// ```
/// use lc_types::web::FilePart;
/// let part = FilePart::new("receipt.pdf", "application/pdf", 5);
/// assert_eq!(part.field, "file");
/// let body = part.multipart_body("XyZ", b"%PDF-");
/// assert_eq!(
///     String::from_utf8(body).unwrap(),
///     "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"receipt.pdf\"\r\n\
///      Content-Type: application/pdf\r\n\r\n%PDF-\r\n--XyZ--\r\n"
/// );
/// assert_eq!(FilePart::content_type_header("XyZ"), "multipart/form-data; boundary=XyZ");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilePart {
    /// The part's name: always [`UPLOAD_FIELD`] (`file`).
    pub field: &'static str,
    /// The file name sent in `Content-Disposition` (the uploaded file's URL ends with it).
    pub file_name: String,
    /// The part's `Content-Type`, e.g. `image/png`. One holding a control character (a line
    /// break could add a header to the part) is sent as `application/octet-stream`.
    pub content_type: String,
    /// The file's size in bytes (at most 10 MB, or the API answers `entity_too_large`).
    pub len: u64,
}

impl FilePart {
    /// The part for a file of `len` bytes.
    pub fn new(file_name: impl Into<String>, content_type: impl Into<String>, len: u64) -> Self {
        FilePart {
            field: UPLOAD_FIELD,
            file_name: file_name.into(),
            content_type: content_type.into(),
            len,
        }
    }

    /// The whole `multipart/form-data` body with `bytes` as the file, for a transport without a
    /// multipart encoder. `boundary` must not occur in `bytes`.
    pub fn multipart_body(&self, boundary: &str, bytes: &[u8]) -> Vec<u8> {
        let head = self.multipart_head(boundary);
        let tail = Self::multipart_tail(boundary);
        let mut body = Vec::with_capacity(head.len() + bytes.len() + tail.len());
        body.extend_from_slice(&head);
        body.extend_from_slice(bytes);
        body.extend_from_slice(&tail);
        body
    }

    /// What comes before the file's bytes in the multipart body, for a transport that streams
    /// the file: the body is `multipart_head`, the `len` bytes of the file, `multipart_tail`.
    ///
    /// ```
    /// use lc_types::web::FilePart;
    /// let part = FilePart::new("a.txt", "text/plain", 2);
    /// let mut body = part.multipart_head("B");
    /// body.extend_from_slice(b"hi");
    /// body.extend_from_slice(&FilePart::multipart_tail("B"));
    /// assert_eq!(body, part.multipart_body("B", b"hi"));
    /// assert_eq!(part.multipart_len("B"), body.len() as u64);
    /// ```
    pub fn multipart_head(&self, boundary: &str) -> Vec<u8> {
        // Quotes and line breaks in the file name are percent-encoded, as browsers do.
        let name = self.file_name.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A");
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{name}\"\r\nContent-Type: {}\r\n\r\n",
            self.field,
            self.safe_content_type()
        )
        .into_bytes()
    }

    /// What comes after the file's bytes in the multipart body (see [`FilePart::multipart_head`]).
    pub fn multipart_tail(boundary: &str) -> Vec<u8> {
        format!("\r\n--{boundary}--\r\n").into_bytes()
    }

    /// The length of the whole multipart body (its `Content-Length`).
    pub fn multipart_len(&self, boundary: &str) -> u64 {
        (self.multipart_head(boundary).len() + Self::multipart_tail(boundary).len()) as u64 + self.len
    }

    /// The part's content type as it may be sent: [`FilePart::content_type`], or
    /// `application/octet-stream` when that holds a control character.
    ///
    /// ```
    /// use lc_types::web::FilePart;
    /// assert_eq!(FilePart::new("a.png", "image/png", 3).safe_content_type(), "image/png");
    /// assert_eq!(FilePart::new("a.png", "image/png\r\nX-Injected: 1", 3).safe_content_type(), "application/octet-stream");
    /// ```
    pub fn safe_content_type(&self) -> &str {
        if self.content_type.chars().any(char::is_control) {
            "application/octet-stream"
        } else {
            &self.content_type
        }
    }

    /// The request's `Content-Type` for a multipart body with `boundary`.
    pub fn content_type_header(boundary: &str) -> String {
        format!("multipart/form-data; boundary={boundary}")
    }
}

/// One Web API request as data: what an HTTP client sends, minus `Authorization` and the host.
///
/// `query` holds the pairs unencoded ([`HttpRequest::query_string`] percent-encodes them);
/// `headers` holds the protocol's headers only (`Content-Type` for JSON bodies, `X-Region` when a
/// region was given).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpRequest {
    /// `GET` or `POST`.
    pub method: Method,
    /// `/v{X.Y}/customer/action/{action}`.
    pub path: String,
    /// `organization_id` first, then (GET) the request's fields, unencoded.
    pub query: Vec<(String, String)>,
    /// Protocol headers, in order.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body,
}

impl HttpRequest {
    /// The HTTP form of `request`, with `X-Region` when `region` is given. A Customer Chat API
    /// request carries `organization_id` in its query; an Agent Chat API request has none (the
    /// agent's token names the account).
    ///
    /// Fails only when the request does not serialize as a JSON object (which no generated
    /// request type does).
    pub fn new<R: WebAction>(request: &R, organization_id: &str, region: Option<&Region>) -> Result<Self, serde_json::Error> {
        HttpRequest::from_parts(R::API, R::VERSION, R::NAME, R::METHOD, request, organization_id, region)
    }

    /// The HTTP form of a request known only at run time: action `action` of `api` in
    /// `version`, called with `method` (from the version's `ActionInfo::web`), with `payload` as
    /// the request. `organization_id` goes in the query of a Customer Chat API request only.
    /// [`WebMethod::Multipart`] is refused: use [`HttpRequest::upload_file`].
    ///
    /// ```
    /// use lc_types::web::HttpRequest;
    /// use lc_types::{ApiVersion, ChatApi, WebMethod};
    /// let payload = serde_json::json!({"group_id": 0, "test": true});
    /// let http = HttpRequest::from_parts(ChatApi::Customer, ApiVersion::V3_6, "get_dynamic_configuration", WebMethod::Get, &payload, "org 1", None)?;
    /// assert_eq!(http.query_string(), "organization_id=org%201&group_id=0&test=true");
    /// let http = HttpRequest::from_parts(ChatApi::Agent, ApiVersion::V3_6, "list_chats", WebMethod::Post, &payload, "org 1", None)?;
    /// assert_eq!(http.path_and_query(), "/v3.6/agent/action/list_chats");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn from_parts(
        api: ChatApi,
        version: ApiVersion,
        action: &str,
        method: WebMethod,
        payload: &impl Serialize,
        organization_id: &str,
        region: Option<&Region>,
    ) -> Result<Self, serde_json::Error> {
        let mut query = organization_query(api, organization_id);
        let mut headers = Vec::new();
        let (method, body) = match method {
            WebMethod::Get => {
                query.extend(encode_query(payload)?);
                (Method::Get, Body::Empty)
            }
            WebMethod::Post => {
                let body = serde_json::to_vec(payload)?;
                if body.first() != Some(&b'{') {
                    return Err(serde_json::Error::custom(format_args!(
                        "the request of `{action}` is not a JSON object"
                    )));
                }
                headers.push((CONTENT_TYPE, APPLICATION_JSON.to_owned()));
                (Method::Post, Body::Json(body))
            }
            WebMethod::Multipart => {
                return Err(serde_json::Error::custom(format_args!(
                    "`{action}` takes a multipart body: use `HttpRequest::upload_file`"
                )))
            }
        };
        if let Some(region) = region {
            headers.push((X_REGION, region.as_str().to_owned()));
        }
        Ok(HttpRequest {
            method,
            path: path(api, version, action),
            query,
            headers,
            body,
        })
    }

    /// The `upload_file` request of `api` in `version` for `file` (decode its answer with
    /// [`decode`] as [`UploadFileResponse`], the same type in every version and API).
    ///
    /// ```
    /// use lc_types::web::{Body, FilePart, HttpRequest};
    /// use lc_types::{ApiVersion, ChatApi, Region};
    /// let part = FilePart::new("photo.png", "image/png", 2048);
    /// let http = HttpRequest::upload_file(ChatApi::Customer, ApiVersion::V3_6, "my-org", Some(&Region::DAL), part.clone());
    /// assert_eq!(http.path_and_query(), "/v3.6/customer/action/upload_file?organization_id=my-org");
    /// assert_eq!(http.headers, vec![("X-Region", "dal".to_owned())]);
    /// assert!(matches!(&http.body, Body::Multipart(p) if p.field == "file" && p.len == 2048));
    /// let http = HttpRequest::upload_file(ChatApi::Agent, ApiVersion::V3_6, "my-org", None, part);
    /// assert_eq!(http.path_and_query(), "/v3.6/agent/action/upload_file");
    /// ```
    pub fn upload_file(api: ChatApi, version: ApiVersion, organization_id: &str, region: Option<&Region>, file: FilePart) -> Self {
        HttpRequest {
            method: Method::Post,
            path: path(api, version, UPLOAD_FILE),
            query: organization_query(api, organization_id),
            headers: region.map(|r| (X_REGION, r.as_str().to_owned())).into_iter().collect(),
            body: Body::Multipart(file),
        }
    }

    /// The query, percent-encoded: `organization_id=…&group_id=2`.
    pub fn query_string(&self) -> String {
        let mut out = String::with_capacity(self.query_len());
        self.write_query(&mut out);
        out
    }

    /// Appends the encoded query to `out`.
    fn write_query(&self, out: &mut String) {
        for (i, (k, v)) in self.query.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            percent_encode(k, out);
            out.push('=');
            percent_encode(v, out);
        }
    }

    /// About the encoded query's length (exact when nothing needs escaping).
    fn query_len(&self) -> usize {
        self.query.iter().map(|(k, v)| k.len() + v.len() + 2).sum()
    }

    /// The path and the encoded query: `/v3.6/customer/action/get_customer?organization_id=…`.
    pub fn path_and_query(&self) -> String {
        self.url("")
    }

    /// The full URL on `origin` (e.g. `https://api.livechatinc.com`, see
    /// [`crate::region::DEFAULT_API_HOST`]), built in one allocation.
    ///
    /// ```
    /// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
    /// let http = lc_types::web::HttpRequest::new(&lc_types::v3_6::customer::GetCustomerRequest::default(), "org 1", None)?;
    /// assert_eq!(http.url("https://api.livechatinc.com/"), "https://api.livechatinc.com/v3.6/customer/action/get_customer?organization_id=org%201");
    /// # }
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn url(&self, origin: &str) -> String {
        let origin = origin.trim_end_matches('/');
        let mut out = String::with_capacity(origin.len() + self.path.len() + 1 + self.query_len() + 8);
        out.push_str(origin);
        out.push_str(&self.path);
        if !self.query.is_empty() {
            out.push('?');
            self.write_query(&mut out);
        }
        out
    }

    /// The value of header `name` (case-insensitive), if the request has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The query every request of `api` starts with: `organization_id` for the Customer Chat API,
/// nothing for the others.
fn organization_query(api: ChatApi, organization_id: &str) -> Vec<(String, String)> {
    match api {
        ChatApi::Customer => vec![(ORGANIZATION_ID.to_owned(), organization_id.to_owned())],
        _ => Vec::new(),
    }
}

/// Whether a request of `api` in `version` may carry [`X_AUTHOR_ID`]: Agent Chat API requests
/// up to 3.5 (3.6 removed it; the Customer Chat API never had it).
///
/// ```
/// use lc_types::{web::author_id_allowed, ApiVersion, ChatApi};
/// assert!(author_id_allowed(ChatApi::Agent, ApiVersion::V3_5));
/// assert!(!author_id_allowed(ChatApi::Agent, ApiVersion::V3_6));
/// assert!(!author_id_allowed(ChatApi::Customer, ApiVersion::V3_5));
/// ```
pub fn author_id_allowed(api: ChatApi, version: ApiVersion) -> bool {
    api == ChatApi::Agent && version <= ApiVersion::V3_5
}

/// The path of `action` of `api` in `version`: `/v3.6/customer/action/send_event`,
/// `/v3.6/agent/action/transfer_chat`.
pub fn path(api: ChatApi, version: ApiVersion, action: &str) -> String {
    format!("/v{version}/{api}/action/{action}")
}

/// The query pairs of a GET request, unencoded, in the order of the request's JSON object.
///
/// Each field is one `key=value` pair, as the docs' examples show (`group_id=0`,
/// `language=en`): strings as they are, numbers in JSON notation, booleans `true`/`false` (the
/// docs show none; lc-sdk-python writes `test` so). Absent fields and `null`s are not sent.
/// No documented GET parameter is an array or an object; one found among a request's unknown
/// fields is sent as its compact JSON text. (The schemas' `$comment`s record the same.)
///
/// ```
/// let pairs = lc_types::web::encode_query(&serde_json::json!({"id": 2, "name": "a b", "test": false, "x": null}))?;
/// let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
/// assert_eq!(pairs, [("id", "2"), ("name", "a b"), ("test", "false")]);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn encode_query(payload: &impl Serialize) -> Result<Vec<(String, String)>, serde_json::Error> {
    let Value::Object(fields) = serde_json::to_value(payload)? else {
        return Err(serde_json::Error::custom("a GET request is a JSON object"));
    };
    Ok(fields
        .into_iter()
        .filter_map(|(k, v)| {
            let text = match v {
                Value::Null => return None,
                Value::String(s) => s,
                other => other.to_string(),
            };
            Some((k, text))
        })
        .collect())
}

/// Splits and percent-decodes a query string (`a=1&b=x%20y`, `+` for a space), for servers.
///
/// ```
/// let pairs = lc_types::web::parse_query("organization_id=org%201&name=a+b&flag");
/// assert_eq!(pairs, [("organization_id".into(), "org 1".into()), ("name".into(), "a b".into()), ("flag".into(), String::new())]);
/// ```
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Rebuilds the JSON request of GET action `action` of `version` from its query pairs, for
/// servers (`lc-mock`). `organization_id` is left out; a repeated key keeps its last value.
///
/// Every value starts as a string; where the version's request type rejects a top-level field
/// as a string, its text is read as JSON instead (`group_id=2` becomes the integer `2`,
/// `test=true` the boolean), the inverse of [`encode_query`]. A value that fits neither stays a
/// string, for the server's validation to report. An action this build does not know keeps
/// every value a string.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::{web, ApiVersion};
/// let pairs = web::parse_query("organization_id=o&group_id=2&version=1.0&language=en");
/// let payload = web::payload_from_query(ApiVersion::V3_6, "get_localization", pairs);
/// assert_eq!(
///     serde_json::Value::Object(payload),
///     serde_json::json!({"group_id": 2, "version": "1.0", "language": "en"})
/// );
/// # }
/// ```
pub fn payload_from_query(version: ApiVersion, action: &str, pairs: impl IntoIterator<Item = (String, String)>) -> Map<String, Value> {
    let mut map: Map<String, Value> = pairs
        .into_iter()
        .filter(|(k, _)| k != ORGANIZATION_ID)
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let Some(api) = crate::api(ChatApi::Customer, version) else {
        return map;
    };
    // Each round types one field the request type refused as a string.
    for _ in 0..=map.len() {
        let text = Value::Object(map.clone()).to_string();
        let Err(error) = (api.decode_request)(action, &text) else {
            break;
        };
        let typed = match map.get(error.path()) {
            Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok().filter(|v| !v.is_string()),
            _ => None,
        };
        match typed {
            Some(value) => {
                map.insert(error.path().to_owned(), value);
            }
            None => break,
        }
    }
    map
}

/// The answer of `upload_file`.
#[cfg(all(
    feature = "v3_5",
    feature = "agent",
    not(any(feature = "v3_6", feature = "v3_7", feature = "customer"))
))]
pub use crate::v3_5::agent::UploadFileResponse;
/// The answer of `upload_file`.
#[cfg(all(feature = "v3_5", feature = "customer", not(any(feature = "v3_6", feature = "v3_7"))))]
pub use crate::v3_5::customer::UploadFileResponse;
/// The answer of `upload_file`.
#[cfg(all(feature = "v3_6", feature = "agent", not(feature = "customer")))]
pub use crate::v3_6::agent::UploadFileResponse;
/// The answer of `upload_file`: one type, the same in every version and API (each of
/// `v3_5`, `v3_6`, `v3_7` re-exports it in `customer` and `agent`), with the URL of the uploaded
/// file. Here whichever is compiled in.
#[cfg(all(feature = "v3_6", feature = "customer"))]
pub use crate::v3_6::customer::UploadFileResponse;
/// The answer of `upload_file`.
#[cfg(all(feature = "v3_7", feature = "agent", not(any(feature = "v3_6", feature = "customer"))))]
pub use crate::v3_7::agent::UploadFileResponse;
/// The answer of `upload_file`.
#[cfg(all(feature = "v3_7", feature = "customer", not(feature = "v3_6")))]
pub use crate::v3_7::customer::UploadFileResponse;

// The versions' and APIs' `UploadFileResponse`s are one type (this does not compile otherwise).
#[cfg(all(feature = "v3_5", feature = "v3_6", feature = "v3_7", feature = "customer", feature = "agent"))]
const _: fn(
    crate::v3_5::customer::UploadFileResponse,
    crate::v3_7::customer::UploadFileResponse,
    crate::v3_5::agent::UploadFileResponse,
    crate::v3_6::agent::UploadFileResponse,
    crate::v3_7::agent::UploadFileResponse,
) -> [UploadFileResponse; 5] = |a, b, c, d, e| [a, b, c, d, e];

/// Decodes a Web API answer as `T`: a 2xx body is the response (an empty one reads as `{}`);
/// any other status is the API's error envelope ([`ResponseError::Api`], keeping status and raw
/// body), or, when the body is not one (an HTML error page, an empty body),
/// [`ResponseError::Status`]. A 2xx body that does not decode as `T` is
/// [`ResponseError::Decode`], with the JSON path and the raw text.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::{web, ResponseError};
/// use lc_types::v3_6::customer::UploadFileResponse;
/// let file: UploadFileResponse = web::decode(200, br#"{"url": "https://cdn.example/f.png"}"#)?;
/// assert_eq!(file.url, "https://cdn.example/f.png");
/// let Err(ResponseError::Decode(e)) = web::decode::<UploadFileResponse>(200, br#"{"url": 5}"#) else {
///     unreachable!()
/// };
/// assert_eq!((e.path(), e.raw()), ("url", r#"{"url": 5}"#));
/// # }
/// # Ok::<(), lc_types::ResponseError>(())
/// ```
pub fn decode<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, ResponseError> {
    if (200..300).contains(&status) {
        let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
        return crate::from_slice(body).map_err(ResponseError::Decode);
    }
    let text = String::from_utf8_lossy(body).into_owned();
    match crate::from_slice::<ErrorEnvelope>(body) {
        Ok(envelope) => Err(ResponseError::Api(ApiError::new(envelope, Some(status), text))),
        Err(_) => Err(ResponseError::Status { status, body: text }),
    }
}

/// Decodes a Web API answer to request type `R` as `R::Response`; see [`decode`].
pub fn decode_response<R: WebAction>(status: u16, body: &[u8]) -> Result<R::Response, ResponseError> {
    decode(status, body)
}

/// Appends `s` percent-encoded: everything but `A-Z a-z 0-9 - . _ ~` becomes `%XX` (UTF-8).
pub(crate) fn percent_encode(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// Decodes `%XX` and `+`; a `%` not followed by two hex digits is kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (bytes.get(i + 1).and_then(|b| hex(*b)), bytes.get(i + 2).and_then(|b| hex(*b))) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
// Optional fields are set by assignment, as users must once the generated structs are
// `#[non_exhaustive]` (no struct literals outside the crate).
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every GET action of 3.6, every field set: each is one query pair, and nothing else is sent.
    #[cfg(all(feature = "v3_6", feature = "customer"))]
    #[test]
    fn get_actions_send_every_field_in_the_query() {
        use crate::v3_6::customer::*;
        let mut license = ListLicensePropertiesRequest::default();
        license.namespace = Some("ns".into());
        license.name = Some("a b&c=d".into());
        let mut group = ListGroupPropertiesRequest::new(2);
        group.namespace = Some("ns".into());
        let mut dynamic = GetDynamicConfigurationRequest::default();
        dynamic.group_id = Some(0);
        dynamic.test = Some(false);
        dynamic.url = Some("https://shop.example/a?b=1#c".into());
        dynamic.channel_type = Some("code".into());
        let configuration = GetConfigurationRequest::new(2, "1.2.3");
        let localization = GetLocalizationRequest::new(2, "pl", "6bb8");
        /// The request's HTTP form, its JSON, its action and the query it must give.
        fn case<R: WebAction>(request: &R, query: &'static str) -> (HttpRequest, Value, &'static str, &'static str) {
            let http = HttpRequest::new(request, "o", None).unwrap();
            (http, serde_json::to_value(request).unwrap(), R::NAME, query)
        }
        let cases = [
            case(&ListLicensePropertiesRequest::default(), "organization_id=o"),
            case(&license, "organization_id=o&name=a%20b%26c%3Dd&namespace=ns"),
            case(&group, "organization_id=o&id=2&namespace=ns"),
            case(
                &dynamic,
                "organization_id=o&channel_type=code&group_id=0&test=false&url=https%3A%2F%2Fshop.example%2Fa%3Fb%3D1%23c",
            ),
            case(&configuration, "organization_id=o&group_id=2&version=1.2.3"),
            case(&localization, "organization_id=o&group_id=2&language=pl&version=6bb8"),
        ];
        let get_actions: Vec<&str> = crate::v3_6::customer::ACTIONS
            .iter()
            .filter(|a| a.web == Some(WebMethod::Get))
            .map(|a| a.name)
            .collect();
        for (http, sent, action, query) in &cases {
            assert!(get_actions.contains(action), "{action}");
            assert_eq!(http.method, Method::Get);
            assert_eq!(http.path, format!("/v3.6/customer/action/{action}"));
            assert_eq!(http.query_string(), *query, "{action}");
            assert_eq!(http.body, Body::Empty);
            assert_eq!(http.header(CONTENT_TYPE), None, "a GET has no body to type");
            // What a server reads back is the request that was encoded.
            let back = payload_from_query(ApiVersion::V3_6, action, parse_query(&http.query_string()));
            assert_eq!(&Value::Object(back), sent, "{action}");
        }
        for action in get_actions {
            assert!(cases.iter().any(|c| c.2 == action), "no case for GET action `{action}`");
        }
    }

    #[cfg(all(feature = "v3_6", feature = "customer"))]
    #[test]
    fn post_actions_send_json_without_nulls_or_unset_fields() {
        use crate::v3_6::customer::*;
        let http = HttpRequest::new(&ListChatsRequest::default(), "o", None).unwrap();
        assert_eq!((http.method, &http.body), (Method::Post, &Body::Json(b"{}".to_vec())));
        assert_eq!(http.query, [("organization_id".to_owned(), "o".to_owned())]);
        assert_eq!(http.headers, [(CONTENT_TYPE, APPLICATION_JSON.to_owned())]);
        let mut start = StartChatRequest::default();
        start.active = Some(true);
        let http = HttpRequest::new(&start, "o", None).unwrap();
        assert_eq!(http.body, Body::Json(br#"{"active":true}"#.to_vec()));
        // `null`s never reach a query either.
        assert_eq!(
            encode_query(&json!({"a": null, "b": [1, "x"], "c": {"d": true}})).unwrap(),
            [
                ("b".to_owned(), r#"[1,"x"]"#.to_owned()),
                ("c".to_owned(), r#"{"d":true}"#.to_owned())
            ]
        );
        assert!(encode_query(&json!([1])).is_err());
        assert!(HttpRequest::from_parts(ChatApi::Customer, ApiVersion::V3_6, "x", WebMethod::Post, &json!("text"), "o", None).is_err());
        assert!(HttpRequest::from_parts(
            ChatApi::Customer,
            ApiVersion::V3_6,
            "upload_file",
            WebMethod::Multipart,
            &json!({}),
            "o",
            None
        )
        .is_err());
    }

    #[test]
    fn x_region_only_when_given() {
        let payload = json!({});
        let with = |region: Option<&Region>| {
            HttpRequest::from_parts(
                ChatApi::Customer,
                ApiVersion::V3_6,
                "get_customer",
                WebMethod::Post,
                &payload,
                "o",
                region,
            )
            .unwrap()
        };
        assert_eq!(with(None).header(X_REGION), None);
        assert_eq!(with(Some(&Region::FRA)).header("x-region"), Some("fra"));
        assert_eq!(with(Some(&Region::from("sgp"))).header(X_REGION), Some("sgp"));
        let get = HttpRequest::from_parts(
            ChatApi::Customer,
            ApiVersion::V3_6,
            "get_localization",
            WebMethod::Get,
            &payload,
            "o",
            Some(&Region::DAL),
        )
        .unwrap();
        assert_eq!(get.headers, [(X_REGION, "dal".to_owned())]);
        let upload = HttpRequest::upload_file(
            ChatApi::Customer,
            ApiVersion::V3_7,
            "o",
            None,
            FilePart::new("a.txt", "text/plain", 1),
        );
        assert!(upload.headers.is_empty());
        assert_eq!(
            upload.url("http://127.0.0.1:9/"),
            "http://127.0.0.1:9/v3.7/customer/action/upload_file?organization_id=o"
        );
    }

    #[test]
    #[allow(unreachable_pub, dead_code)] // a struct declared for the test alone
    fn answers_decode_into_response_api_error_or_status() {
        crate::declare::object! {
            /// A response of one ID.
            pub struct Sent {
                /// The ID.
                pub event_id: String,
            }
        }
        assert_eq!(decode::<Sent>(200, br#"{"event_id":"E_1"}"#).unwrap(), Sent::new("E_1"));
        assert_eq!(decode::<Map<String, Value>>(200, b"").unwrap(), Map::new());
        // An API error keeps type, message, data, status and the raw body.
        let body = br#"{"error":{"type":"misdirected_request","message":"Wrong region","data":{"region":"fra"}}}"#;
        let Err(ResponseError::Api(e)) = decode::<Sent>(421, body) else {
            panic!()
        };
        assert_eq!(e.kind(), &crate::ErrorType::MisdirectedRequest);
        assert_eq!(
            (e.message(), e.data(), e.status(), e.raw()),
            (
                "Wrong region",
                Some(&json!({"region": "fra"})),
                Some(421),
                std::str::from_utf8(body).unwrap()
            )
        );
        assert_eq!(e.region(), Some(Region::FRA));
        // A 2xx body that is not the response: a decode error with its path, never an API error.
        let Err(ResponseError::Decode(d)) = decode::<Sent>(200, br#"{"event_id":5}"#) else {
            panic!()
        };
        assert_eq!((d.path(), d.raw()), ("event_id", r#"{"event_id":5}"#));
        let Err(ResponseError::Decode(d)) = decode::<Sent>(200, body) else {
            panic!()
        };
        assert_eq!(d.path(), ".");
        // Not an envelope: the status and the raw body, whatever they are.
        for (status, body) in [
            (502, &b"<html><body>502 Bad Gateway</body></html>"[..]),
            (500, b""),
            (404, br#"{"message":"no route"}"#),
            (503, b"\xff\xfe"),
            (302, b"moved"),
        ] {
            let err = decode::<Sent>(status, body).unwrap_err();
            assert!(matches!(err, ResponseError::Status { .. }), "{status}: {err:?}");
            assert_eq!((err.status(), err.raw()), (Some(status), String::from_utf8_lossy(body).as_ref()));
            assert!(err.to_string().starts_with(&format!("HTTP {status} ")), "{err}");
        }
    }

    #[test]
    fn percent_encoding_round_trips() {
        let text = "a b+c&d=e%f/ü~-._€";
        let mut encoded = String::new();
        percent_encode(text, &mut encoded);
        assert_eq!(encoded, "a%20b%2Bc%26d%3De%25f%2F%C3%BC~-._%E2%82%AC");
        assert_eq!(percent_decode(&encoded), text);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[cfg(all(feature = "v3_6", feature = "customer"))]
    #[test]
    fn query_values_are_typed_as_the_request_expects() {
        let typed = |action, query: &str| Value::Object(payload_from_query(ApiVersion::V3_6, action, parse_query(query)));
        // A string field keeps digits as text; an integer field becomes a number.
        assert_eq!(
            typed("get_configuration", "organization_id=o&group_id=2&version=123"),
            json!({"group_id": 2, "version": "123"})
        );
        assert_eq!(
            typed("get_dynamic_configuration", "test=true&url=1"),
            json!({"test": true, "url": "1"})
        );
        // What fits no type stays text, for the server's validation to report.
        assert_eq!(typed("list_group_properties", "id=abc"), json!({"id": "abc"}));
        assert_eq!(typed("list_group_properties", "id=2.5"), json!({"id": 2.5}));
        // Unknown fields and unknown actions stay text.
        assert_eq!(typed("list_group_properties", "id=1&new=5"), json!({"id": 1, "new": "5"}));
        assert_eq!(typed("no_such_action", "a=1"), json!({"a": "1"}));
    }
}

//! [`Refusal`]: the API error the mock answers with, and the one place its HTTP status is
//! decided.

use std::fmt;

use lc_types::ErrorType;
use serde_json::Value;

/// An API error: its type (`validation`, `authentication`, ...), message and optional `data`,
/// answered as the API's error envelope (Web: with the HTTP status of [`Refusal::status`]).
///
/// Every refused request, agent change ([`AgentControl`](crate::AgentControl)) and control
/// call (`/_lc/…`) answers one.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use lc_types::ErrorType;
/// let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
/// let refused = server.agent().join("NOSUCHCHAT").unwrap_err();
/// assert_eq!(refused.kind(), &ErrorType::NotFound);
/// assert_eq!(refused.status(), 404);
/// assert_eq!(refused.to_string(), "not_found: Chat not found");
/// let boxed: Box<dyn std::error::Error> = Box::new(refused);
/// # drop(boxed);
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    kind: ErrorType,
    message: String,
    data: Option<Value>,
    /// A transport-level status the Web API answers instead of the type's (405, 415).
    transport_status: Option<u16>,
}

impl Refusal {
    /// An error of type `kind` with `message`, no `data`.
    pub fn new(kind: impl Into<ErrorType>, message: impl Into<String>) -> Self {
        Refusal {
            kind: kind.into(),
            message: message.into(),
            data: None,
            transport_status: None,
        }
    }

    /// The same error with `error.data` (e.g. `{"region": "fra"}` for `misdirected_request`).
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// `validation`.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Refusal::new(ErrorType::Validation, message)
    }

    /// `validation` that the Web API answers with a transport status: 405 (wrong method) or
    /// 415 (wrong content type).
    pub(crate) fn transport(status: u16, message: impl Into<String>) -> Self {
        let mut r = Refusal::validation(message);
        r.transport_status = Some(status);
        r
    }

    /// `not_found`: "`what` not found".
    pub(crate) fn not_found(what: &str) -> Self {
        Refusal::new(ErrorType::NotFound, format!("{what} not found"))
    }

    /// `chat_inactive`.
    pub(crate) fn chat_inactive() -> Self {
        Refusal::new(ErrorType::ChatInactive, "Chat is inactive")
    }

    /// `group_not_found`.
    pub(crate) fn group_not_found() -> Self {
        Refusal::new(ErrorType::GroupNotFound, "Group not found")
    }

    /// `internal`: a bug of the mock, named in the message.
    pub(crate) fn mock_bug(message: impl fmt::Display) -> Self {
        Refusal::new(ErrorType::Internal, format!("mock bug: {message}"))
    }

    /// The error type.
    pub fn kind(&self) -> &ErrorType {
        &self.kind
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `error.data`, for the types that carry it.
    pub fn data(&self) -> Option<&Value> {
        self.data.as_ref()
    }

    /// The HTTP status the Web API answers with: [`Refusal::status_of`] its type, except 405
    /// and 415 for a wrong method or content type.
    pub fn status(&self) -> u16 {
        self.transport_status.unwrap_or_else(|| Refusal::status_of(&self.kind))
    }

    /// The HTTP status of an error type, as the mock answers it (the reference documents
    /// none): 401 `authentication`; 403 `authorization`, `customer_banned`, `not_allowed`,
    /// `license_expired`, `missing_access`; 404 `not_found` and the `*_not_found` types; 413
    /// `entity_too_large`; 421 `misdirected_request`; 429 `too_many_requests`,
    /// `pending_requests_limit_reached`; 500 `internal`; 503 `service_unavailable`; 504
    /// `request_timeout`; 400 the rest, unknown types included.
    ///
    /// ```
    /// use lc_types::ErrorType;
    /// assert_eq!(lc_mock::Refusal::status_of(&ErrorType::GroupNotFound), 404);
    /// assert_eq!(lc_mock::Refusal::status_of(&ErrorType::from("brand_new")), 400);
    /// ```
    pub fn status_of(kind: &ErrorType) -> u16 {
        match kind {
            ErrorType::Authentication => 401,
            ErrorType::Authorization
            | ErrorType::CustomerBanned
            | ErrorType::NotAllowed
            | ErrorType::LicenseExpired
            | ErrorType::MissingAccess => 403,
            ErrorType::NotFound | ErrorType::LicenseNotFound | ErrorType::GreetingNotFound | ErrorType::GroupNotFound => 404,
            ErrorType::EntityTooLarge => 413,
            ErrorType::MisdirectedRequest => 421,
            ErrorType::TooManyRequests | ErrorType::PendingRequestsLimitReached => 429,
            ErrorType::Internal => 500,
            ErrorType::ServiceUnavailable => 503,
            ErrorType::RequestTimeout => 504,
            _ => 400,
        }
    }

    /// The error envelope, `{"error": {"type", "message", "data"?}}` (`lc_types`' wire type,
    /// the one clients decode).
    pub fn envelope(&self) -> lc_types::ErrorEnvelope {
        let envelope = lc_types::ErrorEnvelope::new(self.kind.clone(), self.message.clone());
        match &self.data {
            Some(data) => envelope.with_data(data.clone()),
            None => envelope,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_type_unless_the_transport_decides() {
        assert_eq!(Refusal::new("greeting_not_found", "m").status(), 404);
        assert_eq!(Refusal::new(ErrorType::MisdirectedRequest, "m").status(), 421);
        assert_eq!(Refusal::validation("m").status(), 400);
        assert_eq!(Refusal::transport(415, "m").status(), 415);
        assert_eq!(Refusal::transport(415, "m").kind(), &ErrorType::Validation);
        assert_eq!(Refusal::new("future_type", "m").status(), 400);
    }
}

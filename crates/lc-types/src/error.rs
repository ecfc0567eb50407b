//! The API error envelope: `{"error": {"type": ..., "message": ..., "data": ...}}`.
//!
//! Described in `schema/v3.6/objects/error_envelope.json` (marked `x-lc-core`); the fixture tests
//! check that these structs and the schema agree.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::unknown::{JsonPath, Unknown, UnknownKind, Unknowns};

crate::declare::object! {
    #[hand_written_new]
    /// The body of a failed Web API call, and the `payload` of a failed RTM response.
    ///
    /// ```
    /// use lc_types::{ErrorEnvelope, ErrorType};
    /// let e: ErrorEnvelope = lc_types::from_str(
    ///     r#"{"error": {"type": "authentication", "message": "Invalid access token"}}"#,
    /// ).unwrap();
    /// assert_eq!(e.error.type_, ErrorType::Authentication);
    /// assert_eq!(e.to_string(), "authentication: Invalid access token");
    /// ```
    ///
    /// `#[non_exhaustive]` (a later version may add fields): build one with [`ErrorEnvelope::new`].
    ///
    /// ```compile_fail,E0639
    /// let e = lc_types::ErrorEnvelope { error: lc_types::ErrorDetails::new(lc_types::ErrorType::Internal, "m"), extra: Default::default() };
    /// ```
    pub struct ErrorEnvelope {
        /// The error.
        pub error: ErrorDetails,
    }
}

crate::declare::object! {
    #[hand_written_new]
    /// The `error` object of an [`ErrorEnvelope`]: what the API reported, as on the wire.
    ///
    /// Transports report it inside an [`ApiError`](crate::ApiError), which adds the HTTP status and the raw body.
    pub struct ErrorDetails {
        /// What kind of error it is; decide on this, not on the message.
        #[serde(rename = "type")]
        pub type_: ErrorType,
        /// A human-readable explanation.
        pub message: String,
        /// Details, for some types (e.g. `{"region": "fra"}` with `misdirected_request`).
        pub data: Option<Value>,
    }
}

impl ErrorEnvelope {
    /// An envelope around an error of `type_` with `message`.
    pub fn new(type_: ErrorType, message: impl Into<String>) -> Self {
        ErrorEnvelope {
            error: ErrorDetails::new(type_, message),
            extra: Map::new(),
        }
    }

    /// The same envelope with `error.data` set (e.g. `{"region": "fra"}` for
    /// `misdirected_request`).
    ///
    /// ```
    /// use lc_types::{ErrorEnvelope, ErrorType};
    /// let e = ErrorEnvelope::new(ErrorType::MisdirectedRequest, "Wrong region")
    ///     .with_data(serde_json::json!({"region": "fra"}));
    /// assert_eq!(
    ///     serde_json::to_string(&e).unwrap(),
    ///     r#"{"error":{"type":"misdirected_request","message":"Wrong region","data":{"region":"fra"}}}"#
    /// );
    /// ```
    pub fn with_data(mut self, data: Value) -> Self {
        self.error.data = Some(data);
        self
    }
}

impl ErrorDetails {
    /// An error of `type_` with `message`, no `data`.
    pub fn new(type_: ErrorType, message: impl Into<String>) -> Self {
        ErrorDetails {
            type_,
            message: message.into(),
            data: None,
            extra: Map::new(),
        }
    }
}

impl fmt::Display for ErrorEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error.type_, self.error.message)
    }
}

impl std::error::Error for ErrorEnvelope {}

macro_rules! error_types {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal,)*) => {
        /// The error types of the API (reference §5.6).
        ///
        /// Open: a type this crate does not know decodes into a hidden case and is re-encoded
        /// unchanged; read it with [`as_str`](Self::as_str) and [`is_unknown`](Self::is_unknown).
        /// A known type never lands there: `ErrorType::from("not_found")` is
        /// `ErrorType::NotFound`. Equality, hashing and ordering follow [`as_str`](Self::as_str).
        ///
        /// ```
        /// use lc_types::ErrorType;
        /// assert_eq!(ErrorType::from("not_found"), ErrorType::NotFound);
        /// let new: ErrorType = "brand_new".parse().unwrap();
        /// assert!(new.is_unknown());
        /// assert_eq!(new.as_str(), "brand_new");
        /// ```
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum ErrorType {
            $($(#[$doc])* $variant,)*
            /// A type this crate does not know, as sent. Not part of the API: never match on
            /// it (it is not constructible from outside, and a later version may know the
            /// value); use [`as_str`](Self::as_str) and [`is_unknown`](Self::is_unknown).
            #[doc(hidden)]
            _Custom(crate::PrivOwnedStr),
        }

        impl ErrorType {
            /// Every known type.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];

            /// The wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorType::$variant => $wire,)*
                    ErrorType::_Custom(s) => s.as_str(),
                }
            }

            /// The known variant for `s`, if there is one.
            fn known(s: &str) -> Option<Self> {
                Some(match s {
                    $($wire => ErrorType::$variant,)*
                    _ => return None,
                })
            }
        }
    };
}

error_types! {
    /// Invalid or expired access token.
    Authentication = "authentication",
    /// The requester may not perform the action.
    Authorization = "authorization",
    /// The chat was anonymized.
    ChatAnonymized = "chat_anonymized",
    /// `resume_chat` of a chat that is active already.
    ChatAlreadyActive = "chat_already_active",
    /// The action needs an active thread.
    ChatInactive = "chat_inactive",
    /// `start_chat` by a customer who has a chat already: a customer has one chat (resume it).
    ChatLimitReached = "chat_limit_reached",
    /// The customer is banned.
    CustomerBanned = "customer_banned",
    /// The request is too large (upload limit 10 MB).
    EntityTooLarge = "entity_too_large",
    /// The greeting does not exist.
    GreetingNotFound = "greeting_not_found",
    /// The group does not exist.
    GroupNotFound = "group_not_found",
    /// The group is offline.
    GroupOffline = "group_offline",
    /// The group is online but no agent is available.
    GroupUnavailable = "group_unavailable",
    /// All groups are offline.
    GroupsOffline = "groups_offline",
    /// Internal server error.
    Internal = "internal",
    /// The license expired.
    LicenseExpired = "license_expired",
    /// The license does not exist.
    LicenseNotFound = "license_not_found",
    /// The change would exceed a limit.
    LimitReached = "limit_reached",
    /// Wrong region; `data.region` names the right one.
    MisdirectedRequest = "misdirected_request",
    /// Not allowed.
    NotAllowed = "not_allowed",
    /// The resource does not exist.
    NotFound = "not_found",
    /// More than 10 requests pending on one WebSocket connection.
    PendingRequestsLimitReached = "pending_requests_limit_reached",
    /// The request took longer than 15 s.
    RequestTimeout = "request_timeout",
    /// New requests are temporarily refused.
    ServiceUnavailable = "service_unavailable",
    /// Rate limited; unblocks by itself.
    TooManyRequests = "too_many_requests",
    /// The API version is not supported.
    UnsupportedVersion = "unsupported_version",
    /// The plan's limit of concurrent customers is reached.
    UsersLimitReached = "users_limit_reached",
    /// The request is malformed.
    Validation = "validation",
    /// The license is not on LiveChat 3.
    WrongProductVersion = "wrong_product_version",
    /// Agent-side: the requester is already offline.
    RequesterAlreadyOffline = "requester_already_offline",
    /// Agent-side: the requester awaits approval.
    RequesterAwaitingApproval = "requester_awaiting_approval",
    /// Agent-side: the requester is suspended.
    RequesterSuspended = "requester_suspended",
    /// Agent-side: the seats limit is exceeded.
    SeatsLimitExceeded = "seats_limit_exceeded",
    /// Agent-side: the agent is offline.
    AgentOffline = "agent_offline",
    /// Agent-side: the entity already exists.
    AlreadyExists = "already_exists",
    /// Agent-side: a transfer of ownership is needed.
    TransferOwnership = "transfer_ownership",
    /// Agent-side: `transfer_ownership` as the shared error list also spells it.
    OwnershipTransfer = "ownership_transfer",
    /// Agent-side: an access is missing.
    MissingAccess = "missing_access",
}

impl ErrorType {
    /// Whether the type is one this crate does not know.
    pub fn is_unknown(&self) -> bool {
        matches!(self, ErrorType::_Custom(_))
    }
}

impl From<&str> for ErrorType {
    fn from(s: &str) -> Self {
        ErrorType::known(s).unwrap_or_else(|| ErrorType::_Custom(crate::PrivOwnedStr::new(s)))
    }
}

impl ErrorType {
    /// Whether the same request may succeed if sent again later, after a backoff.
    ///
    /// Retryable: `internal`, `request_timeout`, `service_unavailable` (the server's trouble,
    /// transient), `too_many_requests` (the rate limit unblocks by itself) and
    /// `pending_requests_limit_reached` (the connection's other requests finish). Everything else
    /// fails the same way until something changes: the request (`validation`, `not_found`, ...),
    /// the token (`authentication`: get a new one instead), the region (`misdirected_request`:
    /// switch to `data.region` instead), the account or plan (`license_expired`,
    /// `users_limit_reached`, ...). An unknown type is not retryable.
    ///
    /// Retryable does not mean safe to resend: `internal` and `request_timeout` may arrive after
    /// the server acted, so a transport resends a non-idempotent action (e.g. `send_event`) only
    /// when it knows the first attempt was not received.
    ///
    /// ```
    /// use lc_types::ErrorType;
    /// assert!(ErrorType::from("too_many_requests").is_retryable());
    /// assert!(!ErrorType::from("validation").is_retryable());
    /// assert!(!ErrorType::from("a_type_from_the_future").is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ErrorType::Internal
                | ErrorType::RequestTimeout
                | ErrorType::ServiceUnavailable
                | ErrorType::TooManyRequests
                | ErrorType::PendingRequestsLimitReached
        )
    }
}

impl From<String> for ErrorType {
    fn from(s: String) -> Self {
        ErrorType::known(&s).unwrap_or_else(|| ErrorType::_Custom(crate::PrivOwnedStr::new(s)))
    }
}

impl PartialEq for ErrorType {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ErrorType {}

impl std::hash::Hash for ErrorType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for ErrorType {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ErrorType {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorType {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ErrorType::from(s))
    }
}

impl Serialize for ErrorType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::open::decode_str(deserializer)
    }
}

impl Unknowns for ErrorType {
    fn visit_unknowns(&self, path: &mut JsonPath, found: &mut dyn FnMut(Unknown)) {
        if let ErrorType::_Custom(s) = self {
            path.report(UnknownKind::EnumValue(s.as_str().to_owned()), found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_types_round_trip() {
        let text = r#"{"error":{"data":{"region":"fra"},"message":"m","type":"brand_new","x":1}}"#;
        let e: ErrorEnvelope = crate::from_str(text).unwrap();
        assert!(e.error.type_.is_unknown());
        assert_eq!(e.error.type_.as_str(), "brand_new");
        assert_eq!(serde_json::to_value(&e).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        assert_eq!(e.unknowns().len(), 2);
        for known in ErrorType::KNOWN {
            assert_eq!(ErrorType::from(*known).as_str(), *known);
            assert!(!ErrorType::from(*known).is_unknown());
        }
        let retryable: Vec<&str> = ErrorType::KNOWN
            .iter()
            .copied()
            .filter(|t| ErrorType::from(*t).is_retryable())
            .collect();
        assert_eq!(
            retryable,
            [
                "internal",
                "pending_requests_limit_reached",
                "request_timeout",
                "service_unavailable",
                "too_many_requests"
            ]
        );
    }

    #[test]
    fn a_known_type_never_lands_in_the_catch_all() {
        for known in ErrorType::KNOWN {
            let from_str = ErrorType::from(*known);
            let from_string = ErrorType::from((*known).to_owned());
            let parsed: ErrorType = known.parse().unwrap();
            let decoded: ErrorType = serde_json::from_value(Value::String((*known).to_owned())).unwrap();
            for t in [&from_str, &from_string, &parsed, &decoded] {
                assert!(!t.is_unknown(), "{known}");
                assert!(!matches!(t, ErrorType::_Custom(_)), "{known}");
                assert_eq!(t.as_str(), *known);
            }
        }
        assert_eq!(ErrorType::from("not_found"), ErrorType::NotFound);
        assert!(matches!(ErrorType::from("not_found".to_owned()), ErrorType::NotFound));
    }

    #[test]
    fn equality_hash_and_order_follow_the_wire_text() {
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        let hash = |t: &ErrorType| {
            let mut h = DefaultHasher::new();
            t.hash(&mut h);
            h.finish()
        };
        let (a, b) = (ErrorType::from("zzz_new"), ErrorType::from("zzz_new".to_owned()));
        assert_eq!(a, b);
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(a, ErrorType::from("zzz_other"));
        let mut all: Vec<ErrorType> = ["validation", "aaa_new", "internal", "zzz_new", "authentication"]
            .into_iter()
            .map(ErrorType::from)
            .collect();
        all.sort();
        let texts: Vec<&str> = all.iter().map(ErrorType::as_str).collect();
        assert_eq!(texts, ["aaa_new", "authentication", "internal", "validation", "zzz_new"]);
        assert!(ErrorType::Internal < ErrorType::from("internal_2"));
        assert_eq!(ErrorType::Internal.cmp(&ErrorType::from("internal")), std::cmp::Ordering::Equal);
    }
}

//! The traits that tie a request to its action, API version, response and transports.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{ApiVersion, Unknowns};

/// How an action is called over the Web API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WebMethod {
    /// `GET` with the request fields as query parameters.
    Get,
    /// `POST` with the request as the JSON body.
    Post,
    /// `POST` with a `multipart/form-data` body (`upload_file`).
    Multipart,
}

impl WebMethod {
    /// `"GET"`, `"POST"` or `"MULTIPART"`, as in the schema manifest.
    pub fn as_str(&self) -> &'static str {
        match self {
            WebMethod::Get => "GET",
            WebMethod::Post => "POST",
            WebMethod::Multipart => "MULTIPART",
        }
    }
}

/// Which LiveChat API an action, a push or a table belongs to: it decides the URL of a Web call
/// (`/v3.6/customer/action/…`, `/v3.6/agent/action/…`) and the module of its types
/// (`lc_types::v3_6::customer`, `lc_types::v3_6::agent`).
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer", feature = "agent"))] {
/// use lc_types::{Action, ChatApi};
/// assert_eq!(lc_types::v3_6::customer::SendEventRequest::API, ChatApi::Customer);
/// assert_eq!(lc_types::v3_6::agent::SendEventRequest::API, ChatApi::Agent);
/// assert_eq!("agent".parse::<ChatApi>(), Ok(ChatApi::Agent));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ChatApi {
    /// The Customer Chat API (feature `customer`): what a customer's app or widget calls.
    Customer,
    /// The Agent Chat API (feature `agent`): what agents, bots and integrations call.
    Agent,
    /// The Configuration API (feature `configuration`): what configures a license; lc covers
    /// its webhook actions. Web only.
    Configuration,
}

impl ChatApi {
    /// Every API, in the order of their modules.
    pub const ALL: [ChatApi; 3] = [ChatApi::Customer, ChatApi::Agent, ChatApi::Configuration];

    /// `"customer"`, `"agent"` or `"configuration"`: its segment of the URL, its module and its
    /// cargo feature.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChatApi::Customer => "customer",
            ChatApi::Agent => "agent",
            ChatApi::Configuration => "configuration",
        }
    }

    /// `"Customer Chat API"`, `"Agent Chat API"` or `"Configuration API"`, as the docs name it.
    pub fn title(&self) -> &'static str {
        match self {
            ChatApi::Customer => "Customer Chat API",
            ChatApi::Agent => "Agent Chat API",
            ChatApi::Configuration => "Configuration API",
        }
    }
}

impl std::fmt::Display for ChatApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not `customer` or `agent`, given to [`ChatApi::from_str`](std::str::FromStr).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseChatApiError(String);

impl std::fmt::Display for ParseChatApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown API {}: expected `customer`, `agent` or `configuration`",
            crate::PeerText::new(&self.0)
        )
    }
}

impl std::error::Error for ParseChatApiError {}

impl std::str::FromStr for ChatApi {
    type Err = ParseChatApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChatApi::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| ParseChatApiError(s.to_owned()))
    }
}

/// A request of a LiveChat API: the payload of one action of one API in one version.
///
/// Generated for every request type. Transports are generic over it: `client.call(&request)`
/// returns `R::Response`.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::{Action, ApiVersion};
/// use lc_types::v3_6::customer::{SendEventRequest, SendEventResponse};
/// assert_eq!(SendEventRequest::NAME, "send_event");
/// assert_eq!(SendEventRequest::VERSION, ApiVersion::V3_6);
/// fn response_of<R: Action>(_: &R) -> Option<R::Response> { None }
/// let _: Option<SendEventResponse> = response_of(&SendEventRequest::new("PJ0MRSHTDG", lc_types::v3_6::customer::MessageEventInput::new("Hi")));
/// # }
/// ```
pub trait Action: Serialize + DeserializeOwned + Unknowns {
    /// The wire name of the action, e.g. `send_event`.
    const NAME: &'static str;
    /// The API version this request type belongs to.
    const VERSION: ApiVersion;
    /// The API this request type belongs to.
    const API: ChatApi;
    /// What the action answers.
    type Response: Serialize + DeserializeOwned + Unknowns;
}

/// An action available over the Web API (HTTP).
///
/// Only implemented where the docs list the action for the Web API, so sending `LoginRequest`
/// over HTTP does not compile:
///
/// ```compile_fail
/// fn over_web<R: lc_types::WebAction>(_: R) {}
/// over_web(lc_types::v3_6::customer::LoginRequest::new("Bearer dal:token"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an action of the Web API",
    note = "the manifest (schema/v*/api.json) lists this action for RTM only; send it with an RTM client"
)]
pub trait WebAction: Action {
    /// The HTTP method (and body format) of the action.
    const METHOD: WebMethod;
    /// Whether the call needs the customer's access token (`Authorization: Bearer …`). `false`
    /// for the configuration, localization and properties listings (reference §5.1).
    const NEEDS_TOKEN: bool;
    /// Whether sending the request twice has the same effect as sending it once, so a
    /// transport may send it again when it cannot tell whether the first one arrived (a
    /// timeout, a dropped connection, `internal`). `true` for the reads and for the actions
    /// that set a value (`update_*_properties`, `update_customer`, `mark_events_as_seen`, ...);
    /// `false` for those that create or toggle something (`send_event`, `start_chat`,
    /// `deactivate_chat`, `accept_greeting`, `delete_*`, `upload_file`, ...). From the
    /// manifest's `idempotent`.
    ///
    /// ```
    /// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
    /// use lc_types::WebAction;
    /// use lc_types::v3_6::customer::{GetCustomerRequest, SendEventRequest};
    /// assert!(GetCustomerRequest::IDEMPOTENT);
    /// assert!(!SendEventRequest::IDEMPOTENT);
    /// # }
    /// ```
    const IDEMPOTENT: bool;
}

/// An action available over the RTM API (WebSocket).
///
/// ```compile_fail
/// fn over_rtm<R: lc_types::RtmAction>(_: R) {}
/// over_rtm(lc_types::v3_6::customer::CheckGoalsRequest::default());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an action of the RTM API",
    note = "the manifest (schema/v*/api.json) lists this action for the Web API only; send it with a Web client"
)]
pub trait RtmAction: Action {}

/// The payload of an RTM push in one API version.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::Push;
/// use lc_types::v3_6::customer::IncomingEventPush;
/// assert_eq!(IncomingEventPush::NAME, "incoming_event");
/// # }
/// ```
pub trait Push: Serialize + DeserializeOwned + Unknowns {
    /// The wire name of the push (the frame's `action`), e.g. `incoming_event`.
    const NAME: &'static str;
    /// The API version this payload type belongs to.
    const VERSION: ApiVersion;
    /// The API whose connections receive it.
    const API: ChatApi;
}

/// One version's enum of every push or request (`v3_6::customer::AnyPush`, `v3_6::customer::AnyRequest`) as a member
/// of the enum over versions ([`VersionedPush`](crate::VersionedPush),
/// [`VersionedRequest`](crate::VersionedRequest)). A connection speaks one version: code written
/// for it takes its own out with `get()` (or `into_version()`) and matches once.
///
/// ```
/// # #[cfg(all(feature = "v3_6", feature = "customer"))] {
/// use lc_types::{v3_6, VersionedPush};
/// let push = VersionedPush::decode("3.6", "incoming_event", r#"{"chat_id":"C1","thread_id":"T1","event":
///     {"id":"E1","type":"message","text":"hi","author_id":"a","created_at":"2026-01-02T03:04:05.000000Z"}}"#).unwrap();
/// // The version is inferred from the pattern.
/// let Some(v3_6::customer::AnyPush::IncomingEvent(push)) = push.get() else { panic!("a v3.6 incoming_event") };
/// assert_eq!(push.chat_id, "C1");
/// # }
/// ```
pub trait VersionMember<V>: Sized {
    /// The version of this enum.
    const VERSION: ApiVersion;
    /// `Some` when `versioned` was decoded in this version.
    fn from_ref(versioned: &V) -> Option<&Self>;
    /// This version's value, or `versioned` back when it is of another version.
    fn from_versioned(versioned: V) -> Result<Self, V>;
}

/// One row of a version's action table (`lc_types::v3_6::customer::ACTIONS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActionInfo {
    /// Wire name.
    pub name: &'static str,
    /// How it is called over the Web API; `None` when it is not available there.
    pub web: Option<WebMethod>,
    /// Whether it is available over the RTM API.
    pub rtm: bool,
    /// Whether a Web call needs the customer's access token (`Authorization: Bearer …`); RTM
    /// authenticates once per connection, with `login`.
    pub needs_token: bool,
    /// Whether sending the request twice has the effect of sending it once (see
    /// [`WebAction::IDEMPOTENT`]); transports retry only these after an answer is lost.
    pub idempotent: bool,
    /// Name of the request type; `None` for `upload_file`, whose request is a multipart body.
    pub request: Option<&'static str>,
    /// Name of the response type.
    pub response: &'static str,
    /// Link to the documentation.
    pub docs: &'static str,
}

/// One row of a version's push table (`lc_types::v3_6::customer::PUSHES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushInfo {
    /// Wire name.
    pub name: &'static str,
    /// Name of the payload type.
    pub payload: &'static str,
    /// Link to the documentation.
    pub docs: &'static str,
}

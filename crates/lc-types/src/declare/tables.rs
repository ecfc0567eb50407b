//! The tables a version module is declared with: its actions ([`actions!`](actions)), its pushes
//! ([`pushes!`](pushes)), the enums that decode any payload by name ([`any!`](any)) and its types
//! ([`types!`](types)); [`api!`](api) ties them into the version's `VERSION` and `API`. One row per
//! action, push or type, with its facts; the impls and consts are written here once.

/// `ACTIONS` and the `Action`, `WebAction` and `RtmAction` impls of each request, from one row
/// per action: `name(Request) -> Response { web: Post | Get | Multipart | None, rtm: bool,
/// token: bool, idempotent: bool } "docs link"`. An action whose request is not a JSON payload
/// (`upload_file`) has no request type: `name() -> Response ...`.
macro_rules! actions {
    (
        $(#[doc = $doc:literal])*
        pub const ACTIONS for $version:ident $api:ident = [
            $(
                $name:ident($($request:ident)?) -> $response:ident {
                    web: $web:ident, rtm: $rtm:tt, token: $token:tt, idempotent: $idempotent:tt $(,)?
                } $docs:literal,
            )*
        ];
    ) => {
        $(#[doc = $doc])*
        pub const ACTIONS: &[$crate::ActionInfo] = &[$(
            $crate::ActionInfo {
                name: stringify!($name),
                web: $crate::declare::actions!(@method $web),
                rtm: $rtm,
                needs_token: $token,
                idempotent: $idempotent,
                request: $crate::declare::actions!(@request $($request)?),
                response: stringify!($response),
                docs: $docs,
            },
        )*];

        $(
            $crate::declare::actions!(@impls $version $api $name [$($request)?] $response $web $rtm $token $idempotent);
        )*
    };

    (@method None) => { None };
    (@method $web:ident) => { Some($crate::WebMethod::$web) };
    (@request) => { None };
    (@request $request:ident) => { Some(stringify!($request)) };

    (@impls $version:ident $api:ident $name:ident [] $($rest:tt)*) => {};
    (@impls $version:ident $api:ident $name:ident [$request:ident] $response:ident $web:ident $rtm:tt $token:tt $idempotent:tt) => {
        impl $crate::Action for $request {
            const NAME: &'static str = stringify!($name);
            const VERSION: $crate::ApiVersion = $crate::ApiVersion::$version;
            const API: $crate::ChatApi = $crate::ChatApi::$api;
            type Response = $response;
        }
        $crate::declare::actions!(@web $request $web $token $idempotent);
        $crate::declare::actions!(@rtm $request $rtm);
    };
    (@web $request:ident None $token:tt $idempotent:tt) => {};
    (@web $request:ident $web:ident $token:tt $idempotent:tt) => {
        impl $crate::WebAction for $request {
            const METHOD: $crate::WebMethod = $crate::WebMethod::$web;
            const NEEDS_TOKEN: bool = $token;
            const IDEMPOTENT: bool = $idempotent;
        }
    };
    (@rtm $request:ident true) => {
        impl $crate::RtmAction for $request {}
    };
    (@rtm $request:ident false) => {};
}

/// `PUSHES` and the `Push` impl of each payload, from one row per push:
/// `name(Payload) "docs link"`.
macro_rules! pushes {
    (
        $(#[doc = $doc:literal])*
        pub const PUSHES for $version:ident $api:ident = [
            $($name:ident($payload:ident) $docs:literal,)*
        ];
    ) => {
        $(#[doc = $doc])*
        pub const PUSHES: &[$crate::PushInfo] = &[$(
            $crate::PushInfo { name: stringify!($name), payload: stringify!($payload), docs: $docs },
        )*];

        $(
            impl $crate::Push for $payload {
                const NAME: &'static str = stringify!($name);
                const VERSION: $crate::ApiVersion = $crate::ApiVersion::$version;
                const API: $crate::ChatApi = $crate::ChatApi::$api;
            }
        )*
    };
}

/// The webhook table of a version's agent module (`WEBHOOKS`), its `Webhook` delivery type and
/// the glue that makes its `AnyWebhook` a [`WebhookPayload`](crate::webhook::WebhookPayload):
/// `pub const WEBHOOKS for V3_6 = [incoming_event(IncomingEventPush) "https://…", ..];`.
macro_rules! webhook_table {
    (
        $(#[doc = $doc:literal])*
        pub const WEBHOOKS for $version:ident = [
            $($name:ident($payload:ident) $docs:literal,)*
        ];
    ) => {
        $(#[doc = $doc])*
        pub const WEBHOOKS: &[$crate::webhook::WebhookInfo] = &[$(
            $crate::webhook::WebhookInfo { name: stringify!($name), payload: stringify!($payload), docs: $docs },
        )*];

        /// A webhook delivery of this version: [`lc_types::webhook::Webhook`](crate::webhook::Webhook)
        /// over this version's payloads ([`AnyWebhook`]).
        pub type Webhook = $crate::webhook::Webhook<AnyWebhook>;

        impl $crate::webhook::WebhookPayload for AnyWebhook {
            type AdditionalData = WebhookAdditionalData;
            type Requester = WebhookRequester;
            const VERSION: $crate::ApiVersion = $crate::ApiVersion::$version;

            fn action(&self) -> &str {
                self.name()
            }

            fn deserialize_action<'de, D: serde::Deserializer<'de>>(action: &str, deserializer: D) -> Result<Self, D::Error> {
                Self::deserialize_named(action, deserializer)
            }

            fn decode_action_value(action: &str, payload: serde_json::Value) -> Result<Self, $crate::DecodeError> {
                Self::decode_value(action, payload)
            }
        }
    };
}

/// An enum holding any request, response or push payload, decoded by its action or push name,
/// with a hidden case for a name this version does not know (its raw payload kept):
/// `pub enum AnyPush by push { IncomingChat(IncomingChatPush) = "incoming_chat", .. }`.
macro_rules! any {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident by $what:ident {
            $($variant:ident($payload:ty) = $wire:literal,)*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug, PartialEq)]
        #[allow(clippy::large_enum_variant)] // members differ in size as the payloads do
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("`", $wire, "`.")] $variant($payload),)*
            #[doc = concat!("A ", stringify!($what), " this version does not know. Not part of the API: use `name()`, `is_unknown()`")]
            /// and `as_unknown()`.
            #[doc(hidden)]
            _Custom($crate::UnknownPayload),
        }

        impl $name {
            #[doc = concat!("Decodes the payload `text` of the ", stringify!($what), " `name`. An unknown name keeps the payload")]
            /// (`is_unknown()`, `as_unknown()`); a known one with a malformed payload is an error naming
            /// the JSON path.
            pub fn decode(name: &str, text: &str) -> Result<Self, $crate::DecodeError> {
                match name {
                    $($wire => $crate::from_str(text).map(Self::$variant),)*
                    _ => $crate::from_str(text).map(|payload| Self::_Custom($crate::UnknownPayload::new(None, name.to_owned(), payload))),
                }
            }

            /// Like `decode`, from any deserializer (the payload inside a frame being read:
            /// [`PushFrame::decode_text`](crate::PushFrame::decode_text)). Not part of the API.
            #[doc(hidden)]
            #[allow(dead_code)] // pushes only; also built for requests and responses
            pub fn deserialize_named<'de, D: serde::Deserializer<'de>>(name: &str, deserializer: D) -> Result<Self, D::Error> {
                match name {
                    $($wire => <$payload as serde::Deserialize>::deserialize(deserializer).map(Self::$variant),)*
                    _ => <serde_json::Value as serde::Deserialize>::deserialize(deserializer)
                        .map(|payload| Self::_Custom($crate::UnknownPayload::new(None, name.to_owned(), payload))),
                }
            }

            /// Like `decode`, from an already parsed payload.
            pub fn decode_value(name: &str, payload: serde_json::Value) -> Result<Self, $crate::DecodeError> {
                match name {
                    $($wire => $crate::from_value(payload).map(Self::$variant),)*
                    _ => Ok(Self::_Custom($crate::UnknownPayload::new(None, name.to_owned(), payload))),
                }
            }

            #[doc = concat!("The ", stringify!($what), " name.")]
            pub fn name(&self) -> &str {
                match self {
                    $(Self::$variant(_) => $wire,)*
                    Self::_Custom(u) => u.name(),
                }
            }

            #[doc = concat!("Whether this is a ", stringify!($what), " this version does not know.")]
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::_Custom(_))
            }

            #[doc = concat!("The name and raw payload of a ", stringify!($what), " this version does not know; `None` for a known one.")]
            pub fn as_unknown(&self) -> Option<&$crate::UnknownPayload> {
                match self {
                    Self::_Custom(u) => Some(u),
                    #[allow(unreachable_patterns)] // a version without any such payload
                    _ => None,
                }
            }
        }

        impl serde::Serialize for $name {
            /// Serializes the payload alone (the name travels beside it, e.g. in the frame's `action`).
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Self::$variant(v) => serde::Serialize::serialize(v, serializer),)*
                    Self::_Custom(u) => serde::Serialize::serialize(u, serializer),
                }
            }
        }

        impl $crate::Unknowns for $name {
            fn visit_unknowns(&self, path: &mut $crate::JsonPath, found: &mut dyn FnMut($crate::Unknown)) {
                match self {
                    $(Self::$variant(v) => $crate::Unknowns::visit_unknowns(v, path, found),)*
                    Self::_Custom(u) => path.report($crate::declare::any!(@kind $what)(u.name().to_owned()), found),
                }
            }
        }
    };
    (@kind action) => { $crate::UnknownKind::Action };
    (@kind push) => { $crate::UnknownKind::Push };
    (@kind webhook) => { $crate::UnknownKind::Webhook };
}

/// `TYPES` (every type's name, sorted) and `decode_type` (text decoded as the type of a name),
/// from the list of the version's types; a type of the hand-written core gives its path:
/// `ErrorEnvelope = crate::ErrorEnvelope`.
macro_rules! types {
    ($($name:ident $(= $path:path)?,)*) => {
        /// The name of every type of this API version, sorted.
        pub const TYPES: &[&str] = &[$(stringify!($name),)*];

        /// Decodes `text` as the type called `name` (e.g. `"Event"`); `None` when this version has
        /// no type of that name.
        pub fn decode_type(name: &str, text: &str) -> Option<Result<Box<dyn $crate::Decoded>, $crate::DecodeError>> {
            fn boxed<T: $crate::Decoded + 'static>(r: Result<T, $crate::DecodeError>) -> Result<Box<dyn $crate::Decoded>, $crate::DecodeError> {
                r.map(|v| Box::new(v) as Box<dyn $crate::Decoded>)
            }
            Some(match name {
                $(stringify!($name) => boxed($crate::from_str::<$crate::declare::types!(@type $name $($path)?)>(text)),)*
                _ => return None,
            })
        }
    };
    (@type $name:ident) => { $name };
    (@type $name:ident $path:path) => { $path };
}

/// `API` of an API's module, from the tables above and the version module's `VERSION`
/// (`api!(Agent);`).
macro_rules! api {
    ($api:ident) => {
        /// This API's tables and run-time decoders.
        pub const API: $crate::Api = $crate::Api {
            api: $crate::ChatApi::$api,
            version: super::VERSION,
            actions: ACTIONS,
            pushes: PUSHES,
            types: TYPES,
            decode_request: |name, text| AnyRequest::decode(name, text).map(|v| Box::new(v) as Box<dyn $crate::Decoded>),
            decode_response: |name, text| AnyResponse::decode(name, text).map(|v| Box::new(v) as Box<dyn $crate::Decoded>),
            decode_push: |name, text| AnyPush::decode(name, text).map(|v| Box::new(v) as Box<dyn $crate::Decoded>),
            decode_type,
        };
    };
}

pub(crate) use {actions, any, api, pushes, types, webhook_table};

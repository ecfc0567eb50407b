//! What the handles ([`RtmClient`](crate::RtmClient), [`Events`](crate::Events)) and the
//! connection task ([`driver`](crate::driver)) pass each other: commands one way, the state and
//! stream items the other, and what both share.

use std::sync::Arc;

use lc_types::{ApiVersion, ChatApi, PushFrame, RequestFrame, ResponseFrame};
use tokio::sync::{mpsc, oneshot, watch};

use crate::error::Error;
use crate::event::{Cause, Pushed, RtmEvent};
use crate::session::{CallId, ConnectionState};

/// Where a call's answer goes.
pub(crate) type Reply = oneshot::Sender<Result<ResponseFrame, Error>>;

/// The page (`url`, `title`) logins send, shared by the task and the handles.
pub(crate) type SharedPage = Arc<std::sync::Mutex<Option<(String, Option<String>)>>>;

/// What a handle asks of the task.
pub(crate) enum Command {
    Call {
        id: CallId,
        frame: RequestFrame,
        timeout: Option<std::time::Duration>,
        reply: Reply,
    },
    Cancel(CallId),
    Connect,
    /// Answered once every earlier command was handled.
    Sync(oneshot::Sender<()>),
    Disconnect,
    /// `destroy()`; answered (when a sender is given) once the close handshake is done.
    Destroy(Option<oneshot::Sender<()>>),
}

/// What the connection task publishes for the handles: the state, and the cause of the last
/// disconnect (also when the state no longer says it, e.g. `Disconnected` after
/// `inactivity_timeout`).
#[derive(Clone, Debug)]
pub(crate) struct Status {
    pub state: ConnectionState,
    pub last: Option<Arc<Cause>>,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            state: ConnectionState::Disconnected,
            last: None,
        }
    }
}

/// What the connection task and the [`Events`](crate::Events) stream share: the bytes waiting
/// for the reader, a wake-up when it takes some, and the count of events discarded because
/// nobody keeps the stream.
#[derive(Debug, Default)]
pub(crate) struct StreamShared {
    /// Bytes of the items handed to the stream (or waiting in the task's overflow) and not
    /// read yet.
    pub buffered: std::sync::atomic::AtomicUsize,
    /// Notified when the reader took an item (or dropped the stream).
    pub room: tokio::sync::Notify,
    /// Events and pushes dropped because the stream was dropped or turned off.
    pub discarded: std::sync::atomic::AtomicU64,
    /// `event_buffer_bytes`: at it the task stops reading the socket and waits for `room`.
    pub bound: usize,
}

/// The handles' ends of a new connection task, from which the client and its stream are made.
pub(crate) struct Ends {
    /// Where commands go.
    pub commands: mpsc::UnboundedSender<Command>,
    /// The task's state.
    pub state: watch::Receiver<Status>,
    /// The stream's items (already closed when events are not kept).
    pub events: mpsc::Receiver<Item>,
    /// What the task and the stream share.
    pub stream: Arc<StreamShared>,
    /// The connection's API version.
    pub version: ApiVersion,
    /// The connection's Chat API.
    pub api: ChatApi,
    /// The page logins send.
    pub page: SharedPage,
}

/// What the connection task puts in the stream: an event, or a push still to decode (so the
/// reader's task pays for the decoding, and frees what it decoded), with what it weighs in
/// the byte bound.
#[derive(Debug)]
pub(crate) struct Item {
    pub bytes: usize,
    body: Body,
}

#[derive(Debug)]
enum Body {
    Ready(RtmEvent),
    /// A push frame's text.
    Push(String, ChatApi, ApiVersion),
}

impl Item {
    /// An event as it is.
    pub(crate) fn ready(event: RtmEvent) -> Self {
        Item {
            bytes: event.peer_bytes(),
            body: Body::Ready(event),
        }
    }

    /// A push frame (its text) of an `api` connection of `version`, decoded when read; it
    /// weighs its length.
    pub(crate) fn push(text: String, api: ChatApi, version: ApiVersion) -> Self {
        Item {
            bytes: text.len(),
            body: Body::Push(text, api, version),
        }
    }

    /// The event, the push decoded (or an [`RtmEvent::UndecodedPush`]).
    pub(crate) fn into_event(self) -> RtmEvent {
        match self.body {
            Body::Ready(event) => event,
            Body::Push(text, api, version) => match PushFrame::decode_text(&text, api, version) {
                Ok(decoded) => RtmEvent::Push(Box::new(Pushed {
                    push: decoded.push,
                    request_id: decoded.request_id,
                })),
                // The frame as received, when it reads as a push frame at all.
                Err(error) => match lc_types::from_str::<PushFrame>(&text) {
                    Ok(frame) => RtmEvent::UndecodedPush {
                        frame: Box::new(frame),
                        error,
                    },
                    Err(_) => RtmEvent::UnexpectedFrame(text),
                },
            },
        }
    }
}

//! [`RtmClient`], the handle for calls, and [`Events`], the stream of pushes and connection
//! events.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use lc_types::{ApiVersion, PushFrame, RequestFrame, ResponseFrame, RtmAction};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};

use crate::driver::Command;
use crate::event::Event;
use crate::session::ConnectionState;
use crate::{Error, ErrorKind, RtmClientBuilder};

/// A handle to one RTM connection: cheap to clone, usable from any task. The connection lives
/// while a handle does (or until [`destroy`](RtmClient::destroy)).
///
/// ```no_run
/// use futures_util::StreamExt;
/// use lc_rtm::{Event, RtmClient};
/// use lc_types::v3_6::{AnyPush, GetCustomerRequest};
/// use lc_types::VersionedPush;
/// # async fn run() -> Result<(), lc_rtm::Error> {
/// let (client, mut events) = RtmClient::builder("my-organization-id")
///     .token("dal:customer-access-token")
///     .build()?;
/// let customer = client.call(&GetCustomerRequest::default()).await?;
/// println!("logged in as {:?}", customer.0);
/// while let Some(event) = events.next().await {
///     match event {
///         Event::Push(p) => match &p.push {
///             VersionedPush::V3_6(AnyPush::IncomingEvent(e)) => println!("new event in {}", e.chat_id),
///             other => println!("push {}", other.name()),
///         },
///         Event::Disconnected(d) => println!("{} ({:?})", d.cause.describe(), d.next),
///         _ => {}
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RtmClient {
    inner: Arc<Inner>,
}

struct Inner {
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnectionState>,
    version: ApiVersion,
    next_call: AtomicU64,
    page: crate::config::SharedPage,
}

impl std::fmt::Debug for RtmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtmClient")
            .field("version", &self.inner.version)
            .field("state", &*self.inner.state.borrow())
            .finish()
    }
}

impl RtmClient {
    /// A builder for a client of organization `organization_id`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), lc_rtm::Error> {
    /// let (client, events) = lc_rtm::RtmClient::builder("my-organization-id")
    ///     .token("dal:customer-access-token")
    ///     .build()?;
    /// client.wait_connected(std::time::Duration::from_secs(10)).await?;
    /// # let _ = events;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(organization_id: impl Into<String>) -> RtmClientBuilder {
        RtmClientBuilder::new(organization_id.into())
    }

    pub(crate) fn new(
        commands: mpsc::UnboundedSender<Command>,
        state: watch::Receiver<ConnectionState>,
        version: ApiVersion,
        page: crate::config::SharedPage,
    ) -> Self {
        RtmClient {
            inner: Arc::new(Inner {
                commands,
                state,
                version,
                next_call: AtomicU64::new(1),
                page,
            }),
        }
    }

    /// The page later logins send (`customer_page`).
    pub(crate) fn set_page(&self, url: &str, title: Option<&str>) {
        *self.inner.page.lock().expect("not poisoned") = Some((url.to_owned(), title.map(str::to_owned)));
    }

    /// Sends `frame` without waiting for its answer (it still takes a request slot).
    pub(crate) fn send_unanswered(&self, frame: RequestFrame) {
        let id = self.inner.next_call.fetch_add(1, Ordering::Relaxed);
        let (reply, _) = oneshot::channel();
        let _ = self.inner.commands.send(Command::Call {
            id,
            frame,
            timeout: None,
            reply,
        });
    }

    /// The API version of the connection.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.version
    }

    /// Where the connection is now.
    pub fn state(&self) -> ConnectionState {
        self.inner.state.borrow().clone()
    }

    /// Waits until the connection is logged in (at once if it is); fails when it closes for
    /// good or is left disconnected, or after `timeout`.
    pub async fn wait_connected(&self, timeout: Duration) -> Result<(), Error> {
        // Commands are handled in order: once this one is, an earlier `connect()` shows in the state.
        let (done, synced) = oneshot::channel();
        if self.inner.commands.send(Command::Sync(done)).is_err() || synced.await.is_err() {
            return Err(ErrorKind::Closed("the connection task ended".into()).into());
        }
        let mut state = self.inner.state.clone();
        let settled = |s: &ConnectionState| {
            !matches!(
                s,
                ConnectionState::Connecting { .. } | ConnectionState::LoggingIn { .. } | ConnectionState::Reconnecting { .. }
            )
        };
        let wait = async { state.wait_for(settled).await.map(|s| s.clone()) };
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(ConnectionState::Active)) => Ok(()),
            Ok(Ok(ConnectionState::Closed { cause })) => Err(ErrorKind::Closed(cause.describe()).into()),
            Ok(Ok(_)) => Err(ErrorKind::NotConnected("not connecting; call connect()".into()).into()),
            Ok(Err(_)) => Err(ErrorKind::Closed("the connection task ended".into()).into()),
            Err(_) => {
                // Say why: the last connection's end, when there was one.
                let last = match &*self.inner.state.borrow() {
                    ConnectionState::Reconnecting { cause, .. } => format!("; last: {}", cause.describe()),
                    _ => String::new(),
                };
                Err(ErrorKind::NotConnected(format!("not connected within {timeout:?}{last}")).into())
            }
        }
    }

    /// Sends `request` and waits for its response, typed.
    ///
    /// At most 10 requests are on the wire at once; further calls wait for a slot. A request
    /// made while reconnecting waits for the connection (see
    /// [`RtmClientBuilder::wait_for_connection`]). When the connection drops with the request
    /// on the wire, the call fails at once with [`ErrorKind::ConnectionLost`]. A request of a
    /// version older than the connection's is refused before anything is sent
    /// ([`ErrorKind::Version`]); a newer one names its version in the frame. `login` is refused
    /// ([`ErrorKind::InvalidInput`]): the client sends it by itself after every connect.
    pub async fn call<R: RtmAction>(&self, request: &R) -> Result<R::Response, Error> {
        self.call_with_timeout(request, None).await
    }

    /// [`call`](Self::call) with its own timeout instead of the client's.
    pub async fn call_with_timeout<R: RtmAction>(&self, request: &R, timeout: Option<Duration>) -> Result<R::Response, Error> {
        let frame = self.frame(R::VERSION, R::NAME, request)?;
        let response = self.send(frame, timeout).await?;
        response.decode_response::<R>().map_err(Error::from)
    }

    /// Sends action `action` of `version` with a JSON payload and gives the response payload as
    /// JSON (for actions known only at run time, e.g. a CLI). The payload goes through the
    /// action's typed request ([`lc_types::Api::check_request`]), as [`call`](Self::call)
    /// would send it: one that does not decode fails with [`ErrorKind::Encode`] naming the
    /// JSON path, and a `null` the schema does not allow is left out (with a `tracing` warning).
    pub async fn call_value(&self, version: ApiVersion, action: &str, payload: &serde_json::Value) -> Result<serde_json::Value, Error> {
        let checked;
        let payload = match lc_types::api(version) {
            Some(api) => {
                checked = api
                    .check_request(action, payload)
                    .map_err(|e| Error::from(ErrorKind::Encode(format!("the request of `{action}` does not decode: {e}"))))?;
                for path in &checked.dropped_nulls {
                    tracing::warn!(action, path = %path, "lc-rtm: a `null` the schema does not allow is left out");
                }
                &checked.payload
            }
            // A version this build does not have: sent as given.
            None => payload,
        };
        let frame = self.frame(version, action, payload)?;
        let response = self.send(frame, None).await?;
        response.decode::<serde_json::Value>().map_err(Error::from)
    }

    /// Starts connecting (after `auto_connect(false)`, `disconnect()`, or a reason that waits
    /// for the user such as `inactivity_timeout`); skips a reconnect wait in progress.
    pub fn connect(&self) {
        let _ = self.inner.commands.send(Command::Connect);
    }

    /// Closes the connection and stays disconnected until [`connect`](Self::connect). Calls on
    /// the wire fail with `ConnectionLost`, waiting ones with `NotConnected`.
    pub fn disconnect(&self) {
        let _ = self.inner.commands.send(Command::Disconnect);
    }

    /// Closes the connection for good: every call, now and later, fails with `Closed`.
    pub fn destroy(&self) {
        let _ = self.inner.commands.send(Command::Destroy);
    }

    pub(crate) fn frame(&self, version: ApiVersion, action: &str, payload: &impl Serialize) -> Result<RequestFrame, Error> {
        let connection = self.inner.version;
        if action == "login" {
            return Err(ErrorKind::InvalidInput(
                "the client logs in by itself after every connect; set the login fields on the builder".into(),
            )
            .into());
        }
        if version < connection {
            return Err(ErrorKind::Version(format!(
                "`{action}` of v{version} cannot go over a v{connection} connection (a request's version may only be at least the connection's)"
            ))
            .into());
        }
        RequestFrame::from_parts(version, action, payload, None, connection).map_err(|e| ErrorKind::Encode(e.to_string()).into())
    }

    async fn send(&self, frame: RequestFrame, timeout: Option<Duration>) -> Result<ResponseFrame, Error> {
        let id = self.inner.next_call.fetch_add(1, Ordering::Relaxed);
        let (reply, rx) = oneshot::channel();
        let command = Command::Call { id, frame, timeout, reply };
        if self.inner.commands.send(command).is_err() {
            return Err(ErrorKind::Closed("the connection task ended".into()).into());
        }
        // Tells the task when the caller stops waiting (its future dropped).
        let guard = CancelOnDrop {
            id,
            commands: &self.inner.commands,
            armed: true,
        };
        let result = rx.await;
        guard.disarm();
        result.unwrap_or_else(|_| Err(ErrorKind::Closed("the connection task ended".into()).into()))
    }
}

struct CancelOnDrop<'a> {
    id: u64,
    commands: &'a mpsc::UnboundedSender<Command>,
    armed: bool,
}

impl CancelOnDrop<'_> {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.commands.send(Command::Cancel(self.id));
        }
    }
}

/// The stream of [`Event`]s of one client: pushes and connection events, in the order they
/// happened. Nothing is dropped: up to
/// [`RtmClientBuilder::event_buffer`](crate::RtmClientBuilder::event_buffer) events (10,000 by
/// default) wait here until read; when it is full the client stops reading the socket (the
/// server's frames wait in the network buffers) until there is room, so memory stays bounded.
/// Read the events (in a task of their own), or drop the stream (then they are discarded): a
/// stream that is kept but not read stalls the connection once it is full, call responses
/// included.
///
/// It implements [`futures_util::Stream`]; [`Events::next`] works without importing a trait.
/// It ends when the connection task ends (every handle dropped, or `destroy()`).
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<Item>,
}

impl Events {
    pub(crate) fn new(rx: mpsc::Receiver<Item>) -> Self {
        Events { rx }
    }

    /// The next event; `None` when the connection task has ended.
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await.map(Item::into_event)
    }

    /// An event if one is ready now.
    pub fn try_next(&mut self) -> Option<Event> {
        self.rx.try_recv().ok().map(Item::into_event)
    }
}

impl futures_util::Stream for Events {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.poll_recv(cx).map(|item| item.map(Item::into_event))
    }
}

/// What the connection task puts in the stream: an event, or a push still to decode (so the
/// reader's task pays for the decoding, and frees what it decoded).
#[derive(Debug)]
pub(crate) enum Item {
    Ready(Event),
    Push(PushFrame, ApiVersion),
}

impl Item {
    fn into_event(self) -> Event {
        match self {
            Item::Ready(event) => event,
            Item::Push(frame, version) => match frame.decode_any(version) {
                Ok(push) => Event::Push(Box::new(crate::Pushed {
                    push,
                    request_id: frame.request_id,
                })),
                Err(error) => Event::UndecodedPush {
                    frame: Box::new(frame),
                    error,
                },
            },
        }
    }
}

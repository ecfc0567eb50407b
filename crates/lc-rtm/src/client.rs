//! [`RtmClient`], the handle for calls, and [`Events`], the stream of pushes and connection
//! events.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use lc_types::{ApiVersion, ChatApi, RequestFrame, ResponseFrame, RtmAction};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};

use crate::channel::{Command, Ends, Item, SharedPage, Status, StreamShared};
use crate::error::{Error, ErrorKind};
use crate::event::{Cause, RtmEvent};
use crate::session::ConnectionState;

/// A handle to one RTM connection: cheap to clone, usable from any task. The connection lives
/// while a handle does (or until [`destroy`](RtmClient::destroy)).
///
/// ```no_run
/// use futures_util::StreamExt;
/// use lc_rtm::{RtmEvent, RtmClient};
/// use lc_types::v3_6::customer::{AnyPush, GetCustomerRequest};
/// use lc_types::VersionedPush;
/// # async fn run() -> Result<(), lc_rtm::Error> {
/// let (client, mut events) = RtmClient::builder("my-organization-id")
///     .token("dal:customer-access-token")
///     .build()?;
/// let customer = client.call(&GetCustomerRequest::default()).await?;
/// println!("logged in as {:?}", customer.0);
/// while let Some(event) = events.next().await {
///     match event {
///         RtmEvent::Push(p) => match &p.push {
///             VersionedPush::V3_6(AnyPush::IncomingEvent(e)) => println!("new event in {}", e.chat_id),
///             other => println!("push {}", other.name()),
///         },
///         RtmEvent::Disconnected(d) => println!("{} ({:?})", d.cause.describe(), d.next),
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
    state: watch::Receiver<Status>,
    version: ApiVersion,
    api: ChatApi,
    next_call: AtomicU64,
    page: SharedPage,
    stream: Arc<StreamShared>,
}

impl std::fmt::Debug for RtmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtmClient")
            .field("api", &self.inner.api)
            .field("version", &self.inner.version)
            .field("state", &self.inner.state.borrow().state)
            .finish()
    }
}

/// The client and its event stream, made from the ends of a new connection task.
pub(crate) fn handles(ends: Ends) -> (RtmClient, Events) {
    let Ends {
        commands,
        state,
        events,
        stream,
        version,
        api,
        page,
    } = ends;
    let client = RtmClient {
        inner: Arc::new(Inner {
            commands,
            state,
            version,
            api,
            next_call: AtomicU64::new(1),
            page,
            stream: stream.clone(),
        }),
    };
    (client, Events { rx: events, stream })
}

impl RtmClient {
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

    /// The Chat API of the connection: `Customer` ([`RtmClient::builder`]) or `Agent`
    /// (`RtmClient::agent_builder`).
    pub fn api(&self) -> ChatApi {
        self.inner.api
    }

    /// Where the connection is now.
    pub fn state(&self) -> ConnectionState {
        self.inner.state.borrow().state.clone()
    }

    /// How many pushes and events were discarded because nobody keeps the event stream (the
    /// [`Events`] was dropped, or [`RtmClientBuilder::events`](crate::RtmClientBuilder::events)
    /// was `false`). Each discard is logged at `debug` level too (the first, then at every
    /// power of two).
    pub fn discarded_events(&self) -> u64 {
        self.inner.stream.discarded.load(Ordering::Relaxed)
    }

    /// Waits until the connection is logged in (at once if it is); fails when it closes for
    /// good or is left disconnected, or after `timeout`. A long-lived client's wait: attempts
    /// that fail meanwhile are retried as the reason's policy says. The error's
    /// [`cause`](Error::cause) is why the last connection or attempt ended, when one did.
    pub async fn wait_connected(&self, timeout: Duration) -> Result<(), Error> {
        self.wait_settled(timeout, false).await
    }

    /// Waits for the connection attempt under way (or the next one) and fails at once when
    /// it fails, for one-shot users (a command-line call) who want an answer, not retries:
    /// `Ok` once logged in (at once if it is); otherwise, as soon as the attempt fails
    /// (nothing listening, TLS, an HTTP error on the upgrade, a refused login, a
    /// `customer_disconnected` with any reason, a closed socket), an error whose
    /// [`cause`](Error::cause) says why, typed: [`ErrorKind::Closed`] when the client stopped
    /// for good (a reason with the policy `Stop` such as `license_not_found`, a refused
    /// token, an HTTP 4xx), else [`ErrorKind::NotConnected`]. [`Cause::refusal`] tells the
    /// API's refusal (`license_not_found`, `authentication`, ...) from a transport failure.
    /// Also fails after `timeout`.
    ///
    /// The client itself keeps its policy (it goes on reconnecting after a transient
    /// failure): a one-shot user then closes it ([`shutdown`](Self::shutdown)).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), lc_rtm::Error> {
    /// let (client, events) = lc_rtm::RtmClient::builder("my-organization-id")
    ///     .token("dal:customer-access-token")
    ///     .events(false)
    ///     .build()?;
    /// # let _ = events;
    /// if let Err(e) = client.wait_first_connection(std::time::Duration::from_secs(15)).await {
    ///     match e.cause().and_then(lc_rtm::Cause::refusal) {
    ///         Some(refusal) => eprintln!("the API refused: {refusal} ({e})"),
    ///         None => eprintln!("cannot connect: {e}"),
    ///     }
    ///     client.shutdown().await;
    ///     return Err(e);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_first_connection(&self, timeout: Duration) -> Result<(), Error> {
        self.wait_settled(timeout, true).await
    }

    /// Waits until the state settles: logged in, or not connecting; with `first`, a
    /// reconnect wait (the attempt failed) settles too.
    async fn wait_settled(&self, timeout: Duration, first: bool) -> Result<(), Error> {
        // Commands are handled in order: once this one is, an earlier `connect()` shows in the state.
        let (done, synced) = oneshot::channel();
        if self.inner.commands.send(Command::Sync(done)).is_err() || synced.await.is_err() {
            return Err(task_ended());
        }
        let mut state = self.inner.state.clone();
        let settled = |s: &Status| match s.state {
            ConnectionState::Connecting { .. } | ConnectionState::LoggingIn { .. } => false,
            ConnectionState::Reconnecting { .. } => first,
            _ => true,
        };
        let wait = async { state.wait_for(settled).await.map(|s| s.clone()) };
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(Status { state, last })) => match state {
                ConnectionState::Active => Ok(()),
                ConnectionState::Closed { cause } => {
                    let why = cause.describe();
                    Err(Error::with_cause(ErrorKind::Closed, Some(why), Some(shared(last, cause))))
                }
                ConnectionState::Reconnecting { cause, .. } => {
                    let why = format!("the connection attempt failed: {}", cause.describe());
                    Err(Error::with_cause(ErrorKind::NotConnected, Some(why), Some(shared(last, cause))))
                }
                _ => {
                    let why = match &last {
                        Some(cause) => format!("not connecting (call connect()); last: {}", cause.describe()),
                        None => "not connecting; call connect()".into(),
                    };
                    Err(Error::with_cause(ErrorKind::NotConnected, Some(why), last))
                }
            },
            Ok(Err(_)) => Err(task_ended()),
            Err(_) => {
                // Say where it stands, and the last connection's end when there was one.
                let (stage, last) = {
                    let status = self.inner.state.borrow();
                    let stage = match status.state {
                        ConnectionState::Connecting { .. } => "the socket is not open yet",
                        ConnectionState::LoggingIn { .. } => "the socket is open and `login` was sent, with no answer yet",
                        ConnectionState::Reconnecting { .. } => "waiting to reconnect",
                        _ => "no connection",
                    };
                    (stage, status.last.clone())
                };
                let why = last.as_ref().map(|c| format!("; last: {}", c.describe())).unwrap_or_default();
                let waited = format!("{:.1} s", timeout.as_secs_f64());
                Err(Error::with_cause(
                    ErrorKind::NotConnected,
                    Some(format!("{stage} after {waited}{why}")),
                    last,
                ))
            }
        }
    }

    /// Sends `request` and waits for its response, typed.
    ///
    /// At most 10 requests are on the wire at once; further calls wait for a slot. A request
    /// made while reconnecting waits for the connection (see
    /// [`RtmClientBuilder::wait_for_connection`](crate::RtmClientBuilder::wait_for_connection)).
    /// When the connection drops with the request on the wire, the call fails at once with
    /// [`ErrorKind::ConnectionLost`]. A request of a version older than the connection's is
    /// refused before anything is sent ([`ErrorKind::Version`]); a newer one names its version
    /// in the frame. `login` is refused ([`ErrorKind::InvalidInput`]): the client sends it by
    /// itself after every connect. A request of the other Chat API (a customer's on an agent's
    /// connection) is refused too ([`ErrorKind::InvalidInput`]).
    pub async fn call<R: RtmAction>(&self, request: &R) -> Result<R::Response, Error> {
        self.call_with_timeout(request, None).await
    }

    /// [`call`](Self::call) with its own timeout instead of the client's.
    pub async fn call_with_timeout<R: RtmAction>(&self, request: &R, timeout: Option<Duration>) -> Result<R::Response, Error> {
        if R::API != self.inner.api {
            return Err(Error::with_source(
                ErrorKind::InvalidInput,
                format!(
                    "`{}` of the {} cannot go over a connection of the {}",
                    R::NAME,
                    R::API.title(),
                    self.inner.api.title()
                ),
            ));
        }
        let frame = self.frame(R::VERSION, R::NAME, request)?;
        let response = self.send(frame, timeout).await?;
        response.decode_response::<R>().map_err(Error::from_response)
    }

    /// Sends action `action` of `version` with a JSON payload and gives the response payload as
    /// JSON (for actions known only at run time, e.g. a CLI). The payload goes through the
    /// action's typed request ([`lc_types::Api::check_request`]), as [`call`](Self::call)
    /// would send it: one that does not decode fails with [`ErrorKind::Encode`] naming the
    /// JSON path, and a `null` the schema does not allow is left out (with a `tracing` warning).
    pub async fn call_value(&self, version: ApiVersion, action: &str, payload: &serde_json::Value) -> Result<serde_json::Value, Error> {
        let checked;
        let payload = match lc_types::api(self.inner.api, version) {
            Some(api) => {
                checked = api
                    .check_request(action, payload)
                    .map_err(|e| Error::with_source(ErrorKind::Encode, format!("the request of `{action}` does not decode: {e}")))?;
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
        response.decode::<serde_json::Value>().map_err(Error::from_response)
    }

    /// Starts connecting (after `auto_connect(false)`, `disconnect()`, or a reason that waits
    /// for the user such as `inactivity_timeout`); skips a reconnect wait in progress.
    pub fn connect(&self) {
        let _ = self.inner.commands.send(Command::Connect);
    }

    /// Closes the connection and stays disconnected until [`connect`](Self::connect). Calls on
    /// the wire fail with `ConnectionLost`, waiting ones with `NotConnected`.
    ///
    /// The socket is closed as RFC 6455 §7 asks, in the background: frames already sent go
    /// out, then a Close frame with status 1000 (normal closure), then the client waits for
    /// the server's Close, at most 1 s in all; a server that never answers is then dropped.
    pub fn disconnect(&self) {
        let _ = self.inner.commands.send(Command::Disconnect);
    }

    /// Closes the connection for good: every call, now and later, fails with `Closed`; the
    /// event stream ends. Returns at once; the close handshake (Close with status 1000, then
    /// the server's Close, at most 1 s, as for [`disconnect`](Self::disconnect)) goes on in
    /// the background, so a program that exits right after may cut it short: await
    /// [`shutdown`](Self::shutdown) instead. Dropping every handle does the same as
    /// `destroy()`.
    pub fn destroy(&self) {
        let _ = self.inner.commands.send(Command::Destroy(None));
    }

    /// [`destroy`](Self::destroy), then waits until the close handshake is done: the server
    /// answered the Close (1000), or 1 s passed, or there was no socket to close. What a
    /// one-shot user (a command-line call) awaits before exiting. At once if the client was
    /// closed already.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), lc_rtm::Error> {
    /// let (client, _events) = lc_rtm::RtmClient::builder("my-organization-id")
    ///     .token("dal:customer-access-token")
    ///     .build()?;
    /// client.wait_first_connection(std::time::Duration::from_secs(15)).await?;
    /// let customer = client.call(&lc_types::v3_6::customer::GetCustomerRequest::default()).await;
    /// client.shutdown().await;
    /// # let _ = customer;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self) {
        let (done, closed) = oneshot::channel();
        if self.inner.commands.send(Command::Destroy(Some(done))).is_ok() {
            // An error: the task had ended already.
            let _ = closed.await;
        }
    }

    pub(crate) fn frame(&self, version: ApiVersion, action: &str, payload: &impl Serialize) -> Result<RequestFrame, Error> {
        let connection = self.inner.version;
        if action == "login" {
            return Err(Error::with_source(
                ErrorKind::InvalidInput,
                "the client logs in by itself after every connect; set the login fields on the builder",
            ));
        }
        if version < connection {
            return Err(Error::with_source(
                ErrorKind::Version,
                format!("`{action}` of v{version} cannot go over a v{connection} connection (a request's version may only be at least the connection's)"),
            ));
        }
        RequestFrame::from_parts(version, action, payload, None, connection).map_err(|e| Error::with_source(ErrorKind::Encode, e))
    }

    async fn send(&self, frame: RequestFrame, timeout: Option<Duration>) -> Result<ResponseFrame, Error> {
        let id = self.inner.next_call.fetch_add(1, Ordering::Relaxed);
        let (reply, rx) = oneshot::channel();
        let command = Command::Call { id, frame, timeout, reply };
        if self.inner.commands.send(command).is_err() {
            return Err(task_ended());
        }
        // Tells the task when the caller stops waiting (its future dropped).
        let guard = CancelOnDrop {
            id,
            commands: &self.inner.commands,
            armed: true,
        };
        let result = rx.await;
        guard.disarm();
        result.unwrap_or_else(|_| Err(task_ended()))
    }
}

/// `cause`, shared with `last` when it is the same.
fn shared(last: Option<Arc<Cause>>, cause: Cause) -> Arc<Cause> {
    match last {
        Some(last) if *last == cause => last,
        _ => Arc::new(cause),
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

/// The stream of [`RtmEvent`]s of one client: pushes and connection events, in the order they
/// happened. Nothing is dropped while the stream is kept: up to
/// [`RtmClientBuilder::event_buffer`](crate::RtmClientBuilder::event_buffer) events (10,000 by
/// default) and up to
/// [`RtmClientBuilder::event_buffer_bytes`](crate::RtmClientBuilder::event_buffer_bytes)
/// ([`EVENT_BUFFER_BYTES`](crate::EVENT_BUFFER_BYTES), 64 MiB, by default; a push weighs its
/// frame's length) wait here until read; when either is reached the client stops reading the
/// socket (the server's frames wait in the network buffers) until there is room, so memory
/// stays bounded. An event larger than the byte bound alone still gets through (it is let in
/// when the stream is empty). A stream that is kept but not read stalls the connection once
/// it is full, call responses included: read the events (in a task of their own), or drop
/// the stream: a dropped stream means "no events", and from then on pushes and events are
/// discarded as they arrive (counted: [`RtmClient::discarded_events`]) and the connection
/// never waits for it. [`RtmClientBuilder::events`](crate::RtmClientBuilder::events)`(false)`
/// gives a stream that is dropped from the start.
///
/// It implements [`futures_util::Stream`]; [`Events::next`] works without importing a trait.
/// It ends when the connection task ends (every handle dropped, or `destroy()`).
///
/// @livechat/customer-sdk's `on(name, f)`, `once` and `off` are stream adapters here: keep the
/// events you want, typed; take the first for `once`; drop the stream for `off`. (There is one
/// stream per client: to listen for several kinds, `match` them in one loop, as in the crate
/// example.)
///
/// ```no_run
/// use futures_util::StreamExt;
/// use lc_rtm::Events;
/// use lc_types::v3_6::customer::{AnyPush, IncomingEventPush};
///
/// # async fn run(events: Events) {
/// // on('incoming_event', …): only that push, as its typed payload.
/// let mut incoming = events
///     .filter_map(|event| async move {
///         match event.into_push() {
///             Some(AnyPush::IncomingEvent(push)) => Some(push),
///             _ => None,
///         }
///     })
///     .boxed();
/// // once('incoming_event', …): the first one.
/// let first: Option<IncomingEventPush> = incoming.next().await;
/// // on: every later one, until `off` (dropping `incoming`).
/// while let Some(push) = incoming.next().await {
///     println!("new event in {}", push.chat_id);
/// }
/// # let _ = first;
/// # }
/// ```
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<Item>,
    stream: Arc<StreamShared>,
}

impl Events {
    /// The next event; `None` when the connection task has ended.
    pub async fn next(&mut self) -> Option<RtmEvent> {
        let item = self.rx.recv().await;
        item.map(|item| self.took(item))
    }

    /// An event if one is ready now.
    pub fn try_next(&mut self) -> Option<RtmEvent> {
        let item = self.rx.try_recv().ok();
        item.map(|item| self.took(item))
    }

    /// The bytes that wait for the reader now: the pushes' frame lengths and what the peer
    /// put in the other events, in the stream and in the connection task. At most about
    /// `event_buffer_bytes` plus one frame (the client stops reading the socket at the bound).
    pub fn buffered_bytes(&self) -> usize {
        self.stream.buffered.load(Ordering::Acquire)
    }

    /// Frees `item`'s bytes and wakes the connection task when it may wait for room (the
    /// bytes were at the bound: the first take after the task saw them there sees them too).
    fn took(&self, item: Item) -> RtmEvent {
        let before = self.stream.buffered.fetch_sub(item.bytes, Ordering::AcqRel);
        if before >= self.stream.bound {
            self.stream.room.notify_one();
        }
        item.into_event()
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        // Nobody reads any more: the task must not wait for room, and what waits is discarded.
        self.rx.close();
        let mut left = 0;
        while let Ok(item) = self.rx.try_recv() {
            self.stream.buffered.fetch_sub(item.bytes, Ordering::AcqRel);
            left += 1;
        }
        self.stream.discarded.fetch_add(left, Ordering::Relaxed);
        self.stream.room.notify_one();
    }
}

impl futures_util::Stream for Events {
    type Item = RtmEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<RtmEvent>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(item)) => Poll::Ready(Some(self.took(item))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The error of a call or wait whose connection task is gone.
fn task_ended() -> Error {
    Error::with_source(ErrorKind::Closed, "the connection task ended")
}

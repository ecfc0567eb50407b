//! The thin tokio task around the [`Session`]: it opens sockets, reads and writes frames, keeps
//! the timer, and carries calls and events between the session and the handles.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use lc_types::auth::AccessToken;
use lc_types::Region;
use serde_json::{Map, Value};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::channel::{Command, Ends, Item, Reply, Status, StreamShared};
use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::event::{Cause, RtmEvent};
use crate::session::{CallId, Output, Session};

/// The largest frame (message) the client accepts: 16 MiB. A larger one is a protocol error
/// that closes the connection (the client then reconnects); the server's largest answers
/// (`list_threads` of 100 threads) stay well below it.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type WsError = tokio_tungstenite::tungstenite::Error;

/// A successful connect: the socket, the login payload, the token used.
struct Opened {
    socket: Socket,
    login: Map<String, Value>,
    token: AccessToken,
}

/// Spawns the connection task for `config` and gives the handles' ends of it.
pub(crate) fn spawn(config: Config) -> Ends {
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (events_tx, mut events_rx) = mpsc::channel(config.event_buffer);
    let (state_tx, state_rx) = watch::channel(Status::default());
    let stream = Arc::new(StreamShared {
        bound: config.event_buffer_bytes,
        ..StreamShared::default()
    });
    if !config.keep_events {
        // `events(false)`: nothing is kept for the stream.
        events_rx.close();
    }
    let config = Arc::new(config);
    let (version, api) = (config.settings.version, config.settings.api);
    let page = config.page.clone();
    let mut session = Session::new(config.settings.clone(), now());
    if config.auto_connect {
        session.connect(now());
    }
    let driver = Driver {
        config,
        session,
        commands: command_rx,
        events: events_tx,
        stream: stream.clone(),
        overflow: std::collections::VecDeque::new(),
        state: state_tx,
        calls: HashMap::new(),
        socket: None,
        writes: Writes::default(),
        connecting: None,
        token: None,
        closing: None,
    };
    tokio::spawn(driver.run());
    Ends {
        commands,
        state: state_rx,
        events: events_rx,
        stream,
        version,
        api,
        page,
    }
}

/// Whether `a` and `b` are the same cause (the same `Arc`).
fn same(a: Option<&Arc<Cause>>, b: Option<&Arc<Cause>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

struct Driver {
    config: Arc<Config>,
    session: Session,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<Item>,
    stream: Arc<StreamShared>,
    /// Events the stream had no room for; while any wait here, the socket is not read (the
    /// server's pushes wait in the network buffers), so memory stays bounded.
    overflow: std::collections::VecDeque<Item>,
    state: watch::Sender<Status>,
    calls: HashMap<CallId, Reply>,
    socket: Option<Socket>,
    writes: Writes,
    connecting: Option<oneshot::Receiver<Result<Opened, Cause>>>,
    /// The token of the current or last connection (to invalidate when refused or expired).
    token: Option<AccessToken>,
    /// The close handshake of the last socket closed, while it runs (at most `CLOSE_WAIT`).
    closing: Option<tokio::task::JoinHandle<()>>,
}

/// How long closing a socket may take: the frames still to write, our Close (1000), the
/// server's Close (RFC 6455 §7.1.1: the client waits for it before the TCP close).
pub(crate) const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

impl Driver {
    async fn run(mut self) {
        // One timer, moved only when the session's next deadline moves (a new timer on every
        // turn of the loop costs a timer-wheel insert and removal per frame).
        let timer = tokio::time::sleep(std::time::Duration::from_secs(86_400));
        tokio::pin!(timer);
        let mut armed: Option<tokio::time::Instant> = None;
        let done = loop {
            self.drain();
            // While events wait for room in the stream, or the bytes waiting there reach
            // `event_buffer_bytes`, the socket is not read (writes go on). Not when nobody
            // keeps the stream: then what arrives is discarded.
            let kept = !self.events.is_closed();
            let full = kept && self.stream.buffered.load(Ordering::Acquire) >= self.config.event_buffer_bytes;
            let read = self.overflow.is_empty() && !full;
            self.session.hold(!read);
            let stall = self
                .writes
                .stalled_since
                .map(|t| crate::session::after(t, self.config.settings.dead_after()));
            let deadline = match (self.session.next_deadline(), stall) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
            .map(tokio::time::Instant::from_std);
            if deadline != armed {
                if let Some(d) = deadline {
                    timer.as_mut().reset(d);
                }
                armed = deadline;
            }
            tokio::select! {
                command = self.commands.recv() => match command {
                    // `destroy()`, or every handle is gone (nobody can call or connect any more).
                    Some(Command::Destroy(done)) => break done,
                    None => break None,
                    Some(c) => self.command(c),
                },
                permit = self.events.clone().reserve_owned(), if !self.overflow.is_empty() => {
                    match permit {
                        Ok(permit) => {
                            if let Some(item) = self.overflow.pop_front() {
                                permit.send(item);
                            }
                        }
                        Err(_) => {
                            // The stream was dropped meanwhile: nobody wants these.
                            self.discard(self.overflow.len());
                            self.overflow.clear();
                        }
                    }
                }
                // The reader took something: look again whether the socket may be read.
                () = self.stream.room.notified(), if full => {}
                io = std::future::poll_fn(|cx| poll_io(&mut self.socket, &mut self.writes, read, cx)),
                    if self.socket.is_some() => match io {
                    Io::WriteFailed(e) => self.lost(None, e.to_string()),
                    Io::Stalled => {} // the loop arms the timer for the stall limit
                    Io::Read(message) => {
                        self.message(message);
                        // Frames already read need no trip through `select!` (and its timer).
                        for _ in 0..8 {
                            if !self.overflow.is_empty() || self.stream_full() {
                                break;
                            }
                            let Some(socket) = &mut self.socket else { break };
                            let Some(message) = futures_util::FutureExt::now_or_never(socket.next()) else { break };
                            self.message(message);
                            self.drain();
                        }
                    }
                },
                opened = wait_connect(&mut self.connecting) => {
                    self.connecting = None;
                    match opened {
                        Ok(Opened { socket, login, token }) => {
                            self.token = Some(token);
                            self.socket = Some(socket);
                            self.session.opened(now(), login);
                        }
                        Err(cause) => self.session.connect_failed(now(), cause),
                    }
                }
                () = &mut timer, if armed.is_some() => {
                    armed = None;
                    let now = now();
                    if self
                        .writes
                        .stalled_since
                        .is_some_and(|t| now >= crate::session::after(t, self.config.settings.dead_after()))
                    {
                        self.session.unresponsive(now);
                    }
                    self.session.tick(now);
                }
            }
            self.publish_state();
        };
        self.session.destroy(now());
        self.drain();
        self.publish_state();
        // The stream ends now; the close handshake may take a moment more.
        let closing = self.closing.take();
        drop(self);
        if let Some(closing) = closing {
            let _ = closing.await;
        }
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    /// Whether the bytes waiting in a kept stream reached `event_buffer_bytes`.
    fn stream_full(&self) -> bool {
        !self.events.is_closed() && self.stream.buffered.load(Ordering::Acquire) >= self.config.event_buffer_bytes
    }

    /// Counts `n` events nobody will read.
    fn discard(&self, n: usize) {
        if n == 0 {
            return;
        }
        let before = self.stream.discarded.fetch_add(n as u64, Ordering::Relaxed);
        if before == 0 {
            tracing::debug!("lc-rtm: the event stream was dropped; pushes and events are discarded from now on");
        }
        let total = before + n as u64;
        if (before + 1..=total).any(|k| k.is_power_of_two()) {
            tracing::debug!(discarded = total, "lc-rtm: events discarded (nobody keeps the event stream)");
        }
    }

    /// Feeds what the socket gave to the session.
    fn message(&mut self, message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) {
        match message {
            Some(Ok(Message::Text(text))) => self.session.frame(now(), text.as_str()),
            Some(Ok(Message::Close(frame))) => match frame {
                Some(f) => self.lost(Some(u16::from(f.code)), f.reason.as_str().to_owned()),
                None => self.lost(None, "closed by the server without a status code".to_owned()),
            },
            Some(Ok(_)) => {} // pings are answered by tungstenite; binary frames are not the API's
            Some(Err(e)) => self.lost(None, e.to_string()),
            None => self.lost(None, "the connection ended".to_owned()),
        }
    }

    /// The socket is gone (closed, failed, or ended): so is what waited to be written to it.
    /// A Close frame from the server is answered by tungstenite as the socket is dropped.
    fn lost(&mut self, code: Option<u16>, reason: String) {
        if let Some(socket) = self.socket.take() {
            // Answer the server's Close (tungstenite queued the reply) within the bound.
            self.closing = Some(tokio::spawn(async move {
                let mut socket = socket;
                let _ = tokio::time::timeout(CLOSE_WAIT, socket.close(None)).await;
            }));
        }
        self.writes = Writes::default();
        self.session.closed(now(), code, reason);
    }

    /// Hands `event` to the stream, or keeps it in `overflow` when the stream is full. A
    /// dropped stream means the user does not want events; calls go on.
    /// Its bytes count in `StreamShared::buffered` until the reader takes it.
    fn emit(&mut self, item: Item) {
        if self.events.is_closed() {
            return self.discard(1);
        }
        let bytes = item.bytes;
        self.stream.buffered.fetch_add(bytes, Ordering::AcqRel);
        if !self.overflow.is_empty() {
            self.overflow.push_back(item);
            return;
        }
        match self.events.try_send(item) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.stream.buffered.fetch_sub(bytes, Ordering::AcqRel);
                self.discard(1);
            }
            Err(mpsc::error::TrySendError::Full(item)) => self.overflow.push_back(item),
        }
    }

    fn publish_state(&mut self) {
        let last = self.session.last_cause();
        let status = self.state.borrow();
        if self.session.state() != &status.state || !same(last, status.last.as_ref()) {
            drop(status);
            self.state.send_replace(Status {
                state: self.session.state().clone(),
                last: last.cloned(),
            });
        }
    }

    fn command(&mut self, command: Command) {
        let now = now();
        match command {
            Command::Call { id, frame, timeout, reply } => {
                self.calls.insert(id, reply);
                self.session.call(now, id, frame, timeout);
            }
            Command::Cancel(id) => {
                self.calls.remove(&id);
                self.session.cancel(id);
            }
            Command::Connect => self.session.connect(now),
            Command::Sync(done) => {
                self.publish_state();
                let _ = done.send(());
            }
            Command::Disconnect => self.session.disconnect(now),
            Command::Destroy(_) => unreachable!("handled by run"),
        }
    }

    /// Does what the session asks (frames to send are queued for `poll_io`).
    fn drain(&mut self) {
        while let Some(output) = self.session.poll_output() {
            match output {
                Output::Send(text) => {
                    if self.socket.is_some() {
                        self.writes.outgoing.push_back(text);
                    }
                }
                Output::Close => {
                    // What the session sent before closing still goes first (a sneak peek
                    // before `disconnect()`), then the close handshake, all within CLOSE_WAIT.
                    let left = std::mem::take(&mut self.writes).outgoing;
                    if let Some(socket) = self.socket.take() {
                        self.closing = Some(tokio::spawn(close(socket, left)));
                    }
                }
                Output::Emit(event) => {
                    if let RtmEvent::Disconnected(d) = &event {
                        tracing::info!(cause = %d.cause.describe(), next = ?d.next, "lc-rtm: disconnected");
                    }
                    self.emit(Item::ready(event));
                }
                Output::Push(text) => {
                    let (api, version) = (self.config.settings.api, self.config.settings.version);
                    self.emit(Item::push(text, api, version));
                }
                Output::Resolve(id, result) => {
                    if let Some(reply) = self.calls.remove(&id) {
                        if let Err(Err(e)) = reply.send(result) {
                            // Nobody waits (a sneak peek): the error would be lost otherwise.
                            tracing::debug!(error = %e, "lc-rtm: a call nobody waits for failed");
                        }
                    }
                }
                Output::Connect { fresh_token, region } => {
                    let (tx, rx) = oneshot::channel();
                    self.connecting = Some(rx);
                    let config = self.config.clone();
                    let old = self.token.clone();
                    tokio::spawn(async move {
                        let _ = tx.send(open(&config, fresh_token, region, old).await);
                    });
                }
            }
        }
    }
}

/// Closes `socket` as RFC 6455 §7 asks, within [`CLOSE_WAIT`]: writes `left`, sends Close with
/// status 1000 (normal closure), then reads until the server's Close (or the end), so the
/// server closes the TCP connection first.
async fn close(mut socket: Socket, left: VecDeque<String>) {
    use tokio_tungstenite::tungstenite::protocol::frame::{coding::CloseCode, CloseFrame};
    let handshake = async {
        for text in left {
            socket.feed(Message::Text(text.into())).await?;
        }
        let frame = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        socket.close(Some(frame)).await?;
        // What still arrives is discarded, up to the server's Close (tungstenite then ends).
        while let Some(message) = socket.next().await {
            message?;
        }
        Ok::<(), WsError>(())
    };
    if tokio::time::timeout(CLOSE_WAIT, handshake).await.is_err() {
        tracing::debug!("lc-rtm: the server did not finish the close handshake in time; the socket is dropped");
    }
}

/// Frames on their way to the socket. Written from `select!`, so a peer that stops reading
/// holds only these, never the timers or the commands; after `Settings::dead_after` without progress the
/// connection is dropped as unresponsive, so they stay few (the calls in flight and pings of
/// that time). Cleared with the socket.
#[derive(Default)]
struct Writes {
    /// Frames the session sent that the socket has not taken yet.
    outgoing: VecDeque<String>,
    /// Whether frames were handed to the socket since its last flush.
    flushing: bool,
    /// Since when the socket has taken nothing although frames wait.
    stalled_since: Option<Instant>,
}

/// What the socket did: gave a message (or ended), failed a write, or began to take nothing.
enum Io {
    Read(Option<Result<Message, WsError>>),
    WriteFailed(WsError),
    Stalled,
}

/// Hands the socket what waits in `writes` and flushes it, as far as the socket takes it, then
/// reads a message when `read`. Pending while nothing was read and no write failed or began to
/// wait: a peer that stops reading leaves the frames in `writes` and blocks nothing else.
fn poll_io(socket: &mut Option<Socket>, writes: &mut Writes, read: bool, cx: &mut Context<'_>) -> Poll<Io> {
    let Some(socket) = socket else { return Poll::Pending };
    let mut socket = Pin::new(socket);
    loop {
        let step = if !writes.outgoing.is_empty() {
            socket.as_mut().poll_ready(cx).map(|ready| {
                ready.and_then(|()| match writes.outgoing.pop_front() {
                    Some(text) => {
                        writes.flushing = true;
                        socket.as_mut().start_send(Message::Text(text.into()))
                    }
                    None => Ok(()),
                })
            })
        } else if writes.flushing {
            socket.as_mut().poll_flush(cx).map_ok(|()| writes.flushing = false)
        } else {
            break;
        };
        match step {
            Poll::Ready(Ok(())) => writes.stalled_since = None,
            Poll::Ready(Err(e)) => return Poll::Ready(Io::WriteFailed(e)),
            Poll::Pending => {
                if writes.stalled_since.is_none() {
                    writes.stalled_since = Some(now());
                    return Poll::Ready(Io::Stalled);
                }
                break;
            }
        }
    }
    if read {
        if let Poll::Ready(message) = socket.poll_next(cx) {
            return Poll::Ready(Io::Read(message));
        }
    }
    Poll::Pending
}

async fn wait_connect(rx: &mut Option<oneshot::Receiver<Result<Opened, Cause>>>) -> Result<Opened, Cause> {
    match rx {
        Some(rx) => rx
            .await
            .unwrap_or_else(|_| Err(Cause::ConnectFailed("the connect task ended".into()))),
        None => std::future::pending().await,
    }
}

/// Gets a token and opens the socket.
async fn open(config: &Config, fresh_token: bool, region: Option<Region>, old: Option<AccessToken>) -> Result<Opened, Cause> {
    let work = async {
        if fresh_token {
            if let Some(old) = &old {
                config.tokens.invalidate(old);
            }
        }
        let token = config.tokens.token().await.map_err(|e| Cause::Token(e.to_string()))?;
        let region = region.or_else(|| config.endpoint.region.clone()).or_else(|| token.region());
        let url = config.url(region.as_ref());
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| Cause::ConnectFailed(e.to_string()))?;
        let headers = request.headers_mut();
        if let Some(region) = &region {
            if let Ok(v) = HeaderValue::from_str(region.as_str()) {
                headers.insert(lc_types::web::X_REGION, v);
            }
        }
        let agent = lc_types::web::user_agent(concat!("lc-rtm/", env!("CARGO_PKG_VERSION")), config.endpoint.client_id.as_deref());
        if let Ok(v) = HeaderValue::from_str(&agent) {
            headers.insert("user-agent", v);
        }
        let tls = config.tls.clone().expect("set by build()");
        let connector = tokio_tungstenite::Connector::Rustls(tls);
        // A small read buffer: tungstenite zero-fills all of it on every read.
        let limits = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(8 * 1024)
            .max_message_size(Some(MAX_FRAME_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES));
        let shown = url.split('?').next().unwrap_or_default().to_owned();
        let (socket, _response) = tokio_tungstenite::connect_async_tls_with_config(request, Some(limits), false, Some(connector))
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(response) => {
                    let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                    let body: String = body.chars().take(300).collect();
                    Cause::UpgradeRefused {
                        status: response.status().as_u16(),
                        message: format!("GET {shown}: {body}"),
                    }
                }
                other => Cause::ConnectFailed(format!("{shown}: {other}")),
            })?;
        let login = config
            .login_payload(token.secret())
            .map_err(|e| Cause::ConnectFailed(e.to_string()))?;
        Ok(Opened { socket, login, token })
    };
    match tokio::time::timeout(config.endpoint.connect_timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Cause::ConnectFailed(format!(
            "no connection within {:?}",
            config.endpoint.connect_timeout
        ))),
    }
}

/// rustls with the Mozilla roots (certificates are verified), built once.
/// The TLS settings: the public roots (webpki-roots), and the certificates of `extra` (PEM
/// bundles). The common case, no extra roots, is built once per process.
pub(crate) fn tls_config(extra: &[Vec<u8>]) -> Result<Arc<rustls::ClientConfig>, Error> {
    use rustls::pki_types::pem::PemObject;
    static PUBLIC: std::sync::OnceLock<Arc<rustls::ClientConfig>> = std::sync::OnceLock::new();
    let build = |roots: rustls::RootCertStore| {
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    };
    let public = || rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if extra.is_empty() {
        return Ok(PUBLIC.get_or_init(|| build(public())).clone());
    }
    let bad = |why: String| Error::with_source(ErrorKind::Config, format!("root certificate: {why}"));
    let mut roots = public();
    for pem in extra {
        let mut added = 0;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| bad(format!("not PEM: {e}")))?;
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(bad("the PEM holds no certificate".into()));
        }
    }
    Ok(build(roots))
}

//! The accept loop: every connection served by hyper (HTTP/1.1 with upgrades for RTM, and
//! HTTP/2), as `axum::serve` does, with three bounds `axum::serve` lacks:
//! [`Config::header_read_timeout`](crate::Config::header_read_timeout),
//! [`Config::idle_timeout`](crate::Config::idle_timeout) and
//! [`Config::max_connections`](crate::Config::max_connections).
//!
//! hyper's own `header_read_timeout` also runs while a keep-alive connection waits for its
//! next request, and does not cover the first bytes (the HTTP version is read before hyper's
//! HTTP/1 code runs) nor HTTP/2; so both clocks are kept here, from what the connection reads
//! and writes ([`Watched`]) and the requests in flight ([`Tracked`]).
//!
//! With [`Config::tls`](crate::Config::tls), each connection's TLS handshake runs on the
//! watched socket before hyper sees it: its bytes are the first request head's, so the
//! handshake is due `header_read_timeout` after the connection opened, and the connection holds
//! its place under the cap from the start. A failed handshake ends that connection only,
//! silently (nothing of what the peer sent is logged or kept).

use std::convert::Infallible;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

/// The connection bounds of [`Config`](crate::Config).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `app` on `listener` (over TLS with `tls`) until `stop` fires; then stops accepting,
/// calls `closing` (which closes the RTM connections), lets open requests finish and waits for
/// every connection to end.
pub(crate) async fn run(
    listener: TcpListener,
    app: axum::Router,
    bounds: Bounds,
    tls: Option<TlsAcceptor>,
    stop: impl Future<Output = ()>,
    closing: impl FnOnce(),
) {
    let permits = Arc::new(Semaphore::new(bounds.max_connections.min(Semaphore::MAX_PERMITS)));
    let (shutdown, shutting_down) = watch::channel(false);
    let (alive, alive_rx) = watch::channel(());
    let mut stop = pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Over the cap: closed at once, the open connections go on.
                    let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
                    let conn = connection(stream, permit, app.clone(), bounds, tls.clone(), shutting_down.clone());
                    let alive = alive_rx.clone();
                    tokio::spawn(async move {
                        conn.await;
                        drop(alive);
                    });
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
    drop(listener);
    closing();
    let _ = shutdown.send(true);
    drop(alive_rx);
    alive.closed().await;
}

/// Serves one connection until it ends, a bound closes it, or a graceful shutdown finishes it.
async fn connection(
    stream: TcpStream,
    permit: OwnedSemaphorePermit,
    app: axum::Router,
    bounds: Bounds,
    tls: Option<TlsAcceptor>,
    shutting_down: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    // The permit lives with the socket: through an upgrade, as long as the WebSocket.
    let io = Watched {
        io: stream,
        activity: activity.clone(),
        _permit: permit,
    };
    let service = Tracked {
        inner: TowerToHyperService::new(app),
        activity: activity.clone(),
    };
    let serving = async move {
        match tls {
            None => http(io, service, shutting_down).await,
            Some(acceptor) => {
                let mut stopping = shutting_down.clone();
                let accepted = tokio::select! {
                    accepted = acceptor.accept(io) => accepted.ok(),
                    // No request can have begun yet: a shutdown ends the handshake at once.
                    _ = stopping.wait_for(|s| *s) => None,
                };
                // A failed handshake (a client that does not trust the certificate, plain
                // HTTP, garbage) ends this connection only; the others go on.
                if let Some(io) = accepted {
                    http(io, service, shutting_down).await;
                }
            }
        }
    };
    tokio::select! {
        () = serving => {}
        // Past its deadline: dropped, which closes it.
        () = overdue(&activity, bounds) => {}
    }
}

/// Serves HTTP on `io` until the connection ends or a graceful shutdown finishes it.
async fn http<S>(io: S, service: Tracked, mut shutting_down: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = Builder::new(TokioExecutor::new());
    // The CONNECT protocol, for WebSockets over HTTP/2 (as axum::serve).
    builder.http2().enable_connect_protocol();
    let mut conn = pin!(builder.serve_connection_with_upgrades(TokioIo::new(io), service));
    let mut graceful = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            changed = shutting_down.wait_for(|s| *s), if !graceful => {
                graceful = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Ends when the connection of `activity` is past its deadline.
async fn overdue(activity: &Activity, bounds: Bounds) {
    let recheck = (bounds.header_read_timeout.min(bounds.idle_timeout) / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        let deadline = activity.deadline(&bounds);
        // The deadline moves with the connection's activity, which wakes nothing here: it is
        // looked at again at least every `recheck`.
        tokio::time::sleep_until(deadline.unwrap_or(Instant::now() + recheck).min(Instant::now() + recheck)).await;
        // Past its deadline (it may have moved meanwhile).
        if activity.deadline(&bounds).is_some_and(|d| d <= Instant::now()) {
            return;
        }
    }
}

/// No time recorded yet.
const NONE: u64 = u64::MAX;

/// What one connection did, for its deadlines: times in milliseconds since `origin`.
struct Activity {
    origin: Instant,
    /// The last byte read or written, or the last response handed to hyper.
    last: AtomicU64,
    /// When the request head being read began (the connection's opening for the first one);
    /// [`NONE`] between requests.
    head_since: AtomicU64,
    /// Requests whose answer is not ready yet.
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            origin: Instant::now(),
            last: AtomicU64::new(0),
            head_since: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn read(&self) {
        let now = self.now();
        self.last.store(now, Ordering::SeqCst);
        // The first byte of a request: its head must be complete in time.
        if self.in_flight.load(Ordering::SeqCst) == 0 {
            let _ = self.head_since.compare_exchange(NONE, now, Ordering::SeqCst, Ordering::SeqCst);
        }
    }

    fn wrote(&self) {
        self.last.store(self.now(), Ordering::SeqCst);
    }

    /// When the connection must close if nothing changes: the head being read is due
    /// `header_read_timeout` after it began; a connection with nothing in flight closes
    /// `idle_timeout` after its last activity; one with a request in flight has no deadline.
    fn deadline(&self, bounds: &Bounds) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let at = |ms: u64, d: Duration| self.origin.checked_add(Duration::from_millis(ms))?.checked_add(d);
        match self.head_since.load(Ordering::SeqCst) {
            NONE => at(self.last.load(Ordering::SeqCst), bounds.idle_timeout),
            since => at(since, bounds.header_read_timeout),
        }
    }
}

/// A request in flight on a connection, from its head read to its answer ready.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        activity.head_since.store(NONE, Ordering::SeqCst);
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.wrote();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The router as a hyper service that marks its requests in flight.
#[derive(Clone)]
struct Tracked {
    inner: TowerToHyperService<axum::Router>,
    activity: Arc<Activity>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Tracked {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::new(self.activity.clone());
        let answer = self.inner.call(request);
        Box::pin(async move {
            let answer = answer.await;
            drop(in_flight);
            answer
        })
    }
}

/// A socket that notes its reads and writes in its [`Activity`], and holds its connection's
/// place under the cap.
struct Watched {
    io: TcpStream,
    activity: Arc<Activity>,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

//! `upload_file`: a file from bytes, a path or a stream, sent as `multipart/form-data` with
//! progress and cancellation.

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use lc_types::limits::MAX_UPLOAD_BYTES;
use lc_types::web::{FilePart, HttpRequest, UploadFileResponse, UPLOAD_FILE};
use lc_types::{ApiVersion, Region};

use crate::engine::{Prepared, Spec};
use crate::error::{Error, ErrorKind};
use crate::WebClient;

/// A progress callback: the share of the file sent so far, `0.0..=1.0`.
pub type Progress = Arc<dyn Fn(f64) + Send + Sync>;

/// Stops an upload from elsewhere: [`CancelHandle::cancel`] makes the upload return
/// [`ErrorKind::Cancelled`] at once and stops sending (dropping the upload's future does too).
///
/// ```
/// let handle = lc_web::CancelHandle::new();
/// let upload = lc_web::Upload::from_bytes("a.txt", "text/plain", b"hi".to_vec()).cancel_handle(&handle);
/// handle.cancel();
/// assert!(handle.is_cancelled());
/// # let _ = upload;
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelHandle(Arc<CancelInner>);

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    notify: tokio::sync::Notify,
}

impl CancelHandle {
    /// A handle not yet cancelled.
    pub fn new() -> Self {
        CancelHandle::default()
    }

    /// Cancels the uploads that use this handle.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::Release);
        self.0.notify.notify_waiters();
    }

    /// Whether [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Acquire)
    }

    async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

enum Source {
    Bytes(Bytes),
    Path(PathBuf),
    /// Taken by the first attempt: a stream cannot be sent twice.
    Stream(Mutex<Option<ByteStream>>, u64),
}

/// A file to upload with [`WebClient::upload_file`].
///
/// ```
/// use lc_web::Upload;
/// let upload = Upload::from_bytes("photo.png", "image/png", vec![0x89, b'P', b'N', b'G'])
///     .progress(|share| println!("{:.0}%", share * 100.0));
/// # let _ = upload;
/// ```
pub struct Upload {
    file_name: String,
    content_type: String,
    source: Source,
    progress: Option<Progress>,
    cancel: Option<CancelHandle>,
    version: Option<ApiVersion>,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Upload {
    fn new(file_name: impl Into<String>, content_type: impl Into<String>, source: Source) -> Self {
        Upload {
            file_name: file_name.into(),
            content_type: content_type.into(),
            source,
            progress: None,
            cancel: None,
            version: None,
        }
    }

    /// The file from memory.
    pub fn from_bytes(file_name: impl Into<String>, content_type: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Upload::new(file_name, content_type, Source::Bytes(bytes.into()))
    }

    /// The file at `path`, read while it is sent; its name is the path's file name.
    pub fn from_path(path: impl Into<PathBuf>, content_type: impl Into<String>) -> Self {
        let path = path.into();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        Upload::new(name, content_type, Source::Path(path))
    }

    /// The file from a stream of `len` bytes in all (the multipart body's length must be
    /// known; a stream that gives more or fewer bytes fails the upload with
    /// [`ErrorKind::Io`]). A stream cannot be replayed, so a streamed upload is **never
    /// retried**: not after a connection failure, a retryable error, a refused token or a
    /// misdirected request. It fails with that error (the refused token is dropped and the
    /// region switched all the same, so a new upload can succeed); upload from bytes or a path
    /// to get retries.
    pub fn from_stream<S>(file_name: impl Into<String>, content_type: impl Into<String>, len: u64, stream: S) -> Self
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        Upload::new(file_name, content_type, Source::Stream(Mutex::new(Some(stream.boxed())), len))
    }

    /// Calls `f` with the share sent (`0.0` first, `1.0` when the whole file is sent).
    pub fn progress(mut self, f: impl Fn(f64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Progress as a stream of values (the latest share sent), instead of a callback.
    pub fn progress_watch(mut self) -> (Self, tokio::sync::watch::Receiver<f64>) {
        let (tx, rx) = tokio::sync::watch::channel(0.0);
        self.progress = Some(Arc::new(move |share| {
            let _ = tx.send(share);
        }));
        (self, rx)
    }

    /// Cancels the upload when `handle` is cancelled.
    pub fn cancel_handle(mut self, handle: &CancelHandle) -> Self {
        self.cancel = Some(handle.clone());
        self
    }

    /// The API version (the client's default otherwise).
    pub fn version(mut self, version: ApiVersion) -> Self {
        self.version = Some(version);
        self
    }

    /// The file's length, checked against the limit before anything is sent.
    async fn len(&self) -> Result<u64, Error> {
        let len = match &self.source {
            Source::Bytes(b) => b.len() as u64,
            Source::Path(p) => tokio::fs::metadata(p)
                .await
                .map_err(|e| Error::with_source(ErrorKind::Io, e))?
                .len(),
            Source::Stream(_, len) => *len,
        };
        let limit = MAX_UPLOAD_BYTES as u64;
        if len > limit {
            return Err(Error::new(ErrorKind::TooLarge { len, limit }));
        }
        Ok(len)
    }

    /// The file's bytes for one attempt, counted into `sent` and reported as progress.
    ///
    /// A file that gives more or fewer bytes than announced fails the body and leaves why in
    /// `mismatch`: the caller's mistake, reported as [`ErrorKind::Io`] rather than as the
    /// transport error it causes.
    fn body(
        &self,
        part: &FilePart,
        boundary: &str,
        sent: Arc<AtomicU64>,
        mismatch: Arc<Mutex<Option<String>>>,
    ) -> Result<reqwest::Body, Error> {
        let file: ByteStream = match &self.source {
            Source::Bytes(b) => {
                // Chunks, so progress moves while a large buffer is sent.
                let b = b.clone();
                let chunks: Vec<Bytes> = (0..b.len()).step_by(CHUNK).map(|i| b.slice(i..(i + CHUNK).min(b.len()))).collect();
                stream::iter(chunks.into_iter().map(Ok)).boxed()
            }
            Source::Path(p) => read_file(p.clone()),
            Source::Stream(s, _) => s
                .lock()
                .expect("not poisoned")
                .take()
                .ok_or_else(|| Error::with_source(ErrorKind::Io, std::io::Error::other("a streamed upload cannot be sent twice")))?,
        };
        let len = part.len;
        let progress = self.progress.clone();
        if let Some(p) = &progress {
            p(0.0);
        }
        let what = match self.source {
            Source::Stream(..) => "stream",
            _ => "file",
        };
        let fail = {
            let mismatch = mismatch.clone();
            move |message: String| {
                let e = std::io::Error::new(std::io::ErrorKind::InvalidData, message.clone());
                *mismatch.lock().expect("not poisoned") = Some(message);
                e
            }
        };
        let at_end = {
            let (sent, fail) = (sent.clone(), fail.clone());
            stream::once(async move {
                let total = sent.load(Ordering::Acquire);
                (total < len).then(|| {
                    Err(fail(format!(
                        "the upload {what} ended after {total} bytes, fewer than the {len} announced"
                    )))
                })
            })
            .filter_map(std::future::ready)
        };
        let file = file.map(move |chunk| {
            let chunk = chunk?;
            let total = sent.fetch_add(chunk.len() as u64, Ordering::AcqRel) + chunk.len() as u64;
            if total > len {
                return Err(fail(format!("the upload {what} gave more than the {len} bytes announced")));
            }
            if let Some(p) = &progress {
                p(if len == 0 { 1.0 } else { total as f64 / len as f64 });
            }
            Ok(chunk)
        });
        let head = stream::once(std::future::ready(Ok(Bytes::from(part.multipart_head(boundary)))));
        let tail = stream::once(std::future::ready(Ok(Bytes::from(FilePart::multipart_tail(boundary)))));
        let all: Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>> = Box::pin(head.chain(file).chain(at_end).chain(tail));
        Ok(reqwest::Body::wrap_stream(all))
    }
}

const CHUNK: usize = 64 * 1024;

fn read_file(path: PathBuf) -> ByteStream {
    use tokio::io::AsyncReadExt;
    stream::unfold(None::<tokio::fs::File>, move |file| {
        let path = path.clone();
        async move {
            let mut file = match file {
                Some(f) => f,
                None => match tokio::fs::File::open(&path).await {
                    Ok(f) => f,
                    Err(e) => return Some((Err(e), None)),
                },
            };
            let mut buf = vec![0u8; CHUNK];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), Some(file)))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    })
    .boxed()
}

impl WebClient {
    /// Uploads a file (`upload_file`, at most 10 MB, checked before anything is sent) and
    /// gives the answer, [`UploadFileResponse`] (one type in every version; its `url` goes into
    /// a `file` event of `send_event`).
    ///
    /// Cancel with a [`CancelHandle`] or by dropping the future; follow with
    /// [`Upload::progress`]. An upload from bytes or a path is retried only when the
    /// connection failed before anything was sent, after a token refresh or a region switch;
    /// an upload from a stream is never retried (it fails with the error, see
    /// [`Upload::from_stream`]).
    ///
    /// ```no_run
    /// # async fn run(client: lc_web::WebClient) -> Result<(), lc_web::Error> {
    /// let upload = lc_web::Upload::from_path("receipt.pdf", "application/pdf");
    /// let file = client.upload_file(upload).await?;
    /// println!("{}", file.url);
    /// # Ok(()) }
    /// ```
    pub async fn upload_file(&self, upload: Upload) -> Result<UploadFileResponse, Error> {
        let cancel = upload.cancel.clone();
        let work = self.upload_inner(upload);
        let (status, body) = match cancel {
            Some(handle) => {
                tokio::select! {
                    biased;
                    _ = handle.cancelled() => return Err(Error::new(ErrorKind::Cancelled)),
                    r = work => r?,
                }
            }
            None => work.await?,
        };
        lc_types::web::decode(status, &body).map_err(Error::from_response)
    }

    async fn upload_inner(&self, upload: Upload) -> Result<(u16, Bytes), Error> {
        let len = upload.len().await?;
        let version = upload.version.unwrap_or(self.api_version());
        let chat_api = self.chat_api();
        let info = lc_types::api(chat_api, version).and_then(|api| api.action(UPLOAD_FILE));
        let spec = Spec {
            api: chat_api,
            version,
            action: UPLOAD_FILE,
            needs_token: info.is_none_or(|i| i.needs_token),
            idempotent: false,
            once: matches!(upload.source, Source::Stream(..)),
        };
        let part = FilePart::new(upload.file_name.clone(), upload.content_type.clone(), len);
        let org = self.organization_for(chat_api)?.to_owned();
        let mismatch = Arc::new(Mutex::new(None));
        let make = |region: Option<&Region>| -> Result<Prepared, Error> {
            let boundary = format!("lc-web-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
            let body = upload.body(&part, &boundary, Arc::new(AtomicU64::new(0)), mismatch.clone())?;
            let content_type = FilePart::content_type_header(&boundary);
            let total = part.multipart_len(&boundary);
            let http = HttpRequest::upload_file(chat_api, version, &org, region, part.clone());
            Ok(Prepared {
                http,
                multipart: Some((body, content_type, total)),
            })
        };
        match self.run(spec, &make).await {
            Ok((status, body, _)) => Ok((status, body)),
            // The length was wrong: the caller's mistake, whatever the transport made of it.
            Err(e) => match mismatch.lock().expect("not poisoned").take() {
                Some(message) => Err(Error::with_source(
                    ErrorKind::Io,
                    std::io::Error::new(std::io::ErrorKind::InvalidData, message),
                )),
                None => Err(e),
            },
        }
    }
}

//! `upload_file` against `lc-mock`: bytes, a path and a stream; progress; the 10 MB limit
//! checked before sending; cancellation with a handle and by dropping the future.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use lc_types::limits::MAX_UPLOAD_BYTES;
use lc_types::v3_6::customer::UploadFileResponse;
use lc_web::{CancelHandle, ErrorKind, Upload};

/// The bytes the mock serves at an uploaded file's URL.
async fn fetch(url: &str) -> Vec<u8> {
    reqwest::get(url).await.unwrap().bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn bytes_path_and_stream_with_progress() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let c = common::client(&server, &me.token);

    // Bytes, 1 MB, with progress: starts at 0, never goes back, ends at 1.
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let upload = Upload::from_bytes("data.bin", "application/octet-stream", data.clone()).progress(move |p| log.lock().unwrap().push(p));
    let file: UploadFileResponse = c.upload_file(upload).await.unwrap();
    assert!(file.url.ends_with("/data.bin"), "{}", file.url);
    assert_eq!(fetch(&file.url).await, data);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.first(), Some(&0.0));
    assert_eq!(seen.last(), Some(&1.0));
    assert!(seen.len() > 10, "{} progress reports", seen.len());
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");

    // A path (its name is the file's), progress as a watch.
    let dir = std::env::temp_dir().join(format!("lc-web-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notes.txt");
    std::fs::write(&path, b"from a file on disk").unwrap();
    let (upload, progress) = Upload::from_path(&path, "text/plain").progress_watch();
    let file: UploadFileResponse = c.upload_file(upload).await.unwrap();
    assert!(file.url.ends_with("/notes.txt"), "{}", file.url);
    assert_eq!(fetch(&file.url).await, b"from a file on disk");
    assert_eq!(*progress.borrow(), 1.0);
    let missing = Upload::from_path(dir.join("missing.txt"), "text/plain");
    let e = c.upload_file(missing).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Io), "{e:?}");

    // A stream.
    let chunks: Vec<std::io::Result<Bytes>> = vec![Ok(Bytes::from_static(b"part one, ")), Ok(Bytes::from_static(b"part two"))];
    let upload = Upload::from_stream("parts.txt", "text/plain", 18, futures_util::stream::iter(chunks));
    let file: UploadFileResponse = c.upload_file(upload).await.unwrap();
    assert_eq!(fetch(&file.url).await, b"part one, part two");
    // A stream longer than announced fails the upload.
    let chunks: Vec<std::io::Result<Bytes>> = vec![Ok(Bytes::from_static(b"longer than said"))];
    let upload = Upload::from_stream("x.txt", "text/plain", 3, futures_util::stream::iter(chunks));
    let e = c.upload_file(upload).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Io) && !e.is_retryable(), "{e:?}");
    assert!(
        format!("{e} {:?}", std::error::Error::source(&e)).contains("more than the 3 bytes announced"),
        "{e}"
    );
    // So does a shorter one.
    let chunks: Vec<std::io::Result<Bytes>> = vec![Ok(Bytes::from_static(b"abc"))];
    let upload = Upload::from_stream("x.txt", "text/plain", 10, futures_util::stream::iter(chunks));
    let e = c.upload_file(upload).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Io) && !e.is_retryable(), "{e:?}");
    assert!(
        format!("{e} {:?}", std::error::Error::source(&e)).contains("after 3 bytes, fewer than the 10 announced"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(server.problems(), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test]
async fn the_limit_is_checked_before_sending() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let c = common::client(&server, &me.token);
    let too_big = vec![0u8; MAX_UPLOAD_BYTES + 1];
    let e = c
        .upload_file(Upload::from_bytes("big.bin", "application/octet-stream", too_big))
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::TooLarge { len, limit } if *len == MAX_UPLOAD_BYTES as u64 + 1 && *limit == MAX_UPLOAD_BYTES as u64),
        "{e:?}"
    );
    let pulled = Arc::new(AtomicUsize::new(0));
    let p = pulled.clone();
    let stream = futures_util::stream::repeat_with(move || {
        p.fetch_add(1, Ordering::SeqCst);
        Ok(Bytes::from_static(b"x"))
    });
    let e = c
        .upload_file(Upload::from_stream("s.bin", "application/octet-stream", 20 * 1024 * 1024, stream))
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }), "{e:?}");
    assert_eq!(pulled.load(Ordering::SeqCst), 0, "the stream was never read");
    assert_eq!(server.web_requests("upload_file"), 0, "nothing was sent");
    // Exactly the limit is accepted.
    let file: UploadFileResponse = c
        .upload_file(Upload::from_bytes(
            "max.bin",
            "application/octet-stream",
            vec![7u8; MAX_UPLOAD_BYTES],
        ))
        .await
        .unwrap();
    assert!(file.url.ends_with("/max.bin"));
    server.shutdown().await;
}

/// A stream of `n` chunks of 64 KiB that waits `pause` before each after the first, counting
/// the chunks pulled.
fn slow_stream(n: usize, pause: Duration, pulled: Arc<AtomicUsize>) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send {
    futures_util::stream::unfold(0usize, move |i| {
        let pulled = pulled.clone();
        async move {
            if i == n {
                return None;
            }
            if i > 0 {
                tokio::time::sleep(pause).await;
            }
            pulled.fetch_add(1, Ordering::SeqCst);
            Some((Ok(Bytes::from(vec![b'z'; 64 * 1024])), i + 1))
        }
    })
}

#[tokio::test]
async fn cancel_with_a_handle_or_by_dropping() {
    let server = common::mock().await;
    let me = server.issue_customer();
    let c = common::client(&server, &me.token);
    let n = 100;
    let len = (n * 64 * 1024) as u64;

    // A handle, cancelled while the upload is under way.
    let pulled = Arc::new(AtomicUsize::new(0));
    let handle = CancelHandle::new();
    let (upload, progress) = Upload::from_stream(
        "slow.bin",
        "application/octet-stream",
        len,
        slow_stream(n, Duration::from_millis(20), pulled.clone()),
    )
    .cancel_handle(&handle)
    .progress_watch();
    let canceller = {
        let handle = handle.clone();
        let mut progress = progress.clone();
        tokio::spawn(async move {
            while *progress.borrow_and_update() < 0.05 {
                progress.changed().await.unwrap();
            }
            handle.cancel();
        })
    };
    let e = c.upload_file(upload).await.unwrap_err();
    canceller.await.unwrap();
    assert!(matches!(e.kind(), ErrorKind::Cancelled), "{e:?}");
    let at_cancel = pulled.load(Ordering::SeqCst);
    assert!(at_cancel < n, "{at_cancel}");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(pulled.load(Ordering::SeqCst), at_cancel, "nothing more is read after cancel");
    assert!(*progress.borrow() < 1.0);

    // Dropping the future (here: a timeout around it) stops it too.
    let pulled = Arc::new(AtomicUsize::new(0));
    let upload = Upload::from_stream(
        "slow2.bin",
        "application/octet-stream",
        len,
        slow_stream(n, Duration::from_millis(20), pulled.clone()),
    );
    let r = tokio::time::timeout(Duration::from_millis(200), c.upload_file(upload)).await;
    assert!(r.is_err(), "still running when dropped");
    let at_drop = pulled.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(pulled.load(Ordering::SeqCst), at_drop);
    assert!(at_drop < n);

    // The mock counts a request when its head arrives: both began, neither finished.
    assert_eq!(server.web_requests("upload_file"), 2);
    // A handle cancelled before the upload starts stops it at once.
    let handle = CancelHandle::new();
    handle.cancel();
    let upload = Upload::from_bytes("never.bin", "application/octet-stream", vec![1u8; 10]).cancel_handle(&handle);
    let e = c.upload_file(upload).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Cancelled));
    assert_eq!(server.web_requests("upload_file"), 2);
    server.shutdown().await;
}

/// A stream of `text`, for one upload.
fn stream_of(text: &'static str) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send {
    futures_util::stream::iter(vec![Ok(Bytes::from_static(text.as_bytes()))])
}

#[tokio::test]
async fn a_streamed_upload_is_never_retried_and_reports_the_real_error() {
    use lc_types::ErrorType;
    use lc_web::{token_fn, AccessToken, TokenError};
    let server = Arc::new(common::mock().await);
    let me = server.issue_customer();

    // A retryable API error: bytes are retried, a stream fails with the error.
    let c = common::client(&server, &me.token);
    server.faults().fail_next(1, "service_unavailable");
    let file: UploadFileResponse = c.upload_file(Upload::from_bytes("a.txt", "text/plain", "abc")).await.unwrap();
    assert_eq!(fetch(&file.url).await, b"abc");
    assert_eq!(server.web_requests("upload_file"), 2, "bytes are retried");
    server.faults().fail_next(1, "service_unavailable");
    let e = c
        .upload_file(Upload::from_stream("s.txt", "text/plain", 3, stream_of("abc")))
        .await
        .unwrap_err();
    assert_eq!(
        e.api_error().map(|a| a.kind().clone()),
        Some(ErrorType::ServiceUnavailable),
        "{e:?}"
    );
    assert_eq!(server.web_requests("upload_file"), 3, "a stream is sent once");

    // A refused token: the stream fails with `authentication`; the token is dropped, so the
    // next upload gets a new one.
    let current = Arc::new(Mutex::new(me.token.clone()));
    let provider = {
        let (current, id, issuer) = (current.clone(), me.id.clone(), server.clone());
        token_fn(move |refresh| {
            if refresh {
                *current.lock().unwrap() = issuer.issue_token_for(&id);
            }
            let token = current.lock().unwrap().clone();
            async move { Ok::<_, TokenError>(AccessToken::new(token)) }
        })
    };
    let c = common::builder(&server).token_provider(provider).build().unwrap();
    server.expire_token(&me.token);
    let e = c
        .upload_file(Upload::from_stream("s.txt", "text/plain", 3, stream_of("abc")))
        .await
        .unwrap_err();
    assert_eq!(e.api_error().map(|a| a.kind().clone()), Some(ErrorType::Authentication), "{e:?}");
    assert_eq!(server.web_requests("upload_file"), 4);
    let file: UploadFileResponse = c
        .upload_file(Upload::from_stream("s.txt", "text/plain", 3, stream_of("xyz")))
        .await
        .unwrap();
    assert_eq!(fetch(&file.url).await, b"xyz");

    // A connection refused: a transport error, not an I/O one.
    let refused = lc_web::WebClient::builder(server.organization_id())
        .base_url("http://127.0.0.1:1")
        .token(me.token.clone())
        .build()
        .unwrap();
    let e = refused
        .upload_file(Upload::from_stream("s.txt", "text/plain", 3, stream_of("abc")))
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Transport { connect: true }), "{e:?}");
    assert_eq!(server.problems(), Vec::<String>::new());
}

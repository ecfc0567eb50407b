//! What the test suites of lc-mock's clients share (cargo feature `testing`, for
//! dev-dependencies): a mock with the default configuration, a log-capturing writer and the
//! test-only TLS certificate.
//!
//! ```toml
//! [dev-dependencies]
//! lc-mock = { path = "../lc-mock", features = ["testing"] }
//! ```

use std::sync::{Arc, Mutex};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::{Config, MockServer};

/// A self-signed certificate for `localhost` and `127.0.0.1` (PEM), **for tests only**: its
/// key, [`TEST_KEY_PEM`], is public. `tests/tls/README.md` has the command that made it.
pub const TEST_CERT_PEM: &[u8] = include_bytes!("../tests/tls/cert.pem");

/// The private key of [`TEST_CERT_PEM`] (PEM).
pub const TEST_KEY_PEM: &[u8] = include_bytes!("../tests/tls/key.pem");

/// A mock with the default configuration, on loopback.
///
/// # Panics
/// When it cannot start (no loopback port free).
pub async fn mock() -> MockServer {
    MockServer::start(Config::default()).await.expect("the mock starts")
}

/// A TLS acceptor with [`TEST_CERT_PEM`] and no ALPN protocol (a bare TLS server for
/// HTTP/1.1 or WebSocket): the server a client that does not trust the certificate must refuse.
///
/// # Panics
/// Never with the certificate it holds.
pub fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    let cert = CertificateDer::from_pem_slice(TEST_CERT_PEM).expect("the test certificate");
    let key = PrivateKeyDer::from_pem_slice(TEST_KEY_PEM).expect("the test key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("the test key is the certificate's");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// A writer that keeps everything written to it, for tests that read a log: hand
/// [`Captured::writer`] to `tracing_subscriber::fmt().with_writer(...)`, then read
/// [`Captured::text`].
///
/// ```
/// use std::io::Write;
/// let captured = lc_mock::testing::Captured::default();
/// let make = captured.writer();
/// make().write_all(b"a line\n").unwrap();
/// assert_eq!(captured.text(), "a line\n");
/// ```
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&crate::lock(&self.0)).into_owned()
    }

    /// A maker of writers into this buffer (a `tracing_subscriber` `MakeWriter`).
    pub fn writer(&self) -> impl Fn() -> Captured + Send + Sync + 'static {
        let captured = self.clone();
        move || captured.clone()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

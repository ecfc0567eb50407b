//! TLS on the mock's port ([`TlsConfig`]): rustls with the *ring* provider, HTTP/2 and
//! HTTP/1.1 offered by ALPN.

use std::fmt;
use std::io::{Error, ErrorKind};
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its private key, to serve the mock over TLS: set with
/// [`Config::tls`](crate::Config::tls), the one port then serves `https://` and `wss://` only
/// (the Web API, RTM, the accounts service, files and the control API), offering HTTP/2 and
/// HTTP/1.1 by ALPN, and every URL the mock reports says `https`/`wss`.
///
/// Both are read from PEM: the chain as one or more `CERTIFICATE` blocks, the server's own
/// certificate first; the key as a `PRIVATE KEY` (PKCS #8), `EC PRIVATE KEY` (SEC1) or
/// `RSA PRIVATE KEY` (PKCS #1) block, the first one found. The key must be the certificate's:
/// a mismatch, like any other problem, is an error of kind
/// [`InvalidInput`](ErrorKind::InvalidInput) before anything is served. Clients must trust the
/// chain's root (for a self-signed test certificate, the certificate itself) and reach the
/// mock by a name the certificate has (its address, `127.0.0.1` by default, or `localhost`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use lc_mock::{Config, MockServer, TlsConfig};
/// // Here the test-only certificate of the crate's tests/tls/, for 127.0.0.1 and localhost.
/// let tls = TlsConfig::from_pem_files("tests/tls/cert.pem", "tests/tls/key.pem")?;
/// let server = MockServer::start(Config::default().tls(tls)).await?;
/// assert!(server.base_url().starts_with("https://127.0.0.1:"));
/// assert!(server.rtm_url("3.6").starts_with("wss://"));
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
///
/// `Debug` shows the chain's length, never the key.
#[derive(Clone)]
pub struct TlsConfig {
    server: Arc<rustls::ServerConfig>,
    certificates: usize,
}

impl TlsConfig {
    /// The certificate chain and private key in PEM text (see [`TlsConfig`] for the forms
    /// read). An error of kind [`InvalidInput`](ErrorKind::InvalidInput) says what is wrong:
    /// no certificate, no key, a block that does not decode, or a key that is not the
    /// certificate's.
    ///
    /// ```
    /// let cert = include_bytes!("../tests/tls/cert.pem");
    /// let key = include_bytes!("../tests/tls/key.pem");
    /// let tls = lc_mock::TlsConfig::from_pem(cert, key)?;
    /// assert!(lc_mock::TlsConfig::from_pem(cert, cert).is_err(), "a certificate is no key");
    /// # let _ = tls;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_pem(cert_chain: &[u8], private_key: &[u8]) -> std::io::Result<TlsConfig> {
        TlsConfig::build(cert_chain, private_key).map_err(|(_, why)| Error::new(ErrorKind::InvalidInput, why))
    }

    /// [`TlsConfig::from_pem`] with the contents of two files. A file that cannot be read is
    /// an error of its kind ([`NotFound`](ErrorKind::NotFound), ...); one over 1 MiB (no PEM
    /// chain or key is near that), or that does not hold what it should, one of kind
    /// [`InvalidInput`](ErrorKind::InvalidInput). The message names the file.
    pub fn from_pem_files(cert_chain: impl AsRef<Path>, private_key: impl AsRef<Path>) -> std::io::Result<TlsConfig> {
        let (cert_path, key_path) = (cert_chain.as_ref(), private_key.as_ref());
        let (cert, key) = (read_pem(cert_path, "certificate chain")?, read_pem(key_path, "private key")?);
        TlsConfig::build(&cert, &key).map_err(|(part, why)| {
            let named = match part {
                Part::Chain => format!("{}: {why}", cert_path.display()),
                Part::Key => format!("{}: {why}", key_path.display()),
                Part::Both => format!("{} and {}: {why}", cert_path.display(), key_path.display()),
            };
            Error::new(ErrorKind::InvalidInput, named)
        })
    }

    /// The server configuration, or which part is wrong and why.
    fn build(cert_chain: &[u8], private_key: &[u8]) -> Result<TlsConfig, (Part, String)> {
        let chain = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| (Part::Chain, format!("the certificate chain is not valid PEM: {}", pem_error(&e))))?;
        if chain.is_empty() {
            return Err((Part::Chain, "the certificate chain has no PEM `CERTIFICATE` block".to_owned()));
        }
        let key = PrivateKeyDer::from_pem_slice(private_key).map_err(|e| match e {
            rustls_pki_types::pem::Error::NoItemsFound => (
                Part::Key,
                "the private key has no PEM `PRIVATE KEY`, `EC PRIVATE KEY` or `RSA PRIVATE KEY` block".to_owned(),
            ),
            e => (Part::Key, format!("the private key is not valid PEM: {}", pem_error(&e))),
        })?;
        let certificates = chain.len();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| (Part::Both, format!("TLS: {e}")))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => (
                    Part::Both,
                    "the private key is not the key of the chain's first certificate".to_owned(),
                ),
                e => (Part::Both, format!("the certificate or the private key is not usable: {e}")),
            })?;
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsConfig {
            server: Arc::new(server),
            certificates,
        })
    }

    /// The acceptor the accept loop hands each connection to.
    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.server.clone())
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("certificates", &self.certificates)
            .field("private_key", &"<hidden>")
            .finish()
    }
}

/// Which input of [`TlsConfig::build`] is wrong.
enum Part {
    Chain,
    Key,
    Both,
}

/// The most bytes [`TlsConfig::from_pem_files`] reads of a file: 1 MiB.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// The contents of `path`, the `what` of a [`TlsConfig`], read up to [`MAX_PEM_BYTES`] (a
/// device such as `/dev/zero` given by mistake must not fill the memory).
fn read_pem(path: &Path, what: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let failed = |e: Error| Error::new(e.kind(), format!("cannot read the {what} {}: {e}", path.display()));
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PEM_BYTES + 1).read_to_end(&mut bytes))
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        let why = format!("the {what} {} is over 1 MiB: not a PEM file", path.display());
        return Err(Error::new(ErrorKind::InvalidInput, why));
    }
    Ok(bytes)
}

/// A PEM error as text: bounded and escaped, since it may quote a line of the file.
fn pem_error(e: &rustls_pki_types::pem::Error) -> String {
    lc_types::PeerText::new(&e.to_string()).max(200).to_string()
}

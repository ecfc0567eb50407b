//! The options `lc call` and `lc listen` share: where the API is and who the customer is.

use std::time::Duration;

use lc_types::{ApiVersion, Region};

use crate::{Exit, Failure};

/// Where the API is and who the customer is; each option also reads an environment variable.
#[derive(clap::Args, Clone)]
pub(crate) struct Connection {
    /// The organization ID.
    #[arg(long, env = "LC_ORGANIZATION_ID", value_name = "ID", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub organization_id: String,
    /// The customer access token (`dal:…`). Prefer LC_TOKEN: an option shows in `ps`. Never printed.
    #[arg(long, env = "LC_TOKEN", hide_env_values = true, value_name = "TOKEN", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub token: String,
    /// The region (dal, fra, …); the token's prefix by default.
    #[arg(long, env = "LC_REGION", value_name = "REGION")]
    pub region: Option<String>,
    /// The API origin: scheme, host and port (`http://127.0.0.1:PORT` for `lc mock`); RTM uses
    /// the same host over ws/wss.
    #[arg(long, env = "LC_BASE_URL", default_value = lc_types::endpoint::DEFAULT_BASE_URL, value_name = "URL")]
    pub base_url: String,
    /// The API version.
    #[arg(long, env = "LC_API_VERSION", default_value_t = lc_types::endpoint::default_version(), value_parser = crate::parse_version, value_name = "X.Y")]
    pub api_version: ApiVersion,
    /// Also trust this PEM certificate (for `lc mock --tls-cert`, a private server).
    #[arg(long, env = "LC_CACERT", value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,
}

impl Connection {
    /// The certificate of `--cacert`, read (at most 1 MiB: a certificate is a few KiB).
    fn cacert(&self) -> Result<Option<Vec<u8>>, Failure> {
        let Some(path) = &self.cacert else { return Ok(None) };
        let shown = path.display();
        let file = std::fs::File::open(path).map_err(|e| Failure::usage(format!("--cacert {shown}: {e}")))?;
        let mut pem = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, 1 << 20), &mut pem)
            .map_err(|e| Failure::usage(format!("--cacert {shown}: {e}")))?;
        Ok(Some(pem))
    }

    /// A Web client of this connection.
    pub(crate) fn web(&self) -> Result<lc_web::WebClient, Failure> {
        let mut b = lc_web::WebClient::builder(&self.organization_id)
            .token(&self.token)
            .base_url(&self.base_url)
            .api_version(self.api_version);
        if let Some(r) = &self.region {
            b = b.region(Region::from(r.as_str()));
        }
        if let Some(pem) = self.cacert()? {
            b = b.root_certificate_pem(pem);
        }
        b.build().map_err(|e| Failure::usage(e.to_string()))
    }

    /// An RTM client of this connection, connecting; with `events` false, pushes are discarded.
    pub(crate) fn rtm(&self, events: bool) -> Result<(lc_rtm::RtmClient, lc_rtm::Events), Failure> {
        let mut b = lc_rtm::RtmClient::builder(&self.organization_id)
            .events(events)
            .token(&self.token)
            .base_url(&self.base_url)
            .api_version(self.api_version)
            .connect_timeout(Duration::from_secs(10));
        if let Some(r) = &self.region {
            b = b.region(Region::from(r.as_str()));
        }
        if let Some(pem) = self.cacert()? {
            b = b.root_certificate_pem(pem);
        }
        b.build().map_err(|e| Failure::usage(e.to_string()))
    }
}

/// The failure of an API call: exit 4 with the API's error type and message, 1 otherwise
/// (with the whole chain of causes).
pub(crate) fn call_failure(action: &str, kind: Option<(String, String)>, error: &dyn std::error::Error) -> Failure {
    match kind {
        Some((kind, message)) => refused(action, &kind, &message),
        None => Failure::runtime(format!("`{action}` failed: {}", chain(error))),
    }
}

/// The API refused `action` with an error of type `kind`: exit 4.
pub(crate) fn refused(action: &str, kind: &str, message: &str) -> Failure {
    Failure::new(Exit::Refused, format!("the API refused `{action}`: {kind}: {message}"))
}

/// Why an RTM connection ended, as a failure: the API's refusal (a refused login, or a server
/// disconnect that ends the session: `license_not_found`, `customer_banned`, …) exits 4 with
/// its type, as the Web API's refusals do; anything else (nothing listening, TLS, an HTTP
/// error on upgrade, a timeout) exits 1 with the cause.
pub(crate) fn rtm_failure(cause: &lc_rtm::Cause) -> Failure {
    match (cause, cause.refusal()) {
        (lc_rtm::Cause::LoginRefused { kind, message }, _) => refused("login", kind, message),
        (_, Some(_)) => Failure::new(Exit::Refused, format!("RTM: {}", cause.describe())),
        _ => Failure::runtime(format!("RTM: {}", cause.describe())),
    }
}

/// An error and its sources, each once: `a: b: c`.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

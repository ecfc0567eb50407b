//! The options `lc call`, `lc listen` and `lc webhooks` share: where the API is and who the
//! caller is (a customer, or with `--agent` and for `lc webhooks` an agent).

use std::time::Duration;

use lc_types::{ApiVersion, Region};

use crate::{Exit, Failure};

/// Where the API is and who the caller is; each option also reads an environment variable.
#[derive(clap::Args, Clone)]
pub(crate) struct Connection {
    /// The organization ID (required for a customer; an agent's Web requests name none, an
    /// agent's RTM connection sends it when given).
    #[arg(long, env = "LC_ORGANIZATION_ID", value_name = "ID", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub organization_id: Option<String>,
    /// The access token (`dal:…`): the customer's, or for an agent's calls (--agent, `lc
    /// webhooks`) an agent's OAuth or bot token (sent as `Bearer`). Prefer LC_TOKEN: an option
    /// shows in `ps`. Never printed.
    #[arg(long, env = "LC_TOKEN", hide_env_values = true, value_name = "TOKEN", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub token: Option<String>,
    /// For an agent's calls (--agent, `lc webhooks`): an agent's personal access token as
    /// ACCOUNT_ID:TOKEN (sent as `Basic`), used instead of --token when given; a customer's
    /// calls ignore it, and an empty LC_PAT is no PAT. Prefer LC_PAT. Never printed.
    #[arg(long, env = "LC_PAT", hide_env_values = true, value_name = "ACCOUNT_ID:TOKEN")]
    pub pat: Option<String>,
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

    /// The PAT, when one is given and not empty.
    fn pat(&self) -> Option<&str> {
        self.pat.as_deref().filter(|pat| !pat.is_empty())
    }

    /// The customer's organization and token, or a usage failure naming the missing option.
    fn customer(&self) -> Result<(&str, &str), Failure> {
        // A PAT left in the environment for agent calls does not stand in a customer's way; a
        // PAT without a customer's token is most likely an agent call without --agent.
        if self.pat().is_some() && self.token.is_none() {
            return Err(Failure::usage(
                "--pat (LC_PAT) is an agent's: add --agent, or give a customer's --token",
            ));
        }
        let organization = self
            .organization_id
            .as_deref()
            .ok_or_else(|| Failure::usage("the Customer Chat API needs --organization-id (or LC_ORGANIZATION_ID)"))?;
        let token = self
            .token
            .as_deref()
            .ok_or_else(|| Failure::usage("the Customer Chat API needs the customer's --token (or LC_TOKEN)"))?;
        Ok((organization, token))
    }

    /// An agent's credentials: its personal access token (account and token), else its token.
    fn agent(&self) -> Result<AgentAuth<'_>, Failure> {
        match (self.pat(), &self.token) {
            (Some(pat), _) => {
                let (account, token) = pat
                    .split_once(':')
                    .filter(|(a, t)| !a.is_empty() && !t.is_empty())
                    .ok_or_else(|| Failure::usage("--pat (LC_PAT) is ACCOUNT_ID:TOKEN"))?;
                Ok(AgentAuth::Pat(account, token))
            }
            (None, Some(token)) => Ok(AgentAuth::Token(token)),
            (None, None) => Err(Failure::usage(
                "an agent needs --pat ACCOUNT_ID:TOKEN (or LC_PAT) or --token (or LC_TOKEN)",
            )),
        }
    }

    /// A Web client of this connection: a customer's, or with `agent` an agent's (its personal
    /// access token, else its token).
    pub(crate) fn web(&self, agent: bool) -> Result<lc_web::WebClient, Failure> {
        let b = if agent {
            let b = lc_web::WebClient::agent_builder();
            match self.agent()? {
                AgentAuth::Pat(account, token) => b.personal_access_token(account, token),
                AgentAuth::Token(token) => b.token(token),
            }
        } else {
            let (organization, token) = self.customer()?;
            lc_web::WebClient::builder(organization).token(token)
        };
        self.finish(b)
    }

    /// `b` with this connection's endpoint, region and root certificate, built.
    fn finish(&self, b: lc_web::WebClientBuilder) -> Result<lc_web::WebClient, Failure> {
        let mut b = b.base_url(&self.base_url).api_version(self.api_version);
        if let Some(r) = &self.region {
            b = b.region(Region::from(r.as_str()));
        }
        if let Some(pem) = self.cacert()? {
            b = b.root_certificate_pem(pem);
        }
        b.build().map_err(|e| Failure::usage(e.to_string()))
    }

    /// A Web client of the Configuration API (its webhook actions): an agent's, or with
    /// `credentials` false one without any (for `list_webhook_names`).
    pub(crate) fn configuration_web(&self, credentials: bool) -> Result<lc_web::WebClient, Failure> {
        let mut b = lc_web::WebClient::agent_builder().chat_api(lc_types::ChatApi::Configuration);
        if credentials {
            b = match self.agent()? {
                AgentAuth::Pat(account, token) => b.personal_access_token(account, token),
                AgentAuth::Token(token) => b.token(token),
            };
        }
        self.finish(b)
    }

    /// An RTM client of this connection, connecting: a customer's, or with `agent` an agent's;
    /// with `events` false, pushes are discarded.
    pub(crate) fn rtm(&self, agent: bool, events: bool) -> Result<(lc_rtm::RtmClient, lc_rtm::Events), Failure> {
        let b = if agent {
            let mut b = lc_rtm::RtmClient::agent_builder().application("lc", env!("CARGO_PKG_VERSION"));
            if let Some(organization) = &self.organization_id {
                b = b.organization_id(organization);
            }
            match self.agent()? {
                AgentAuth::Pat(account, token) => b.personal_access_token(account, token),
                AgentAuth::Token(token) => b.token(token),
            }
        } else {
            let (organization, token) = self.customer()?;
            lc_rtm::RtmClient::builder(organization).token(token)
        };
        let mut b = b
            .events(events)
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

/// An agent's credentials, from `--pat` or `--token`.
enum AgentAuth<'a> {
    Pat(&'a str, &'a str),
    Token(&'a str),
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

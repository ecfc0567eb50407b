//! The LiveChat Customer Chat API as an in-memory server, for tests and demos.
//!
//! **Work in progress** (issue 4): the Web API with organization, token, method, content-type
//! and JSON Schema checks, and a first set of stateful actions (`get_customer`,
//! `update_customer`, `set_customer_session_fields`, `start_chat`, `send_event`, `get_chat`,
//! `list_chats`, `deactivate_chat`, the property listings). Other actions answer `internal`
//! with HTTP 501; RTM, pushes, the agent control API and faults are not built yet.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let server = lc_mock::MockServer::start(lc_mock::Config::default()).await?;
//! let token = server.issue_token();
//! assert!(server.web_url("3.6").ends_with("/v3.6/customer/action"));
//! assert!(token.starts_with("dal:"));
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod actions;
mod schemas;
mod state;
mod web;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub use state::Refusal;

/// How to start the mock.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen; loopback with a free port by default.
    pub addr: SocketAddr,
    /// The organization ID requests must name.
    pub organization_id: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            organization_id: "390e44e6-f1e6-0368c-z6ddb-74g14508c2ex".to_owned(),
        }
    }
}

/// What the handlers share.
pub(crate) struct Shared {
    pub organization_id: String,
    pub state: Mutex<state::State>,
    pub schemas: schemas::Schemas,
    /// Version -> action -> request schema file (from each version's `api.json`).
    manifests: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
}

impl Shared {
    /// The request schema file of `action` in `version`, from the manifest.
    pub fn request_schema(&self, version: &str, action: &str) -> Option<String> {
        let mut manifests = self.manifests.lock().expect("not poisoned");
        let m = manifests.entry(version.to_owned()).or_insert_with(|| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../schema/v{version}/api.json"));
            let manifest: Value = std::fs::read_to_string(path)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            manifest["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| Some((a["name"].as_str()?.to_owned(), a["request"].as_str()?.to_owned())))
                .collect()
        });
        m.get(action).cloned()
    }
}

/// A running mock server.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// Binds `config.addr` and serves until [`MockServer::shutdown`].
    pub async fn start(config: Config) -> std::io::Result<MockServer> {
        let shared = Arc::new(Shared {
            organization_id: config.organization_id,
            state: Mutex::default(),
            schemas: schemas::Schemas::default(),
            manifests: Mutex::default(),
        });
        let app = axum::Router::new()
            .route("/{version}/customer/action/{action}", axum::routing::any(web::action))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(MockServer { addr, shared, stop, task })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v{version}/customer/action` (append `/<action>?organization_id=…`).
    pub fn web_url(&self, version: &str) -> String {
        format!("http://{}/v{version}/customer/action", self.addr)
    }

    /// `ws://127.0.0.1:PORT/v{version}/customer/rtm/ws` (append `?organization_id=…`).
    pub fn rtm_url(&self, version: &str) -> String {
        format!("ws://{}/v{version}/customer/rtm/ws", self.addr)
    }

    /// The organization ID requests must name.
    pub fn organization_id(&self) -> &str {
        &self.shared.organization_id
    }

    /// A new customer, and the access token that authenticates it.
    pub fn issue_token(&self) -> String {
        self.shared.state.lock().expect("not poisoned").new_customer().1
    }

    /// Stops accepting connections, lets open requests finish, and waits for the server.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

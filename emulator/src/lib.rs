//! `entra-graph-emulator`: a local, independent stand-in for the Microsoft Graph
//! endpoints that group-based licensing uses, so that the provider's quick start, tests and
//! benchmarks run without a tenant.
//!
//! It follows Graph as documented (`../shared/reference/graph-licensing.md`), never the
//! provider: it does not depend on the provider crate, so a wrong field name cannot be
//! wrong on both sides. See `emulator/README.md` for the endpoints, the tenant file and the
//! admin API.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use entra_graph_emulator::{Emulator, Options};
//! let emulator = Emulator::start(Options::default()).await?;
//! let graph = format!("{}/v1.0", emulator.base_url());
//! # let _ = graph;
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod graph;
mod http;
mod state;
mod tenant;
mod token;

use std::net::SocketAddr;
use std::sync::Arc;

pub use http::{Realism, RequestRecord, RetryAfterStyle, Throttle};
pub use tenant::{
    ApplicationFile, AssignedLicense, FederatedCredential, GroupFile, ServicePlan, SkuFile, TenantFile, Units,
    UserFile, generate_tenant,
};

/// How to start an emulator.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The tenant to serve.
    pub tenant: TenantFile,
    /// Latency, throttling and faults.
    pub realism: Realism,
}

impl Default for Options {
    /// Loopback, a free port, the shipped Contoso tenant, no realism knobs.
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tenant: TenantFile::contoso(),
            realism: Realism::default(),
        }
    }
}

/// A running emulator.
pub struct Emulator {
    base_url: String,
    shared: Arc<http::Shared>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Emulator {
    /// Binds, seeds the tenant and starts serving.
    pub async fn start(options: Options) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        let address = listener.local_addr()?;
        let base_url = format!("http://{address}");
        let shared = Arc::new(http::Shared::new(options.tenant, options.realism, base_url.clone()));
        let app = axum::Router::new()
            .fallback(http::handle)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            base_url,
            shared,
            stop,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`: the token authority; Graph is under `/v1.0`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The Graph base URL, `http://127.0.0.1:PORT/v1.0`.
    pub fn graph_url(&self) -> String {
        format!("{}/v1.0", self.base_url)
    }

    /// The tenant ID served.
    pub fn tenant_id(&self) -> String {
        self.shared.directory.lock().expect("directory").tenant_id.clone()
    }

    /// The whole tenant as JSON (as `GET /_emulator/state`).
    pub fn state(&self) -> serde_json::Value {
        self.shared.directory.lock().expect("directory").snapshot()
    }

    /// The Graph and token requests served so far (as `GET /_emulator/requests`).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.log.lock().expect("log").iter().cloned().collect()
    }

    /// Replaces the realism knobs at run time.
    pub fn set_realism(&self, realism: Realism) {
        *self.shared.realism.lock().expect("realism") = realism;
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

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
mod continuity;
mod faults;
mod graph;
mod pipeline;
mod properties;
mod query;
mod realism;
mod request;
mod shared;
mod state;
mod tenant;
mod token;

use std::net::SocketAddr;
use std::sync::Arc;

pub use continuity::PlanLoss;
pub use realism::{Realism, RetryAfterStyle, Throttle};
pub use shared::RequestRecord;
pub use tenant::{
    ApplicationFile, AssignedLicense, FederatedCredential, Generate, GroupFile, ServicePlan, SkuFile, TenantFile,
    Units, UserFile, generate, generate_tenant,
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
    shared: Arc<shared::Shared>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Emulator {
    /// Binds, seeds the tenant and starts serving.
    pub async fn start(options: Options) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        let address = listener.local_addr()?;
        let base_url = format!("http://{address}");
        let shared = Arc::new(shared::Shared::new(options.tenant, options.realism, base_url.clone()));
        let app = axum::Router::new()
            .fallback(pipeline::handle)
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

    /// Every enabled service plan a user lost so far, oldest first (as
    /// `GET /_emulator/continuity`): empty after a change that left no gap in service.
    pub fn continuity(&self) -> Vec<PlanLoss> {
        let directory = self.shared.directory.lock().expect("directory");
        directory.continuity.losses().cloned().collect()
    }

    /// Adds a user, as `POST /_emulator/users` does: `user` in the tenant file's shape
    /// (`id` optional, `displayName`, `userPrincipalName`, `mail`, `usageLocation`,
    /// `assignedLicenses` held directly). `Ok` is the user as Graph shows it with every
    /// property; `Err` the refusal's message (its status is in the HTTP call's answer).
    pub fn create_user(&self, user: serde_json::Value) -> Result<serde_json::Value, String> {
        created(admin::create_user(
            &self.shared,
            &user,
            &continuity::Cause::other("POST /_emulator/users"),
        ))
    }

    /// Adds a group, as `POST /_emulator/groups` does (`members`, `groupMembers`,
    /// `assignedLicenses`, …; security-enabled unless said otherwise); its members are
    /// processed before it returns.
    pub fn create_group(&self, group: serde_json::Value) -> Result<serde_json::Value, String> {
        created(admin::create_group(
            &self.shared,
            &group,
            &continuity::Cause::other("POST /_emulator/groups"),
        ))
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

/// The created object of an admin answer, or its error message.
fn created(answer: request::Outgoing) -> Result<serde_json::Value, String> {
    let body = answer.body.unwrap_or_default();
    if answer.status == 201 {
        Ok(body)
    } else {
        Err(body["error"].as_str().unwrap_or_default().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// Every module's source; `lib.rs`, the root, may use them all and is left out.
    const MODULES: &[(&str, &str)] = &[
        ("admin", include_str!("admin.rs")),
        ("continuity", include_str!("continuity.rs")),
        ("faults", include_str!("faults.rs")),
        ("graph", include_str!("graph.rs")),
        ("pipeline", include_str!("pipeline.rs")),
        ("properties", include_str!("properties.rs")),
        ("query", include_str!("query.rs")),
        ("realism", include_str!("realism.rs")),
        ("request", include_str!("request.rs")),
        ("shared", include_str!("shared.rs")),
        ("state", include_str!("state.rs")),
        ("tenant", include_str!("tenant.rs")),
        ("token", include_str!("token.rs")),
    ];

    /// The names following `crate::` in a source, e.g. `state` for `crate::state::Directory`.
    fn crate_paths(source: &str) -> impl Iterator<Item = &str> {
        source.split("crate::").skip(1).map(|rest| {
            let end = rest
                .find(|c: char| !c.is_alphanumeric() && c != '_')
                .unwrap_or(rest.len());
            &rest[..end]
        })
    }

    /// A cycle reachable from `module`, as the modules along it. `path` holds the modules being
    /// visited, `finished` those from which no cycle can be reached.
    fn cycle_through<'a>(
        graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        module: &'a str,
        path: &mut Vec<&'a str>,
        finished: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(start) = path.iter().position(|m| *m == module) {
            return Some([&path[start..], &[module]].concat());
        }
        if finished.contains(module) {
            return None;
        }
        path.push(module);
        let cycle = graph[module]
            .iter()
            .find_map(|next| cycle_through(graph, next, path, finished));
        path.pop();
        finished.insert(module);
        cycle
    }

    #[test]
    fn modules_depend_on_each_other_without_cycles() {
        let declared: BTreeSet<&str> = include_str!("lib.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("mod ")?.strip_suffix(';'))
            .collect();
        let listed: BTreeSet<&str> = MODULES.iter().map(|(name, _)| *name).collect();
        assert_eq!(declared, listed, "MODULES must list every module lib.rs declares");

        let mut graph = BTreeMap::new();
        for (module, source) in MODULES {
            let uses: BTreeSet<&str> = crate_paths(source).filter(|used| used != module).collect();
            for used in &uses {
                assert!(
                    listed.contains(used),
                    "{module} uses `crate::{used}`: name a module, as in `use crate::state::Directory;`"
                );
            }
            graph.insert(*module, uses);
        }
        let mut finished = BTreeSet::new();
        for module in graph.keys() {
            if let Some(cycle) = cycle_through(&graph, module, &mut Vec::new(), &mut finished) {
                panic!("import cycle: {}", cycle.join(" -> "));
            }
        }
    }
}

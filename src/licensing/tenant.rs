//! The tenant as the product code sees it: the Graph client plus what is worth sharing
//! across every resource of one provider process.
//!
//! Terraform starts one provider process per command and calls it for every resource, so
//! the subscribed SKUs are read once per process, and writes to one group are serialised
//! here: `assignLicense` rewrites a group's licences, and two resources managing SKUs of
//! one group (`exclusive = false`) must not interleave their read-modify-write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use super::guid::Guid;
use crate::graph::models::SubscribedSku;
use crate::graph::{GraphClient, GraphError};

/// What configuration produces and every resource, data source and action receives.
#[derive(Debug)]
pub struct Tenant {
    /// The Graph client, authenticated as configured.
    pub graph: GraphClient,
    skus: tokio::sync::OnceCell<Arc<Vec<SubscribedSku>>>,
    group_locks: Mutex<HashMap<Guid, Arc<tokio::sync::Mutex<()>>>>,
}

impl Tenant {
    /// Wraps a configured client.
    pub fn new(graph: GraphClient) -> Self {
        Self {
            graph,
            skus: tokio::sync::OnceCell::new(),
            group_locks: Mutex::new(HashMap::new()),
        }
    }

    /// The subscribed SKUs, from one `GET /subscribedSkus` per provider process.
    pub async fn subscribed_skus(&self, cancel: &CancellationToken) -> Result<Arc<Vec<SubscribedSku>>, GraphError> {
        self.skus
            .get_or_try_init(|| async { self.graph.subscribed_skus(cancel).await.map(Arc::new) })
            .await
            .cloned()
    }

    /// The write lock of one group.
    pub fn group_lock(&self, group_id: &Guid) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.group_locks.lock().expect("group locks");
        Arc::clone(locks.entry(group_id.clone()).or_default())
    }
}

//! The tenant as the product code sees it: the Graph client plus what is worth sharing
//! across every resource of one provider process.
//!
//! Terraform starts one provider process per command and calls it for every resource, so
//! the subscribed SKUs are read once per process, and writes to one group are serialised
//! here: `assignLicense` rewrites a group's licences, and two resources managing SKUs of
//! one group (`exclusive = false`) must not interleave their read-modify-write.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::change::{Licenses, Managed, current_licenses, license_change, without_added};
use super::direct::direct_licenses;
use super::guid::Guid;
use crate::graph::models::{Group, SubscribedSku, User};
use crate::graph::{GraphClient, GraphError};

/// How long to wait before reading again an object that a read said does not exist.
pub const GONE_RECHECK: Duration = Duration::from_secs(2);

/// `read`, and once more after [`GONE_RECHECK`] when it says the object does not exist:
/// a replica that has not caught up answers 404 for an object that exists (Microsoft
/// advises retrying such a read), and one such answer must not drop a live assignment
/// from state, which would plan its re-creation.
async fn unless_lagging<T, F, Fut>(cancel: &CancellationToken, read: F) -> Result<Option<T>, GraphError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Option<T>, GraphError>>,
{
    if let Some(found) = read().await? {
        return Ok(Some(found));
    }
    tokio::select! {
        () = tokio::time::sleep(GONE_RECHECK) => read().await,
        () = cancel.cancelled() => Err(GraphError::Cancelled),
    }
}

/// How a write ended.
#[derive(Debug)]
pub enum Written {
    /// The group or user is as planned; the SKUs the call removed (none when nothing was
    /// sent).
    Done(BTreeSet<Guid>),
    /// The group or user does not exist.
    Gone,
    /// Reading the group or user failed.
    Unreadable(GraphError),
    /// `assignLicense` failed.
    Refused(GraphError),
}

/// What configuration produces and every resource, data source and action receives.
#[derive(Debug)]
pub struct Tenant {
    /// The Graph client, authenticated as configured.
    pub graph: GraphClient,
    /// The answer of the process's one `GET /subscribedSkus`, failures included.
    skus: tokio::sync::Mutex<Option<Result<Arc<Vec<SubscribedSku>>, GraphError>>>,
    group_locks: Mutex<HashMap<Guid, Arc<tokio::sync::Mutex<()>>>>,
}

impl Tenant {
    /// Wraps a configured client.
    pub fn new(graph: GraphClient) -> Self {
        Self {
            graph,
            skus: tokio::sync::Mutex::new(None),
            group_locks: Mutex::new(HashMap::new()),
        }
    }

    /// The subscribed SKUs, from one `GET /subscribedSkus` per provider process.
    ///
    /// A failure is remembered too (the client has already retried it for as long as its
    /// policy allows): during an outage every other resource of the run gets the same
    /// answer at once instead of waiting through the retries again. Only a cancelled
    /// read is tried again. The next Terraform command starts a new process and asks anew.
    pub async fn subscribed_skus(&self, cancel: &CancellationToken) -> Result<Arc<Vec<SubscribedSku>>, GraphError> {
        let mut answer = self.skus.lock().await;
        if let Some(answer) = answer.as_ref() {
            return answer.clone();
        }
        let fetched = self.graph.subscribed_skus(cancel).await.map(Arc::new);
        if !matches!(fetched, Err(GraphError::Cancelled)) {
            *answer = Some(fetched.clone());
        }
        fetched
    }

    /// Under the group's lock, sends the one `assignLicense` that takes the group from what
    /// it holds to `planned` (nothing when it is already there); a create that removes
    /// nothing sends the planned licences without reading the group first. `graph_added`
    /// are the plans Graph disabled on its own when the state's licences were assigned:
    /// they are not a difference to send again.
    pub async fn write(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
        managed_before: &BTreeSet<Guid>,
        graph_added: &Licenses,
        planned: &Managed,
    ) -> Written {
        let Some(guid) = Guid::parse(group_id) else {
            return Written::Gone;
        };
        let lock = self.group_lock(&guid);
        let _guard = lock.lock().await;
        // A first write that removes nothing needs nothing the group holds now: its body is
        // the planned licences, each with its full list, which Graph applies whatever the
        // group held. Anything else is computed against a fresh read (drift, removals).
        let current = if managed_before.is_empty() && !planned.exclusive {
            Licenses::new()
        } else {
            match self.graph.group(cancel, group_id).await {
                Ok(Some(group)) => without_added(&current_licenses(&group.assigned_licenses), graph_added),
                Ok(None) => return Written::Gone,
                Err(e) => return Written::Unreadable(e),
            }
        };
        let Some(change) = license_change(managed_before, planned, &current) else {
            return Written::Done(BTreeSet::new());
        };
        tracing::debug!(
            group_id,
            add = change.add.len(),
            remove = change.remove.len(),
            "assignLicense"
        );
        match self
            .graph
            .assign_group_licenses(cancel, group_id, &change.add, &change.remove)
            .await
        {
            Ok(_) => Written::Done(change.remove.iter().filter_map(|s| Guid::parse(s)).collect()),
            Err(e) if e.is_not_found() => Written::Gone,
            Err(e) => Written::Refused(e),
        }
    }

    /// Sends the one direct `assignLicense` that takes the user's *direct* licences from
    /// what they are to `planned`; inherited licences are neither read as held nor ever
    /// removed. The user is read first (drift, and what exists to remove). No lock: a
    /// user's `assignLicense` adds and removes only the SKUs it names, so two resources
    /// naming different SKUs of one user cannot undo each other.
    ///
    /// Graph answers a direct assignment synchronously. A retried call whose first attempt
    /// was carried out (a lost answer) can be refused for a change that is already made
    /// ("User does not have a corresponding license."): when a refusal leaves the user as
    /// planned, the write is done.
    /// `graph_added` as for [`Tenant::write`]. Also returns the user's object ID once read.
    pub async fn write_direct(
        &self,
        cancel: &CancellationToken,
        user_id: &str,
        managed_before: &BTreeSet<Guid>,
        graph_added: &Licenses,
        planned: &Managed,
    ) -> (Written, Option<String>) {
        let (current, object_id) = match self.graph.user(cancel, user_id).await {
            Ok(Some(user)) => (without_added(&direct_licenses(&user), graph_added), Some(user.id)),
            Ok(None) => return (Written::Gone, None),
            Err(e) => return (Written::Unreadable(e), None),
        };
        let Some(change) = license_change(managed_before, planned, &current) else {
            return (Written::Done(BTreeSet::new()), object_id);
        };
        let removed = change.remove.iter().filter_map(|s| Guid::parse(s)).collect();
        let written = match self
            .graph
            .assign_user_licenses(cancel, user_id, &change.add, &change.remove)
            .await
        {
            Ok(()) => Written::Done(removed),
            Err(e) if e.is_not_found() => Written::Gone,
            // Stopped on its way: Graph may or may not have made it; nothing to read now.
            Err(GraphError::Cancelled) => Written::Refused(GraphError::Cancelled),
            Err(refused) => match self.graph.user(cancel, user_id).await {
                Ok(Some(user))
                    if license_change(
                        managed_before,
                        planned,
                        &without_added(&direct_licenses(&user), graph_added),
                    )
                    .is_none() =>
                {
                    Written::Done(removed)
                }
                _ => Written::Refused(refused),
            },
        };
        (written, object_id)
    }

    /// The group for a refresh: `None` only when two reads, [`GONE_RECHECK`] apart, say it
    /// does not exist.
    pub async fn group_unless_gone(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
    ) -> Result<Option<Group>, GraphError> {
        unless_lagging(cancel, || self.graph.group(cancel, group_id)).await
    }

    /// The user for a refresh, as [`Tenant::group_unless_gone`].
    pub async fn user_unless_gone(
        &self,
        cancel: &CancellationToken,
        user_id: &str,
    ) -> Result<Option<User>, GraphError> {
        unless_lagging(cancel, || self.graph.user(cancel, user_id)).await
    }

    /// The write lock of one group.
    fn group_lock(&self, group_id: &Guid) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.group_locks.lock().expect("group locks");
        Arc::clone(locks.entry(group_id.clone()).or_default())
    }
}

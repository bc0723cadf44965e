//! Reprocessing users' licence assignments, shared by the resource and the action
//! `entra_user_license_reprocess`.
//!
//! Graph has no group-level reprocess, only `POST /users/{id}/reprocessLicenseAssignment`,
//! so a group's members with errors are listed first and reprocessed one by one, four at a
//! time. Each user's outcome is kept apart: a user that does not exist does not stop the
//! others.

use futures::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::graph::{GraphClient, GraphError};

/// Users reprocessed at once.
const CONCURRENCY: usize = 4;

/// A user after reprocessing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reprocessed {
    /// The user's object ID.
    pub user_id: String,
    /// The user's UPN.
    pub user_principal_name: String,
    /// The SKU IDs the user holds afterwards.
    pub licenses: Vec<String>,
    /// The licence errors that remain: (SKU ID, error code).
    pub license_errors: Vec<(String, String)>,
}

/// Why one user could not be reprocessed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReprocessFailure {
    /// There is no such user.
    UserNotFound,
    /// The user disappeared between the reprocess and the read.
    UserVanished,
    /// The reprocess call failed.
    Reprocess(GraphError),
    /// Reading the result failed.
    Read(GraphError),
}

/// The members of a group with licence errors now; `None` when the group does not exist.
pub async fn members_with_errors(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &str,
) -> Result<Option<Vec<String>>, GraphError> {
    match graph.members_with_license_errors(cancel, group_id).await {
        Ok(members) => Ok(Some(members.into_iter().map(|m| m.id).collect())),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// One user's outcome.
pub type Outcome = (String, Result<Reprocessed, ReprocessFailure>);

/// Reprocesses `users`, four at a time, each outcome as soon as it is known (what an
/// action streams as progress).
pub fn reprocess_each<'a>(
    graph: &'a GraphClient,
    cancel: &'a CancellationToken,
    users: Vec<String>,
) -> impl Stream<Item = Outcome> + 'a {
    futures::stream::iter(users)
        .map(move |user| async move {
            let outcome = reprocess_one(graph, cancel, &user).await;
            (user, outcome)
        })
        .buffer_unordered(CONCURRENCY)
}

/// Reprocesses `users`, four at a time; the outcomes come back sorted by user (what a
/// resource records).
pub async fn reprocess(graph: &GraphClient, cancel: &CancellationToken, users: Vec<String>) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = reprocess_each(graph, cancel, users).collect().await;
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));
    outcomes
}

async fn reprocess_one(
    graph: &GraphClient,
    cancel: &CancellationToken,
    user: &str,
) -> Result<Reprocessed, ReprocessFailure> {
    match graph.reprocess_user(cancel, user).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Err(ReprocessFailure::UserNotFound),
        Err(e) => return Err(ReprocessFailure::Reprocess(e)),
    }
    let found = graph
        .user(cancel, user)
        .await
        .map_err(ReprocessFailure::Read)?
        .ok_or(ReprocessFailure::UserVanished)?;
    Ok(Reprocessed {
        licenses: found
            .assigned_licenses
            .iter()
            .map(|l| l.sku_id.to_ascii_lowercase())
            .collect(),
        license_errors: found
            .license_assignment_states
            .iter()
            .filter_map(|s| Some((s.sku_id.clone()?, s.error()?.to_owned())))
            .collect(),
        user_id: found.id,
        user_principal_name: found.user_principal_name.unwrap_or_default(),
    })
}

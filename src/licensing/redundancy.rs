//! Redundant direct licences: finding the members whose direct licence a group fully
//! covers, and removing exactly those, one user at a time, re-checked just before.
//!
//! This is the last step of Microsoft's move from direct to group-based licensing
//! (<https://learn.microsoft.com/entra/identity/users/licensing-groups-migrate-users>):
//! once the group's licence has reached every member with at least the same plans, the
//! direct assignments can go, and nobody loses a service. What "covered" means is
//! [`coverage`]; everything else here is about doing it safely at scale:
//! - the survey reads the group's user members with their licence states (one paged
//!   listing, 999 per page) and sorts what it finds, so that the same tenant always gives
//!   the same lists (Terraform plans again during apply and refuses a plan that changed);
//! - the removal works in batches of a bounded size; each user is read again right before
//!   its removal and skipped if no longer covered; no new batch starts after an
//!   unexpected error, and every user's outcome is recorded.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;
use futures::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use super::change::{Licenses, current_licenses};
use super::direct::{Uncovered, coverage, direct_licenses};
use super::guid::Guid;
use crate::graph::{GraphClient, GraphError};

/// One direct licence of one member.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DirectLicense {
    /// The SKU.
    pub sku_id: Guid,
    /// The user's sign-in name (sorting key, before the ID).
    pub user_principal_name: String,
    /// The user's object ID.
    pub user_id: String,
}

/// What a survey found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Survey {
    /// Direct licences the group covers: safe to remove. Sorted.
    pub removable: Vec<DirectLicense>,
    /// Direct licences the group does not cover, with why. Sorted.
    pub kept: Vec<(DirectLicense, Uncovered)>,
}

/// How a survey ended.
#[derive(Debug)]
pub enum Surveyed {
    /// The lists.
    Done(Survey),
    /// The group does not exist.
    GroupGone,
    /// A read failed.
    Failed(GraphError),
}

/// The group's licences now (`None` when the group is gone).
pub async fn group_licenses(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &str,
) -> Result<Option<Licenses>, GraphError> {
    Ok(graph
        .group(cancel, group_id)
        .await?
        .map(|g| current_licenses(&g.assigned_licenses)))
}

/// Surveys the direct licences of `skus` held by the group's user members, against what
/// the group assigns (`assigned`, SKU → plans switched off).
pub async fn survey(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &Guid,
    assigned: &Licenses,
    skus: &BTreeSet<Guid>,
) -> Surveyed {
    let members = match graph.user_members(cancel, group_id.as_str()).await {
        Ok(members) => members,
        Err(e) if e.is_not_found() => return Surveyed::GroupGone,
        Err(e) => return Surveyed::Failed(e),
    };
    let mut found = Survey::default();
    for user in &members {
        for sku in skus {
            let Some(group_disabled) = assigned.get(sku) else {
                continue;
            };
            let Some(covered) = coverage(user, group_id, sku, group_disabled) else {
                continue;
            };
            let license = DirectLicense {
                sku_id: sku.clone(),
                user_principal_name: user.user_principal_name.clone().unwrap_or_default(),
                user_id: user.id.to_ascii_lowercase(),
            };
            match covered {
                Ok(()) => found.removable.push(license),
                Err(why) => found.kept.push((license, why)),
            }
        }
    }
    found.removable.sort();
    found.kept.sort_by(|a, b| a.0.cmp(&b.0));
    Surveyed::Done(found)
}

/// What happened to one planned removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The direct licence was removed (or found already gone after a lost answer).
    Removed,
    /// Left alone: re-checked just before, the group no longer covers it.
    NoLongerCovered(Uncovered),
    /// Left alone: the user no longer holds the SKU directly.
    AlreadyGone,
    /// Left alone: the user no longer exists.
    UserGone,
    /// Left alone: the group no longer assigns the SKU.
    GroupNoLongerAssigns,
    /// The removal failed: the run stopped here.
    Failed(GraphError),
    /// Not tried: the run stopped before (an unexpected error, or cancelled).
    NotAttempted,
    /// Cancelled while the removal was on its way: Graph may or may not have made it (the
    /// next survey shows which).
    Interrupted,
}

/// Removes the planned direct licences in batches of `batch_size`, each user re-checked
/// right before against what the group assigns at the start of its batch (read again even
/// for the first batch: the survey before it may have taken a while); stops starting new
/// batches after the first failure or a cancellation. Each batch's outcomes as soon as
/// they are known (what an action streams as progress), in `planned`'s order.
pub fn remove_each<'a>(
    graph: &'a GraphClient,
    cancel: &'a CancellationToken,
    group_id: &'a Guid,
    planned: &'a [DirectLicense],
    batch_size: usize,
) -> impl Stream<Item = Vec<(DirectLicense, Outcome)>> + 'a {
    let batches = planned.chunks(batch_size.max(1));
    futures::stream::unfold((batches, true), move |(mut batches, go_on)| async move {
        let batch = batches.next()?;
        let go_on = go_on && !cancel.is_cancelled();
        let done = remove_batch(graph, cancel, group_id, batch, go_on).await;
        let failed = done.iter().any(|(_, o)| matches!(o, Outcome::Failed(_)));
        Some((done, (batches, go_on && !failed)))
    })
}

/// [`remove_each`], every outcome at the end (what a resource records).
pub async fn remove(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &Guid,
    planned: &[DirectLicense],
    batch_size: usize,
) -> Vec<(DirectLicense, Outcome)> {
    let batches: Vec<_> = remove_each(graph, cancel, group_id, planned, batch_size)
        .collect()
        .await;
    batches.into_iter().flatten().collect()
}

/// One batch, all its users at once, after one read of what the group assigns now (a
/// group changed during a long run is seen by the next batch); with `go_on` false, every
/// one is `NotAttempted`.
async fn remove_batch(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &Guid,
    batch: &[DirectLicense],
    go_on: bool,
) -> Vec<(DirectLicense, Outcome)> {
    let every = |outcome: Outcome| batch.iter().map(|l| (l.clone(), outcome.clone())).collect();
    if !go_on {
        return every(Outcome::NotAttempted);
    }
    let assigned = match group_licenses(graph, cancel, group_id.as_str()).await {
        Ok(Some(assigned)) => assigned,
        Ok(None) => return every(Outcome::GroupNoLongerAssigns),
        Err(GraphError::Cancelled) => return every(Outcome::NotAttempted),
        Err(e) => return every(Outcome::Failed(e)),
    };
    let done = join_all(
        batch
            .iter()
            .map(|license| remove_one(graph, cancel, group_id, &assigned, license)),
    )
    .await;
    batch.iter().cloned().zip(done).collect()
}

async fn remove_one(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &Guid,
    assigned: &Licenses,
    license: &DirectLicense,
) -> Outcome {
    let Some(group_disabled) = assigned.get(&license.sku_id) else {
        return Outcome::GroupNoLongerAssigns;
    };
    let user = match graph.user(cancel, &license.user_id).await {
        Ok(Some(user)) => user,
        Ok(None) => return Outcome::UserGone,
        Err(GraphError::Cancelled) => return Outcome::NotAttempted,
        Err(e) => return Outcome::Failed(e),
    };
    match coverage(&user, group_id, &license.sku_id, group_disabled) {
        None => return Outcome::AlreadyGone,
        Some(Err(why)) => return Outcome::NoLongerCovered(why),
        Some(Ok(())) => {}
    }
    let sku = license.sku_id.to_string();
    match graph
        .assign_user_licenses(cancel, &license.user_id, &[], std::slice::from_ref(&sku))
        .await
    {
        Ok(()) => Outcome::Removed,
        Err(e) if e.is_not_found() => Outcome::UserGone,
        Err(GraphError::Cancelled) => Outcome::Interrupted,
        // A retried removal whose first attempt went through is refused; read to know.
        Err(e) => match graph.user(cancel, &license.user_id).await {
            Ok(Some(user)) if !direct_licenses(&user).contains_key(&license.sku_id) => Outcome::Removed,
            Err(GraphError::Cancelled) => Outcome::Interrupted,
            _ => Outcome::Failed(e),
        },
    }
}

/// Counts per outcome kind, for summaries.
pub fn tally(outcomes: &[(DirectLicense, Outcome)]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for (_, outcome) in outcomes {
        *counts.entry(outcome.code()).or_default() += 1;
    }
    counts
}

impl Outcome {
    /// A short code for state and progress lines.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Removed => "removed",
            Self::NoLongerCovered(_) => "no_longer_covered",
            Self::AlreadyGone => "already_gone",
            Self::UserGone => "user_gone",
            Self::GroupNoLongerAssigns => "group_no_longer_assigns",
            Self::Failed(_) => "failed",
            Self::NotAttempted => "not_attempted",
            Self::Interrupted => "interrupted",
        }
    }
}

impl Uncovered {
    /// A short code for state.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotInherited => "not_inherited",
            Self::InheritedNotActive { .. } => "inherited_not_active",
            Self::PlansNotCovered(_) => "plans_not_covered",
        }
    }
}

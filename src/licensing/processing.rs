//! After a group's licences change: waiting until the change is visible and Entra has
//! processed the members, and the members it could not license.
//!
//! `assignLicense` on a group answers 202 and Entra then works through the members in the
//! background (`licenseProcessingState` goes to `ProcessingComplete`). Member errors
//! (CountViolation and the like) are only meaningful once it has finished.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::change::{Licenses, current_licenses, shows};
use super::guid::Guid;
use crate::graph::endpoints::groups::ErrorPage;
use crate::graph::models::{Group, User};
use crate::graph::{GraphClient, GraphError};

/// `licenseProcessingState.state` once every member is processed.
pub const COMPLETE: &str = "ProcessingComplete";

/// How many reads in a row must show a write before it counts as visible. Graph's
/// directory is eventually consistent: one read may come from a replica that has the write
/// and the next from one that does not yet (azuread waits the same way).
pub const CONFIRMATIONS: u32 = 2;

/// What the group must show after a write: the planned licences (at least their disabled
/// plans) and none of the removed SKUs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectation {
    /// SKU → disabled plans sent.
    pub planned: Licenses,
    /// SKUs removed.
    pub removed: BTreeSet<Guid>,
}

/// How waiting ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Waited {
    /// The write is visible and, when asked, processing is complete (or Graph reports none).
    Settled,
    /// The write is visible, but processing was not complete when the limit ran out.
    TimedOut,
    /// Reads still did not show the write when the limit ran out.
    NotVisible,
    /// Terraform asked the provider to stop.
    Cancelled,
    /// The group no longer exists.
    GroupGone,
    /// Reading the group failed.
    ReadFailed(GraphError),
}

/// The last processing state and licences seen, and how waiting ended.
#[derive(Clone, Debug)]
pub struct Processing {
    /// `licenseProcessingState.state`, empty when unknown.
    pub state: String,
    /// The group's licences at the last read.
    pub seen: Option<Licenses>,
    /// How waiting ended.
    pub waited: Waited,
    /// With `report_errors`, the first page of members in error, read with the last read
    /// of the group (one `$batch`), for [`member_errors`].
    pub first_errors: Option<ErrorPage>,
}

impl Processing {
    /// True once every member is processed.
    pub fn is_complete(&self) -> bool {
        self.state == COMPLETE
    }
}

/// Reads the group until it shows `expected` in [`CONFIRMATIONS`] consecutive reads and,
/// with `wait`, its processing is complete. A confirming read follows at once; while the
/// write does not show or processing goes on, polls back off from 250 ms to 10 s, and
/// stop at `limit`. Without an expectation and without `wait`, one read.
pub async fn wait_after_write(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &Guid,
    expected: Option<&Expectation>,
    wait: bool,
    report_errors: bool,
    limit: Duration,
) -> Processing {
    let deadline = tokio::time::Instant::now() + limit;
    let mut delay = Duration::from_millis(250);
    let mut processing = Processing {
        state: String::new(),
        seen: None,
        waited: Waited::Settled,
        first_errors: None,
    };
    let mut confirmations = 0;
    loop {
        // The read that settles, if the group shows what it showed last time, brings the
        // first page of member errors along (one `$batch`, one request).
        let settling = report_errors
            && (expected.is_none() || confirmations + 1 >= CONFIRMATIONS)
            && (!wait || processing.state == COMPLETE);
        let group: Group = match read_group(graph, cancel, group_id, settling).await {
            Ok(Some((group, first_errors))) => {
                // A page that failed is read again by `member_errors`, which reports it.
                processing.first_errors = first_errors.and_then(Result::ok);
                group
            }
            Ok(None) => break processing.waited = Waited::GroupGone,
            Err(GraphError::Cancelled) => break processing.waited = Waited::Cancelled,
            Err(e) => break processing.waited = Waited::ReadFailed(e),
        };
        processing.state = group.license_processing_state.and_then(|s| s.state).unwrap_or_default();
        let licenses = current_licenses(&group.assigned_licenses);
        let visible = expected.is_none_or(|e| shows(&licenses, &e.planned, &e.removed));
        processing.seen = Some(licenses);
        confirmations = if visible { confirmations + 1 } else { 0 };
        let confirmed = expected.is_none() || confirmations >= CONFIRMATIONS;
        let processed = !wait || processing.state == COMPLETE || processing.state.is_empty();
        if confirmed && processed {
            break processing.waited = Waited::Settled;
        }
        // A confirming read follows at once; waiting for a write to show, or for
        // processing, backs off.
        if visible && !confirmed && processed {
            continue;
        }
        if tokio::time::Instant::now() + delay > deadline {
            break processing.waited = if confirmed {
                Waited::TimedOut
            } else {
                Waited::NotVisible
            };
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = cancel.cancelled() => break processing.waited = Waited::Cancelled,
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    processing
}

/// One read of the group, with the first page of member errors when `with_errors`.
async fn read_group(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &Guid,
    with_errors: bool,
) -> Result<Option<(Group, Option<Result<ErrorPage, GraphError>>)>, GraphError> {
    if with_errors {
        let found = graph.group_with_error_page(cancel, group_id.as_str()).await?;
        Ok(found.map(|(group, page)| (group, Some(page))))
    } else {
        let found = graph.group(cancel, group_id.as_str()).await?;
        Ok(found.map(|group| (group, None)))
    }
}

/// A member the group's licences could not be given to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberError {
    /// The user's object ID.
    pub user_id: String,
    /// The user's UPN (empty when Graph did not send it).
    pub user_principal_name: String,
    /// The SKU in error.
    pub sku_id: String,
    /// Graph's error code, e.g. `CountViolation`.
    pub error: String,
}

/// The members in error, with at most `limit` errors kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberErrors {
    /// How many members are in error.
    pub members_in_error: usize,
    /// Their errors from this group, at most the limit asked for.
    pub errors: Vec<MemberError>,
}

/// The members with errors from this group: how many, and the errors of the first `limit`
/// of them, so memory stays bounded whatever their number. `first` is the first page when
/// it was already read (see [`Processing::first_errors`]).
pub async fn member_errors(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &Guid,
    limit: usize,
    first: Option<ErrorPage>,
) -> Result<MemberErrors, GraphError> {
    let (count, members) = graph
        .license_error_sample(cancel, group_id.as_str(), limit, first)
        .await?;
    Ok(MemberErrors {
        members_in_error: usize::try_from(count).unwrap_or(usize::MAX),
        errors: errors_from_group(&members, group_id).take(limit).collect(),
    })
}

/// Every member's errors from this group (for the data source, which lists them all).
pub async fn all_member_errors(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &Guid,
) -> Result<Vec<MemberError>, GraphError> {
    let members = graph.members_with_license_errors(cancel, group_id.as_str()).await?;
    Ok(errors_from_group(&members, group_id).collect())
}

fn errors_from_group<'a>(members: &'a [User], group_id: &'a Guid) -> impl Iterator<Item = MemberError> + 'a {
    members.iter().flat_map(move |member| {
        member
            .license_assignment_states
            .iter()
            .filter(move |s| s.assigned_by_group.as_deref().and_then(Guid::parse).as_ref() == Some(group_id))
            .filter_map(move |s| {
                Some(MemberError {
                    user_id: member.id.clone(),
                    user_principal_name: member.user_principal_name.clone().unwrap_or_default(),
                    sku_id: s.sku_id.clone().unwrap_or_default(),
                    error: s.error()?.to_owned(),
                })
            })
    })
}

//! After a group's licences change: waiting for Entra to process the members, and the
//! members it could not license.
//!
//! `assignLicense` on a group answers 202 and Entra then works through the members in the
//! background (`licenseProcessingState` goes to `ProcessingComplete`). Member errors
//! (CountViolation and the like) are only meaningful once it has finished.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::guid::Guid;
use crate::graph::{GraphClient, GraphError};

/// `licenseProcessingState.state` once every member is processed.
pub const COMPLETE: &str = "ProcessingComplete";

/// How waiting ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Waited {
    /// Processing is complete, Graph reports no state, or waiting was not asked for.
    Settled,
    /// The limit ran out first.
    TimedOut,
    /// Terraform asked the provider to stop.
    Cancelled,
    /// The group no longer exists.
    GroupGone,
    /// Reading the group failed.
    ReadFailed(GraphError),
}

/// The last processing state seen and how waiting ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processing {
    /// `licenseProcessingState.state`, empty when unknown.
    pub state: String,
    /// How waiting ended.
    pub waited: Waited,
}

impl Processing {
    /// True once every member is processed.
    pub fn is_complete(&self) -> bool {
        self.state == COMPLETE
    }
}

/// Reads the group's processing state, and with `wait` polls (backing off from 250 ms to
/// 10 s) until it is complete or `limit` runs out.
pub async fn wait_for_processing(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &Guid,
    wait: bool,
    limit: Duration,
) -> Processing {
    let deadline = tokio::time::Instant::now() + limit;
    let mut delay = Duration::from_millis(250);
    let mut state = String::new();
    let waited = loop {
        match graph.group(cancel, group_id.as_str()).await {
            Ok(Some(group)) => state = group.license_processing_state.and_then(|s| s.state).unwrap_or_default(),
            Ok(None) => break Waited::GroupGone,
            Err(e) => break Waited::ReadFailed(e),
        }
        if !wait || state == COMPLETE || state.is_empty() {
            break Waited::Settled;
        }
        if tokio::time::Instant::now() + delay > deadline {
            break Waited::TimedOut;
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = cancel.cancelled() => break Waited::Cancelled,
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    };
    Processing { state, waited }
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

/// `GET /groups/{id}/membersWithLicenseErrors`: the members with errors from this group.
pub async fn member_errors(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &Guid,
    limit: usize,
) -> Result<MemberErrors, GraphError> {
    let members = graph.members_with_license_errors(cancel, group_id.as_str()).await?;
    let errors = members
        .iter()
        .flat_map(|member| {
            member
                .license_assignment_states
                .iter()
                .filter(|s| s.assigned_by_group.as_deref().and_then(Guid::parse).as_ref() == Some(group_id))
                .filter_map(move |s| {
                    Some(MemberError {
                        user_id: member.id.clone(),
                        user_principal_name: member.user_principal_name.clone().unwrap_or_default(),
                        sku_id: s.sku_id.clone().unwrap_or_default(),
                        error: s.error()?.to_owned(),
                    })
                })
        })
        .take(limit)
        .collect();
    Ok(MemberErrors {
        members_in_error: members.len(),
        errors,
    })
}

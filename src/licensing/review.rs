//! What a plan can tell about a change before it is applied, at a cost that does not
//! depend on the size of the group: can the group hold licences, does it contain groups,
//! will the members fit in the free seats of each new SKU, and which enabled service plans
//! would the members lose.
//!
//! Requests: one `$batch` with the group and `$count` queries
//! ([`GraphClient::group_with_member_counts`]). Run only when the apply will send
//! something.

use std::collections::{BTreeMap, BTreeSet};

use tokio_util::sync::CancellationToken;

use super::catalog::{ResolvedLicense, find_sku};
use super::change::{Managed, after_change, current_licenses, license_change, unlisted_removals};
use super::continuity::{LostPlan, lost_plans};
use super::eligibility::{self, Ineligible};
use super::guid::Guid;
use super::seats::{Shortfall, shortfall};
use crate::graph::endpoints::groups::MemberCounts;
use crate::graph::models::SubscribedSku;
use crate::graph::{GraphClient, GraphError};

/// The change a plan would make.
pub struct Intended<'a> {
    /// The SKUs the resource managed before (empty on create).
    pub managed_before: &'a BTreeSet<Guid>,
    /// What it wants now.
    pub wanted: &'a Managed,
    /// The same, by the keys the user wrote.
    pub resolved: &'a BTreeMap<String, ResolvedLicense>,
    /// The tenant's SKUs.
    pub skus: &'a [SubscribedSku],
}

/// What the review found.
pub enum Review {
    /// There is no such group.
    GroupNotFound,
    /// The group could not be read.
    Unreadable(GraphError),
    /// The group cannot hold licences.
    Ineligible {
        /// Its display name.
        name: Option<String>,
        /// Why.
        why: Ineligible,
    },
    /// The group can hold the licences.
    Reviewed(Findings),
}

/// The findings on a group that can hold the licences.
pub struct Findings {
    /// Member counts, or why they could not be read.
    pub counts: Result<MemberCounts, GraphError>,
    /// Per new licence key, the SKU and its seat shortfall.
    pub shortfalls: Vec<(String, SubscribedSku, Shortfall)>,
    /// The enabled plans the members would lose.
    pub lost: Vec<LostPlan>,
    /// SKUs `exclusive` removes that the resource did not manage.
    pub unlisted_removed: Vec<Guid>,
}

/// Reviews `intended` against the group `group_id`.
pub async fn review(
    graph: &GraphClient,
    cancel: &CancellationToken,
    group_id: &str,
    intended: &Intended<'_>,
) -> Review {
    let new: Vec<(&String, &ResolvedLicense)> = intended
        .resolved
        .iter()
        .filter(|(_, r)| !intended.managed_before.contains(&r.sku_id))
        .collect();
    let new_skus: Vec<String> = new.iter().map(|(_, r)| r.sku_id.to_string()).collect();
    let (group, counts) = match graph.group_with_member_counts(cancel, group_id, &new_skus).await {
        Ok(Some(found)) => found,
        Ok(None) => return Review::GroupNotFound,
        Err(e) => return Review::Unreadable(e),
    };
    if let Err(why) = eligibility::check(&group) {
        return Review::Ineligible {
            name: group.display_name,
            why,
        };
    }
    let shortfalls = match &counts {
        Ok(counts) => new
            .into_iter()
            .filter_map(|(key, license)| {
                let sku = find_sku(license.sku_id.as_str(), intended.skus)?;
                let holding = counts.holding.get(license.sku_id.as_str()).copied().unwrap_or(0);
                let short = shortfall(counts.users, holding, sku)?;
                Some((key.clone(), sku.clone(), short))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let current = current_licenses(&group.assigned_licenses);
    let change = license_change(intended.managed_before, intended.wanted, &current);
    let lost = change
        .as_ref()
        .map(|change| lost_plans(&current, &after_change(&current, change), intended.skus))
        .unwrap_or_default();
    let unlisted_removed = change
        .as_ref()
        .map(|change| unlisted_removals(intended.managed_before, change))
        .unwrap_or_default();
    Review::Reviewed(Findings {
        counts,
        shortfalls,
        lost,
        unlisted_removed,
    })
}

//! The licence-continuity log: every moment a user loses a service plan that was enabled
//! for them, with the request that caused it.
//!
//! Why: the worst thing a licensing tool can do is not an error but a silent gap, e.g.
//! updating a group's disabled plans by removing the SKU and adding it back, which strips
//! every member's mailbox for a moment (see `../shared/reference/graph-licensing.md`, "never
//! remove-then-add"). Graph shows only the end state, so such a gap is invisible to a test
//! that reads the result. The emulator sees every intermediate state, so it records the
//! plans each evaluation takes away, and a test asserts that a change it expects to be
//! seamless logged nothing.
//!
//! A plan counts as lost when it was enabled through any SKU before a user's evaluation and
//! through none after it: a SKU swapped for one that carries the same plan, in one request,
//! loses nothing. Pure data and arithmetic; the directory calls it on each evaluation.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

/// How many losses the log keeps (the oldest go first, counted in `dropped`), so that a
/// benchmark removing licences from 100,000 users cannot exhaust memory.
const CAPACITY: usize = 100_000;

/// What caused a change: the Graph request (its `request-id`) or an admin call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// The Graph `request-id` answered to the caller; `None` for admin calls and the seed.
    pub request_id: Option<String>,
    /// Method and path, e.g. `POST /v1.0/groups/{id}/assignLicense`.
    pub request: String,
}

impl Cause {
    /// A Graph request, by its request id.
    pub fn graph(request_id: &str, method: &str, path: &str) -> Self {
        Self {
            request_id: Some(request_id.to_owned()),
            request: format!("{method} {path}"),
        }
    }

    /// Anything that is not a Graph request (the admin API, the seed).
    pub fn other(request: impl Into<String>) -> Self {
        Self {
            request_id: None,
            request: request.into(),
        }
    }
}

/// One lost service plan, as `GET /_emulator/continuity` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanLoss {
    /// The user who lost the plan.
    pub user_id: String,
    /// Their sign-in name.
    pub user_principal_name: String,
    /// The plan.
    pub service_plan_id: String,
    /// Its name, e.g. `EXCHANGE_S_ENTERPRISE`.
    pub service_plan_name: String,
    /// A SKU that delivered the plan before (the first in the tenant's order, if several).
    pub sku_id: String,
    /// Its part number.
    pub sku_part_number: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The Graph `request-id` of the request that caused it; `null` for admin calls.
    pub request_id: Option<String>,
    /// Method and path of that request, e.g. `POST /v1.0/groups/{id}/assignLicense`.
    pub request: String,
}

/// The log: the newest `CAPACITY` losses, and how many older ones were dropped.
#[derive(Debug, Default)]
pub struct ContinuityLog {
    losses: VecDeque<PlanLoss>,
    dropped: u64,
}

impl ContinuityLog {
    /// Appends a loss, dropping the oldest when full.
    pub fn push(&mut self, loss: PlanLoss) {
        if self.losses.len() == CAPACITY {
            self.losses.pop_front();
            self.dropped += 1;
        }
        self.losses.push_back(loss);
    }

    /// The losses kept, oldest first.
    pub fn losses(&self) -> impl Iterator<Item = &PlanLoss> {
        self.losses.iter()
    }

    /// How many losses were dropped for want of room.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// The plans enabled `before` (SKU → enabled plans) that no SKU enables `after`, each with
/// the first SKU (in `before`'s order) that delivered it.
pub fn lost_plans<'a>(
    before: &'a BTreeMap<String, BTreeSet<String>>,
    after: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<(&'a str, &'a str)> {
    let still: BTreeSet<&str> = after.values().flatten().map(String::as_str).collect();
    let mut lost: BTreeMap<&str, &str> = BTreeMap::new();
    for (sku, plans) in before {
        for plan in plans.iter().filter(|p| !still.contains(p.as_str())) {
            lost.entry(plan.as_str()).or_insert(sku.as_str());
        }
    }
    lost.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plans(entries: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        entries
            .iter()
            .map(|(sku, plans)| ((*sku).to_owned(), plans.iter().map(|p| (*p).to_owned()).collect()))
            .collect()
    }

    #[test]
    fn a_plan_is_lost_only_when_no_sku_still_enables_it() {
        let before = plans(&[("e1", &["mail", "chat"]), ("p1", &["mfa"])]);
        let swapped = plans(&[("e3", &["mail", "chat", "sway"]), ("p1", &["mfa"])]);
        assert!(lost_plans(&before, &swapped).is_empty(), "a swap keeps every plan");
        let narrowed = plans(&[("e1", &["mail"])]);
        assert_eq!(lost_plans(&before, &narrowed), vec![("chat", "e1"), ("mfa", "p1")]);
        let twice = plans(&[("a", &["mfa"]), ("b", &["mfa"])]);
        assert_eq!(
            lost_plans(&twice, &BTreeMap::new()),
            vec![("mfa", "a")],
            "one loss per plan"
        );
    }

    #[test]
    fn the_log_keeps_the_newest_and_counts_what_it_dropped() {
        let mut log = ContinuityLog::default();
        let loss = |n: usize| PlanLoss {
            user_id: n.to_string(),
            user_principal_name: String::new(),
            service_plan_id: String::new(),
            service_plan_name: String::new(),
            sku_id: String::new(),
            sku_part_number: String::new(),
            at: String::new(),
            request_id: None,
            request: String::new(),
        };
        for n in 0..CAPACITY + 2 {
            log.push(loss(n));
        }
        assert_eq!(log.dropped(), 2);
        assert_eq!(log.losses().next().unwrap().user_id, "2");
        log.clear();
        assert_eq!((log.losses().count(), log.dropped()), (0, 0));
    }
}

//! Direct licences: what a user holds directly, what they inherit from which group, and
//! when a direct licence is redundant because a group already covers it.
//!
//! Graph's `assignedLicenses` merges every source of a SKU into one entry, so it cannot
//! tell a direct licence from an inherited one; `licenseAssignmentStates` can: one entry
//! per source, `assignedByGroup` null for the direct one, each with its own disabled plans,
//! state and error (<https://learn.microsoft.com/graph/api/resources/licenseassignmentstate>).
//! Everything here reads those states.
//!
//! A direct licence is *covered* by a group, and can be removed without any service plan
//! going away, when (Microsoft's migration procedure,
//! <https://learn.microsoft.com/entra/identity/users/licensing-groups-migrate-users>):
//! - the user inherits the same SKU from that group, and that source is `Active` with no
//!   error (a source in error serves nothing: the direct licence is what the user has);
//! - every plan the direct licence enables is enabled by the group, both as the user's
//!   inherited state shows it and as the group assigns it now (a group whose plans were
//!   just reduced may not have reprocessed this user yet).

use std::collections::{BTreeMap, BTreeSet};

use super::change::Licenses;
use super::guid::Guid;
use crate::graph::models::User;

/// The licences a user holds directly, by SKU, with the plans switched off on each.
pub fn direct_licenses(user: &User) -> Licenses {
    user.license_assignment_states
        .iter()
        .filter(|s| s.assigned_by_group.is_none())
        .filter_map(|s| {
            let sku = Guid::parse(s.sku_id.as_deref()?)?;
            Some((sku, guids(&s.disabled_plans)))
        })
        .collect()
}

/// One source of a SKU for a user: directly assigned, or inherited from a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The group it comes from; `None` when assigned directly.
    pub group_id: Option<Guid>,
    /// The plans this source switches off.
    pub disabled_plans: BTreeSet<Guid>,
    /// Graph's `state` (`Active`, `ActiveWithError`, `Disabled`, `Error`).
    pub state: String,
    /// Graph's `error` (`CountViolation`, …), `None` when there is none.
    pub error: Option<String>,
}

impl Source {
    /// Whether this source serves the user: active, without error.
    pub fn is_serving(&self) -> bool {
        self.state.eq_ignore_ascii_case("Active") && self.error.is_none()
    }
}

/// Every SKU the user holds, with each of its sources (direct first, then groups in
/// Graph's order).
pub fn sources(user: &User) -> BTreeMap<Guid, Vec<Source>> {
    let mut by_sku: BTreeMap<Guid, Vec<Source>> = BTreeMap::new();
    for state in &user.license_assignment_states {
        let Some(sku) = state.sku_id.as_deref().and_then(Guid::parse) else {
            continue;
        };
        let source = Source {
            group_id: state.assigned_by_group.as_deref().and_then(Guid::parse),
            disabled_plans: guids(&state.disabled_plans),
            state: state.state.clone().unwrap_or_default(),
            error: state.error().map(str::to_owned),
        };
        by_sku.entry(sku).or_default().push(source);
    }
    for list in by_sku.values_mut() {
        list.sort_by_key(|s| s.group_id.is_some());
    }
    by_sku
}

/// The licences that serve the user if its direct licences were `direct`: per SKU, the
/// plans switched off by every serving source (enabled plans are the union across
/// sources, so a plan is off only when all of them switch it off). Inherited sources in
/// error serve nothing.
pub fn served_with(user: &User, direct: &Licenses) -> Licenses {
    let mut served = direct.clone();
    for (sku, list) in sources(user) {
        for source in list.iter().filter(|s| s.group_id.is_some() && s.is_serving()) {
            served
                .entry(sku.clone())
                .and_modify(|off| off.retain(|plan| source.disabled_plans.contains(plan)))
                .or_insert_with(|| source.disabled_plans.clone());
        }
    }
    served
}

/// Why a direct licence is not covered by the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Uncovered {
    /// The user does not inherit the SKU from the group (not a direct member, or not
    /// processed yet).
    NotInherited,
    /// The inherited licence does not serve the user.
    InheritedNotActive {
        /// Graph's state.
        state: String,
        /// Graph's error, if any.
        error: Option<String>,
    },
    /// Plans the direct licence enables and the group switches off.
    PlansNotCovered(BTreeSet<Guid>),
}

/// Whether the user's direct licence of `sku` is covered by `group_id`, which assigns the
/// SKU with `group_disabled` switched off now. `None` when the user holds no direct
/// licence of the SKU (nothing to remove).
pub fn coverage(
    user: &User,
    group_id: &Guid,
    sku: &Guid,
    group_disabled: &BTreeSet<Guid>,
) -> Option<Result<(), Uncovered>> {
    let of_sku = sources(user).remove(sku)?;
    let direct = of_sku.iter().find(|s| s.group_id.is_none())?;
    let Some(inherited) = of_sku.iter().find(|s| s.group_id.as_ref() == Some(group_id)) else {
        return Some(Err(Uncovered::NotInherited));
    };
    if !inherited.is_serving() {
        return Some(Err(Uncovered::InheritedNotActive {
            state: inherited.state.clone(),
            error: inherited.error.clone(),
        }));
    }
    let switched_off_by_group: BTreeSet<&Guid> = inherited.disabled_plans.iter().chain(group_disabled).collect();
    let missing: BTreeSet<Guid> = switched_off_by_group
        .into_iter()
        .filter(|plan| !direct.disabled_plans.contains(*plan))
        .cloned()
        .collect();
    if missing.is_empty() {
        Some(Ok(()))
    } else {
        Some(Err(Uncovered::PlansNotCovered(missing)))
    }
}

fn guids(ids: &[String]) -> BTreeSet<Guid> {
    ids.iter().filter_map(|p| Guid::parse(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::models::LicenseAssignmentState;

    const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
    const GROUP: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";
    const OTHER_GROUP: &str = "2232b215-826f-42a9-8cfe-1643d19d17fd";
    const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
    const SWAY: &str = "a23b959c-7ce8-4e57-9140-b90eb88a9e97";

    fn state(group: Option<&str>, disabled: &[&str], state: &str, error: &str) -> LicenseAssignmentState {
        LicenseAssignmentState {
            sku_id: Some(E3.into()),
            assigned_by_group: group.map(str::to_owned),
            state: Some(state.into()),
            error: Some(error.into()),
            disabled_plans: disabled.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    fn user(states: Vec<LicenseAssignmentState>) -> User {
        User {
            id: "u".into(),
            user_principal_name: None,
            display_name: None,
            usage_location: Some("US".into()),
            assigned_licenses: Vec::new(),
            license_assignment_states: states,
        }
    }

    fn g(id: &str) -> Guid {
        Guid::parse(id).unwrap()
    }

    fn check(user: &User, group_disabled: &[&str]) -> Option<Result<(), Uncovered>> {
        let disabled = group_disabled.iter().map(|p| g(p)).collect();
        coverage(user, &g(GROUP), &g(E3), &disabled)
    }

    #[test]
    fn direct_licences_are_the_sources_without_a_group() {
        let u = user(vec![
            state(None, &[YAMMER], "Active", "None"),
            state(Some(GROUP), &[], "Active", "None"),
        ]);
        assert_eq!(
            direct_licenses(&u),
            Licenses::from([(g(E3), BTreeSet::from([g(YAMMER)]))])
        );
        let inherited_only = user(vec![state(Some(GROUP), &[], "Active", "None")]);
        assert!(direct_licenses(&inherited_only).is_empty());
        let sources = sources(&u);
        assert_eq!(sources[&g(E3)][0].group_id, None, "direct first");
        assert_eq!(sources[&g(E3)][1].group_id, Some(g(GROUP)));
    }

    #[test]
    fn a_user_is_served_by_the_union_of_direct_and_serving_inherited_sources() {
        let u = user(vec![
            state(None, &[YAMMER, SWAY], "Active", "None"),
            state(Some(GROUP), &[YAMMER], "Active", "None"),
            state(Some(OTHER_GROUP), &[], "Error", "CountViolation"),
        ]);
        let e3 = g(E3);
        assert_eq!(
            served_with(&u, &direct_licenses(&u)),
            Licenses::from([(e3.clone(), BTreeSet::from([g(YAMMER)]))]),
            "Sway is on from the group; the group in error adds nothing"
        );
        assert_eq!(
            served_with(&u, &Licenses::new()),
            Licenses::from([(e3, BTreeSet::from([g(YAMMER)]))]),
            "without the direct licence the group still serves E3"
        );
    }

    #[test]
    fn covered_only_when_the_group_serves_every_plan_the_direct_licence_enables() {
        let covered = user(vec![
            state(None, &[YAMMER], "Active", "None"),
            state(Some(GROUP), &[YAMMER], "Active", "None"),
        ]);
        assert_eq!(check(&covered, &[YAMMER]), Some(Ok(())));
        // The group enables more than the direct licence: still covered.
        let more = user(vec![
            state(None, &[YAMMER], "Active", "None"),
            state(Some(GROUP), &[], "Active", "None"),
        ]);
        assert_eq!(check(&more, &[]), Some(Ok(())));
        // The direct licence enables Yammer, the group does not.
        let fewer = user(vec![
            state(None, &[], "Active", "None"),
            state(Some(GROUP), &[YAMMER], "Active", "None"),
        ]);
        assert_eq!(
            check(&fewer, &[YAMMER]),
            Some(Err(Uncovered::PlansNotCovered(BTreeSet::from([g(YAMMER)]))))
        );
        // The group now switches Sway off, not yet processed for this user.
        assert_eq!(
            check(&more, &[SWAY]),
            Some(Err(Uncovered::PlansNotCovered(BTreeSet::from([g(SWAY)]))))
        );
    }

    #[test]
    fn an_inherited_licence_in_error_or_from_another_group_covers_nothing() {
        let in_error = user(vec![
            state(None, &[], "Active", "None"),
            state(Some(GROUP), &[], "Error", "MutuallyExclusiveViolation"),
        ]);
        assert_eq!(
            check(&in_error, &[]),
            Some(Err(Uncovered::InheritedNotActive {
                state: "Error".into(),
                error: Some("MutuallyExclusiveViolation".into())
            }))
        );
        let elsewhere = user(vec![
            state(None, &[], "Active", "None"),
            state(Some(OTHER_GROUP), &[], "Active", "None"),
        ]);
        assert_eq!(check(&elsewhere, &[]), Some(Err(Uncovered::NotInherited)));
        let no_direct = user(vec![state(Some(GROUP), &[], "Active", "None")]);
        assert_eq!(check(&no_direct, &[]), None, "nothing to remove");
    }
}

//! What one `assignLicense` call sends, and whether an apply sends anything at all.
//!
//! Both are decided here once, for the plan and for the apply: the plan shows a change
//! exactly when the apply will send one.
//!
//! Why the body is computed against the group's *current* licences rather than the prior
//! state: a SKU changed in the portal is then put right by the same single call, and a SKU
//! already as planned is not sent again. A change of disabled plans re-posts the SKU in
//! `addLicenses` with its full list, which Graph applies in place: members never lose the
//! licence. A removal happens only for SKUs this resource managed (or every unlisted SKU
//! with `exclusive`).

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::{ResolvedLicense, key_for};
use super::guid::Guid;
use crate::graph::models::{AssignedLicense, SubscribedSku};

/// SKU → the plans switched off on it.
pub type Licenses = BTreeMap<Guid, BTreeSet<Guid>>;

/// What a resource manages: its licences and whether it removes everything else.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Managed {
    /// The licences, with their disabled plans.
    pub licenses: Licenses,
    /// Unlisted SKUs are removed.
    pub exclusive: bool,
}

/// True when going from `before` to `after` sends nothing to Graph: the same SKUs with the
/// same plans (however they are spelled) and the same `exclusive`.
pub fn sends_nothing(before: &Managed, after: &Managed) -> bool {
    before == after
}

/// One `assignLicense` body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenseChange {
    /// SKUs to add, or whose disabled plans change (full list).
    pub add: Vec<AssignedLicense>,
    /// SKUs to remove.
    pub remove: Vec<String>,
}

/// The licences Graph reports, by ID.
pub fn current_licenses(assigned: &[AssignedLicense]) -> Licenses {
    assigned
        .iter()
        .filter_map(|l| {
            let sku = Guid::parse(&l.sku_id)?;
            let plans = l.disabled_plans.iter().filter_map(|p| Guid::parse(p)).collect();
            Some((sku, plans))
        })
        .collect()
}

/// The one call an apply makes, or `None` when the group is already as planned.
///
/// - `managed_before`: the SKUs this resource managed before (empty on create);
/// - `planned`: what the resource wants (no licences on delete);
/// - `current`: the group's licences now.
///
/// A SKU is added when the group lacks it or its disabled plans differ; removed when this
/// resource managed it (or `exclusive`) and it is no longer planned but still present.
pub fn license_change(managed_before: &BTreeSet<Guid>, planned: &Managed, current: &Licenses) -> Option<LicenseChange> {
    let add: Vec<AssignedLicense> = planned
        .licenses
        .iter()
        .filter(|(sku, disabled)| current.get(*sku) != Some(disabled))
        .map(|(sku, disabled)| AssignedLicense {
            sku_id: sku.to_string(),
            disabled_plans: disabled.iter().map(Guid::to_string).collect(),
        })
        .collect();
    let remove: Vec<String> = current
        .keys()
        .filter(|sku| !planned.licenses.contains_key(*sku) && (planned.exclusive || managed_before.contains(*sku)))
        .map(Guid::to_string)
        .collect();
    (!add.is_empty() || !remove.is_empty()).then_some(LicenseChange { add, remove })
}

/// The SKUs `change` removes that the resource did not manage before: what `exclusive`
/// takes away beyond the configuration. No diff of `licenses` shows them (they were never
/// in it), so a plan names them in a warning instead.
pub fn unlisted_removals(managed_before: &BTreeSet<Guid>, change: &LicenseChange) -> Vec<Guid> {
    change
        .remove
        .iter()
        .filter_map(|sku| Guid::parse(sku))
        .filter(|sku| !managed_before.contains(sku))
        .collect()
}

/// The group's licences once `change` is applied to `current`.
pub fn after_change(current: &Licenses, change: &LicenseChange) -> Licenses {
    let mut after = current.clone();
    for sku in &change.remove {
        if let Some(sku) = Guid::parse(sku) {
            after.remove(&sku);
        }
    }
    after.extend(current_licenses(&change.add));
    after
}

/// Whether `current` holds the licences as `managed` says: each managed SKU with every
/// plan sent disabled, and at most Graph's own additions (`graph_added`) besides; with
/// `exclusive`, no other SKU. What refresh calls "no drift".
pub fn as_managed(current: &Licenses, managed: &Managed, graph_added: &Licenses) -> bool {
    let each = managed.licenses.iter().all(|(sku, sent)| {
        current.get(sku).is_some_and(|held| {
            held.is_superset(sent)
                && held
                    .difference(sent)
                    .all(|p| graph_added.get(sku).is_some_and(|a| a.contains(p)))
        })
    });
    each && !(managed.exclusive && current.keys().any(|sku| !managed.licenses.contains_key(sku)))
}

/// `current` less, per SKU, the plans Graph disabled on its own (`added`).
pub fn without_added(current: &Licenses, added: &Licenses) -> Licenses {
    current
        .iter()
        .map(|(sku, held)| {
            let own = added
                .get(sku)
                .map_or_else(|| held.clone(), |a| held.difference(a).cloned().collect());
            (sku.clone(), own)
        })
        .collect()
}

/// True when `current` shows `planned`: each planned SKU with at least its planned disabled
/// plans (Graph may add its own), and none of `removed`.
pub fn shows(current: &Licenses, planned: &Licenses, removed: &BTreeSet<Guid>) -> bool {
    planned
        .iter()
        .all(|(sku, disabled)| current.get(sku).is_some_and(|held| held.is_superset(disabled)))
        && removed.iter().all(|sku| !current.contains_key(sku))
}

/// The keyed licences as the group holds them now: a SKU still present keeps its key
/// (with the plans it has now), a SKU gone is dropped, and with `with_unlisted` every other
/// SKU of the group is added under its part number. Used by refresh (what changed outside
/// Terraform, in the user's own keys) and by import (`managed` empty).
pub fn as_held(
    managed: &BTreeMap<String, ResolvedLicense>,
    current: &Licenses,
    with_unlisted: bool,
    skus: &[SubscribedSku],
) -> BTreeMap<String, ResolvedLicense> {
    let mut held: BTreeMap<String, ResolvedLicense> = managed
        .iter()
        .filter_map(|(key, license)| {
            let plans = current.get(&license.sku_id)?;
            let license = ResolvedLicense {
                disabled_plan_ids: plans.clone(),
                ..license.clone()
            };
            Some((key.clone(), license))
        })
        .collect();
    if with_unlisted {
        let listed: BTreeSet<&Guid> = managed.values().map(|l| &l.sku_id).collect();
        for (sku_id, plans) in current.iter().filter(|(sku, _)| !listed.contains(sku)) {
            let key = key_for(sku_id, skus);
            let license = ResolvedLicense {
                sku_id: sku_id.clone(),
                sku_part_number: key.clone(),
                disabled_plan_ids: plans.clone(),
            };
            held.insert(key, license);
        }
    }
    held
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "00000000-0000-0000-0000-00000000000a";
    const B: &str = "00000000-0000-0000-0000-00000000000b";
    const C: &str = "00000000-0000-0000-0000-00000000000c";
    const P1: &str = "00000000-0000-0000-0000-0000000000f1";
    const P2: &str = "00000000-0000-0000-0000-0000000000f2";

    fn g(text: &str) -> Guid {
        Guid::parse(text).unwrap()
    }

    fn licenses(entries: &[(&str, &[&str])]) -> Licenses {
        entries
            .iter()
            .map(|(s, d)| (g(s), d.iter().map(|p| g(p)).collect()))
            .collect()
    }

    fn managed(entries: &[(&str, &[&str])], exclusive: bool) -> Managed {
        Managed {
            licenses: licenses(entries),
            exclusive,
        }
    }

    fn assigned(sku: &str, disabled: &[&str]) -> AssignedLicense {
        AssignedLicense {
            sku_id: sku.into(),
            disabled_plans: disabled.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn unlisted_removals_are_what_exclusive_removes_beyond_the_managed_skus() {
        let current = licenses(&[(A, &[]), (B, &[]), (C, &[])]);
        // A was managed and is dropped (the diff shows it); C was never managed.
        let before: BTreeSet<Guid> = [g(A)].into();
        let change = license_change(&before, &managed(&[(B, &[])], true), &current).unwrap();
        assert_eq!(unlisted_removals(&before, &change), vec![g(C)]);
        // Without exclusive, nothing unlisted is removed.
        let change = license_change(&before, &managed(&[(B, &[])], false), &current).unwrap();
        assert!(unlisted_removals(&before, &change).is_empty());
    }

    #[test]
    fn one_body_per_apply_and_none_when_nothing_changed() {
        let none = BTreeSet::new();
        // Create: new SKUs are added with their full disabled list.
        let change = license_change(&none, &managed(&[(A, &[P1]), (B, &[])], false), &Licenses::new()).unwrap();
        assert_eq!(change.add, vec![assigned(A, &[P1]), assigned(B, &[])]);
        assert!(change.remove.is_empty());
        // Already as planned (Graph's case does not matter): nothing to send.
        let current = current_licenses(&[assigned(&A.to_uppercase(), &[&P1.to_uppercase()])]);
        assert_eq!(license_change(&none, &managed(&[(A, &[P1])], false), &current), None);
        // Plans changed: the SKU is re-posted with the new full list, never removed.
        let before = BTreeSet::from([g(A), g(B)]);
        let current = licenses(&[(A, &[P1]), (B, &[]), (C, &[])]);
        let change = license_change(&before, &managed(&[(A, &[P2])], false), &current).unwrap();
        assert_eq!(change.add, vec![assigned(A, &[P2])]);
        assert_eq!(
            change.remove,
            vec![B.to_owned()],
            "dropped managed SKU removed; unmanaged C left alone"
        );
        // Exclusive removes what nobody listed.
        let current = licenses(&[(A, &[P1]), (C, &[])]);
        let change = license_change(&before, &managed(&[(A, &[P1])], true), &current).unwrap();
        assert!(change.add.is_empty());
        assert_eq!(change.remove, vec![C.to_owned()]);
        // Delete removes exactly the managed SKUs still present.
        let current = licenses(&[(B, &[]), (C, &[])]);
        let change = license_change(&before, &Managed::default(), &current).unwrap();
        assert_eq!(change.remove, vec![B.to_owned()]);
    }

    #[test]
    fn held_licences_keep_the_users_keys_and_name_the_rest() {
        use crate::licensing::catalog::tests::{E5, YAMMER, skus};
        const E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
        let resolved = |sku: &str, part: &str, plans: &[&str]| ResolvedLicense {
            sku_id: g(sku),
            sku_part_number: part.into(),
            disabled_plan_ids: plans.iter().map(|p| g(p)).collect(),
        };
        let managed = BTreeMap::from([("my-e5".to_owned(), resolved(E5, "SPE_E5", &[]))]);
        let current = licenses(&[(E5, &[YAMMER]), (E3, &[])]);
        let held = as_held(&managed, &current, false, &skus());
        assert_eq!(
            held,
            BTreeMap::from([("my-e5".to_owned(), resolved(E5, "SPE_E5", &[YAMMER]))])
        );
        let held = as_held(&managed, &current, true, &skus());
        assert_eq!(
            held["SPE_E3"],
            resolved(E3, "SPE_E3", &[]),
            "unlisted SKUs by part number"
        );
        assert!(
            as_held(&managed, &Licenses::new(), true, &skus()).is_empty(),
            "gone SKUs leave"
        );
        let imported = as_held(&BTreeMap::new(), &current, true, &skus());
        assert_eq!(imported.keys().collect::<Vec<_>>(), ["SPE_E3", "SPE_E5"]);
    }

    #[test]
    fn a_change_applied_and_seen() {
        let current = licenses(&[(A, &[P1]), (B, &[])]);
        let change = LicenseChange {
            add: vec![assigned(A, &[P2]), assigned(C, &[])],
            remove: vec![B.to_owned()],
        };
        let after = after_change(&current, &change);
        assert_eq!(after, licenses(&[(A, &[P2]), (C, &[])]));
        let removed = BTreeSet::from([g(B)]);
        assert!(shows(&after, &licenses(&[(A, &[P2])]), &removed));
        assert!(
            !shows(&current, &licenses(&[(A, &[P2])]), &removed),
            "old plans, B still there"
        );
        let extended = licenses(&[(A, &[P1, P2])]);
        assert!(
            shows(&extended, &licenses(&[(A, &[P2])]), &BTreeSet::new()),
            "Graph may disable more"
        );
    }

    #[test]
    fn nothing_is_sent_only_when_plans_and_exclusive_are_unchanged() {
        let before = managed(&[(A, &[P1])], false);
        assert!(sends_nothing(&before, &managed(&[(A, &[P1])], false)));
        assert!(!sends_nothing(&before, &managed(&[(A, &[P2])], false)));
        assert!(!sends_nothing(&before, &managed(&[(A, &[P1])], true)));
        assert!(!sends_nothing(&before, &managed(&[(A, &[P1]), (B, &[])], false)));
    }

    #[test]
    fn graphs_own_additions_are_not_drift_but_an_administrators_change_is() {
        use crate::licensing::catalog::tests::{E5, TEAMS, YAMMER};
        let managed = Managed {
            licenses: licenses(&[(E5, &[YAMMER])]),
            exclusive: false,
        };
        let graph_added = licenses(&[(E5, &[TEAMS])]);
        assert!(as_managed(&licenses(&[(E5, &[YAMMER])]), &managed, &graph_added));
        assert!(as_managed(&licenses(&[(E5, &[YAMMER, TEAMS])]), &managed, &graph_added));
        assert!(
            !as_managed(&licenses(&[(E5, &[TEAMS])]), &managed, &graph_added),
            "Yammer enabled"
        );
        assert!(!as_managed(&licenses(&[]), &managed, &graph_added), "removed");
        assert!(!as_managed(
            &licenses(&[(E5, &[YAMMER, TEAMS])]),
            &managed,
            &Licenses::new()
        ));
        let exclusive = Managed {
            exclusive: true,
            ..managed
        };
        let other = C;
        assert!(!as_managed(
            &licenses(&[(E5, &[YAMMER]), (other, &[])]),
            &exclusive,
            &graph_added
        ));
    }
}

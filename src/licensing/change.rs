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

use super::guid::Guid;
use crate::graph::models::AssignedLicense;

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
    fn nothing_is_sent_only_when_plans_and_exclusive_are_unchanged() {
        let before = managed(&[(A, &[P1])], false);
        assert!(sends_nothing(&before, &managed(&[(A, &[P1])], false)));
        assert!(!sends_nothing(&before, &managed(&[(A, &[P2])], false)));
        assert!(!sends_nothing(&before, &managed(&[(A, &[P1])], true)));
        assert!(!sends_nothing(&before, &managed(&[(A, &[P1]), (B, &[])], false)));
    }
}

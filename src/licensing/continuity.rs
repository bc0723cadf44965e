//! Licence continuity: which enabled service plans a change takes away from a group's
//! members.
//!
//! Microsoft's guidance for a SKU swap (E1 to E3) is to add and remove in one operation
//! and to check that no service the users rely on disappears. Members keep a plan when
//! any licence of the group still enables it (plans are identified by `servicePlanId`,
//! which SKUs share: Exchange Online in E3 is the same plan as in E1), so the loss is the
//! plans enabled before and by no licence after.

use std::collections::BTreeSet;

use super::change::Licenses;
use super::guid::Guid;
use crate::graph::models::SubscribedSku;

/// A service plan that no licence of the group enables any more.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LostPlan {
    /// Its name, e.g. `EXCHANGE_S_ENTERPRISE`.
    pub name: String,
    /// Its ID.
    pub id: Guid,
    /// The part number of a SKU that enabled it before.
    pub sku_part_number: String,
}

/// The plans each licence enables: the SKU's plans less its disabled ones.
fn enabled<'a>(licenses: &'a Licenses, skus: &'a [SubscribedSku]) -> impl Iterator<Item = (Guid, String, String)> + 'a {
    licenses.iter().flat_map(move |(sku_id, disabled)| {
        let sku = skus.iter().find(|s| Guid::parse(&s.sku_id).as_ref() == Some(sku_id));
        sku.into_iter().flat_map(move |sku| {
            sku.service_plans.iter().filter_map(move |plan| {
                let id = Guid::parse(&plan.service_plan_id)?;
                (!disabled.contains(&id)).then(|| {
                    (
                        id,
                        plan.service_plan_name.clone(),
                        sku.sku_part_number.trim().to_owned(),
                    )
                })
            })
        })
    })
}

/// The plans enabled by `before` and by no licence of `after`, sorted by name.
pub fn lost_plans(before: &Licenses, after: &Licenses, skus: &[SubscribedSku]) -> Vec<LostPlan> {
    let kept: BTreeSet<Guid> = enabled(after, skus).map(|(id, _, _)| id).collect();
    let mut seen = BTreeSet::new();
    let mut lost: Vec<LostPlan> = enabled(before, skus)
        .filter(|(id, _, _)| !kept.contains(id) && seen.insert(id.clone()))
        .map(|(id, name, sku_part_number)| LostPlan {
            name,
            id,
            sku_part_number,
        })
        .collect();
    lost.sort();
    lost
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::licensing::catalog::tests::{E5, TEAMS, YAMMER, sku};

    const E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";

    fn g(text: &str) -> Guid {
        Guid::parse(text).unwrap()
    }

    #[test]
    fn a_plan_is_lost_only_when_no_licence_enables_it_any_more() {
        let skus = vec![
            sku("SPE_E5", E5, &[("YAMMER_ENTERPRISE", YAMMER), ("TEAMS1", TEAMS)]),
            sku("SPE_E3", E3, &[("TEAMS1", TEAMS)]),
        ];
        let e5 = Licenses::from([(g(E5), BTreeSet::new())]);
        // A swap to E3 keeps Teams (E3 has it too) and loses Yammer.
        let e3 = Licenses::from([(g(E3), BTreeSet::new())]);
        let lost = lost_plans(&e5, &e3, &skus);
        assert_eq!(
            lost.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["YAMMER_ENTERPRISE"]
        );
        assert_eq!(lost[0].sku_part_number, "SPE_E5");
        // Disabling Teams on E5 loses it; nothing is lost when nothing changes.
        let teams_off = Licenses::from([(g(E5), BTreeSet::from([g(TEAMS)]))]);
        assert_eq!(lost_plans(&e5, &teams_off, &skus)[0].name, "TEAMS1");
        assert!(lost_plans(&e5, &e5, &skus).is_empty());
        // Removing a SKU another licence covers loses nothing.
        let both = Licenses::from([(g(E5), BTreeSet::from([g(YAMMER)])), (g(E3), BTreeSet::new())]);
        assert!(lost_plans(&both, &e3, &skus).is_empty());
    }
}

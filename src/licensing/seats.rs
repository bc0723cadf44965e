//! The seat forecast: will a group's members fit in the free seats of a SKU?
//!
//! A member who already holds the SKU (directly or from another group) uses no new seat;
//! every other direct user member needs one. Too few seats is not an error for a group:
//! Entra assigns what it can and reports CountViolation for the rest.

use crate::graph::models::{SubscribedSku, User};

/// More members would newly consume a SKU than it has free seats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    /// Members that do not hold the SKU yet.
    pub newcomers: usize,
    /// Seats free now (never negative).
    pub free: i64,
    /// Seats bought (`prepaidUnits.enabled`).
    pub seats: i64,
}

/// The shortfall of `sku` for `members`, if there is one.
pub fn shortfall(members: &[User], sku: &SubscribedSku) -> Option<Shortfall> {
    let newcomers = members
        .iter()
        .filter(|m| {
            !m.assigned_licenses
                .iter()
                .any(|l| l.sku_id.eq_ignore_ascii_case(&sku.sku_id))
        })
        .count();
    let free = (sku.prepaid_units.enabled - sku.consumed_units).max(0);
    (i64::try_from(newcomers).unwrap_or(i64::MAX) > free).then_some(Shortfall {
        newcomers,
        free,
        seats: sku.prepaid_units.enabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::models::AssignedLicense;
    use crate::licensing::catalog::tests::{E5, sku};

    fn member(skus: &[&str]) -> User {
        User {
            id: "u".into(),
            user_principal_name: None,
            assigned_licenses: skus
                .iter()
                .map(|s| AssignedLicense {
                    sku_id: (*s).to_uppercase(),
                    disabled_plans: vec![],
                })
                .collect(),
            license_assignment_states: vec![],
        }
    }

    #[test]
    fn members_holding_the_sku_need_no_seat() {
        let mut e5 = sku("SPE_E5", E5, &[]);
        e5.prepaid_units.enabled = 3;
        e5.consumed_units = 1;
        let fits = vec![member(&[E5]), member(&[]), member(&[])];
        assert_eq!(shortfall(&fits, &e5), None, "two newcomers, two free seats");
        let too_many = vec![member(&[]), member(&[]), member(&[])];
        assert_eq!(
            shortfall(&too_many, &e5),
            Some(Shortfall {
                newcomers: 3,
                free: 2,
                seats: 3
            })
        );
    }
}

//! The seat forecast: will a group's members fit in the free seats of a SKU?
//!
//! A member who already holds the SKU (directly or from another group) uses no new seat;
//! every other direct user member needs one (nested groups' members get nothing). Too few
//! seats is not an error for a group: Entra assigns what it can and reports CountViolation
//! for the rest. The counts come from Graph's `$count` queries, so the forecast costs the
//! same for ten members and for a hundred thousand.

use crate::graph::models::SubscribedSku;

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

/// The shortfall of `sku` for a group of `users` direct user members of whom `holding`
/// hold it already, if there is one.
pub fn shortfall(users: u64, holding: u64, sku: &SubscribedSku) -> Option<Shortfall> {
    let newcomers = users.saturating_sub(holding);
    let free = (sku.prepaid_units.enabled - sku.consumed_units).max(0);
    (i64::try_from(newcomers).unwrap_or(i64::MAX) > free).then_some(Shortfall {
        newcomers: usize::try_from(newcomers).unwrap_or(usize::MAX),
        free,
        seats: sku.prepaid_units.enabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::licensing::catalog::tests::{E5, sku};

    #[test]
    fn members_holding_the_sku_need_no_seat() {
        let mut e5 = sku("SPE_E5", E5, &[]);
        e5.prepaid_units.enabled = 3;
        e5.consumed_units = 1;
        assert_eq!(shortfall(3, 1, &e5), None, "two newcomers, two free seats");
        let expected = Shortfall {
            newcomers: 3,
            free: 2,
            seats: 3,
        };
        assert_eq!(shortfall(3, 0, &e5), Some(expected));
        assert_eq!(shortfall(100_000, 100_000, &e5), None, "everyone holds it already");
    }
}

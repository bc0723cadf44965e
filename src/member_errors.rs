//! Member licence errors as the group resource and the `entra_group_licenses` data source
//! both show them: one flat list of (user, SKU, error), one name, one type.

use crate::graph::models::SubscribedSku;
use crate::licensing::Guid;
use crate::licensing::catalog::key_for;
use crate::licensing::processing::MemberError;
use crate::model;

model! {
    /// A member who could not get one of a group's licences.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct MemberLicenseError {
        /// The user.
        pub user_id: String,
        /// The user's UPN.
        pub user_principal_name: String,
        /// The SKU in error.
        pub sku_id: String,
        /// Its part number (the ID when the tenant does not list it).
        pub sku_part_number: String,
        /// Graph's error code, e.g. `CountViolation`.
        pub error: String,
    }
}

/// The description of the attribute, shared so both schemas say the same.
pub const DESCRIPTION: &str = "Member licence errors: `user_id`, `user_principal_name`, `sku_id`, `sku_part_number`, `error` (CountViolation, MutuallyExclusiveViolation, DependencyViolation, ProhibitedInUsageLocationViolation, UniquenessViolation, Other). A group's licences are given to a member all or none: one SKU short of seats holds back the member's other licences from the group too.";

impl MemberLicenseError {
    /// The error as shown, with the SKU named.
    pub fn new(error: MemberError, skus: &[SubscribedSku]) -> Self {
        let sku_part_number = Guid::parse(&error.sku_id).map_or_else(|| error.sku_id.clone(), |id| key_for(&id, skus));
        Self {
            user_id: error.user_id,
            user_principal_name: error.user_principal_name,
            sku_id: error.sku_id,
            sku_part_number,
            error: error.error,
        }
    }
}

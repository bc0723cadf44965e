//! Graph's JSON shapes for the licensing endpoints (camelCase on the wire).

use serde::{Deserialize, Serialize};

/// `assignedLicense`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedLicense {
    /// Disabled service plan GUIDs; always sent, even empty.
    #[serde(default)]
    pub disabled_plans: Vec<String>,
    /// SKU GUID.
    pub sku_id: String,
}

/// `servicePlanInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlanInfo {
    /// Plan GUID.
    pub service_plan_id: String,
    /// Plan name.
    pub service_plan_name: String,
    /// `User` or `Company`.
    #[serde(default)]
    pub applies_to: String,
    /// `Success`, `Disabled`, …
    #[serde(default)]
    pub provisioning_status: String,
}

/// `licenseUnitsDetail`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LicenseUnits {
    /// Seats of active subscriptions.
    pub enabled: i64,
    /// Suspended seats.
    pub suspended: i64,
    /// Seats in the grace period.
    pub warning: i64,
    /// Locked-out seats.
    pub locked_out: i64,
}

/// `subscribedSku`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedSku {
    /// SKU GUID.
    pub sku_id: String,
    /// Part number, e.g. `SPE_E5`.
    pub sku_part_number: String,
    /// `User` or `Company`.
    #[serde(default)]
    pub applies_to: String,
    /// `Enabled`, `Warning`, `Suspended`, `Deleted` or `LockedOut`.
    #[serde(default)]
    pub capability_status: String,
    /// Seats assigned.
    #[serde(default)]
    pub consumed_units: i64,
    /// Seats bought.
    #[serde(default)]
    pub prepaid_units: LicenseUnits,
    /// Service plans.
    #[serde(default)]
    pub service_plans: Vec<ServicePlanInfo>,
}

impl SubscribedSku {
    /// The name of one of this SKU's service plans, by plan ID (any case).
    pub fn plan_name(&self, plan_id: &str) -> Option<&str> {
        self.service_plans
            .iter()
            .find(|p| p.service_plan_id.eq_ignore_ascii_case(plan_id))
            .map(|p| p.service_plan_name.as_str())
    }
}

/// `licenseProcessingState`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct LicenseProcessingState {
    /// `QueuedForProcessing`, `ProcessingInProgress`, `ProcessingComplete`.
    pub state: Option<String>,
}

/// The group properties the provider reads.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Object ID.
    pub id: String,
    /// Name (when selected).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Security-enabled (when selected).
    #[serde(default)]
    pub security_enabled: Option<bool>,
    /// Whether the group has a mailbox address (distribution groups and Microsoft 365 groups).
    #[serde(default)]
    pub mail_enabled: Option<bool>,
    /// `Unified` for a Microsoft 365 group; empty for security and distribution groups.
    #[serde(default)]
    pub group_types: Vec<String>,
    /// Assigned licences (only with `$select`).
    #[serde(default)]
    pub assigned_licenses: Vec<AssignedLicense>,
    /// Processing state (only with `$select`).
    #[serde(default)]
    pub license_processing_state: Option<LicenseProcessingState>,
}

/// `licenseAssignmentState`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseAssignmentState {
    /// SKU GUID.
    pub sku_id: Option<String>,
    /// The group it comes from; null when direct.
    pub assigned_by_group: Option<String>,
    /// `Active`, `ActiveWithError`, `Disabled`, `Error`.
    pub state: Option<String>,
    /// The error; null or `"None"` when there is none.
    pub error: Option<String>,
    /// The plans this source switches off.
    #[serde(default)]
    pub disabled_plans: Vec<String>,
}

impl LicenseAssignmentState {
    /// The error, with Graph's two spellings of "no error" (null and `"None"`) as `None`.
    pub fn error(&self) -> Option<&str> {
        self.error
            .as_deref()
            .filter(|e| !e.eq_ignore_ascii_case("none") && !e.is_empty())
    }
}

/// The user properties the provider reads.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Object ID.
    pub id: String,
    /// Sign-in name.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// Display name (when selected).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Two-letter country code where the user's services are delivered (when selected);
    /// direct assignment needs it.
    #[serde(default)]
    pub usage_location: Option<String>,
    /// Licences in effect (when selected).
    #[serde(default)]
    pub assigned_licenses: Vec<AssignedLicense>,
    /// Per-source licence states (when selected).
    #[serde(default)]
    pub license_assignment_states: Vec<LicenseAssignmentState>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_and_null_both_mean_no_error() {
        let parse = |e: &str| {
            serde_json::from_str::<LicenseAssignmentState>(&format!(r#"{{"skuId":"s","error":{e}}}"#)).unwrap()
        };
        assert_eq!(parse("null").error(), None);
        assert_eq!(parse(r#""None""#).error(), None);
        assert_eq!(parse(r#""CountViolation""#).error(), Some("CountViolation"));
    }
}

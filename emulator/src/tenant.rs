//! The tenant file: the JSON an emulator starts from (see `emulator/README.md`).
//!
//! Field names follow Graph's own (`skuId`, `servicePlans`, `prepaidUnits`…), so fixtures
//! read like real Graph output. A few fields model behaviour Graph does not expose and
//! are the emulator's own: `prohibitedUsageLocations`, `requiresAnyServicePlan`,
//! `conflictingServicePlans`, and the applications' credentials and granted roles.

use serde::{Deserialize, Serialize};

/// A whole tenant.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantFile {
    /// The directory (tenant) ID.
    pub tenant_id: String,
    /// A name for people.
    #[serde(default)]
    pub display_name: String,
    /// Where users without `usageLocation` are licensed (`organization.defaultUsageLocation`).
    #[serde(default = "default_location")]
    pub default_usage_location: String,
    /// The subscribed SKUs.
    pub subscribed_skus: Vec<SkuFile>,
    /// Pairs of service plans that cannot both be enabled for one user.
    #[serde(default)]
    pub conflicting_service_plans: Vec<[String; 2]>,
    /// Users.
    #[serde(default)]
    pub users: Vec<UserFile>,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<GroupFile>,
    /// Applications (service principals) that may call the emulator.
    #[serde(default)]
    pub applications: Vec<ApplicationFile>,
}

fn default_location() -> String {
    "US".to_owned()
}

/// A subscribed SKU, as `GET /subscribedSkus` shows it, plus emulator-only rules.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuFile {
    /// The SKU GUID.
    pub sku_id: String,
    /// Its part number, e.g. `SPE_E5`.
    pub sku_part_number: String,
    /// `User` or `Company`.
    #[serde(default = "user")]
    pub applies_to: String,
    /// `Enabled`, `Warning`, `Suspended`, `Deleted` or `LockedOut`.
    #[serde(default = "enabled")]
    pub capability_status: String,
    /// Seats.
    pub prepaid_units: Units,
    /// The SKU's service plans.
    pub service_plans: Vec<ServicePlan>,
    /// Usage locations (ISO 3166 alpha-2) where the SKU cannot be used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prohibited_usage_locations: Vec<String>,
    /// An add-on: a user needs one of these plans enabled (from any source).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_any_service_plan: Vec<String>,
}

fn user() -> String {
    "User".to_owned()
}

fn enabled() -> String {
    "Enabled".to_owned()
}

/// `licenseUnitsDetail`.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Units {
    /// Seats of active subscriptions.
    pub enabled: u32,
    /// Cancelled but reactivatable.
    #[serde(default)]
    pub suspended: u32,
    /// Expired, in the grace period.
    #[serde(default)]
    pub warning: u32,
    /// Cancelled.
    #[serde(default)]
    pub locked_out: u32,
}

/// `servicePlanInfo`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlan {
    /// The plan GUID.
    pub service_plan_id: String,
    /// Its name, e.g. `EXCHANGE_S_ENTERPRISE`.
    pub service_plan_name: String,
    /// `User` or `Company`.
    #[serde(default = "user")]
    pub applies_to: String,
    /// `Success`, `Disabled`, …
    #[serde(default = "success")]
    pub provisioning_status: String,
}

fn success() -> String {
    "Success".to_owned()
}

/// A user.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserFile {
    /// Object ID.
    pub id: String,
    /// Name.
    pub display_name: String,
    /// Sign-in name.
    pub user_principal_name: String,
    /// Mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// ISO 3166 alpha-2 country, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_location: Option<String>,
    /// Directly assigned licences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assigned_licenses: Vec<AssignedLicense>,
}

/// A group.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupFile {
    /// Object ID.
    pub id: String,
    /// Name.
    pub display_name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Security group (or security-enabled Microsoft 365 group).
    pub security_enabled: bool,
    /// Mail-enabled.
    #[serde(default)]
    pub mail_enabled: bool,
    /// `["Unified"]` for Microsoft 365 groups.
    #[serde(default)]
    pub group_types: Vec<String>,
    /// Mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// Direct members (user IDs).
    #[serde(default)]
    pub members: Vec<String>,
    /// Licences assigned to the group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assigned_licenses: Vec<AssignedLicense>,
}

/// `assignedLicense`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedLicense {
    /// Disabled service plan GUIDs.
    #[serde(default)]
    pub disabled_plans: Vec<String>,
    /// The SKU GUID.
    pub sku_id: String,
}

/// An application that can get tokens.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationFile {
    /// Client ID.
    pub app_id: String,
    /// Name.
    #[serde(default)]
    pub display_name: String,
    /// Client secret values.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// PEM certificates whose keys may sign client assertions.
    #[serde(default)]
    pub certificates: Vec<String>,
    /// Trusted external token issuers (workload identity federation).
    #[serde(default)]
    pub federated_credentials: Vec<FederatedCredential>,
    /// Granted application permissions, e.g. `LicenseAssignment.ReadWrite.All`.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A federated identity credential. Real Entra fetches the issuer's signing keys; the
/// emulator cannot, so the issuer's HS256 key (base64) is part of the fixture.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedCredential {
    /// Expected `iss`.
    pub issuer: String,
    /// Expected `sub`.
    pub subject: String,
    /// Accepted `aud` values.
    pub audiences: Vec<String>,
    /// The issuer's HMAC-SHA256 key, base64.
    pub hs256_key: String,
}

impl TenantFile {
    /// Reads and checks a tenant file.
    pub fn load(path: &str) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read tenant file {path}: {e}"))?;
        let tenant: TenantFile = serde_json::from_slice(&bytes).map_err(|e| format!("tenant file {path}: {e}"))?;
        tenant.check().map_err(|e| format!("tenant file {path}: {e}"))?;
        Ok(tenant)
    }

    /// The shipped `fixtures/contoso.json`.
    pub fn contoso() -> Self {
        serde_json::from_str(include_str!("../fixtures/contoso.json")).expect("the shipped fixture parses")
    }

    /// Consistency checks: references resolve, IDs are unique.
    pub fn check(&self) -> Result<(), String> {
        let users: std::collections::HashSet<&str> = self.users.iter().map(|u| u.id.as_str()).collect();
        if users.len() != self.users.len() {
            return Err("duplicate user id".into());
        }
        let skus: std::collections::HashSet<&str> = self.subscribed_skus.iter().map(|s| s.sku_id.as_str()).collect();
        for group in &self.groups {
            if let Some(member) = group.members.iter().find(|m| !users.contains(m.as_str())) {
                return Err(format!("group {} has unknown member {member}", group.id));
            }
            if let Some(l) = group
                .assigned_licenses
                .iter()
                .find(|l| !skus.contains(l.sku_id.as_str()))
            {
                return Err(format!("group {} has unknown SKU {}", group.id, l.sku_id));
            }
        }
        Ok(())
    }
}

/// A large tenant for benchmarks: the Contoso SKUs (with seats for everyone), `users`
/// users and `groups` security groups of about `users / groups * 3` members each, with
/// deterministic IDs (`…-4000-8000-<n>`).
pub fn generate_tenant(groups: usize, users: usize) -> TenantFile {
    let mut tenant = TenantFile::contoso();
    let seats = u32::try_from(users).unwrap_or(u32::MAX).saturating_add(10);
    for sku in &mut tenant.subscribed_skus {
        if sku.capability_status == "Enabled" && sku.applies_to == "User" {
            sku.prepaid_units.enabled = seats;
        }
    }
    tenant.users = (0..users)
        .map(|n| UserFile {
            id: format!("00000000-0000-4000-8000-{n:012x}"),
            display_name: format!("User {n}"),
            user_principal_name: format!("user{n}@bench.example"),
            mail: None,
            usage_location: (n % 10 != 0).then(|| "US".to_owned()),
            assigned_licenses: Vec::new(),
        })
        .collect();
    let per_group = (users * 3).checked_div(groups).map_or(0, |n| n.max(1));
    tenant.groups = (0..groups)
        .map(|g| GroupFile {
            id: format!("10000000-0000-4000-8000-{g:012x}"),
            display_name: format!("Bench Group {g}"),
            description: None,
            security_enabled: true,
            mail_enabled: false,
            group_types: Vec::new(),
            mail: None,
            members: (0..per_group)
                .map(|i| {
                    format!(
                        "00000000-0000-4000-8000-{:012x}",
                        (g * per_group / 3 + i) % users.max(1)
                    )
                })
                .collect(),
            assigned_licenses: Vec::new(),
        })
        .collect();
    tenant
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_fixture_is_consistent_and_covers_the_scenarios() {
        let tenant = TenantFile::contoso();
        tenant.check().unwrap();
        let parts: Vec<&str> = tenant
            .subscribed_skus
            .iter()
            .map(|s| s.sku_part_number.as_str())
            .collect();
        for needed in [
            "ENTERPRISEPACK",
            "ENTERPRISEPREMIUM",
            "SPE_E3",
            "SPE_E5",
            "EMS",
            "EMSPREMIUM",
            "AAD_PREMIUM",
            "AAD_PREMIUM_P2",
        ] {
            assert!(parts.contains(&needed), "{needed}");
        }
        assert!(tenant.subscribed_skus.iter().any(|s| s.applies_to == "Company"));
        assert!(
            tenant
                .subscribed_skus
                .iter()
                .any(|s| s.capability_status == "Suspended")
        );
        assert!(
            tenant
                .subscribed_skus
                .iter()
                .any(|s| !s.requires_any_service_plan.is_empty())
        );
        assert!(!tenant.conflicting_service_plans.is_empty());
        assert!(tenant.users.iter().any(|u| u.usage_location.is_none()));
        assert!(tenant.groups.iter().any(|g| !g.security_enabled));
        assert!(
            tenant
                .groups
                .iter()
                .any(|g| g.group_types.contains(&"Unified".to_owned()) && g.security_enabled)
        );
        assert!(tenant.applications.iter().any(|a| !a.certificates.is_empty()));
    }

    #[test]
    fn generated_tenants_have_the_requested_size() {
        let tenant = generate_tenant(10, 100);
        tenant.check().unwrap();
        assert_eq!((tenant.groups.len(), tenant.users.len()), (10, 100));
        assert_eq!(tenant.groups[0].members.len(), 30);
    }
}

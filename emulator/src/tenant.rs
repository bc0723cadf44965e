//! The tenant file: the JSON an emulator starts from (see `emulator/README.md`).
//!
//! Field names follow Graph's own (`skuId`, `servicePlans`, `prepaidUnits`…), so fixtures
//! read like real Graph output. A few fields model behaviour Graph does not expose and
//! are the emulator's own: `prohibitedUsageLocations`, `requiresAnyServicePlan`,
//! `extraDisabledPlans`, `conflictingServicePlans`, and the applications' credentials and
//! granted roles. A group's members are split into `members` (users) and `groupMembers`
//! (nested groups) so that a fixture says plainly which members group-based licensing
//! reaches: only the users.

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
    /// Plans Graph adds to `disabledPlans` on its own whenever this SKU is assigned (trial
    /// and self-service "viral" SKUs): what Graph stores is more than what was posted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_disabled_plans: Vec<String>,
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
    /// Direct members that are users (user IDs).
    #[serde(default)]
    pub members: Vec<String>,
    /// Direct members that are groups (group IDs): nested groups, whose own members
    /// group-based licensing never reaches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_members: Vec<String>,
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

    /// Consistency checks: references resolve, IDs are unique, nested groups form no
    /// cycle, extra disabled plans belong to their SKU.
    pub fn check(&self) -> Result<(), String> {
        let users: std::collections::HashSet<&str> = self.users.iter().map(|u| u.id.as_str()).collect();
        if users.len() != self.users.len() {
            return Err("duplicate user id".into());
        }
        let groups: std::collections::HashMap<&str, &GroupFile> =
            self.groups.iter().map(|g| (g.id.as_str(), g)).collect();
        if groups.len() != self.groups.len() {
            return Err("duplicate group id".into());
        }
        let skus: std::collections::HashSet<&str> = self.subscribed_skus.iter().map(|s| s.sku_id.as_str()).collect();
        for sku in &self.subscribed_skus {
            if let Some(plan) = sku
                .extra_disabled_plans
                .iter()
                .find(|p| !sku.service_plans.iter().any(|s| s.service_plan_id == **p))
            {
                return Err(format!(
                    "SKU {} has extra disabled plan {plan} that is not one of its plans",
                    sku.sku_id
                ));
            }
        }
        for group in &self.groups {
            if let Some(member) = group.members.iter().find(|m| !users.contains(m.as_str())) {
                return Err(format!("group {} has unknown member {member}", group.id));
            }
            if let Some(member) = group.group_members.iter().find(|m| !groups.contains_key(m.as_str())) {
                return Err(format!("group {} has unknown group member {member}", group.id));
            }
            // Graph lists a member once; counts and pages rely on it.
            let mut seen = std::collections::HashSet::new();
            if let Some(member) = group
                .members
                .iter()
                .chain(&group.group_members)
                .find(|m| !seen.insert(m.to_ascii_lowercase()))
            {
                return Err(format!("group {} lists member {member} twice", group.id));
            }
            if nests(&groups, &group.id, &group.id) {
                return Err(format!("group {} contains itself through nested groups", group.id));
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

/// Whether `target` is reachable from `group` through nested group members.
fn nests(groups: &std::collections::HashMap<&str, &GroupFile>, group: &str, target: &str) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut next: Vec<&str> = vec![group];
    while let Some(id) = next.pop() {
        for member in groups.get(id).map(|g| g.group_members.as_slice()).unwrap_or_default() {
            if member == target {
                return true;
            }
            if seen.insert(member.as_str()) {
                next.push(member);
            }
        }
    }
    false
}

/// What `generate` builds (the `generate` command's flags, or JSON with these names).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Generate {
    /// Security groups (at least as many as `group_sizes` lists).
    pub groups: usize,
    /// Users.
    pub users: usize,
    /// Exact member counts of the first groups, e.g. `[100000, 1000, 10]`: one group of
    /// 100,000 members, one of 1,000, one of 10; the other groups get the default size.
    /// None may exceed `users`: a group never lists a member twice.
    pub group_sizes: Vec<usize>,
}

/// A large tenant for benchmarks: the Contoso SKUs (with seats for everyone), `users`
/// users and `groups` security groups of about `users / groups * 3` members each (never
/// more than `users`), with deterministic IDs (`…-4000-8000-<n>`).
pub fn generate_tenant(groups: usize, users: usize) -> TenantFile {
    generate(&Generate {
        groups,
        users,
        group_sizes: Vec::new(),
    })
    .expect("default group sizes never exceed the users")
}

/// A large tenant as `spec` says (see `Generate`): the Contoso SKUs with seats for every
/// user, users `00000000-0000-4000-8000-<n>` (one in ten without a usage location), groups
/// `10000000-0000-4000-8000-<n>` named `Bench Group <n>`. A group of `k` members holds `k`
/// consecutive users (wrapping around), so no member is listed twice. Refused: a group
/// larger than the tenant's users.
pub fn generate(spec: &Generate) -> Result<TenantFile, String> {
    let users = spec.users;
    let groups = spec.groups.max(spec.group_sizes.len());
    if let Some(size) = spec.group_sizes.iter().find(|s| **s > users) {
        return Err(format!(
            "a group of {size} members needs at least {size} users (there are {users}): a group never lists a member twice"
        ));
    }
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
    let per_group = (users * 3).checked_div(groups).map_or(0, |n| n.max(1).min(users));
    tenant.groups = (0..groups)
        .map(|g| {
            let size = spec.group_sizes.get(g).copied().unwrap_or(per_group);
            let start = g * per_group / 3;
            GroupFile {
                id: format!("10000000-0000-4000-8000-{g:012x}"),
                display_name: format!("Bench Group {g}"),
                description: None,
                security_enabled: true,
                mail_enabled: false,
                group_types: Vec::new(),
                mail: None,
                members: (0..size)
                    .map(|i| format!("00000000-0000-4000-8000-{:012x}", (start + i) % users))
                    .collect(),
                group_members: Vec::new(),
                assigned_licenses: Vec::new(),
            }
        })
        .collect();
    Ok(tenant)
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
        assert!(
            tenant.groups.iter().any(|g| !g.group_members.is_empty()),
            "a nested group"
        );
        assert!(
            tenant
                .subscribed_skus
                .iter()
                .any(|s| !s.extra_disabled_plans.is_empty()),
            "a SKU Graph extends"
        );
    }

    #[test]
    fn checks_refuse_nesting_cycles_and_foreign_extra_plans() {
        let mut tenant = TenantFile::contoso();
        let (first, second) = (tenant.groups[0].id.clone(), tenant.groups[1].id.clone());
        tenant.groups[0].group_members.push(second);
        tenant.check().unwrap();
        tenant.groups[1].group_members.push(first);
        assert!(tenant.check().unwrap_err().contains("contains itself"));
        tenant.groups[1].group_members.clear();
        tenant.groups[1].group_members.push("nope".into());
        assert!(tenant.check().unwrap_err().contains("unknown group member"));
        tenant.groups[1].group_members.clear();
        let member = tenant.groups[1].members[0].clone();
        tenant.groups[1].members.push(member);
        assert!(tenant.check().unwrap_err().contains("twice"));
        tenant.groups[1].members.pop();
        tenant.subscribed_skus[0]
            .extra_disabled_plans
            .push("eec0eb4f-6444-4f95-aba0-50c24d67f998".into());
        assert!(tenant.check().unwrap_err().contains("not one of its plans"));
    }

    #[test]
    fn generated_tenants_have_the_requested_size() {
        let tenant = generate_tenant(10, 100);
        tenant.check().unwrap();
        assert_eq!((tenant.groups.len(), tenant.users.len()), (10, 100));
        assert_eq!(tenant.groups[0].members.len(), 30);
    }

    fn unique(members: &[String]) -> bool {
        members.iter().collect::<std::collections::HashSet<_>>().len() == members.len()
    }

    #[test]
    fn a_group_never_lists_a_member_twice() {
        // Three memberships per user spread over one group used to exceed the users.
        for (groups, users) in [(1, 10), (2, 10), (1, 1), (3, 2)] {
            let tenant = generate_tenant(groups, users);
            tenant.check().unwrap();
            for group in &tenant.groups {
                assert!(group.members.len() <= users, "{groups} groups, {users} users");
                assert!(unique(&group.members), "{groups} groups, {users} users");
            }
        }
        assert_eq!(generate_tenant(1, 10).groups[0].members.len(), 10);
        assert!(generate_tenant(3, 0).groups.iter().all(|g| g.members.is_empty()));
    }

    #[test]
    fn group_sizes_set_the_first_groups_exactly() {
        let spec = Generate {
            groups: 5,
            users: 1000,
            group_sizes: vec![1000, 100, 1],
        };
        let tenant = generate(&spec).unwrap();
        tenant.check().unwrap();
        let sizes: Vec<usize> = tenant.groups.iter().map(|g| g.members.len()).collect();
        assert_eq!(sizes, [1000, 100, 1, 600, 600]);
        assert!(tenant.groups.iter().all(|g| unique(&g.members)));
        let more_sizes_than_groups = Generate {
            groups: 1,
            ..spec.clone()
        };
        assert_eq!(generate(&more_sizes_than_groups).unwrap().groups.len(), 3);
        let too_big = Generate {
            group_sizes: vec![1001],
            ..spec
        };
        assert!(generate(&too_big).unwrap_err().contains("1001"));
        let from_json: Generate = serde_json::from_str(r#"{"users": 10, "groupSizes": [10, 3]}"#).unwrap();
        assert_eq!(generate(&from_json).unwrap().groups.len(), 2);
    }
}

//! The emulated directory: SKUs, users, groups, applications, and the licensing rules.
//!
//! Rules modelled (from Microsoft's documentation, `../shared/reference/graph-licensing.md`):
//! - a group's `assignedLicenses` changes at once; its members are processed afterwards
//!   (`licenseProcessingState`: QueuedForProcessing → ProcessingInProgress →
//!   ProcessingComplete);
//! - per member, all the SKUs of one group are applied or none ("all or nothing"), with the
//!   error recorded in `licenseAssignmentStates` (CountViolation, MutuallyExclusiveViolation,
//!   DependencyViolation, ProhibitedInUsageLocationViolation);
//! - a user consumes one seat per SKU whatever the number of sources; enabled plans are the
//!   union across sources;
//! - users without `usageLocation` are licensed in the tenant's default location; a direct
//!   assignment needs a usage location, and one where the SKU is prohibited is refused at
//!   once (a group's is a ProhibitedInUsageLocationViolation of the member);
//! - errors stay until the user is processed again (a group change or a reprocess);
//! - groups can contain groups, but group-based licensing reaches only a group's direct
//!   user members: a nested group's members never get the outer group's licences
//!   (<https://learn.microsoft.com/entra/identity/users/licensing-group-advanced>);
//! - a SKU with `extraDisabledPlans` stores those plans as disabled on top of what was
//!   posted, as Graph does for some trial and self-service SKUs.
//!
//! Every evaluation that takes an enabled plan away from a user is written to the
//! continuity log (`continuity`), with the request that caused it, so that tests can
//! prove a change left no gap in service.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::{Value as Json, json};

use crate::continuity::{Cause, ContinuityLog, PlanLoss, lost_plans};
use crate::tenant::{AssignedLicense, GroupFile, SkuFile, TenantFile, UserFile};

/// Licence processing states of a group.
pub const QUEUED: &str = "QueuedForProcessing";
/// Processing has started.
pub const IN_PROGRESS: &str = "ProcessingInProgress";
/// Every member has been processed.
pub const COMPLETE: &str = "ProcessingComplete";

/// One licence of a user from one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseState {
    /// The SKU.
    pub sku_id: String,
    /// The group it comes from; `None` when assigned directly.
    pub assigned_by_group: Option<String>,
    /// Disabled plans from that source.
    pub disabled_plans: Vec<String>,
    /// `Active` or `Error`.
    pub state: &'static str,
    /// The error, if any.
    pub error: Option<&'static str>,
    /// When it was evaluated (RFC 3339).
    pub last_updated: String,
}

/// A user.
#[derive(Clone, Debug)]
pub struct User {
    /// The file's view of the user.
    pub file: crate::tenant::UserFile,
    /// Licences assigned directly.
    pub direct: Vec<AssignedLicense>,
    /// Effective licences: SKU → disabled plans (the intersection across sources).
    pub effective: BTreeMap<String, Vec<String>>,
    /// Per-source states.
    pub states: Vec<LicenseState>,
}

impl User {
    /// Whether licences this user gets from `group_id` are in error.
    pub fn in_error_from(&self, group_id: &str) -> bool {
        self.states
            .iter()
            .any(|s| s.state == "Error" && s.assigned_by_group.as_deref() == Some(group_id))
    }
}

/// A group.
#[derive(Clone, Debug)]
pub struct Group {
    /// The file's view of the group (members and licences kept current here).
    pub file: crate::tenant::GroupFile,
    /// `licenseProcessingState.state`.
    pub processing_state: &'static str,
    /// Bumped on every licence change, so that an older processing run does not finish a newer one.
    pub generation: u64,
    /// Read-after-write delay: until this time, reads still see these licences.
    pub stale_view: Option<(std::time::Instant, Vec<AssignedLicense>)>,
    /// Creation order, which is also the order groups are evaluated in for a user.
    pub order: usize,
}

/// The whole directory.
#[derive(Debug)]
pub struct Directory {
    /// Tenant ID.
    pub tenant_id: String,
    /// Tenant name.
    pub display_name: String,
    /// Default usage location.
    pub default_usage_location: String,
    /// SKUs by `skuId`, in file order.
    pub skus: Vec<SkuFile>,
    /// Conflicting plan pairs.
    pub conflicts: Vec<[String; 2]>,
    /// Users by ID.
    pub users: BTreeMap<String, User>,
    /// Groups by ID.
    pub groups: BTreeMap<String, Group>,
    /// Group IDs in creation order; `memberships` refers to groups by this position.
    pub group_order: Vec<String>,
    /// User ID → positions (in `group_order`) of the groups they are a direct member of.
    /// Positions, not IDs: a large tenant has hundreds of thousands of memberships.
    pub memberships: HashMap<String, Vec<usize>>,
    /// Per SKU ID: the users holding it from any source, each consuming one seat. Kept as
    /// the users, not only their number, so that `assignedLicenses/any(…)` over a group of
    /// 100,000 members need not read 100,000 users (Graph answers it from an index too).
    pub holders: HashMap<String, HashSet<String>>,
    /// Applications by client ID.
    pub applications: HashMap<String, crate::tenant::ApplicationFile>,
    /// Every enabled plan a user lost, with its cause.
    pub continuity: ContinuityLog,
}

/// A synchronous rejection, before anything changed.
#[derive(Debug, PartialEq, Eq)]
pub struct Rejection {
    /// HTTP status.
    pub status: u16,
    /// Graph error code.
    pub code: &'static str,
    /// Message.
    pub message: String,
}

fn bad_request(message: impl Into<String>) -> Rejection {
    Rejection {
        status: 400,
        code: "Request_BadRequest",
        message: message.into(),
    }
}

/// An object that already exists (the admin API's 409).
fn conflict(message: impl Into<String>) -> Rejection {
    Rejection {
        status: 409,
        code: "Request_ObjectConflict",
        message: message.into(),
    }
}

/// The documented text of a 404 for a directory object.
pub fn not_found(id: &str) -> Rejection {
    Rejection {
        status: 404,
        code: "Request_ResourceNotFound",
        message: format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    }
}

/// RFC 3339 UTC time, second precision, for `lastUpdatedDateTime` and friends.
pub fn now_rfc3339() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let days = (seconds / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let s = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

impl Directory {
    /// Builds the directory from a tenant file (moved in, so that a large tenant is never
    /// held twice) and processes every member once.
    pub fn new(file: TenantFile) -> Self {
        let mut directory = Directory {
            tenant_id: file.tenant_id,
            display_name: file.display_name,
            default_usage_location: file.default_usage_location,
            skus: file.subscribed_skus,
            conflicts: file.conflicting_service_plans,
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
            group_order: file.groups.iter().map(|g| g.id.clone()).collect(),
            memberships: HashMap::new(),
            holders: HashMap::new(),
            applications: file.applications.into_iter().map(|a| (a.app_id.clone(), a)).collect(),
            continuity: ContinuityLog::default(),
        };
        for mut user in file.users {
            let direct = std::mem::take(&mut user.assigned_licenses);
            let user = User {
                file: user,
                direct,
                effective: BTreeMap::new(),
                states: Vec::new(),
            };
            directory.users.insert(user.file.id.clone(), user);
        }
        for (order, group) in file.groups.into_iter().enumerate() {
            for member in &group.members {
                directory.memberships.entry(member.clone()).or_default().push(order);
            }
            let group = Group {
                file: group,
                processing_state: COMPLETE,
                generation: 0,
                stale_view: None,
                order,
            };
            directory.groups.insert(group.file.id.clone(), group);
        }
        let ids: Vec<String> = directory.users.keys().cloned().collect();
        let seed = Cause::other("seed");
        for id in ids {
            directory.evaluate_user(&id, &seed);
        }
        directory
    }

    /// The SKU with this GUID (case-insensitive).
    pub fn sku(&self, sku_id: &str) -> Option<&SkuFile> {
        self.skus.iter().find(|s| s.sku_id.eq_ignore_ascii_case(sku_id))
    }

    /// A user by ID or user principal name. Lookups by name scan the users: they are rare,
    /// and an index would cost more memory than a large tenant's users themselves.
    pub fn user_id(&self, id_or_upn: &str) -> Option<String> {
        if self.users.contains_key(id_or_upn) {
            return Some(id_or_upn.to_owned());
        }
        self.users
            .values()
            .find(|u| {
                u.file.id.eq_ignore_ascii_case(id_or_upn) || u.file.user_principal_name.eq_ignore_ascii_case(id_or_upn)
            })
            .map(|u| u.file.id.clone())
    }

    /// A group by ID (case-insensitive GUID).
    pub fn group_id(&self, id: &str) -> Option<String> {
        if self.groups.contains_key(id) {
            return Some(id.to_owned());
        }
        self.groups.keys().find(|k| k.eq_ignore_ascii_case(id)).cloned()
    }

    fn all_plans(&self, sku_id: &str) -> BTreeSet<String> {
        self.sku(sku_id)
            .map(|s| s.service_plans.iter().map(|p| p.service_plan_id.clone()).collect())
            .unwrap_or_default()
    }

    fn enabled_plans(&self, license: &AssignedLicense) -> BTreeSet<String> {
        let disabled: BTreeSet<&str> = license.disabled_plans.iter().map(String::as_str).collect();
        self.all_plans(&license.sku_id)
            .into_iter()
            .filter(|p| !disabled.contains(p.as_str()))
            .collect()
    }

    /// SKU → enabled plans, from SKU → disabled plans.
    fn enabled_by_sku(&self, effective: &BTreeMap<String, Vec<String>>) -> BTreeMap<String, BTreeSet<String>> {
        effective
            .iter()
            .map(|(sku_id, disabled)| {
                let license = AssignedLicense {
                    sku_id: sku_id.clone(),
                    disabled_plans: disabled.clone(),
                };
                (sku_id.clone(), self.enabled_plans(&license))
            })
            .collect()
    }

    /// Re-evaluates every licence source of one user, as Entra does when it processes the
    /// user (after a group change, a direct assignment or a reprocess). Enabled plans the
    /// user loses are logged against `cause`.
    pub fn evaluate_user(&mut self, user_id: &str, cause: &Cause) {
        let Some(user) = self.users.get(user_id) else { return };
        // A user with no licence from any source, before and after, has nothing to evaluate:
        // most users of a large generated tenant, whose seeding this keeps fast.
        let licensed_group = || {
            self.memberships.get(user_id).is_some_and(|positions| {
                positions.iter().any(|p| {
                    self.groups
                        .get(&self.group_order[*p])
                        .is_some_and(|g| !g.file.assigned_licenses.is_empty())
                })
            })
        };
        if user.direct.is_empty() && user.effective.is_empty() && user.states.is_empty() && !licensed_group() {
            return;
        }
        let location = user
            .file
            .usage_location
            .clone()
            .unwrap_or_else(|| self.default_usage_location.clone());
        let previously: BTreeSet<String> = user.effective.keys().cloned().collect();
        let now = now_rfc3339();
        let mut enabled: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut states = Vec::new();

        for license in &user.direct {
            // Keyed by the tenant's spelling of the SKU ID, whatever case the client sent:
            // seats and licence filters look it up that way.
            let sku_id = self
                .sku(&license.sku_id)
                .map_or_else(|| license.sku_id.clone(), |sku| sku.sku_id.clone());
            enabled.entry(sku_id).or_default().extend(self.enabled_plans(license));
            states.push(LicenseState {
                sku_id: license.sku_id.clone(),
                assigned_by_group: None,
                disabled_plans: license.disabled_plans.clone(),
                state: "Active",
                error: None,
                last_updated: now.clone(),
            });
        }

        let mut groups: Vec<&Group> = self
            .memberships
            .get(user_id)
            .map(|positions| {
                positions
                    .iter()
                    .filter_map(|p| self.groups.get(&self.group_order[*p]))
                    .collect()
            })
            .unwrap_or_default();
        groups.sort_by_key(|g| g.order);
        for group in groups {
            let licenses = &group.file.assigned_licenses;
            if licenses.is_empty() {
                continue;
            }
            let mut tentative = enabled.clone();
            let mut error = None;
            for license in licenses {
                let Some(sku) = self.sku(&license.sku_id) else { continue };
                // A seat is needed only by a user who holds none of this SKU yet: a user
                // keeps the seat it consumes while any source remains, even when the
                // tenant is over-consumed (seats reduced below use).
                if !tentative.contains_key(&sku.sku_id)
                    && !previously.contains(&sku.sku_id)
                    && self.consumed(&sku.sku_id) >= sku.prepaid_units.enabled
                {
                    error = error.or(Some("CountViolation"));
                }
                if sku
                    .prohibited_usage_locations
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(&location))
                {
                    error = error.or(Some("ProhibitedInUsageLocationViolation"));
                }
                tentative
                    .entry(sku.sku_id.clone())
                    .or_default()
                    .extend(self.enabled_plans(license));
            }
            let has_plan =
                |plan: &str, set: &BTreeMap<String, BTreeSet<String>>| set.values().any(|p| p.contains(plan));
            for license in licenses {
                let Some(sku) = self.sku(&license.sku_id) else { continue };
                if !sku.requires_any_service_plan.is_empty()
                    && !sku.requires_any_service_plan.iter().any(|p| has_plan(p, &tentative))
                {
                    error = error.or(Some("DependencyViolation"));
                }
            }
            for [a, b] in &self.conflicts {
                if has_plan(a, &tentative) && has_plan(b, &tentative) {
                    error = error.or(Some("MutuallyExclusiveViolation"));
                }
            }
            for license in licenses {
                states.push(LicenseState {
                    sku_id: license.sku_id.clone(),
                    assigned_by_group: Some(group.file.id.clone()),
                    disabled_plans: license.disabled_plans.clone(),
                    state: if error.is_some() { "Error" } else { "Active" },
                    error,
                    last_updated: now.clone(),
                });
            }
            if error.is_none() {
                enabled = tentative;
            }
        }

        let effective: BTreeMap<String, Vec<String>> = enabled
            .iter()
            .map(|(sku_id, plans)| {
                let disabled = self
                    .all_plans(sku_id)
                    .into_iter()
                    .filter(|p| !plans.contains(p))
                    .collect();
                (sku_id.clone(), disabled)
            })
            .collect();
        if effective != user.effective {
            let before = self.enabled_by_sku(&user.effective);
            let losses: Vec<PlanLoss> = lost_plans(&before, &enabled)
                .into_iter()
                .map(|(plan, sku_id)| {
                    let sku = self.sku(sku_id);
                    PlanLoss {
                        user_id: user.file.id.clone(),
                        user_principal_name: user.file.user_principal_name.clone(),
                        service_plan_id: plan.to_owned(),
                        service_plan_name: sku
                            .and_then(|s| s.service_plans.iter().find(|p| p.service_plan_id == plan))
                            .map(|p| p.service_plan_name.clone())
                            .unwrap_or_default(),
                        sku_id: sku_id.to_owned(),
                        sku_part_number: sku.map(|s| s.sku_part_number.clone()).unwrap_or_default(),
                        at: now.clone(),
                        request_id: cause.request_id.clone(),
                        request: cause.request.clone(),
                    }
                })
                .collect();
            for loss in losses {
                self.continuity.push(loss);
            }
        }
        for gone in previously.iter().filter(|s| !effective.contains_key(*s)) {
            if let Some(holders) = self.holders.get_mut(gone) {
                holders.remove(user_id);
            }
        }
        for added in effective.keys().filter(|s| !previously.contains(*s)) {
            self.holders
                .entry(added.clone())
                .or_default()
                .insert(user_id.to_owned());
        }
        let user = self.users.get_mut(user_id).expect("checked above");
        user.effective = effective;
        user.states = states;
    }

    /// Processes every direct user member of a group (nested groups' members are not
    /// reached by group-based licensing).
    pub fn process_group(&mut self, group_id: &str, cause: &Cause) {
        // The member list is moved out while its users are evaluated (an evaluation reads
        // memberships and group licences, never member lists), not copied: a group can have
        // 100,000 members.
        let Some(members) = self
            .groups
            .get_mut(group_id)
            .map(|g| std::mem::take(&mut g.file.members))
        else {
            return;
        };
        for member in &members {
            self.evaluate_user(member, cause);
        }
        if let Some(group) = self.groups.get_mut(group_id) {
            group.file.members = members;
            group.processing_state = COMPLETE;
        }
    }

    /// Checks a licence change for a group and applies it to the group's licences (not
    /// yet to its members). Returns the new generation.
    pub fn change_group_licenses(
        &mut self,
        group_id: &str,
        change: &LicenseChange,
        read_after_write: std::time::Duration,
    ) -> Result<u64, Rejection> {
        let group = self.groups.get(group_id).ok_or_else(|| not_found(group_id))?;
        let licenses = self.group_licenses_after(&group.file, change)?;
        let group = self.groups.get_mut(group_id).expect("checked");
        if !read_after_write.is_zero() {
            let previous = group.file.assigned_licenses.clone();
            group.stale_view = Some((std::time::Instant::now() + read_after_write, previous));
        }
        group.file.assigned_licenses = licenses;
        group.processing_state = QUEUED;
        group.generation += 1;
        Ok(group.generation)
    }

    /// The licences `group` holds after `change`, if Graph accepts the change: only
    /// security-enabled groups hold licences, the checks shared with user assignLicense,
    /// and an add-on needs its prerequisite plan in the same group.
    fn group_licenses_after(
        &self,
        group: &GroupFile,
        change: &LicenseChange,
    ) -> Result<Vec<AssignedLicense>, Rejection> {
        if !group.security_enabled {
            return Err(bad_request(
                "Licenses can only be assigned to security groups and to Microsoft 365 groups that are security-enabled (securityEnabled=true).",
            ));
        }
        self.check_change(change, "group")?;
        let mut licenses = group.assigned_licenses.clone();
        self.apply_change(&mut licenses, change);
        for license in &licenses {
            let sku = self.sku(&license.sku_id).expect("checked");
            if sku.requires_any_service_plan.is_empty() {
                continue;
            }
            let group_plans: BTreeSet<String> = licenses.iter().flat_map(|l| self.enabled_plans(l)).collect();
            if !sku.requires_any_service_plan.iter().any(|p| group_plans.contains(p)) {
                return Err(bad_request(format!(
                    "License operation failed. Make sure that the group has necessary services before adding or removing a dependent service. The service {} requires one of these service plans to be enabled as well: {}.",
                    sku.sku_part_number,
                    sku.requires_any_service_plan.join(", ")
                )));
            }
        }
        Ok(licenses)
    }

    /// Checks and applies a direct licence change for a user, then evaluates the user.
    pub fn change_user_licenses(
        &mut self,
        user_id: &str,
        change: &LicenseChange,
        cause: &Cause,
    ) -> Result<(), Rejection> {
        self.change_direct_licenses(user_id, change, cause, Seats::Checked)
    }

    /// A direct licence change with every check of user assignLicense; `seats` says whether
    /// an added SKU needs a free seat.
    fn change_direct_licenses(
        &mut self,
        user_id: &str,
        change: &LicenseChange,
        cause: &Cause,
        seats: Seats,
    ) -> Result<(), Rejection> {
        let user = self.users.get(user_id).ok_or_else(|| not_found(user_id))?;
        self.check_change(change, "user")?;
        if !change.add.is_empty() && user.file.usage_location.is_none() {
            return Err(bad_request(
                "License assignment cannot be done for user with invalid usage location.",
            ));
        }
        if let Some(location) = &user.file.usage_location {
            for license in &change.add {
                let sku = self.sku(&license.sku_id).expect("checked");
                if sku
                    .prohibited_usage_locations
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(location))
                {
                    return Err(bad_request(format!(
                        "License {} ({}) cannot be assigned to a user whose usage location is {location}: its services are not available in that location.",
                        sku.sku_part_number, sku.sku_id
                    )));
                }
            }
        }
        for sku_id in &change.remove {
            if !user.direct.iter().any(|l| l.sku_id.eq_ignore_ascii_case(sku_id)) {
                let inherited = user
                    .states
                    .iter()
                    .any(|s| s.sku_id.eq_ignore_ascii_case(sku_id) && s.assigned_by_group.is_some());
                return Err(bad_request(if inherited {
                    "User license is inherited from a group membership and it cannot be removed directly from the user."
                } else {
                    "User does not have a corresponding license."
                }));
            }
        }
        for license in &change.add {
            let sku = self.sku(&license.sku_id).expect("checked");
            let holds = user.effective.contains_key(&sku.sku_id);
            if seats == Seats::Checked && !holds && self.consumed(&sku.sku_id) >= sku.prepaid_units.enabled {
                return Err(bad_request(format!(
                    "Subscription with SKU {} does not have any available licenses.",
                    sku.sku_id
                )));
            }
        }
        let mut direct = user.direct.clone();
        self.apply_change(&mut direct, change);
        let mut plans: BTreeSet<String> = direct.iter().flat_map(|l| self.enabled_plans(l)).collect();
        for license in user
            .states
            .iter()
            .filter(|s| s.assigned_by_group.is_some() && s.state == "Active")
        {
            plans.extend(self.enabled_plans(&AssignedLicense {
                sku_id: license.sku_id.clone(),
                disabled_plans: license.disabled_plans.clone(),
            }));
        }
        for [a, b] in &self.conflicts {
            if plans.contains(a) && plans.contains(b) {
                let name = |id: &str| {
                    self.skus
                        .iter()
                        .flat_map(|s| &s.service_plans)
                        .find(|p| p.service_plan_id == id)
                        .map_or(id.to_owned(), |p| p.service_plan_name.clone())
                };
                return Err(bad_request(format!(
                    "Unable to update license for this user. The set of licenses includes two or more service plans which cannot be assigned at the same time. Conflicting Service Plans: {}, {}.",
                    name(a),
                    name(b)
                )));
            }
        }
        self.users.get_mut(user_id).expect("checked").direct = direct;
        self.evaluate_user(user_id, cause);
        Ok(())
    }

    /// Adds a user, as an administrator created them long ago (the admin API builds test
    /// tenants with it). `file.assigned_licenses` are direct licences held since then: they
    /// pass every check of a direct assignment (usage location, SKUs and plans, conflicts)
    /// but the seat count, which a tenant can exceed after seats are cancelled. Refused: an
    /// ID or sign-in name already taken (409).
    pub fn create_user(&mut self, mut file: UserFile, cause: &Cause) -> Result<String, Rejection> {
        if self.object_exists(&file.id) {
            return Err(conflict(format!("An object with ID {} already exists.", file.id)));
        }
        if self.users.values().any(|u| {
            u.file
                .user_principal_name
                .eq_ignore_ascii_case(&file.user_principal_name)
        }) {
            return Err(conflict(format!(
                "A user with userPrincipalName {} already exists.",
                file.user_principal_name
            )));
        }
        let licenses = std::mem::take(&mut file.assigned_licenses);
        let id = file.id.clone();
        let user = User {
            file,
            direct: Vec::new(),
            effective: BTreeMap::new(),
            states: Vec::new(),
        };
        self.users.insert(id.clone(), user);
        if !licenses.is_empty() {
            let change = LicenseChange {
                add: licenses,
                remove: Vec::new(),
            };
            if let Err(rejection) = self.change_direct_licenses(&id, &change, cause, Seats::Ignored) {
                self.users.remove(&id);
                return Err(rejection);
            }
        }
        Ok(id)
    }

    /// Adds a group with its members and licences, checked as group assignLicense checks
    /// them, then processes its user members as Entra would. Refused: an ID already taken
    /// (409), an unknown member or nested group (400).
    pub fn create_group(&mut self, mut file: GroupFile, cause: &Cause) -> Result<String, Rejection> {
        if self.object_exists(&file.id) {
            return Err(conflict(format!("An object with ID {} already exists.", file.id)));
        }
        let mut members: Vec<String> = Vec::new();
        for id in &file.members {
            let user = self
                .user_id(id)
                .filter(|u| u.eq_ignore_ascii_case(id))
                .ok_or_else(|| bad_request(format!("No user with ID {id}: members are user IDs.")))?;
            if !members.contains(&user) {
                members.push(user);
            }
        }
        let mut group_members: Vec<String> = Vec::new();
        for id in &file.group_members {
            let group = self
                .group_id(id)
                .ok_or_else(|| bad_request(format!("No group with ID {id}: groupMembers are group IDs.")))?;
            if !group_members.contains(&group) {
                group_members.push(group);
            }
        }
        let change = LicenseChange {
            add: std::mem::take(&mut file.assigned_licenses),
            remove: Vec::new(),
        };
        if !change.add.is_empty() {
            file.assigned_licenses = self.group_licenses_after(&file, &change)?;
        }
        file.members = members;
        file.group_members = group_members;
        let id = file.id.clone();
        let order = self.group_order.len();
        for member in &file.members {
            self.memberships.entry(member.clone()).or_default().push(order);
        }
        self.group_order.push(id.clone());
        let group = Group {
            file,
            processing_state: COMPLETE,
            generation: 0,
            stale_view: None,
            order,
        };
        self.groups.insert(id.clone(), group);
        self.process_group(&id, cause);
        Ok(id)
    }

    /// Sets or clears a user's usage location. Licences are not evaluated again: as with
    /// any change that can clear or cause a licence error, the new location counts the
    /// next time the user is processed (a group or membership change, or a reprocess).
    /// Returns the user's ID.
    pub fn set_usage_location(&mut self, user_id: &str, location: Option<String>) -> Result<String, Rejection> {
        let id = self.user_id(user_id).ok_or_else(|| not_found(user_id))?;
        self.users.get_mut(&id).expect("found").file.usage_location = location;
        Ok(id)
    }

    /// Whether a user or group has this ID (directory object IDs are unique across types).
    fn object_exists(&self, id: &str) -> bool {
        self.users
            .keys()
            .chain(self.groups.keys())
            .any(|existing| existing.eq_ignore_ascii_case(id))
    }

    /// Upserts `add` (a SKU already present gets the posted disabled plans, plus the SKU's
    /// `extraDisabledPlans`) and removes `remove`.
    fn apply_change(&self, licenses: &mut Vec<AssignedLicense>, change: &LicenseChange) {
        licenses.retain(|l| !change.remove.iter().any(|r| r.eq_ignore_ascii_case(&l.sku_id)));
        for add in &change.add {
            let mut disabled_plans = add.disabled_plans.clone();
            for extra in self
                .sku(&add.sku_id)
                .map(|s| s.extra_disabled_plans.as_slice())
                .unwrap_or_default()
            {
                if !disabled_plans.iter().any(|d| d.eq_ignore_ascii_case(extra)) {
                    disabled_plans.push(extra.clone());
                }
            }
            match licenses.iter_mut().find(|l| l.sku_id.eq_ignore_ascii_case(&add.sku_id)) {
                Some(existing) => existing.disabled_plans = disabled_plans,
                None => licenses.push(AssignedLicense {
                    sku_id: add.sku_id.clone(),
                    disabled_plans,
                }),
            }
        }
    }

    /// Whether `target` is `group` or one of its nested groups, at any depth.
    fn nests(&self, group: &str, target: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut next = vec![group.to_owned()];
        while let Some(id) = next.pop() {
            if id == target {
                return true;
            }
            if let Some(g) = self.groups.get(&id) {
                next.extend(
                    g.file
                        .group_members
                        .iter()
                        .filter(|m| seen.insert((*m).clone()))
                        .cloned(),
                );
            }
        }
        false
    }

    /// Adds and removes direct members of a group: user or group IDs. The users whose
    /// membership changed are processed; adding or removing a nested group changes no
    /// one's licences. A group cannot contain itself, directly or through nesting.
    pub fn change_members(
        &mut self,
        group_id: &str,
        add: &[String],
        remove: &[String],
        cause: &Cause,
    ) -> Result<(), Rejection> {
        let group_id = self.group_id(group_id).ok_or_else(|| not_found(group_id))?;
        let mut users = Vec::new();
        let mut groups = Vec::new();
        for id in add {
            if let Some(user) = self.user_id(id) {
                users.push(user);
            } else if let Some(group) = self.group_id(id) {
                if self.nests(&group, &group_id) {
                    return Err(bad_request(format!(
                        "Group {group} cannot be a member of group {group_id}: a group cannot contain itself, directly or through nested groups."
                    )));
                }
                groups.push(group);
            } else {
                return Err(not_found(id));
            }
        }
        let position = self.groups[&group_id].order;
        let group = self.groups.get_mut(&group_id).expect("found");
        for nested in groups {
            if !group.file.group_members.contains(&nested) {
                group.file.group_members.push(nested);
            }
        }
        let mut changed = Vec::new();
        for user in users {
            if !group.file.members.contains(&user) {
                group.file.members.push(user.clone());
                self.memberships.entry(user.clone()).or_default().push(position);
                changed.push(user);
            }
        }
        let group = self.groups.get_mut(&group_id).expect("found");
        let removed = |id: &String| remove.iter().any(|r| r.eq_ignore_ascii_case(id));
        group.file.group_members.retain(|g| !removed(g));
        let gone: Vec<String> = group.file.members.iter().filter(|m| removed(m)).cloned().collect();
        group.file.members.retain(|m| !removed(m));
        for user in gone {
            if let Some(groups) = self.memberships.get_mut(&user) {
                groups.retain(|g| *g != position);
            }
            changed.push(user);
        }
        for user in &changed {
            self.evaluate_user(user, cause);
        }
        Ok(())
    }

    /// Deletes a group: refused while it holds licences unless `forced`, in which case its
    /// members lose them with the group.
    pub fn delete_group(&mut self, group_id: &str, forced: bool, cause: &Cause) -> Result<String, Rejection> {
        let group_id = self.group_id(group_id).ok_or_else(|| not_found(group_id))?;
        if !self.groups[&group_id].file.assigned_licenses.is_empty() && !forced {
            return Err(bad_request(
                "the group has licences; remove them first (or pass ?force=true)",
            ));
        }
        let group = self.groups.remove(&group_id).expect("found");
        for other in self.groups.values_mut() {
            other.file.group_members.retain(|g| *g != group_id);
        }
        for member in &group.file.members {
            if let Some(groups) = self.memberships.get_mut(member) {
                groups.retain(|g| *g != group.order);
            }
            self.evaluate_user(member, cause);
        }
        Ok(group_id)
    }

    /// The checks shared by group and user assignLicense: SKUs exist and may be assigned,
    /// disabled plans belong to their SKU, and no SKU is both added and removed.
    fn check_change(&self, change: &LicenseChange, target: &str) -> Result<(), Rejection> {
        if change.add.is_empty() && change.remove.is_empty() {
            return Err(bad_request("No license changes provided."));
        }
        let invalid = |id: &str| bad_request(format!("License {id} does not correspond to a valid company License."));
        for license in &change.add {
            let sku = self.sku(&license.sku_id).ok_or_else(|| invalid(&license.sku_id))?;
            if sku.applies_to != "User" {
                return Err(bad_request(format!(
                    "License {} cannot be assigned to a {target}.",
                    license.sku_id
                )));
            }
            if !matches!(sku.capability_status.as_str(), "Enabled" | "Warning") {
                return Err(bad_request(format!(
                    "License {} cannot be assigned: the subscription is {}.",
                    license.sku_id, sku.capability_status
                )));
            }
            let plans = self.all_plans(&sku.sku_id);
            if let Some(plan) = license
                .disabled_plans
                .iter()
                .find(|p| !plans.iter().any(|q| q.eq_ignore_ascii_case(p)))
            {
                return Err(bad_request(format!(
                    "The service plan {plan} does not belong to the subscription {} ({}).",
                    sku.sku_part_number, sku.sku_id
                )));
            }
            if change.remove.iter().any(|r| r.eq_ignore_ascii_case(&license.sku_id)) {
                return Err(bad_request(format!(
                    "License {} cannot be added and removed in the same request.",
                    license.sku_id
                )));
            }
        }
        if let Some(unknown) = change.remove.iter().find(|r| self.sku(r).is_none()) {
            return Err(invalid(unknown));
        }
        Ok(())
    }

    /// The licences a read shows for a group, honouring the read-after-write delay.
    pub fn visible_group_licenses(&self, group: &Group) -> Vec<AssignedLicense> {
        match &group.stale_view {
            Some((until, previous)) if std::time::Instant::now() < *until => previous.clone(),
            _ => group.file.assigned_licenses.clone(),
        }
    }

    /// Members of a group whose licences from it are in error.
    pub fn members_with_errors(&self, group_id: &str) -> Vec<String> {
        let Some(group) = self.groups.get(group_id) else {
            return Vec::new();
        };
        group
            .file
            .members
            .iter()
            .filter(|m| self.users.get(*m).is_some_and(|u| u.in_error_from(group_id)))
            .cloned()
            .collect()
    }

    /// Seats of a SKU in use: the users holding it.
    pub fn consumed(&self, sku_id: &str) -> u32 {
        self.holders
            .get(sku_id)
            .map_or(0, |holders| u32::try_from(holders.len()).unwrap_or(u32::MAX))
    }

    /// `subscribedSku` as Graph shows it, with live `consumedUnits`.
    pub fn sku_json(&self, sku: &SkuFile) -> Json {
        json!({
            "id": format!("{}_{}", self.tenant_id, sku.sku_id),
            "accountId": self.tenant_id,
            "accountName": self.display_name,
            "appliesTo": sku.applies_to,
            "capabilityStatus": sku.capability_status,
            "consumedUnits": self.consumed(&sku.sku_id),
            "prepaidUnits": sku.prepaid_units,
            "servicePlans": sku.service_plans,
            "skuId": sku.sku_id,
            "skuPartNumber": sku.sku_part_number,
            "subscriptionIds": [format!("{}-sub", &sku.sku_id[..8])],
        })
    }

    /// Every property of a user, licensing ones included.
    pub fn user_json(&self, user: &User) -> Json {
        json!({
            "id": user.file.id,
            "displayName": user.file.display_name,
            "userPrincipalName": user.file.user_principal_name,
            "mail": user.file.mail,
            "usageLocation": user.file.usage_location,
            "assignedLicenses": user.effective.iter().map(|(sku, disabled)| json!({"skuId": sku, "disabledPlans": disabled})).collect::<Vec<_>>(),
            "licenseAssignmentStates": user.states.iter().map(|s| json!({
                "skuId": s.sku_id,
                "assignedByGroup": s.assigned_by_group,
                "disabledPlans": s.disabled_plans,
                "state": s.state,
                "error": s.error.unwrap_or("None"),
                "lastUpdatedDateTime": s.last_updated,
            })).collect::<Vec<_>>(),
        })
    }

    /// Every property of a group, licensing ones included.
    pub fn group_json(&self, group: &Group) -> Json {
        json!({
            "id": group.file.id,
            "displayName": group.file.display_name,
            "description": group.file.description,
            "groupTypes": group.file.group_types,
            "mail": group.file.mail,
            "mailEnabled": group.file.mail_enabled,
            "securityEnabled": group.file.security_enabled,
            "assignedLicenses": self.visible_group_licenses(group),
            "licenseProcessingState": {"state": group.processing_state},
        })
    }

    /// The tenant as JSON, for the admin API and tests.
    pub fn snapshot(&self) -> Json {
        json!({
            "tenantId": self.tenant_id,
            "subscribedSkus": self.skus.iter().map(|s| self.sku_json(s)).collect::<Vec<_>>(),
            "groups": self.groups.values().map(|g| {
                let mut v = self.group_json(g);
                v["members"] = json!(g.file.members);
                v["groupMembers"] = json!(g.file.group_members);
                v["membersWithLicenseErrors"] = json!(self.members_with_errors(&g.file.id));
                v
            }).collect::<Vec<_>>(),
            "users": self.users.values().map(|u| self.user_json(u)).collect::<Vec<_>>(),
        })
    }
}

/// Whether a direct assignment needs a free seat: one made now does; a licence seeded as
/// held since long ago does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seats {
    Checked,
    Ignored,
}

/// The body of an assignLicense call, validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenseChange {
    /// SKUs to add, or whose disabled plans to replace.
    pub add: Vec<AssignedLicense>,
    /// SKUs to remove.
    pub remove: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALES: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";
    const ENGINEERING: &str = "2c9d8e71-4a3b-4c5d-9e8f-000000000002";
    const REGIONAL_LEADS: &str = "7a41d3c6-9f80-4a12-8d34-000000000007";
    const E5: &str = "c7df2760-2c81-4ef7-b578-5b5392b571df";
    const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
    const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";
    const EMS_E5: &str = "b05e124f-c7cc-45a0-a6aa-8cf78c946968";
    const AAD_P1: &str = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4";
    const FLOW_FREE: &str = "f30db892-07e9-47e9-837c-80727f46fd3d";
    const DYN365_CDS_VIRAL: &str = "17ab22cd-a0b3-4536-910a-cb6eb12696c0";
    const FLOW_P2_VIRAL: &str = "50e68c76-46c6-4674-81f9-75456511b170";
    const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
    const SWAY: &str = "a23b959c-7ce8-4e57-9140-b90eb88a9e97";
    const FORMS_E3: &str = "2789c901-c14e-48ab-a76a-be334d9d793a";
    const ADELE: &str = "a1b2c3d4-0001-4000-8000-000000000001";
    const LEE: &str = "a1b2c3d4-0006-4000-8000-000000000006";

    fn add(sku: &str) -> LicenseChange {
        LicenseChange {
            add: vec![AssignedLicense {
                sku_id: sku.into(),
                disabled_plans: vec![],
            }],
            remove: vec![],
        }
    }

    fn directory() -> Directory {
        Directory::new(TenantFile::contoso())
    }

    fn cause() -> Cause {
        Cause::other("test")
    }

    #[test]
    fn seed_processing_consumes_one_seat_per_member() {
        let d = directory();
        // Engineering (4 members) has ENTERPRISEPACK at start.
        assert_eq!(d.consumed(E3), 4);
    }

    #[test]
    fn seats_run_out_with_count_violation_and_all_or_nothing() {
        let mut d = directory();
        // Sales has 4 members; ENTERPRISEPREMIUM has 3 seats.
        let change = LicenseChange {
            add: vec![
                AssignedLicense {
                    sku_id: E5.into(),
                    disabled_plans: vec![],
                },
                AssignedLicense {
                    sku_id: "078d2b04-f1bd-4111-bbd4-b4b1b354cef4".into(),
                    disabled_plans: vec![],
                },
            ],
            remove: vec![],
        };
        d.change_group_licenses(SALES, &change, Default::default()).unwrap();
        d.process_group(SALES, &cause());
        assert_eq!(d.consumed(E5), 3);
        let failing = d.members_with_errors(SALES);
        assert_eq!(failing.len(), 1);
        let user = &d.users[&failing[0]];
        assert!(
            user.states
                .iter()
                .filter(|s| s.assigned_by_group.as_deref() == Some(SALES))
                .all(|s| s.error == Some("CountViolation"))
        );
        assert!(
            !user.effective.contains_key("078d2b04-f1bd-4111-bbd4-b4b1b354cef4"),
            "none of the group's SKUs"
        );
        // More seats, then a reprocess clears it.
        d.skus
            .iter_mut()
            .find(|s| s.sku_id == E5)
            .unwrap()
            .prepaid_units
            .enabled = 10;
        d.evaluate_user(&failing[0], &cause());
        assert!(d.members_with_errors(SALES).is_empty());
    }

    #[test]
    fn a_held_seat_stays_when_a_source_goes_even_in_an_over_consumed_tenant() {
        let mut d = directory();
        // Adele, a member of Sales with a usage location.
        let user = "a1b2c3d4-0001-4000-8000-000000000001".to_owned();
        // Direct E5, then the same from Sales: one seat.
        d.change_user_licenses(&user, &add(E5), &cause()).unwrap();
        d.change_group_licenses(SALES, &add(E5), Default::default()).unwrap();
        d.process_group(SALES, &cause());
        let used = d.consumed(E5);
        // The subscription shrinks below what is in use (seats reduced at renewal).
        d.skus
            .iter_mut()
            .find(|s| s.sku_id == E5)
            .unwrap()
            .prepaid_units
            .enabled = used - 1;
        let direct_only = LicenseChange {
            add: vec![],
            remove: vec![E5.into()],
        };
        assert!(
            !d.users[&user].in_error_from(SALES),
            "a direct holder needs no new seat"
        );
        d.change_user_licenses(&user, &direct_only, &cause()).unwrap();
        assert!(
            d.users[&user].effective.contains_key(E5),
            "still licensed from the group"
        );
        assert!(
            !d.users[&user].in_error_from(SALES),
            "no CountViolation for a seat already held"
        );
        assert_eq!(d.consumed(E5), used, "the seat moved to the group's source");
    }

    #[test]
    fn reposting_a_sku_replaces_its_disabled_plans() {
        let mut d = directory();
        let engineering = "2c9d8e71-4a3b-4c5d-9e8f-000000000002";
        let change = LicenseChange {
            add: vec![AssignedLicense {
                sku_id: E3.into(),
                disabled_plans: vec!["a23b959c-7ce8-4e57-9140-b90eb88a9e97".into()],
            }],
            remove: vec![],
        };
        d.change_group_licenses(engineering, &change, Default::default())
            .unwrap();
        assert_eq!(
            d.groups[engineering].file.assigned_licenses[0].disabled_plans,
            vec!["a23b959c-7ce8-4e57-9140-b90eb88a9e97"]
        );
        assert_eq!(d.groups[engineering].file.assigned_licenses.len(), 1);
    }

    #[test]
    fn documented_rejections() {
        let mut d = directory();
        let none = LicenseChange::default();
        assert_eq!(
            d.change_group_licenses(SALES, &none, Default::default())
                .unwrap_err()
                .message,
            "No license changes provided."
        );
        let unknown = add("90d8b3f8-712e-4f7b-aa1e-62e7ae6cbe96");
        assert_eq!(
            d.change_group_licenses(SALES, &unknown, Default::default())
                .unwrap_err()
                .message,
            "License 90d8b3f8-712e-4f7b-aa1e-62e7ae6cbe96 does not correspond to a valid company License."
        );
        let distribution = "4e1fa093-6c5d-4e7f-9a01-000000000004";
        assert!(
            d.change_group_licenses(distribution, &add(E3), Default::default())
                .is_err()
        );
        let foreign_plan = LicenseChange {
            add: vec![AssignedLicense {
                sku_id: E3.into(),
                disabled_plans: vec!["eec0eb4f-6444-4f95-aba0-50c24d67f998".into()],
            }],
            remove: vec![],
        };
        assert!(
            d.change_group_licenses(SALES, &foreign_plan, Default::default())
                .unwrap_err()
                .message
                .contains("does not belong")
        );
        let addon = add("3d957427-ecdc-4df2-aacd-01cc9d519da8");
        assert!(
            d.change_group_licenses(SALES, &addon, Default::default())
                .unwrap_err()
                .message
                .starts_with("License operation failed")
        );
        assert_eq!(
            d.change_group_licenses("nope", &add(E3), Default::default())
                .unwrap_err()
                .status,
            404
        );
    }

    #[test]
    fn usage_location_and_conflicts_are_member_errors() {
        let mut d = directory();
        let contractors = "5f20b1a4-7d6e-4f80-ab12-000000000005"; // Megan (no location → US), Nestor (IR)
        d.change_group_licenses(
            contractors,
            &add("06ebc4ee-1bb5-47dd-8120-11324bc54e06"),
            Default::default(),
        )
        .unwrap();
        d.process_group(contractors, &cause());
        let nestor = "a1b2c3d4-0008-4000-8000-000000000008";
        assert_eq!(d.members_with_errors(contractors), vec![nestor.to_owned()]);
        assert_eq!(
            d.users[nestor].states[0].error,
            Some("ProhibitedInUsageLocationViolation")
        );

        // Engineering members have Exchange Plan 2 (E3); Exchange Plan 1 from another group conflicts.
        let pilot = "6031c2b5-8e7f-4091-bc23-000000000006";
        d.groups
            .get_mut(pilot)
            .unwrap()
            .file
            .members
            .push("a1b2c3d4-0003-4000-8000-000000000003".into());
        let position = d.groups[pilot].order;
        d.memberships
            .entry("a1b2c3d4-0003-4000-8000-000000000003".into())
            .or_default()
            .push(position);
        d.change_group_licenses(pilot, &add("4b9405b0-7788-4568-add1-99614e613b69"), Default::default())
            .unwrap();
        d.process_group(pilot, &cause());
        let diego = &d.users["a1b2c3d4-0003-4000-8000-000000000003"];
        assert!(
            diego
                .states
                .iter()
                .any(|s| s.error == Some("MutuallyExclusiveViolation"))
        );
    }

    #[test]
    fn direct_assignment_rules() {
        let mut d = directory();
        let isaiah = "a1b2c3d4-0004-4000-8000-000000000004"; // no usage location, Engineering member
        assert!(
            d.change_user_licenses(isaiah, &add(E5), &cause())
                .unwrap_err()
                .message
                .contains("invalid usage location")
        );
        let adele = "a1b2c3d4-0001-4000-8000-000000000001";
        let remove = LicenseChange {
            add: vec![],
            remove: vec![E5.into()],
        };
        assert_eq!(
            d.change_user_licenses(adele, &remove, &cause()).unwrap_err().message,
            "User does not have a corresponding license."
        );
        let diego = "a1b2c3d4-0003-4000-8000-000000000003";
        let remove_inherited = LicenseChange {
            add: vec![],
            remove: vec![E3.into()],
        };
        assert!(
            d.change_user_licenses(diego, &remove_inherited, &cause())
                .unwrap_err()
                .message
                .contains("inherited")
        );
        d.change_user_licenses(adele, &add(E5), &cause()).unwrap();
        assert!(d.users[adele].effective.contains_key(E5));
        assert!(
            d.change_user_licenses(adele, &add("47794cd0-f0e5-45c5-9033-2eb6b5fc84e0"), &cause())
                .unwrap_err()
                .message
                .contains("cannot be assigned to a user")
        );
    }

    fn license(sku: &str, disabled: &[&str]) -> AssignedLicense {
        AssignedLicense {
            sku_id: sku.into(),
            disabled_plans: disabled.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    /// Applies a group change and processes the members, as the 202 path does.
    fn change_group(d: &mut Directory, group: &str, add: Vec<AssignedLicense>, remove: &[&str]) {
        let change = LicenseChange {
            add,
            remove: remove.iter().map(|r| (*r).to_owned()).collect(),
        };
        d.change_group_licenses(group, &change, Default::default()).unwrap();
        d.process_group(group, &Cause::graph("req-1", "POST", "/v1.0/groups/g/assignLicense"));
    }

    /// The continuity log as (user, plan) pairs, then cleared.
    fn take_losses(d: &mut Directory) -> BTreeSet<(String, String)> {
        let losses = d
            .continuity
            .losses()
            .map(|l| (l.user_id.clone(), l.service_plan_id.clone()))
            .collect();
        d.continuity.clear();
        losses
    }

    fn every(users: &[String], plans: &[impl AsRef<str>]) -> BTreeSet<(String, String)> {
        users
            .iter()
            .flat_map(|u| plans.iter().map(move |p| (u.clone(), p.as_ref().to_owned())))
            .collect()
    }

    #[test]
    fn removing_a_sku_from_a_group_logs_every_members_lost_plans() {
        let mut d = directory();
        assert_eq!(d.continuity.losses().count(), 0, "seeding loses nothing");
        let members = d.groups[ENGINEERING].file.members.clone();
        change_group(&mut d, ENGINEERING, vec![], &[E3]);
        let enabled: Vec<String> = d
            .sku(E3)
            .unwrap()
            .service_plans
            .iter()
            .map(|p| p.service_plan_id.clone())
            .filter(|p| p != YAMMER)
            .collect();
        let first = d.continuity.losses().next().unwrap().clone();
        assert_eq!(
            (
                first.request_id.as_deref(),
                first.request.as_str(),
                first.sku_part_number.as_str()
            ),
            (Some("req-1"), "POST /v1.0/groups/g/assignLicense", "ENTERPRISEPACK")
        );
        assert!(!first.service_plan_name.is_empty() && first.user_principal_name.ends_with("@contoso.example"));
        assert_eq!(
            take_losses(&mut d),
            every(&members, &enabled),
            "the disabled Yammer was never had"
        );
    }

    #[test]
    fn disabling_more_plans_logs_exactly_those_and_reposting_logs_nothing() {
        let mut d = directory();
        let members = d.groups[ENGINEERING].file.members.clone();
        change_group(&mut d, ENGINEERING, vec![license(E3, &[YAMMER])], &[]);
        assert!(take_losses(&mut d).is_empty(), "identical licences");
        change_group(&mut d, ENGINEERING, vec![license(E3, &[YAMMER, SWAY, FORMS_E3])], &[]);
        assert_eq!(take_losses(&mut d), every(&members, &[SWAY, FORMS_E3]));
        change_group(&mut d, ENGINEERING, vec![license(E3, &[YAMMER, SWAY, FORMS_E3])], &[]);
        assert!(take_losses(&mut d).is_empty(), "the same again");
        change_group(&mut d, ENGINEERING, vec![license(E3, &[])], &[]);
        assert!(take_losses(&mut d).is_empty(), "enabling plans loses none");
    }

    #[test]
    fn a_sku_swap_in_one_call_loses_only_the_plans_the_new_sku_lacks() {
        let mut d = directory();
        let members = d.groups[SALES].file.members.clone();
        change_group(&mut d, SALES, vec![license(EMS, &[])], &[]);
        change_group(&mut d, SALES, vec![license(EMS_E5, &[])], &[EMS]);
        assert!(take_losses(&mut d).is_empty(), "EMS E5 has every plan of EMS");
        change_group(&mut d, SALES, vec![license(EMS, &[])], &[EMS_E5]);
        let only_e5: Vec<String> = d
            .sku(EMS_E5)
            .unwrap()
            .service_plans
            .iter()
            .map(|p| p.service_plan_id.clone())
            .filter(|p| {
                !d.sku(EMS)
                    .unwrap()
                    .service_plans
                    .iter()
                    .any(|q| q.service_plan_id == *p)
            })
            .collect();
        assert_eq!(only_e5.len(), 4);
        assert_eq!(take_losses(&mut d), every(&members, &only_e5));

        // The same for a direct assignment.
        d.change_user_licenses(ADELE, &add(AAD_P1), &cause()).unwrap();
        let swap = LicenseChange {
            add: vec![license("84a661c4-e949-4bd2-a560-ed7766fcaf2b", &[])],
            remove: vec![AAD_P1.into()],
        };
        d.change_user_licenses(ADELE, &swap, &cause()).unwrap();
        assert!(take_losses(&mut d).is_empty(), "P2 has every plan of P1");
    }

    #[test]
    fn group_licences_reach_only_direct_user_members() {
        let mut d = directory();
        assert_eq!(d.groups[REGIONAL_LEADS].file.group_members, vec![SALES.to_owned()]);
        change_group(&mut d, REGIONAL_LEADS, vec![license(AAD_P1, &[])], &[]);
        assert!(d.users[LEE].effective.contains_key(AAD_P1), "the direct member");
        for nested in &d.groups[SALES].file.members {
            assert!(
                !d.users[nested].effective.contains_key(AAD_P1),
                "{nested} is only nested"
            );
        }
        let contractors = "5f20b1a4-7d6e-4f80-ab12-000000000005";
        d.change_members(REGIONAL_LEADS, &[contractors.into()], &[], &cause())
            .unwrap();
        assert_eq!(d.groups[REGIONAL_LEADS].file.group_members, vec![SALES, contractors]);
        assert!(
            d.groups[contractors]
                .file
                .members
                .iter()
                .all(|m| !d.users[m].effective.contains_key(AAD_P1))
        );
        assert_eq!(d.consumed(AAD_P1), 1);
        let cycle = d
            .change_members(SALES, &[REGIONAL_LEADS.into()], &[], &cause())
            .unwrap_err();
        assert_eq!(cycle.status, 400);
        assert!(
            d.change_members(SALES, &[SALES.into()], &[], &cause()).is_err(),
            "not itself either"
        );
        d.change_members(REGIONAL_LEADS, &[], &[SALES.into(), LEE.into()], &cause())
            .unwrap();
        assert!(
            !d.users[LEE].effective.contains_key(AAD_P1),
            "removed members are processed"
        );
        assert_eq!(take_losses(&mut d).len(), 4, "Lee lost AAD P1's four plans");
        d.delete_group(contractors, false, &cause()).unwrap();
        assert!(d.groups[REGIONAL_LEADS].file.group_members.is_empty());
    }

    #[test]
    fn viral_skus_store_more_disabled_plans_than_posted() {
        let mut d = directory();
        change_group(&mut d, SALES, vec![license(FLOW_FREE, &[])], &[]);
        assert_eq!(
            d.groups[SALES].file.assigned_licenses,
            vec![license(FLOW_FREE, &[DYN365_CDS_VIRAL])]
        );
        change_group(&mut d, SALES, vec![license(FLOW_FREE, &[FLOW_P2_VIRAL])], &[]);
        assert_eq!(
            d.groups[SALES].file.assigned_licenses,
            vec![license(FLOW_FREE, &[FLOW_P2_VIRAL, DYN365_CDS_VIRAL])]
        );
        assert_eq!(
            d.users[ADELE].effective[FLOW_FREE],
            vec![DYN365_CDS_VIRAL.to_owned(), FLOW_P2_VIRAL.to_owned()]
        );
        let lee_change = LicenseChange {
            add: vec![license(FLOW_FREE, &[DYN365_CDS_VIRAL])],
            remove: vec![],
        };
        d.change_user_licenses(LEE, &lee_change, &cause()).unwrap();
        assert_eq!(
            d.users[LEE].direct,
            vec![license(FLOW_FREE, &[DYN365_CDS_VIRAL])],
            "no duplicate"
        );
        let plain = LicenseChange {
            add: vec![license(E3, &[])],
            remove: vec![],
        };
        d.change_user_licenses(LEE, &plain, &cause()).unwrap();
        assert_eq!(
            d.users[LEE].direct[1],
            license(E3, &[]),
            "other SKUs store what was posted"
        );
    }

    const PILOT: &str = "6031c2b5-8e7f-4091-bc23-000000000006";
    const AAD_P2: &str = "84a661c4-e949-4bd2-a560-ed7766fcaf2b";
    const EXCHANGE_STANDARD: &str = "4b9405b0-7788-4568-add1-99614e613b69";
    const EXCHANGE_PLAN_2: &str = "efb87545-963c-4e0d-99df-69c6916d9eb0";
    const ALEX: &str = "a1b2c3d4-0002-4000-8000-000000000002";

    fn remove(sku: &str) -> LicenseChange {
        LicenseChange {
            add: vec![],
            remove: vec![sku.into()],
        }
    }

    /// One licence source of a user: (source group, disabled plans, state, error).
    type Source = (Option<String>, Vec<String>, &'static str, Option<&'static str>);

    /// The user's states of one SKU.
    fn sources(d: &Directory, user: &str, sku: &str) -> Vec<Source> {
        d.users[user]
            .states
            .iter()
            .filter(|s| s.sku_id == sku)
            .map(|s| (s.assigned_by_group.clone(), s.disabled_plans.clone(), s.state, s.error))
            .collect()
    }

    fn plans_of(d: &Directory, sku: &str) -> Vec<String> {
        d.sku(sku)
            .unwrap()
            .service_plans
            .iter()
            .map(|p| p.service_plan_id.clone())
            .collect()
    }

    #[test]
    fn direct_and_inherited_licences_of_one_sku_share_one_seat_and_keep_their_own_states() {
        let mut d = directory();
        // Lee inherits ENTERPRISEPACK (Yammer disabled) from Engineering.
        d.change_user_licenses(LEE, &add(E3), &cause()).unwrap();
        assert_eq!(d.consumed(E3), 4, "no second seat for a second source");
        change_group(&mut d, PILOT, vec![license(E3, &[SWAY])], &[]);
        d.change_members(PILOT, &[LEE.into()], &[], &cause()).unwrap();
        assert_eq!(d.consumed(E3), 4, "nor for a third");
        assert_eq!(
            sources(&d, LEE, E3),
            vec![
                (None, vec![], "Active", None),
                (Some(ENGINEERING.into()), vec![YAMMER.into()], "Active", None),
                (Some(PILOT.into()), vec![SWAY.into()], "Active", None),
            ]
        );
        assert_eq!(
            d.users[LEE].effective[E3],
            Vec::<String>::new(),
            "the union of enabled plans"
        );
        let json = d.user_json(&d.users[LEE]);
        assert_eq!(json["assignedLicenses"], json!([{"skuId": E3, "disabledPlans": []}]));
        assert_eq!(json["licenseAssignmentStates"][0]["assignedByGroup"], Json::Null);
        assert_eq!(json["licenseAssignmentStates"][0]["error"], "None");

        d.change_user_licenses(LEE, &remove(E3), &cause()).unwrap();
        assert_eq!(d.consumed(E3), 4, "the seat stays with the groups");
        assert_eq!(
            d.users[LEE].effective[E3],
            Vec::<String>::new(),
            "Engineering and Pilot cover every plan"
        );
        assert_eq!(d.users[LEE].states.len(), 2);
        assert!(take_losses(&mut d).is_empty(), "no plan was only the direct licence's");
    }

    #[test]
    fn removing_the_direct_licence_loses_exactly_the_plans_only_it_enabled() {
        let mut d = directory();
        d.change_user_licenses(LEE, &add(E3), &cause()).unwrap();
        assert!(take_losses(&mut d).is_empty());
        d.change_user_licenses(LEE, &remove(E3), &cause()).unwrap();
        assert_eq!(d.consumed(E3), 4);
        assert_eq!(
            d.users[LEE].effective[E3],
            vec![YAMMER.to_owned()],
            "Engineering's plans"
        );
        assert_eq!(
            take_losses(&mut d),
            every(&[LEE.to_owned()], &[YAMMER]),
            "only Yammer was the direct licence's alone"
        );

        d.change_user_licenses(
            LEE,
            &LicenseChange {
                add: vec![license(E3, &[YAMMER, SWAY])],
                remove: vec![],
            },
            &cause(),
        )
        .unwrap();
        d.change_user_licenses(LEE, &remove(E3), &cause()).unwrap();
        assert!(
            take_losses(&mut d).is_empty(),
            "the group enables more than the direct licence did"
        );
    }

    #[test]
    fn a_direct_licence_serves_while_the_inherited_one_is_in_mutually_exclusive_violation() {
        let mut d = directory();
        // Adele holds ENTERPRISEPACK without Exchange Plan 2, and Exchange Plan 1, directly.
        let direct = LicenseChange {
            add: vec![license(E3, &[EXCHANGE_PLAN_2]), license(EXCHANGE_STANDARD, &[])],
            remove: vec![],
        };
        d.change_user_licenses(ADELE, &direct, &cause()).unwrap();
        let seats = d.consumed(E3);
        change_group(&mut d, SALES, vec![license(E3, &[])], &[]);
        assert_eq!(
            sources(&d, ADELE, E3),
            vec![
                (None, vec![EXCHANGE_PLAN_2.into()], "Active", None),
                (Some(SALES.into()), vec![], "Error", Some("MutuallyExclusiveViolation")),
            ]
        );
        assert_eq!(
            d.users[ADELE].effective[E3],
            vec![EXCHANGE_PLAN_2.to_owned()],
            "the direct licence serves"
        );
        assert_eq!(d.members_with_errors(SALES), vec![ADELE.to_owned()]);
        assert_eq!(d.consumed(E3), seats + 1, "Alex's new seat; Adele keeps her one");
        take_losses(&mut d);

        d.change_user_licenses(ADELE, &remove(E3), &cause()).unwrap();
        assert!(
            !d.users[ADELE].effective.contains_key(E3),
            "the group's licence is still in error"
        );
        assert_eq!(d.consumed(E3), seats, "Adele's seat is freed");
        let still_enabled = plans_of(&d, EXCHANGE_STANDARD);
        let lost: Vec<String> = plans_of(&d, E3)
            .into_iter()
            .filter(|p| p != EXCHANGE_PLAN_2 && !still_enabled.contains(p))
            .collect();
        assert_eq!(take_losses(&mut d), every(&[ADELE.to_owned()], &lost));
    }

    #[test]
    fn a_direct_licence_serves_while_the_inherited_one_is_in_count_violation() {
        let mut d = directory();
        d.change_user_licenses(LEE, &add(AAD_P1), &cause()).unwrap();
        // AAD_PREMIUM_P2 has two seats, both taken.
        d.change_user_licenses(ADELE, &add(AAD_P2), &cause()).unwrap();
        d.change_user_licenses(ALEX, &add(AAD_P2), &cause()).unwrap();
        change_group(&mut d, PILOT, vec![license(AAD_P1, &[]), license(AAD_P2, &[])], &[]);
        d.change_members(PILOT, &[LEE.into()], &[], &cause()).unwrap();
        assert_eq!(
            sources(&d, LEE, AAD_P1),
            vec![
                (None, vec![], "Active", None),
                (Some(PILOT.into()), vec![], "Error", Some("CountViolation")),
            ],
            "all of the group's SKUs or none"
        );
        assert!(d.users[LEE].effective.contains_key(AAD_P1) && !d.users[LEE].effective.contains_key(AAD_P2));
        assert_eq!(d.consumed(AAD_P1), 1);
        take_losses(&mut d);

        d.change_user_licenses(LEE, &remove(AAD_P1), &cause()).unwrap();
        assert!(!d.users[LEE].effective.contains_key(AAD_P1));
        assert_eq!(d.consumed(AAD_P1), 0);
        assert_eq!(take_losses(&mut d), every(&[LEE.to_owned()], &plans_of(&d, AAD_P1)));
        assert_eq!(sources(&d, LEE, AAD_P1)[0].3, Some("CountViolation"), "still in error");
    }

    #[test]
    fn a_direct_assignment_in_a_prohibited_usage_location_is_refused_and_changes_nothing() {
        let mut d = directory();
        let nestor = "a1b2c3d4-0008-4000-8000-000000000008"; // IR
        let spe_e5 = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"; // prohibited in IR
        let change = LicenseChange {
            add: vec![license(AAD_P1, &[]), license(spe_e5, &[])],
            remove: vec![],
        };
        let refused = d.change_user_licenses(nestor, &change, &cause()).unwrap_err();
        assert_eq!((refused.status, refused.code), (400, "Request_BadRequest"));
        assert_eq!(
            refused.message,
            "License SPE_E5 (06ebc4ee-1bb5-47dd-8120-11324bc54e06) cannot be assigned to a user whose usage location is IR: its services are not available in that location."
        );
        assert!(d.users[nestor].direct.is_empty() && d.users[nestor].effective.is_empty());
        assert_eq!(d.consumed(AAD_P1), 0, "not even the allowed SKU");
        d.change_user_licenses(nestor, &add(AAD_P1), &cause()).unwrap();
    }

    fn user_file(id: &str, upn: &str, location: Option<&str>, licenses: Vec<AssignedLicense>) -> UserFile {
        UserFile {
            id: id.into(),
            display_name: upn.into(),
            user_principal_name: upn.into(),
            mail: None,
            usage_location: location.map(str::to_owned),
            assigned_licenses: licenses,
        }
    }

    #[test]
    fn created_users_hold_seeded_licences_without_a_seat_check_and_are_refused_whole() {
        let mut d = directory();
        for n in 0..3 {
            let user = user_file(
                &format!("b0000000-0000-4000-8000-00000000000{n}"),
                &format!("seeded{n}@contoso.example"),
                Some("US"),
                vec![license(AAD_P2, &[])],
            );
            d.create_user(user, &cause()).unwrap();
        }
        assert_eq!(d.consumed(AAD_P2), 3, "more than the two seats: held since long ago");
        let taken = d
            .create_user(user_file(ADELE, "new@contoso.example", None, vec![]), &cause())
            .unwrap_err();
        assert_eq!(taken.status, 409);
        let same_name = user_file(
            "b0000000-0000-4000-8000-000000000009",
            "SEEDED0@contoso.example",
            None,
            vec![],
        );
        assert_eq!(d.create_user(same_name, &cause()).unwrap_err().status, 409);
        let prohibited = user_file(
            "b0000000-0000-4000-8000-00000000000a",
            "ir@contoso.example",
            Some("IR"),
            vec![
                license(AAD_P1, &[]),
                license("06ebc4ee-1bb5-47dd-8120-11324bc54e06", &[]),
            ],
        );
        assert_eq!(d.create_user(prohibited, &cause()).unwrap_err().status, 400);
        assert!(
            !d.users.contains_key("b0000000-0000-4000-8000-00000000000a"),
            "no half-made user"
        );
        assert_eq!(d.consumed(AAD_P1), 0);
    }

    #[test]
    fn created_groups_process_their_user_members_and_take_part_like_any_group() {
        let mut d = directory();
        let group = GroupFile {
            id: "c0000000-0000-4000-8000-000000000001".into(),
            display_name: "Licensing".into(),
            description: None,
            security_enabled: true,
            mail_enabled: false,
            group_types: vec![],
            mail: None,
            members: vec![ADELE.into(), ADELE.to_uppercase()],
            group_members: vec![SALES.into()],
            assigned_licenses: vec![license(AAD_P1, &[])],
        };
        let id = d.create_group(group.clone(), &cause()).unwrap();
        assert_eq!(d.groups[&id].file.members, vec![ADELE.to_owned()], "once, as stored");
        assert_eq!(d.groups[&id].processing_state, COMPLETE);
        assert_eq!(d.consumed(AAD_P1), 1, "Adele only: Sales is nested");
        d.change_members(&id, &[LEE.into()], &[ADELE.into()], &cause()).unwrap();
        assert!(d.users[LEE].effective.contains_key(AAD_P1) && !d.users[ADELE].effective.contains_key(AAD_P1));
        assert_eq!(d.create_group(group.clone(), &cause()).unwrap_err().status, 409);
        let unknown = GroupFile {
            id: "c0000000-0000-4000-8000-000000000002".into(),
            members: vec!["a1b2c3d4-0009-4000-8000-000000000009".into()],
            ..group
        };
        assert_eq!(d.create_group(unknown, &cause()).unwrap_err().status, 400);
        assert!(!d.groups.contains_key("c0000000-0000-4000-8000-000000000002"));
    }
}

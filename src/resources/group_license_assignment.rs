//! `entra_group_license_assignment`: licence SKUs assigned to one group, with their
//! disabled plans.
//!
//! Graph calls:
//! - Plan: `GET /subscribedSkus` once per provider process (names resolved, validated and
//!   diffed against the tenant); for a new SKU on a known group, `GET /groups/{id}/members`
//!   for the seat forecast.
//! - Create/Update: `GET /groups/{id}?$select=…` then one `POST /groups/{id}/assignLicense`
//!   computed by [`license_change`]; nothing is sent when nothing changed. Then, with
//!   `wait_for_processing`, `GET /groups/{id}` until `ProcessingComplete`, and
//!   `GET /groups/{id}/membersWithLicenseErrors`.
//! - Read: `GET /groups/{id}?$select=…`, one request (a refresh of N resources costs N + 1).
//! - Delete: `GET /groups/{id}` then `POST assignLicense` removing exactly the managed SKUs.
//! - Import: `GET /groups/{id}` and `GET /subscribedSkus`.
//!
//! The rules (resolution, the one body per apply, whether anything is sent, waiting) live
//! in [`crate::licensing`]; this file maps them onto the schema. Every write holds the
//! tenant's lock for the group (several resources may manage different SKUs of one group
//! when `exclusive = false`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;

use crate::diagnostics::{self, count, graph_error, graph_warning, group_not_found};
use crate::graph::models::{Group, SubscribedSku};
use crate::licensing::catalog::{self, LicenseRequest, ResolvedLicense, find_sku, key_for, plan_names};
use crate::licensing::change::{Licenses, Managed, current_licenses, license_change, sends_nothing};
use crate::licensing::processing::{self, Waited};
use crate::licensing::{Guid, Tenant, seats};
use crate::model;
use crate::tfplugin::timeouts::{self, Operation, Timeouts};
use crate::tfplugin::{
    Attr, Attribute, AttributePath, Context, Diagnostic, Diagnostics, IdentityAttribute, IdentitySchema, Nesting,
    PlanRequest, PlannedChange, ReadOutcome, Resource, Schema, SetOf, Type, UpdateRequest,
};

/// How long create, update and delete wait for processing unless `timeouts` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// At most this many member errors are kept in state.
const MEMBER_ERROR_LIMIT: usize = 100;

/// The resource.
pub struct GroupLicenseAssignment;

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

fn schema() -> Schema {
    Schema::new(
        "Assigns licence SKUs to a group (group-based licensing), with the service plans to switch off. Several SKUs per resource, named by part number or GUID, validated against the tenant's subscribed SKUs at plan time. A change of disabled plans is an in-place update: members never lose the licence.",
        vec![
            Attribute::string("id").computed().use_state_for_unknown().description("The group's object ID."),
            Attribute::string("group_id")
                .required()
                .requires_replace()
                .description("Object ID of a security group, or of a Microsoft 365 group with `securityEnabled = true`. Changing it replaces the resource."),
            Attribute::nested(
                "licenses",
                Nesting::Map,
                vec![
                    Attribute::new("disabled_plans", Type::set(Type::String))
                        .optional()
                        .description("Service plans to switch off, by `servicePlanName` or `servicePlanId`."),
                    Attribute::new("enabled_plans", Type::set(Type::String)).optional().description(
                        "An allow-list instead: every other plan of the SKU is switched off, including plans Microsoft adds later. Conflicts with `disabled_plans`.",
                    ),
                ],
            )
            .required()
            .description("The licences, keyed by the SKU's part number (e.g. `SPE_E5`) or its SKU ID (GUID)."),
            Attribute::bool("exclusive")
                .optional()
                .description("When `true`, SKUs on the group that are not listed in `licenses` are removed. Default `false`: other SKUs are left alone."),
            Attribute::bool("wait_for_processing").optional().description(
                "Wait until the group's licence processing is complete, then report member licence errors (default `true`).",
            ),
            Attribute::new("effective_licenses", <Attr<BTreeMap<String, EffectiveLicense>> as crate::tfplugin::TfType>::tf_type()).computed().description(
                "Per key of `licenses`: the resolved `sku_id`, `sku_part_number` and `disabled_plan_ids`, exactly what is sent to Graph.",
            ),
            Attribute::string("license_processing_state")
                .computed()
                .description("The group's `licenseProcessingState` after the last apply (`ProcessingComplete` once every member is processed)."),
            Attribute::number("members_with_license_errors")
                .computed()
                .description("How many members had licence errors from this group after the last apply."),
            Attribute::new("member_license_errors", <Vec<MemberLicenseError> as crate::tfplugin::TfType>::tf_type()).computed().description(
                "Up to 100 member licence errors after the last apply: `user_id`, `user_principal_name`, `sku_id`, `error` (CountViolation, MutuallyExclusiveViolation, DependencyViolation, ProhibitedInUsageLocationViolation, UniquenessViolation, Other).",
            ),
        ],
    )
    .with_blocks(vec![timeouts::block("licence processing", "15m")])
}

// ---------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------

model! {
    /// The resource's state, plan and configuration.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct GroupLicenseAssignmentModel {
        /// The group's ID (computed).
        pub id: Attr<String>,
        /// The group.
        pub group_id: Attr<String>,
        /// The licences as written, by SKU key.
        pub licenses: Attr<BTreeMap<String, LicenseConfig>>,
        /// Remove unlisted SKUs.
        pub exclusive: Attr<bool>,
        /// Wait for processing after a change.
        pub wait_for_processing: Attr<bool>,
        /// The licences resolved, by the same keys.
        pub effective_licenses: Attr<BTreeMap<String, EffectiveLicense>>,
        /// After the last apply.
        pub license_processing_state: Attr<String>,
        /// After the last apply.
        pub members_with_license_errors: Attr<i64>,
        /// After the last apply.
        pub member_license_errors: Attr<Vec<MemberLicenseError>>,
        /// Waiting limits.
        pub timeouts: Attr<Timeouts>,
    }
}

model! {
    /// One licence as written.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct LicenseConfig {
        /// Plans to switch off.
        pub disabled_plans: Attr<SetOf<String>>,
        /// Plans to keep.
        pub enabled_plans: Attr<SetOf<String>>,
    }
}

model! {
    /// One licence as sent to Graph.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct EffectiveLicense {
        /// The SKU.
        pub sku_id: String,
        /// Its part number.
        pub sku_part_number: String,
        /// The plans switched off.
        pub disabled_plan_ids: SetOf<String>,
    }
}

model! {
    /// A member the group's licences could not be given to.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct MemberLicenseError {
        /// The user.
        pub user_id: String,
        /// The user's UPN.
        pub user_principal_name: String,
        /// The SKU in error.
        pub sku_id: String,
        /// Graph's error code.
        pub error: String,
    }
}

model! {
    /// The resource's identity (Terraform 1.12+).
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct GroupIdentity {
        /// The group.
        pub group_id: Attr<String>,
    }
}

impl GroupLicenseAssignmentModel {
    /// The licences as written, or `None` while any part is unknown.
    fn license_requests(&self) -> Option<BTreeMap<String, LicenseRequest>> {
        let known_list = |list: &Attr<SetOf<String>>| match list {
            Attr::Unknown => None,
            Attr::Null => Some(None),
            Attr::Known(items) => Some(Some(items.0.clone())),
        };
        self.licenses
            .known()?
            .iter()
            .map(|(key, license)| {
                let request = LicenseRequest {
                    disabled: known_list(&license.disabled_plans)?,
                    enabled: known_list(&license.enabled_plans)?,
                };
                Some((key.clone(), request))
            })
            .collect()
    }

    /// What this state manages, from `effective_licenses` (empty while unknown).
    fn managed(&self) -> Managed {
        let licenses = self
            .effective_licenses
            .known()
            .into_iter()
            .flatten()
            .filter_map(|(_, e)| {
                let plans = e.disabled_plan_ids.0.iter().filter_map(|p| Guid::parse(p)).collect();
                Some((Guid::parse(&e.sku_id)?, plans))
            })
            .collect();
        Managed {
            licenses,
            exclusive: self.exclusive.known() == Some(&true),
        }
    }

    fn timeout(&self, operation: Operation) -> Duration {
        Timeouts::limit(&self.timeouts, operation, DEFAULT_TIMEOUT)
    }
}

fn effective(resolved: &BTreeMap<String, ResolvedLicense>) -> BTreeMap<String, EffectiveLicense> {
    resolved
        .iter()
        .map(|(key, r)| {
            let license = EffectiveLicense {
                sku_id: r.sku_id.to_string(),
                sku_part_number: r.sku_part_number.clone(),
                disabled_plan_ids: SetOf(r.disabled_plan_ids.iter().map(Guid::to_string).collect()),
            };
            (key.clone(), license)
        })
        .collect()
}

/// A licence written as a person would: disabled plans by name.
fn license_config(sku: Option<&SubscribedSku>, disabled: &BTreeSet<Guid>) -> LicenseConfig {
    LicenseConfig {
        disabled_plans: Attr::Known(SetOf(plan_names(sku, disabled))),
        enabled_plans: Attr::Null,
    }
}

/// The state that describes the group's licences as they are, keeping the user's keys for
/// SKUs still present, so that the next plan shows exactly what changed outside Terraform.
fn describe(
    mut state: GroupLicenseAssignmentModel,
    actual: &Licenses,
    skus: &[SubscribedSku],
) -> GroupLicenseAssignmentModel {
    let managed = state.managed();
    let mut licenses = state.licenses.into_known().unwrap_or_default();
    let mut effective = state.effective_licenses.into_known().unwrap_or_default();
    for (key, item) in effective.clone() {
        let Some(sku) = Guid::parse(&item.sku_id) else { continue };
        match actual.get(&sku) {
            None => {
                licenses.remove(&key);
                effective.remove(&key);
            }
            Some(plans) if managed.licenses.get(&sku) != Some(plans) => {
                licenses.insert(key.clone(), license_config(find_sku(sku.as_str(), skus), plans));
                let ids = SetOf(plans.iter().map(Guid::to_string).collect());
                effective.insert(
                    key,
                    EffectiveLicense {
                        disabled_plan_ids: ids,
                        ..item
                    },
                );
            }
            Some(_) => {}
        }
    }
    if managed.exclusive {
        for (sku, plans) in actual.iter().filter(|(sku, _)| !managed.licenses.contains_key(*sku)) {
            let key = key_for(sku, skus);
            licenses.insert(key.clone(), license_config(find_sku(sku.as_str(), skus), plans));
            let license = EffectiveLicense {
                sku_id: sku.to_string(),
                sku_part_number: key.clone(),
                disabled_plan_ids: SetOf(plans.iter().map(Guid::to_string).collect()),
            };
            effective.insert(key, license);
        }
    }
    state.licenses = Attr::Known(licenses);
    state.effective_licenses = Attr::Known(effective);
    state
}

// ---------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------

/// Warns, per new licence, when the group's members would not fit in the free seats.
async fn seat_forecast(
    ctx: &Context,
    tenant: &Tenant,
    group_id: &str,
    new: &[(&String, &ResolvedLicense)],
    skus: &[SubscribedSku],
    diags: &mut Diagnostics,
) {
    let members = match tenant.graph.members_with_licenses(&ctx.cancel, group_id).await {
        Ok(members) => members,
        Err(e) if e.is_not_found() => return diags.push(group_not_found(group_id)),
        Err(e) => return diags.push(graph_warning("Unable to Forecast Seats", &e)),
    };
    for (key, license) in new {
        let Some(sku) = find_sku(license.sku_id.as_str(), skus) else {
            continue;
        };
        if let Some(short) = seats::shortfall(&members, sku) {
            diags.attribute_warning(
                AttributePath::attr("licenses").key(*key),
                "Not Enough Seats",
                format!(
                    "{} of the group would newly consume {}, but only {} of its {} seats are free: the others will get CountViolation errors until seats are added and they are reprocessed.",
                    count(short.newcomers, "member"),
                    sku.sku_part_number,
                    short.free,
                    short.seats
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Apply
// ---------------------------------------------------------------------------------------

async fn current_group(
    ctx: &Context,
    tenant: &Tenant,
    group_id: &str,
    diags: &mut Diagnostics,
) -> Option<Option<Group>> {
    match tenant.graph.group(&ctx.cancel, group_id).await {
        Ok(group) => Some(group),
        Err(e) => {
            diags.push(graph_error("Unable to Read Group", &e));
            None
        }
    }
}

/// Waits for processing (when asked), then records the processing state and member errors.
async fn after_apply(
    ctx: &Context,
    tenant: &Tenant,
    group_id: &Guid,
    operation: Operation,
    state: &mut GroupLicenseAssignmentModel,
    diags: &mut Diagnostics,
) {
    let wait = state.wait_for_processing.known() != Some(&false);
    let limit = state.timeout(operation);
    let processing = processing::wait_for_processing(&tenant.graph, &ctx.cancel, group_id, wait, limit).await;
    match &processing.waited {
        Waited::ReadFailed(e) => diags.push(graph_error("Unable to Read License Processing State", e)),
        Waited::TimedOut => diags.warning(
            "License Processing Not Finished",
            format!(
                "The licences are assigned, but the group's members were still being processed ({}) when the {} timeout ran out. Member licence errors are not reported yet; the next apply or the entra_group_licenses data source shows them.",
                processing.state,
                operation.name()
            ),
        ),
        Waited::Settled | Waited::Cancelled | Waited::GroupGone => {}
    }
    let mut found = processing::MemberErrors::default();
    if processing.is_complete() {
        match processing::member_errors(&tenant.graph, &ctx.cancel, group_id, MEMBER_ERROR_LIMIT).await {
            Ok(errors) => found = errors,
            Err(e) => diags.push(graph_warning("Unable to Read Member License Errors", &e)),
        }
    }
    if found.members_in_error > 0 {
        let skus = tenant.subscribed_skus(&ctx.cancel).await.unwrap_or_default();
        let sample: Vec<String> = found
            .errors
            .iter()
            .take(5)
            .map(|e| {
                let who = if e.user_principal_name.is_empty() {
                    &e.user_id
                } else {
                    &e.user_principal_name
                };
                let sku = Guid::parse(&e.sku_id).map_or_else(|| e.sku_id.clone(), |id| key_for(&id, &skus));
                format!("{who} ({sku}): {}", e.error)
            })
            .collect();
        diags.warning(
            "Members With License Errors",
            format!(
                "{} of group {group_id} could not get this group's licences, for example:\n{}\n\nA group's licences are given to a member all or none, so one SKU short of seats also holds back the member's other SKUs from this group. Fix the cause (free seats for CountViolation, conflicting plans, usage location), then reprocess them, for example with entra_user_license_reprocess.",
                count(found.members_in_error, "member"),
                sample.join("\n")
            ),
        );
    }
    state.license_processing_state = Attr::Known(processing.state);
    state.members_with_license_errors = Attr::Known(i64::try_from(found.members_in_error).unwrap_or(i64::MAX));
    state.member_license_errors = Attr::Known(
        found
            .errors
            .into_iter()
            .map(|e| MemberLicenseError {
                user_id: e.user_id,
                user_principal_name: e.user_principal_name,
                sku_id: e.sku_id,
                error: e.error,
            })
            .collect(),
    );
}

/// The shared create/update path: lock, read, one call, wait, record.
async fn apply(
    ctx: &Context,
    tenant: &Tenant,
    managed_before: BTreeSet<Guid>,
    mut state: GroupLicenseAssignmentModel,
    operation: Operation,
    diags: &mut Diagnostics,
) -> Option<GroupLicenseAssignmentModel> {
    let group_text = state.group_id.known()?.clone();
    let group_id = Guid::parse(&group_text)?;
    let lock = tenant.group_lock(&group_id);
    let _guard = lock.lock().await;
    let Some(current) = current_group(ctx, tenant, &group_text, diags).await? else {
        diags.push(group_not_found(&group_text));
        return None;
    };
    let current = current_licenses(&current.assigned_licenses);
    if let Some(change) = license_change(&managed_before, &state.managed(), &current) {
        tracing::debug!(%group_id, add = change.add.len(), remove = change.remove.len(), "assignLicense");
        if let Err(e) = tenant
            .graph
            .assign_group_licenses(&ctx.cancel, &group_text, &change.add, &change.remove)
            .await
        {
            diags.push(graph_error("Unable to Assign Licenses", &e));
            return None;
        }
    }
    state.id = state.group_id.clone();
    after_apply(ctx, tenant, &group_id, operation, &mut state, diags).await;
    Some(state)
}

// ---------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------

type Model = GroupLicenseAssignmentModel;

/// Computed values that only an apply changes.
fn keep_after_apply_values(planned: &mut Model, prior: &Model) {
    planned.license_processing_state = prior.license_processing_state.clone();
    planned.members_with_license_errors = prior.members_with_license_errors.clone();
    planned.member_license_errors = prior.member_license_errors.clone();
}

fn unknown_after_apply_values(planned: &mut Model) {
    planned.license_processing_state = Attr::Unknown;
    planned.members_with_license_errors = Attr::Unknown;
    planned.member_license_errors = Attr::Unknown;
}

#[async_trait]
impl Resource<Tenant> for GroupLicenseAssignment {
    type Model = Model;
    type Identity = GroupIdentity;

    fn type_name(&self) -> &'static str {
        "entra_group_license_assignment"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![IdentityAttribute {
                name: "group_id".into(),
                ty: Type::String,
                required_for_import: true,
                description: "The group's object ID.".into(),
            }],
        })
    }

    fn identity(&self, state: &Model) -> Option<GroupIdentity> {
        let group_id = state.group_id.known()?.clone();
        Some(GroupIdentity {
            group_id: Attr::Known(group_id),
        })
    }

    async fn validate(&self, _ctx: &Context, config: &Model, diags: &mut Diagnostics) {
        if let Some(group_id) = config.group_id.known()
            && Guid::parse(group_id).is_none()
        {
            diags.attribute_error(
                AttributePath::attr("group_id"),
                "Invalid Group ID",
                format!("{group_id:?} is not a group object ID (a GUID such as 1132b215-826f-42a9-8cfe-1643d19d17fd). To find a group by name, use the entra_group data source."),
            );
        }
        if let Some(licenses) = config.licenses.known() {
            if licenses.is_empty() {
                diags.attribute_error(
                    AttributePath::attr("licenses"),
                    "No Licenses",
                    "List at least one licence; to remove every licence, destroy the resource.",
                );
            }
            for (key, license) in licenses {
                let path = AttributePath::attr("licenses").key(key);
                if Guid::is_malformed(key) {
                    diags.attribute_error(
                        path.clone(),
                        "Malformed SKU ID",
                        format!("{key:?} looks like a SKU ID but is not a valid GUID."),
                    );
                }
                if license.disabled_plans.known().is_some() && license.enabled_plans.known().is_some() {
                    diags.attribute_error(
                        path.clone(),
                        "Conflicting Plan Lists",
                        "Set disabled_plans or enabled_plans, not both: enabled_plans already disables every plan it does not list.",
                    );
                }
                for (attribute, list) in [
                    ("disabled_plans", &license.disabled_plans),
                    ("enabled_plans", &license.enabled_plans),
                ] {
                    for plan in list.known().map(|l| l.0.as_slice()).unwrap_or_default() {
                        if Guid::is_malformed(plan) {
                            diags.attribute_error(
                                path.attribute(attribute),
                                "Malformed Service Plan ID",
                                format!("{plan:?} looks like a service plan ID but is not a valid GUID."),
                            );
                        }
                    }
                }
            }
        }
        Timeouts::validate(&config.timeouts, diags);
    }

    async fn plan(
        &self,
        ctx: &Context,
        tenant: Option<&Tenant>,
        request: &PlanRequest<Model>,
        change: &mut PlannedChange<Model>,
        diags: &mut Diagnostics,
    ) {
        let planned = &mut change.planned;
        if request.config.group_id.known().is_some() {
            planned.id = request.config.group_id.clone();
        }
        let (Some(requests), Some(tenant)) = (request.config.license_requests(), tenant) else {
            planned.effective_licenses = Attr::Unknown;
            return;
        };
        let skus = match tenant.subscribed_skus(&ctx.cancel).await {
            Ok(skus) => skus,
            Err(e) => return diags.push(diagnostics::subscribed_skus_unreadable(&e)),
        };
        let resolution = catalog::resolve(&requests, &skus);
        diags.extend(
            resolution
                .problems
                .iter()
                .map(|(key, p)| diagnostics::license_problem(key, p)),
        );
        let Some(resolved) = resolution.complete() else {
            return;
        };
        planned.effective_licenses = Attr::Known(effective(resolved));
        let wanted = planned.managed();
        let before = request.prior.as_ref().map(Model::managed);
        match (&request.prior, &before) {
            (Some(prior), Some(before)) if sends_nothing(before, &wanted) => {
                // Same SKUs and plans, perhaps spelled differently: keep what is in state.
                planned.effective_licenses = prior.effective_licenses.clone();
                keep_after_apply_values(planned, prior);
            }
            _ => unknown_after_apply_values(planned),
        }
        let new: Vec<(&String, &ResolvedLicense)> = resolved
            .iter()
            .filter(|(_, r)| !before.as_ref().is_some_and(|b| b.licenses.contains_key(&r.sku_id)))
            .collect();
        if let (false, Some(group_id)) = (new.is_empty(), request.config.group_id.known()) {
            seat_forecast(ctx, tenant, group_id, &new, &skus, diags).await;
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        tenant: &Tenant,
        planned: Model,
        _config: Model,
        diags: &mut Diagnostics,
    ) -> Option<Model> {
        apply(ctx, tenant, BTreeSet::new(), planned, Operation::Create, diags).await
    }

    async fn read(&self, ctx: &Context, tenant: &Tenant, state: Model, diags: &mut Diagnostics) -> ReadOutcome<Model> {
        let Some(group_id) = state.group_id.known().cloned() else {
            return ReadOutcome::Found(state);
        };
        let group = match tenant.graph.group(&ctx.cancel, &group_id).await {
            Ok(Some(group)) => group,
            Ok(None) => return ReadOutcome::Gone,
            Err(e) => {
                diags.push(graph_error("Unable to Read Group", &e));
                return ReadOutcome::Found(state);
            }
        };
        let actual = current_licenses(&group.assigned_licenses);
        let managed = state.managed();
        let drifted = managed
            .licenses
            .iter()
            .any(|(sku, plans)| actual.get(sku) != Some(plans))
            || (managed.exclusive && actual.keys().any(|sku| !managed.licenses.contains_key(sku)));
        if !drifted {
            return ReadOutcome::Found(state);
        }
        match tenant.subscribed_skus(&ctx.cancel).await {
            Ok(skus) => ReadOutcome::Found(describe(state, &actual, &skus)),
            Err(e) => {
                diags.push(diagnostics::subscribed_skus_unreadable(&e));
                ReadOutcome::Found(state)
            }
        }
    }

    async fn update(
        &self,
        ctx: &Context,
        tenant: &Tenant,
        request: UpdateRequest<Model>,
        diags: &mut Diagnostics,
    ) -> Option<Model> {
        let before = request.prior.managed();
        if sends_nothing(&before, &request.planned.managed()) {
            // Only the spelling changed (names vs IDs, disabled vs enabled lists): nothing
            // to send; the computed values are as planned, i.e. as before.
            return Some(request.planned);
        }
        let managed_before = before.licenses.into_keys().collect();
        match apply(ctx, tenant, managed_before, request.planned, Operation::Update, diags).await {
            Some(state) => Some(state),
            // Nothing was changed in the tenant: keep the prior state.
            None => Some(request.prior),
        }
    }

    async fn delete(&self, ctx: &Context, tenant: &Tenant, prior: Model, diags: &mut Diagnostics) {
        let Some(group_text) = prior.group_id.known() else {
            return;
        };
        let Some(group_id) = Guid::parse(group_text) else {
            return;
        };
        let managed: BTreeSet<Guid> = prior.managed().licenses.into_keys().collect();
        let lock = tenant.group_lock(&group_id);
        let _guard = lock.lock().await;
        let Some(Some(group)) = current_group(ctx, tenant, group_text, diags).await else {
            return;
        };
        let current = current_licenses(&group.assigned_licenses);
        let Some(change) = license_change(&managed, &Managed::default(), &current) else {
            return;
        };
        match tenant
            .graph
            .assign_group_licenses(&ctx.cancel, group_text, &[], &change.remove)
            .await
        {
            Err(e) if !e.is_not_found() => diags.push(graph_error("Unable to Remove Licenses", &e)),
            _ => {}
        }
    }

    async fn import(&self, ctx: &Context, tenant: &Tenant, id: &str, diags: &mut Diagnostics) -> Option<Model> {
        let Some(group_id) = Guid::parse(id) else {
            diags.error(
                "Invalid Import ID",
                format!("{id:?} is not a group object ID. Import with the group's ID: terraform import entra_group_license_assignment.NAME <group-id>"),
            );
            return None;
        };
        let Some(group) = current_group(ctx, tenant, group_id.as_str(), diags).await? else {
            // Importing has no configuration to point at.
            diags.push(Diagnostic {
                path: None,
                ..group_not_found(group_id.as_str())
            });
            return None;
        };
        let skus = match tenant.subscribed_skus(&ctx.cancel).await {
            Ok(skus) => skus,
            Err(e) => {
                diags.push(diagnostics::subscribed_skus_unreadable(&e));
                return None;
            }
        };
        let mut licenses = BTreeMap::new();
        let mut resolved = BTreeMap::new();
        for (sku_id, disabled_plan_ids) in current_licenses(&group.assigned_licenses) {
            let key = key_for(&sku_id, &skus);
            licenses.insert(
                key.clone(),
                license_config(find_sku(sku_id.as_str(), &skus), &disabled_plan_ids),
            );
            let license = ResolvedLicense {
                sku_id,
                sku_part_number: key.clone(),
                disabled_plan_ids,
            };
            resolved.insert(key, license);
        }
        let mut state = Model {
            id: Attr::Known(group.id.clone()),
            group_id: Attr::Known(group.id.clone()),
            licenses: Attr::Known(licenses),
            effective_licenses: Attr::Known(effective(&resolved)),
            wait_for_processing: Attr::Known(false),
            ..Model::default()
        };
        after_apply(ctx, tenant, &group_id, Operation::Create, &mut state, diags).await;
        state.wait_for_processing = Attr::Null;
        Some(state)
    }

    async fn import_identity(
        &self,
        ctx: &Context,
        tenant: &Tenant,
        identity: GroupIdentity,
        diags: &mut Diagnostics,
    ) -> Option<Model> {
        let group_id = identity.group_id.into_known().unwrap_or_default();
        self.import(ctx, tenant, &group_id, diags).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::licensing::catalog::tests::{E5, TEAMS, YAMMER, skus};
    use crate::tfplugin::TfType;

    #[test]
    fn the_model_is_the_schema() {
        assert_eq!(Model::tf_type(), schema().implied_type().without_optional_markers());
        assert_eq!(
            GroupIdentity::tf_type(),
            GroupLicenseAssignment.identity_schema().unwrap().implied_type()
        );
    }

    fn licenses(entries: &[(&str, &str, &[&str])]) -> Licenses {
        entries
            .iter()
            .map(|(_, sku, plans)| {
                (
                    Guid::parse(sku).unwrap(),
                    plans.iter().map(|p| Guid::parse(p).unwrap()).collect(),
                )
            })
            .collect()
    }

    fn state_with(entries: &[(&str, &str, &[&str])], exclusive: bool) -> Model {
        let resolved: BTreeMap<String, ResolvedLicense> = entries
            .iter()
            .zip(licenses(entries))
            .map(|((key, _, _), (sku_id, disabled_plan_ids))| {
                let license = ResolvedLicense {
                    sku_id,
                    sku_part_number: (*key).to_owned(),
                    disabled_plan_ids,
                };
                ((*key).to_owned(), license)
            })
            .collect();
        let configs = resolved
            .iter()
            .map(|(k, r)| (k.clone(), license_config(None, &r.disabled_plan_ids)))
            .collect();
        Model {
            group_id: Attr::Known("g".into()),
            licenses: Attr::Known(configs),
            exclusive: Attr::Known(exclusive),
            effective_licenses: Attr::Known(effective(&resolved)),
            ..Model::default()
        }
    }

    #[test]
    fn drift_is_described_with_the_users_keys_and_plan_names() {
        const E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
        let state = state_with(&[("SPE_E5", E5, &[YAMMER])], true);
        // The portal disabled Teams as well, and added E3.
        let actual = licenses(&[("", E5, &[YAMMER, TEAMS]), ("", E3, &[])]);
        let described = describe(state, &actual, &skus());
        let licenses = described.licenses.known().unwrap();
        assert_eq!(
            licenses["SPE_E5"].disabled_plans,
            Attr::Known(SetOf(vec!["TEAMS1".into(), "YAMMER_ENTERPRISE".into()]))
        );
        assert!(
            licenses.contains_key("SPE_E3"),
            "exclusive: the unlisted SKU shows by part number"
        );
        assert_eq!(described.managed().licenses, actual);
        // A SKU removed outside Terraform leaves the state.
        let gone = describe(state_with(&[("SPE_E5", E5, &[])], false), &Licenses::new(), &skus());
        assert!(gone.licenses.known().unwrap().is_empty());
    }

    #[test]
    fn partly_unknown_licenses_are_not_requests_yet() {
        let mut model = state_with(&[("SPE_E5", E5, &[])], false);
        assert!(model.license_requests().is_some());
        if let Attr::Known(licenses) = &mut model.licenses {
            licenses.get_mut("SPE_E5").unwrap().enabled_plans = Attr::Unknown;
        }
        assert_eq!(model.license_requests(), None);
    }
}

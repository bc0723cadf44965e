//! `entra_group_license_assignment`: licence SKUs assigned to one group, with their
//! disabled plans.
//!
//! Graph calls:
//! - Plan, when the apply will send something: `GET /subscribedSkus` once per provider
//!   process (names resolved, validated and diffed against the tenant) and one `$batch`
//!   holding `GET /groups/{id}` (can it hold licences, what it holds now: the continuity
//!   check) and the member counts (`$count` advanced queries: user members, nested groups,
//!   and per new SKU the members holding it already), so a plan costs 2 requests whatever
//!   the size of the group. A plan that sends nothing makes no request.
//! - Create/Update: one `POST /groups/{id}/assignLicense` computed by [`license_change`]
//!   against a fresh `GET /groups/{id}` (a create that removes nothing needs no read: its
//!   body is the planned licences); nothing is sent when nothing changed. Then `GET /groups/{id}`
//!   until the change shows in two reads in a row (Graph is eventually consistent) and,
//!   with `wait_for_processing`, processing is complete; then the members with licence
//!   errors (one page of `membersWithLicenseErrors`, the first 100 kept).
//! - Read: `GET /groups/{id}?$select=…`, one request (a refresh of N resources costs N + 1);
//!   a 404 is read again 2 s later before the resource leaves state (a lagging replica
//!   answers 404 too).
//! - Destroy plan (Terraform 1.3+ asks the provider): the same `$batch` review, to warn
//!   which enabled service plans the members lose.
//! - Delete: `GET /groups/{id}`, `POST assignLicense` removing exactly the managed SKUs,
//!   then reads until the removal shows, so that deleting the group next succeeds. A
//!   removal not seen within `timeouts.delete` is a warning and the resource leaves state:
//!   kept, the next apply would remove the SKUs again, even from a resource that manages
//!   them by then.
//! - Import: `GET /groups/{id}` and `GET /subscribedSkus`.
//! - Move (`moved` from `azuread_group_license`, Terraform 1.8+): no request; Terraform
//!   asks an unconfigured provider. The moved state names the SKU and plans by ID; the
//!   refresh that follows (`GET /groups/{id}`, `GET /subscribedSkus`) spells them as
//!   import does (part numbers, plan names), so a configuration written with names plans
//!   empty.
//!
//! Disabled plans Graph adds on its own (trial and "viral" SKUs disable more plans than
//! were sent) are recorded after the apply in `graph_disabled_plan_ids`: they are not
//! drift, so there is no perpetual diff and no "inconsistent result", while a plan that
//! changes outside Terraform beyond them still shows as drift.
//!
//! The rules (resolution, the one body per apply, whether anything is sent, waiting) live
//! in [`crate::licensing`]; this file maps them onto the schema. Every write holds the
//! tenant's lock for the group (several resources may manage different SKUs of one group
//! when `exclusive = false`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;

use crate::diagnostics::{self, OrDiagnostic, SUBSCRIBED_SKUS_UNREADABLE, graph_error, graph_warning, group_not_found};
use crate::graph::GraphError;
use crate::graph::models::{Group, SubscribedSku};
use crate::licensing::catalog::{LicenseRequest, ResolvedLicense};
use crate::licensing::change::{Licenses, Managed, as_managed, current_licenses, sends_nothing};
use crate::licensing::processing::{self, Expectation, Waited};
use crate::licensing::review::{self, Intended, Review};
use crate::licensing::tenant::Written;
use crate::licensing::{Guid, Tenant};
use crate::member_errors::{self, MemberLicenseError};
use crate::model;
use crate::resources::license_map::{
    self, EffectiveLicense, LicenseConfig, described, effective, effective_licenses_attribute, graph_added_record,
    license_config, licenses_attribute, same_guid, written_alike,
};
use crate::tfplugin::timeouts::{self, Operation, Timeouts};
use crate::tfplugin::{
    Attr, Attribute, Context, Diagnostic, Diagnostics, IdentityAttribute, IdentitySchema, MoveRequest, PlanRequest,
    PlannedChange, ReadOutcome, Resource, Schema, SetOf, TfType, Type, UpdateRequest,
};

/// How long create, update and delete wait for processing unless `timeouts` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// At most this many member errors are kept in state.
const MEMBER_ERROR_LIMIT: usize = 100;

/// What an interrupt after the write leaves unchecked on a group.
const MEMBERS_UNCHECKED: &str = "member processing and licence errors were not checked";

/// The resource.
pub struct GroupLicenseAssignment;

type Model = GroupLicenseAssignmentModel;

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
            licenses_attribute("group"),
            Attribute::bool("exclusive")
                .optional()
                .description("When `true`, SKUs on the group that are not listed in `licenses` are removed; the plan names them in a warning (its diff cannot show SKUs this resource did not manage). Default `false`: other SKUs are left alone."),
            Attribute::bool("wait_for_processing").optional().description(
                "Wait until the group's licence processing is complete, then report member licence errors (default `true`).",
            ),
            effective_licenses_attribute(),
            Attribute::new("graph_disabled_plan_ids", BTreeMap::<String, SetOf<String>>::tf_type())
                .computed()
                .description("Per key of `licenses`: service plan IDs that Graph disabled on its own in addition to `disabled_plan_ids` when the licence was assigned (trial and viral SKUs do this). They are not drift."),
            Attribute::string("license_processing_state")
                .computed()
                .description("The group's `licenseProcessingState` after the last apply (`ProcessingComplete` once every member is processed)."),
            Attribute::number("members_with_license_errors_count")
                .computed()
                .description("How many members had licence errors from this group after the last apply; null when they were not checked (processing not complete: `wait_for_processing = false`, the time limit, or an interrupt)."),
            Attribute::new("member_license_errors", Vec::<MemberLicenseError>::tf_type())
                .computed()
                .description(format!("Up to 100, after the last apply (null when not checked, as for the count). {}", member_errors::DESCRIPTION)),
        ],
    )
    .with_version(1)
    .with_blocks(vec![timeouts::block(
        "Time limits for waiting on licence processing, and on delete for the removal to show.",
        |op| match op {
            Operation::Delete => "the removal to show in Graph's reads (members are not waited for)",
            _ => "licence processing",
        },
        "15m",
    )])
}

// ---------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------

model! {
    /// The resource's state, plan and configuration; the fields are the schema's attributes.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct GroupLicenseAssignmentModel {
        pub id: Attr<String>,
        pub group_id: Attr<String>,
        pub licenses: Attr<BTreeMap<String, LicenseConfig>>,
        pub exclusive: Attr<bool>,
        pub wait_for_processing: Attr<bool>,
        pub effective_licenses: Attr<BTreeMap<String, EffectiveLicense>>,
        pub graph_disabled_plan_ids: Attr<BTreeMap<String, SetOf<String>>>,
        pub license_processing_state: Attr<String>,
        pub members_with_license_errors_count: Attr<i64>,
        pub member_license_errors: Attr<Vec<MemberLicenseError>>,
        pub timeouts: Attr<Timeouts>,
    }
}

model! {
    /// The resource's identity (Terraform 1.12+).
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct GroupIdentity {
        pub group_id: Attr<String>,
    }
}

impl GroupLicenseAssignmentModel {
    /// The licences as written, or `None` while any part is unknown.
    fn license_requests(&self) -> Option<BTreeMap<String, LicenseRequest>> {
        license_map::license_requests(&self.licenses)
    }

    /// The licences this state manages, by key, from `effective_licenses`.
    fn resolved(&self) -> BTreeMap<String, ResolvedLicense> {
        license_map::resolved(&self.effective_licenses)
    }

    /// What this state manages (nothing while `effective_licenses` is unknown).
    fn managed(&self) -> Managed {
        license_map::managed(&self.effective_licenses, &self.exclusive)
    }

    /// The SKUs this state manages.
    fn managed_skus(&self) -> BTreeSet<Guid> {
        license_map::managed_skus(&self.effective_licenses)
    }

    /// Per SKU, the plans Graph disabled on its own (see the module docs).
    fn graph_added(&self) -> Licenses {
        license_map::graph_added(&self.effective_licenses, &self.graph_disabled_plan_ids)
    }

    /// Records, per key, the plans `seen` disables beyond what this state sent.
    fn record_graph_added(&mut self, seen: &Licenses) {
        self.graph_disabled_plan_ids = graph_added_record(&self.effective_licenses, seen);
    }

    fn timeout(&self, operation: Operation) -> Duration {
        Timeouts::limit(&self.timeouts, operation, DEFAULT_TIMEOUT)
    }
}

/// Describes the group's licences as they are, in the user's keys, so that the next plan
/// shows exactly what changed outside Terraform. Licences whose plans did not change keep
/// their configuration as written; the others are written with plan names.
/// `graph_added` are the plans Graph disabled on its own: they stay out of `licenses`.
fn describe(mut state: Model, current: &Licenses, graph_added: &Licenses, skus: &[SubscribedSku]) -> Model {
    let exclusive = state.managed().exclusive;
    (state.licenses, state.effective_licenses, state.graph_disabled_plan_ids) = described(
        state.licenses,
        &state.effective_licenses,
        exclusive,
        current,
        graph_added,
        skus,
    );
    state
}

// ---------------------------------------------------------------------------------------
// Moving from azuread_group_license
// ---------------------------------------------------------------------------------------

/// The provider whose `azuread_group_license` a `moved` block may name as its source.
/// azuread's address in the public registry (any registry host is accepted).
const AZUREAD: &str = "registry.terraform.io/hashicorp/azuread";
/// The resource type accepted from it.
const AZUREAD_GROUP_LICENSE: &str = "azuread_group_license";
/// Its schema versions this provider reads (azuread 3.x writes 0).
const AZUREAD_GROUP_LICENSE_VERSIONS: &[i64] = &[0];

/// An `azuread_group_license` state (`id` = `{groupObjectId}/license/{skuId}`,
/// `group_object_id`, `sku_id`, `disabled_plans`, `timeouts`) as this resource's state: one
/// licence keyed by its SKU ID, disabled plans by ID, other SKUs of the group left alone
/// (`exclusive` unset, as azuread's resource was not authoritative). Names are unknown
/// until the refresh that follows ([`respelled`]).
fn from_azuread_group_license(request: &MoveRequest) -> Result<Model, String> {
    if request.source_type_name != AZUREAD_GROUP_LICENSE {
        return Err(format!(
            "entra_group_license_assignment can take over {AZUREAD_GROUP_LICENSE} of {AZUREAD} only, not {:?}. Import the group instead: terraform import entra_group_license_assignment.NAME <group-id>.",
            request.source_type_name
        ));
    }
    // Any registry host (OpenTofu's names the same provider registry.opentofu.org/…).
    if !request
        .source_provider_address
        .rsplit_once('/')
        .is_some_and(|(namespace, kind)| namespace.ends_with("/hashicorp") && kind == "azuread")
    {
        return Err(format!(
            "{AZUREAD_GROUP_LICENSE} is accepted from {AZUREAD} only, not from {:?}.",
            request.source_provider_address
        ));
    }
    if !AZUREAD_GROUP_LICENSE_VERSIONS.contains(&request.source_schema_version) {
        return Err(format!(
            "The {AZUREAD_GROUP_LICENSE} state has schema version {}, and this provider reads version 0 (azuread 3.x). Remove it from state (terraform state rm) and import the group instead.",
            request.source_schema_version
        ));
    }
    let state: serde_json::Value = serde_json::from_slice(&request.source_state_json)
        .map_err(|e| format!("The {AZUREAD_GROUP_LICENSE} state is not JSON: {e}."))?;
    let id = state["id"].as_str().unwrap_or_default();
    let malformed = || {
        format!(
            "The {AZUREAD_GROUP_LICENSE} ID {id:?} is not of the form {{groupObjectId}}/license/{{skuId}}, with two GUIDs."
        )
    };
    let (group, sku) = id.split_once("/license/").ok_or_else(malformed)?;
    let (group, sku) = (
        Guid::parse(group).ok_or_else(malformed)?,
        Guid::parse(sku).ok_or_else(malformed)?,
    );
    for (attribute, expected) in [("group_object_id", &group), ("sku_id", &sku)] {
        if let Some(value) = state[attribute].as_str()
            && Guid::parse(value).as_ref() != Some(expected)
        {
            return Err(format!(
                "The {AZUREAD_GROUP_LICENSE} state's {attribute} {value:?} does not match its ID {id:?}."
            ));
        }
    }
    let mut disabled = BTreeSet::new();
    for plan in state["disabled_plans"].as_array().into_iter().flatten() {
        let text = plan.as_str().unwrap_or_default();
        disabled.insert(Guid::parse(text).ok_or_else(|| {
            format!("The {AZUREAD_GROUP_LICENSE} state's disabled_plans holds {plan}, which is not a service plan ID.")
        })?);
    }
    let key = sku.to_string();
    let resolved = BTreeMap::from([(
        key.clone(),
        ResolvedLicense {
            sku_id: sku,
            sku_part_number: String::new(),
            disabled_plan_ids: disabled.clone(),
        },
    )]);
    let ids = SetOf(disabled.iter().map(Guid::to_string).collect());
    Ok(Model {
        id: Attr::Known(group.to_string()),
        group_id: Attr::Known(group.to_string()),
        licenses: Attr::Known(BTreeMap::from([(key.clone(), license_config(None, &disabled))])),
        exclusive: Attr::Null,
        wait_for_processing: Attr::Null,
        effective_licenses: Attr::Known(
            resolved
                .iter()
                .map(|(k, r)| {
                    let license = EffectiveLicense {
                        sku_id: r.sku_id.to_string(),
                        sku_part_number: String::new(),
                        disabled_plan_ids: ids.clone(),
                        disabled_plans: ids.clone(),
                    };
                    (k.clone(), license)
                })
                .collect(),
        ),
        graph_disabled_plan_ids: Attr::Known(BTreeMap::from([(key, SetOf(Vec::new()))])),
        license_processing_state: Attr::Known(String::new()),
        members_with_license_errors_count: Attr::Known(0),
        member_license_errors: Attr::Known(Vec::new()),
        timeouts: Attr::Null,
    })
}

impl GroupLicenseAssignmentModel {
    /// True for a state a move wrote: SKUs known by ID only (every state this resource
    /// writes otherwise records each SKU's part number).
    fn spelled_by_id(&self) -> bool {
        self.effective_licenses
            .known()
            .is_some_and(|e| e.values().any(|l| l.sku_part_number.is_empty()))
    }
}

/// A moved state spelled as import spells it: each SKU under its part number, disabled
/// plans by name, `effective_licenses` with names (`describe` of the managed licences with
/// nothing managed before). SKUs the tenant does not list keep their ID.
fn respelled(state: Model, skus: &[SubscribedSku]) -> Model {
    let (managed, exclusive) = (state.managed().licenses, state.exclusive.clone());
    let nothing_managed = Model {
        licenses: Attr::Known(BTreeMap::new()),
        effective_licenses: Attr::Known(BTreeMap::new()),
        exclusive: Attr::Known(true),
        ..state
    };
    Model {
        exclusive,
        ..describe(nothing_managed, &managed, &Licenses::new(), skus)
    }
}

/// Everything `group` holds, as import writes it (and the list resource shows it): keyed
/// by part number, plans by name (`describe` with nothing managed), the processing state
/// as read, member errors not read yet (null).
pub(crate) fn imported_state(group: &Group, skus: &[SubscribedSku]) -> Model {
    let nothing_managed = Model {
        effective_licenses: Attr::Known(BTreeMap::new()),
        exclusive: Attr::Known(true),
        ..Model::default()
    };
    let held = current_licenses(&group.assigned_licenses);
    let mut state = describe(nothing_managed, &held, &Licenses::new(), skus);
    let id = group.id.to_ascii_lowercase();
    state.id = Attr::Known(id.clone());
    state.group_id = Attr::Known(id);
    state.exclusive = Attr::Null;
    state.license_processing_state = Attr::Known(
        group
            .license_processing_state
            .as_ref()
            .and_then(|p| p.state.clone())
            .unwrap_or_default(),
    );
    state
}

// ---------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------

/// The plan-time review of a change (see [`review`]), as diagnostics.
async fn check_group(ctx: &Context, tenant: &Tenant, group_id: &str, intended: &Intended<'_>, diags: &mut Diagnostics) {
    let findings = match review::review(&tenant.graph, &ctx.cancel, group_id, intended).await {
        Review::GroupNotFound => return diags.push(group_not_found(group_id)),
        Review::Unreadable(e) => return diags.push(graph_warning("Unable to Check the Group", &e)),
        Review::Ineligible { name, why } => {
            return diags.push(diagnostics::group_cannot_hold_licenses(group_id, name.as_deref(), &why));
        }
        Review::Reviewed(findings) => findings,
    };
    match &findings.counts {
        Ok(counts) if counts.groups > 0 => diags.push(diagnostics::nested_groups(counts.groups)),
        Ok(_) => {}
        Err(e) => diags.push(graph_warning("Unable to Count the Group's Members", e)),
    }
    for (key, sku, short) in &findings.shortfalls {
        diags.push(diagnostics::not_enough_seats(key, sku, short));
    }
    if !findings.unlisted_removed.is_empty() {
        diags.push(diagnostics::unlisted_licenses_removed(
            "group",
            &findings.unlisted_removed,
            intended.skus,
        ));
    }
    if !findings.lost.is_empty() {
        let users = findings.counts.as_ref().ok().map(|c| c.users);
        diags.push(diagnostics::plans_taken_away(&findings.lost, users));
    }
}

// ---------------------------------------------------------------------------------------
// Apply
// ---------------------------------------------------------------------------------------

/// Waits until the write shows (and, when asked, processing is complete), then records
/// the processing state, what Graph disabled on its own, and the member errors.
async fn after_apply(
    ctx: &Context,
    tenant: &Tenant,
    group_id: &Guid,
    operation: Operation,
    expected: Option<&Expectation>,
    state: &mut Model,
    diags: &mut Diagnostics,
) {
    let wait = state.wait_for_processing.known() != Some(&false);
    let limit = state.timeout(operation);
    let processing =
        processing::wait_after_write(&tenant.graph, &ctx.cancel, group_id, expected, wait, true, limit).await;
    state.license_processing_state = Attr::Known(processing.state.clone());
    // Null until the member errors are read: "not checked" must not read as "none".
    state.members_with_license_errors_count = Attr::Null;
    state.member_license_errors = Attr::Null;
    match (&processing.seen, expected) {
        (Some(seen), Some(_)) => state.record_graph_added(seen),
        _ => state.record_graph_added(&Licenses::new()),
    }
    // The licences are written: from here on nothing fails the apply. An error would taint
    // the resource, and replacing it would take the licences away from every member; what
    // cannot be confirmed is a warning, and the state records the write.
    let unconfirmed = |summary: &str, e: &GraphError| match operation {
        Operation::Import => graph_warning(summary, e),
        _ => diagnostics::unconfirmed_after_write(summary, e),
    };
    match &processing.waited {
        Waited::Cancelled if operation == Operation::Import => return,
        Waited::Cancelled => {
            return diags.push(diagnostics::interrupted_after_write(
                operation.name(),
                MEMBERS_UNCHECKED,
            ));
        }
        Waited::ReadFailed(e) => diags.push(unconfirmed("Unable to Read License Processing State", e)),
        Waited::NotVisible => diags.push(diagnostics::not_yet_visible(operation.name())),
        Waited::TimedOut => diags.push(diagnostics::processing_not_finished(
            &processing.state,
            operation.name(),
        )),
        Waited::Settled | Waited::GroupGone => {}
    }
    if !processing.is_complete() {
        return;
    }
    // The last read brought the first page along; a page it could not read is read again.
    let first = processing.first_errors.clone();
    let found = match processing::member_errors(&tenant.graph, &ctx.cancel, group_id, MEMBER_ERROR_LIMIT, first).await {
        Ok(found) => found,
        Err(GraphError::Cancelled) if operation == Operation::Import => return,
        Err(GraphError::Cancelled) => {
            return diags.push(diagnostics::interrupted_after_write(
                operation.name(),
                MEMBERS_UNCHECKED,
            ));
        }
        Err(e) => return diags.push(unconfirmed("Unable to Read Member License Errors", &e)),
    };
    let skus = tenant.subscribed_skus(&ctx.cancel).await.unwrap_or_default();
    let errors: Vec<MemberLicenseError> = found
        .errors
        .into_iter()
        .map(|e| MemberLicenseError::new(e, &skus))
        .collect();
    if found.members_in_error > 0 {
        let group = group_id.as_str();
        diags.push(diagnostics::members_with_license_errors(
            group,
            found.members_in_error,
            &errors,
        ));
    }
    state.members_with_license_errors_count = Attr::Known(i64::try_from(found.members_in_error).unwrap_or(i64::MAX));
    state.member_license_errors = Attr::Known(errors);
}

async fn current_group(
    ctx: &Context,
    tenant: &Tenant,
    group_id: &str,
    diags: &mut Diagnostics,
) -> Option<Option<Group>> {
    tenant
        .graph
        .group(&ctx.cancel, group_id)
        .await
        .or_diagnostic("Unable to Read Group", diags)
}

/// The shared create/update path (`before`: the prior state of an update): one write,
/// then wait and record.
async fn apply(
    ctx: &Context,
    tenant: &Tenant,
    before: Option<&Model>,
    mut state: Model,
    operation: Operation,
    diags: &mut Diagnostics,
) -> Option<Model> {
    let group_id = state.group_id.known()?.clone();
    let planned = state.managed();
    let managed_before: BTreeSet<Guid> = before.map(|b| b.managed_skus()).unwrap_or_default();
    let graph_added = before.map(Model::graph_added).unwrap_or_default();
    let removed = match tenant
        .write(&ctx.cancel, &group_id, &managed_before, &graph_added, &planned)
        .await
    {
        Written::Done(removed) => removed,
        Written::Gone => {
            diags.push(group_not_found(&group_id));
            return None;
        }
        Written::Unreadable(e) => {
            diags.push(graph_error("Unable to Read Group", &e));
            return None;
        }
        Written::Refused(e) => {
            let skus = tenant.subscribed_skus(&ctx.cancel).await.unwrap_or_default();
            let keys: Vec<(Guid, String)> = state.resolved().into_iter().map(|(k, l)| (l.sku_id, k)).collect();
            diags.push(diagnostics::assign_failed(&e, &keys, &skus));
            return None;
        }
    };
    state.id = state.group_id.clone();
    let expected = Expectation {
        planned: planned.licenses,
        removed,
    };
    after_apply(
        ctx,
        tenant,
        &Guid::parse(&group_id)?,
        operation,
        Some(&expected),
        &mut state,
        diags,
    )
    .await;
    Some(state)
}

// ---------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------

/// Computed values that only an apply changes.
fn keep_after_apply_values(planned: &mut Model, prior: &Model) {
    planned.graph_disabled_plan_ids = prior.graph_disabled_plan_ids.clone();
    planned.license_processing_state = prior.license_processing_state.clone();
    planned.members_with_license_errors_count = prior.members_with_license_errors_count.clone();
    planned.member_license_errors = prior.member_license_errors.clone();
}

fn unknown_after_apply_values(planned: &mut Model) {
    planned.graph_disabled_plan_ids = Attr::Unknown;
    planned.license_processing_state = Attr::Unknown;
    planned.members_with_license_errors_count = Attr::Unknown;
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

    fn renamed_attributes(&self) -> &'static [(i64, &'static [(&'static str, &'static str)])] {
        &[(
            1,
            &[("members_with_license_errors", "members_with_license_errors_count")],
        )]
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
            diags.push(diagnostics::invalid_group_id(group_id));
        }
        license_map::validate_licenses(&config.licenses, "group", diags);
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
        if let Some(prior) = &request.prior
            && same_guid(&prior.group_id, &request.config.group_id)
        {
            // The same group written in another letter case (azuread keeps the user's
            // case; import and move write Graph's): not a replacement. Terraform accepts
            // the prior value as equivalent to the configuration.
            planned.group_id = prior.group_id.clone();
        }
        if planned.group_id.known().is_some() {
            planned.id = planned.group_id.clone();
        }
        let (Some(requests), Some(tenant)) = (request.config.license_requests(), tenant) else {
            planned.effective_licenses = Attr::Unknown;
            return;
        };
        let Some((skus, resolved)) = license_map::resolve(ctx, tenant, &requests, diags).await else {
            return;
        };
        planned.effective_licenses = Attr::Known(effective(&resolved, &skus));
        let wanted = planned.managed();
        let before = request.prior.as_ref().map(Model::managed);
        // With `exclusive` unknown, the apply may remove more than this plan can show: it
        // says so, and it never plans "nothing to send".
        let exclusive_unknown = request.config.exclusive.is_unknown();
        if exclusive_unknown {
            diags.push(diagnostics::exclusive_unknown("group"));
        }
        if let (Some(prior), Some(before)) = (&request.prior, &before)
            && before.licenses == wanted.licenses
        {
            // Same SKUs and plans, perhaps spelled differently: keep what is in state. Decided
            // on the licences alone, so that the plan with `exclusive` unknown and the
            // apply-time plan with it known agree.
            planned.effective_licenses = prior.effective_licenses.clone();
            if written_alike(&prior.licenses, &request.config.licenses) {
                // `"SKU" = {}` and `{ disabled_plans = [] }`: Terraform accepts the prior
                // value of the whole attribute as equivalent, so the plan is empty.
                planned.licenses = prior.licenses.clone();
            }
            if !exclusive_unknown && sends_nothing(before, &wanted) {
                return keep_after_apply_values(planned, prior);
            }
        }
        unknown_after_apply_values(planned);
        let managed_before: BTreeSet<Guid> = before.map(|b| b.licenses.into_keys().collect()).unwrap_or_default();
        if let Some(group_id) = request.config.group_id.known() {
            let intended = Intended {
                managed_before: &managed_before,
                wanted: &wanted,
                resolved: &resolved,
                skus: &skus,
            };
            check_group(ctx, tenant, group_id, &intended, diags).await;
        }
    }

    /// A destroy takes the managed SKUs away from every member: the plan says which
    /// enabled plans they lose (the same review as any plan that sends something). A group
    /// that is gone or cannot hold licences has nothing to lose and nothing to say.
    async fn plan_destroy(&self, ctx: &Context, tenant: Option<&Tenant>, prior: &Model, diags: &mut Diagnostics) {
        let (Some(tenant), Some(group_id)) = (tenant, prior.group_id.known()) else {
            return;
        };
        let managed_before: BTreeSet<Guid> = prior.managed_skus();
        if managed_before.is_empty() {
            return;
        }
        let skus = match tenant.subscribed_skus(&ctx.cancel).await {
            Ok(skus) => skus,
            Err(e) => return diags.push(graph_warning("Unable to Check the Group", &e)),
        };
        let intended = Intended {
            managed_before: &managed_before,
            wanted: &Managed::default(),
            resolved: &BTreeMap::new(),
            skus: &skus,
        };
        match review::review(&tenant.graph, &ctx.cancel, group_id, &intended).await {
            Review::Reviewed(findings) if !findings.lost.is_empty() => {
                let users = findings.counts.as_ref().ok().map(|c| c.users);
                diags.push(diagnostics::plans_taken_away(&findings.lost, users));
            }
            Review::Unreadable(e) => diags.push(graph_warning("Unable to Check the Group", &e)),
            Review::Reviewed(_) | Review::GroupNotFound | Review::Ineligible { .. } => {}
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
        apply(ctx, tenant, None, planned, Operation::Create, diags).await
    }

    async fn read(&self, ctx: &Context, tenant: &Tenant, state: Model, diags: &mut Diagnostics) -> ReadOutcome<Model> {
        let Some(group_id) = state.group_id.known().cloned() else {
            return ReadOutcome::Found(state);
        };
        let group = match tenant.group_unless_gone(&ctx.cancel, &group_id).await {
            Ok(Some(group)) => group,
            Ok(None) => return ReadOutcome::Gone,
            Err(e) => {
                diags.push(graph_error("Unable to Read Group", &e));
                return ReadOutcome::Found(state);
            }
        };
        let mut state = state;
        if state.spelled_by_id() {
            // Moved from azuread_group_license: spell it as import does, once.
            if let Some(skus) = tenant
                .subscribed_skus(&ctx.cancel)
                .await
                .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)
            {
                state = respelled(state, &skus);
            }
            if let Some(processing) = group.license_processing_state.as_ref().and_then(|p| p.state.clone()) {
                state.license_processing_state = Attr::Known(processing);
            }
        }
        let actual = current_licenses(&group.assigned_licenses);
        let added = state.graph_added();
        let drifted = !as_managed(&actual, &state.managed(), &added);
        if !drifted {
            return ReadOutcome::Found(state);
        }
        match tenant
            .subscribed_skus(&ctx.cancel)
            .await
            .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)
        {
            // Graph's own additions are not the administrator's change: describe without them.
            Some(skus) => ReadOutcome::Found(describe(state, &actual, &added, &skus)),
            None => ReadOutcome::Found(state),
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
        match apply(
            ctx,
            tenant,
            Some(&request.prior),
            request.planned,
            Operation::Update,
            diags,
        )
        .await
        {
            Some(state) => Some(state),
            // Nothing was changed in the tenant: keep the prior state.
            None => Some(request.prior),
        }
    }

    async fn delete(&self, ctx: &Context, tenant: &Tenant, prior: Model, diags: &mut Diagnostics) {
        let Some(group_id) = prior.group_id.known() else {
            return;
        };
        let managed: BTreeSet<Guid> = prior.managed_skus();
        // A group that is gone holds no licences: nothing left to remove.
        let removed = match tenant
            .write(
                &ctx.cancel,
                group_id,
                &managed,
                &prior.graph_added(),
                &Managed::default(),
            )
            .await
        {
            Written::Done(removed) => removed,
            Written::Refused(e) => return diags.push(graph_error("Unable to Remove Licenses", &e)),
            Written::Unreadable(e) => return diags.push(graph_error("Unable to Read Group", &e)),
            Written::Gone => return,
        };
        // Return only once the removal shows, so that deleting the group next succeeds.
        let expected = Expectation {
            planned: Licenses::new(),
            removed,
        };
        let (Some(guid), limit) = (Guid::parse(group_id), prior.timeout(Operation::Delete)) else {
            return;
        };
        let seen =
            processing::wait_after_write(&tenant.graph, &ctx.cancel, &guid, Some(&expected), false, false, limit).await;
        // Unconfirmed, a warning, and the resource leaves state: kept, the next apply would
        // remove the SKUs again, even if another resource manages them by then.
        match seen.waited {
            Waited::NotVisible => diags.push(diagnostics::removal_unconfirmed(None)),
            Waited::ReadFailed(e) => diags.push(diagnostics::removal_unconfirmed(Some(&e))),
            Waited::Cancelled => diags.push(diagnostics::interrupted_after_write(
                "delete",
                "the reads that confirm the removal were not made",
            )),
            Waited::Settled | Waited::TimedOut | Waited::GroupGone => {}
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
        let skus = tenant
            .subscribed_skus(&ctx.cancel)
            .await
            .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)?;
        let mut state = imported_state(&group, &skus);
        state.wait_for_processing = Attr::Known(false);
        after_apply(ctx, tenant, &group_id, Operation::Import, None, &mut state, diags).await;
        state.wait_for_processing = Attr::Null;
        Some(state)
    }

    async fn move_state(&self, _ctx: &Context, request: MoveRequest, diags: &mut Diagnostics) -> Option<Model> {
        match from_azuread_group_license(&request) {
            Ok(state) => Some(state),
            Err(detail) => {
                diags.error("Cannot Move Resource State", detail);
                None
            }
        }
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

    #[test]
    fn the_model_is_the_schema() {
        assert_eq!(Model::tf_type(), schema().implied_type().without_optional_markers());
        let identity = GroupLicenseAssignment.identity_schema().unwrap();
        assert_eq!(GroupIdentity::tf_type(), identity.implied_type());
    }

    fn guids(ids: &[&str]) -> BTreeSet<Guid> {
        ids.iter().map(|p| Guid::parse(p).unwrap()).collect()
    }

    /// A state managing E5 under the key `my-e5`, with `disabled` plans.
    fn managing_e5(disabled: &[&str], exclusive: bool) -> Model {
        let resolved = ResolvedLicense {
            sku_id: Guid::parse(E5).unwrap(),
            sku_part_number: "SPE_E5".into(),
            disabled_plan_ids: guids(disabled),
        };
        let config = LicenseConfig {
            enabled_plans: Attr::Known(SetOf(vec!["TEAMS1".into()])),
            ..LicenseConfig::default()
        };
        Model {
            licenses: Attr::Known(BTreeMap::from([("my-e5".to_owned(), config)])),
            exclusive: Attr::Known(exclusive),
            effective_licenses: Attr::Known(effective(&BTreeMap::from([("my-e5".to_owned(), resolved)]), &skus())),
            ..Model::default()
        }
    }

    #[test]
    fn drift_is_described_in_the_users_keys_with_plan_names() {
        const E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
        let e5 = Guid::parse(E5).unwrap();
        // As managed: the configuration as written stays.
        let as_managed = Licenses::from([(e5.clone(), guids(&[YAMMER]))]);
        let same = describe(managing_e5(&[YAMMER], false), &as_managed, &Licenses::new(), &skus());
        let expected = managing_e5(&[YAMMER], false);
        assert_eq!(
            (&same.licenses, &same.effective_licenses),
            (&expected.licenses, &expected.effective_licenses)
        );
        let nothing_added = BTreeMap::from([("my-e5".to_owned(), SetOf(vec![]))]);
        assert_eq!(same.graph_disabled_plan_ids, Attr::Known(nothing_added));
        // Graph disabled Teams on its own: not drift, and recorded as Graph's.
        let teams = Licenses::from([(e5.clone(), guids(&[TEAMS]))]);
        let with_graphs = Licenses::from([(e5.clone(), guids(&[YAMMER, TEAMS]))]);
        let own = describe(managing_e5(&[YAMMER], false), &with_graphs, &teams, &skus());
        assert_eq!(own.licenses, expected.licenses, "the user's configuration stays");
        let teams_added = BTreeMap::from([("my-e5".to_owned(), SetOf(vec![TEAMS.to_owned()]))]);
        assert_eq!(own.graph_disabled_plan_ids, Attr::Known(teams_added));
        // The portal disabled Teams as well, and added E3.
        let drifted = Licenses::from([(e5, guids(&[YAMMER, TEAMS])), (Guid::parse(E3).unwrap(), guids(&[]))]);
        let described = describe(managing_e5(&[YAMMER], true), &drifted, &Licenses::new(), &skus());
        let licenses = described.licenses.known().unwrap();
        let names = SetOf(vec!["TEAMS1".into(), "YAMMER_ENTERPRISE".into()]);
        assert_eq!(licenses["my-e5"].disabled_plans, Attr::Known(names));
        assert!(
            licenses.contains_key("SPE_E3"),
            "exclusive: the unlisted SKU shows by part number"
        );
        assert_eq!(described.managed().licenses, drifted);
    }

    #[test]
    fn left_out_and_empty_disabled_plans_are_written_alike() {
        let written = |disabled: Attr<SetOf<String>>, enabled: Attr<SetOf<String>>| {
            let license = LicenseConfig {
                disabled_plans: disabled,
                enabled_plans: enabled,
            };
            Attr::Known(BTreeMap::from([("SPE_E5".to_owned(), license)]))
        };
        let list = |items: &[&str]| Attr::Known(SetOf(items.iter().map(|p| (*p).to_owned()).collect()));
        let left_out = written(Attr::Null, Attr::Null);
        let empty = written(list(&[]), Attr::Null);
        assert!(written_alike(&left_out, &empty));
        assert!(written_alike(&empty, &left_out));
        assert!(written_alike(&left_out, &left_out));
        let yammer = written(list(&["YAMMER_ENTERPRISE"]), Attr::Null);
        assert!(written_alike(&yammer, &yammer));
        assert!(!written_alike(&left_out, &yammer), "another plan list is a change");
        assert!(
            !written_alike(&yammer, &written(list(&[YAMMER]), Attr::Null)),
            "a plan by ID instead of name is another spelling, shown"
        );
        assert!(
            !written_alike(&left_out, &written(Attr::Null, list(&[]))),
            "enabled_plans = [] disables everything: never like a left-out list"
        );
        assert!(!written_alike(&left_out, &written(Attr::Unknown, Attr::Null)));
        let other_key = Attr::Known(BTreeMap::from([(E5.to_owned(), LicenseConfig::default())]));
        assert!(!written_alike(&left_out, &other_key), "keys must match");
        assert!(!written_alike(&Attr::Null, &left_out));
    }

    fn azuread(type_name: &str, version: i64, state: serde_json::Value) -> MoveRequest {
        MoveRequest {
            source_provider_address: AZUREAD.into(),
            source_type_name: type_name.into(),
            source_schema_version: version,
            source_state_json: serde_json::to_vec(&state).unwrap(),
        }
    }

    const GROUP: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";

    #[test]
    fn an_azuread_group_license_moves_without_graph_and_refresh_spells_it_with_names() {
        let state = serde_json::json!({
            "id": format!("{GROUP}/license/{}", E5.to_uppercase()),
            "group_object_id": GROUP,
            "sku_id": E5,
            "disabled_plans": [YAMMER],
            "timeouts": null,
        });
        let moved = from_azuread_group_license(&azuread("azuread_group_license", 0, state)).unwrap();
        assert_eq!(moved.group_id, Attr::Known(GROUP.into()));
        assert!(moved.spelled_by_id());
        let licenses = moved.licenses.known().unwrap();
        assert_eq!(licenses[E5].disabled_plans, Attr::Known(SetOf(vec![YAMMER.to_owned()])));
        assert_eq!(
            moved.managed().licenses,
            Licenses::from([(Guid::parse(E5).unwrap(), guids(&[YAMMER]))])
        );
        assert!(
            !moved.managed().exclusive,
            "azuread left other SKUs alone; so does the moved state"
        );

        let spelled = respelled(moved.clone(), &skus());
        assert!(!spelled.spelled_by_id());
        let licenses = spelled.licenses.known().unwrap();
        assert_eq!(
            licenses["SPE_E5"].disabled_plans,
            Attr::Known(SetOf(vec!["YAMMER_ENTERPRISE".into()]))
        );
        assert_eq!(
            spelled.effective_licenses.known().unwrap()["SPE_E5"].sku_part_number,
            "SPE_E5"
        );
        assert_eq!(
            spelled.managed(),
            moved.managed(),
            "the same licences, spelled differently"
        );

        let none_disabled = serde_json::json!({"id": format!("{GROUP}/license/{E5}"), "disabled_plans": []});
        let moved = from_azuread_group_license(&azuread("azuread_group_license", 0, none_disabled)).unwrap();
        let spelled = respelled(moved, &skus());
        assert_eq!(
            spelled.licenses.known().unwrap()["SPE_E5"],
            LicenseConfig::default(),
            "written as {{}}"
        );
    }

    #[test]
    fn what_cannot_be_moved_is_an_error_naming_the_value() {
        let good = serde_json::json!({"id": format!("{GROUP}/license/{E5}")});
        let cases = [
            (azuread("azuread_group", 0, good.clone()), "\"azuread_group\""),
            (azuread("azuread_group_license", 1, good.clone()), "schema version 1"),
            (
                MoveRequest {
                    source_provider_address: "registry.terraform.io/example/azuread".into(),
                    ..azuread("azuread_group_license", 0, good.clone())
                },
                "\"registry.terraform.io/example/azuread\"",
            ),
            (
                azuread("azuread_group_license", 0, serde_json::json!({"id": GROUP})),
                &format!("{GROUP:?}"),
            ),
            (
                azuread(
                    "azuread_group_license",
                    0,
                    serde_json::json!({"id": format!("{GROUP}/license/SPE_E5")}),
                ),
                "/license/SPE_E5\"",
            ),
            (
                azuread(
                    "azuread_group_license",
                    0,
                    serde_json::json!({"id": format!("{GROUP}/license/{E5}"), "sku_id": TEAMS}),
                ),
                TEAMS,
            ),
            (
                azuread(
                    "azuread_group_license",
                    0,
                    serde_json::json!({"id": format!("{GROUP}/license/{E5}"), "disabled_plans": ["TEAMS1"]}),
                ),
                "\"TEAMS1\"",
            ),
        ];
        for (request, named) in cases {
            let error = from_azuread_group_license(&request).unwrap_err();
            assert!(error.contains(named), "{named} in {error}");
        }
    }

    #[test]
    fn partly_unknown_licenses_are_not_requests_yet() {
        let mut model = managing_e5(&[], false);
        assert!(model.license_requests().is_some());
        if let Attr::Known(licenses) = &mut model.licenses {
            licenses.get_mut("my-e5").unwrap().enabled_plans = Attr::Unknown;
        }
        assert_eq!(model.license_requests(), None);
    }
}

//! `entra_user_license_assignment`: the licences assigned *directly* to one user, with
//! their disabled plans.
//!
//! Licences the user inherits from groups are out of this resource's reach: they are not
//! read as drift, never removed, never counted as managed (Graph refuses to remove them
//! from a user anyway). Direct and inherited licences are told apart by
//! `licenseAssignmentStates` (see [`crate::licensing::direct`]).
//!
//! Graph calls:
//! - Plan, when the apply will send something: `GET /subscribedSkus` once per provider
//!   process (names resolved and validated against the tenant), and `GET /users/{id}`:
//!   the user exists, has a usage location (Graph refuses direct assignment without one),
//!   each SKU it does not hold yet has a free seat (a direct assignment needs one now, so
//!   too few seats is an error here, not a warning as for groups), and which enabled
//!   plans the change takes away. A plan that sends nothing makes no request beyond the
//!   SKU list.
//! - Create/Update: `GET /users/{id}` (the direct licences now: drift, what exists to
//!   remove), one `POST /users/{id}/assignLicense`, which Graph answers synchronously,
//!   then `GET /users/{id}` until the change shows.
//! - Delete: the same read and `POST`, and no confirming read: Graph made the removal when
//!   it answered, and nothing waits on it (a user can be deleted while licensed, unlike a
//!   group).
//! - Destroy plan (Terraform 1.3+ asks the provider): `GET /users/{id}`, to warn which
//!   enabled plans the user loses.
//! - Read: `GET /users/{id}`, one request; a 404 is read again 2 s later before the
//!   resource leaves state (a lagging replica answers 404 too). Import: the same read and
//!   the SKU list.
//!
//! `user_id` takes an object ID or a user principal name; `id` is always the object ID.
//! Changing `user_id` replaces the resource unless both name the same user (an ID written
//! as the UPN, or the reverse): that is a change of spelling, and sends nothing.
//!
//! Some SKUs make Graph disable plans on its own (trial and "viral" SKUs); those plans are
//! recorded in `graph_disabled_plan_ids` and are not drift, as for groups.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;

use crate::diagnostics::{self, OrDiagnostic, SUBSCRIBED_SKUS_UNREADABLE, graph_error};
use crate::graph::GraphError;
use crate::graph::models::{SubscribedSku, User};
use crate::licensing::catalog::{ResolvedLicense, find_sku};
use crate::licensing::change::{
    Licenses, Managed, after_change, as_managed, current_licenses, license_change, sends_nothing, shows,
    unlisted_removals,
};
use crate::licensing::continuity::lost_plans;
use crate::licensing::direct::{direct_licenses, served_with};
use crate::licensing::guid::is_user_principal_name;
use crate::licensing::seats::shortfall;
use crate::licensing::tenant::Written;
use crate::licensing::{Guid, Tenant};
use crate::model;
use crate::resources::license_map::{
    self, EffectiveLicense, LicenseConfig, described, effective, effective_licenses_attribute, graph_added_record,
    license_requests, licenses_attribute, same_guid, written_alike,
};
use crate::tfplugin::{
    Attr, Attribute, AttributePath, Context, Diagnostic, Diagnostics, IdentityAttribute, IdentitySchema, PlanRequest,
    PlannedChange, ReadOutcome, Resource, Schema, SetOf, TfType, Type, UpdateRequest,
};

/// Reads of the user after a write before the change is reported as not yet visible.
const CONFIRMING_READS: u32 = 6;
/// The first pause between those reads; it doubles each time.
const FIRST_PAUSE: Duration = Duration::from_millis(250);

/// The resource.
pub struct UserLicenseAssignment;

type Model = UserLicenseAssignmentModel;

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

fn schema() -> Schema {
    Schema::new(
        "Assigns licence SKUs directly to one user, with the service plans to switch off. Several SKUs per resource, named by part number or GUID, validated against the tenant at plan time (SKU, plans, the user's usage location, a free seat). Licences the user inherits from groups are never read as drift nor removed. A change of disabled plans is an in-place update.",
        vec![
            Attribute::string("id").computed().use_state_for_unknown().description("The user's object ID."),
            Attribute::string("user_id").required().description(
                "The user: object ID or user principal name. Changing it to another user replaces the resource; writing the same user the other way does not.",
            ),
            licenses_attribute("user"),
            Attribute::bool("exclusive").optional().description(
                "When `true`, licences assigned directly to the user that are not listed in `licenses` are removed; the plan names them in a warning. Inherited licences are never touched. Default `false`.",
            ),
            effective_licenses_attribute(),
            Attribute::new("graph_disabled_plan_ids", BTreeMap::<String, SetOf<String>>::tf_type())
                .computed()
                .description("Per key of `licenses`: service plan IDs that Graph disabled on its own in addition to `disabled_plan_ids` (trial and viral SKUs do this). They are not drift."),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------

model! {
    /// The resource's state, plan and configuration; the fields are the schema's attributes.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct UserLicenseAssignmentModel {
        pub id: Attr<String>,
        pub user_id: Attr<String>,
        pub licenses: Attr<BTreeMap<String, LicenseConfig>>,
        pub exclusive: Attr<bool>,
        pub effective_licenses: Attr<BTreeMap<String, EffectiveLicense>>,
        pub graph_disabled_plan_ids: Attr<BTreeMap<String, SetOf<String>>>,
    }
}

model! {
    /// The resource's identity (Terraform 1.12+): the user's object ID.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct UserIdentity {
        pub user_id: Attr<String>,
    }
}

impl UserLicenseAssignmentModel {
    fn managed(&self) -> Managed {
        license_map::managed(&self.effective_licenses, &self.exclusive)
    }

    /// The SKUs this state manages.
    fn managed_skus(&self) -> BTreeSet<Guid> {
        license_map::managed_skus(&self.effective_licenses)
    }

    /// How Graph is asked about the user: by object ID once known.
    fn user_key(&self) -> Option<&String> {
        self.id.known().or_else(|| self.user_id.known())
    }

    /// Per SKU, the plans Graph disabled on its own.
    fn graph_added(&self) -> Licenses {
        license_map::graph_added(&self.effective_licenses, &self.graph_disabled_plan_ids)
    }

    /// Records, per key, the plans `seen` disables beyond what this state sent.
    fn record_graph_added(&mut self, seen: &Licenses) {
        self.graph_disabled_plan_ids = graph_added_record(&self.effective_licenses, seen);
    }

    /// The user's direct licences written into this state, in its own keys.
    fn describe(mut self, direct: &Licenses, skus: &[SubscribedSku]) -> Self {
        let (exclusive, graph_added) = (self.managed().exclusive, self.graph_added());
        (self.licenses, self.effective_licenses, self.graph_disabled_plan_ids) = described(
            self.licenses,
            &self.effective_licenses,
            exclusive,
            direct,
            &graph_added,
            skus,
        );
        self
    }
}

fn display(user: &User) -> String {
    match &user.user_principal_name {
        Some(upn) => format!("{upn} ({})", user.id),
        None => user.id.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------

/// The plan-time checks against the user: it exists, it can receive direct licences
/// (usage location, a free seat per SKU it does not hold yet), and what it would lose.
fn check_user(
    user: &User,
    managed_before: &BTreeSet<Guid>,
    wanted: &Managed,
    resolved: &BTreeMap<String, ResolvedLicense>,
    skus: &[SubscribedSku],
    diags: &mut Diagnostics,
) {
    let current = direct_licenses(user);
    let Some(change) = license_change(managed_before, wanted, &current) else {
        return;
    };
    if !change.add.is_empty() && user.usage_location.as_deref().is_none_or(str::is_empty) {
        diags.push(diagnostics::no_usage_location(&display(user)));
    }
    // Held from any source, direct or inherited: such a SKU needs no new seat.
    let held = current_licenses(&user.assigned_licenses);
    for (key, license) in resolved {
        let newly_consumed = !held.contains_key(&license.sku_id)
            && change
                .add
                .iter()
                .any(|a| Guid::parse(&a.sku_id).as_ref() == Some(&license.sku_id));
        if let Some(sku) = find_sku(license.sku_id.as_str(), skus)
            && newly_consumed
            && shortfall(1, 0, sku).is_some()
        {
            diags.push(diagnostics::no_free_seat(key, sku));
        }
    }
    let lost = lost_plans(
        &served_with(user, &current),
        &served_with(user, &after_change(&current, &change)),
        skus,
    );
    let unlisted = unlisted_removals(managed_before, &change);
    if !unlisted.is_empty() {
        diags.push(diagnostics::unlisted_licenses_removed(
            "user's direct licences",
            &unlisted,
            skus,
        ));
    }
    if !lost.is_empty() {
        diags.push(diagnostics::user_loses_plans(&lost, &display(user)));
    }
}

// ---------------------------------------------------------------------------------------
// Apply
// ---------------------------------------------------------------------------------------

/// Reads the user until its direct licences show the write; a change not yet visible is a
/// warning, never a failure (Graph made it).
async fn confirm(ctx: &Context, tenant: &Tenant, state: &mut Model, removed: &BTreeSet<Guid>, diags: &mut Diagnostics) {
    let Some(key) = state.user_key().cloned() else { return };
    let planned = state.managed();
    let interrupted = || diagnostics::interrupted_after_write("apply", "the read that confirms it was not made");
    let mut pause = FIRST_PAUSE;
    for attempt in 1..=CONFIRMING_READS {
        match tenant.graph.user(&ctx.cancel, &key).await {
            Ok(Some(user)) => {
                state.id = Attr::Known(user.id.clone());
                let direct = direct_licenses(&user);
                // Each planned SKU with at least its plans disabled (Graph may add its own),
                // and the removed ones gone: as for groups.
                if shows(&direct, &planned.licenses, removed) {
                    return state.record_graph_added(&direct);
                }
            }
            Ok(None) => {}
            Err(GraphError::Cancelled) => return diags.push(interrupted()),
            Err(e) => return diags.push(diagnostics::unconfirmed_after_write("Unable to Read User", &e)),
        }
        if attempt < CONFIRMING_READS {
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = ctx.cancel.cancelled() => return diags.push(interrupted()),
            }
            pause *= 2;
        }
    }
    diags.push(diagnostics::not_yet_visible("apply"));
}

/// The shared create/update path (`before`: the prior state of an update): one write,
/// then confirm.
async fn apply(
    ctx: &Context,
    tenant: &Tenant,
    before: Option<&Model>,
    mut state: Model,
    diags: &mut Diagnostics,
) -> Option<Model> {
    let key = state.user_key()?.clone();
    let managed_before: BTreeSet<Guid> = before.map(|b| b.managed_skus()).unwrap_or_default();
    let graph_added = before.map(Model::graph_added).unwrap_or_default();
    let (written, object_id) = tenant
        .write_direct(&ctx.cancel, &key, &managed_before, &graph_added, &state.managed())
        .await;
    if let Some(object_id) = object_id {
        state.id = Attr::Known(object_id);
    }
    let removed = match written {
        Written::Done(removed) => removed,
        Written::Gone => {
            diags.push(diagnostics::assignee_not_found(&key));
            return None;
        }
        Written::Unreadable(e) => {
            diags.push(graph_error("Unable to Read User", &e));
            return None;
        }
        Written::Refused(e) => {
            diags.push(graph_error("Unable to Assign Licenses", &e).at(AttributePath::attr("licenses")));
            return None;
        }
    };
    state.graph_disabled_plan_ids = Attr::Known(BTreeMap::new());
    confirm(ctx, tenant, &mut state, &removed, diags).await;
    Some(state)
}

/// Whether `planned.user_id`, known only now, names the user `prior` manages; an error
/// otherwise (the plan could not tell, so it planned an update rather than a replacement,
/// which would have removed the licences first).
async fn same_user(ctx: &Context, tenant: &Tenant, prior: &Model, planned: &Model, diags: &mut Diagnostics) -> bool {
    let (Some(user_id), Some(managed)) = (planned.user_id.known(), prior.id.known()) else {
        return true;
    };
    match tenant.graph.user(&ctx.cancel, user_id).await {
        Ok(Some(user)) if &user.id == managed => true,
        Ok(Some(user)) => {
            diags.push(diagnostics::another_user(user_id, &user.id, managed));
            false
        }
        Ok(None) => {
            diags.push(diagnostics::assignee_not_found(user_id));
            false
        }
        Err(e) => {
            diags.push(diagnostics::user_unverifiable(&e));
            false
        }
    }
}

// ---------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------

#[async_trait]
impl Resource<Tenant> for UserLicenseAssignment {
    type Model = Model;
    type Identity = UserIdentity;

    fn type_name(&self) -> &'static str {
        "entra_user_license_assignment"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![IdentityAttribute {
                name: "user_id".into(),
                ty: Type::String,
                required_for_import: true,
                description: "The user's object ID.".into(),
            }],
        })
    }

    fn identity(&self, state: &Model) -> Option<UserIdentity> {
        Some(UserIdentity {
            user_id: Attr::Known(state.id.known()?.clone()),
        })
    }

    async fn validate(&self, _ctx: &Context, config: &Model, diags: &mut Diagnostics) {
        if let Some(user_id) = config.user_id.known()
            && Guid::parse(user_id).is_none()
            && !is_user_principal_name(user_id)
        {
            diags.push(diagnostics::invalid_user_id(user_id));
        }
        license_map::validate_licenses(&config.licenses, "user", diags);
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
        let (Some(requests), Some(tenant)) = (license_requests(&request.config.licenses), tenant) else {
            planned.effective_licenses = Attr::Unknown;
            return;
        };
        let Some((skus, resolved)) = license_map::resolve(ctx, tenant, &requests, diags).await else {
            return;
        };
        planned.effective_licenses = Attr::Known(effective(&resolved, &skus));
        let wanted = planned.managed();
        let prior = request.prior.as_ref();
        if let Some(prior) = prior
            && same_guid(&prior.user_id, &request.config.user_id)
        {
            // The same object ID in another letter case: not even a change of spelling.
            planned.user_id = prior.user_id.clone();
        }
        // With `exclusive` unknown, what the apply removes is not known yet: no checks, and
        // what Graph disables on its own is left to the apply.
        let exclusive_unknown = request.config.exclusive.is_unknown();
        if exclusive_unknown {
            diags.push(diagnostics::exclusive_unknown("user's direct licences"));
        }
        let renamed = prior.is_some_and(|p| p.user_id != planned.user_id);
        let sends = exclusive_unknown || prior.is_none_or(|p| !sends_nothing(&p.managed(), &wanted));
        match prior {
            // Same SKUs and plans, perhaps spelled differently: keep what is in state. Decided
            // on the licences alone, so that a plan with `exclusive` unknown and the
            // apply-time plan with it known agree.
            Some(prior) if prior.managed().licenses == wanted.licenses => {
                planned.effective_licenses = prior.effective_licenses.clone();
                if written_alike(&prior.licenses, &request.config.licenses) {
                    // `"SKU" = {}` and `{ disabled_plans = [] }` (see `written_alike`).
                    planned.licenses = prior.licenses.clone();
                }
                planned.graph_disabled_plan_ids = if sends {
                    Attr::Unknown
                } else {
                    prior.graph_disabled_plan_ids.clone()
                };
            }
            _ => planned.graph_disabled_plan_ids = Attr::Unknown,
        }
        if !sends && !renamed {
            return;
        }
        // Unknown until apply, the update then checks that it names the same user (a
        // replacement would take the licences away first).
        let Some(user_id) = request.config.user_id.known() else {
            return;
        };
        let user = match tenant.graph.user(&ctx.cancel, user_id).await {
            Ok(Some(user)) => user,
            Ok(None) => return diags.push(diagnostics::assignee_not_found(user_id)),
            Err(e) if renamed => return diags.push(diagnostics::user_unverifiable(&e)),
            Err(e) => return diags.push(diagnostics::graph_warning("Unable to Check the User", &e)),
        };
        let managed_before: BTreeSet<Guid> = match prior {
            None => {
                planned.id = Attr::Known(user.id.clone());
                BTreeSet::new()
            }
            // Another spelling of the same user: an update, not a replacement.
            Some(prior) if prior.id.known() == Some(&user.id) => prior.managed_skus(),
            Some(_) => {
                // Terraform plans the replacement's create next, with no prior state.
                change.requires_replace.push(AttributePath::attr("user_id"));
                return;
            }
        };
        if sends && !exclusive_unknown {
            check_user(&user, &managed_before, &wanted, &resolved, &skus, diags);
        }
    }

    /// A destroy removes the managed direct licences: the plan warns which enabled plans
    /// the user loses, counting what inherited licences still give (one user read).
    async fn plan_destroy(&self, ctx: &Context, tenant: Option<&Tenant>, prior: &Model, diags: &mut Diagnostics) {
        let (Some(tenant), Some(key)) = (tenant, prior.user_key()) else {
            return;
        };
        let managed_before: BTreeSet<Guid> = prior.managed_skus();
        if managed_before.is_empty() {
            return;
        }
        let (skus, user) = match (
            tenant.subscribed_skus(&ctx.cancel).await,
            tenant.graph.user(&ctx.cancel, key).await,
        ) {
            (Ok(skus), Ok(Some(user))) => (skus, user),
            (Err(e), _) | (_, Err(e)) => return diags.push(diagnostics::graph_warning("Unable to Check the User", &e)),
            (_, Ok(None)) => return,
        };
        check_user(
            &user,
            &managed_before,
            &Managed::default(),
            &BTreeMap::new(),
            &skus,
            diags,
        );
    }

    async fn create(
        &self,
        ctx: &Context,
        tenant: &Tenant,
        planned: Model,
        _config: Model,
        diags: &mut Diagnostics,
    ) -> Option<Model> {
        apply(ctx, tenant, None, planned, diags).await
    }

    async fn read(&self, ctx: &Context, tenant: &Tenant, state: Model, diags: &mut Diagnostics) -> ReadOutcome<Model> {
        let Some(key) = state.user_key().cloned() else {
            return ReadOutcome::Found(state);
        };
        let user = match tenant.user_unless_gone(&ctx.cancel, &key).await {
            Ok(Some(user)) => user,
            Ok(None) => return ReadOutcome::Gone,
            Err(e) => {
                diags.push(graph_error("Unable to Read User", &e));
                return ReadOutcome::Found(state);
            }
        };
        let direct = direct_licenses(&user);
        if as_managed(&direct, &state.managed(), &state.graph_added()) {
            return ReadOutcome::Found(state);
        }
        match tenant
            .subscribed_skus(&ctx.cancel)
            .await
            .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)
        {
            Some(skus) => ReadOutcome::Found(state.describe(&direct, &skus)),
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
        if request.prior.user_id != request.planned.user_id
            && !same_user(ctx, tenant, &request.prior, &request.planned, diags).await
        {
            return Some(request.prior);
        }
        let before = request.prior.managed();
        if sends_nothing(&before, &request.planned.managed()) {
            // Only the spelling changed: nothing to send.
            let mut state = request.planned;
            state.graph_disabled_plan_ids = request.prior.graph_disabled_plan_ids;
            return Some(state);
        }
        match apply(ctx, tenant, Some(&request.prior), request.planned, diags).await {
            Some(state) => Some(state),
            // Nothing was changed in the tenant: keep the prior state.
            None => Some(request.prior),
        }
    }

    async fn delete(&self, ctx: &Context, tenant: &Tenant, prior: Model, diags: &mut Diagnostics) {
        let Some(key) = prior.user_key() else { return };
        let managed: BTreeSet<Guid> = prior.managed_skus();
        match tenant
            .write_direct(&ctx.cancel, key, &managed, &prior.graph_added(), &Managed::default())
            .await
            .0
        {
            // A user that is gone holds no licences.
            Written::Done(_) | Written::Gone => {}
            Written::Refused(e) => diags.push(graph_error("Unable to Remove Licenses", &e)),
            Written::Unreadable(e) => diags.push(graph_error("Unable to Read User", &e)),
        }
    }

    async fn import(&self, ctx: &Context, tenant: &Tenant, id: &str, diags: &mut Diagnostics) -> Option<Model> {
        if Guid::parse(id).is_none() && !is_user_principal_name(id) {
            diags.error(
                "Invalid Import ID",
                format!("{id:?} is neither a user object ID nor a user principal name. Import with either: terraform import entra_user_license_assignment.NAME <user-id-or-upn>"),
            );
            return None;
        }
        let user = tenant
            .graph
            .user(&ctx.cancel, id)
            .await
            .or_diagnostic("Unable to Read User", diags)?;
        let Some(user) = user else {
            diags.push(Diagnostic {
                path: None,
                ..diagnostics::assignee_not_found(id)
            });
            return None;
        };
        let skus = tenant
            .subscribed_skus(&ctx.cancel)
            .await
            .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)?;
        // Every direct licence, under part numbers: described with nothing managed.
        let nothing_managed = Model {
            effective_licenses: Attr::Known(BTreeMap::new()),
            exclusive: Attr::Known(true),
            ..Model::default()
        };
        let mut state = nothing_managed.describe(&direct_licenses(&user), &skus);
        state.id = Attr::Known(user.id.clone());
        // The user as the import named it (a GUID in Graph's lower case), so that a
        // configuration naming the user the same way plans no change.
        state.user_id = Attr::Known(Guid::parse(id).map_or_else(|| id.to_owned(), |g| g.to_string()));
        state.exclusive = Attr::Null;
        Some(state)
    }

    async fn import_identity(
        &self,
        ctx: &Context,
        tenant: &Tenant,
        identity: UserIdentity,
        diags: &mut Diagnostics,
    ) -> Option<Model> {
        let user_id = identity.user_id.into_known().unwrap_or_default();
        self.import(ctx, tenant, &user_id, diags).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_is_the_schema() {
        assert_eq!(Model::tf_type(), schema().implied_type().without_optional_markers());
        let identity = UserLicenseAssignment.identity_schema().unwrap();
        assert_eq!(UserIdentity::tf_type(), identity.implied_type());
    }
}

//! `entra_redundant_direct_license_removal`: removes the direct licences that a group
//! already fully covers, the last step of a move from direct to group-based licensing.
//!
//! An action-like resource, as `entra_user_license_reprocess` is: creating it runs the
//! removal; a change of `group_id`, `skus` or `triggers` replaces it, which runs it again
//! (with a fresh survey); destroying it removes nothing and only forgets the record. The
//! same operation is a Terraform 1.14 action (`actions/`).
//!
//! What is covered, and how the removal stays safe, is [`crate::licensing::redundancy`].
//! The plan lists, as values known at plan time, the direct licences that will be removed
//! (`removals`) and the ones left alone with their reason (`kept`), in a stable order.
//!
//! Graph calls:
//! - Plan (create): `GET /subscribedSkus` (once per process), `GET /groups/{id}` (what it
//!   assigns), `GET /groups/{id}/members/microsoft.graph.user?$select=…` (paged, 999 per
//!   page: this plan's cost grows with the group, which a list of users must).
//! - Apply: `GET /groups/{id}` again, then per planned removal, `batch_size` users at a
//!   time: `GET /users/{id}` (re-check) and `POST /users/{id}/assignLicense` removing the
//!   one SKU. No new batch starts after an unexpected error; every user's outcome is in
//!   `results`, and the error is reported with the user and the Graph request-id.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::licensing::redundancy::{self, DirectLicense};
use crate::licensing::{Guid, Tenant};
use crate::model;
use crate::redundant_licenses::{
    Inputs, KeptLicense, PlannedRemoval, RemovalResult, input_attributes, kept_warning, outcome_diagnostics,
};
use crate::tfplugin::{
    Attr, Attribute, Context, Diagnostics, Empty, PlanRequest, PlannedChange, ReadOutcome, Resource, Schema, SetOf,
    TfType, Type, UpdateRequest,
};

/// The resource.
pub struct RedundantDirectLicenseRemoval;

type Model = RedundantDirectLicenseRemovalModel;

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

fn schema() -> Schema {
    let mut attributes = vec![
        Attribute::string("id")
            .computed()
            .use_state_for_unknown()
            .description("The group's object ID."),
    ];
    attributes.extend(input_attributes().into_iter().map(|a| {
        if a.name == "batch_size" {
            a
        } else {
            a.requires_replace()
        }
    }));
    attributes.extend([
        Attribute::new("triggers", Type::map(Type::String))
            .optional()
            .requires_replace()
            .description("Arbitrary values; any change runs the survey and removal again (for example after more members were processed)."),
        Attribute::new("removals", Vec::<PlannedRemoval>::tf_type()).computed().description(
            "Known at plan time: the direct licences the group fully covers, which the apply removes (`user_id`, `user_principal_name`, `sku_id`, `sku_part_number`), sorted by SKU then user.",
        ),
        Attribute::new("kept", Vec::<KeptLicense>::tf_type()).computed().description(
            "Known at plan time: the members' direct licences of these SKUs that the group does not cover, left alone, with `reason_code` (`not_inherited`, `inherited_not_active`, `plans_not_covered`) and `reason`.",
        ),
        Attribute::new("results", Vec::<RemovalResult>::tf_type()).computed().description(
            "After the apply, per planned removal: `outcome` (`removed`, `no_longer_covered`, `already_gone`, `user_gone`, `group_no_longer_assigns`, `failed`, `not_attempted`, `interrupted`) and `detail`.",
        ),
    ]);
    Schema::new(
        "Removes the direct licences that a group already fully covers: for each direct user member and SKU, the group assigns the same SKU, its enabled plans include every plan the direct licence enables, and the inherited licence is active without error. The plan lists what will be removed and what is left alone and why; the apply re-checks each user just before removing. Destroying it removes nothing.",
        attributes,
    )
}

// ---------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------

model! {
    /// The resource's state, plan and configuration.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct RedundantDirectLicenseRemovalModel {
        pub id: Attr<String>,
        pub group_id: Attr<String>,
        pub skus: Attr<SetOf<String>>,
        pub batch_size: Attr<i64>,
        pub triggers: Attr<BTreeMap<String, String>>,
        pub removals: Attr<Vec<PlannedRemoval>>,
        pub kept: Attr<Vec<KeptLicense>>,
        pub results: Attr<Vec<RemovalResult>>,
    }
}

impl Model {
    fn inputs(&self) -> Inputs<'_> {
        Inputs {
            group_id: &self.group_id,
            skus: &self.skus,
            batch_size: &self.batch_size,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------

#[async_trait]
impl Resource<Tenant> for RedundantDirectLicenseRemoval {
    type Model = Model;
    type Identity = Empty;

    fn type_name(&self) -> &'static str {
        "entra_redundant_direct_license_removal"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, _ctx: &Context, config: &Model, diags: &mut Diagnostics) {
        config.inputs().validate(diags);
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
        // An existing run stays as it was (only `batch_size` changes in place, for the next
        // run); only a replacement, a new run, surveys again.
        if let Some(prior) = &request.prior {
            planned.removals = prior.removals.clone();
            planned.kept = prior.kept.clone();
            planned.results = prior.results.clone();
            return;
        }
        planned.id = request.config.group_id.clone();
        planned.results = Attr::Unknown;
        let Some(tenant) = tenant else {
            planned.removals = Attr::Unknown;
            planned.kept = Attr::Unknown;
            return;
        };
        let Some(selection) = request.config.inputs().selection(ctx, tenant, diags).await else {
            planned.removals = Attr::Unknown;
            planned.kept = Attr::Unknown;
            return;
        };
        let Some(survey) = selection.survey(ctx, tenant, diags).await else {
            return;
        };
        let kept: Vec<KeptLicense> = survey.kept.iter().map(|(l, why)| selection.kept(l, why)).collect();
        diags.extend(kept_warning(&kept));
        planned.removals = Attr::Known(survey.removable.iter().map(|l| selection.planned(l)).collect());
        planned.kept = Attr::Known(kept);
    }

    async fn create(
        &self,
        ctx: &Context,
        tenant: &Tenant,
        mut planned: Model,
        config: Model,
        diags: &mut Diagnostics,
    ) -> Option<Model> {
        let selection = config.inputs().selection(ctx, tenant, diags).await?;
        let removals: Vec<DirectLicense> = planned
            .removals
            .known()
            .into_iter()
            .flatten()
            .filter_map(|r| {
                Some(DirectLicense {
                    sku_id: Guid::parse(&r.sku_id)?,
                    user_principal_name: r.user_principal_name.clone(),
                    user_id: r.user_id.clone(),
                })
            })
            .collect();
        let outcomes = redundancy::remove(
            &tenant.graph,
            &ctx.cancel,
            &selection.group_id,
            &removals,
            config.inputs().batch_size(),
        )
        .await;
        outcome_diagnostics(&selection, &outcomes, diags);
        planned.results = Attr::Known(outcomes.iter().map(|(l, o)| selection.result(l, o)).collect());
        // What was removed stays recorded even when the run stopped early.
        Some(planned)
    }

    /// Nothing to refresh: the resource records a past run.
    async fn read(
        &self,
        _ctx: &Context,
        _tenant: &Tenant,
        state: Model,
        _diags: &mut Diagnostics,
    ) -> ReadOutcome<Model> {
        ReadOutcome::Found(state)
    }

    /// Only `batch_size` changes in place, and it only matters for the next run.
    async fn update(
        &self,
        _ctx: &Context,
        _tenant: &Tenant,
        request: UpdateRequest<Model>,
        _diags: &mut Diagnostics,
    ) -> Option<Model> {
        Some(request.planned)
    }

    /// Destroying removes nothing: the direct licences are gone or were left on purpose.
    async fn delete(&self, _ctx: &Context, _tenant: &Tenant, _prior: Model, _diags: &mut Diagnostics) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_is_the_schema() {
        assert_eq!(Model::tf_type(), schema().implied_type().without_optional_markers());
    }
}

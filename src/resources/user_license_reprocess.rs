//! `entra_user_license_reprocess`: reprocesses users' group-based licence assignments.
//!
//! An action-like resource: creating it runs the reprocessing; any change of `user_ids`,
//! `group_id` or `triggers` replaces it, which runs it again; destroying it only forgets
//! it. (The same operation is offered as a Terraform 1.14 action, `actions/`.)
//!
//! Graph calls on create:
//! - with `group_id`: `GET /groups/{id}/membersWithLicenseErrors` (paged): the members with
//!   licence errors *when the apply runs*;
//! - per user, four at a time, with the client's retries:
//!   `POST /users/{id}/reprocessLicenseAssignment`, then
//!   `GET /users/{id}?$select=assignedLicenses,licenseAssignmentStates` for the result.
//!
//! A user that does not exist is an error naming the user; the others are still
//! processed and recorded, so state shows what was done.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::licensing::Tenant;
use crate::licensing::reprocess::reprocess;
use crate::model;
use crate::tfplugin::{
    Attr, Attribute, Context, Diagnostics, Empty, ReadOutcome, Resource, Schema, SetOf, TfType, Type, UpdateRequest,
};
use crate::user_targets::{self, Targets, UserResult};

/// The resource.
pub struct UserLicenseReprocess;

fn schema() -> Schema {
    let mut attributes = vec![
        Attribute::string("id")
            .computed()
            .use_state_for_unknown()
            .description("An identifier of this run."),
    ];
    attributes.extend(user_targets::attributes().into_iter().map(Attribute::requires_replace));
    attributes.push(
        Attribute::new("triggers", Type::map(Type::String))
            .optional()
            .requires_replace()
            .description(
                "Arbitrary values; any change runs the reprocessing again (for example the number of seats bought).",
            ),
    );
    attributes.push(Attribute::new("results", Vec::<UserResult>::tf_type()).computed().description(
        "Per user: `user_id`, `user_principal_name`, the SKU IDs in effect afterwards (`licenses`) and the licence errors that remain (`license_errors`: `sku_id`, `error`).",
    ));
    Schema::new(
        "Reprocesses users' group-based licence assignments, for example after buying seats or fixing a conflict. Creating it runs `POST /users/{id}/reprocessLicenseAssignment` for each user (application permission `User.ReadWrite.All`); a change of `user_ids`, `group_id` or `triggers` runs it again; destroying it only forgets it.",
        attributes,
    )
}

model! {
    /// The resource's state, plan and configuration.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct UserLicenseReprocessModel {
        /// An identifier of the run.
        pub id: Attr<String>,
        /// The users.
        pub user_ids: Attr<SetOf<String>>,
        /// Or the group whose members in error are reprocessed.
        pub group_id: Attr<String>,
        /// Values whose change runs it again.
        pub triggers: Attr<BTreeMap<String, String>>,
        /// Per user.
        pub results: Attr<Vec<UserResult>>,
    }
}

impl UserLicenseReprocessModel {
    fn targets(&self) -> Targets<'_> {
        Targets {
            user_ids: &self.user_ids,
            group_id: &self.group_id,
        }
    }
}

type Model = UserLicenseReprocessModel;

#[async_trait]
impl Resource<Tenant> for UserLicenseReprocess {
    type Model = Model;
    type Identity = Empty;

    fn type_name(&self) -> &'static str {
        "entra_user_license_reprocess"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, _ctx: &Context, config: &Model, diags: &mut Diagnostics) {
        config.targets().validate(diags);
    }

    async fn create(
        &self,
        ctx: &Context,
        tenant: &Tenant,
        mut planned: Model,
        config: Model,
        diags: &mut Diagnostics,
    ) -> Option<Model> {
        let users = config.targets().resolve(ctx, tenant, diags).await?;
        let mut results = Vec::new();
        for (user, outcome) in reprocess(&tenant.graph, &ctx.cancel, users).await {
            match outcome {
                Ok(result) => results.push(UserResult::from(result)),
                Err(failure) => diags.push(user_targets::failure(&user, &failure)),
            }
        }
        planned.id = Attr::Known(crate::graph::auth::new_request_id());
        planned.results = Attr::Known(results);
        // Users that were processed stay recorded even when others failed.
        Some(planned)
    }

    /// Nothing to refresh: the resource records a past operation.
    async fn read(
        &self,
        _ctx: &Context,
        _tenant: &Tenant,
        state: Model,
        _diags: &mut Diagnostics,
    ) -> ReadOutcome<Model> {
        ReadOutcome::Found(state)
    }

    /// Every input forces replacement, so an update never changes anything.
    async fn update(
        &self,
        _ctx: &Context,
        _tenant: &Tenant,
        request: UpdateRequest<Model>,
        _diags: &mut Diagnostics,
    ) -> Option<Model> {
        Some(request.planned)
    }

    /// Destroying only forgets the record.
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

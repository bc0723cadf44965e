//! Action `entra_user_license_reprocess` (Terraform 1.14+): the reprocessing of the
//! resource of the same name, invoked rather than stored in state.
//!
//! ```hcl
//! action "entra_user_license_reprocess" "sales" {
//!   config {
//!     group_id = entra_group_license_assignment.sales.group_id
//!   }
//! }
//! ```
//! Invoke it with `terraform apply -invoke=action.entra_user_license_reprocess.sales`, or
//! from a resource's `lifecycle { action_trigger { events = [after_update] actions = [...] } }`.
//! It sends one progress message per user and ends with the diagnostics.

use async_trait::async_trait;
use futures::StreamExt;

use crate::licensing::Tenant;
use crate::licensing::reprocess::reprocess_each;
use crate::model;
use crate::tfplugin::{Action, Attr, Context, Diagnostics, Progress, Schema, SetOf};
use crate::user_targets::{self, Targets};

/// The action.
pub struct UserLicenseReprocessAction;

model! {
    /// The action's `config` block.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct UserLicenseReprocessConfig {
        /// The users.
        pub user_ids: Attr<SetOf<String>>,
        /// Or the group whose members in error are reprocessed.
        pub group_id: Attr<String>,
    }
}

impl UserLicenseReprocessConfig {
    fn targets(&self) -> Targets<'_> {
        Targets {
            user_ids: &self.user_ids,
            group_id: &self.group_id,
        }
    }
}

type Config = UserLicenseReprocessConfig;

#[async_trait]
impl Action<Tenant> for UserLicenseReprocessAction {
    type Model = Config;

    fn type_name(&self) -> &'static str {
        "entra_user_license_reprocess"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Reprocesses users' group-based licence assignments: `user_ids`, or every member of `group_id` with licence errors when it runs. One progress message per user.",
            user_targets::attributes(),
        )
    }

    async fn validate(&self, _ctx: &Context, config: &Config, diags: &mut Diagnostics) {
        config.targets().validate(diags);
    }

    async fn plan(&self, _ctx: &Context, _tenant: Option<&Tenant>, config: &Config, diags: &mut Diagnostics) {
        config.targets().validate(diags);
    }

    async fn invoke(
        &self,
        ctx: &Context,
        tenant: &Tenant,
        config: Config,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let Some(users) = config.targets().resolve(ctx, tenant, diags).await else {
            return;
        };
        if users.is_empty() {
            progress.send("no users to reprocess").await;
            return;
        }
        progress.send(format!("reprocessing {} users", users.len())).await;
        let total = users.len();
        let mut remaining = 0;
        // One message per user as soon as that user is done, not all at the end.
        let mut outcomes = std::pin::pin!(reprocess_each(&tenant.graph, &ctx.cancel, users));
        let mut done = 0;
        while let Some((user, outcome)) = outcomes.next().await {
            done += 1;
            progress
                .send(user_targets::progress_line(done, total, &user, &outcome))
                .await;
            match outcome {
                Ok(result) => remaining += result.license_errors.len(),
                Err(failure) => diags.push(user_targets::failure(&user, &failure)),
            }
        }
        if remaining > 0 {
            diags.warning(
                "License Errors Remain",
                format!("{} remain after reprocessing; fix their causes (seats, conflicts, usage location) and run the action again.", crate::diagnostics::count(remaining, "licence error")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::TfType;

    #[test]
    fn the_model_is_the_schema() {
        let schema = Action::<Tenant>::schema(&UserLicenseReprocessAction);
        assert_eq!(Config::tf_type(), schema.implied_type().without_optional_markers());
    }
}

//! Action `entra_user_license_reprocess` (Terraform 1.14+): the reprocessing of
//! `resources::user_license_reprocess`, invoked rather than stored in state.
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
//! It streams one progress message per user and ends with the diagnostics.

use async_trait::async_trait;

use crate::provider::ProviderData;
use crate::resources::user_license_reprocess::{reprocess, target_attributes, targets, validate_targets};
use crate::tfplugin::{Action, Context, Diagnostics, Progress, Schema, Value};

/// The action.
pub struct UserLicenseReprocessAction;

#[async_trait]
impl Action<ProviderData> for UserLicenseReprocessAction {
    fn type_name(&self) -> &'static str {
        "entra_user_license_reprocess"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Reprocesses users' group-based licence assignments: `user_ids`, or every member of `group_id` with licence errors when it runs. One progress message per user.",
            target_attributes(),
        )
    }

    async fn validate(&self, _ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        validate_targets(config, diags);
    }

    async fn plan(&self, _ctx: &Context, _data: Option<&ProviderData>, config: &Value, diags: &mut Diagnostics) {
        validate_targets(config, diags);
    }

    async fn invoke(
        &self,
        ctx: &Context,
        data: &ProviderData,
        config: Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let Some(users) = targets(ctx, data, &config, diags).await else {
            return;
        };
        if users.is_empty() {
            progress.send("no users to reprocess").await;
            return;
        }
        progress.send(format!("reprocessing {} users", users.len())).await;
        let results = reprocess(ctx, data, users, Some(progress), diags).await;
        let remaining: usize = results
            .iter()
            .map(|r| r.get("license_errors").as_elements().map_or(0, <[Value]>::len))
            .sum();
        if remaining > 0 {
            diags.warning(
                "License Errors Remain",
                format!("{remaining} licence errors remain after reprocessing; fix their causes (seats, conflicts, usage location) and run the action again."),
            );
        }
    }
}

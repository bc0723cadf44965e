//! Action `entra_redundant_direct_license_removal` (Terraform 1.14+): the removal of the
//! resource of the same name, invoked rather than stored in state.
//!
//! ```hcl
//! action "entra_redundant_direct_license_removal" "sales" {
//!   config {
//!     group_id = entra_group_license_assignment.sales.group_id
//!     skus     = ["ENTERPRISEPACK"]
//!   }
//! }
//! ```
//! Invoke it with `terraform apply -invoke=action.entra_redundant_direct_license_removal.sales`.
//! Its plan shows, as warnings, what an invocation would remove and leave alone; the
//! invocation surveys again (an action keeps no state, so the plan-time list cannot bind
//! it; each user is re-checked before removal anyway), sends one progress message per
//! user, and ends with the diagnostics.

use async_trait::async_trait;
use futures::StreamExt;

use crate::licensing::Tenant;
use crate::licensing::redundancy;
use crate::model;
use crate::redundant_licenses::{Inputs, input_attributes, kept_warning, outcome_diagnostics, removals_notice};
use crate::tfplugin::{Action, Attr, Context, Diagnostics, Progress, Schema, SetOf};

/// The action.
pub struct RedundantDirectLicenseRemovalAction;

model! {
    /// The action's `config` block.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct RedundantDirectLicenseRemovalConfig {
        pub group_id: Attr<String>,
        pub skus: Attr<SetOf<String>>,
        pub batch_size: Attr<i64>,
    }
}

type Config = RedundantDirectLicenseRemovalConfig;

impl Config {
    fn inputs(&self) -> Inputs<'_> {
        Inputs {
            group_id: &self.group_id,
            skus: &self.skus,
            batch_size: &self.batch_size,
        }
    }
}

#[async_trait]
impl Action<Tenant> for RedundantDirectLicenseRemovalAction {
    type Model = Config;

    fn type_name(&self) -> &'static str {
        "entra_redundant_direct_license_removal"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Removes the direct licences that a group already fully covers (same SKU, every directly enabled plan enabled by the group, the inherited licence active without error), re-checking each user just before. One progress message per user.",
            input_attributes(),
        )
    }

    async fn validate(&self, _ctx: &Context, config: &Config, diags: &mut Diagnostics) {
        config.inputs().validate(diags);
    }

    /// Lists, as the plan's warnings, what the invocation would remove and leave alone if
    /// the tenant stays as it is (the invocation surveys again: an action has no state to
    /// hold a plan-time list).
    async fn plan(&self, ctx: &Context, tenant: Option<&Tenant>, config: &Config, diags: &mut Diagnostics) {
        config.inputs().validate(diags);
        let Some(tenant) = tenant.filter(|_| !diags.has_errors()) else {
            return;
        };
        let Some(selection) = config.inputs().selection(ctx, tenant, diags).await else {
            return;
        };
        let Some(survey) = selection.survey(ctx, tenant, diags).await else {
            return;
        };
        let removals: Vec<_> = survey.removable.iter().map(|l| selection.planned(l)).collect();
        diags.extend(removals_notice(&removals));
        let kept: Vec<_> = survey.kept.iter().map(|(l, why)| selection.kept(l, why)).collect();
        diags.extend(kept_warning(&kept));
    }

    async fn invoke(
        &self,
        ctx: &Context,
        tenant: &Tenant,
        config: Config,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let Some(selection) = config.inputs().selection(ctx, tenant, diags).await else {
            return;
        };
        let Some(survey) = selection.survey(ctx, tenant, diags).await else {
            return;
        };
        let kept: Vec<_> = survey.kept.iter().map(|(l, why)| selection.kept(l, why)).collect();
        progress
            .send(format!(
                "{} covered by the group, {} left in place",
                crate::diagnostics::count(survey.removable.len(), "direct licence"),
                kept.len()
            ))
            .await;
        diags.extend(kept_warning(&kept));
        let total = survey.removable.len();
        let mut outcomes = Vec::with_capacity(total);
        let mut batches = std::pin::pin!(redundancy::remove_each(
            &tenant.graph,
            &ctx.cancel,
            &selection.group_id,
            &survey.removable,
            config.inputs().batch_size(),
        ));
        while let Some(done) = batches.next().await {
            for (license, outcome) in done {
                let result = selection.result(&license, &outcome);
                progress
                    .send(format!(
                        "[{}/{total}] {} {}: {}",
                        outcomes.len() + 1,
                        result.user_principal_name,
                        result.sku_part_number,
                        result.outcome
                    ))
                    .await;
                outcomes.push((license, outcome));
            }
        }
        outcome_diagnostics(&selection, &outcomes, diags);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::TfType;

    #[test]
    fn the_model_is_the_schema() {
        let schema = Action::<Tenant>::schema(&RedundantDirectLicenseRemovalAction);
        assert_eq!(Config::tf_type(), schema.implied_type().without_optional_markers());
    }
}

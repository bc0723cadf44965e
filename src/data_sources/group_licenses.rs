//! `entra_group_licenses`: a group's licences with names, its processing state, and the
//! members with licence errors.
//!
//! Graph: `GET /groups/{id}?$select=…` (`Group.Read.All`), `GET /subscribedSkus` (once per
//! provider process, for names), `GET /groups/{id}/membersWithLicenseErrors` (paged,
//! `GroupMember.Read.All`).

use async_trait::async_trait;

use crate::diagnostics::{self, OrDiagnostic, SUBSCRIBED_SKUS_UNREADABLE, graph_error, group_not_found};
use crate::licensing::catalog::find_sku;
use crate::licensing::processing;
use crate::licensing::{Guid, Tenant};
use crate::member_errors::{self, MemberLicenseError};
use crate::model;
use crate::tfplugin::{Attr, Attribute, Context, DataSource, Diagnostics, Schema, SetOf, TfType};

/// The data source.
pub struct GroupLicenses;

model! {
    /// The group and what it holds.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct GroupLicensesModel {
        /// The group.
        pub group_id: Attr<String>,
        /// Its name.
        pub display_name: Attr<String>,
        /// Its licences.
        pub licenses: Attr<Vec<AssignedLicense>>,
        /// Its processing state.
        pub license_processing_state: Attr<String>,
        /// How many members have licence errors from it.
        pub members_with_license_errors_count: Attr<i64>,
        /// Their errors.
        pub member_license_errors: Attr<Vec<MemberLicenseError>>,
    }
}

model! {
    /// A licence of the group.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct AssignedLicense {
        /// The SKU.
        pub sku_id: String,
        /// Its part number.
        pub sku_part_number: String,
        /// The plans switched off, by name.
        pub disabled_plans: SetOf<String>,
        /// The plans switched off, by ID.
        pub disabled_plan_ids: SetOf<String>,
    }
}

type Model = GroupLicensesModel;

#[async_trait]
impl DataSource<Tenant> for GroupLicenses {
    type Model = Model;

    fn type_name(&self) -> &'static str {
        "entra_group_licenses"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A group's assigned licences (with SKU and plan names), its licence processing state, and its members with licence errors.",
            vec![
                Attribute::string("group_id").required().description("The group's object ID."),
                Attribute::string("display_name").computed().description("The group's name."),
                Attribute::new("licenses", Vec::<AssignedLicense>::tf_type()).computed().description(
                    "The assigned licences: `sku_id`, `sku_part_number`, `disabled_plans` (service plan names) and `disabled_plan_ids`.",
                ),
                Attribute::string("license_processing_state")
                    .computed()
                    .description("`QueuedForProcessing`, `ProcessingInProgress` or `ProcessingComplete`."),
                Attribute::number("members_with_license_errors_count")
                    .computed()
                    .description("How many members have licence errors from this group."),
                Attribute::new("member_license_errors", Vec::<MemberLicenseError>::tf_type())
                    .computed()
                    .description(member_errors::DESCRIPTION),
            ],
        )
    }

    async fn validate(&self, _ctx: &Context, config: &Model, diags: &mut Diagnostics) {
        if let Some(group_id) = config.group_id.known()
            && Guid::parse(group_id).is_none()
        {
            diags.push(diagnostics::invalid_group_id(group_id));
        }
    }

    async fn read(&self, ctx: &Context, tenant: &Tenant, mut config: Model, diags: &mut Diagnostics) -> Option<Model> {
        let group_text = config.group_id.known()?.clone();
        let group = match tenant.graph.group(&ctx.cancel, &group_text).await {
            Ok(Some(group)) => group,
            Ok(None) => {
                diags.push(group_not_found(&group_text));
                return None;
            }
            Err(e) => {
                diags.push(graph_error("Unable to Read Group", &e));
                return None;
            }
        };
        let skus = tenant
            .subscribed_skus(&ctx.cancel)
            .await
            .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)?;
        let members = match Guid::parse(&group_text) {
            Some(group_id) => match processing::all_member_errors(&tenant.graph, &ctx.cancel, &group_id).await {
                Ok(errors) => errors,
                Err(e) => {
                    diags.push(graph_error("Unable to List Members With License Errors", &e));
                    return None;
                }
            },
            None => Vec::new(),
        };
        let licenses = group
            .assigned_licenses
            .iter()
            .map(|l| {
                let sku = find_sku(&l.sku_id, &skus);
                AssignedLicense {
                    sku_id: l.sku_id.to_ascii_lowercase(),
                    sku_part_number: sku.map(|s| s.sku_part_number.trim().to_owned()).unwrap_or_default(),
                    disabled_plans: l
                        .disabled_plans
                        .iter()
                        .map(|id| {
                            sku.and_then(|s| s.plan_name(id))
                                .map_or_else(|| id.clone(), str::to_owned)
                        })
                        .collect(),
                    disabled_plan_ids: l.disabled_plans.iter().map(|p| p.to_ascii_lowercase()).collect(),
                }
            })
            .collect();
        let count = members
            .iter()
            .map(|e| &e.user_id)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let errors = members.into_iter().map(|e| MemberLicenseError::new(e, &skus)).collect();
        config.display_name = Attr::Known(group.display_name.unwrap_or_default());
        config.licenses = Attr::Known(licenses);
        config.license_processing_state =
            Attr::Known(group.license_processing_state.and_then(|s| s.state).unwrap_or_default());
        config.members_with_license_errors_count = Attr::Known(i64::try_from(count).unwrap_or(i64::MAX));
        config.member_license_errors = Attr::Known(errors);
        Some(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_is_the_schema() {
        let schema = DataSource::<Tenant>::schema(&GroupLicenses);
        assert_eq!(Model::tf_type(), schema.implied_type().without_optional_markers());
    }
}

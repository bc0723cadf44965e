//! `entra_group_licenses`: a group's licences with names, its processing state, and the
//! members with licence errors.
//!
//! Graph: `GET /groups/{id}?$select=…` (`Group.Read.All`), `GET /subscribedSkus` (once per
//! provider process, for names), `GET /groups/{id}/membersWithLicenseErrors` (paged,
//! `GroupMember.Read.All`).

use async_trait::async_trait;

use crate::graph::endpoints::groups::{MEMBERS_PERMISSION, READ_PERMISSION};
use crate::provider::ProviderData;
use crate::tfplugin::{Attribute, AttributePath, Context, DataSource, Diagnostics, IntoValue, Schema, Type, Value};

/// The data source.
pub struct GroupLicenses;

fn licenses_type() -> Type {
    Type::list(Type::object([
        ("sku_id", Type::String),
        ("sku_part_number", Type::String),
        ("disabled_plans", Type::list(Type::String)),
        ("disabled_plan_ids", Type::list(Type::String)),
    ]))
}

fn members_type() -> Type {
    Type::list(Type::object([
        ("user_id", Type::String),
        ("user_principal_name", Type::String),
        (
            "errors",
            Type::list(Type::object([("sku_id", Type::String), ("error", Type::String)])),
        ),
    ]))
}

#[async_trait]
impl DataSource<ProviderData> for GroupLicenses {
    fn type_name(&self) -> &'static str {
        "entra_group_licenses"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A group's assigned licences (with SKU and plan names), its licence processing state, and its members with licence errors.",
            vec![
                Attribute::string("group_id").required().description("The group's object ID."),
                Attribute::string("display_name").computed().description("The group's name."),
                Attribute::new("licenses", licenses_type()).computed().description(
                    "The assigned licences: `sku_id`, `sku_part_number`, `disabled_plans` (service plan names) and `disabled_plan_ids`.",
                ),
                Attribute::string("license_processing_state")
                    .computed()
                    .description("`QueuedForProcessing`, `ProcessingInProgress` or `ProcessingComplete`."),
                Attribute::new("members_with_license_errors", members_type()).computed().description(
                    "Members with licence errors from this group: `user_id`, `user_principal_name` and `errors` (`sku_id`, `error`: CountViolation, MutuallyExclusiveViolation, DependencyViolation, ProhibitedInUsageLocationViolation, UniquenessViolation, Other).",
                ),
            ],
        )
    }

    async fn read(&self, ctx: &Context, data: &ProviderData, config: Value, diags: &mut Diagnostics) -> Option<Value> {
        let group_id = config.get("group_id").as_str()?.to_owned();
        let group = match data.graph.group(&ctx.cancel, &group_id).await {
            Ok(Some(group)) => group,
            Ok(None) => {
                diags.attribute_error(
                    AttributePath::attr("group_id"),
                    "Group Not Found",
                    format!("There is no group {group_id} in the tenant."),
                );
                return None;
            }
            Err(e) => {
                diags.push(e.to_diagnostic("Unable to Read Group", READ_PERMISSION));
                return None;
            }
        };
        let skus = data.subscribed_skus_or_diagnostic(&ctx.cancel, diags).await?;
        let members = match data.graph.members_with_license_errors(&ctx.cancel, &group_id).await {
            Ok(members) => members,
            Err(e) => {
                diags.push(e.to_diagnostic("Unable to List Members With License Errors", MEMBERS_PERMISSION));
                return None;
            }
        };
        let licenses = group
            .assigned_licenses
            .iter()
            .map(|l| {
                let sku = skus.iter().find(|s| s.sku_id.eq_ignore_ascii_case(&l.sku_id));
                let names: Vec<String> = l
                    .disabled_plans
                    .iter()
                    .map(|id| {
                        sku.and_then(|s| s.plan_name(id))
                            .map_or_else(|| id.clone(), str::to_owned)
                    })
                    .collect();
                Value::object([
                    ("sku_id", l.sku_id.to_ascii_lowercase().into_value()),
                    (
                        "sku_part_number",
                        sku.map(|s| s.sku_part_number.trim().to_owned())
                            .unwrap_or_default()
                            .into_value(),
                    ),
                    ("disabled_plans", names.into_value()),
                    ("disabled_plan_ids", l.disabled_plans.clone().into_value()),
                ])
            })
            .collect();
        let members = members
            .iter()
            .map(|m| {
                let errors: Vec<Value> = m
                    .license_assignment_states
                    .iter()
                    .filter(|s| {
                        s.assigned_by_group
                            .as_deref()
                            .is_some_and(|g| g.eq_ignore_ascii_case(&group_id))
                    })
                    .filter_map(|s| {
                        Some(Value::object([
                            ("sku_id", s.sku_id.clone()?.into_value()),
                            ("error", s.error()?.to_owned().into_value()),
                        ]))
                    })
                    .collect();
                Value::object([
                    ("user_id", m.id.clone().into_value()),
                    (
                        "user_principal_name",
                        m.user_principal_name.clone().unwrap_or_default().into_value(),
                    ),
                    ("errors", Value::List(errors)),
                ])
            })
            .collect();
        let mut state = config;
        state.set("display_name", group.display_name.unwrap_or_default().into_value());
        state.set("licenses", Value::List(licenses));
        state.set(
            "license_processing_state",
            group
                .license_processing_state
                .and_then(|s| s.state)
                .unwrap_or_default()
                .into_value(),
        );
        state.set("members_with_license_errors", Value::List(members));
        Some(state)
    }
}

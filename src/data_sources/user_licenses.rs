//! `entra_user_licenses`: every licence of a user, with how it is held: directly, and/or
//! inherited from which groups, each source with its plans, state and error.
//!
//! Graph's `assignedLicenses` merges the sources of a SKU; `licenseAssignmentStates` keeps
//! one entry per source (see [`crate::licensing::direct`]), which is what a migration from
//! direct to group-based licensing needs to see.
//!
//! Graph: `GET /users/{id}?$select=…` (`User.Read.All`) and `GET /subscribedSkus` (once per
//! provider process, for names).

use async_trait::async_trait;

use crate::diagnostics::{self, OrDiagnostic, SUBSCRIBED_SKUS_UNREADABLE, graph_error};
use crate::graph::models::SubscribedSku;
use crate::licensing::catalog::{find_sku, key_for, plan_names};
use crate::licensing::direct::{Source, direct_licenses, served_with, sources};
use crate::licensing::guid::is_user_principal_name;
use crate::licensing::{Guid, Tenant};
use crate::model;
use crate::tfplugin::{Attr, Attribute, Context, DataSource, Diagnostics, Schema, SetOf, TfType};

/// The data source.
pub struct UserLicenses;

model! {
    /// The user and every licence it holds.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct UserLicensesModel {
        pub user_id: Attr<String>,
        pub id: Attr<String>,
        pub user_principal_name: Attr<String>,
        pub usage_location: Attr<String>,
        pub licenses: Attr<Vec<HeldLicense>>,
    }
}

model! {
    /// One SKU the user holds, from all its sources.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct HeldLicense {
        pub sku_id: String,
        pub sku_part_number: String,
        pub direct: bool,
        pub group_ids: Vec<String>,
        pub enabled_plans: SetOf<String>,
        pub sources: Vec<LicenseSource>,
    }
}

model! {
    /// One source of a SKU.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct LicenseSource {
        pub assigned_by_group: Attr<String>,
        pub state: String,
        pub error: Attr<String>,
        pub enabled_plans: SetOf<String>,
        pub disabled_plans: SetOf<String>,
    }
}

type Model = UserLicensesModel;

/// The plans of `sku` a source leaves on, by name.
fn enabled_names(sku: Option<&SubscribedSku>, disabled: &std::collections::BTreeSet<Guid>) -> SetOf<String> {
    let on: Vec<Guid> = sku
        .map(|s| {
            s.service_plans
                .iter()
                .filter_map(|p| Guid::parse(&p.service_plan_id))
                .collect()
        })
        .unwrap_or_default();
    SetOf(plan_names(sku, on.iter().filter(|p| !disabled.contains(*p))))
}

fn source(sku: Option<&SubscribedSku>, source: &Source) -> LicenseSource {
    LicenseSource {
        assigned_by_group: source
            .group_id
            .as_ref()
            .map_or(Attr::Null, |g| Attr::Known(g.to_string())),
        state: source.state.clone(),
        error: source.error.clone().map_or(Attr::Null, Attr::Known),
        enabled_plans: enabled_names(sku, &source.disabled_plans),
        disabled_plans: SetOf(plan_names(sku, &source.disabled_plans)),
    }
}

#[async_trait]
impl DataSource<Tenant> for UserLicenses {
    type Model = Model;

    fn type_name(&self) -> &'static str {
        "entra_user_licenses"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Every licence a user holds, and how: directly, and/or inherited from which groups, each source with its enabled and disabled plans, state and error. Use it to see, during a move from direct to group-based licensing, which direct licences a group already covers.",
            vec![
                Attribute::string("user_id").required().description("The user: object ID or user principal name."),
                Attribute::string("id").computed().description("The user's object ID."),
                Attribute::string("user_principal_name").computed().description("The user's sign-in name."),
                Attribute::string("usage_location").computed().description(
                    "The user's usage location (two-letter country code); null when none is set, which direct assignment refuses.",
                ),
                Attribute::new("licenses", Vec::<HeldLicense>::tf_type()).computed().description(
                    "Per SKU, by part number: `sku_id`, `sku_part_number`, `direct` (assigned directly), `group_ids` (the groups it is inherited from), `enabled_plans` (the plans the user has from every source that serves it, by name) and `sources`: per source `assigned_by_group` (null for the direct assignment), `state` (`Active`, `ActiveWithError`, `Disabled`, `Error`), `error` (`CountViolation`, `MutuallyExclusiveViolation`, `DependencyViolation`, `ProhibitedInUsageLocationViolation`, `UniquenessViolation`, `Other`, or null), `enabled_plans` and `disabled_plans` by name.",
                ),
            ],
        )
    }

    async fn validate(&self, _ctx: &Context, config: &Model, diags: &mut Diagnostics) {
        if let Some(user_id) = config.user_id.known()
            && Guid::parse(user_id).is_none()
            && !is_user_principal_name(user_id)
        {
            diags.push(diagnostics::invalid_user_id(user_id));
        }
    }

    async fn read(&self, ctx: &Context, tenant: &Tenant, mut config: Model, diags: &mut Diagnostics) -> Option<Model> {
        let user_id = config.user_id.known()?.clone();
        let user = match tenant.graph.user(&ctx.cancel, &user_id).await {
            Ok(Some(user)) => user,
            Ok(None) => {
                diags.push(diagnostics::assignee_not_found(&user_id));
                return None;
            }
            Err(e) => {
                diags.push(graph_error("Unable to Read User", &e));
                return None;
            }
        };
        let skus = tenant
            .subscribed_skus(&ctx.cancel)
            .await
            .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)?;
        let served = served_with(&user, &direct_licenses(&user));
        let mut licenses: Vec<HeldLicense> = sources(&user)
            .into_iter()
            .map(|(sku_id, list)| {
                let sku = find_sku(sku_id.as_str(), &skus);
                HeldLicense {
                    sku_part_number: key_for(&sku_id, &skus),
                    direct: list.iter().any(|s| s.group_id.is_none()),
                    group_ids: list
                        .iter()
                        .filter_map(|s| s.group_id.as_ref().map(Guid::to_string))
                        .collect(),
                    enabled_plans: match served.get(&sku_id) {
                        Some(disabled) => enabled_names(sku, disabled),
                        None => SetOf(Vec::new()),
                    },
                    sources: list.iter().map(|s| source(sku, s)).collect(),
                    sku_id: sku_id.to_string(),
                }
            })
            .collect();
        licenses.sort_by(|a, b| (&a.sku_part_number, &a.sku_id).cmp(&(&b.sku_part_number, &b.sku_id)));
        config.id = Attr::Known(user.id);
        config.user_principal_name = Attr::Known(user.user_principal_name.unwrap_or_default());
        config.usage_location = user.usage_location.map_or(Attr::Null, Attr::Known);
        config.licenses = Attr::Known(licenses);
        Some(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_is_the_schema() {
        let schema = DataSource::<Tenant>::schema(&UserLicenses);
        assert_eq!(Model::tf_type(), schema.implied_type().without_optional_markers());
    }
}

//! `entra_licensed_groups`: every group that holds licences, with its licences keyed the
//! way `entra_group_license_assignment` imports them (part numbers, plan names), for bulk
//! adoption: an `import` block and a resource, both with `for_each` over `groups`.
//!
//! Graph (`Group.Read.All`): `GET /subscribedSkus` (once per provider process), then per
//! SKU the advanced query `GET /groups?$filter=assignedLicenses/any(x:x/skuId eq {sku})`
//! (`$count=true`, `ConsistencyLevel: eventual`, `$select=id,displayName,assignedLicenses`,
//! `$top=999`), the first pages of up to 20 SKUs in one `$batch` call, then one request per
//! further page (see [`crate::graph::GraphClient::groups_holding`]). For N licensed groups
//! over S subscribed SKUs (n_s groups holding SKU s) a read costs ⌈S/20⌉ batch calls plus
//! Σ_s (⌈n_s/999⌉ − 1) page requests: one request for a tenant with 20 SKUs and up to 999
//! groups per SKU, whatever N. With `sku`, only that SKU is queried. The display-name
//! prefix is applied to the groups read (it does not change the cost): Graph's
//! `startswith(displayName,…)` cannot be combined with the licence filter in one query
//! here.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::graph::models::SubscribedSku;
use crate::licensed_groups::licensed_groups;
use crate::licensing::catalog::{find_sku, key_for, plan_names};
use crate::licensing::{Guid, Tenant};
use crate::model;
use crate::tfplugin::{Attr, Attribute, Context, DataSource, Diagnostics, Schema, SetOf, TfType};

/// The data source.
pub struct LicensedGroups;

model! {
    /// The filters and the groups found.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct LicensedGroupsModel {
        /// Only groups holding this SKU (part number or SKU ID).
        pub sku: Attr<String>,
        /// Only groups whose display name starts with this (case-insensitive).
        pub display_name_prefix: Attr<String>,
        /// The groups, by object ID.
        pub groups: Attr<BTreeMap<String, LicensedGroup>>,
    }
}

model! {
    /// A group and its licences.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct LicensedGroup {
        /// Object ID.
        pub id: String,
        /// Display name.
        pub display_name: String,
        /// Its licences, keyed by part number (the SKU ID when the tenant does not list it).
        pub licenses: BTreeMap<String, HeldLicense>,
    }
}

model! {
    /// One licence of a group.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct HeldLicense {
        /// The SKU ID.
        pub sku_id: String,
        /// Disabled service plans, by name (the ID when the SKU does not list it).
        pub disabled_plans: SetOf<String>,
        /// Disabled service plans, by ID.
        pub disabled_plan_ids: SetOf<String>,
    }
}

type Model = LicensedGroupsModel;

fn schema() -> Schema {
    Schema::new(
        "Every group that holds licences, with its licences keyed as `entra_group_license_assignment` imports them (part numbers, plan names): the input of a bulk `import` block with `for_each` (Terraform 1.7+). Cost of a read for N licensed groups: one `$batch` request per 20 subscribed SKUs, plus one request per further page of 999 groups holding one SKU (one request in all for up to 20 SKUs and 999 groups per SKU). Advanced queries are eventually consistent: a licence assigned seconds ago may not show yet.",
        vec![
            Attribute::string("sku")
                .optional()
                .description("Only groups holding this SKU, by part number (e.g. `SPE_E5`) or SKU ID. Only this SKU is then queried."),
            Attribute::string("display_name_prefix")
                .optional()
                .description("Only groups whose display name starts with this, ignoring case. Applied to the groups read: it does not make the read cheaper."),
            Attribute::new("groups", BTreeMap::<String, LicensedGroup>::tf_type())
                .computed()
                .description("The groups, by object ID: `id`, `display_name`, and `licenses` keyed by SKU part number, each with `sku_id`, `disabled_plans` (names) and `disabled_plan_ids`. Every licence of a group is listed, also when `sku` is set."),
        ],
    )
}

/// A group's licences as the resource's import writes them.
fn held_licenses(
    assigned: &[crate::graph::models::AssignedLicense],
    skus: &[SubscribedSku],
) -> BTreeMap<String, HeldLicense> {
    assigned
        .iter()
        .filter_map(|l| {
            let sku_id = Guid::parse(&l.sku_id)?;
            let disabled: Vec<Guid> = l.disabled_plans.iter().filter_map(|p| Guid::parse(p)).collect();
            let license = HeldLicense {
                sku_id: sku_id.to_string(),
                disabled_plans: SetOf(plan_names(find_sku(sku_id.as_str(), skus), &disabled)),
                disabled_plan_ids: SetOf({
                    let mut ids: Vec<String> = disabled.iter().map(Guid::to_string).collect();
                    ids.sort();
                    ids
                }),
            };
            Some((key_for(&sku_id, skus), license))
        })
        .collect()
}

#[async_trait]
impl DataSource<Tenant> for LicensedGroups {
    type Model = Model;

    fn type_name(&self) -> &'static str {
        "entra_licensed_groups"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, _ctx: &Context, config: &Model, diags: &mut Diagnostics) {
        if let Some(sku) = config.sku.known() {
            diags.extend(crate::diagnostics::invalid_sku_filter(sku));
        }
    }

    async fn read(&self, ctx: &Context, tenant: &Tenant, mut config: Model, diags: &mut Diagnostics) -> Option<Model> {
        let sku = config.sku.known().map(String::as_str);
        let prefix = config.display_name_prefix.known().map(String::as_str);
        let (skus, groups) = licensed_groups(ctx, tenant, sku, prefix, false, diags).await?;
        let found = groups
            .into_iter()
            .map(|g| {
                let id = g.id.to_ascii_lowercase();
                let group = LicensedGroup {
                    id: id.clone(),
                    display_name: g.display_name.unwrap_or_default(),
                    licenses: held_licenses(&g.assigned_licenses, &skus),
                };
                (id, group)
            })
            .collect();
        config.groups = Attr::Known(found);
        Some(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::licensing::catalog::tests::{E5, YAMMER, skus};

    #[test]
    fn the_model_is_the_schema() {
        assert_eq!(Model::tf_type(), schema().implied_type().without_optional_markers());
    }

    #[test]
    fn licences_are_keyed_and_named_as_import_writes_them() {
        let assigned = vec![
            crate::graph::models::AssignedLicense {
                sku_id: E5.to_uppercase(),
                disabled_plans: vec![YAMMER.to_owned()],
            },
            crate::graph::models::AssignedLicense {
                sku_id: "00000000-0000-0000-0000-0000000000aa".into(),
                disabled_plans: vec![],
            },
        ];
        let held = held_licenses(&assigned, &skus());
        assert_eq!(held["SPE_E5"].sku_id, E5);
        assert_eq!(held["SPE_E5"].disabled_plans, SetOf(vec!["YAMMER_ENTERPRISE".into()]));
        assert_eq!(held["SPE_E5"].disabled_plan_ids, SetOf(vec![YAMMER.to_owned()]));
        assert_eq!(
            held["00000000-0000-0000-0000-0000000000aa"].disabled_plans,
            SetOf(vec![])
        );
    }
}

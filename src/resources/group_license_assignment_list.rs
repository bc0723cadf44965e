//! The list resource `entra_group_license_assignment` (`terraform query`, Terraform
//! 1.14+): the groups that hold licences, as identities of the managed resource of the
//! same name, each with the state its import would write.
//!
//! Graph: `GET /subscribedSkus` (once per provider process), then the advanced queries of
//! [`crate::graph::GraphClient::groups_holding`] (one `$batch` per 20 SKUs, one request per
//! further page of 999), or with `with_member_license_errors`
//! `GET /groups?$filter=hasMembersWithLicenseErrors eq true` (paged). The display-name
//! prefix filters the groups read. Listed objects leave the member-error attributes null
//! (reading them costs requests per group; import and apply read them).

use async_trait::async_trait;

use crate::licensed_groups::licensed_groups;
use crate::licensing::Tenant;
use crate::model;
use crate::resources::group_license_assignment::{GroupIdentity, GroupLicenseAssignmentModel, imported_state};
use crate::tfplugin::{Attr, Attribute, Context, Diagnostics, ListRequest, ListResource, Listed, Schema};

/// The list resource.
pub struct GroupLicenseAssignmentList;

model! {
    /// The `config` block of a `list "entra_group_license_assignment"` block.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct GroupLicenseAssignmentListConfig {
        pub sku: Attr<String>,
        pub display_name_prefix: Attr<String>,
        pub with_member_license_errors: Attr<bool>,
    }
}

fn list_schema() -> Schema {
    Schema::new(
        "Groups that hold licences, to import as `entra_group_license_assignment` (`terraform query`, Terraform 1.14+).",
        vec![
            Attribute::string("sku")
                .optional()
                .description("Only groups holding this SKU, by part number (e.g. `SPE_E5`) or SKU ID."),
            Attribute::string("display_name_prefix")
                .optional()
                .description("Only groups whose display name starts with this, ignoring case."),
            Attribute::bool("with_member_license_errors")
                .optional()
                .description("When `true`, only groups with members in licence error."),
        ],
    )
}

#[async_trait]
impl ListResource<Tenant> for GroupLicenseAssignmentList {
    type Config = GroupLicenseAssignmentListConfig;
    type Identity = GroupIdentity;
    type Object = GroupLicenseAssignmentModel;

    fn type_name(&self) -> &'static str {
        "entra_group_license_assignment"
    }

    fn schema(&self) -> Schema {
        list_schema()
    }

    async fn validate(&self, _ctx: &Context, config: &GroupLicenseAssignmentListConfig, diags: &mut Diagnostics) {
        if let Some(sku) = config.sku.known() {
            diags.extend(crate::diagnostics::invalid_sku_filter(sku));
        }
    }

    async fn list(
        &self,
        ctx: &Context,
        tenant: &Tenant,
        request: ListRequest<GroupLicenseAssignmentListConfig>,
        diags: &mut Diagnostics,
    ) -> Vec<Listed<GroupIdentity, GroupLicenseAssignmentModel>> {
        let config = &request.config;
        let Some((skus, mut found)) = licensed_groups(
            ctx,
            tenant,
            config.sku.known().map(String::as_str),
            config.display_name_prefix.known().map(String::as_str),
            config.with_member_license_errors.known() == Some(&true),
            diags,
        )
        .await
        else {
            return Vec::new();
        };
        found.sort_by(|a, b| (&a.display_name, &a.id).cmp(&(&b.display_name, &b.id)));
        found.truncate(request.limit);
        found
            .iter()
            .map(|group| Listed {
                identity: GroupIdentity {
                    group_id: Attr::Known(group.id.to_ascii_lowercase()),
                },
                display_name: group.display_name.clone().unwrap_or_else(|| group.id.clone()),
                object: request.include_resource_object.then(|| imported_state(group, &skus)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::TfType;

    #[test]
    fn the_config_is_the_schema() {
        assert_eq!(
            GroupLicenseAssignmentListConfig::tf_type(),
            list_schema().implied_type().without_optional_markers()
        );
    }
}

//! `entra_group`: a group's ID by its display name.
//!
//! Graph: `GET /groups?$filter=displayName eq '…'` (`Group.Read.All`). Exactly one group
//! must match: display names are not unique in Entra, and guessing would license the wrong
//! people.

use async_trait::async_trait;

use crate::diagnostics::graph_error;
use crate::licensing::Tenant;
use crate::model;
use crate::tfplugin::{Attr, Attribute, AttributePath, Context, DataSource, Diagnostics, Schema};

/// The data source.
pub struct GroupByName;

model! {
    /// The lookup and its result.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct GroupByNameModel {
        /// The name to match.
        pub display_name: Attr<String>,
        /// The group's ID.
        pub id: Attr<String>,
        /// Whether it can hold licences.
        pub security_enabled: Attr<bool>,
    }
}

type Model = GroupByNameModel;

#[async_trait]
impl DataSource<Tenant> for GroupByName {
    type Model = Model;

    fn type_name(&self) -> &'static str {
        "entra_group"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Looks up a group by its display name; exactly one group must have it.",
            vec![
                Attribute::string("display_name")
                    .required()
                    .description("The group's display name, matched exactly."),
                Attribute::string("id").computed().description("The group's object ID."),
                Attribute::bool("security_enabled")
                    .computed()
                    .description("Whether the group is security-enabled (only those can hold licences)."),
            ],
        )
    }

    async fn read(&self, ctx: &Context, tenant: &Tenant, mut config: Model, diags: &mut Diagnostics) -> Option<Model> {
        let name = config.display_name.known()?.clone();
        let groups = match tenant.graph.groups_named(&ctx.cancel, &name).await {
            Ok(groups) => groups,
            Err(e) => {
                diags.push(graph_error("Unable to Search Groups", &e));
                return None;
            }
        };
        match groups.as_slice() {
            [group] => {
                config.id = Attr::Known(group.id.clone());
                config.security_enabled = Attr::Known(group.security_enabled.unwrap_or(false));
                Some(config)
            }
            [] => {
                diags.attribute_error(
                    AttributePath::attr("display_name"),
                    "Group Not Found",
                    format!("No group is named {name:?} (names match exactly, including case)."),
                );
                None
            }
            many => {
                let ids: Vec<&str> = many.iter().map(|g| g.id.as_str()).collect();
                diags.attribute_error(
                    AttributePath::attr("display_name"),
                    "Ambiguous Group Name",
                    format!(
                        "{} groups are named {name:?}: {}. Use the group's object ID instead.",
                        many.len(),
                        ids.join(", ")
                    ),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::TfType;

    #[test]
    fn the_model_is_the_schema() {
        let schema = DataSource::<Tenant>::schema(&GroupByName);
        assert_eq!(Model::tf_type(), schema.implied_type().without_optional_markers());
    }
}

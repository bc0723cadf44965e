//! `entra_group`: a group's ID by its display name.
//!
//! Graph: `GET /groups?$filter=displayName eq '…'` (`Group.Read.All`). Exactly one group
//! must match: display names are not unique in Entra, and guessing would license the wrong
//! people.

use async_trait::async_trait;

use crate::graph::endpoints::groups::READ_PERMISSION;
use crate::provider::ProviderData;
use crate::tfplugin::{Attribute, AttributePath, Context, DataSource, Diagnostics, IntoValue, Schema, Value};

/// The data source.
pub struct GroupByName;

#[async_trait]
impl DataSource<ProviderData> for GroupByName {
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

    async fn read(&self, ctx: &Context, data: &ProviderData, config: Value, diags: &mut Diagnostics) -> Option<Value> {
        let name = config.get("display_name").as_str()?.to_owned();
        let groups = match data.graph.groups_named(&ctx.cancel, &name).await {
            Ok(groups) => groups,
            Err(e) => {
                diags.push(e.to_diagnostic("Unable to Search Groups", READ_PERMISSION));
                return None;
            }
        };
        match groups.as_slice() {
            [group] => {
                let mut state = config;
                state.set("id", group.id.clone().into_value());
                state.set("security_enabled", group.security_enabled.unwrap_or(false).into_value());
                Some(state)
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

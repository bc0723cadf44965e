//! Finding the groups that hold licences, shared by the data source `entra_licensed_groups`
//! and the list resource `entra_group_license_assignment`: the SKU list, the advanced
//! queries of [`crate::graph::GraphClient::groups_holding`] (or, for groups with members in
//! licence error, `groups_with_license_errors`), and the display-name prefix applied to the
//! groups read.

use std::sync::Arc;

use crate::diagnostics::{OrDiagnostic, SUBSCRIBED_SKUS_UNREADABLE, graph_error};
use crate::graph::models::{Group, SubscribedSku};
use crate::licensing::Tenant;
use crate::licensing::catalog::skus_to_query;
use crate::tfplugin::{AttributePath, Context, Diagnostics};

/// Whether `name` starts with `prefix`, ignoring case.
fn starts_with_ignoring_case(name: &str, prefix: &str) -> bool {
    name.to_lowercase().starts_with(&prefix.to_lowercase())
}

/// The groups that hold licences, as the data source `entra_licensed_groups` and the list
/// resource `entra_group_license_assignment` find them: `sku` (part number or ID) narrows the
/// query, `with_errors` asks Graph for groups with members in licence error instead, and
/// `prefix` filters the display names read. With the tenant's SKUs, for names; `None`
/// with a diagnostic (an unknown `sku` on the attribute).
pub(crate) async fn licensed_groups(
    ctx: &Context,
    tenant: &Tenant,
    sku: Option<&str>,
    prefix: Option<&str>,
    with_errors: bool,
    diags: &mut Diagnostics,
) -> Option<(Arc<Vec<SubscribedSku>>, Vec<Group>)> {
    let skus = tenant
        .subscribed_skus(&ctx.cancel)
        .await
        .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)?;
    let wanted = match skus_to_query(sku, &skus) {
        Ok(wanted) => wanted,
        Err(detail) => {
            diags.attribute_error(AttributePath::attr("sku"), "SKU Not Found", detail);
            return None;
        }
    };
    let groups = if with_errors {
        tenant
            .graph
            .groups_with_license_errors(&ctx.cancel)
            .await
            .map(|groups| {
                groups
                    .into_iter()
                    .filter(|g| {
                        g.assigned_licenses
                            .iter()
                            .any(|l| wanted.iter().any(|w| w.eq_ignore_ascii_case(&l.sku_id)))
                    })
                    .collect()
            })
    } else {
        tenant.graph.groups_holding(&ctx.cancel, &wanted).await
    };
    let groups: Vec<Group> = match groups {
        Ok(groups) => groups,
        Err(e) => {
            diags.push(graph_error("Unable to List Licensed Groups", &e));
            return None;
        }
    };
    let prefix = prefix.unwrap_or_default();
    let found = groups
        .into_iter()
        .filter(|g| !g.assigned_licenses.is_empty())
        .filter(|g| starts_with_ignoring_case(g.display_name.as_deref().unwrap_or_default(), prefix))
        .collect();
    Some((skus, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_ignores_case() {
        assert!(starts_with_ignoring_case("Bench Group 1", "bench"));
        assert!(!starts_with_ignoring_case("Sales", "bench"));
    }
}

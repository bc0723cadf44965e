//! `entra_subscribed_skus`: the tenant's subscribed SKUs, with seats and service plans.
//!
//! Graph: `GET /subscribedSkus` (permission `LicenseAssignment.Read.All`), one request.
//! Optional `sku_part_number` keeps only that SKU (Graph's endpoint has no `$filter`, so
//! the filter is applied here).

use async_trait::async_trait;

use crate::diagnostics::{OrDiagnostic, SUBSCRIBED_SKUS_UNREADABLE};
use crate::graph::models::SubscribedSku;
use crate::licensing::Tenant;
use crate::model;
use crate::tfplugin::{Attr, Attribute, AttributePath, Context, DataSource, Diagnostics, Schema, TfType};

/// The data source.
pub struct SubscribedSkus;

model! {
    /// The filter and the SKUs.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct SubscribedSkusModel {
        /// Only this part number.
        pub sku_part_number: Attr<String>,
        /// The SKUs.
        pub skus: Attr<Vec<Sku>>,
    }
}

model! {
    /// One SKU.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Sku {
        /// Its ID.
        pub sku_id: String,
        /// Its part number.
        pub sku_part_number: String,
        /// `User` or `Company`.
        pub applies_to: String,
        /// `Enabled`, `Warning`, `Suspended`, `Deleted` or `LockedOut`.
        pub capability_status: String,
        /// Seats.
        pub units: Units,
        /// Its plans.
        pub service_plans: Vec<ServicePlan>,
    }
}

model! {
    /// A SKU's seats.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Units {
        /// Bought and active.
        pub enabled: i64,
        /// Assigned.
        pub consumed: i64,
        /// Enabled − consumed.
        pub available: i64,
        /// In their grace period.
        pub warning: i64,
        /// Suspended.
        pub suspended: i64,
        /// Locked out.
        pub locked_out: i64,
    }
}

model! {
    /// A service plan of a SKU.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct ServicePlan {
        /// Its ID.
        pub id: String,
        /// Its name.
        pub name: String,
        /// `User` or `Company`.
        pub applies_to: String,
        /// Its provisioning status.
        pub provisioning_status: String,
    }
}

impl From<&SubscribedSku> for Sku {
    fn from(sku: &SubscribedSku) -> Self {
        let units = &sku.prepaid_units;
        Sku {
            sku_id: sku.sku_id.clone(),
            sku_part_number: sku.sku_part_number.trim().to_owned(),
            applies_to: sku.applies_to.clone(),
            capability_status: sku.capability_status.clone(),
            units: Units {
                enabled: units.enabled,
                consumed: sku.consumed_units,
                available: (units.enabled - sku.consumed_units).max(0),
                warning: units.warning,
                suspended: units.suspended,
                locked_out: units.locked_out,
            },
            service_plans: sku
                .service_plans
                .iter()
                .map(|p| ServicePlan {
                    id: p.service_plan_id.clone(),
                    name: p.service_plan_name.clone(),
                    applies_to: p.applies_to.clone(),
                    provisioning_status: p.provisioning_status.clone(),
                })
                .collect(),
        }
    }
}

type Model = SubscribedSkusModel;

#[async_trait]
impl DataSource<Tenant> for SubscribedSkus {
    type Model = Model;

    fn type_name(&self) -> &'static str {
        "entra_subscribed_skus"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The licence SKUs the tenant subscribes to, with seat counts and service plans. Reads `GET /subscribedSkus` (application permission `LicenseAssignment.Read.All`).",
            vec![
                Attribute::string("sku_part_number")
                    .optional()
                    .description("Only the SKU with this part number (for example `SPE_E5`), compared without regard to case."),
                Attribute::new("skus", Vec::<Sku>::tf_type()).computed().description(
                    "The SKUs: `sku_id`, `sku_part_number`, `applies_to` (`User` or `Company`), `capability_status`, `units` (`enabled`, `consumed`, `available` = enabled − consumed, `warning`, `suspended`, `locked_out`) and `service_plans` (`id`, `name`, `applies_to`, `provisioning_status`).",
                ),
            ],
        )
    }

    async fn read(&self, ctx: &Context, tenant: &Tenant, mut config: Model, diags: &mut Diagnostics) -> Option<Model> {
        let wanted = config.sku_part_number.known().cloned();
        // Always fresh: seat counts are what a data source is read for.
        let skus = tenant
            .graph
            .subscribed_skus(&ctx.cancel)
            .await
            .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)?;
        let selected: Vec<Sku> = skus
            .iter()
            .filter(|s| {
                wanted
                    .as_deref()
                    .is_none_or(|w| s.sku_part_number.trim().eq_ignore_ascii_case(w.trim()))
            })
            .map(Sku::from)
            .collect();
        if let (Some(wanted), true) = (&wanted, selected.is_empty()) {
            let known: Vec<&str> = skus.iter().map(|s| s.sku_part_number.as_str()).collect();
            diags.attribute_error(
                AttributePath::attr("sku_part_number"),
                "Unknown License SKU",
                format!(
                    "The tenant has no SKU with part number {wanted:?}. Its SKUs are: {}.",
                    known.join(", ")
                ),
            );
            return None;
        }
        config.skus = Attr::Known(selected);
        Some(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_is_the_schema() {
        let schema = DataSource::<Tenant>::schema(&SubscribedSkus);
        assert_eq!(Model::tf_type(), schema.implied_type().without_optional_markers());
    }
}

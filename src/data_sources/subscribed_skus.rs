//! `entra_subscribed_skus`: the tenant's subscribed SKUs, with seats and service plans.
//!
//! Graph: `GET /subscribedSkus` (permission `LicenseAssignment.Read.All`), one request.
//! Optional `sku_part_number` keeps only that SKU (Graph's endpoint has no `$filter`, so
//! the filter is applied here).

use async_trait::async_trait;

use crate::graph::endpoints::subscribed_skus::PERMISSION;
use crate::graph::models::SubscribedSku;
use crate::provider::ProviderData;
use crate::tfplugin::{Attribute, AttributePath, Context, DataSource, Diagnostics, IntoValue, Schema, Type, Value};

/// The data source.
pub struct SubscribedSkus;

fn units_type() -> Type {
    Type::object([
        ("enabled", Type::Number),
        ("consumed", Type::Number),
        ("available", Type::Number),
        ("warning", Type::Number),
        ("suspended", Type::Number),
        ("locked_out", Type::Number),
    ])
}

fn plan_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("name", Type::String),
        ("applies_to", Type::String),
        ("provisioning_status", Type::String),
    ])
}

fn sku_type() -> Type {
    Type::object([
        ("sku_id", Type::String),
        ("sku_part_number", Type::String),
        ("applies_to", Type::String),
        ("capability_status", Type::String),
        ("units", units_type()),
        ("service_plans", Type::list(plan_type())),
    ])
}

fn sku_value(sku: &SubscribedSku) -> Value {
    let units = &sku.prepaid_units;
    Value::object([
        ("sku_id", sku.sku_id.clone().into_value()),
        ("sku_part_number", sku.sku_part_number.trim().to_owned().into_value()),
        ("applies_to", sku.applies_to.clone().into_value()),
        ("capability_status", sku.capability_status.clone().into_value()),
        (
            "units",
            Value::object([
                ("enabled", units.enabled.into_value()),
                ("consumed", sku.consumed_units.into_value()),
                ("available", (units.enabled - sku.consumed_units).max(0).into_value()),
                ("warning", units.warning.into_value()),
                ("suspended", units.suspended.into_value()),
                ("locked_out", units.locked_out.into_value()),
            ]),
        ),
        (
            "service_plans",
            Value::List(
                sku.service_plans
                    .iter()
                    .map(|p| {
                        Value::object([
                            ("id", p.service_plan_id.clone().into_value()),
                            ("name", p.service_plan_name.clone().into_value()),
                            ("applies_to", p.applies_to.clone().into_value()),
                            ("provisioning_status", p.provisioning_status.clone().into_value()),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

#[async_trait]
impl DataSource<ProviderData> for SubscribedSkus {
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
                Attribute::new("skus", Type::list(sku_type())).computed().description(
                    "The SKUs: `sku_id`, `sku_part_number`, `applies_to` (`User` or `Company`), `capability_status`, `units` (`enabled`, `consumed`, `available` = enabled − consumed, `warning`, `suspended`, `locked_out`) and `service_plans` (`id`, `name`, `applies_to`, `provisioning_status`).",
                ),
            ],
        )
    }

    async fn read(&self, ctx: &Context, data: &ProviderData, config: Value, diags: &mut Diagnostics) -> Option<Value> {
        let wanted = config.get("sku_part_number").as_str().map(str::to_owned);
        let skus = match data.graph.subscribed_skus(&ctx.cancel).await {
            Ok(skus) => skus,
            Err(e) => {
                diags.push(e.to_diagnostic("Unable to Read Subscribed SKUs", PERMISSION));
                return None;
            }
        };
        let selected: Vec<Value> = skus
            .iter()
            .filter(|s| {
                wanted
                    .as_deref()
                    .is_none_or(|w| s.sku_part_number.trim().eq_ignore_ascii_case(w.trim()))
            })
            .map(sku_value)
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
        let mut state = config;
        state.set("skus", Value::List(selected));
        Some(state)
    }
}

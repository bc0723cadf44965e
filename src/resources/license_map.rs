//! The `licenses` map that the licence assignment resources share: its schema, its typed
//! model, its static checks, and its resolution against the tenant into
//! `effective_licenses`. A group's licences and a user's direct licences are written the
//! same way (keys by part number or SKU ID, plans by name or ID), so they are read, checked
//! and shown the same way.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::{self, OrDiagnostic, SUBSCRIBED_SKUS_UNREADABLE};
use crate::graph::models::SubscribedSku;
use crate::licensing::catalog::{self, LicenseRequest, ResolvedLicense, find_sku, plan_names};
use crate::licensing::change::{Licenses, Managed, as_held, without_added};
use crate::licensing::{Guid, Tenant};
use crate::model;
use crate::tfplugin::{Attr, Attribute, AttributePath, Context, Diagnostics, Nesting, SetOf, TfType, Type};
use std::sync::Arc;

/// The `licenses` attribute; `holder` says who gets them ("group", "user").
pub fn licenses_attribute(holder: &str) -> Attribute {
    Attribute::nested(
        "licenses",
        Nesting::Map,
        vec![
            Attribute::new("disabled_plans", Type::set(Type::String))
                .optional()
                .description("Service plans to switch off, by `servicePlanName` or `servicePlanId`. Left out, it means none, as `[]` does, and the plan treats the two alike (no change shown when only that differs from state); import and refresh write it out only when plans are disabled."),
            Attribute::new("enabled_plans", Type::set(Type::String)).optional().description(
                "An allow-list instead: every other plan of the SKU is switched off, including plans Microsoft adds later. Conflicts with `disabled_plans`.",
            ),
        ],
    )
    .required()
    .description(format!(
        "The licences assigned to the {holder}, keyed by the SKU's part number (e.g. `SPE_E5`) or its SKU ID (GUID)."
    ))
}

/// The computed `effective_licenses` attribute.
pub fn effective_licenses_attribute() -> Attribute {
    Attribute::new("effective_licenses", BTreeMap::<String, EffectiveLicense>::tf_type()).computed().description(
        "Per key of `licenses`: the resolved `sku_id`, `sku_part_number`, `disabled_plan_ids` (exactly what is sent to Graph) and the same plans by name (`disabled_plans`).",
    )
}

model! {
    /// One licence as written.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct LicenseConfig {
        pub disabled_plans: Attr<SetOf<String>>,
        pub enabled_plans: Attr<SetOf<String>>,
    }
}

model! {
    /// One licence as sent to Graph.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct EffectiveLicense {
        pub sku_id: String,
        pub sku_part_number: String,
        pub disabled_plan_ids: SetOf<String>,
        pub disabled_plans: SetOf<String>,
    }
}

/// The `licenses` value of a configuration, plan or state.
pub type LicenseMap = Attr<BTreeMap<String, LicenseConfig>>;
/// The `effective_licenses` value.
pub type EffectiveMap = Attr<BTreeMap<String, EffectiveLicense>>;

/// The licences as written, or `None` while any part is unknown.
pub fn license_requests(licenses: &LicenseMap) -> Option<BTreeMap<String, LicenseRequest>> {
    let known_list = |list: &Attr<SetOf<String>>| match list {
        Attr::Unknown => None,
        Attr::Null => Some(None),
        Attr::Known(items) => Some(Some(items.0.clone())),
    };
    licenses
        .known()?
        .iter()
        .map(|(key, license)| {
            let request = LicenseRequest {
                disabled: known_list(&license.disabled_plans)?,
                enabled: known_list(&license.enabled_plans)?,
            };
            Some((key.clone(), request))
        })
        .collect()
}

/// The licences a state manages, by key, from its `effective_licenses`.
pub fn resolved(effective: &EffectiveMap) -> BTreeMap<String, ResolvedLicense> {
    let guids = |ids: &SetOf<String>| ids.0.iter().filter_map(|p| Guid::parse(p)).collect();
    effective
        .known()
        .into_iter()
        .flatten()
        .filter_map(|(key, e)| {
            let license = ResolvedLicense {
                sku_id: Guid::parse(&e.sku_id)?,
                sku_part_number: e.sku_part_number.clone(),
                disabled_plan_ids: guids(&e.disabled_plan_ids),
            };
            Some((key.clone(), license))
        })
        .collect()
}

/// What a state manages (nothing while `effective_licenses` is unknown).
pub fn managed(effective: &EffectiveMap, exclusive: &Attr<bool>) -> Managed {
    Managed {
        licenses: resolved(effective)
            .into_values()
            .map(|l| (l.sku_id, l.disabled_plan_ids))
            .collect(),
        exclusive: exclusive.known() == Some(&true),
    }
}

/// The SKUs a state manages: what a write may remove.
pub fn managed_skus(effective: &EffectiveMap) -> BTreeSet<Guid> {
    resolved(effective).into_values().map(|l| l.sku_id).collect()
}

/// The `graph_disabled_plan_ids` value: per key, plans Graph disabled on its own.
pub type GraphAddedMap = Attr<BTreeMap<String, SetOf<String>>>;

/// Per SKU, the plans Graph disabled on its own, as a state records them.
pub fn graph_added(effective: &EffectiveMap, recorded: &GraphAddedMap) -> Licenses {
    let recorded = recorded.known();
    resolved(effective)
        .into_iter()
        .map(|(key, license)| {
            let plans = recorded
                .and_then(|a| a.get(&key))
                .map(|ids| ids.0.iter().filter_map(|p| Guid::parse(p)).collect());
            (license.sku_id, plans.unwrap_or_default())
        })
        .collect()
}

/// Per key, the plans `seen` disables beyond what `effective` sent: the
/// `graph_disabled_plan_ids` to record after a write or a read.
pub fn graph_added_record(effective: &EffectiveMap, seen: &Licenses) -> GraphAddedMap {
    let added = resolved(effective)
        .into_iter()
        .map(|(key, license)| {
            let extra = seen
                .get(&license.sku_id)
                .map(|held| {
                    held.difference(&license.disabled_plan_ids)
                        .map(Guid::to_string)
                        .collect()
                })
                .unwrap_or_default();
            (key, SetOf(extra))
        })
        .collect();
    Attr::Known(added)
}

/// `effective_licenses` for resolved licences.
pub fn effective(
    resolved: &BTreeMap<String, ResolvedLicense>,
    skus: &[SubscribedSku],
) -> BTreeMap<String, EffectiveLicense> {
    resolved
        .iter()
        .map(|(key, r)| {
            let license = EffectiveLicense {
                sku_id: r.sku_id.to_string(),
                sku_part_number: r.sku_part_number.clone(),
                disabled_plan_ids: SetOf(r.disabled_plan_ids.iter().map(Guid::to_string).collect()),
                disabled_plans: SetOf(plan_names(find_sku(r.sku_id.as_str(), skus), &r.disabled_plan_ids)),
            };
            (key.clone(), license)
        })
        .collect()
}

/// A licence written as a person would: disabled plans by name, left out when there are
/// none (`"SKU" = {}`, the most common way to write it).
pub fn license_config(sku: Option<&SubscribedSku>, disabled: &BTreeSet<Guid>) -> LicenseConfig {
    let disabled_plans = if disabled.is_empty() {
        Attr::Null
    } else {
        Attr::Known(SetOf(plan_names(sku, disabled)))
    };
    LicenseConfig {
        disabled_plans,
        enabled_plans: Attr::Null,
    }
}

/// What `current` holds, described in a state's own keys, so that the next plan shows
/// exactly what changed outside Terraform: `licenses` (a licence whose plans did not change
/// keeps its configuration as written, the others are written with plan names, unlisted
/// SKUs under their part numbers with `exclusive`), `effective_licenses`, and the
/// `graph_disabled_plan_ids` to record. `graph_added` are the plans Graph disabled on its
/// own: they stay out of `licenses`. With `effective` empty and `exclusive`, this is what
/// import writes.
pub fn described(
    licenses: LicenseMap,
    effective: &EffectiveMap,
    exclusive: bool,
    current: &Licenses,
    graph_added: &Licenses,
    skus: &[SubscribedSku],
) -> (LicenseMap, EffectiveMap, GraphAddedMap) {
    let before = resolved(effective);
    let held = as_held(&before, &without_added(current, graph_added), exclusive, skus);
    let (licenses, effective) = describe_held(&before, &held, licenses, skus);
    let recorded = graph_added_record(&effective, current);
    (licenses, effective, recorded)
}

/// Describes `held` licences in the keys of `state_licenses` (see [`described`]).
fn describe_held(
    before: &BTreeMap<String, ResolvedLicense>,
    held: &BTreeMap<String, ResolvedLicense>,
    state_licenses: LicenseMap,
    skus: &[SubscribedSku],
) -> (LicenseMap, EffectiveMap) {
    let mut written = state_licenses.into_known().unwrap_or_default();
    let licenses = held
        .iter()
        .map(|(key, license)| {
            let unchanged = before.get(key) == Some(license);
            let config = match written.remove(key) {
                Some(config) if unchanged => config,
                _ => license_config(find_sku(license.sku_id.as_str(), skus), &license.disabled_plan_ids),
            };
            (key.clone(), config)
        })
        .collect();
    (Attr::Known(licenses), Attr::Known(effective(held, skus)))
}

/// True when two writings of `licenses` differ at most in leaving `disabled_plans` out
/// where the other writes `[]` (both mean "no plan disabled"). Keys, plan names and
/// `enabled_plans` must be written exactly alike: another spelling is a visible change.
///
/// Planning the prior value of the whole `licenses` attribute is the one equivalence
/// every Terraform since 1.0 accepts for a non-computed attribute (`plan_valid.go`: the
/// planned value equals the prior one and both it and the configuration are non-null),
/// and it returns before Terraform 1.0.0–1.0.5 inspect the nested map's elements, which
/// panics there ("value is not an object").
pub fn written_alike(prior: &LicenseMap, config: &LicenseMap) -> bool {
    fn disabled(list: &Attr<SetOf<String>>) -> Option<BTreeSet<&String>> {
        match list {
            Attr::Unknown => None,
            Attr::Null => Some(BTreeSet::new()),
            Attr::Known(items) => Some(items.0.iter().collect()),
        }
    }
    fn enabled(list: &Attr<SetOf<String>>) -> Option<Option<BTreeSet<&String>>> {
        match list {
            Attr::Unknown => None,
            Attr::Null => Some(None),
            Attr::Known(items) => Some(Some(items.0.iter().collect())),
        }
    }
    let (Some(prior), Some(config)) = (prior.known(), config.known()) else {
        return false;
    };
    prior.len() == config.len()
        && prior.iter().zip(config).all(|((prior_key, p), (config_key, c))| {
            prior_key == config_key
                && disabled(&p.disabled_plans).is_some_and(|d| disabled(&c.disabled_plans) == Some(d))
                && enabled(&p.enabled_plans).is_some_and(|e| enabled(&c.enabled_plans) == Some(e))
        })
}

/// The static checks of `licenses` (before the provider is configured): not empty, SKU
/// IDs and plan IDs well formed, not both plan lists. `holder` names what the licences are
/// assigned to, for the advice.
pub fn validate_licenses(licenses: &LicenseMap, holder: &str, diags: &mut Diagnostics) {
    let Some(licenses) = licenses.known() else { return };
    if licenses.is_empty() {
        diags.attribute_error(
            AttributePath::attr("licenses"),
            "No Licenses",
            format!("List at least one licence; to remove every licence from the {holder}, destroy the resource."),
        );
    }
    for (key, license) in licenses {
        let path = AttributePath::attr("licenses").key(key);
        if Guid::is_malformed(key) {
            diags.attribute_error(
                path.clone(),
                "Malformed SKU ID",
                format!("{key:?} looks like a SKU ID but is not a valid GUID."),
            );
        }
        if license.disabled_plans.known().is_some() && license.enabled_plans.known().is_some() {
            diags.attribute_error(
                path.clone(),
                "Conflicting Plan Lists",
                "Set disabled_plans or enabled_plans, not both: enabled_plans already disables every plan it does not list.",
            );
        }
        for (attribute, list) in [
            ("disabled_plans", &license.disabled_plans),
            ("enabled_plans", &license.enabled_plans),
        ] {
            // Terraform can place a diagnostic on the licence, not inside its lists.
            for plan in list.known().map(|l| l.0.as_slice()).unwrap_or_default() {
                if plan.trim().is_empty() {
                    diags.attribute_error(
                        path.clone(),
                        "Empty Service Plan Name",
                        format!("{attribute} of licenses[{key:?}] holds an empty string; remove it, or write a plan's servicePlanName or servicePlanId."),
                    );
                } else if Guid::is_malformed(plan) {
                    diags.attribute_error(
                        path.clone(),
                        "Malformed Service Plan ID",
                        format!("{plan:?} in {attribute} of licenses[{key:?}] looks like a service plan ID but is not a valid GUID."),
                    );
                }
            }
        }
    }
}

/// The configured licences resolved against the tenant's SKUs, every problem reported on
/// its licence; `None` when any is an error or the SKUs cannot be read.
pub async fn resolve(
    ctx: &Context,
    tenant: &Tenant,
    requests: &BTreeMap<String, LicenseRequest>,
    diags: &mut Diagnostics,
) -> Option<(Arc<Vec<SubscribedSku>>, BTreeMap<String, ResolvedLicense>)> {
    let skus = tenant
        .subscribed_skus(&ctx.cancel)
        .await
        .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)?;
    let resolution = catalog::resolve(requests, &skus);
    diags.extend(
        resolution
            .problems
            .iter()
            .map(|(key, p)| diagnostics::license_problem(key, p)),
    );
    let resolved = resolution.complete()?.clone();
    Some((skus, resolved))
}

/// True when two object IDs are the same GUID written differently (letter case, spaces).
pub fn same_guid(prior: &Attr<String>, config: &Attr<String>) -> bool {
    match (prior.known(), config.known()) {
        (Some(prior), Some(config)) => {
            prior != config && Guid::parse(prior).is_some_and(|p| Guid::parse(config) == Some(p))
        }
        _ => false,
    }
}

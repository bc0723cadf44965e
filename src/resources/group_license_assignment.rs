//! `entra_group_license_assignment`: licence SKUs assigned to one group, with their
//! disabled plans.
//!
//! Graph calls:
//! - Plan: `GET /subscribedSkus` once per provider process (names resolved, validated and
//!   diffed against the tenant); for a new SKU on a known group, `GET /groups/{id}/members`
//!   for the seat forecast.
//! - Create/Update: `GET /groups/{id}?$select=…` then one `POST /groups/{id}/assignLicense`
//!   whose `addLicenses` holds the new SKUs and the SKUs whose disabled plans changed
//!   (with their full list) and whose `removeLicenses` holds the dropped ones; nothing is
//!   sent when nothing changed. Then, with `wait_for_processing`, `GET /groups/{id}` until
//!   `ProcessingComplete`, and `GET /groups/{id}/membersWithLicenseErrors`.
//! - Read: `GET /groups/{id}?$select=…`, one request (a refresh of N resources costs N + 1).
//! - Delete: `GET /groups/{id}` then `POST assignLicense` removing exactly the managed SKUs.
//! - Import: `GET /groups/{id}` and `GET /subscribedSkus`.
//!
//! Why the change is computed against the group's current licences rather than the prior
//! state: a SKU changed in the portal is then put right by the same single call, and a SKU
//! already as planned is not sent again. A change of disabled plans re-posts the SKU in
//! `addLicenses`, which Graph applies in place: members never lose the licence.
//! Concurrency: every write holds the provider's lock for the group (several resources may
//! manage different SKUs of one group when `exclusive = false`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;

use crate::graph::endpoints::groups::{ASSIGN_PERMISSION, MEMBERS_PERMISSION, READ_PERMISSION};
use crate::graph::models::{AssignedLicense, Group, SubscribedSku};
use crate::provider::ProviderData;
use crate::tfplugin::{
    Attribute, AttributePath, Block, Context, Diagnostics, IdentityAttribute, IdentitySchema, IntoValue, NestedBlock,
    Nesting, PlanRequest, PlannedChange, ReadOutcome, Resource, Schema, SetOf, Type, UpdateRequest, Value,
};

/// How long create, update and delete wait for processing unless `timeouts` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// At most this many member errors are kept in state.
const MEMBER_ERROR_LIMIT: usize = 100;
const COMPLETE: &str = "ProcessingComplete";

/// The resource.
pub struct GroupLicenseAssignment;

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

fn effective_type() -> Type {
    Type::map(Type::object([
        ("sku_id", Type::String),
        ("sku_part_number", Type::String),
        ("disabled_plan_ids", Type::set(Type::String)),
    ]))
}

fn member_error_type() -> Type {
    Type::object([
        ("user_id", Type::String),
        ("user_principal_name", Type::String),
        ("sku_id", Type::String),
        ("error", Type::String),
    ])
}

fn schema() -> Schema {
    let timeouts = Block {
        attributes: ["create", "update", "delete"]
            .into_iter()
            .map(|op| {
                Attribute::string(op).optional().description(format!(
                    "How long to wait for licence processing on {op}, e.g. `30m` (default `15m`)."
                ))
            })
            .collect(),
        description: "Time limits for waiting on licence processing.".into(),
        ..Block::default()
    };
    Schema::new(
        "Assigns licence SKUs to a group (group-based licensing), with the service plans to switch off. Several SKUs per resource, named by part number or GUID, validated against the tenant's subscribed SKUs at plan time. A change of disabled plans is an in-place update: members never lose the licence.",
        vec![
            Attribute::string("id").computed().use_state_for_unknown().description("The group's object ID."),
            Attribute::string("group_id")
                .required()
                .requires_replace()
                .description("Object ID of a security group, or of a Microsoft 365 group with `securityEnabled = true`. Changing it replaces the resource."),
            Attribute::nested(
                "licenses",
                Nesting::Map,
                vec![
                    Attribute::new("disabled_plans", Type::set(Type::String))
                        .optional()
                        .description("Service plans to switch off, by `servicePlanName` or `servicePlanId`."),
                    Attribute::new("enabled_plans", Type::set(Type::String)).optional().description(
                        "An allow-list instead: every other plan of the SKU is switched off, including plans Microsoft adds later. Conflicts with `disabled_plans`.",
                    ),
                ],
            )
            .required()
            .description("The licences, keyed by the SKU's part number (e.g. `SPE_E5`) or its SKU ID (GUID)."),
            Attribute::bool("exclusive")
                .optional()
                .description("When `true`, SKUs on the group that are not listed in `licenses` are removed. Default `false`: other SKUs are left alone."),
            Attribute::bool("wait_for_processing").optional().description(
                "Wait until the group's licence processing is complete, then report member licence errors (default `true`).",
            ),
            Attribute::new("effective_licenses", effective_type()).computed().description(
                "Per key of `licenses`: the resolved `sku_id`, `sku_part_number` and `disabled_plan_ids`, exactly what is sent to Graph.",
            ),
            Attribute::string("license_processing_state")
                .computed()
                .description("The group's `licenseProcessingState` after the last apply (`ProcessingComplete` once every member is processed)."),
            Attribute::number("members_with_license_errors")
                .computed()
                .description("How many members had licence errors from this group after the last apply."),
            Attribute::new("member_license_errors", Type::list(member_error_type())).computed().description(
                "Up to 100 member licence errors after the last apply: `user_id`, `user_principal_name`, `sku_id`, `error` (CountViolation, MutuallyExclusiveViolation, DependencyViolation, ProhibitedInUsageLocationViolation, UniquenessViolation, Other).",
            ),
        ],
    )
    .with_blocks(vec![NestedBlock::new("timeouts", Nesting::Single, timeouts)])
}

// ---------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------

/// One configured licence: its key and plan lists as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseInput {
    /// Plans to disable, if given.
    pub disabled: Option<Vec<String>>,
    /// Plans to keep, if given.
    pub enabled: Option<Vec<String>>,
}

/// A licence resolved against the tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Lower-case SKU GUID.
    pub sku_id: String,
    /// Part number.
    pub sku_part_number: String,
    /// Lower-case plan GUIDs to disable.
    pub disabled_plan_ids: BTreeSet<String>,
}

fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_elements()
        .map(|items| items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
}

/// The configured licences, or `None` while any part is unknown.
fn licenses_of(value: &Value) -> Option<BTreeMap<String, LicenseInput>> {
    if !value.get("licenses").is_wholly_known() {
        return None;
    }
    let map = value.get("licenses").as_map()?;
    Some(
        map.iter()
            .map(|(key, item)| {
                let disabled = (!item.get("disabled_plans").is_null())
                    .then(|| strings(item.get("disabled_plans")).unwrap_or_default());
                let enabled = (!item.get("enabled_plans").is_null())
                    .then(|| strings(item.get("enabled_plans")).unwrap_or_default());
                (key.clone(), LicenseInput { disabled, enabled })
            })
            .collect(),
    )
}

fn effective_value(resolved: &BTreeMap<String, Resolved>) -> Value {
    Value::Map(
        resolved
            .iter()
            .map(|(key, r)| {
                let item = Value::object([
                    ("sku_id", r.sku_id.clone().into_value()),
                    ("sku_part_number", r.sku_part_number.clone().into_value()),
                    (
                        "disabled_plan_ids",
                        SetOf(r.disabled_plan_ids.iter().cloned().collect::<Vec<_>>()).into_value(),
                    ),
                ]);
                (key.clone(), item)
            })
            .collect(),
    )
}

/// SKU ID → disabled plan IDs, from an `effective_licenses` value.
fn effective_plans(value: &Value) -> BTreeMap<String, BTreeSet<String>> {
    value
        .as_map()
        .map(|m| {
            m.values()
                .filter_map(|item| {
                    let sku = item.get("sku_id").as_str()?.to_ascii_lowercase();
                    let plans = strings(item.get("disabled_plan_ids"))
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| p.to_ascii_lowercase())
                        .collect();
                    Some((sku, plans))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Looks like someone meant a GUID (dashes, 36 characters) but it is not one.
fn is_malformed_guid(text: &str) -> bool {
    text.matches('-').count() == 4 && !is_guid(text)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            current.push(
                (previous[j] + usize::from(ca != *cb))
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let name = name.to_ascii_uppercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .map(|c| (levenshtein(&name, &c.to_ascii_uppercase()), c))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

fn find_sku<'a>(key: &str, skus: &'a [SubscribedSku]) -> Option<&'a SubscribedSku> {
    let key = key.trim();
    skus.iter().find(|s| {
        if is_guid(key) {
            s.sku_id.eq_ignore_ascii_case(key)
        } else {
            s.sku_part_number.trim().eq_ignore_ascii_case(key)
        }
    })
}

/// Resolves every configured licence against the subscribed SKUs, with one diagnostic
/// per problem on the attribute at fault. `None` when any licence is in error.
pub fn resolve(
    licenses: &BTreeMap<String, LicenseInput>,
    skus: &[SubscribedSku],
    diags: &mut Diagnostics,
) -> Option<BTreeMap<String, Resolved>> {
    let mut resolved = BTreeMap::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut failed = false;
    for (key, input) in licenses {
        let path = AttributePath::attr("licenses").key(key);
        let Some(sku) = find_sku(key, skus) else {
            let suggestions = closest(key, skus.iter().map(|s| s.sku_part_number.as_str()));
            diags.attribute_error(
                path,
                "Unknown License SKU",
                format!(
                    "The tenant does not subscribe to a SKU {key:?}. Closest part numbers: {}. Use a part number or SKU ID from the entra_subscribed_skus data source.",
                    suggestions.join(", ")
                ),
            );
            failed = true;
            continue;
        };
        let sku_id = sku.sku_id.to_ascii_lowercase();
        if let Some(first) = seen.insert(sku_id.clone(), key.clone()) {
            diags.attribute_error(
                path,
                "Duplicate License SKU",
                format!(
                    "licenses[{first:?}] and licenses[{key:?}] both name {} ({}). List each SKU once.",
                    sku.sku_part_number, sku.sku_id
                ),
            );
            failed = true;
            continue;
        }
        if sku.applies_to.eq_ignore_ascii_case("Company") {
            diags.attribute_error(
                path,
                "License SKU Cannot Be Assigned",
                format!(
                    "{} applies to the whole company, not to users: it cannot be assigned to a group.",
                    sku.sku_part_number
                ),
            );
            failed = true;
            continue;
        }
        match sku.capability_status.as_str() {
            "Suspended" | "LockedOut" | "Deleted" => {
                diags.attribute_error(
                    path,
                    "License SKU Not Active",
                    format!(
                        "The subscription for {} is {}: its licences cannot be assigned. Reactivate or renew it, or remove this licence.",
                        sku.sku_part_number, sku.capability_status
                    ),
                );
                failed = true;
                continue;
            }
            "Warning" => diags.attribute_warning(
                path.clone(),
                "License SKU In Grace Period",
                format!(
                    "The subscription for {} has expired and is in its grace period; renew it before it is suspended.",
                    sku.sku_part_number
                ),
            ),
            _ => {}
        }
        let mut plan_ids = |names: &[String], attribute: &str| -> Option<BTreeSet<String>> {
            let mut ids = BTreeSet::new();
            for name in names {
                let plan = sku.service_plans.iter().find(|p| {
                    p.service_plan_id.eq_ignore_ascii_case(name) || p.service_plan_name.eq_ignore_ascii_case(name)
                });
                match plan {
                    Some(plan) => {
                        ids.insert(plan.service_plan_id.to_ascii_lowercase());
                    }
                    None => {
                        let names: Vec<&str> = sku.service_plans.iter().map(|p| p.service_plan_name.as_str()).collect();
                        diags.attribute_error(
                            path.attribute(attribute),
                            "Service Plan Not In SKU",
                            format!(
                                "{name:?} is not a service plan of {}. Its plans are: {}.",
                                sku.sku_part_number,
                                names.join(", ")
                            ),
                        );
                        return None;
                    }
                }
            }
            Some(ids)
        };
        let disabled = match (&input.disabled, &input.enabled) {
            (_, Some(enabled)) => plan_ids(enabled, "enabled_plans").map(|keep| {
                sku.service_plans
                    .iter()
                    .map(|p| p.service_plan_id.to_ascii_lowercase())
                    .filter(|p| !keep.contains(p))
                    .collect()
            }),
            (Some(disabled), None) => plan_ids(disabled, "disabled_plans"),
            (None, None) => Some(BTreeSet::new()),
        };
        let Some(disabled_plan_ids) = disabled else {
            failed = true;
            continue;
        };
        resolved.insert(
            key.clone(),
            Resolved {
                sku_id,
                sku_part_number: sku.sku_part_number.trim().to_owned(),
                disabled_plan_ids,
            },
        );
    }
    (!failed).then_some(resolved)
}

/// One `assignLicense` body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenseChange {
    /// SKUs to add, or whose disabled plans change (full list).
    pub add: Vec<AssignedLicense>,
    /// SKUs to remove.
    pub remove: Vec<String>,
}

/// The one call an apply makes, or `None` when the group is already as planned.
///
/// - `managed_before`: SKU IDs this resource managed before (empty on create);
/// - `planned`: SKU ID → disabled plan IDs the resource wants (empty on delete);
/// - `exclusive`: also remove SKUs nobody listed;
/// - `current`: the group's licences now.
///
/// A SKU is added when the group lacks it or its disabled plans differ; removed when this
/// resource managed it (or `exclusive`) and it is no longer planned but still present.
pub fn license_change(
    managed_before: &BTreeSet<String>,
    planned: &BTreeMap<String, BTreeSet<String>>,
    exclusive: bool,
    current: &[AssignedLicense],
) -> Option<LicenseChange> {
    let current: BTreeMap<String, BTreeSet<String>> = current
        .iter()
        .map(|l| {
            (
                l.sku_id.to_ascii_lowercase(),
                l.disabled_plans.iter().map(|p| p.to_ascii_lowercase()).collect(),
            )
        })
        .collect();
    let add: Vec<AssignedLicense> = planned
        .iter()
        .filter(|(sku, disabled)| current.get(*sku) != Some(disabled))
        .map(|(sku, disabled)| AssignedLicense {
            sku_id: sku.clone(),
            disabled_plans: disabled.iter().cloned().collect(),
        })
        .collect();
    let remove: Vec<String> = current
        .keys()
        .filter(|sku| !planned.contains_key(*sku) && (exclusive || managed_before.contains(*sku)))
        .cloned()
        .collect();
    (!add.is_empty() || !remove.is_empty()).then_some(LicenseChange { add, remove })
}

/// Parses a Terraform duration such as `30m`, `1h30m`, `90s`.
fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
    }
    (number.is_empty() && total > 0).then(|| Duration::from_secs(total))
}

fn timeout(config: &Value, operation: &str) -> Duration {
    config
        .get("timeouts")
        .get(operation)
        .as_str()
        .and_then(parse_duration)
        .unwrap_or(DEFAULT_TIMEOUT)
}

// ---------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------

/// Computed values that only an apply changes; kept from the prior state when the plan
/// sends nothing to Graph, unknown otherwise.
const AFTER_APPLY: [&str; 3] = [
    "license_processing_state",
    "members_with_license_errors",
    "member_license_errors",
];

async fn seat_forecast(
    ctx: &Context,
    data: &ProviderData,
    group_id: &str,
    new: &[(&String, &Resolved)],
    skus: &[SubscribedSku],
    diags: &mut Diagnostics,
) {
    let members = match data.graph.members_with_licenses(&ctx.cancel, group_id).await {
        Ok(members) => members,
        Err(e) if e.is_not_found() => {
            diags.attribute_error(
                AttributePath::attr("group_id"),
                "Group Not Found",
                format!("There is no group {group_id} in the tenant. Check group_id."),
            );
            return;
        }
        Err(e) => {
            let mut d = e.to_diagnostic("Unable to Forecast Seats", MEMBERS_PERMISSION);
            d.severity = crate::tfplugin::Severity::Warning;
            diags.push(d);
            return;
        }
    };
    for (key, license) in new {
        let Some(sku) = skus.iter().find(|s| s.sku_id.eq_ignore_ascii_case(&license.sku_id)) else {
            continue;
        };
        let newcomers = members
            .iter()
            .filter(|m| {
                !m.assigned_licenses
                    .iter()
                    .any(|l| l.sku_id.eq_ignore_ascii_case(&sku.sku_id))
            })
            .count() as i64;
        let free = sku.prepaid_units.enabled - sku.consumed_units;
        if newcomers > free {
            diags.attribute_warning(
                AttributePath::attr("licenses").key(*key),
                "Not Enough Seats",
                format!(
                    "{newcomers} members of the group would newly consume {}, but only {free} of its {} seats are free: the others will get CountViolation errors until seats are added and they are reprocessed.",
                    sku.sku_part_number, sku.prepaid_units.enabled
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Apply
// ---------------------------------------------------------------------------------------

fn graph_error(diags: &mut Diagnostics, error: crate::graph::GraphError, summary: &str, permission: &str) {
    diags.push(error.to_diagnostic(summary, permission));
}

async fn current_group(
    ctx: &Context,
    data: &ProviderData,
    group_id: &str,
    diags: &mut Diagnostics,
) -> Option<Option<Group>> {
    match data.graph.group(&ctx.cancel, group_id).await {
        Ok(group) => Some(group),
        Err(e) => {
            graph_error(diags, e, "Unable to Read Group", READ_PERMISSION);
            None
        }
    }
}

/// Waits for processing (when asked), then records the processing state and member errors.
async fn after_apply(
    ctx: &Context,
    data: &ProviderData,
    group_id: &str,
    config: &Value,
    operation: &str,
    state: &mut Value,
    diags: &mut Diagnostics,
) {
    let wait = config.get("wait_for_processing").as_bool().unwrap_or(true);
    let deadline = tokio::time::Instant::now() + timeout(config, operation);
    let mut delay = Duration::from_millis(250);
    let mut processing = String::new();
    loop {
        match data.graph.group(&ctx.cancel, group_id).await {
            Ok(Some(group)) => processing = group.license_processing_state.and_then(|s| s.state).unwrap_or_default(),
            Ok(None) => break,
            Err(e) => {
                graph_error(diags, e, "Unable to Read License Processing State", READ_PERMISSION);
                break;
            }
        }
        if !wait || processing == COMPLETE || processing.is_empty() {
            break;
        }
        if tokio::time::Instant::now() + delay > deadline {
            diags.warning(
                "License Processing Not Finished",
                format!(
                    "The licences are assigned, but the group's members were still being processed ({processing}) when the {operation} timeout ran out. Member licence errors are not reported yet; the next apply or the entra_group_licenses data source shows them."
                ),
            );
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = ctx.cancel.cancelled() => break,
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    state.set("license_processing_state", Value::string(processing.clone()));
    let mut errors = Vec::new();
    let mut members_in_error = 0i64;
    if processing == COMPLETE {
        match data.graph.members_with_license_errors(&ctx.cancel, group_id).await {
            Ok(members) => {
                members_in_error = members.len() as i64;
                for member in &members {
                    for s in member.license_assignment_states.iter().filter(|s| {
                        s.assigned_by_group
                            .as_deref()
                            .is_some_and(|g| g.eq_ignore_ascii_case(group_id))
                    }) {
                        if let Some(error) = s.error() {
                            errors.push((
                                member.id.clone(),
                                member.user_principal_name.clone().unwrap_or_default(),
                                s.sku_id.clone().unwrap_or_default(),
                                error.to_owned(),
                            ));
                        }
                    }
                }
            }
            Err(e) => {
                let mut d = e.to_diagnostic("Unable to Read Member License Errors", MEMBERS_PERMISSION);
                d.severity = crate::tfplugin::Severity::Warning;
                diags.push(d);
            }
        }
    }
    if members_in_error > 0 {
        let sample: Vec<String> = errors
            .iter()
            .take(5)
            .map(|(id, upn, sku, error)| format!("{} ({sku}): {error}", if upn.is_empty() { id } else { upn }))
            .collect();
        diags.warning(
            "Members With License Errors",
            format!(
                "{members_in_error} members of group {group_id} could not get this group's licences, for example:\n{}\n\nFix the cause (free seats for CountViolation, conflicting plans, usage location), then reprocess them, for example with entra_user_license_reprocess.",
                sample.join("\n")
            ),
        );
    }
    state.set("members_with_license_errors", members_in_error.into_value());
    state.set(
        "member_license_errors",
        Value::List(
            errors
                .into_iter()
                .take(MEMBER_ERROR_LIMIT)
                .map(|(id, upn, sku, error)| {
                    Value::object([
                        ("user_id", id.into_value()),
                        ("user_principal_name", upn.into_value()),
                        ("sku_id", sku.into_value()),
                        ("error", error.into_value()),
                    ])
                })
                .collect(),
        ),
    );
}

/// The shared create/update path: lock, read, one call, wait, record.
async fn apply(
    ctx: &Context,
    data: &ProviderData,
    managed_before: BTreeSet<String>,
    mut state: Value,
    operation: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let group_id = state.get("group_id").as_str()?.to_owned();
    let planned = effective_plans(state.get("effective_licenses"));
    let exclusive = state.get("exclusive").as_bool().unwrap_or(false);
    let lock = data.group_lock(&group_id);
    let _guard = lock.lock().await;
    let Some(current) = current_group(ctx, data, &group_id, diags).await? else {
        diags.attribute_error(
            AttributePath::attr("group_id"),
            "Group Not Found",
            format!("There is no group {group_id} in the tenant. Check group_id."),
        );
        return None;
    };
    let change = license_change(&managed_before, &planned, exclusive, &current.assigned_licenses);
    if let Some(change) = &change {
        tracing::debug!(
            group_id,
            add = change.add.len(),
            remove = change.remove.len(),
            "assignLicense"
        );
        if let Err(e) = data
            .graph
            .assign_group_licenses(&ctx.cancel, &group_id, &change.add, &change.remove)
            .await
        {
            graph_error(diags, e, "Unable to Assign Licenses", ASSIGN_PERMISSION);
            return None;
        }
    }
    state.set("id", Value::string(group_id.clone()));
    let config = state.clone();
    after_apply(ctx, data, &group_id, &config, operation, &mut state, diags).await;
    Some(state)
}

// ---------------------------------------------------------------------------------------
// Read and import helpers
// ---------------------------------------------------------------------------------------

fn plan_names(sku: Option<&SubscribedSku>, ids: &[String]) -> Vec<String> {
    let mut names: Vec<String> = ids
        .iter()
        .map(|id| {
            sku.and_then(|s| s.plan_name(id))
                .map_or_else(|| id.clone(), str::to_owned)
        })
        .collect();
    names.sort();
    names
}

fn license_entry(disabled: Vec<String>) -> Value {
    Value::object([
        ("disabled_plans", SetOf(disabled).into_value()),
        ("enabled_plans", Value::Null),
    ])
}

fn key_for(sku_id: &str, skus: &[SubscribedSku]) -> String {
    skus.iter()
        .find(|s| s.sku_id.eq_ignore_ascii_case(sku_id))
        .map_or_else(|| sku_id.to_owned(), |s| s.sku_part_number.trim().to_owned())
}

// ---------------------------------------------------------------------------------------
// Resource
// ---------------------------------------------------------------------------------------

#[async_trait]
impl Resource<ProviderData> for GroupLicenseAssignment {
    fn type_name(&self) -> &'static str {
        "entra_group_license_assignment"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![IdentityAttribute {
                name: "group_id".into(),
                ty: Type::String,
                required_for_import: true,
                description: "The group's object ID.".into(),
            }],
        })
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        let group_id = state.get("group_id");
        group_id
            .as_str()
            .map(|_| Value::object([("group_id", group_id.clone())]))
    }

    async fn validate(&self, _ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        if let Some(group_id) = config.get("group_id").as_str()
            && !is_guid(group_id)
        {
            diags.attribute_error(
                AttributePath::attr("group_id"),
                "Invalid Group ID",
                format!("{group_id:?} is not a group object ID (a GUID such as 1132b215-826f-42a9-8cfe-1643d19d17fd). To find a group by name, use the entra_group data source."),
            );
        }
        if let Some(licenses) = config.get("licenses").as_map() {
            if licenses.is_empty() {
                diags.attribute_error(
                    AttributePath::attr("licenses"),
                    "No Licenses",
                    "List at least one licence; to remove every licence, destroy the resource.",
                );
            }
            for (key, item) in licenses {
                let path = AttributePath::attr("licenses").key(key);
                if is_malformed_guid(key) {
                    diags.attribute_error(
                        path.clone(),
                        "Malformed SKU ID",
                        format!("{key:?} looks like a SKU ID but is not a valid GUID."),
                    );
                }
                let is_set = |v: &Value| !v.is_null() && !v.is_unknown();
                if is_set(item.get("disabled_plans")) && is_set(item.get("enabled_plans")) {
                    diags.attribute_error(
                        path.clone(),
                        "Conflicting Plan Lists",
                        "Set disabled_plans or enabled_plans, not both: enabled_plans already disables every plan it does not list.",
                    );
                }
                for attribute in ["disabled_plans", "enabled_plans"] {
                    for plan in strings(item.get(attribute)).unwrap_or_default() {
                        if is_malformed_guid(&plan) {
                            diags.attribute_error(
                                path.attribute(attribute),
                                "Malformed Service Plan ID",
                                format!("{plan:?} looks like a service plan ID but is not a valid GUID."),
                            );
                        }
                    }
                }
            }
        }
        for operation in ["create", "update", "delete"] {
            if let Some(text) = config.get("timeouts").get(operation).as_str()
                && parse_duration(text).is_none()
            {
                diags.attribute_error(
                    AttributePath::attr("timeouts").attribute(operation),
                    "Invalid Timeout",
                    format!("{text:?} is not a duration; write it like 30m, 1h30m or 90s."),
                );
            }
        }
    }

    async fn plan(
        &self,
        ctx: &Context,
        data: Option<&ProviderData>,
        request: &PlanRequest,
        change: &mut PlannedChange,
        diags: &mut Diagnostics,
    ) {
        let planned = &mut change.planned;
        if let Some(group_id) = request.config.get("group_id").as_str() {
            planned.set("id", Value::string(group_id));
        }
        let prior_effective = effective_plans(request.prior.get("effective_licenses"));
        let (Some(licenses), Some(data)) = (licenses_of(&request.config), data) else {
            planned.set("effective_licenses", Value::unknown());
            return;
        };
        let Some(skus) = data.subscribed_skus_or_diagnostic(&ctx.cancel, diags).await else {
            return;
        };
        let Some(resolved) = resolve(&licenses, &skus, diags) else {
            return;
        };
        let effective = effective_value(&resolved);
        let new_plans: BTreeMap<String, BTreeSet<String>> = resolved
            .values()
            .map(|r| (r.sku_id.clone(), r.disabled_plan_ids.clone()))
            .collect();
        let exclusive_changed = request.prior.get("exclusive").as_bool().unwrap_or(false)
            != request.config.get("exclusive").as_bool().unwrap_or(false);
        let sends_nothing = !request.prior.is_null() && new_plans == prior_effective && !exclusive_changed;
        if sends_nothing {
            // Same SKUs and plans, perhaps spelled differently: keep what is in state.
            planned.set("effective_licenses", request.prior.get("effective_licenses").clone());
            for name in AFTER_APPLY {
                planned.set(name, request.prior.get(name).clone());
            }
        } else {
            planned.set("effective_licenses", effective);
            for name in AFTER_APPLY {
                planned.set(name, Value::unknown());
            }
        }
        let new: Vec<(&String, &Resolved)> = resolved
            .iter()
            .filter(|(_, r)| !prior_effective.contains_key(&r.sku_id))
            .collect();
        if let (false, Some(group_id)) = (new.is_empty(), request.config.get("group_id").as_str()) {
            seat_forecast(ctx, data, group_id, &new, &skus, diags).await;
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        data: &ProviderData,
        planned: Value,
        _config: Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        apply(ctx, data, BTreeSet::new(), planned, "create", diags).await
    }

    async fn read(&self, ctx: &Context, data: &ProviderData, state: Value, diags: &mut Diagnostics) -> ReadOutcome {
        let Some(group_id) = state.get("group_id").as_str().map(str::to_owned) else {
            return ReadOutcome::Found(state);
        };
        let group = match data.graph.group(&ctx.cancel, &group_id).await {
            Ok(Some(group)) => group,
            Ok(None) => return ReadOutcome::Gone,
            Err(e) => {
                graph_error(diags, e, "Unable to Read Group", READ_PERMISSION);
                return ReadOutcome::Found(state);
            }
        };
        let actual: BTreeMap<String, BTreeSet<String>> = group
            .assigned_licenses
            .iter()
            .map(|l| {
                (
                    l.sku_id.to_ascii_lowercase(),
                    l.disabled_plans.iter().map(|p| p.to_ascii_lowercase()).collect(),
                )
            })
            .collect();
        let managed = effective_plans(state.get("effective_licenses"));
        let exclusive = state.get("exclusive").as_bool().unwrap_or(false);
        let extra: Vec<&String> = if exclusive {
            actual.keys().filter(|sku| !managed.contains_key(*sku)).collect()
        } else {
            Vec::new()
        };
        let drifted = managed.iter().any(|(sku, plans)| actual.get(sku) != Some(plans)) || !extra.is_empty();
        if !drifted {
            return ReadOutcome::Found(state);
        }
        // Something changed outside Terraform: describe the group as it is, so that the
        // next plan shows exactly that difference.
        let Some(skus) = data.subscribed_skus_or_diagnostic(&ctx.cancel, diags).await else {
            return ReadOutcome::Found(state);
        };
        let mut licenses = state.get("licenses").as_map().cloned().unwrap_or_default();
        let mut effective = state.get("effective_licenses").as_map().cloned().unwrap_or_default();
        for (key, item) in effective.clone() {
            let sku = item.get("sku_id").as_str().unwrap_or_default().to_ascii_lowercase();
            match actual.get(&sku) {
                None => {
                    licenses.remove(&key);
                    effective.remove(&key);
                }
                Some(plans) if managed.get(&sku) != Some(plans) => {
                    let subscribed = skus.iter().find(|s| s.sku_id.eq_ignore_ascii_case(&sku));
                    let ids: Vec<String> = plans.iter().cloned().collect();
                    licenses.insert(key.clone(), license_entry(plan_names(subscribed, &ids)));
                    let mut item = item.clone();
                    item.set("disabled_plan_ids", SetOf(ids).into_value());
                    effective.insert(key, item);
                }
                Some(_) => {}
            }
        }
        for sku in extra {
            let subscribed = skus.iter().find(|s| s.sku_id.eq_ignore_ascii_case(sku));
            let key = key_for(sku, &skus);
            let ids: Vec<String> = actual[sku].iter().cloned().collect();
            licenses.insert(key.clone(), license_entry(plan_names(subscribed, &ids)));
            let resolved = Resolved {
                sku_id: sku.clone(),
                sku_part_number: key.clone(),
                disabled_plan_ids: actual[sku].clone(),
            };
            effective.insert(
                key.clone(),
                effective_value(&BTreeMap::from([(key, resolved)]))
                    .as_map()
                    .expect("map")
                    .values()
                    .next()
                    .expect("one")
                    .clone(),
            );
        }
        let mut state = state;
        state.set("licenses", Value::Map(licenses));
        state.set("effective_licenses", Value::Map(effective));
        ReadOutcome::Found(state)
    }

    async fn update(
        &self,
        ctx: &Context,
        data: &ProviderData,
        request: UpdateRequest,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let managed_before: BTreeSet<String> = effective_plans(request.prior.get("effective_licenses"))
            .into_keys()
            .collect();
        let prior_plans = effective_plans(request.prior.get("effective_licenses"));
        let planned_plans = effective_plans(request.planned.get("effective_licenses"));
        let exclusive_same = request.prior.get("exclusive").as_bool().unwrap_or(false)
            == request.planned.get("exclusive").as_bool().unwrap_or(false);
        if prior_plans == planned_plans && exclusive_same {
            // Only the spelling changed (names vs IDs, disabled vs enabled lists): nothing
            // to send; the computed values are as planned, i.e. as before.
            return Some(request.planned);
        }
        match apply(ctx, data, managed_before, request.planned, "update", diags).await {
            Some(state) => Some(state),
            // Nothing was changed in the tenant: keep the prior state.
            None => Some(request.prior),
        }
    }

    async fn delete(&self, ctx: &Context, data: &ProviderData, prior: Value, diags: &mut Diagnostics) {
        let Some(group_id) = prior.get("group_id").as_str().map(str::to_owned) else {
            return;
        };
        let managed: BTreeSet<String> = effective_plans(prior.get("effective_licenses")).into_keys().collect();
        let lock = data.group_lock(&group_id);
        let _guard = lock.lock().await;
        let Some(Some(group)) = current_group(ctx, data, &group_id, diags).await else {
            return;
        };
        let Some(change) = license_change(&managed, &BTreeMap::new(), false, &group.assigned_licenses) else {
            return;
        };
        match data
            .graph
            .assign_group_licenses(&ctx.cancel, &group_id, &[], &change.remove)
            .await
        {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => graph_error(diags, e, "Unable to Remove Licenses", ASSIGN_PERMISSION),
        }
    }

    async fn import(&self, ctx: &Context, data: &ProviderData, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        let group_id = id.trim();
        if !is_guid(group_id) {
            diags.error(
                "Invalid Import ID",
                format!("{id:?} is not a group object ID. Import with the group's ID: terraform import entra_group_license_assignment.NAME <group-id>"),
            );
            return None;
        }
        let Some(group) = current_group(ctx, data, group_id, diags).await? else {
            diags.error(
                "Cannot Import Non-Existent Group",
                format!("There is no group {group_id} in the tenant."),
            );
            return None;
        };
        let skus = data.subscribed_skus_or_diagnostic(&ctx.cancel, diags).await?;
        let mut licenses = BTreeMap::new();
        let mut resolved = BTreeMap::new();
        for license in &group.assigned_licenses {
            let key = key_for(&license.sku_id, &skus);
            let subscribed = skus.iter().find(|s| s.sku_id.eq_ignore_ascii_case(&license.sku_id));
            let ids: Vec<String> = license.disabled_plans.iter().map(|p| p.to_ascii_lowercase()).collect();
            licenses.insert(key.clone(), license_entry(plan_names(subscribed, &ids)));
            resolved.insert(
                key.clone(),
                Resolved {
                    sku_id: license.sku_id.to_ascii_lowercase(),
                    sku_part_number: key,
                    disabled_plan_ids: ids.into_iter().collect(),
                },
            );
        }
        let mut state = Value::object([
            ("id", Value::string(group.id.clone())),
            ("group_id", Value::string(group.id.clone())),
            ("licenses", Value::Map(licenses)),
            ("exclusive", Value::Null),
            ("wait_for_processing", Value::Null),
            ("effective_licenses", effective_value(&resolved)),
            ("timeouts", Value::Null),
        ]);
        let config = Value::object([("wait_for_processing", Value::Bool(false))]);
        after_apply(ctx, data, &group.id, &config, "create", &mut state, diags).await;
        Some(state)
    }

    async fn import_identity(
        &self,
        ctx: &Context,
        data: &ProviderData,
        identity: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let group_id = identity.get("group_id").as_str().unwrap_or_default().to_owned();
        self.import(ctx, data, &group_id, diags).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::models::{LicenseUnits, ServicePlanInfo};

    fn sku(part: &str, id: &str, plans: &[(&str, &str)]) -> SubscribedSku {
        SubscribedSku {
            sku_id: id.into(),
            sku_part_number: part.into(),
            applies_to: "User".into(),
            capability_status: "Enabled".into(),
            consumed_units: 0,
            prepaid_units: LicenseUnits {
                enabled: 10,
                ..Default::default()
            },
            service_plans: plans
                .iter()
                .map(|(name, id)| ServicePlanInfo {
                    service_plan_id: (*id).into(),
                    service_plan_name: (*name).into(),
                    applies_to: "User".into(),
                    provisioning_status: "Success".into(),
                })
                .collect(),
        }
    }

    const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
    const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
    const TEAMS: &str = "57ff2da0-773e-42df-b2af-ffb7a2317929";

    fn skus() -> Vec<SubscribedSku> {
        let mut company = sku("MCOPSTNC", "47794cd0-f0e5-45c5-9033-2eb6b5fc84e0", &[]);
        company.applies_to = "Company".into();
        let mut suspended = sku("CRMSTANDARD", "d17b27af-3f49-4822-99f9-56a661538792", &[]);
        suspended.capability_status = "Suspended".into();
        vec![
            sku("SPE_E5", E5, &[("YAMMER_ENTERPRISE", YAMMER), ("TEAMS1", TEAMS)]),
            sku("SPE_E3", "05e9a617-0261-4cee-bb44-138d3ef5d965", &[]),
            company,
            suspended,
        ]
    }

    fn input(disabled: Option<&[&str]>, enabled: Option<&[&str]>) -> LicenseInput {
        let owned = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
        LicenseInput {
            disabled: disabled.map(owned),
            enabled: enabled.map(owned),
        }
    }

    #[test]
    fn names_and_guids_resolve_to_the_same_plans() {
        let mut diags = Diagnostics::new();
        let by_name = BTreeMap::from([("spe_e5".to_owned(), input(Some(&["YAMMER_ENTERPRISE"]), None))]);
        let by_ids = BTreeMap::from([(E5.to_owned(), input(Some(&[YAMMER]), None))]);
        let allow_list = BTreeMap::from([("SPE_E5".to_owned(), input(None, Some(&["TEAMS1"])))]);
        let a = resolve(&by_name, &skus(), &mut diags).unwrap();
        let b = resolve(&by_ids, &skus(), &mut diags).unwrap();
        let c = resolve(&allow_list, &skus(), &mut diags).unwrap();
        assert_eq!(a["spe_e5"].disabled_plan_ids, BTreeSet::from([YAMMER.to_owned()]));
        assert_eq!(a["spe_e5"].disabled_plan_ids, b[E5].disabled_plan_ids);
        assert_eq!(
            a["spe_e5"].disabled_plan_ids, c["SPE_E5"].disabled_plan_ids,
            "enabled_plans = everything else disabled"
        );
        assert!(diags.is_empty());
    }

    #[test]
    fn every_tenant_check_names_its_path() {
        let cases: Vec<(BTreeMap<String, LicenseInput>, &str, AttributePath)> = vec![
            (
                BTreeMap::from([("SPE_E6".into(), input(None, None))]),
                "Unknown License SKU",
                AttributePath::attr("licenses").key("SPE_E6"),
            ),
            (
                BTreeMap::from([("SPE_E5".into(), input(None, None)), (E5.into(), input(None, None))]),
                "Duplicate License SKU",
                AttributePath::attr("licenses").key("SPE_E5"),
            ),
            (
                BTreeMap::from([("MCOPSTNC".into(), input(None, None))]),
                "License SKU Cannot Be Assigned",
                AttributePath::attr("licenses").key("MCOPSTNC"),
            ),
            (
                BTreeMap::from([("CRMSTANDARD".into(), input(None, None))]),
                "License SKU Not Active",
                AttributePath::attr("licenses").key("CRMSTANDARD"),
            ),
            (
                BTreeMap::from([("SPE_E5".into(), input(Some(&["EXCHANGE_S_STANDARD"]), None))]),
                "Service Plan Not In SKU",
                AttributePath::attr("licenses")
                    .key("SPE_E5")
                    .attribute("disabled_plans"),
            ),
        ];
        for (licenses, summary, path) in cases {
            let mut diags = Diagnostics::new();
            assert!(resolve(&licenses, &skus(), &mut diags).is_none(), "{summary}");
            let d = diags.iter().next().unwrap();
            assert_eq!((d.summary.as_str(), d.path.clone()), (summary, Some(path)), "{d:?}");
        }
        let mut diags = Diagnostics::new();
        resolve(
            &BTreeMap::from([("SPE_E6".into(), input(None, None))]),
            &skus(),
            &mut diags,
        );
        assert!(
            diags.iter().next().unwrap().detail.contains("SPE_E5"),
            "closest matches are named"
        );
    }

    fn assigned(sku: &str, disabled: &[&str]) -> AssignedLicense {
        AssignedLicense {
            sku_id: sku.into(),
            disabled_plans: disabled.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn plans(entries: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        entries
            .iter()
            .map(|(s, d)| ((*s).to_owned(), d.iter().map(|p| (*p).to_owned()).collect()))
            .collect()
    }

    #[test]
    fn one_body_per_apply_and_none_when_nothing_changed() {
        let none = BTreeSet::new();
        // Create: new SKUs are added with their full disabled list.
        let change = license_change(&none, &plans(&[("a", &["p1"]), ("b", &[])]), false, &[]).unwrap();
        assert_eq!(change.add, vec![assigned("a", &["p1"]), assigned("b", &[])]);
        assert!(change.remove.is_empty());
        // Already as planned: nothing to send.
        assert_eq!(
            license_change(&none, &plans(&[("a", &["p1"])]), false, &[assigned("A", &["P1"])]),
            None
        );
        // Plans changed: the SKU is re-posted with the new full list, never removed.
        let managed = BTreeSet::from(["a".to_owned(), "b".to_owned()]);
        let change = license_change(
            &managed,
            &plans(&[("a", &["p2"])]),
            false,
            &[assigned("a", &["p1"]), assigned("b", &[]), assigned("c", &[])],
        )
        .unwrap();
        assert_eq!(change.add, vec![assigned("a", &["p2"])]);
        assert_eq!(
            change.remove,
            vec!["b".to_owned()],
            "dropped managed SKU removed; unmanaged c left alone"
        );
        // Exclusive removes what nobody listed.
        let change = license_change(
            &managed,
            &plans(&[("a", &["p1"])]),
            true,
            &[assigned("a", &["p1"]), assigned("c", &[])],
        )
        .unwrap();
        assert!(change.add.is_empty());
        assert_eq!(change.remove, vec!["c".to_owned()]);
        // Delete removes exactly the managed SKUs still present.
        let change = license_change(
            &managed,
            &BTreeMap::new(),
            false,
            &[assigned("b", &[]), assigned("c", &[])],
        )
        .unwrap();
        assert_eq!(change.remove, vec!["b".to_owned()]);
    }

    #[test]
    fn durations_and_guid_shapes() {
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("10"), None);
        assert!(is_malformed_guid("6fd2c87f-b296-42f0-b197-1e91e994b90z"));
        assert!(!is_malformed_guid("SPE_E5"));
        assert!(!is_malformed_guid(E5));
    }
}

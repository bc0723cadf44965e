//! The tenant's catalogue of SKUs and service plans: resolving what a user wrote (part
//! numbers, plan names, GUIDs, in any case) into IDs, and naming IDs back for people.
//!
//! Resolution reports every problem it finds as a [`Problem`] keyed by the licence it is
//! about, so that the caller can place each one on its own attribute; nothing here knows
//! how problems are shown.

use std::collections::{BTreeMap, BTreeSet};

use super::guid::Guid;
use crate::graph::models::SubscribedSku;

/// Which plan list a user wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanList {
    /// `disabled_plans`: the plans to switch off.
    Disabled,
    /// `enabled_plans`: the plans to keep; every other plan is switched off.
    Enabled,
}

/// One licence as written: a SKU key and at most one of the plan lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenseRequest {
    /// Plans to switch off, by name or ID.
    pub disabled: Option<Vec<String>>,
    /// Plans to keep, by name or ID.
    pub enabled: Option<Vec<String>>,
}

/// A licence resolved against the tenant: exactly what `assignLicense` is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedLicense {
    /// The SKU.
    pub sku_id: Guid,
    /// Its part number, e.g. `SPE_E5`.
    pub sku_part_number: String,
    /// The plans switched off.
    pub disabled_plan_ids: BTreeSet<Guid>,
}

/// Something wrong with one licence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The tenant has no such SKU; the closest part numbers are suggested.
    UnknownSku {
        /// Up to three part numbers, closest first.
        closest: Vec<String>,
    },
    /// Another key already names the same SKU.
    DuplicateSku {
        /// The other key.
        first_key: String,
        /// The SKU's part number.
        part_number: String,
        /// The SKU.
        sku_id: Guid,
    },
    /// A SKU for the whole company, not for users.
    CompanySku {
        /// Its part number.
        part_number: String,
    },
    /// The subscription is suspended, locked out or deleted.
    InactiveSku {
        /// Its part number.
        part_number: String,
        /// `capabilityStatus`.
        status: String,
    },
    /// The subscription expired and is in its grace period (still assignable).
    GracePeriod {
        /// Its part number.
        part_number: String,
    },
    /// A plan the SKU does not have.
    PlanNotInSku {
        /// The list it was written in.
        list: PlanList,
        /// What was written.
        plan: String,
        /// The SKU's part number.
        part_number: String,
        /// The SKU's plan names.
        plans: Vec<String>,
        /// Up to three plan names closest to what was written.
        closest: Vec<String>,
    },
}

impl Problem {
    /// False for a problem that does not stop the licence being assigned.
    pub fn is_error(&self) -> bool {
        !matches!(self, Problem::GracePeriod { .. })
    }
}

/// The outcome of [`resolve`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolution {
    /// The licences that resolved, by key.
    pub resolved: BTreeMap<String, ResolvedLicense>,
    /// Every problem found, by key.
    pub problems: Vec<(String, Problem)>,
}

impl Resolution {
    /// The resolved licences when no problem is an error.
    pub fn complete(&self) -> Option<&BTreeMap<String, ResolvedLicense>> {
        (!self.problems.iter().any(|(_, p)| p.is_error())).then_some(&self.resolved)
    }
}

/// Finds the SKU a key names: a SKU ID, or a part number in any case.
pub fn find_sku<'a>(key: &str, skus: &'a [SubscribedSku]) -> Option<&'a SubscribedSku> {
    match Guid::parse(key) {
        Some(id) => skus.iter().find(|s| Guid::parse(&s.sku_id).as_ref() == Some(&id)),
        None => skus
            .iter()
            .find(|s| s.sku_part_number.trim().eq_ignore_ascii_case(key.trim())),
    }
}

/// The key a person would write for a SKU: its part number, or its ID when the tenant
/// does not list it.
pub fn key_for(sku_id: &Guid, skus: &[SubscribedSku]) -> String {
    find_sku(sku_id.as_str(), skus).map_or_else(|| sku_id.to_string(), |s| s.sku_part_number.trim().to_owned())
}

/// The names of plan IDs (the ID itself when the SKU does not list it), sorted.
pub fn plan_names<'a>(sku: Option<&SubscribedSku>, ids: impl IntoIterator<Item = &'a Guid>) -> Vec<String> {
    let mut names: Vec<String> = ids
        .into_iter()
        .map(|id| {
            sku.and_then(|s| s.plan_name(id.as_str()))
                .map_or_else(|| id.to_string(), str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// The SKU IDs a filter by SKU asks about: the one `sku` names (part number or ID; an ID
/// the tenant does not list is kept, it may still be held), or every subscribed SKU.
pub fn skus_to_query(sku: Option<&str>, skus: &[SubscribedSku]) -> Result<Vec<String>, String> {
    let Some(sku) = sku else {
        return Ok(skus
            .iter()
            .filter_map(|s| Guid::parse(&s.sku_id))
            .map(|g| g.to_string())
            .collect());
    };
    if let Some(found) = find_sku(sku, skus).and_then(|s| Guid::parse(&s.sku_id)) {
        return Ok(vec![found.to_string()]);
    }
    match Guid::parse(sku) {
        // A SKU ID the tenant does not list (any more) may still be held.
        Some(id) => Ok(vec![id.to_string()]),
        None => {
            let mut parts: Vec<&str> = skus.iter().map(|s| s.sku_part_number.trim()).collect();
            parts.sort_unstable();
            Err(format!(
                "The tenant subscribes to no SKU with part number {sku:?}. Subscribed: {}.",
                parts.join(", ")
            ))
        }
    }
}

/// Resolves every licence against the subscribed SKUs.
pub fn resolve(licenses: &BTreeMap<String, LicenseRequest>, skus: &[SubscribedSku]) -> Resolution {
    let mut resolution = Resolution::default();
    let mut seen: BTreeMap<Guid, String> = BTreeMap::new();
    for (key, request) in licenses {
        let mut problem = |p: Problem| resolution.problems.push((key.clone(), p));
        let Some(sku) = find_sku(key, skus) else {
            let closest = closest(key, skus.iter().map(|s| s.sku_part_number.as_str()));
            problem(Problem::UnknownSku { closest });
            continue;
        };
        let part_number = sku.sku_part_number.trim().to_owned();
        let Some(sku_id) = Guid::parse(&sku.sku_id) else {
            continue;
        };
        if let Some(first_key) = seen.insert(sku_id.clone(), key.clone()) {
            problem(Problem::DuplicateSku {
                first_key,
                part_number,
                sku_id,
            });
            continue;
        }
        if sku.applies_to.eq_ignore_ascii_case("Company") {
            problem(Problem::CompanySku { part_number });
            continue;
        }
        match sku.capability_status.as_str() {
            "Suspended" | "LockedOut" | "Deleted" => {
                problem(Problem::InactiveSku {
                    part_number,
                    status: sku.capability_status.clone(),
                });
                continue;
            }
            "Warning" => problem(Problem::GracePeriod {
                part_number: part_number.clone(),
            }),
            _ => {}
        }
        let disabled = match (&request.disabled, &request.enabled) {
            (_, Some(enabled)) => plan_ids(sku, enabled, PlanList::Enabled)
                .map(|keep| all_plans(sku).filter(|p| !keep.contains(p)).collect()),
            (Some(disabled), None) => plan_ids(sku, disabled, PlanList::Disabled),
            (None, None) => Ok(BTreeSet::new()),
        };
        match disabled {
            Ok(disabled_plan_ids) => {
                resolution.resolved.insert(
                    key.clone(),
                    ResolvedLicense {
                        sku_id,
                        sku_part_number: part_number,
                        disabled_plan_ids,
                    },
                );
            }
            Err(p) => problem(p),
        }
    }
    resolution
}

fn all_plans(sku: &SubscribedSku) -> impl Iterator<Item = Guid> + '_ {
    sku.service_plans.iter().filter_map(|p| Guid::parse(&p.service_plan_id))
}

fn plan_ids(sku: &SubscribedSku, written: &[String], list: PlanList) -> Result<BTreeSet<Guid>, Problem> {
    written
        .iter()
        .map(|name| {
            let wanted = Guid::parse(name);
            sku.service_plans
                .iter()
                .find(|p| match &wanted {
                    Some(id) => Guid::parse(&p.service_plan_id).as_ref() == Some(id),
                    None => p.service_plan_name.eq_ignore_ascii_case(name.trim()),
                })
                .and_then(|p| Guid::parse(&p.service_plan_id))
                .ok_or_else(|| Problem::PlanNotInSku {
                    list,
                    plan: name.clone(),
                    part_number: sku.sku_part_number.trim().to_owned(),
                    plans: sku.service_plans.iter().map(|p| p.service_plan_name.clone()).collect(),
                    closest: closest(name, sku.service_plans.iter().map(|p| p.service_plan_name.as_str())),
                })
        })
        .collect()
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

/// Up to three candidates closest to `name` (case-insensitive edit distance).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let name = name.to_ascii_uppercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .map(|c| (levenshtein(&name, &c.to_ascii_uppercase()), c))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c.to_owned()).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::graph::models::{LicenseUnits, ServicePlanInfo};

    pub(crate) fn sku(part: &str, id: &str, plans: &[(&str, &str)]) -> SubscribedSku {
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

    pub(crate) const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
    pub(crate) const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
    pub(crate) const TEAMS: &str = "57ff2da0-773e-42df-b2af-ffb7a2317929";

    pub(crate) fn skus() -> Vec<SubscribedSku> {
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

    fn request(disabled: Option<&[&str]>, enabled: Option<&[&str]>) -> LicenseRequest {
        let owned = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
        LicenseRequest {
            disabled: disabled.map(owned),
            enabled: enabled.map(owned),
        }
    }

    fn one(key: &str, request: LicenseRequest) -> BTreeMap<String, LicenseRequest> {
        BTreeMap::from([(key.to_owned(), request)])
    }

    #[test]
    fn names_and_guids_resolve_to_the_same_plans() {
        let by_name = resolve(&one("spe_e5", request(Some(&["YAMMER_ENTERPRISE"]), None)), &skus());
        let by_ids = resolve(&one(&E5.to_uppercase(), request(Some(&[YAMMER]), None)), &skus());
        let allow_list = resolve(&one("SPE_E5", request(None, Some(&["TEAMS1"]))), &skus());
        let yammer = BTreeSet::from([Guid::parse(YAMMER).unwrap()]);
        assert_eq!(by_name.complete().unwrap()["spe_e5"].disabled_plan_ids, yammer);
        assert_eq!(by_ids.complete().unwrap()[&E5.to_uppercase()].disabled_plan_ids, yammer);
        assert_eq!(
            allow_list.complete().unwrap()["SPE_E5"].disabled_plan_ids,
            yammer,
            "enabled_plans = everything else disabled"
        );
        assert!(by_name.problems.is_empty());
    }

    #[test]
    fn every_problem_is_found_and_keyed() {
        type Case = (BTreeMap<String, LicenseRequest>, &'static str, fn(&Problem) -> bool);
        let cases: Vec<Case> = vec![
            (
                one("SPE_E6", request(None, None)),
                "SPE_E6",
                |p| matches!(p, Problem::UnknownSku { closest } if closest[0] == "SPE_E5" || closest[0] == "SPE_E3"),
            ),
            (
                BTreeMap::from([("SPE_E5".into(), request(None, None)), (E5.into(), request(None, None))]),
                "SPE_E5",
                |p| matches!(p, Problem::DuplicateSku { .. }),
            ),
            (one("MCOPSTNC", request(None, None)), "MCOPSTNC", |p| {
                matches!(p, Problem::CompanySku { .. })
            }),
            (
                one("CRMSTANDARD", request(None, None)),
                "CRMSTANDARD",
                |p| matches!(p, Problem::InactiveSku { status, .. } if status == "Suspended"),
            ),
            (
                one("SPE_E5", request(Some(&["EXCHANGE_S_STANDARD"]), None)),
                "SPE_E5",
                |p| {
                    matches!(p, Problem::PlanNotInSku { list: PlanList::Disabled, plans, closest, .. }
                        if plans.len() == 2 && closest.len() == 2)
                },
            ),
        ];
        for (licenses, key, expected) in cases {
            let resolution = resolve(&licenses, &skus());
            assert!(resolution.complete().is_none(), "{key}");
            let (problem_key, problem) = &resolution.problems[0];
            assert_eq!(problem_key, key);
            assert!(expected(problem), "{problem:?}");
        }
    }

    #[test]
    fn a_sku_filter_queries_that_sku_only() {
        let all = skus();
        assert_eq!(skus_to_query(None, &all).unwrap().len(), all.len());
        assert_eq!(skus_to_query(Some("spe_e5"), &all).unwrap(), vec![E5.to_owned()]);
        assert_eq!(
            skus_to_query(Some(&E5.to_uppercase()), &all).unwrap(),
            vec![E5.to_owned()]
        );
        let unlisted = "00000000-0000-0000-0000-0000000000aa";
        assert_eq!(skus_to_query(Some(unlisted), &all).unwrap(), vec![unlisted.to_owned()]);
        let error = skus_to_query(Some("NOPE"), &all).unwrap_err();
        assert!(error.contains("\"NOPE\"") && error.contains("SPE_E5"), "{error}");
    }
}

//! The removal of redundant direct licences as the resource and the action
//! `entra_redundant_direct_license_removal` both let the practitioner say it: the inputs,
//! their checks, the group and SKUs they select, and how a survey and a run are shown
//! (state values, reasons in words, diagnostics). Shared here so that both read and fail
//! the same way; the rules themselves are in [`crate::licensing::redundancy`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::diagnostics::{self, OrDiagnostic, SUBSCRIBED_SKUS_UNREADABLE, graph_error, group_not_found};
use crate::graph::models::SubscribedSku;
use crate::licensing::catalog::{closest, find_sku, key_for, plan_names};
use crate::licensing::change::Licenses;
use crate::licensing::direct::Uncovered;
use crate::licensing::redundancy::{self, DirectLicense, Outcome, Surveyed};
use crate::licensing::{Guid, Tenant};
use crate::model;
use crate::tfplugin::{Attr, Attribute, AttributePath, Context, Diagnostic, Diagnostics, SetOf, Type};

/// Users handled at once unless `batch_size` says otherwise.
const DEFAULT_BATCH_SIZE: i64 = 10;
/// The largest `batch_size` accepted.
const MAX_BATCH_SIZE: i64 = 100;

/// The inputs shared with the action.
pub fn input_attributes() -> Vec<Attribute> {
    vec![
        Attribute::string("group_id").required().description(
            "The group whose licences now cover its members: its direct user members are surveyed.",
        ),
        Attribute::new("skus", Type::set(Type::String)).optional().description(
            "The SKUs to consider, by part number or SKU ID; each must be assigned by the group. Default: every SKU the group assigns.",
        ),
        Attribute::number("batch_size").optional().description(
            "How many users are handled at once (default 10, at most 100). No new batch starts after an unexpected error.",
        ),
    ]
}

model! {
    /// A direct licence to remove.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct PlannedRemoval {
        pub user_id: String,
        pub user_principal_name: String,
        pub sku_id: String,
        pub sku_part_number: String,
    }
}

model! {
    /// A direct licence left alone.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct KeptLicense {
        pub user_id: String,
        pub user_principal_name: String,
        pub sku_id: String,
        pub sku_part_number: String,
        pub reason_code: String,
        pub reason: String,
    }
}

model! {
    /// What the apply did with one planned removal.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct RemovalResult {
        pub user_id: String,
        pub user_principal_name: String,
        pub sku_id: String,
        pub sku_part_number: String,
        pub outcome: String,
        pub detail: String,
    }
}

/// The inputs, as the resource and the action read them.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// `group_id`.
    pub group_id: &'a Attr<String>,
    /// `skus`.
    pub skus: &'a Attr<SetOf<String>>,
    /// `batch_size`.
    pub batch_size: &'a Attr<i64>,
}

impl Inputs<'_> {
    /// Static checks.
    pub fn validate(self, diags: &mut Diagnostics) {
        if let Some(group_id) = self.group_id.known()
            && Guid::parse(group_id).is_none()
        {
            diags.push(diagnostics::invalid_group_id(group_id));
        }
        if self.skus.known().is_some_and(|s| s.0.is_empty()) {
            diags.attribute_error(
                AttributePath::attr("skus"),
                "No SKUs",
                "skus is empty; list SKUs by part number or ID, or leave it out for every SKU the group assigns.",
            );
        }
        if let Some(size) = self.batch_size.known()
            && !(1..=MAX_BATCH_SIZE).contains(size)
        {
            diags.attribute_error(
                AttributePath::attr("batch_size"),
                "Batch Size Out Of Range",
                format!("batch_size is {size}; use a number from 1 to {MAX_BATCH_SIZE}."),
            );
        }
    }

    /// How many users at once, within 1..=100 whatever reached the apply (a value unknown
    /// at validation is only known now).
    pub fn batch_size(self) -> usize {
        let size = self.batch_size.known().copied().unwrap_or(DEFAULT_BATCH_SIZE);
        usize::try_from(size.clamp(1, MAX_BATCH_SIZE)).unwrap_or(1)
    }

    /// The group, what it assigns now, and the SKUs to consider (each checked to be
    /// assigned by the group); `None` with a diagnostic when something is wrong.
    pub async fn selection(self, ctx: &Context, tenant: &Tenant, diags: &mut Diagnostics) -> Option<Selection> {
        let group_id = Guid::parse(self.group_id.known()?)?;
        let skus = tenant
            .subscribed_skus(&ctx.cancel)
            .await
            .or_diagnostic(SUBSCRIBED_SKUS_UNREADABLE, diags)?;
        let assigned = match redundancy::group_licenses(&tenant.graph, &ctx.cancel, group_id.as_str()).await {
            Ok(Some(assigned)) => assigned,
            Ok(None) => {
                diags.push(group_not_found(group_id.as_str()));
                return None;
            }
            Err(e) => {
                diags.push(graph_error("Unable to Read Group", &e));
                return None;
            }
        };
        let chosen: BTreeSet<Guid> = match self.skus.known() {
            None => assigned.keys().cloned().collect(),
            Some(names) => {
                let mut chosen = BTreeSet::new();
                for name in &names.0 {
                    match find_sku(name, &skus).and_then(|s| Guid::parse(&s.sku_id)) {
                        Some(id) if assigned.contains_key(&id) => {
                            chosen.insert(id);
                        }
                        Some(id) => diags.attribute_error(
                            AttributePath::attr("skus"),
                            "SKU Not Assigned By The Group",
                            format!("The group does not assign {} ({id}), so it covers no direct licence of it. Assign it to the group first (entra_group_license_assignment), wait for processing, then remove the direct licences.", key_for(&id, &skus)),
                        ),
                        None => diags.attribute_error(
                            AttributePath::attr("skus"),
                            "Unknown License SKU",
                            format!(
                                "The tenant does not subscribe to a SKU {name:?}. Closest part numbers: {}. Use a part number or SKU ID from the entra_subscribed_skus data source.",
                                closest(name, skus.iter().map(|s| s.sku_part_number.as_str())).join(", ")
                            ),
                        ),
                    }
                }
                chosen
            }
        };
        if diags.has_errors() {
            return None;
        }
        Some(Selection {
            group_id,
            assigned,
            chosen,
            skus,
        })
    }
}

/// What a run works on.
#[derive(Clone, Debug)]
pub struct Selection {
    /// The group.
    pub group_id: Guid,
    /// What it assigns now.
    pub assigned: Licenses,
    /// The SKUs considered.
    pub chosen: BTreeSet<Guid>,
    /// The tenant's SKUs, for names.
    pub skus: Arc<Vec<SubscribedSku>>,
}

impl Selection {
    /// The survey, with a diagnostic when it cannot be made.
    pub async fn survey(&self, ctx: &Context, tenant: &Tenant, diags: &mut Diagnostics) -> Option<redundancy::Survey> {
        match redundancy::survey(&tenant.graph, &ctx.cancel, &self.group_id, &self.assigned, &self.chosen).await {
            Surveyed::Done(survey) => Some(survey),
            Surveyed::GroupGone => {
                diags.push(group_not_found(self.group_id.as_str()));
                None
            }
            Surveyed::Failed(e) => {
                diags.push(graph_error("Unable to List the Group's Members", &e));
                None
            }
        }
    }

    fn part_number(&self, sku: &Guid) -> String {
        key_for(sku, &self.skus)
    }

    /// A planned removal as state shows it.
    pub fn planned(&self, license: &DirectLicense) -> PlannedRemoval {
        PlannedRemoval {
            user_id: license.user_id.clone(),
            user_principal_name: license.user_principal_name.clone(),
            sku_id: license.sku_id.to_string(),
            sku_part_number: self.part_number(&license.sku_id),
        }
    }

    /// A licence left alone, with its reason in words.
    pub fn kept(&self, license: &DirectLicense, why: &Uncovered) -> KeptLicense {
        KeptLicense {
            user_id: license.user_id.clone(),
            user_principal_name: license.user_principal_name.clone(),
            sku_id: license.sku_id.to_string(),
            sku_part_number: self.part_number(&license.sku_id),
            reason_code: why.code().to_owned(),
            reason: self.reason(&license.sku_id, why),
        }
    }

    /// Why a direct licence is not covered, in words, plans by name.
    pub fn reason(&self, sku: &Guid, why: &Uncovered) -> String {
        match why {
            Uncovered::NotInherited => {
                "the user does not hold this SKU from the group (not processed yet, or not a direct member)".to_owned()
            }
            Uncovered::InheritedNotActive { state, error } => format!(
                "the licence from the group is {state}{} for this user",
                error.as_ref().map(|e| format!(" with {e}")).unwrap_or_default()
            ),
            Uncovered::PlansNotCovered(plans) => format!(
                "the direct licence enables plans the group switches off: {}",
                plan_names(find_sku(sku.as_str(), &self.skus), plans).join(", ")
            ),
        }
    }

    /// One apply outcome as state shows it.
    pub fn result(&self, license: &DirectLicense, outcome: &Outcome) -> RemovalResult {
        let detail = match outcome {
            Outcome::Removed => String::new(),
            Outcome::NoLongerCovered(why) => self.reason(&license.sku_id, why),
            Outcome::AlreadyGone => "the user no longer holds this SKU directly".to_owned(),
            Outcome::UserGone => "the user no longer exists".to_owned(),
            Outcome::GroupNoLongerAssigns => "the group no longer assigns this SKU".to_owned(),
            Outcome::Failed(e) => graph_error("Unable to Remove Direct License", e).detail,
            Outcome::NotAttempted => "not tried: the run stopped before this user".to_owned(),
            Outcome::Interrupted => {
                "interrupted while the removal was on its way: Graph may or may not have made it; the next run's survey shows".to_owned()
            }
        };
        RemovalResult {
            user_id: license.user_id.clone(),
            user_principal_name: license.user_principal_name.clone(),
            sku_id: license.sku_id.to_string(),
            sku_part_number: self.part_number(&license.sku_id),
            outcome: outcome.code().to_owned(),
            detail,
        }
    }
}

/// The action's plan-time notice of what an invocation would remove.
pub fn removals_notice(removals: &[PlannedRemoval]) -> Option<Diagnostic> {
    if removals.is_empty() {
        return None;
    }
    let examples: Vec<String> = removals
        .iter()
        .take(5)
        .map(|r| format!("{} ({})", r.user_principal_name, r.sku_part_number))
        .collect();
    Some(Diagnostic::warning(
        "Direct Licenses To Remove",
        format!(
            "Invoked now, the action would remove {} that the group fully covers, for example:\n{}\n\nEach user is checked again just before its removal.",
            diagnostics::count(removals.len(), "direct licence"),
            examples.join("\n")
        ),
    ))
}

/// The plan's warning about licences left alone, by reason.
pub fn kept_warning(kept: &[KeptLicense]) -> Option<Diagnostic> {
    if kept.is_empty() {
        return None;
    }
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for k in kept {
        *by_reason.entry(k.reason_code.as_str()).or_default() += 1;
    }
    let examples: Vec<String> = kept
        .iter()
        .take(5)
        .map(|k| format!("{} ({}): {}", k.user_principal_name, k.sku_part_number, k.reason))
        .collect();
    Some(Diagnostic::warning(
        "Direct Licenses Left In Place",
        format!(
            "Not covered by the group, so left in place: {} ({}). For example:\n{}\n\nThe full list is in the kept attribute. Fix what the reasons say (group plans, licence errors, processing), then run again (change triggers).",
            diagnostics::count(kept.len(), "direct licence"),
            by_reason
                .iter()
                .map(|(code, n)| format!("{code}: {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            examples.join("\n")
        ),
    ))
}

/// The apply's diagnostics: the failure that stopped the run, and what was skipped.
pub fn outcome_diagnostics(selection: &Selection, outcomes: &[(DirectLicense, Outcome)], diags: &mut Diagnostics) {
    for (license, outcome) in outcomes {
        if let Outcome::Failed(e) = outcome {
            let mut diagnostic = graph_error(
                &format!("Unable to Remove Direct License of {}", license.user_principal_name),
                e,
            );
            diagnostic.detail = format!(
                "Removing {} from {} ({}) failed, so no further batch was started; the users handled so far are recorded in results, and nothing they kept was touched.\n\n{}",
                selection.part_number(&license.sku_id),
                license.user_principal_name,
                license.user_id,
                diagnostic.detail
            );
            diags.push(diagnostic);
        }
    }
    let skipped = outcomes
        .iter()
        .filter(|(_, o)| !matches!(o, Outcome::Removed | Outcome::Failed(_)))
        .count();
    if skipped > 0 {
        let tally = redundancy::tally(outcomes);
        diags.warning(
            "Some Direct Licenses Were Not Removed",
            format!(
                "Left in place after the re-check just before removal: {} ({}). See results for each user.",
                diagnostics::count(skipped, "planned removal"),
                tally
                    .iter()
                    .map(|(code, n)| format!("{code}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

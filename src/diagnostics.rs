//! The product's diagnostics, named once: the same situation always reads the same,
//! whichever resource, data source or action meets it.
//!
//! Style (see `tfplugin::diagnostics`): a short Title Case summary, a detail that says what
//! happened and what to do, names (part numbers, plan names) before GUIDs, the Graph
//! request-id when there is one, and the attribute path whenever one attribute is at fault.

use crate::graph::GraphError;
use crate::graph::models::SubscribedSku;
use crate::licensing::Guid;
use crate::licensing::catalog::{PlanList, Problem, find_sku};
use crate::licensing::continuity::LostPlan;
use crate::licensing::eligibility::Ineligible;
use crate::licensing::seats::Shortfall;
use crate::member_errors::MemberLicenseError;
use crate::tfplugin::{AttributePath, Diagnostic, Diagnostics, Severity};

/// A Graph result whose error becomes a diagnostic: `result.or_diagnostic(summary, diags)?`.
pub trait OrDiagnostic<T> {
    /// The value, or `None` with the error pushed as [`graph_error`]`(summary, …)`.
    fn or_diagnostic(self, summary: &str, diags: &mut Diagnostics) -> Option<T>;
}

impl<T> OrDiagnostic<T> for Result<T, GraphError> {
    fn or_diagnostic(self, summary: &str, diags: &mut Diagnostics) -> Option<T> {
        self.map_err(|e| diags.push(graph_error(summary, &e))).ok()
    }
}

/// What could not be done when the subscribed SKUs cannot be read.
pub const SUBSCRIBED_SKUS_UNREADABLE: &str = "Unable to Read Subscribed SKUs";

/// A failed Graph call: `summary` says what could not be done, the detail what Graph said
/// and what to do (the permission to grant on a 403, the settings to check on a 401).
pub fn graph_error(summary: &str, error: &GraphError) -> Diagnostic {
    let request = error
        .request_id()
        .map(|id| format!("\n\nGraph request-id: {id}"))
        .unwrap_or_default();
    let detail = match error {
        GraphError::Api {
            status: 403,
            operation,
            message,
            ..
        } => {
            let grant = error.permission().map_or_else(
                || "Grant the provider's application the Microsoft Graph application permission this call needs (with admin consent)".to_owned(),
                |p| format!("Grant the provider's application the Microsoft Graph application permission {p} (with admin consent)"),
            );
            format!("{operation} was refused: {message}\n\n{grant}, or run as an identity that has it.{request}")
        }
        GraphError::Api {
            status: 401,
            operation,
            message,
            ..
        } => format!(
            "{operation} was refused because the access token was not accepted: {message}\n\nCheck the provider's tenant_id, client_id and credential settings (or ARM_* environment variables), and that the environment setting matches the tenant's cloud.{request}"
        ),
        GraphError::Api {
            status,
            operation,
            code,
            message,
            ..
        } => format!("{operation} failed with HTTP {status} {code}: {message}{request}"),
        GraphError::Undecodable {
            operation,
            status,
            message,
            body,
            ..
        } => format!(
            "{operation} returned HTTP {status} with a body the provider could not read ({message}):\n{body}{request}"
        ),
        GraphError::Transport { operation, message } => format!(
            "{operation} could not reach Microsoft Graph: {message}\n\nCheck network access to the Graph endpoint, or graph_endpoint."
        ),
        GraphError::Auth { message } => message.clone(),
        GraphError::Cancelled => "The operation was cancelled because Terraform asked the provider to stop.".to_owned(),
    };
    Diagnostic::error(summary, detail)
}

/// A failed Graph call that does not stop the operation.
pub fn graph_warning(summary: &str, error: &GraphError) -> Diagnostic {
    let mut diagnostic = graph_error(summary, error);
    diagnostic.severity = Severity::Warning;
    diagnostic
}

/// The group named by `group_id` does not exist.
pub fn group_not_found(group_id: &str) -> Diagnostic {
    Diagnostic::error(
        "Group Not Found",
        format!("There is no group {group_id} in the tenant. Check group_id; to find a group by name, use the entra_group data source."),
    )
    .at(AttributePath::attr("group_id"))
}

/// `group_id` is not a GUID.
pub fn invalid_group_id(value: &str) -> Diagnostic {
    Diagnostic::error(
        "Invalid Group ID",
        format!("{value:?} is not a group object ID (a GUID such as 1132b215-826f-42a9-8cfe-1643d19d17fd). To find a group by name, use the entra_group data source."),
    )
    .at(AttributePath::attr("group_id"))
}

/// A user listed in `user_ids` does not exist.
pub fn user_not_found(user: &str) -> Diagnostic {
    Diagnostic::error(
        "User Not Found",
        format!("There is no user {user:?} in the tenant, so it was not reprocessed. Remove it from user_ids; the other users were processed."),
    )
    .at(AttributePath::attr("user_ids"))
}

/// A user disappeared between two calls.
pub fn user_vanished(user: &str) -> Diagnostic {
    Diagnostic::error(
        "User Not Found",
        format!("User {user:?} disappeared while it was reprocessed."),
    )
}

/// A problem with the licence `licenses[key]`, placed on that licence.
pub fn license_problem(key: &str, problem: &Problem) -> Diagnostic {
    let (summary, detail) = match problem {
        Problem::UnknownSku { closest } => (
            "Unknown License SKU",
            format!(
                "The tenant does not subscribe to a SKU {key:?}. Closest part numbers: {}. Use a part number or SKU ID from the entra_subscribed_skus data source.",
                closest.join(", ")
            ),
        ),
        Problem::DuplicateSku {
            first_key,
            part_number,
            sku_id,
        } => (
            "Duplicate License SKU",
            format!(
                "licenses[{first_key:?}] and licenses[{key:?}] both name {part_number} ({sku_id}). List each SKU once."
            ),
        ),
        Problem::CompanySku { part_number } => (
            "License SKU Cannot Be Assigned",
            format!(
                "{part_number} applies to the whole company, not to users: it cannot be assigned to a group or a user."
            ),
        ),
        Problem::InactiveSku { part_number, status } => (
            "License SKU Not Active",
            format!(
                "The subscription for {part_number} is {status}: its licences cannot be assigned. Reactivate or renew it, or remove this licence."
            ),
        ),
        Problem::GracePeriod { part_number } => (
            "License SKU In Grace Period",
            format!(
                "The subscription for {part_number} has expired and is in its grace period; renew it before it is suspended."
            ),
        ),
        Problem::PlanNotInSku {
            list,
            plan,
            part_number,
            plans,
            closest,
        } => (
            "Service Plan Not In SKU",
            format!(
                "{plan:?} in {} is not a service plan of {part_number}. Closest: {}. Its plans are: {}.",
                match list {
                    PlanList::Disabled => "disabled_plans",
                    PlanList::Enabled => "enabled_plans",
                },
                closest.join(", "),
                plans.join(", ")
            ),
        ),
    };
    let diagnostic = if problem.is_error() {
        Diagnostic::error(summary, detail)
    } else {
        Diagnostic::warning(summary, detail)
    };
    // Terraform cannot point inside a set nested in a map, but it can point at the licence.
    diagnostic.at(AttributePath::attr("licenses").key(key))
}

/// The members of a group would not fit in the free seats of the licence `licenses[key]`.
pub fn not_enough_seats(key: &str, sku: &SubscribedSku, short: &Shortfall) -> Diagnostic {
    Diagnostic::warning(
        "Not Enough Seats",
        format!(
            "{} of the group would newly consume {}, but only {} of its {} seats are free: the others will get CountViolation errors until seats are added and they are reprocessed.",
            count(short.newcomers, "member"),
            sku.sku_part_number.trim(),
            short.free,
            short.seats
        ),
    )
    .at(AttributePath::attr("licenses").key(key))
}

/// The group's members were still being processed when the time limit ran out.
pub fn processing_not_finished(state: &str, operation: &str) -> Diagnostic {
    Diagnostic::warning(
        "License Processing Not Finished",
        format!(
            "The licences are assigned, but the group's members were still being processed ({state}) when the {operation} timeout ran out. Member licence errors are not reported yet; the next apply or the entra_group_licenses data source shows them."
        ),
    )
}

/// Members could not get a group's licences; the first few `errors` are shown.
pub fn members_with_license_errors(
    group_id: &str,
    members_in_error: usize,
    errors: &[MemberLicenseError],
) -> Diagnostic {
    let examples: Vec<String> = errors
        .iter()
        .take(5)
        .map(|e| {
            let who = if e.user_principal_name.is_empty() {
                &e.user_id
            } else {
                &e.user_principal_name
            };
            format!("{who} ({}): {}", e.sku_part_number, e.error)
        })
        .collect();
    Diagnostic::warning(
        "Members With License Errors",
        format!(
            "{} of group {group_id} could not get this group's licences, for example:\n{}\n\nA group's licences are given to a member all or none, so a SKU short of seats also holds back the member's other licences from this group. Fix the cause (free seats for CountViolation, conflicting plans, usage location), then reprocess them, for example with entra_user_license_reprocess.",
            count(members_in_error, "member"),
            examples.join("\n")
        ),
    )
}

/// A read after a successful write failed: the write stands, the read is a warning.
pub fn unconfirmed_after_write(summary: &str, error: &GraphError) -> Diagnostic {
    let mut diagnostic = graph_warning(summary, error);
    diagnostic.detail.push_str(
        "\n\nThe licences were assigned (Graph accepted the change) and the state records them; nothing was undone. The next refresh reads them again.",
    );
    diagnostic
}

/// Terraform asked the provider to stop after a write Graph accepted; `unchecked` says
/// what was left unchecked (a group's member processing, a user's confirming read).
pub fn interrupted_after_write(operation: &str, unchecked: &str) -> Diagnostic {
    Diagnostic::warning(
        "Interrupted After The Licences Were Assigned",
        format!(
            "Terraform asked the provider to stop during the {operation}, after Graph accepted the licence change. The state records the change; {unchecked}. Nothing was undone: the next plan shows only what is left to do."
        ),
    )
}

/// The group cannot hold licences (a distribution group, or a Microsoft 365 group that is
/// not security-enabled).
pub fn group_cannot_hold_licenses(group_id: &str, name: Option<&str>, why: &Ineligible) -> Diagnostic {
    let group = name.map_or_else(|| group_id.to_owned(), |n| format!("{n:?} ({group_id})"));
    let detail = match why {
        Ineligible::DistributionGroup => format!(
            "{group} is a distribution group: licences can be assigned only to security groups. Use a security group (or a mail-enabled security group) with the same members."
        ),
        Ineligible::UnsecuredMicrosoft365Group => format!(
            "{group} is a Microsoft 365 group with securityEnabled = false: licences can be assigned only to security groups and to security-enabled Microsoft 365 groups. Set securityEnabled to true on the group, or use a security group."
        ),
    };
    Diagnostic::error("Group Cannot Hold Licenses", detail).at(AttributePath::attr("group_id"))
}

/// The group has groups among its direct members; licences do not reach their members.
pub fn nested_groups(groups: u64) -> Diagnostic {
    let n = usize::try_from(groups).unwrap_or(usize::MAX);
    Diagnostic::warning(
        "Group Contains Groups",
        format!(
            "The group has {} among its direct members. Group-based licensing reaches only the group's direct user members: the members of nested groups get nothing from it. Assign the licences to those groups too, or add their users directly.",
            count(n, "nested group")
        ),
    )
    .at(AttributePath::attr("group_id"))
}

/// The change takes enabled service plans away from the group's members.
pub fn plans_taken_away(lost: &[LostPlan], users: Option<u64>) -> Diagnostic {
    let plans = plan_lines(lost);
    Diagnostic::warning(
        "Members Lose Service Plans",
        format!(
            "This change takes {} away from the group's {}: no licence of the group enables them any more:\n{}\n\nIf members rely on them, keep them enabled (another SKU, or fewer disabled_plans) before applying.",
            count(lost.len(), "enabled service plan"),
            users.map_or_else(|| "members".to_owned(), |n| count(usize::try_from(n).unwrap_or(usize::MAX), "member")),
            plans.join("\n")
        ),
    )
    .at(AttributePath::attr("licenses"))
}

/// `exclusive = true` removes SKUs that `licenses` does not list, which the plan's diff
/// cannot show: they are named here, part numbers first.
pub fn unlisted_licenses_removed(holder: &str, removed: &[Guid], skus: &[SubscribedSku]) -> Diagnostic {
    let names: Vec<String> = removed
        .iter()
        .map(|id| match find_sku(id.as_str(), skus) {
            Some(sku) => format!("{} ({id})", sku.sku_part_number),
            None => id.to_string(),
        })
        .collect();
    Diagnostic::warning(
        "Unlisted Licences Will Be Removed",
        format!(
            "With exclusive = true, the apply removes from the {holder} every SKU that licenses does not list: {}. The plan's diff does not show them, because this resource did not manage them before. To keep any of them, add it to licenses, or set exclusive = false.",
            names.join(", ")
        ),
    )
    .at(AttributePath::attr("exclusive"))
}

/// `exclusive` is known only at apply: what the apply removes cannot be shown yet.
pub fn exclusive_unknown(holder: &str) -> Diagnostic {
    Diagnostic::warning(
        "Removals Known Only At Apply",
        format!(
            "exclusive is not known until apply. If it turns out true, the apply removes from the {holder} every SKU that licenses does not list, and this plan cannot name them. Set exclusive from known values to see the removals in the plan."
        ),
    )
    .at(AttributePath::attr("exclusive"))
}

/// A removal Graph accepted on delete that reads did not show (or could not be read) by
/// the end of the delete. A warning: the resource leaves state all the same, because
/// keeping it would make the next apply remove the SKUs again, even from another resource
/// that manages them now.
pub fn removal_unconfirmed(error: Option<&GraphError>) -> Diagnostic {
    let detail = |why: &str| {
        format!(
            "Graph accepted the removal of the licences, but {why}. Nothing was undone and the resource left state. If deleting the group next fails because it still holds licences, run the apply again once reads show the removal."
        )
    };
    match error {
        None => Diagnostic::warning(
            "Licence Removal Not Confirmed",
            detail("reads did not show it by the end of the delete (Graph's directory is eventually consistent)"),
        ),
        Some(e) => {
            let mut diagnostic = graph_warning("Licence Removal Not Confirmed", e);
            diagnostic.detail = format!(
                "{}\n\n{}",
                detail("the group could not be read to confirm it"),
                diagnostic.detail
            );
            diagnostic
        }
    }
}

/// A write Graph accepted did not show in reads before the time limit.
pub fn not_yet_visible(operation: &str) -> Diagnostic {
    Diagnostic::warning(
        "License Change Not Yet Visible",
        format!(
            "Graph accepted the licence change, but reads did not show it yet by the end of the {operation} (Graph's directory is eventually consistent). Nothing was undone; the next refresh shows the licences as Graph then reports them."
        ),
    )
}

/// `assignLicense` failed: an add-on without its prerequisite is placed on its licence
/// (`keys` maps SKU IDs to their keys in `licenses`), anything else is a Graph error.
pub fn assign_failed(error: &GraphError, keys: &[(Guid, String)], skus: &[SubscribedSku]) -> Diagnostic {
    let message = match error {
        GraphError::Api {
            status: 400, message, ..
        } if message.contains("requires") && message.contains("service") => message,
        _ => return graph_error("Unable to Assign Licenses", error),
    };
    let named = |id: &Guid| {
        skus.iter()
            .find(|s| Guid::parse(&s.sku_id).as_ref() == Some(id))
            .map(|s| s.sku_part_number.trim().to_owned())
    };
    let add_on = keys
        .iter()
        .find(|(id, _)| named(id).is_some_and(|part| message.contains(&part)));
    // Name the prerequisite plans Graph lists by ID.
    let mut readable = message.clone();
    for plan in skus.iter().flat_map(|s| &s.service_plans) {
        if readable.contains(&plan.service_plan_id) {
            readable = readable.replace(
                &plan.service_plan_id,
                &format!("{} ({})", plan.service_plan_name, plan.service_plan_id),
            );
        }
    }
    let diagnostic = Diagnostic::error(
        "Add-On Needs Its Prerequisite",
        format!(
            "Graph refused the licences: {readable}\n\nWith group-based licensing the add-on and the service plan it requires must be on the same group: add a SKU that includes the prerequisite plan to this group (in this resource or another), with that plan enabled.{}",
            error
                .request_id()
                .map(|id| format!("\n\nGraph request-id: {id}"))
                .unwrap_or_default()
        ),
    );
    match add_on {
        Some((_, key)) => diagnostic.at(AttributePath::attr("licenses").key(key)),
        None => diagnostic,
    }
}

/// A `sku` filter that can name no SKU: empty, or a malformed GUID.
pub fn invalid_sku_filter(sku: &str) -> Option<Diagnostic> {
    (sku.trim().is_empty() || Guid::is_malformed(sku)).then(|| {
        Diagnostic::error(
            "Invalid SKU",
            format!("{sku:?} is neither a SKU part number (e.g. \"SPE_E5\") nor a SKU ID (a GUID). Leave `sku` out to list the groups holding any SKU."),
        )
        .at(AttributePath::attr("sku"))
    })
}

/// `user_id` is neither an object ID nor a user principal name.
pub fn invalid_user_id(value: &str) -> Diagnostic {
    Diagnostic::error(
        "Invalid User ID",
        format!("{value:?} is neither a user object ID (a GUID) nor a user principal name (name@domain). Set user_id to one of them."),
    )
    .at(AttributePath::attr("user_id"))
}

/// The user named by `user_id` does not exist.
pub fn assignee_not_found(user: &str) -> Diagnostic {
    Diagnostic::error(
        "User Not Found",
        format!("There is no user {user:?} in the tenant. Check user_id: a user object ID or user principal name."),
    )
    .at(AttributePath::attr("user_id"))
}

/// `user_id` changed and the user cannot be read: whether it is the same user decides
/// between an update and a replacement.
pub fn user_unverifiable(error: &GraphError) -> Diagnostic {
    let mut diagnostic = graph_error("Unable to Check the User", error);
    diagnostic.detail.push_str(
        "\n\nuser_id changed, and only reading the user tells whether it names the same user (an update that sends nothing) or another one (a replacement). Plan again when Graph answers.",
    );
    diagnostic.at(AttributePath::attr("user_id"))
}

/// `user_id`, unknown at plan time, names another user than the one managed.
pub fn another_user(user_id: &str, found: &str, managed: &str) -> Diagnostic {
    Diagnostic::error(
        "User ID Names Another User",
        format!("user_id is now {user_id:?} ({found}), but this resource manages the direct licences of {managed}; the plan could not tell, as user_id was only known at apply. Nothing was changed. Plan again: the new user_id is now known, and Terraform plans a replacement."),
    )
    .at(AttributePath::attr("user_id"))
}

/// A direct assignment to a user without a usage location, which Graph refuses.
pub fn no_usage_location(user: &str) -> Diagnostic {
    Diagnostic::error(
        "User Has No Usage Location",
        format!("{user} has no usage location, and Graph assigns licences directly only to users who have one (services are delivered by country). Set the user's usageLocation to a two-letter country code (Entra admin center: the user's properties, Settings; or PATCH /users/{{id}} with usageLocation), then plan again."),
    )
    .at(AttributePath::attr("user_id"))
}

/// A direct assignment needs a free seat now.
pub fn no_free_seat(key: &str, sku: &SubscribedSku) -> Diagnostic {
    Diagnostic::error(
        "No Free Seat",
        format!(
            "Assigning {} directly needs a free seat, and all {} are in use ({} consumed). Buy seats or free one, then plan again; a direct assignment does not queue the way group-based licensing does.",
            sku.sku_part_number.trim(),
            sku.prepaid_units.enabled,
            sku.consumed_units
        ),
    )
    .at(AttributePath::attr("licenses").key(key))
}

/// The change takes enabled service plans away from a user: no other licence of the user
/// (direct or inherited) enables them.
pub fn user_loses_plans(lost: &[LostPlan], user: &str) -> Diagnostic {
    let plans = plan_lines(lost);
    Diagnostic::warning(
        "User Loses Service Plans",
        format!(
            "This change takes {} away from {user}: neither the user's other direct licences nor the licences it inherits from groups enable them:\n{}\n\nIf the user relies on them, keep them enabled, or assign them through a group first.",
            count(lost.len(), "enabled service plan"),
            plans.join("\n")
        ),
    )
    .at(AttributePath::attr("licenses"))
}

/// Lost plans, one per line: name, the SKU that gave it, ID.
fn plan_lines(lost: &[LostPlan]) -> Vec<String> {
    lost.iter()
        .map(|p| format!("{} (from {}, {})", p.name, p.sku_part_number, p.id))
        .collect()
}

/// "1 member", "2 members".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> GraphError {
        GraphError::Api {
            operation: "POST /groups/g/assignLicense".into(),
            status,
            code: "Authorization_RequestDenied".into(),
            message: "Insufficient privileges to complete the operation.".into(),
            request_id: Some("req-1".into()),
            permission: None,
        }
    }

    #[test]
    fn forbidden_names_the_permission_and_request_id() {
        let d = graph_error(
            "Unable to Assign Licenses",
            &api(403).needing("LicenseAssignment.ReadWrite.All"),
        );
        assert_eq!(d.summary, "Unable to Assign Licenses");
        assert!(
            d.detail.contains("permission LicenseAssignment.ReadWrite.All"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("Graph request-id: req-1"));
        assert_eq!(graph_warning("x", &api(403)).severity, Severity::Warning);
    }

    #[test]
    fn unauthorized_says_how_to_fix_auth() {
        let d = graph_error("Unable to Read Group", &api(401));
        assert!(d.detail.contains("tenant_id, client_id"), "{}", d.detail);
    }

    #[test]
    fn the_same_situation_reads_the_same_and_is_placed() {
        assert_eq!(group_not_found("g").path, Some(AttributePath::attr("group_id")));
        assert_eq!(group_not_found("g"), group_not_found("g"));
        let problem = Problem::PlanNotInSku {
            list: PlanList::Enabled,
            plan: "TEAMS2".into(),
            part_number: "SPE_E5".into(),
            plans: vec!["TEAMS1".into()],
            closest: vec!["TEAMS1".into()],
        };
        let d = license_problem("SPE_E5", &problem);
        assert_eq!(d.path, Some(AttributePath::attr("licenses").key("SPE_E5")));
        assert!(
            d.detail.contains("enabled_plans") && d.detail.contains("TEAMS1"),
            "{}",
            d.detail
        );
        let warning = license_problem(
            "X",
            &Problem::GracePeriod {
                part_number: "X".into(),
            },
        );
        assert_eq!(warning.severity, Severity::Warning);
        assert_eq!(
            (count(1, "member"), count(4, "member")),
            ("1 member".into(), "4 members".into())
        );
    }
}

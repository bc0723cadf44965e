//! `entra_user_license_reprocess`: reprocesses users' group-based licence assignments.
//!
//! An action-like resource: creating it runs the reprocessing; any change of `user_ids`,
//! `group_id` or `triggers` replaces it, which runs it again; destroying it only forgets
//! it. (The same operation is offered as a Terraform 1.14 action, `actions/`.)
//!
//! Graph calls on create:
//! - with `group_id`: `GET /groups/{id}/membersWithLicenseErrors` (paged): the members with
//!   licence errors *when the apply runs*;
//! - per user, four at a time, with the client's retries:
//!   `POST /users/{id}/reprocessLicenseAssignment`, then
//!   `GET /users/{id}?$select=assignedLicenses,licenseAssignmentStates` for the result.
//!
//! There is no group-level reprocess in Graph (users only), hence the per-member calls.
//! A user that does not exist is an error naming the user; the others are still
//! processed and recorded, so state shows what was done.

use std::collections::BTreeSet;

use async_trait::async_trait;
use futures::StreamExt;

use crate::graph::endpoints::groups::MEMBERS_PERMISSION;
use crate::graph::endpoints::users::REPROCESS_PERMISSION;
use crate::provider::ProviderData;
use crate::tfplugin::{
    Attribute, AttributePath, Context, Diagnostic, Diagnostics, IntoValue, Progress, ReadOutcome, Resource, Schema,
    Type, UpdateRequest, Value,
};

/// Users reprocessed at once.
const CONCURRENCY: usize = 4;

/// The resource.
pub struct UserLicenseReprocess;

/// The type of `results`.
pub fn results_type() -> Type {
    Type::list(Type::object([
        ("user_id", Type::String),
        ("user_principal_name", Type::String),
        ("licenses", Type::list(Type::String)),
        (
            "license_errors",
            Type::list(Type::object([("sku_id", Type::String), ("error", Type::String)])),
        ),
    ]))
}

/// `user_ids` and `group_id`, shared with the action's schema.
pub fn target_attributes() -> Vec<Attribute> {
    vec![
        Attribute::new("user_ids", Type::set(Type::String))
            .optional()
            .description("Object IDs (or user principal names) of the users to reprocess. Conflicts with `group_id`."),
        Attribute::string("group_id").optional().description(
            "Reprocess every member of this group that has licence errors when the operation runs. Conflicts with `user_ids`.",
        ),
    ]
}

fn schema() -> Schema {
    let mut attributes = vec![
        Attribute::string("id")
            .computed()
            .use_state_for_unknown()
            .description("An identifier of this run."),
    ];
    attributes.extend(target_attributes().into_iter().map(Attribute::requires_replace));
    attributes.push(
        Attribute::new("triggers", Type::map(Type::String))
            .optional()
            .requires_replace()
            .description(
                "Arbitrary values; any change runs the reprocessing again (for example the number of seats bought).",
            ),
    );
    attributes.push(Attribute::new("results", results_type()).computed().description(
        "Per user: `user_id`, `user_principal_name`, the SKU IDs in effect afterwards (`licenses`) and the licence errors that remain (`license_errors`: `sku_id`, `error`).",
    ));
    Schema::new(
        "Reprocesses users' group-based licence assignments, for example after buying seats or fixing a conflict. Creating it runs `POST /users/{id}/reprocessLicenseAssignment` for each user (application permission `User.ReadWrite.All`); a change of `user_ids`, `group_id` or `triggers` runs it again; destroying it only forgets it.",
        attributes,
    )
}

/// Exactly one of `user_ids` and `group_id` (unknown values are accepted until apply).
pub fn validate_targets(config: &Value, diags: &mut Diagnostics) {
    let users = config.get("user_ids");
    let group = config.get("group_id");
    match (users.is_null(), group.is_null()) {
        (true, true) => diags.error(
            "Missing Users",
            "Set user_ids, or group_id to reprocess a group's members with licence errors.",
        ),
        (false, false) => diags.attribute_error(
            AttributePath::attr("group_id"),
            "Conflicting Targets",
            "Set user_ids or group_id, not both.",
        ),
        _ => {}
    }
    if users.as_elements().is_some_and(<[Value]>::is_empty) {
        diags.attribute_error(
            AttributePath::attr("user_ids"),
            "No Users",
            "user_ids is empty; list at least one user.",
        );
    }
}

/// Resolves the users to reprocess: `user_ids`, or the group's members with licence errors.
pub async fn targets(
    ctx: &Context,
    data: &ProviderData,
    config: &Value,
    diags: &mut Diagnostics,
) -> Option<Vec<String>> {
    if let Some(users) = config.get("user_ids").as_elements() {
        let ids: BTreeSet<String> = users.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
        return Some(ids.into_iter().collect());
    }
    let group_id = config.get("group_id").as_str()?;
    match data.graph.members_with_license_errors(&ctx.cancel, group_id).await {
        Ok(members) => Some(members.into_iter().map(|m| m.id).collect()),
        Err(e) if e.is_not_found() => {
            diags.attribute_error(
                AttributePath::attr("group_id"),
                "Group Not Found",
                format!("There is no group {group_id} in the tenant."),
            );
            None
        }
        Err(e) => {
            diags.push(e.to_diagnostic("Unable to List Members With License Errors", MEMBERS_PERMISSION));
            None
        }
    }
}

/// Reprocesses `users`, four at a time, sending one progress message per user. Returns
/// the results of the users that exist, sorted by user ID; errors go to `diags`.
pub async fn reprocess(
    ctx: &Context,
    data: &ProviderData,
    users: Vec<String>,
    progress: Option<&Progress>,
    diags: &mut Diagnostics,
) -> Vec<Value> {
    let total = users.len();
    let outcomes: Vec<(String, Result<Value, Diagnostic>)> = futures::stream::iter(users)
        .map(|user| async move {
            let outcome = reprocess_one(ctx, data, &user).await;
            (user, outcome)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut results = Vec::new();
    let mut outcomes = outcomes;
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));
    for (done, (user, outcome)) in outcomes.into_iter().enumerate() {
        let message = match &outcome {
            Ok(result) => {
                let errors = result.get("license_errors").as_elements().map_or(0, <[Value]>::len);
                format!(
                    "[{}/{total}] reprocessed {user}: {}",
                    done + 1,
                    if errors == 0 {
                        "no licence errors".to_owned()
                    } else {
                        format!("{errors} licence errors remain")
                    }
                )
            }
            Err(d) => format!("[{}/{total}] {user}: {}", done + 1, d.summary),
        };
        if let Some(progress) = progress {
            progress.send(message).await;
        }
        match outcome {
            Ok(result) => results.push(result),
            Err(diagnostic) => diags.push(diagnostic),
        }
    }
    results
}

async fn reprocess_one(ctx: &Context, data: &ProviderData, user: &str) -> Result<Value, Diagnostic> {
    match data.graph.reprocess_user(&ctx.cancel, user).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {
            return Err(Diagnostic::error(
                "User Not Found",
                format!("There is no user {user:?} in the tenant, so it was not reprocessed. Remove it from user_ids; the other users were processed."),
            )
            .at(AttributePath::attr("user_ids")));
        }
        Err(e) => return Err(e.to_diagnostic(&format!("Unable to Reprocess User {user}"), REPROCESS_PERMISSION)),
    }
    let found = data
        .graph
        .user(&ctx.cancel, user)
        .await
        .map_err(|e| e.to_diagnostic("Unable to Read User", crate::graph::endpoints::users::READ_PERMISSION))?;
    let Some(found) = found else {
        return Err(Diagnostic::error(
            "User Not Found",
            format!("User {user:?} disappeared while it was reprocessed."),
        ));
    };
    let licenses: Vec<String> = found
        .assigned_licenses
        .iter()
        .map(|l| l.sku_id.to_ascii_lowercase())
        .collect();
    let errors: Vec<Value> = found
        .license_assignment_states
        .iter()
        .filter_map(|s| {
            Some(Value::object([
                ("sku_id", s.sku_id.clone()?.into_value()),
                ("error", s.error()?.to_owned().into_value()),
            ]))
        })
        .collect();
    Ok(Value::object([
        ("user_id", found.id.into_value()),
        (
            "user_principal_name",
            found.user_principal_name.unwrap_or_default().into_value(),
        ),
        ("licenses", licenses.into_value()),
        ("license_errors", Value::List(errors)),
    ]))
}

#[async_trait]
impl Resource<ProviderData> for UserLicenseReprocess {
    fn type_name(&self) -> &'static str {
        "entra_user_license_reprocess"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, _ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        validate_targets(config, diags);
    }

    async fn create(
        &self,
        ctx: &Context,
        data: &ProviderData,
        planned: Value,
        config: Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let users = targets(ctx, data, &config, diags).await?;
        let results = reprocess(ctx, data, users, None, diags).await;
        let mut state = planned;
        let id = crate::graph::auth::new_request_id();
        state.set("id", Value::string(id));
        state.set("results", Value::List(results));
        // Users that were processed stay recorded even when others failed.
        Some(state)
    }

    /// Nothing to refresh: the resource records a past operation.
    async fn read(&self, _ctx: &Context, _data: &ProviderData, state: Value, _diags: &mut Diagnostics) -> ReadOutcome {
        ReadOutcome::Found(state)
    }

    /// Every input forces replacement, so an update never changes anything.
    async fn update(
        &self,
        _ctx: &Context,
        _data: &ProviderData,
        request: UpdateRequest,
        _diags: &mut Diagnostics,
    ) -> Option<Value> {
        Some(request.planned)
    }

    /// Destroying only forgets the record.
    async fn delete(&self, _ctx: &Context, _data: &ProviderData, _prior: Value, _diags: &mut Diagnostics) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_target() {
        let config = |users: Value, group: Value| Value::object([("user_ids", users), ("group_id", group)]);
        let summaries = |c: Value| {
            let mut diags = Diagnostics::new();
            validate_targets(&c, &mut diags);
            diags.iter().map(|d| d.summary.clone()).collect::<Vec<_>>()
        };
        assert_eq!(summaries(config(Value::Null, Value::Null)), ["Missing Users"]);
        assert_eq!(
            summaries(config(Value::Set(vec![Value::string("u")]), Value::string("g"))),
            ["Conflicting Targets"]
        );
        assert_eq!(summaries(config(Value::Set(vec![]), Value::Null)), ["No Users"]);
        assert!(
            summaries(config(Value::unknown(), Value::Null)).is_empty(),
            "unknown until apply is fine"
        );
        assert!(summaries(config(Value::Null, Value::string("g"))).is_empty());
    }
}

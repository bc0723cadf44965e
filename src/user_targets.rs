//! Which users to reprocess, as the resource and the action `entra_user_license_reprocess`
//! both let the practitioner say it: `user_ids`, or `group_id` (its members with licence
//! errors when the operation runs). Shared here so that both read and fail the same way;
//! the reprocessing itself is in [`crate::licensing::reprocess`].

use std::collections::BTreeSet;

use crate::diagnostics::{self, graph_error, group_not_found};
use crate::licensing::guid::is_user_principal_name;
use crate::licensing::reprocess::{self, ReprocessFailure, Reprocessed};
use crate::licensing::{Guid, Tenant};
use crate::model;
use crate::tfplugin::{Attr, Attribute, AttributePath, Context, Diagnostic, Diagnostics, SetOf, Type};

/// `user_ids` and `group_id`, with their descriptions.
pub fn attributes() -> Vec<Attribute> {
    vec![
        Attribute::new("user_ids", Type::set(Type::String))
            .optional()
            .description("Object IDs (or user principal names) of the users to reprocess. Conflicts with `group_id`."),
        Attribute::string("group_id").optional().description(
            "Reprocess every member of this group that has licence errors when the operation runs. Conflicts with `user_ids`.",
        ),
    ]
}

/// The targets as configured.
#[derive(Clone, Copy, Debug)]
pub struct Targets<'a> {
    /// `user_ids`.
    pub user_ids: &'a Attr<SetOf<String>>,
    /// `group_id`.
    pub group_id: &'a Attr<String>,
}

impl Targets<'_> {
    /// Exactly one of `user_ids` and `group_id` (unknown values are accepted until apply).
    pub fn validate(self, diags: &mut Diagnostics) {
        match (self.user_ids.is_null(), self.group_id.is_null()) {
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
        if self.user_ids.known().is_some_and(|users| users.0.is_empty()) {
            diags.attribute_error(
                AttributePath::attr("user_ids"),
                "No Users",
                "user_ids is empty; list at least one user.",
            );
        }
        if let Some(group_id) = self.group_id.known()
            && Guid::parse(group_id).is_none()
        {
            diags.push(diagnostics::invalid_group_id(group_id));
        }
        for user in self.user_ids.known().map(|u| u.0.as_slice()).unwrap_or_default() {
            if Guid::parse(user).is_none() && !is_user_principal_name(user) {
                diags.attribute_error(
                    AttributePath::attr("user_ids"),
                    "Invalid User ID",
                    format!("{user:?} is neither a user object ID (a GUID) nor a user principal name (name@domain). List users by object ID or UPN."),
                );
            }
        }
    }

    /// The users to reprocess now: `user_ids`, or the group's members with licence errors.
    pub async fn resolve(self, ctx: &Context, tenant: &Tenant, diags: &mut Diagnostics) -> Option<Vec<String>> {
        if let Some(users) = self.user_ids.known() {
            let unique: BTreeSet<String> = users.0.iter().cloned().collect();
            return Some(unique.into_iter().collect());
        }
        let group_id = self.group_id.known()?;
        match reprocess::members_with_errors(&tenant.graph, &ctx.cancel, group_id).await {
            Ok(Some(members)) => Some(members),
            Ok(None) => {
                diags.push(group_not_found(group_id));
                None
            }
            Err(e) => {
                diags.push(graph_error("Unable to List Members With License Errors", &e));
                None
            }
        }
    }
}

/// The diagnostic for a user that could not be reprocessed.
pub fn failure(user: &str, failure: &ReprocessFailure) -> Diagnostic {
    match failure {
        ReprocessFailure::UserNotFound => diagnostics::user_not_found(user),
        ReprocessFailure::UserVanished => diagnostics::user_vanished(user),
        ReprocessFailure::Reprocess(e) => graph_error(&format!("Unable to Reprocess User {user}"), e),
        ReprocessFailure::Read(e) => graph_error("Unable to Read User", e),
    }
}

/// The progress line for one user, `[done/total] …`.
pub fn progress_line(done: usize, total: usize, user: &str, outcome: &Result<Reprocessed, ReprocessFailure>) -> String {
    match outcome {
        Ok(result) if result.license_errors.is_empty() => {
            format!("[{done}/{total}] reprocessed {user}: no licence errors")
        }
        Ok(result) => format!(
            "[{done}/{total}] reprocessed {user}: {} remaining",
            diagnostics::count(result.license_errors.len(), "licence error")
        ),
        Err(e) => format!("[{done}/{total}] {user}: {}", failure(user, e).summary),
    }
}

model! {
    /// One user's result, as `results` records it.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct UserResult {
        /// The user.
        pub user_id: String,
        /// The user's UPN.
        pub user_principal_name: String,
        /// The SKU IDs in effect afterwards.
        pub licenses: Vec<String>,
        /// The licence errors that remain.
        pub license_errors: Vec<LicenseErrorEntry>,
    }
}

model! {
    /// A licence error that remains.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct LicenseErrorEntry {
        /// The SKU.
        pub sku_id: String,
        /// Graph's error code.
        pub error: String,
    }
}

impl From<Reprocessed> for UserResult {
    fn from(r: Reprocessed) -> Self {
        UserResult {
            user_id: r.user_id,
            user_principal_name: r.user_principal_name,
            licenses: r.licenses,
            license_errors: r
                .license_errors
                .into_iter()
                .map(|(sku_id, error)| LicenseErrorEntry { sku_id, error })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_target() {
        let summaries = |users: Attr<SetOf<String>>, group: Attr<String>| {
            let mut diags = Diagnostics::new();
            Targets {
                user_ids: &users,
                group_id: &group,
            }
            .validate(&mut diags);
            diags.iter().map(|d| d.summary.clone()).collect::<Vec<_>>()
        };
        assert_eq!(summaries(Attr::Null, Attr::Null), ["Missing Users"]);
        assert_eq!(
            summaries(
                Attr::Known(SetOf(vec!["u@contoso.example".into()])),
                Attr::Known("1132b215-826f-42a9-8cfe-1643d19d17fd".into())
            ),
            ["Conflicting Targets"]
        );
        assert_eq!(summaries(Attr::Known(SetOf(vec![])), Attr::Null), ["No Users"]);
        assert!(
            summaries(Attr::Unknown, Attr::Null).is_empty(),
            "unknown until apply is fine"
        );
        assert!(summaries(Attr::Null, Attr::Known("1132b215-826f-42a9-8cfe-1643d19d17fd".into())).is_empty());
        assert_eq!(summaries(Attr::Null, Attr::Known("Sales".into())), ["Invalid Group ID"]);
        let users = |ids: &[&str]| Attr::Known(SetOf(ids.iter().map(|s| (*s).to_owned()).collect()));
        assert!(
            summaries(
                users(&["adele@contoso.example", "06ebc4ee-1bb5-47dd-8120-11324bc54e06"]),
                Attr::Null
            )
            .is_empty()
        );
        for bad in [
            "adele",
            "adele@",
            "@contoso.example",
            "a@b@c.d",
            "adele@contoso",
            "ad ele@contoso.example",
            "",
        ] {
            assert_eq!(summaries(users(&[bad]), Attr::Null), ["Invalid User ID"], "{bad:?}");
        }
    }

    #[test]
    fn progress_lines_count_right() {
        let one_error = Ok(Reprocessed {
            license_errors: vec![("s".into(), "CountViolation".into())],
            ..Reprocessed::default()
        });
        assert_eq!(
            progress_line(1, 2, "u", &one_error),
            "[1/2] reprocessed u: 1 licence error remaining"
        );
    }
}

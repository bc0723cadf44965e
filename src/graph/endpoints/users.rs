//! Users:
//! - `GET /users/{id}?$select=…` (`User.Read.All`): <https://learn.microsoft.com/graph/api/user-get>;
//! - `POST /users/{id}/assignLicense` (`LicenseAssignment.ReadWrite.All`):
//!   <https://learn.microsoft.com/graph/api/user-assignlicense>; direct licences, applied
//!   synchronously (200, or 400 with Graph's reason);
//! - `POST /users/{id}/reprocessLicenseAssignment` (`User.ReadWrite.All`):
//!   <https://learn.microsoft.com/graph/api/user-reprocesslicenseassignment>;
//! - `GET /groups/{id}/members/microsoft.graph.user?$select=…` (`GroupMember.Read.All`,
//!   paged): a group's user members with their licence states.

use reqwest::Method;
use serde_json::{Value as Json, json};
use tokio_util::sync::CancellationToken;

use super::groups::encode;
use crate::graph::client::GraphClient;
use crate::graph::error::GraphError;
use crate::graph::models::{AssignedLicense, User};

/// The user properties the licensing resources select.
const USER_LICENSING_SELECT: &str =
    "id,displayName,userPrincipalName,usageLocation,assignedLicenses,licenseAssignmentStates";

/// Permission to read users.
const READ_PERMISSION: &str = "User.Read.All";
/// Permission to assign licences.
const ASSIGN_PERMISSION: &str = "LicenseAssignment.ReadWrite.All";
/// Permission to list a group's members.
const MEMBERS_PERMISSION: &str = "GroupMember.Read.All";
/// Permission to reprocess users.
const REPROCESS_PERMISSION: &str = "User.ReadWrite.All";

impl GraphClient {
    /// A user with licences and licence states; `None` when it does not exist.
    pub async fn user(&self, cancel: &CancellationToken, user_id: &str) -> Result<Option<User>, GraphError> {
        let path = format!("/users/{}?$select={USER_LICENSING_SELECT}", encode(user_id));
        match self.send::<User>(cancel, Method::GET, &path, None).await {
            Ok(answer) => Ok(Some(answer.body)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.needing(READ_PERMISSION)),
        }
    }

    /// One direct `assignLicense` call; both arrays are always sent, `disabledPlans` is
    /// always an array. Graph answers with the user once the change is made.
    pub async fn assign_user_licenses(
        &self,
        cancel: &CancellationToken,
        user_id: &str,
        add: &[AssignedLicense],
        remove: &[String],
    ) -> Result<(), GraphError> {
        let body = json!({"addLicenses": add, "removeLicenses": remove});
        let path = format!("/users/{}/assignLicense", encode(user_id));
        self.send::<Json>(cancel, Method::POST, &path, Some(&body))
            .await
            .map(|_| ())
            .map_err(|e| e.needing(ASSIGN_PERMISSION))
    }

    /// Every user member of a group (direct members: group-based licensing reaches no
    /// further), with licences and licence states, 999 per page.
    pub async fn user_members(&self, cancel: &CancellationToken, group_id: &str) -> Result<Vec<User>, GraphError> {
        let path = format!(
            "/groups/{}/members/microsoft.graph.user?$select={USER_LICENSING_SELECT}&$top=999",
            encode(group_id)
        );
        self.get_all(cancel, &path)
            .await
            .map_err(|e| e.needing(MEMBERS_PERMISSION))
    }

    /// Re-evaluates every group-based licence of a user.
    pub async fn reprocess_user(&self, cancel: &CancellationToken, user_id: &str) -> Result<(), GraphError> {
        let path = format!("/users/{}/reprocessLicenseAssignment", encode(user_id));
        self.send::<Json>(cancel, Method::POST, &path, Some(&Json::Object(Default::default())))
            .await
            .map(|_| ())
            .map_err(|e| e.needing(REPROCESS_PERMISSION))
    }
}

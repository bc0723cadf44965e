//! Users:
//! - `GET /users/{id}?$select=…` (`User.Read.All`): <https://learn.microsoft.com/graph/api/user-get>;
//! - `POST /users/{id}/reprocessLicenseAssignment` (`User.ReadWrite.All`):
//!   <https://learn.microsoft.com/graph/api/user-reprocesslicenseassignment>.

use reqwest::Method;
use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use super::groups::encode;
use crate::graph::client::GraphClient;
use crate::graph::error::GraphError;
use crate::graph::models::User;

/// Permission to read users.
const READ_PERMISSION: &str = "User.Read.All";
/// Permission to reprocess users.
const REPROCESS_PERMISSION: &str = "User.ReadWrite.All";

impl GraphClient {
    /// A user with licences and licence states; `None` when it does not exist.
    pub async fn user(&self, cancel: &CancellationToken, user_id: &str) -> Result<Option<User>, GraphError> {
        let path = format!(
            "/users/{}?$select=id,userPrincipalName,assignedLicenses,licenseAssignmentStates",
            encode(user_id)
        );
        match self.send::<User>(cancel, Method::GET, &path, None).await {
            Ok(answer) => Ok(Some(answer.body)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.needing(READ_PERMISSION)),
        }
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

//! Groups:
//! - `GET /groups/{id}?$select=…` (`Group.Read.All`): <https://learn.microsoft.com/graph/api/group-get>;
//!   licensing properties come only when selected;
//! - `GET /groups?$filter=displayName eq '…'` (`Group.Read.All`);
//! - `POST /groups/{id}/assignLicense` (`LicenseAssignment.ReadWrite.All`):
//!   <https://learn.microsoft.com/graph/api/group-assignlicense>; answers 202, members are
//!   processed afterwards;
//! - `GET /groups/{id}/membersWithLicenseErrors` (`GroupMember.Read.All`), paged.

use reqwest::Method;
use serde_json::{Value as Json, json};
use tokio_util::sync::CancellationToken;

use crate::graph::client::{Answer, GraphClient};
use crate::graph::error::GraphError;
use crate::graph::models::{AssignedLicense, Group, User};

/// Permission to read groups.
const READ_PERMISSION: &str = "Group.Read.All";
/// Permission to assign licences.
const ASSIGN_PERMISSION: &str = "LicenseAssignment.ReadWrite.All";
/// Permission to list members.
const MEMBERS_PERMISSION: &str = "GroupMember.Read.All";

/// The group properties the licensing resources select.
pub const LICENSING_SELECT: &str = "id,displayName,securityEnabled,assignedLicenses,licenseProcessingState";

impl GraphClient {
    /// A group with the licensing properties; `None` when it does not exist.
    pub async fn group(&self, cancel: &CancellationToken, group_id: &str) -> Result<Option<Group>, GraphError> {
        let path = format!("/groups/{}?$select={LICENSING_SELECT}", encode(group_id));
        match self.send::<Group>(cancel, Method::GET, &path, None).await {
            Ok(answer) => Ok(Some(answer.body)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.needing(READ_PERMISSION)),
        }
    }

    /// Groups whose display name is exactly `name`.
    pub async fn groups_named(&self, cancel: &CancellationToken, name: &str) -> Result<Vec<Group>, GraphError> {
        let filter = format!("displayName eq '{}'", name.replace('\'', "''"));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("$filter", &filter)
            .append_pair("$select", "id,displayName,securityEnabled")
            .finish();
        self.get_all(cancel, &format!("/groups?{query}"))
            .await
            .map_err(|e| e.needing(READ_PERMISSION))
    }

    /// One `assignLicense` call. Both arrays are always sent; `disabledPlans` is always an
    /// array.
    pub async fn assign_group_licenses(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
        add: &[AssignedLicense],
        remove: &[String],
    ) -> Result<Answer<Json>, GraphError> {
        let body = json!({"addLicenses": add, "removeLicenses": remove});
        self.send(
            cancel,
            Method::POST,
            &format!("/groups/{}/assignLicense", encode(group_id)),
            Some(&body),
        )
        .await
        .map_err(|e| e.needing(ASSIGN_PERMISSION))
    }

    /// Direct members with their effective licences (for the seat forecast).
    pub async fn members_with_licenses(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
    ) -> Result<Vec<User>, GraphError> {
        let path = format!(
            "/groups/{}/members?$select=id,userPrincipalName,assignedLicenses&$top=999",
            encode(group_id)
        );
        self.get_all(cancel, &path)
            .await
            .map_err(|e| e.needing(MEMBERS_PERMISSION))
    }

    /// Members whose licences from this group are in error, with their licence states.
    pub async fn members_with_license_errors(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
    ) -> Result<Vec<User>, GraphError> {
        let path = format!(
            "/groups/{}/membersWithLicenseErrors?$select=id,userPrincipalName,licenseAssignmentStates&$top=999",
            encode(group_id)
        );
        self.get_all(cancel, &path)
            .await
            .map_err(|e| e.needing(MEMBERS_PERMISSION))
    }
}

/// Percent-encodes a path segment (IDs are GUIDs, but user input reaches here).
pub(crate) fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

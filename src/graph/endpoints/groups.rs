//! Groups:
//! - `GET /groups/{id}?$select=…` (`Group.Read.All`): <https://learn.microsoft.com/graph/api/group-get>;
//!   licensing properties come only when selected;
//! - `GET /groups?$filter=displayName eq '…'` (`Group.Read.All`);
//! - `POST /groups/{id}/assignLicense` (`LicenseAssignment.ReadWrite.All`):
//!   <https://learn.microsoft.com/graph/api/group-assignlicense>; answers 202, members are
//!   processed afterwards;
//! - `GET /groups/{id}/membersWithLicenseErrors` (`GroupMember.Read.All`), paged;
//! - member counts by `$batch` of advanced queries (`GroupMember.Read.All`, see
//!   [`GraphClient::member_counts`]);
//! - the groups holding given SKUs, by `$batch` of advanced queries (`Group.Read.All`, see
//!   [`GraphClient::groups_holding`]).

use reqwest::Method;
use serde_json::{Value as Json, json};
use tokio_util::sync::CancellationToken;

use std::collections::BTreeMap;

use crate::graph::client::{Answer, BatchRequest, GraphClient};
use crate::graph::error::GraphError;
use crate::graph::models::{AssignedLicense, Group, User};

/// Permission to read groups.
const READ_PERMISSION: &str = "Group.Read.All";
/// Permission to assign licences.
const ASSIGN_PERMISSION: &str = "LicenseAssignment.ReadWrite.All";
/// Permission to list members.
const MEMBERS_PERMISSION: &str = "GroupMember.Read.All";

/// The group properties the licensing resources select.
pub const LICENSING_SELECT: &str =
    "id,displayName,securityEnabled,mailEnabled,groupTypes,assignedLicenses,licenseProcessingState";

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

    /// How many members have licence errors from this group, and the first `top` of them.
    ///
    /// Graph does not document `$count` on `membersWithLicenseErrors`, so the count pages
    /// through the members in error, keeping only the first `top`: the requests grow with
    /// the number of members in error (one per 999), never with the size of the group, and
    /// memory stays bounded.
    pub async fn license_error_sample(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
        top: usize,
    ) -> Result<(u64, Vec<User>), GraphError> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            value: Vec<User>,
            #[serde(rename = "@odata.nextLink")]
            next: Option<String>,
        }
        let mut link = Some(format!(
            "/groups/{}/membersWithLicenseErrors?$select=id,userPrincipalName,licenseAssignmentStates&$top=999",
            encode(group_id)
        ));
        let (mut count, mut sample) = (0u64, Vec::new());
        while let Some(path) = link.take() {
            let page: Answer<Page> = self
                .send(cancel, Method::GET, &path, None)
                .await
                .map_err(|e| e.needing(MEMBERS_PERMISSION))?;
            count += page.body.value.len() as u64;
            let room = top.saturating_sub(sample.len());
            sample.extend(page.body.value.into_iter().take(room));
            link = page.body.next;
        }
        Ok((count, sample))
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

/// How many direct members a group has, by kind, and how many of its user members
/// already hold each SKU asked about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberCounts {
    /// Direct members that are users.
    pub users: u64,
    /// Direct members that are groups (nested groups; group licences do not reach their members).
    pub groups: u64,
    /// Per SKU ID (as asked): direct user members that hold it already, from any source.
    pub holding: BTreeMap<String, u64>,
}

/// The advanced-query header: `$count`, casts and `$filter` on `assignedLicenses` need it.
const EVENTUAL: (&str, &str) = ("ConsistencyLevel", "eventual");

impl GraphClient {
    /// Member counts in one `$batch`, whatever the size of the group: each item is an
    /// advanced query that returns `@odata.count` and at most one member.
    ///
    /// - `/groups/{id}/members/microsoft.graph.user?$count=true` (users),
    /// - `/groups/{id}/members/microsoft.graph.group?$count=true` (nested groups),
    /// - per SKU, `…/microsoft.graph.user?$count=true&$filter=assignedLicenses/any(x:x/skuId eq {sku})`.
    ///
    /// Microsoft documents `$count`, the type casts and `any` over `assignedLicenses` as
    /// advanced queries on directory objects, answered only with `ConsistencyLevel:
    /// eventual` (<https://learn.microsoft.com/graph/aad-advanced-queries>); counts are
    /// therefore eventually consistent, which is what a forecast needs. At most 18 SKUs
    /// per call (a batch holds 20 requests).
    pub async fn member_counts(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
        skus: &[String],
    ) -> Result<MemberCounts, GraphError> {
        let members = format!("/groups/{}/members", encode(group_id));
        let count = "$count=true&$top=1&$select=id";
        let item = |id: String, url: String| BatchRequest {
            id,
            method: Method::GET,
            url,
            body: None,
            headers: vec![EVENTUAL],
        };
        let mut requests = vec![
            item("users".into(), format!("{members}/microsoft.graph.user?{count}")),
            item("groups".into(), format!("{members}/microsoft.graph.group?{count}")),
        ];
        for (i, sku) in skus.iter().enumerate() {
            let filter = format!("assignedLicenses/any(x:x/skuId eq {sku})");
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("$filter", &filter)
                .finish();
            requests.push(item(
                format!("sku{i}"),
                format!("{members}/microsoft.graph.user?{count}&{query}"),
            ));
        }
        let answers = self
            .batch(cancel, requests)
            .await
            .map_err(|e| e.needing(MEMBERS_PERMISSION))?;
        let mut counts = MemberCounts::default();
        for answer in answers {
            if !(200..300).contains(&answer.status) {
                return Err(GraphError::Api {
                    operation: format!("GET {members} (batch item {})", answer.id),
                    status: answer.status,
                    code: answer.body["error"]["code"].as_str().unwrap_or_default().to_owned(),
                    message: answer.body["error"]["message"].as_str().unwrap_or_default().to_owned(),
                    request_id: None,
                    permission: Some(MEMBERS_PERMISSION),
                });
            }
            let n = answer.body["@odata.count"].as_u64().unwrap_or(0);
            match answer.id.as_str() {
                "users" => counts.users = n,
                "groups" => counts.groups = n,
                id => {
                    if let Some(sku) = id
                        .strip_prefix("sku")
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| skus.get(i))
                    {
                        counts.holding.insert(sku.clone(), n);
                    }
                }
            }
        }
        Ok(counts)
    }
}

/// The group properties [`GraphClient::groups_holding`] selects.
const HOLDING_SELECT: &str = "id,displayName,assignedLicenses,licenseProcessingState";

impl GraphClient {
    /// Every group holding at least one of `skus` (SKU IDs), with its name and licences,
    /// each group once. Per SKU one advanced query (Microsoft documents `any` over
    /// `assignedLicenses` as one, answered with `ConsistencyLevel: eventual` and
    /// `$count=true`, <https://learn.microsoft.com/graph/aad-advanced-queries>):
    /// `GET /groups?$filter=assignedLicenses/any(x:x/skuId eq {sku})&$count=true&$select=id,displayName,assignedLicenses,licenseProcessingState&$top=999`.
    /// The first pages go in `$batch` calls of 20 queries; each further page (999 groups
    /// a page) is one more request. Results are eventually consistent: a licence assigned
    /// seconds ago may not show yet.
    pub async fn groups_holding(&self, cancel: &CancellationToken, skus: &[String]) -> Result<Vec<Group>, GraphError> {
        let query = |sku: &str| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("$filter", &format!("assignedLicenses/any(x:x/skuId eq {sku})"))
                .append_pair("$count", "true")
                .append_pair("$select", HOLDING_SELECT)
                .append_pair("$top", "999")
                .finish()
        };
        let requests = skus
            .iter()
            .enumerate()
            .map(|(i, sku)| BatchRequest {
                id: format!("sku{i}"),
                method: Method::GET,
                url: format!("/groups?{}", query(sku)),
                body: None,
                headers: vec![EVENTUAL],
            })
            .collect();
        let answers = self
            .batch(cancel, requests)
            .await
            .map_err(|e| e.needing(READ_PERMISSION))?;
        let mut found: BTreeMap<String, Group> = BTreeMap::new();
        for answer in answers {
            if !(200..300).contains(&answer.status) {
                return Err(GraphError::Api {
                    operation: format!("GET /groups (batch item {})", answer.id),
                    status: answer.status,
                    code: answer.body["error"]["code"].as_str().unwrap_or_default().to_owned(),
                    message: answer.body["error"]["message"].as_str().unwrap_or_default().to_owned(),
                    request_id: None,
                    permission: Some(READ_PERMISSION),
                });
            }
            let mut groups: Vec<Group> =
                serde_json::from_value(answer.body["value"].clone()).map_err(|e| GraphError::Undecodable {
                    operation: format!("GET /groups (batch item {})", answer.id),
                    status: answer.status,
                    message: e.to_string(),
                    body: answer.body.to_string().chars().take(1000).collect(),
                    request_id: None,
                })?;
            if let Some(next) = answer.body["@odata.nextLink"].as_str() {
                let rest: Vec<Group> = self
                    .get_all_with(cancel, next, &[EVENTUAL])
                    .await
                    .map_err(|e| e.needing(READ_PERMISSION))?;
                groups.extend(rest);
            }
            for group in groups {
                found.entry(group.id.to_ascii_lowercase()).or_insert(group);
            }
        }
        Ok(found.into_values().collect())
    }
}

impl GraphClient {
    /// Every group with members in licence error, with its name and licences:
    /// `GET /groups?$filter=hasMembersWithLicenseErrors eq true` (a default query: Graph
    /// refuses this filter with `ConsistencyLevel: eventual`), 999 a page.
    pub async fn groups_with_license_errors(&self, cancel: &CancellationToken) -> Result<Vec<Group>, GraphError> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("$filter", "hasMembersWithLicenseErrors eq true")
            .append_pair("$select", HOLDING_SELECT)
            .append_pair("$top", "999")
            .finish();
        self.get_all(cancel, &format!("/groups?{query}"))
            .await
            .map_err(|e| e.needing(READ_PERMISSION))
    }
}

/// Percent-encodes a path segment (IDs are GUIDs, but user input reaches here).
pub(crate) fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

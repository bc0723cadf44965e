//! Groups:
//! - `GET /groups/{id}?$select=…` (`Group.Read.All`): <https://learn.microsoft.com/graph/api/group-get>;
//!   licensing properties come only when selected;
//! - `GET /groups?$filter=displayName eq '…'` (`Group.Read.All`);
//! - `POST /groups/{id}/assignLicense` (`LicenseAssignment.ReadWrite.All`):
//!   <https://learn.microsoft.com/graph/api/group-assignlicense>; answers 202, members are
//!   processed afterwards;
//! - `GET /groups/{id}/membersWithLicenseErrors` (`GroupMember.Read.All`), paged;
//! - the group and its member counts in one `$batch` of advanced queries
//!   (`GroupMember.Read.All`, see [`GraphClient::group_with_member_counts`]);
//! - the groups holding given SKUs, by `$batch` of advanced queries (`Group.Read.All`, see
//!   [`GraphClient::groups_holding`]).

use reqwest::Method;
use serde_json::{Value as Json, json};
use tokio_util::sync::CancellationToken;

use std::collections::BTreeMap;

use crate::graph::client::{Answer, BatchRequest, BatchResponse, GraphClient};
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
    /// memory stays bounded. `first`, when given, is the first page already read (see
    /// [`GraphClient::group_with_error_page`]).
    pub async fn license_error_sample(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
        top: usize,
        first: Option<ErrorPage>,
    ) -> Result<(u64, Vec<User>), GraphError> {
        let (mut count, mut sample) = (0u64, Vec::new());
        let mut take = |page: ErrorPage| {
            count += page.value.len() as u64;
            let room = top.saturating_sub(sample.len());
            sample.extend(page.value.into_iter().take(room));
            page.next
        };
        let mut link = match first {
            Some(page) => take(page),
            None => Some(error_page_path(group_id)),
        };
        while let Some(path) = link.take() {
            let page: Answer<ErrorPage> = self
                .send(cancel, Method::GET, &path, None)
                .await
                .map_err(|e| e.needing(MEMBERS_PERMISSION))?;
            link = take(page.body);
        }
        Ok((count, sample))
    }

    /// The group and the first page of its members with licence errors, in one `$batch`:
    /// the read that confirms a write also brings what is reported after it. `Ok(None)`
    /// when the group does not exist; a failed page is an `Err` inside.
    pub async fn group_with_error_page(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
    ) -> Result<Option<(Group, Result<ErrorPage, GraphError>)>, GraphError> {
        let group_path = format!("/groups/{}", encode(group_id));
        let item = |id: &str, url: String| BatchRequest {
            id: id.into(),
            method: Method::GET,
            url,
            body: None,
            headers: Vec::new(),
        };
        let requests = vec![
            item("group", format!("{group_path}?$select={LICENSING_SELECT}")),
            item("errors", error_page_path(group_id)),
        ];
        let answers = self
            .batch(cancel, requests)
            .await
            .map_err(|e| e.needing(READ_PERMISSION))?;
        let (mut group, mut page) = (None, None);
        for answer in &answers {
            let ok = (200..300).contains(&answer.status);
            match (answer.id.as_str(), ok) {
                ("group", _) if answer.status == 404 => return Ok(None),
                ("group", true) => group = Some(decode_value::<Group>(&format!("GET {group_path}"), &answer.body)?),
                ("group", false) => return Err(batch_item_error(&group_path, answer, READ_PERMISSION)),
                (_, true) => {
                    page = Some(decode_value::<ErrorPage>(
                        &format!("GET {group_path}/membersWithLicenseErrors"),
                        &answer.body,
                    ))
                }
                (_, false) => page = Some(Err(batch_item_error(&group_path, answer, MEMBERS_PERMISSION))),
            }
        }
        let missing = || GraphError::Transport {
            operation: format!("POST /$batch (GET {group_path})"),
            message: "the batch answer lacked an item".into(),
        };
        let group = group.ok_or_else(missing)?;
        Ok(Some((group, page.unwrap_or_else(|| Err(missing())))))
    }

    /// Members whose licences from this group are in error, with their licence states.
    pub async fn members_with_license_errors(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
    ) -> Result<Vec<User>, GraphError> {
        self.get_all(cancel, &error_page_path(group_id))
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
    /// A group with its licensing properties and its member counts, in one `$batch`
    /// whatever the size of the group: the group read, then advanced queries that each
    /// return `@odata.count` and at most one member.
    ///
    /// - `/groups/{id}?$select=…` (the group, as [`GraphClient::group`] reads it),
    /// - `/groups/{id}/members/microsoft.graph.user?$count=true` (users),
    /// - `/groups/{id}/members/microsoft.graph.group?$count=true` (nested groups),
    /// - per SKU, `…/microsoft.graph.user?$count=true&$filter=assignedLicenses/any(x:x/skuId eq {sku})`.
    ///
    /// Microsoft documents `$count`, the type casts and `any` over `assignedLicenses` as
    /// advanced queries on directory objects, answered only with `ConsistencyLevel:
    /// eventual` (<https://learn.microsoft.com/graph/aad-advanced-queries>), which each
    /// count item carries; counts are therefore eventually consistent, which is what a
    /// forecast needs. Up to 17 SKUs fit in one call (a batch holds 20 requests).
    ///
    /// `Ok(None)` when the group does not exist; a failed count is an `Err` inside.
    pub async fn group_with_member_counts(
        &self,
        cancel: &CancellationToken,
        group_id: &str,
        skus: &[String],
    ) -> Result<Option<(Group, Result<MemberCounts, GraphError>)>, GraphError> {
        let group_path = format!("/groups/{}", encode(group_id));
        let members = format!("{group_path}/members");
        let count = "$count=true&$top=1&$select=id";
        let item = |id: String, url: String, headers: Vec<(&'static str, &'static str)>| BatchRequest {
            id,
            method: Method::GET,
            url,
            body: None,
            headers,
        };
        let mut requests = vec![
            item(
                "group".into(),
                format!("{group_path}?$select={LICENSING_SELECT}"),
                Vec::new(),
            ),
            item(
                "users".into(),
                format!("{members}/microsoft.graph.user?{count}"),
                vec![EVENTUAL],
            ),
            item(
                "groups".into(),
                format!("{members}/microsoft.graph.group?{count}"),
                vec![EVENTUAL],
            ),
        ];
        for (i, sku) in skus.iter().enumerate() {
            let filter = format!("assignedLicenses/any(x:x/skuId eq {sku})");
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("$filter", &filter)
                .finish();
            requests.push(item(
                format!("sku{i}"),
                format!("{members}/microsoft.graph.user?{count}&{query}"),
                vec![EVENTUAL],
            ));
        }
        let answers = self
            .batch(cancel, requests)
            .await
            .map_err(|e| e.needing(READ_PERMISSION))?;
        let failed = |answer: &BatchResponse, permission| batch_item_error(&group_path, answer, permission);
        let mut group = None;
        let mut counts = Ok(MemberCounts::default());
        for answer in &answers {
            match answer.id.as_str() {
                "group" if answer.status == 404 => return Ok(None),
                "group" if (200..300).contains(&answer.status) => {
                    group = Some(decode_value::<Group>(&format!("GET {group_path}"), &answer.body)?);
                }
                "group" => return Err(failed(answer, READ_PERMISSION)),
                _ if !(200..300).contains(&answer.status) => {
                    if counts.is_ok() {
                        counts = Err(failed(answer, MEMBERS_PERMISSION));
                    }
                }
                id => {
                    let n = answer.body["@odata.count"].as_u64().unwrap_or(0);
                    let Ok(counts) = counts.as_mut() else { continue };
                    match id {
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
            }
        }
        let group = group.ok_or_else(|| GraphError::Transport {
            operation: format!("GET {group_path}"),
            message: "the batch answer had no item for the group".into(),
        })?;
        Ok(Some((group, counts)))
    }
}

/// One page of `membersWithLicenseErrors`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ErrorPage {
    /// The members in error, with their licence states.
    #[serde(default)]
    pub value: Vec<User>,
    /// The next page, if any.
    #[serde(rename = "@odata.nextLink")]
    pub next: Option<String>,
}

/// The first page's path.
fn error_page_path(group_id: &str) -> String {
    format!(
        "/groups/{}/membersWithLicenseErrors?$select=id,userPrincipalName,licenseAssignmentStates&$top=999",
        encode(group_id)
    )
}

/// A failed batch item as an error.
fn batch_item_error(group_path: &str, answer: &BatchResponse, permission: &'static str) -> GraphError {
    GraphError::Api {
        operation: format!("GET {group_path} (batch item {})", answer.id),
        status: answer.status,
        code: answer.body["error"]["code"].as_str().unwrap_or_default().to_owned(),
        message: answer.body["error"]["message"].as_str().unwrap_or_default().to_owned(),
        request_id: None,
        permission: Some(permission),
    }
}

/// A batch item's JSON body as `T`.
fn decode_value<T: serde::de::DeserializeOwned>(operation: &str, body: &Json) -> Result<T, GraphError> {
    T::deserialize(body).map_err(|e| GraphError::Transport {
        operation: operation.to_owned(),
        message: format!("unexpected answer: {e}"),
    })
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

//! The Graph routes under `/v1.0`: groups, users and subscribed SKUs. `$batch` is
//! recognised here but run by the pipeline, since its items go through the whole pipeline.
//!
//! Reads honour `$select`: licensing properties (`assignedLicenses`,
//! `licenseProcessingState`, `licenseAssignmentStates`, `usageLocation`) appear only when
//! selected, as Graph documents. Collections page with `$top` and `@odata.nextLink`.

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use serde_json::{Map, Value as Json, json};

use crate::request::{Caller, Incoming, Outgoing};
use crate::shared::Shared;
use crate::state::{self, LicenseChange, not_found};
use crate::tenant::AssignedLicense;

const READ_GROUPS: &[&str] = &[
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.Read.All",
    "LicenseAssignment.ReadWrite.All",
];
const READ_MEMBERS: &[&str] = &[
    "GroupMember.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const READ_USERS: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.Read.All",
    "LicenseAssignment.ReadWrite.All",
];
const READ_SKUS: &[&str] = &[
    "LicenseAssignment.Read.All",
    "LicenseAssignment.ReadWrite.All",
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const ASSIGN_GROUP: &[&str] = &[
    "LicenseAssignment.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const ASSIGN_USER: &[&str] = &[
    "LicenseAssignment.ReadWrite.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const REPROCESS_USER: &[&str] = &[
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.ReadWrite.All",
];

const GROUP_DEFAULT: &[&str] = &[
    "id",
    "displayName",
    "description",
    "groupTypes",
    "mail",
    "mailEnabled",
    "securityEnabled",
];
const GROUP_ALL: &[&str] = &[
    "id",
    "displayName",
    "description",
    "groupTypes",
    "mail",
    "mailEnabled",
    "securityEnabled",
    "assignedLicenses",
    "licenseProcessingState",
];
const USER_DEFAULT: &[&str] = &["id", "displayName", "userPrincipalName", "mail"];
const USER_ALL: &[&str] = &[
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "usageLocation",
    "assignedLicenses",
    "licenseAssignmentStates",
];

fn decode_segment(segment: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match escaped {
            Some(byte) => {
                out.push(byte as u8);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path under `/v1.0/`, split into percent-decoded segments.
fn segments(request: &Incoming) -> Vec<String> {
    let path = request.path.trim_start_matches("/v1.0/").trim_end_matches('/');
    path.split('/').map(decode_segment).collect()
}

/// `POST /v1.0/$batch`, which the pipeline runs itself: its items go through the whole
/// pipeline, not just a route.
pub(crate) fn is_batch(request: &Incoming) -> bool {
    request.method == Method::POST && segments(request) == ["$batch"]
}

/// Routes one Graph request (any but `$batch`, see `is_batch`).
pub(crate) fn route(shared: &Arc<Shared>, request: &Incoming, caller: &Caller) -> Outgoing {
    let segments = segments(request);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let result = match (&request.method, segments.as_slice()) {
        (&Method::GET, ["subscribedSkus"]) => list_skus(shared, request, caller),
        (&Method::GET, ["subscribedSkus", id]) => get_sku(shared, request, caller, id),
        (&Method::GET, ["groups"]) => list_groups(shared, request, caller),
        (&Method::GET, ["groups", id]) => get_group(shared, request, caller, id),
        (&Method::POST, ["groups", id, "assignLicense"]) => assign_group(shared, request, caller, id),
        (&Method::GET, ["groups", id, "members"]) => members(shared, request, caller, id, false),
        (&Method::GET, ["groups", id, "membersWithLicenseErrors"]) => members(shared, request, caller, id, true),
        (&Method::GET, ["users", id]) => get_user(shared, request, caller, id),
        (&Method::POST, ["users", id, "assignLicense"]) => assign_user(shared, request, caller, id),
        (&Method::POST, ["users", id, "reprocessLicenseAssignment"]) => reprocess_user(shared, caller, id),
        (&Method::GET, ["users", id, "licenseDetails"]) => license_details(shared, caller, id),
        (_, [.., last]) => Err(caller.error(
            400,
            "BadRequest",
            &format!("Resource not found for the segment '{last}'."),
        )),
        _ => Err(caller.error(400, "BadRequest", "Invalid request.")),
    };
    result.unwrap_or_else(|error| error)
}

type Route = Result<Outgoing, Outgoing>;

/// Applies `$select` to an entity: only the selected properties when there is one, else
/// the defaults. Unknown properties are a 400, as Graph answers.
fn select(
    entity: &Json,
    request: &Incoming,
    caller: &Caller,
    defaults: &[&str],
    known: &[&str],
    type_name: &str,
) -> Result<Json, Outgoing> {
    let chosen: Vec<String> = match request.query("$select") {
        Some(list) => list
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => defaults.iter().map(|s| (*s).to_owned()).collect(),
    };
    let mut out = Map::new();
    for name in chosen {
        let Some(property) = known.iter().find(|k| k.eq_ignore_ascii_case(&name)) else {
            return Err(caller.error(
                400,
                "Request_BadRequest",
                &format!("Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."),
            ));
        };
        out.insert(
            (*property).to_owned(),
            entity.get(*property).cloned().unwrap_or(Json::Null),
        );
    }
    Ok(Json::Object(out))
}

fn with_context(mut value: Json, shared: &Shared, context: &str) -> Json {
    if let Json::Object(map) = &mut value {
        map.insert(
            "@odata.context".into(),
            json!(format!("{}/v1.0/$metadata#{context}", shared.base_url)),
        );
    }
    value
}

/// A page of `items` with `@odata.nextLink` when more remain.
fn page(shared: &Shared, request: &Incoming, items: Vec<Json>, context: &str, default_top: usize) -> Outgoing {
    let top = request
        .query("$top")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(default_top)
        .clamp(1, 999);
    let skip = request
        .query("$skiptoken")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(0);
    let total = items.len();
    let value: Vec<Json> = items.into_iter().skip(skip).take(top).collect();
    let mut body = json!({"@odata.context": format!("{}/v1.0/$metadata#{context}", shared.base_url), "value": value});
    if skip + top < total {
        let mut query: Vec<(String, String)> = request
            .query
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken") && !k.eq_ignore_ascii_case("$top"))
            .cloned()
            .collect();
        query.push(("$top".into(), top.to_string()));
        query.push(("$skiptoken".into(), (skip + top).to_string()));
        let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
        body["@odata.nextLink"] = json!(format!("{}{}?{encoded}", shared.base_url, request.path));
    }
    Outgoing::json(200, body)
}

fn list_skus(shared: &Shared, request: &Incoming, caller: &Caller) -> Route {
    caller.require(READ_SKUS)?;
    if request.query("$filter").is_some() {
        return Err(caller.error(
            400,
            "Request_UnsupportedQuery",
            "The subscribedSkus collection does not support $filter.",
        ));
    }
    let directory = shared.directory.lock().expect("directory");
    let known = [
        "id",
        "accountId",
        "accountName",
        "appliesTo",
        "capabilityStatus",
        "consumedUnits",
        "prepaidUnits",
        "servicePlans",
        "skuId",
        "skuPartNumber",
        "subscriptionIds",
    ];
    let items = directory
        .skus
        .iter()
        .map(|s| select(&directory.sku_json(s), request, caller, &known, &known, "subscribedSku"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Outgoing::json(
        200,
        json!({"@odata.context": format!("{}/v1.0/$metadata#subscribedSkus", shared.base_url), "value": items}),
    ))
}

fn get_sku(shared: &Shared, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(READ_SKUS)?;
    let directory = shared.directory.lock().expect("directory");
    let sku_id = id.rsplit('_').next().unwrap_or(id);
    let sku = directory
        .sku(sku_id)
        .filter(|_| id.contains('_'))
        .ok_or_else(|| caller.rejection(not_found(id)))?;
    let known = [
        "id",
        "accountId",
        "accountName",
        "appliesTo",
        "capabilityStatus",
        "consumedUnits",
        "prepaidUnits",
        "servicePlans",
        "skuId",
        "skuPartNumber",
        "subscriptionIds",
    ];
    let value = select(
        &directory.sku_json(sku),
        request,
        caller,
        &known,
        &known,
        "subscribedSku",
    )?;
    Ok(Outgoing::json(
        200,
        with_context(value, shared, "subscribedSkus/$entity"),
    ))
}

/// `$filter` on groups: `displayName eq '…'` and `hasMembersWithLicenseErrors eq true`.
fn list_groups(shared: &Shared, request: &Incoming, caller: &Caller) -> Route {
    caller.require(READ_GROUPS)?;
    let directory = shared.directory.lock().expect("directory");
    let filter = request.query("$filter").map(str::trim);
    let eventual = request
        .header("consistencylevel")
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    let matches: Box<dyn Fn(&state::Group) -> bool> = match filter {
        None => Box::new(|_| true),
        Some(f) if f.starts_with("displayName eq '") && f.ends_with('\'') => {
            let name = f["displayName eq '".len()..f.len() - 1].replace("''", "'");
            Box::new(move |g| g.file.display_name == name)
        }
        Some(f)
            if f.replace(' ', "")
                .eq_ignore_ascii_case("hasMembersWithLicenseErrorseqtrue") =>
        {
            if eventual {
                return Err(caller.error(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'hasMembersWithLicenseErrors' of resource 'Group'."));
            }
            let with_errors: std::collections::HashSet<String> = directory
                .groups
                .keys()
                .filter(|id| !directory.members_with_errors(id).is_empty())
                .cloned()
                .collect();
            Box::new(move |g| with_errors.contains(&g.file.id))
        }
        Some(f) => {
            return Err(caller.error(
                400,
                "Request_UnsupportedQuery",
                &format!("Unsupported or invalid query filter clause specified: {f}."),
            ));
        }
    };
    let mut groups: Vec<&state::Group> = directory.groups.values().filter(|g| matches(g)).collect();
    groups.sort_by_key(|g| g.order);
    let items = groups
        .into_iter()
        .map(|g| {
            select(
                &directory.group_json(g),
                request,
                caller,
                GROUP_DEFAULT,
                GROUP_ALL,
                "group",
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page(shared, request, items, "groups", 100))
}

fn get_group(shared: &Shared, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(READ_GROUPS)?;
    let directory = shared.directory.lock().expect("directory");
    let group = directory
        .group_id(id)
        .and_then(|id| directory.groups.get(&id))
        .ok_or_else(|| caller.rejection(not_found(id)))?;
    let value = select(
        &directory.group_json(group),
        request,
        caller,
        GROUP_DEFAULT,
        GROUP_ALL,
        "group",
    )?;
    Ok(Outgoing::json(200, with_context(value, shared, "groups/$entity")))
}

fn members(shared: &Shared, request: &Incoming, caller: &Caller, id: &str, only_errors: bool) -> Route {
    caller.require(READ_MEMBERS)?;
    let directory = shared.directory.lock().expect("directory");
    let group_id = directory.group_id(id).ok_or_else(|| caller.rejection(not_found(id)))?;
    let ids = if only_errors {
        directory.members_with_errors(&group_id)
    } else {
        directory.groups[&group_id].file.members.clone()
    };
    let items = ids
        .iter()
        .filter_map(|m| directory.users.get(m))
        .map(|u| {
            let mut value = select(&directory.user_json(u), request, caller, USER_DEFAULT, USER_ALL, "user")?;
            value["@odata.type"] = json!("#microsoft.graph.user");
            Ok(value)
        })
        .collect::<Result<Vec<_>, Outgoing>>()?;
    Ok(page(shared, request, items, "directoryObjects", 100))
}

fn get_user(shared: &Shared, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(READ_USERS)?;
    let directory = shared.directory.lock().expect("directory");
    let user = directory
        .user_id(id)
        .and_then(|id| directory.users.get(&id))
        .ok_or_else(|| caller.rejection(not_found(id)))?;
    let value = select(
        &directory.user_json(user),
        request,
        caller,
        USER_DEFAULT,
        USER_ALL,
        "user",
    )?;
    Ok(Outgoing::json(200, with_context(value, shared, "users/$entity")))
}

fn license_details(shared: &Shared, caller: &Caller, id: &str) -> Route {
    caller.require(READ_USERS)?;
    let directory = shared.directory.lock().expect("directory");
    let user = directory
        .user_id(id)
        .and_then(|id| directory.users.get(&id))
        .ok_or_else(|| caller.rejection(not_found(id)))?;
    let value: Vec<Json> = user
        .effective
        .iter()
        .filter_map(|(sku_id, disabled)| {
            let sku = directory.sku(sku_id)?;
            Some(json!({
                "id": format!("{}_{}", user.file.id, sku.sku_id),
                "skuId": sku.sku_id,
                "skuPartNumber": sku.sku_part_number,
                "servicePlans": sku.service_plans.iter().map(|p| json!({
                    "servicePlanId": p.service_plan_id,
                    "servicePlanName": p.service_plan_name,
                    "provisioningStatus": if disabled.contains(&p.service_plan_id) { "Disabled" } else { "Success" },
                    "appliesTo": p.applies_to,
                })).collect::<Vec<_>>(),
            }))
        })
        .collect();
    Ok(Outgoing::json(
        200,
        json!({"@odata.context": format!("{}/v1.0/$metadata#users('{id}')/licenseDetails", shared.base_url), "value": value}),
    ))
}

fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

const NOT_A_GUID: &str =
    "Cannot convert a primitive value to the expected type 'Edm.Guid'. See the inner exception for more details";

/// Parses an assignLicense body as Graph does: both parameters required, exact property
/// names, GUIDs checked.
fn parse_license_change(body: &[u8], caller: &Caller) -> Result<LicenseChange, Outgoing> {
    let bad = |message: &str| caller.error(400, "Request_BadRequest", message);
    let json: Json = serde_json::from_slice(body)
        .map_err(|_| caller.error(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."))?;
    let object = json
        .as_object()
        .ok_or_else(|| bad("The request payload must be a JSON object."))?;
    if let Some(unknown) = object.keys().find(|k| *k != "addLicenses" && *k != "removeLicenses") {
        return Err(bad(&format!(
            "The parameter '{unknown}' in the request payload is not a valid parameter for the operation 'assignLicense'."
        )));
    }
    let missing: Vec<&str> = ["addLicenses", "removeLicenses"]
        .into_iter()
        .filter(|k| !object.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        return Err(bad(&format!(
            "One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: {}.",
            missing.join(", ")
        )));
    }
    let guid = |value: &Json| {
        value
            .as_str()
            .filter(|s| is_guid(s))
            .map(str::to_owned)
            .ok_or_else(|| bad(NOT_A_GUID))
    };
    let add = object["addLicenses"]
        .as_array()
        .ok_or_else(|| bad("The value for parameter 'addLicenses' must be a collection."))?;
    let mut change = LicenseChange::default();
    for item in add {
        let item = item
            .as_object()
            .ok_or_else(|| bad("An element of 'addLicenses' must be an assignedLicense object."))?;
        if let Some(unknown) = item.keys().find(|k| *k != "skuId" && *k != "disabledPlans") {
            return Err(bad(&format!(
                "Property '{unknown}' does not exist on type 'microsoft.graph.assignedLicense'. Make sure to only use property names that are defined by the type."
            )));
        }
        let sku_id = guid(item.get("skuId").unwrap_or(&Json::Null))?;
        let disabled_plans = match item.get("disabledPlans") {
            None => Vec::new(),
            Some(Json::Array(plans)) => plans.iter().map(guid).collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(bad(
                    "The property 'disabledPlans' must be a collection of Edm.Guid and cannot be null.",
                ));
            }
        };
        change.add.push(AssignedLicense { sku_id, disabled_plans });
    }
    let remove = object["removeLicenses"]
        .as_array()
        .ok_or_else(|| bad("The value for parameter 'removeLicenses' must be a collection."))?;
    change.remove = remove.iter().map(guid).collect::<Result<_, _>>()?;
    Ok(change)
}

fn assign_group(shared: &Arc<Shared>, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(ASSIGN_GROUP)?;
    let change = parse_license_change(&request.body, caller)?;
    let realism = shared.realism();
    let mut directory = shared.directory.lock().expect("directory");
    let group_id = directory.group_id(id).ok_or_else(|| caller.rejection(not_found(id)))?;
    if realism.strict_remove {
        let current = &directory.groups[&group_id].file.assigned_licenses;
        if change
            .remove
            .iter()
            .any(|r| !current.iter().any(|l| l.sku_id.eq_ignore_ascii_case(r)))
        {
            return Err(caller.error(
                400,
                "Request_BadRequest",
                "Group does not have a corresponding license.",
            ));
        }
    }
    let generation = directory
        .change_group_licenses(&group_id, &change, Duration::from_millis(realism.read_after_write_ms))
        .map_err(|r| caller.rejection(r))?;
    if realism.processing_delay_ms == 0 {
        directory.process_group(&group_id);
    } else {
        let delay = Duration::from_millis(realism.processing_delay_ms);
        let shared = Arc::clone(shared);
        let group_id = group_id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            {
                let mut directory = shared.directory.lock().expect("directory");
                match directory.groups.get_mut(&group_id) {
                    Some(g) if g.generation == generation => g.processing_state = state::IN_PROGRESS,
                    _ => return,
                }
            }
            tokio::time::sleep(delay).await;
            let mut directory = shared.directory.lock().expect("directory");
            if directory
                .groups
                .get(&group_id)
                .is_some_and(|g| g.generation == generation)
            {
                directory.process_group(&group_id);
            }
        });
    }
    let group = &directory.groups[&group_id];
    let body = select(
        &directory.group_json(group),
        &Incoming {
            query: vec![],
            raw_query: None,
            ..request.clone()
        },
        caller,
        GROUP_DEFAULT,
        GROUP_ALL,
        "group",
    )?;
    let location = format!(
        "{}/v2/{}/directoryObjects/{group_id}/Microsoft.DirectoryServices.Group",
        shared.base_url, directory.tenant_id
    );
    Ok(Outgoing::json(202, with_context(body, shared, "groups/$entity")).header("location", location))
}

fn assign_user(shared: &Shared, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(ASSIGN_USER)?;
    let change = parse_license_change(&request.body, caller)?;
    let mut directory = shared.directory.lock().expect("directory");
    let user_id = directory.user_id(id).ok_or_else(|| caller.rejection(not_found(id)))?;
    directory
        .change_user_licenses(&user_id, &change)
        .map_err(|r| caller.rejection(r))?;
    let user = &directory.users[&user_id];
    let value = select(
        &directory.user_json(user),
        &Incoming {
            query: vec![(
                "$select".into(),
                "id,displayName,userPrincipalName,assignedLicenses".into(),
            )],
            ..request.clone()
        },
        caller,
        USER_DEFAULT,
        USER_ALL,
        "user",
    )?;
    Ok(Outgoing::json(200, with_context(value, shared, "users/$entity")))
}

fn reprocess_user(shared: &Shared, caller: &Caller, id: &str) -> Route {
    caller.require(REPROCESS_USER)?;
    let mut directory = shared.directory.lock().expect("directory");
    let user_id = directory.user_id(id).ok_or_else(|| caller.rejection(not_found(id)))?;
    directory.evaluate_user(&user_id);
    let user = &directory.users[&user_id];
    let mut value = Map::new();
    for name in USER_DEFAULT {
        value.insert((*name).to_owned(), directory.user_json(user)[*name].clone());
    }
    Ok(Outgoing::json(
        200,
        with_context(Json::Object(value), shared, "users/$entity"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_and_percent_decoding() {
        assert!(is_guid("1132b215-826f-42a9-8cfe-1643d19d17fd"));
        assert!(!is_guid("u86tgb54-826f-42a9-8cfe-1643d19d17fd"));
        assert!(!is_guid("1132b215826f42a98cfe1643d19d17fd"));
        assert_eq!(decode_segment("adele%40contoso.example"), "adele@contoso.example");
        assert_eq!(decode_segment("%2"), "%2");
        assert_eq!(
            decode_segment("%\u{e9}x"),
            "%\u{e9}x",
            "a % before a multi-byte character is kept"
        );
    }
}

//! The control API for tests and demos, under `/_emulator/`. It is not Graph: no auth,
//! not logged, not throttled.
//!
//! - `GET state`: the whole tenant, as Graph would show it, with members and errors;
//! - `GET requests` / `DELETE requests`: the request log;
//! - `GET faults` / `POST faults`: the realism knobs (a partial JSON object is merged);
//! - `POST reset`: back to the seed tenant, log cleared;
//! - `POST revoke-tokens`: every access token issued so far stops working (401);
//! - `PATCH skus/{skuId}`: change `prepaidUnits` or `capabilityStatus` (buying seats);
//! - `POST users`, `POST groups`: add a user or a group to build a test's tenant, in the
//!   tenant file's shape (`id` made up when absent); a user's `assignedLicenses` are direct
//!   licences held since long ago (every check of a direct assignment but the seat count),
//!   a group's members are processed as Entra would; answered 201 with the object as Graph
//!   shows it, every property included (a group adds `members` and `groupMembers`);
//!   refused with 400 (malformed, unknown SKU, plan or member) or 409 (ID or sign-in name
//!   taken). `POST reset` removes them with everything else;
//! - `POST groups/{id}/licenses`, `POST users/{id}/licenses`: an out-of-band licence change
//!   (assignLicense's body and checks, as an administrator would make in the portal);
//! - `PATCH users/{id}`: `{"usageLocation": "DE"}` or `null`, for tests of the usage
//!   location rules (licences are evaluated again only when the user is next processed);
//! - `DELETE groups/{id}`: delete a group (a licensed one only with `?force=true`);
//! - `POST groups/{id}/members`: `{"add": [...], "remove": [...]}` user or group IDs (a
//!   group ID nests that group); the users are processed, as a membership change is in
//!   Entra;
//! - `GET continuity` / `DELETE continuity`: the licence-continuity log, every enabled
//!   service plan a user lost and the request that caused it (see `continuity`).
//!
//! Changes made here are logged in the continuity log with `requestId: null` and the admin
//! call as their `request`.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json, json};

use crate::continuity::Cause;
use crate::properties::{GROUP, USER};
use crate::query::is_guid;
use crate::realism::Realism;
use crate::request::{Incoming, Outgoing};
use crate::shared::Shared;
use crate::state::{Directory, Group, LicenseChange, Rejection, User};
use crate::tenant::{GroupFile, UserFile};

/// The properties `POST users` takes: a tenant file's user.
const USER_FIELDS: &[&str] = &[
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "usageLocation",
    "assignedLicenses",
];

/// The properties `POST groups` takes: a tenant file's group.
const GROUP_FIELDS: &[&str] = &[
    "id",
    "displayName",
    "description",
    "securityEnabled",
    "mailEnabled",
    "groupTypes",
    "mail",
    "members",
    "groupMembers",
    "assignedLicenses",
];

pub(crate) fn handle(shared: &Shared, request: &Incoming) -> Outgoing {
    let path = request.path.trim_start_matches("/_emulator/").trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let body: Json = serde_json::from_slice(&request.body).unwrap_or(Json::Null);
    let method = request.method.as_str();
    let cause = Cause::other(format!("{method} /_emulator/{path}"));
    match (method, segments.as_slice()) {
        ("GET", ["state"]) => Outgoing::json(200, shared.directory.lock().expect("directory").snapshot()),
        ("GET", ["requests"]) => Outgoing::json(200, json!(shared.log.lock().expect("log").iter().collect::<Vec<_>>())),
        ("DELETE", ["requests"]) => {
            shared.log.lock().expect("log").clear();
            Outgoing::json(200, json!({"cleared": true}))
        }
        ("GET", ["faults"]) => Outgoing::json(200, json!(shared.realism())),
        ("POST", ["faults"]) => {
            let mut current = serde_json::to_value(shared.realism()).expect("serialisable");
            if let (Json::Object(target), Json::Object(changes)) = (&mut current, body) {
                target.extend(changes);
            }
            match serde_json::from_value::<Realism>(current) {
                Ok(realism) => {
                    *shared.realism.lock().expect("realism") = realism.clone();
                    shared.buckets.lock().expect("buckets").clear();
                    Outgoing::json(200, json!(realism))
                }
                Err(e) => Outgoing::json(400, json!({"error": e.to_string()})),
            }
        }
        ("POST", ["revoke-tokens"]) => {
            shared.revoke_tokens();
            Outgoing::json(200, json!({"revoked": true}))
        }
        ("POST", ["reset"]) => {
            let seed: crate::tenant::TenantFile =
                serde_json::from_slice(&shared.seed).expect("the seed was serialised by us");
            *shared.directory.lock().expect("directory") = Directory::new(seed);
            shared.log.lock().expect("log").clear();
            shared.buckets.lock().expect("buckets").clear();
            Outgoing::json(200, json!({"reset": true}))
        }
        ("PATCH", ["skus", sku_id]) => {
            let mut directory = shared.directory.lock().expect("directory");
            let Some(sku) = directory
                .skus
                .iter_mut()
                .find(|s| s.sku_id.eq_ignore_ascii_case(sku_id))
            else {
                return Outgoing::json(404, json!({"error": format!("no SKU {sku_id}")}));
            };
            if let Some(units) = body
                .get("prepaidUnits")
                .and_then(|u| serde_json::from_value(u.clone()).ok())
            {
                sku.prepaid_units = units;
            }
            if let Some(status) = body.get("capabilityStatus").and_then(Json::as_str) {
                sku.capability_status = status.to_owned();
            }
            let sku = sku.clone();
            Outgoing::json(200, directory.sku_json(&sku))
        }
        ("POST", ["users"]) => create_user(shared, &body, &cause),
        ("POST", ["groups"]) => create_group(shared, &body, &cause),
        ("POST", ["users", user_id, "licenses"]) => {
            // An administrator's change in the portal: assignLicense semantics, no token.
            let mut directory = shared.directory.lock().expect("directory");
            let Some(user_id) = directory.user_id(user_id) else {
                return Outgoing::json(404, json!({"error": format!("no user {user_id}")}));
            };
            match directory.change_user_licenses(&user_id, &license_change(&body), &cause) {
                Ok(()) => Outgoing::json(200, user_view(&directory, &directory.users[&user_id])),
                Err(rejection) => refused(&rejection),
            }
        }
        ("PATCH", ["users", user_id]) => {
            let location = match body.as_object().map(|o| (o.len(), o.get("usageLocation"))) {
                Some((1, Some(Json::Null))) => None,
                Some((1, Some(Json::String(location)))) if is_country(location) => Some(location.to_uppercase()),
                _ => return bad("the body must be {\"usageLocation\": \"<ISO 3166 alpha-2 code>\" or null}"),
            };
            let mut directory = shared.directory.lock().expect("directory");
            match directory.set_usage_location(user_id, location) {
                Ok(user_id) => Outgoing::json(200, user_view(&directory, &directory.users[&user_id])),
                Err(rejection) => refused(&rejection),
            }
        }
        ("POST", ["groups", group_id, "licenses"]) => {
            // An administrator's change in the portal: assignLicense semantics, no token.
            let change = license_change(&body);
            let mut directory = shared.directory.lock().expect("directory");
            let Some(group_id) = directory.group_id(group_id) else {
                return Outgoing::json(404, json!({"error": format!("no group {group_id}")}));
            };
            match directory.change_group_licenses(&group_id, &change, std::time::Duration::ZERO) {
                Ok(_) => {
                    directory.process_group(&group_id, &cause);
                    Outgoing::json(
                        200,
                        json!({"assignedLicenses": directory.groups[&group_id].file.assigned_licenses}),
                    )
                }
                Err(rejection) => Outgoing::json(rejection.status, json!({"error": rejection.message})),
            }
        }
        ("DELETE", ["groups", group_id]) => {
            // A licensed group cannot be deleted in Entra; `?force=true` models a deletion
            // after which the licences are gone with the group.
            let forced = request.query("force") == Some("true");
            let mut directory = shared.directory.lock().expect("directory");
            match directory.delete_group(group_id, forced, &cause) {
                Ok(deleted) => Outgoing::json(200, json!({"deleted": deleted})),
                Err(rejection) => Outgoing::json(rejection.status, json!({"error": rejection.message})),
            }
        }
        ("POST", ["groups", group_id, "members"]) => {
            let ids = |key: &str| -> Vec<String> {
                body.get(key)
                    .and_then(Json::as_array)
                    .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default()
            };
            let mut directory = shared.directory.lock().expect("directory");
            match directory.change_members(group_id, &ids("add"), &ids("remove"), &cause) {
                Ok(()) => {
                    let group = directory
                        .group_id(group_id)
                        .and_then(|id| directory.groups.get(&id))
                        .expect("changed");
                    Outgoing::json(
                        200,
                        json!({"members": group.file.members, "groupMembers": group.file.group_members}),
                    )
                }
                Err(rejection) => Outgoing::json(rejection.status, json!({"error": rejection.message})),
            }
        }
        ("GET", ["continuity"]) => {
            let directory = shared.directory.lock().expect("directory");
            Outgoing::json(
                200,
                json!({"losses": directory.continuity.losses().collect::<Vec<_>>(), "dropped": directory.continuity.dropped()}),
            )
        }
        ("DELETE", ["continuity"]) => {
            shared.directory.lock().expect("directory").continuity.clear();
            Outgoing::json(200, json!({"cleared": true}))
        }
        _ => Outgoing::json(
            404,
            json!({"error": format!("unknown admin route {method} /_emulator/{path}")}),
        ),
    }
}

/// An assignLicense body, read leniently: an administrator's change, not a Graph request
/// (the Graph route checks the body itself).
fn license_change(body: &Json) -> LicenseChange {
    LicenseChange {
        add: field(body, "addLicenses").unwrap_or_default(),
        remove: field(body, "removeLicenses").unwrap_or_default(),
    }
}

fn field<T: DeserializeOwned>(body: &Json, key: &str) -> Option<T> {
    body.get(key).cloned().and_then(|v| serde_json::from_value(v).ok())
}

fn refused(rejection: &Rejection) -> Outgoing {
    Outgoing::json(rejection.status, json!({"error": rejection.message}))
}

fn bad(message: impl Into<String>) -> Outgoing {
    Outgoing::json(400, json!({"error": message.into()}))
}

/// An ISO 3166 alpha-2 code's shape: two letters.
fn is_country(text: &str) -> bool {
    text.len() == 2 && text.chars().all(|c| c.is_ascii_alphabetic())
}

/// A user or group of a `POST users` / `POST groups` body: a JSON object of `fields` (a
/// misspelt property is refused rather than ignored), `defaults` filled in, and an `id`
/// made up, GUID-shaped, when absent.
fn new_object<T: DeserializeOwned>(
    shared: &Shared,
    body: &Json,
    fields: &[&str],
    defaults: &[(&str, Json)],
) -> Result<T, Outgoing> {
    let Json::Object(object) = body else {
        return Err(bad("the body must be a JSON object"));
    };
    if let Some(unknown) = object.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(bad(format!(
            "unknown property '{unknown}'; known: {}",
            fields.join(", ")
        )));
    }
    let mut object: Map<String, Json> = object.clone();
    match object.get("id") {
        None | Some(Json::Null) => {
            object.insert("id".into(), json!(shared.new_id()));
        }
        Some(Json::String(id)) if is_guid(id) => {}
        Some(other) => return Err(bad(format!("id must be a GUID, not {other}"))),
    }
    for (key, value) in defaults {
        object.entry(*key).or_insert_with(|| value.clone());
    }
    serde_json::from_value(Json::Object(object)).map_err(|e| bad(e.to_string()))
}

/// `POST users`: a user with direct licences held since long ago.
pub(crate) fn create_user(shared: &Shared, body: &Json, cause: &Cause) -> Outgoing {
    let mut user: UserFile = match new_object(shared, body, USER_FIELDS, &[]) {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    if !user.user_principal_name.contains('@') {
        return bad(format!(
            "userPrincipalName must be alias@domain, not '{}'",
            user.user_principal_name
        ));
    }
    match &user.usage_location {
        Some(location) if !is_country(location) => {
            return bad(format!(
                "usageLocation must be an ISO 3166 alpha-2 code, not '{location}'"
            ));
        }
        Some(location) => user.usage_location = Some(location.to_uppercase()),
        None => {}
    }
    let mut directory = shared.directory.lock().expect("directory");
    match directory.create_user(user, cause) {
        Ok(id) => Outgoing::json(201, user_view(&directory, &directory.users[&id])),
        Err(rejection) => refused(&rejection),
    }
}

/// `POST groups`: a group (security-enabled unless said otherwise) whose members are
/// processed at once.
pub(crate) fn create_group(shared: &Shared, body: &Json, cause: &Cause) -> Outgoing {
    let defaults = [("securityEnabled", json!(true))];
    let group: GroupFile = match new_object(shared, body, GROUP_FIELDS, &defaults) {
        Ok(group) => group,
        Err(refusal) => return refusal,
    };
    let mut directory = shared.directory.lock().expect("directory");
    match directory.create_group(group, cause) {
        Ok(id) => Outgoing::json(201, group_view(&directory, &directory.groups[&id])),
        Err(rejection) => refused(&rejection),
    }
}

/// A user as Graph shows it with every property selected.
fn user_view(directory: &Directory, user: &User) -> Json {
    crate::graph::user_object(directory, user, USER)
}

/// A group as Graph shows it with every property selected, and its members.
fn group_view(directory: &Directory, group: &Group) -> Json {
    let mut view = crate::graph::group_object(directory, group, GROUP);
    view["members"] = json!(group.file.members);
    view["groupMembers"] = json!(group.file.group_members);
    view
}

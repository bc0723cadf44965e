//! The control API for tests and demos, under `/_emulator/`. It is not Graph: no auth,
//! not logged, not throttled.
//!
//! - `GET state`: the whole tenant, as Graph would show it, with members and errors;
//! - `GET requests` / `DELETE requests`: the request log;
//! - `GET faults` / `POST faults`: the realism knobs (a partial JSON object is merged);
//! - `POST reset`: back to the seed tenant, log cleared;
//! - `POST revoke-tokens`: every access token issued so far stops working (401);
//! - `PATCH skus/{skuId}`: change `prepaidUnits` or `capabilityStatus` (buying seats);
//! - `POST groups/{id}/licenses`: an out-of-band licence change (assignLicense's body, as an
//!   administrator would make in the portal);
//! - `DELETE groups/{id}`: delete a group (a licensed one only with `?force=true`);
//! - `POST groups/{id}/members`: `{"add": [...], "remove": [...]}` user IDs; the users
//!   are processed, as a membership change is in Entra.

use serde_json::{Value as Json, json};

use crate::realism::Realism;
use crate::request::{Incoming, Outgoing};
use crate::shared::Shared;
use crate::state::Directory;

pub(crate) fn handle(shared: &Shared, request: &Incoming) -> Outgoing {
    let path = request.path.trim_start_matches("/_emulator/").trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let body: Json = serde_json::from_slice(&request.body).unwrap_or(Json::Null);
    let method = request.method.as_str();
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
        ("POST", ["groups", group_id, "licenses"]) => {
            // An administrator's change in the portal: assignLicense semantics, no token.
            let add = body
                .get("addLicenses")
                .cloned()
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default();
            let remove = body
                .get("removeLicenses")
                .cloned()
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default();
            let change = crate::state::LicenseChange { add, remove };
            let mut directory = shared.directory.lock().expect("directory");
            let Some(group_id) = directory.group_id(group_id) else {
                return Outgoing::json(404, json!({"error": format!("no group {group_id}")}));
            };
            match directory.change_group_licenses(&group_id, &change, std::time::Duration::ZERO) {
                Ok(_) => {
                    directory.process_group(&group_id);
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
            let mut directory = shared.directory.lock().expect("directory");
            let Some(group_id) = directory.group_id(group_id) else {
                return Outgoing::json(404, json!({"error": format!("no group {group_id}")}));
            };
            let forced = request.query("force") == Some("true");
            if !directory.groups[&group_id].file.assigned_licenses.is_empty() && !forced {
                return Outgoing::json(
                    400,
                    json!({"error": "the group has licences; remove them first (or pass ?force=true)"}),
                );
            }
            let group = directory.groups.remove(&group_id).expect("found");
            for member in &group.file.members {
                if let Some(groups) = directory.memberships.get_mut(member) {
                    groups.retain(|g| *g != group.order);
                }
                directory.evaluate_user(member);
            }
            Outgoing::json(200, json!({"deleted": group_id}))
        }
        ("POST", ["groups", group_id, "members"]) => {
            let mut directory = shared.directory.lock().expect("directory");
            let Some(group_id) = directory.group_id(group_id) else {
                return Outgoing::json(404, json!({"error": format!("no group {group_id}")}));
            };
            let ids = |key: &str| -> Vec<String> {
                body.get(key)
                    .and_then(Json::as_array)
                    .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default()
            };
            let (add, remove) = (ids("add"), ids("remove"));
            if let Some(unknown) = add.iter().find(|u| !directory.users.contains_key(*u)) {
                return Outgoing::json(404, json!({"error": format!("no user {unknown}")}));
            }
            let position = directory.groups[&group_id].order;
            for user in &add {
                let group = directory.groups.get_mut(&group_id).expect("found");
                if !group.file.members.contains(user) {
                    group.file.members.push(user.clone());
                    directory.memberships.entry(user.clone()).or_default().push(position);
                }
            }
            for user in &remove {
                directory
                    .groups
                    .get_mut(&group_id)
                    .expect("found")
                    .file
                    .members
                    .retain(|m| m != user);
                if let Some(groups) = directory.memberships.get_mut(user) {
                    groups.retain(|g| *g != position);
                }
            }
            for user in add.iter().chain(&remove) {
                directory.evaluate_user(user);
            }
            Outgoing::json(200, json!({"members": directory.groups[&group_id].file.members}))
        }
        _ => Outgoing::json(
            404,
            json!({"error": format!("unknown admin route {method} /_emulator/{path}")}),
        ),
    }
}

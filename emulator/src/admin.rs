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
//! - `POST groups/{id}/members`: `{"add": [...], "remove": [...]}` user or group IDs (a
//!   group ID nests that group); the users are processed, as a membership change is in
//!   Entra;
//! - `GET continuity` / `DELETE continuity`: the licence-continuity log, every enabled
//!   service plan a user lost and the request that caused it (see `continuity`).
//!
//! Changes made here are logged in the continuity log with `requestId: null` and the admin
//! call as their `request`.

use serde_json::{Value as Json, json};

use crate::continuity::Cause;
use crate::realism::Realism;
use crate::request::{Incoming, Outgoing};
use crate::shared::Shared;
use crate::state::Directory;

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

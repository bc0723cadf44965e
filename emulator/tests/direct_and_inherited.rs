//! A user holding one SKU both directly and from groups, as in a migration from direct to
//! group-based licensing: one seat, one `licenseAssignmentStates` entry per source, the
//! union of enabled plans, and what removing the direct licence takes away (only the
//! plans no group enables, and everything when the inherited licence is in error).
//! Also the reads a migration makes: a group's user members with their licence states.

use serde_json::{Value as Json, json};

use crate::support::*;

const PILOT: &str = "6031c2b5-8e7f-4091-bc23-000000000006";
const ISAIAH: &str = "a1b2c3d4-0004-4000-8000-000000000004";
const AAD_P2: &str = "84a661c4-e949-4bd2-a560-ed7766fcaf2b";
const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";

async fn consumed(h: &Harness, sku: &str) -> u64 {
    let (_, sku) = h
        .get(&format!("/subscribedSkus/{TENANT}_{sku}?$select=consumedUnits"))
        .await;
    sku["consumedUnits"].as_u64().unwrap()
}

async fn licensing(h: &Harness, user: &str) -> Json {
    h.get(&format!(
        "/users/{user}?$select=id,usageLocation,assignedLicenses,licenseAssignmentStates"
    ))
    .await
    .1
}

/// The states of one SKU as (assignedByGroup, disabledPlans, state, error).
fn sources(user: &Json, sku: &str) -> Vec<Json> {
    user["licenseAssignmentStates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["skuId"] == sku)
        .map(|s| json!([s["assignedByGroup"], s["disabledPlans"], s["state"], s["error"]]))
        .collect()
}

async fn losses(h: &Harness) -> Vec<Json> {
    h.admin(reqwest::Method::GET, "continuity", json!(null)).await["losses"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn removing_a_direct_licence_keeps_the_seat_and_the_plans_a_group_gives() {
    let h = Harness::start().await;
    let path = format!("/users/{LEE}/assignLicense");
    // Lee inherits ENTERPRISEPACK with Yammer disabled from Engineering.
    assert_eq!(h.post(&path, &assign(&[(E3, &[])], &[])).await.0, 200);
    assert_eq!(consumed(&h, E3).await, 4, "one seat for two sources");
    let lee = licensing(&h, LEE).await;
    assert_eq!(lee["assignedLicenses"], json!([{"skuId": E3, "disabledPlans": []}]));
    assert_eq!(
        sources(&lee, E3),
        vec![
            json!([null, [], "Active", "None"]),
            json!([ENGINEERING, [YAMMER], "Active", "None"]),
        ]
    );

    let response = h
        .http
        .post(h.url(&path))
        .bearer_auth(&h.token)
        .json(&assign(&[], &[E3]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request_id = response.headers()["request-id"].to_str().unwrap().to_owned();
    assert_eq!(consumed(&h, E3).await, 4, "the seat stays");
    let lee = licensing(&h, LEE).await;
    assert_eq!(
        lee["assignedLicenses"],
        json!([{"skuId": E3, "disabledPlans": [YAMMER]}])
    );
    assert_eq!(
        sources(&lee, E3),
        vec![json!([ENGINEERING, [YAMMER], "Active", "None"])]
    );
    let lost = losses(&h).await;
    assert_eq!(lost.len(), 1, "only Yammer was the direct licence's alone: {lost:?}");
    assert_eq!(
        (&lost[0]["userId"], &lost[0]["servicePlanId"], &lost[0]["requestId"]),
        (&json!(LEE), &json!(YAMMER), &json!(request_id))
    );
    assert_eq!(lost[0]["request"], format!("POST /v1.0{path}"));

    // A direct licence that enabled less than the group loses nothing when removed.
    h.admin(reqwest::Method::DELETE, "continuity", json!(null)).await;
    let sway = "a23b959c-7ce8-4e57-9140-b90eb88a9e97";
    assert_eq!(h.post(&path, &assign(&[(E3, &[YAMMER, sway])], &[])).await.0, 200);
    assert_eq!(h.post(&path, &assign(&[], &[E3])).await.0, 200);
    assert!(losses(&h).await.is_empty());
}

#[tokio::test]
async fn a_direct_licence_serves_while_the_inherited_one_is_in_error_and_its_removal_is_logged() {
    let h = Harness::start().await;
    h.admin(
        reqwest::Method::PATCH,
        &format!("skus/{AAD_P2}"),
        json!({"prepaidUnits": {"enabled": 0}}),
    )
    .await;
    let path = format!("/users/{LEE}/assignLicense");
    assert_eq!(h.post(&path, &assign(&[(AAD_P1, &[])], &[])).await.0, 200);
    h.admin(
        reqwest::Method::POST,
        &format!("groups/{PILOT}/licenses"),
        assign(&[(AAD_P1, &[]), (AAD_P2, &[])], &[]),
    )
    .await;
    h.admin(
        reqwest::Method::POST,
        &format!("groups/{PILOT}/members"),
        json!({"add": [LEE]}),
    )
    .await;
    let lee = licensing(&h, LEE).await;
    assert_eq!(
        sources(&lee, AAD_P1),
        vec![
            json!([null, [], "Active", "None"]),
            json!([PILOT, [], "Error", "CountViolation"]),
        ]
    );
    assert!(
        lee["assignedLicenses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["skuId"] == AAD_P1),
        "the direct licence serves"
    );
    let (_, failing) = h.get(&format!("/groups/{PILOT}/membersWithLicenseErrors")).await;
    assert_eq!(failing["value"][0]["id"], LEE);
    assert_eq!(consumed(&h, AAD_P1).await, 1);

    assert_eq!(h.post(&path, &assign(&[], &[AAD_P1])).await.0, 200);
    let lee = licensing(&h, LEE).await;
    assert!(
        lee["assignedLicenses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["skuId"] != AAD_P1),
        "nothing serves AAD_PREMIUM any more"
    );
    assert_eq!(consumed(&h, AAD_P1).await, 0);
    let mut lost: Vec<String> = losses(&h)
        .await
        .iter()
        .filter(|l| l["userId"] == LEE && l["skuId"] == AAD_P1)
        .map(|l| l["servicePlanName"].as_str().unwrap().to_owned())
        .collect();
    lost.sort_unstable();
    assert_eq!(
        lost,
        [
            "AAD_PREMIUM",
            "ADALLOM_S_DISCOVERY",
            "EXCHANGE_S_FOUNDATION",
            "MFA_PREMIUM"
        ]
    );
}

#[tokio::test]
async fn group_user_members_and_users_select_their_licence_states_and_usage_location() {
    let h = Harness::start().await;
    assert_eq!(
        h.post(&format!("/users/{LEE}/assignLicense"), &assign(&[(E3, &[])], &[]))
            .await
            .0,
        200
    );
    let select = "id,userPrincipalName,usageLocation,assignedLicenses,licenseAssignmentStates";
    let first = format!("/groups/{ENGINEERING}/members/microsoft.graph.user?$select={select}&$top=2");
    let (status, page) = h.get(&first).await;
    assert_eq!(status, 200);
    let next = page["@odata.nextLink"].as_str().expect("two pages of two").to_owned();
    assert!(next.contains("$select=") || next.contains("%24select="), "{next}");
    let second: Json = h
        .http
        .get(&next)
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let members: Vec<Json> = [&page, &second]
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .collect();
    assert_eq!(members.len(), 4);
    for member in &members {
        let mut keys: Vec<&str> = member.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "assignedLicenses",
                "id",
                "licenseAssignmentStates",
                "usageLocation",
                "userPrincipalName"
            ],
            "the cast has no @odata.type"
        );
    }
    let by_id = |id: &str| members.iter().find(|m| m["id"] == id).unwrap();
    assert_eq!(
        sources(by_id(LEE), E3),
        vec![
            json!([null, [], "Active", "None"]),
            json!([ENGINEERING, [YAMMER], "Active", "None"]),
        ],
        "a redundant direct licence is visible from the member list"
    );
    assert_eq!(by_id(LEE)["usageLocation"], "US");
    assert_eq!(by_id(ISAIAH)["usageLocation"], Json::Null, "no usage location set");

    let (status, lee) = h
        .get(&format!("/users/{LEE}?$select=licenseAssignmentStates,usageLocation"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(lee["usageLocation"], "US");
    assert_eq!(lee["licenseAssignmentStates"].as_array().unwrap().len(), 2);
    assert!(lee.get("id").is_none() && lee.get("assignedLicenses").is_none());
}

#[tokio::test]
async fn a_direct_sku_sent_in_upper_case_counts_and_filters_as_the_tenant_spells_it() {
    let h = Harness::start().await;
    let seats = |skus: &Json| {
        skus["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["skuId"] == AAD_P2)
            .map(|s| s["consumedUnits"].as_u64().unwrap())
            .unwrap()
    };
    let before = seats(&h.get("/subscribedSkus").await.1);
    let upper = AAD_P2.to_ascii_uppercase();
    let (status, body) = h
        .post(
            &format!("/users/{LEE}/assignLicense"),
            &assign(&[(upper.as_str(), &[])], &[]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        seats(&h.get("/subscribedSkus").await.1),
        before + 1,
        "one more seat in use"
    );
    let (status, users) = h
        .get(&format!(
            "/users?$select=id&$filter=assignedLicenses/any(x:x/skuId eq {AAD_P2})"
        ))
        .await;
    assert_eq!(status, 200, "{users}");
    let ids: Vec<&str> = users["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&LEE), "{ids:?}");
}

//! Reads: `$select`, filters, paging, subscribedSkus, users, licenseDetails, batching,
//! permissions and the documented error bodies.

use serde_json::{Value as Json, json};

use crate::support::*;

#[tokio::test]
async fn groups_show_licensing_properties_only_when_selected() {
    let h = Harness::start().await;
    let (status, group) = h.get(&format!("/groups/{ENGINEERING}")).await;
    assert_eq!(status, 200);
    assert_eq!(group["displayName"], "Engineering");
    assert!(
        group.get("assignedLicenses").is_none(),
        "licensing properties need $select"
    );
    let (_, selected) = h
        .get(&format!(
            "/groups/{ENGINEERING}?$select=id,assignedLicenses,licenseProcessingState"
        ))
        .await;
    assert_eq!(selected["assignedLicenses"][0]["skuId"], E3);
    assert_eq!(
        selected["assignedLicenses"][0]["disabledPlans"],
        json!(["7547a3fe-08ee-4ccb-b430-5077c5041653"])
    );
    assert_eq!(selected["licenseProcessingState"]["state"], "ProcessingComplete");
    assert!(selected.get("displayName").is_none());
    let (status, body) = h.get(&format!("/groups/{ENGINEERING}?$select=nope")).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("'nope'"));
}

#[tokio::test]
async fn missing_objects_get_the_documented_404_with_request_ids() {
    let h = Harness::start().await;
    let response = h
        .http
        .get(h.url("/groups/00000000-0000-0000-0000-0000000000ff"))
        .bearer_auth(&h.token)
        .header("client-request-id", "my-client-id")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let request_id = response.headers()["request-id"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["client-request-id"], "my-client-id");
    let body: Json = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(
        message(&body),
        "Resource '00000000-0000-0000-0000-0000000000ff' does not exist or one of its queried reference-property objects are not present."
    );
    assert_eq!(body["error"]["innerError"]["request-id"], request_id);
    assert_eq!(body["error"]["innerError"]["client-request-id"], "my-client-id");
}

#[tokio::test]
async fn groups_by_display_name_and_the_eventual_consistency_trap() {
    let h = Harness::start().await;
    let (_, found) = h.get("/groups?$filter=displayName eq 'Sales'").await;
    assert_eq!(found["value"].as_array().unwrap().len(), 1);
    assert_eq!(found["value"][0]["id"], SALES);
    let (_, none) = h.get("/groups?$filter=displayName eq 'Nobody''s'").await;
    assert!(none["value"].as_array().unwrap().is_empty());
    let response = h
        .http
        .get(h.url("/groups?$filter=hasMembersWithLicenseErrors eq true"))
        .bearer_auth(&h.token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Json>().await.unwrap()["error"]["code"],
        "Request_UnsupportedQuery"
    );
}

#[tokio::test]
async fn members_page_with_next_links() {
    let h = Harness::start().await;
    let mut url = h.url(&format!("/groups/{ANNOUNCEMENTS}/members?$top=3"));
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let body: Json = h
            .http
            .get(&url)
            .bearer_auth(&h.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pages += 1;
        for member in body["value"].as_array().unwrap() {
            assert_eq!(member["@odata.type"], "#microsoft.graph.user");
            ids.push(member["id"].as_str().unwrap().to_owned());
        }
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!((ids.len(), pages), (8, 3));
    ids.dedup();
    assert_eq!(ids.len(), 8);
}

#[tokio::test]
async fn subscribed_skus_have_documented_ids_and_live_consumption() {
    let h = Harness::start().await;
    let (_, skus) = h.get("/subscribedSkus").await;
    let e3 = skus["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["skuId"] == E3)
        .unwrap()
        .clone();
    assert_eq!(e3["id"], format!("{TENANT}_{E3}"));
    assert_eq!(e3["skuPartNumber"], "ENTERPRISEPACK");
    assert_eq!(e3["consumedUnits"], 4);
    assert!(
        e3["servicePlans"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["servicePlanName"] == "YAMMER_ENTERPRISE")
    );
    let (status, _) = h.get("/subscribedSkus?$filter=skuId eq 'x'").await;
    assert_eq!(status, 400, "subscribedSkus supports only $select");
    let (status, one) = h
        .get(&format!("/subscribedSkus/{TENANT}_{E3}?$select=skuId,consumedUnits"))
        .await;
    assert_eq!((status, one["consumedUnits"].as_u64()), (200, Some(4)));
}

#[tokio::test]
async fn users_license_details_and_selects() {
    let h = Harness::start().await;
    let diego = "a1b2c3d4-0003-4000-8000-000000000003";
    let (_, user) = h
        .get(&format!(
            "/users/{diego}?$select=id,usageLocation,assignedLicenses,licenseAssignmentStates"
        ))
        .await;
    assert_eq!(user["usageLocation"], "DE");
    assert_eq!(user["licenseAssignmentStates"][0]["assignedByGroup"], ENGINEERING);
    assert_eq!(user["licenseAssignmentStates"][0]["state"], "Active");
    let (_, by_upn) = h.get("/users/diego%40contoso.example").await;
    assert_eq!(by_upn["id"], diego);
    let (_, details) = h.get(&format!("/users/{diego}/licenseDetails")).await;
    let plans = details["value"][0]["servicePlans"].as_array().unwrap();
    let yammer = plans
        .iter()
        .find(|p| p["servicePlanName"] == "YAMMER_ENTERPRISE")
        .unwrap();
    assert_eq!(yammer["provisioningStatus"], "Disabled");
}

#[tokio::test]
async fn permissions_come_from_the_token_roles() {
    let mut h = Harness::start().await;
    h.token = h.token_for(READ_ONLY_APP, READ_ONLY_SECRET).await;
    let (status, _) = h.get(&format!("/groups/{SALES}")).await;
    assert_eq!(status, 200);
    let (status, body) = h
        .post(&format!("/groups/{SALES}/assignLicense"), &assign(&[(E3, &[])], &[]))
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(message(&body), "Insufficient privileges to complete the operation.");
}

#[tokio::test]
async fn batches_sequence_depend_and_limit() {
    let h = Harness::start().await;
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/groups/00000000-0000-0000-0000-0000000000ff"},
        {"id": "2", "method": "GET", "url": format!("/groups/{SALES}"), "dependsOn": ["1"]},
        {"id": "3", "method": "POST", "url": format!("/groups/{SALES}/assignLicense"),
         "headers": {"Content-Type": "application/json"}, "body": assign(&[(AAD_P1, &[])], &[])},
        {"id": "4", "method": "GET", "url": format!("/groups/{SALES}?$select=assignedLicenses"), "dependsOn": ["3"]},
    ]});
    let (status, result) = h.post("/$batch", &body).await;
    assert_eq!(status, 200);
    let by_id = |id: &str| {
        result["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("1")["status"], 404);
    assert_eq!(by_id("2")["status"], 424);
    assert_eq!(by_id("3")["status"], 202);
    assert_eq!(by_id("4")["body"]["assignedLicenses"][0]["skuId"], AAD_P1);

    let too_many = json!({"requests": (0..21).map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/subscribedSkus"})).collect::<Vec<_>>()});
    assert_eq!(h.post("/$batch", &too_many).await.0, 400);
    let duplicate = json!({"requests": [{"id": "a", "method": "GET", "url": "/subscribedSkus"}, {"id": "A", "method": "GET", "url": "/subscribedSkus"}]});
    assert_eq!(h.post("/$batch", &duplicate).await.0, 400);
}

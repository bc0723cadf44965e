//! Group and user assignLicense: validation, asynchronous processing, member errors,
//! seats, reprocessing, and concurrent writes.

use entra_graph_emulator::Realism;
use serde_json::{Value as Json, json};

use crate::support::*;

#[tokio::test]
async fn group_assign_license_answers_202_with_location_and_updates_at_once() {
    let h = Harness::start().await;
    let response = h
        .http
        .post(h.url(&format!("/groups/{SALES}/assignLicense")))
        .bearer_auth(&h.token)
        .json(&assign(&[(AAD_P1, &["113feb6c-3fe4-4440-bddc-54d774bf0318"])], &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.ends_with(&format!("/directoryObjects/{SALES}/Microsoft.DirectoryServices.Group")),
        "{location}"
    );
    let body: Json = response.json().await.unwrap();
    assert_eq!(body["id"], SALES);
    let (_, group) = h.get(&format!("/groups/{SALES}?$select=assignedLicenses")).await;
    assert_eq!(
        group["assignedLicenses"],
        json!([{"skuId": AAD_P1, "disabledPlans": ["113feb6c-3fe4-4440-bddc-54d774bf0318"]}])
    );
}

#[tokio::test]
async fn assign_license_bodies_are_validated_as_graph_does() {
    let h = Harness::start().await;
    let path = format!("/groups/{SALES}/assignLicense");
    let cases: Vec<(Json, u16, &str)> = vec![
        (
            json!({"addLicenses": []}),
            400,
            "One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: removeLicenses.",
        ),
        (
            json!({"addLicenses": [{"skuId": "u86tgb54-826f-42a9-8cfe-1643d19d17fd"}], "removeLicenses": []}),
            400,
            "Cannot convert a primitive value to the expected type 'Edm.Guid'. See the inner exception for more details",
        ),
        (
            assign(&[("90d8b3f8-712e-4f7b-aa1e-62e7ae6cbe96", &[])], &[]),
            400,
            "License 90d8b3f8-712e-4f7b-aa1e-62e7ae6cbe96 does not correspond to a valid company License.",
        ),
        (assign(&[], &[]), 400, "No license changes provided."),
        (
            json!({"addLicenses": [{"SkuId": E3, "disabledPlans": []}], "removeLicenses": []}),
            400,
            "Property 'SkuId' does not exist",
        ),
        (
            assign(&[(E3, &["eec0eb4f-6444-4f95-aba0-50c24d67f998"])], &[]),
            400,
            "does not belong to the subscription ENTERPRISEPACK",
        ),
        (
            assign(&[(E3, &[])], &[E3]),
            400,
            "cannot be added and removed in the same request",
        ),
        (
            assign(&[("47794cd0-f0e5-45c5-9033-2eb6b5fc84e0", &[])], &[]),
            400,
            "cannot be assigned to a group",
        ),
        (
            assign(&[("d17b27af-3f49-4822-99f9-56a661538792", &[])], &[]),
            400,
            "Suspended",
        ),
        (
            assign(&[("3d957427-ecdc-4df2-aacd-01cc9d519da8", &[])], &[]),
            400,
            "License operation failed. Make sure that the group has necessary services",
        ),
    ];
    for (body, status, text) in cases {
        let (got, response) = h.post(&path, &body).await;
        assert_eq!(got, status, "{body}");
        assert_eq!(response["error"]["code"], "Request_BadRequest", "{body}");
        assert!(message(&response).contains(text), "{body}: {}", message(&response));
    }
    let (status, body) = h
        .post(
            &format!("/groups/{ANNOUNCEMENTS}/assignLicense"),
            &assign(&[(E3, &[])], &[]),
        )
        .await;
    assert_eq!(status, 400, "distribution groups cannot hold licences: {body}");
    let state = h.emulator.state();
    let sales = state["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == SALES)
        .unwrap();
    assert_eq!(sales["assignedLicenses"], json!([]), "nothing was written");
}

#[tokio::test]
async fn processing_is_asynchronous_when_delayed() {
    let h = Harness::with(Realism {
        processing_delay_ms: 150,
        ..Default::default()
    })
    .await;
    let (status, _) = h
        .post(
            &format!("/groups/{SALES}/assignLicense"),
            &assign(&[(AAD_P1, &[])], &[]),
        )
        .await;
    assert_eq!(status, 202);
    let (_, group) = h.get(&format!("/groups/{SALES}?$select=licenseProcessingState")).await;
    assert_eq!(group["licenseProcessingState"]["state"], "QueuedForProcessing");
    let (_, adele) = h.get(&format!("/users/{ADELE}?$select=assignedLicenses")).await;
    assert_eq!(adele["assignedLicenses"], json!([]), "members are not processed yet");
    let mut seen = vec![];
    for _ in 0..100 {
        let (_, group) = h.get(&format!("/groups/{SALES}?$select=licenseProcessingState")).await;
        let state = group["licenseProcessingState"]["state"].as_str().unwrap().to_owned();
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if state == "ProcessingComplete" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen.last().map(String::as_str), Some("ProcessingComplete"), "{seen:?}");
    assert!(seen.contains(&"ProcessingInProgress".to_owned()), "{seen:?}");
    let (_, adele) = h.get(&format!("/users/{ADELE}?$select=assignedLicenses")).await;
    assert_eq!(adele["assignedLicenses"][0]["skuId"], AAD_P1);
}

#[tokio::test]
async fn reads_can_lag_behind_writes() {
    let h = Harness::with(Realism {
        read_after_write_ms: 400,
        ..Default::default()
    })
    .await;
    h.post(
        &format!("/groups/{SALES}/assignLicense"),
        &assign(&[(AAD_P1, &[])], &[]),
    )
    .await;
    let (_, stale) = h.get(&format!("/groups/{SALES}?$select=assignedLicenses")).await;
    assert_eq!(stale["assignedLicenses"], json!([]));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, fresh) = h.get(&format!("/groups/{SALES}?$select=assignedLicenses")).await;
    assert_eq!(fresh["assignedLicenses"][0]["skuId"], AAD_P1);
}

#[tokio::test]
async fn seat_shortage_gives_member_errors_and_reprocess_clears_them() {
    let h = Harness::start().await;
    // Sales has 4 members; ENTERPRISEPREMIUM has 3 seats.
    h.post(&format!("/groups/{SALES}/assignLicense"), &assign(&[(E5, &[])], &[]))
        .await;
    let (_, errors) = h.get(&format!("/groups/{SALES}/membersWithLicenseErrors")).await;
    let failing: Vec<String> = errors["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(failing.len(), 1);
    let (_, user) = h
        .get(&format!("/users/{}?$select=licenseAssignmentStates", failing[0]))
        .await;
    let state = &user["licenseAssignmentStates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["skuId"] == E5)
        .unwrap()
        .clone();
    assert_eq!(
        (state["state"].as_str(), state["error"].as_str()),
        (Some("Error"), Some("CountViolation"))
    );
    let (_, with_errors) = h.get("/groups?$filter=hasMembersWithLicenseErrors eq true").await;
    assert_eq!(with_errors["value"][0]["id"], SALES);

    h.admin(
        reqwest::Method::PATCH,
        &format!("skus/{E5}"),
        json!({"prepaidUnits": {"enabled": 10}}),
    )
    .await;
    let (status, _) = h
        .post(&format!("/users/{}/reprocessLicenseAssignment", failing[0]), &json!({}))
        .await;
    assert_eq!(status, 200);
    let (_, errors) = h.get(&format!("/groups/{SALES}/membersWithLicenseErrors")).await;
    assert!(errors["value"].as_array().unwrap().is_empty());
    let (_, e5) = h.get(&format!("/subscribedSkus/{TENANT}_{E5}")).await;
    assert_eq!(e5["consumedUnits"], 4);
    assert_eq!(
        h.post("/groups/x/reprocessLicenseAssignment", &json!({})).await.0,
        400,
        "there is no group reprocess"
    );
}

#[tokio::test]
async fn user_assign_license_answers_200_with_direct_rules() {
    let h = Harness::start().await;
    let (status, user) = h
        .post(&format!("/users/{ADELE}/assignLicense"), &assign(&[(E5, &[])], &[]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(user["assignedLicenses"][0]["skuId"], E5);
    let isaiah = "a1b2c3d4-0004-4000-8000-000000000004";
    let (status, body) = h
        .post(&format!("/users/{isaiah}/assignLicense"), &assign(&[(E5, &[])], &[]))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&body),
        "License assignment cannot be done for user with invalid usage location."
    );
}

#[tokio::test]
async fn concurrent_writes_to_one_group_lose_no_update() {
    let h = Harness::start().await;
    let skus = [
        E3,
        "05e9a617-0261-4cee-bb44-138d3ef5d965",
        "efccb6f7-5641-4e0e-bd10-b4976e1bf68e",
        "b05e124f-c7cc-45a0-a6aa-8cf78c946968",
        AAD_P1,
        "84a661c4-e949-4bd2-a560-ed7766fcaf2b",
        E5,
    ];
    let calls = skus.iter().map(|sku| {
        let (http, url, token) = (
            h.http.clone(),
            h.url(&format!("/groups/{SALES}/assignLicense")),
            h.token.clone(),
        );
        let body = assign(&[(sku, &[])], &[]);
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    let (_, group) = h.get(&format!("/groups/{SALES}?$select=assignedLicenses")).await;
    let mut assigned: Vec<&str> = group["assignedLicenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["skuId"].as_str().unwrap())
        .collect();
    assigned.sort_unstable();
    let mut expected = skus.to_vec();
    expected.sort_unstable();
    assert_eq!(assigned, expected);
}

#[tokio::test]
async fn user_assign_license_refuses_a_sku_prohibited_in_the_usage_location_at_once() {
    let h = Harness::start().await;
    let nestor = "a1b2c3d4-0008-4000-8000-000000000008"; // usage location IR
    let spe_e5 = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"; // prohibited in IR
    let before = h.emulator.state();
    let path = format!("/users/{nestor}/assignLicense");
    let (status, body) = h.post(&path, &assign(&[(AAD_P1, &[]), (spe_e5, &[])], &[])).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("Request_BadRequest"))
    );
    assert!(
        message(&body).contains("SPE_E5") && message(&body).contains(spe_e5) && message(&body).contains(" IR"),
        "{body}"
    );
    assert_eq!(h.emulator.state(), before, "nothing changed, not even the allowed SKU");
    assert_eq!(h.last_logged(&path).applied, Some(false));
    let (status, _) = h.post(&path, &assign(&[(AAD_P1, &[])], &[])).await;
    assert_eq!(status, 200, "other SKUs may be used there");
}

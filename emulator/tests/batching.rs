//! `$batch` answers: per-item headers (`Content-Type`, `Retry-After` on a 429), writes
//! without `Content-Type` or body refused as a whole, lost answers inside a batch.

use entra_graph_emulator::{Realism, RetryAfterStyle, Throttle};
use serde_json::{Value as Json, json};

use crate::support::*;

fn item(result: &Json, id: &str) -> Json {
    result["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("item {id} in {result}"))
        .clone()
}

#[tokio::test]
async fn every_item_carries_its_content_type() {
    let h = Harness::start().await;
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("/groups/{SALES}?$select=id")},
        {"id": "2", "method": "GET", "url": "/groups/00000000-0000-0000-0000-0000000000ff"},
        {"id": "3", "method": "POST", "url": format!("/groups/{SALES}/assignLicense"),
         "headers": {"content-type": "application/json"}, "body": assign(&[(AAD_P1, &[])], &[])},
    ]});
    let (status, result) = h.post("/$batch", &body).await;
    assert_eq!(status, 200);
    for id in ["1", "2", "3"] {
        let answer = item(&result, id);
        let content_type = answer["headers"]["Content-Type"].as_str().unwrap_or_default();
        assert!(content_type.starts_with("application/json"), "{answer}");
    }
    assert_eq!(item(&result, "3")["status"], 202);
    assert!(
        item(&result, "3")["headers"]["Location"]
            .as_str()
            .unwrap()
            .ends_with("Microsoft.DirectoryServices.Group")
    );
}

#[tokio::test]
async fn throttled_items_carry_retry_after_and_the_batch_costs_the_sum_of_its_items() {
    // The envelope costs nothing; each subscribedSkus item 3: a bucket of 3 serves one.
    let h = Harness::with(Realism {
        throttle: Some(Throttle {
            rate_per_second: 0.01,
            burst: 3.0,
            retry_after: RetryAfterStyle::Integer,
        }),
        ..Default::default()
    })
    .await;
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/subscribedSkus"},
        {"id": "2", "method": "GET", "url": "/subscribedSkus"},
    ]});
    let response = h
        .http
        .post(h.url("/$batch"))
        .bearer_auth(&h.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-ms-resource-unit"],
        "3",
        "the sum of the items charged"
    );
    let result: Json = response.json().await.unwrap();
    assert_eq!(item(&result, "1")["status"], 200);
    assert_eq!(item(&result, "1")["headers"]["x-ms-resource-unit"], "3");
    let answer = item(&result, "2");
    assert_eq!(answer["status"], 429);
    let retry_after: u64 = answer["headers"]["Retry-After"].as_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    assert!(answer["headers"]["Content-Type"].is_string());
    let logged = h.last_logged("/$batch");
    assert_eq!(logged.resource_units, Some(3));
}

#[tokio::test]
async fn a_write_without_content_type_or_body_fails_the_whole_batch() {
    let h = Harness::start().await;
    let cases = [
        json!({"id": "2", "method": "POST", "url": format!("/groups/{SALES}/assignLicense"),
               "body": assign(&[(AAD_P1, &[])], &[])}),
        json!({"id": "2", "method": "post", "url": format!("/users/{ADELE}/reprocessLicenseAssignment"),
               "headers": {"Content-Type": "application/json"}}),
        json!({"id": "2", "method": "PATCH", "url": format!("/groups/{SALES}"), "headers": {}, "body": {}}),
    ];
    for write in cases {
        let body = json!({"requests": [{"id": "1", "method": "GET", "url": "/subscribedSkus"}, write]});
        let (status, answer) = h.post("/$batch", &body).await;
        assert_eq!(status, 400, "{write}");
        assert_eq!(answer["error"]["code"], "BadRequest");
        assert_eq!(
            message(&answer),
            "Write request id : 2 does not contain Content-Type header or body."
        );
    }
    let (_, group) = h.get(&format!("/groups/{SALES}?$select=assignedLicenses")).await;
    assert_eq!(group["assignedLicenses"], json!([]), "no item ran");
    assert!(
        !h.emulator.requests().iter().any(|r| r.path == "/v1.0/subscribedSkus"),
        "not even the reads"
    );
}

#[tokio::test]
async fn a_lost_item_answer_fails_its_dependants_though_the_write_was_applied() {
    let h = Harness::start().await;
    h.admin(reqwest::Method::POST, "faults", json!({"loseResponseAfterWrite": 1}))
        .await;
    let body = json!({"requests": [
        {"id": "1", "method": "POST", "url": format!("/groups/{SALES}/assignLicense"),
         "headers": {"Content-Type": "application/json"}, "body": assign(&[(AAD_P1, &[])], &[])},
        {"id": "2", "method": "GET", "url": format!("/groups/{SALES}?$select=assignedLicenses"), "dependsOn": ["1"]},
    ]});
    let (status, result) = h.post("/$batch", &body).await;
    assert_eq!(status, 200, "the batch itself is answered");
    assert_eq!(item(&result, "1")["status"], 500);
    assert_eq!(item(&result, "2")["status"], 424);
    let logged = h.last_logged(&format!("/groups/{SALES}/assignLicense"));
    assert_eq!((logged.applied, logged.lost_response), (Some(true), true));
    assert!(
        h.last_logged("/$batch").applied.is_none(),
        "the batch is not itself a write"
    );

    h.admin(
        reqwest::Method::POST,
        "faults",
        json!({"loseResponseAfterWrite": 1, "lostResponseReset": true}),
    )
    .await;
    let body = json!({"requests": [
        {"id": "1", "method": "POST", "url": format!("/users/{ADELE}/assignLicense"),
         "headers": {"Content-Type": "application/json"}, "body": assign(&[(E5, &[])], &[])},
        {"id": "2", "method": "POST", "url": format!("/users/{LEE}/assignLicense"),
         "headers": {"Content-Type": "application/json"}, "body": assign(&[(E5, &[])], &[])},
    ]});
    let sent = async {
        h.http
            .post(h.url("/$batch"))
            .bearer_auth(&h.token)
            .json(&body)
            .send()
            .await?
            .bytes()
            .await
    };
    assert!(sent.await.is_err(), "a cut connection loses the whole batch");
    let (_, e5) = h
        .get(&format!("/subscribedSkus/{TENANT}_{E5}?$select=consumedUnits"))
        .await;
    assert_eq!(e5["consumedUnits"], 2, "both items ran");
}

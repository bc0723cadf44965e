//! The licence-continuity log over HTTP: what a removal logs and with which request, what
//! an in-place update does not log, and how it is cleared.

use serde_json::{Value as Json, json};

use crate::support::*;

const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
const SWAY: &str = "a23b959c-7ce8-4e57-9140-b90eb88a9e97";

async fn losses(h: &Harness) -> Vec<Json> {
    let log = h.admin(reqwest::Method::GET, "continuity", json!(null)).await;
    assert_eq!(log["dropped"], 0);
    log["losses"].as_array().unwrap().clone()
}

#[tokio::test]
async fn removals_are_logged_with_the_request_that_caused_them() {
    let h = Harness::start().await;
    assert!(losses(&h).await.is_empty(), "nothing lost at start");
    let path = format!("/groups/{ENGINEERING}/assignLicense");
    let response = h
        .http
        .post(h.url(&path))
        .bearer_auth(&h.token)
        .json(&assign(&[(E3, &[YAMMER, SWAY])], &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let request_id = response.headers()["request-id"].to_str().unwrap().to_owned();
    let logged = losses(&h).await;
    assert_eq!(logged.len(), 4, "Sway, for each of Engineering's four members");
    let first = &logged[0];
    assert_eq!(first["servicePlanId"], SWAY);
    assert_eq!(first["servicePlanName"], "SWAY");
    assert_eq!(first["skuId"], E3);
    assert_eq!(first["skuPartNumber"], "ENTERPRISEPACK");
    assert_eq!(first["requestId"], request_id.as_str());
    assert_eq!(first["request"], format!("POST /v1.0{path}"));
    assert!(
        first["userPrincipalName"]
            .as_str()
            .unwrap()
            .ends_with("@contoso.example")
    );
    assert!(first["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(h.emulator.continuity().len(), 4, "the library sees the same log");

    // The same licences again, in place: no gap.
    h.post(&path, &assign(&[(E3, &[YAMMER, SWAY])], &[])).await;
    assert_eq!(losses(&h).await.len(), 4);

    h.admin(reqwest::Method::DELETE, "continuity", json!(null)).await;
    assert!(losses(&h).await.is_empty());

    // Remove-then-add is what the log exists to catch.
    h.post(&path, &assign(&[], &[E3])).await;
    h.post(&path, &assign(&[(E3, &[YAMMER, SWAY])], &[])).await;
    assert_eq!(losses(&h).await.len(), 4 * 34, "every enabled plan, for a moment");

    // Admin changes are logged too, without a request id; a reset clears the log.
    h.admin(
        reqwest::Method::POST,
        &format!("groups/{ENGINEERING}/members"),
        json!({"remove": ["a1b2c3d4-0005-4000-8000-000000000005"]}),
    )
    .await;
    let logged = losses(&h).await;
    let last = logged.last().unwrap();
    assert_eq!(last["requestId"], Json::Null);
    assert_eq!(last["request"], format!("POST /_emulator/groups/{ENGINEERING}/members"));
    h.admin(reqwest::Method::POST, "reset", json!(null)).await;
    assert!(losses(&h).await.is_empty());
}

//! Lost responses: a write is applied, then the client gets a 5xx or a cut connection; the
//! request log says so, and retrying the same write converges with no second effect.

use serde_json::{Value as Json, json};

use crate::support::*;

/// The parts of the tenant a repeated assignLicense must not change: the group's licences,
/// the SKUs' consumption, and every user's licences and states (their timestamps aside).
fn licensing_view(h: &Harness) -> Json {
    let mut state = h.emulator.state();
    for user in state["users"].as_array_mut().unwrap() {
        for s in user["licenseAssignmentStates"].as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("lastUpdatedDateTime");
        }
    }
    json!({"groups": state["groups"], "skus": state["subscribedSkus"], "users": state["users"]})
}

#[tokio::test]
async fn a_lost_answer_hides_an_applied_write_and_a_retry_converges() {
    let h = Harness::start().await;
    let faults = h
        .admin(reqwest::Method::POST, "faults", json!({"loseResponseAfterWrite": 1}))
        .await;
    assert_eq!(
        (
            faults["lostResponseStatus"].as_u64(),
            faults["lostResponseReset"].as_bool()
        ),
        (Some(500), Some(false)),
        "defaults"
    );
    let path = format!("/groups/{SALES}/assignLicense");
    let body = assign(&[(AAD_P1, &["113feb6c-3fe4-4440-bddc-54d774bf0318"])], &[]);
    let (status, answer) = h.post(&path, &body).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (500, Some("generalException"))
    );

    let (_, group) = h.get(&format!("/groups/{SALES}?$select=assignedLicenses")).await;
    assert_eq!(group["assignedLicenses"][0]["skuId"], AAD_P1, "the write was applied");
    let logged = h.last_logged(&path);
    assert_eq!(
        (logged.status, logged.applied, logged.lost_response, logged.real_status),
        (500, Some(true), true, Some(202))
    );
    let log = h.admin(reqwest::Method::GET, "requests", json!(null)).await;
    let last = log
        .as_array()
        .unwrap()
        .iter()
        .rfind(|r| r["path"] == format!("/v1.0{path}"))
        .unwrap();
    assert_eq!(
        (&last["applied"], &last["lostResponse"], &last["realStatus"]),
        (&json!(true), &json!(true), &json!(202)),
        "the admin API's JSON names"
    );
    let applied_once = licensing_view(&h);
    assert_eq!(
        h.admin(reqwest::Method::GET, "faults", json!(null)).await["loseResponseAfterWrite"],
        0
    );

    let (status, _) = h.post(&path, &body).await;
    assert_eq!(status, 202, "the retry gets the real answer");
    assert_eq!(licensing_view(&h), applied_once, "no second effect");
    let (_, sku) = h.get(&format!("/subscribedSkus/{TENANT}_{AAD_P1}")).await;
    assert_eq!(sku["consumedUnits"], 4, "one seat per Sales member");
    let retry = h.last_logged(&path);
    assert_eq!(
        (retry.applied, retry.lost_response, retry.real_status),
        (Some(true), false, None)
    );
    assert!(h.emulator.continuity().is_empty(), "no member lost anything");
}

#[tokio::test]
async fn refused_writes_are_not_applied_and_do_not_use_up_the_count() {
    let h = Harness::start().await;
    h.admin(
        reqwest::Method::POST,
        "faults",
        json!({"loseResponseAfterWrite": 1, "lostResponseStatus": 503}),
    )
    .await;
    let path = format!("/users/{ADELE}/assignLicense");
    let (status, _) = h.post(&path, &assign(&[], &[])).await;
    assert_eq!(status, 400, "a refused write gets its real answer");
    assert_eq!(h.last_logged(&path).applied, Some(false));
    let (_, user) = h.get(&format!("/users/{ADELE}")).await;
    assert!(
        h.last_logged(&format!("/users/{ADELE}")).applied.is_none(),
        "reads are not writes"
    );
    assert_eq!(user["id"], ADELE);

    let body = assign(&[(E5, &[])], &[]);
    let (status, answer) = h.post(&path, &body).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (503, Some("serviceNotAvailable"))
    );
    let (status, user) = h.post(&path, &body).await;
    assert_eq!(status, 200);
    assert_eq!(
        user["assignedLicenses"],
        json!([{"skuId": E5, "disabledPlans": []}]),
        "once"
    );
    let (_, e5) = h
        .get(&format!("/subscribedSkus/{TENANT}_{E5}?$select=consumedUnits"))
        .await;
    assert_eq!(e5["consumedUnits"], 1);

    let reprocess = format!("/users/{ADELE}/reprocessLicenseAssignment");
    h.admin(reqwest::Method::POST, "faults", json!({"loseResponseRate": 1.0}))
        .await;
    assert_eq!(h.post(&reprocess, &json!({})).await.0, 503, "the status set before");
    assert!(h.last_logged(&reprocess).lost_response);
    assert_eq!(
        h.get(&format!("/groups/{SALES}")).await.0,
        200,
        "reads keep their answers"
    );
}

#[tokio::test]
async fn a_cut_connection_also_hides_an_applied_write() {
    let h = Harness::start().await;
    h.admin(
        reqwest::Method::POST,
        "faults",
        json!({"loseResponseAfterWrite": 1, "lostResponseReset": true}),
    )
    .await;
    let path = format!("/groups/{SALES}/assignLicense");
    let sent = async {
        h.http
            .post(h.url(&path))
            .bearer_auth(&h.token)
            .json(&assign(&[(AAD_P1, &[])], &[]))
            .send()
            .await?
            .bytes()
            .await
    };
    assert!(sent.await.is_err(), "the connection is cut");
    let logged = h.last_logged(&path);
    assert_eq!(
        (
            logged.status,
            logged.connection_reset,
            logged.applied,
            logged.lost_response,
            logged.real_status
        ),
        (0, true, Some(true), true, Some(202)),
        "no status was sent, the write was applied"
    );
    let (_, group) = h.get(&format!("/groups/{SALES}?$select=assignedLicenses")).await;
    assert_eq!(group["assignedLicenses"][0]["skuId"], AAD_P1);
}

#[tokio::test]
async fn a_connection_reset_before_the_route_is_logged_as_not_applied_and_without_a_status() {
    let h = Harness::start().await;
    h.admin(reqwest::Method::POST, "faults", json!({"resetRate": 1.0}))
        .await;
    let path = format!("/groups/{SALES}/assignLicense");
    let sent = async {
        h.http
            .post(h.url(&path))
            .bearer_auth(&h.token)
            .json(&assign(&[(AAD_P1, &[])], &[]))
            .send()
            .await?
            .bytes()
            .await
    };
    assert!(sent.await.is_err(), "the connection is cut");
    assert_eq!(raw_reply(&h).await, b"", "not even a status line");
    let read = h.last_logged("/subscribedSkus");
    assert_eq!(
        (read.status, read.connection_reset, read.applied),
        (0, true, None),
        "a read is no write"
    );
    h.admin(reqwest::Method::POST, "faults", json!({"resetRate": 0.0}))
        .await;
    let logged = h.last_logged(&path);
    assert_eq!(
        (logged.status, logged.applied, logged.lost_response, logged.real_status),
        (0, Some(false), false, None),
        "the route never ran: nothing applied, no status sent"
    );
    let (_, group) = h.get(&format!("/groups/{SALES}?$select=assignedLicenses")).await;
    assert_eq!(group["assignedLicenses"], json!([]), "indeed not applied");
    let log = h.admin(reqwest::Method::GET, "requests", json!(null)).await;
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .rfind(|r| r["path"] == format!("/v1.0{path}"))
        .unwrap();
    assert_eq!(
        (&entry["status"], &entry["applied"], &entry["connectionReset"]),
        (&json!(0), &json!(false), &json!(true)),
        "the admin API's JSON"
    );
}

/// Everything the emulator sends back to a bare `GET /v1.0/subscribedSkus`.
async fn raw_reply(h: &Harness) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = h.emulator.base_url().trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /v1.0/subscribedSkus HTTP/1.1\r\nHost: emulator\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        h.token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    reply
}

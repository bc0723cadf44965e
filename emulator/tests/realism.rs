//! Throttling, 429 storms, injected faults and latency.

use entra_graph_emulator::{Realism, RetryAfterStyle, Throttle};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn the_token_bucket_answers_429_with_retry_after_and_scope() {
    let throttle = Throttle {
        rate_per_second: 1.0,
        burst: 2.0,
        retry_after: RetryAfterStyle::Fractional,
    };
    let h = Harness::with(Realism {
        throttle: Some(throttle),
        ..Default::default()
    })
    .await;
    let path = format!("/groups/{SALES}");
    assert_eq!(h.get(&path).await.0, 200);
    assert_eq!(h.get(&path).await.0, 200);
    let response = h.http.get(h.url(&path)).bearer_auth(&h.token).send().await.unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: f64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after > 0.0 && retry_after <= 1.0, "{retry_after}");
    assert!(
        response.headers()["retry-after"].to_str().unwrap().contains('.'),
        "fractional seconds"
    );
    let scope = response.headers()["x-ms-throttle-scope"].to_str().unwrap().to_owned();
    assert_eq!(scope, format!("Tenant_Application/ReadWrite/{CI_APP}/{TENANT}"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "TooManyRequests");
    tokio::time::sleep(std::time::Duration::from_secs_f64(retry_after + 0.05)).await;
    assert_eq!(h.get(&path).await.0, 200, "allowed again after Retry-After");
}

#[tokio::test]
async fn storms_errors_and_resets_are_injected_at_run_time() {
    let h = Harness::start().await;
    let path = format!("/groups/{SALES}");
    h.admin(
        reqwest::Method::POST,
        "faults",
        json!({"storm": 2, "stormRetryAfterS": 0.25}),
    )
    .await;
    for _ in 0..2 {
        let response = h.http.get(h.url(&path)).bearer_auth(&h.token).send().await.unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "0.250");
    }
    assert_eq!(h.get(&path).await.0, 200, "the storm is over");

    h.admin(
        reqwest::Method::POST,
        "faults",
        json!({"errorRate": 1.0, "errorStatuses": [503]}),
    )
    .await;
    let (status, body) = h.get(&path).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("serviceNotAvailable"))
    );

    h.admin(
        reqwest::Method::POST,
        "faults",
        json!({"errorRate": 0.0, "resetRate": 1.0}),
    )
    .await;
    let cut = async {
        h.http
            .get(h.url(&path))
            .bearer_auth(&h.token)
            .send()
            .await?
            .bytes()
            .await
    };
    assert!(cut.await.is_err(), "the connection is cut");

    h.admin(
        reqwest::Method::POST,
        "faults",
        json!({"resetRate": 0.0, "latencyMs": 30}),
    )
    .await;
    let log_before = h.emulator.requests().len();
    assert_eq!(h.get(&path).await.0, 200);
    let last = h.emulator.requests()[log_before].clone();
    assert!(
        last.duration_ms >= 30.0,
        "latency is part of the logged duration: {}",
        last.duration_ms
    );
}

#[tokio::test]
async fn a_lagging_replica_answers_404_for_an_object_that_exists() {
    let h = Harness::start().await;
    h.admin(reqwest::Method::POST, "faults", json!({"laggingReads": 2}))
        .await;
    // A list is not a read of one object: untouched, and it does not use up the lag.
    assert_eq!(h.get("/groups?$top=1").await.0, 200);
    for path in [format!("/groups/{SALES}"), format!("/users/{ADELE}")] {
        let (status, body) = h.get(&path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "Request_ResourceNotFound");
        assert!(body["error"]["message"].as_str().unwrap().contains("does not exist"));
    }
    assert_eq!(h.get(&format!("/groups/{SALES}")).await.0, 200, "caught up");
}

//! Directory queries as Graph documents them: `$count` as a path segment (text/plain, only
//! with `ConsistencyLevel: eventual`), `$count=true` on users and groups, `any` over
//! `assignedLicenses` on users and groups, `$top` limits, `$skiptoken` resumption, and the
//! cost of each request in resource units.

use serde_json::{Value as Json, json};

use crate::support::*;

/// Announcements' eight members, in the order the group lists them.
const ANNOUNCED: usize = 8;

async fn send(h: &Harness, path: &str, eventual: bool) -> reqwest::Response {
    let mut request = h.http.get(h.url(path)).bearer_auth(&h.token);
    if eventual {
        request = request.header("ConsistencyLevel", "eventual");
    }
    request.send().await.unwrap()
}

async fn json_of(h: &Harness, path: &str, eventual: bool) -> (u16, Json) {
    let response = send(h, path, eventual).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Json::Null))
}

fn ids(body: &Json) -> Vec<String> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("a collection: {body}"))
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn count_segments_answer_text_only_with_eventual_consistency() {
    let h = Harness::start().await;
    for (path, expected) in [
        (format!("/groups/{ANNOUNCEMENTS}/members/$count"), "8"),
        (format!("/groups/{ANNOUNCEMENTS}/members/%24count"), "8"),
        (format!("/groups/{REGIONAL_LEADS}/members/$count"), "2"),
        (
            format!("/groups/{REGIONAL_LEADS}/members/microsoft.graph.user/$count"),
            "1",
        ),
        (
            format!("/groups/{REGIONAL_LEADS}/members/microsoft.graph.group/$count"),
            "1",
        ),
        (
            format!(
                "/groups/{ENGINEERING}/members/microsoft.graph.user/$count?$filter=assignedLicenses/any(x:x/skuId eq {E3})"
            ),
            "4",
        ),
        ("/users/$count".to_owned(), "8"),
        (
            format!("/users/$count?$filter=assignedLicenses/any(x:x/skuId eq {E3})"),
            "4",
        ),
        ("/groups/$count".to_owned(), "7"),
        (
            format!("/groups/$count?$filter=assignedLicenses/any(x:x/skuId eq {E3})"),
            "1",
        ),
        ("/groups/$count?$filter=displayName eq 'Sales'".to_owned(), "1"),
    ] {
        let response = send(&h, &path, true).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], "text/plain", "{path}");
        assert_eq!(response.text().await.unwrap(), expected, "{path}");

        let (status, body) = json_of(&h, &path, false).await;
        assert_eq!(
            (status, body["error"]["code"].as_str(), message(&body)),
            (400, Some("Request_BadRequest"), "$count is not currently supported."),
            "{path} without ConsistencyLevel"
        );
    }
    let (status, _) = json_of(&h, &format!("/groups/{SALES}/membersWithLicenseErrors/$count"), true).await;
    assert_eq!(status, 400, "not a documented count");
    let (status, body) = json_of(&h, "/users/$count?$filter=startswith(displayName,'A')", true).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("Request_UnsupportedQuery"))
    );
}

#[tokio::test]
async fn collection_counts_are_totals_on_the_first_page_only() {
    let h = Harness::start().await;
    for (path, total) in [
        ("/users?$count=true&$top=3&$select=id".to_owned(), 8),
        ("/groups?$count=true&$top=2&$select=id".to_owned(), 7),
        (
            format!("/groups/{ANNOUNCEMENTS}/members?$count=true&$top=3&$select=id"),
            ANNOUNCED,
        ),
        (
            format!("/users?$count=true&$top=1&$select=id&$filter=assignedLicenses/any(x:x/skuId eq {E3})"),
            4,
        ),
    ] {
        let (status, body) = json_of(&h, &path, false).await;
        assert_eq!(
            (status, message(&body)),
            (400, "$count is not currently supported."),
            "{path}"
        );
        let (status, first) = json_of(&h, &path, true).await;
        assert_eq!(status, 200, "{path}: {first}");
        assert_eq!(first["@odata.count"], total, "{path}: the total, not the page");
        assert!(ids(&first).len() < total, "{path}: a page smaller than the total");
        let next = first["@odata.nextLink"].as_str().unwrap();
        let second: Json = h
            .http
            .get(next)
            .bearer_auth(&h.token)
            .header("ConsistencyLevel", "eventual")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(second.get("@odata.count").is_none(), "{path}: only the first page");
        assert!(!ids(&second).is_empty());
    }
}

#[tokio::test]
async fn licence_filters_on_users_and_groups_are_default_queries() {
    let h = Harness::start().await;
    let holding = |sku: &str| format!("$filter=assignedLicenses/any(u:u/skuId eq {sku})");
    // Engineering's four members inherit E3; no one holds E5 yet.
    let (status, users) = json_of(
        &h,
        &format!("/users?{}&$select=id,assignedLicenses", holding(E3)),
        false,
    )
    .await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(ids(&users).len(), 4);
    assert!(users["@odata.context"].as_str().unwrap().ends_with("#users"));
    let (_, none) = json_of(&h, &format!("/users?{}", holding(E5)), false).await;
    assert!(ids(&none).is_empty());
    h.post(&format!("/users/{ADELE}/assignLicense"), &assign(&[(E5, &[])], &[]))
        .await;
    let (_, adele) = json_of(&h, &format!("/users?{}", holding(&E5.to_uppercase())), false).await;
    assert_eq!(ids(&adele), [ADELE], "direct licences count, any case");

    let (status, groups) = json_of(&h, &format!("/groups?{}&$select=id", holding(E3)), false).await;
    assert_eq!((status, ids(&groups)), (200, vec![ENGINEERING.to_owned()]));
    let (_, by_name) = json_of(&h, "/groups?$filter=displayName eq 'Engineering'&$select=id", false).await;
    assert_eq!(ids(&by_name), [ENGINEERING], "the name filter works as before");

    for path in [
        "/users?$filter=displayName eq 'Adele Vance'".to_owned(),
        format!("/users?$filter=assignedLicenses/any(x:x/skuId eq {E3}) and accountEnabled eq true"),
        "/groups?$filter=startswith(displayName,'S')".to_owned(),
    ] {
        let (status, body) = json_of(&h, &path, true).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("Request_UnsupportedQuery")),
            "{path}: never silently ignored"
        );
    }
    for option in [
        "$orderby=displayName",
        "$search=\"displayName:A\"",
        "$expand=members",
        "$skip=2",
    ] {
        let (status, body) = json_of(&h, &format!("/users?$count=true&{option}"), true).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("Request_UnsupportedQuery")),
            "{option}: not modelled, so refused rather than ignored"
        );
    }
    // On the members relationship the same filter stays an advanced query.
    let (status, _) = json_of(&h, &format!("/groups/{ENGINEERING}/members?{}", holding(E3)), false).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn page_sizes_are_1_to_999() {
    let h = Harness::start().await;
    for collection in [
        "/users".to_owned(),
        "/groups".to_owned(),
        format!("/groups/{SALES}/members"),
        format!("/groups/{SALES}/membersWithLicenseErrors"),
    ] {
        for top in ["1000", "0", "-1", "ten"] {
            let (status, body) = json_of(&h, &format!("{collection}?$top={top}"), false).await;
            assert_eq!(
                (status, body["error"]["code"].as_str(), message(&body)),
                (
                    400,
                    Some("Request_UnsupportedQuery"),
                    format!("Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive.").as_str()
                ),
                "{collection}"
            );
        }
        assert_eq!(json_of(&h, &format!("{collection}?$top=999"), false).await.0, 200);
    }
}

#[tokio::test]
async fn a_skiptoken_resumes_after_the_last_member_returned_even_when_members_change() {
    let h = Harness::start().await;
    let path = format!("/groups/{ANNOUNCEMENTS}/members?$top=3&$select=id");
    let (_, all) = json_of(&h, &format!("/groups/{ANNOUNCEMENTS}/members?$select=id"), false).await;
    let all = ids(&all);
    assert_eq!(all.len(), ANNOUNCED);

    let (_, first) = json_of(&h, &path, false).await;
    assert_eq!(ids(&first), all[..3]);
    let next = first["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(next.contains("%24top=3") || next.contains("$top=3"), "{next}");
    // A member already returned leaves, another joins at the end, before the next page.
    h.admin(
        reqwest::Method::POST,
        &format!("groups/{ANNOUNCEMENTS}/members"),
        json!({"remove": [all[0]]}),
    )
    .await;
    let (status, second) = {
        let response = h.http.get(&next).bearer_auth(&h.token).send().await.unwrap();
        (response.status().as_u16(), response.json::<Json>().await.unwrap())
    };
    assert_eq!(status, 200);
    assert_eq!(ids(&second), all[3..6], "no member skipped, none repeated");

    let mut forged = next.clone();
    forged.replace_range(forged.find("skiptoken=").unwrap() + "skiptoken=".len().., "3");
    let response = h.http.get(&forged).bearer_auth(&h.token).send().await.unwrap();
    assert_eq!(response.status(), 400, "a token the emulator did not write");

    // Users and groups page in a stable order too.
    for collection in ["/users?$top=3&$select=id", "/groups?$top=3&$select=id"] {
        let (mut seen, mut url) = (Vec::new(), h.url(collection));
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
            seen.extend(ids(&body));
            match body["@odata.nextLink"].as_str() {
                Some(next) => url = next.to_owned(),
                None => break,
            }
        }
        let expected = if collection.starts_with("/users") { 8 } else { 7 };
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (expected, expected), "{collection}");
    }
}

#[tokio::test]
async fn counts_in_a_batch_are_strings_and_need_their_own_header() {
    let h = Harness::start().await;
    let count = format!("/groups/{ANNOUNCEMENTS}/members/$count");
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": count, "headers": {"ConsistencyLevel": "eventual"}},
        {"id": "2", "method": "GET", "url": count},
    ]});
    let response = h
        .http
        .post(h.url("/$batch"))
        .bearer_auth(&h.token)
        .header("ConsistencyLevel", "eventual")
        .json(&body)
        .send()
        .await
        .unwrap();
    let result: Json = response.json().await.unwrap();
    let answer = |id: &str| {
        result["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(answer("1")["status"], 200);
    assert_eq!(answer("1")["body"], json!("8"));
    assert_eq!(answer("1")["headers"]["Content-Type"], "text/plain");
    assert_eq!(
        answer("2")["status"],
        400,
        "the envelope's ConsistencyLevel is not the item's: {}",
        answer("2")
    );
}

#[tokio::test]
async fn every_request_reports_its_cost_in_resource_units() {
    let h = Harness::start().await;
    let cases = [
        (format!("/groups/{SALES}"), false, "1"),
        (format!("/groups/{SALES}?$select=id,assignedLicenses"), false, "1"),
        ("/groups?$select=id,displayName".to_owned(), false, "1"),
        ("/users".to_owned(), false, "2"),
        ("/users?$select=id".to_owned(), false, "1"),
        ("/users/$count".to_owned(), true, "2"),
        (format!("/users/{ADELE}"), false, "1"),
        (format!("/users/{ADELE}/licenseDetails"), false, "2"),
        ("/subscribedSkus".to_owned(), false, "3"),
        (format!("/groups/{SALES}/members"), false, "3"),
        (format!("/groups/{SALES}/members?$top=999&$select=id"), false, "2"),
        (
            format!("/groups/{SALES}/members/microsoft.graph.user?$count=true&$top=1&$select=id"),
            true,
            "1",
        ),
        (format!("/groups/{SALES}/members/$count"), true, "3"),
        (format!("/groups/{SALES}/membersWithLicenseErrors?$top=999"), false, "1"),
    ];
    for (path, eventual, units) in cases {
        let response = send(&h, &path, eventual).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["x-ms-resource-unit"], units, "{path}");
        assert_eq!(
            h.last_logged(&path).resource_units,
            Some(units.parse().unwrap()),
            "{path} in the log"
        );
    }
    let response = h
        .http
        .post(h.url(&format!("/groups/{SALES}/assignLicense")))
        .bearer_auth(&h.token)
        .json(&assign(&[(AAD_P1, &[])], &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-ms-resource-unit"], "1");
    let batch = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/subscribedSkus"},
        {"id": "2", "method": "GET", "url": "/users?$select=id"},
        {"id": "3", "method": "GET", "url": format!("/groups/{SALES}/members/$count"), "headers": {"ConsistencyLevel": "eventual"}},
    ]});
    let response = h
        .http
        .post(h.url("/$batch"))
        .bearer_auth(&h.token)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["x-ms-resource-unit"],
        "7",
        "3 + 1 + 3, the envelope free"
    );
}

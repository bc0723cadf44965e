//! Nested groups (members of type group, the OData casts, licences reaching direct user
//! members only) and a SKU whose disabled plans Graph extends on its own.

use serde_json::{Value as Json, json};

use crate::support::*;

fn ids(body: &Json) -> Vec<&str> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn members_include_nested_groups_with_their_type_and_casts_split_them() {
    let h = Harness::start().await;
    let path = format!("/groups/{REGIONAL_LEADS}/members");
    let (status, members) = h.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&members), [LEE, SALES]);
    assert!(
        members["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#directoryObjects")
    );
    assert_eq!(members["value"][0]["@odata.type"], "#microsoft.graph.user");
    assert_eq!(members["value"][1]["@odata.type"], "#microsoft.graph.group");
    assert_eq!(
        members["value"][1]["securityEnabled"], true,
        "a group's default properties"
    );

    let (_, selected) = h.get(&format!("{path}?$select=id,userPrincipalName")).await;
    assert_eq!(selected["value"][0]["userPrincipalName"], "lee@contoso.example");
    assert!(
        selected["value"][1].get("userPrincipalName").is_none(),
        "groups have none"
    );
    let (status, body) = h.get(&format!("{path}?$select=id,nope")).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("'microsoft.graph.directoryObject'"));

    let (_, users) = h
        .get(&format!("{path}/microsoft.graph.user?$select=id,displayName"))
        .await;
    assert_eq!(ids(&users), [LEE]);
    assert!(users["@odata.context"].as_str().unwrap().ends_with("#users"));
    assert!(users["value"][0].get("@odata.type").is_none());
    let (_, groups) = h.get(&format!("{path}/microsoft.graph.group")).await;
    assert_eq!(ids(&groups), [SALES]);
    assert!(groups["@odata.context"].as_str().unwrap().ends_with("#groups"));
    let (status, _) = h
        .get(&format!("{path}/microsoft.graph.group?$select=userPrincipalName"))
        .await;
    assert_eq!(status, 400, "a group cast selects group properties");
    let (_, sales) = h.get(&format!("/groups/{SALES}/members/microsoft.graph.group")).await;
    assert_eq!(sales["value"], json!([]));
}

/// Whether a user holds Entra ID P1.
async fn licensed(h: &Harness, user: &str) -> bool {
    let (_, body) = h.get(&format!("/users/{user}?$select=assignedLicenses")).await;
    body["assignedLicenses"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["skuId"] == AAD_P1)
}

#[tokio::test]
async fn group_licences_never_reach_a_nested_groups_members() {
    let h = Harness::start().await;
    let (status, _) = h
        .post(
            &format!("/groups/{REGIONAL_LEADS}/assignLicense"),
            &assign(&[(AAD_P1, &[])], &[]),
        )
        .await;
    assert_eq!(status, 202);
    assert!(licensed(&h, LEE).await, "the direct member");
    assert!(!licensed(&h, ADELE).await, "a member of the nested Sales group");

    let added = h
        .admin(
            reqwest::Method::POST,
            &format!("groups/{REGIONAL_LEADS}/members"),
            json!({"add": [CONTRACTORS]}),
        )
        .await;
    assert_eq!(added, json!({"members": [LEE], "groupMembers": [SALES, CONTRACTORS]}));
    assert!(
        !licensed(&h, "a1b2c3d4-0007-4000-8000-000000000007").await,
        "nor the newly nested"
    );
    let (_, errors) = h
        .get(&format!("/groups/{REGIONAL_LEADS}/membersWithLicenseErrors"))
        .await;
    assert_eq!(errors["value"], json!([]), "nested groups are not in error either");
    let (_, p1) = h
        .get(&format!("/subscribedSkus/{TENANT}_{AAD_P1}?$select=consumedUnits"))
        .await;
    assert_eq!(p1["consumedUnits"], 1);

    let (status, body) = h
        .admin_call(
            reqwest::Method::POST,
            &format!("groups/{CONTRACTORS}/members"),
            json!({"add": [REGIONAL_LEADS]}),
        )
        .await;
    assert_eq!(status, 400, "a cycle: {body}");
    let (status, _) = h
        .admin_call(
            reqwest::Method::POST,
            &format!("groups/{SALES}/members"),
            json!({"add": ["00000000-0000-4000-8000-00000000dead"]}),
        )
        .await;
    assert_eq!(status, 404);
    let removed = h
        .admin(
            reqwest::Method::POST,
            &format!("groups/{REGIONAL_LEADS}/members"),
            json!({"remove": [SALES]}),
        )
        .await;
    assert_eq!(removed["groupMembers"], json!([CONTRACTORS]));
    let state = h.emulator.state();
    let leads = state["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == REGIONAL_LEADS)
        .unwrap();
    assert_eq!(
        leads["groupMembers"],
        json!([CONTRACTORS]),
        "the admin state shows nesting"
    );
}

#[tokio::test]
async fn a_viral_sku_stores_more_disabled_plans_than_were_posted() {
    let h = Harness::start().await;
    let (status, _) = h
        .post(
            &format!("/groups/{SALES}/assignLicense"),
            &assign(&[(FLOW_FREE, &[])], &[]),
        )
        .await;
    assert_eq!(status, 202);
    let (_, group) = h.get(&format!("/groups/{SALES}?$select=assignedLicenses")).await;
    assert_eq!(
        group["assignedLicenses"],
        json!([{"skuId": FLOW_FREE, "disabledPlans": [DYN365_CDS_VIRAL]}])
    );

    let (status, user) = h
        .post(
            &format!("/users/{LEE}/assignLicense"),
            &assign(&[(FLOW_FREE, &[])], &[]),
        )
        .await;
    assert_eq!(status, 200);
    let flow = user["assignedLicenses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["skuId"] == FLOW_FREE)
        .unwrap();
    assert_eq!(flow["disabledPlans"], json!([DYN365_CDS_VIRAL]));
    let (_, details) = h.get(&format!("/users/{LEE}/licenseDetails")).await;
    let flow = details["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["skuId"] == FLOW_FREE)
        .unwrap();
    let plans = flow["servicePlans"].as_array().unwrap();
    let viral = plans.iter().find(|p| p["servicePlanId"] == DYN365_CDS_VIRAL).unwrap();
    assert_eq!(viral["provisioningStatus"], "Disabled");
    assert!(plans.iter().any(|p| p["provisioningStatus"] == "Success"));
}

#[tokio::test]
async fn member_counts_and_licence_filters_are_advanced_queries() {
    let h = Harness::start().await;
    let eventual = |path: String| {
        let request = h
            .http
            .get(h.url(&path))
            .bearer_auth(&h.token)
            .header("ConsistencyLevel", "eventual");
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Json>().await.unwrap())
        }
    };
    let users = format!("/groups/{REGIONAL_LEADS}/members/microsoft.graph.user?$count=true&$top=1&$select=id");
    let (status, body) = h.get(&users).await;
    assert_eq!(
        (status, message(&body)),
        (400, "$count is not currently supported."),
        "without ConsistencyLevel"
    );
    let (status, body) = eventual(users).await;
    assert_eq!((status, body["@odata.count"].as_u64()), (200, Some(1)));
    let (_, body) = eventual(format!(
        "/groups/{REGIONAL_LEADS}/members/microsoft.graph.group?$count=true&$top=1"
    ))
    .await;
    assert_eq!(body["@odata.count"], 1);
    let (_, body) = eventual(format!("/groups/{ANNOUNCEMENTS}/members?$count=true&$top=3")).await;
    assert_eq!(
        (body["@odata.count"].as_u64(), ids(&body).len()),
        (Some(8), 3),
        "the count is of all pages"
    );

    let holding = |sku: &str| {
        format!(
            "/groups/{ENGINEERING}/members/microsoft.graph.user?$count=true&$top=1&$select=id&$filter=assignedLicenses/any(x:x/skuId eq {sku})"
        )
    };
    let (status, body) = eventual(holding(E3)).await;
    assert_eq!((status, body["@odata.count"].as_u64()), (200, Some(4)), "{body}");
    let (_, body) = eventual(holding(AAD_P1)).await;
    assert_eq!(body["@odata.count"], 0);
    let (status, body) = h.get(&holding(E3)).await;
    assert_eq!((status, message(&body)), (400, "$count is not currently supported."));
    let (status, body) = eventual(holding(E3).replace("$count=true&", "")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("Request_UnsupportedQuery")),
        "the filter needs $count=true too"
    );
    let (status, body) = eventual(format!(
        "/groups/{ENGINEERING}/members?$count=true&$filter=startswith(displayName,'A')"
    ))
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("Request_UnsupportedQuery"))
    );

    // The same through $batch, each item with its own header.
    let item = |id: &str, url: String| json!({"id": id, "method": "GET", "url": url, "headers": {"ConsistencyLevel": "eventual"}});
    let body = json!({"requests": [
        item("users", format!("/groups/{REGIONAL_LEADS}/members/microsoft.graph.user?$count=true&$top=1&$select=id")),
        item("sku0", holding(E3)),
    ]});
    let (_, result) = h.post("/$batch", &body).await;
    let counts: Vec<(String, u64)> = result["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["body"]["@odata.count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [("users".to_owned(), 1), ("sku0".to_owned(), 4)]);
}

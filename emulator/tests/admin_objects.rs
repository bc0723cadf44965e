//! The admin calls that build a test's tenant: `POST /_emulator/users` and `groups`,
//! `POST /_emulator/users/{id}/licenses`, `PATCH /_emulator/users/{id}`, and `POST reset`
//! taking all of it away again. Also the library's `create_user` / `create_group`.

use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::support::*;

const AAD_P2: &str = "84a661c4-e949-4bd2-a560-ed7766fcaf2b";
const SPE_E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
const EXCHANGE_STANDARD: &str = "4b9405b0-7788-4568-add1-99614e613b69";
const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
const ALEX: &str = "a1b2c3d4-0002-4000-8000-000000000002";

async fn consumed(h: &Harness, sku: &str) -> u64 {
    let (_, sku) = h
        .get(&format!("/subscribedSkus/{TENANT}_{sku}?$select=consumedUnits"))
        .await;
    sku["consumedUnits"].as_u64().unwrap()
}

fn is_v4_guid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && id.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && parts[2].starts_with('4')
}

#[tokio::test]
async fn a_created_user_is_a_graph_user_with_direct_licences_held_without_a_seat_check() {
    let h = Harness::start().await;
    let seats = consumed(&h, E3).await;
    let (status, user) = h
        .admin_call(
            Method::POST,
            "users",
            json!({"displayName": "Pat Migrated", "userPrincipalName": "pat@contoso.example",
                   "mail": "pat@contoso.example", "usageLocation": "de",
                   "assignedLicenses": [{"skuId": E3, "disabledPlans": [YAMMER]}]}),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    assert!(is_v4_guid(&id), "{id}");
    assert_eq!(user["usageLocation"], "DE");
    assert_eq!(user["givenName"], "Pat", "every property, derived ones too");
    assert_eq!(
        user["assignedLicenses"],
        json!([{"skuId": E3, "disabledPlans": [YAMMER]}])
    );
    let states = &user["licenseAssignmentStates"];
    assert_eq!(
        (&states[0]["assignedByGroup"], &states[0]["state"], &states[0]["error"]),
        (&Json::Null, &json!("Active"), &json!("None"))
    );
    assert_eq!(consumed(&h, E3).await, seats + 1);
    let (status, read) = h.get("/users/pat@contoso.example?$select=id,assignedLicenses").await;
    assert_eq!((status, &read["id"]), (200, &json!(id)), "Graph serves it");

    // Seeded licences are not counted against seats: AAD_PREMIUM_P2 has two.
    for n in 0..3 {
        let (status, body) = h
            .admin_call(
                Method::POST,
                "users",
                json!({"id": format!("b0000000-0000-4000-8000-00000000000{n}"),
                       "displayName": format!("Seeded {n}"),
                       "userPrincipalName": format!("seeded{n}@contoso.example"), "usageLocation": "US",
                       "assignedLicenses": [{"skuId": AAD_P2}]}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    assert_eq!(consumed(&h, AAD_P2).await, 3);
    assert!(h.emulator.continuity().is_empty());
}

#[tokio::test]
async fn created_users_are_refused_as_graph_would_refuse_their_licences_and_never_twice() {
    let h = Harness::start().await;
    let user = |extra: Json| {
        let mut body = json!({"displayName": "Sam", "userPrincipalName": "sam@contoso.example", "usageLocation": "US"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let cases: Vec<(Json, u16, &str)> = vec![
        (json!({"id": ADELE}), 409, "already exists"),
        (
            json!({"userPrincipalName": "ADELE@contoso.example"}),
            409,
            "already exists",
        ),
        (json!({"id": "not-a-guid"}), 400, "GUID"),
        (json!({"userPrincipalName": "sam"}), 400, "alias@domain"),
        (json!({"usageLocation": "Germany"}), 400, "ISO 3166"),
        (json!({"usagelocation": "DE"}), 400, "unknown property 'usagelocation'"),
        (
            json!({"assignedLicenses": [{"skuId": "90d8b3f8-712e-4f7b-aa1e-62e7ae6cbe96"}]}),
            400,
            "does not correspond to a valid company License.",
        ),
        (
            json!({"assignedLicenses": [{"skuId": E3, "disabledPlans": ["eec0eb4f-6444-4f95-aba0-50c24d67f998"]}]}),
            400,
            "does not belong",
        ),
        (
            json!({"usageLocation": null, "assignedLicenses": [{"skuId": E3}]}),
            400,
            "invalid usage location",
        ),
        (
            json!({"usageLocation": "IR", "assignedLicenses": [{"skuId": SPE_E5}]}),
            400,
            "usage location is IR",
        ),
        (
            json!({"assignedLicenses": [{"skuId": E3}, {"skuId": EXCHANGE_STANDARD}]}),
            400,
            "Conflicting Service Plans",
        ),
    ];
    for (extra, expected, text) in cases {
        let (status, body) = h.admin_call(Method::POST, "users", user(extra.clone())).await;
        assert_eq!(status, expected, "{extra}: {body}");
        assert!(body["error"].as_str().unwrap().contains(text), "{extra}: {body}");
    }
    let (status, body) = h
        .admin_call(Method::POST, "users", json!({"userPrincipalName": "x@contoso.example"}))
        .await;
    assert_eq!(status, 400, "displayName is required: {body}");
    assert_eq!(h.get("/users/sam@contoso.example").await.0, 404, "nothing was created");
    let (_, users) = h.get("/users?$top=999").await;
    assert_eq!(users["value"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn a_created_group_processes_its_members_and_works_with_graph() {
    let h = Harness::start().await;
    let pat = h
        .admin(
            Method::POST,
            "users",
            json!({"displayName": "Pat", "userPrincipalName": "pat@contoso.example", "usageLocation": "GB"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, group) = h
        .admin_call(
            Method::POST,
            "groups",
            json!({"displayName": "Licensing E3", "description": "migration target",
                   "members": [pat, ADELE, ADELE], "groupMembers": [SALES],
                   "assignedLicenses": [{"skuId": AAD_P1, "disabledPlans": []}]}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let id = group["id"].as_str().unwrap().to_owned();
    assert!(is_v4_guid(&id));
    assert_eq!(
        (
            &group["securityEnabled"],
            &group["mailEnabled"],
            &group["groupTypes"],
            &group["licenseProcessingState"]
        ),
        (
            &json!(true),
            &json!(false),
            &json!([]),
            &json!({"state": "ProcessingComplete"})
        )
    );
    assert_eq!(group["members"], json!([pat, ADELE]), "once each");
    assert_eq!(group["groupMembers"], json!([SALES]));
    assert_eq!(
        group["assignedLicenses"],
        json!([{"skuId": AAD_P1, "disabledPlans": []}])
    );
    assert!(group.get("hasMembersWithLicenseErrors").is_none());
    assert_eq!(consumed(&h, AAD_P1).await, 2, "Pat and Adele; not Sales, only nested");
    let (_, adele) = h.get(&format!("/users/{ADELE}?$select=licenseAssignmentStates")).await;
    assert_eq!(adele["licenseAssignmentStates"][0]["assignedByGroup"], json!(id));

    let (_, members) = h.get(&format!("/groups/{id}/members?$select=id")).await;
    assert_eq!(
        members["value"].as_array().unwrap().len(),
        3,
        "two users and the nested group"
    );
    let (status, _) = h
        .post(&format!("/groups/{id}/assignLicense"), &assign(&[], &[AAD_P1]))
        .await;
    assert_eq!(status, 202);
    assert_eq!(consumed(&h, AAD_P1).await, 0);

    for (body, expected, text) in [
        (json!({"id": SALES, "displayName": "again"}), 409, "already exists"),
        (
            json!({"id": ADELE, "displayName": "a user's ID"}),
            409,
            "already exists",
        ),
        (
            json!({"displayName": "x", "members": ["a1b2c3d4-0009-4000-8000-000000000009"]}),
            400,
            "No user",
        ),
        (
            json!({"displayName": "x", "members": ["adele@contoso.example"]}),
            400,
            "No user",
        ),
        (json!({"displayName": "x", "groupMembers": [ADELE]}), 400, "No group"),
        (
            json!({"displayName": "x", "securityEnabled": false, "mailEnabled": true,
                   "assignedLicenses": [{"skuId": E3}]}),
            400,
            "security",
        ),
        (
            json!({"displayName": "x", "assignedLicenses": [{"skuId": "3d957427-ecdc-4df2-aacd-01cc9d519da8"}]}),
            400,
            "License operation failed",
        ),
        (
            json!({"displayName": "x", "owners": []}),
            400,
            "unknown property 'owners'",
        ),
    ] {
        let (status, answer) = h.admin_call(Method::POST, "groups", body.clone()).await;
        assert_eq!(status, expected, "{body}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(text), "{body}: {answer}");
    }
    let (status, distribution) = h
        .admin_call(
            Method::POST,
            "groups",
            json!({"displayName": "News", "securityEnabled": false, "mailEnabled": true,
                   "mail": "news@contoso.example", "groupTypes": ["Unified"]}),
        )
        .await;
    assert_eq!(status, 201, "unlicensed, any kind");
    assert_eq!(distribution["visibility"], "Public");
}

#[tokio::test]
async fn admin_user_licence_changes_follow_assign_license_and_are_logged_for_continuity() {
    let h = Harness::start().await;
    let path = format!("users/{LEE}/licenses");
    let (status, lee) = h.admin_call(Method::POST, &path, assign(&[(E3, &[])], &[])).await;
    assert_eq!(status, 200, "{lee}");
    assert_eq!(lee["licenseAssignmentStates"].as_array().unwrap().len(), 2);
    assert_eq!(consumed(&h, E3).await, 4, "also inherited from Engineering");
    let (status, lee) = h.admin_call(Method::POST, &path, assign(&[], &[E3])).await;
    assert_eq!(status, 200);
    assert_eq!(
        lee["assignedLicenses"],
        json!([{"skuId": E3, "disabledPlans": [YAMMER]}])
    );
    let lost = h.emulator.continuity();
    assert_eq!(lost.len(), 1);
    assert_eq!(
        (
            lost[0].service_plan_id.as_str(),
            lost[0].request_id.as_deref(),
            lost[0].request.as_str()
        ),
        (YAMMER, None, format!("POST /_emulator/{path}").as_str())
    );

    for (user, body, expected, text) in [
        (LEE, assign(&[], &[E3]), 400, "inherited from a group membership"),
        (
            LEE,
            assign(&[], &[E5]),
            400,
            "User does not have a corresponding license.",
        ),
        (
            "a1b2c3d4-0004-4000-8000-000000000004",
            assign(&[(E5, &[])], &[]),
            400,
            "invalid usage location",
        ),
        ("nobody@contoso.example", assign(&[(E5, &[])], &[]), 404, "no user"),
    ] {
        let (status, answer) = h
            .admin_call(Method::POST, &format!("users/{user}/licenses"), body.clone())
            .await;
        assert_eq!(status, expected, "{user} {body}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(text), "{answer}");
    }
    // Seats are checked, as Graph checks them: AAD_PREMIUM_P2 has two.
    for user in [ADELE, ALEX] {
        h.admin(
            Method::POST,
            &format!("users/{user}/licenses"),
            assign(&[(AAD_P2, &[])], &[]),
        )
        .await;
    }
    let (status, answer) = h.admin_call(Method::POST, &path, assign(&[(AAD_P2, &[])], &[])).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("does not have any available licenses")
    );
}

#[tokio::test]
async fn patching_the_usage_location_drives_the_direct_assignment_rules() {
    let h = Harness::start().await;
    let (status, adele) = h
        .admin_call(Method::PATCH, &format!("users/{ADELE}"), json!({"usageLocation": "ir"}))
        .await;
    assert_eq!((status, &adele["usageLocation"]), (200, &json!("IR")));
    let path = format!("/users/{ADELE}/assignLicense");
    let (status, body) = h.post(&path, &assign(&[(SPE_E5, &[])], &[])).await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("usage location is IR"), "{body}");

    h.admin(
        Method::PATCH,
        "users/adele@contoso.example",
        json!({"usageLocation": null}),
    )
    .await;
    let (_, read) = h.get(&format!("/users/{ADELE}?$select=usageLocation")).await;
    assert_eq!(read["usageLocation"], Json::Null);
    let (status, body) = h.post(&path, &assign(&[(E5, &[])], &[])).await;
    assert_eq!(
        (status, message(&body)),
        (
            400,
            "License assignment cannot be done for user with invalid usage location."
        )
    );

    for (user, body, expected) in [
        (ADELE, json!({"usageLocation": "Iran"}), 400),
        (ADELE, json!({"usageLocation": "DE", "displayName": "x"}), 400),
        (ADELE, json!({}), 400),
        (
            "a1b2c3d4-0009-4000-8000-000000000009",
            json!({"usageLocation": "DE"}),
            404,
        ),
    ] {
        let (status, answer) = h
            .admin_call(Method::PATCH, &format!("users/{user}"), body.clone())
            .await;
        assert_eq!(status, expected, "{body}: {answer}");
    }
}

#[tokio::test]
async fn reset_removes_created_objects_and_the_library_creates_them_too() {
    let h = Harness::start().await;
    let seats = consumed(&h, E3).await;
    let user = h
        .emulator
        .create_user(json!({"displayName": "Kim", "userPrincipalName": "kim@contoso.example",
                            "usageLocation": "US", "assignedLicenses": [{"skuId": E3}]}))
        .unwrap();
    let kim = user["id"].as_str().unwrap().to_owned();
    let group = h
        .emulator
        .create_group(
            json!({"id": "c0000000-0000-4000-8000-000000000001", "displayName": "Kim's group",
                             "members": [kim], "assignedLicenses": [{"skuId": AAD_P1}]}),
        )
        .unwrap();
    assert_eq!(group["members"], json!([kim]));
    assert!(
        h.emulator
            .create_user(json!({"displayName": "Kim", "userPrincipalName": "KIM@contoso.example"}))
            .unwrap_err()
            .contains("already exists")
    );
    assert_eq!(consumed(&h, E3).await, seats + 1);

    h.admin(Method::POST, "reset", json!(null)).await;
    assert_eq!(h.get(&format!("/users/{kim}")).await.0, 404);
    assert_eq!(h.get("/groups/c0000000-0000-4000-8000-000000000001").await.0, 404);
    assert_eq!(consumed(&h, E3).await, seats);
    assert_eq!(consumed(&h, AAD_P1).await, 0);
}

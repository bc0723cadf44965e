//! `$select` over every property Graph v1.0 declares on users, groups, subscribed SKUs
//! and licence details; Graph's default property sets; the provider's own selects.

use serde_json::{Value as Json, json};

use crate::support::*;

fn keys(value: &Json) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|k| !k.starts_with("@odata"))
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn users_default_to_graphs_eleven_properties() {
    let h = Harness::start().await;
    let (status, user) = h.get(&format!("/users/{ADELE}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        keys(&user),
        [
            "businessPhones",
            "displayName",
            "givenName",
            "id",
            "jobTitle",
            "mail",
            "mobilePhone",
            "officeLocation",
            "preferredLanguage",
            "surname",
            "userPrincipalName"
        ]
    );
    assert_eq!(
        (user["givenName"].as_str(), user["surname"].as_str()),
        (Some("Adele"), Some("Vance"))
    );
    assert_eq!(user["businessPhones"], json!([]));
    assert_eq!(user["jobTitle"], Json::Null);
}

#[tokio::test]
async fn every_declared_user_property_can_be_selected() {
    let h = Harness::start().await;
    let select = "accountEnabled,givenName,surname,mail,mailNickname,proxyAddresses,createdDateTime,\
                  onPremisesSyncEnabled,usageLocation,jobTitle,department,userType,securityIdentifier,\
                  identities,assignedPlans,provisionedPlans,otherMails,employeeId,deletedDateTime,\
                  onPremisesExtensionAttributes,signInActivity,AccountEnabled";
    let diego = "a1b2c3d4-0003-4000-8000-000000000003";
    let (status, user) = h.get(&format!("/users/{diego}?$select={select}")).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["accountEnabled"], true);
    assert_eq!(user["mailNickname"], "diego");
    assert_eq!(user["proxyAddresses"], json!(["SMTP:diego@contoso.example"]));
    assert_eq!(user["usageLocation"], "DE");
    assert_eq!(user["userType"], "Member");
    assert_eq!(user["onPremisesSyncEnabled"], Json::Null);
    assert_eq!(user["identities"][0]["issuerAssignedId"], "diego@contoso.example");
    assert!(user["securityIdentifier"].as_str().unwrap().starts_with("S-1-12-1-"));
    assert!(
        user["assignedPlans"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["servicePlanName"].is_null() && p["service"] == "EXCHANGE_S_ENTERPRISE"),
        "Engineering's E3"
    );
    assert!(
        !user["assignedPlans"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["servicePlanId"] == "7547a3fe-08ee-4ccb-b430-5077c5041653"),
        "Yammer is disabled"
    );
    assert_eq!(
        user["onPremisesExtensionAttributes"]["extensionAttribute15"],
        Json::Null
    );
    assert!(
        user.get("AccountEnabled").is_none(),
        "names come back in Graph's spelling"
    );
    assert!(user.get("displayName").is_none(), "only what was selected");

    let (status, body) = h.get(&format!("/users/{diego}?$select=id,shoeSize")).await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&body),
        "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."
    );
}

#[tokio::test]
async fn groups_default_to_graphs_set_and_accept_every_declared_property() {
    let h = Harness::start().await;
    let (_, group) = h.get("/groups/3d0e9f82-5b4c-4d6e-8f90-000000000003").await;
    for expected in [
        "id",
        "displayName",
        "mailNickname",
        "proxyAddresses",
        "createdDateTime",
        "groupTypes",
        "membershipRule",
        "onPremisesSyncEnabled",
        "visibility",
        "securityIdentifier",
        "renewedDateTime",
        "resourceProvisioningOptions",
    ] {
        assert!(group.get(expected).is_some(), "{expected} is returned by default");
    }
    for selected_only in [
        "assignedLicenses",
        "licenseProcessingState",
        "hasMembersWithLicenseErrors",
        "unseenCount",
    ] {
        assert!(group.get(selected_only).is_none(), "{selected_only}");
    }
    assert_eq!(group["mailNickname"], "marketing");
    assert_eq!(group["visibility"], "Public");
    assert_eq!(group["proxyAddresses"], json!(["SMTP:marketing@contoso.example"]));

    let (status, selected) = h
        .get(&format!(
            "/groups/{SALES}?$select=mailEnabled,mailNickname,isAssignableToRole,theme,\
             hasMembersWithLicenseErrors,assignedLabels,expirationDateTime"
        ))
        .await;
    assert_eq!(status, 200, "{selected}");
    assert_eq!(
        keys(&selected),
        [
            "assignedLabels",
            "expirationDateTime",
            "isAssignableToRole",
            "mailEnabled",
            "mailNickname",
            "theme"
        ],
        "hasMembersWithLicenseErrors is never returned"
    );
    assert_eq!(selected["mailNickname"], "Sales");
    assert_eq!(h.get(&format!("/groups/{SALES}?$select=colour")).await.0, 400);
}

#[tokio::test]
async fn the_providers_own_selects_answer_as_before() {
    let h = Harness::start().await;
    let (status, group) = h
        .get(&format!(
            "/groups/{ENGINEERING}?$select=id,displayName,securityEnabled,assignedLicenses,licenseProcessingState"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        keys(&group),
        [
            "assignedLicenses",
            "displayName",
            "id",
            "licenseProcessingState",
            "securityEnabled"
        ]
    );
    assert_eq!(group["licenseProcessingState"], json!({"state": "ProcessingComplete"}));
    let (_, named) = h
        .get("/groups?$filter=displayName eq 'Sales'&$select=id,displayName,securityEnabled")
        .await;
    assert_eq!(keys(&named["value"][0]), ["displayName", "id", "securityEnabled"]);
    let (_, members) = h
        .get(&format!(
            "/groups/{ENGINEERING}/members?$select=id,userPrincipalName,assignedLicenses&$top=999"
        ))
        .await;
    assert_eq!(members["value"].as_array().unwrap().len(), 4);
    assert_eq!(
        keys(&members["value"][0]),
        ["assignedLicenses", "id", "userPrincipalName"]
    );
    assert_eq!(members["value"][0]["assignedLicenses"][0]["skuId"], E3);
    let (status, _) = h
        .get(&format!(
            "/groups/{ENGINEERING}/membersWithLicenseErrors?$select=id,userPrincipalName,licenseAssignmentStates&$top=999"
        ))
        .await;
    assert_eq!(status, 200);
    let (_, user) = h
        .get(&format!(
            "/users/{ADELE}?$select=id,userPrincipalName,assignedLicenses,licenseAssignmentStates"
        ))
        .await;
    assert_eq!(
        keys(&user),
        ["assignedLicenses", "id", "licenseAssignmentStates", "userPrincipalName"]
    );
}

#[tokio::test]
async fn subscribed_skus_and_license_details_select_their_declared_properties() {
    let h = Harness::start().await;
    let (status, body) = h.get("/subscribedSkus?$select=skuId,skuPartNumber,accountName").await;
    assert_eq!(status, 200);
    assert_eq!(keys(&body["value"][0]), ["accountName", "skuId", "skuPartNumber"]);
    let (status, body) = h.get("/subscribedSkus?$select=skuId,price").await;
    assert_eq!(status, 400);
    assert!(message(&body).contains("'microsoft.graph.subscribedSku'"));

    let diego = "a1b2c3d4-0003-4000-8000-000000000003";
    let (_, details) = h.get(&format!("/users/{diego}/licenseDetails")).await;
    assert_eq!(
        keys(&details["value"][0]),
        ["id", "servicePlans", "skuId", "skuPartNumber"]
    );
    let (_, details) = h
        .get(&format!("/users/{diego}/licenseDetails?$select=skuPartNumber"))
        .await;
    assert_eq!(details["value"], json!([{"skuPartNumber": "ENTERPRISEPACK"}]));
    let (status, body) = h
        .get(&format!("/users/{diego}/licenseDetails?$select=assignedLicenses"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&body),
        "Could not find a property named 'assignedLicenses' on type 'microsoft.graph.licenseDetails'."
    );
}

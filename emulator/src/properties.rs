//! The properties Graph v1.0 declares on `user`, `group`, `subscribedSku` and
//! `licenseDetails`, the ones it returns without `$select`, and their values here.
//!
//! Why: a client that `$select`s a property Graph has must not get a 400 the real service
//! would never send, and one that relies on a property Graph returns only on `$select`
//! (`assignedLicenses`, `usageLocation`, …) must not find it in a default response. So
//! every declared property is accepted, and "Could not find a property" is kept for names
//! that do not exist. The lists are those of Microsoft's v1.0 CSDL
//! (`microsoftgraph/msgraph-metadata`, `schemas/v1.0-Prod.csdl`); the defaults are the
//! properties the resource pages mark "Returned by default"
//! (<https://learn.microsoft.com/graph/api/resources/user>,
//! <https://learn.microsoft.com/graph/api/resources/group>).
//!
//! Values come from the tenant where the emulator models them (names, mail, licences,
//! plans); otherwise they are derived (given name and surname from the display name, the
//! mail alias from the sign-in name, a security identifier from the object ID), or `null`
//! / `[]` as Graph shows an unset property. Values are computed per selected property, so
//! listing a large group's members costs no more than before.

use serde_json::{Value as Json, json};

use crate::state::{Directory, Group, User};

/// Properties of `microsoft.graph.user` (with `id` and `deletedDateTime`, inherited).
pub(crate) const USER: &[&str] = &[
    "id",
    "deletedDateTime",
    "aboutMe",
    "accountEnabled",
    "ageGroup",
    "assignedLicenses",
    "assignedPlans",
    "authorizationInfo",
    "birthday",
    "businessPhones",
    "city",
    "companyName",
    "consentProvidedForMinor",
    "country",
    "createdDateTime",
    "creationType",
    "customSecurityAttributes",
    "department",
    "deviceEnrollmentLimit",
    "displayName",
    "employeeHireDate",
    "employeeId",
    "employeeLeaveDateTime",
    "employeeOrgData",
    "employeeType",
    "externalUserState",
    "externalUserStateChangeDateTime",
    "faxNumber",
    "givenName",
    "hireDate",
    "identities",
    "identityParentId",
    "imAddresses",
    "interests",
    "isManagementRestricted",
    "isResourceAccount",
    "jobTitle",
    "lastPasswordChangeDateTime",
    "legalAgeGroupClassification",
    "licenseAssignmentStates",
    "mail",
    "mailboxSettings",
    "mailNickname",
    "mobilePhone",
    "mySite",
    "officeLocation",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesExtensionAttributes",
    "onPremisesImmutableId",
    "onPremisesLastSyncDateTime",
    "onPremisesProvisioningErrors",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "onPremisesUserPrincipalName",
    "otherMails",
    "passwordPolicies",
    "passwordProfile",
    "pastProjects",
    "postalCode",
    "preferredDataLocation",
    "preferredLanguage",
    "preferredName",
    "print",
    "provisionedPlans",
    "proxyAddresses",
    "responsibilities",
    "schools",
    "securityIdentifier",
    "serviceProvisioningErrors",
    "showInAddressList",
    "signInActivity",
    "signInSessionsValidFromDateTime",
    "skills",
    "state",
    "streetAddress",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
];

/// What `GET /users/{id}` returns without `$select`.
pub(crate) const USER_DEFAULT: &[&str] = &[
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
    "userPrincipalName",
];

/// Properties of `microsoft.graph.group` (with `id` and `deletedDateTime`, inherited).
pub(crate) const GROUP: &[&str] = &[
    "id",
    "deletedDateTime",
    "accessType",
    "allowExternalSenders",
    "assignedLabels",
    "assignedLicenses",
    "autoSubscribeNewMembers",
    "classification",
    "createdDateTime",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "hasMembersWithLicenseErrors",
    "hideFromAddressLists",
    "hideFromOutlookClients",
    "infoCatalogs",
    "isArchived",
    "isAssignableToRole",
    "isFavorite",
    "isManagementRestricted",
    "isSubscribedByMail",
    "licenseProcessingState",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesDomainName",
    "onPremisesExtensionAttributes",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesProvisioningErrors",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "organizationId",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "securityEnabled",
    "securityIdentifier",
    "serviceProvisioningErrors",
    "theme",
    "uniqueName",
    "unseenConversationsCount",
    "unseenCount",
    "unseenMessagesCount",
    "visibility",
    "welcomeMessageEnabled",
];

/// What `GET /groups/{id}` returns without `$select` (the group resource page's
/// "Returned by default" properties).
pub(crate) const GROUP_DEFAULT: &[&str] = &[
    "id",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesProvisioningErrors",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "securityEnabled",
    "securityIdentifier",
    "serviceProvisioningErrors",
    "theme",
    "visibility",
];

/// Group properties that may be selected (or filtered on) but are never returned:
/// "This property is never returned on a GET operation."
pub(crate) const GROUP_NEVER_RETURNED: &[&str] = &["hasMembersWithLicenseErrors"];

/// Properties of `microsoft.graph.subscribedSku`; all are returned by default.
pub(crate) const SKU: &[&str] = &[
    "id",
    "accountId",
    "accountName",
    "appliesTo",
    "capabilityStatus",
    "consumedUnits",
    "prepaidUnits",
    "servicePlans",
    "skuId",
    "skuPartNumber",
    "subscriptionIds",
];

/// Properties of `microsoft.graph.licenseDetails`; all are returned by default.
pub(crate) const LICENSE_DETAILS: &[&str] = &["id", "servicePlans", "skuId", "skuPartNumber"];

/// When the fixture's objects were created (the tenant file has no such field).
const CREATED: &str = "2024-01-15T09:00:00Z";

/// `onPremisesExtensionAttributes` of a cloud-only object: fifteen unset attributes.
fn extension_attributes() -> Json {
    Json::Object(
        (1..=15)
            .map(|n| (format!("extensionAttribute{n}"), Json::Null))
            .collect(),
    )
}

/// A cloud object's security identifier, derived from its object ID as Entra does
/// (`S-1-12-1-` and the GUID's bytes as four little-endian integers); `null` when the ID
/// is not a GUID.
fn security_identifier(id: &str) -> Json {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Json::Null;
    }
    let field = |from: usize, to: usize| u32::from_str_radix(&hex[from..to], 16).unwrap_or(0);
    // .NET's byte order: the first three fields little-endian, the last eight bytes as-is.
    let data1 = field(0, 8);
    let data2_3 = field(8, 12) | (field(12, 16) << 16);
    let bytes = |from: usize| {
        let b: Vec<u32> = (0..4).map(|i| field(from + 2 * i, from + 2 * i + 2)).collect();
        b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)
    };
    json!(format!("S-1-12-1-{data1}-{data2_3}-{}-{}", bytes(16), bytes(24)))
}

/// `["SMTP:address"]` for an object with a mail address, else `[]`.
fn proxy_addresses(mail: Option<&str>) -> Json {
    json!(mail.map(|m| vec![format!("SMTP:{m}")]).unwrap_or_default())
}

/// One user property; `name` is one of `USER`.
pub(crate) fn user_property(directory: &Directory, user: &User, name: &str) -> Json {
    let file = &user.file;
    let (given, surname) = file.display_name.split_once(' ').unwrap_or((&file.display_name, ""));
    let (alias, domain) = file
        .user_principal_name
        .split_once('@')
        .unwrap_or((&file.user_principal_name, ""));
    match name {
        "id" => json!(file.id),
        "displayName" => json!(file.display_name),
        "userPrincipalName" => json!(file.user_principal_name),
        "mail" => json!(file.mail),
        "usageLocation" => json!(file.usage_location),
        "givenName" => json!(given),
        "surname" => json!(surname),
        "mailNickname" => json!(alias),
        "accountEnabled" => json!(true),
        "userType" => json!("Member"),
        "createdDateTime" | "lastPasswordChangeDateTime" | "signInSessionsValidFromDateTime" => json!(CREATED),
        "birthday" | "hireDate" => json!("0001-01-01T00:00:00Z"),
        "deviceEnrollmentLimit" => json!(5),
        "securityIdentifier" => security_identifier(&file.id),
        "proxyAddresses" => proxy_addresses(file.mail.as_deref()),
        "identities" => json!([{
            "signInType": "userPrincipalName",
            "issuer": domain,
            "issuerAssignedId": file.user_principal_name,
        }]),
        "authorizationInfo" => json!({"certificateUserIds": []}),
        "onPremisesExtensionAttributes" => extension_attributes(),
        "assignedLicenses" | "licenseAssignmentStates" => directory.user_json(user)[name].clone(),
        "assignedPlans" | "provisionedPlans" => json!(enabled_plans(directory, user, name == "assignedPlans")),
        "businessPhones"
        | "imAddresses"
        | "interests"
        | "onPremisesProvisioningErrors"
        | "otherMails"
        | "pastProjects"
        | "responsibilities"
        | "schools"
        | "serviceProvisioningErrors"
        | "skills" => json!([]),
        _ => Json::Null,
    }
}

/// `assignedPlans` (`assigned`) or `provisionedPlans` of a user: every enabled plan of
/// their effective licences. The plan's name stands in for Graph's `service`, which the
/// tenant file does not carry.
fn enabled_plans(directory: &Directory, user: &User, assigned: bool) -> Vec<Json> {
    user.effective
        .iter()
        .filter_map(|(sku_id, disabled)| Some((directory.sku(sku_id)?, disabled)))
        .flat_map(|(sku, disabled)| {
            let since = user
                .states
                .iter()
                .find(|s| s.sku_id == sku.sku_id)
                .map_or(CREATED, |s| s.last_updated.as_str());
            sku.service_plans
                .iter()
                .filter(|p| !disabled.contains(&p.service_plan_id))
                .map(move |p| {
                    if assigned {
                        json!({"assignedDateTime": since, "capabilityStatus": "Enabled",
                               "service": p.service_plan_name, "servicePlanId": p.service_plan_id})
                    } else {
                        json!({"capabilityStatus": "Enabled", "provisioningStatus": "Success",
                               "service": p.service_plan_name})
                    }
                })
        })
        .collect()
}

/// One group property; `name` is one of `GROUP`.
pub(crate) fn group_property(directory: &Directory, group: &Group, name: &str) -> Json {
    let file = &group.file;
    let unified = file.group_types.iter().any(|t| t == "Unified");
    match name {
        "id" => json!(file.id),
        "displayName" => json!(file.display_name),
        "description" => json!(file.description),
        "groupTypes" => json!(file.group_types),
        "mail" => json!(file.mail),
        "mailEnabled" => json!(file.mail_enabled),
        "securityEnabled" => json!(file.security_enabled),
        "assignedLicenses" => json!(directory.visible_group_licenses(group)),
        "licenseProcessingState" => json!({"state": group.processing_state}),
        "mailNickname" => json!(match &file.mail {
            Some(mail) => mail.split('@').next().unwrap_or(mail).to_owned(),
            None => file
                .display_name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect(),
        }),
        "createdDateTime" | "renewedDateTime" => json!(CREATED),
        "securityIdentifier" => security_identifier(&file.id),
        "proxyAddresses" => proxy_addresses(file.mail.as_deref()),
        "visibility" if unified => json!("Public"),
        "onPremisesExtensionAttributes" => extension_attributes(),
        "assignedLabels"
        | "infoCatalogs"
        | "onPremisesProvisioningErrors"
        | "resourceBehaviorOptions"
        | "resourceProvisioningOptions"
        | "serviceProvisioningErrors" => json!([]),
        _ => Json::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_identifiers_follow_the_object_id() {
        assert_eq!(
            security_identifier("a1b2c3d4-0001-4000-8000-000000000001"),
            json!("S-1-12-1-2712847316-1073741825-128-16777216")
        );
        assert_eq!(security_identifier("not-a-guid"), Json::Null);
    }

    #[test]
    fn defaults_are_declared_properties() {
        for (defaults, all) in [(USER_DEFAULT, USER), (GROUP_DEFAULT, GROUP)] {
            for name in defaults {
                assert!(all.contains(name), "{name}");
            }
        }
        assert!(!USER_DEFAULT.contains(&"assignedLicenses") && !USER_DEFAULT.contains(&"usageLocation"));
        assert!(!GROUP_DEFAULT.contains(&"assignedLicenses") && !GROUP_DEFAULT.contains(&"licenseProcessingState"));
    }
}

//! Which groups can hold licences.
//!
//! Group-based licensing works on security groups and on Microsoft 365 groups with
//! `securityEnabled = true`; Graph refuses `assignLicense` on others with a 400
//! (<https://learn.microsoft.com/entra/identity/users/licensing-group-advanced>). The group
//! is read at plan time anyway, so the plan says so instead of the apply.

use crate::graph::models::Group;

/// Why a group cannot hold licences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ineligible {
    /// A distribution list (mail-enabled, not security-enabled).
    DistributionGroup,
    /// A Microsoft 365 group whose `securityEnabled` is false.
    UnsecuredMicrosoft365Group,
}

/// `Ok` when the group can hold licences.
pub fn check(group: &Group) -> Result<(), Ineligible> {
    if group.security_enabled != Some(false) {
        return Ok(());
    }
    if group.group_types.iter().any(|t| t.eq_ignore_ascii_case("Unified")) {
        Err(Ineligible::UnsecuredMicrosoft365Group)
    } else {
        Err(Ineligible::DistributionGroup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(security_enabled: bool, mail_enabled: bool, unified: bool) -> Group {
        serde_json::from_value(serde_json::json!({
            "id": "g",
            "securityEnabled": security_enabled,
            "mailEnabled": mail_enabled,
            "groupTypes": if unified { vec!["Unified"] } else { vec![] },
        }))
        .unwrap()
    }

    #[test]
    fn security_enabled_groups_hold_licences() {
        assert_eq!(check(&group(true, false, false)), Ok(()), "security group");
        assert_eq!(
            check(&group(true, true, true)),
            Ok(()),
            "security-enabled Microsoft 365 group"
        );
        assert_eq!(check(&group(true, true, false)), Ok(()), "mail-enabled security group");
        assert_eq!(check(&group(false, true, false)), Err(Ineligible::DistributionGroup));
        assert_eq!(
            check(&group(false, true, true)),
            Err(Ineligible::UnsecuredMicrosoft365Group)
        );
    }
}

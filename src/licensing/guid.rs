//! Object, SKU and service-plan IDs, and the other way users are named (user principal names).
//!
//! Graph returns GUIDs in lower case, but users paste them in any case, and the portal
//! shows some in upper case. A [`Guid`] is parsed once, kept in lower case and compared
//! exactly, so no code has to remember `eq_ignore_ascii_case`.

use std::fmt;

/// A GUID such as `06ebc4ee-1bb5-47dd-8120-11324bc54e06`, lower case.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Guid(String);

impl Guid {
    /// Parses the 8-4-4-4-12 hexadecimal form (surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<Guid> {
        let text = text.trim();
        let groups: Vec<&str> = text.split('-').collect();
        let well_formed = groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()));
        well_formed.then(|| Guid(text.to_ascii_lowercase()))
    }

    /// True when `text` looks meant as a GUID (four dashes) but is not one: worth an
    /// error of its own rather than "unknown name".
    pub fn is_malformed(text: &str) -> bool {
        text.matches('-').count() == 4 && Guid::parse(text).is_none()
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Guid> for String {
    fn from(guid: Guid) -> String {
        guid.0
    }
}

/// `name@domain.tld`, as Entra requires of a user principal name.
pub fn is_user_principal_name(text: &str) -> bool {
    let Some((name, domain)) = text.split_once('@') else {
        return false;
    };
    !name.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_once_lower_case() {
        let guid = Guid::parse(" 06EBC4EE-1bb5-47dd-8120-11324BC54E06 ").unwrap();
        assert_eq!(guid.to_string(), "06ebc4ee-1bb5-47dd-8120-11324bc54e06");
        assert_eq!(Guid::parse("06ebc4ee-1bb5-47dd-8120-11324bc54e06"), Some(guid));
        assert_eq!(Guid::parse("SPE_E5"), None);
        assert_eq!(Guid::parse("06ebc4ee-1bb5-47dd-8120-11324bc54e0"), None);
        assert!(Guid::is_malformed("6fd2c87f-b296-42f0-b197-1e91e994b90z"));
        assert!(!Guid::is_malformed("SPE_E5"));
        assert!(!Guid::is_malformed("06ebc4ee-1bb5-47dd-8120-11324bc54e06"));
    }
}

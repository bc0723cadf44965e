//! National clouds: which Graph and login hosts, token scope and federation audience each
//! uses. Tokens are not interchangeable across clouds, so the scope always names the
//! Graph host of the chosen cloud.

use std::fmt;

/// A Microsoft cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cloud {
    /// Worldwide (including GCC Moderate).
    Global,
    /// US Government L4 (GCC High).
    UsGovernmentL4,
    /// US Government L5 (DoD).
    UsGovernmentL5,
    /// China, operated by 21Vianet.
    China,
}

impl Cloud {
    /// Parses the `environment` setting (azuread's names).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "global" | "public" => Some(Cloud::Global),
            "usgovernmentl4" | "usgovernment" => Some(Cloud::UsGovernmentL4),
            "usgovernmentl5" | "dod" => Some(Cloud::UsGovernmentL5),
            "china" => Some(Cloud::China),
            _ => None,
        }
    }

    /// The Graph service root, without a version.
    pub fn graph_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGovernmentL4 => "https://graph.microsoft.us",
            Cloud::UsGovernmentL5 => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The Entra token authority.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGovernmentL4 | Cloud::UsGovernmentL5 => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The audience of federated (OIDC) tokens exchanged in this cloud.
    pub fn federation_audience(self) -> &'static str {
        match self {
            Cloud::Global => "api://AzureADTokenExchange",
            Cloud::UsGovernmentL4 | Cloud::UsGovernmentL5 => "api://AzureADTokenExchangeUSGov",
            Cloud::China => "api://AzureADTokenExchangeChina",
        }
    }

    /// The client-credentials scope for Graph.
    pub fn graph_scope(self) -> String {
        format!("{}/.default", self.graph_host())
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cloud::Global => "global",
            Cloud::UsGovernmentL4 => "usgovernmentl4",
            Cloud::UsGovernmentL5 => "usgovernmentl5",
            Cloud::China => "china",
        })
    }
}

/// The Azure Instance Metadata Service, where managed identities get tokens over plain
/// HTTP (a link-local address that never leaves the host):
/// <https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token>.
pub const IMDS_ADDRESS: std::net::Ipv4Addr = std::net::Ipv4Addr::new(169, 254, 169, 254);

/// Checks a managed identity endpoint: as [`check_endpoint`], and also plain `http://` on
/// the documented IMDS address.
pub fn check_msi_endpoint(url: &str) -> Result<reqwest::Url, String> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if parsed.scheme() == "http" && parsed.host() == Some(url::Host::Ipv4(IMDS_ADDRESS)) => Ok(parsed),
        _ => check_endpoint(url).map_err(|problem| format!("{problem}, or the IMDS address http://{IMDS_ADDRESS}")),
    }
}

/// Checks an endpoint override: `https://`, or plain `http://` on a loopback host only.
pub fn check_endpoint(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(parsed)
            } else {
                Err(format!(
                    "{url:?} uses plain http://, which is allowed only for loopback hosts (127.0.0.1, ::1, localhost); use https://"
                ))
            }
        }
        other => Err(format!("{url:?} has scheme {other}; use https://")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_per_cloud() {
        let table = [
            (
                "global",
                "https://graph.microsoft.com",
                "https://login.microsoftonline.com",
                "api://AzureADTokenExchange",
            ),
            (
                "usgovernmentl4",
                "https://graph.microsoft.us",
                "https://login.microsoftonline.us",
                "api://AzureADTokenExchangeUSGov",
            ),
            (
                "usgovernmentl5",
                "https://dod-graph.microsoft.us",
                "https://login.microsoftonline.us",
                "api://AzureADTokenExchangeUSGov",
            ),
            (
                "china",
                "https://microsoftgraph.chinacloudapi.cn",
                "https://login.chinacloudapi.cn",
                "api://AzureADTokenExchangeChina",
            ),
        ];
        for (name, graph, login, audience) in table {
            let cloud = Cloud::parse(name).unwrap();
            assert_eq!(
                (cloud.graph_host(), cloud.authority_host(), cloud.federation_audience()),
                (graph, login, audience)
            );
            assert_eq!(cloud.to_string(), name);
        }
        assert_eq!(
            Cloud::UsGovernmentL4.graph_scope(),
            "https://graph.microsoft.us/.default"
        );
        assert_eq!(Cloud::parse("mars"), None);
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(check_endpoint("http://127.0.0.1:8080/v1.0").is_ok());
        assert!(check_endpoint("http://localhost:1").is_ok());
        assert!(check_endpoint("http://[::1]:9/").is_ok());
        assert!(check_endpoint("https://graph.example.com").is_ok());
        assert!(check_endpoint("http://10.0.0.5/v1.0").unwrap_err().contains("loopback"));
        assert!(check_endpoint("http://graph.example.com").is_err());
        assert!(check_endpoint("ftp://x").is_err());
        assert!(check_endpoint("not a url").is_err());
        let imds = "http://169.254.169.254/metadata/identity/oauth2/token";
        assert!(check_msi_endpoint(imds).is_ok());
        assert!(
            check_endpoint(imds).is_err(),
            "only the managed identity endpoint may use IMDS"
        );
        assert!(
            check_msi_endpoint("http://169.254.169.253/x")
                .unwrap_err()
                .contains("IMDS")
        );
        assert!(check_msi_endpoint("http://127.0.0.1:41000/msi/token").is_ok());
    }
}

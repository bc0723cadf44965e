//! Resolving the provider block and the environment into settings and a credential.
//!
//! Each attribute falls back to its environment variable (azuread/azurerm names), so
//! existing pipelines work unchanged. The credential follows azuread's precedence:
//! client certificate, client secret, OIDC (`use_oidc`), managed identity (`use_msi`),
//! Azure CLI (`use_cli`, on by default). A missing or contradictory setting is one
//! diagnostic on the attribute, naming its environment variable.

use std::path::PathBuf;

use base64::Engine;

use crate::graph::{ClientCertificate, Cloud, Credential, FederatedSource, Secret, cloud};
use crate::licensing::Guid;
use crate::model;
use crate::tfplugin::{Attr, AttributePath, Diagnostics};

/// Reads an environment variable (a closure in tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What the provider connects with.
#[derive(Debug)]
pub struct Settings {
    /// The chosen cloud.
    pub cloud: Cloud,
    /// Graph version root, e.g. `https://graph.microsoft.com/v1.0`.
    pub graph_url: url::Url,
    /// Token authority, e.g. `https://login.microsoftonline.com`.
    pub authority_url: url::Url,
    /// How to get tokens.
    pub credential: Credential,
    /// The attribute that supplied the credential, for diagnostics on it.
    pub credential_attribute: Option<&'static str>,
}

/// A resolved setting, or why there is none.
enum Setting<T> {
    /// Not known until apply (the provider block depends on another resource).
    Unknown,
    /// Not set anywhere.
    Absent,
    /// Set in configuration (`true`) or the environment (`false`).
    Set(T, bool),
}

fn string(configured: &Attr<String>, env: Env<'_>, variables: &[&str]) -> Setting<String> {
    match configured {
        Attr::Unknown => Setting::Unknown,
        Attr::Known(s) if !s.is_empty() => Setting::Set(s.clone(), true),
        _ => variables
            .iter()
            .find_map(|v| env(v).filter(|s| !s.is_empty()))
            .map_or(Setting::Absent, |s| Setting::Set(s, false)),
    }
}

fn boolean(configured: &Attr<bool>, env: Env<'_>, variable: &str, default: bool) -> Setting<bool> {
    match configured {
        Attr::Unknown => Setting::Unknown,
        Attr::Known(b) => Setting::Set(*b, true),
        _ => match env(variable).map(|v| v.trim().to_ascii_lowercase()) {
            Some(v) if ["1", "true", "yes"].contains(&v.as_str()) => Setting::Set(true, false),
            Some(v) if ["0", "false", "no"].contains(&v.as_str()) => Setting::Set(false, false),
            _ => Setting::Set(default, false),
        },
    }
}

model! {
    /// The provider block. Every attribute is optional and falls back to its environment
    /// variable.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct ProviderConfig {
        /// `ARM_TENANT_ID`.
        pub tenant_id: Attr<String>,
        /// `ARM_CLIENT_ID`.
        pub client_id: Attr<String>,
        /// `ARM_CLIENT_SECRET`.
        pub client_secret: Attr<String>,
        /// `ARM_CLIENT_SECRET_FILE_PATH`.
        pub client_secret_file_path: Attr<String>,
        /// `ARM_CLIENT_CERTIFICATE`.
        pub client_certificate: Attr<String>,
        /// `ARM_CLIENT_CERTIFICATE_PATH`.
        pub client_certificate_path: Attr<String>,
        /// `ARM_CLIENT_CERTIFICATE_PASSWORD`.
        pub client_certificate_password: Attr<String>,
        /// `ARM_USE_OIDC`.
        pub use_oidc: Attr<bool>,
        /// `ARM_USE_AKS_WORKLOAD_IDENTITY`.
        pub use_aks_workload_identity: Attr<bool>,
        /// `ARM_OIDC_TOKEN`.
        pub oidc_token: Attr<String>,
        /// `ARM_OIDC_TOKEN_FILE_PATH`.
        pub oidc_token_file_path: Attr<String>,
        /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
        pub oidc_request_url: Attr<String>,
        /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
        pub oidc_request_token: Attr<String>,
        /// `ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID`.
        pub ado_pipeline_service_connection_id: Attr<String>,
        /// `ARM_USE_MSI`.
        pub use_msi: Attr<bool>,
        /// `ARM_MSI_ENDPOINT`.
        pub msi_endpoint: Attr<String>,
        /// `ARM_USE_CLI`.
        pub use_cli: Attr<bool>,
        /// `ARM_ENVIRONMENT`.
        pub environment: Attr<String>,
        /// `ENTRA_GRAPH_ENDPOINT`.
        pub graph_endpoint: Attr<String>,
        /// `ENTRA_AUTHORITY_ENDPOINT`.
        pub authority_endpoint: Attr<String>,
    }
}

impl ProviderConfig {
    /// True when a setting that decides the connection is not known yet (it depends on
    /// another resource): configuration then waits until apply.
    pub fn has_unknowns(&self) -> bool {
        let strings = [
            &self.tenant_id,
            &self.client_id,
            &self.client_secret,
            &self.client_secret_file_path,
            &self.client_certificate,
            &self.client_certificate_path,
            &self.client_certificate_password,
            &self.oidc_token,
            &self.oidc_token_file_path,
            &self.oidc_request_url,
            &self.oidc_request_token,
            &self.ado_pipeline_service_connection_id,
            &self.msi_endpoint,
            &self.environment,
            &self.graph_endpoint,
            &self.authority_endpoint,
        ];
        let bools = [
            &self.use_oidc,
            &self.use_aks_workload_identity,
            &self.use_msi,
            &self.use_cli,
        ];
        strings.iter().any(|a| a.is_unknown()) || bools.iter().any(|a| a.is_unknown())
    }
}

/// Static checks for ValidateProviderConfig: formats and contradictions of the values in
/// the provider block (the environment is checked when configuring).
pub fn validate(config: &ProviderConfig, diags: &mut Diagnostics) {
    let no_env: Env<'_> = &|_| None;
    if let Setting::Set(name, _) = string(&config.environment, no_env, &[])
        && Cloud::parse(&name).is_none()
    {
        diags.attribute_error(
            AttributePath::attr("environment"),
            "Unknown Environment",
            format!("{name:?} is not a cloud this provider knows. Use global, usgovernmentl4, usgovernmentl5 or china (ARM_ENVIRONMENT)."),
        );
    }
    type Check = fn(&str) -> Result<url::Url, String>;
    let endpoints: [(&Attr<String>, &str, &str, Check); 3] = [
        (
            &config.graph_endpoint,
            "graph_endpoint",
            "ENTRA_GRAPH_ENDPOINT",
            cloud::check_endpoint,
        ),
        (
            &config.authority_endpoint,
            "authority_endpoint",
            "ENTRA_AUTHORITY_ENDPOINT",
            cloud::check_endpoint,
        ),
        (
            &config.msi_endpoint,
            "msi_endpoint",
            "ARM_MSI_ENDPOINT",
            cloud::check_msi_endpoint,
        ),
    ];
    for (configured, attribute, variable, check) in endpoints {
        if let Setting::Set(url, _) = string(configured, no_env, &[])
            && let Err(problem) = check(&url)
        {
            diags.attribute_error(
                AttributePath::attr(attribute),
                "Invalid Endpoint",
                format!("{attribute} ({variable}): {problem}."),
            );
        }
    }
    for (configured, attribute, variable) in [
        (&config.tenant_id, "tenant_id", "ARM_TENANT_ID"),
        (&config.client_id, "client_id", "ARM_CLIENT_ID"),
    ] {
        if let Setting::Set(value, _) = string(configured, no_env, &[])
            && Guid::parse(&value).is_none()
        {
            diags.attribute_error(
                AttributePath::attr(attribute),
                format!("Invalid {}", title(attribute)),
                format!("{attribute} ({variable}) must be a GUID such as 00000000-0000-0000-0000-000000000000, not {value:?}. Use the ID shown in the Entra admin center."),
            );
        }
    }
    if matches!(string(&config.client_certificate, no_env, &[]), Setting::Set(..))
        && matches!(string(&config.client_certificate_path, no_env, &[]), Setting::Set(..))
    {
        diags.attribute_error(
            AttributePath::attr("client_certificate_path"),
            "Conflicting Client Certificate Settings",
            "Set either client_certificate (ARM_CLIENT_CERTIFICATE) or client_certificate_path (ARM_CLIENT_CERTIFICATE_PATH), not both.",
        );
    }
    if matches!(string(&config.client_secret, no_env, &[]), Setting::Set(..))
        && matches!(string(&config.client_secret_file_path, no_env, &[]), Setting::Set(..))
    {
        diags.attribute_error(
            AttributePath::attr("client_secret_file_path"),
            "Conflicting Client Secret Settings",
            "Set either client_secret (ARM_CLIENT_SECRET) or client_secret_file_path (ARM_CLIENT_SECRET_FILE_PATH), not both.",
        );
    }
}

fn required(
    setting: Setting<String>,
    attribute: &str,
    variable: &str,
    why: &str,
    diags: &mut Diagnostics,
) -> Option<String> {
    match setting {
        Setting::Set(value, _) => Some(value),
        _ => {
            diags.attribute_error(
                AttributePath::attr(attribute),
                format!("Missing {}", title(attribute)),
                format!(
                    "{why} needs {attribute}. Set it in the provider block or in the {variable} environment variable."
                ),
            );
            None
        }
    }
}

/// True when the provider block leaves `attribute` (tenant_id or client_id) to the environment.
fn config_value_is_unset(config: &ProviderConfig, attribute: &str) -> bool {
    let configured = if attribute == "tenant_id" {
        &config.tenant_id
    } else {
        &config.client_id
    };
    configured.known().is_none_or(|v| v.is_empty())
}

fn title(attribute: &str) -> String {
    attribute
        .split('_')
        .map(|w| match w {
            "id" => "ID".to_owned(),
            "oidc" => "OIDC".to_owned(),
            w => w[..1].to_uppercase() + &w[1..],
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Resolves settings; `None` with diagnostics when they are incomplete or contradictory.
/// Call only when [`ProviderConfig::has_unknowns`] is false.
pub fn resolve(config: &ProviderConfig, env: Env<'_>, diags: &mut Diagnostics) -> Option<Settings> {
    validate(config, diags);
    // The configuration's values were checked by `validate`; these come from the environment.
    let from_environment = [
        (
            string(&Attr::Null, env, &["ARM_TENANT_ID"]),
            "tenant_id",
            "ARM_TENANT_ID",
        ),
        (
            string(&Attr::Null, env, &["ARM_CLIENT_ID"]),
            "client_id",
            "ARM_CLIENT_ID",
        ),
    ];
    for (setting, attribute, variable) in from_environment {
        if config_value_is_unset(config, attribute)
            && let Setting::Set(value, _) = setting
            && Guid::parse(&value).is_none()
        {
            diags.error(
                format!("Invalid {}", title(attribute)),
                format!("{variable} must be a GUID such as 00000000-0000-0000-0000-000000000000, not {value:?}. Use the ID shown in the Entra admin center."),
            );
        }
    }
    if let Setting::Set(url, _) = string(&config.msi_endpoint, env, &["ARM_MSI_ENDPOINT"])
        && let Err(problem) = cloud::check_msi_endpoint(&url)
    {
        diags.error(
            "Invalid Endpoint",
            format!("msi_endpoint (ARM_MSI_ENDPOINT): {problem}."),
        );
    }
    if diags.has_errors() {
        return None;
    }
    let cloud = match string(&config.environment, env, &["ARM_ENVIRONMENT"]) {
        Setting::Set(name, from_config) => match Cloud::parse(&name) {
            Some(cloud) => cloud,
            None => {
                diags.push(
                    crate::tfplugin::Diagnostic::error(
                        "Unknown Environment",
                        format!("{name:?} (ARM_ENVIRONMENT) is not a cloud this provider knows. Use global, usgovernmentl4, usgovernmentl5 or china."),
                    )
                    .at_if(from_config, AttributePath::attr("environment")),
                );
                return None;
            }
        },
        _ => Cloud::Global,
    };
    let endpoint = |configured: &Attr<String>,
                    attribute: &str,
                    variable: &str,
                    default: String,
                    diags: &mut Diagnostics|
     -> Option<url::Url> {
        let value = match string(configured, env, &[variable]) {
            Setting::Set(value, _) => value,
            _ => default,
        };
        match crate::graph::cloud::check_endpoint(&value) {
            Ok(url) => Some(url),
            Err(problem) => {
                diags.attribute_error(
                    AttributePath::attr(attribute),
                    "Invalid Endpoint",
                    format!("{attribute} ({variable}): {problem}."),
                );
                None
            }
        }
    };
    let graph_root = endpoint(
        &config.graph_endpoint,
        "graph_endpoint",
        "ENTRA_GRAPH_ENDPOINT",
        cloud.graph_host().to_owned(),
        diags,
    )?;
    let authority_url = endpoint(
        &config.authority_endpoint,
        "authority_endpoint",
        "ENTRA_AUTHORITY_ENDPOINT",
        cloud.authority_host().to_owned(),
        diags,
    )?;
    let graph_url = with_version(graph_root);

    // AKS workload identity: the pod's own variables fill in what ARM_* leaves out.
    let aks = matches!(
        boolean(
            &config.use_aks_workload_identity,
            env,
            "ARM_USE_AKS_WORKLOAD_IDENTITY",
            false
        ),
        Setting::Set(true, _)
    );
    let oidc = aks
        || matches!(
            boolean(&config.use_oidc, env, "ARM_USE_OIDC", false),
            Setting::Set(true, _)
        );
    let msi = matches!(
        boolean(&config.use_msi, env, "ARM_USE_MSI", false),
        Setting::Set(true, _)
    );
    let (tenant_variables, client_variables): (&[&str], &[&str]) = if aks {
        (
            &["ARM_TENANT_ID", "AZURE_TENANT_ID"],
            &["ARM_CLIENT_ID", "AZURE_CLIENT_ID"],
        )
    } else {
        (&["ARM_TENANT_ID"], &["ARM_CLIENT_ID"])
    };
    let tenant = || string(&config.tenant_id, env, tenant_variables);
    let client = || string(&config.client_id, env, client_variables);
    let certificate = string(&config.client_certificate, env, &["ARM_CLIENT_CERTIFICATE"]);
    let certificate_path = string(&config.client_certificate_path, env, &["ARM_CLIENT_CERTIFICATE_PATH"]);
    // The secret, and the attribute a token error points at when it came from the block.
    // The block wins over the environment; from the environment both at once must agree,
    // as azuread requires (both in the block is refused by `validate`).
    let (secret, secret_attribute) = match (
        string(&config.client_secret, env, &["ARM_CLIENT_SECRET"]),
        string(&config.client_secret_file_path, env, &["ARM_CLIENT_SECRET_FILE_PATH"]),
    ) {
        (Setting::Set(secret, true), _) => (Setting::Set(secret, true), "client_secret"),
        (direct, Setting::Set(path, from_config)) => {
            let from_file = secret_file(&path, from_config, diags)?;
            if let Setting::Set(secret, false) = &direct
                && !from_config
                && *secret != from_file
            {
                diags.error(
                    "Conflicting Client Secret Settings",
                    "ARM_CLIENT_SECRET and the file named by ARM_CLIENT_SECRET_FILE_PATH hold different secrets. Unset one of them.",
                );
                return None;
            }
            (Setting::Set(from_file, from_config), "client_secret_file_path")
        }
        (direct, _) => (direct, "client_secret"),
    };

    let (credential, credential_attribute) = if let Setting::Set(..) = certificate.or(&certificate_path) {
        let (data, attribute) = match (certificate, certificate_path) {
            (Setting::Set(inline, _), _) => match base64::engine::general_purpose::STANDARD.decode(inline.trim()) {
                Ok(bytes) => (bytes, "client_certificate"),
                Err(_) if inline.contains("-----BEGIN ") => (inline.into_bytes(), "client_certificate"),
                Err(_) => {
                    diags.attribute_error(
                        AttributePath::attr("client_certificate"),
                        "Invalid Client Certificate",
                        "client_certificate (ARM_CLIENT_CERTIFICATE) must be a base64-encoded PKCS#12 file or PEM text.",
                    );
                    return None;
                }
            },
            (_, Setting::Set(path, _)) => match std::fs::read(&path) {
                Ok(bytes) => (bytes, "client_certificate_path"),
                Err(e) => {
                    diags.attribute_error(
                        AttributePath::attr("client_certificate_path"),
                        "Unreadable Client Certificate",
                        format!(
                            "client_certificate_path (ARM_CLIENT_CERTIFICATE_PATH) {path:?} could not be read: {e}."
                        ),
                    );
                    return None;
                }
            },
            _ => unreachable!("one of them is set"),
        };
        let password = match string(
            &config.client_certificate_password,
            env,
            &["ARM_CLIENT_CERTIFICATE_PASSWORD"],
        ) {
            Setting::Set(p, _) => Some(p),
            _ => None,
        };
        let tenant_id = required(
            tenant(),
            "tenant_id",
            "ARM_TENANT_ID",
            "Authenticating with a client certificate",
            diags,
        );
        let client_id = required(
            client(),
            "client_id",
            "ARM_CLIENT_ID",
            "Authenticating with a client certificate",
            diags,
        );
        let certificate = match ClientCertificate::load(&data, password.as_deref()) {
            Ok(c) => Some(c),
            Err(problem) => {
                diags.attribute_error(
                    AttributePath::attr(attribute),
                    "Invalid Client Certificate",
                    format!("The client certificate could not be used: {problem}. Check {attribute} and client_certificate_password (ARM_CLIENT_CERTIFICATE_PASSWORD)."),
                );
                None
            }
        };
        (
            Credential::ClientCertificate {
                tenant_id: tenant_id?,
                client_id: client_id?,
                certificate: certificate?,
            },
            Some(attribute),
        )
    } else if let Setting::Set(secret, from_config) = secret {
        let tenant_id = required(
            tenant(),
            "tenant_id",
            "ARM_TENANT_ID",
            "Authenticating with a client secret",
            diags,
        );
        let client_id = required(
            client(),
            "client_id",
            "ARM_CLIENT_ID",
            "Authenticating with a client secret",
            diags,
        );
        (
            Credential::ClientSecret {
                tenant_id: tenant_id?,
                client_id: client_id?,
                secret: Secret::new(secret),
            },
            from_config.then_some(secret_attribute),
        )
    } else if oidc {
        let source = federated_source(config, env, diags)?;
        let tenant_id = required(
            tenant(),
            "tenant_id",
            "ARM_TENANT_ID",
            "Authenticating with OIDC",
            diags,
        );
        let client_id = required(
            client(),
            "client_id",
            "ARM_CLIENT_ID",
            "Authenticating with OIDC",
            diags,
        );
        (
            Credential::Federated {
                tenant_id: tenant_id?,
                client_id: client_id?,
                source,
            },
            None,
        )
    } else if msi {
        let endpoint = match string(&config.msi_endpoint, env, &["ARM_MSI_ENDPOINT"]) {
            Setting::Set(e, _) => Some(e),
            _ => None,
        };
        let client_id = match client() {
            Setting::Set(id, _) => Some(id),
            _ => None,
        };
        (Credential::ManagedIdentity { client_id, endpoint }, None)
    } else if let Setting::Set(true, _) = boolean(&config.use_cli, env, "ARM_USE_CLI", true) {
        let tenant_id = match tenant() {
            Setting::Set(id, _) => Some(id),
            _ => None,
        };
        (Credential::AzureCli { tenant_id }, None)
    } else {
        diags.error(
            "No Authentication Configured",
            "Set client_id with client_secret, a client certificate, or use_oidc; or use_msi; or leave use_cli on and run `az login` (or set the matching ARM_* environment variables).",
        );
        return None;
    };
    overlapping_switches(oidc, msi, &credential, diags);
    Some(Settings {
        cloud,
        graph_url,
        authority_url,
        credential,
        credential_attribute,
    })
}

/// A warning when a method was switched on explicitly (`use_oidc`, AKS workload identity,
/// `use_msi`) but a credential earlier in azuread's order is used instead: a client secret
/// left in the environment would otherwise win without a word.
fn overlapping_switches(oidc: bool, msi: bool, used: &Credential, diags: &mut Diagnostics) {
    let (used_name, rank) = match used {
        Credential::ClientCertificate { .. } => ("a client certificate", 0),
        Credential::ClientSecret { .. } => ("a client secret", 1),
        Credential::Federated { .. } => ("OIDC", 2),
        Credential::ManagedIdentity { .. } => ("a managed identity", 3),
        Credential::AzureCli { .. } => return,
    };
    let ignored: Vec<&str> = [
        (oidc && rank < 2, "use_oidc (ARM_USE_OIDC) or use_aks_workload_identity"),
        (msi && rank < 3, "use_msi (ARM_USE_MSI)"),
    ]
    .into_iter()
    .filter_map(|(ignored, name)| ignored.then_some(name))
    .collect();
    if !ignored.is_empty() {
        diags.warning(
            "Credential Settings Overlap",
            format!(
                "The provider authenticates with {used_name}; {} is also on and is ignored. Credentials are tried in azuread's order: client certificate, client secret, OIDC, managed identity, Azure CLI. Unset the settings (or ARM_* variables) you do not mean to use.",
                ignored.join(" and ")
            ),
        );
    }
}

/// The client secret in the file at `path`, surrounding whitespace removed.
fn secret_file(path: &str, from_config: bool, diags: &mut Diagnostics) -> Option<String> {
    let problem = match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => return Some(text.trim().to_owned()),
        Ok(_) => "is empty".to_owned(),
        Err(e) => format!("could not be read: {e}"),
    };
    diags.push(
        crate::tfplugin::Diagnostic::error(
            "Unreadable Client Secret",
            format!("client_secret_file_path (ARM_CLIENT_SECRET_FILE_PATH) {path:?} {problem}."),
        )
        .at_if(from_config, AttributePath::attr("client_secret_file_path")),
    );
    None
}

impl<T> Setting<T> {
    fn or<'a>(&'a self, other: &'a Setting<T>) -> &'a Setting<T> {
        match self {
            Setting::Set(..) => self,
            _ => other,
        }
    }
}

trait AtIf {
    fn at_if(self, condition: bool, path: AttributePath) -> Self;
}

impl AtIf for crate::tfplugin::Diagnostic {
    fn at_if(self, condition: bool, path: AttributePath) -> Self {
        if condition { self.at(path) } else { self }
    }
}

fn federated_source(config: &ProviderConfig, env: Env<'_>, diags: &mut Diagnostics) -> Option<FederatedSource> {
    if let Setting::Set(token, _) = string(&config.oidc_token, env, &["ARM_OIDC_TOKEN"]) {
        return Some(FederatedSource::Token(Secret::new(token)));
    }
    if let Setting::Set(path, from_config) = string(
        &config.oidc_token_file_path,
        env,
        &["ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"],
    ) {
        // Read now, so that a wrong path is one placed diagnostic rather than an
        // "Authentication Failed"; the file is read again for each token (it may rotate).
        let problem = match std::fs::read_to_string(&path) {
            Ok(token) if token.trim().is_empty() => Some("is empty".to_owned()),
            Ok(_) => None,
            Err(e) => Some(format!("could not be read: {e}")),
        };
        if let Some(problem) = problem {
            diags.push(
                crate::tfplugin::Diagnostic::error(
                    "Unreadable OIDC Token File",
                    format!("The OIDC token file {path:?} (oidc_token_file_path, ARM_OIDC_TOKEN_FILE_PATH or AZURE_FEDERATED_TOKEN_FILE) {problem}."),
                )
                .at_if(from_config, AttributePath::attr("oidc_token_file_path")),
            );
            return None;
        }
        return Some(FederatedSource::File(PathBuf::from(path)));
    }
    if let Setting::Set(connection, _) = string(
        &config.ado_pipeline_service_connection_id,
        env,
        &[
            "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
            "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID",
        ],
    ) {
        let url = string(&config.oidc_request_url, env, &["SYSTEM_OIDCREQUESTURI"]);
        let token = string(&config.oidc_request_token, env, &["SYSTEM_ACCESSTOKEN"]);
        return match (url, token) {
            (Setting::Set(url, _), Setting::Set(token, _)) => Some(FederatedSource::AzureDevOps {
                url,
                service_connection_id: connection,
                access_token: Secret::new(token),
            }),
            _ => {
                diags.attribute_error(
                    AttributePath::attr("ado_pipeline_service_connection_id"),
                    "Incomplete Azure DevOps OIDC Settings",
                    "An Azure DevOps service connection also needs SYSTEM_OIDCREQUESTURI and SYSTEM_ACCESSTOKEN (map System.AccessToken into the step's environment), or oidc_request_url and oidc_request_token.",
                );
                None
            }
        };
    }
    let url = string(
        &config.oidc_request_url,
        env,
        &["ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"],
    );
    let token = string(
        &config.oidc_request_token,
        env,
        &["ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
    );
    if let (Setting::Set(url, _), Setting::Set(token, _)) = (url, token) {
        return Some(FederatedSource::GitHub {
            url,
            request_token: Secret::new(token),
        });
    }
    diags.attribute_error(
        AttributePath::attr("use_oidc"),
        "Missing OIDC Token Source",
        "use_oidc (ARM_USE_OIDC) is on, but no OIDC token was found. Set oidc_token (ARM_OIDC_TOKEN) or oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH); in GitHub Actions grant `permissions: id-token: write` so that ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are set; in Azure DevOps set ado_pipeline_service_connection_id (ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID).",
    );
    None
}

/// The Graph version root: `/v1.0` is appended unless the URL already names a version.
fn with_version(mut root: url::Url) -> url::Url {
    let last = root
        .path_segments()
        .and_then(|mut s| s.next_back().map(str::to_owned))
        .unwrap_or_default();
    if last != "v1.0" && last != "beta" {
        root.path_segments_mut()
            .expect("http(s) URL")
            .pop_if_empty()
            .push("v1.0");
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::{FromValue, Severity, Value};
    use std::collections::HashMap;

    /// A provider block as Terraform would send it, decoded into the model.
    fn config(pairs: &[(&str, Value)]) -> ProviderConfig {
        let value = Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())));
        ProviderConfig::from_value(&value, &AttributePath::root()).expect("a provider block")
    }

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |k| map.get(k).cloned()
    }

    fn resolve_with(config: &ProviderConfig, vars: &[(&str, &str)]) -> (Option<Settings>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let e = env(vars);
        (resolve(config, &e, &mut diags), diags)
    }

    #[test]
    fn environment_variables_fill_in_and_secret_beats_oidc() {
        let (settings, diags) = resolve_with(
            &config(&[]),
            &[
                ("ARM_TENANT_ID", "11111111-1111-1111-1111-111111111111"),
                ("ARM_CLIENT_ID", "22222222-2222-2222-2222-222222222222"),
                ("ARM_CLIENT_SECRET", "s"),
                ("ARM_USE_OIDC", "true"),
                ("ARM_OIDC_TOKEN", "o"),
            ],
        );
        let said: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(said, ["Credential Settings Overlap"], "a warning, no error");
        let settings = settings.unwrap();
        assert!(
            matches!(settings.credential, Credential::ClientSecret { ref tenant_id, .. } if tenant_id == "11111111-1111-1111-1111-111111111111")
        );
        assert_eq!(settings.graph_url.as_str(), "https://graph.microsoft.com/v1.0");
        assert_eq!(
            settings.credential_attribute, None,
            "the secret came from the environment"
        );
    }

    #[test]
    fn the_secret_from_a_file_and_a_conflict_with_the_secret_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "from-a-file\n").unwrap();
        let ids = [
            ("ARM_TENANT_ID", "11111111-1111-1111-1111-111111111111"),
            ("ARM_CLIENT_ID", "22222222-2222-2222-2222-222222222222"),
        ];
        let c = config(&[("client_secret_file_path", Value::string(path.to_str().unwrap()))]);
        let (settings, diags) = resolve_with(&c, &ids);
        assert!(diags.is_empty(), "{diags:?}");
        let settings = settings.unwrap();
        assert!(
            matches!(settings.credential, Credential::ClientSecret { ref secret, .. } if secret.expose() == "from-a-file"),
            "the file's content, trimmed"
        );
        assert_eq!(settings.credential_attribute, Some("client_secret_file_path"));

        let (settings, diags) = resolve_with(
            &config(&[]),
            &[ids[0], ids[1], ("ARM_CLIENT_SECRET_FILE_PATH", "/nonexistent/secret")],
        );
        assert!(settings.is_none());
        let d = diags.iter().next().unwrap();
        assert_eq!(d.summary, "Unreadable Client Secret");
        assert!(d.detail.contains("/nonexistent/secret"), "{}", d.detail);

        // The block's file wins over ARM_CLIENT_SECRET; from the environment, both must agree.
        let (settings, _) = resolve_with(&c, &[ids[0], ids[1], ("ARM_CLIENT_SECRET", "stale")]);
        assert!(
            matches!(settings.unwrap().credential, Credential::ClientSecret { ref secret, .. } if secret.expose() == "from-a-file")
        );
        let file = path.to_str().unwrap();
        let (settings, diags) = resolve_with(
            &config(&[]),
            &[
                ids[0],
                ids[1],
                ("ARM_CLIENT_SECRET", "stale"),
                ("ARM_CLIENT_SECRET_FILE_PATH", file),
            ],
        );
        assert!(settings.is_none());
        let d = diags.iter().next().unwrap();
        assert_eq!(d.summary, "Conflicting Client Secret Settings");
        assert!(
            !d.detail.contains("stale") && !d.detail.contains("from-a-file"),
            "no secret in it"
        );
        let (settings, diags) = resolve_with(
            &config(&[]),
            &[
                ids[0],
                ids[1],
                ("ARM_CLIENT_SECRET", "from-a-file"),
                ("ARM_CLIENT_SECRET_FILE_PATH", file),
            ],
        );
        assert!(
            diags.is_empty() && settings.is_some(),
            "the same secret twice: {diags:?}"
        );

        let both = config(&[
            ("client_secret", Value::string("s")),
            ("client_secret_file_path", Value::string(path.to_str().unwrap())),
        ]);
        let mut diags = Diagnostics::new();
        validate(&both, &mut diags);
        let d = diags.iter().next().unwrap();
        assert_eq!(d.summary, "Conflicting Client Secret Settings");
        assert_eq!(d.path, Some(AttributePath::attr("client_secret_file_path")));
    }

    #[test]
    fn aks_workload_identity_takes_the_pods_variables() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("azure-identity-token");
        std::fs::write(&token, "a.jwt.token").unwrap();
        let pod = [
            ("ARM_USE_AKS_WORKLOAD_IDENTITY", "true"),
            ("AZURE_TENANT_ID", "11111111-1111-1111-1111-111111111111"),
            ("AZURE_CLIENT_ID", "22222222-2222-2222-2222-222222222222"),
            ("AZURE_FEDERATED_TOKEN_FILE", token.to_str().unwrap()),
        ];
        let (settings, diags) = resolve_with(&config(&[]), &pod);
        assert!(diags.is_empty(), "{diags:?}");
        match settings.unwrap().credential {
            Credential::Federated {
                tenant_id,
                client_id,
                source: FederatedSource::File(path),
            } => {
                assert_eq!(tenant_id, "11111111-1111-1111-1111-111111111111");
                assert_eq!(client_id, "22222222-2222-2222-2222-222222222222");
                assert_eq!(path, token);
            }
            other => panic!("{other:?}"),
        }
        // Without the switch, AZURE_CLIENT_ID is not read: azuread's behaviour.
        let (settings, _) = resolve_with(&config(&[("use_oidc", Value::Bool(true))]), &pod[1..]);
        assert!(settings.is_none(), "no client ID from ARM_CLIENT_ID");
    }

    #[test]
    fn a_method_switched_on_but_outranked_is_a_warning() {
        let ids = [
            ("ARM_TENANT_ID", "11111111-1111-1111-1111-111111111111"),
            ("ARM_CLIENT_ID", "22222222-2222-2222-2222-222222222222"),
            ("ARM_CLIENT_SECRET", "left-in-the-environment"),
        ];
        let (settings, diags) = resolve_with(&config(&[("use_oidc", Value::Bool(true))]), &ids);
        assert!(matches!(settings.unwrap().credential, Credential::ClientSecret { .. }));
        let d = diags.iter().next().expect("a warning");
        assert_eq!(
            (d.severity, d.summary.as_str()),
            (Severity::Warning, "Credential Settings Overlap")
        );
        assert!(d.detail.contains("a client secret; use_oidc"), "{}", d.detail);
        assert!(!d.detail.contains("left-in-the-environment"), "never the secret itself");
        // The secret alone, or the CLI default: nothing to say.
        let (_, diags) = resolve_with(&config(&[]), &ids);
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn configuration_wins_over_the_environment() {
        let c = config(&[
            ("tenant_id", Value::string("33333333-3333-3333-3333-333333333333")),
            ("client_id", Value::string("22222222-2222-2222-2222-222222222222")),
            ("client_secret", Value::string("s")),
        ]);
        let (settings, _) = resolve_with(&c, &[("ARM_TENANT_ID", "from-env")]);
        let settings = settings.unwrap();
        assert!(
            matches!(settings.credential, Credential::ClientSecret { ref tenant_id, .. } if tenant_id == "33333333-3333-3333-3333-333333333333")
        );
        assert_eq!(settings.credential_attribute, Some("client_secret"));
    }

    #[test]
    fn missing_tenant_is_one_diagnostic_naming_attribute_and_variable() {
        let (settings, diags) = resolve_with(
            &config(&[("client_secret", Value::string("s"))]),
            &[("ARM_CLIENT_ID", "22222222-2222-2222-2222-222222222222")],
        );
        assert!(settings.is_none());
        let all: Vec<_> = diags.iter().collect();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].summary, "Missing Tenant ID");
        assert!(all[0].detail.contains("tenant_id") && all[0].detail.contains("ARM_TENANT_ID"));
        assert_eq!(all[0].path, Some(AttributePath::attr("tenant_id")));
    }

    #[test]
    fn oidc_sources_and_their_absence() {
        let oidc = config(&[
            ("use_oidc", Value::Bool(true)),
            ("tenant_id", Value::string("11111111-1111-1111-1111-111111111111")),
            ("client_id", Value::string("22222222-2222-2222-2222-222222222222")),
        ]);
        let (settings, _) = resolve_with(
            &oidc,
            &[
                ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh/x?a=1"),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "rt"),
            ],
        );
        assert!(matches!(
            settings.unwrap().credential,
            Credential::Federated {
                source: FederatedSource::GitHub { .. },
                ..
            }
        ));
        let token_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(token_file.path(), "a-federated-token").unwrap();
        let path = token_file.path().to_str().unwrap();
        let (settings, _) = resolve_with(&oidc, &[("ARM_OIDC_TOKEN_FILE_PATH", path)]);
        assert!(matches!(
            settings.unwrap().credential,
            Credential::Federated {
                source: FederatedSource::File(_),
                ..
            }
        ));
        let (settings, _) = resolve_with(
            &oidc,
            &[
                ("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "sc"),
                ("SYSTEM_OIDCREQUESTURI", "https://ado/x"),
                ("SYSTEM_ACCESSTOKEN", "at"),
            ],
        );
        assert!(matches!(
            settings.unwrap().credential,
            Credential::Federated {
                source: FederatedSource::AzureDevOps { .. },
                ..
            }
        ));
        let (settings, diags) = resolve_with(&oidc, &[]);
        assert!(settings.is_none());
        assert_eq!(diags.iter().next().unwrap().summary, "Missing OIDC Token Source");
    }

    #[test]
    fn ids_must_be_guids_and_the_token_file_readable() {
        let summaries = |c: &ProviderConfig, vars: &[(&str, &str)]| {
            let (_, diags) = resolve_with(c, vars);
            diags
                .iter()
                .map(|d| (d.summary.clone(), d.path.clone()))
                .collect::<Vec<_>>()
        };
        let bad_config = config(&[
            ("tenant_id", Value::string("contoso")),
            ("client_secret", Value::string("s")),
        ]);
        assert_eq!(
            summaries(&bad_config, &[]),
            [("Invalid Tenant ID".to_owned(), Some(AttributePath::attr("tenant_id")))]
        );
        let from_env = summaries(&config(&[]), &[("ARM_CLIENT_ID", "app"), ("ARM_CLIENT_SECRET", "s")]);
        assert_eq!(
            from_env,
            [("Invalid Client ID".to_owned(), None)],
            "the variable is named, nothing placed"
        );
        let missing_file = config(&[
            ("use_oidc", Value::Bool(true)),
            ("oidc_token_file_path", Value::string("/nonexistent/token")),
            ("tenant_id", Value::string(TENANT)),
            ("client_id", Value::string(TENANT)),
        ]);
        assert_eq!(
            summaries(&missing_file, &[]),
            [(
                "Unreadable OIDC Token File".to_owned(),
                Some(AttributePath::attr("oidc_token_file_path"))
            )]
        );
    }

    const TENANT: &str = "44444444-4444-4444-4444-444444444444";

    #[test]
    fn msi_then_cli_then_nothing() {
        let (settings, _) = resolve_with(&config(&[("use_msi", Value::Bool(true))]), &[]);
        assert!(matches!(
            settings.unwrap().credential,
            Credential::ManagedIdentity { .. }
        ));
        let (settings, _) = resolve_with(&config(&[]), &[]);
        assert!(
            matches!(settings.unwrap().credential, Credential::AzureCli { .. }),
            "use_cli is on by default"
        );
        let (settings, diags) = resolve_with(&config(&[("use_cli", Value::Bool(false))]), &[]);
        assert!(settings.is_none());
        assert_eq!(diags.iter().next().unwrap().summary, "No Authentication Configured");
    }

    #[test]
    fn endpoints_clouds_and_contradictions() {
        let c = config(&[
            ("environment", Value::string("usgovernmentl4")),
            ("use_cli", Value::Bool(true)),
        ]);
        let settings = resolve_with(&c, &[]).0.unwrap();
        assert_eq!(settings.graph_url.as_str(), "https://graph.microsoft.us/v1.0");
        assert_eq!(settings.authority_url.as_str(), "https://login.microsoftonline.us/");
        let c = config(&[("graph_endpoint", Value::string("http://127.0.0.1:9/v1.0"))]);
        assert_eq!(
            resolve_with(&c, &[]).0.unwrap().graph_url.as_str(),
            "http://127.0.0.1:9/v1.0"
        );
        let c = config(&[("graph_endpoint", Value::string("http://graph.example.com"))]);
        let (_, diags) = resolve_with(&c, &[]);
        assert_eq!(
            diags.iter().next().unwrap().path,
            Some(AttributePath::attr("graph_endpoint"))
        );
        let c = config(&[
            ("client_certificate", Value::string("x")),
            ("client_certificate_path", Value::string("y")),
        ]);
        let (_, diags) = resolve_with(&c, &[]);
        assert_eq!(
            diags.iter().next().unwrap().summary,
            "Conflicting Client Certificate Settings"
        );
        let (_, diags) = resolve_with(&config(&[]), &[("ARM_ENVIRONMENT", "mars")]);
        let d = diags.iter().next().unwrap();
        assert!(
            d.summary == "Unknown Environment" && d.path.is_none(),
            "from the environment: no attribute path"
        );
        assert!(ProviderConfig::has_unknowns(&config(&[(
            "tenant_id",
            Value::unknown()
        )])));
    }
}

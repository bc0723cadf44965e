//! The `entra` provider: its configuration block and the types it offers.
//!
//! Attribute names and environment variables follow the azuread/azurerm conventions so
//! that existing pipelines work unchanged (see [`settings`]).

pub mod settings;

use std::sync::Arc;

use async_trait::async_trait;

use crate::graph::{GraphClient, GraphError, TokenSource};
use crate::licensing::Tenant;
use crate::tfplugin::{
    ActionHandler, Attribute, AttributePath, ConfigureRequest, Context, DataSourceHandler, Diagnostic, Diagnostics,
    ListResourceHandler, Provider, ResourceHandler, Schema,
};
use settings::ProviderConfig;

/// The provider's type name: resources are `entra_*`.
pub const TYPE_NAME: &str = "entra";

/// The `entra` provider.
#[derive(Debug, Default)]
pub struct EntraProvider;

fn optional_string(name: &str, description: &str) -> Attribute {
    Attribute::string(name).optional().description(description)
}

fn optional_bool(name: &str, description: &str) -> Attribute {
    Attribute::bool(name).optional().description(description)
}

/// The provider block's schema. Every attribute is optional: each has an environment
/// variable, as in azuread, so pipelines can configure the provider without HCL.
pub fn provider_schema() -> Schema {
    Schema::new(
        "Manages Microsoft Entra ID group-based licensing through Microsoft Graph.",
        vec![
            optional_string("tenant_id", "The Entra tenant (directory) ID. Environment variable: `ARM_TENANT_ID`."),
            optional_string("client_id", "The application (client) ID of the service principal. Environment variable: `ARM_CLIENT_ID`."),
            optional_string("client_secret", "A client secret of the application. Environment variable: `ARM_CLIENT_SECRET`.").sensitive(),
            optional_string(
                "client_secret_file_path",
                "Path to a file holding the client secret (surrounding whitespace ignored), instead of `client_secret`. Environment variable: `ARM_CLIENT_SECRET_FILE_PATH`.",
            ),
            optional_string(
                "client_certificate",
                "A base64-encoded PKCS#12 or PEM client certificate with its private key. Environment variable: `ARM_CLIENT_CERTIFICATE`.",
            )
            .sensitive(),
            optional_string(
                "client_certificate_path",
                "Path to a PKCS#12 or PEM client certificate with its private key. Environment variable: `ARM_CLIENT_CERTIFICATE_PATH`.",
            ),
            optional_string(
                "client_certificate_password",
                "The password of the client certificate, if it has one. Environment variable: `ARM_CLIENT_CERTIFICATE_PASSWORD`.",
            )
            .sensitive(),
            optional_bool("use_oidc", "Authenticate with workload identity federation (OIDC). Environment variable: `ARM_USE_OIDC`."),
            optional_bool(
                "use_aks_workload_identity",
                "Authenticate with AKS workload identity: OIDC with the token file, client ID and tenant ID the pod's environment provides (`AZURE_FEDERATED_TOKEN_FILE`, `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`) unless set here. Environment variable: `ARM_USE_AKS_WORKLOAD_IDENTITY`.",
            ),
            optional_string("oidc_token", "An OIDC token to exchange for a Graph token. Environment variable: `ARM_OIDC_TOKEN`.").sensitive(),
            optional_string(
                "oidc_token_file_path",
                "Path to a file holding an OIDC token. Environment variable: `ARM_OIDC_TOKEN_FILE_PATH`.",
            ),
            optional_string(
                "oidc_request_url",
                "The URL to request an OIDC token from (GitHub Actions). Environment variable: `ACTIONS_ID_TOKEN_REQUEST_URL`.",
            ),
            optional_string(
                "oidc_request_token",
                "The bearer token for `oidc_request_url`. Environment variable: `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.",
            )
            .sensitive(),
            optional_string(
                "ado_pipeline_service_connection_id",
                "The Azure DevOps service connection ID to request an OIDC token for. Environment variable: `ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID`.",
            ),
            optional_bool("use_msi", "Authenticate with a managed identity. Environment variable: `ARM_USE_MSI`."),
            optional_string("msi_endpoint", "A custom managed identity endpoint. Environment variable: `ARM_MSI_ENDPOINT`."),
            optional_bool("use_cli", "Authenticate with the Azure CLI's login (default `true`). Environment variable: `ARM_USE_CLI`."),
            optional_string(
                "environment",
                "The cloud: `global` (default), `usgovernmentl4`, `usgovernmentl5` or `china`. Environment variable: `ARM_ENVIRONMENT`.",
            ),
            optional_string(
                "graph_endpoint",
                "Overrides the Microsoft Graph base URL (for example the local emulator). Plain `http://` is accepted only for loopback hosts. Environment variable: `ENTRA_GRAPH_ENDPOINT`.",
            ),
            optional_string(
                "authority_endpoint",
                "Overrides the login (token) authority URL. Plain `http://` is accepted only for loopback hosts. Environment variable: `ENTRA_AUTHORITY_ENDPOINT`.",
            ),
        ],
    )
}

#[async_trait]
impl Provider for EntraProvider {
    type Data = Tenant;
    type Config = ProviderConfig;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        provider_schema()
    }

    async fn validate(&self, _ctx: &Context, config: &ProviderConfig, diags: &mut Diagnostics) {
        settings::validate(config, diags);
    }

    /// Resolves the settings, builds the Graph client and gets a first token, so that a
    /// wrong credential is one diagnostic here rather than one per resource. While a
    /// setting is unknown (it depends on another resource), configuration waits.
    async fn configure(
        &self,
        ctx: &Context,
        request: ConfigureRequest<ProviderConfig>,
        diags: &mut Diagnostics,
    ) -> Option<Tenant> {
        if request.config.has_unknowns() {
            tracing::debug!("Provider configuration has unknown values; configuring later");
            return None;
        }
        let environment = |name: &str| std::env::var(name).ok();
        let resolved = settings::resolve(&request.config, &environment, diags)?;
        tracing::debug!(credential = resolved.credential.kind(), cloud = %resolved.cloud, graph = %resolved.graph_url, "Configuring the provider");
        let http = crate::graph::http_client();
        let scope = resolved.cloud.graph_scope();
        let tokens = TokenSource::new(
            resolved.credential,
            resolved.authority_url,
            resolved.cloud,
            scope,
            http.clone(),
        );
        let graph = GraphClient::new(http, resolved.graph_url, tokens, &request.terraform_version);
        let first_token = tokio::select! {
            token = graph.tokens().token() => token,
            () = ctx.cancel.cancelled() => Err(GraphError::Cancelled),
        };
        if let Err(error) = first_token {
            let diagnostic = Diagnostic::error("Authentication Failed", error.to_string());
            diags.push(match resolved.credential_attribute {
                Some(attribute) => diagnostic.at(AttributePath::attr(attribute)),
                None => diagnostic,
            });
            return None;
        }
        Some(Tenant::new(graph))
    }

    fn resources(&self) -> Vec<Arc<dyn ResourceHandler<Tenant>>> {
        vec![
            Arc::new(crate::resources::group_license_assignment::GroupLicenseAssignment),
            Arc::new(crate::resources::user_license_reprocess::UserLicenseReprocess),
            Arc::new(crate::resources::user_license_assignment::UserLicenseAssignment),
            Arc::new(crate::resources::redundant_direct_license_removal::RedundantDirectLicenseRemoval),
        ]
    }

    fn actions(&self) -> Vec<Arc<dyn ActionHandler<Tenant>>> {
        vec![
            Arc::new(crate::actions::user_license_reprocess::UserLicenseReprocessAction),
            Arc::new(crate::actions::redundant_direct_license_removal::RedundantDirectLicenseRemovalAction),
        ]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResourceHandler<Tenant>>> {
        vec![Arc::new(
            crate::resources::group_license_assignment_list::GroupLicenseAssignmentList,
        )]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSourceHandler<Tenant>>> {
        vec![
            Arc::new(crate::data_sources::subscribed_skus::SubscribedSkus),
            Arc::new(crate::data_sources::group_licenses::GroupLicenses),
            Arc::new(crate::data_sources::group::GroupByName),
            Arc::new(crate::data_sources::user_licenses::UserLicenses),
            Arc::new(crate::data_sources::licensed_groups::LicensedGroups),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_is_its_schema() {
        use crate::tfplugin::{Provider, TfType};
        let provider = EntraProvider;
        assert_eq!(
            ProviderConfig::tf_type(),
            provider_schema().implied_type().without_optional_markers()
        );
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), r.model_type(), r.schema()));
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), d.model_type(), d.schema()));
        let actions = provider
            .actions()
            .into_iter()
            .map(|a| (a.type_name(), a.model_type(), a.schema()));
        let lists = provider
            .list_resources()
            .into_iter()
            .map(|l| (l.type_name(), l.model_type(), l.schema()));
        let all: Vec<_> = resources.chain(data_sources).chain(actions).chain(lists).collect();
        assert_eq!(all.len(), 12);
        for (name, model, schema) in all {
            assert_eq!(model, schema.implied_type().without_optional_markers(), "{name}");
        }
    }

    #[test]
    fn every_attribute_is_optional_and_described() {
        let schema = provider_schema();
        for attribute in &schema.block.attributes {
            assert!(attribute.optional && !attribute.required, "{}", attribute.name);
            assert!(!attribute.description.is_empty(), "{}", attribute.name);
        }
        let secret = schema.block.attribute("client_secret").unwrap();
        assert!(secret.sensitive);
    }
}

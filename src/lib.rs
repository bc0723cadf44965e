//! terraform-provider-entra: a Terraform provider for Microsoft Entra ID group-based
//! licensing, written in Rust, speaking plugin protocol 6.
//!
//! Layers, which never leak into each other:
//! - [`tfplugin`]: the plugin protocol (handshake, mTLS, values, framework); knows nothing
//!   about Microsoft Graph;
//! - [`graph`]: the Graph client, authentication, retries, typed endpoints; knows nothing
//!   about Terraform;
//! - the product: the licensing core ([`licensing`], free of Terraform types), then
//!   [`resources`], [`data_sources`] and [`actions`] over it, with [`diagnostics`] and
//!   [`user_targets`] shared between them, and [`provider`] listing them all.
//!
//! [`serve`] is what `main` runs; tests build the same provider with
//! [`provider::EntraProvider`] and serve it in-process through
//! [`tfplugin::handshake::router`].

pub mod actions;
pub mod data_sources;
pub mod diagnostics;
pub mod docs;
pub mod graph;
pub mod licensing;
pub mod provider;
pub mod resources;
pub mod tfplugin;
pub mod user_targets;

/// The provider's source address, used for reattach (`--debug`) and in examples'
/// `required_providers`.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/entra/entra";

/// The provider's version, as Terraform and the User-Agent report it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Serves the provider as a Terraform plugin (or, with `debug`, for reattach).
pub async fn serve(debug: bool) -> Result<(), tfplugin::handshake::ServeError> {
    let options = tfplugin::handshake::ServeOptions {
        debug,
        provider_address: PROVIDER_ADDRESS.to_owned(),
    };
    tfplugin::handshake::serve(provider::EntraProvider, options).await
}

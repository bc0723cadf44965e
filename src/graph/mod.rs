//! Microsoft Graph: authentication, the client, retries, errors and typed endpoints.
//!
//! Knows nothing about Terraform: the product (provider, resources) uses it and turns its
//! errors into diagnostics.

pub mod auth;
pub mod client;
pub mod cloud;
pub mod endpoints;
pub mod error;
pub mod models;
pub mod retry;

pub use auth::{ClientCertificate, Credential, FederatedSource, Secret, TokenSource};
pub use client::{GraphClient, http_client};
pub use cloud::Cloud;
pub use error::GraphError;
pub use retry::RetryPolicy;

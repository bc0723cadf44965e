//! The integration tests, compiled into one binary.
//!
//! - `protocol_*`: a gRPC client playing Terraform against the provider, in process or
//!   through the built binary's real handshake;
//! - `e2e_*`: the real `terraform` CLI launching the built provider.

mod support;

mod docs;
mod e2e_group_license;
mod e2e_reprocess;
mod e2e_terraform;
mod graph_client;
mod protocol_framework;
mod protocol_handshake;

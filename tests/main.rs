//! The integration tests, compiled into one binary.
//!
//! - `protocol_*`: a gRPC client playing Terraform against the provider, in process or
//!   through the built binary's real handshake;
//! - `provider_in_process`: the real provider served in process, driven over gRPC through
//!   a resource's whole lifecycle against the in-process Graph emulator (no terraform);
//! - `e2e_*`: the real `terraform` CLI launching the built provider.

mod support;

mod docs;
mod e2e_group_license;
mod e2e_reprocess;
mod e2e_terraform;
mod graph_client;
mod protocol_framework;
mod protocol_handshake;
mod provider_in_process;

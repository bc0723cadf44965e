//! The integration tests, compiled into one binary.
//!
//! - `protocol_*`: a gRPC client playing Terraform against the provider, in process or
//!   through the built binary's real handshake;
//! - `provider_in_process`: the real provider served in process, driven over gRPC through
//!   a resource's whole lifecycle against the in-process Graph emulator (no terraform);
//! - `e2e_*`: the real `terraform` CLI launching the built provider; `e2e_bad_input` is the
//!   table of bad configurations, each with its one diagnostic on the attribute at fault;
//! - `fuzz_corpus`: every kept fuzz input (`fuzz/corpus/`) replayed through the fuzz
//!   entry points (`src/fuzzing.rs`), no fuzzer needed.

mod support;

mod docs;
mod e2e_adoption;
mod e2e_bad_input;
mod e2e_examples;
mod e2e_group_license;
mod e2e_migration;
mod e2e_moved_from_azuread;
mod e2e_real_graph;
mod e2e_reprocess;
mod e2e_terraform;
mod e2e_try;
mod e2e_user_license;
mod fuzz_corpus;
mod graph_client;
mod packaging;
mod protocol_framework;
mod protocol_handshake;
mod provider_in_process;
mod redundancy;

//! The licensing core: Entra's licensing rules as plain Rust, free of Terraform types.
//!
//! Resources, data sources and actions are thin over this: they decode their models, ask
//! the core, and turn its answers into state and diagnostics (see `crate::diagnostics`).
//! Keeping the rules here means the plan and the apply decide with the same function, and
//! a new resource reuses them rather than copying them.
//!
//! - [`guid`]: object, SKU and plan IDs, parsed once;
//! - [`tenant`]: the configured Graph client, the SKU cache and per-group write locks;
//! - [`catalog`]: resolving SKU and plan names, naming IDs back;
//! - [`change`]: the one `assignLicense` body, and whether anything is sent at all;
//! - [`continuity`]: the service plans a change takes away from members;
//! - [`eligibility`]: which groups can hold licences;
//! - [`processing`]: waiting for group processing, member licence errors;
//! - [`reprocess`]: reprocessing users;
//! - [`review`]: what a plan tells about a change before it is applied;
//! - [`seats`]: the seat forecast.

pub mod catalog;
pub mod change;
pub mod continuity;
pub mod direct;
pub mod eligibility;
pub mod guid;
pub mod processing;
pub mod redundancy;
pub mod reprocess;
pub mod review;
pub mod seats;
pub mod tenant;

pub use guid::Guid;
pub use tenant::Tenant;

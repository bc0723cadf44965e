//! Actions (Terraform 1.14+), one file each.

pub mod redundant_direct_license_removal;
pub mod user_license_reprocess;

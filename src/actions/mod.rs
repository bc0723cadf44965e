//! Actions (Terraform 1.14+), one file each.

pub mod user_license_reprocess;

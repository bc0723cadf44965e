//! Managed resources, one file each.

pub mod group_license_assignment;
pub mod group_license_assignment_list;
pub mod license_map;
pub mod redundant_direct_license_removal;
pub mod user_license_assignment;
pub mod user_license_reprocess;

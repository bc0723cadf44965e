//! Data sources, one file each.

pub mod group;
pub mod group_licenses;
pub mod licensed_groups;
pub mod subscribed_skus;
pub mod user_licenses;

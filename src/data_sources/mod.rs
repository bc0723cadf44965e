//! Data sources, one file each.

pub mod subscribed_skus;

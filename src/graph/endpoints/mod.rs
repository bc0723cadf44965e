//! Typed Graph calls, one file per area. Each documents its verb, path and the least
//! privileged application permission it needs (named in 403 diagnostics).

pub mod groups;
pub mod subscribed_skus;
pub mod users;

//! The realism knobs: latency, licence processing delays, throttling and injected faults
//! (including lost responses: a write applied whose answer never reaches the client),
//! every one off by default. Plain settings only: `faults` applies them to requests. Kept
//! apart so that the shared state, the admin API and the crate's users can hold and change
//! them without depending on the pipeline.

use serde::{Deserialize, Serialize};

/// Latency, throttling and fault knobs; every one is off by default.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Realism {
    /// Added to every Graph response.
    pub latency_ms: u64,
    /// Plus a random share of this.
    pub jitter_ms: u64,
    /// Group licence processing: this long queued, this long in progress. 0: at once.
    pub processing_delay_ms: u64,
    /// After a group licence change, reads show the old licences this long.
    pub read_after_write_ms: u64,
    /// Token bucket per application and tenant.
    pub throttle: Option<Throttle>,
    /// Share of Graph requests answered with one of `error_statuses`.
    pub error_rate: f64,
    /// Statuses for `error_rate`.
    pub error_statuses: Vec<u16>,
    /// Share of Graph requests whose connection is cut before the body.
    pub reset_rate: f64,
    /// The next this-many Graph requests are answered 429.
    pub storm: u32,
    /// The next this-many Graph requests (after any storm) are answered `fail_next_status`.
    pub fail_next: u32,
    /// Status for `fail_next`.
    pub fail_next_status: u16,
    /// `Retry-After` of storm responses, seconds.
    pub storm_retry_after_s: f64,
    /// Access token lifetime, seconds.
    pub token_lifetime_s: u64,
    /// Reject removing a SKU the group does not have ("Group does not have a corresponding license.").
    pub strict_remove: bool,
    /// The next this-many Graph writes that succeed are applied, then their answer is lost:
    /// the client gets `lost_response_status` (or a cut connection) instead.
    pub lose_response_after_write: u32,
    /// Share of successful Graph writes whose answer is lost the same way.
    pub lose_response_rate: f64,
    /// Status answered instead of a lost response.
    pub lost_response_status: u16,
    /// Cut the connection instead of answering `lost_response_status`.
    pub lost_response_reset: bool,
    /// The next this-many reads of one group or user by ID answer 404, as a replica that
    /// has not caught up with the object does, while the object exists.
    pub lagging_reads: u32,
}

impl Default for Realism {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            jitter_ms: 0,
            processing_delay_ms: 0,
            read_after_write_ms: 0,
            throttle: None,
            error_rate: 0.0,
            error_statuses: vec![500, 503, 504],
            reset_rate: 0.0,
            storm: 0,
            fail_next: 0,
            fail_next_status: 503,
            storm_retry_after_s: 1.0,
            token_lifetime_s: 3599,
            strict_remove: false,
            lose_response_after_write: 0,
            lose_response_rate: 0.0,
            lost_response_status: 500,
            lost_response_reset: false,
            lagging_reads: 0,
        }
    }
}

/// Graph's throttling: a token bucket of resource units.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Throttle {
    /// Resource units added per second.
    pub rate_per_second: f64,
    /// Bucket size.
    pub burst: f64,
    /// How `Retry-After` is written.
    pub retry_after: RetryAfterStyle,
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            rate_per_second: 100.0,
            burst: 100.0,
            retry_after: RetryAfterStyle::Integer,
        }
    }
}

/// `Retry-After` as Graph sends it: whole seconds, fractional seconds, or not at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RetryAfterStyle {
    /// `Retry-After: 3`.
    #[default]
    Integer,
    /// `Retry-After: 2.128`.
    Fractional,
    /// No header: clients must back off on their own.
    Absent,
    /// Each of the above in turn.
    Mixed,
}

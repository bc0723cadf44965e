//! When to retry a Graph call, and how long to wait.
//!
//! Retried: 429 (throttled), 503 and 504 (the service said so), 408, and connection
//! failures. Not retried: other 4xx (the request itself is wrong) and 500 (Graph's own
//! advice is not to retry unknown server errors blindly; a write may have happened).
//! The wait is `Retry-After` when Graph sends it (seconds, fractional seconds, or an HTTP
//! date), otherwise capped exponential backoff with jitter; and all waits together stay
//! within a bound, after which the caller gets the last error.
//!
//! Why retrying `assignLicense` is safe: its body is the full desired change for the SKUs
//! it names (`addLicenses` carries each SKU's complete disabled-plan list, and
//! `removeLicenses` removes SKUs), so applying it twice leaves the group exactly as
//! applying it once. A retry after a 429/503/504 or a lost connection can therefore not
//! double-apply anything.

use std::time::Duration;

/// Retry settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// First backoff.
    pub base_delay: Duration,
    /// Largest single wait.
    pub max_delay: Duration,
    /// Largest total time spent waiting for one call.
    pub max_total: Duration,
    /// Most attempts for one call (the first included).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_total: Duration::from_secs(300),
            max_attempts: 10,
        }
    }
}

/// What went wrong with an attempt, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// An HTTP status and the response's `Retry-After`, if any.
    Status(u16, Option<&'a str>),
    /// The connection failed or timed out before a response.
    Transport,
}

impl RetryPolicy {
    /// Whether this outcome is worth another attempt.
    pub fn is_retryable(outcome: Outcome<'_>) -> bool {
        match outcome {
            Outcome::Status(status, _) => matches!(status, 408 | 429 | 503 | 504),
            Outcome::Transport => true,
        }
    }

    /// How long to wait before attempt `attempt + 1` (attempts count from 1), given what
    /// has been waited so far; `None` means give up. `jitter` is a sample in [0, 1).
    pub fn delay(&self, outcome: Outcome<'_>, attempt: u32, waited: Duration, jitter: f64) -> Option<Duration> {
        if !Self::is_retryable(outcome) || attempt >= self.max_attempts {
            return None;
        }
        let advised = match outcome {
            Outcome::Status(_, Some(header)) => parse_retry_after(header, std::time::SystemTime::now()),
            _ => None,
        };
        let delay = advised.unwrap_or_else(|| {
            let exponential = self.base_delay.saturating_mul(1 << (attempt - 1).min(16));
            let capped = exponential.min(self.max_delay);
            // Full jitter on the upper half, so concurrent callers spread out.
            capped.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
        });
        (waited + delay <= self.max_total).then_some(delay)
    }
}

/// Parses `Retry-After`: whole or fractional seconds, or an HTTP date.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for status in [408, 429, 503, 504] {
            assert!(RetryPolicy::is_retryable(Outcome::Status(status, None)), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 500, 502] {
            assert!(!RetryPolicy::is_retryable(Outcome::Status(status, None)), "{status}");
        }
        assert!(RetryPolicy::is_retryable(Outcome::Transport));
    }

    #[test]
    fn retry_after_forms() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("2.128", now), Some(Duration::from_millis(2128)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sat, 01 Jan 2000 00:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past: at once"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn retry_after_wins_over_backoff() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(Outcome::Status(429, Some("1.5")), 1, Duration::ZERO, 0.9),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(800),
            ..Default::default()
        };
        let delay = |attempt, jitter| {
            policy
                .delay(Outcome::Status(503, None), attempt, Duration::ZERO, jitter)
                .unwrap()
        };
        assert_eq!(delay(1, 1.0), Duration::from_millis(100));
        assert_eq!(delay(2, 1.0), Duration::from_millis(200));
        assert_eq!(delay(3, 0.0), Duration::from_millis(200), "jitter takes up to half off");
        assert_eq!(delay(6, 1.0), Duration::from_millis(800), "capped");
    }

    #[test]
    fn gives_up_after_the_bounds() {
        let policy = RetryPolicy {
            max_attempts: 3,
            max_total: Duration::from_secs(10),
            ..Default::default()
        };
        assert!(policy.delay(Outcome::Transport, 2, Duration::ZERO, 0.5).is_some());
        assert_eq!(
            policy.delay(Outcome::Transport, 3, Duration::ZERO, 0.5),
            None,
            "attempts"
        );
        assert_eq!(
            policy.delay(Outcome::Status(429, Some("5")), 1, Duration::from_secs(6), 0.5),
            None,
            "total time"
        );
        assert_eq!(
            policy.delay(Outcome::Status(400, None), 1, Duration::ZERO, 0.5),
            None,
            "not retryable"
        );
    }
}

//! When to retry a Graph call, and how long to wait.
//!
//! Retries go by what is safe, not by status alone:
//!
//! | outcome | repeatable request | other request |
//! |---|---|---|
//! | 408, 429, 503 (Graph did not carry the request out) | retry | retry |
//! | 500, 502, 504, connection reset or timeout (it may have) | retry | give up |
//! | 400, 401, 403, 404, 409 and other 4xx (the request is wrong) | give up | give up |
//!
//! A request is repeatable when sending it twice leaves Graph as sending it once: every
//! GET, and the two actions this provider posts (see [`is_repeatable`]). Giving up on a 500
//! of a repeatable request would turn one flaky answer into a failed apply, and in a fault
//! storm into hundreds; retrying it cannot double-apply anything.
//!
//! Why `assignLicense` is repeatable: its body is the full desired change for the SKUs it
//! names (`addLicenses` carries each SKU's complete disabled-plan list, `removeLicenses`
//! removes SKUs), so applying it twice leaves the group exactly as applying it once, even
//! when the first answer was lost after Graph applied it. `reprocessLicenseAssignment`
//! re-evaluates a user's licences from their current sources; doing it twice is doing it.
//!
//! The wait is `Retry-After` when Graph sends it (seconds, fractional seconds, or an HTTP
//! date), otherwise capped exponential backoff with jitter; and all waits together stay
//! within a bound, after which the caller gets the last error.

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

/// Whether sending a request twice has the same effect as sending it once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeatable {
    /// Safe to send again after an answer that may hide a completed request.
    Yes,
    /// Sent again only when Graph says it did not carry it out.
    No,
}

/// The POST actions that are repeatable (see the module docs).
const REPEATABLE_ACTIONS: [&str; 2] = ["/assignLicense", "/reprocessLicenseAssignment"];

/// Whether `method` on `path` is repeatable: reads, and the actions this provider posts.
pub fn is_repeatable(method: &str, path: &str) -> Repeatable {
    let path = path.split('?').next().unwrap_or_default();
    let repeatable = matches!(method, "GET" | "HEAD" | "PUT" | "DELETE")
        || (method == "POST" && REPEATABLE_ACTIONS.iter().any(|action| path.ends_with(action)));
    if repeatable { Repeatable::Yes } else { Repeatable::No }
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
    /// Whether this outcome of this request is worth another attempt (the table above).
    pub fn is_retryable(repeatable: Repeatable, outcome: Outcome<'_>) -> bool {
        match outcome {
            Outcome::Status(408 | 429 | 503, _) => true,
            Outcome::Status(500 | 502 | 504, _) | Outcome::Transport => repeatable == Repeatable::Yes,
            Outcome::Status(..) => false,
        }
    }

    /// How long to wait before attempt `attempt + 1` (attempts count from 1), given what
    /// has been waited so far; `None` means give up. `jitter` is a sample in [0, 1).
    pub fn delay(
        &self,
        repeatable: Repeatable,
        outcome: Outcome<'_>,
        attempt: u32,
        waited: Duration,
        jitter: f64,
    ) -> Option<Duration> {
        if !Self::is_retryable(repeatable, outcome) || attempt >= self.max_attempts {
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
        // A finite number too large for a Duration (1e20 seconds) is as useless as garbage.
        return (seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).ok())
            .flatten();
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_by_status_and_method() {
        use Repeatable::{No, Yes};
        // (outcome, repeatable request retried, other request retried)
        let table = [
            (Outcome::Status(408, None), true, true),
            (Outcome::Status(429, Some("1")), true, true),
            (Outcome::Status(503, None), true, true),
            (Outcome::Status(500, None), true, false),
            (Outcome::Status(502, None), true, false),
            (Outcome::Status(504, None), true, false),
            (Outcome::Transport, true, false),
            (Outcome::Status(400, None), false, false),
            (Outcome::Status(401, None), false, false),
            (Outcome::Status(403, None), false, false),
            (Outcome::Status(404, None), false, false),
            (Outcome::Status(409, None), false, false),
        ];
        for (outcome, repeatable, other) in table {
            assert_eq!(
                RetryPolicy::is_retryable(Yes, outcome),
                repeatable,
                "{outcome:?}, repeatable"
            );
            assert_eq!(
                RetryPolicy::is_retryable(No, outcome),
                other,
                "{outcome:?}, not repeatable"
            );
        }
        let requests = [
            ("GET", "/groups/g?$select=id", Yes),
            ("POST", "/groups/g/assignLicense", Yes),
            ("POST", "/users/u/reprocessLicenseAssignment", Yes),
            ("POST", "/groups", No),
            ("PATCH", "/groups/g", No),
            ("POST", "/groups/g/assignLicense/other", No),
        ];
        for (method, path, expected) in requests {
            assert_eq!(is_repeatable(method, path), expected, "{method} {path}");
        }
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
        assert_eq!(
            parse_retry_after("1e20", now),
            None,
            "too large for a Duration: no panic"
        );
        assert_eq!(parse_retry_after("NaN", now), None);
    }

    #[test]
    fn retry_after_wins_over_backoff() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(
                Repeatable::Yes,
                Outcome::Status(429, Some("1.5")),
                1,
                Duration::ZERO,
                0.9
            ),
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
                .delay(
                    Repeatable::Yes,
                    Outcome::Status(503, None),
                    attempt,
                    Duration::ZERO,
                    jitter,
                )
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
        assert!(
            policy
                .delay(Repeatable::Yes, Outcome::Transport, 2, Duration::ZERO, 0.5)
                .is_some()
        );
        assert_eq!(
            policy.delay(Repeatable::Yes, Outcome::Transport, 3, Duration::ZERO, 0.5),
            None,
            "attempts"
        );
        assert_eq!(
            policy.delay(
                Repeatable::Yes,
                Outcome::Status(429, Some("5")),
                1,
                Duration::from_secs(6),
                0.5
            ),
            None,
            "total time"
        );
        assert_eq!(
            policy.delay(Repeatable::Yes, Outcome::Status(400, None), 1, Duration::ZERO, 0.5),
            None,
            "not retryable"
        );
    }
}

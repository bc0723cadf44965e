//! What the realism knobs do to a Graph request: added latency, injected failures (429
//! storms, forced and sampled 5xx, connection resets) and Graph's throttling, a token bucket
//! of resource units per application. Apart from the pipeline, which only decides when
//! each applies, so that every way a request can be slowed down or refused is in one place.

use std::time::{Duration, Instant};

use axum::http::Method;
use serde_json::json;

use crate::realism::{Realism, RetryAfterStyle, Throttle};
use crate::request::{Caller, Incoming, Outgoing, graph_error};
use crate::shared::Shared;

/// Waits `latency_ms` plus a random share of `jitter_ms`.
pub(crate) async fn add_latency(shared: &Shared, realism: &Realism) {
    if realism.latency_ms > 0 || realism.jitter_ms > 0 {
        let jitter = if realism.jitter_ms > 0 {
            shared.next_random() % (realism.jitter_ms + 1)
        } else {
            0
        };
        tokio::time::sleep(Duration::from_millis(realism.latency_ms + jitter)).await;
    }
}

/// The failure injected into this request, if any: a 429 storm first, like a gateway
/// shedding load, then a forced or sampled 5xx, then a connection reset.
pub(crate) fn injected_failure(
    shared: &Shared,
    realism: &Realism,
    request_id: &str,
    client_request_id: &str,
) -> Option<Outgoing> {
    if take_storm(shared) {
        return Some(throttled(
            request_id,
            client_request_id,
            Some(format_seconds(realism.storm_retry_after_s, RetryAfterStyle::Fractional)),
            None,
        ));
    }
    let forced = take_forced_failure(shared);
    let sampled =
        realism.error_rate > 0.0 && shared.sample() < realism.error_rate && !realism.error_statuses.is_empty();
    if forced.is_some() || sampled {
        let status = forced
            .unwrap_or_else(|| realism.error_statuses[(shared.next_random() as usize) % realism.error_statuses.len()]);
        let (code, message) = match status {
            503 => (
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
            ),
            504 => ("gatewayTimeout", "The operation timed out."),
            _ => ("generalException", "An unexpected error occurred."),
        };
        return Some(graph_error(status, code, message, request_id, client_request_id));
    }
    if realism.reset_rate > 0.0 && shared.sample() < realism.reset_rate {
        return Some(Outgoing {
            status: 200,
            headers: Vec::new(),
            body: None,
            reset: true,
        });
    }
    None
}

/// Charges the request's resource units to the caller's bucket when throttling is on:
/// `Ok(units)`, for the `x-ms-resource-unit` header, or `Err(429)` when the bucket is empty.
pub(crate) fn charge(shared: &Shared, realism: &Realism, request: &Incoming, caller: &Caller) -> Result<u32, Outgoing> {
    let (units, write) = cost(request);
    if let Some(throttle) = &realism.throttle {
        let tenant = shared.directory.lock().expect("directory").tenant_id.clone();
        if let Some(wait) = take_tokens(shared, &caller.application, throttle, units) {
            let style = match throttle.retry_after {
                RetryAfterStyle::Mixed => [
                    RetryAfterStyle::Integer,
                    RetryAfterStyle::Fractional,
                    RetryAfterStyle::Absent,
                ][(shared.next_random() % 3) as usize],
                other => other,
            };
            let retry_after = (style != RetryAfterStyle::Absent).then(|| format_seconds(wait, style));
            let scope = format!(
                "Tenant_Application/{}/{}/{tenant}",
                if write { "Write" } else { "ReadWrite" },
                caller.application
            );
            return Err(throttled(
                &caller.request_id,
                &caller.client_request_id,
                retry_after,
                Some(scope),
            ));
        }
    }
    Ok(units)
}

fn take_storm(shared: &Shared) -> bool {
    let mut realism = shared.realism.lock().expect("realism");
    if realism.storm > 0 {
        realism.storm -= 1;
        true
    } else {
        false
    }
}

fn take_forced_failure(shared: &Shared) -> Option<u16> {
    let mut realism = shared.realism.lock().expect("realism");
    (realism.fail_next > 0).then(|| {
        realism.fail_next -= 1;
        realism.fail_next_status
    })
}

fn throttled(
    request_id: &str,
    client_request_id: &str,
    retry_after: Option<String>,
    scope: Option<String>,
) -> Outgoing {
    let mut out = Outgoing::json(
        429,
        json!({"error": {"code": "TooManyRequests", "message": "Please retry again later.", "innerError": {
            "code": "429", "message": "Please retry after", "status": "429",
            "date": crate::state::now_rfc3339().trim_end_matches('Z'),
            "request-id": request_id, "client-request-id": client_request_id,
        }}}),
    );
    if let Some(value) = retry_after {
        out = out.header("retry-after", value);
    }
    if let Some(scope) = scope {
        out = out
            .header("x-ms-throttle-scope", scope)
            .header("x-ms-throttle-information", "ResourceUnitLimitExceeded");
    }
    out
}

fn format_seconds(seconds: f64, style: RetryAfterStyle) -> String {
    match style {
        RetryAfterStyle::Fractional => format!("{:.3}", seconds.max(0.001)),
        _ => format!("{}", seconds.ceil().max(1.0) as u64),
    }
}

/// Resource units of a request, from Graph's identity-and-access cost table, and whether it
/// is a write: subscribedSkus 3, members 3, licenseDetails 2, anything else 1; `$select`
/// takes one off (never below 1).
fn cost(request: &Incoming) -> (u32, bool) {
    let write = request.method != Method::GET;
    let path = &request.path;
    let base: u32 = if path.ends_with("/subscribedSkus")
        || path.contains("/subscribedSkus/")
        || path.ends_with("/members")
        || path.ends_with("/membersWithLicenseErrors")
    {
        3
    } else if request.path.ends_with("/licenseDetails") {
        2
    } else {
        1
    };
    let selected = u32::from(request.query("$select").is_some());
    (base.saturating_sub(selected).max(1), write)
}

/// Takes `units` from the caller's bucket; `Some(seconds to wait)` when it is empty.
fn take_tokens(shared: &Shared, application: &str, throttle: &Throttle, units: u32) -> Option<f64> {
    let mut buckets = shared.buckets.lock().expect("buckets");
    let now = Instant::now();
    let (tokens, last) = buckets.entry(application.to_owned()).or_insert((throttle.burst, now));
    *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * throttle.rate_per_second).min(throttle.burst);
    *last = now;
    let needed = f64::from(units);
    if *tokens >= needed {
        *tokens -= needed;
        None
    } else {
        Some((needed - *tokens) / throttle.rate_per_second.max(0.001))
    }
}

//! What the realism knobs do to a Graph request: added latency, injected failures (429
//! storms, forced and sampled 5xx, connection resets), lost responses (a write applied, its
//! answer replaced by a 5xx or a cut connection, the way a gateway timeout or a dropped
//! connection leaves a client that cannot know whether its write happened) and Graph's
//! throttling, a token bucket of resource units per application. Apart from the pipeline,
//! which only decides when each applies, so that every way a request can be slowed down or
//! refused is in one place.

use std::time::{Duration, Instant};

use axum::http::Method;
use serde_json::json;

use crate::query::{segments, top_value};
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
        let (code, message) = error_text(status);
        return Some(graph_error(status, code, message, request_id, client_request_id));
    }
    if realism.reset_rate > 0.0 && shared.sample() < realism.reset_rate {
        return Some(Outgoing::reset());
    }
    None
}

/// A 404 for a read of one group or user by ID while `lagging_reads` lasts: Graph's
/// directory is replicated, and a replica that has not caught up answers "does not exist"
/// for an object that does (Microsoft Q&A 936575, where Microsoft advises retrying with
/// backoff). Graph's error for a missing object, whether or not it exists elsewhere.
pub(crate) fn lagging_read(
    shared: &Shared,
    realism: &Realism,
    request: &Incoming,
    caller: &Caller,
) -> Option<Outgoing> {
    if realism.lagging_reads == 0 || request.method != Method::GET {
        return None;
    }
    let segments = crate::query::segments(request);
    let [kind, id] = segments.as_slice() else {
        return None;
    };
    if !matches!(kind.as_str(), "groups" | "users") || id.starts_with('$') {
        return None;
    }
    {
        let mut current = shared.realism.lock().expect("realism");
        if current.lagging_reads == 0 {
            return None;
        }
        current.lagging_reads -= 1;
    }
    Some(caller.rejection(crate::state::not_found(id)))
}

/// Whether a request writes: Graph's own rule is that anything but a GET may change state.
pub(crate) fn is_write(request: &Incoming) -> bool {
    request.method != Method::GET
}

/// Replaces the answer to an applied write (`answer` is a 2xx) with `lost_response_status`
/// or a cut connection, when `lose_response_after_write` or `lose_response_rate` says so.
/// The state keeps the write; only the answer is lost.
pub(crate) fn lose_response(
    shared: &Shared,
    realism: &Realism,
    request: &Incoming,
    caller: &Caller,
    answer: Outgoing,
) -> Outgoing {
    if !is_write(request) || !(200..300).contains(&answer.status) {
        return answer;
    }
    let counted = {
        let mut current = shared.realism.lock().expect("realism");
        let counted = current.lose_response_after_write > 0;
        if counted {
            current.lose_response_after_write -= 1;
        }
        counted
    };
    let sampled = realism.lose_response_rate > 0.0 && shared.sample() < realism.lose_response_rate;
    if !(counted || sampled) {
        return answer;
    }
    let mut lost = if realism.lost_response_reset {
        Outgoing::reset()
    } else {
        let status = realism.lost_response_status;
        let (code, message) = error_text(status);
        caller.error(status, code, message)
    };
    lost.lost = Some(answer.status);
    lost
}

/// Graph's error code and message for an injected 5xx.
fn error_text(status: u16) -> (&'static str, &'static str) {
    match status {
        503 => (
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry later.",
        ),
        504 => ("gatewayTimeout", "The operation timed out."),
        _ => ("generalException", "An unexpected error occurred."),
    }
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

/// Resource units of a request, and whether it is a write, from Graph's cost table for the
/// identity and access service (<https://learn.microsoft.com/graph/throttling-limits>,
/// "Identity and access service limits"). Base costs of the paths the emulator serves:
///
/// | request | base |
/// |---|---|
/// | `GET subscribedSkus` | 3 |
/// | `GET groups/{id}/members` (and its casts and `$count`) | 3 |
/// | `GET groups/{id}/transitiveMembers` (not served) | 5 |
/// | `GET users` (and `users/$count`) | 2 |
/// | `GET users/{id}/licenseDetails` (as `me/licenseDetails`) | 2 |
/// | any other GET, POST, PATCH, PUT or DELETE | 1 |
///
/// then `$select` takes 1 off, `$expand` adds 1, `$top` below 20 takes 1 off, and a request
/// never costs less than 1. A `$batch` is not charged itself: each item is (see `pipeline`).
pub(crate) fn cost(request: &Incoming) -> (u32, bool) {
    let write = is_write(request);
    let segments = segments(request);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let base: i64 = match (request.method == Method::GET, segments.as_slice()) {
        (true, ["subscribedSkus"]) => 3,
        (true, ["groups", _, "members", ..]) => 3,
        (true, ["groups", _, "transitiveMembers", ..]) => 5,
        (true, ["users"] | ["users", "$count"]) => 2,
        (true, ["users", _, "licenseDetails"]) => 2,
        _ => 1,
    };
    let mut units = base;
    if request.query("$select").is_some() {
        units -= 1;
    }
    if request.query("$expand").is_some() {
        units += 1;
    }
    if top_value(request).is_some_and(|top| top < 20) {
        units -= 1;
    }
    (u32::try_from(units.max(1)).unwrap_or(1), write)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, path_and_query: &str) -> Incoming {
        let (path, query) = path_and_query
            .split_once('?')
            .map_or((path_and_query, None), |(p, q)| (p, Some(q)));
        Incoming {
            method,
            path: path.to_owned(),
            query: query.map(crate::request::parse_query).unwrap_or_default(),
            raw_query: query.map(str::to_owned),
            headers: Default::default(),
            body: Vec::new(),
        }
    }

    fn units(method: Method, path_and_query: &str) -> u32 {
        cost(&request(method, path_and_query)).0
    }

    #[test]
    fn costs_follow_the_identity_and_access_table() {
        let g = "/v1.0/groups/1132b215-826f-42a9-8cfe-1643d19d17fd";
        let u = "/v1.0/users/a1b2c3d4-0001-4000-8000-000000000001";
        for (method, path, expected) in [
            (Method::GET, g.to_owned(), 1),
            (Method::GET, format!("{g}?$select=id"), 1),
            (Method::GET, "/v1.0/groups".to_owned(), 1),
            (Method::GET, "/v1.0/groups/$count".to_owned(), 1),
            (Method::GET, "/v1.0/users".to_owned(), 2),
            (Method::GET, "/v1.0/users/%24count".to_owned(), 2),
            (Method::GET, "/v1.0/users?$select=id".to_owned(), 1),
            (Method::GET, u.to_owned(), 1),
            (Method::GET, format!("{u}/licenseDetails"), 2),
            (Method::GET, "/v1.0/subscribedSkus".to_owned(), 3),
            (Method::GET, "/v1.0/subscribedSkus?$select=skuId".to_owned(), 2),
            (Method::GET, format!("{g}/members"), 3),
            (Method::GET, format!("{g}/members?$expand=x"), 4),
            (Method::GET, format!("{g}/members?$top=999&$select=id"), 2),
            (Method::GET, format!("{g}/members?$top=19"), 2),
            (Method::GET, format!("{g}/members?$top=20"), 3),
            (
                Method::GET,
                format!("{g}/members/microsoft.graph.user?$count=true&$top=1&$select=id"),
                1,
            ),
            (Method::GET, format!("{g}/members/microsoft.graph.user/$count"), 3),
            (Method::GET, format!("{g}/membersWithLicenseErrors?$top=999"), 1),
            (Method::GET, format!("{g}/transitiveMembers"), 5),
            (Method::POST, format!("{g}/assignLicense"), 1),
            (Method::POST, format!("{u}/assignLicense?$select=id"), 1),
        ] {
            assert_eq!(units(method.clone(), &path), expected, "{method} {path}");
        }
        assert!(cost(&request(Method::POST, &format!("{g}/assignLicense"))).1, "a write");
        assert!(!cost(&request(Method::GET, g)).1);
    }
}

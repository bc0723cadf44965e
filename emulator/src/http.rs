//! The request pipeline every request goes through, in order: request-id, latency, faults
//! (429 storms, 5xx, connection resets), authentication, permission check, throttling
//! (token bucket), the route, then the request log. `$batch` items run through the same
//! pipeline, so they are authenticated, throttled and logged like any request.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::state::{Directory, Rejection};
use crate::tenant::TenantFile;

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

/// One served request, as `GET /_emulator/requests` lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path and query, e.g. `/v1.0/groups/…/assignLicense`.
    pub path: String,
    /// Status answered.
    pub status: u16,
    /// Time taken, milliseconds.
    pub duration_ms: f64,
    /// The calling application (client ID), when known.
    pub application: Option<String>,
    /// Our request-id.
    pub request_id: String,
    /// The caller's client-request-id, if sent.
    pub client_request_id: Option<String>,
    /// The JSON body received, for writes (assignLicense bodies are what tests assert on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Json>,
}

/// How many requests the log keeps (the oldest go first); about 30 MB at most.
const LOG_CAPACITY: usize = 100_000;

pub(crate) struct Shared {
    pub directory: Mutex<Directory>,
    /// The tenant as it started, for `POST /_emulator/reset`: compact JSON, because a
    /// second copy of a large tenant's structures would double the emulator's memory.
    pub seed: Vec<u8>,
    pub realism: Mutex<Realism>,
    pub buckets: Mutex<HashMap<String, (f64, Instant)>>,
    pub log: Mutex<VecDeque<RequestRecord>>,
    /// Signs access tokens; replaced by `POST /_emulator/revoke-tokens`.
    pub signing_key: Mutex<aws_lc_rs::hmac::Key>,
    pub base_url: String,
    counter: AtomicU64,
    random: Mutex<u64>,
}

impl Shared {
    pub fn new(tenant: TenantFile, realism: Realism, base_url: String) -> Self {
        let mut seed_bytes = [0u8; 8];
        aws_lc_rs::rand::fill(&mut seed_bytes).expect("random seed");
        let seed_bits = u64::from_le_bytes(seed_bytes) | 1;
        Self {
            seed: serde_json::to_vec(&tenant).expect("a tenant serialises"),
            directory: Mutex::new(Directory::new(tenant)),
            realism: Mutex::new(realism),
            buckets: Mutex::new(HashMap::new()),
            log: Mutex::new(VecDeque::new()),
            signing_key: Mutex::new(new_signing_key()),
            base_url,
            counter: AtomicU64::new(1),
            random: Mutex::new(seed_bits),
        }
    }

    /// A GUID-shaped, unique request id.
    pub fn new_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let r = self.next_random();
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (r >> 32) as u32,
            (r >> 16) as u16,
            r as u16 & 0xfff,
            (n >> 48) as u16 & 0xfff,
            n & 0xffff_ffff_ffff
        )
    }

    /// xorshift64*: good enough for jitter and fault sampling.
    pub fn next_random(&self) -> u64 {
        let mut state = self.random.lock().expect("random");
        let mut x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A uniform sample in [0, 1).
    pub fn sample(&self) -> f64 {
        (self.next_random() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Invalidates every access token issued so far.
    pub fn revoke_tokens(&self) {
        *self.signing_key.lock().expect("signing key") = new_signing_key();
    }

    pub fn realism(&self) -> Realism {
        self.realism.lock().expect("realism").clone()
    }

    fn record(&self, record: RequestRecord) {
        let mut log = self.log.lock().expect("log");
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(record);
    }
}

fn new_signing_key() -> aws_lc_rs::hmac::Key {
    let mut key = [0u8; 32];
    aws_lc_rs::rand::fill(&mut key).expect("random key");
    aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key)
}

/// A request, after its body was read.
#[derive(Clone, Debug)]
pub(crate) struct Incoming {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub raw_query: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Incoming {
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A response before it is written.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Json>,
    /// Cut the connection instead of sending the body.
    pub reset: bool,
}

impl Outgoing {
    pub fn json(status: u16, body: Json) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
            reset: false,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// Graph's error body, with the request ids in `innerError`.
pub(crate) fn graph_error(
    status: u16,
    code: &str,
    message: &str,
    request_id: &str,
    client_request_id: &str,
) -> Outgoing {
    Outgoing::json(
        status,
        json!({"error": {"code": code, "message": message, "innerError": {
            "date": crate::state::now_rfc3339().trim_end_matches('Z'),
            "request-id": request_id,
            "client-request-id": client_request_id,
        }}}),
    )
}

/// What the route knows about the caller.
pub(crate) struct Caller {
    pub application: String,
    pub roles: Vec<String>,
    pub request_id: String,
    pub client_request_id: String,
}

impl Caller {
    pub fn error(&self, status: u16, code: &str, message: &str) -> Outgoing {
        graph_error(status, code, message, &self.request_id, &self.client_request_id)
    }

    pub fn rejection(&self, rejection: Rejection) -> Outgoing {
        self.error(rejection.status, rejection.code, &rejection.message)
    }

    /// 403 unless the caller holds one of `any_of`.
    pub fn require(&self, any_of: &[&str]) -> Result<(), Outgoing> {
        if self.roles.iter().any(|r| any_of.contains(&r.as_str())) {
            Ok(())
        } else {
            Err(self.error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ))
        }
    }
}

const MAX_BODY: usize = 16 << 20;

/// The axum entry point: reads the request, runs the pipeline, writes the response.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let raw_query = parts.uri.query().map(str::to_owned);
    let incoming = Incoming {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: raw_query.as_deref().map(parse_query).unwrap_or_default(),
        raw_query,
        headers: parts.headers,
        body,
    };
    let outgoing = process(&shared, incoming, true).await;
    let mut response =
        Response::builder().status(StatusCode::from_u16(outgoing.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &outgoing.headers {
        response = response.header(name, value);
    }
    if outgoing.reset {
        let cut = futures::stream::once(async {
            Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("connection reset by the emulator"))
        });
        return response.body(Body::from_stream(cut)).expect("response");
    }
    match outgoing.body {
        Some(json) => response
            .header("content-type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
            .body(Body::from(json.to_string()))
            .expect("response"),
        None => response.body(Body::empty()).expect("response"),
    }
}

pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query).unwrap_or_default()
}

/// The pipeline. `top_level` is false for `$batch` items (no second latency).
pub(crate) async fn process(shared: &Arc<Shared>, request: Incoming, top_level: bool) -> Outgoing {
    let started = Instant::now();
    let request_id = shared.new_id();
    let client_request_id = request.header("client-request-id").map(str::to_owned);
    let path_and_query = match &request.raw_query {
        Some(q) => format!("{}?{q}", request.path),
        None => request.path.clone(),
    };

    if request.path.starts_with("/_emulator/") {
        return crate::admin::handle(shared, &request);
    }

    let mut application = None;
    let mut outgoing = if request.path.ends_with("/oauth2/v2.0/token") {
        let (outgoing, app) = crate::token::handle(shared, &request);
        application = app;
        outgoing
    } else if request.path.starts_with("/v1.0/") {
        graph_pipeline(
            shared,
            &request,
            top_level,
            &request_id,
            client_request_id.as_deref(),
            &mut application,
        )
        .await
    } else {
        graph_error(
            400,
            "BadRequest",
            &format!("Invalid version: {}", request.path),
            &request_id,
            client_request_id.as_deref().unwrap_or(&request_id),
        )
    };

    outgoing.headers.push(("request-id".into(), request_id.clone()));
    outgoing.headers.push((
        "client-request-id".into(),
        client_request_id.clone().unwrap_or_else(|| request_id.clone()),
    ));
    let body = (request.method == Method::POST && request.path.starts_with("/v1.0/"))
        .then(|| serde_json::from_slice(&request.body).ok())
        .flatten();
    shared.record(RequestRecord {
        method: request.method.to_string(),
        path: path_and_query,
        status: outgoing.status,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        application,
        request_id,
        client_request_id,
        body,
    });
    outgoing
}

async fn graph_pipeline(
    shared: &Arc<Shared>,
    request: &Incoming,
    top_level: bool,
    request_id: &str,
    client_request_id: Option<&str>,
    application: &mut Option<String>,
) -> Outgoing {
    let realism = shared.realism();
    let client_request_id = client_request_id.unwrap_or(request_id);
    if top_level && (realism.latency_ms > 0 || realism.jitter_ms > 0) {
        let jitter = if realism.jitter_ms > 0 {
            shared.next_random() % (realism.jitter_ms + 1)
        } else {
            0
        };
        tokio::time::sleep(Duration::from_millis(realism.latency_ms + jitter)).await;
    }

    // A 429 storm comes before anything else, like a gateway shedding load.
    if take_storm(shared) {
        return throttled(
            request_id,
            client_request_id,
            Some(format_seconds(realism.storm_retry_after_s, RetryAfterStyle::Fractional)),
            None,
        );
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
        return graph_error(status, code, message, request_id, client_request_id);
    }
    if realism.reset_rate > 0.0 && shared.sample() < realism.reset_rate {
        return Outgoing {
            status: 200,
            headers: Vec::new(),
            body: None,
            reset: true,
        };
    }

    let caller = match crate::token::authenticate(shared, request) {
        Ok((app, roles)) => Caller {
            application: app,
            roles,
            request_id: request_id.to_owned(),
            client_request_id: client_request_id.to_owned(),
        },
        Err(message) => {
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                &message,
                request_id,
                client_request_id,
            );
        }
    };
    *application = Some(caller.application.clone());

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
            return throttled(request_id, client_request_id, retry_after, Some(scope));
        }
    }
    crate::graph::route(shared, request, &caller)
        .await
        .header("x-ms-resource-unit", units.to_string())
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

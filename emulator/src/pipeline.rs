//! The request pipeline every request goes through, in order: request-id, latency, faults
//! (429 storms, 5xx, connection resets), authentication, permission check (in the route),
//! throttling (token bucket), the route, lost responses (an applied write answered with a
//! 5xx or a cut connection), then the request log, which tells applied writes and lost
//! answers apart. `$batch` is run here, not among the Graph routes, because its items go
//! through this same pipeline, so they are authenticated, throttled, logged and can lose
//! their answers like any request; the envelope itself is not charged, and reports the sum
//! of its items' resource units. The only module that calls the
//! handlers (`admin`, `token`, `graph`); they in turn depend only on the types in
//! `request` and `shared`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value as Json, json};

use crate::admin;
use crate::faults;
use crate::graph;
use crate::request::{Caller, Incoming, Outgoing, graph_error, parse_query};
use crate::shared::{RequestRecord, Shared};
use crate::token;

const MAX_BODY: usize = 16 << 20;

/// The header with a request's cost in resource units
/// (<https://learn.microsoft.com/graph/throttling-limits>).
const RESOURCE_UNIT: &str = "x-ms-resource-unit";

/// Graph's `Content-Type` for JSON answers, top-level and in batch items.
const JSON_CONTENT_TYPE: &str =
    "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";

/// Graph's `Content-Type` for a `$count` segment's number
/// (<https://learn.microsoft.com/graph/api/group-list-members>, "Get only a count").
const TEXT_CONTENT_TYPE: &str = "text/plain";

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
        // A body that fails at once makes hyper close the connection before the buffered
        // status line is written: the client gets an empty reply, whatever the status here.
        let cut = futures::stream::once(async {
            Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("connection reset by the emulator"))
        });
        return response.body(Body::from_stream(cut)).expect("response");
    }
    if let Some(text) = outgoing.text {
        return response
            .header("content-type", TEXT_CONTENT_TYPE)
            .body(Body::from(text))
            .expect("response");
    }
    match outgoing.body {
        Some(json) => response
            .header("content-type", JSON_CONTENT_TYPE)
            .body(Body::from(json.to_string()))
            .expect("response"),
        None => response.body(Body::empty()).expect("response"),
    }
}

/// The pipeline. `top_level` is false for `$batch` items (no second latency).
async fn process(shared: &Arc<Shared>, request: Incoming, top_level: bool) -> Outgoing {
    let started = Instant::now();
    let request_id = shared.new_id();
    let client_request_id = request.header("client-request-id").map(str::to_owned);
    let path_and_query = match &request.raw_query {
        Some(q) => format!("{}?{q}", request.path),
        None => request.path.clone(),
    };

    if request.path.starts_with("/_emulator/") {
        return admin::handle(shared, &request);
    }

    let mut application = None;
    let mut outgoing = if request.path.ends_with("/oauth2/v2.0/token") {
        let (outgoing, app) = token::handle(shared, &request);
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
    let graph_write = request.path.starts_with("/v1.0/") && faults::is_write(&request) && !graph::is_batch(&request);
    // A write is applied when its route answered 2xx, even if that answer was then lost; a
    // connection cut before the route (an injected reset) applied nothing.
    let applied =
        graph_write.then(|| outgoing.lost.is_some() || (!outgoing.reset && (200..300).contains(&outgoing.status)));
    let resource_units = outgoing
        .headers
        .iter()
        .find(|(name, _)| name == RESOURCE_UNIT)
        .and_then(|(_, value)| value.parse().ok());
    shared.record(RequestRecord {
        method: request.method.to_string(),
        path: path_and_query,
        status: outgoing.status,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        application,
        request_id,
        client_request_id,
        body,
        applied,
        connection_reset: outgoing.reset,
        lost_response: outgoing.lost.is_some(),
        real_status: outgoing.lost,
        resource_units,
    });
    outgoing
}

/// A Graph request, between its request-id and the log: latency, injected failures,
/// authentication, throttling, then the route or `$batch`.
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
    if top_level {
        faults::add_latency(shared, &realism).await;
    }
    if let Some(failure) = faults::injected_failure(shared, &realism, request_id, client_request_id) {
        return failure;
    }

    let caller = match token::authenticate(shared, request) {
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
    if let Some(not_found) = faults::lagging_read(shared, &realism, request, &caller) {
        return not_found;
    }

    if graph::is_batch(request) {
        // The envelope is not charged: each item is, on its own, and the envelope reports
        // their sum. A batch refused as a whole runs no item and costs what any request does.
        return match check_batch(request, &caller) {
            Ok(items) => batch(shared, request, &items).await,
            Err(refused) => match faults::charge(shared, &realism, request, &caller) {
                Ok(units) => refused.header(RESOURCE_UNIT, units.to_string()),
                Err(throttled) => throttled,
            },
        };
    }
    let units = match faults::charge(shared, &realism, request, &caller) {
        Ok(units) => units,
        Err(throttled) => return throttled,
    };
    let answer = graph::route(shared, request, &caller);
    faults::lose_response(shared, &realism, request, &caller, answer).header(RESOURCE_UNIT, units.to_string())
}

/// The header names Graph capitalises in batch item responses.
fn batch_header_name(name: &str) -> String {
    match name {
        "content-type" => "Content-Type".to_owned(),
        "retry-after" => "Retry-After".to_owned(),
        "location" => "Location".to_owned(),
        other => other.to_owned(),
    }
}

/// Checks a JSON batch (<https://learn.microsoft.com/graph/json-batching>) before any item
/// runs: at most 20 requests, unique ids, a write (POST, PUT, PATCH) needs a body and a
/// `Content-Type` header; anything else refuses the whole batch with a 400.
fn check_batch(request: &Incoming, caller: &Caller) -> Result<Vec<Json>, Outgoing> {
    let bad = |message: &str| caller.error(400, "BadRequest", message);
    let Ok(mut body) = serde_json::from_slice::<Json>(&request.body) else {
        return Err(bad("Unable to read JSON request payload."));
    };
    let Some(Json::Array(items)) = body.get_mut("requests").map(Json::take) else {
        return Err(bad("The batch request must contain a 'requests' array."));
    };
    if items.len() > 20 {
        return Err(bad("The number of requests in the batch exceeds the limit of 20."));
    }
    let mut ids = std::collections::HashSet::new();
    for item in &items {
        let id = item.get("id").and_then(Json::as_str).unwrap_or_default().to_lowercase();
        if id.is_empty() || !ids.insert(id) {
            return Err(bad("Every request in a batch needs a unique, non-empty 'id'."));
        }
    }
    for item in &items {
        let method = item.get("method").and_then(Json::as_str).unwrap_or("GET");
        let writes = ["POST", "PUT", "PATCH"].iter().any(|m| m.eq_ignore_ascii_case(method));
        let has_body = item.get("body").is_some_and(|b| !b.is_null());
        let has_content_type = item
            .get("headers")
            .and_then(Json::as_object)
            .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("content-type")));
        if writes && !(has_body && has_content_type) {
            return Err(bad(&format!(
                "Write request id : {} does not contain Content-Type header or body.",
                item["id"].as_str().unwrap_or_default()
            )));
        }
    }
    Ok(items)
}

/// Runs a checked batch: `dependsOn` (a failed dependency gives 424), each item through the
/// full pipeline (so items are authenticated, throttled and charged on their own,
/// `Retry-After` in their headers). Each answer carries `headers` with its `Content-Type`;
/// a `text/plain` answer (a `$count`) is a JSON string, as the OData JSON batch format
/// writes text bodies. The batch's `x-ms-resource-unit` is the sum of its items'. A cut
/// connection in any item cuts the whole batch, after every item ran.
async fn batch(shared: &Arc<Shared>, request: &Incoming, items: &[Json]) -> Outgoing {
    let mut cut = false;
    let mut units = 0u64;
    let mut statuses: std::collections::HashMap<String, u16> = std::collections::HashMap::new();
    let mut responses = Vec::new();
    for item in items {
        let id = item["id"].as_str().unwrap_or_default().to_owned();
        let depends: Vec<String> = item
            .get("dependsOn")
            .and_then(Json::as_array)
            .map(|d| d.iter().filter_map(|v| v.as_str().map(str::to_lowercase)).collect())
            .unwrap_or_default();
        if depends
            .iter()
            .any(|d| statuses.get(d).is_none_or(|s| !(200..300).contains(s)))
        {
            statuses.insert(id.to_lowercase(), 424);
            responses.push(json!({"id": id, "status": 424, "body": {"error": {"code": "FailedDependency", "message": "A request this request depends on failed."}}}));
            continue;
        }
        let method = item
            .get("method")
            .and_then(Json::as_str)
            .unwrap_or("GET")
            .to_uppercase();
        let url = item.get("url").and_then(Json::as_str).unwrap_or_default();
        let url = url.strip_prefix("/v1.0").unwrap_or(url);
        let (path, query) = url.split_once('?').map_or((url, None), |(p, q)| (p, Some(q)));
        // Items carry the envelope's headers (its token), but an advanced query needs
        // `ConsistencyLevel` in the item's own `headers` (json-batching, aad-advanced-queries).
        let mut headers = request.headers.clone();
        headers.remove("consistencylevel");
        if let Some(extra) = item.get("headers").and_then(Json::as_object) {
            for (k, v) in extra {
                if let (Ok(name), Some(Ok(value))) = (
                    axum::http::HeaderName::from_bytes(k.as_bytes()),
                    v.as_str().map(axum::http::HeaderValue::from_str),
                ) {
                    headers.insert(name, value);
                }
            }
        }
        let sub = Incoming {
            method: method.parse().unwrap_or(Method::GET),
            path: format!("/v1.0/{}", path.trim_start_matches('/')),
            query: query.map(parse_query).unwrap_or_default(),
            raw_query: query.map(str::to_owned),
            headers,
            body: item.get("body").map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        };
        let out = Box::pin(process(shared, sub, false)).await;
        cut |= out.reset;
        statuses.insert(id.to_lowercase(), out.status);
        units += out
            .headers
            .iter()
            .find(|(name, _)| name == RESOURCE_UNIT)
            .and_then(|(_, value)| value.parse::<u64>().ok())
            .unwrap_or(0);
        let mut headers: Map<String, Json> = out
            .headers
            .iter()
            .map(|(k, v)| (batch_header_name(k), json!(v)))
            .collect();
        let body = match out.text {
            Some(text) => {
                headers.insert("Content-Type".into(), json!(TEXT_CONTENT_TYPE));
                Some(Json::String(text))
            }
            None => {
                if out.body.is_some() {
                    headers.insert("Content-Type".into(), json!(JSON_CONTENT_TYPE));
                }
                out.body
            }
        };
        responses.push(json!({"id": id, "status": out.status, "headers": headers, "body": body}));
    }
    if cut {
        return Outgoing::reset();
    }
    Outgoing::json(200, json!({"responses": responses})).header(RESOURCE_UNIT, units.to_string())
}

//! The request pipeline every request goes through, in order: request-id, latency, faults
//! (429 storms, 5xx, connection resets), authentication, permission check (in the route),
//! throttling (token bucket), the route, then the request log. `$batch` is run here, not
//! among the Graph routes, because its items go through this same pipeline, so they are
//! authenticated, throttled and logged like any request. The only module that calls the
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

    let units = match faults::charge(shared, &realism, request, &caller) {
        Ok(units) => units,
        Err(throttled) => return throttled,
    };
    let outgoing = if graph::is_batch(request) {
        batch(shared, request, &caller).await
    } else {
        graph::route(shared, request, &caller)
    };
    outgoing.header("x-ms-resource-unit", units.to_string())
}

/// JSON batching: at most 20 requests, unique ids, `dependsOn` (a failed dependency gives
/// 424), each item through the full pipeline (so items can be throttled on their own).
async fn batch(shared: &Arc<Shared>, request: &Incoming, caller: &Caller) -> Outgoing {
    let bad = |message: &str| caller.error(400, "BadRequest", message);
    let Ok(body) = serde_json::from_slice::<Json>(&request.body) else {
        return bad("Unable to read JSON request payload.");
    };
    let Some(items) = body.get("requests").and_then(Json::as_array) else {
        return bad("The batch request must contain a 'requests' array.");
    };
    if items.len() > 20 {
        return bad("The number of requests in the batch exceeds the limit of 20.");
    }
    let mut ids = std::collections::HashSet::new();
    for item in items {
        let id = item.get("id").and_then(Json::as_str).unwrap_or_default().to_lowercase();
        if id.is_empty() || !ids.insert(id) {
            return bad("Every request in a batch needs a unique, non-empty 'id'.");
        }
    }
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
        let mut headers = request.headers.clone();
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
        statuses.insert(id.to_lowercase(), out.status);
        let headers: Map<String, Json> = out.headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        responses.push(json!({"id": id, "status": out.status, "headers": headers, "body": out.body}));
    }
    Outgoing::json(200, json!({"responses": responses}))
}

//! The Graph client: one place that sends requests.
//!
//! Every request carries a fresh `client-request-id`, the User-Agent
//! `terraform-provider-entra/<version> terraform/<version>` and a bearer token. Responses
//! are logged at debug level with method, path, status, duration and Graph's request-id;
//! headers and bodies never are (they hold tokens). Retries follow [`RetryPolicy`]; a 401
//! refreshes the token once; StopProvider cancels waits and requests through the
//! cancellation token each call receives.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use super::auth::{TokenSource, new_request_id, without_url};
use super::error::GraphError;
use super::retry::{Outcome, Repeatable, RetryPolicy, is_repeatable};

/// Timeout of one HTTP attempt.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// At most this much of an undecodable body is kept in an error.
const BODY_EXCERPT: usize = 2000;

/// A Graph client for one provider configuration.
#[derive(Debug)]
pub struct GraphClient {
    http: reqwest::Client,
    base: url::Url,
    tokens: TokenSource,
    retry: RetryPolicy,
    user_agent: String,
}

/// A successful response's JSON and Graph's request-id.
#[derive(Debug)]
pub struct Answer<T> {
    /// The decoded body.
    pub body: T,
    /// HTTP status (200, 202…).
    pub status: u16,
    /// Graph's request-id.
    pub request_id: Option<String>,
}

/// A request inside a `$batch`.
#[derive(Clone, Debug)]
pub struct BatchRequest {
    /// Unique within the batch.
    pub id: String,
    /// HTTP method.
    pub method: Method,
    /// Path relative to the version root, e.g. `/users/{id}/reprocessLicenseAssignment`.
    pub url: String,
    /// JSON body, if any.
    pub body: Option<Json>,
    /// Request headers, e.g. `ConsistencyLevel: eventual` for advanced queries.
    pub headers: Vec<(&'static str, &'static str)>,
}

/// One answer inside a `$batch` response.
#[derive(Clone, Debug)]
pub struct BatchResponse {
    /// The request's id.
    pub id: String,
    /// Its status.
    pub status: u16,
    /// Its body.
    pub body: Json,
}

/// The HTTP client all Graph and token calls share: rustls on aws-lc-rs with the Mozilla
/// roots built in (no system certificate store needed), connection reuse, timeouts.
pub fn http_client() -> reqwest::Client {
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS 1.2 and 1.3 are supported")
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(Duration::from_secs(20))
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .expect("HTTP client")
}

impl GraphClient {
    /// A client for the Graph version root `base` (e.g. `https://graph.microsoft.com/v1.0`).
    pub fn new(http: reqwest::Client, base: url::Url, tokens: TokenSource, terraform_version: &str) -> Self {
        let terraform = if terraform_version.is_empty() {
            "unknown"
        } else {
            terraform_version
        };
        Self {
            http,
            base,
            tokens,
            retry: RetryPolicy::default(),
            user_agent: format!(
                "terraform-provider-entra/{} terraform/{terraform}",
                env!("CARGO_PKG_VERSION")
            ),
        }
    }

    /// The same client with another retry policy (tests use short bounds).
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The token source (to check credentials eagerly at configure time).
    pub fn tokens(&self) -> &TokenSource {
        &self.tokens
    }

    /// The URL of a request. `path_and_query` is relative to the version root and already
    /// percent-encoded by the endpoint (IDs and UPNs are encoded once, there); an absolute
    /// URL (`@odata.nextLink`) is used as it is.
    fn url(&self, path_and_query: &str) -> url::Url {
        request_url(&self.base, path_and_query)
    }

    /// Sends one request with retries (as [`retry`](super::retry) allows for it), and
    /// decodes a JSON answer.
    pub async fn send<T: DeserializeOwned>(
        &self,
        cancel: &CancellationToken,
        method: Method,
        path_and_query: &str,
        body: Option<&Json>,
    ) -> Result<Answer<T>, GraphError> {
        let repeatable = is_repeatable(method.as_str(), path_and_query);
        self.send_as(cancel, method, path_and_query, body, repeatable, &[])
            .await
    }

    async fn send_as<T: DeserializeOwned>(
        &self,
        cancel: &CancellationToken,
        method: Method,
        path_and_query: &str,
        body: Option<&Json>,
        repeatable: Repeatable,
        headers: &[(&str, &str)],
    ) -> Result<Answer<T>, GraphError> {
        let url = self.url(path_and_query);
        let operation = format!(
            "{method} {}",
            url.path().strip_prefix(self.base.path()).unwrap_or(url.path())
        );
        let started = Instant::now();
        let mut waited = Duration::ZERO;
        let mut refreshed_token = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let token = tokio::select! {
                token = self.tokens.token() => token?,
                () = cancel.cancelled() => return Err(GraphError::Cancelled),
            };
            let client_request_id = new_request_id();
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token.expose())
                .header("client-request-id", &client_request_id)
                .header("user-agent", &self.user_agent)
                .header("accept", "application/json")
                .timeout(ATTEMPT_TIMEOUT);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let sent = Instant::now();
            let response = tokio::select! {
                response = request.send() => response,
                () = cancel.cancelled() => return Err(GraphError::Cancelled),
            };
            let (outcome_status, retry_after, result) = match response {
                Err(e) => {
                    tracing::debug!(%operation, attempt, error = %without_url(&e), "Graph request failed before a response");
                    (
                        None,
                        None,
                        Err(GraphError::Transport {
                            operation: operation.clone(),
                            message: without_url(&e),
                        }),
                    )
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let request_id = response
                        .headers()
                        .get("request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let bytes = tokio::select! {
                        bytes = response.bytes() => bytes,
                        () = cancel.cancelled() => return Err(GraphError::Cancelled),
                    };
                    tracing::debug!(
                        %operation, status, attempt,
                        duration_ms = sent.elapsed().as_millis() as u64,
                        request_id = request_id.as_deref().unwrap_or(""),
                        %client_request_id,
                        "Graph request"
                    );
                    let result = match bytes {
                        Err(e) => Err(GraphError::Transport {
                            operation: operation.clone(),
                            message: without_url(&e),
                        }),
                        Ok(bytes) => decode(&operation, status, request_id, &bytes),
                    };
                    (Some(status), retry_after, result)
                }
            };
            let error = match result {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            if outcome_status == Some(401) && !refreshed_token {
                refreshed_token = true;
                self.tokens.invalidate().await;
                continue;
            }
            let outcome = match outcome_status {
                Some(status) => Outcome::Status(status, retry_after.as_deref()),
                None if matches!(error, GraphError::Transport { .. }) => Outcome::Transport,
                None => return Err(error),
            };
            let jitter = f64::from(started.elapsed().subsec_nanos() % 1000) / 1000.0;
            let Some(delay) = self.retry.delay(repeatable, outcome, attempt, waited, jitter) else {
                if RetryPolicy::is_retryable(repeatable, outcome) {
                    tracing::warn!(%operation, attempt, waited_ms = waited.as_millis() as u64, "Giving up on Graph request after retries");
                }
                return Err(error);
            };
            tracing::debug!(%operation, attempt, delay_ms = delay.as_millis() as u64, "Retrying Graph request");
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = cancel.cancelled() => return Err(GraphError::Cancelled),
            }
            waited += delay;
        }
    }

    /// Every item of a paged collection, following `@odata.nextLink`.
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        cancel: &CancellationToken,
        path_and_query: &str,
    ) -> Result<Vec<T>, GraphError> {
        self.get_all_with(cancel, path_and_query, &[]).await
    }

    /// [`GraphClient::get_all`] with request headers on every page (e.g. `ConsistencyLevel:
    /// eventual` for an advanced query).
    pub async fn get_all_with<T: DeserializeOwned>(
        &self,
        cancel: &CancellationToken,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> Result<Vec<T>, GraphError> {
        #[derive(serde::Deserialize)]
        struct Page<T> {
            value: Vec<T>,
            #[serde(rename = "@odata.nextLink")]
            next_link: Option<String>,
        }
        let mut items = Vec::new();
        let mut next = Some(path_and_query.to_owned());
        while let Some(link) = next {
            let repeatable = is_repeatable("GET", &link);
            let page: Answer<Page<T>> = self
                .send_as(cancel, Method::GET, &link, None, repeatable, headers)
                .await?;
            items.extend(page.body.value);
            next = page.body.next_link;
        }
        Ok(items)
    }

    /// Sends requests through `$batch`, 20 per call; answers come back in request order.
    /// Items throttled inside a batch (429) are sent again in the next batch after the
    /// longest `Retry-After` they carried.
    pub async fn batch(
        &self,
        cancel: &CancellationToken,
        requests: Vec<BatchRequest>,
    ) -> Result<Vec<BatchResponse>, GraphError> {
        let order: Vec<String> = requests.iter().map(|r| r.id.clone()).collect();
        let mut pending = requests;
        let mut done: std::collections::HashMap<String, BatchResponse> = std::collections::HashMap::new();
        let mut rounds = 0;
        while !pending.is_empty() {
            rounds += 1;
            let mut throttled = Vec::new();
            let mut wait = Duration::ZERO;
            for chunk in pending.chunks(20) {
                let body = serde_json::json!({"requests": chunk.iter().map(|r| {
                    let mut item = serde_json::json!({"id": r.id, "method": r.method.as_str(), "url": r.url});
                    let mut headers: serde_json::Map<String, Json> =
                        r.headers.iter().map(|(k, v)| ((*k).to_owned(), Json::from(*v))).collect();
                    if let Some(body) = &r.body {
                        item["body"] = body.clone();
                        headers.insert("Content-Type".into(), "application/json".into());
                    }
                    if !headers.is_empty() {
                        item["headers"] = Json::Object(headers);
                    }
                    item
                }).collect::<Vec<_>>()});
                // A batch is as repeatable as its least repeatable item.
                let repeatable = if chunk
                    .iter()
                    .all(|r| is_repeatable(r.method.as_str(), &r.url) == Repeatable::Yes)
                {
                    Repeatable::Yes
                } else {
                    Repeatable::No
                };
                let answer: Answer<Json> = self
                    .send_as(cancel, Method::POST, "/$batch", Some(&body), repeatable, &[])
                    .await?;
                for response in answer.body["responses"].as_array().cloned().unwrap_or_default() {
                    let id = response["id"].as_str().unwrap_or_default().to_owned();
                    let status = response["status"].as_u64().unwrap_or(0) as u16;
                    let retry_item = chunk.iter().find(|r| r.id == id).is_some_and(|r| {
                        let repeatable = is_repeatable(r.method.as_str(), &r.url);
                        RetryPolicy::is_retryable(repeatable, Outcome::Status(status, None))
                    });
                    if retry_item && rounds < 10 {
                        let after = response["headers"]["Retry-After"]
                            .as_str()
                            .or(response["headers"]["retry-after"].as_str());
                        let delay = after
                            .and_then(|v| super::retry::parse_retry_after(v, std::time::SystemTime::now()))
                            .unwrap_or(Duration::from_secs(1));
                        wait = wait.max(delay);
                        if let Some(request) = chunk.iter().find(|r| r.id == id) {
                            throttled.push(request.clone());
                        }
                        continue;
                    }
                    done.insert(
                        id.clone(),
                        BatchResponse {
                            id,
                            status,
                            body: response["body"].clone(),
                        },
                    );
                }
            }
            pending = throttled;
            if !pending.is_empty() {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = cancel.cancelled() => return Err(GraphError::Cancelled),
                }
            }
        }
        Ok(order.into_iter().filter_map(|id| done.remove(&id)).collect())
    }
}

/// Reads one answer: the body on 2xx, Graph's error body (or the raw excerpt) otherwise.
pub(crate) fn decode<T: DeserializeOwned>(
    operation: &str,
    status: u16,
    request_id: Option<String>,
    bytes: &[u8],
) -> Result<Answer<T>, GraphError> {
    let excerpt = || String::from_utf8_lossy(&bytes[..bytes.len().min(BODY_EXCERPT)]).into_owned();
    if (200..300).contains(&status) {
        let parsed = if bytes.is_empty() {
            serde_json::from_slice(b"null")
        } else {
            serde_json::from_slice(bytes)
        };
        return parsed
            .map(|body| Answer {
                body,
                status,
                request_id: request_id.clone(),
            })
            .map_err(|e| GraphError::Undecodable {
                operation: operation.to_owned(),
                status,
                message: e.to_string(),
                body: excerpt(),
                request_id,
            });
    }
    let json: Json = serde_json::from_slice(bytes).unwrap_or(Json::Null);
    match (json["error"]["code"].as_str(), json["error"]["message"].as_str()) {
        (Some(code), Some(message)) => Err(GraphError::Api {
            operation: operation.to_owned(),
            status,
            code: code.to_owned(),
            message: message.to_owned(),
            request_id: request_id.or_else(|| json["error"]["innerError"]["request-id"].as_str().map(str::to_owned)),
            permission: None,
        }),
        _ => Err(GraphError::Undecodable {
            operation: operation.to_owned(),
            status,
            message: "not a Graph error body".to_owned(),
            body: excerpt(),
            request_id,
        }),
    }
}

fn request_url(base: &url::Url, path_and_query: &str) -> url::Url {
    if path_and_query.starts_with("http://") || path_and_query.starts_with("https://") {
        return url::Url::parse(path_and_query).unwrap_or_else(|_| base.clone());
    }
    let root = base.as_str().trim_end_matches('/');
    let relative = path_and_query.trim_start_matches('/');
    url::Url::parse(&format!("{root}/{relative}")).unwrap_or_else(|_| base.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_once() {
        let base = url::Url::parse("https://graph.microsoft.com/v1.0").unwrap();
        let user = crate::graph::endpoints::groups::encode("adele@contoso.example");
        let url = request_url(&base, &format!("/users/{user}/reprocessLicenseAssignment"));
        assert_eq!(
            url.as_str(),
            "https://graph.microsoft.com/v1.0/users/adele%40contoso.example/reprocessLicenseAssignment"
        );
        let query = request_url(&base, "/groups/g?$select=id,assignedLicenses");
        assert_eq!(
            query.as_str(),
            "https://graph.microsoft.com/v1.0/groups/g?$select=id,assignedLicenses"
        );
        let next = "https://graph.microsoft.com/v1.0/groups?$skiptoken=abc";
        assert_eq!(request_url(&base, next).as_str(), next, "nextLink as it is");
    }

    #[test]
    fn graph_error_bodies_are_decoded_with_request_ids() {
        let body = br#"{"error":{"code":"Request_BadRequest","message":"No license changes provided.","innerError":{"request-id":"abc"}}}"#;
        let error = decode::<Json>("POST /groups/g/assignLicense", 400, None, body).unwrap_err();
        assert_eq!(
            error,
            GraphError::Api {
                operation: "POST /groups/g/assignLicense".into(),
                status: 400,
                code: "Request_BadRequest".into(),
                message: "No license changes provided.".into(),
                request_id: Some("abc".into()),
                permission: None,
            }
        );
        let error = decode::<Json>("GET /x", 502, Some("r".into()), b"<html>bad gateway</html>").unwrap_err();
        assert!(matches!(error, GraphError::Undecodable { status: 502, ref body, .. } if body.contains("bad gateway")));
        let ok: Answer<Json> = decode("POST /y", 202, None, b"").unwrap();
        assert_eq!((ok.status, ok.body), (202, Json::Null));
    }
}

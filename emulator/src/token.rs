//! The token endpoint (`POST /{tenant}/oauth2/v2.0/token`, client credentials) and
//! access-token checks for Graph requests.
//!
//! Accepted credentials: a client secret; a client assertion signed by one of the
//! application's certificates (PS256 with `x5t#S256`, as current Microsoft docs describe,
//! or the older RS256 with `x5t`); a federated token from a trusted issuer (workload
//! identity federation). Errors are AADSTS-shaped, as Entra answers them.
//!
//! Access tokens are JWTs (HS256, signed with a per-process key) carrying `appid`, `tid`,
//! `roles` and `exp`, so clients can read them like real ones.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value as Json, json};

use crate::request::{Incoming, Outgoing, parse_query};
use crate::shared::Shared;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Graph roots of the four clouds; an access token's `aud` must be one of them.
const GRAPH_AUDIENCES: [&str; 4] = [
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
];
/// Allowed clock skew for assertions, seconds.
const SKEW: i64 = 300;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64
}

fn aad_error(shared: &Shared, status: u16, error: &str, code: u32, message: &str) -> Outgoing {
    let trace = shared.new_id();
    let correlation = shared.new_id();
    let timestamp = crate::state::now_rfc3339();
    Outgoing::json(
        status,
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {message} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {timestamp}"),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
        }),
    )
}

/// Handles a token request; returns the response and the client ID it was for.
pub(crate) fn handle(shared: &Shared, request: &Incoming) -> (Outgoing, Option<String>) {
    let form = parse_query(std::str::from_utf8(&request.body).unwrap_or_default());
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let client_id = field("client_id").map(str::to_owned);
    (issue(shared, request, &field), client_id)
}

fn issue<'a>(shared: &Shared, request: &Incoming, field: &dyn Fn(&str) -> Option<&'a str>) -> Outgoing {
    if request.method != axum::http::Method::POST {
        return aad_error(
            shared,
            405,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests.",
        );
    }
    let directory = shared.directory.lock().expect("directory");
    let tenant_id = directory.tenant_id.clone();
    let tenant_in_path = request
        .path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    if !tenant_in_path.eq_ignore_ascii_case(&tenant_id) {
        return aad_error(
            shared,
            400,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant_in_path}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    if field("grant_type") != Some("client_credentials") {
        return aad_error(
            shared,
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    let Some(client_id) = field("client_id") else {
        return aad_error(
            shared,
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let Some(application) = directory.applications.get(client_id).cloned() else {
        return aad_error(
            shared,
            400,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant_id}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
            ),
        );
    };
    drop(directory);
    let scope = field("scope").unwrap_or_default();
    let Some(resource) = scope
        .strip_suffix("/.default")
        .filter(|r| !r.is_empty() && !r.contains(' '))
    else {
        return aad_error(
            shared,
            400,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    };

    if let Some(secret) = field("client_secret") {
        if !application
            .secrets
            .iter()
            .any(|s| constant_time_eq(s.as_bytes(), secret.as_bytes()))
        {
            return aad_error(
                shared,
                401,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            );
        }
    } else if let Some(assertion) = field("client_assertion") {
        if field("client_assertion_type") != Some(ASSERTION_TYPE) {
            return aad_error(
                shared,
                400,
                "invalid_request",
                50027,
                "Invalid client_assertion_type: it must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            );
        }
        if let Err((code, message)) = check_assertion(assertion, &application, &tenant_id) {
            return aad_error(shared, 401, "invalid_client", code, &message);
        }
    } else {
        return aad_error(
            shared,
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        );
    }

    let lifetime = shared.realism().token_lifetime_s;
    let issued = now();
    let claims = json!({
        "aud": resource,
        "iss": format!("https://sts.windows.net/{tenant_id}/"),
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime as i64,
        "appid": client_id,
        "azp": client_id,
        "tid": tenant_id,
        "oid": client_id,
        "sub": client_id,
        "idtyp": "app",
        "roles": application.roles,
        "ver": "1.0",
    });
    let token = sign_hs256(&shared.signing_key.lock().expect("signing key"), &claims);
    Outgoing::json(
        200,
        json!({"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}),
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn sign_hs256(key: &aws_lc_rs::hmac::Key, claims: &Json) -> String {
    let header = B64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = B64URL.encode(claims.to_string());
    let signed = format!("{header}.{payload}");
    let tag = aws_lc_rs::hmac::sign(key, signed.as_bytes());
    format!("{signed}.{}", B64URL.encode(tag.as_ref()))
}

struct Jwt {
    header: Json,
    claims: Json,
    signed: String,
    signature: Vec<u8>,
}

fn parse_jwt(token: &str) -> Option<Jwt> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(Jwt {
        header: serde_json::from_slice(&B64URL.decode(h).ok()?).ok()?,
        claims: serde_json::from_slice(&B64URL.decode(c).ok()?).ok()?,
        signed: format!("{h}.{c}"),
        signature: B64URL.decode(s).ok()?,
    })
}

fn check_assertion(
    assertion: &str,
    application: &crate::tenant::ApplicationFile,
    tenant_id: &str,
) -> Result<(), (u32, String)> {
    let jwt = parse_jwt(assertion).ok_or((50027, "JWT token is invalid or malformed.".to_owned()))?;
    let claim = |name: &str| {
        jwt.claims
            .get(name)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let header = |name: &str| jwt.header.get(name).and_then(Json::as_str).map(str::to_owned);

    if header("x5t#S256").is_some() || header("x5t").is_some() {
        let certificate = application
            .certificates
            .iter()
            .filter_map(|pem| {
                use rustls_pki_types::pem::PemObject;
                rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).ok()
            })
            .find(|der| {
                let sha256 = B64URL.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der));
                let sha1 = B64URL.encode(aws_lc_rs::digest::digest(
                    &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
                    der,
                ));
                header("x5t#S256").as_deref() == Some(&sha256) || header("x5t").as_deref() == Some(&sha1)
            })
            .ok_or((
                700027,
                "Client assertion contains an invalid signature. [Reason - The key was not found.]".to_owned(),
            ))?;
        let algorithm: &dyn rustls_pki_types::SignatureVerificationAlgorithm = match header("alg").as_deref() {
            Some("PS256") => webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            Some("RS256") => webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
            other => {
                return Err((
                    5002738,
                    format!(
                        "Invalid JWT token. '{}' is not a supported signature algorithm.",
                        other.unwrap_or("none")
                    ),
                ));
            }
        };
        let end_entity = webpki::EndEntityCert::try_from(&certificate)
            .map_err(|e| (700027, format!("Client assertion certificate is invalid: {e}")))?;
        end_entity
            .verify_signature(algorithm, jwt.signed.as_bytes(), &jwt.signature)
            .map_err(|_| (700027, "Client assertion failed signature validation.".to_owned()))?;
        if claim("iss") != application.app_id || claim("sub") != application.app_id {
            return Err((
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.".to_owned(),
            ));
        }
        let audience = claim("aud");
        if !audience
            .trim_end_matches('/')
            .ends_with(&format!("/{tenant_id}/oauth2/v2.0/token"))
        {
            return Err((
                700023,
                format!(
                    "Client assertion audience claim does not match Realm issuer. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials . Audience: '{audience}'"
                ),
            ));
        }
    } else {
        // Workload identity federation: a token from a trusted external issuer.
        let (issuer, subject) = (claim("iss"), claim("sub"));
        let audiences: Vec<String> = match jwt.claims.get("aud") {
            Some(Json::Array(values)) => values.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            Some(Json::String(value)) => vec![value.clone()],
            _ => Vec::new(),
        };
        let credential = application
            .federated_credentials
            .iter()
            .find(|c| c.issuer == issuer && c.subject == subject && c.audiences.iter().any(|a| audiences.contains(a)))
            .ok_or_else(|| (70021, format!(
                "No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{}'.",
                audiences.join(",")
            )))?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(&credential.hs256_key)
            .unwrap_or_default();
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
        if header("alg").as_deref() != Some("HS256")
            || aws_lc_rs::hmac::verify(&key, jwt.signed.as_bytes(), &jwt.signature).is_err()
        {
            return Err((700027, "Client assertion failed signature validation.".to_owned()));
        }
    }
    let exp = jwt.claims.get("exp").and_then(Json::as_i64).unwrap_or(0);
    let nbf = jwt.claims.get("nbf").and_then(Json::as_i64).unwrap_or(0);
    if exp + SKEW < now() || nbf - SKEW > now() {
        return Err((
            700024,
            "Client assertion is not within its valid time range.".to_owned(),
        ));
    }
    Ok(())
}

/// Checks a Graph request's bearer token; returns the application and its roles, or the
/// 401 message Graph would give.
pub(crate) fn authenticate(shared: &Shared, request: &Incoming) -> Result<(String, Vec<String>), String> {
    let header = request.header("authorization").unwrap_or_default();
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .unwrap_or_default()
        .trim();
    if token.is_empty() {
        return Err("Access token is empty.".to_owned());
    }
    let jwt = parse_jwt(token).ok_or("Access token validation failure. Invalid JWT token.")?;
    if aws_lc_rs::hmac::verify(
        &shared.signing_key.lock().expect("signing key"),
        jwt.signed.as_bytes(),
        &jwt.signature,
    )
    .is_err()
    {
        return Err("Access token validation failure. Invalid signature.".to_owned());
    }
    let audience = jwt
        .claims
        .get("aud")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .trim_end_matches('/');
    if !GRAPH_AUDIENCES.contains(&audience) && audience != shared.base_url {
        return Err("Access token validation failure. Invalid audience.".to_owned());
    }
    if jwt.claims.get("exp").and_then(Json::as_i64).unwrap_or(0) <= now() {
        return Err("Lifetime validation failed, the token is expired.".to_owned());
    }
    let application = jwt
        .claims
        .get("appid")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    let roles = jwt
        .claims
        .get("roles")
        .and_then(Json::as_array)
        .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    Ok((application, roles))
}

//! Access tokens for Microsoft Graph: credentials and a cached token source.
//!
//! Client credentials (secret, certificate assertion, federated OIDC token) are obtained
//! by hand with one `POST {authority}/{tenant}/oauth2/v2.0/token`, because the official
//! `azure_identity` crate (1.0) refuses authority hosts that are not `https://`, so it
//! could not be pointed at the local emulator, and its certificate credential needs
//! OpenSSL. Managed identity is done by hand too: `azure_identity` reads its endpoint only
//! from the process environment, and `msi_endpoint` must be honoured. The Azure CLI
//! credential is `azure_identity`'s, which has no authority host to point anywhere.
//!
//! Secrets, tokens and assertions are [`Secret`]s: their `Debug` and `Display` never show
//! the value, so they cannot reach a log line or an error text by accident.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value as Json, json};

use super::cloud::Cloud;
use super::error::GraphError;

/// Refresh a cached token this long before it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);
/// Lifetime of our client assertions.
const ASSERTION_LIFETIME_S: u64 = 600;

/// A secret string whose `Debug` and `Display` are redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where a federated (OIDC) token comes from.
#[derive(Clone, Debug)]
pub enum FederatedSource {
    /// Given directly (`oidc_token`).
    Token(Secret),
    /// Read from a file at every exchange, since such tokens rotate (`oidc_token_file_path`).
    File(PathBuf),
    /// GitHub Actions: `GET {url}&audience=…` with the request token.
    GitHub {
        /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
        url: String,
        /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
        request_token: Secret,
    },
    /// Azure DevOps: `POST {SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId=…`.
    AzureDevOps {
        /// `SYSTEM_OIDCREQUESTURI`.
        url: String,
        /// The service connection.
        service_connection_id: String,
        /// `SYSTEM_ACCESSTOKEN`.
        access_token: Secret,
    },
}

/// A loaded client certificate: its RSA key and the SHA-256 thumbprint of its DER.
#[derive(Clone)]
pub struct ClientCertificate {
    key: Arc<aws_lc_rs::rsa::KeyPair>,
    thumbprint_sha256: String,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientCertificate(x5t#S256={})", self.thumbprint_sha256)
    }
}

impl ClientCertificate {
    /// Loads a certificate with its private key: PEM text, or PKCS#12 bytes with an
    /// optional password. The key must be RSA, as Entra's certificate credentials are.
    pub fn load(data: &[u8], password: Option<&str>) -> Result<Self, String> {
        let (key_der, certificate_der) = if data.windows(11).any(|w| w == b"-----BEGIN ") {
            use rustls::pki_types::pem::PemObject;
            let certificate = rustls::pki_types::CertificateDer::from_pem_slice(data)
                .map_err(|e| format!("no certificate in the PEM data ({e})"))?;
            let key = match encrypted_pem_key(data) {
                Some(encrypted) => decrypt_pkcs8(&encrypted?, password)?,
                None => rustls::pki_types::PrivateKeyDer::from_pem_slice(data)
                    .map_err(|e| format!("no private key in the PEM data ({e})"))?
                    .secret_der()
                    .to_vec(),
            };
            (key, certificate.to_vec())
        } else {
            let store = p12_keystore::KeyStore::from_pkcs12(data, password.unwrap_or(""), Default::default())
                .map_err(|e| format!("not a readable PKCS#12 file (wrong password?): {e}"))?;
            let (_, chain) = store
                .private_key_chain()
                .ok_or("the PKCS#12 file holds no private key")?;
            let certificate = chain.certs().first().ok_or("the PKCS#12 file holds no certificate")?;
            (chain.key().as_der().to_vec(), certificate.as_der().to_vec())
        };
        let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(&key_der)
            .or_else(|_| aws_lc_rs::rsa::KeyPair::from_der(&key_der))
            .map_err(|_| "the private key is not an RSA key (Entra certificate credentials use RSA)".to_owned())?;
        let thumbprint_sha256 = B64URL.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &certificate_der));
        Ok(Self {
            key: Arc::new(key),
            thumbprint_sha256,
        })
    }

    /// A client assertion as Microsoft documents it: PS256, `x5t#S256`, 10 minutes.
    fn assertion(&self, client_id: &str, audience: &str) -> Result<Secret, String> {
        let now = unix_now();
        let header = json!({"alg": "PS256", "typ": "JWT", "x5t#S256": self.thumbprint_sha256});
        let claims = json!({
            "aud": audience, "iss": client_id, "sub": client_id, "jti": random_id(),
            "nbf": now, "iat": now, "exp": now + ASSERTION_LIFETIME_S,
        });
        let signed = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &aws_lc_rs::signature::RSA_PSS_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                signed.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "signing the client assertion failed".to_owned())?;
        Ok(Secret::new(format!("{signed}.{}", B64URL.encode(signature))))
    }
}

/// How the provider authenticates.
#[derive(Clone, Debug)]
pub enum Credential {
    /// An application's client secret.
    ClientSecret {
        /// Tenant.
        tenant_id: String,
        /// Application.
        client_id: String,
        /// The secret.
        secret: Secret,
    },
    /// An application's certificate.
    ClientCertificate {
        /// Tenant.
        tenant_id: String,
        /// Application.
        client_id: String,
        /// The certificate and key.
        certificate: ClientCertificate,
    },
    /// Workload identity federation.
    Federated {
        /// Tenant.
        tenant_id: String,
        /// Application.
        client_id: String,
        /// Where the external token comes from.
        source: FederatedSource,
    },
    /// A managed identity (IMDS, or App Service's endpoint).
    ManagedIdentity {
        /// A user-assigned identity's client ID.
        client_id: Option<String>,
        /// A custom IMDS-style endpoint (`msi_endpoint`).
        endpoint: Option<String>,
    },
    /// The Azure CLI's login.
    AzureCli {
        /// Tenant to ask the CLI for.
        tenant_id: Option<String>,
    },
}

impl Credential {
    /// A short name for diagnostics ("client secret", …).
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::ClientSecret { .. } => "client secret",
            Credential::ClientCertificate { .. } => "client certificate",
            Credential::Federated { .. } => "OIDC (workload identity federation)",
            Credential::ManagedIdentity { .. } => "managed identity",
            Credential::AzureCli { .. } => "Azure CLI",
        }
    }
}

struct CachedToken {
    token: Secret,
    refresh_after: Instant,
}

/// Hands out access tokens for Graph, cached until shortly before they expire.
pub struct TokenSource {
    credential: Credential,
    authority: url::Url,
    cloud: Cloud,
    scope: String,
    http: reqwest::Client,
    cached: tokio::sync::Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("credential", &self.credential.kind())
            .field("authority", &self.authority.as_str())
            .finish()
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("random bytes");
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// A new client-request-id.
pub(crate) fn new_request_id() -> String {
    random_id()
}

impl TokenSource {
    /// A token source for `credential`, asking `authority` for `scope`.
    pub fn new(
        credential: Credential,
        authority: url::Url,
        cloud: Cloud,
        scope: String,
        http: reqwest::Client,
    ) -> Self {
        Self {
            credential,
            authority,
            cloud,
            scope,
            http,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// A valid access token; fetched when none is cached or it is about to expire. One
    /// caller fetches while the others wait, so a burst of requests makes one token call.
    pub async fn token(&self) -> Result<Secret, GraphError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_after) {
            return Ok(token.token.clone());
        }
        let (token, lifetime) = self.fetch().await?;
        tracing::debug!(
            credential = self.credential.kind(),
            lifetime_s = lifetime.as_secs(),
            "Obtained an access token"
        );
        let refresh_after = Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN).max(lifetime / 2);
        *cached = Some(CachedToken {
            token: token.clone(),
            refresh_after,
        });
        Ok(token)
    }

    /// Forgets the cached token (Graph answered 401 with it).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self) -> Result<(Secret, Duration), GraphError> {
        match &self.credential {
            Credential::ClientSecret {
                tenant_id,
                client_id,
                secret,
            } => {
                self.client_credentials(tenant_id, client_id, &[("client_secret", secret.expose().to_owned())])
                    .await
            }
            Credential::ClientCertificate {
                tenant_id,
                client_id,
                certificate,
            } => {
                let audience = self.token_url(tenant_id);
                let assertion = certificate
                    .assertion(client_id, audience.as_str())
                    .map_err(|message| GraphError::Auth { message })?;
                self.client_credentials(tenant_id, client_id, &assertion_form(&assertion))
                    .await
            }
            Credential::Federated {
                tenant_id,
                client_id,
                source,
            } => {
                let assertion = self.federated_token(source).await?;
                self.client_credentials(tenant_id, client_id, &assertion_form(&assertion))
                    .await
            }
            Credential::ManagedIdentity { client_id, endpoint } => {
                self.managed_identity(client_id.as_deref(), endpoint.as_deref()).await
            }
            Credential::AzureCli { tenant_id } => self.azure_cli(tenant_id.clone()).await,
        }
    }

    fn token_url(&self, tenant_id: &str) -> url::Url {
        let mut url = self.authority.clone();
        url.path_segments_mut()
            .expect("http(s) URL")
            .pop_if_empty()
            .extend([tenant_id, "oauth2", "v2.0", "token"]);
        url
    }

    async fn client_credentials(
        &self,
        tenant_id: &str,
        client_id: &str,
        credential: &[(&str, String)],
    ) -> Result<(Secret, Duration), GraphError> {
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "client_credentials".into()),
            ("client_id", client_id.into()),
            ("scope", self.scope.clone()),
        ];
        form.extend(credential.iter().cloned());
        let url = self.token_url(tenant_id);
        let response = self
            .http
            .post(url.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| GraphError::Auth {
                message: format!(
                    "Could not reach the token endpoint {url}: {}. Check authority_endpoint and network access.",
                    without_url(&e)
                ),
            })?;
        let status = response.status().as_u16();
        let body: Json = response.json().await.unwrap_or(Json::Null);
        if status == 200 {
            let token = body["access_token"].as_str().ok_or_else(|| GraphError::Auth {
                message: "The token endpoint answered without an access_token.".into(),
            })?;
            let lifetime = number(&body["expires_in"]).unwrap_or(3599);
            return Ok((Secret::new(token), Duration::from_secs(lifetime)));
        }
        Err(GraphError::Auth {
            message: explain_token_error(&body, self.credential.kind(), status),
        })
    }

    async fn federated_token(&self, source: &FederatedSource) -> Result<Secret, GraphError> {
        let auth = |message: String| GraphError::Auth { message };
        match source {
            FederatedSource::Token(token) => Ok(token.clone()),
            FederatedSource::File(path) => std::fs::read_to_string(path)
                .map(|t| Secret::new(t.trim()))
                .map_err(|e| {
                    auth(format!(
                        "Could not read the OIDC token file {} (oidc_token_file_path / ARM_OIDC_TOKEN_FILE_PATH): {e}",
                        path.display()
                    ))
                }),
            FederatedSource::GitHub { url, request_token } => {
                let mut request_url = url::Url::parse(url)
                    .map_err(|e| auth(format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}")))?;
                request_url
                    .query_pairs_mut()
                    .append_pair("audience", self.cloud.federation_audience());
                let response = self
                    .http
                    .get(request_url)
                    .bearer_auth(request_token.expose())
                    .header("accept", "application/json")
                    .send()
                    .await
                    .map_err(|e| {
                        auth(format!(
                            "Could not request an OIDC token from GitHub Actions: {}",
                            without_url(&e)
                        ))
                    })?;
                let status = response.status();
                let body: Json = response.json().await.unwrap_or(Json::Null);
                body["value"].as_str().map(Secret::new).ok_or_else(|| {
                    auth(format!("GitHub Actions did not issue an OIDC token (HTTP {status}). Does the job have `permissions: id-token: write`?"))
                })
            }
            FederatedSource::AzureDevOps {
                url,
                service_connection_id,
                access_token,
            } => {
                let mut request_url =
                    url::Url::parse(url).map_err(|e| auth(format!("SYSTEM_OIDCREQUESTURI is not a URL: {e}")))?;
                request_url
                    .query_pairs_mut()
                    .append_pair("api-version", "7.1")
                    .append_pair("serviceConnectionId", service_connection_id);
                let response = self
                    .http
                    .post(request_url)
                    .bearer_auth(access_token.expose())
                    .header("content-type", "application/json")
                    .body("{}")
                    .send()
                    .await
                    .map_err(|e| {
                        auth(format!(
                            "Could not request an OIDC token from Azure DevOps: {}",
                            without_url(&e)
                        ))
                    })?;
                let status = response.status();
                let body: Json = response.json().await.unwrap_or(Json::Null);
                body["oidcToken"].as_str().map(Secret::new).ok_or_else(|| {
                    auth(format!(
                        "Azure DevOps did not issue an OIDC token for service connection {service_connection_id} (HTTP {status}). Check ado_pipeline_service_connection_id and that SYSTEM_ACCESSTOKEN is mapped into the step's environment."
                    ))
                })
            }
        }
    }

    async fn managed_identity(
        &self,
        client_id: Option<&str>,
        endpoint: Option<&str>,
    ) -> Result<(Secret, Duration), GraphError> {
        let resource = self.cloud.graph_host();
        let app_service = std::env::var("IDENTITY_ENDPOINT")
            .ok()
            .zip(std::env::var("IDENTITY_HEADER").ok());
        let mut request = match (endpoint, app_service) {
            (None, Some((url, header))) => {
                let mut url = url::Url::parse(&url).map_err(|e| GraphError::Auth {
                    message: format!("IDENTITY_ENDPOINT is not a URL: {e}"),
                })?;
                url.query_pairs_mut()
                    .append_pair("api-version", "2019-08-01")
                    .append_pair("resource", resource);
                self.http.get(url).header("X-IDENTITY-HEADER", header)
            }
            (endpoint, _) => {
                let base = endpoint.unwrap_or("http://169.254.169.254/metadata/identity/oauth2/token");
                let mut url = url::Url::parse(base).map_err(|e| GraphError::Auth {
                    message: format!("msi_endpoint is not a URL: {e}"),
                })?;
                url.query_pairs_mut()
                    .append_pair("api-version", "2018-02-01")
                    .append_pair("resource", resource);
                self.http.get(url).header("Metadata", "true")
            }
        };
        if let Some(id) = client_id {
            request = request.query(&[("client_id", id)]);
        }
        let response = request.timeout(Duration::from_secs(10)).send().await.map_err(|e| GraphError::Auth {
            message: format!("The managed identity endpoint did not answer ({}). use_msi needs to run on an Azure resource with a managed identity.", without_url(&e)),
        })?;
        let status = response.status().as_u16();
        let body: Json = response.json().await.unwrap_or(Json::Null);
        match body["access_token"].as_str() {
            Some(token) if status == 200 => {
                let lifetime = number(&body["expires_in"])
                    .or_else(|| number(&body["expires_on"]).map(|on| on.saturating_sub(unix_now())))
                    .unwrap_or(3599);
                Ok((Secret::new(token), Duration::from_secs(lifetime)))
            }
            _ => Err(GraphError::Auth {
                message: format!(
                    "The managed identity endpoint refused a token (HTTP {status}): {}",
                    body["error_description"].as_str().unwrap_or("no details")
                ),
            }),
        }
    }

    async fn azure_cli(&self, tenant_id: Option<String>) -> Result<(Secret, Duration), GraphError> {
        use azure_core::credentials::TokenCredential;
        let options = azure_identity::AzureCliCredentialOptions {
            tenant_id,
            ..Default::default()
        };
        let credential = azure_identity::AzureCliCredential::new(Some(options))
            .map_err(|e| GraphError::Auth { message: e.to_string() })?;
        let token = credential.get_token(&[self.scope.as_str()], None).await.map_err(|e| GraphError::Auth {
            message: format!("No credentials were configured, and the Azure CLI could not provide a token: {e}. Run `az login`, or configure client_id with client_secret, a client certificate or OIDC (or the matching ARM_* environment variables)."),
        })?;
        let remaining = (token.expires_on - azure_core::time::OffsetDateTime::now_utc())
            .whole_seconds()
            .max(60) as u64;
        Ok((Secret::new(token.token.secret()), Duration::from_secs(remaining)))
    }
}

fn assertion_form(assertion: &Secret) -> Vec<(&'static str, String)> {
    vec![
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
        ),
        ("client_assertion", assertion.expose().to_owned()),
    ]
}

fn number(value: &Json) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// A transport error's text without its URL, whose query could carry identifiers.
pub(crate) fn without_url(error: &reqwest::Error) -> String {
    let text = error.to_string();
    let text = match error.url() {
        Some(url) => text
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "the endpoint"),
        None => text,
    };
    match std::error::Error::source(error) {
        Some(source) => format!("{text}: {source}"),
        None => text,
    }
}

/// Turns the identity platform's error body into advice naming the setting to fix.
fn explain_token_error(body: &Json, kind: &str, status: u16) -> String {
    let description = body["error_description"].as_str().unwrap_or("no description");
    let description = description
        .split(" Trace ID:")
        .next()
        .unwrap_or(description)
        .split("\r\n")
        .next()
        .unwrap_or(description)
        .trim();
    let code = body["error_codes"][0].as_u64().unwrap_or(0);
    let advice = match code {
        7000215 | 7000222 => {
            "Check client_secret (ARM_CLIENT_SECRET): use the secret's value, not its ID, and make sure it has not expired."
        }
        700016 => {
            "Check client_id (ARM_CLIENT_ID) and tenant_id (ARM_TENANT_ID): the application is not registered in that tenant."
        }
        90002 | 900023 => "Check tenant_id (ARM_TENANT_ID) and environment (ARM_ENVIRONMENT).",
        700027 | 700023 | 700024 => {
            "Check the client certificate settings: the certificate must be uploaded to the application registration."
        }
        70021 | 700211 | 700212 | 700213 => {
            "Check the federated identity credential on the application: issuer, subject and audience must match the OIDC token."
        }
        1002012 | 70011 => "Check environment (ARM_ENVIRONMENT) and graph_endpoint: the requested scope is not valid.",
        _ => "Check the provider's authentication settings.",
    };
    format!("Authentication with {kind} failed (HTTP {status}, AADSTS{code}): {description}\n\n{advice}")
}

/// The DER of an `ENCRYPTED PRIVATE KEY` PEM block, when the data has one.
fn encrypted_pem_key(data: &[u8]) -> Option<Result<Vec<u8>, String>> {
    const BEGIN: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
    const END: &str = "-----END ENCRYPTED PRIVATE KEY-----";
    let text = std::str::from_utf8(data).ok()?;
    let start = text.find(BEGIN)? + BEGIN.len();
    let body = &text[start..start + text[start..].find(END)?];
    let base64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(base64)
            .map_err(|e| format!("the encrypted private key is not valid PEM ({e})")),
    )
}

/// Decrypts a PKCS#8 `EncryptedPrivateKeyInfo` (PBES2, as `openssl pkcs8 -topk8` writes it).
fn decrypt_pkcs8(der: &[u8], password: Option<&str>) -> Result<Vec<u8>, String> {
    let password = password.ok_or("the private key is encrypted: set client_certificate_password")?;
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der)
        .map_err(|e| format!("the encrypted private key could not be read ({e})"))?;
    let document = info
        .decrypt(password)
        .map_err(|_| "the encrypted private key could not be decrypted (wrong client_certificate_password?)")?;
    Ok(document.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::signature::KeyPair;

    use super::*;

    /// The emulator's test application key, encrypted with PBES2 (AES-256-CBC, PBKDF2
    /// with HMAC-SHA256) by `openssl pkcs8 -topk8`, followed by its certificate.
    const ENCRYPTED: &[u8] = include_bytes!("testdata/encrypted-pkcs8.pem");

    #[test]
    fn encrypted_pkcs8_pem_keys_load_with_their_password() {
        let plain = ClientCertificate::load(
            include_bytes!("../../emulator/fixtures/contoso-app-certificate.pem"),
            None,
        )
        .expect("the unencrypted key");
        let decrypted = ClientCertificate::load(ENCRYPTED, Some("correct-horse")).expect("the encrypted key");
        assert_eq!(decrypted.thumbprint_sha256, plain.thumbprint_sha256);
        assert_eq!(
            decrypted.key.public_key().as_ref(),
            plain.key.public_key().as_ref(),
            "the same key"
        );
        let wrong = ClientCertificate::load(ENCRYPTED, Some("wrong")).err().unwrap();
        assert!(wrong.contains("wrong client_certificate_password"), "{wrong}");
        let missing = ClientCertificate::load(ENCRYPTED, None).err().unwrap();
        assert!(missing.contains("set client_certificate_password"), "{missing}");
    }
}

//! The token endpoint: every credential type and the AADSTS errors.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value as Json, json};

use crate::support::*;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn fixture_key_and_certificate() -> (aws_lc_rs::rsa::KeyPair, Vec<u8>) {
    use rustls_pki_types::pem::PemObject;
    let pem = include_str!("../fixtures/contoso-app-certificate.pem");
    let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(pem.as_bytes()).unwrap();
    let certificate = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    (
        aws_lc_rs::rsa::KeyPair::from_pkcs8(key.secret_der()).unwrap(),
        certificate.to_vec(),
    )
}

/// A client assertion as Microsoft documents it (PS256 + x5t#S256) or the older form
/// (RS256 + x5t).
fn assertion(legacy: bool, audience: &str) -> String {
    let (key, der) = fixture_key_and_certificate();
    let header = if legacy {
        json!({"alg": "RS256", "typ": "JWT", "x5t": B64URL.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &der))})
    } else {
        json!({"alg": "PS256", "typ": "JWT", "x5t#S256": B64URL.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der))})
    };
    let claims = json!({"aud": audience, "iss": CI_APP, "sub": CI_APP, "jti": "a1", "nbf": now(), "iat": now(), "exp": now() + 600});
    let signed = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let mut signature = vec![0; key.public_modulus_len()];
    let padding: &dyn aws_lc_rs::signature::RsaEncoding = if legacy {
        &aws_lc_rs::signature::RSA_PKCS1_SHA256
    } else {
        &aws_lc_rs::signature::RSA_PSS_SHA256
    };
    key.sign(
        padding,
        &aws_lc_rs::rand::SystemRandom::new(),
        signed.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{signed}.{}", B64URL.encode(signature))
}

fn federated_token(subject: &str) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode("Y29udG9zby1lbXVsYXRvci1vaWRjLXRlc3Qta2V5LTMyYnl0ZXMh")
        .unwrap();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
    let header = B64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = json!({"iss": "https://token.actions.githubusercontent.com", "sub": subject, "aud": "api://AzureADTokenExchange", "nbf": now(), "exp": now() + 300});
    let signed = format!("{header}.{}", B64URL.encode(claims.to_string()));
    format!(
        "{signed}.{}",
        B64URL.encode(aws_lc_rs::hmac::sign(&key, signed.as_bytes()).as_ref())
    )
}

async fn token_error(h: &Harness, form: &[(&str, &str)]) -> (u16, Json) {
    let response = h.token_request(form).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

fn claims(token: &str) -> Json {
    serde_json::from_slice(&B64URL.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

#[tokio::test]
async fn client_secret_gives_a_jwt_with_roles_and_expiry() {
    let h = Harness::start().await;
    let claims = claims(&h.token);
    assert_eq!(claims["appid"], CI_APP);
    assert_eq!(claims["tid"], TENANT);
    assert!(
        claims["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("LicenseAssignment.ReadWrite.All"))
    );
    assert!(claims["exp"].as_i64().unwrap() > now());
}

#[tokio::test]
async fn bad_credentials_get_aadsts_errors() {
    let h = Harness::start().await;
    let scope = ("scope", "https://graph.microsoft.com/.default");
    let grant = ("grant_type", "client_credentials");
    let (status, body) = token_error(&h, &[grant, ("client_id", CI_APP), ("client_secret", "wrong"), scope]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    assert_eq!(body["error_codes"][0], 7000215);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215: Invalid client secret provided.")
    );
    let (status, body) = token_error(
        &h,
        &[
            grant,
            ("client_id", "99999999-9999-4999-8999-999999999999"),
            ("client_secret", "x"),
            scope,
        ],
    )
    .await;
    assert_eq!((status, body["error_codes"][0].as_u64()), (400, Some(700016)));
    let (_, body) = token_error(
        &h,
        &[
            grant,
            ("client_id", CI_APP),
            ("client_secret", CI_SECRET),
            ("scope", "https://graph.microsoft.com/User.Read"),
        ],
    )
    .await;
    assert_eq!(body["error_codes"][0], 1002012);
    let (_, body) = token_error(&h, &[grant, ("client_id", CI_APP), scope]).await;
    assert_eq!(body["error_codes"][0], 7000216);
    let response = h
        .http
        .post(format!(
            "{}/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token",
            h.emulator.base_url()
        ))
        .form(&[grant, ("client_id", CI_APP), ("client_secret", CI_SECRET), scope])
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Json>().await.unwrap()["error_codes"][0], 90002);
}

#[tokio::test]
async fn certificate_assertions_current_and_legacy_forms() {
    let h = Harness::start().await;
    let audience = format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token");
    for legacy in [false, true] {
        let jwt = assertion(legacy, &audience);
        let response = h
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", CI_APP),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &jwt),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .await;
        assert_eq!(response.status(), 200, "legacy={legacy}");
    }
    // A tampered signature, and a wrong audience.
    let mut jwt = assertion(false, &audience);
    jwt.replace_range(jwt.len() - 6.., "AAAAAA");
    let (status, body) = token_error(
        &h,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CI_APP),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &jwt),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!((status, body["error_codes"][0].as_u64()), (401, Some(700027)));
    let wrong = assertion(false, "https://login.microsoftonline.com/other/oauth2/v2.0/token");
    let (_, body) = token_error(
        &h,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CI_APP),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &wrong),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(body["error_codes"][0], 700023);
}

#[tokio::test]
async fn federated_tokens_from_a_trusted_issuer() {
    let h = Harness::start().await;
    let form = |token: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", CI_APP.to_owned()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            ("client_assertion", token.to_owned()),
            ("scope", "https://graph.microsoft.com/.default".to_owned()),
        ]
    };
    let good = federated_token("repo:contoso/infrastructure:ref:refs/heads/main");
    let response = h
        .http
        .post(format!("{}/{TENANT}/oauth2/v2.0/token", h.emulator.base_url()))
        .form(&form(&good))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let other = federated_token("repo:someone/else:ref:refs/heads/main");
    let response = h
        .http
        .post(format!("{}/{TENANT}/oauth2/v2.0/token", h.emulator.base_url()))
        .form(&form(&other))
        .send()
        .await
        .unwrap();
    let body: Json = response.json().await.unwrap();
    assert_eq!(body["error_codes"][0], 70021);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("repo:someone/else")
    );
}

#[tokio::test]
async fn graph_rejects_missing_expired_and_foreign_tokens() {
    let h = Harness::with(entra_graph_emulator::Realism {
        token_lifetime_s: 1,
        ..Default::default()
    })
    .await;
    let response = h.http.get(h.url(&format!("/groups/{SALES}"))).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let body: Json = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(message(&body), "Access token is empty.");
    let forged = format!("{}x", h.token);
    let response = h
        .http
        .get(h.url(&format!("/groups/{SALES}")))
        .bearer_auth(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body) = h.get(&format!("/groups/{SALES}")).await;
    assert_eq!(status, 401);
    assert_eq!(message(&body), "Lifetime validation failed, the token is expired.");
}

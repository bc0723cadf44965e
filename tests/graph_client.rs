//! The Graph client and every credential that can run locally, against the emulator:
//! secret, certificate (PEM and PKCS#12), OIDC from a file, GitHub Actions and Azure DevOps
//! token requests served by a local stub; token caching, expiry and refresh on 401;
//! throttling, server errors, giving up, permission errors, cancellation; and logs that
//! never contain a secret or a token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use entra_graph_emulator::{Emulator, Options, Realism};
use serde_json::json;
use terraform_provider_entra::diagnostics::graph_error;
use terraform_provider_entra::graph::{
    ClientCertificate, Cloud, Credential, FederatedSource, GraphClient, GraphError, RetryPolicy, Secret, TokenSource,
    http_client,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

pub const TENANT: &str = "48a80680-7326-48cd-9935-b556b81d3a4e";
pub const CI_APP: &str = "11111111-1111-4111-8111-111111111111";
const READ_ONLY_APP: &str = "22222222-2222-4222-8222-222222222222";
const SALES: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";

pub fn secret_credential(app: &str, secret: &str) -> Credential {
    Credential::ClientSecret {
        tenant_id: TENANT.into(),
        client_id: app.into(),
        secret: Secret::new(secret),
    }
}

pub fn client_for(emulator: &Emulator, credential: Credential) -> GraphClient {
    let http = http_client();
    let authority = url::Url::parse(emulator.base_url()).unwrap();
    let tokens = TokenSource::new(
        credential,
        authority,
        Cloud::Global,
        Cloud::Global.graph_scope(),
        http.clone(),
    );
    GraphClient::new(http, url::Url::parse(&emulator.graph_url()).unwrap(), tokens, "1.11.4")
}

async fn emulator(realism: Realism) -> Emulator {
    Emulator::start(Options {
        realism,
        ..Options::default()
    })
    .await
    .unwrap()
}

fn count(emulator: &Emulator, predicate: impl Fn(&entra_graph_emulator::RequestRecord) -> bool) -> usize {
    emulator.requests().iter().filter(|r| predicate(r)).count()
}

fn token_requests(emulator: &Emulator) -> usize {
    count(emulator, |r| r.path.ends_with("/oauth2/v2.0/token"))
}

/// A federated token from the "GitHub" issuer the Contoso fixture trusts.
pub fn github_oidc_token(subject: &str) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode("Y29udG9zby1lbXVsYXRvci1vaWRjLXRlc3Qta2V5LTMyYnl0ZXMh")
        .unwrap();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"iss": "https://token.actions.githubusercontent.com", "sub": subject, "aud": "api://AzureADTokenExchange", "nbf": now, "exp": now + 600});
    let signed = format!(
        "{}.{}",
        b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64.encode(claims.to_string())
    );
    format!(
        "{signed}.{}",
        b64.encode(aws_lc_rs::hmac::sign(&key, signed.as_bytes()).as_ref())
    )
}

/// A one-route HTTP stub answering every request with `body`, recording what it saw.
async fn stub(body: serde_json::Value) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = vec![0u8; 16384];
            let n = socket.read(&mut buffer).await.unwrap_or(0);
            record
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buffer[..n]).into_owned());
            let text = body.to_string();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    (format!("http://{address}"), seen)
}

#[tokio::test]
async fn every_local_credential_type_reads_graph() {
    let emulator = emulator(Realism::default()).await;
    let cancel = CancellationToken::new();
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/emulator/fixtures/contoso-app-certificate.pem"
    ))
    .unwrap();
    let p12 = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/contoso-app-certificate.p12"
    ))
    .unwrap();
    let token_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        token_file.path(),
        github_oidc_token("repo:contoso/infrastructure:ref:refs/heads/main"),
    )
    .unwrap();

    let credentials = vec![
        secret_credential(CI_APP, "ci-secret-value"),
        Credential::ClientCertificate {
            tenant_id: TENANT.into(),
            client_id: CI_APP.into(),
            certificate: ClientCertificate::load(&pem, None).unwrap(),
        },
        Credential::ClientCertificate {
            tenant_id: TENANT.into(),
            client_id: CI_APP.into(),
            certificate: ClientCertificate::load(&p12, Some("test-password")).unwrap(),
        },
        Credential::Federated {
            tenant_id: TENANT.into(),
            client_id: CI_APP.into(),
            source: FederatedSource::File(token_file.path().to_owned()),
        },
    ];
    for credential in credentials {
        let kind = credential.kind();
        let skus = client_for(&emulator, credential)
            .subscribed_skus(&cancel)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(skus.iter().any(|s| s.sku_part_number == "SPE_E5"), "{kind}");
    }
    assert!(
        ClientCertificate::load(&p12, Some("wrong"))
            .unwrap_err()
            .contains("password")
    );
}

#[tokio::test]
async fn github_actions_and_azure_devops_token_requests() {
    let emulator = emulator(Realism::default()).await;
    let cancel = CancellationToken::new();
    let token = github_oidc_token("repo:contoso/infrastructure:ref:refs/heads/main");

    let (github, seen) = stub(json!({"value": token})).await;
    let source = FederatedSource::GitHub {
        url: format!("{github}/token?api-version=2.0"),
        request_token: Secret::new("gh-request-token"),
    };
    let client = client_for(
        &emulator,
        Credential::Federated {
            tenant_id: TENANT.into(),
            client_id: CI_APP.into(),
            source,
        },
    );
    client.subscribed_skus(&cancel).await.unwrap();
    let request = seen.lock().unwrap()[0].clone();
    assert!(
        request.starts_with("GET /token?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange "),
        "{request}"
    );
    assert!(
        request
            .to_lowercase()
            .contains("authorization: bearer gh-request-token")
    );

    let (ado, seen) = stub(json!({"oidcToken": token})).await;
    let source = FederatedSource::AzureDevOps {
        url: format!("{ado}/oidc"),
        service_connection_id: "sc-1".into(),
        access_token: Secret::new("ado-token"),
    };
    let client = client_for(
        &emulator,
        Credential::Federated {
            tenant_id: TENANT.into(),
            client_id: CI_APP.into(),
            source,
        },
    );
    client.subscribed_skus(&cancel).await.unwrap();
    let request = seen.lock().unwrap()[0].clone();
    assert!(
        request.starts_with("POST /oidc?api-version=7.1&serviceConnectionId=sc-1 "),
        "{request}"
    );
}

#[tokio::test]
async fn tokens_are_cached_refreshed_before_expiry_and_after_a_401() {
    let emulator = emulator(Realism {
        token_lifetime_s: 2,
        ..Default::default()
    })
    .await;
    let cancel = CancellationToken::new();
    let client = client_for(&emulator, secret_credential(CI_APP, "ci-secret-value"));
    client.subscribed_skus(&cancel).await.unwrap();
    client.subscribed_skus(&cancel).await.unwrap();
    assert_eq!(token_requests(&emulator), 1, "the token is reused");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.subscribed_skus(&cancel).await.unwrap();
    assert_eq!(token_requests(&emulator), 2, "refreshed before it expires");

    http_client()
        .post(format!("{}/_emulator/revoke-tokens", emulator.base_url()))
        .send()
        .await
        .unwrap();
    client.subscribed_skus(&cancel).await.unwrap();
    assert_eq!(count(&emulator, |r| r.status == 401), 1, "one 401, then a fresh token");
    assert_eq!(token_requests(&emulator), 3);
}

#[tokio::test]
async fn a_429_storm_passes_after_retry_after_and_5xx_are_retried() {
    let emulator = emulator(Realism {
        storm: 3,
        storm_retry_after_s: 0.1,
        fail_next: 2,
        fail_next_status: 503,
        ..Default::default()
    })
    .await;
    let cancel = CancellationToken::new();
    let client = client_for(&emulator, secret_credential(CI_APP, "ci-secret-value"));
    let skus = client.subscribed_skus(&cancel).await.unwrap();
    assert!(!skus.is_empty());
    let statuses: Vec<u16> = emulator
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1.0/"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 429, 503, 503, 200]);
}

#[tokio::test]
async fn retries_stop_at_the_bound_with_a_clear_error() {
    let emulator = emulator(Realism {
        error_rate: 1.0,
        error_statuses: vec![503],
        ..Default::default()
    })
    .await;
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        max_total: Duration::from_secs(5),
        max_attempts: 3,
    };
    let client = client_for(&emulator, secret_credential(CI_APP, "ci-secret-value")).with_retry(policy);
    let error = client.subscribed_skus(&CancellationToken::new()).await.unwrap_err();
    assert!(matches!(error, GraphError::Api { status: 503, .. }), "{error:?}");
    assert_eq!(count(&emulator, |r| r.path.starts_with("/v1.0/")), 3, "three attempts");
    let diagnostic = graph_error("Unable to Read Subscribed SKUs", &error);
    assert!(
        diagnostic.detail.contains("HTTP 503") && diagnostic.detail.contains("Graph request-id: "),
        "{}",
        diagnostic.detail
    );
}

#[tokio::test]
async fn an_unreadable_sku_list_is_asked_for_once_per_process() {
    use terraform_provider_entra::licensing::Tenant;
    let failing = emulator(Realism {
        error_rate: 1.0,
        error_statuses: vec![503],
        ..Default::default()
    })
    .await;
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        max_total: Duration::from_secs(5),
        max_attempts: 3,
    };
    let tenant = Tenant::new(client_for(&failing, secret_credential(CI_APP, "ci-secret-value")).with_retry(policy));
    let cancel = CancellationToken::new();
    // Every resource of a run asks; during an outage only the first one waits.
    for _ in 0..3 {
        let error = tenant.subscribed_skus(&cancel).await.unwrap_err();
        assert!(matches!(error, GraphError::Api { status: 503, .. }), "{error:?}");
    }
    let sku_reads = |e: &Emulator| count(e, |r| r.path == "/v1.0/subscribedSkus");
    assert_eq!(sku_reads(&failing), 3, "three attempts, all by the first caller");

    // A cancelled read is not remembered: the next caller asks Graph.
    let healthy = emulator(Realism::default()).await;
    let tenant = Tenant::new(client_for(&healthy, secret_credential(CI_APP, "ci-secret-value")));
    let cancelled = CancellationToken::new();
    cancelled.cancel();
    assert_eq!(
        tenant.subscribed_skus(&cancelled).await.unwrap_err(),
        GraphError::Cancelled
    );
    assert!(!tenant.subscribed_skus(&cancel).await.unwrap().is_empty());
    assert!(!tenant.subscribed_skus(&cancel).await.unwrap().is_empty());
    assert_eq!(sku_reads(&healthy), 1, "one read once it succeeded");
}

#[tokio::test]
async fn a_missing_permission_is_named_and_a_wrong_secret_explained() {
    let emulator = emulator(Realism::default()).await;
    let cancel = CancellationToken::new();
    let client = client_for(&emulator, secret_credential(READ_ONLY_APP, "read-only-secret-value"));
    let error = client
        .assign_group_licenses(&cancel, SALES, &[], &[])
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(403));
    let diagnostic = graph_error("Unable to Assign Licenses", &error);
    assert!(
        diagnostic
            .detail
            .contains("application permission LicenseAssignment.ReadWrite.All"),
        "{}",
        diagnostic.detail
    );

    let wrong = client_for(&emulator, secret_credential(CI_APP, "not-the-secret"));
    let GraphError::Auth { message } = wrong.tokens().token().await.unwrap_err() else {
        panic!("an authentication error")
    };
    assert!(
        message.contains("AADSTS7000215") && message.contains("ARM_CLIENT_SECRET"),
        "{message}"
    );
    assert!(!message.contains("not-the-secret"));
}

#[tokio::test]
async fn stop_cancels_a_request_in_flight() {
    let emulator = emulator(Realism {
        latency_ms: 5_000,
        ..Default::default()
    })
    .await;
    let client = client_for(&emulator, secret_credential(CI_APP, "ci-secret-value"));
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stopper.cancel();
    });
    assert_eq!(
        client.subscribed_skus(&cancel).await.unwrap_err(),
        GraphError::Cancelled
    );
}

#[test]
fn trace_logs_never_contain_secrets_tokens_or_assertions() {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    use tracing_subscriber::layer::SubscriberExt;
    let buffer = Buffer::default();
    let sink = buffer.clone();
    let subscriber = tracing_subscriber::registry().with(
        terraform_provider_entra::tfplugin::logging::TerraformJson::new(move || sink.clone()),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let emulator = emulator(Realism {
                storm: 1,
                storm_retry_after_s: 0.01,
                ..Default::default()
            })
            .await;
            let cancel = CancellationToken::new();
            let secret = client_for(&emulator, secret_credential(CI_APP, "ci-secret-value"));
            secret.subscribed_skus(&cancel).await.unwrap();
            let pem = std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/emulator/fixtures/contoso-app-certificate.pem"
            ))
            .unwrap();
            let certificate = ClientCertificate::load(&pem, None).unwrap();
            let assertion = client_for(
                &emulator,
                Credential::ClientCertificate {
                    tenant_id: TENANT.into(),
                    client_id: CI_APP.into(),
                    certificate,
                },
            );
            assertion.subscribed_skus(&cancel).await.unwrap();
            let wrong = client_for(&emulator, secret_credential(CI_APP, "wrong-secret-value"));
            let _ = wrong.subscribed_skus(&cancel).await;
            secret.tokens().token().await.unwrap().expose().to_owned()
        })
    });
    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("Graph request"), "logging was captured at trace level");
    for forbidden in [
        "ci-secret-value",
        "wrong-secret-value",
        token.as_str(),
        "eyJ",
        "Bearer ",
        "client_assertion=",
    ] {
        assert!(!logs.contains(forbidden), "logs contain {forbidden:?}");
    }
}

#[tokio::test]
async fn groups_holding_skus_costs_one_batch_plus_one_request_per_further_page() {
    const SPE_E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
    const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";
    let mut tenant = entra_graph_emulator::generate(&entra_graph_emulator::Generate {
        groups: 1200,
        users: 10,
        group_sizes: Vec::new(),
    })
    .unwrap();
    // 1,100 groups hold SPE_E3 (two pages of 999), 5 of them EMS too, 100 hold nothing.
    for (n, group) in tenant.groups.iter_mut().enumerate().take(1100) {
        group.assigned_licenses.push(entra_graph_emulator::AssignedLicense {
            sku_id: SPE_E3.into(),
            disabled_plans: Vec::new(),
        });
        if n < 5 {
            group.assigned_licenses.push(entra_graph_emulator::AssignedLicense {
                sku_id: EMS.into(),
                disabled_plans: Vec::new(),
            });
        }
    }
    let emulator = Emulator::start(Options {
        tenant,
        ..Options::default()
    })
    .await
    .unwrap();
    let client = client_for(&emulator, secret_credential(CI_APP, "ci-secret-value"));
    let cancel = CancellationToken::new();
    let before = emulator.requests().len();
    let groups = client
        .groups_holding(&cancel, &[SPE_E3.to_owned(), EMS.to_owned()])
        .await
        .unwrap();
    assert_eq!(groups.len(), 1100, "each group once, whatever it holds");
    assert!(
        groups
            .iter()
            .all(|g| !g.assigned_licenses.is_empty() && g.display_name.is_some())
    );
    let requests = emulator.requests()[before..].to_vec();
    let top_level: Vec<&str> = requests
        .iter()
        .filter(|r| r.path.starts_with("/v1.0/$batch") || r.path.contains("skiptoken"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(
        top_level.len(),
        2,
        "one $batch, then the second SPE_E3 page: {top_level:?}"
    );
    emulator.shutdown().await;
}

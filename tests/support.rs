//! Shared test helpers: an in-process provider server, a TLS client that plays
//! Terraform's go-plugin client, and the `terraform` CLI harness.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use terraform_provider_entra::tfplugin::handshake;
use terraform_provider_entra::tfplugin::proto;
use terraform_provider_entra::tfplugin::{Provider, Type, Value, msgpack};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint, Uri};

pub type ProviderClient = proto::provider_client::ProviderClient<Channel>;

/// A provider served in process over an in-memory pipe: no ports, no TLS, no process.
pub struct InProcess {
    pub channel: Channel,
    pub shutdown: CancellationToken,
}

impl InProcess {
    pub async fn start<P: Provider>(provider: P) -> Self {
        let shutdown = CancellationToken::new();
        let router = handshake::router(provider, &shutdown).await;
        let (client_io, server_io) = tokio::io::duplex(1 << 20);
        let stop = shutdown.clone();
        tokio::spawn(async move {
            // One connection, then a stream that stays open: tonic stops serving when the
            // incoming stream ends.
            let incoming = futures::StreamExt::chain(
                tokio_stream::once(Ok::<_, std::io::Error>(server_io)),
                futures::stream::pending(),
            );
            let _ = router
                .serve_with_incoming_shutdown(incoming, stop.cancelled_owned())
                .await;
        });
        let mut client_io = Some(client_io);
        let channel = Endpoint::from_static("http://in-process")
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let io = client_io.take().expect("one connection");
                async move { Ok::<_, std::io::Error>(TokioIo::new(io)) }
            }))
            .await
            .expect("in-process channel");
        Self { channel, shutdown }
    }

    pub fn provider(&self) -> ProviderClient {
        proto::provider_client::ProviderClient::new(self.channel.clone()).max_decoding_message_size(256 << 20)
    }
}

/// Encodes a value as Terraform would send it.
pub fn dynamic(value: &Value, ty: &Type) -> Option<proto::DynamicValue> {
    Some(proto::DynamicValue {
        msgpack: msgpack::encode(value, ty).expect("encodable"),
        json: Vec::new(),
    })
}

/// Decodes a value the provider sent; an absent value is null.
pub fn value(dynamic: Option<&proto::DynamicValue>, ty: &Type) -> Value {
    match dynamic {
        Some(d) if !d.msgpack.is_empty() => msgpack::decode(&d.msgpack, ty).expect("decodable msgpack"),
        _ => Value::Null,
    }
}

/// Summaries of error diagnostics, for assertions.
pub fn errors(diagnostics: &[proto::Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity == proto::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

/// The provider binary cargo built for these tests.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-entra"))
}

/// A self-signed ECDSA P-521 certificate shaped like go-plugin's (CA, localhost,
/// client and server auth), with its key, as Terraform makes for AutoMTLS.
pub fn terraform_like_client_certificate() -> rcgen::CertifiedKey<rcgen::KeyPair> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let cert = params.self_signed(&key).expect("self-signed");
    rcgen::CertifiedKey { cert, signing_key: key }
}

/// Trusts exactly the server certificate announced in the handshake line, as go-plugin's
/// client does (it puts that certificate in its root pool).
#[derive(Debug)]
struct AnnouncedServerCertificate {
    der: Vec<u8>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl rustls::client::danger::ServerCertVerifier for AnnouncedServerCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        assert_eq!(server_name.to_str(), "localhost");
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Connects to a plugin at `address` over TLS, presenting `client` (if any) and trusting
/// only `server_der`.
pub async fn connect_tls(
    address: &str,
    server_der: Vec<u8>,
    client: Option<&rcgen::CertifiedKey<rcgen::KeyPair>>,
) -> Result<Channel, tonic::transport::Error> {
    let provider = terraform_provider_entra::tfplugin::tls::crypto_provider();
    let verifier = Arc::new(AnnouncedServerCertificate {
        der: server_der,
        algorithms: provider.signature_verification_algorithms,
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client {
        Some(c) => builder
            .with_client_auth_cert(
                vec![c.cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into()),
            )
            .expect("client auth"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let address = address.to_owned();
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let connector = connector.clone();
            let address = address.clone();
            async move {
                let tcp = tokio::net::TcpStream::connect(&address).await?;
                let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
                let tls = connector.connect(name, tcp).await?;
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
}

/// The terraform binary to test with: `TF_ACC_TERRAFORM_PATH`, else `terraform` on PATH.
///
/// Without one the test FAILS, saying how to install terraform: a suite that passes without
/// running is not a result. `ENTRA_SKIP_E2E=1` opts out: the test then prints
/// `SKIPPED <test>: <reason>` straight to the terminal (past the harness's output capture,
/// so it shows under a plain `cargo test`) and returns `None`. In CI (`CI=true`) the
/// end-to-end suite never skips: `ENTRA_SKIP_E2E` is ignored there.
pub fn terraform_or_skip(test: &str) -> Option<PathBuf> {
    use std::io::Write;
    let in_ci = std::env::var("CI").as_deref() == Ok("true");
    let opted_out = !in_ci && std::env::var("ENTRA_SKIP_E2E").as_deref() == Ok("1");
    if opted_out {
        let _ = writeln!(std::io::stderr(), "SKIPPED {test}: ENTRA_SKIP_E2E=1");
        return None;
    }
    let configured = std::env::var_os("TF_ACC_TERRAFORM_PATH").map(PathBuf::from);
    let found = configured.clone().or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("terraform"))
                .find(|candidate| candidate.is_file())
        })
    });
    match found {
        Some(path) if path.is_file() => Some(path),
        _ => {
            let reason = match configured {
                Some(path) => format!("TF_ACC_TERRAFORM_PATH={} does not exist", path.display()),
                None => "no terraform on PATH and TF_ACC_TERRAFORM_PATH is not set".to_owned(),
            };
            let way_out = if in_ci {
                "In CI (CI=true) the end-to-end suite is never skipped."
            } else {
                "Or set ENTRA_SKIP_E2E=1 to skip the end-to-end tests (each prints SKIPPED)."
            };
            panic!(
                "{test}: {reason}. The end-to-end tests drive a real terraform (1.0 or newer): install it from https://developer.hashicorp.com/terraform/install and put it on PATH, or set TF_ACC_TERRAFORM_PATH to its binary. {way_out}"
            );
        }
    }
}

/// A working directory with its own CLI configuration that points terraform at the
/// freshly built provider through `dev_overrides` (no registry, no init).
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub terraform: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Workspace {
    pub fn new(terraform: PathBuf) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let plugins = dir.path().join("plugins");
        std::fs::create_dir(&plugins).expect("plugins dir");
        std::os::unix::fs::symlink(provider_binary(), plugins.join("terraform-provider-entra"))
            .expect("symlink provider");
        let cli_config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            terraform_provider_entra::PROVIDER_ADDRESS,
            plugins.display()
        );
        std::fs::write(dir.path().join("cli.tfrc"), cli_config).expect("cli config");
        Self {
            dir,
            terraform,
            env: Vec::new(),
        }
    }

    /// Environment variables for every terraform command (and so for the provider).
    pub fn with_env(mut self, vars: &[(&str, &str)]) -> Self {
        self.env
            .extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The terraform version as (major, minor, patch).
    pub fn terraform_version(&self) -> (u32, u32, u32) {
        let json: serde_json::Value = serde_json::from_str(&self.ok(&["version", "-json"])).expect("version JSON");
        let text = json["terraform_version"].as_str().unwrap_or("0.0.0");
        let mut parts = text.split(['.', '-']).map(|p| p.parse().unwrap_or(0));
        (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        )
    }

    /// Copies a fixture from `tests/fixtures` in as `main.tf`.
    pub fn use_fixture(&self, name: &str) {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
        std::fs::copy(&source, self.path().join("main.tf"))
            .unwrap_or_else(|e| panic!("copy {}: {e}", source.display()));
    }

    /// Runs terraform with this workspace's CLI config, whatever the environment says.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.terraform)
            .args(args)
            .current_dir(self.path())
            .env("TF_CLI_CONFIG_FILE", self.path().join("cli.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_CLI_ARGS")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("terraform runs")
    }

    /// Runs terraform and asserts success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "terraform {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    }
}

/// An emulator on its own runtime, for synchronous tests that run terraform.
pub struct BackgroundEmulator {
    pub emulator: entra_graph_emulator::Emulator,
    _runtime: tokio::runtime::Runtime,
}

impl BackgroundEmulator {
    pub fn start() -> Self {
        Self::start_with(Default::default())
    }

    /// An emulator serving `options` (another tenant, realism knobs).
    pub fn start_with(options: entra_graph_emulator::Options) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let emulator = runtime
            .block_on(entra_graph_emulator::Emulator::start(options))
            .expect("emulator");
        Self {
            emulator,
            _runtime: runtime,
        }
    }

    /// Graph writes attempted so far: every non-GET Graph call, carried out or refused (a
    /// `$batch` of reads is not one).
    pub fn write_attempts(&self) -> usize {
        self.emulator.requests().iter().filter(|r| r.applied.is_some()).count()
    }

    /// Graph writes the emulator carried out so far.
    pub fn applied_writes(&self) -> usize {
        self.emulator
            .requests()
            .iter()
            .filter(|r| r.applied == Some(true))
            .count()
    }

    /// The `assignLicense` calls since position `from` of the request log, on paths that
    /// start with `prefix` (`/v1.0/users/`, `/v1.0/groups/`, or `/v1.0/` for both): each
    /// path and body.
    pub fn assign_posts(&self, from: usize, prefix: &str) -> Vec<(String, serde_json::Value)> {
        self.emulator.requests()[from..]
            .iter()
            .filter(|r| r.method == "POST" && r.path.starts_with(prefix) && r.path.ends_with("/assignLicense"))
            .map(|r| (r.path.clone(), r.body.clone().unwrap_or(serde_json::Value::Null)))
            .collect()
    }

    /// The bodies of [`BackgroundEmulator::assign_posts`].
    pub fn assign_bodies(&self, from: usize, prefix: &str) -> Vec<serde_json::Value> {
        self.assign_posts(from, prefix)
            .into_iter()
            .map(|(_, body)| body)
            .collect()
    }

    /// Calls Graph on this emulator as the CI application, like an administrator's script
    /// would: the status and the JSON body (null when there is none).
    pub fn graph_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let http = terraform_provider_entra::graph::http_client();
            let token: serde_json::Value = http
                .post(format!(
                    "{}/{}/oauth2/v2.0/token",
                    self.emulator.base_url(),
                    self.emulator.tenant_id()
                ))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", "11111111-1111-4111-8111-111111111111"),
                    ("client_secret", "ci-secret-value"),
                    ("scope", "https://graph.microsoft.com/.default"),
                ])
                .send()
                .await
                .expect("token")
                .json()
                .await
                .expect("token body");
            let mut request = http
                .request(method, format!("{}{path}", self.emulator.graph_url()))
                .bearer_auth(token["access_token"].as_str().expect("access token"));
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.expect("graph call");
            let status = response.status().as_u16();
            let body = response.json().await.unwrap_or(serde_json::Value::Null);
            (status, body)
        })
    }

    /// Calls the emulator's admin API (`/_emulator/...`, no token): the status and the
    /// JSON body.
    pub fn admin_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let response = terraform_provider_entra::graph::http_client()
                .request(method, format!("{}/_emulator{path}", self.emulator.base_url()))
                .json(body)
                .send()
                .await
                .expect("admin call");
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(serde_json::Value::Null))
        })
    }

    /// A Graph POST as the CI application; the status.
    pub fn graph_post(&self, path: &str, body: &serde_json::Value) -> u16 {
        self.graph_call(reqwest::Method::POST, path, Some(body)).0
    }

    /// The provider settings a pipeline would export, pointing at this emulator.
    pub fn provider_env(&self, secret: &str) -> Vec<(String, String)> {
        vec![
            ("ARM_TENANT_ID".into(), self.emulator.tenant_id()),
            ("ARM_CLIENT_ID".into(), "11111111-1111-4111-8111-111111111111".into()),
            ("ARM_CLIENT_SECRET".into(), secret.into()),
            ("ENTRA_GRAPH_ENDPOINT".into(), self.emulator.graph_url()),
            ("ENTRA_AUTHORITY_ENDPOINT".into(), self.emulator.base_url().to_owned()),
        ]
    }
}

/// The `terraform` and `provider` blocks every e2e configuration starts with.
pub const HEADER: &str = r#"terraform {
  required_providers {
    entra = { source = "entra/entra" }
  }
}
provider "entra" {}
"#;

/// A workspace whose provider talks to `graph` as the CI application; `None` (with the
/// reason printed) when the test cannot run here.
pub fn emulator_workspace(test: &str, graph: &BackgroundEmulator) -> Option<Workspace> {
    let terraform = terraform_or_skip(test)?;
    let env = graph.provider_env("ci-secret-value");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Some(Workspace::new(terraform).with_env(&env))
}

/// The users of an emulator's tenant (`Emulator::state()`) that hold `sku` directly (a
/// licence state without `assignedByGroup`).
pub fn direct_holders(state: &serde_json::Value, sku: &str) -> std::collections::BTreeSet<String> {
    state["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| {
            u["licenseAssignmentStates"].as_array().is_some_and(|states| {
                states
                    .iter()
                    .any(|s| s["skuId"] == sku && s["assignedByGroup"].is_null())
            })
        })
        .map(|u| u["id"].as_str().expect("an ID").to_owned())
        .collect()
}

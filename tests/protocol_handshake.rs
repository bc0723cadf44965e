//! The built binary started the way Terraform starts it: magic cookie, protocol versions,
//! port range and a P-521 client certificate made like go-plugin's. A gRPC client then
//! plays Terraform over mutual TLS.

use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use terraform_provider_entra::tfplugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use terraform_provider_entra::tfplugin::proto::{self, go_plugin};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::{connect_tls, provider_binary, terraform_like_client_certificate};

struct Started {
    child: Child,
    address: String,
    certificate: Option<Vec<u8>>,
}

/// Starts the plugin with Terraform's environment and reads its handshake line.
async fn start(client_certificate_pem: Option<&str>) -> Started {
    start_with_env(client_certificate_pem, &[]).await
}

/// The same, with more environment variables (provider settings).
async fn start_with_env(client_certificate_pem: Option<&str>, env: &[(String, String)]) -> Started {
    let mut command = Command::new(provider_binary());
    command
        .env_clear()
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(pem) = client_certificate_pem {
        command.env("PLUGIN_CLIENT_CERT", pem);
    }
    let mut child = command.spawn().expect("provider starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut line))
        .await
        .expect("handshake in time")
        .unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(&fields[..3], ["1", "6", "tcp"]);
    assert_eq!(fields[4], "grpc");
    assert!(fields[3].starts_with("127.0.0.1:"), "loopback only: {}", fields[3]);
    let port: u16 = fields[3].rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        (10000..=25000).contains(&port),
        "port {port} honours PLUGIN_MIN_PORT/MAX_PORT"
    );
    let certificate = (!fields[5].is_empty()).then(|| {
        assert!(!fields[5].contains('='), "Terraform rejects padded base64");
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(fields[5])
            .expect("base64 DER")
    });
    // Keep reading stdout so that nothing the plugin might print could block it.
    tokio::spawn(async move { while stdout.read_line(&mut String::new()).await.is_ok_and(|n| n > 0) {} });
    Started {
        child,
        address: fields[3].to_owned(),
        certificate,
    }
}

async fn schema_over(
    channel: tonic::transport::Channel,
) -> Result<proto::get_provider_schema::Response, tonic::Status> {
    proto::provider_client::ProviderClient::new(channel)
        .get_provider_schema(proto::get_provider_schema::Request {})
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn run_by_hand_it_explains_itself_and_exits_1() {
    let output = Command::new(provider_binary())
        .env_remove(MAGIC_COOKIE_KEY)
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout, where Terraform expects the handshake"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("This binary is a plugin"));
}

#[tokio::test]
async fn mutual_tls_with_terraforms_certificate_serves_the_schema_and_shuts_down() {
    let client = terraform_like_client_certificate();
    let mut started = start(Some(&client.cert.pem())).await;
    let server_certificate = started.certificate.clone().expect("TLS announces a certificate");
    let channel = connect_tls(&started.address, server_certificate, Some(&client))
        .await
        .expect("mTLS connects");

    let schema = schema_over(channel.clone()).await.expect("GetProviderSchema over mTLS");
    let provider = schema.provider.unwrap().block.unwrap();
    assert!(provider.attributes.iter().any(|a| a.name == "tenant_id"));

    go_plugin::grpc_controller_client::GrpcControllerClient::new(channel)
        .shutdown(go_plugin::Empty {})
        .await
        .expect("Shutdown");
    // Terraform waits 2 s before killing a plugin; ours must exit on its own before that.
    let status = tokio::time::timeout(Duration::from_secs(2), started.child.wait())
        .await
        .expect("exits after Shutdown")
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn a_client_without_the_pinned_certificate_is_refused() {
    let terraform = terraform_like_client_certificate();
    let mut started = start(Some(&terraform.cert.pem())).await;
    let server_certificate = started.certificate.clone().unwrap();

    let impostor = terraform_like_client_certificate();
    let refused = match connect_tls(&started.address, server_certificate.clone(), Some(&impostor)).await {
        Err(_) => true,
        Ok(channel) => schema_over(channel).await.is_err(),
    };
    assert!(refused, "another P-521 certificate must not get in");

    let anonymous = match connect_tls(&started.address, server_certificate.clone(), None).await {
        Err(_) => true,
        Ok(channel) => schema_over(channel).await.is_err(),
    };
    assert!(anonymous, "a client certificate is required");

    // The real client still gets in afterwards.
    let channel = connect_tls(&started.address, server_certificate, Some(&terraform))
        .await
        .unwrap();
    assert!(schema_over(channel).await.is_ok());
    started.child.kill().await.unwrap();
}

#[tokio::test]
async fn plaintext_when_terraform_disables_plugin_tls() {
    let mut started = start(None).await;
    assert!(
        started.certificate.is_none(),
        "no certificate field without PLUGIN_CLIENT_CERT"
    );
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", started.address))
        .unwrap()
        .connect()
        .await
        .unwrap();
    assert!(schema_over(channel).await.is_ok());
    started.child.kill().await.unwrap();
}

#[tokio::test]
async fn the_reprocess_action_streams_progress_per_user_as_terraform_1_14_expects() {
    use terraform_provider_entra::tfplugin::{Type, Value};
    let emulator = entra_graph_emulator::Emulator::start(Default::default()).await.unwrap();
    let env = vec![
        ("ARM_TENANT_ID".to_owned(), emulator.tenant_id()),
        (
            "ARM_CLIENT_ID".to_owned(),
            "11111111-1111-4111-8111-111111111111".to_owned(),
        ),
        ("ARM_CLIENT_SECRET".to_owned(), "ci-secret-value".to_owned()),
        ("ENTRA_GRAPH_ENDPOINT".to_owned(), emulator.graph_url()),
        ("ENTRA_AUTHORITY_ENDPOINT".to_owned(), emulator.base_url().to_owned()),
    ];
    let client = terraform_like_client_certificate();
    let mut started = start_with_env(Some(&client.cert.pem()), &env).await;
    let channel = connect_tls(&started.address, started.certificate.clone().unwrap(), Some(&client))
        .await
        .unwrap();
    let mut provider = proto::provider_client::ProviderClient::new(channel.clone());

    let schema = provider
        .get_provider_schema(proto::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let action = schema.action_schemas["entra_user_license_reprocess"]
        .schema
        .clone()
        .unwrap();
    assert!(action.block.unwrap().attributes.iter().any(|a| a.name == "user_ids"));

    let provider_type = terraform_provider_entra::provider::provider_schema().implied_type();
    let configured = provider
        .configure_provider(proto::configure_provider::Request {
            terraform_version: "1.14.0".into(),
            config: crate::support::dynamic(&Value::object(std::iter::empty::<(&str, Value)>()), &provider_type),
            client_capabilities: Some(proto::ClientCapabilities {
                deferral_allowed: false,
                write_only_attributes_allowed: true,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        crate::support::errors(&configured.diagnostics).is_empty(),
        "{:?}",
        configured.diagnostics
    );

    let config_type = Type::object([("user_ids", Type::set(Type::String)), ("group_id", Type::String)]);
    let users = [
        "a1b2c3d4-0001-4000-8000-000000000001",
        "a1b2c3d4-0002-4000-8000-000000000002",
    ];
    let config = Value::object([
        (
            "user_ids",
            Value::Set(users.iter().map(|u| Value::string(*u)).collect()),
        ),
        ("group_id", Value::Null),
    ]);
    let dynamic = crate::support::dynamic(&config, &config_type);
    let validated = provider
        .validate_action_config(proto::validate_action_config::Request {
            type_name: "entra_user_license_reprocess".into(),
            config: dynamic.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(validated.diagnostics.is_empty());
    let planned = provider
        .plan_action(proto::plan_action::Request {
            action_type: "entra_user_license_reprocess".into(),
            config: dynamic.clone(),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(planned.diagnostics.is_empty());

    let mut events = provider
        .invoke_action(proto::invoke_action::Request {
            action_type: "entra_user_license_reprocess".into(),
            config: dynamic,
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let (mut progress, mut completed) = (Vec::new(), None);
    while let Some(event) = events.message().await.unwrap() {
        match event.r#type.unwrap() {
            proto::invoke_action::event::Type::Progress(p) => progress.push(p.message),
            proto::invoke_action::event::Type::Completed(c) => completed = Some(c.diagnostics),
        }
    }
    let per_user: Vec<&String> = progress.iter().filter(|m| m.contains("reprocessed")).collect();
    assert_eq!(per_user.len(), 2, "one message per user: {progress:?}");
    assert!(crate::support::errors(&completed.expect("the stream ends with Completed")).is_empty());
    let calls = emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/reprocessLicenseAssignment") && r.status == 200)
        .count();
    assert_eq!(calls, 2);

    go_plugin::grpc_controller_client::GrpcControllerClient::new(channel)
        .shutdown(go_plugin::Empty {})
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(2), started.child.wait())
            .await
            .unwrap()
            .unwrap()
            .success()
    );
}

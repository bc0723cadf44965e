//! Starting as a Terraform plugin: go-plugin's handshake, seen from the plugin.
//!
//! In order: check the magic cookie (a human running the binary gets a message on stderr
//! and exit 1); confirm protocol 6 is acceptable; ignore SIGINT (Ctrl-C reaches the whole
//! process group, and Terraform answers it with StopProvider); listen on loopback; serve
//! TLS with a required, pinned client certificate when `PLUGIN_CLIENT_CERT` is set; print
//! exactly one line to stdout, `1|6|tcp|127.0.0.1:PORT|grpc|<base64 DER certificate>`;
//! serve until `GRPCController/Shutdown`, or until the parent process is gone.
//!
//! `--debug` serves plaintext instead and prints the `TF_REATTACH_PROVIDERS` value that
//! lets terraform attach to this process; Ctrl-C then stops it.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Router;

use super::go_plugin;
use super::server::ProviderService;
use super::tls;
use super::traits::Provider;

/// The cookie Terraform sets so that a plugin knows it was started by Terraform.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// Its value, shared by every Terraform release since 0.12.
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's core protocol version (the first handshake field).
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol we speak (the second handshake field).
pub const PLUGIN_PROTOCOL_VERSION: u32 = 6;
/// How long in-flight requests may finish after Shutdown before the process exits.
/// Terraform kills the process after 2 s; it has already stopped sending work.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(200);

/// Why the plugin could not start.
#[derive(Debug)]
pub enum ServeError {
    /// Not started by Terraform.
    NotAPlugin,
    /// Listening or TLS setup failed.
    Setup(String),
    /// The gRPC server failed.
    Serve(tonic::transport::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::NotAPlugin => f.write_str(
                "This binary is a plugin. These are not meant to be executed directly.\n\
                 Please execute the program that consumes these plugins (terraform), which will\n\
                 load any plugins automatically. To debug the provider, run it with --debug.",
            ),
            ServeError::Setup(message) => write!(f, "plugin setup failed: {message}"),
            ServeError::Serve(e) => write!(f, "plugin server failed: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Serve plaintext and print reattach information instead of the handshake.
    pub debug: bool,
    /// The provider's source address, for reattach (`registry.terraform.io/ns/type`).
    pub provider_address: String,
}

/// True when `PLUGIN_PROTOCOL_VERSIONS` (e.g. "5,6") admits protocol 6. When it does not,
/// we still announce 6 and Terraform reports the mismatch to the user, as go-plugin does.
pub fn client_accepts_protocol_6(versions: Option<&str>) -> bool {
    versions.is_none_or(|v| v.split(',').any(|p| p.trim() == PLUGIN_PROTOCOL_VERSION.to_string()))
}

/// The handshake line (without the newline). A plaintext server announces no certificate.
pub fn handshake_line(address: SocketAddr, server_certificate: Option<&[u8]>) -> String {
    let certificate = server_certificate
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{PLUGIN_PROTOCOL_VERSION}|tcp|{address}|grpc|{certificate}")
}

/// The `TF_REATTACH_PROVIDERS` value for a debug server at `address`.
pub fn reattach_config(provider_address: &str, address: SocketAddr) -> String {
    serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": PLUGIN_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": "tcp", "String": address.to_string() },
        }
    })
    .to_string()
}

/// Every service a Terraform plugin serves, on one router. The same constructor serves the
/// binary and the in-process protocol tests.
pub async fn router<P: Provider>(provider: P, shutdown: &CancellationToken) -> Router {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let (controller, stdio, broker) = go_plugin::services(shutdown);
    tonic::transport::Server::builder()
        .add_service(health)
        .add_service(ProviderService::new(provider).into_server())
        .add_service(controller)
        .add_service(stdio)
        .add_service(broker)
}

/// Runs the provider as Terraform expects. Returns when Terraform shuts it down.
pub async fn serve<P: Provider>(provider: P, options: ServeOptions) -> Result<(), ServeError> {
    if !options.debug && std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotAPlugin);
    }
    if !client_accepts_protocol_6(std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok().as_deref()) {
        tracing::warn!("Terraform does not offer plugin protocol 6; it will report the mismatch");
    }
    let listener = bind_loopback(port_range())
        .await
        .map_err(|e| ServeError::Setup(format!("cannot listen on loopback: {e}")))?;
    let address = listener.local_addr().map_err(|e| ServeError::Setup(e.to_string()))?;
    let client_certificate = std::env::var("PLUGIN_CLIENT_CERT")
        .ok()
        .filter(|pem| !pem.is_empty() && !options.debug);
    let mtls = client_certificate
        .map(|pem| tls::auto_mtls(&pem))
        .transpose()
        .map_err(|e| ServeError::Setup(e.to_string()))?;

    let shutdown = CancellationToken::new();
    let router = router(provider, &shutdown).await;

    let mut stdout = std::io::stdout().lock();
    if options.debug {
        let reattach = reattach_config(&options.provider_address, address);
        let _ = writeln!(
            stdout,
            "Provider started. To attach Terraform, set TF_REATTACH_PROVIDERS in the shell that runs it:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n\nPress Ctrl-C to stop."
        );
        tokio::spawn(stop_on_ctrl_c(shutdown.clone()));
    } else {
        let _ = writeln!(
            stdout,
            "{}",
            handshake_line(address, mtls.as_ref().map(|m| m.server_certificate.as_slice()))
        );
        tokio::spawn(ignore_ctrl_c());
        tokio::spawn(exit_with_parent(shutdown.clone()));
    }
    let _ = stdout.flush();
    drop(stdout);
    tracing::debug!(%address, tls = mtls.is_some(), "Plugin server started");

    let serving = async {
        match mtls {
            Some(mtls) => {
                let acceptor = tokio_rustls::TlsAcceptor::from(mtls.config);
                let (connections, incoming) = mpsc::channel(16);
                tokio::spawn(accept_tls(listener, acceptor, connections, shutdown.clone()));
                router
                    .serve_with_incoming_shutdown(ReceiverStream::new(incoming), shutdown.clone().cancelled_owned())
                    .await
            }
            None => {
                let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
                router
                    .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned())
                    .await
            }
        }
    };
    // After Shutdown, give in-flight requests a moment, but never make Terraform wait long.
    tokio::select! {
        result = serving => result.map_err(ServeError::Serve),
        () = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => Ok(()),
    }
}

/// TLS handshakes run concurrently, so that one slow client cannot block the others. A
/// client without the pinned certificate fails its handshake and is dropped here.
async fn accept_tls(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    connections: mpsc::Sender<Result<tokio_rustls::server::TlsStream<TcpStream>, std::io::Error>>,
    shutdown: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => return,
        };
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let connections = connections.clone();
        tokio::spawn(async move {
            match acceptor.accept(stream).await {
                Ok(tls) => {
                    let _ = connections.send(Ok(tls)).await;
                }
                Err(e) => tracing::warn!(%peer, error = %e, "Refused a TLS connection"),
            }
        });
    }
}

/// `PLUGIN_MIN_PORT`..=`PLUGIN_MAX_PORT` when Terraform sets them, else any free port.
fn port_range() -> Option<(u16, u16)> {
    let read = |name: &str| std::env::var(name).ok()?.parse::<u16>().ok();
    match (read("PLUGIN_MIN_PORT"), read("PLUGIN_MAX_PORT")) {
        (Some(min), Some(max)) if min <= max && min > 0 => Some((min, max)),
        _ => None,
    }
}

/// Binds 127.0.0.1 on the first free port of the range, starting at a per-process offset
/// so that providers started together do not all race for the same port.
async fn bind_loopback(range: Option<(u16, u16)>) -> std::io::Result<TcpListener> {
    let Some((min, max)) = range else {
        return TcpListener::bind(("127.0.0.1", 0)).await;
    };
    let span = u32::from(max - min) + 1;
    let start = std::process::id() % span;
    let mut last_error = None;
    for step in 0..span {
        let port = min + ((start + step) % span) as u16;
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("empty port range")))
}

/// SIGINT goes to the whole process group on Ctrl-C; Terraform then sends StopProvider,
/// which cancels our work cleanly. Dying on the signal would lose that.
async fn ignore_ctrl_c() {
    while tokio::signal::ctrl_c().await.is_ok() {
        tracing::debug!("Ignoring interrupt: Terraform sends StopProvider instead");
    }
}

async fn stop_on_ctrl_c(shutdown: CancellationToken) {
    let _ = tokio::signal::ctrl_c().await;
    shutdown.cancel();
}

/// Nothing reaps a provider whose Terraform died: exit when our parent changes.
async fn exit_with_parent(shutdown: CancellationToken) {
    let parent = std::os::unix::process::parent_id();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if std::os::unix::process::parent_id() != parent {
            tracing::warn!("Terraform exited; stopping");
            shutdown.cancel();
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_line_has_unpadded_base64_der() {
        let address: SocketAddr = "127.0.0.1:10001".parse().unwrap();
        // 4 bytes need padding in standard base64 ("AQIDBA=="); Terraform rejects padding.
        assert_eq!(
            handshake_line(address, Some(&[1, 2, 3, 4])),
            "1|6|tcp|127.0.0.1:10001|grpc|AQIDBA"
        );
        assert_eq!(handshake_line(address, None), "1|6|tcp|127.0.0.1:10001|grpc|");
    }

    #[test]
    fn protocol_negotiation() {
        assert!(client_accepts_protocol_6(Some("5,6")));
        assert!(client_accepts_protocol_6(Some("6,5")));
        assert!(client_accepts_protocol_6(None));
        assert!(!client_accepts_protocol_6(Some("4,5")));
    }

    #[test]
    fn reattach_config_names_the_provider_and_address() {
        let address: SocketAddr = "127.0.0.1:4242".parse().unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&reattach_config("registry.terraform.io/a/b", address)).unwrap();
        let entry = &json["registry.terraform.io/a/b"];
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Addr"]["String"], "127.0.0.1:4242");
        assert_eq!(entry["Addr"]["Network"], "tcp");
    }

    #[tokio::test]
    async fn binds_inside_the_port_range() {
        let listener = bind_loopback(Some((20000, 20100))).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!((20000..=20100).contains(&port));
    }
}

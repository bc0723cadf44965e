//! AutoMTLS, as go-plugin does it, with a client certificate that is *required*.
//!
//! Terraform puts its client certificate (ECDSA P-521, self-signed, `cA=true`) in
//! `PLUGIN_CLIENT_CERT` and trusts whatever server certificate our handshake line carries.
//! Two things rule out off-the-shelf verification:
//! - rustls' WebPKI verifier refuses a CA certificate used as an end entity
//!   (`CaUsedAsEndEntity`), which is exactly what Terraform presents;
//! - *ring* cannot verify P-521 signatures, so rustls on ring would not even ask for it.
//!
//! So we pin: the client must present byte-for-byte the certificate Terraform gave us, and
//! must prove it holds the key (the TLS signature, verified with aws-lc-rs, which knows
//! P-521). ALPN is `h2`, which Terraform 1.14's gRPC client requires.

use std::sync::Arc;

use rustls::DistinguishedName;
use rustls::SignatureScheme;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, ServerConfig};

/// Why TLS could not be set up.
#[derive(Debug)]
pub struct TlsError(pub String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

/// A server TLS configuration and the certificate to announce in the handshake line.
pub struct AutoMtls {
    /// rustls configuration requiring the pinned client certificate.
    pub config: Arc<ServerConfig>,
    /// Our certificate, DER, for the handshake line.
    pub server_certificate: Vec<u8>,
}

/// Builds the TLS setup for a `PLUGIN_CLIENT_CERT` PEM.
pub fn auto_mtls(client_certificate_pem: &str) -> Result<AutoMtls, TlsError> {
    let client = CertificateDer::from_pem_slice(client_certificate_pem.as_bytes())
        .map_err(|e| TlsError(format!("PLUGIN_CLIENT_CERT is not a PEM certificate: {e}")))?;
    // A fresh P-256 key and self-signed certificate per process, valid for "localhost",
    // which is the name Terraform's client verifies.
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .map_err(|e| TlsError(format!("cannot create the server certificate: {e}")))?;
    let server_certificate = generated.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(generated.signing_key.serialize_der()));

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedClientCertificate {
        certificate: client.into_owned(),
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![CertificateDer::from(server_certificate.clone())], key)
        .map_err(|e| TlsError(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(AutoMtls {
        config: Arc::new(config),
        server_certificate,
    })
}

/// Accepts exactly one client certificate, the one Terraform announced.
#[derive(Debug)]
struct PinnedClientCertificate {
    certificate: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCertificate {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.certificate.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The crypto provider used for both sides in tests and tools.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_p521_and_requires_the_client() {
        let client = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let setup = auto_mtls(&client.cert.pem()).unwrap();
        assert_eq!(setup.config.alpn_protocols, vec![b"h2".to_vec()]);
        let verifier = PinnedClientCertificate {
            certificate: client.cert.der().clone(),
            algorithms: crypto_provider().signature_verification_algorithms,
        };
        assert!(verifier.client_auth_mandatory());
        assert!(
            verifier
                .supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
        );
        let now = UnixTime::now();
        assert!(verifier.verify_client_cert(client.cert.der(), &[], now).is_ok());
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        assert!(verifier.verify_client_cert(other.cert.der(), &[], now).is_err());
    }

    #[test]
    fn rejects_a_malformed_client_certificate() {
        assert!(auto_mtls("not a certificate").is_err());
    }
}

//! TLS for the simulated API servers, as kube-apiserver always serves it: kubectl (client-go)
//! sends a kubeconfig's credentials only over TLS, so a cluster that wants a token must speak
//! it. At each start a CA and a certificate for the loopback names (`localhost`, `127.0.0.1`,
//! `::1`) are made; the kubeconfig carries the CA as `certificate-authority-data`, so clients
//! verify the server as they would a real one.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The CA clients trust and the acceptor the API servers use.
#[derive(Clone)]
pub struct Tls {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// Accepts TLS connections with the loopback certificate.
    pub acceptor: TlsAcceptor,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

fn invalid(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!(
        "cannot make the simulated cluster's certificate: {error}"
    ))
}

impl Tls {
    /// A new CA and a loopback server certificate signed by it.
    pub fn generate() -> std::io::Result<Tls> {
        let ca_key = KeyPair::generate().map_err(invalid)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(invalid)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "secrets-console simulated cluster CA");
        ca_params.distinguished_name = name;
        let ca = ca_params.self_signed(&ca_key).map_err(invalid)?;

        let server_key = KeyPair::generate().map_err(invalid)?;
        let mut server_params = CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ])
        .map_err(invalid)?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "kube-apiserver");
        server_params.distinguished_name = name;
        server_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = server_params
            .signed_by(&server_key, &ca, &ca_key)
            .map_err(invalid)?;

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_no_client_auth()
            .with_single_cert(
                vec![server.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
            )
            .map_err(invalid)?;
        // The API server speaks HTTP/1.1 here (watches are chunked responses).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            ca_pem: ca.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

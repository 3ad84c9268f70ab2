//! The server's own certificate authority: made at start, never stored
//! unless asked (`--tls-ca-out`), so every run has a CA nobody else trusts.
//!
//! The CA signs one certificate for `localhost` and `127.0.0.1` (both, so
//! a client that cannot verify a certificate for an IP address can use
//! `https://localhost:PORT`), and for any names given (`--tls-name`: the
//! name or address clients on other machines use). The server offers ALPN `h2` and `http/1.1`
//! and lets the client choose.
//!
//! # Layout
//! - [`Authority`]: the CA certificate (PEM, for clients to trust) and the
//!   rustls server configuration that presents the signed certificate.

use std::sync::Arc;

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The names the server's certificate is valid for.
pub const NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// A fresh CA and the server configuration its certificate goes in.
#[derive(Debug, Clone)]
pub struct Authority {
    /// The CA's certificate, PEM: what `--tls-ca-out` writes and a client's
    /// `--ca-cert` reads.
    pub ca_pem: String,
    /// rustls' server side, presenting the certificate the CA signed.
    pub config: Arc<rustls::ServerConfig>,
}

impl Authority {
    /// Makes a CA, a certificate for [`NAMES`] and `more_names` (DNS names
    /// or IP addresses) signed by it, and a server configuration offering
    /// `alpn` (most preferred first).
    pub fn generate(alpn: &[&[u8]], more_names: &[String]) -> anyhow::Result<Self> {
        let ca_key = KeyPair::generate().context("could not make the CA's key")?;
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A name of its own, so two servers' CAs are told apart by name (a
        // client trusting one then finds the other's issuer unknown, not a
        // signature that fails to check).
        let made = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        ca.distinguished_name.push(
            DnType::CommonName,
            format!("async-fetch fixture CA {}-{made}", std::process::id()),
        );
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca
            .self_signed(&ca_key)
            .context("could not sign the CA's certificate")?;
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().context("could not make the server's key")?;
        let names: Vec<String> = NAMES
            .map(str::to_owned)
            .into_iter()
            .chain(more_names.iter().cloned())
            .collect();
        let mut leaf = CertificateParams::new(names)
            .context("a --tls-name is not a DNS name or an IP address")?;
        leaf.distinguished_name
            .push(DnType::CommonName, "async-fetch fixture server");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let cert = leaf
            .signed_by(&key, &issuer)
            .context("could not sign the server's certificate")?;

        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("no TLS protocol version available")?
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone(), ca_cert.der().clone()], private)
            .context("the server's certificate and key do not go together")?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Authority {
            ca_pem: ca_cert.pem(),
            config: Arc::new(config),
        })
    }
}

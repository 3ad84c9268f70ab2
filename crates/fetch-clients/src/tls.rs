//! One rustls client configuration for every client that takes one
//! (reqwest and this crate's hyper pool, on tokio and on smol), so they
//! all verify the same way, offer the same protocols and cipher suites,
//! and trust the same roots.
//!
//! The roots are Mozilla's (webpki-roots) plus `--ca-cert`'s. Verification
//! is never turned off: nothing here builds a configuration without it.

use std::sync::Arc;

use fetch_core::{ClientConfig, FetchError};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

/// The ALPN protocol names offered: HTTP/2 alone when it was asked for
/// (a server that cannot then fails the handshake, or the HTTP/2 preface,
/// with the reason named, rather than quietly falling back), HTTP/1.1
/// otherwise.
fn alpn(config: &ClientConfig) -> Vec<Vec<u8>> {
    if config.http2 {
        vec![b"h2".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    }
}

/// The rustls client configuration `config` asks for: aws-lc-rs, TLS 1.2
/// and 1.3, Mozilla's roots plus `config.ca_cert`, ALPN by `config.http2`.
/// A CA file with no certificate in it, or one rustls refuses, is an error
/// naming the file.
pub(crate) fn client_config(config: &ClientConfig) -> Result<rustls::ClientConfig, FetchError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(ca) = &config.ca_cert {
        let what = || {
            format!(
                "the CA certificate to trust, {} (--ca-cert)",
                ca.path.display()
            )
        };
        let bad = |reason: String| FetchError::setup(what(), reason);
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&ca.pem) {
            let cert = cert.map_err(|e| bad(e.to_string()))?;
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(bad("no PEM CERTIFICATE block in it".to_owned()));
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::setup("the TLS configuration", e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = alpn(config);
    Ok(tls)
}

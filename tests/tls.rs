//! TLS stays safe: every client that speaks https verifies the server's
//! certificate, and there is no flag to turn that off. A local HTTPS server
//! with a self-signed certificate (trusted by nobody) must be refused by
//! every combination, with the reason named.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::{combinations, run};
use tokio_rustls::rustls;

/// Serves TLS with a fresh self-signed certificate for 127.0.0.1 until the
/// test process ends; returns its address.
fn self_signed_server() -> SocketAddr {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("generate a certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                // A client that verifies certificates aborts the handshake.
                tokio::spawn(async move {
                    let _ = acceptor.accept(stream).await;
                });
            }
        });
    });
    addr
}

#[test]
fn an_untrusted_certificate_is_refused_by_every_client() {
    let addr = self_signed_server();
    // A host name, not an IP, as a user would write it.
    let base = format!("https://localhost:{}", addr.port());
    let url = format!("{base}/users/1");
    for (bin, client) in combinations() {
        let out = run(
            bin,
            &[
                "--client",
                client,
                "--timeout",
                "5s",
                "user",
                "1",
                "--base",
                &base,
            ],
        )
        .fails_with(1);
        if client == "hyper" || client == "surf" {
            // The raw hyper adapter speaks plain http only, and surf is built
            // without its vulnerable TLS stack; both say so, and name the
            // client that does https.
            assert!(
                out.stderr
                    .contains("for https use reqwest (fetch-tokio --client reqwest)"),
                "{out:#?}"
            );
            if client == "surf" {
                assert!(out.stderr.contains("RUSTSEC-2024-0336"), "{out:#?}");
            }
            continue;
        }
        let message = out.stderr.to_lowercase();
        assert!(
            message.contains("certificate") || message.contains("unknownissuer"),
            "{bin} {client}: the reason is not named: {out:#?} ({url})"
        );
    }
}

#[test]
fn no_flag_turns_certificate_checks_off() {
    for (bin, _) in common::binaries() {
        let help = run(bin, &["--help"]).success().stdout.to_lowercase();
        for word in ["insecure", "no-verify", "accept-invalid", "danger"] {
            assert!(!help.contains(word), "{bin} --help offers {word:?}");
        }
    }
}

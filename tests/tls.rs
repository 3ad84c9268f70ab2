//! HTTPS and HTTP/2, and TLS that stays safe.
//!
//! Every client that speaks https verifies the server's certificate, and
//! there is no flag to turn that off: a local HTTPS server with a
//! self-signed certificate (trusted by nobody) is refused by every
//! combination, with the reason named; so are a CA not trusted and a
//! certificate for another name. With the fixture server's CA given by
//! `--ca-cert`, every https-capable combination fetches a title and a
//! user. What was spoken is checked from the server's side (its
//! connection counts by protocol), not from the client's flags: HTTP/2
//! really negotiated, `--no-keepalive` really one connection per request.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::{combinations, load_json, run};
use fetch_server::{Server, ServerConfig};
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
        );
        if common::combo(bin, client).client.no_tls().is_some() {
            // surf is built without its vulnerable TLS stack; it is
            // refused before any request, says why, and names clients
            // that do https.
            let out = out.fails_with(2);
            assert!(
                out.stderr
                    .contains("use fetch-tokio --client reqwest or hyper")
                    && out.stderr.contains("RUSTSEC-2024-0336"),
                "{out:#?}"
            );
            continue;
        }
        let out = out.fails_with(1);
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

/// A fixture server with TLS (and `http2` on plain http) bound to `ip`,
/// and its CA written to a file of its own.
struct TlsServer {
    server: Server,
    ca: std::path::PathBuf,
}

impl TlsServer {
    fn start(ip: [u8; 4], tls: bool, http2: bool) -> Self {
        Self::start_with(ServerConfig {
            bind: SocketAddr::from((ip, 0)),
            tls,
            http2,
            ..ServerConfig::default()
        })
    }

    fn start_with(config: ServerConfig) -> Self {
        let server = Server::start(ServerConfig {
            threads: 2,
            ..config
        })
        .expect("start the fixture server");
        let ca = std::env::temp_dir().join(format!(
            "async-fetch-test-ca-{}-{}.pem",
            std::process::id(),
            server.addr().port()
        ));
        std::fs::write(&ca, server.ca_pem().unwrap_or_default()).expect("write the CA");
        TlsServer { server, ca }
    }

    fn ca(&self) -> &str {
        self.ca.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca);
    }
}

#[test]
fn every_https_client_fetches_a_title_and_a_user_with_the_servers_ca() {
    let tls = TlsServer::start([127, 0, 0, 1], true, false);
    let base = tls.server.url();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    for combo in common::COMBINATIONS {
        let (bin, client) = (combo.binary(), combo.client.name());
        let page = format!("{base}/pages/3");
        let args = ["--client", client, "--ca-cert", tls.ca(), "title", &page];
        if let Some(why) = combo.client.no_tls() {
            let out = run(bin, &args).fails_with(2);
            assert!(
                out.stderr.contains("RUSTSEC-2024-0336"),
                "{bin} {client}: {why}: {out:#?}"
            );
            continue;
        }
        let out = run(bin, &args).success();
        assert!(
            out.stdout.contains("\tPage 3\t"),
            "{bin} {client}: {out:#?}"
        );
        let out = run(
            bin,
            &[
                "--client",
                client,
                "--ca-cert",
                tls.ca(),
                "user",
                "7",
                "--base",
                &base,
            ],
        )
        .success();
        assert!(out.stdout.contains("User 7"), "{bin} {client}: {out:#?}");
    }
    // Every connection was TLS, and none spoke HTTP/2 (not asked for).
    let stats = tls.server.connections();
    assert!(stats.accepted() > 0);
    assert_eq!(stats.tls(), stats.accepted());
    assert_eq!(stats.http2(), 0);
}

#[test]
fn a_ca_not_trusted_and_a_name_not_in_the_certificate_are_refused() {
    let trusted = TlsServer::start([127, 0, 0, 1], true, false);
    let other = TlsServer::start([127, 0, 0, 1], true, false);
    // 127.0.0.2 is loopback too, but the certificate names 127.0.0.1 and localhost.
    let misnamed = TlsServer::start([127, 0, 0, 2], true, false);
    for combo in common::COMBINATIONS
        .iter()
        .filter(|c| c.client.no_tls().is_none())
    {
        let (bin, client) = (combo.binary(), combo.client.name());
        let fetch = |server: &Server, ca: &str| {
            let url = format!("{}/pages/1", server.url());
            run(bin, &["--client", client, "--ca-cert", ca, "title", &url])
                .fails_with(1)
                .stderr
                .to_lowercase()
        };
        let wrong_ca = fetch(&other.server, trusted.ca());
        assert!(
            wrong_ca.contains("unknownissuer") || wrong_ca.contains("unknown issuer"),
            "{bin} {client}: {wrong_ca}"
        );
        let wrong_name = fetch(&misnamed.server, misnamed.ca());
        assert!(
            wrong_name.contains("notvalidforname") || wrong_name.contains("not valid for name"),
            "{bin} {client}: {wrong_name}"
        );
    }
    // The refused handshakes never got to HTTP.
    assert_eq!(other.server.requests_received(), 0);
    assert_eq!(misnamed.server.requests_received(), 0);
}

#[test]
fn a_tls_name_makes_the_certificate_valid_for_that_name() {
    // 127.0.0.2 is not in the certificate unless --tls-name adds it: the
    // name a client on another machine would use.
    let named = TlsServer::start_with(ServerConfig {
        bind: SocketAddr::from(([127, 0, 0, 2], 0)),
        tls: true,
        tls_names: vec!["127.0.0.2".to_owned()],
        ..ServerConfig::default()
    });
    for combo in common::COMBINATIONS
        .iter()
        .filter(|c| c.client.no_tls().is_none())
    {
        let (bin, client) = (combo.binary(), combo.client.name());
        let url = format!("{}/pages/2", named.server.url());
        let out = run(
            bin,
            &["--client", client, "--ca-cert", named.ca(), "title", &url],
        )
        .success();
        assert!(
            out.stdout.contains("\tPage 2\t"),
            "{bin} {client}: {out:#?}"
        );
    }
}

#[test]
fn http2_is_negotiated_over_tls_and_spoken_with_prior_knowledge() {
    for (tls, http2_server) in [(true, false), (false, true)] {
        let server = TlsServer::start([127, 0, 0, 1], tls, http2_server);
        let url = format!("{}/users/{{id}}", server.server.url());
        for combo in common::COMBINATIONS {
            let (bin, client) = (combo.binary(), combo.client.name());
            let mut args = vec![
                "--http2",
                "--url",
                &url,
                "-n",
                "200",
                "-c",
                "20",
                "--connections",
                "2",
            ];
            if tls {
                args.extend(["--ca-cert", server.ca()]);
            }
            if combo.client.no_http2().is_some() {
                // One line saying why, and the usage exit code.
                let mut all = vec!["--client", client, "load"];
                all.extend(&args);
                let out = run(bin, &all).fails_with(2);
                assert!(
                    out.stderr
                        .contains("--http2 is not available with --client"),
                    "{out:#?}"
                );
                continue;
            }
            let before = (
                server.server.connections().http2(),
                server.server.connections().http1(),
            );
            let (_, report) = load_json(bin, client, &args, 0);
            let after = (
                server.server.connections().http2(),
                server.server.connections().http1(),
            );
            assert_eq!(report.ok, 200, "{bin} {client}: {report:?}");
            assert_eq!(report.http_version, "HTTP/2", "{bin} {client}");
            assert_eq!(report.tls, tls);
            assert_eq!(report.connections_capped_by, "pool");
            // The server saw HTTP/2 connections, at most the two allowed,
            // and no HTTP/1 one.
            let opened = after.0 - before.0;
            assert!(
                (1..=2).contains(&opened),
                "{bin} {client}: {opened} HTTP/2 connections"
            );
            assert_eq!(after.1, before.1, "{bin} {client} spoke HTTP/1 too");
        }
    }
    // Requests one after another share one HTTP/2 connection, whatever
    // --connections allows: the pool opens another only under load.
    let server = TlsServer::start([127, 0, 0, 1], false, true);
    let url = format!("{}/users/{{id}}", server.server.url());
    for (bin, client) in common::combinations_where(|c| c.client.no_http2().is_none()) {
        let before = server.server.connections().http2();
        let args = [
            "--http2",
            "--url",
            &url,
            "-n",
            "30",
            "-c",
            "1",
            "--connections",
            "4",
        ];
        let (_, report) = load_json(bin, client, &args, 0);
        assert_eq!(report.ok, 30, "{bin} {client}: {report:?}");
        assert_eq!(
            server.server.connections().http2() - before,
            1,
            "{bin} {client}"
        );
    }
    // Not asked for, HTTP/2 is not offered: ALPN settles on http/1.1.
    let server = TlsServer::start([127, 0, 0, 1], true, false);
    let url = format!("{}/users/{{id}}", server.server.url());
    let (_, report) = load_json(
        "fetch-tokio",
        "reqwest",
        &[
            "--ca-cert",
            server.ca(),
            "--url",
            &url,
            "-n",
            "20",
            "-c",
            "2",
        ],
        0,
    );
    assert_eq!(report.http_version, "HTTP/1.1");
    assert_eq!(server.server.connections().http2(), 0);
    assert!(server.server.connections().http1() >= 1);
}

#[test]
fn no_keepalive_opens_one_connection_per_request() {
    for tls in [false, true] {
        for combo in common::COMBINATIONS {
            if tls && combo.client.no_tls().is_some() {
                continue;
            }
            let (bin, client) = (combo.binary(), combo.client.name());
            // A server per run, so its counts are this run's alone.
            let server = TlsServer::start([127, 0, 0, 1], tls, false);
            let url = format!("{}/users/{{id}}", server.server.url());
            let mut args = vec!["--no-keepalive", "--url", &url, "-n", "60", "-c", "4"];
            if tls {
                args.extend(["--ca-cert", server.ca()]);
            }
            let (_, report) = load_json(bin, client, &args, 0);
            assert_eq!(report.ok, 60, "{bin} {client}: {report:?}");
            assert!(!report.keepalive);
            let stats = server.server.connections();
            assert_eq!(stats.accepted(), 60, "{bin} {client} tls={tls}");
            assert_eq!(stats.tls(), if tls { 60 } else { 0 });
            if let Some(opened) = report.connections_opened {
                assert_eq!(opened, 60, "{bin} {client}");
            }
        }
    }
}

#[test]
fn a_ca_file_whose_certificate_does_not_parse_is_refused_before_any_request() {
    let path = std::env::temp_dir().join(format!(
        "async-fetch-test-bad-ca-{}.pem",
        std::process::id()
    ));
    std::fs::write(
        &path,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .expect("write the file");
    let ca = path.to_str().expect("a UTF-8 temp path");
    // Every client built on the project's one rustls configuration checks
    // the CA when it is built, before any request.
    for (bin, client) in common::combinations_where(|c| c.client.tls() == common::Tls::Shared) {
        let out = run(bin, &["--client", client, "--ca-cert", ca, "title"]).fails_with(1);
        assert!(
            out.stderr.contains(&format!(
                "could not set up the client: the CA certificate to trust, {ca} (--ca-cert)"
            )),
            "{bin} {client}: {out:#?}"
        );
        assert!(out.stdout.is_empty(), "{bin} {client}: {out:#?}");
    }
    let _ = std::fs::remove_file(&path);
}

/// A server on 127.0.0.1 that reads each request and resets the
/// connection (`SO_LINGER` 0, then close): no answer, an RST.
fn resetting_server() -> String {
    use std::io::Read as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let socket = socket2::Socket::from(stream);
            let _ = socket.set_linger(Some(std::time::Duration::ZERO));
            drop(socket);
        }
    });
    url
}

/// The same failure is counted as the same kind by every client that can
/// meet it: a refused connect, a CA not trusted and a name not in the
/// certificate are `connect` (the handshake is part of connecting), a
/// reset before any answer is `transport`.
#[test]
fn the_same_failure_is_the_same_kind_on_every_client() {
    let refused = format!("http://127.0.0.1:{}/users/{{id}}", common::closed_port());
    let reset = format!("{}/users/{{id}}", resetting_server());
    let trusted = TlsServer::start([127, 0, 0, 1], true, false);
    let other = TlsServer::start([127, 0, 0, 1], true, false);
    let misnamed = TlsServer::start([127, 0, 0, 2], true, false);
    let untrusted = format!("{}/users/{{id}}", other.server.url());
    let wrong_name = format!("{}/users/{{id}}", misnamed.server.url());
    for combo in common::COMBINATIONS {
        let (bin, client) = (combo.binary(), combo.client.name());
        let mut cases = vec![
            ("refused", refused.as_str(), None, "connect"),
            ("reset", reset.as_str(), None, "transport"),
        ];
        if combo.client.no_tls().is_none() {
            cases.push(("unknown CA", &untrusted, Some(trusted.ca()), "connect"));
            cases.push((
                "name not in it",
                &wrong_name,
                Some(misnamed.ca()),
                "connect",
            ));
        }
        for (what, url, ca, kind) in cases {
            let mut args = vec!["--timeout", "5s", "--url", url, "-n", "2", "-c", "1"];
            if let Some(ca) = ca {
                args.extend(["--ca-cert", ca]);
            }
            let (out, report) = load_json(bin, client, &args, 1);
            assert_eq!(
                report.errors,
                common::kinds(&[(kind, 2)]),
                "{combo}, {what}: {out:#?}"
            );
        }
    }
}

/// `--http2` on plain http against a server that speaks only HTTP/1.1
/// fails on every client that speaks HTTP/2, and the message says why it
/// may and what to try.
#[test]
fn http2_prior_knowledge_against_an_http1_server_says_what_to_try() {
    let server = common::own_server();
    let base = server.url();
    for (bin, client) in common::combinations_where(|c| c.client.no_http2().is_none()) {
        let out = run(
            bin,
            &["--client", client, "--http2", "user", "1", "--base", &base],
        )
        .fails_with(1);
        assert!(
            out.stderr.contains("prior knowledge") && out.stderr.contains("try without --http2"),
            "{bin} {client}: {out:#?}"
        );
    }
}

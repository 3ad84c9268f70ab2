//! Your own API: every combination sends the method, headers and body it
//! is asked for (checked on the server side), follows redirects as the
//! Fetch standard says, counts answers by status, reads a large body
//! without keeping it, and never prints a secret.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};

use common::{COMBINATIONS, combinations, load_json, load_once, own_server, run};
use fetch_core::ClientConfig;
use fetch_server::shapes::Inspected;

/// A header value no output may show.
const SECRET: &str = "s3cret-Value-42";

/// The headers of a recorded request, by name, values in order.
fn headers(record: &Inspected) -> BTreeMap<String, Vec<String>> {
    let mut all: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in &record.headers {
        all.entry(name.clone()).or_default().push(value.clone());
    }
    all
}

/// The one request the server recorded at `target`.
fn recorded(server: &fetch_server::Server, target: &str) -> Vec<Inspected> {
    server
        .inspected()
        .into_iter()
        .filter(|r| r.target == target)
        .collect()
}

/// What a combination must send: `own` headers, the client's defaults
/// for those not set, and the headers its library forces (from the
/// registry), nothing else.
fn expected(
    combo: &common::Combo,
    host: &str,
    own: &[(&str, &str)],
    body: usize,
) -> BTreeMap<String, Vec<String>> {
    let runtime = combo.binary().trim_start_matches("fetch-");
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut put = |name: &str, value: &str| {
        want.entry(name.to_owned())
            .or_default()
            .push(value.to_owned())
    };
    let user_agent = ClientConfig::user_agent_for(combo.client.name(), runtime);
    for (name, default) in [
        ("host", host),
        ("user-agent", user_agent.as_str()),
        ("accept", ClientConfig::ACCEPT),
    ] {
        if !own.iter().any(|(n, _)| *n == name) {
            put(name, default);
        }
    }
    for (name, value) in own {
        put(name, value);
    }
    if body > 0 {
        put("content-length", &body.to_string());
    }
    for forced in combo.client.forced_headers() {
        if body == 0 || !forced.without_body_only {
            put(forced.name, forced.value);
        }
    }
    want
}

#[test]
fn every_combination_sends_the_method_headers_and_body_asked_for() {
    let server = own_server();
    let base = server.url();
    let host = base.trim_start_matches("http://").to_owned();
    let body = r#"{"name":"Ann","tags":["a","b"]}"#;
    let auth = fetch_core::basic_auth("user", Some(SECRET));
    for (bin, client) in combinations() {
        let combo = common::combo(bin, client);
        let put = format!("/inspect/put-{bin}-{client}");
        let trace = format!("X-Trace: {SECRET}");
        let (out, report) = load_json(
            bin,
            client,
            &[
                "--url",
                &format!("{base}{put}"),
                "-n",
                "3",
                "-c",
                "1",
                "-m",
                "PUT",
                "-H",
                &trace,
                "-H",
                "User-Agent: my-agent/1",
                "-H",
                "Host: api.example.test",
                "-T",
                "application/json",
                "--body",
                body,
                "-a",
                &format!("user:{SECRET}"),
            ],
            0,
        );
        assert_eq!(report.ok, 3, "{bin} {client}");
        assert_eq!(report.method, "PUT");
        assert_eq!(
            report.header_names,
            [
                "x-trace",
                "user-agent",
                "host",
                "content-type",
                "authorization"
            ]
        );
        assert_eq!(report.body_bytes, body.len() as u64);
        assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));
        let sent = recorded(&server, &put);
        assert_eq!(sent.len(), 3, "{bin} {client}: {sent:?}");
        let own = [
            ("x-trace", SECRET),
            ("user-agent", "my-agent/1"),
            ("host", "api.example.test"),
            ("content-type", "application/json"),
            ("authorization", auth.to_str().unwrap()),
        ];
        for request in &sent {
            assert_eq!(request.method, "PUT", "{bin} {client}");
            assert_eq!(request.body_length, body.len() as u64, "{bin} {client}");
            assert_eq!(
                headers(request),
                expected(&combo, &host, &own, body.len()),
                "{bin} {client}"
            );
        }

        // A plain GET: the client's own headers only, no Content-Length
        // (unless the library forces one, as the registry says).
        let get = format!("/inspect/get-{bin}-{client}");
        load_once(bin, client, &format!("{base}{get}"), &[]);
        let sent = recorded(&server, &get);
        assert_eq!(sent.len(), 1, "{bin} {client}");
        assert_eq!(sent[0].method, "GET");
        assert_eq!(
            headers(&sent[0]),
            expected(&combo, &host, &[], 0),
            "{bin} {client}"
        );
    }
}

#[test]
fn answers_are_counted_by_status_and_bytes() {
    let base = common::server_url();
    for (bin, client) in combinations() {
        let (_, report) = load_json(
            bin,
            client,
            &["--url", &format!("{base}/status/404"), "-n", "4", "-c", "2"],
            1,
        );
        assert_eq!(
            report.statuses,
            common::kinds(&[("404", 4)]),
            "{bin} {client}"
        );
        assert_eq!(report.errors, common::kinds(&[("http_404", 4)]));
        assert!(report.answered_ms.p50.is_some() && report.latency_ms.p50.is_none());
        assert!(report.bytes_received > 0, "{bin} {client}");

        let (_, report) = load_json(
            bin,
            client,
            &["--url", &format!("{base}/bytes/1000"), "-n", "5", "-c", "1"],
            0,
        );
        assert_eq!(report.statuses, common::kinds(&[("200", 5)]));
        assert_eq!(report.bytes_received, 5_000, "{bin} {client}");
    }
}

#[test]
fn a_large_body_only_read_is_counted_not_kept() {
    // 128 MiB, read with --parse none: counted, never held. Kept, it would
    // put the peak RSS above 128 MiB; read and dropped, it stays far below.
    let base = common::server_url();
    let size: u64 = 128 << 20;
    for (bin, client) in combinations() {
        let (_, report) = load_once(
            bin,
            client,
            &format!("{base}/bytes/{size}"),
            &["--max-body", "1GiB", "--parse", "none", "--timeout", "60s"],
        );
        assert_eq!(report.bytes_received, size, "{bin} {client}");
        let peak_mib = report.peak_rss_kb / 1024;
        assert!(peak_mib < 64, "{bin} {client}: peak RSS {peak_mib} MiB");
    }
}

#[test]
fn redirects_change_the_method_and_keep_credentials_home_on_every_client() {
    let server = own_server();
    let other = own_server();
    let base = server.url();
    for (bin, client) in combinations() {
        let name = format!("{bin}-{client}");
        // (status, method it must arrive as, body kept)
        for (status, method, keeps) in [
            (301, "GET", false),
            (302, "GET", false),
            (303, "GET", false),
            (307, "POST", true),
            (308, "POST", true),
        ] {
            let target = format!("/inspect/{status}-{name}");
            let url = format!("{base}/redirect/{status}?to={target}");
            load_once(
                bin,
                client,
                &url,
                &["--body", "{}", "-T", "application/json"],
            );
            let sent = recorded(&server, &target);
            assert_eq!(sent.len(), 1, "{name} {status}");
            assert_eq!(sent[0].method, method, "{name} {status}");
            assert_eq!(
                sent[0].body_length,
                if keeps { 2 } else { 0 },
                "{name} {status}"
            );
            let content_type = headers(&sent[0]).contains_key("content-type");
            assert_eq!(content_type, keeps, "{name} {status}");
        }
        // Authorization stays with its origin.
        let bearer = format!("Authorization: Bearer {SECRET}");
        let same = format!("/inspect/same-{name}");
        let away = format!("/inspect/away-{name}");
        for (to, target, keeps) in [
            (same.clone(), same.clone(), true),
            (format!("{}{away}", other.url()), away.clone(), false),
        ] {
            let url = format!("{base}/redirect/307?to={to}");
            let (out, _) = load_once(bin, client, &url, &["-H", &bearer]);
            assert!(!out.stdout.contains(SECRET));
            let sent = [recorded(&server, &target), recorded(&other, &target)].concat();
            assert_eq!(sent.len(), 1, "{name} {target}");
            let auth = headers(&sent[0]).contains_key("authorization");
            assert_eq!(auth, keeps, "{name} {target}");
        }
    }
}

#[test]
fn urls_from_a_file_are_taken_in_turn() {
    let server = own_server();
    let base = server.url();
    let dir = std::env::temp_dir().join(format!("async-fetch-urls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("urls.txt");
    std::fs::write(
        &file,
        format!("# three URLs\n{base}/inspect/a\n\n{base}/inspect/b/{{id}}\n{base}/inspect/c\n"),
    )
    .unwrap();
    let path = file.display().to_string();
    for (bin, client) in combinations() {
        let (_, report) = load_json(bin, client, &["--url-file", &path, "-n", "6", "-c", "1"], 0);
        assert_eq!(report.url, format!("{path} (3 URLs)"), "{bin} {client}");
        assert_eq!(report.ok, 6);
    }
    let targets: Vec<String> = server.inspected().into_iter().map(|r| r.target).collect();
    let one_run = [
        "/inspect/a",
        "/inspect/b/2",
        "/inspect/c",
        "/inspect/a",
        "/inspect/b/5",
        "/inspect/c",
    ];
    assert_eq!(targets.len(), 6 * COMBINATIONS.len());
    for run in targets.chunks(6) {
        assert_eq!(run, one_run);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_request_options_are_usage_errors_that_name_the_option_not_the_secret() {
    let dir = std::env::temp_dir().join(format!("async-fetch-badopts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "# no URL here\n\n").unwrap();
    let empty = empty.display().to_string();
    let base = common::server_url();
    let url = format!("{base}/users/1");
    let no_colon = format!("X-Key {SECRET}");
    let bad_name = format!("Bad Name: {SECRET}");
    for (args, says) in [
        (
            vec!["--url", &url, "-H", &no_colon],
            "-H: a header is written as \"Name: value\"",
        ),
        (vec!["--url", &url, "-H", &bad_name], "is not a header name"),
        (
            vec!["--url", &url, "--body-file", "/no/such/body"],
            "--body-file: could not read /no/such/body",
        ),
        (vec!["--url-file", &empty], "holds no URL"),
        (
            vec!["--url-file", "/no/such/urls"],
            "--url-file: could not read /no/such/urls",
        ),
        (
            vec!["--url", &url, "-m", "NO METHOD"],
            "is not an HTTP method",
        ),
    ] {
        let mut all = vec!["load"];
        all.extend(args.iter().copied());
        let out = run("fetch-tokio", &all).fails_with(2);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains(SECRET), "{args:?}: {}", out.stderr);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_secret_reaches_a_report_or_an_error_message() {
    // Every request fails (nothing listens), so error samples, which name
    // the URL, are in the report: none may hold the password or a value.
    let port = common::closed_port();
    let url = format!("http://ann:{SECRET}@127.0.0.1:{port}/x/{{id}}");
    let header = format!("X-Api-Key: {SECRET}");
    for (bin, client) in combinations() {
        for output in ["text", "json"] {
            let out = run(
                bin,
                &[
                    "--client", client, "load", "--url", &url, "-n", "2", "-c", "1", "-H", &header,
                    "--output", output,
                ],
            )
            .fails_with(1);
            for text in [&out.stdout, &out.stderr] {
                assert!(!text.contains(SECRET), "{bin} {client} {output}: {text}");
            }
            assert!(
                out.stdout.contains(&format!("http://127.0.0.1:{port}/x/")),
                "{bin} {client} {output}: the URL is shown without its user info\n{}",
                out.stdout
            );
        }
    }
    // A URL given to `title` keeps its password out of errors too.
    let out = run("fetch-tokio", &["title", &url.replace("{id}", "1")]).fails_with(1);
    assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
}

#[test]
fn echo_answers_the_length_and_digest_of_what_it_read() {
    let base = common::server_url();
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let body = "hello, echo";
    write!(
        stream,
        "POST /echo HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let json = answer.split("\r\n\r\n").nth(1).unwrap();
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(value["length"], body.len());
    assert_eq!(
        value["digest"],
        fetch_server::shapes::digest_of(body.as_bytes())
    );
}

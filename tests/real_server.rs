//! Every combination against a real, stock web server (nginx, started here
//! on a free port, serving pages this test writes): pages in other
//! encodings, declared in each way a browser reads, redirects of every
//! kind, and what each client sends. And a short body, from a raw socket
//! (a stock server does not send one).
//!
//! Without nginx (a fresh machine) the nginx tests say they were skipped
//! and why; under CI (`CI=true`, where `.ci/run` installs nginx) a missing
//! nginx fails them.

mod common;

use async_fetch::nginx::{Nginx, NginxError, Site};
use common::{combinations, load_json, load_once, run};
use fetch_core::ClientConfig;

/// "Café" and friends, in the bytes of each encoding.
fn site() -> Site {
    let mut files: Vec<(String, Vec<u8>)> =
        vec![
        // No declaration at all, valid UTF-8: UTF-8.
        ("utf8.html".into(), "<title>Café ☺</title>".into()),
        // No declaration, not valid UTF-8: windows-1252.
        ("plain-1252.html".into(), b"<title>Caf\xe9 \x80 \x93ok\x94</title>".to_vec()),
        // Declared in the header as ISO-8859-1, which the Encoding
        // Standard reads as windows-1252 (so 0x80 is the euro sign).
        ("latin1/index.html".into(), b"<title>Caf\xe9 \xbd \x80</title>".to_vec()),
        // Declared in the header as windows-1252.
        ("cp1252/page.html".into(), b"<title>\x93Caf\xe9\x94</title>".to_vec()),
        // <meta charset>, in windows-1251: "Привет".
        (
            "meta.html".into(),
            b"<html><head><meta charset=\"windows-1251\"><title>\xcf\xf0\xe8\xe2\xe5\xf2</title>"
                .to_vec(),
        ),
        // <meta http-equiv>, in ISO-8859-2: "Łódź".
        (
            "pragma.html".into(),
            b"<!-- a comment <meta charset=koi8-r> --><meta http-equiv=\"Content-Type\" \
              content=\"text/html; charset=iso-8859-2\"><title>\xa3\xf3d\xbc</title>"
                .to_vec(),
        ),
    ];
    // A UTF-8 byte-order mark wins over the header's (wrong) ISO-8859-1.
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice("<title>Café ☺</title>".as_bytes());
    files.push(("bom/utf8.html".into(), bom));
    // UTF-16LE with its byte-order mark.
    let mut utf16 = vec![0xff, 0xfe];
    for unit in "<title>Café ☺</title>".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    files.push(("utf16.html".into(), utf16));

    let mut server = String::from(
        "  types { text/html html; }\n\
         location /latin1/ { types { } default_type \"text/html; charset=iso-8859-1\"; }\n\
         location /cp1252/ { types { } default_type \"text/html; charset=windows-1252\"; }\n\
         location /bom/ { types { } default_type \"text/html; charset=iso-8859-1\"; }\n\
         location = /any { return 200 \"ok\\n\"; }\n\
         location = /r301 { return 301 /utf8.html; }\n\
         location = /r302 { return 302 /utf8.html; }\n\
         location = /r303 { return 303 /utf8.html; }\n\
         location = /r307 { return 307 /utf8.html; }\n\
         location = /r308 { return 308 /utf8.html; }\n\
         location = /relative { absolute_redirect off; return 302 /meta.html; }\n\
         location = /dir/sub/up { absolute_redirect off; return 302 ../../pragma.html; }\n\
         location = /absolute { return 302 http://127.0.0.1:PORT/cp1252/page.html; }\n\
         location = /chain1 { return 301 /chain2; }\n\
         location = /chain2 { absolute_redirect off; return 307 /chain3; }\n\
         location = /chain3 { return 308 http://127.0.0.1:PORT/bom/utf8.html; }\n\
         location = /loop-a { return 302 /loop-b; }\n\
         location = /loop-b { return 302 /loop-a; }\n\
         location = /to-https { return 301 https://127.0.0.1:PORT/utf8.html; }\n\
         location = /to-ftp { return 301 ftp://127.0.0.1/file; }\n",
    );
    // /hop0 -> /hop1 -> ... -> /hop11 -> /utf8.html: from /hop2 that is
    // ten redirects (allowed), from /hop1 eleven (refused).
    for i in 0..=11 {
        let next = if i == 11 {
            "/utf8.html".to_owned()
        } else {
            format!("/hop{}", i + 1)
        };
        server.push_str(&format!("location = /hop{i} {{ return 302 {next}; }}\n"));
    }
    Site { server, files }
}

/// Pages each combination must title right: (path, title, redirects).
const PAGES: &[(&str, &str, u32)] = &[
    ("/utf8.html", "Café ☺", 0),
    ("/plain-1252.html", "Café € “ok”", 0),
    ("/latin1/index.html", "Café ½ €", 0),
    ("/cp1252/page.html", "“Café”", 0),
    ("/meta.html", "Привет", 0),
    ("/pragma.html", "Łódź", 0),
    ("/bom/utf8.html", "Café ☺", 0),
    ("/utf16.html", "Café ☺", 0),
    ("/r301", "Café ☺", 1),
    ("/r302", "Café ☺", 1),
    ("/r303", "Café ☺", 1),
    ("/r307", "Café ☺", 1),
    ("/r308", "Café ☺", 1),
    ("/relative", "Привет", 1),
    ("/dir/sub/up", "Łódź", 1),
    ("/absolute", "“Café”", 1),
    // nginx's own redirect: a folder asked for without its slash.
    ("/latin1", "Café ½ €", 1),
    ("/chain1", "Café ☺", 3),
    ("/hop2", "Café ☺", 10),
];

/// The nginx for these tests, or `None` (skipped, with the reason) where
/// it is not installed and this is not CI.
fn nginx() -> Option<Nginx> {
    match Nginx::start(&site()) {
        Ok(nginx) => Some(nginx),
        Err(NginxError::Missing) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: {} (CI installs it)", NginxError::Missing);
            None
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn every_combination_titles_every_encoding_and_follows_every_redirect() {
    let Some(nginx) = nginx() else { return };
    let urls: Vec<String> = PAGES
        .iter()
        .map(|(path, _, _)| format!("{}{path}", nginx.url()))
        .collect();
    // Every answer first, into a table of cases x combinations (printed,
    // so a failing run shows all of it), then the checks.
    let mut columns = Vec::new();
    for (bin, client) in combinations() {
        let mut args = vec!["--client", client, "title"];
        args.extend(urls.iter().map(String::as_str));
        let out = run(bin, &args).success();
        let lines: Vec<String> = out.stdout.lines().map(str::to_owned).collect();
        assert_eq!(lines.len(), PAGES.len(), "{bin} {client}: {}", out.stdout);
        columns.push((bin, client, lines));
    }
    let mut table = String::from("| case | expected |");
    for (bin, client, _) in &columns {
        table.push_str(&format!(" {} {client} |", bin.trim_start_matches("fetch-")));
    }
    table.push_str(&format!("\n|---|---|{}\n", "---|".repeat(columns.len())));
    let mut wrong = Vec::new();
    for (i, (path, title, redirects)) in PAGES.iter().enumerate() {
        table.push_str(&format!("| {path} | {title} ({redirects} redirects) |"));
        for (bin, client, lines) in &columns {
            let line = &lines[i];
            let fields: Vec<&str> = line.split('\t').collect();
            // The final URL is printed when it differs from the one given.
            let via = match redirects {
                0 => !fields[2].contains("redirect"),
                1 => fields[2].contains(", after 1 redirect: http://127.0.0.1:"),
                n => fields[2].contains(&format!(", after {n} redirects: http://127.0.0.1:")),
            };
            let right = fields[0] == urls[i] && fields[1] == *title && via;
            table.push_str(if right { " ok |" } else { " **wrong** |" });
            if !right {
                wrong.push(format!("{bin} {client} {path}: {line}"));
            }
        }
        table.push('\n');
    }
    eprintln!("{table}");
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn what_every_client_sends_is_the_same() {
    let Some(nginx) = nginx() else { return };
    let url = format!("{}/utf8.html", nginx.url());
    for (bin, client) in combinations() {
        run(bin, &["--client", client, "title", &url]).success();
    }
    let log = nginx.access_log();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), combinations().count(), "{log}");
    for ((bin, client), line) in combinations().zip(&lines) {
        let runtime = bin.trim_start_matches("fetch-");
        // No Accept-Encoding ("-" in the log), but cyper 0.9, built
        // without its decompression features, still sends the header,
        // empty (it joins an empty list of encodings). Empty means
        // identity only, which is what no header means too.
        let encoding = common::combo(bin, client)
            .client
            .accept_encoding()
            .unwrap_or("-");
        // No Content-Length on a GET, but where the library forces one
        // (the registry says which).
        let length = forced(bin, client, "content-length").unwrap_or("-");
        let want = format!(
            "200|GET|/utf8.html|{}|{}|{encoding}|{length}|-|-",
            ClientConfig::user_agent_for(client, runtime),
            ClientConfig::ACCEPT
        );
        assert_eq!(*line, want, "{bin} {client}");
    }
}

/// The value of `name` the client of `bin --client client` sends on its
/// own (the registry's `forced_headers`), if any.
fn forced(bin: &str, client: &str, name: &str) -> Option<&'static str> {
    common::combo(bin, client)
        .client
        .forced_headers()
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value)
}

#[test]
fn every_client_sends_the_method_header_and_body_asked_for_to_nginx() {
    let Some(nginx) = nginx() else { return };
    let url = format!("{}/any", nginx.url());
    let body = r#"{"k":"v"}"#;
    for (bin, client) in combinations() {
        for method in ["POST", "PUT", "DELETE"] {
            let trace = format!("X-Trace: {bin}-{client}-{method}");
            load_once(
                bin,
                client,
                &url,
                &[
                    "-m",
                    method,
                    "-H",
                    &trace,
                    "-T",
                    "application/json",
                    "--body",
                    body,
                ],
            );
        }
    }
    let log = nginx.access_log();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), combinations().count() * 3, "{log}");
    let mut lines = lines.into_iter();
    for (bin, client) in combinations() {
        for method in ["POST", "PUT", "DELETE"] {
            let line = lines.next().unwrap();
            let fields: Vec<&str> = line.split('|').collect();
            assert_eq!(
                fields[..3],
                ["200", method, "/any"],
                "{bin} {client}: {line}"
            );
            let tail = &fields[fields.len() - 3..];
            let trace = format!("{bin}-{client}-{method}");
            assert_eq!(
                tail,
                [&body.len().to_string(), trace.as_str(), "application/json"],
                "{bin} {client}: {line}"
            );
        }
    }
}

#[test]
fn loops_too_many_hops_and_unfollowable_schemes_fail_naming_the_chain() {
    let Some(nginx) = nginx() else { return };
    let base = nginx.url();
    for (bin, client) in combinations() {
        let fail = |path: &str| {
            let url = format!("{base}{path}");
            let out = run(bin, &["--client", client, "title", &url]).fails_with(1);
            assert!(
                out.stdout.is_empty(),
                "{bin} {client} {path}: {}",
                out.stdout
            );
            out.stderr
        };
        let loop_ = fail("/loop-a");
        assert!(
            loop_.contains(&format!(
                "error: redirect loop: {base}/loop-a -> {base}/loop-b -> {base}/loop-a"
            )),
            "{bin} {client}: {loop_}"
        );
        let many = fail("/hop1");
        assert!(
            many.contains(&format!(
                "error: more than 10 redirects: {base}/hop1 -> {base}/hop2 -> "
            )),
            "{bin} {client}: {many}"
        );
        assert!(
            many.contains(&format!(" -> {base}/utf8.html\n")),
            "{bin} {client}: {many}"
        );
        let ftp = fail("/to-ftp");
        assert!(
            ftp.contains("redirected to unsupported scheme \"ftp\"")
                && ftp.contains(&format!("{base}/to-ftp -> ftp://127.0.0.1/file")),
            "{bin} {client}: {ftp}"
        );
        // nginx speaks plain http on that port, so https fails for every
        // client; a client without TLS says it is the redirect.
        let tls = fail("/to-https");
        if common::combo(bin, client).client.no_tls().is_some() {
            assert!(
                tls.contains("redirected to a URL this client cannot fetch")
                    && tls.contains(&format!("{base}/to-https -> https://127.0.0.1:")),
                "{bin} {client}: {tls}"
            );
        }
        // With redirects turned off, a redirect is an HTTP status.
        let url = format!("{base}/r301");
        let off = run(
            bin,
            &["--client", client, "--max-redirects", "0", "title", &url],
        )
        .fails_with(1);
        assert!(
            off.stderr.contains("answered HTTP 301"),
            "{bin} {client}: {}",
            off.stderr
        );
    }
}

#[test]
fn a_load_run_follows_and_counts_redirects() {
    let Some(nginx) = nginx() else { return };
    let url = format!("{}/chain1", nginx.url());
    for (bin, client) in combinations() {
        let (_, report) = load_json(
            bin,
            client,
            &["--url", &url, "-n", "200", "-c", "8", "--parse", "title"],
            0,
        );
        assert_eq!(report.ok, 200, "{bin} {client}: {report:?}");
        assert_eq!(report.redirects, 600, "{bin} {client}: {report:?}");
        assert_eq!(report.max_redirects, 10);
        // Turned off: each request ends at the first 301, as an error.
        let (_, report) = load_json(
            bin,
            client,
            &["--max-redirects", "0", "--url", &url, "-n", "50", "-c", "4"],
            1,
        );
        assert_eq!(
            report.errors.get("http_301"),
            Some(&50),
            "{bin} {client}: {report:?}"
        );
        assert_eq!(report.redirects, 0);
        // A loop is one `redirect` error per request.
        let looping = format!("{}/loop-a", nginx.url());
        let (_, report) = load_json(bin, client, &["--url", &looping, "-n", "20", "-c", "4"], 1);
        assert_eq!(
            report.errors.get("redirect"),
            Some(&20),
            "{bin} {client}: {report:?}"
        );
    }
}

/// A server that answers every connection with a head announcing 100
/// bytes, sends 20, and closes: a body cut short.
fn short_body_server() -> String {
    // Closed after the answer, with 80 bytes still owed.
    let answer = b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 100\r\n\r\n<title>Short</title>";
    format!("{}/short", common::raw_server(answer.to_vec()))
}

#[test]
fn a_body_shorter_than_its_content_length_fails_on_every_client() {
    let url = short_body_server();
    for (bin, client) in combinations() {
        let out = run(bin, &["--client", client, "title", &url]).fails_with(1);
        assert!(out.stdout.is_empty(), "{bin} {client}: {}", out.stdout);
        assert!(
            out.stderr
                .contains(&format!("error: the exchange with {url} failed")),
            "{bin} {client}: {}",
            out.stderr
        );
        let (_, report) = load_json(bin, client, &["--url", &url, "-n", "20", "-c", "2"], 1);
        assert_eq!(
            report.errors.get("transport"),
            Some(&20),
            "{bin} {client}: {report:?}"
        );
    }
}

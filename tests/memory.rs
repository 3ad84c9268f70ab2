//! Memory stays bounded on every combination: a body over `--max-body` is
//! refused before it is read into memory, and the connection it came on is
//! not used again (surf's pool once handed such a connection to the next
//! request, which read the rest of a 1 GB body into memory looking for a
//! line end: 1,969 MiB of RSS for `-n 4 -c 2`).
//!
//! Two raw servers, a thread per connection, that send until the client
//! closes: one announces a 1 GiB `Content-Length`, one sends an endless
//! chunked body. Each run's peak RSS is compared with the same
//! combination's against a small body.

mod common;

use std::io::{Read as _, Write as _};

use common::combinations;

/// A server on 127.0.0.1 that answers every request with `head` and then
/// `chunk`, again and again, until the client goes away. Returns its URL.
fn endless_server(head: &'static str, chunk: Vec<u8>) -> String {
    common::server_per_connection(move |mut stream| {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        while stream.write_all(&chunk).is_ok() {}
    })
}

/// `load -n 4 -c 2 --max-body 1MiB` of `target` (`--url URL` or
/// `--url-file PATH`): its report.
fn load(bin: &str, client: &str, target: [&str; 2]) -> fetch_core::LoadReport {
    let [flag, value] = target;
    let args = [
        "--client",
        client,
        "--timeout",
        "10s",
        "--max-body",
        "1MiB",
        "load",
        flag,
        value,
        "-n",
        "4",
        "-c",
        "2",
        "--output",
        "json",
    ];
    let out = common::run(bin, &args);
    let report = common::check_report(&out.stdout);
    assert!(report.is_consistent(), "{bin} {client}: {report:?}");
    report
}

#[test]
fn a_body_over_the_limit_takes_no_more_memory_than_the_limit() {
    let large = endless_server(
        "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n",
        vec![0u8; 64 * 1024],
    );
    let mut chunk = format!("{:x}\r\n", 64 * 1024).into_bytes();
    chunk.extend_from_slice(&[b'a'; 64 * 1024]);
    chunk.extend_from_slice(b"\r\n");
    let endless = endless_server(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        chunk,
    );
    // Both in one run, taken in turn: two requests of each.
    let dir = std::env::temp_dir().join(format!("async-fetch-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let file = dir.join("urls.txt");
    std::fs::write(&file, format!("{large}/\n{endless}/\n")).expect("the URL list");
    let urls = file.display().to_string();
    let small = format!("{}/users/1", common::server_url());
    for (bin, client) in combinations() {
        let baseline = load(bin, client, ["--url", &small]);
        assert_eq!(baseline.ok, 4, "{bin} {client}: {baseline:?}");
        // --max-body (1 MiB) and a few MiB of buffers over the same
        // program's run on a small body.
        let bound = baseline.peak_rss_kb + 1024 + 8 * 1024;
        let report = load(bin, client, ["--url-file", &urls]);
        let what = format!("{bin} {client}: {report:?}");
        assert_eq!(report.errors.get("body_too_large"), Some(&4), "{what}");
        assert!(report.peak_rss_kb <= bound, "over {bound} KiB: {what}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

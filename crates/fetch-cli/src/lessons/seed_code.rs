//! seed-code: the seed's own first example, on the Rust book's `trpl`
//! crate, beside this project's `fetch_title`.
//!
//! The seed's code lives in `seed-code/` at the repository's root, a crate
//! outside the workspace so that trpl's dependency tree stays out of the
//! workspace's lock file. As written it does not compile against trpl 0.3
//! (the lesson prints rustc's message, pinned by that crate's compile-fail
//! test); with the two `.map_err(..)?` that do not compile left out, it is
//! built once (`cargo build --manifest-path seed-code/Cargo.toml`, done
//! here on first use) and run, one process per page, against the embedded
//! fixture server's `/quirks/` pages, a 404 and a closed port. Beside each:
//! what this project's `fetch_title` returns on this binary's runtime and
//! client.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fetch_core::{FetchError, HttpClient, LocalHttpClient as _, fetch_title, within};
use serde_json::{Value, json};

use super::kit::{About, Drive, Lesson, Out, closed_port};
use crate::Hooks;
use crate::context::{Context, embedded_server};

/// rustc's answer to the seed's code as written (the compile-fail test's
/// pinned message).
const AS_WRITTEN_STDERR: &str = include_str!("../../../../seed-code/tests/ui/as_written.stderr");

/// The seed's crate, found from this crate's source directory.
const SEED_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../seed-code");

/// How long one run of the seed's program may take: trpl has no timeout.
const SEED_LIMIT: Duration = Duration::from_secs(30);

/// The pages: what each is, and its path on the fixture server.
const PAGES: &[(&str, &str)] = &[
    ("entities", "/quirks/entities"),
    ("white space", "/quirks/whitespace"),
    ("only an <svg> title", "/quirks/svg"),
    ("no title", "/quirks/no-title"),
    ("windows-1252 in <meta>", "/quirks/meta-charset"),
    ("a 404", "/status/404"),
];

/// The lesson `seed-code`.
pub(super) struct SeedCode;

impl Lesson for SeedCode {
    const ABOUT: &'static About = &About {
        name: "seed-code",
        claim: "let response = trpl::get(url).await.map_err(|e| e.to_string())?; ... Html::parse(&text).select_first(\"title\").map(|t| t.inner_html()).unwrap_or_else(|| String::from(\"No title\"))",
        shows: "the seed's own fetch_title on trpl, run beside this project's on pages where they differ",
        thread_per_task_too: true,
        threads_note: None,
        in_flight: 16,
        thread_per_core: None,
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        Self::run_anywhere(ctx, out)
    }

    fn run_anywhere<D: Drive>(ctx: &D, out: Out) -> anyhow::Result<Value> {
        let rustc_says = AS_WRITTEN_STDERR.lines().next().unwrap_or_default();
        out.say("As the seed writes it, its fetch_title does not compile against trpl 0.3, the Rust book's");
        out.say("crate (seed-code/tests/ui/as_written.rs; rustc's message pinned by its compile-fail test):\n");
        for line in AS_WRITTEN_STDERR.lines().take_while(|l| !l.is_empty()) {
            out.say(format!("    {line}"));
        }
        out.say(
            "\ntrpl::get returns the response itself, not a Result: it panics when the request fails, so\n\
             there is no error to map. With the two .map_err(..)? left out, the rest is the seed's\n\
             (seed-code/src/main.rs). Run once per page, beside this project's fetch_title:\n",
        );
        let seed = seed_program()?;
        let server = embedded_server()?;
        let base = server.url();
        let closed = closed_port()?;
        let mut cases: Vec<(&str, String)> = PAGES
            .iter()
            .map(|(what, path)| (*what, format!("{base}{path}")))
            .collect();
        cases.push(("a closed port", format!("http://127.0.0.1:{closed}/")));

        out.say(format!(
            "  {:<24}{:<34}fetch_title ({}, {})",
            "page",
            "the seed's code (trpl)",
            ctx.runtime_name(),
            ctx.client().name()
        ));
        let mut rows = Vec::new();
        let mut panics = Vec::new();
        for (what, url) in &cases {
            let theirs = run_seed(&seed, url)?;
            let ours = ctx.block_on(within(
                ctx.rt(),
                ctx.timeout(),
                url,
                fetch_title(ctx.client(), url),
            ));
            out.say(format!(
                "  {what:<24}{:<34}{}",
                clip(&theirs.shown()),
                clip(&shown(&ours))
            ));
            if let SeedRun::Panicked(message) = &theirs {
                panics.push(format!("  {what}: the seed's program panicked: {message}"));
            }
            rows.push(json!({
                "page": what,
                "url": url,
                "seed": theirs.to_json(),
                "fetch_title": as_json(&ours),
            }));
        }
        for panic in panics {
            out.say(format!("\n{panic}"));
        }
        out.say(
            "\nWhere they differ, and why:\n\
             - entities: inner_html() returns the element's HTML, so &amp; stays &amp;. A browser's\n\
             \x20 document.title decodes it; fetch_title does the same.\n\
             - white space: inner_html() keeps the line breaks and indentation; document.title strips\n\
             \x20 and collapses them.\n\
             - <svg>: the CSS selector \"title\" matches an SVG's <title> too, so a page with no title of\n\
             \x20 its own gets its logo's caption. Only a <title> in the HTML namespace is the page's title.\n\
             - no title: \"No title\" is a title like any other to the caller, who cannot tell it from a\n\
             \x20 page called \"No title\". fetch_title returns None (Option), and the caller decides.\n\
             - windows-1252 declared in a <meta>: text() decodes by the Content-Type header only, so a\n\
             \x20 page that declares its encoding in the page (as the HTML standard allows) comes out with\n\
             \x20 U+FFFD in place of each accented letter. fetch_title reads the <meta> as a browser does.\n\
             - a 404: nothing checks the status, so the error page's body is parsed as if it were the\n\
             \x20 page: \"No title\". fetch_title returns an error of kind http_404.\n\
             - a closed port: trpl::get panics (it unwraps reqwest's error), so the seed's Result<String,\n\
             \x20 String> never carries an error at all. fetch_title returns one, kind connect.",
        );
        Ok(json!({
            "as_written_compiles": false,
            "rustc_says": rustc_says,
            "pages": rows,
        }))
    }
}

/// What the seed's program did for one URL.
enum SeedRun {
    /// It printed a title.
    Title(String),
    /// It returned its error string.
    Error(String),
    /// It panicked: the panic's message.
    Panicked(String),
}

impl SeedRun {
    fn shown(&self) -> String {
        match self {
            SeedRun::Title(title) => format!("{title:?}"),
            SeedRun::Error(e) => format!("Err({e:?})"),
            SeedRun::Panicked(_) => "panicked (exit code 101)".to_owned(),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            SeedRun::Title(title) => json!({ "title": title }),
            SeedRun::Error(e) => json!({ "error": e }),
            SeedRun::Panicked(message) => json!({ "panicked": message }),
        }
    }
}

/// The seed's program, built on first use.
fn seed_program() -> anyhow::Result<PathBuf> {
    let dir = Path::new(SEED_DIR);
    let program = dir.join("target/debug/seed-code");
    if program.is_file() {
        return Ok(program);
    }
    if !dir.join("Cargo.toml").is_file() {
        bail!(
            "the seed's crate is not at {} (this lesson runs from the repository it was built in)",
            dir.display()
        );
    }
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    eprintln!(
        "building {} once (trpl and its dependencies; a minute or two)...",
        dir.display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("could not run {}", cargo.to_string_lossy()))?;
    if !status.success() || !program.is_file() {
        bail!(
            "could not build the seed's crate ({status}): try cargo build --manifest-path {}",
            dir.join("Cargo.toml").display()
        );
    }
    Ok(program)
}

/// Runs the seed's program on `url`, killed after [`SEED_LIMIT`].
fn run_seed(program: &Path, url: &str) -> anyhow::Result<SeedRun> {
    let mut child = Command::new(program)
        .arg(url)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not run {}", program.display()))?;
    let started = Instant::now();
    // Its output is a title or one panic message: far less than a pipe
    // holds, so waiting before reading cannot block it.
    while child.try_wait()?.is_none() {
        if started.elapsed() > SEED_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "the seed's program did not finish within {} s for {url} (trpl has no timeout)",
                SEED_LIMIT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output()?;
    let stderr = String::from_utf8_lossy(&stderr);
    Ok(match status.code() {
        Some(0) => SeedRun::Title(String::from_utf8_lossy(&stdout).into_owned()),
        Some(1) => SeedRun::Error(stderr.trim().to_owned()),
        _ => SeedRun::Panicked(panic_message(&stderr)),
    })
}

/// The message of a panic as the standard library prints it: the line
/// after `thread '...' panicked at FILE:LINE:COL:`.
fn panic_message(stderr: &str) -> String {
    let mut lines = stderr.lines();
    let _ = lines.by_ref().find(|l| l.contains("panicked at"));
    lines.next().unwrap_or(stderr.trim()).to_owned()
}

/// `fetch_title`'s answer, as the table shows it.
fn shown(result: &Result<Option<String>, FetchError>) -> String {
    match result {
        Ok(Some(title)) => format!("Some({title:?})"),
        Ok(None) => "None".to_owned(),
        Err(e) => format!("Err, kind {}", e.kind()),
    }
}

fn as_json(result: &Result<Option<String>, FetchError>) -> Value {
    match result {
        Ok(title) => json!({ "title": title }),
        Err(e) => json!({ "error_kind": e.kind().to_string(), "error": e.chain() }),
    }
}

/// At most 32 characters of `text`, marked when cut.
fn clip(text: &str) -> String {
    const MAX: usize = 32;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX - 3).collect();
        format!("{cut}...")
    }
}

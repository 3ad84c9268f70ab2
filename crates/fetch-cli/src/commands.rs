//! The commands, written once for every runtime and client.
//!
//! Each command is plain synchronous code that enters async code through
//! the runtime's `block_on`, the bridge `#[tokio::main]` builds for you
//! (see [`Drive`], which each kind of runtime implements). Inside, work that
//! should happen at the same time is `spawn`ed; work that should happen in
//! order is simply `.await`ed.

use std::process::ExitCode;

use fetch_core::{
    LoadPlan, LoadReport, LocalHttpClient as _, Parse, Progress, ServerKind, Stop, UrlTemplate,
};
use fetch_server::Server;

use crate::args::{LoadArgs, Output, ParseArg};
use crate::check_url;
use crate::context::{embedded_server, ms};
use crate::drive::{Drive, Titled, TitledPage};
use crate::interrupt::{self, INTERRUPTED};
use crate::limits;
use crate::printer;
use crate::progress::Bar;
use crate::stdout::{out, outln};
use crate::usage::Usage;

/// Requests in the tour's load run.
pub(crate) const TOUR_REQUESTS: u64 = 20_000;
/// Requests in flight in the tour's load run (and so its pool size). With
/// the embedded server's side of each connection and the pool's headroom
/// (see `limits`), 200 stays under the common open-file limit of 1,024.
pub(crate) const TOUR_CONCURRENCY: usize = 200;

/// Pages `title` and the tour fetch from the embedded server.
pub(crate) const DEFAULT_PAGES: usize = 3;

/// The pages `title` and the tour fetch when given no URL.
fn default_pages(server: &Server) -> Vec<String> {
    (1..=DEFAULT_PAGES)
        .map(|n| format!("{}/pages/{n}", server.url()))
        .collect()
}

/// `tour`: the pattern in three steps on the embedded server.
pub(crate) fn tour<D: Drive>(ctx: &D) -> anyhow::Result<ExitCode> {
    limits::ensure_open_files(
        limits::needed_for_load(TOUR_CONCURRENCY, ctx.client().config().connections, true),
        "the tour",
    )?;
    let server = embedded_server()?;
    outln!(
        "async-fetch tour: {}, client {}, fixture server at {}",
        ctx.description(),
        ctx.client().name(),
        server.url()
    );
    if let Some(legacy) = ctx.app().legacy() {
        outln!("{legacy}");
    }
    outln!();
    outln!("1. fetch_title: three pages, each fetch spawned as a task, all in flight at once");
    let urls = default_pages(&server);
    let titles_ok = print_titles(ctx, &urls)?;
    outln!();
    outln!(
        "2. get_user: one request, its JSON decoded with serde; any failure returns through `?`"
    );
    let url = format!("{}/users/42", server.url());
    let user = fetch_user(ctx, &url)?;
    outln!("   {user:?}");
    outln!();
    let (requests, concurrency) = (TOUR_REQUESTS, TOUR_CONCURRENCY);
    outln!(
        "3. load: {requests} get_user requests, {concurrency} in flight ({}): every request counted",
        ctx.description()
    );
    let url = UrlTemplate::new(&format!("{}/users/{{id}}", server.url()))?;
    let plan = LoadPlan::new(url, Stop::Requests(requests))
        .concurrency(concurrency)
        .timeout(ctx.timeout())
        .parse(Parse::User);
    let report = measure(ctx, plan, ServerKind::Embedded, true)?;
    out!("{}", printer::text(&report));
    if report.interrupted {
        return Ok(ExitCode::from(INTERRUPTED));
    }
    let bin = ctx.app().binary();
    outln!();
    outln!("Next: `{bin} lesson` lists the lessons, each claim of the async fn pattern run and");
    outln!("measured; `{bin} load --url URL` loads a server of your own (`{bin} load --help`).");
    let all_ok = titles_ok && report.error_count() == 0;
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `title`: print the title of each page.
pub(crate) fn title<D: Drive>(ctx: &D, urls: Vec<String>) -> anyhow::Result<ExitCode> {
    for url in &urls {
        check_url(url)?;
    }
    let server;
    let urls = if urls.is_empty() {
        server = embedded_server()?;
        default_pages(&server)
    } else {
        urls
    };
    let all_ok = print_titles(ctx, &urls)?;
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Fetches every title concurrently and prints them in the order given:
/// `URL<TAB>title<TAB>(time)` on stdout, the time followed by where the
/// redirects led when there were any, and an error line on stderr for
/// each failure. Returns whether all succeeded.
fn print_titles<D: Drive>(ctx: &D, urls: &[String]) -> anyhow::Result<bool> {
    let results = ctx.titles(urls)?;
    let mut all_ok = true;
    for (url, Titled { page, took }) in urls.iter().zip(results) {
        match page {
            Ok(TitledPage {
                title,
                redirects,
                url: last,
            }) => {
                let title = title.as_deref().unwrap_or("(no title)");
                let via = match redirects {
                    0 => String::new(),
                    1 => format!(", after 1 redirect: {last}"),
                    n => format!(", after {n} redirects: {last}"),
                };
                outln!("{url}\t{title}\t({:.1} ms{via})", ms(took));
            }
            Err(err) => {
                all_ok = false;
                eprintln!("error: {}", err.chain());
            }
        }
    }
    Ok(all_ok)
}

/// `user`: fetch one user and print it as JSON.
pub(crate) fn user<D: Drive>(ctx: &D, id: u64, base: Option<String>) -> anyhow::Result<ExitCode> {
    let server;
    let base = match base {
        Some(base) => check_url(&base)?,
        None => {
            server = embedded_server()?;
            check_url(&server.url())?
        }
    };
    let url = user_url(base, id);
    let user = fetch_user(ctx, &url)?;
    outln!("{}", serde_json::to_string_pretty(&user)?);
    Ok(ExitCode::SUCCESS)
}

/// `BASE/users/ID`: the base's path with `/users/ID` after it, whether or
/// not it ends in a slash, its query kept.
fn user_url(mut base: url::Url, id: u64) -> String {
    let path = format!("{}/users/{id}", base.path().trim_end_matches('/'));
    base.set_path(&path);
    base.into()
}

/// Runs `get_user` to completion under the time limit.
fn fetch_user<D: Drive>(ctx: &D, url: &str) -> Result<fetch_core::User, fetch_core::FetchError> {
    ctx.user(url)
}

/// `load`: run the load engine and print its report.
pub(crate) fn load<D: Drive>(ctx: &D, args: LoadArgs) -> anyhow::Result<ExitCode> {
    let mut server = None;
    let request = args.request.spec()?;
    let (url, default_parse, kind) = match (args.url, &args.url_file) {
        (_, Some(path)) => (
            crate::request::url_file(path)?,
            ParseArg::None,
            ServerKind::External,
        ),
        (Some(url), None) => {
            // The URL as the first request will ask for it.
            check_url(&url.replace(UrlTemplate::PLACEHOLDER, "1"))?;
            (
                UrlTemplate::new(&url)?,
                ParseArg::None,
                ServerKind::External,
            )
        }
        (None, None) => {
            let s = server.insert(embedded_server()?);
            (
                UrlTemplate::new(&format!("{}/users/{{id}}", s.url()))?,
                ParseArg::User,
                ServerKind::Embedded,
            )
        }
    };
    let connections = ctx.client().config().connections;
    limits::ensure_open_files(
        limits::needed_for_load(args.concurrency as usize, connections, server.is_some()),
        "this load run",
    )?;
    let stop = match (args.requests, args.duration) {
        (_, Some(d)) => Stop::Duration(d),
        (Some(n), None) => Stop::Requests(n),
        (None, None) => Stop::Requests(10_000),
    };
    let mut plan = LoadPlan::new(url, stop)
        .concurrency(args.concurrency as usize)
        .timeout(ctx.timeout())
        .parse(args.parse.unwrap_or(default_parse).into())
        .request(request)
        .wait_ongoing(args.wait_ongoing);
    if let Some(rate) = args.rate {
        plan = plan.rate(rate);
    }
    let report = measure(ctx, plan, kind, args.output == Output::Text)?;
    drop(server);
    match args.output {
        Output::Text => out!("{}", printer::text(&report)),
        Output::Json => outln!("{}", printer::json(&report)),
    }
    if report.interrupted {
        return Ok(ExitCode::from(INTERRUPTED));
    }
    if report.requests > 0 && report.ok == 0 {
        // The run went through, but nothing worked: most likely a wrong URL
        // or a server that is down. Say so, with the first error's cause.
        let first = report
            .error_samples
            .values()
            .next()
            .map_or("", String::as_str);
        eprintln!("error: every request failed; the first: {first}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `plan` with a progress bar and Ctrl-C handling, and measures what
/// the run cost this process.
fn measure<D: Drive>(
    ctx: &D,
    plan: LoadPlan,
    server: ServerKind,
    bar: bool,
) -> anyhow::Result<LoadReport> {
    let progress = Progress::new();
    let _watch = interrupt::Watch::new(&progress);
    let bar = Bar::start(&progress, plan.stop, bar);
    let before = Usage::now();
    let report = ctx.load(plan, progress);
    let usage = Usage::now().since(before);
    drop(bar);
    Ok(LoadReport::new(&report?, server, usage.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_path_goes_after_the_base_path_with_its_query_kept() {
        let url = |base: &str| user_url(url::Url::parse(base).unwrap(), 5);
        assert_eq!(url("http://h:1"), "http://h:1/users/5");
        assert_eq!(url("http://h:1/"), "http://h:1/users/5");
        assert_eq!(url("http://h:1/api/"), "http://h:1/api/users/5");
        assert_eq!(url("http://h:1/api?key=k"), "http://h:1/api/users/5?key=k");
    }
}

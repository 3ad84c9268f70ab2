//! The command line every runtime binary shares.
//!
//! A runtime binary (`fetch-tokio`, ...) describes itself with an [`App`],
//! calls [`parse`], builds its runtime and the chosen client, and hands both
//! to [`Setup::run`] (a thread-per-core runtime hands a maker of one runtime
//! and client per shard to [`Setup::run_local`]). Everything after that, the commands, the embedded
//! server, the progress bar and the report, is written once, here.
//!
//! # Layout
//!
//! - `args`: the clap definitions of the options and commands.
//! - `context`: what commands and lessons both run with: the runtime, the client, the embedded server.
//! - [`Hooks`], [`MainAttribute`]: what lessons need of a runtime beyond fetch-core's `Runtime` (its file API, its flavours, its `main` attribute);
//!   each runtime crate implements it.
//! - `drive`: what the commands need of a runtime and client (`Drive`), for a Send runtime and
//!   for a thread-per-core one (a runtime and a client per shard).
//! - `commands`: `tour`, `title`, `user` and `load`, generic over `Drive`.
//! - `lessons`: the lessons of the async fn pattern, each claim of the seed run and measured;
//!   each lesson module exports its own lessons, and the registry lists them.
//! - `request`: `load`'s request options (`-m`, `-H`, `--body`, `-a`, `--url-file`), checked.
//! - [`limits`]: the open-file limit, raised when a run needs it, or a clear refusal.
//! - `interrupt`: Ctrl-C: the first stops a load run (partial report), the second exits.
//! - `progress`: the progress bar, drawn only when stdout is a terminal.
//! - `stdout`: the one stdout writer: a reader that goes away ends the process quietly.
//! - [`printer`]: the load report as text or JSON.
//! - [`usage`]: CPU time and peak memory of this process.

mod args;
mod commands;
mod context;
mod drive;
mod hooks;
mod interrupt;
mod lessons;
pub mod limits;
pub mod printer;
mod progress;
mod request;
mod stdout;
pub mod usage;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use fetch_core::{ClientConfig, FetchError, HttpClient, LocalHttpClient, LocalRuntime, ShardPlan};

use crate::args::{Cli, Command, LessonArgs, LoadArgs};
pub use crate::context::{App, available_cores};
pub use crate::hooks::{Hooks, MainAttribute};
pub use fetch_registry::{Client, Combo, Runtime};

/// The parsed command line: what to build, and what to run on it.
#[derive(Debug)]
pub struct Setup {
    /// Worker threads the runtime must have.
    pub threads: usize,
    /// The client chosen, one of [`App::clients`].
    pub client: Client,
    /// How to build it: the same for every client.
    pub client_config: ClientConfig,
    app: App,
    cli: Cli,
}

/// Parses the command line for `app`. On a usage error it prints the
/// error and exits with code 2, as every clap program does.
pub fn parse(app: &App) -> Setup {
    parse_from(app, std::env::args_os()).unwrap_or_else(|e| e.exit())
}

/// [`parse`] from given arguments (the first is the program name).
pub fn parse_from<I, T>(app: &App, args: I) -> Result<Setup, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let clients = app.clients();
    let names: Vec<&'static str> = clients.iter().map(|c| c.name()).collect();
    let default_client = clients.first().copied();
    let about = match app.legacy() {
        Some(legacy) => format!("{} {legacy}", app.runtime.about()),
        None => app.runtime.about().to_owned(),
    };
    let mut command = Cli::command()
        .name(app.binary())
        .bin_name(app.binary())
        .about(about)
        .mut_arg("client", |arg| {
            let arg = arg.value_parser(clap::builder::PossibleValuesParser::new(names));
            match default_client {
                Some(client) => arg.default_value(client.name()),
                None => arg,
            }
        })
        .mut_subcommand("lesson", |lesson| {
            lesson.mut_arg("name", |arg| {
                arg.value_parser(clap::builder::PossibleValuesParser::new(lessons::names()))
            })
        });
    pin_usage_lines(&mut command);
    let matches = command
        .try_get_matches_from_mut(args)
        .map_err(|e| name_the_feature(app, &mut command, e))?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
    if let Some(Command::Load(load)) = &mut cli.command
        && let Some(n) = load.requests
        && u64::from(load.concurrency) > n
    {
        // No more than -n can ever be in flight; cut before anything is
        // sized from -c (the threads baseline's threads, the pool).
        eprintln!(
            "note: -c {} is more than -n {n}: no more than {n} can be in flight, so {n} it is",
            load.concurrency
        );
        load.concurrency = u32::try_from(n).unwrap_or(u32::MAX);
    }
    // clap checked the name against this build's clients.
    let Some(client) = cli
        .client
        .as_deref()
        .and_then(Client::from_name)
        .or(default_client)
    else {
        return Err(command.error(
            clap::error::ErrorKind::MissingRequiredArgument,
            format!("{} was built with no client", app.binary()),
        ));
    };
    if app.thread_per_task() && cli.threads.is_some() {
        return Err(command.error(
            clap::error::ErrorKind::ArgumentConflict,
            format!(
                "--threads does not apply to {}: it runs one OS thread per request in flight \
                 (set by -c), not a pool of worker threads",
                app.binary()
            ),
        ));
    }
    if cli.http2
        && let Some(why) = client.no_http2()
    {
        return Err(command.error(
            clap::error::ErrorKind::ArgumentConflict,
            format!(
                "--http2 is not available with --client {client}: {why}; use {}",
                context::combos_that(|c| c.client.no_http2().is_none())
            ),
        ));
    }
    if let Some(why) = client.no_tls()
        && urls_given(&cli).any(|url| fetch_core::is_scheme(url, "https"))
    {
        return Err(command.error(
            clap::error::ErrorKind::ArgumentConflict,
            format!(
                "https is not available with --client {client}: {why}; use {}",
                context::combos_that(|c| c.client.no_tls().is_none())
            ),
        ));
    }
    let keep_alive = match &cli.command {
        Some(Command::Load(load)) => !load.no_keepalive,
        _ => true,
    };
    if cli.http2 && !keep_alive {
        return Err(command.error(
            clap::error::ErrorKind::ArgumentConflict,
            "--no-keepalive cannot be used with --http2: HTTP/2 exists to share a connection between requests",
        ));
    }
    if let Some(Command::Load(LoadArgs {
        cpus: Some(cpus), ..
    })) = &cli.command
    {
        // Before any thread starts and before the default --threads reads
        // the cores: every thread started from here on inherits the set.
        fetch_core::cpus::pin_process(cpus).map_err(|e| {
            command.error(
                clap::error::ErrorKind::ValueValidation,
                format!("--cpus {cpus}: {e}"),
            )
        })?;
    }
    let threads = cli.threads.map_or_else(available_cores, usize::from);
    let connections = match &cli.command {
        Some(Command::Load(load)) => {
            let asked = load.connections.unwrap_or(load.concurrency);
            if asked > load.concurrency {
                eprintln!(
                    "note: --connections {asked} is more than -c {}: no more than {} can be in use, so {} it is",
                    load.concurrency, load.concurrency, load.concurrency
                );
            }
            asked.min(load.concurrency)
        }
        Some(Command::Tour) | None => commands::TOUR_CONCURRENCY as u32,
        Some(Command::Lesson(lesson)) => lesson
            .name
            .as_deref()
            .and_then(lessons::find)
            .map_or(ClientConfig::default().connections, |about| about.in_flight)
            as u32,
        _ => ClientConfig::default().connections as u32,
    };
    let client_config = ClientConfig {
        connections: connections as usize,
        max_body: cli.max_body,
        // A connect may not take longer than the whole request may.
        connect_timeout: cli.connect_timeout.min(cli.timeout),
        request_timeout: cli.timeout,
        user_agent: ClientConfig::user_agent_for(client.name(), app.runtime.name()),
        max_redirects: cli.max_redirects,
        ca_cert: cli.ca_cert.clone(),
        http2: cli.http2,
        keep_alive,
    };
    Ok(Setup {
        threads,
        client,
        client_config,
        app: *app,
        cli,
    })
}

/// The URLs given on the command line (`title`'s, `user --base`,
/// `load --url`).
fn urls_given(cli: &Cli) -> impl Iterator<Item = &str> {
    let urls: Vec<&str> = match &cli.command {
        Some(Command::Title { urls }) => urls.iter().map(String::as_str).collect(),
        Some(Command::User { base, .. }) => base.iter().map(String::as_str).collect(),
        Some(Command::Load(load)) => load.url.iter().map(String::as_str).collect(),
        Some(Command::Tour | Command::Lesson(_)) | None => Vec::new(),
    };
    urls.into_iter()
}

impl Setup {
    /// How many requests the command has in flight at once at most: `-c`
    /// for `load`, the tour's 500, the number of URLs for `title`, 1 for
    /// `user`. A runtime with one OS thread per request sizes itself by this.
    pub fn concurrency(&self) -> usize {
        match &self.cli.command {
            Some(Command::Load(load)) => load.concurrency as usize,
            Some(Command::Tour) | None => commands::TOUR_CONCURRENCY,
            Some(Command::Title { urls }) => urls.len().max(commands::DEFAULT_PAGES),
            Some(Command::User { .. } | Command::Lesson(_)) => 1,
        }
    }

    /// The error for a client this binary does not drive (parsing refuses
    /// it first; a binary's dispatch names every client, and this is its
    /// answer for the ones it has none for).
    pub fn not_offered(&self, client: Client) -> anyhow::Error {
        let offered: Vec<_> = self.app.clients().iter().map(|c| c.name()).collect();
        UsageError(format!(
            "{} does not drive --client {client}; it drives {}",
            self.app.binary(),
            offered.join(", ")
        ))
        .into()
    }

    /// Runs the command on `runtime` with `client`.
    pub fn run<R: Hooks, C: HttpClient>(self, runtime: &R, client: C) -> anyhow::Result<ExitCode> {
        interrupt::install();
        let ctx = context::Context {
            runtime,
            client: std::sync::Arc::new(client),
            timeout: self.cli.timeout,
            app: self.app,
        };
        dispatch(&ctx, self.cli.command, |args| lessons::run(&ctx, args))
    }

    /// Runs the command on a thread-per-core runtime: `make` builds a
    /// runtime and a client for one shard ([`ShardPlan`]), on the thread
    /// that will use them. `tour`, `title` and `user` run on one, built on
    /// this thread with every connection; `load` runs on `--threads`
    /// shards, each with its share of the requests in flight and of the
    /// connections ([`fetch_core::run_sharded`]).
    pub fn run_local<R, C, M>(self, make: M) -> anyhow::Result<ExitCode>
    where
        R: LocalRuntime,
        C: LocalHttpClient,
        M: Fn(ShardPlan) -> Result<(R, C), FetchError> + Send + Sync + 'static,
    {
        interrupt::install();
        let (runtime, client) = make(ShardPlan {
            index: 0,
            count: 1,
            in_flight: self.concurrency(),
            connections: self.client_config.connections,
        })?;
        let ctx = drive::LocalContext {
            runtime,
            client: std::sync::Arc::new(client),
            make: std::sync::Arc::new(make),
            threads: self.threads,
            timeout: self.cli.timeout,
            app: self.app,
        };
        let on = format!(
            "{} ({}), one runtime on this thread, client {}",
            ctx.runtime.name(),
            ctx.runtime.driver(),
            ctx.client.name()
        );
        dispatch(&ctx, self.cli.command, |args| {
            lessons::run_thread_per_core(&ctx, &on, args)
        })
    }
}

/// Runs `command` (the tour when none) on `ctx`; `lesson` runs the
/// `lesson` command, which only a Send runtime's context can.
fn dispatch<D: drive::Drive>(
    ctx: &D,
    command: Option<Command>,
    lesson: impl FnOnce(LessonArgs) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    match command.unwrap_or(Command::Tour) {
        Command::Tour => commands::tour(ctx),
        Command::Title { urls } => commands::title(ctx, urls),
        Command::User { id, base } => commands::user(ctx, id, base),
        Command::Load(args) => commands::load(ctx, args),
        Command::Lesson(args) => lesson(args),
    }
}

/// Fixes every command's usage line to its real one ("fetch-tokio load
/// [OPTIONS]"): clap otherwise builds the line of a usage error from the
/// arguments it suggested or saw, and prints a command nobody typed.
fn pin_usage_lines(command: &mut clap::Command) {
    command.build();
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in names {
        if let Some(sub) = command.find_subcommand_mut(&name) {
            let usage = sub.render_usage().to_string();
            let usage = usage.trim_start_matches("Usage: ").trim().to_owned();
            *sub = sub.clone().override_usage(usage);
        }
    }
    let usage = command.render_usage().to_string();
    let usage = usage.trim_start_matches("Usage: ").trim().to_owned();
    *command = command.clone().override_usage(usage);
}

/// When `--client` names a client this build left out, says which cargo
/// feature brings it, instead of only listing the clients it has.
fn name_the_feature(app: &App, command: &mut clap::Command, err: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let is_client = matches!(
        err.get(ContextKind::InvalidArg),
        Some(ContextValue::String(arg)) if arg.starts_with("--client")
    );
    let value = match err.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) if is_client => value.clone(),
        _ => return err,
    };
    match app.lacking().find(|combo| combo.client.name() == value) {
        Some(Combo {
            client,
            feature: Some(feature),
            ..
        }) => command.error(
            ErrorKind::InvalidValue,
            format!(
                "{client} is behind the \"{feature}\" feature: \
                 cargo run -p {} --features {feature} -- --client {client}",
                app.binary()
            ),
        ),
        Some(_) | None => err,
    }
}

/// Turns the result of a command into the process exit code, printing an
/// error with its whole cause chain: "error: a: b: c".
///
/// A [`UsageError`] (a mistake in what was asked, found after parsing)
/// exits with code 2, as clap's own usage errors do; any other with 1.
pub fn exit(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", fetch_core::error_chain(err.as_ref()));
            if err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// A mistake in the command line found after parsing it (a URL without a
/// scheme, an open-file need the machine cannot meet): exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Checks a URL given on the command line; a bad one is a [`UsageError`],
/// with a hint when only the scheme is missing.
pub(crate) fn check_url(url: &str) -> Result<url::Url, UsageError> {
    fetch_core::parse_url(url).map_err(|err| {
        let guess = format!("http://{url}");
        let hint = if !url.contains("://") && fetch_core::parse_url(&guess).is_ok() {
            format!(" (did you mean {}?)", fetch_core::redact_url(&guess))
        } else {
            String::new()
        };
        // A URL may hold a password: the message shows it redacted.
        let message = err.to_string().replace(url, &fetch_core::redact_url(url));
        UsageError(format!("{message}{hint}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two clients, the first the default; the second speaks HTTP/1.1 only.
    const APP: App = App::new(Runtime::Smol).with_features(&["surf"]);
    /// smol built without surf's feature.
    const NO_SURF: App = App::new(Runtime::Smol);

    #[test]
    fn http2_is_refused_for_a_client_that_speaks_http1_only() {
        let err =
            parse_from(&APP, ["fetch-test", "--client", "surf", "--http2", "title"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains(
                "--http2 is not available with --client surf: surf's HTTP client (async-h1) \
                 speaks HTTP/1.1 only; use fetch-tokio --client reqwest or hyper, fetch-smol \
                 --client hyper, fetch-compio --client cyper or hyper"
            ),
            "{err}"
        );
        let setup = parse_from(&APP, ["fetch-test", "--http2", "title"]).unwrap();
        assert!(setup.client_config.http2);
        let err =
            parse_from(&APP, ["fetch-test", "--http2", "load", "--no-keepalive"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let setup = parse_from(&APP, ["fetch-test", "load", "--no-keepalive"]).unwrap();
        assert!(!setup.client_config.keep_alive);
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_a_usage_error() {
        let err = parse_from(
            &APP,
            ["fetch-test", "--ca-cert", "/nonexistent/ca.pem", "title"],
        )
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains("could not read /nonexistent/ca.pem"),
            "{err}"
        );
        let err = parse_from(&APP, ["fetch-test", "--ca-cert", "Cargo.toml", "title"]).unwrap_err();
        assert!(
            err.to_string().contains("holds no PEM certificate"),
            "{err}"
        );
    }

    #[test]
    fn the_first_client_is_the_default() {
        let setup = parse_from(&APP, ["fetch-test", "title"]).unwrap();
        assert_eq!(setup.client, Client::Hyper);
        let setup = parse_from(&APP, ["fetch-test", "title", "--client", "surf"]).unwrap();
        assert_eq!(setup.client, Client::Surf);
    }

    #[test]
    fn an_unknown_client_is_a_usage_error_listing_the_valid_ones() {
        let err = parse_from(&APP, ["fetch-test", "--client", "curl"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        assert!(text.contains("hyper") && text.contains("surf"), "{text}");
    }

    #[test]
    fn a_client_this_build_left_out_names_its_feature() {
        let err = parse_from(&NO_SURF, ["fetch-smol", "--client", "surf"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        assert!(
            text.contains(
                "surf is behind the \"surf\" feature: cargo run -p fetch-smol --features surf -- --client surf"
            ),
            "{text}"
        );
    }

    #[test]
    fn threads_are_refused_where_every_task_is_a_thread() {
        let threads_app = App::new(Runtime::Threads);
        let err = parse_from(&threads_app, ["fetch-test", "--threads", "4", "title"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains("one OS thread per request"),
            "{err}"
        );
        assert!(parse_from(&threads_app, ["fetch-test", "title"]).is_ok());
    }

    #[test]
    fn connections_above_the_concurrency_are_cut_to_it() {
        let setup = parse_from(
            &APP,
            ["fetch-test", "load", "-c", "10", "--connections", "50"],
        )
        .unwrap();
        assert_eq!(setup.client_config.connections, 10);
    }

    #[test]
    fn a_url_without_a_scheme_gets_a_hint() {
        let err = check_url("127.0.0.1:8080/pages/1").unwrap_err();
        assert!(
            err.0
                .ends_with("(did you mean http://127.0.0.1:8080/pages/1?)"),
            "{err}"
        );
        assert!(check_url("http://127.0.0.1:8080/pages/1").is_ok());
    }

    #[test]
    fn connections_default_to_the_concurrency() {
        let setup = parse_from(&APP, ["fetch-test", "load", "-c", "321"]).unwrap();
        assert_eq!(setup.client_config.connections, 321);
        let setup = parse_from(
            &APP,
            ["fetch-test", "load", "-c", "321", "--connections", "8"],
        )
        .unwrap();
        assert_eq!(setup.client_config.connections, 8);
    }

    #[test]
    fn global_options_go_before_or_after_the_command() {
        let before = parse_from(&APP, ["fetch-test", "--threads", "3", "title"]).unwrap();
        let after = parse_from(&APP, ["fetch-test", "title", "--threads", "3"]).unwrap();
        assert_eq!(before.threads, 3);
        assert_eq!(after.threads, 3);
    }

    #[test]
    fn bad_numbers_are_usage_errors() {
        for args in [
            &["fetch-test", "load", "-c", "0"][..],
            &["fetch-test", "load", "-n", "0"],
            &["fetch-test", "load", "-c", "-5"],
            &["fetch-test", "load", "-d", "soon"],
            &["fetch-test", "user", "abc"],
            &["fetch-test", "--threads", "0"],
        ] {
            let err = parse_from(&APP, args.iter().copied()).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }
}

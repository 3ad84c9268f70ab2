//! errors: `?` in async code. `get_user` is three lines with two `?`s;
//! each failure comes back as a `FetchError` whose kind a report can count
//! and whose source chain says what really happened.

use fetch_core::{HttpClient, get_user, within};
use serde_json::{Value, json};

use super::kit::{About, Drive, Lesson, Out, closed_port};
use crate::Hooks;
use crate::context::{Context, embedded_server};

/// The seed's get_user, as fetch-core writes it.
const GET_USER: &str = "\
pub async fn get_user<C: HttpClient>(client: &C, url: &str) -> Result<User, FetchError> {
    let response = get_ok(client, url).await?;   // transport and HTTP status errors stop here
    decode_user(url, &response.body)             // a body that is not a User is a decode error
}";

/// The lesson `errors`.
pub(super) struct Errors;

impl Lesson for Errors {
    const ABOUT: &'static About = &About {
        name: "errors",
        claim: "The ? operator works inside async functions just like it does in sync code.",
        shows: "get_user against a 404, a 500, a malformed body and a closed port",
        thread_per_task_too: true,
        threads_note: None,
        in_flight: 16,
        thread_per_core: None,
    };

    fn run<R: Hooks, C: HttpClient>(ctx: &Context<'_, R, C>, out: Out) -> anyhow::Result<Value> {
        Self::run_anywhere(ctx, out)
    }

    fn run_anywhere<D: Drive>(ctx: &D, out: Out) -> anyhow::Result<Value> {
        let server = embedded_server()?;
        let base = server.url();
        let closed = closed_port()?;
        let cases = [
            ("a user that does not exist", format!("{base}/users/0")),
            ("a server error", format!("{base}/status/500/users/1")),
            (
                "a body that is not JSON",
                format!("{base}/malformed/users/1"),
            ),
            (
                "a port nobody listens on",
                format!("http://127.0.0.1:{closed}/users/1"),
            ),
        ];
        out.say(GET_USER);
        out.say("\nget_user against four bad answers:\n");
        let mut rows = Vec::new();
        for (what, url) in &cases {
            let result = ctx.block_on(within(
                ctx.rt(),
                ctx.timeout(),
                url,
                get_user(ctx.client(), url),
            ));
            let (kind, chain) = match &result {
                Ok(user) => ("ok".to_owned(), format!("{user:?}")),
                Err(err) => (err.kind().to_string(), err.chain()),
            };
            out.say(format!("  {what}\n    kind:  {kind}\n    chain: {chain}"));
            rows.push(json!({"case": what, "url": url, "kind": kind, "chain": chain}));
        }
        out.say(
        "\nEach ? returned early with the error, exactly as in synchronous code. The kind is what",
    );
        out.say("a load report counts (`errors` by kind); the chain keeps every cause, down to the OS error.");
        Ok(json!(rows))
    }
}

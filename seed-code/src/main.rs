//! The seed's first example, `fetch_title`, on the Rust book's `trpl`
//! crate, as the seed writes it, less what does not compile.
//!
//! `seed-code URL` prints what the seed's `fetch_title` returns for `URL`:
//! the title on standard output, byte for byte with no newline added, or
//! its error string on standard error with exit code 1. A request that
//! fails never reaches that error: `trpl::get` panics instead (exit 101).
//!
//! As written, the seed's function does not compile against trpl 0.3:
//! `trpl::get(url).await` is a `trpl::Response`, not a `Result`, so there
//! is no `.map_err` to call (`tests/ui/as_written.rs` pins rustc's
//! message). Below, the two `.map_err(|e| e.to_string())?` are left out;
//! everything else is the seed's. The lesson `seed-code` runs this beside
//! this project's `fetch_title` on the fixture server's `/quirks/` pages.
//!
//! # Layout
//!
//! - `fetch_title`: the seed's function.
//! - `main`: runs it for one URL on trpl's runtime.

use std::io::Write as _;
use std::process::ExitCode;

use trpl::Html;

/// Fetches a title from a URL.
/// Returns the title or an error string.
async fn fetch_title(url: &str) -> Result<String, String> {
    // The seed: `trpl::get(url).await.map_err(|e| e.to_string())?`. trpl's
    // `get` returns the response itself and panics if the request fails.
    let response = trpl::get(url).await;
    // The seed: `response.text().await.map_err(|e| e.to_string())?`.
    let text = response.text().await;
    // Parse the HTML and extract the title.
    // This is synchronous work; it runs immediately when polled.
    let title = Html::parse(&text)
        .select_first("title")
        .map(|t| t.inner_html())
        .unwrap_or_else(|| String::from("No title"));
    Ok(title)
}

fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: seed-code URL");
        return ExitCode::from(2);
    };
    // trpl's `block_on`: a tokio runtime, then `block_on` on this thread.
    match trpl::block_on(fetch_title(&url)) {
        Ok(title) => {
            let mut stdout = std::io::stdout();
            if stdout
                .write_all(title.as_bytes())
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

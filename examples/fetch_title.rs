//! The seed's `fetch_title`, as written there: `#[tokio::main]`, reqwest and scraper.
//!
//! Run with: `cargo run --example fetch_title [URL]` (no URL: a page of the fixture server).

use scraper::{Html, Selector};

/// Fetches a page and returns its `<title>`; every failure becomes a `String`.
async fn fetch_title(url: &str) -> Result<String, String> {
    // `reqwest::get` returns a future; `.await` pauses this task (not the
    // thread) until the answer's head is in.
    let response = reqwest::get(url).await.map_err(|e| e.to_string())?;
    let text = response.text().await.map_err(|e| e.to_string())?;
    // Parsing is plain synchronous work: it runs as soon as we get here.
    let selector = Selector::parse("title").map_err(|e| e.to_string())?;
    let title = Html::parse_document(&text)
        .select(&selector)
        .next()
        .map(|t| t.text().collect::<String>())
        .unwrap_or_else(|| String::from("No title"));
    Ok(title)
}

// `#[tokio::main]` builds a tokio runtime and blocks on this async main.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The fixture server runs on threads of its own, so it can answer us.
    let server = fetch_server::Server::start(Default::default())?;
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| format!("{}/pages/1", server.url()));
    let title = fetch_title(&url).await?;
    println!("{url}: {title}");
    Ok(())
}

use trpl::Html;

/// Fetches a title from a URL.
/// Returns the title or an error string.
async fn fetch_title(url: &str) -> Result<String, String> {
    // The compiler transforms this function into:
    // fn fetch_title(url: &str) -> impl Future<Output = Result<String, String>>
    //
    // The body becomes an async block that captures `url`.
    // The return type is a state machine that yields control at .await points.
    let response = trpl::get(url).await.map_err(|e| e.to_string())?;
    let text = response.text().await.map_err(|e| e.to_string())?;
    // Parse the HTML and extract the title.
    // This is synchronous work; it runs immediately when polled.
    let title = Html::parse(&text)
        .select_first("title")
        .map(|t| t.inner_html())
        .unwrap_or_else(|| String::from("No title"));
    Ok(title)
}

fn main() {
    let _ = trpl::block_on(fetch_title("http://127.0.0.1:1/"));
}

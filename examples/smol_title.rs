//! `fetch_title` on smol with this project's hyper client, as `fetch-smol` runs it:
//! the same generic `fetch_core::fetch_title`, another runtime.
//!
//! Run with: `cargo run --example smol_title [URL]`

use fetch_clients::hyper::HyperClient;
use fetch_core::{ClientConfig, fetch_title};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = fetch_server::Server::start(Default::default())?;
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| format!("{}/pages/2", server.url()));
    // hyper over async-io sockets: any executor can poll these requests.
    let client = HyperClient::smol(&ClientConfig::default())?;
    // No attribute macro here: `smol::block_on` is the bridge from `fn main`
    // into async code, the part `#[tokio::main]` writes for you.
    let title = smol::block_on(fetch_title(&client, &url))?;
    println!("{url}: {}", title.as_deref().unwrap_or("(no title)"));
    Ok(())
}

//! `get_user` on smol with this project's hyper client: the same generic
//! `fetch_core::get_user`, with `?` inside, driven by smol.
//!
//! Run with: `cargo run --example smol_user [ID]`

use fetch_clients::hyper::HyperClient;
use fetch_core::{ClientConfig, get_user};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = fetch_server::Server::start(Default::default())?;
    let id: u64 = std::env::args().nth(1).map_or(Ok(42), |a| a.parse())?;
    let client = HyperClient::smol(&ClientConfig::default())?;
    smol::block_on(async {
        let user = get_user(&client, &format!("{}/users/{id}", server.url())).await?;
        println!("Found user: {user:?}");
        // A failure comes back through the same `?` as a FetchError with a kind.
        let missing = get_user(&client, &format!("{}/users/0", server.url())).await;
        if let Err(e) = missing {
            println!("user 0: {} (kind: {})", e.chain(), e.kind());
        }
        Ok(())
    })
}

//! The seed's `get_user`: `?` inside an `async fn`, on tokio with reqwest and serde.
//!
//! Run with: `cargo run --example get_user [ID]`

use serde::Deserialize;

/// A user, as the fixture server's `/users/{id}` returns it.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // printed with {:?}, fields never read one by one
struct User {
    id: u32,
    name: String,
    email: String,
}

/// `?` works here as in sync code: each failure returns early as `reqwest::Error`.
async fn get_user(base: &str, id: u32) -> Result<User, reqwest::Error> {
    let url = format!("{base}/users/{id}");
    // Two awaits: the answer's head, then the body decoded as JSON.
    let response = reqwest::get(url).await?.error_for_status()?;
    response.json().await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = fetch_server::Server::start(Default::default())?;
    let id = std::env::args().nth(1).map_or(Ok(42), |a| a.parse())?;
    let user = get_user(&server.url(), id).await?;
    println!("Found user: {user:?}");
    // The same `?` carries an HTTP 404 out as an error (id 0 does not exist).
    if let Err(e) = get_user(&server.url(), 0).await {
        println!("user 0: {e}");
    }
    Ok(())
}

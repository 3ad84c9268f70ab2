//! HTTP client adapters: each client library behind the one small
//! [`fetch_core::HttpClient`] trait.
//!
//! Every adapter does the same three things: build the library's client from
//! a [`fetch_core::ClientConfig`] (the same pool size for all), send a GET,
//! and read the body under the size limit, mapping the library's errors onto
//! [`fetch_core::FetchError`] kinds. Each sits behind a cargo feature so a
//! binary compiles only the clients it offers.
//!
//! Every adapter sends the same request (`Accept` and `User-Agent` from the
//! config, no `Accept-Encoding`), follows no redirect itself (fetch-core
//! follows them, the same way for all) and returns a 3xx's `Location`.
//!
//! # Layout
//!
//! - [`reqwest`] (feature `reqwest`): reqwest on tokio, HTTP/1.1 or HTTP/2, rustls for https.
//! - [`hyper`] (features `hyper-tokio`, `hyper-smol`, `hyper-compio`): hyper's HTTP/1 or HTTP/2
//!   connections in this crate's pool (`hyper::pool`), http or https, over tokio's, smol's or
//!   compio's transport (`hyper::tokio_rt`, `hyper::smol_rt`, `hyper::compio_rt`).
//! - `tls`: the one rustls client configuration reqwest and hyper share (roots, ALPN).
//! - [`cyper`] (feature `cyper`): cyper, hyper on compio, thread-per-core: a `LocalHttpClient`.
//! - [`surf`] (feature `surf`): surf's h1 client on async-io, for smol and async-std (unmaintained).
//! - [`ureq`] (feature `ureq`): ureq's blocking agent, for the one-thread-per-request baseline only.
//! - `head`: what reqwest, hyper, cyper and ureq (all on the `http` crate's types) read from a
//!   response head, read one way.

#[cfg(feature = "cyper")]
pub mod cyper;
#[cfg(any(
    feature = "reqwest",
    feature = "_hyper",
    feature = "ureq",
    feature = "cyper"
))]
mod head;
#[cfg(feature = "_hyper")]
pub mod hyper;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "surf")]
pub mod surf;
#[cfg(feature = "_tls")]
mod tls;
#[cfg(feature = "ureq")]
pub mod ureq;

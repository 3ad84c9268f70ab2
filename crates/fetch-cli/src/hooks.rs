//! What some lessons need of a runtime beyond [`Runtime`]: APIs of its
//! own, which fetch-core's trait leaves out. Each runtime crate implements
//! [`Hooks`] for its runtime, so fetch-cli calls them without depending on
//! any runtime.

use std::future::Future;
use std::io;
use std::path::Path;

use fetch_core::Runtime;

/// A runtime's own APIs, as the lessons use them.
pub trait Hooks: Runtime {
    /// The name of the runtime's async file API (`tokio::fs::read`), or
    /// `None` when it has none (the threads baseline: a blocking read is
    /// all there is).
    fn file_api(&self) -> Option<&'static str>;

    /// Reads the whole file at `path` with that API (with none, with
    /// `std::fs::read`, on the calling thread).
    fn read_file(&self, path: &Path) -> impl Future<Output = io::Result<Vec<u8>>> + Send;

    /// The runtime's flavour, where it has more than one (tokio's
    /// `current_thread` and `multi_thread`); `None` where it has one.
    fn flavour(&self) -> Option<&'static str>;

    /// The runtime's attribute for `async fn main` and its expansion, or
    /// why there is none to show here.
    fn main_attribute(&self) -> Result<MainAttribute, &'static str>;
}

/// A runtime's attribute for `async fn main`, and what it expands to.
#[derive(Debug, Clone, Copy)]
pub struct MainAttribute {
    /// The attribute as written above `async fn main`.
    pub attribute: &'static str,
    /// The expansion, written by hand as code the runtime crate compiles
    /// and tests against the attribute itself.
    pub expansion: &'static str,
}

// The seed: "You only need to worry about Pin if you are implementing Future
// yourself." Here is what Pin forbids: a future that holds a reference into
// itself across an `.await` must not move once it has been polled, so once
// pinned, safe code cannot take it back out.
use std::pin::Pin;

async fn page() -> usize {
    let buf = [0u8; 16];
    let first = &buf[0]; // a reference into the future's own state...
    std::future::ready(()).await; // ...kept across an .await
    buf.len() + usize::from(*first)
}

fn main() {
    let pinned: Pin<Box<_>> = Box::pin(page());
    // Moving it out again would break Pin's promise: refused.
    let _moved = Pin::into_inner(pinned);
}

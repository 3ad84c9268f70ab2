// The seed: "Don't call an async function and ignore the return value. You
// just built a machine and threw it away." rustc warns; denied here so the
// test can pin the message.
#![deny(unused_must_use)]

async fn fetch() -> u32 {
    42
}

fn main() {
    fetch();
}

// The seed: "If you try to run an async function in main without a runtime,
// the compiler rejects you." It names E0752.
async fn main() {
    println!("Hello");
}

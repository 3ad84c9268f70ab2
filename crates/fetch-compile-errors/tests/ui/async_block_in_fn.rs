// The seed: "If you try to return a Future from a non-async function without
// impl Future, the compiler rejects you with E0277 (trait bound not satisfied)."
fn bad_example() {
    async { 42 }
}

fn main() {
    bad_example();
}

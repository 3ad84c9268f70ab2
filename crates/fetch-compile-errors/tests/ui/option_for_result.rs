// The seed: "If you mix types incorrectly, you get E0308 (mismatched types)."
async fn bad_return() -> Result<String, Box<dyn std::error::Error>> {
    Some("hello".to_string())
}

fn main() {
    let _future = bad_return();
}

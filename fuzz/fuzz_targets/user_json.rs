//! Any bytes given to `decode_user` must come back as a `User` or a decode
//! error, never a panic. Run with: `cargo fuzz run user_json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Err(err) = fetch_core::decode_user("fuzz", body) {
        assert_eq!(err.kind(), fetch_core::ErrorKind::Decode);
    }
});

//! Any text given to `extract_title` must come back as a title or `None`,
//! never a panic. Run with: `cargo fuzz run title` (from the repository root).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|html: &str| {
    if let Some(title) = fetch_core::extract_title(html) {
        // The result is collapsed: no leading, trailing or doubled ASCII space.
        assert_eq!(title, title.split_ascii_whitespace().collect::<Vec<_>>().join(" "));
    }
});

//! Any bytes given as a page must come back as a title or `None`, never a
//! panic: through the encoding decision (the `<meta>` prescan reads raw
//! bytes by index) and the title extractor. The first byte picks the
//! `Content-Type` the page is served with. Run with: `cargo fuzz run title`
//! (from the repository root).
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Content types a page may come with: none, no charset, a known charset,
/// an unknown one, a quoted one.
const CONTENT_TYPES: [Option<&str>; 5] = [
    None,
    Some("text/html"),
    Some("text/html; charset=iso-8859-1"),
    Some("text/html; charset=no-such-thing"),
    Some("text/html;charset=\"UTF-16LE\""),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let _ = fetch_core::encoding::prescan(body);
    let page = fetch_core::encoding::decode_html(body, content_type);
    if let Some(title) = fetch_core::extract_title(&page.text) {
        // The result is collapsed: no leading, trailing or doubled ASCII space.
        assert_eq!(title, title.split_ascii_whitespace().collect::<Vec<_>>().join(" "));
    }
});

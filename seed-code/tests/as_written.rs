//! The seed's `fetch_title`, exactly as the seed writes it, against trpl
//! 0.3: rustc refuses it, and its message is pinned
//! (`tests/ui/as_written.stderr`).

#[test]
fn the_seed_as_written_does_not_compile_against_trpl() {
    trybuild::TestCases::new().compile_fail("tests/ui/as_written.rs");
}

//! The command examples in the docs are run, not pasted: every ```console
//! block of `docs/load.md` and `docs/lessons.md` is a trycmd case, its `$`
//! lines run against the real binaries and their output compared with what
//! the page shows, measured numbers and ports standing as `[..]` (any text
//! on a line) and `...` (any lines). A renamed field or a changed line fails
//! here instead of going stale on the page. Blocks of other kinds (```text,
//! ```sh, ```rust) are not run: outputs that need a server outside the
//! process (nginx) or minutes of load.
//!
//! To see what a block prints now: `TRYCMD=dump cargo test --test doc_examples`.

#[test]
fn the_docs_command_examples_print_what_the_docs_show() {
    let cases = trycmd::TestCases::new();
    for bin in [
        "fetch-tokio",
        "fetch-smol",
        "fetch-async-std",
        "fetch-threads",
        "fetch-compio",
    ] {
        let path =
            async_fetch::harness::workspace_bin(bin).unwrap_or_else(|e| panic!("{bin}: {e}"));
        cases.register_bin(bin, path);
    }
    cases.case("docs/load.md").case("docs/lessons.md");
}

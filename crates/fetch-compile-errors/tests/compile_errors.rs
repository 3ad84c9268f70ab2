//! Every file in tests/ui must fail to compile with exactly the message
//! beside it. After a toolchain change, `TRYBUILD=overwrite cargo test -p
//! fetch-compile-errors` rewrites the messages; read the diff.

#[test]
fn the_seeds_mistakes_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

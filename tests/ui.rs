//! Compile-time behaviour of `#[integration]` and `#[webhook]`:
//! declarations that compile (and run), and the error of each mistake, on
//! its token.

#[test]
fn integration() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/integration/pass/*.rs");
    cases.compile_fail("ui/integration/fail/*.rs");
}

#[test]
fn webhook() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/webhook/pass/*.rs");
    cases.compile_fail("ui/webhook/fail/*.rs");
}

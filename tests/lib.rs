//! Shared items of the end-to-end tests, and a wide `#[integration]`
//! declaration compiled under pedantic lints.

pub mod wide;

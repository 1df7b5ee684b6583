//! The tour and the focused examples of integrate.
//!
//! `cargo run -p integrate-examples --example tour` runs [`tour::run`]:
//! three provider APIs declared as annotated traits, each against a fake
//! provider on loopback, and every failure of the integration checklist
//! provoked and handled.

pub mod apis;
pub mod tour;

//! The policies applied to each call: retry, circuit breaker, rate limits.
//!
//! Order for one call, outermost first: total timeout -> retry -> circuit
//! breaker -> rate limiters -> attempt timeout -> auth -> transport.

pub(crate) mod circuit;
pub(crate) mod rate_limit;
pub(crate) mod retry;

//! The policies applied to every call, outermost first: total timeout ->
//! retry -> circuit breaker -> rate limiters -> attempt timeout -> auth ->
//! transport. The order is applied in one place, `client::execute`.

pub(crate) mod circuit;
pub(crate) mod rate_limit;
pub(crate) mod retry;
pub(crate) mod timeout;

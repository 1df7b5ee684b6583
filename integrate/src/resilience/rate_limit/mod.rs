//! Rate limits: the per-client (and per-method) limiter, and the
//! client-wide pause that a 429 or 403 with `Retry-After` sets.

mod limiter;
mod policy;
mod suspension;

#[cfg(test)]
mod tests;

pub(crate) use limiter::RateLimiter;
pub use policy::RateLimit;
pub(crate) use suspension::Suspension;

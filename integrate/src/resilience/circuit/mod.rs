//! The circuit breaker: stops sending attempts to a provider that keeps
//! failing, then probes it with a bounded number of trial attempts.

pub(crate) mod breaker;
mod policy;
mod window;

#[cfg(test)]
mod tests;

use std::time::Duration;

pub(crate) use breaker::CircuitBreaker;
pub use policy::CircuitBreakerPolicy;

/// Whether an attempt that received a response with `status` counts as a
/// failure for the breaker: 408, 500, 502, 503 and 504. Every other status
/// (429 and other 4xx included) is a success. An attempt that ends in a
/// transport error (`Connect`, `Network`, `Body`) or an attempt timeout is
/// a failure; one cut by the total deadline or dropped is not recorded.
pub(crate) fn status_is_failure(status: http::StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 500 | 502 | 503 | 504)
}

/// A snapshot of a client's circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CircuitState {
    /// Attempts go through; outcomes are counted.
    Closed,
    /// Attempts fail at once with
    /// [`ErrorKind::CircuitOpen`](crate::ErrorKind::CircuitOpen).
    Open {
        /// How long until the circuit admits trial attempts.
        remaining: Duration,
    },
    /// The circuit admits a bounded number of trial attempts (also
    /// reported once `open_for` has passed and no attempt has come yet).
    HalfOpen,
}

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

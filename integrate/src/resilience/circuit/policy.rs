//! The circuit breaker's configuration.

use std::time::Duration;

use crate::{Error, Result};

/// When a closed circuit opens.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Trip {
    /// In the sliding `window`, at least `min_calls` attempts completed and
    /// `failures / completed >= failure_ratio`.
    Ratio {
        failure_ratio: f64,
        min_calls: u32,
        window: Duration,
    },
    /// `failures` failed attempts in a row.
    Consecutive { failures: u32 },
}

/// How the circuit breaker of a client decides to stop sending requests.
///
/// The breaker sees attempts (each retry counts). An attempt fails when it
/// ends in a connection failure, a lost connection, a body read failure, an
/// attempt timeout, or a 408, 500, 502, 503 or 504; every other completed
/// attempt (429, other 4xx and decode errors included) is a success.
///
/// Two forms:
///
/// - the failure ratio (the default): the circuit opens when, in the
///   sliding [`window`](Self::window), at least
///   [`min_calls`](Self::min_calls) attempts completed and the share of
///   failures reached [`failure_ratio`](Self::failure_ratio);
/// - [`consecutive_failures(n)`](Self::consecutive_failures): the circuit
///   opens after `n` failed attempts in a row.
///
/// Once open, attempts fail at once with
/// [`ErrorKind::CircuitOpen`](crate::ErrorKind::CircuitOpen) for
/// [`open_for`](Self::open_for); then the circuit is half-open and admits
/// exactly [`half_open_calls`](Self::half_open_calls) trial attempts. It
/// closes, with a fresh window, when every trial succeeds, and opens again
/// on the first trial that fails.
///
/// ```
/// use std::time::Duration;
/// use integrate::CircuitBreakerPolicy;
///
/// let ratio = CircuitBreakerPolicy::default()
///     .failure_ratio(0.25)
///     .min_calls(50)
///     .window(Duration::from_secs(60))
///     .open_for(Duration::from_secs(30));
/// assert!(ratio.validate().is_ok());
///
/// let consecutive = CircuitBreakerPolicy::consecutive_failures(5)
///     .open_for(Duration::from_secs(10))
///     .half_open_calls(2);
/// assert!(consecutive.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct CircuitBreakerPolicy {
    pub(crate) trip: Trip,
    pub(crate) open_for: Duration,
    pub(crate) half_open_calls: u32,
    /// A ratio key was set on the consecutive form: reported by
    /// [`validate`](Self::validate).
    mixed: bool,
}

impl Default for CircuitBreakerPolicy {
    /// failure_ratio 0.5, min_calls 20, window 30s, open_for 15s,
    /// half_open_calls 1.
    fn default() -> Self {
        CircuitBreakerPolicy {
            trip: Trip::Ratio {
                failure_ratio: 0.5,
                min_calls: 20,
                window: Duration::from_secs(30),
            },
            open_for: Duration::from_secs(15),
            half_open_calls: 1,
            mixed: false,
        }
    }
}

impl CircuitBreakerPolicy {
    /// The consecutive form: the circuit opens after `failures` failed
    /// attempts in a row. `open_for` (15s) and `half_open_calls` (1) keep
    /// their defaults unless set.
    ///
    /// Setting [`failure_ratio`](Self::failure_ratio),
    /// [`min_calls`](Self::min_calls) or [`window`](Self::window) on this
    /// form makes [`validate`](Self::validate) fail.
    pub fn consecutive_failures(failures: u32) -> Self {
        CircuitBreakerPolicy {
            trip: Trip::Consecutive { failures },
            ..CircuitBreakerPolicy::default()
        }
    }

    /// The share of failed attempts in the window, in (0, 1], at which the
    /// circuit opens. Default 0.5.
    pub fn failure_ratio(mut self, ratio: f64) -> Self {
        match &mut self.trip {
            Trip::Ratio { failure_ratio, .. } => *failure_ratio = ratio,
            Trip::Consecutive { .. } => self.mixed = true,
        }
        self
    }

    /// The fewest completed attempts in the window before the ratio is
    /// considered. At least 1. Default 20.
    pub fn min_calls(mut self, calls: u32) -> Self {
        match &mut self.trip {
            Trip::Ratio { min_calls, .. } => *min_calls = calls,
            Trip::Consecutive { .. } => self.mixed = true,
        }
        self
    }

    /// The length of the sliding window in which attempts are counted.
    /// Not zero. Default 30s.
    pub fn window(mut self, length: Duration) -> Self {
        match &mut self.trip {
            Trip::Ratio { window, .. } => *window = length,
            Trip::Consecutive { .. } => self.mixed = true,
        }
        self
    }

    /// How long the circuit stays open before admitting trial attempts.
    /// Not zero. Default 15s.
    pub fn open_for(mut self, duration: Duration) -> Self {
        self.open_for = duration;
        self
    }

    /// How many trial attempts the half-open circuit admits; all must
    /// succeed for it to close. At least 1. Default 1.
    pub fn half_open_calls(mut self, calls: u32) -> Self {
        self.half_open_calls = calls;
        self
    }

    /// Checks the values: a ratio in (0, 1], `min_calls`,
    /// `consecutive_failures` and `half_open_calls` at least 1, a non-zero
    /// window and `open_for`, and no ratio key on the consecutive form.
    ///
    /// The client builder calls it in `build()`.
    ///
    /// # Errors
    ///
    /// A [`Config`](crate::ErrorKind::Config) error naming the first value
    /// at fault.
    pub fn validate(&self) -> Result<()> {
        if self.mixed {
            return Err(Error::config(
                "circuit breaker: `consecutive_failures` cannot be combined with \
                 `failure_ratio`, `min_calls` or `window`",
            ));
        }
        match self.trip {
            Trip::Ratio {
                failure_ratio,
                min_calls,
                window,
            } => {
                // `!(x > 0.0)` also rejects NaN.
                if !(failure_ratio > 0.0 && failure_ratio <= 1.0) {
                    return Err(Error::config(format!(
                        "circuit breaker: `failure_ratio` must be in (0, 1], got {failure_ratio}"
                    )));
                }
                if min_calls == 0 {
                    return Err(Error::config(
                        "circuit breaker: `min_calls` must be at least 1",
                    ));
                }
                if window.is_zero() {
                    return Err(Error::config("circuit breaker: `window` must not be zero"));
                }
            }
            Trip::Consecutive { failures } => {
                if failures == 0 {
                    return Err(Error::config(
                        "circuit breaker: `consecutive_failures` must be at least 1",
                    ));
                }
            }
        }
        if self.open_for.is_zero() {
            return Err(Error::config(
                "circuit breaker: `open_for` must not be zero",
            ));
        }
        if self.half_open_calls == 0 {
            return Err(Error::config(
                "circuit breaker: `half_open_calls` must be at least 1",
            ));
        }
        Ok(())
    }
}

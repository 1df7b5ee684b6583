//! The rate limit's configuration.

use std::time::Duration;

use crate::{Error, Result};

/// A provider's rate limit, applied to the attempts of a client (shared by
/// all its clones) or of one method.
///
/// Two rules hold together:
///
/// - in any interval of length `per`, at most `requests` attempts start
///   (the provider's own accounting);
/// - at most [`burst`](Self::burst) attempts start back to back; the rest
///   are spaced `per / requests` apart.
///
/// Waiters are served in arrival order. An attempt whose slot begins after
/// the call's total deadline does not wait: the call fails at once with
/// [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited) and
/// `retry_after()` is the wait it would have needed.
///
/// ```
/// use std::time::Duration;
/// use integrate::RateLimit;
///
/// // 100 requests per second, at most 20 back to back.
/// let limit = RateLimit::new(100, Duration::from_secs(1)).burst(20);
/// assert!(limit.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct RateLimit {
    pub(crate) requests: u32,
    pub(crate) per: Duration,
    pub(crate) burst: Option<u32>,
}

impl RateLimit {
    /// At most `requests` attempts start in any interval of length `per`.
    /// The burst defaults to `requests`.
    pub fn new(requests: u32, per: Duration) -> Self {
        RateLimit {
            requests,
            per,
            burst: None,
        }
    }

    /// At most `burst` attempts start back to back (1..=`requests`); the
    /// rest are spaced `per / requests` apart. Default `requests`.
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = Some(burst);
        self
    }

    /// The burst in effect: the one set, else `requests`.
    pub(crate) fn burst_size(&self) -> u32 {
        self.burst.unwrap_or(self.requests)
    }

    /// Checks the values: `requests` at least 1, `per` not zero, `burst`
    /// in 1..=`requests`.
    ///
    /// The client builder calls it in `build()`.
    ///
    /// # Errors
    ///
    /// A [`Config`](crate::ErrorKind::Config) error naming the value at
    /// fault.
    pub fn validate(&self) -> Result<()> {
        if self.requests == 0 {
            return Err(Error::config("rate limit: `requests` must be at least 1"));
        }
        if self.per.is_zero() {
            return Err(Error::config("rate limit: `per` must not be zero"));
        }
        let burst = self.burst_size();
        if burst == 0 || burst > self.requests {
            return Err(Error::config(format!(
                "rate limit: `burst` must be in 1..={}, got {burst}",
                self.requests
            )));
        }
        Ok(())
    }
}

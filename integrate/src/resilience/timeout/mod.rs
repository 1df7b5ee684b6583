//! Timeouts: connect (per client), attempt and total (per call).

use std::time::Duration;

use crate::Error;

/// The three timeouts of every call. Always set.
///
/// - `connect`: TCP + TLS handshake, per client (applied to the transport
///   the builder creates).
/// - `attempt`: one try, from signing to the last byte of the body.
/// - `total`: the whole call, every retry and wait included.
///
/// ```
/// use std::time::Duration;
/// use integrate::Timeouts;
///
/// let t = Timeouts::default().attempt(Duration::from_secs(2));
/// assert_eq!(t.get_total(), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    connect: Duration,
    attempt: Duration,
    total: Duration,
}

impl Default for Timeouts {
    /// connect 5 s, attempt 10 s, total 30 s.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            attempt: Duration::from_secs(10),
            total: Duration::from_secs(30),
        }
    }
}

impl Timeouts {
    /// Sets the connect timeout.
    #[must_use]
    pub fn connect(mut self, timeout: Duration) -> Self {
        self.connect = timeout;
        self
    }

    /// Sets the attempt timeout.
    #[must_use]
    pub fn attempt(mut self, timeout: Duration) -> Self {
        self.attempt = timeout;
        self
    }

    /// Sets the total timeout.
    #[must_use]
    pub fn total(mut self, timeout: Duration) -> Self {
        self.total = timeout;
        self
    }

    /// The connect timeout.
    #[must_use]
    pub fn get_connect(&self) -> Duration {
        self.connect
    }

    /// The attempt timeout.
    #[must_use]
    pub fn get_attempt(&self) -> Duration {
        self.attempt
    }

    /// The total timeout.
    #[must_use]
    pub fn get_total(&self) -> Duration {
        self.total
    }

    /// Checks that every timeout is above zero.
    pub fn validate(&self) -> crate::Result<()> {
        if self.connect.is_zero() || self.attempt.is_zero() || self.total.is_zero() {
            return Err(Error::config("timeouts must be greater than zero"));
        }
        Ok(())
    }

    pub(crate) fn with_override(mut self, o: &TimeoutOverride) -> Self {
        if let Some(v) = o.attempt {
            self.attempt = v;
        }
        if let Some(v) = o.total {
            self.total = v;
        }
        self
    }
}

/// Per-call replacement of the attempt and total timeouts (only the keys
/// that are `Some`; connect is per client).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeoutOverride {
    /// Replaces the attempt timeout.
    pub attempt: Option<Duration>,
    /// Replaces the total timeout.
    pub total: Option<Duration>,
}

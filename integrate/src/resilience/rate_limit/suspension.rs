//! The client-wide pause set by a 429 (or 403) with `Retry-After`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// Holds back every attempt of a client until an instant.
///
/// An atomic instant (nanoseconds after a base taken at construction, 0
/// for none): checking it is one atomic load.
#[derive(Debug)]
pub(crate) struct Suspension {
    base: Instant,
    until: AtomicU64,
}

impl Default for Suspension {
    fn default() -> Self {
        Suspension::new()
    }
}

impl Suspension {
    pub(crate) fn new() -> Self {
        Suspension {
            base: Instant::now(),
            until: AtomicU64::new(0),
        }
    }

    /// Pauses every attempt until `until`. Of two pauses the later wins.
    pub(crate) fn suspend_until(&self, until: Instant) {
        let nanos = until.saturating_duration_since(self.base).as_nanos();
        let nanos = u64::try_from(nanos).unwrap_or(u64::MAX);
        if nanos > 0 {
            self.until.fetch_max(nanos, Ordering::AcqRel);
        }
    }

    /// The end of the pause, when it is after `now`.
    pub(crate) fn until(&self, now: Instant) -> Option<Instant> {
        let nanos = self.until.load(Ordering::Acquire);
        if nanos == 0 {
            return None;
        }
        let until = self
            .base
            .checked_add(Duration::from_nanos(nanos))
            .unwrap_or(now + Duration::from_secs(365 * 24 * 3600));
        (until > now).then_some(until)
    }

    /// Waits for the pause (and any pause set meanwhile) to end.
    ///
    /// A pause that ends at or after `deadline` is not waited for:
    /// `Err(wait it would have needed)`.
    /// Returns the instant the wait ended (`now` when there was none).
    pub(crate) async fn wait(&self, now: Instant, deadline: Instant) -> Result<Instant, Duration> {
        let mut now = now;
        while let Some(until) = self.until(now) {
            if until >= deadline {
                return Err(until - now);
            }
            // Boxed: only a call that waits pays for the timer, and every
            // call's future stays smaller.
            Box::pin(tokio::time::sleep_until(until)).await;
            // Not earlier than `until`; no clock read needed.
            now = until;
        }
        Ok(now)
    }
}

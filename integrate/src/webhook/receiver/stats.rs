//! Counters of what the receiver and its workers did.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a receiver's counters (since it was built).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverStats {
    /// Deliveries that verified.
    pub received: u64,
    /// Deliveries rejected by verification.
    pub rejected: u64,
    /// Verified deliveries whose id was pending or done.
    pub duplicates: u64,
    /// Deliveries enqueued.
    pub enqueued: u64,
    /// Deliveries answered 503 (backend full or unavailable, workers
    /// stopped).
    pub unavailable: u64,
    /// Jobs whose handler succeeded.
    pub processed: u64,
    /// Failed handler attempts (each attempt counts).
    pub failed_attempts: u64,
    /// Jobs dead-lettered.
    pub dead_lettered: u64,
    /// Jobs whose handler was still running when a shutdown's grace period
    /// ended (their leases were given back).
    pub abandoned: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Stats {
    received: AtomicU64,
    rejected: AtomicU64,
    duplicates: AtomicU64,
    enqueued: AtomicU64,
    unavailable: AtomicU64,
    processed: AtomicU64,
    failed_attempts: AtomicU64,
    dead_lettered: AtomicU64,
    abandoned: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Stats {
    pub(crate) fn received(&self) {
        bump(&self.received);
    }
    pub(crate) fn rejected(&self) {
        bump(&self.rejected);
    }
    pub(crate) fn duplicate(&self) {
        bump(&self.duplicates);
    }
    pub(crate) fn enqueued(&self) {
        bump(&self.enqueued);
    }
    pub(crate) fn unavailable(&self) {
        bump(&self.unavailable);
    }
    pub(crate) fn processed(&self) {
        bump(&self.processed);
    }
    pub(crate) fn failed_attempt(&self) {
        bump(&self.failed_attempts);
    }
    pub(crate) fn dead_lettered(&self) {
        bump(&self.dead_lettered);
    }
    pub(crate) fn abandoned(&self) {
        bump(&self.abandoned);
    }

    pub(crate) fn snapshot(&self) -> ReceiverStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ReceiverStats {
            received: get(&self.received),
            rejected: get(&self.rejected),
            duplicates: get(&self.duplicates),
            enqueued: get(&self.enqueued),
            unavailable: get(&self.unavailable),
            processed: get(&self.processed),
            failed_attempts: get(&self.failed_attempts),
            dead_lettered: get(&self.dead_lettered),
            abandoned: get(&self.abandoned),
        }
    }
}

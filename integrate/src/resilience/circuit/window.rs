//! The sliding window of the ratio form: a ring of time buckets with
//! atomic counters.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// Buckets in the ring. The window slides in steps of `window / BUCKETS`:
/// the counts cover the last `BUCKETS` steps, the current one included.
pub(super) const BUCKETS: u64 = 20;

/// One count of a failure in a bucket's `counts` word.
const FAILURE: u64 = 1 << 32;
/// One count of a success in a bucket's `counts` word.
const SUCCESS: u64 = 1;

/// Completed attempts and failures in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Totals {
    pub(super) completed: u64,
    pub(super) failures: u64,
}

#[derive(Default)]
struct Bucket {
    /// The step this bucket counts, plus one; 0 when never used.
    step: AtomicU64,
    /// Failures in the high 32 bits, successes in the low 32 bits, so one
    /// `fetch_add` records an outcome and one load reads both.
    counts: AtomicU64,
}

pub(super) struct Window {
    buckets: Box<[Bucket]>,
    base: Instant,
    step_nanos: u64,
    /// Taken only to move a bucket to a new step (once per step) and to
    /// reset the window.
    rotate: Mutex<()>,
    /// The step tag of the latest failure recorded (0: none), so that a
    /// success with no failure in the window skips reading the buckets.
    last_failure: AtomicU64,
}

impl Window {
    pub(super) fn new(window: Duration, base: Instant) -> Self {
        let nanos = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX);
        Window {
            buckets: (0..BUCKETS).map(|_| Bucket::default()).collect(),
            base,
            step_nanos: (nanos / BUCKETS).max(1),
            rotate: Mutex::new(()),
            last_failure: AtomicU64::new(0),
        }
    }

    fn step(&self, now: Instant) -> u64 {
        // Nanoseconds fit in a u64 for 584 years; a 64-bit division is
        // several times cheaper than a 128-bit one.
        let since =
            u64::try_from(now.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX);
        (since / self.step_nanos).min(u64::MAX - BUCKETS - 1)
    }

    /// Records one completed attempt and returns the totals of the window
    /// ending at `now`, or `None` for a success when the window holds no
    /// failure (the breaker cannot trip then).
    ///
    /// A failure publishes its step before it is counted and a success
    /// reads it after it is counted (both sequentially consistent), so of
    /// a concurrent failure and success at least one sees both counts.
    pub(super) fn record(&self, now: Instant, failed: bool) -> Option<Totals> {
        let step = self.step(now);
        let tag = step + 1;
        if failed {
            self.last_failure.fetch_max(tag, Ordering::SeqCst);
        }
        let bucket = &self.buckets[(step % BUCKETS) as usize];
        let current = bucket.step.load(Ordering::Acquire);
        if current != tag {
            if current > tag {
                // `now` is older than the bucket's step: the attempt is
                // already out of the window.
                return Some(self.totals(step));
            }
            let _guard = self.rotate.lock().unwrap_or_else(|e| e.into_inner());
            let current = bucket.step.load(Ordering::Acquire);
            if current > tag {
                return Some(self.totals(step));
            }
            if current < tag {
                bucket.counts.store(0, Ordering::Relaxed);
                bucket.step.store(tag, Ordering::Release);
            }
        }
        bucket
            .counts
            .fetch_add(if failed { FAILURE } else { SUCCESS }, Ordering::SeqCst);
        if !failed {
            let last = self.last_failure.load(Ordering::SeqCst);
            if last == 0 || last + BUCKETS <= tag {
                return None;
            }
        }
        Some(self.totals(step))
    }

    /// The totals of the buckets whose step is in `(step - BUCKETS, step]`.
    fn totals(&self, step: u64) -> Totals {
        let mut totals = Totals {
            completed: 0,
            failures: 0,
        };
        for bucket in &*self.buckets {
            let tag = bucket.step.load(Ordering::Acquire);
            if tag == 0 || tag > step + 1 || tag + BUCKETS <= step + 1 {
                continue;
            }
            let counts = bucket.counts.load(Ordering::Acquire);
            let failures = counts >> 32;
            totals.failures += failures;
            totals.completed += failures + (counts & (FAILURE - 1));
        }
        totals
    }

    /// Empties the window.
    pub(super) fn reset(&self) {
        let _guard = self.rotate.lock().unwrap_or_else(|e| e.into_inner());
        for bucket in &*self.buckets {
            bucket.step.store(0, Ordering::Release);
            bucket.counts.store(0, Ordering::Release);
        }
        self.last_failure.store(0, Ordering::SeqCst);
    }
}

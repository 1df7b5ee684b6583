//! The clock. Every read of the time by the pipeline goes through [`now`],
//! tokio's clock (so paused-time tests drive every wait). Debug builds
//! count the reads per thread, so tests can check that a call reads the
//! clock at most once per attempt.

use tokio::time::Instant;

#[cfg(debug_assertions)]
thread_local! {
    static READS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The current instant on tokio's clock.
#[inline]
pub(crate) fn now() -> Instant {
    #[cfg(debug_assertions)]
    READS.with(|r| r.set(r.get() + 1));
    Instant::now()
}

/// How many times this thread read the clock through `time::now` (debug
/// builds; always 0 in release builds).
#[must_use]
pub fn clock_reads() -> u64 {
    #[cfg(debug_assertions)]
    {
        READS.with(std::cell::Cell::get)
    }
    #[cfg(not(debug_assertions))]
    {
        0
    }
}

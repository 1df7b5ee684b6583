//! The bounded in-memory receipt backend.

mod state;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use state::{Limits, State};

use super::{
    Admission, BoxFuture, DeadLetter, IdState, Job, Lease, ReceiptBackend, ReceiptCounts,
    ReceiptError,
};

/// A bounded [`ReceiptBackend`] in the process's memory, on tokio's clock.
///
/// Every operation is one step under one lock (no await inside), so
/// admission is atomic and every future is cancel-safe. Bounds, each
/// checked in constant time:
///
/// - **depth** ([`max_depth`](InMemoryBackendBuilder::max_depth), default
///   10,000): unfinished jobs (ready, delayed, leased); a new job past it
///   is refused ([`ReceiptError::full`], answered 503).
/// - **bytes** ([`max_bytes`](InMemoryBackendBuilder::max_bytes), default
///   64 MiB): payload and id bytes of unfinished jobs and dead letters; a
///   job that would pass it is refused.
/// - **ids** ([`max_ids`](InMemoryBackendBuilder::max_ids), default
///   100,000, more than the depth): remembered delivery ids. A new id at
///   the bound evicts the oldest *done* id (handled or dead-lettered:
///   a redelivery of it would be processed again); a *pending* id (its job
///   is held) is never evicted, and a new id is refused only when every
///   remembered id is pending.
/// - **dead letters** ([`max_dead_letters`](InMemoryBackendBuilder::max_dead_letters),
///   default 1,000): past it the oldest dead letter is dropped (logged at
///   ERROR; its id stays done).
///
/// A payload is copied into an allocation of its own size when admitted,
/// so that one sliced from a larger buffer (a server's read buffer) does
/// not keep that buffer alive past the byte bound. Done ids are forgotten
/// after the TTL the receiver gives (72 h by default). Everything is lost when the process exits: a job acknowledged
/// with a 2xx and not yet handled is lost with it. Use a shared, durable
/// backend when that matters or when several processes receive.
pub struct InMemoryBackend {
    state: Mutex<State>,
    changed: Notify,
    limits: Limits,
}

impl InMemoryBackend {
    /// The default bound on unfinished jobs.
    pub const DEFAULT_MAX_DEPTH: usize = 10_000;
    /// The default bound on payload and id bytes held.
    pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;
    /// The default bound on remembered delivery ids.
    pub const DEFAULT_MAX_IDS: usize = 100_000;
    /// The default bound on dead letters.
    pub const DEFAULT_MAX_DEAD_LETTERS: usize = 1_000;

    /// A backend with the default bounds.
    #[must_use]
    pub fn new() -> Self {
        InMemoryBackend::with_limits(Limits {
            max_ids: Self::DEFAULT_MAX_IDS,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_dead_letters: Self::DEFAULT_MAX_DEAD_LETTERS,
        })
    }

    /// A builder to set the bounds.
    pub fn builder() -> InMemoryBackendBuilder {
        InMemoryBackendBuilder {
            max_ids: Self::DEFAULT_MAX_IDS,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_dead_letters: Self::DEFAULT_MAX_DEAD_LETTERS,
        }
    }

    fn with_limits(limits: Limits) -> Self {
        InMemoryBackend {
            state: Mutex::new(State::default()),
            changed: Notify::new(),
            limits,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every operation leaves the state consistent before anything that
        // can panic (allocation aside), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state of a delivery id now: pending, done (and not expired), or
    /// `None` when it is not remembered.
    #[must_use]
    pub fn id_state(&self, id: &str) -> Option<IdState> {
        self.lock().id_state(id, crate::time::now())
    }

    /// What the backend holds now (the synchronous form of
    /// [`ReceiptBackend::counts`]).
    #[must_use]
    pub fn snapshot(&self) -> ReceiptCounts {
        self.lock().counts()
    }

    /// How many dead letters were dropped to keep the bound.
    #[must_use]
    pub fn dead_letters_dropped(&self) -> u64 {
        self.lock().dead_letters_dropped
    }

    async fn take_waiting(&self, max: usize, lease: Duration, wait: Duration) -> Vec<Lease> {
        if max == 0 {
            return Vec::new();
        }
        let deadline = state::after(crate::time::now(), wait);
        loop {
            let notified = self.changed.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            let now = crate::time::now();
            let next = match self.lock().take(max, now, lease) {
                Ok(leases) => return leases,
                Err(next) => next,
            };
            if now >= deadline {
                return Vec::new();
            }
            let until = next.map_or(deadline, |next| next.min(deadline));
            // Woken by a change (a new job, a retry, a release) or by the
            // time something becomes ready by itself.
            let _ = tokio::time::timeout_at(until, notified).await;
        }
    }
}

impl Default for InMemoryBackend {
    fn default() -> Self {
        InMemoryBackend::new()
    }
}

impl fmt::Debug for InMemoryBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryBackend")
            .field("limits", &self.limits)
            .field("counts", &self.snapshot())
            .finish()
    }
}

/// Builds an [`InMemoryBackend`]; from [`InMemoryBackend::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct InMemoryBackendBuilder {
    max_ids: usize,
    max_depth: usize,
    max_bytes: usize,
    max_dead_letters: usize,
}

impl InMemoryBackendBuilder {
    /// The most delivery ids remembered, pending and done (default
    /// 100,000); must be larger than the depth.
    pub fn max_ids(mut self, max_ids: usize) -> Self {
        self.max_ids = max_ids;
        self
    }

    /// The most unfinished jobs: ready, delayed and leased (default
    /// 10,000).
    pub fn max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// The most payload and id bytes held, dead letters included (default
    /// 64 MiB).
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The most dead letters kept (default 1,000); past it the oldest is
    /// dropped.
    pub fn max_dead_letters(mut self, max_dead_letters: usize) -> Self {
        self.max_dead_letters = max_dead_letters;
        self
    }

    /// The backend.
    ///
    /// # Errors
    ///
    /// A [`Config`](crate::ErrorKind::Config) error when a bound is zero or
    /// `max_ids` is not larger than `max_depth` (a pending id is never
    /// evicted, so ids must have room beyond the pending ones).
    pub fn build(self) -> crate::Result<InMemoryBackend> {
        for (name, value) in [
            ("max_ids", self.max_ids),
            ("max_depth", self.max_depth),
            ("max_bytes", self.max_bytes),
            ("max_dead_letters", self.max_dead_letters),
        ] {
            if value == 0 {
                return Err(crate::Error::config(format!(
                    "in-memory receipt backend: `{name}` must not be zero"
                )));
            }
        }
        if self.max_ids <= self.max_depth {
            return Err(crate::Error::config(format!(
                "in-memory receipt backend: `max_ids` ({}) must be larger than `max_depth` ({}): every held job keeps its id pending",
                self.max_ids, self.max_depth
            )));
        }
        Ok(InMemoryBackend::with_limits(Limits {
            max_ids: self.max_ids,
            max_depth: self.max_depth,
            max_bytes: self.max_bytes,
            max_dead_letters: self.max_dead_letters,
        }))
    }
}

impl ReceiptBackend for InMemoryBackend {
    fn admit(&self, job: Job, _ttl: Duration) -> BoxFuture<'_, Result<Admission, ReceiptError>> {
        Box::pin(async move {
            // Copied before the lock is taken: the copy of a duplicate is
            // wasted, but the lock is never held for it.
            let job = job.with_own_payload();
            let admitted = self.lock().admit(job, crate::time::now(), &self.limits);
            if matches!(admitted, Ok(Admission::Admitted)) {
                self.changed.notify_waiters();
            }
            admitted
        })
    }

    fn take(
        &self,
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> BoxFuture<'_, Result<Vec<Lease>, ReceiptError>> {
        Box::pin(async move { Ok(self.take_waiting(max, lease, wait).await) })
    }

    fn renew<'a>(
        &'a self,
        lease: &'a Lease,
        lease_for: Duration,
    ) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        Box::pin(async move { Ok(self.lock().renew(lease, crate::time::now(), lease_for)) })
    }

    fn ack<'a>(
        &'a self,
        lease: &'a Lease,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), ReceiptError>> {
        Box::pin(async move {
            self.lock()
                .ack(lease, crate::time::now(), ttl, &self.limits);
            Ok(())
        })
    }

    fn retry<'a>(
        &'a self,
        lease: &'a Lease,
        delay: Duration,
    ) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        Box::pin(async move {
            let moved = self.lock().retry(lease, crate::time::now(), delay);
            if moved {
                // A waiting `take` may now have an earlier instant to wake at.
                self.changed.notify_waiters();
            }
            Ok(moved)
        })
    }

    fn dead_letter<'a>(
        &'a self,
        lease: &'a Lease,
        error: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        Box::pin(async move {
            Ok(self
                .lock()
                .dead_letter(lease, error, crate::time::now(), ttl, &self.limits))
        })
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        Box::pin(async move {
            let released = self.lock().release(lease);
            if released {
                self.changed.notify_waiters();
            }
            Ok(released)
        })
    }

    fn dead_letters<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>, ReceiptError>> {
        Box::pin(async move { Ok(self.lock().dead_letters(after, limit)) })
    }

    fn redrive<'a>(&'a self, receipt: &'a str) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        Box::pin(async move {
            let moved = self.lock().redrive(receipt, &self.limits)?;
            if moved {
                self.changed.notify_waiters();
            }
            Ok(moved)
        })
    }

    fn purge<'a>(&'a self, receipt: &'a str) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        Box::pin(async move { Ok(self.lock().purge(receipt)) })
    }

    fn counts(&self) -> BoxFuture<'_, Result<ReceiptCounts, ReceiptError>> {
        Box::pin(async move { Ok(self.snapshot()) })
    }
}

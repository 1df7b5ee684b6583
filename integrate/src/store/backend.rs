//! The receipt backend trait: admission (claim + enqueue in one step) and
//! what workers need.

use std::time::Duration;

use super::BoxFuture;
use super::error::ReceiptError;
use super::job::{DeadLetter, Job, Lease, ReceiptCounts};

/// What [`ReceiptBackend::admit`] did with a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Admission {
    /// The delivery id was free: it is now claimed and the job is
    /// enqueued, both durably for the backend. Answer `202`.
    Admitted,
    /// A job with this delivery id was admitted before; nothing was
    /// enqueued. Answer `200`: the earlier job is held (pending) or
    /// finished (done).
    Duplicate(IdState),
}

/// The state of a delivery id a backend remembers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdState {
    /// Its job is held: ready, delayed or leased.
    Pending,
    /// Its job was handled or dead-lettered.
    Done,
}

/// Where the webhook receiver keeps what it acknowledged: the delivery ids
/// it has seen and the jobs its workers run.
///
/// One trait, not a store and a queue, because admission must claim the id
/// and enqueue the job together: a claim without its job would make the
/// provider's redelivery look like a duplicate of an event nobody will
/// process. The shape follows Redis (one Lua script per operation over a
/// claim key per id, a stream with a consumer group, a delayed sorted set
/// and a dead-letter stream); the in-memory
/// [`InMemoryBackend`](super::InMemoryBackend) implements the same
/// semantics under one lock.
///
/// Methods return boxed futures, so the trait is object-safe
/// (`Arc<dyn ReceiptBackend>`). Every future must be cancel-safe: dropped
/// at any point, an operation has happened entirely or not at all (a
/// networked backend whose request was sent may have applied it).
///
/// Attempts: [`take`](ReceiptBackend::take) counts one attempt on the job
/// it hands out, so failures, workers that stopped and expired leases are
/// all counted in the job record.
pub trait ReceiptBackend: Send + Sync + 'static {
    /// Claims `job`'s delivery id and enqueues the job, atomically.
    ///
    /// - The id is free: it becomes pending and the job ready, both before
    ///   the future resolves: [`Admission::Admitted`].
    /// - The id is pending or done: nothing is enqueued:
    ///   [`Admission::Duplicate`]. A copy of a delivery arriving while
    ///   another copy is being admitted sees either nothing (and may be
    ///   admitted itself, once) or the admitted job, never a claim
    ///   without its job.
    /// - No room for the job (or, when every remembered id is pending,
    ///   for its id): [`ReceiptError::full`], nothing claimed.
    ///
    /// A job without a delivery id is enqueued without a claim. A pending
    /// id lives as long as its job is held (`ttl` bounds it only as a
    /// safety net of backends that need one); a done id is remembered for
    /// the `ttl` given to [`ack`](ReceiptBackend::ack) or
    /// [`dead_letter`](ReceiptBackend::dead_letter).
    ///
    /// Redis: one script: `EXISTS` the claim, `XLEN` against the depth,
    /// `SET` the claim and `XADD` the job.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::full`] without room; [`ReceiptError::unavailable`]
    /// when the backend cannot answer.
    fn admit(&self, job: Job, ttl: Duration) -> BoxFuture<'_, Result<Admission, ReceiptError>>;

    /// Hands out up to `max` ready jobs (oldest first), each leased for
    /// `lease` and its attempts counted, waiting up to `wait` for the first
    /// one (an empty list when none came). Delayed jobs whose time has come
    /// and jobs whose lease expired are ready again. Dropping the future
    /// loses no job.
    ///
    /// Redis: `XREADGROUP COUNT max BLOCK wait`, after moving due delayed
    /// jobs and `XAUTOCLAIM`ing expired leases.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::unavailable`].
    fn take(
        &self,
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> BoxFuture<'_, Result<Vec<Lease>, ReceiptError>>;

    /// Extends `lease` to `lease_for` from now while its handler runs.
    /// `false` when the lease is no longer held (it expired and the job was
    /// handed out again, or it was finished).
    ///
    /// Redis: `XCLAIM` of the entry by its own consumer (resets its idle
    /// time).
    ///
    /// # Errors
    ///
    /// [`ReceiptError::unavailable`].
    fn renew<'a>(
        &'a self,
        lease: &'a Lease,
        lease_for: Duration,
    ) -> BoxFuture<'a, Result<bool, ReceiptError>>;

    /// The job was handled: its id becomes done for `ttl` and the job is
    /// removed, together. Applies whoever holds the job now (it was
    /// handled); a job already finished is left as it is.
    ///
    /// Redis: one script: `SET` the claim to done with `PX ttl`, `XACK`,
    /// `XDEL`.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::unavailable`].
    fn ack<'a>(
        &'a self,
        lease: &'a Lease,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), ReceiptError>>;

    /// The attempt failed: the job waits `delay`, then is ready again with
    /// its attempts kept. `false` when the lease is no longer held.
    ///
    /// Redis: one script: `ZADD` to the delayed set, `XACK`, `XDEL`.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::unavailable`].
    fn retry<'a>(
        &'a self,
        lease: &'a Lease,
        delay: Duration,
    ) -> BoxFuture<'a, Result<bool, ReceiptError>>;

    /// The job is given up on: it becomes a dead letter with `error`, and
    /// its id done for `ttl`, together. `false` when the lease is no longer
    /// held.
    ///
    /// Redis: one script: `XADD` to the dead-letter stream, `SET` the claim
    /// to done, `XACK`, `XDEL`.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::unavailable`].
    fn dead_letter<'a>(
        &'a self,
        lease: &'a Lease,
        error: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, ReceiptError>>;

    /// Gives a lease back unfinished (a worker stopping): the job is ready
    /// again at once, at the head, its attempts kept. `false` when the
    /// lease is no longer held.
    ///
    /// Redis: `XCLAIM` to a parking consumer with idle time past the lease,
    /// so the next `XAUTOCLAIM` takes it.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::unavailable`].
    fn release<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<bool, ReceiptError>>;

    /// Up to `limit` dead letters, oldest first, after the receipt `after`
    /// (a page of the dead-letter list; pass the last receipt of a page to
    /// get the next).
    ///
    /// Redis: `XRANGE` of the dead-letter stream.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::unavailable`].
    fn dead_letters<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>, ReceiptError>>;

    /// Moves a dead letter back to the ready jobs, its attempts reset and
    /// its id pending again. `Ok(false)` when no dead letter has that
    /// receipt.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::full`] when the ready jobs are at their bound;
    /// [`ReceiptError::unavailable`].
    fn redrive<'a>(&'a self, receipt: &'a str) -> BoxFuture<'a, Result<bool, ReceiptError>>;

    /// Deletes a dead letter (its id stays done). `Ok(false)` when no dead
    /// letter has that receipt.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::unavailable`].
    fn purge<'a>(&'a self, receipt: &'a str) -> BoxFuture<'a, Result<bool, ReceiptError>>;

    /// What the backend holds now, as counts.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::unavailable`].
    fn counts(&self) -> BoxFuture<'_, Result<ReceiptCounts, ReceiptError>>;
}

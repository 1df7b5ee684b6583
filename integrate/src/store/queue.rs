//! The job queue between the receiver and the workers.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::Notify;

use super::BoxFuture;

/// One accepted delivery waiting to be handled: its id (when it has one),
/// the raw verified payload and how many attempts were made.
///
/// The payload is kept as bytes, not as the decoded event, so a backend
/// can store it as is; the worker decodes it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    delivery_id: Option<String>,
    payload: Bytes,
    pub(crate) attempts: u32,
}

impl Job {
    /// A job for a delivery, no attempt made yet.
    #[must_use]
    pub fn new(delivery_id: Option<String>, payload: Bytes) -> Self {
        Job {
            delivery_id,
            payload,
            attempts: 0,
        }
    }

    /// The same job with `attempts` recorded.
    #[must_use]
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// The delivery id used for deduplication, if the delivery had one.
    #[must_use]
    pub fn delivery_id(&self) -> Option<&str> {
        self.delivery_id.as_deref()
    }

    /// The raw verified payload.
    #[must_use]
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// How many times the handler ran for this job.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// A job taken by [`Queue::pop`], held until it is
/// [`ack`](Queue::ack)ed, [`retry`](Queue::retry)-ed or
/// [`dead_letter`](Queue::dead_letter)-ed. The receipt names it in the
/// queue (a Redis Streams entry id, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    receipt: String,
    pub(crate) job: Job,
}

impl Lease {
    /// A lease on `job` under `receipt` (for queue implementations).
    #[must_use]
    pub fn new(receipt: impl Into<String>, job: Job) -> Self {
        Lease {
            receipt: receipt.into(),
            job,
        }
    }

    /// The queue's name for this lease.
    #[must_use]
    pub fn receipt(&self) -> &str {
        &self.receipt
    }

    /// The job.
    #[must_use]
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// The job, by value.
    #[must_use]
    pub fn into_job(self) -> Job {
        self.job
    }
}

/// A job that failed every attempt, kept for inspection and re-drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The queue's name for it; pass it to [`Queue::redrive`].
    pub receipt: String,
    /// The job, with the number of attempts made.
    pub job: Job,
    /// The last error's text.
    pub error: String,
}

/// What a queue holds at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueSnapshot {
    /// Jobs waiting for a worker, oldest first.
    pub queued: Vec<Job>,
    /// Jobs taken by a worker and not yet acknowledged.
    pub in_flight: Vec<Job>,
    /// Jobs that failed every attempt.
    pub dead_letters: Vec<DeadLetter>,
}

/// A queue of accepted deliveries.
///
/// The shape follows Redis Streams with a consumer group: `push` is
/// `XADD` (refused past a length instead of waiting), `pop` is
/// `XREADGROUP` (the entry stays pending until acknowledged), `ack` is
/// `XACK`, `retry` and `dead_letter` move the entry (to the stream's head,
/// to a dead-letter stream) and acknowledge it.
pub trait Queue: Send + Sync + 'static {
    /// Appends a job without waiting for room.
    ///
    /// # Errors
    ///
    /// [`QueueError::full`] when the queue is at capacity; a backend error.
    fn push(&self, job: Job) -> BoxFuture<'_, Result<(), QueueError>>;

    /// Takes the oldest job, waiting for one. Dropping the future before
    /// it completes loses no job.
    ///
    /// # Errors
    ///
    /// A backend error.
    fn pop(&self) -> BoxFuture<'_, Result<Lease, QueueError>>;

    /// Forgets a handled job.
    ///
    /// # Errors
    ///
    /// A backend error.
    fn ack<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), QueueError>>;

    /// Puts a taken job back at the head of the queue with `job`'s
    /// attempts; never refused for room (the job was already counted).
    ///
    /// # Errors
    ///
    /// A backend error.
    fn retry(&self, lease: Lease) -> BoxFuture<'_, Result<(), QueueError>>;

    /// Moves a taken job to the dead letters with the last error's text.
    ///
    /// # Errors
    ///
    /// A backend error.
    fn dead_letter(&self, lease: Lease, error: String) -> BoxFuture<'_, Result<(), QueueError>>;

    /// Moves a dead letter back to the queue's tail with its attempts
    /// reset to 0. `Ok(false)` when no dead letter has that receipt.
    ///
    /// # Errors
    ///
    /// A backend error.
    fn redrive<'a>(&'a self, receipt: &'a str) -> BoxFuture<'a, Result<bool, QueueError>>;

    /// What the queue holds now.
    ///
    /// # Errors
    ///
    /// A backend error.
    fn snapshot(&self) -> BoxFuture<'_, Result<QueueSnapshot, QueueError>>;
}

/// Why a [`Queue`] refused or failed.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct QueueError {
    kind: QueueErrorKind,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueueErrorKind {
    Full,
    Backend,
}

impl fmt::Display for QueueErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueueErrorKind::Full => "queue full",
            QueueErrorKind::Backend => "queue backend failed",
        })
    }
}

impl QueueError {
    /// The queue is at capacity.
    #[must_use]
    pub fn full() -> Self {
        QueueError {
            kind: QueueErrorKind::Full,
            source: None,
        }
    }

    /// The backend failed (for backends other than the in-memory one).
    #[must_use]
    pub fn backend(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        QueueError {
            kind: QueueErrorKind::Backend,
            source: Some(source.into()),
        }
    }

    /// Whether the queue refused for lack of room.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.kind == QueueErrorKind::Full
    }
}

#[derive(Debug, Default)]
struct State {
    queued: VecDeque<Lease>,
    in_flight: HashMap<String, Job>,
    dead: Vec<DeadLetter>,
    next: u64,
}

/// A bounded in-memory [`Queue`]: at most `capacity` jobs waiting (jobs
/// taken by workers and dead letters are not counted). Jobs of one
/// process only: they are lost if it crashes.
#[derive(Debug)]
pub struct InMemoryQueue {
    capacity: usize,
    state: Mutex<State>,
    ready: Notify,
}

impl InMemoryQueue {
    /// A queue holding at most `capacity` waiting jobs (at least 1).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        InMemoryQueue {
            capacity: capacity.max(1),
            state: Mutex::new(State::default()),
            ready: Notify::new(),
        }
    }

    /// The number of jobs waiting.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().queued.len()
    }

    /// Whether no job is waiting.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every operation leaves the state consistent between statements
        // that can panic, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn try_pop(&self) -> Option<Lease> {
        let mut state = self.lock();
        let lease = state.queued.pop_front()?;
        state
            .in_flight
            .insert(lease.receipt.clone(), lease.job.clone());
        Some(lease)
    }

    async fn pop_wait(&self) -> Lease {
        loop {
            let notified = self.ready.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if let Some(lease) = self.try_pop() {
                return lease;
            }
            notified.await;
        }
    }
}

impl Queue for InMemoryQueue {
    fn push(&self, job: Job) -> BoxFuture<'_, Result<(), QueueError>> {
        Box::pin(async move {
            {
                let mut state = self.lock();
                if state.queued.len() >= self.capacity {
                    return Err(QueueError::full());
                }
                let receipt = state.next.to_string();
                state.next += 1;
                state.queued.push_back(Lease { receipt, job });
            }
            self.ready.notify_one();
            Ok(())
        })
    }

    fn pop(&self) -> BoxFuture<'_, Result<Lease, QueueError>> {
        Box::pin(async move { Ok(self.pop_wait().await) })
    }

    fn ack<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async move {
            self.lock().in_flight.remove(&lease.receipt);
            Ok(())
        })
    }

    fn retry(&self, lease: Lease) -> BoxFuture<'_, Result<(), QueueError>> {
        Box::pin(async move {
            {
                let mut state = self.lock();
                state.in_flight.remove(&lease.receipt);
                state.queued.push_front(lease);
            }
            self.ready.notify_one();
            Ok(())
        })
    }

    fn dead_letter(&self, lease: Lease, error: String) -> BoxFuture<'_, Result<(), QueueError>> {
        Box::pin(async move {
            let mut state = self.lock();
            state.in_flight.remove(&lease.receipt);
            state.dead.push(DeadLetter {
                receipt: lease.receipt,
                job: lease.job,
                error,
            });
            Ok(())
        })
    }

    fn redrive<'a>(&'a self, receipt: &'a str) -> BoxFuture<'a, Result<bool, QueueError>> {
        Box::pin(async move {
            {
                let mut state = self.lock();
                let Some(i) = state.dead.iter().position(|d| d.receipt == receipt) else {
                    return Ok(false);
                };
                let dead = state.dead.remove(i);
                state.queued.push_back(Lease {
                    receipt: dead.receipt,
                    job: dead.job.with_attempts(0),
                });
            }
            self.ready.notify_one();
            Ok(true)
        })
    }

    fn snapshot(&self) -> BoxFuture<'_, Result<QueueSnapshot, QueueError>> {
        Box::pin(async move {
            let state = self.lock();
            Ok(QueueSnapshot {
                queued: state.queued.iter().map(|l| l.job.clone()).collect(),
                in_flight: state.in_flight.values().cloned().collect(),
                dead_letters: state.dead.clone(),
            })
        })
    }
}

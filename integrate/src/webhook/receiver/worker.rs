//! The worker pool: runs the handler on queued jobs with retry and
//! backoff, dead-letters what keeps failing, shuts down gracefully.

use std::fmt;
use std::future::{Future, poll_fn};
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::Shared;
use crate::RetryPolicy;
use crate::store::{Lease, QueueError, QueueSnapshot};

/// How often [`WorkerPool::drain`] looks whether the queue is empty.
const DRAIN_POLL: Duration = Duration::from_millis(10);

/// The wait after a queue backend error before taking again.
const QUEUE_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Builds a [`WorkerPool`]; from [`Receiver::workers`](super::Receiver::workers).
#[must_use]
pub struct WorkerPoolBuilder<E> {
    shared: Arc<Shared>,
    workers: usize,
    retry: RetryPolicy,
    event: PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for WorkerPoolBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPoolBuilder")
            .field("workers", &self.workers)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl<E: DeserializeOwned + Send + 'static> WorkerPoolBuilder<E> {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        WorkerPoolBuilder {
            shared,
            workers: 4,
            retry: RetryPolicy::default(),
            event: PhantomData,
        }
    }

    /// The number of workers (jobs handled at once); default 4, at least 1.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// The attempts and the delays between them: a job is dead-lettered
    /// after `max_attempts` failed attempts, and retry `n` waits
    /// [`RetryPolicy`]'s delay `n` (exponential, capped, jittered).
    /// Default [`RetryPolicy::default`]: 3 attempts, 200 ms doubling up
    /// to 10 s, full jitter.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Starts the workers on the current tokio runtime; each runs
    /// `handler` on one job at a time. A handler's `Err` (its `Display`
    /// text is kept) or panic is a failed attempt.
    ///
    /// # Errors
    ///
    /// A [`Config`](crate::ErrorKind::Config) error when the retry policy
    /// is invalid or when called outside a tokio runtime.
    pub fn spawn<H, Fut, Err>(self, handler: H) -> crate::Result<WorkerPool>
    where
        H: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Err>> + Send + 'static,
        Err: fmt::Display + Send + 'static,
    {
        self.retry.validate()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            crate::Error::config("webhook workers: spawn must be called inside a tokio runtime")
        })?;
        let (stop, stopped) = watch::channel(false);
        let handler = Arc::new(handler);
        let tasks = (0..self.workers)
            .map(|_| {
                let worker = Worker {
                    shared: Arc::clone(&self.shared),
                    retry: self.retry,
                    handler: Arc::clone(&handler),
                    stopped: stopped.clone(),
                    event: PhantomData::<fn() -> E>,
                };
                runtime.spawn(worker.run())
            })
            .collect();
        Ok(WorkerPool {
            shared: self.shared,
            stop,
            tasks,
        })
    }
}

/// Running workers. [`shutdown`](WorkerPool::shutdown) stops them
/// gracefully; dropping the pool stops them too, without waiting.
pub struct WorkerPool {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("workers", &self.tasks.len())
            .finish_non_exhaustive()
    }
}

impl WorkerPool {
    /// Stops taking jobs, lets every running handler attempt finish, puts
    /// jobs waiting for a retry back in the queue (their attempts kept),
    /// and returns what the queue holds then: jobs not yet handled and the
    /// dead letters.
    ///
    /// # Errors
    ///
    /// The queue's error when it cannot be inspected.
    pub async fn shutdown(self) -> Result<QueueSnapshot, QueueError> {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "webhook worker ended abnormally");
            }
        }
        let left = self.shared.queue.snapshot().await?;
        tracing::info!(
            webhook.event = "shutdown",
            queue.queued = left.queued.len(),
            queue.in_flight = left.in_flight.len(),
            queue.dead_letters = left.dead_letters.len(),
            "webhook workers stopped"
        );
        Ok(left)
    }

    /// Waits until the queue has no job waiting or being handled, then
    /// [`shutdown`](WorkerPool::shutdown)s.
    ///
    /// # Errors
    ///
    /// The queue's error when it cannot be inspected.
    pub async fn drain(self) -> Result<QueueSnapshot, QueueError> {
        loop {
            let now = self.shared.queue.snapshot().await?;
            if now.queued.is_empty() && now.in_flight.is_empty() {
                break;
            }
            tokio::time::sleep(DRAIN_POLL).await;
        }
        self.shutdown().await
    }
}

struct Worker<E, H> {
    shared: Arc<Shared>,
    retry: RetryPolicy,
    handler: Arc<H>,
    stopped: watch::Receiver<bool>,
    event: PhantomData<fn() -> E>,
}

/// Runs `fut` unless the stop signal comes first (checked first on every
/// wake-up); `None` when stopped. A dropped pool counts as a stop.
async fn unless_stopped<F: Future>(
    stopped: &mut watch::Receiver<bool>,
    fut: F,
) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut stop = pin!(stopped.wait_for(|s| *s));
    poll_fn(|cx| {
        if stop.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        fut.as_mut().poll(cx).map(Some)
    })
    .await
}

impl<E, H, Fut, Err> Worker<E, H>
where
    E: DeserializeOwned + Send + 'static,
    H: Fn(E) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), Err>> + Send + 'static,
    Err: fmt::Display + Send + 'static,
{
    async fn run(mut self) {
        loop {
            let queue = Arc::clone(&self.shared.queue);
            match unless_stopped(&mut self.stopped, queue.pop()).await {
                None => return,
                Some(Ok(lease)) => self.handle(lease).await,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "webhook queue failed to give a job");
                    let pause = tokio::time::sleep(QUEUE_ERROR_PAUSE);
                    if unless_stopped(&mut self.stopped, pause).await.is_none() {
                        return;
                    }
                }
            }
        }
    }

    /// One attempt of the handler: `Ok`, or the failure's text and whether
    /// retrying can help.
    async fn attempt(&self, lease: &Lease) -> Result<(), (String, bool)> {
        let event = match serde_json::from_slice::<E>(lease.job().payload()) {
            Ok(event) => event,
            Err(e) => return Err((format!("payload does not decode: {e}"), false)),
        };
        // A panic in the handler is a failed attempt, not a dead worker.
        let mut run = pin!((self.handler)(event));
        let outcome = poll_fn(|cx| {
            match std::panic::catch_unwind(AssertUnwindSafe(|| run.as_mut().poll(cx))) {
                Ok(poll) => poll.map(Some),
                Err(_) => Poll::Ready(None),
            }
        })
        .await;
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err((e.to_string(), true)),
            None => Err(("handler panicked".to_owned(), true)),
        }
    }

    async fn handle(&mut self, mut lease: Lease) {
        let shared = Arc::clone(&self.shared);
        let max = self.retry.get_max_attempts();
        loop {
            lease.job.attempts = lease.job.attempts.saturating_add(1);
            let attempt = lease.job.attempts;
            let id = lease.job().delivery_id().map(str::to_owned);
            match self.attempt(&lease).await {
                Ok(()) => {
                    shared.stats.processed();
                    tracing::debug!(
                        webhook.event = "processed",
                        delivery.id = id.as_deref(),
                        attempt,
                        "webhook handled"
                    );
                    self.finish(id.as_deref()).await;
                    if let Err(e) = shared.queue.ack(&lease).await {
                        tracing::warn!(delivery.id = id.as_deref(), error = %e, "could not acknowledge a handled job");
                    }
                    return;
                }
                Err((error, retryable)) => {
                    shared.stats.failed_attempt();
                    tracing::warn!(
                        webhook.event = "failed",
                        delivery.id = id.as_deref(),
                        attempt,
                        error = %error,
                        "webhook handler failed"
                    );
                    if !retryable || attempt >= max {
                        shared.stats.dead_lettered();
                        tracing::error!(
                            webhook.event = "dead_lettered",
                            delivery.id = id.as_deref(),
                            attempts = attempt,
                            error = %error,
                            "webhook dead-lettered"
                        );
                        self.finish(id.as_deref()).await;
                        if let Err(e) = shared.queue.dead_letter(lease, error).await {
                            tracing::error!(delivery.id = id.as_deref(), error = %e, "could not dead-letter a job");
                        }
                        return;
                    }
                    let delay = self.retry.delay(attempt);
                    let wait = tokio::time::sleep(delay);
                    if unless_stopped(&mut self.stopped, wait).await.is_none() {
                        if let Err(e) = shared.queue.retry(lease).await {
                            tracing::error!(delivery.id = id.as_deref(), error = %e, "could not return a job to the queue at shutdown");
                        }
                        return;
                    }
                }
            }
        }
    }

    /// Marks the delivery id done (handled or dead-lettered).
    async fn finish(&self, id: Option<&str>) {
        if let Some(id) = id
            && let Err(e) = self.shared.store.mark_done(id, self.shared.ttl).await
        {
            tracing::warn!(delivery.id = id, error = %e, "could not mark a delivery done");
        }
    }
}

//! The worker pool: takes as many leased jobs as it has free handler
//! slots, runs the handler under `catch_unwind` (its synchronous part
//! included) with its lease renewed, retries through the backend's delayed
//! set, dead-letters what keeps failing, and shuts down within a grace
//! period, reporting what it abandoned.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::{Future, poll_fn};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio::time::MissedTickBehavior;

use super::Shared;
use crate::RetryPolicy;
use crate::store::{BoxFuture, Lease, ReceiptCounts, ReceiptError};

/// How often [`WorkerPool::drain`] looks whether every job is finished.
const DRAIN_POLL: Duration = Duration::from_millis(10);

/// The wait after a backend error before taking again.
const BACKEND_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// How long one `take` waits for a job before the pool looks again.
const TAKE_WAIT: Duration = Duration::from_secs(1);

/// After the grace period, how long aborted handlers get to unwind before
/// their leases are given back regardless (a handler blocking its thread
/// cannot be aborted).
const ABORT_WAIT: Duration = Duration::from_millis(100);

/// What a handler of [`WorkerPoolBuilder::spawn_with`] learns about the job
/// besides the event: enough to make a re-run safe (delivery is at least
/// once: a crash between a handler's end and its acknowledgement runs it
/// again).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobInfo {
    /// The delivery id, when the delivery had one.
    pub delivery_id: Option<String>,
    /// Which attempt this is, from 1.
    pub attempt: u32,
    /// The backend's name for the job.
    pub receipt: String,
}

/// The handler as the workers call it: the user's function with its error
/// turned into text.
type Handler<E> = dyn Fn(E, JobInfo) -> BoxFuture<'static, Result<(), String>> + Send + Sync;

/// Builds a [`WorkerPool`]; from [`Receiver::workers`](super::Receiver::workers).
#[must_use]
pub struct WorkerPoolBuilder<E> {
    shared: Arc<Shared>,
    config: Config,
    event: PhantomData<fn() -> E>,
}

#[derive(Debug, Clone, Copy)]
struct Config {
    workers: usize,
    retry: RetryPolicy,
    lease: Duration,
    grace: Duration,
}

impl<E> fmt::Debug for WorkerPoolBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPoolBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<E: DeserializeOwned + Send + 'static> WorkerPoolBuilder<E> {
    /// The default number of handlers run at once.
    pub const DEFAULT_WORKERS: usize = 4;
    /// The default attempts per job (the first included).
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
    /// The default lease of a job handed to a handler.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
    /// The default grace period of [`WorkerPool::shutdown`].
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

    pub(super) fn new(shared: Arc<Shared>) -> Self {
        WorkerPoolBuilder {
            shared,
            config: Config {
                workers: Self::DEFAULT_WORKERS,
                retry: RetryPolicy::default().max_attempts(Self::DEFAULT_MAX_ATTEMPTS),
                lease: Self::DEFAULT_LEASE,
                grace: Self::DEFAULT_SHUTDOWN_GRACE,
            },
            event: PhantomData,
        }
    }

    /// The number of handlers run at once (jobs taken only for free
    /// slots); default 4, at least 1.
    pub fn workers(mut self, workers: usize) -> Self {
        self.config.workers = workers.max(1);
        self
    }

    /// The attempts and the delays between them: a job is dead-lettered
    /// after `max_attempts` attempts (failed, panicked, or whose worker
    /// stopped or lease expired), and retry `n` waits [`RetryPolicy`]'s
    /// delay `n` (exponential, capped, jittered) in the backend's delayed
    /// set. Default: 5 attempts, 200 ms doubling up to 10 s, full jitter.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// How long a job handed to a handler is reserved for it (default
    /// 60 s). The lease is renewed every third of it while the handler
    /// runs, so a long handler is not run twice; a job whose lease expired
    /// (its worker gone) is handed out again.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.config.lease = lease;
        self
    }

    /// How long [`WorkerPool::shutdown`] lets running handlers finish
    /// (default 30 s); the ones still running then are abandoned: aborted
    /// and their jobs given back, ready again.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.grace = grace;
        self
    }

    /// Starts the workers on the current tokio runtime; each job runs
    /// `handler` once per attempt. A handler's `Err` (its `Display` text is
    /// kept) or panic, before or after it returns its future, is a failed
    /// attempt; the workers live on.
    ///
    /// # Errors
    ///
    /// A [`Config`](crate::ErrorKind::Config) error when the retry policy
    /// is invalid, the lease is zero, or when called outside a tokio
    /// runtime.
    pub fn spawn<H, Fut, Err>(self, handler: H) -> crate::Result<WorkerPool>
    where
        H: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Err>> + Send + 'static,
        Err: fmt::Display + Send + 'static,
    {
        self.spawn_with(move |event, _| handler(event))
    }

    /// [`spawn`](WorkerPoolBuilder::spawn) with a handler that also gets
    /// the job's [`JobInfo`]: its delivery id and attempt, e.g. to pass on
    /// as an idempotency key.
    ///
    /// # Errors
    ///
    /// As [`spawn`](WorkerPoolBuilder::spawn).
    pub fn spawn_with<H, Fut, Err>(self, handler: H) -> crate::Result<WorkerPool>
    where
        H: Fn(E, JobInfo) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Err>> + Send + 'static,
        Err: fmt::Display + Send + 'static,
    {
        self.config.retry.validate()?;
        if self.config.lease.is_zero() {
            return Err(crate::Error::config(
                "webhook workers: the lease must not be zero",
            ));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            crate::Error::config("webhook workers: spawn must be called inside a tokio runtime")
        })?;
        let handler: Arc<Handler<E>> = Arc::new(move |event, info| {
            let run = handler(event, info);
            Box::pin(async move { run.await.map_err(|e| e.to_string()) })
        });
        let (stop, stopped) = watch::channel(false);
        let dispatcher = Dispatcher {
            shared: Arc::clone(&self.shared),
            handler,
            config: self.config,
            stopped,
            running: JoinSet::new(),
            leases: HashMap::new(),
        };
        self.shared.intake.pool_started();
        let task = runtime.spawn(dispatcher.run());
        Ok(WorkerPool {
            shared: self.shared,
            stop,
            dispatcher: Some(task),
            intake_closed: false,
        })
    }
}

/// Running workers. [`shutdown`](WorkerPool::shutdown) stops them within
/// the grace period, [`drain`](WorkerPool::drain) first lets them finish
/// every job. Dropping the pool stops them without waiting: their jobs stay
/// leased until the lease expires, then are handed out again.
///
/// When the last pool of a receiver stops (or is dropped), the receiver
/// answers every later delivery with 503, so nothing is acknowledged that
/// no worker will run; starting a pool opens it again.
pub struct WorkerPool {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    dispatcher: Option<JoinHandle<Vec<Abandoned>>>,
    intake_closed: bool,
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("running", &self.dispatcher.is_some())
            .finish_non_exhaustive()
    }
}

/// What [`WorkerPool::shutdown`] left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Jobs whose handler was still running when the grace period ended:
    /// aborted, their leases given back (ready again, the attempt counted).
    /// A handler that finished its work but not its acknowledgement runs
    /// again.
    pub abandoned: Vec<Abandoned>,
    /// What the backend held after the workers stopped: with the in-memory
    /// backend, every unfinished job counted here (`left.unfinished()`) is
    /// lost when the process exits.
    pub left: ReceiptCounts,
}

impl ShutdownReport {
    /// Whether nothing was abandoned and no job is unfinished.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.abandoned.is_empty() && self.left.unfinished() == 0
    }
}

/// A job whose handler did not finish within the grace period.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Abandoned {
    /// The backend's name for the job.
    pub receipt: String,
    /// Its delivery id, if it had one.
    pub delivery_id: Option<String>,
    /// Its attempts, the abandoned one included.
    pub attempts: u32,
    /// Whether its lease was given back (else it expires by itself).
    pub released: bool,
}

impl WorkerPool {
    /// Closes the receiver's intake (when this is its last pool: later
    /// deliveries are answered 503) and waits for admissions in flight,
    /// stops taking jobs, lets running handlers finish for up to the
    /// grace period ([`shutdown_grace`](WorkerPoolBuilder::shutdown_grace)),
    /// then abandons the others: aborted, their jobs given back. Jobs
    /// waiting (ready or delayed) stay in the backend.
    ///
    /// # Errors
    ///
    /// The backend's error when it cannot report its counts.
    pub async fn shutdown(mut self) -> Result<ShutdownReport, ReceiptError> {
        self.close_intake().await;
        let _ = self.stop.send(true);
        let abandoned = match self.dispatcher.take() {
            Some(task) => task.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "the webhook worker pool ended abnormally");
                Vec::new()
            }),
            None => Vec::new(),
        };
        let left = self.shared.backend.counts().await?;
        tracing::info!(
            webhook.event = "shutdown",
            jobs.abandoned = abandoned.len(),
            jobs.ready = left.ready,
            jobs.delayed = left.delayed,
            jobs.leased = left.leased,
            jobs.dead_letters = left.dead_letters,
            "webhook workers stopped"
        );
        Ok(ShutdownReport { abandoned, left })
    }

    /// Closes the receiver's intake as [`shutdown`](WorkerPool::shutdown)
    /// does, waits until every job is finished (handled or dead-lettered,
    /// retries included), then shuts down. Bound it with a timeout if a
    /// handler may never finish.
    ///
    /// # Errors
    ///
    /// The backend's error when it cannot report its counts.
    pub async fn drain(mut self) -> Result<ShutdownReport, ReceiptError> {
        self.close_intake().await;
        loop {
            if self.shared.backend.counts().await?.unfinished() == 0 {
                break;
            }
            tokio::time::sleep(DRAIN_POLL).await;
        }
        self.shutdown().await
    }

    async fn close_intake(&mut self) {
        if !self.intake_closed {
            self.intake_closed = true;
            if self.shared.intake.pool_stopped() {
                self.shared.intake.idle().await;
            }
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        if let Some(task) = self.dispatcher.take() {
            // Aborting the dispatcher drops its set of running handlers,
            // which aborts them; their leases expire by themselves.
            task.abort();
        }
        if !self.intake_closed {
            self.intake_closed = true;
            self.shared.intake.pool_stopped();
        }
    }
}

/// Takes jobs for free handler slots and runs each in its own task.
struct Dispatcher<E> {
    shared: Arc<Shared>,
    handler: Arc<Handler<E>>,
    config: Config,
    stopped: watch::Receiver<bool>,
    running: JoinSet<()>,
    leases: HashMap<tokio::task::Id, Lease>,
}

enum Step {
    Stop,
    Taken(Result<Vec<Lease>, ReceiptError>),
    Finished(Result<(tokio::task::Id, ()), JoinError>),
}

impl<E: DeserializeOwned + Send + 'static> Dispatcher<E> {
    async fn run(mut self) -> Vec<Abandoned> {
        loop {
            let free = self.config.workers.saturating_sub(self.running.len());
            let step = {
                let backend = Arc::clone(&self.shared.backend);
                let mut take = pin!(async {
                    if free == 0 {
                        std::future::pending().await
                    } else {
                        backend.take(free, self.config.lease, TAKE_WAIT).await
                    }
                });
                let mut stop = pin!(self.stopped.wait_for(|stop| *stop));
                let running = &mut self.running;
                poll_fn(|cx| {
                    if stop.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Step::Stop);
                    }
                    if let Poll::Ready(Some(done)) = running.poll_join_next_with_id(cx) {
                        return Poll::Ready(Step::Finished(done));
                    }
                    take.as_mut().poll(cx).map(Step::Taken)
                })
                .await
            };
            match step {
                Step::Stop => break,
                Step::Finished(done) => self.reap(done).await,
                Step::Taken(Ok(leases)) => {
                    for lease in leases {
                        self.start(lease);
                    }
                }
                Step::Taken(Err(e)) => {
                    tracing::warn!(error = %e, "the webhook receipt backend failed to hand out jobs");
                    let pause = tokio::time::sleep(BACKEND_ERROR_PAUSE);
                    let stop = self.stopped.wait_for(|stop| *stop);
                    let mut pause = pin!(pause);
                    let mut stop = pin!(stop);
                    let stopped = poll_fn(|cx| {
                        if stop.as_mut().poll(cx).is_ready() {
                            return Poll::Ready(true);
                        }
                        pause.as_mut().poll(cx).map(|()| false)
                    })
                    .await;
                    if stopped {
                        break;
                    }
                }
            }
        }
        self.stop().await
    }

    fn start(&mut self, lease: Lease) {
        let job = Job {
            shared: Arc::clone(&self.shared),
            handler: Arc::clone(&self.handler),
            config: self.config,
            lease: lease.clone(),
        };
        let task = self.running.spawn(job.run());
        self.leases.insert(task.id(), lease);
    }

    /// Forgets a finished task; one that panicked outside the handler's
    /// guard (a destructor) gives its job back.
    async fn reap(&mut self, done: Result<(tokio::task::Id, ()), JoinError>) {
        match done {
            Ok((id, ())) => {
                self.leases.remove(&id);
            }
            Err(e) => {
                if let Some(lease) = self.leases.remove(&e.id()) {
                    tracing::error!(
                        delivery.id = lease.job().delivery_id(),
                        error = %e,
                        "a webhook job task ended abnormally; its job is given back"
                    );
                    let _ = self.shared.backend.release(&lease).await;
                }
            }
        }
    }

    /// Lets running handlers finish within the grace period, then abandons
    /// the rest.
    async fn stop(mut self) -> Vec<Abandoned> {
        let deadline = tokio::time::Instant::now() + self.config.grace;
        while !self.running.is_empty() {
            match tokio::time::timeout_at(deadline, self.running.join_next_with_id()).await {
                Ok(Some(done)) => self.reap(done).await,
                Ok(None) | Err(_) => break,
            }
        }
        if self.running.is_empty() {
            return Vec::new();
        }
        self.running.abort_all();
        let unwind = tokio::time::Instant::now() + ABORT_WAIT;
        while let Ok(Some(done)) =
            tokio::time::timeout_at(unwind, self.running.join_next_with_id()).await
        {
            if let Ok((id, ())) = done {
                // Finished before the abort reached it.
                self.leases.remove(&id);
            }
        }
        self.running.detach_all();
        let mut abandoned = Vec::new();
        for (_, lease) in self.leases.drain() {
            let released = match self.shared.backend.release(&lease).await {
                Ok(released) => released,
                Err(e) => {
                    tracing::warn!(
                        delivery.id = lease.job().delivery_id(),
                        error = %e,
                        "could not give back an abandoned webhook job; its lease will expire"
                    );
                    false
                }
            };
            self.shared.stats.abandoned();
            tracing::warn!(
                webhook.event = "abandoned",
                delivery.id = lease.job().delivery_id(),
                attempt = lease.job().attempts(),
                "webhook handler still running at the end of the shutdown grace period"
            );
            abandoned.push(Abandoned {
                receipt: lease.receipt().to_owned(),
                delivery_id: lease.job().delivery_id().map(str::to_owned),
                attempts: lease.job().attempts(),
                released,
            });
        }
        abandoned.sort_by(|a, b| a.receipt.cmp(&b.receipt));
        abandoned
    }
}

/// One job in its own task: decode, run the handler with the lease
/// renewed, then acknowledge, retry or dead-letter.
struct Job<E> {
    shared: Arc<Shared>,
    handler: Arc<Handler<E>>,
    config: Config,
    lease: Lease,
}

impl<E: DeserializeOwned + Send + 'static> Job<E> {
    async fn run(self) {
        let shared = &*self.shared;
        let lease = &self.lease;
        let job = lease.job();
        let attempt = job.attempts();
        let max = self.config.retry.get_max_attempts();
        let id = job.delivery_id();
        if attempt > max {
            // Handed out again after attempts that never finished (a lease
            // that expired, a worker that stopped).
            let error = format!(
                "given up after {max} attempts, the last ones not finished by their worker"
            );
            self.dead_letter(&error).await;
            return;
        }
        let decoded = catch_unwind(AssertUnwindSafe(|| {
            serde_json::from_slice::<E>(job.payload())
        }));
        let event = match decoded {
            Ok(Ok(event)) => event,
            Ok(Err(e)) => {
                shared.stats.failed_attempt();
                self.dead_letter(&format!("payload does not decode: {e}"))
                    .await;
                return;
            }
            Err(panic) => {
                shared.stats.failed_attempt();
                self.dead_letter(&panicked("decoding the payload", &*panic))
                    .await;
                return;
            }
        };
        let info = JobInfo {
            delivery_id: id.map(str::to_owned),
            attempt,
            receipt: lease.receipt().to_owned(),
        };
        let outcome = self.renewing(call(&*self.handler, event, info)).await;
        match outcome {
            Ok(()) => {
                shared.stats.processed();
                tracing::debug!(
                    webhook.event = "processed",
                    delivery.id = id,
                    attempt,
                    "webhook handled"
                );
                if let Err(e) = shared.backend.ack(lease, shared.ttl).await {
                    tracing::warn!(
                        delivery.id = id,
                        error = %e,
                        "could not acknowledge a handled webhook job; it runs again when its lease expires"
                    );
                }
            }
            Err(error) => {
                shared.stats.failed_attempt();
                tracing::warn!(
                    webhook.event = "failed",
                    delivery.id = id,
                    attempt,
                    error = %error,
                    "webhook handler failed"
                );
                if attempt >= max {
                    self.dead_letter(&error).await;
                    return;
                }
                let delay = self.config.retry.delay(attempt);
                if let Err(e) = shared.backend.retry(lease, delay).await {
                    tracing::warn!(
                        delivery.id = id,
                        error = %e,
                        "could not schedule the retry of a webhook job; it runs again when its lease expires"
                    );
                }
            }
        }
    }

    async fn dead_letter(&self, error: &str) {
        let shared = &*self.shared;
        let job = self.lease.job();
        shared.stats.dead_lettered();
        tracing::error!(
            webhook.event = "dead_lettered",
            delivery.id = job.delivery_id(),
            attempts = job.attempts(),
            error = %error,
            "webhook dead-lettered"
        );
        if let Err(e) = shared
            .backend
            .dead_letter(&self.lease, error, shared.ttl)
            .await
        {
            tracing::error!(
                delivery.id = job.delivery_id(),
                error = %e,
                "could not dead-letter a webhook job; it runs again when its lease expires"
            );
        }
    }

    /// Polls `run`, renewing the lease every third of it meanwhile.
    async fn renewing<F: Future<Output = Result<(), String>>>(&self, run: F) -> Result<(), String> {
        let backend = &*self.shared.backend;
        let lease = &self.lease;
        let every = (self.config.lease / 3).max(Duration::from_millis(1));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut run = pin!(run);
        let mut renewal: Option<BoxFuture<'_, Result<bool, ReceiptError>>> = None;
        poll_fn(|cx| {
            loop {
                if let Poll::Ready(outcome) = run.as_mut().poll(cx) {
                    return Poll::Ready(outcome);
                }
                if let Some(pending) = renewal.as_mut() {
                    let Poll::Ready(renewed) = pending.as_mut().poll(cx) else {
                        return Poll::Pending;
                    };
                    renewal = None;
                    match renewed {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(
                            delivery.id = lease.job().delivery_id(),
                            "the lease of a running webhook job was lost; it may run twice"
                        ),
                        Err(e) => tracing::warn!(
                            delivery.id = lease.job().delivery_id(),
                            error = %e,
                            "could not renew the lease of a running webhook job"
                        ),
                    }
                }
                if ticks.poll_tick(cx).is_pending() {
                    return Poll::Pending;
                }
                renewal = Some(backend.renew(lease, self.config.lease));
            }
        })
        .await
    }
}

/// Calls the handler and polls its future, both under `catch_unwind`: a
/// panic before the future is returned or while it runs is a failed
/// attempt.
async fn call<E>(handler: &Handler<E>, event: E, info: JobInfo) -> Result<(), String> {
    let mut run = match catch_unwind(AssertUnwindSafe(|| handler(event, info))) {
        Ok(run) => run,
        Err(panic) => return Err(panicked("the handler", &*panic)),
    };
    poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| run.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(panic) => Poll::Ready(Err(panicked("the handler", &*panic))),
        },
    )
    .await
}

/// The text of a panic: its message when it is a string.
fn panicked(what: &str, panic: &(dyn Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str));
    match message {
        Some(message) => format!("{what} panicked: {message}"),
        None => format!("{what} panicked"),
    }
}

//! The receiver pipeline: verify -> claim the delivery id -> enqueue ->
//! acknowledge; a worker pool runs the handler.

mod stats;
mod worker;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::{Webhook, WebhookError, WebhookVerifier};
use crate::store::{Claim, IdempotencyStore, InMemoryQueue, InMemoryStore, Job, Queue};

pub use stats::ReceiverStats;
pub use worker::{WorkerPool, WorkerPoolBuilder};

use stats::Stats;

/// How a receiver checks a delivery: verifies it, checks that its payload
/// decodes, and returns its delivery id (`None` when it has none).
type VerifyFn = dyn Fn(&HeaderMap, &[u8]) -> Result<Option<String>, WebhookError> + Send + Sync;

/// The receiving end of one event type `E`: verifies a delivery, claims
/// its id, enqueues it and acknowledges it at once; a [`WorkerPool`] from
/// [`workers`](Receiver::workers) runs the handler.
///
/// Cheap to clone (`Arc` inside). Serve it with
/// [`method_router`](Receiver::method_router) (feature `axum`) or call
/// [`receive`](Receiver::receive) from any server.
pub struct Receiver<E> {
    inner: Arc<Shared>,
    event: PhantomData<fn() -> E>,
}

pub(crate) struct Shared {
    verify: Box<VerifyFn>,
    pub(crate) store: Arc<dyn IdempotencyStore>,
    pub(crate) queue: Arc<dyn Queue>,
    pub(crate) ttl: Duration,
    retry_after: Duration,
    pub(crate) stats: Stats,
}

impl<E> Clone for Receiver<E> {
    fn clone(&self) -> Self {
        Receiver {
            inner: Arc::clone(&self.inner),
            event: PhantomData,
        }
    }
}

impl<E> fmt::Debug for Receiver<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("event", &std::any::type_name::<E>())
            .field("ttl", &self.inner.ttl)
            .field("retry_after", &self.inner.retry_after)
            .field("stats", &self.inner.stats.snapshot())
            .finish_non_exhaustive()
    }
}

impl<E: Webhook> Receiver<E> {
    /// A builder over the typed verifier of `E`: a delivery is verified,
    /// decoded into `E`, and its id read from where `E`'s declaration
    /// says (`delivery_id = ..`, or the scheme's default).
    ///
    /// ```
    /// use integrate::webhook::{Receiver, WebhookVerifier, webhook};
    ///
    /// #[webhook(scheme = "github", secret_env = "GITHUB_WEBHOOK_SECRET")]
    /// #[derive(serde::Deserialize)]
    /// struct Push {
    ///     after: String,
    /// }
    ///
    /// # fn main() -> integrate::Result<()> {
    /// let verifier = WebhookVerifier::<Push>::builder().secret("s3cr3t").build()?;
    /// let receiver = Receiver::builder(verifier).build()?;
    /// # let _ = receiver;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(verifier: WebhookVerifier<E>) -> ReceiverBuilder<E> {
        Self::builder_with(move |headers, body| {
            verifier
                .verify(headers, body)
                .map(|verified| verified.into_parts().1)
        })
    }
}

impl<E: DeserializeOwned + Send + 'static> Receiver<E> {
    /// How long a delivery id is remembered when no TTL is set: 72 hours
    /// (Stripe retries for 3 days).
    pub const DEFAULT_TTL: Duration = Duration::from_secs(72 * 3600);

    /// The `Retry-After` sent with a 503 when none is set: 5 seconds.
    pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

    /// A builder over a checking function: it verifies the delivery (the
    /// signature over the raw bytes first), checks that the payload
    /// decodes into `E`, and returns the delivery id, or `None` when the
    /// delivery has none (it is then processed without deduplication).
    ///
    /// [`Receiver::builder`] builds one from the typed
    /// [`WebhookVerifier<E>`]; [`Receiver::from_verifier`] from an untyped
    /// [`Verifier`](super::Verifier) and a function that reads the id.
    pub fn builder_with<F>(verify: F) -> ReceiverBuilder<E>
    where
        F: Fn(&HeaderMap, &[u8]) -> Result<Option<String>, WebhookError> + Send + Sync + 'static,
    {
        ReceiverBuilder {
            verify: Box::new(verify),
            store: None,
            queue: None,
            ttl: Self::DEFAULT_TTL,
            retry_after: Self::DEFAULT_RETRY_AFTER,
            event: PhantomData,
        }
    }

    /// A builder over an untyped [`Verifier`](super::Verifier): the
    /// delivery is verified against the system clock, its payload decoded
    /// as JSON into `E`, and its id read by `delivery_id` from the headers
    /// and the raw body.
    pub fn from_verifier<F>(verifier: super::Verifier, delivery_id: F) -> ReceiverBuilder<E>
    where
        F: Fn(&HeaderMap, &[u8]) -> Option<String> + Send + Sync + 'static,
    {
        Self::builder_with(move |headers, body| {
            verifier.verify(headers, body)?;
            serde_json::from_slice::<E>(body).map_err(WebhookError::invalid_payload)?;
            Ok(delivery_id(headers, body))
        })
    }

    /// Handles one delivery: verify, claim its id, enqueue. See
    /// [`Outcome`] for the answers.
    pub async fn receive(&self, headers: &HeaderMap, body: Bytes) -> Outcome {
        let inner = &*self.inner;
        let id = match (inner.verify)(headers, &body) {
            Ok(id) => id,
            Err(e) => {
                inner.stats.rejected();
                tracing::debug!(
                    webhook.event = "rejected",
                    http.status = e.status().as_u16(),
                    error = %e,
                    "webhook delivery rejected"
                );
                return Outcome::Rejected(e);
            }
        };
        inner.stats.received();
        tracing::trace!(
            webhook.event = "received",
            delivery.id = id.as_deref(),
            "webhook delivery received"
        );
        if let Some(id) = id.as_deref() {
            match inner.store.claim(id, inner.ttl).await {
                Ok(Claim::Claimed) => {}
                Ok(claim @ (Claim::Pending | Claim::Done)) => {
                    inner.stats.duplicate();
                    tracing::debug!(
                        webhook.event = "duplicate",
                        delivery.id = id,
                        delivery.state = if claim == Claim::Done {
                            "done"
                        } else {
                            "pending"
                        },
                        "duplicate webhook delivery acknowledged"
                    );
                    return Outcome::Duplicate;
                }
                Err(e) => {
                    inner.stats.unavailable();
                    tracing::warn!(
                        webhook.event = "unavailable",
                        delivery.id = id,
                        error = %e,
                        "idempotency store refused the claim"
                    );
                    return self.unavailable();
                }
            }
        }
        let job = Job::new(id, body);
        let id = job.delivery_id().map(str::to_owned);
        match inner.queue.push(job).await {
            Ok(()) => {
                inner.stats.enqueued();
                Outcome::Accepted
            }
            Err(e) => {
                if let Some(id) = id.as_deref()
                    && let Err(release) = inner.store.release(id).await
                {
                    tracing::warn!(
                        delivery.id = id,
                        error = %release,
                        "could not release the claim of a delivery the queue refused"
                    );
                }
                inner.stats.unavailable();
                tracing::warn!(
                    webhook.event = "unavailable",
                    delivery.id = id.as_deref(),
                    error = %e,
                    "queue refused the delivery"
                );
                self.unavailable()
            }
        }
    }

    fn unavailable(&self) -> Outcome {
        Outcome::Unavailable {
            retry_after: self.inner.retry_after,
        }
    }

    /// A builder of the worker pool that runs the handler on this
    /// receiver's queue.
    pub fn workers(&self) -> WorkerPoolBuilder<E> {
        WorkerPoolBuilder::new(Arc::clone(&self.inner))
    }

    /// The counters of received, duplicate, processed, failed and
    /// dead-lettered deliveries.
    #[must_use]
    pub fn stats(&self) -> ReceiverStats {
        self.inner.stats.snapshot()
    }

    /// The idempotency store.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn IdempotencyStore> {
        &self.inner.store
    }

    /// The queue (inspect it, re-drive dead letters).
    #[must_use]
    pub fn queue(&self) -> &Arc<dyn Queue> {
        &self.inner.queue
    }

    /// A `POST` route that answers with [`receive`](Receiver::receive)'s
    /// [`Outcome`]; mount it with `Router::route(path, ..)`.
    #[cfg(feature = "axum")]
    pub fn method_router<S>(&self) -> axum::routing::MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let receiver = self.clone();
        axum::routing::post(move |headers: HeaderMap, body: Bytes| async move {
            receiver.receive(&headers, body).await
        })
    }
}

/// Builds a [`Receiver`].
#[must_use]
pub struct ReceiverBuilder<E> {
    verify: Box<VerifyFn>,
    store: Option<Arc<dyn IdempotencyStore>>,
    queue: Option<Arc<dyn Queue>>,
    ttl: Duration,
    retry_after: Duration,
    event: PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for ReceiverBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverBuilder")
            .field("ttl", &self.ttl)
            .field("retry_after", &self.retry_after)
            .finish_non_exhaustive()
    }
}

impl<E: DeserializeOwned + Send + 'static> ReceiverBuilder<E> {
    /// The idempotency store; default an [`InMemoryStore`] of 100,000
    /// records.
    pub fn store(mut self, store: impl IdempotencyStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// The idempotency store, shared.
    pub fn shared_store(mut self, store: Arc<dyn IdempotencyStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The queue; default an [`InMemoryQueue`] of 10,000 jobs.
    pub fn queue(mut self, queue: impl Queue) -> Self {
        self.queue = Some(Arc::new(queue));
        self
    }

    /// The queue, shared.
    pub fn shared_queue(mut self, queue: Arc<dyn Queue>) -> Self {
        self.queue = Some(queue);
        self
    }

    /// How long a delivery id is remembered, pending or done; default
    /// [`Receiver::DEFAULT_TTL`] (72 h).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The `Retry-After` of a 503 (rounded up to whole seconds, at least
    /// 1); default [`Receiver::DEFAULT_RETRY_AFTER`] (5 s).
    pub fn retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// The receiver.
    ///
    /// # Errors
    ///
    /// A [`Config`](crate::ErrorKind::Config) error when the TTL is zero.
    pub fn build(self) -> crate::Result<Receiver<E>> {
        if self.ttl.is_zero() {
            return Err(crate::Error::config(
                "webhook receiver: the ttl of delivery ids must not be zero",
            ));
        }
        Ok(Receiver {
            inner: Arc::new(Shared {
                verify: self.verify,
                store: self
                    .store
                    .unwrap_or_else(|| Arc::new(InMemoryStore::new(100_000))),
                queue: self
                    .queue
                    .unwrap_or_else(|| Arc::new(InMemoryQueue::new(10_000))),
                ttl: self.ttl,
                retry_after: self.retry_after,
                stats: Stats::default(),
            }),
            event: PhantomData,
        })
    }
}

/// What [`Receiver::receive`] did with a delivery.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Verified, claimed and enqueued: `202 Accepted`.
    Accepted,
    /// A delivery with this id is pending or done; acknowledged without
    /// enqueueing: `200 OK`.
    Duplicate,
    /// Verification failed: the error's status (400, 401, 413).
    Rejected(WebhookError),
    /// The queue (or the idempotency store) refused it; the claim was
    /// released: `503` with `Retry-After`.
    Unavailable {
        /// The wait sent in `Retry-After`.
        retry_after: Duration,
    },
}

impl Outcome {
    /// The HTTP status to answer with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Outcome::Accepted => StatusCode::ACCEPTED,
            Outcome::Duplicate => StatusCode::OK,
            Outcome::Rejected(e) => e.status(),
            Outcome::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Whether the provider is told the delivery was received (a 2xx).
    #[must_use]
    pub fn is_acknowledged(&self) -> bool {
        matches!(self, Outcome::Accepted | Outcome::Duplicate)
    }

    /// The `Retry-After` value in whole seconds (rounded up, at least 1),
    /// for [`Outcome::Unavailable`].
    #[must_use]
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Outcome::Unavailable { retry_after } => {
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                Some(secs.max(1))
            }
            _ => None,
        }
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for Outcome {
    fn into_response(self) -> axum::response::Response {
        let status = self.status();
        match self {
            Outcome::Accepted => (status, "accepted").into_response(),
            Outcome::Duplicate => (status, "duplicate").into_response(),
            Outcome::Rejected(e) => (status, e.to_string()).into_response(),
            Outcome::Unavailable { .. } => {
                let secs = self.retry_after_secs().unwrap_or(1);
                (
                    status,
                    [(http::header::RETRY_AFTER, secs.to_string())],
                    "busy, retry later",
                )
                    .into_response()
            }
        }
    }
}

//! The receiver pipeline: verify -> admit (claim the delivery id and
//! enqueue, in one step of the receipt backend) -> acknowledge; a worker
//! pool runs the handler.

mod intake;
mod stats;
mod worker;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use super::typed::{DEFAULT_BODY_TIMEOUT, usable_id};
use super::{Webhook, WebhookError, WebhookVerifier};
use crate::store::{Admission, IdState, InMemoryBackend, Job, ReceiptBackend};

pub use stats::ReceiverStats;
pub use worker::{Abandoned, JobInfo, ShutdownReport, WorkerPool, WorkerPoolBuilder};

use intake::Intake;
use stats::Stats;

/// How a receiver checks a delivery: verifies it, checks that its payload
/// decodes, and returns its delivery id (`None` when it has none).
type VerifyFn = dyn Fn(&HeaderMap, &[u8]) -> Result<Option<String>, WebhookError> + Send + Sync;

/// The receiving end of one event type `E`: verifies a delivery, admits it
/// (claims its id and enqueues it, in one atomic step of the
/// [`ReceiptBackend`]) and acknowledges it at once; a [`WorkerPool`] from
/// [`workers`](Receiver::workers) runs the handler.
///
/// Cheap to clone (`Arc` inside). Serve it with
/// [`method_router`](Receiver::method_router) (feature `axum`; reads the
/// body itself under `max_body` and `body_timeout`) or call
/// [`receive`](Receiver::receive) from any server.
pub struct Receiver<E> {
    inner: Arc<Shared>,
    event: PhantomData<fn() -> E>,
}

pub(crate) struct Shared {
    verify: Box<VerifyFn>,
    pub(crate) backend: Arc<dyn ReceiptBackend>,
    pub(crate) ttl: Duration,
    retry_after: Duration,
    max_body: usize,
    body_timeout: Duration,
    pub(crate) intake: Intake,
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
        let inner = &*self.inner;
        f.debug_struct("Receiver")
            .field("event", &std::any::type_name::<E>())
            .field("ttl", &inner.ttl)
            .field("retry_after", &inner.retry_after)
            .field("max_body", &inner.max_body)
            .field("body_timeout", &inner.body_timeout)
            .field("accepting", &inner.intake.is_open())
            .field("stats", &inner.stats.snapshot())
            .finish_non_exhaustive()
    }
}

impl<E: Webhook> Receiver<E> {
    /// A builder over the typed verifier of `E`: a delivery is verified,
    /// decoded into `E`, and its id read from where `E`'s declaration
    /// says (`delivery_id = ..`, or the scheme's default; for Standard
    /// Webhooks always the signed id). The body limit and read deadline
    /// start as the verifier's.
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
        let max_body = verifier.max_body();
        let body_timeout = verifier.body_timeout();
        let mut builder = Self::builder_with(move |headers, body| {
            verifier
                .verify(headers, body)
                .map(|verified| verified.into_parts().1)
        });
        builder.max_body = max_body;
        builder.body_timeout = body_timeout;
        builder
    }
}

impl<E: DeserializeOwned + Send + 'static> Receiver<E> {
    /// How long a done delivery id is remembered when no TTL is set: 72
    /// hours (Stripe retries for 3 days).
    pub const DEFAULT_TTL: Duration = Duration::from_secs(72 * 3600);

    /// The `Retry-After` sent with a 503 when none is set: 5 seconds.
    pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

    /// The whole-body read deadline when none is set: 10 seconds.
    pub const DEFAULT_BODY_TIMEOUT: Duration = DEFAULT_BODY_TIMEOUT;

    /// A builder over a checking function: it verifies the delivery (the
    /// signature over the raw bytes first), checks that the payload
    /// decodes into `E`, and returns the delivery id, or `None` when the
    /// delivery has none (it is then processed without deduplication). An
    /// id it returns is held to the same rule as the typed verifier's (at
    /// most 256 bytes, not empty, no control characters; else 400).
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
            backend: None,
            ttl: Self::DEFAULT_TTL,
            retry_after: Self::DEFAULT_RETRY_AFTER,
            max_body: super::Verifier::DEFAULT_MAX_BODY,
            body_timeout: Self::DEFAULT_BODY_TIMEOUT,
            event: PhantomData,
        }
    }

    /// A builder over an untyped [`Verifier`](super::Verifier): the
    /// delivery is verified against the system clock, its payload decoded
    /// as JSON into `E`, and its id read by `delivery_id` from the headers
    /// and the raw body. The body limit starts as the verifier's.
    pub fn from_verifier<F>(verifier: super::Verifier, delivery_id: F) -> ReceiverBuilder<E>
    where
        F: Fn(&HeaderMap, &[u8]) -> Option<String> + Send + Sync + 'static,
    {
        let max_body = verifier.max_body();
        let mut builder = Self::builder_with(move |headers, body| {
            verifier.verify(headers, body)?;
            serde_json::from_slice::<E>(body).map_err(WebhookError::invalid_payload)?;
            Ok(delivery_id(headers, body))
        });
        builder.max_body = max_body;
        builder
    }

    /// Handles one delivery whose body was read: verify, then admit. See
    /// [`Outcome`] for the answers.
    ///
    /// Cancel-safe: the backend's admission is atomic, so a dropped future
    /// (a provider that hung up) leaves the delivery either admitted (its
    /// redelivery is then a duplicate, and the job is processed) or not
    /// admitted at all (its redelivery is admitted).
    pub async fn receive(&self, headers: &HeaderMap, body: Bytes) -> Outcome {
        let inner = &*self.inner;
        let Some(_admitting) = inner.intake.enter() else {
            inner.stats.unavailable();
            tracing::debug!(
                webhook.event = "unavailable",
                reason = "stopped",
                "webhook delivery refused: the workers have stopped"
            );
            return self.unavailable();
        };
        let id = match (inner.verify)(headers, &body) {
            Ok(Some(id)) if !usable_id(&id) => Err(WebhookError::invalid_delivery_id()),
            checked => checked,
        };
        let id = match id {
            Ok(id) => id,
            Err(e) => return self.rejected(e),
        };
        inner.stats.received();
        tracing::trace!(
            webhook.event = "received",
            delivery.id = id.as_deref(),
            "webhook delivery received"
        );
        let content_type = headers.get(header::CONTENT_TYPE).cloned();
        let job = Job::new(id.clone(), body).with_content_type(content_type);
        match inner.backend.admit(job, inner.ttl).await {
            Ok(Admission::Admitted) => {
                inner.stats.enqueued();
                Outcome::Accepted
            }
            Ok(Admission::Duplicate(state)) => {
                inner.stats.duplicate();
                tracing::debug!(
                    webhook.event = "duplicate",
                    delivery.id = id.as_deref(),
                    delivery.state = match state {
                        IdState::Pending => "pending",
                        IdState::Done => "done",
                    },
                    "duplicate webhook delivery acknowledged"
                );
                Outcome::Duplicate
            }
            Err(e) => {
                inner.stats.unavailable();
                tracing::warn!(
                    webhook.event = "unavailable",
                    delivery.id = id.as_deref(),
                    error = %e,
                    "the receipt backend did not admit the delivery"
                );
                self.unavailable()
            }
        }
    }

    fn rejected(&self, e: WebhookError) -> Outcome {
        self.inner.stats.rejected();
        tracing::debug!(
            webhook.event = "rejected",
            http.status = e.status().as_u16(),
            error = %e,
            "webhook delivery rejected"
        );
        Outcome::Rejected(e)
    }

    fn unavailable(&self) -> Outcome {
        Outcome::Unavailable {
            retry_after: self.inner.retry_after,
        }
    }

    /// A builder of the worker pool that runs the handler on this
    /// receiver's jobs.
    pub fn workers(&self) -> WorkerPoolBuilder<E> {
        WorkerPoolBuilder::new(Arc::clone(&self.inner))
    }

    /// The counters of received, duplicate, processed, failed and
    /// dead-lettered deliveries.
    #[must_use]
    pub fn stats(&self) -> ReceiverStats {
        self.inner.stats.snapshot()
    }

    /// The receipt backend (inspect it, list, re-drive or purge dead
    /// letters).
    #[must_use]
    pub fn backend(&self) -> &Arc<dyn ReceiptBackend> {
        &self.inner.backend
    }

    /// Whether deliveries are admitted: until the last worker pool on
    /// this receiver stops (or before any is started), after which every
    /// delivery is answered 503.
    #[must_use]
    pub fn is_accepting(&self) -> bool {
        self.inner.intake.is_open()
    }

    /// The largest body the route reads, in bytes.
    #[must_use]
    pub fn max_body(&self) -> usize {
        self.inner.max_body
    }

    /// The route's whole-body read deadline.
    #[must_use]
    pub fn body_timeout(&self) -> Duration {
        self.inner.body_timeout
    }

    /// A `POST` route that reads the body itself (at most
    /// [`max_body`](ReceiverBuilder::max_body) bytes, within
    /// [`body_timeout`](ReceiverBuilder::body_timeout); axum's
    /// `DefaultBodyLimit` does not apply) and answers with
    /// [`receive`](Receiver::receive)'s [`Outcome`]; mount it with
    /// `Router::route(path, ..)`.
    #[cfg(feature = "axum")]
    pub fn method_router<S>(&self) -> axum::routing::MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let receiver = self.clone();
        axum::routing::post(move |request: axum::extract::Request| async move {
            receiver.receive_request(request).await
        })
    }

    #[cfg(feature = "axum")]
    async fn receive_request(&self, request: axum::extract::Request) -> Outcome {
        let inner = &*self.inner;
        if !inner.intake.is_open() {
            // Answered before reading the body.
            inner.stats.unavailable();
            return self.unavailable();
        }
        let (parts, body) = request.into_parts();
        match super::body::read(&parts.headers, body, inner.max_body, inner.body_timeout).await {
            Ok(bytes) => self.receive(&parts.headers, bytes).await,
            Err(e) => self.rejected(e),
        }
    }
}

/// Builds a [`Receiver`].
#[must_use]
pub struct ReceiverBuilder<E> {
    verify: Box<VerifyFn>,
    backend: Option<Arc<dyn ReceiptBackend>>,
    ttl: Duration,
    retry_after: Duration,
    max_body: usize,
    body_timeout: Duration,
    event: PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for ReceiverBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverBuilder")
            .field("ttl", &self.ttl)
            .field("retry_after", &self.retry_after)
            .field("max_body", &self.max_body)
            .field("body_timeout", &self.body_timeout)
            .finish_non_exhaustive()
    }
}

impl<E: DeserializeOwned + Send + 'static> ReceiverBuilder<E> {
    /// The receipt backend; default an [`InMemoryBackend`] with its default
    /// bounds.
    pub fn backend(mut self, backend: impl ReceiptBackend) -> Self {
        self.backend = Some(Arc::new(backend));
        self
    }

    /// The receipt backend, shared (e.g. to inspect it from a test).
    pub fn shared_backend(mut self, backend: Arc<dyn ReceiptBackend>) -> Self {
        self.backend = Some(backend);
        self
    }

    /// How long a done delivery id is remembered; default
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

    /// The largest body [`method_router`](Receiver::method_router) reads,
    /// in bytes; default the verifier's `max_body` (1 MiB unless set). A
    /// typed verifier still applies its own limit: raise both.
    pub fn max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    /// The deadline for reading a whole body in
    /// [`method_router`](Receiver::method_router); default the verifier's
    /// (10 s unless set). A body still arriving then is answered 408 and
    /// its connection closed.
    pub fn body_timeout(mut self, body_timeout: Duration) -> Self {
        self.body_timeout = body_timeout;
        self
    }

    /// The receiver.
    ///
    /// # Errors
    ///
    /// A [`Config`](crate::ErrorKind::Config) error when the TTL, the body
    /// limit or the body deadline is zero.
    pub fn build(self) -> crate::Result<Receiver<E>> {
        if self.ttl.is_zero() {
            return Err(crate::Error::config(
                "webhook receiver: the ttl of delivery ids must not be zero",
            ));
        }
        if self.max_body == 0 {
            return Err(crate::Error::config(
                "webhook receiver: `max_body` must not be zero",
            ));
        }
        if self.body_timeout.is_zero() {
            return Err(crate::Error::config(
                "webhook receiver: `body_timeout` must not be zero",
            ));
        }
        Ok(Receiver {
            inner: Arc::new(Shared {
                verify: self.verify,
                backend: self
                    .backend
                    .unwrap_or_else(|| Arc::new(InMemoryBackend::new())),
                ttl: self.ttl,
                retry_after: self.retry_after,
                max_body: self.max_body,
                body_timeout: self.body_timeout,
                intake: Intake::default(),
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
    /// Verified and admitted (its id claimed and its job enqueued, in one
    /// step): `202 Accepted`.
    Accepted,
    /// A delivery with this id was admitted before and its job is held or
    /// finished; acknowledged without enqueueing: `200 OK`.
    Duplicate,
    /// Verification failed, or the body could not be read: the error's
    /// status (400, 401, 408, 413).
    Rejected(WebhookError),
    /// The backend is full or unavailable, or the workers have stopped;
    /// nothing was claimed: `503` with `Retry-After`.
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
            Outcome::Rejected(e) => super::body::error_response(&e),
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

//! What a receipt backend holds: jobs, leases on them, dead letters, and
//! the counts it reports.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};

/// One admitted delivery: its id (when it has one), the raw verified
/// payload, its content type, the headers kept with it and the number of
/// times it was handed to a worker.
///
/// The payload is kept as bytes, not as the decoded event, so a backend
/// can store it as is; the worker decodes it again for each attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    delivery_id: Option<String>,
    payload: Bytes,
    content_type: Option<HeaderValue>,
    headers: HeaderMap,
    attempts: u32,
}

impl Job {
    /// A job for a delivery, never handed to a worker yet.
    #[must_use]
    pub fn new(delivery_id: Option<String>, payload: Bytes) -> Self {
        Job {
            delivery_id,
            payload,
            content_type: None,
            headers: HeaderMap::new(),
            attempts: 0,
        }
    }

    /// The same job with the delivery's `Content-Type`.
    #[must_use]
    pub fn with_content_type(mut self, content_type: Option<HeaderValue>) -> Self {
        self.content_type = content_type;
        self
    }

    /// The same job with headers kept from the delivery (the receiver
    /// keeps none today; a backend restores what it stored).
    #[must_use]
    pub fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }

    /// The same job with `attempts` recorded (for backends restoring a
    /// stored job).
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

    /// The delivery's `Content-Type`, if it sent one.
    #[must_use]
    pub fn content_type(&self) -> Option<&HeaderValue> {
        self.content_type.as_ref()
    }

    /// The headers kept with the job.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// How many times the job was handed to a worker (taken), this time
    /// included when read from a [`Lease`]. Failed attempts, and attempts
    /// whose worker stopped or whose lease expired, all count.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The bytes the job holds in a backend's budget: payload and id.
    #[must_use]
    pub fn size(&self) -> usize {
        self.payload
            .len()
            .saturating_add(self.delivery_id.as_ref().map_or(0, String::len))
    }

    /// The same job with its payload in an allocation of its own, of its
    /// exact size: a payload sliced from a larger buffer (a server's read
    /// buffer) would otherwise keep all of it alive, past the byte bound.
    pub(crate) fn with_own_payload(mut self) -> Self {
        self.payload = Bytes::copy_from_slice(&self.payload);
        self
    }

    pub(crate) fn count_attempt(&mut self) {
        self.attempts = self.attempts.saturating_add(1);
    }
}

/// A job handed to a worker by
/// [`ReceiptBackend::take`](super::ReceiptBackend::take), held until it
/// is acknowledged, retried, dead-lettered or released, or until the lease
/// expires (the job is then handed out again).
///
/// The receipt names the job in the backend (a stream entry id, say); the
/// token names this lease of it, so an operation on a lease that expired
/// and was handed out again is recognised and does nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    receipt: String,
    token: u64,
    job: Job,
}

impl Lease {
    /// A lease on `job` (for backend implementations).
    #[must_use]
    pub fn new(receipt: impl Into<String>, token: u64, job: Job) -> Self {
        Lease {
            receipt: receipt.into(),
            token,
            job,
        }
    }

    /// The backend's name for the job.
    #[must_use]
    pub fn receipt(&self) -> &str {
        &self.receipt
    }

    /// The backend's name for this lease of the job.
    #[must_use]
    pub fn token(&self) -> u64 {
        self.token
    }

    /// The job, its attempts counting this one.
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

/// A job given up on (every attempt failed, or it could never be decoded),
/// kept with its last error for inspection, re-drive or purge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The backend's name for it: pass it to
    /// [`redrive`](super::ReceiptBackend::redrive) or
    /// [`purge`](super::ReceiptBackend::purge).
    pub receipt: String,
    /// The job, with the number of attempts made.
    pub job: Job,
    /// The last error's text.
    pub error: String,
}

impl DeadLetter {
    /// A dead letter (for backend implementations).
    #[must_use]
    pub fn new(receipt: impl Into<String>, job: Job, error: impl Into<String>) -> Self {
        DeadLetter {
            receipt: receipt.into(),
            job,
            error: error.into(),
        }
    }
}

/// What a receipt backend holds at one instant: counts, never a list of
/// every job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiptCounts {
    /// Jobs waiting for a worker.
    pub ready: usize,
    /// Jobs waiting for their retry time.
    pub delayed: usize,
    /// Jobs handed to a worker and not yet finished.
    pub leased: usize,
    /// Dead letters.
    pub dead_letters: usize,
    /// Delivery ids whose job is held (ready, delayed or leased).
    pub pending_ids: usize,
    /// Delivery ids remembered as done (handled or dead-lettered).
    pub done_ids: usize,
    /// Payload and id bytes held, dead letters included.
    pub bytes: usize,
}

impl ReceiptCounts {
    /// Jobs not finished: ready, delayed or leased.
    #[must_use]
    pub fn unfinished(&self) -> usize {
        self.ready + self.delayed + self.leased
    }
}

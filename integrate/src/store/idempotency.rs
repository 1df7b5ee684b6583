//! Idempotency claims: which delivery ids are being processed or done.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::BoxFuture;

/// The answer to [`IdempotencyStore::claim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Claim {
    /// The id was free (or its record had expired): the caller now holds
    /// it as pending and must either enqueue the delivery or
    /// [`release`](IdempotencyStore::release) it.
    Claimed,
    /// Another delivery with this id was accepted and is not finished.
    Pending,
    /// A delivery with this id was handled (or dead-lettered).
    Done,
}

/// A store of delivery ids for deduplication.
///
/// The shape follows Redis: [`claim`](IdempotencyStore::claim) is
/// `SET id pending NX PX ttl` (then `GET` when it did not set),
/// [`mark_done`](IdempotencyStore::mark_done) is `SET id done PX ttl`,
/// [`release`](IdempotencyStore::release) is `DEL id`. Records expire
/// after their TTL; an expired id can be claimed again.
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `id` as pending for `ttl`, unless a live record exists.
    ///
    /// # Errors
    ///
    /// When the store cannot take the claim: full of live records, or the
    /// backend is unreachable. The receiver answers 503 then, so the
    /// provider retries.
    fn claim<'a>(&'a self, id: &'a str, ttl: Duration) -> BoxFuture<'a, Result<Claim, StoreError>>;

    /// Records `id` as done for `ttl` (from now), whether or not it was
    /// pending.
    ///
    /// # Errors
    ///
    /// When the backend cannot record it.
    fn mark_done<'a>(&'a self, id: &'a str, ttl: Duration)
    -> BoxFuture<'a, Result<(), StoreError>>;

    /// Forgets `id`, so the next delivery with it is claimed afresh.
    ///
    /// # Errors
    ///
    /// When the backend cannot remove it.
    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// Why an [`IdempotencyStore`] could not answer.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct StoreError {
    kind: StoreErrorKind,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreErrorKind {
    Full,
    Backend,
}

impl fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreErrorKind::Full => "idempotency store full of unexpired records",
            StoreErrorKind::Backend => "idempotency store backend failed",
        })
    }
}

impl StoreError {
    /// The store is full of unexpired records and refuses new claims.
    #[must_use]
    pub fn full() -> Self {
        StoreError {
            kind: StoreErrorKind::Full,
            source: None,
        }
    }

    /// The backend failed (for backends other than the in-memory one).
    #[must_use]
    pub fn backend(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError {
            kind: StoreErrorKind::Backend,
            source: Some(source.into()),
        }
    }

    /// Whether the store refused because it is full.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.kind == StoreErrorKind::Full
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Done,
}

#[derive(Debug)]
struct Record {
    state: State,
    expires: Instant,
}

/// A bounded in-memory [`IdempotencyStore`] on tokio's clock.
///
/// It holds at most `capacity` records. When a claim finds it full, it
/// first drops every expired record; if it is still full, the claim is
/// refused with [`StoreError::full`] rather than evicting a live record
/// (evicting one would let a duplicate through). Records of one process
/// only: use a shared backend when several processes receive.
#[derive(Debug)]
pub struct InMemoryStore {
    capacity: usize,
    records: Mutex<HashMap<Box<str>, Record>>,
}

impl InMemoryStore {
    /// A store holding at most `capacity` records (at least 1).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        InMemoryStore {
            capacity: capacity.max(1),
            records: Mutex::new(HashMap::new()),
        }
    }

    /// The number of records held, expired ones not yet dropped included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds no record.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live state of `id`: `Some(Claim::Pending)`, `Some(Claim::Done)`,
    /// or `None` when it is free.
    #[must_use]
    pub fn state(&self, id: &str) -> Option<Claim> {
        let now = crate::time::now();
        self.lock()
            .get(id)
            .filter(|r| r.expires > now)
            .map(|r| match r.state {
                State::Pending => Claim::Pending,
                State::Done => Claim::Done,
            })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Record>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (each operation is a single insert or remove), so recover.
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn claim_now(&self, id: &str, ttl: Duration) -> Result<Claim, StoreError> {
        let now = crate::time::now();
        let expires = deadline(now, ttl);
        let mut records = self.lock();
        if let Some(r) = records.get_mut(id) {
            if r.expires > now {
                return Ok(match r.state {
                    State::Pending => Claim::Pending,
                    State::Done => Claim::Done,
                });
            }
            r.state = State::Pending;
            r.expires = expires;
            return Ok(Claim::Claimed);
        }
        if records.len() >= self.capacity {
            records.retain(|_, r| r.expires > now);
            if records.len() >= self.capacity {
                return Err(StoreError::full());
            }
        }
        records.insert(
            id.into(),
            Record {
                state: State::Pending,
                expires,
            },
        );
        Ok(Claim::Claimed)
    }

    fn mark_done_now(&self, id: &str, ttl: Duration) {
        let now = crate::time::now();
        let expires = deadline(now, ttl);
        let mut records = self.lock();
        match records.get_mut(id) {
            Some(r) => {
                r.state = State::Done;
                r.expires = expires;
            }
            None => {
                // Done records are kept even past capacity: dropping one
                // would let a duplicate through. Pending claims are the
                // ones refused when full, which bounds the growth.
                records.insert(
                    id.into(),
                    Record {
                        state: State::Done,
                        expires,
                    },
                );
            }
        }
    }
}

fn deadline(now: Instant, ttl: Duration) -> Instant {
    // A TTL too long for the clock is as good as forever: a year.
    now.checked_add(ttl)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

impl IdempotencyStore for InMemoryStore {
    fn claim<'a>(&'a self, id: &'a str, ttl: Duration) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async move { self.claim_now(id, ttl) })
    }

    fn mark_done<'a>(
        &'a self,
        id: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.mark_done_now(id, ttl);
            Ok(())
        })
    }

    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.lock().remove(id);
            Ok(())
        })
    }
}

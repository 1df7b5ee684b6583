//! Where the webhook receiver keeps what it acknowledged: the
//! [`ReceiptBackend`] trait and the bounded [`InMemoryBackend`].
//!
//! One trait carries both the delivery ids (deduplication) and the jobs
//! (the queue the workers read), because admitting a delivery must claim
//! its id and enqueue it in one atomic step. Its methods return boxed
//! futures, so it is object-safe (`Arc<dyn ReceiptBackend>`) and a
//! networked backend (Redis: scripts over claim keys, a stream with a
//! consumer group, a delayed set, a dead-letter stream) implements the
//! same shape.

mod backend;
mod error;
mod job;
mod memory;

use std::future::Future;
use std::pin::Pin;

pub use backend::{Admission, IdState, ReceiptBackend};
pub use error::ReceiptError;
pub use job::{DeadLetter, Job, Lease, ReceiptCounts};
pub use memory::{InMemoryBackend, InMemoryBackendBuilder};

/// A boxed, `Send` future: what [`ReceiptBackend`]'s methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

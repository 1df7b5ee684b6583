//! Storage behind the webhook receiver: idempotency claims and the job
//! queue.
//!
//! Both are traits whose methods return boxed futures, so they are
//! object-safe (`Arc<dyn IdempotencyStore>`, `Arc<dyn Queue>`) and a
//! networked backend (Redis: `SET NX PX`, Streams) can implement them
//! without changing their shape. The in-memory implementations are
//! bounded and run on tokio's clock.

mod idempotency;
mod queue;

use std::future::Future;
use std::pin::Pin;

pub use idempotency::{Claim, IdempotencyStore, InMemoryStore, StoreError};
pub use queue::{DeadLetter, InMemoryQueue, Job, Lease, Queue, QueueError, QueueSnapshot};

/// A boxed, `Send` future: what the storage traits' methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

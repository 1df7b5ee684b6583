//! Verified inbound webhooks.
//!
//! A [`Verifier`] checks a delivery's HMAC-SHA256 signature over the raw
//! body, its time window and its size, for one of the provider
//! [`Scheme`]s and one or more secrets (rotation), before anything parses
//! the body. A rejected delivery is a [`WebhookError`] that says which
//! HTTP status to answer with.
//!
#![doc = include_str!("../../../docs/webhooks.md")]

mod error;
mod parse;
mod receiver;
mod scheme;
mod verifier;

#[cfg(test)]
mod tests;

pub use error::{WebhookError, WebhookErrorKind};
pub use scheme::{Encoding, HmacScheme, Scheme};
pub use verifier::{Delivery, Verifier, VerifierBuilder};

pub use receiver::{
    Outcome, Receiver, ReceiverBuilder, ReceiverStats, WorkerPool, WorkerPoolBuilder,
};

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
#[cfg(feature = "axum")]
mod extract;
mod field;
mod parse;
mod receiver;
mod scheme;
mod typed;
mod verifier;

#[cfg(test)]
mod tests;

pub use error::{WebhookError, WebhookErrorKind};
pub use scheme::{Encoding, HmacScheme, Scheme};
pub use verifier::{Delivery, Verifier, VerifierBuilder};

#[cfg(feature = "axum")]
pub use extract::WebhookRejection;
pub use integrate_macros::webhook;
pub use receiver::{
    Outcome, Receiver, ReceiverBuilder, ReceiverStats, WorkerPool, WorkerPoolBuilder,
};
pub use typed::{
    DeclareWebhook, DeliveryId, Verified, Webhook, WebhookDeclaration, WebhookPayload,
    WebhookVerifier, WebhookVerifierBuilder,
};

//! Verified inbound webhooks.
//!
//! A [`Verifier`] checks a delivery's HMAC-SHA256 signature over the raw
//! body, its time window and its size, for one of the provider
//! [`Scheme`]s and one or more secrets (rotation), before anything parses
//! the body. A rejected delivery is a [`WebhookError`] that says which
//! HTTP status to answer with.
//!
#![doc = include_str!("../../../docs/webhooks.md")]

#[cfg(feature = "axum")]
mod body;
mod error;
#[cfg(feature = "axum")]
mod extract;
pub(crate) mod field;
pub(crate) mod parse;
mod receiver;
mod scheme;
#[cfg(feature = "axum")]
mod server;
pub(crate) mod typed;
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
    Abandoned, JobInfo, Outcome, Receiver, ReceiverBuilder, ReceiverStats, ShutdownReport,
    WorkerPool, WorkerPoolBuilder,
};
#[cfg(feature = "axum")]
pub use server::{Serve, serve};
pub use typed::{
    DeclareWebhook, DeliveryId, Verified, Webhook, WebhookDeclaration, WebhookPayload,
    WebhookVerifier, WebhookVerifierBuilder,
};

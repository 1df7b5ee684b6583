#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod call;
mod client;
pub mod error;
mod resilience;
pub mod store;
mod telemetry;
mod time;
pub mod transport;
pub mod webhook;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use auth::{Auth, SignRequest};
pub use bytes::Bytes;
pub use call::Call;
pub use client::{Client, ClientBuilder, DEFAULT_MAX_RETRY_AFTER, DecodeBody, Response};
pub use error::{Error, ErrorKind, Result};
pub use http::{self, HeaderMap, Method, StatusCode};
pub use integrate_macros::{integration, webhook};
pub use resilience::circuit::{CircuitBreakerPolicy, CircuitState};
pub use resilience::rate_limit::RateLimit;
pub use resilience::retry::{Jitter, RetryOverride, RetryPolicy};
pub use resilience::timeout::{TimeoutOverride, Timeouts};
pub use transport::{ReqwestTransport, Transport, TransportError, TransportErrorKind};

/// Guides: how each policy behaves, its declaration and builder form, and
/// how its defaults compare with other ecosystems'. Their examples run as
/// doctests; the focused examples of the `integrate-examples` package run
/// the same behaviour against the testkit's fake providers.
pub mod guide {
    /// Retries and idempotency.
    #[doc = include_str!("../../docs/retries.md")]
    pub mod retries {}

    /// The circuit breaker.
    #[doc = include_str!("../../docs/circuit-breaker.md")]
    pub mod circuit_breaker {}

    /// Rate limits.
    #[doc = include_str!("../../docs/rate-limits.md")]
    pub mod rate_limits {}

    /// Timeouts.
    #[doc = include_str!("../../docs/timeouts.md")]
    pub mod timeouts {}

    /// Auth and secrets.
    #[doc = include_str!("../../docs/auth.md")]
    pub mod auth {}

    /// Webhooks.
    #[doc = include_str!("../../docs/webhooks.md")]
    pub mod webhooks {}

    /// Testing with the testkit.
    #[doc = include_str!("../../docs/testing.md")]
    pub mod testing {}
}

/// `use integrate::prelude::*;` brings the macros, [`Result`], [`Error`]
/// and [`ErrorKind`] into scope.
pub mod prelude {
    pub use crate::integration;
    pub use crate::webhook::webhook;
    pub use crate::{Error, ErrorKind, Result};
}

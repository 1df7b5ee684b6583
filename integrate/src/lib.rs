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
pub use client::{Client, ClientBuilder, DecodeBody, Response};
pub use error::{Error, ErrorKind, Result};
pub use http::{self, HeaderMap, Method, StatusCode};
pub use integrate_macros::{integration, webhook};
pub use resilience::circuit::{CircuitBreakerPolicy, CircuitState};
pub use resilience::rate_limit::RateLimit;
pub use resilience::retry::{Jitter, RetryOverride, RetryPolicy};
pub use resilience::timeout::{TimeoutOverride, Timeouts};
pub use transport::{ReqwestTransport, Transport, TransportError, TransportErrorKind};

/// `use integrate::prelude::*;` brings the macros, [`Result`], [`Error`]
/// and [`ErrorKind`] into scope.
pub mod prelude {
    pub use crate::integration;
    pub use crate::webhook::webhook;
    pub use crate::{Error, ErrorKind, Result};
}

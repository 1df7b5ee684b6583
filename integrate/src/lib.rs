//! integrate: typed, resilient clients for third-party HTTP APIs and
//! verified webhook receivers.

pub mod error;
pub(crate) mod resilience;
pub mod transport;
pub mod webhook;

pub use bytes::Bytes;
pub use error::{Error, ErrorKind, Result};
pub use resilience::{
    circuit::{CircuitBreakerPolicy, CircuitState},
    rate_limit::RateLimit,
};
pub use transport::{ReqwestTransport, Transport, TransportError, TransportErrorKind};

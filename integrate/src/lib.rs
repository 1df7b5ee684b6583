//! integrate: typed, resilient clients for third-party HTTP APIs and
//! verified webhook receivers.

pub mod error;
pub mod transport;
pub mod webhook;

pub use bytes::Bytes;
pub use error::{Error, ErrorKind, Result};
pub use transport::{ReqwestTransport, Transport, TransportError, TransportErrorKind};

pub(crate) mod resilience {
    pub(crate) mod retry {
        pub(crate) fn status_is_retryable(
            status: http::StatusCode,
            retry_after: Option<std::time::Duration>,
        ) -> bool {
            matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
                || (status == http::StatusCode::FORBIDDEN && retry_after.is_some())
        }
    }
}

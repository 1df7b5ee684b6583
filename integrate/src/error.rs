//! The one error type of every integrate call, and its classification.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;

/// A boxed error that may be carried as the source of an [`Error`].
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the default error type.
///
/// The second parameter keeps a glob import of the prelude from breaking
/// code that writes `Result<(), String>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong with a call. See [`Error::kind`].
///
/// New kinds may be added: match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Nothing was sent: DNS failure, connection refused, connect timeout,
    /// TLS handshake failure or certificate rejection.
    Connect,
    /// The request was sent and the connection was lost before the
    /// response head arrived.
    Network,
    /// The response body could not be read: reset, truncated, or larger
    /// than the size cap.
    Body,
    /// The attempt timeout or the total deadline passed.
    Timeout,
    /// A final non-2xx status other than 429 (401 and 403 included, and a
    /// 503 whose `Retry-After` passes the deadline). Redirects are not
    /// followed: a 3xx is a `Status` error too.
    Status,
    /// A final 429, or a local rate limiter wait that would end after the
    /// deadline.
    RateLimited,
    /// The circuit breaker is open (or half-open with every trial slot
    /// taken): nothing was sent.
    CircuitOpen,
    /// A 2xx response body could not be decoded into the return type.
    Decode,
    /// An argument could not be serialised into the request.
    Encode,
    /// Getting or applying a credential failed.
    Auth,
    /// The client or the call is misconfigured: a missing environment
    /// variable, a bad URL, a bad header value, an empty path value.
    Config,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Connect => "could not connect",
            ErrorKind::Network => "connection lost before the response",
            ErrorKind::Body => "could not read the response body",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Status => "unsuccessful status",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::CircuitOpen => "circuit breaker open",
            ErrorKind::Decode => "could not decode the response",
            ErrorKind::Encode => "could not encode the request",
            ErrorKind::Auth => "authentication failed",
            ErrorKind::Config => "invalid configuration",
        }
    }

    /// A short, stable, lowercase name, used as the `error.type` of the
    /// call span.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Network => "network",
            ErrorKind::Body => "body",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Status => "status",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::CircuitOpen => "circuit_open",
            ErrorKind::Decode => "decode",
            ErrorKind::Encode => "encode",
            ErrorKind::Auth => "auth",
            ErrorKind::Config => "config",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of an integrate call or of building a client.
///
/// Opaque and pointer-sized. Its `Display`, `Debug` and `source()` chain
/// never contain credentials nor URLs: transport errors are stripped of
/// their URL before they are stored.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    status: Option<StatusCode>,
    retry_after: Option<Duration>,
    attempts: u32,
    operation: Option<&'static str>,
    body: Option<Bytes>,
    message: Option<Cow<'static, str>>,
    source: Option<BoxError>,
    retryable: bool,
}

/// The most of a non-2xx body kept for [`Error::body`].
pub(crate) const ERROR_BODY_LIMIT: usize = 64 * 1024;

impl Error {
    fn new(kind: ErrorKind) -> Self {
        let retryable = matches!(
            kind,
            ErrorKind::Connect
                | ErrorKind::Network
                | ErrorKind::Body
                | ErrorKind::Timeout
                | ErrorKind::RateLimited
        );
        Error {
            inner: Box::new(Inner {
                kind,
                status: None,
                retry_after: None,
                attempts: 0,
                operation: None,
                body: None,
                message: None,
                source: None,
                retryable,
            }),
        }
    }

    pub(crate) fn with_message(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        let mut e = Error::new(kind);
        e.inner.message = Some(message.into());
        e
    }

    /// A `Config` error: the client or call is misconfigured.
    pub fn config(message: impl Into<Cow<'static, str>>) -> Self {
        Error::with_message(ErrorKind::Config, message)
    }

    /// An `Encode` error: an argument could not be serialised.
    pub fn encode(message: impl Into<Cow<'static, str>>) -> Self {
        Error::with_message(ErrorKind::Encode, message)
    }

    /// An `Auth` error: getting or applying a credential failed.
    ///
    /// Use it from a [`SignRequest`](crate::SignRequest) implementation.
    /// The message must not contain the credential.
    pub fn auth(message: impl Into<Cow<'static, str>>) -> Self {
        Error::with_message(ErrorKind::Auth, message)
    }

    pub(crate) fn decode(source: impl Into<BoxError>) -> Self {
        Error::new(ErrorKind::Decode).with_source(source)
    }

    pub(crate) fn from_status(
        status: StatusCode,
        body: Bytes,
        retry_after: Option<Duration>,
    ) -> Self {
        let kind = if status == StatusCode::TOO_MANY_REQUESTS {
            ErrorKind::RateLimited
        } else {
            ErrorKind::Status
        };
        let mut e = Error::new(kind);
        e.inner.status = Some(status);
        e.inner.retryable = crate::resilience::retry::status_is_retryable(status, retry_after);
        e.inner.retry_after = retry_after;
        let keep = body.len().min(ERROR_BODY_LIMIT);
        e.inner.body = Some(body.slice(..keep));
        e
    }

    pub(crate) fn timeout(what: &'static str) -> Self {
        Error::with_message(ErrorKind::Timeout, what)
    }

    #[allow(dead_code)] // used by the circuit breaker
    pub(crate) fn circuit_open(retry_after: Option<Duration>) -> Self {
        let mut e = Error::new(ErrorKind::CircuitOpen);
        e.inner.retry_after = retry_after;
        e
    }

    #[allow(dead_code)] // used by the rate limiter
    pub(crate) fn rate_limited_locally(wait: Duration) -> Self {
        let mut e = Error::with_message(
            ErrorKind::RateLimited,
            "the rate limiter's next slot begins after the deadline",
        );
        e.inner.retry_after = Some(wait);
        e
    }

    /// A call refused by the client-wide pause that a provider's
    /// `Retry-After` started, because the pause ends after its deadline.
    pub(crate) fn paused_by_provider(wait: Duration) -> Self {
        let mut e = Error::with_message(
            ErrorKind::RateLimited,
            "the provider asked for a pause (Retry-After) that ends after this call's deadline; nothing was sent",
        );
        e.inner.retry_after = Some(wait);
        e
    }

    pub(crate) fn from_transport(err: crate::transport::TransportError) -> Self {
        let kind = match err.kind() {
            crate::transport::TransportErrorKind::Connect
            | crate::transport::TransportErrorKind::CertificateRejected => ErrorKind::Connect,
            crate::transport::TransportErrorKind::Network => ErrorKind::Network,
            crate::transport::TransportErrorKind::Body
            | crate::transport::TransportErrorKind::BodyTooLarge => ErrorKind::Body,
            crate::transport::TransportErrorKind::Redirected => ErrorKind::Config,
        };
        let retryable = err.is_retryable();
        let mut e = Error::new(kind);
        if err.kind() == crate::transport::TransportErrorKind::Redirected {
            e.inner.message = Some(Cow::Borrowed(
                "the HTTP client followed a redirect, which may have sent the request's credentials to another origin; build it from `ReqwestTransport::client_builder()`",
            ));
        }
        e.inner.retryable = retryable;
        e.inner.source = Some(Box::new(err));
        e
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.inner.attempts = attempts;
    }

    pub(crate) fn set_operation(&mut self, operation: Option<&'static str>) {
        if self.inner.operation.is_none() {
            self.inner.operation = operation;
        }
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of a `Status` or `RateLimited` error that came from
    /// the provider.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// How long to wait before trying again: the provider's `Retry-After`,
    /// the remaining open time of a circuit, or the wait a local rate
    /// limiter would have needed.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// How many requests were sent for this call (0 when none was).
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The operation, as `"Trait::method"`, when the call came from an
    /// `#[integration]` trait or named one.
    #[must_use]
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// The first 64 KiB of the body of a non-2xx response, for provider
    /// error codes.
    #[must_use]
    pub fn body(&self) -> Option<&[u8]> {
        self.inner.body.as_deref()
    }

    /// Whether the outcome is transient, so that the same call may succeed
    /// later: connection failures, lost connections, body read failures,
    /// timeouts, 408, 429, 500, 502, 503, 504 and a 403 carrying
    /// `Retry-After`. A TLS certificate rejection, an over-size body, other
    /// 4xx, 501, decode, encode, auth, config and open-circuit errors are
    /// not.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.inner.retryable
    }

    /// Whether this error is a timeout (attempt or total).
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        if let Some(op) = inner.operation {
            write!(f, "{op}: ")?;
        }
        match (&inner.message, inner.status) {
            (_, Some(status)) => write!(f, "HTTP {status}")?,
            (Some(message), None) => write!(f, "{}: {message}", inner.kind.describe())?,
            (None, None) => f.write_str(inner.kind.describe())?,
        }
        if let Some(after) = inner.retry_after {
            write!(f, " (retry after {after:?})")?;
        }
        if inner.attempts > 1 {
            write!(f, " after {} attempts", inner.attempts)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut d = f.debug_struct("integrate::Error");
        d.field("kind", &inner.kind);
        if let Some(op) = inner.operation {
            d.field("operation", &op);
        }
        if let Some(status) = inner.status {
            d.field("status", &status);
        }
        if let Some(message) = &inner.message {
            d.field("message", message);
        }
        if let Some(after) = inner.retry_after {
            d.field("retry_after", &after);
        }
        d.field("attempts", &inner.attempts);
        if let Some(body) = &inner.body {
            d.field("body_len", &body.len());
        }
        if let Some(source) = &inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_pointer_sized_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<Result<()>>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn status_error_keeps_at_most_64_kib_of_body() {
        let body = Bytes::from(vec![b'x'; 100_000]);
        let e = Error::from_status(StatusCode::BAD_REQUEST, body, None);
        assert_eq!(e.body().map(<[u8]>::len), Some(ERROR_BODY_LIMIT));
        assert_eq!(e.kind(), ErrorKind::Status);
        assert!(!e.is_retryable());
    }

    #[test]
    fn final_429_is_rate_limited_and_retryable() {
        let e = Error::from_status(StatusCode::TOO_MANY_REQUESTS, Bytes::new(), None);
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(e.is_retryable());
        assert_eq!(e.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    }

    #[test]
    fn display_names_operation_status_and_attempts() {
        let mut e = Error::from_status(StatusCode::SERVICE_UNAVAILABLE, Bytes::new(), None);
        e.set_operation(Some("Payments::customer"));
        e.set_attempts(3);
        assert_eq!(
            e.to_string(),
            "Payments::customer: HTTP 503 Service Unavailable after 3 attempts"
        );
    }
}

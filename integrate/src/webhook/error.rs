//! Why a delivery was rejected.

use std::fmt;

use http::{HeaderName, StatusCode};

use crate::error::BoxError;

/// What was wrong with a rejected delivery. See [`WebhookError::kind`].
///
/// New kinds may be added: match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookErrorKind {
    /// A header the scheme needs is absent (400).
    MissingHeader,
    /// A header is present but unusable (400): not visible ASCII, longer
    /// than 4 KiB, repeated, without its required prefix, a timestamp that
    /// is not plain decimal digits, a signature that does not decode to 32
    /// bytes, more than 8 signatures of the supported version.
    MalformedHeader,
    /// The signature header is well formed but holds no signature of the
    /// version this verifier checks, e.g. Standard Webhooks signatures that
    /// are all `v1a` or Stripe's without `v1` (401).
    NoSupportedSignature,
    /// No signature matches any accepted secret (401).
    BadSignature,
    /// The signature is authentic but its timestamp is older than the
    /// tolerance (401).
    TooOld,
    /// The signature is authentic but its timestamp is further in the future
    /// than the tolerance (401).
    TooNew,
    /// The body is longer than the verifier's `max_body` (413).
    BodyTooLarge,
    /// The verified payload could not be decoded into the event type (400).
    InvalidPayload,
    /// The delivery id is present but unusable (400): longer than 256
    /// bytes, empty, repeated, or not visible text.
    InvalidDeliveryId,
    /// The body was not received within the read deadline (408).
    BodyTimeout,
    /// The body could not be read: the connection broke or its framing was
    /// invalid (400).
    BodyUnreadable,
}

impl WebhookErrorKind {
    /// The HTTP status a receiver answers with.
    #[must_use]
    pub fn status(self) -> StatusCode {
        match self {
            WebhookErrorKind::MissingHeader
            | WebhookErrorKind::MalformedHeader
            | WebhookErrorKind::InvalidPayload
            | WebhookErrorKind::InvalidDeliveryId
            | WebhookErrorKind::BodyUnreadable => StatusCode::BAD_REQUEST,
            WebhookErrorKind::NoSupportedSignature
            | WebhookErrorKind::BadSignature
            | WebhookErrorKind::TooOld
            | WebhookErrorKind::TooNew => StatusCode::UNAUTHORIZED,
            WebhookErrorKind::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookErrorKind::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// A short, stable, lowercase name, for logs and metrics.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookErrorKind::MissingHeader => "missing_header",
            WebhookErrorKind::MalformedHeader => "malformed_header",
            WebhookErrorKind::NoSupportedSignature => "no_supported_signature",
            WebhookErrorKind::BadSignature => "bad_signature",
            WebhookErrorKind::TooOld => "too_old",
            WebhookErrorKind::TooNew => "too_new",
            WebhookErrorKind::BodyTooLarge => "body_too_large",
            WebhookErrorKind::InvalidPayload => "invalid_payload",
            WebhookErrorKind::InvalidDeliveryId => "invalid_delivery_id",
            WebhookErrorKind::BodyTimeout => "body_timeout",
            WebhookErrorKind::BodyUnreadable => "body_unreadable",
        }
    }
}

impl fmt::Display for WebhookErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejected webhook delivery.
///
/// Opaque and pointer-sized: [`kind`](WebhookError::kind) says what was
/// wrong, [`status`](WebhookError::status) what to answer. Its `Display`
/// is a short text that names the header at fault but never contains a
/// header value, a signature nor a secret, so it is safe to send back to
/// the caller and to log.
pub struct WebhookError {
    inner: Box<Inner>,
}

struct Inner {
    kind: WebhookErrorKind,
    header: Option<HeaderName>,
    limit: Option<usize>,
    source: Option<BoxError>,
}

impl WebhookError {
    fn new(kind: WebhookErrorKind) -> Self {
        WebhookError {
            inner: Box::new(Inner {
                kind,
                header: None,
                limit: None,
                source: None,
            }),
        }
    }

    fn with_header(kind: WebhookErrorKind, header: &HeaderName) -> Self {
        let mut e = WebhookError::new(kind);
        e.inner.header = Some(header.clone());
        e
    }

    pub(crate) fn missing_header(header: &HeaderName) -> Self {
        WebhookError::with_header(WebhookErrorKind::MissingHeader, header)
    }

    pub(crate) fn malformed_header(header: &HeaderName) -> Self {
        WebhookError::with_header(WebhookErrorKind::MalformedHeader, header)
    }

    pub(crate) fn no_supported_signature(header: &HeaderName) -> Self {
        WebhookError::with_header(WebhookErrorKind::NoSupportedSignature, header)
    }

    pub(crate) fn bad_signature() -> Self {
        WebhookError::new(WebhookErrorKind::BadSignature)
    }

    pub(crate) fn too_old() -> Self {
        WebhookError::new(WebhookErrorKind::TooOld)
    }

    pub(crate) fn too_new() -> Self {
        WebhookError::new(WebhookErrorKind::TooNew)
    }

    pub(crate) fn body_too_large(limit: usize) -> Self {
        let mut e = WebhookError::new(WebhookErrorKind::BodyTooLarge);
        e.inner.limit = Some(limit);
        e
    }

    /// An [`InvalidPayload`](WebhookErrorKind::InvalidPayload) error: a
    /// verified body could not be decoded into the event type. `source` is
    /// kept as the error's source, not shown by `Display`.
    pub fn invalid_payload(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let mut e = WebhookError::new(WebhookErrorKind::InvalidPayload);
        e.inner.source = Some(source.into());
        e
    }

    /// An [`InvalidDeliveryId`](WebhookErrorKind::InvalidDeliveryId)
    /// error (400): the delivery id is longer than 256 bytes, empty or not
    /// visible text. For check functions of
    /// [`Receiver::builder_with`](super::Receiver::builder_with); the
    /// receiver also applies the rule to the ids they return.
    #[must_use]
    pub fn invalid_delivery_id() -> Self {
        WebhookError::new(WebhookErrorKind::InvalidDeliveryId)
    }

    pub(crate) fn invalid_delivery_id_in(header: &HeaderName) -> Self {
        WebhookError::with_header(WebhookErrorKind::InvalidDeliveryId, header)
    }

    #[cfg(feature = "axum")]
    pub(crate) fn body_timeout() -> Self {
        WebhookError::new(WebhookErrorKind::BodyTimeout)
    }

    #[cfg(feature = "axum")]
    pub(crate) fn body_unreadable(source: impl Into<BoxError>) -> Self {
        let mut e = WebhookError::new(WebhookErrorKind::BodyUnreadable);
        e.inner.source = Some(source.into());
        e
    }

    /// What was wrong with the delivery.
    #[must_use]
    pub fn kind(&self) -> WebhookErrorKind {
        self.inner.kind
    }

    /// The HTTP status to answer with: 400 for missing or malformed headers,
    /// undecodable payloads, unusable delivery ids and unreadable bodies,
    /// 401 for signatures that do not verify and timestamps outside the
    /// window, 408 for a body not received in time, 413 for a body over
    /// `max_body`.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.inner.kind.status()
    }

    /// The header at fault, for `MissingHeader`, `MalformedHeader`,
    /// `NoSupportedSignature`, and `InvalidDeliveryId` read from a header.
    #[must_use]
    pub fn header(&self) -> Option<&HeaderName> {
        self.inner.header.as_ref()
    }

    /// The body limit that was exceeded, for `BodyTooLarge`.
    #[must_use]
    pub fn limit(&self) -> Option<usize> {
        self.inner.limit
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let header = inner.header.as_ref().map_or("", HeaderName::as_str);
        match inner.kind {
            WebhookErrorKind::MissingHeader => write!(f, "missing header `{header}`"),
            WebhookErrorKind::MalformedHeader => write!(f, "malformed header `{header}`"),
            WebhookErrorKind::NoSupportedSignature => {
                write!(f, "no signature of a supported version in `{header}`")
            }
            WebhookErrorKind::BadSignature => f.write_str("signature does not match"),
            WebhookErrorKind::TooOld => f.write_str("timestamp is too old"),
            WebhookErrorKind::TooNew => f.write_str("timestamp is too far in the future"),
            WebhookErrorKind::BodyTooLarge => {
                write!(f, "body is larger than {} bytes", inner.limit.unwrap_or(0))
            }
            WebhookErrorKind::InvalidPayload => f.write_str("payload could not be decoded"),
            WebhookErrorKind::InvalidDeliveryId => match &inner.header {
                Some(_) => write!(f, "unusable delivery id in `{header}`"),
                None => f.write_str("unusable delivery id"),
            },
            WebhookErrorKind::BodyTimeout => f.write_str("the body was not received in time"),
            WebhookErrorKind::BodyUnreadable => f.write_str("the request body could not be read"),
        }
    }
}

impl fmt::Debug for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut d = f.debug_struct("WebhookError");
        d.field("kind", &inner.kind);
        if let Some(header) = &inner.header {
            d.field("header", header);
        }
        if let Some(limit) = inner.limit {
            d.field("limit", &limit);
        }
        if let Some(source) = &inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for WebhookError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

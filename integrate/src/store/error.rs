//! Why a receipt backend refused or failed.

use std::fmt;

use crate::error::BoxError;

/// Why a [`ReceiptBackend`](super::ReceiptBackend) refused or failed.
///
/// Either the backend is full ([`is_full`](ReceiptError::is_full): no room
/// for the job or its id) or it could not answer
/// ([`is_unavailable`](ReceiptError::is_unavailable): unreachable, timed
/// out). The receiver answers both with 503 and `Retry-After`, so the
/// provider delivers again later.
#[derive(Debug)]
pub struct ReceiptError {
    kind: Kind,
    source: Option<BoxError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Full,
    Unavailable,
}

impl ReceiptError {
    /// The backend is full: no room for one more job or id.
    #[must_use]
    pub fn full() -> Self {
        ReceiptError {
            kind: Kind::Full,
            source: None,
        }
    }

    /// The backend could not answer (for networked backends).
    #[must_use]
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        ReceiptError {
            kind: Kind::Unavailable,
            source: Some(source.into()),
        }
    }

    /// Whether the backend refused for lack of room.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.kind == Kind::Full
    }

    /// Whether the backend could not answer.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        self.kind == Kind::Unavailable
    }
}

impl fmt::Display for ReceiptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            Kind::Full => "receipt backend full",
            Kind::Unavailable => "receipt backend unavailable",
        })
    }
}

impl std::error::Error for ReceiptError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

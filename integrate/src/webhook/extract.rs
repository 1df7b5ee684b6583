//! `Verified<E>` as an axum extractor.

use std::fmt;

use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use super::body;
use super::error::WebhookError;
use super::typed::{Verified, Webhook, WebhookVerifier};

/// Reads the body once, under the verifier's `max_body` and within its
/// `body_timeout`, then calls [`WebhookVerifier::verify`]. A body announced
/// (`Content-Length`) or found to be longer than the limit is rejected
/// with 413 without reading (or buffering) the rest; a body not received
/// in time with 408. axum's `DefaultBodyLimit` does not apply: the limit
/// is the verifier's.
impl<E, S> FromRequest<S> for Verified<E>
where
    E: Webhook,
    WebhookVerifier<E>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = WebhookVerifier::<E>::from_ref(state);
        let (parts, body) = req.into_parts();
        let bytes = body::read(
            &parts.headers,
            body,
            verifier.max_body(),
            verifier.body_timeout(),
        )
        .await
        .map_err(WebhookRejection::invalid)?;
        verifier
            .verify(&parts.headers, &bytes)
            .map_err(WebhookRejection::invalid)
    }
}

/// Why [`Verified<E>`] rejected a request: a [`WebhookError`] (400, 401,
/// 408 or 413; a body that could not be read is a 400 of kind
/// `BodyUnreadable`).
///
/// As a response: its status and its short `Display` text, which never
/// contains a header value, a signature nor a secret (with `Connection:
/// close` when the body was not read to its end). Every rejection is
/// logged at TRACE (target `integrate::webhook::extract`).
pub struct WebhookRejection {
    error: WebhookError,
}

impl WebhookRejection {
    fn invalid(error: WebhookError) -> Self {
        tracing::trace!(
            webhook.rejection = error.kind().as_str(),
            http.response.status_code = error.status().as_u16(),
            "webhook delivery rejected: {error}"
        );
        WebhookRejection { error }
    }

    /// The status answered.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.error.status()
    }

    /// The error (always present; an `Option` for compatibility).
    #[must_use]
    pub fn webhook_error(&self) -> Option<&WebhookError> {
        Some(&self.error)
    }

    /// The response body text.
    #[must_use]
    pub fn body_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl fmt::Debug for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WebhookRejection")
            .field(&self.error)
            .finish()
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        body::error_response(&self.error)
    }
}

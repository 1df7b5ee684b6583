//! `Verified<E>` as an axum extractor.

use std::fmt;

use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use super::error::WebhookError;
use super::typed::{Verified, Webhook, WebhookVerifier};

/// Reads the body once, under the verifier's `max_body`, then calls
/// [`WebhookVerifier::verify`]. A body announced (`Content-Length`) or
/// found to be longer than the limit is rejected with 413 without reading
/// the rest.
impl<E, S> FromRequest<S> for Verified<E>
where
    E: Webhook,
    WebhookVerifier<E>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = WebhookVerifier::<E>::from_ref(state);
        let limit = verifier.max_body();
        let (parts, body) = req.into_parts();
        let announced = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|n| n > limit as u64) {
            return Err(WebhookRejection::invalid(WebhookError::body_too_large(
                limit,
            )));
        }
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<LengthLimitError>() => {
                return Err(WebhookRejection::invalid(WebhookError::body_too_large(
                    limit,
                )));
            }
            Err(e) => return Err(WebhookRejection::body(e)),
        };
        verifier
            .verify(&parts.headers, &bytes)
            .map_err(WebhookRejection::invalid)
    }
}

/// Why [`Verified<E>`] rejected a request: a [`WebhookError`] (400, 401 or
/// 413), or a body that could not be read (400).
///
/// As a response: its status and its short `Display` text, which never
/// contains a header value, a signature nor a secret. Every rejection is
/// logged at TRACE (target `integrate::webhook::extract`).
pub struct WebhookRejection {
    inner: Rejected,
}

enum Rejected {
    Invalid(WebhookError),
    Body(Box<dyn std::error::Error + Send + Sync>),
}

impl WebhookRejection {
    fn invalid(error: WebhookError) -> Self {
        tracing::trace!(
            webhook.rejection = error.kind().as_str(),
            http.response.status_code = error.status().as_u16(),
            "webhook delivery rejected: {error}"
        );
        WebhookRejection {
            inner: Rejected::Invalid(error),
        }
    }

    fn body(error: Box<dyn std::error::Error + Send + Sync>) -> Self {
        tracing::trace!(
            webhook.rejection = "body_read",
            http.response.status_code = 400_u16,
            "webhook delivery rejected: the body could not be read: {error}"
        );
        WebhookRejection {
            inner: Rejected::Body(error),
        }
    }

    /// The status answered.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match &self.inner {
            Rejected::Invalid(e) => e.status(),
            Rejected::Body(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// The verification error, unless the body could not be read.
    #[must_use]
    pub fn webhook_error(&self) -> Option<&WebhookError> {
        match &self.inner {
            Rejected::Invalid(e) => Some(e),
            Rejected::Body(_) => None,
        }
    }

    /// The response body text.
    #[must_use]
    pub fn body_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Rejected::Invalid(e) => fmt::Display::fmt(e, f),
            Rejected::Body(_) => f.write_str("the request body could not be read"),
        }
    }
}

impl fmt::Debug for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Rejected::Invalid(e) => f.debug_tuple("WebhookRejection").field(e).finish(),
            Rejected::Body(e) => f.debug_tuple("WebhookRejection").field(e).finish(),
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner {
            Rejected::Invalid(e) => Some(e),
            Rejected::Body(e) => Some(&**e),
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        (self.status(), self.body_text()).into_response()
    }
}

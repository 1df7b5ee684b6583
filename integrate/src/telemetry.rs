//! Tracing: a span per call, a child span per attempt, a DEBUG event per
//! retry, and the `X-Request-Id` correlation header.
//!
//! Levels: the call and attempt spans and the retry events are DEBUG, so
//! an application logging at INFO pays nothing for them (measured: the
//! fields of an INFO span cost a formatting subscriber about 10,000
//! instructions per call); circuit transitions are WARN (open) and INFO
//! (half-open, closed).
//!
//! Field names follow OpenTelemetry's HTTP client conventions where one
//! exists. Credentials never reach a span or an event: the URL is recorded
//! as its template, and headers are not recorded.

use http::{HeaderValue, StatusCode};
use tracing::Span;
use tracing::field::Empty;

use crate::Error;
use crate::call::Call;
use crate::client::ClientInner;

/// The span of one call (`integrate.call`, DEBUG: a subscriber at INFO
/// pays nothing for it; enable `integrate=debug` to trace every call).
pub(crate) fn call_span(client: &ClientInner, call: &Call) -> Span {
    tracing::debug_span!(
        "integrate.call",
        integration = client.integration,
        operation = call.operation.unwrap_or(""),
        http.request.method = call.method.as_str(),
        url.template = &*call.template,
        server.address = client.server_address.as_str(),
        http.response.status_code = Empty,
        integrate.attempts = Empty,
        error.type = Empty,
    )
}

/// The span of one attempt (`integrate.attempt`, DEBUG), child of the call
/// span.
pub(crate) fn attempt_span(attempt: u32) -> Span {
    tracing::debug_span!(
        "integrate.attempt",
        http.request.resend_count = attempt.saturating_sub(1)
    )
}

pub(crate) fn record_success(span: &Span, status: StatusCode, attempts: u32) {
    if span.is_disabled() {
        return;
    }
    span.record("http.response.status_code", status.as_u16());
    span.record("integrate.attempts", attempts);
}

pub(crate) fn record_error(span: &Span, error: &Error) {
    if span.is_disabled() {
        return;
    }
    if let Some(status) = error.status() {
        span.record("http.response.status_code", status.as_u16());
    }
    span.record("integrate.attempts", error.attempts());
    span.record("error.type", error.kind().as_str());
}

/// A fresh request id: a UUID v4 drawn from a fast thread-local generator
/// (it correlates logs; it is not a secret).
pub(crate) fn new_request_id() -> HeaderValue {
    let id = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_lower(&mut text);
    // Reference-counted from the start, so the copy of the headers made
    // for each attempt allocates nothing for it (a value copied from a
    // slice allocates again on its first clone).
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(text))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

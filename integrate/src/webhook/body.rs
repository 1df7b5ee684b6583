//! Reading a delivery's body under a size limit and a whole-body deadline:
//! what the receiver's route and the `Verified<E>` extractor share.

use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse as _, Response};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, header};
use http_body_util::BodyExt as _;

use super::error::WebhookError;

/// Whether the `Content-Length` announces more than `limit` bytes (the
/// request is then refused without reading the body).
pub(crate) fn announced_too_large(headers: &HeaderMap, limit: usize) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
}

/// Reads the whole body: at most `limit` bytes (one more is a 413, and
/// nothing past the limit is buffered), within `deadline` from now (408).
pub(crate) async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    deadline: Duration,
) -> Result<Bytes, WebhookError> {
    if announced_too_large(headers, limit) {
        return Err(WebhookError::body_too_large(limit));
    }
    match tokio::time::timeout(deadline, collect(body, limit)).await {
        Ok(read) => read,
        Err(_) => Err(WebhookError::body_timeout()),
    }
}

/// Frames are appended as they come; a body of one frame is returned
/// without a copy.
async fn collect(mut body: Body, limit: usize) -> Result<Bytes, WebhookError> {
    let mut first: Option<Bytes> = None;
    let mut rest: Option<BytesMut> = None;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(WebhookError::body_unreadable)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > limit {
            return Err(WebhookError::body_too_large(limit));
        }
        match (&mut first, &mut rest) {
            (None, _) => first = Some(data),
            (Some(head), None) => {
                let mut buf = BytesMut::with_capacity(total);
                buf.extend_from_slice(head);
                buf.extend_from_slice(&data);
                rest = Some(buf);
            }
            (Some(_), Some(buf)) => buf.extend_from_slice(&data),
        }
    }
    Ok(match (first, rest) {
        (_, Some(buf)) => buf.freeze(),
        (Some(only), None) => only,
        (None, None) => Bytes::new(),
    })
}

/// The response to a rejected delivery: its status and short text; the
/// connection is closed when the body was not read to its end (too large,
/// too slow, unreadable), so nothing more of it is read.
pub(crate) fn error_response(error: &WebhookError) -> Response {
    use super::WebhookErrorKind as Kind;
    let text = error.to_string();
    match error.kind() {
        Kind::BodyTooLarge | Kind::BodyTimeout | Kind::BodyUnreadable => {
            (error.status(), [(header::CONNECTION, "close")], text).into_response()
        }
        _ => (error.status(), text).into_response(),
    }
}

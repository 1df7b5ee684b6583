pub(crate) fn status_is_retryable(
    status: http::StatusCode,
    retry_after: Option<std::time::Duration>,
) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
        || (status == http::StatusCode::FORBIDDEN && retry_after.is_some())
}

//! Retry: which outcomes are retried, for which methods, after how long.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};

use crate::{Error, ErrorKind};

/// How the backoff delay is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// Wait exactly `d`.
    None,
    /// Wait a uniform random time in `[0, d]` (the default).
    #[default]
    Full,
    /// Wait `d/2` plus a uniform random time in `[0, d/2]`.
    Equal,
}

/// How a call is retried.
///
/// `max_attempts` counts the first try. The delay before retry `n` is
/// `d = min(max_backoff, initial_backoff * 2^(n-1))`, randomised by the
/// [`Jitter`] mode; a `Retry-After` from the provider replaces it.
///
/// ```
/// use std::time::Duration;
/// use integrate::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::default()
///     .max_attempts(4)
///     .initial_backoff(Duration::from_millis(200))
///     .max_backoff(Duration::from_secs(10))
///     .jitter(Jitter::Full);
/// assert_eq!(policy.get_max_attempts(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    jitter: Jitter,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms initial backoff, 10 s maximum, full jitter.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            jitter: Jitter::Full,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries: one attempt.
    #[must_use]
    pub fn none() -> Self {
        RetryPolicy::default().max_attempts(1)
    }

    /// Sets the number of attempts, the first included (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Sets the delay before the first retry.
    #[must_use]
    pub fn initial_backoff(mut self, delay: Duration) -> Self {
        self.initial_backoff = delay;
        self
    }

    /// Sets the largest delay between two attempts (before jitter).
    #[must_use]
    pub fn max_backoff(mut self, delay: Duration) -> Self {
        self.max_backoff = delay;
        self
    }

    /// Sets the jitter mode.
    #[must_use]
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The number of attempts, the first included.
    #[must_use]
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The delay before the first retry.
    #[must_use]
    pub fn get_initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The largest delay between two attempts.
    #[must_use]
    pub fn get_max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The jitter mode.
    #[must_use]
    pub fn get_jitter(&self) -> Jitter {
        self.jitter
    }

    /// Checks the policy: at least one attempt, `initial_backoff <=
    /// max_backoff`.
    pub fn validate(&self) -> crate::Result<()> {
        if self.max_attempts == 0 {
            return Err(Error::config(
                "retry: max_attempts must be at least 1 (it counts the first try)",
            ));
        }
        if self.initial_backoff > self.max_backoff {
            return Err(Error::config(
                "retry: initial_backoff must not be larger than max_backoff",
            ));
        }
        Ok(())
    }

    /// Applies the keys an override names.
    #[must_use]
    pub(crate) fn with_override(mut self, o: &RetryOverride) -> Self {
        if let Some(v) = o.max_attempts {
            self.max_attempts = v;
        }
        if let Some(v) = o.initial_backoff {
            self.initial_backoff = v;
        }
        if let Some(v) = o.max_backoff {
            self.max_backoff = v;
        }
        if let Some(v) = o.jitter {
            self.jitter = v;
        }
        self
    }

    /// The un-randomised delay before retry `n` (n = 1 for the first
    /// retry): `min(max_backoff, initial_backoff * 2^(n-1))`.
    #[must_use]
    pub fn base_delay(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(31);
        self.initial_backoff
            .checked_mul(1u32 << exp)
            .map_or(self.max_backoff, |d| d.min(self.max_backoff))
    }

    /// The randomised delay before retry `n`, with `unit` a sample of the
    /// uniform distribution on `[0, 1]`.
    pub(crate) fn delay_with(&self, retry: u32, unit: f64) -> Duration {
        let d = self.base_delay(retry);
        let unit = unit.clamp(0.0, 1.0);
        match self.jitter {
            Jitter::None => d,
            Jitter::Full => d.mul_f64(unit),
            Jitter::Equal => d / 2 + (d / 2).mul_f64(unit),
        }
    }

    /// The randomised delay before retry `n`.
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let unit = if self.jitter == Jitter::None {
            0.0
        } else {
            fastrand::f64()
        };
        self.delay_with(retry, unit)
    }
}

/// Per-call replacement of some retry keys (only the keys that are `Some`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryOverride {
    /// Replaces `max_attempts`.
    pub max_attempts: Option<u32>,
    /// Replaces `initial_backoff`.
    pub initial_backoff: Option<Duration>,
    /// Replaces `max_backoff`.
    pub max_backoff: Option<Duration>,
    /// Replaces `jitter`.
    pub jitter: Option<Jitter>,
}

/// Whether a status is a transient failure: 408, 429, 500, 502, 503, 504,
/// and a 403 that carries `Retry-After` (GitHub's secondary rate limit).
pub(crate) fn status_is_retryable(status: StatusCode, retry_after: Option<Duration>) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
        || (status == StatusCode::FORBIDDEN && retry_after.is_some())
}

/// Whether a method may be retried after any transient outcome.
pub(crate) fn method_is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Whether the outcome shows the provider did not process the request, so
/// even a non-idempotent call may be retried: nothing was sent, or 429.
pub(crate) fn provider_did_not_process(error: &Error) -> bool {
    match error.kind() {
        ErrorKind::Connect => true,
        ErrorKind::RateLimited => error.status() == Some(StatusCode::TOO_MANY_REQUESTS),
        _ => false,
    }
}

/// Whether `error`, the outcome of an attempt of a call with this method
/// and idempotency, may be retried.
pub(crate) fn should_retry(error: &Error, method: &Method, idempotent: bool) -> bool {
    if !error.is_retryable() || error.kind() == ErrorKind::CircuitOpen {
        return false;
    }
    idempotent || method_is_idempotent(method) || provider_did_not_process(error)
}

/// Parses `Retry-After` (delay-seconds or an HTTP-date) relative to `now`.
///
/// Garbage gives `None` (the backoff applies); a past date or 0 gives
/// `Some(0)`.
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values rather than reject them: the deadline
        // check ends the call when the wait is too long.
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether this status may carry a `Retry-After` that replaces the backoff.
pub(crate) fn honours_retry_after(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 503 | 403)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn status_err(code: u16, retry_after: Option<Duration>) -> Error {
        Error::from_status(
            StatusCode::from_u16(code).unwrap(),
            Bytes::new(),
            retry_after,
        )
    }

    #[test]
    fn status_classification_table() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(
                status_is_retryable(StatusCode::from_u16(code).unwrap(), None),
                "{code}"
            );
        }
        for code in [
            300, 301, 304, 400, 401, 403, 404, 405, 409, 410, 422, 501, 505, 511,
        ] {
            assert!(
                !status_is_retryable(StatusCode::from_u16(code).unwrap(), None),
                "{code}"
            );
        }
        assert!(status_is_retryable(
            StatusCode::FORBIDDEN,
            Some(Duration::from_secs(1))
        ));
        assert!(!status_is_retryable(
            StatusCode::NOT_FOUND,
            Some(Duration::from_secs(1))
        ));
    }

    #[test]
    fn method_and_idempotency_rules() {
        let e503 = status_err(503, None);
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ] {
            assert!(should_retry(&e503, &m, false), "{m}");
        }
        for m in [Method::POST, Method::PATCH] {
            assert!(!should_retry(&e503, &m, false), "{m}");
            assert!(should_retry(&e503, &m, true), "{m} idempotent");
        }
        // 429 shows the provider did not process the request.
        assert!(should_retry(&status_err(429, None), &Method::POST, false));
        // 403 + Retry-After is retryable only for idempotent calls.
        let e403 = status_err(403, Some(Duration::from_secs(1)));
        assert!(should_retry(&e403, &Method::GET, false));
        assert!(!should_retry(&e403, &Method::POST, false));
        // Never: other 4xx, 501.
        for code in [400, 401, 404, 409, 422, 501] {
            let e = status_err(code, None);
            assert!(!should_retry(&e, &Method::GET, true), "{code}");
        }
    }

    #[test]
    fn transport_errors_classification() {
        use crate::transport::{TransportError, TransportErrorKind};
        let connect = Error::from_transport(TransportError::from_kind(TransportErrorKind::Connect));
        assert!(should_retry(&connect, &Method::POST, false));
        let cert = Error::from_transport(TransportError::from_kind(
            TransportErrorKind::CertificateRejected,
        ));
        assert_eq!(cert.kind(), ErrorKind::Connect);
        assert!(!should_retry(&cert, &Method::GET, true));
        for kind in [TransportErrorKind::Network, TransportErrorKind::Body] {
            let e = Error::from_transport(TransportError::from_kind(kind));
            assert!(should_retry(&e, &Method::GET, false), "{kind:?}");
            assert!(!should_retry(&e, &Method::POST, false), "{kind:?}");
            assert!(should_retry(&e, &Method::POST, true), "{kind:?}");
        }
        let big = Error::from_transport(TransportError::body_too_large(10));
        assert_eq!(big.kind(), ErrorKind::Body);
        assert!(!should_retry(&big, &Method::GET, true));
        let timeout = Error::timeout("attempt timeout");
        assert!(should_retry(&timeout, &Method::GET, false));
        assert!(!should_retry(&timeout, &Method::POST, false));
        for e in [
            Error::config("x"),
            Error::encode("x"),
            Error::auth("x"),
            Error::decode("x"),
            Error::circuit_open(None),
        ] {
            assert!(!should_retry(&e, &Method::GET, true), "{e:?}");
        }
    }

    #[test]
    fn base_delay_doubles_and_caps() {
        let p = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(200))
            .max_backoff(Duration::from_secs(1))
            .jitter(Jitter::None);
        let got: Vec<_> = (1..=6).map(|n| p.delay(n)).collect();
        let ms = |v| Duration::from_millis(v);
        assert_eq!(
            got,
            [ms(200), ms(400), ms(800), ms(1000), ms(1000), ms(1000)]
        );
        // No overflow for absurd attempt numbers.
        assert_eq!(p.base_delay(u32::MAX), Duration::from_secs(1));
        let huge = RetryPolicy::default()
            .initial_backoff(Duration::from_secs(u64::MAX / 4))
            .max_backoff(Duration::MAX);
        assert_eq!(huge.base_delay(40), Duration::MAX);
    }

    #[test]
    fn jitter_bounds_per_mode() {
        let base = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(400))
            .max_backoff(Duration::from_secs(10));
        let d = Duration::from_millis(800); // retry 2
        for unit in [0.0, 0.25, 0.5, 1.0] {
            assert_eq!(base.jitter(Jitter::None).delay_with(2, unit), d);
            let full = base.jitter(Jitter::Full).delay_with(2, unit);
            assert_eq!(full, d.mul_f64(unit));
            let equal = base.jitter(Jitter::Equal).delay_with(2, unit);
            assert_eq!(equal, d / 2 + (d / 2).mul_f64(unit));
        }
        // Random samples stay within bounds.
        for _ in 0..1000 {
            let full = base.jitter(Jitter::Full).delay(2);
            assert!(full <= d);
            let equal = base.jitter(Jitter::Equal).delay(2);
            assert!(equal >= d / 2 && equal <= d, "{equal:?}");
        }
    }

    #[test]
    fn overrides_replace_only_named_keys() {
        let p = RetryPolicy::default().max_attempts(5);
        let o = RetryOverride {
            initial_backoff: Some(Duration::from_secs(1)),
            ..RetryOverride::default()
        };
        let merged = p.with_override(&o);
        assert_eq!(merged.get_max_attempts(), 5);
        assert_eq!(merged.get_initial_backoff(), Duration::from_secs(1));
        assert_eq!(merged.get_max_backoff(), p.get_max_backoff());
    }

    #[test]
    fn validate_rejects_zero_attempts_and_inverted_backoff() {
        assert!(RetryPolicy::default().validate().is_ok());
        assert_eq!(
            RetryPolicy::default()
                .max_attempts(0)
                .validate()
                .unwrap_err()
                .kind(),
            ErrorKind::Config
        );
        assert!(
            RetryPolicy::default()
                .initial_backoff(Duration::from_secs(20))
                .validate()
                .is_err()
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(http::header::RETRY_AFTER, v.parse().unwrap());
            m
        };
        assert_eq!(
            parse_retry_after(&h("3"), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(parse_retry_after(&h(" 0 "), now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(&h("31536000"), now),
            Some(Duration::from_secs(31_536_000))
        );
        assert_eq!(
            parse_retry_after(&h("99999999999999999999999"), now),
            Some(Duration::from_secs(u64::MAX))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(120));
        assert_eq!(
            parse_retry_after(&h(&later), now),
            Some(Duration::from_secs(120))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(120));
        assert_eq!(parse_retry_after(&h(&past), now), Some(Duration::ZERO));
        for garbage in ["soon", "-5", "1.5", "", "Mon, 99 Foo 2020"] {
            assert_eq!(parse_retry_after(&h(garbage), now), None, "{garbage:?}");
        }
        let mut bin = HeaderMap::new();
        bin.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(parse_retry_after(&bin, now), None);
        assert_eq!(parse_retry_after(&HeaderMap::new(), now), None);
    }
}

//! `Retry-After` as the pipeline parses it.
//!
//! Oracle: no panic; a value is understood only as delay-seconds (ASCII
//! digits, saturating) or an HTTP-date (relative to now, a past date being
//! zero); anything else is ignored.
#![no_main]

use std::time::{Duration, SystemTime};

use integrate::__private::fuzzing::parse_retry_after;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let parsed = parse_retry_after(data, now);
    // Only visible ASCII is read: a value with control bytes cannot be a
    // header, and non-ASCII (obs-text) is not a delay or a date.
    let valid_header = integrate::http::HeaderValue::from_bytes(data).is_ok() && data.is_ascii();
    let text = match std::str::from_utf8(data) {
        Ok(text) if valid_header => text,
        _ => {
            assert_eq!(parsed, None);
            return;
        }
    };
    let value = text.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        assert_eq!(parsed, Some(Duration::from_secs(secs)));
        return;
    }
    match httpdate::parse_http_date(value) {
        Ok(at) => assert_eq!(
            parsed,
            Some(at.duration_since(now).unwrap_or(Duration::ZERO))
        ),
        Err(_) => assert_eq!(parsed, None, "{value:?}"),
    }
});

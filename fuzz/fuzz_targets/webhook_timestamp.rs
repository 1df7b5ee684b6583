//! A signed timestamp header: exactly 1 to 19 ASCII digits, their value.

#![no_main]

use integrate::__private::webhook_parse::timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &[u8]| {
    let digits = !raw.is_empty() && raw.len() <= 19 && raw.iter().all(u8::is_ascii_digit);
    let expected = digits
        .then(|| std::str::from_utf8(raw).ok()?.parse::<u64>().ok())
        .flatten();
    assert_eq!(timestamp(raw), expected, "{raw:?}");
});

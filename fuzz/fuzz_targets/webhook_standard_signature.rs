//! `webhook-signature: v1,<base64> ..` and the signed `webhook-id`: any
//! bytes are refused or parsed into at most 8 candidates; an id is
//! printable ASCII.

#![no_main]

use integrate::__private::webhook_parse::{Fault, signed_id, standard};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &[u8]| {
    match standard(value) {
        Ok(candidates) => {
            assert!((1..=8).contains(&candidates), "{candidates}");
            assert!(value.windows(3).any(|w| w == b"v1,"));
        }
        Err(Fault::NoSupported) | Err(Fault::Malformed) => {}
    }
    if let Some(id) = signed_id(value) {
        assert_eq!(id.as_bytes(), value);
        assert!(!id.is_empty());
        assert!(id.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
    } else {
        assert!(value.is_empty() || value.iter().any(|&b| !(b.is_ascii_graphic() || b == b' ')));
    }
});

//! `Stripe-Signature: t=<unix>,v1=<hex>,..`: any bytes are refused or
//! parsed into a timestamp and at most 8 candidates, consistently.

#![no_main]

use integrate::__private::webhook_parse::{Fault, stripe, timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &[u8]| {
    match stripe(value) {
        Ok((raw, t, candidates)) => {
            // The digits are a part of the header, signed as sent.
            let start = raw.as_ptr() as usize - value.as_ptr() as usize;
            assert!(start + raw.len() <= value.len());
            assert_eq!(timestamp(raw), Some(t));
            assert!((1..=8).contains(&candidates), "{candidates}");
            assert!(value.windows(3).any(|w| w == b"v1="));
        }
        Err(Fault::NoSupported) => {
            // Well formed, with a timestamp, without a `v1`.
            assert!(value.windows(2).any(|w| w == b"t="));
        }
        Err(Fault::Malformed) => {}
    }
});

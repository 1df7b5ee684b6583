//! One signature after a prefix (GitHub `sha256=<hex>`, Slack `v0=<hex>`,
//! Shopify `<base64>`, the generic form): any bytes are refused or decode
//! to the 32 bytes the text encodes.

#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use integrate::__private::webhook_parse::prefixed;
use libfuzzer_sys::fuzz_target;

const PREFIXES: [&[u8]; 4] = [b"", b"sha256=", b"v0=", b"v1,"];

fuzz_target!(|input: &[u8]| {
    let Some((&selector, value)) = input.split_first() else {
        return;
    };
    let prefix = PREFIXES[usize::from(selector & 3)];
    let base64 = selector & 4 != 0;
    let Ok(tag) = prefixed(value, prefix, base64) else {
        return;
    };
    // What was decoded is exactly what the text says, once the spaces
    // around it and the prefix are removed.
    let text = value
        .trim_ascii()
        .strip_prefix(prefix)
        .expect("the prefix is required");
    if base64 {
        let padded = STANDARD.encode(tag);
        let unpadded = padded.trim_end_matches('=');
        assert!(
            text == padded.as_bytes() || text == unpadded.as_bytes(),
            "{text:?} decoded to {padded}"
        );
    } else {
        assert_eq!(text.to_ascii_lowercase(), hex::encode(tag).into_bytes());
    }
});

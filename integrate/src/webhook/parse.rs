//! Header parsers. Pure functions over the header bytes; they never panic
//! and never allocate, whatever the input.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::scheme::Encoding;

/// The longest header value considered; a longer one is malformed.
pub(crate) const MAX_HEADER_LEN: usize = 4096;

/// The most signatures of the supported version one header may carry.
pub(crate) const MAX_CANDIDATES: usize = 16;

/// The length of an HMAC-SHA256 tag.
pub(crate) const TAG_LEN: usize = 32;

/// The standard base64 alphabet, padding optional (Standard Webhooks and
/// Shopify pad; some generic senders do not).
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a header could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The header is unusable: a 400.
    Malformed,
    /// Well formed, without a signature of the supported version: a 401.
    NoSupported,
}

/// The decoded signatures found in a header, at most [`MAX_CANDIDATES`].
#[derive(Clone)]
pub(crate) struct Candidates {
    tags: [[u8; TAG_LEN]; MAX_CANDIDATES],
    len: usize,
}

impl Candidates {
    pub(crate) fn new() -> Self {
        Candidates {
            tags: [[0; TAG_LEN]; MAX_CANDIDATES],
            len: 0,
        }
    }

    fn push(&mut self, tag: [u8; TAG_LEN]) -> Result<(), Fault> {
        let slot = self.tags.get_mut(self.len).ok_or(Fault::Malformed)?;
        *slot = tag;
        self.len += 1;
        Ok(())
    }

    pub(crate) fn as_slice(&self) -> &[[u8; TAG_LEN]] {
        self.tags.get(..self.len).unwrap_or(&[])
    }

    fn single(tag: [u8; TAG_LEN]) -> Self {
        let mut c = Candidates::new();
        c.tags[0] = tag;
        c.len = 1;
        c
    }
}

/// A Unix timestamp in seconds: 1 to 19 ASCII digits, nothing else (no
/// sign, no spaces, no fraction).
pub(crate) fn timestamp(raw: &[u8]) -> Option<u64> {
    if raw.is_empty() || raw.len() > 19 {
        return None;
    }
    raw.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// One encoded HMAC-SHA256 tag.
pub(crate) fn decode_tag(encoding: Encoding, text: &[u8]) -> Option<[u8; TAG_LEN]> {
    let mut tag = [0u8; TAG_LEN];
    match encoding {
        Encoding::Hex => {
            hex::decode_to_slice(text, &mut tag).ok()?;
        }
        Encoding::Base64 => {
            // 32 bytes are 44 characters padded, 43 unpadded.
            if !(43..=44).contains(&text.len()) {
                return None;
            }
            let mut buf = [0u8; 48];
            let n = BASE64.decode_slice(text, &mut buf).ok()?;
            tag.copy_from_slice(buf.get(..TAG_LEN).filter(|_| n == TAG_LEN)?);
        }
    }
    Some(tag)
}

/// `Stripe-Signature: t=<unix>,v1=<hex>,v1=<hex>,v0=<hex>`: returns the
/// raw digits of `t` with their value, and the `v1` signatures. Items are separated by `,`
/// and may be surrounded by spaces; keys other than `t` and `v1` are
/// ignored; a missing or repeated `t` or an item without `=` is malformed.
pub(crate) fn stripe(value: &[u8]) -> Result<((&[u8], u64), Candidates), Fault> {
    let mut t = None;
    let mut candidates = Candidates::new();
    for item in value.split(|&b| b == b',') {
        let item = item.trim_ascii();
        if item.is_empty() {
            continue;
        }
        let eq = item
            .iter()
            .position(|&b| b == b'=')
            .ok_or(Fault::Malformed)?;
        let (key, rest) = item.split_at(eq);
        let val = rest.get(1..).unwrap_or(&[]);
        match key {
            b"t" => {
                let value = timestamp(val).ok_or(Fault::Malformed)?;
                if t.replace((val, value)).is_some() {
                    return Err(Fault::Malformed);
                }
            }
            b"v1" => {
                let tag = decode_tag(Encoding::Hex, val).ok_or(Fault::Malformed)?;
                candidates.push(tag)?;
            }
            _ => {}
        }
    }
    let t = t.ok_or(Fault::Malformed)?;
    if candidates.len == 0 {
        return Err(Fault::NoSupported);
    }
    Ok((t, candidates))
}

/// `webhook-signature: v1,<base64> v1,<base64> ..`: the `v1` signatures.
/// Entries are separated by spaces; entries of another version (`v1a`,
/// `v2`) or without a `,` are ignored, as the reference libraries do.
pub(crate) fn standard(value: &[u8]) -> Result<Candidates, Fault> {
    let mut candidates = Candidates::new();
    for entry in value.split(|&b| b == b' ') {
        let Some(comma) = entry.iter().position(|&b| b == b',') else {
            continue;
        };
        let (version, rest) = entry.split_at(comma);
        if version != b"v1" {
            continue;
        }
        let text = rest.get(1..).unwrap_or(&[]);
        let tag = decode_tag(Encoding::Base64, text).ok_or(Fault::Malformed)?;
        candidates.push(tag)?;
    }
    if candidates.len == 0 {
        return Err(Fault::NoSupported);
    }
    Ok(candidates)
}

/// One signature after a required prefix (`sha256=`, `v0=`, or none), with
/// surrounding spaces ignored.
pub(crate) fn prefixed(
    value: &[u8],
    prefix: &[u8],
    encoding: Encoding,
) -> Result<Candidates, Fault> {
    let text = value
        .trim_ascii()
        .strip_prefix(prefix)
        .ok_or(Fault::Malformed)?;
    let tag = decode_tag(encoding, text).ok_or(Fault::Malformed)?;
    Ok(Candidates::single(tag))
}

/// A delivery id that is signed (`webhook-id`): printable ASCII (spaces
/// included), not empty.
pub(crate) fn id(raw: &[u8]) -> Option<&str> {
    if raw.is_empty() || !raw.iter().all(|&b| b.is_ascii_graphic() || b == b' ') {
        return None;
    }
    std::str::from_utf8(raw).ok()
}

//! Header parsers. Pure functions over the header bytes; they never panic
//! and never allocate, whatever the input.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::scheme::Encoding;

/// The longest header value considered; a longer one is malformed.
pub(crate) const MAX_HEADER_LEN: usize = 4096;

/// The most signatures of the supported version one header may carry.
pub(crate) const MAX_CANDIDATES: usize = 8;

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
///
/// Filled in place by the parsers: moving its 256 bytes around showed in
/// the benchmark.
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

    /// Decodes `text` straight into the next free slot.
    fn push(&mut self, encoding: Encoding, text: &[u8]) -> Result<(), Fault> {
        let slot = self.tags.get_mut(self.len).ok_or(Fault::Malformed)?;
        decode_tag_into(encoding, text, slot).ok_or(Fault::Malformed)?;
        self.len += 1;
        Ok(())
    }

    pub(crate) fn as_slice(&self) -> &[[u8; TAG_LEN]] {
        self.tags.get(..self.len).unwrap_or(&[])
    }
}

/// A Unix timestamp in seconds: 1 to 19 ASCII digits, nothing else (no
/// sign, no spaces, no fraction).
pub(crate) fn timestamp(raw: &[u8]) -> Option<u64> {
    if raw.is_empty() || raw.len() > 19 {
        return None;
    }
    // 19 digits stay below `u64::MAX`, so nothing overflows for valid input
    // (and wrapping keeps invalid input harmless until it is rejected).
    let mut value = 0u64;
    let mut invalid = false;
    for &b in raw {
        let digit = b.wrapping_sub(b'0');
        invalid |= digit > 9;
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
    }
    (!invalid).then_some(value)
}

/// One encoded HMAC-SHA256 tag.
#[cfg(test)]
pub(crate) fn decode_tag(encoding: Encoding, text: &[u8]) -> Option<[u8; TAG_LEN]> {
    let mut tag = [0u8; TAG_LEN];
    decode_tag_into(encoding, text, &mut tag).map(|()| tag)
}

/// Decodes one encoded HMAC-SHA256 tag into `tag`; `None` when `text` is
/// not exactly 32 bytes in `encoding`.
fn decode_tag_into(encoding: Encoding, text: &[u8], tag: &mut [u8; TAG_LEN]) -> Option<()> {
    match encoding {
        Encoding::Hex => {
            let text: &[u8; 2 * TAG_LEN] = text.try_into().ok()?;
            // Without branches, so that the loops vectorise: signatures are
            // random, and the digit / letter branches of a `match` mispredict
            // half the time (decoding then cost a third of a 1 KiB HMAC).
            let mut nibbles = [0u8; 2 * TAG_LEN];
            let mut invalid = 0u8;
            for (nibble, &c) in nibbles.iter_mut().zip(text) {
                let digit = c.wrapping_sub(b'0');
                let letter = (c | 0x20).wrapping_sub(b'a');
                let is_digit = digit < 10;
                let is_letter = letter < 6;
                *nibble = if is_digit {
                    digit
                } else {
                    letter.wrapping_add(10)
                };
                invalid |= u8::from(!(is_digit | is_letter));
            }
            if invalid != 0 {
                return None;
            }
            for (byte, [high, low]) in tag.iter_mut().zip(nibbles.as_chunks::<2>().0) {
                *byte = (high << 4) | low;
            }
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
    Some(())
}

/// Splits `value` at each `sep`, with a vectorised search (the entries of
/// a signature list are mostly long signatures).
fn items(value: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(value);
    std::iter::from_fn(move || {
        let current = rest?;
        match memchr::memchr(sep, current) {
            Some(at) => {
                rest = current.get(at + 1..);
                current.get(..at)
            }
            None => rest.take(),
        }
    })
}

/// `key=value` split at the first `=`.
fn key_value(item: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = item.iter().position(|&b| b == b'=')?;
    Some((item.get(..eq)?, item.get(eq + 1..)?))
}

/// The length of `v1=` and 64 hexadecimal digits.
const V1_ITEM_LEN: usize = 3 + 2 * TAG_LEN;

/// `Stripe-Signature: t=<unix>,v1=<hex>,v1=<hex>,v0=<hex>`: returns the
/// raw digits of `t` with their value, and adds the `v1` signatures to
/// `out`. Items are separated by `,` and may be surrounded by spaces; keys
/// other than `t` and `v1` are ignored; a missing or repeated `t` or an
/// item without `=` is malformed.
#[inline]
pub(crate) fn stripe<'v>(value: &'v [u8], out: &mut Candidates) -> Result<(&'v [u8], u64), Fault> {
    let mut t = None;
    let mut rest = value;
    while !rest.is_empty() {
        // Each `v1=` item is 67 bytes: take it without searching for the
        // comma (decoding rejects a comma inside it).
        let item_len = match rest.get(V1_ITEM_LEN) {
            Some(b',') | None if rest.starts_with(b"v1=") && rest.len() >= V1_ITEM_LEN => {
                V1_ITEM_LEN
            }
            _ => memchr::memchr(b',', rest).unwrap_or(rest.len()),
        };
        let (item, next) = rest.split_at(item_len);
        rest = next.get(1..).unwrap_or(&[]);
        let item = item.trim_ascii();
        if item.is_empty() {
            continue;
        }
        let (key, val) = key_value(item).ok_or(Fault::Malformed)?;
        match key {
            b"t" => {
                let value = timestamp(val).ok_or(Fault::Malformed)?;
                if t.replace((val, value)).is_some() {
                    return Err(Fault::Malformed);
                }
            }
            b"v1" => out.push(Encoding::Hex, val)?,
            _ => {}
        }
    }
    let t = t.ok_or(Fault::Malformed)?;
    if out.len == 0 {
        return Err(Fault::NoSupported);
    }
    Ok(t)
}

/// `webhook-signature: v1,<base64> v1,<base64> ..`: adds the `v1`
/// signatures to `out`. Entries are separated by spaces; entries of another
/// version (`v1a`, `v2`) or without a `,` are ignored, as the reference
/// libraries do.
pub(crate) fn standard(value: &[u8], out: &mut Candidates) -> Result<(), Fault> {
    for entry in items(value, b' ') {
        let Some(text) = entry.strip_prefix(b"v1,") else {
            continue;
        };
        out.push(Encoding::Base64, text)?;
    }
    if out.len == 0 {
        return Err(Fault::NoSupported);
    }
    Ok(())
}

/// One signature after a required prefix (`sha256=`, `v0=`, or none), with
/// surrounding spaces ignored.
pub(crate) fn prefixed(
    value: &[u8],
    prefix: &[u8],
    encoding: Encoding,
    out: &mut Candidates,
) -> Result<(), Fault> {
    let text = value
        .trim_ascii()
        .strip_prefix(prefix)
        .ok_or(Fault::Malformed)?;
    out.push(encoding, text)
}

/// A delivery id that is signed (`webhook-id`): printable ASCII (spaces
/// included), not empty.
pub(crate) fn id(raw: &[u8]) -> Option<&str> {
    if raw.is_empty() || !raw.iter().all(|&b| b.is_ascii_graphic() || b == b' ') {
        return None;
    }
    std::str::from_utf8(raw).ok()
}

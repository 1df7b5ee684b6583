//! The verifier's oracle: a delivery signed here (with `hmac` and `sha2`,
//! not with integrate) verifies unmodified, for every scheme and any body,
//! secret, id and timestamp within the window; the same delivery with its
//! body changed (a byte flipped, a byte added, bytes cut), its timestamp or
//! its signed id changed never verifies. Arbitrary signature headers never
//! make it panic.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use integrate::webhook::{Encoding, Scheme, Verifier, WebhookErrorKind};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

const NOW: u64 = 1_700_000_000;

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Printable ASCII, 1 to `max` characters.
fn printable(u: &mut Unstructured<'_>, max: usize) -> Result<String> {
    let len = u.int_in_range(1..=max)?;
    (0..len)
        .map(|_| Ok(char::from(u.int_in_range(0x21u8..=0x7e)?)))
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Stripe,
    Github,
    Standard { svix: bool },
    Shopify,
    Slack,
    Generic { base64: bool, timestamp: bool },
}

struct Signed {
    verifier: Verifier,
    headers: HeaderMap,
    /// The header holding the signed timestamp, if any.
    timestamp_header: Option<&'static str>,
    /// The header holding the signed id, if any.
    id_header: Option<&'static str>,
    t: u64,
    id: String,
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    headers.insert(
        HeaderName::from_static(name),
        HeaderValue::from_str(value).expect("printable"),
    );
}

fn sign(u: &mut Unstructured<'_>, kind: Kind, body: &[u8]) -> Result<Signed> {
    let t = NOW - 300 + u.int_in_range(0..=600)?;
    let ts = t.to_string();
    let id = printable(u, 64)?;
    let mut headers = HeaderMap::new();
    let (scheme, secret, timestamp_header, id_header): (Scheme, String, _, _) = match kind {
        Kind::Standard { svix } => {
            let key: Vec<u8> = (0..u.int_in_range(1..=64)?)
                .map(|_| u.arbitrary())
                .collect::<Result<_>>()?;
            let names = if svix {
                ["svix-id", "svix-timestamp", "svix-signature"]
            } else {
                ["webhook-id", "webhook-timestamp", "webhook-signature"]
            };
            let tag = mac(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
            insert(&mut headers, names[0], &id);
            insert(&mut headers, names[1], &ts);
            insert(
                &mut headers,
                names[2],
                &format!("v1,{}", BASE64.encode(tag)),
            );
            let secret = format!("whsec_{}", BASE64.encode(&key));
            (Scheme::Standard, secret, Some(names[1]), Some(names[0]))
        }
        _ => {
            let secret = printable(u, 64)?;
            let key = secret.as_bytes();
            match kind {
                Kind::Stripe => {
                    let tag = mac(key, &[ts.as_bytes(), b".", body]);
                    let value = format!("t={ts},v1={}", hex::encode(tag));
                    insert(&mut headers, "stripe-signature", &value);
                    (Scheme::Stripe, secret, None, None)
                }
                Kind::Github => {
                    let value = format!("sha256={}", hex::encode(mac(key, &[body])));
                    insert(&mut headers, "x-hub-signature-256", &value);
                    (Scheme::Github, secret, None, None)
                }
                Kind::Shopify => {
                    let value = BASE64.encode(mac(key, &[body]));
                    insert(&mut headers, "x-shopify-hmac-sha256", &value);
                    (Scheme::Shopify, secret, None, None)
                }
                Kind::Slack => {
                    let tag = mac(key, &[b"v0:", ts.as_bytes(), b":", body]);
                    insert(&mut headers, "x-slack-request-timestamp", &ts);
                    insert(
                        &mut headers,
                        "x-slack-signature",
                        &format!("v0={}", hex::encode(tag)),
                    );
                    (
                        Scheme::Slack,
                        secret,
                        Some("x-slack-request-timestamp"),
                        None,
                    )
                }
                Kind::Generic { base64, timestamp } => {
                    let mut generic = Scheme::hmac_sha256("X-Signature").prefix("sig=");
                    let tag = if timestamp {
                        generic = generic.timestamp_header("X-Timestamp");
                        insert(&mut headers, "x-timestamp", &ts);
                        mac(key, &[ts.as_bytes(), b".", body])
                    } else {
                        mac(key, &[body])
                    };
                    let encoded = if base64 {
                        generic = generic.encoding(Encoding::Base64);
                        BASE64.encode(tag)
                    } else {
                        hex::encode(tag)
                    };
                    insert(&mut headers, "x-signature", &format!("sig={encoded}"));
                    let timestamp_header = timestamp.then_some("x-timestamp");
                    (generic.into(), secret, timestamp_header, None)
                }
                Kind::Standard { .. } => unreachable!("handled above"),
            }
        }
    };
    // A second, unrelated secret first: rotation must not matter.
    let verifier = Verifier::builder(scheme)
        .secret(match kind {
            Kind::Standard { .. } => "whsec_b3RoZXIgc2VjcmV0".to_owned(),
            _ => "another secret".to_owned(),
        })
        .secret(secret)
        .max_body(1 << 20)
        .build()
        .expect("a valid configuration");
    Ok(Signed {
        verifier,
        headers,
        timestamp_header,
        id_header,
        t,
        id,
    })
}

fn bad_signature(signed: &Signed, headers: &HeaderMap, body: &[u8], what: &str) {
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    let err = signed
        .verifier
        .verify_at(headers, body, now)
        .expect_err(what);
    assert_eq!(
        err.kind(),
        WebhookErrorKind::BadSignature,
        "{what}: {err:?}"
    );
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let kind = match u.int_in_range(0..=8)? {
        0 => Kind::Stripe,
        1 => Kind::Github,
        2 => Kind::Standard { svix: false },
        3 => Kind::Standard { svix: true },
        4 => Kind::Shopify,
        5 => Kind::Slack,
        6 => Kind::Generic {
            base64: false,
            timestamp: false,
        },
        7 => Kind::Generic {
            base64: true,
            timestamp: true,
        },
        _ => Kind::Generic {
            base64: true,
            timestamp: false,
        },
    };
    let len = u.int_in_range(0..=2048)?;
    let body = u.bytes(len)?.to_vec();
    let signed = sign(u, kind, &body)?;
    let now = UNIX_EPOCH + Duration::from_secs(NOW);

    // Unmodified: verifies, and reports what it signed.
    let delivery = signed
        .verifier
        .verify_delivery_at(&signed.headers, &body, now)
        .unwrap_or_else(|e| panic!("{kind:?}: an unmodified delivery is refused: {e:?}"));
    if signed.timestamp_header.is_some() || matches!(kind, Kind::Stripe) {
        assert_eq!(delivery.unix_timestamp(), Some(signed.t));
    }
    if signed.id_header.is_some() {
        assert_eq!(delivery.id(), Some(signed.id.as_str()));
    }

    // The body changed: never verifies.
    let mut flipped = body.clone();
    if !flipped.is_empty() {
        let at = u.choose_index(flipped.len())?;
        flipped[at] ^= u.int_in_range(1u8..=255)?;
        bad_signature(&signed, &signed.headers, &flipped, "a flipped byte");
        let cut = u.int_in_range(1..=body.len())?;
        bad_signature(&signed, &signed.headers, &body[..body.len() - cut], "cut");
    }
    let mut longer = body.clone();
    longer.push(u.arbitrary()?);
    bad_signature(&signed, &signed.headers, &longer, "a byte added");

    // The signed timestamp or id changed: never verifies.
    if let Some(name) = signed.timestamp_header {
        let mut headers = signed.headers.clone();
        insert(&mut headers, name, &(signed.t + 1).to_string());
        bad_signature(&signed, &headers, &body, "another timestamp");
    }
    if let Some(name) = signed.id_header {
        let mut headers = signed.headers.clone();
        insert(&mut headers, name, &format!("{}x", signed.id));
        bad_signature(&signed, &headers, &body, "another id");
    }

    // Arbitrary values in every header: an error or (never, in practice) a
    // success, but no panic.
    let mut headers = signed.headers.clone();
    for name in signed.headers.keys().cloned().collect::<Vec<_>>() {
        let raw: Vec<u8> = u.arbitrary()?;
        if let Ok(value) = HeaderValue::from_bytes(&raw) {
            headers.insert(name, value);
        }
    }
    let _ = signed.verifier.verify_at(&headers, &body, now);
    Ok(())
}

fuzz_target!(|input: &[u8]| {
    let mut u = Unstructured::new(input);
    let _ = run(&mut u);
});

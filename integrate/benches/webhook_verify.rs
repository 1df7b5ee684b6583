//! Webhook verification cost.
//!
//! `stripe_1kib`: the full verification of a 1 KiB Stripe delivery
//! (header lookup and parsing, hex decoding, one HMAC, constant-time
//! comparison, time window) against a bare HMAC-SHA256 of the same signed
//! bytes with a prepared key. `overhead`: the same pair for an empty body,
//! where everything but the hashing shows. `throughput`: full verification
//! at 16 KiB and 1 MiB, beside the bare HMAC of the same bytes.
//!
//! On a shared, noisy machine the two sides of a pair are timed minutes
//! apart under different loads, so `interleaved_ratio` also prints the
//! 1 KiB ratio measured back to back: the median over many rounds of
//! (time of a batch of verifications) / (time of a batch of bare HMACs).

// `criterion_group!` generates an undocumented function.
#![expect(missing_docs, reason = "criterion_group! output")]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};
use integrate::webhook::{Scheme, Verifier};
use sha2::Sha256;

const SECRET: &str = "whsec_benchmark_secret_0123456789";

/// A Stripe delivery of `len` bytes signed now, and the signed bytes.
fn delivery(len: usize) -> (HeaderMap, Vec<u8>, Vec<u8>) {
    let body: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
        .to_string();
    let mut signed = Vec::with_capacity(t.len() + 1 + len);
    signed.extend_from_slice(t.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(&body);
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(&signed);
    let sig = hex::encode(mac.finalize().into_bytes());
    let mut headers = HeaderMap::new();
    headers.insert(
        "stripe-signature",
        HeaderValue::from_str(&format!("t={t},v1={sig}")).expect("ASCII"),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (headers, body, signed)
}

fn verifier() -> Verifier {
    Verifier::builder(Scheme::Stripe)
        .secret(SECRET)
        // Generous, so that a long run never ages the delivery out.
        .tolerance(Duration::from_secs(24 * 3600))
        .max_body(2 * 1024 * 1024)
        .build()
        .expect("valid configuration")
}

fn stripe_1kib(c: &mut Criterion) {
    pair(c, "stripe_1kib", 1024);
}

fn overhead(c: &mut Criterion) {
    pair(c, "overhead", 0);
}

/// Full verification and bare HMAC of a delivery of `len` bytes.
fn pair(c: &mut Criterion, group: &str, len: usize) {
    let verifier = verifier();
    let (headers, body, signed) = delivery(len);
    verifier
        .verify(&headers, &body)
        .expect("the delivery verifies");
    let key = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");

    let mut group = c.benchmark_group(group);
    if len > 0 {
        group.throughput(Throughput::Bytes(len as u64));
    }
    group.bench_function("verify", |b| {
        b.iter(|| verifier.verify(black_box(&headers), black_box(&body)))
    });
    group.bench_function("bare_hmac", |b| {
        b.iter(|| {
            let mut mac = key.clone();
            mac.update(black_box(&signed));
            mac.finalize().into_bytes()
        })
    });
    group.finish();
}

fn throughput(c: &mut Criterion) {
    let verifier = verifier();
    let key = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    let mut group = c.benchmark_group("throughput");
    for (name, len) in [("16kib", 16 * 1024), ("1mib", 1024 * 1024)] {
        let (headers, body, signed) = delivery(len);
        verifier
            .verify(&headers, &body)
            .expect("the delivery verifies");
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(format!("verify_{name}"), |b| {
            b.iter(|| verifier.verify(black_box(&headers), black_box(&body)))
        });
        group.bench_function(format!("bare_hmac_{name}"), |b| {
            b.iter(|| {
                let mut mac = key.clone();
                mac.update(black_box(&signed));
                mac.finalize().into_bytes()
            })
        });
    }
    group.finish();
}

/// Not a criterion measurement: prints the 1 KiB verify / bare HMAC ratio
/// measured in adjacent time windows (see the module documentation).
fn interleaved_ratio(_: &mut Criterion) {
    const ROUNDS: usize = 201;
    const BATCH: u32 = 2000;
    let verifier = verifier();
    let (headers, body, signed) = delivery(1024);
    let key = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    let time_verify = || {
        let start = Instant::now();
        for _ in 0..BATCH {
            let _ = black_box(verifier.verify(black_box(&headers), black_box(&body)));
        }
        start.elapsed()
    };
    let time_bare = || {
        let start = Instant::now();
        for _ in 0..BATCH {
            let mut mac = key.clone();
            mac.update(black_box(&signed));
            black_box(mac.finalize().into_bytes());
        }
        start.elapsed()
    };
    let mut best = (Duration::MAX, Duration::MAX);
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|round| {
            // Alternate which side goes first.
            let (verify, bare) = if round % 2 == 0 {
                let verify = time_verify();
                (verify, time_bare())
            } else {
                let bare = time_bare();
                (time_verify(), bare)
            };
            best = (best.0.min(verify), best.1.min(bare));
            verify.as_secs_f64() / bare.as_secs_f64()
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "stripe_1kib interleaved: median verify/bare_hmac = {:.3} (quartiles {:.3} .. {:.3}; \
         {ROUNDS} rounds of {BATCH}); best batches: verify {:.1} ns, bare {:.1} ns, ratio {:.3}",
        ratios[ROUNDS / 2],
        ratios[ROUNDS / 4],
        ratios[3 * ROUNDS / 4],
        best.0.as_secs_f64() * 1e9 / f64::from(BATCH),
        best.1.as_secs_f64() * 1e9 / f64::from(BATCH),
        best.0.as_secs_f64() / best.1.as_secs_f64(),
    );
}

criterion_group!(
    benches,
    interleaved_ratio,
    stripe_1kib,
    overhead,
    throughput
);
criterion_main!(benches);

//! Idempotency keys: a POST marked `#[idempotent]` is retried with the same
//! key on every attempt; a plain POST is not retried once the provider may
//! have seen it. Run it with `cargo run -p integrate-examples --example
//! idempotency`; the guide is `docs/retries.md`.

use std::io::Write;

use integrate::prelude::*;
use integrate_testkit::{FakeProvider, Fault, Reply, Route};
use serde_json::json;

use crate::{ExampleError, ensure, failed};

/// A charge to create.
#[derive(Debug, serde::Serialize)]
pub struct NewCharge {
    /// Amount in cents.
    pub amount: u64,
}

/// A created charge.
#[derive(Debug, serde::Deserialize)]
pub struct Charge {
    /// The charge id.
    pub id: String,
}

/// A payments API whose POSTs differ only in their idempotency.
#[integration(
    base_url = "https://pay.example/v1",
    retry(max_attempts = 3, initial_backoff = "100ms", jitter = "none")
)]
pub trait Payments {
    /// A key made once per call (UUID v4), sent as `Idempotency-Key`.
    #[post("/charges")]
    #[idempotent]
    async fn create_charge(&self, #[body] charge: &NewCharge) -> integrate::Result<Charge>;

    /// The caller's key, derived from the order: it survives a crash and a
    /// re-run of the whole job.
    #[post("/orders/{order}/capture")]
    #[idempotent(header = "X-Idempotency-Key")]
    async fn capture(&self, order: &str, #[idempotency_key] key: &str) -> integrate::Result<()>;

    /// Not idempotent: never retried after the request may have arrived.
    #[post("/refunds/{charge}")]
    async fn refund(&self, charge: &str) -> integrate::Result<()>;
}

/// Runs the example, writing a few lines to `out`.
///
/// # Errors
///
/// When the client does not behave as the guide says.
pub async fn run(out: &mut impl Write) -> Result<(), ExampleError> {
    let provider = FakeProvider::in_process();
    let client = PaymentsClient::builder()
        .base_url(provider.url())
        .transport(provider.transport())
        .build()?;

    // The connection drops after the request was sent, then a 503, then 201.
    provider.given(Route::post("/charges")).respond_seq([
        Reply::from(Fault::ResetBeforeResponse),
        Reply::status(503),
        Reply::json(201, json!({"id": "ch_1"})),
    ]);
    let charge = client.create_charge(&NewCharge { amount: 1999 }).await?;
    let keys = provider.journal().idempotency_keys("idempotency-key");
    let first = keys.first().cloned().flatten().unwrap_or_default();
    let same = keys.iter().all(|k| k.as_deref() == Some(first.as_str()));
    writeln!(
        out,
        "#[idempotent] POST: lost connection, 503, 201 -> {} after {} attempts; one key on all: {same} ({first})",
        charge.id,
        keys.len()
    )?;
    ensure(same && keys.len() == 3, "the key changed between attempts")?;

    provider.reset();
    provider
        .given(Route::post("/orders/{order}/capture"))
        .respond_seq([Reply::status(502), Reply::status(204)]);
    client.capture("ord_42", "capture-ord_42").await?;
    let keys = provider.journal().idempotency_keys("x-idempotency-key");
    writeln!(out, "caller's key: {keys:?}")?;
    ensure(
        keys == [Some("capture-ord_42".into()), Some("capture-ord_42".into())],
        "the caller's key was not sent on every attempt",
    )?;

    provider.reset();
    provider
        .given(Route::post("/refunds/{charge}"))
        .respond(Fault::ResetBeforeResponse);
    let err = failed(client.refund("ch_1").await, "refund")?;
    writeln!(
        out,
        "plain POST, lost connection: {} after {} attempt, not retried (it may have been processed)",
        err.kind(),
        err.attempts()
    )?;
    ensure(err.attempts() == 1, "a plain POST was retried")?;
    Ok(())
}

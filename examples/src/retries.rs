//! Retries: which outcomes are retried for which method, the backoff, and
//! `Retry-After`. Run it with `cargo run -p integrate-examples --example
//! retries`; the guide is `docs/retries.md`.

use std::io::Write;

use integrate::prelude::*;
use integrate_testkit::{FakeProvider, Reply, Route};

use crate::{ExampleError, ensure, failed, ms};

/// A catalogue API: 4 attempts, backoff 200 ms doubling up to 1 s, no
/// jitter (so the waits printed are exact).
#[integration(
    base_url = "https://catalog.example/v1",
    retry(
        max_attempts = 4,
        initial_backoff = "200ms",
        max_backoff = "1s",
        jitter = "none"
    )
)]
pub trait Catalog {
    /// A GET: retried after any transient outcome.
    #[get("/products/{id}")]
    async fn product(&self, id: &str) -> integrate::Result<String>;

    /// A POST without `#[idempotent]`: retried only when the provider
    /// cannot have processed it (connection refused, 429).
    #[post("/products/{id}/views")]
    async fn record_view(&self, id: &str) -> integrate::Result<()>;

    /// A per-method override: one attempt, never retried.
    #[get("/products/{id}/stock")]
    #[retry(max_attempts = 1)]
    async fn stock(&self, id: &str) -> integrate::Result<String>;
}

/// Runs the example, writing a few lines to `out`.
///
/// # Errors
///
/// When the client does not behave as the guide says.
pub async fn run(out: &mut impl Write) -> Result<(), ExampleError> {
    let provider = FakeProvider::in_process();
    let client = CatalogClient::builder()
        .base_url(provider.url())
        .transport(provider.transport())
        .build()?;

    // A GET: 503, 502, then a 429 asking for 3 s, then 200.
    provider.given(Route::get("/products/{id}")).respond_seq([
        Reply::status(503),
        Reply::status(502),
        Reply::status(429).retry_after_secs(3),
        Reply::text(200, "Teapot"),
    ]);
    let product = client.product("p1").await?;
    let gaps = provider.journal().gaps();
    let waits: Vec<String> = gaps.iter().map(|d| format!("{} ms", ms(*d))).collect();
    writeln!(
        out,
        "GET 503, 502, 429, 200: {} after 4 attempts; waits {} (backoff, backoff, Retry-After)",
        product,
        waits.join(", ")
    )?;
    ensure(waits == ["200 ms", "400 ms", "3000 ms"], "unexpected waits")?;

    // A POST that got a 503: the provider may have processed it.
    provider.reset();
    provider
        .given(Route::post("/products/{id}/views"))
        .respond_seq([Reply::status(503), Reply::status(204)]);
    let err = failed(client.record_view("p1").await, "POST 503")?;
    writeln!(
        out,
        "POST 503: not retried, {} after {} attempt ({})",
        err.kind(),
        err.attempts(),
        err.status().map_or(0, |s| s.as_u16())
    )?;
    ensure(err.attempts() == 1, "a POST was retried after a 503")?;

    // A POST that got a 429: the provider did not process it.
    provider.reset();
    provider
        .given(Route::post("/products/{id}/views"))
        .respond_seq([Reply::status(429).retry_after_secs(1), Reply::status(204)]);
    client.record_view("p1").await?;
    let count = provider.journal().count();
    writeln!(
        out,
        "POST 429: retried after 1000 ms, ok after {count} attempts"
    )?;
    ensure(count == 2, "a POST was not retried after a 429")?;

    // A 404 is never retried; nor is anything on a `max_attempts = 1` method.
    provider.reset();
    provider
        .given(Route::get("/products/{id}"))
        .respond(Reply::status(404));
    provider
        .given(Route::get("/products/{id}/stock"))
        .respond(Reply::status(503));
    let not_found = failed(client.product("nope").await, "GET 404")?;
    let stock = failed(client.stock("p1").await, "GET stock 503")?;
    writeln!(
        out,
        "GET 404: {} after {} attempt; GET 503 with #[retry(max_attempts = 1)]: {} after {} attempt",
        not_found.kind(),
        not_found.attempts(),
        stock.kind(),
        stock.attempts()
    )?;
    ensure(
        not_found.attempts() == 1 && stock.attempts() == 1,
        "a 404 or a max_attempts = 1 method was retried",
    )?;
    Ok(())
}

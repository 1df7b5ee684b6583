//! Timeouts: the attempt timeout cuts one try, the total deadline bounds
//! the call, and a wait that would end after the deadline is not slept.
//! Run it with `cargo run -p integrate-examples --example timeouts`; the
//! guide is `docs/timeouts.md`.

use std::io::Write;
use std::time::Duration;

use integrate::prelude::*;
use integrate_testkit::{FakeProvider, Fault, Reply, Route};
use tokio::time::Instant;

use crate::{ExampleError, ensure, failed, ms};

/// A reports API: 2 s per attempt, 5 s per call, 1 s between attempts.
#[integration(
    base_url = "https://reports.example/v1",
    retry(max_attempts = 3, initial_backoff = "1s", jitter = "none"),
    timeout(connect = "1s", attempt = "2s", total = "5s")
)]
pub trait Reports {
    /// A report, as text.
    #[get("/reports/{id}")]
    async fn report(&self, id: &str) -> integrate::Result<String>;

    /// A slow export: its own attempt and total timeouts.
    #[get("/exports/{id}")]
    #[timeout(attempt = "30s", total = "60s")]
    async fn export(&self, id: &str) -> integrate::Result<String>;
}

/// Runs the example, writing a few lines to `out`.
///
/// # Errors
///
/// When the client does not behave as the guide says.
pub async fn run(out: &mut impl Write) -> Result<(), ExampleError> {
    let provider = FakeProvider::in_process();
    let client = ReportsClient::builder()
        .base_url(provider.url())
        .transport(provider.transport())
        .build()?;

    // The first attempt hangs: cut at 2 s, retried 1 s later.
    provider
        .given(Route::get("/reports/{id}"))
        .respond_seq([Reply::from(Fault::Hang), Reply::text(200, "Q3: up")]);
    let started = Instant::now();
    let report = client.report("q3").await?;
    let took = started.elapsed();
    writeln!(
        out,
        "hang, then 200: \"{report}\" after {} ms (2000 attempt timeout + 1000 backoff)",
        ms(took)
    )?;
    ensure(
        took == Duration::from_secs(3),
        "the attempt timeout did not cut the hang",
    )?;

    // Every attempt hangs: the total deadline ends the call at 5 s.
    provider.reset();
    provider
        .given(Route::get("/reports/{id}"))
        .respond(Fault::Hang);
    let started = Instant::now();
    let err = failed(client.report("q3").await, "hang")?;
    let took = started.elapsed();
    writeln!(
        out,
        "always hangs: {} after {} attempts, at {} ms (the total deadline)",
        err.kind(),
        err.attempts(),
        ms(took)
    )?;
    ensure(
        err.kind() == ErrorKind::Timeout && took == Duration::from_secs(5),
        "the total deadline did not hold",
    )?;

    // Retry-After: 10 would end after the deadline: not slept.
    provider.reset();
    provider
        .given(Route::get("/reports/{id}"))
        .respond(Reply::status(503).retry_after_secs(10));
    let started = Instant::now();
    let err = failed(client.report("q3").await, "503")?;
    let took = started.elapsed();
    writeln!(
        out,
        "503 + Retry-After: 10 with a 5 s deadline: {} ({}) at once, after {} ms",
        err.kind(),
        err.status().map_or(0, |s| s.as_u16()),
        ms(took)
    )?;
    ensure(took.is_zero(), "the client slept past the deadline")?;

    // The per-method override lets a 20 s export finish.
    provider
        .given(Route::get("/exports/{id}"))
        .respond(Reply::text(200, "csv").delay(Duration::from_secs(20)));
    let started = Instant::now();
    client.export("e1").await?;
    writeln!(
        out,
        "export with #[timeout(attempt = \"30s\", total = \"60s\")]: ok after {} ms",
        ms(started.elapsed())
    )?;
    Ok(())
}

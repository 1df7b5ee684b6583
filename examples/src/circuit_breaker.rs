//! The circuit breaker: opens after failures, fails fast, half-opens after
//! `open_for`, closes when the trial succeeds. Run it with `cargo run -p
//! integrate-examples --example circuit_breaker`; the guide is
//! `docs/circuit-breaker.md`.

use std::io::Write;
use std::time::Duration;

use integrate::CircuitState;
use integrate::prelude::*;
use integrate_testkit::{FakeProvider, Reply, Route};

use crate::{ExampleError, ensure, failed, ms};

/// A mail API: the circuit opens after 3 failed attempts in a row and
/// probes again after 10 s with one trial attempt.
#[integration(
    base_url = "https://mail.example/v3",
    retry(max_attempts = 1),
    circuit_breaker(consecutive_failures = 3, open_for = "10s", half_open_calls = 1)
)]
pub trait Mail {
    /// Sends an email.
    #[post("/send")]
    async fn send(&self, #[body] to: &str) -> integrate::Result<()>;
}

fn state(client: &MailClient) -> String {
    let runtime: &integrate::Client = client.as_ref();
    match runtime.circuit_state() {
        CircuitState::Closed => "closed".into(),
        CircuitState::Open { remaining } => format!("open for {} ms more", ms(remaining)),
        CircuitState::HalfOpen => "half-open".into(),
        _ => "unknown".into(),
    }
}

/// Runs the example, writing a few lines to `out`.
///
/// # Errors
///
/// When the client does not behave as the guide says.
pub async fn run(out: &mut impl Write) -> Result<(), ExampleError> {
    let provider = FakeProvider::in_process();
    let client = MailClient::builder()
        .base_url(provider.url())
        .transport(provider.transport())
        .build()?;
    provider
        .given(Route::post("/send"))
        .respond_seq([Reply::status(503), Reply::status(503), Reply::status(503)])
        .fallback(Reply::status(202));

    for _ in 0..3 {
        let _ = client.send("ada@example.com").await;
    }
    writeln!(out, "3 x 503: circuit {}", state(&client))?;

    let err = failed(client.send("ada@example.com").await, "open circuit")?;
    let sent = provider.journal().count();
    writeln!(
        out,
        "4th call: {} at once, retry_after {} ms, nothing sent (provider saw {sent})",
        err.kind(),
        err.retry_after().map_or(0, ms)
    )?;
    ensure(
        err.kind() == ErrorKind::CircuitOpen && sent == 3,
        "the open circuit let a call through",
    )?;

    tokio::time::sleep(Duration::from_secs(10)).await;
    writeln!(out, "10 s later: circuit {}", state(&client))?;
    client.send("ada@example.com").await?;
    writeln!(out, "trial call: 202, circuit {}", state(&client))?;
    ensure(state(&client) == "closed", "the circuit did not close")?;
    Ok(())
}

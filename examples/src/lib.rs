//! The tour and the focused examples of integrate.
//!
//! `cargo run -p integrate-examples --example tour` runs [`tour::run`]:
//! three provider APIs declared as annotated traits, each against a fake
//! provider on loopback, and every failure of the integration checklist
//! provoked and handled.
//!
//! The focused examples show one concern each, against an in-process fake
//! provider on tokio's paused clock (so every wait is exact and instant):
//!
//! | example | module | guide |
//! | --- | --- | --- |
//! | `retries` | [`retries`] | `docs/retries.md` |
//! | `idempotency` | [`idempotency`] | `docs/retries.md` |
//! | `circuit_breaker` | [`circuit_breaker`] | `docs/circuit-breaker.md` |
//! | `rate_limit` | [`rate_limit`] | `docs/rate-limits.md` |
//! | `timeouts` | [`timeouts`] | `docs/timeouts.md` |
//! | `auth` | [`auth`] | `docs/auth.md` |
//! | `testing` | [`testing`] | `docs/testing.md` |
//! | `webhooks` | [`webhooks`] | `docs/webhooks.md` |

use std::future::Future;
use std::process::ExitCode;

pub mod apis;
pub mod auth;
pub mod circuit_breaker;
pub mod idempotency;
pub mod rate_limit;
pub mod retries;
pub mod testing;
pub mod timeouts;
pub mod tour;
pub mod webhooks;

/// Why a focused example could not show what it shows.
pub type ExampleError = Box<dyn std::error::Error + Send + Sync>;

/// Fails the example with `message` unless `condition` holds.
///
/// # Errors
///
/// When `condition` is false.
pub fn ensure(condition: bool, message: impl Into<String>) -> Result<(), ExampleError> {
    if condition {
        Ok(())
    } else {
        Err(message.into().into())
    }
}

/// Runs a focused example on a current-thread runtime whose clock starts
/// paused: every backoff, timeout and limiter wait is virtual, exact and
/// instant. Returns the process exit code.
pub fn main_paused<F>(example: F) -> ExitCode
where
    F: Future<Output = Result<(), ExampleError>>,
{
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("could not start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(example) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("the example failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Milliseconds of a duration, for printing.
#[must_use]
pub fn ms(d: std::time::Duration) -> u128 {
    d.as_millis()
}

/// The error of a call the example expects to fail.
///
/// # Errors
///
/// When the call succeeded: the example's point was not made.
pub fn failed<T>(
    result: integrate::Result<T>,
    what: &str,
) -> Result<integrate::Error, ExampleError> {
    match result {
        Ok(_) => Err(format!("{what}: the call succeeded").into()),
        Err(e) => Ok(e),
    }
}

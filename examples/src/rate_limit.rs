//! The rate limiter: a burst then spacing, a per-method limiter, a wait past
//! the deadline refused at once. `cargo run -p integrate-examples --example
//! rate_limit`; the guide is `docs/rate-limits.md`.

use std::io::Write;
use std::time::Duration;

use integrate::prelude::*;
use integrate_testkit::{FakeProvider, Reply, Route};
use serde_json::json;

use crate::{ExampleError, ensure, ms};

/// An SMS API allowing 5 requests per second, at most 2 back to back;
/// sending is further limited to 1 per second.
#[integration(
    base_url = "https://sms.example/v2",
    rate_limit(requests = 5, per = "1s", burst = 2),
    timeout(total = "3s")
)]
pub trait Sms {
    /// A message's status.
    #[get("/messages/{id}")]
    async fn status(&self, id: &str) -> integrate::Result<String>;

    /// Sends a message: its own limiter, acquired before the client's.
    #[post("/messages")]
    #[rate_limit(requests = 1, per = "1s")]
    async fn send(&self, #[body] text: &str) -> integrate::Result<()>;
}

fn gaps(provider: &FakeProvider) -> Vec<String> {
    let gaps = provider.journal().gaps();
    gaps.iter().map(|d| ms(*d).to_string()).collect()
}

/// Runs the example, writing a few lines to `out`.
///
/// # Errors
///
/// When the client does not behave as the guide says.
pub async fn run(out: &mut impl Write) -> Result<(), ExampleError> {
    let provider = FakeProvider::in_process();
    let client = SmsClient::builder()
        .base_url(provider.url())
        .transport(provider.transport())
        .build()?;
    provider
        .given(Route::get("/messages/{id}"))
        .respond(Reply::json(200, json!("delivered")));
    provider
        .given(Route::post("/messages"))
        .respond(Reply::status(202));

    // Six calls at once, from clones sharing the limiter.
    let calls: Vec<_> = (0..6)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.status(&format!("m{i}")).await })
        })
        .collect();
    for call in calls {
        call.await??;
    }
    let starts = gaps(&provider);
    writeln!(
        out,
        "6 GETs at once: gaps between starts (ms) [{}]",
        starts.join(", ")
    )?;
    ensure(
        starts == ["0", "200", "200", "200", "400"],
        "the burst and spacing differ from the rules",
    )?;

    // The per-method limiter: 1 send per second. Four sends at once: the
    // 4th slot is 3 s away, at the 3 s deadline, so that call fails at once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    provider.reset();
    provider
        .given(Route::post("/messages"))
        .respond(Reply::status(202));
    let sends: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send("hello").await })
        })
        .collect();
    let mut refused = Vec::new();
    for send in sends {
        if let Err(e) = send.await? {
            refused.push(e);
        }
    }
    let sent = gaps(&provider);
    writeln!(
        out,
        "4 sends at once: 3 sent, gaps (ms) [{}]",
        sent.join(", ")
    )?;
    ensure(
        sent == ["1000", "1000"],
        "the per-method limiter did not space sends",
    )?;
    let err = match refused.as_slice() {
        [err] => err,
        _ => return Err(format!("{} sends refused, expected 1", refused.len()).into()),
    };
    writeln!(
        out,
        "4th send: {} at once, nothing sent, retry_after {} ms",
        err.kind(),
        err.retry_after().map_or(0, ms)
    )?;
    ensure(
        err.kind() == ErrorKind::RateLimited,
        "the 4th send was not refused",
    )?;
    Ok(())
}

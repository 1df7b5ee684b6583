//! Testing with the testkit, the way a test would: a scripted fake
//! provider, paused time, faults, the journal and expectations. Run it with
//! `cargo run -p integrate-examples --example testing`; the guide is
//! `docs/testing.md`.

use std::io::Write;

use integrate::prelude::*;
use integrate_testkit::{FakeProvider, Fault, Reply, Route};
use serde_json::json;

use crate::{ExampleError, ensure, failed, ms};

/// A forecast.
#[derive(Debug, serde::Deserialize)]
pub struct Forecast {
    /// Degrees Celsius.
    pub celsius: i32,
}

/// The API under test.
#[integration(
    base_url = "https://weather.example/v1",
    auth = api_key(header = "X-Api-Key", env = "WEATHER_KEY"),
    retry(max_attempts = 3, initial_backoff = "200ms", jitter = "none"),
    timeout(attempt = "1s", total = "10s")
)]
pub trait Weather {
    /// The forecast for a city.
    #[get("/forecast/{city}")]
    async fn forecast(&self, city: &str, #[query] days: u32) -> integrate::Result<Forecast>;
}

fn client(provider: &FakeProvider) -> integrate::Result<WeatherClient> {
    WeatherClient::builder()
        .base_url(provider.url())
        .transport(provider.transport())
        .env(|name| (name == "WEATHER_KEY").then(|| "test-key".to_owned()))
        .build()
}

/// Runs the example, writing a few lines to `out`.
///
/// # Errors
///
/// When the client does not behave as the guide says.
pub async fn run(out: &mut impl Write) -> Result<(), ExampleError> {
    // Script: 503 twice, then 200; expect exactly 3 requests.
    let provider = FakeProvider::in_process();
    let weather = client(&provider)?;
    provider
        .given(
            Route::get("/forecast/{city}")
                .header("x-api-key", "test-key")
                .query("days", "2"),
        )
        .respond_seq([
            Reply::status(503),
            Reply::status(503),
            Reply::json(200, json!({"celsius": 21})),
        ])
        .expect(3);
    let forecast = weather.forecast("paris", 2).await?;
    let journal = provider.journal();
    let gaps: Vec<u128> = journal.gaps().into_iter().map(ms).collect();
    writeln!(
        out,
        "script 503, 503, 200: {} C; gaps on the paused clock {gaps:?} ms",
        forecast.celsius
    )?;
    ensure(gaps == [200, 400], "unexpected backoff")?;
    let first = journal.get(0).ok_or("no request recorded")?;
    writeln!(
        out,
        "journal: {} {}?{} x-request-id on every attempt: {}",
        first.method(),
        first.path(),
        first.query().unwrap_or_default(),
        journal
            .iter()
            .all(|r| r.header("x-request-id") == first.header("x-request-id"))
    )?;
    provider.verify()?;

    // Faults: each one becomes the error kind a real socket gives.
    provider.reset();
    let mut kinds = Vec::new();
    let faults = [
        ("truncated", Reply::from(Fault::Truncated)),
        ("malformed", Reply::malformed_json()),
        ("hang", Reply::from(Fault::Hang)),
    ];
    for (city, reply) in faults {
        provider
            .given(Route::get(&format!("/forecast/{city}")))
            .respond(reply);
        let err = failed(weather.forecast(city, 1).await, city)?;
        kinds.push(format!(
            "{city} -> {} ({} attempts)",
            err.kind(),
            err.attempts()
        ));
    }
    writeln!(out, "faults: {}", kinds.join(", "))?;

    // Expectations: an unmet one is reported (and would fail a test on drop).
    provider.reset();
    provider
        .given(Route::get("/forecast/{city}"))
        .respond(Reply::json(200, json!({"celsius": 3})))
        .expect(2);
    weather.forecast("oslo", 1).await?;
    let unmet = provider.verify().is_err();
    writeln!(out, "expect(2) after 1 request: verify() says so: {unmet}")?;
    ensure(unmet, "an unmet expectation was not reported")?;
    provider.reset(); // forget it: this is a demo, not a failing test
    Ok(())
}

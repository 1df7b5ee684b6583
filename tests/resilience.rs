//! The circuit breaker, the rate limiters and the client-wide 429 pause
//! through the call pipeline, on paused time.

#[path = "support/script.rs"]
mod script;

use std::time::Duration;

use integrate::{
    Call, CircuitBreakerPolicy, CircuitState, Client, ErrorKind, Jitter, Method, RateLimit,
    RetryPolicy, Timeouts, TransportErrorKind,
};
use script::{Script, Step};
use tokio::time::Instant;

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

fn secs(v: u64) -> Duration {
    Duration::from_secs(v)
}

fn get() -> Call {
    Call::new(Method::GET, "/x").operation("Test::get")
}

fn builder(script: &Script) -> integrate::ClientBuilder {
    Client::builder()
        .base_url("https://api.example.com")
        .transport(script.clone())
        .retry(RetryPolicy::none())
}

fn consecutive(n: u32) -> CircuitBreakerPolicy {
    CircuitBreakerPolicy::consecutive_failures(n)
        .open_for(secs(15))
        .half_open_calls(1)
}

#[tokio::test(start_paused = true)]
async fn the_circuit_opens_fails_fast_half_opens_and_closes() {
    let script = Script::new([
        Step::status(503),
        Step::status(503),
        Step::status(503),
        Step::status(200),
    ]);
    let client = builder(&script)
        .circuit_breaker(consecutive(3))
        .build()
        .unwrap();
    for _ in 0..3 {
        let err = client.execute(get()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Status);
    }
    assert!(matches!(client.circuit_state(), CircuitState::Open { .. }));

    // Open: fails at once, nothing sent, retry_after = remaining open time.
    tokio::time::advance(secs(5)).await;
    let err = client.execute(get()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CircuitOpen);
    assert_eq!(err.retry_after(), Some(secs(10)));
    assert_eq!(err.attempts(), 0);
    assert_eq!(script.count(), 3);

    // After open_for: one trial, which succeeds and closes the circuit.
    tokio::time::advance(secs(10)).await;
    assert_eq!(client.circuit_state(), CircuitState::HalfOpen);
    client.execute(get()).await.unwrap();
    assert_eq!(client.circuit_state(), CircuitState::Closed);
    assert_eq!(script.count(), 4);
}

#[tokio::test(start_paused = true)]
async fn what_counts_as_failure() {
    // 429 and 404 are answers: they never open the circuit.
    for status in [429, 404, 400, 401] {
        let script = Script::new([Step::status(status)]);
        let client = builder(&script)
            .circuit_breaker(consecutive(2))
            .build()
            .unwrap();
        for _ in 0..5 {
            assert!(client.execute(get()).await.is_err());
        }
        assert_eq!(client.circuit_state(), CircuitState::Closed, "{status}");
    }
    // Lost connections, timeouts and 5xx do.
    for step in [
        Step::status(500),
        Step::status(408),
        Step::Fail(TransportErrorKind::Connect),
        Step::Fail(TransportErrorKind::Network),
        Step::Fail(TransportErrorKind::Body),
        Step::Hang,
    ] {
        let script = Script::new([step.clone()]);
        let client = builder(&script)
            .circuit_breaker(consecutive(2))
            .timeouts(Timeouts::default().attempt(secs(1)))
            .build()
            .unwrap();
        for _ in 0..2 {
            assert!(client.execute(get()).await.is_err());
        }
        assert!(
            matches!(client.circuit_state(), CircuitState::Open { .. }),
            "{step:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_ratio_form_needs_min_calls() {
    let script = Script::new([Step::status(503)]);
    let client = builder(&script)
        .circuit_breaker(
            CircuitBreakerPolicy::default()
                .failure_ratio(0.5)
                .min_calls(4)
                .window(secs(30)),
        )
        .build()
        .unwrap();
    for _ in 0..3 {
        let _ = client.execute(get()).await;
    }
    assert_eq!(client.circuit_state(), CircuitState::Closed);
    let _ = client.execute(get()).await;
    assert!(matches!(client.circuit_state(), CircuitState::Open { .. }));
}

#[tokio::test(start_paused = true)]
async fn when_the_circuit_opens_between_attempts_the_call_ends_with_the_last_error() {
    let script = Script::new([Step::status(503)]);
    let client = Client::builder()
        .base_url("https://api.example.com")
        .transport(script.clone())
        .retry(RetryPolicy::default().max_attempts(5).jitter(Jitter::None))
        .circuit_breaker(consecutive(2))
        .build()
        .unwrap();
    let err = client.execute(get()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(err.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(err.attempts(), 2);
    assert_eq!(script.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_attempt_cut_by_the_total_deadline_is_not_counted() {
    let script = Script::new([Step::Hang]);
    let client = builder(&script)
        .circuit_breaker(consecutive(1))
        .timeouts(Timeouts::default().attempt(secs(10)).total(secs(1)))
        .build()
        .unwrap();
    for _ in 0..3 {
        let err = client.execute(get()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
    }
    assert_eq!(client.circuit_state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_call_gives_back_its_half_open_permit() {
    let script = Script::new([Step::status(503), Step::Hang, Step::status(200)]);
    let client = builder(&script)
        .circuit_breaker(consecutive(1))
        .build()
        .unwrap();
    let _ = client.execute(get()).await;
    tokio::time::advance(secs(15)).await;
    assert_eq!(client.circuit_state(), CircuitState::HalfOpen);
    // The trial hangs; the caller gives up (drops the future).
    let trial = tokio::time::timeout(ms(100), client.execute(get())).await;
    assert!(trial.is_err());
    // Its permit came back: another trial is admitted and closes it.
    client.execute(get()).await.unwrap();
    assert_eq!(client.circuit_state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_exactly_the_trial_calls() {
    let script = Script::new([
        Step::status(503),
        Step::After(secs(1), Box::new(Step::status(200))),
    ]);
    let client = builder(&script)
        .circuit_breaker(consecutive(1).half_open_calls(2))
        .build()
        .unwrap();
    let _ = client.execute(get()).await;
    tokio::time::advance(secs(15)).await;
    let calls: Vec<_> = (0..5)
        .map(|_| tokio::spawn(client.execute(get())))
        .collect();
    let mut admitted = 0;
    let mut refused = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => admitted += 1,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::CircuitOpen);
                assert_eq!(e.retry_after(), None);
                refused += 1;
            }
        }
    }
    assert_eq!((admitted, refused), (2, 3));
    assert_eq!(client.circuit_state(), CircuitState::Closed);
}

#[tokio::test(start_paused = true)]
async fn the_limiter_spaces_a_burst_and_is_shared_by_clones() {
    let script = Script::new([Step::status(200)]);
    let client = builder(&script)
        .rate_limit(RateLimit::new(5, secs(1)).burst(2))
        .build()
        .unwrap();
    let start = Instant::now();
    let calls: Vec<_> = (0..6)
        .map(|_| tokio::spawn(client.clone().execute(get())))
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let offsets: Vec<_> = script.seen().iter().map(|s| s.at - start).collect();
    // Two back to back, then one every 200 ms; the sixth waits for the
    // window rule (at most 5 starts in any second).
    assert_eq!(offsets, [ms(0), ms(0), ms(200), ms(400), ms(600), ms(1000)]);
}

#[tokio::test(start_paused = true)]
async fn a_limiter_wait_past_the_deadline_fails_at_once() {
    let script = Script::new([Step::status(200)]);
    let client = builder(&script)
        .rate_limit(RateLimit::new(1, secs(10)))
        .timeouts(Timeouts::default().total(secs(2)))
        .build()
        .unwrap();
    client.execute(get()).await.unwrap();
    let start = Instant::now();
    let err = client.execute(get()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(secs(10)));
    assert_eq!(err.attempts(), 0);
    assert_eq!(script.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_pauses_every_call_of_the_client() {
    let script = Script::new([
        Step::status(429).with_header("retry-after", "5"),
        Step::status(200),
    ]);
    let client = builder(&script).build().unwrap();
    let start = Instant::now();
    let err = client.execute(get()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    // A call started after the 429 waits for the pause to end.
    let other = client.clone();
    other.execute(get()).await.unwrap();
    let seen = script.seen();
    assert_eq!(seen[1].at - start, secs(5));
    // A pause past the deadline fails at once.
    let script = Script::new([Step::status(429).with_header("retry-after", "60")]);
    let client = builder(&script)
        .timeouts(Timeouts::default().total(secs(10)))
        .build()
        .unwrap();
    let _ = client.execute(get()).await;
    let err = client.execute(get()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(secs(60)));
    assert_eq!(script.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_call_gives_back_its_limiter_slot() {
    let script = Script::new([Step::status(200)]);
    let client = builder(&script)
        .rate_limit(RateLimit::new(1, secs(1)))
        .build()
        .unwrap();
    let start = Instant::now();
    client.execute(get()).await.unwrap();
    // This call waits for the slot at 1 s, then is dropped at 0.5 s.
    let waiting = tokio::time::timeout(ms(500), client.execute(get())).await;
    assert!(waiting.is_err());
    // The slot at 1 s is free again for the next caller.
    client.execute(get()).await.unwrap();
    assert_eq!(script.seen()[1].at - start, secs(1));
    assert_eq!(script.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn invalid_policies_are_config_errors() {
    let script = Script::new([]);
    for result in [
        builder(&script)
            .circuit_breaker(CircuitBreakerPolicy::default().failure_ratio(1.5))
            .build(),
        builder(&script)
            .circuit_breaker(CircuitBreakerPolicy::default().failure_ratio(0.0))
            .build(),
        builder(&script)
            .rate_limit(RateLimit::new(0, secs(1)))
            .build(),
        builder(&script)
            .rate_limit(RateLimit::new(5, secs(1)).burst(6))
            .build(),
    ] {
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Config);
    }
}

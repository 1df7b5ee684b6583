use std::sync::Barrier;
use std::time::Duration;

use tokio::time::Instant;

use super::{CircuitBreaker, CircuitBreakerPolicy, CircuitState};
use crate::ErrorKind;

const MS: Duration = Duration::from_millis(1);

/// Installs [`Capture`] as the global subscriber. Every test here calls it
/// first.
///
/// tracing caches once per callsite whether any subscriber is interested.
/// With the global subscriber in place before any transition callsite is
/// first hit, no callsite can be cached as uninteresting by a thread that
/// has no subscriber, and the events test sees every event of its thread.
fn install_capture() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // Fails only if another global subscriber is set: then the events
        // test fails and says so.
        let _ = tracing::subscriber::set_global_default(Capture);
    });
}

const SEC: Duration = Duration::from_secs(1);

fn ratio(ratio: f64, min_calls: u32) -> CircuitBreakerPolicy {
    CircuitBreakerPolicy::default()
        .failure_ratio(ratio)
        .min_calls(min_calls)
        .window(Duration::from_secs(10))
        .open_for(Duration::from_secs(5))
}

/// Records `n` attempts at `now`, failing when `fail` says so.
fn record(breaker: &CircuitBreaker, now: Instant, n: usize, fail: bool) {
    for _ in 0..n {
        let permit = breaker.acquire(now).expect("closed circuit admits");
        if fail {
            permit.failure(now);
        } else {
            permit.success(now);
        }
    }
}

/// Opens a consecutive-form breaker at `now`.
fn opened(policy: &CircuitBreakerPolicy, now: Instant) -> CircuitBreaker {
    let breaker = CircuitBreaker::new(policy);
    while breaker.state(now) == CircuitState::Closed {
        breaker.acquire(now).expect("closed").failure(now);
    }
    breaker
}

#[test]
fn default_policy_matches_the_documented_defaults() {
    install_capture();
    let policy = CircuitBreakerPolicy::default();
    let expected = CircuitBreakerPolicy::default()
        .failure_ratio(0.5)
        .min_calls(20)
        .window(Duration::from_secs(30))
        .open_for(Duration::from_secs(15))
        .half_open_calls(1);
    assert_eq!(policy, expected);
    assert!(policy.validate().is_ok());
    assert!(
        CircuitBreakerPolicy::consecutive_failures(3)
            .validate()
            .is_ok()
    );
}

#[test]
fn validate_rejects_bad_values_with_config_errors() {
    install_capture();
    let bad = [
        CircuitBreakerPolicy::default().failure_ratio(0.0),
        CircuitBreakerPolicy::default().failure_ratio(-0.1),
        CircuitBreakerPolicy::default().failure_ratio(1.01),
        CircuitBreakerPolicy::default().failure_ratio(f64::NAN),
        CircuitBreakerPolicy::default().min_calls(0),
        CircuitBreakerPolicy::default().window(Duration::ZERO),
        CircuitBreakerPolicy::default().open_for(Duration::ZERO),
        CircuitBreakerPolicy::default().half_open_calls(0),
        CircuitBreakerPolicy::consecutive_failures(0),
        CircuitBreakerPolicy::consecutive_failures(3).failure_ratio(0.5),
        CircuitBreakerPolicy::consecutive_failures(3).min_calls(5),
        CircuitBreakerPolicy::consecutive_failures(3).window(SEC),
        CircuitBreakerPolicy::consecutive_failures(3).half_open_calls(0),
    ];
    for policy in bad {
        let err = policy
            .validate()
            .expect_err(&format!("{policy:?} is invalid"));
        assert_eq!(err.kind(), ErrorKind::Config, "{policy:?}");
        assert!(err.to_string().contains("circuit breaker"), "{err}");
    }
    assert!(
        CircuitBreakerPolicy::default()
            .failure_ratio(1.0)
            .validate()
            .is_ok()
    );
}

#[test]
fn ratio_form_opens_once_min_calls_completed_and_ratio_reached() {
    install_capture();
    let breaker = CircuitBreaker::new(&ratio(0.5, 10));
    let t0 = Instant::now();
    record(&breaker, t0, 5, true);
    record(&breaker, t0, 4, false);
    // 9 completed, 5 failed: fewer than min_calls.
    assert_eq!(breaker.state(t0), CircuitState::Closed);
    // The 10th completes the minimum with 5/10 = 0.5 failed.
    record(&breaker, t0, 1, false);
    assert_eq!(
        breaker.state(t0),
        CircuitState::Open {
            remaining: Duration::from_secs(5)
        }
    );
}

#[test]
fn ratio_form_below_the_ratio_stays_closed() {
    install_capture();
    let breaker = CircuitBreaker::new(&ratio(0.5, 10));
    let t0 = Instant::now();
    for _ in 0..20 {
        record(&breaker, t0, 1, true);
        record(&breaker, t0, 2, false);
    }
    // 60 completed, a third failed.
    assert_eq!(breaker.state(t0), CircuitState::Closed);
}

#[test]
fn min_calls_holds_the_circuit_closed_even_when_every_attempt_fails() {
    install_capture();
    let breaker = CircuitBreaker::new(&ratio(0.5, 10));
    let t0 = Instant::now();
    record(&breaker, t0, 9, true);
    assert_eq!(breaker.state(t0), CircuitState::Closed);
    record(&breaker, t0, 1, true);
    assert!(matches!(breaker.state(t0), CircuitState::Open { .. }));
}

#[test]
fn failures_older_than_the_window_are_forgotten() {
    install_capture();
    // Window 10s, min_calls 10, ratio 0.5.
    let breaker = CircuitBreaker::new(&ratio(0.5, 10));
    let t0 = Instant::now();
    record(&breaker, t0, 9, true);
    // 10.5s later the nine failures have left the window.
    let t1 = t0 + Duration::from_millis(10_500);
    record(&breaker, t1, 9, false);
    record(&breaker, t1, 1, true);
    assert_eq!(breaker.state(t1), CircuitState::Closed);
    // Within the window they still count: a second breaker, same history
    // but the successes 5s later.
    let breaker = CircuitBreaker::new(&ratio(0.5, 10));
    record(&breaker, t0, 9, true);
    let t2 = t0 + Duration::from_secs(5);
    record(&breaker, t2, 1, false);
    assert!(matches!(breaker.state(t2), CircuitState::Open { .. }));
}

#[test]
fn consecutive_form_opens_after_n_failures_in_a_row() {
    install_capture();
    let policy = CircuitBreakerPolicy::consecutive_failures(3).open_for(Duration::from_secs(2));
    let breaker = CircuitBreaker::new(&policy);
    let t0 = Instant::now();
    record(&breaker, t0, 2, true);
    record(&breaker, t0, 1, false);
    record(&breaker, t0, 2, true);
    // A success broke the run: 2 in a row so far.
    assert_eq!(breaker.state(t0), CircuitState::Closed);
    record(&breaker, t0, 1, true);
    assert_eq!(
        breaker.state(t0),
        CircuitState::Open {
            remaining: Duration::from_secs(2)
        }
    );
}

#[test]
fn open_circuit_fails_fast_with_the_remaining_open_time() {
    install_capture();
    let policy = CircuitBreakerPolicy::consecutive_failures(1).open_for(Duration::from_secs(15));
    let t0 = Instant::now();
    let breaker = opened(&policy, t0);
    let t1 = t0 + Duration::from_secs(4);
    assert_eq!(
        breaker.acquire(t1).err(),
        Some(Some(Duration::from_secs(11)))
    );
    assert_eq!(
        breaker.state(t1),
        CircuitState::Open {
            remaining: Duration::from_secs(11)
        }
    );
    let t2 = t0 + Duration::from_secs(15) - MS;
    assert_eq!(breaker.acquire(t2).err(), Some(Some(MS)));
    // Once open_for has passed the snapshot reports half-open.
    assert_eq!(
        breaker.state(t0 + Duration::from_secs(15)),
        CircuitState::HalfOpen
    );
}

#[test]
fn half_open_admits_exactly_half_open_calls_trials() {
    install_capture();
    let policy = CircuitBreakerPolicy::consecutive_failures(1)
        .open_for(SEC)
        .half_open_calls(2);
    let t0 = Instant::now();
    let breaker = opened(&policy, t0);
    let t1 = t0 + SEC;
    let first = breaker.acquire(t1).expect("first trial");
    let second = breaker.acquire(t1).expect("second trial");
    // All trial slots taken: fail fast without a remaining time.
    assert_eq!(breaker.acquire(t1).err(), Some(None));
    assert_eq!(breaker.state(t1), CircuitState::HalfOpen);
    first.success(t1);
    // A succeeded trial keeps its slot: still no third trial.
    assert_eq!(breaker.acquire(t1).err(), Some(None));
    second.success(t1);
    assert_eq!(breaker.state(t1), CircuitState::Closed);
}

#[test]
fn concurrent_callers_in_half_open_admit_exactly_n() {
    install_capture();
    const THREADS: usize = 16;
    const TRIALS: u32 = 3;
    for _ in 0..20 {
        let policy = CircuitBreakerPolicy::consecutive_failures(1)
            .open_for(SEC)
            .half_open_calls(TRIALS);
        let t0 = Instant::now();
        let breaker = opened(&policy, t0);
        let t1 = t0 + SEC;
        let barrier = Barrier::new(THREADS);
        let admitted = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        match breaker.acquire(t1) {
                            Ok(permit) => {
                                // Keep the slot until every thread tried.
                                std::mem::forget(permit);
                                true
                            }
                            Err(remaining) => {
                                assert_eq!(remaining, None);
                                false
                            }
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .filter(|&ok| ok)
                .count()
        });
        assert_eq!(admitted, TRIALS as usize);
    }
}

#[test]
fn a_failed_trial_reopens_and_later_outcomes_of_that_round_are_ignored() {
    install_capture();
    let policy = CircuitBreakerPolicy::consecutive_failures(1)
        .open_for(Duration::from_secs(5))
        .half_open_calls(2);
    let t0 = Instant::now();
    let breaker = opened(&policy, t0);
    let t1 = t0 + Duration::from_secs(5);
    let first = breaker.acquire(t1).expect("trial");
    let second = breaker.acquire(t1).expect("trial");
    let t2 = t1 + Duration::from_secs(1);
    first.failure(t2);
    assert_eq!(
        breaker.state(t2),
        CircuitState::Open {
            remaining: Duration::from_secs(5)
        }
    );
    // The other trial of the failed round succeeding changes nothing.
    second.success(t2);
    assert_eq!(
        breaker.state(t2),
        CircuitState::Open {
            remaining: Duration::from_secs(5)
        }
    );
    assert_eq!(
        breaker.acquire(t2 + SEC).err(),
        Some(Some(Duration::from_secs(4)))
    );
    // A new round after the second open period.
    let t3 = t2 + Duration::from_secs(5);
    breaker.acquire(t3).expect("trial").success(t3);
    breaker.acquire(t3).expect("trial").success(t3);
    assert_eq!(breaker.state(t3), CircuitState::Closed);
}

#[test]
fn closing_starts_a_fresh_window() {
    install_capture();
    let breaker = CircuitBreaker::new(&ratio(0.5, 4).open_for(SEC));
    let t0 = Instant::now();
    record(&breaker, t0, 4, true);
    assert!(matches!(breaker.state(t0), CircuitState::Open { .. }));
    let t1 = t0 + SEC;
    breaker.acquire(t1).expect("trial").success(t1);
    assert_eq!(breaker.state(t1), CircuitState::Closed);
    // The four failures before the open period no longer count: three
    // more failures (3 of 3 completed) stay under min_calls.
    record(&breaker, t1, 3, true);
    assert_eq!(breaker.state(t1), CircuitState::Closed);
    record(&breaker, t1, 1, true);
    assert!(matches!(breaker.state(t1), CircuitState::Open { .. }));
}

#[test]
fn dropped_permits_are_not_counted() {
    install_capture();
    let breaker = CircuitBreaker::new(&ratio(0.5, 4));
    let t0 = Instant::now();
    for _ in 0..100 {
        drop(breaker.acquire(t0).expect("closed"));
    }
    record(&breaker, t0, 3, true);
    // Only the three recorded attempts count: under min_calls.
    assert_eq!(breaker.state(t0), CircuitState::Closed);

    let consecutive = CircuitBreaker::new(&CircuitBreakerPolicy::consecutive_failures(2));
    record(&consecutive, t0, 1, true);
    // A dropped permit is no success: the run of failures goes on.
    drop(consecutive.acquire(t0).expect("closed"));
    record(&consecutive, t0, 1, true);
    assert!(matches!(consecutive.state(t0), CircuitState::Open { .. }));
}

#[test]
fn a_dropped_trial_permit_gives_back_its_slot() {
    install_capture();
    let policy = CircuitBreakerPolicy::consecutive_failures(1)
        .open_for(SEC)
        .half_open_calls(1);
    let t0 = Instant::now();
    let breaker = opened(&policy, t0);
    let t1 = t0 + SEC;
    let trial = breaker.acquire(t1).expect("trial");
    assert_eq!(breaker.acquire(t1).err(), Some(None));
    drop(trial);
    // Not counted: still half-open, and the slot is free again.
    assert_eq!(breaker.state(t1), CircuitState::HalfOpen);
    let trial = breaker.acquire(t1).expect("the slot was given back");
    trial.success(t1);
    assert_eq!(breaker.state(t1), CircuitState::Closed);
}

#[test]
fn outcomes_of_permits_granted_before_a_transition_are_ignored() {
    install_capture();
    let policy = CircuitBreakerPolicy::consecutive_failures(2).open_for(SEC);
    let breaker = CircuitBreaker::new(&policy);
    let t0 = Instant::now();
    let slow = breaker.acquire(t0).expect("closed");
    record(&breaker, t0, 2, true);
    assert!(matches!(breaker.state(t0), CircuitState::Open { .. }));
    let t1 = t0 + SEC;
    breaker.acquire(t1).expect("trial").success(t1);
    assert_eq!(breaker.state(t1), CircuitState::Closed);
    // The attempt that started before the circuit opened ends now: it
    // belongs to the old window and counts nothing.
    slow.failure(t1);
    record(&breaker, t1, 1, true);
    assert_eq!(breaker.state(t1), CircuitState::Closed);
}

#[test]
fn a_breaker_on_paused_time_goes_through_every_state() {
    install_capture();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let policy =
            CircuitBreakerPolicy::consecutive_failures(2).open_for(Duration::from_secs(15));
        let breaker = CircuitBreaker::new(&policy);
        record(&breaker, Instant::now(), 2, true);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(
            breaker.state(Instant::now()),
            CircuitState::Open {
                remaining: Duration::from_secs(5)
            }
        );
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(breaker.state(Instant::now()), CircuitState::HalfOpen);
        let trial = breaker.acquire(Instant::now()).expect("trial");
        trial.success(Instant::now());
        assert_eq!(breaker.state(Instant::now()), CircuitState::Closed);
    });
}

std::thread_local! {
    /// The events [`Capture`] saw on this thread, while `Some`.
    static CAPTURED: std::cell::RefCell<Option<Vec<(tracing::Level, String)>>> =
        const { std::cell::RefCell::new(None) };
}

/// A global subscriber that keeps the level and `circuit.state` of the
/// events of the threads that asked for them.
struct Capture;

struct StateField(Option<String>);

impl tracing::field::Visit for StateField {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "circuit.state" {
            self.0 = Some(value.to_owned());
        }
    }
    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}

impl tracing::Subscriber for Capture {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::always()
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut state = StateField(None);
        event.record(&mut state);
        if let Some(state) = state.0 {
            CAPTURED.with_borrow_mut(|captured| {
                if let Some(captured) = captured {
                    captured.push((*event.metadata().level(), state));
                }
            });
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn transitions_are_tracing_events() {
    install_capture();
    CAPTURED.set(Some(Vec::new()));
    let policy = CircuitBreakerPolicy::consecutive_failures(1).open_for(SEC);
    let t0 = Instant::now();
    let breaker = opened(&policy, t0);
    let t1 = t0 + SEC;
    breaker.acquire(t1).expect("trial").failure(t1);
    let t2 = t1 + SEC;
    breaker.acquire(t2).expect("trial").success(t2);
    let seen = CAPTURED.take().unwrap_or_default();
    use tracing::Level;
    let expected = [
        (Level::WARN, "open"),
        (Level::INFO, "half_open"),
        (Level::WARN, "open"),
        (Level::INFO, "half_open"),
        (Level::INFO, "closed"),
    ];
    let seen: Vec<_> = seen.iter().map(|(l, s)| (*l, s.as_str())).collect();
    assert_eq!(
        seen,
        expected,
        "max level {:?}, global set {}, transitions {}",
        tracing::level_filters::LevelFilter::current(),
        tracing::dispatcher::has_been_set(),
        breaker.transitions()
    );
}

#[test]
fn concurrent_outcomes_are_all_counted() {
    install_capture();
    use super::window::{Totals, Window};
    const THREADS: u64 = 8;
    const EACH: u64 = 2000;
    let t0 = Instant::now();
    let window = Window::new(Duration::from_secs(10), t0);
    let barrier = Barrier::new(THREADS as usize);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (window, barrier) = (&window, &barrier);
            scope.spawn(move || {
                barrier.wait();
                for i in 0..EACH {
                    // Spread over the first 5s: several buckets, each
                    // moved to its step by whichever thread comes first.
                    let now = t0 + Duration::from_millis((i * 5000 / EACH + thread) % 5000);
                    window.record(now, i % 4 == 0);
                }
            });
        }
    });
    let totals = window.record(t0 + Duration::from_secs(5), false);
    assert_eq!(
        totals,
        Some(Totals {
            completed: THREADS * EACH + 1,
            failures: THREADS * EACH / 4,
        })
    );
}

#[test]
fn a_success_skips_the_totals_only_when_no_failure_is_in_the_window() {
    use super::window::{Totals, Window};
    let t0 = Instant::now();
    // Steps of 500 ms over a 10 s window.
    let window = Window::new(Duration::from_secs(10), t0);
    assert_eq!(window.record(t0, false), None);
    assert_eq!(
        window.record(t0 + Duration::from_secs(1), true),
        Some(Totals {
            completed: 2,
            failures: 1
        })
    );
    // The failure is in the window (the first success, in step 0, is not
    // any more): every success reads the totals.
    assert_eq!(
        window.record(t0 + Duration::from_millis(10_499), false),
        Some(Totals {
            completed: 2,
            failures: 1
        })
    );
    // 10 s after the failure's step began, it has left the window.
    assert_eq!(window.record(t0 + Duration::from_secs(11), false), None);
    window.record(t0 + Duration::from_secs(12), true);
    window.reset();
    assert_eq!(window.record(t0 + Duration::from_secs(12), false), None);
}

#[test]
fn concurrent_failures_open_the_circuit_once() {
    install_capture();
    const THREADS: usize = 8;
    for policy in [
        ratio(0.5, 10),
        CircuitBreakerPolicy::consecutive_failures(5),
    ] {
        let breaker = CircuitBreaker::new(&policy);
        let t0 = Instant::now();
        let barrier = Barrier::new(THREADS);
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    barrier.wait();
                    for _ in 0..200 {
                        if let Ok(permit) = breaker.acquire(t0) {
                            permit.failure(t0);
                        }
                    }
                });
            }
        });
        assert!(matches!(breaker.state(t0), CircuitState::Open { .. }));
        assert_eq!(breaker.transitions(), 1, "{policy:?}");
    }
}

#[test]
fn only_timeouts_and_server_errors_count_as_failures() {
    use super::status_is_failure;
    for failure in [408, 500, 502, 503, 504] {
        let status = http::StatusCode::from_u16(failure).expect("valid status");
        assert!(status_is_failure(status), "{failure}");
    }
    for success in [
        200, 201, 204, 301, 400, 401, 403, 404, 409, 422, 429, 501, 505,
    ] {
        let status = http::StatusCode::from_u16(success).expect("valid status");
        assert!(!status_is_failure(status), "{success}");
    }
}

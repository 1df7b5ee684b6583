use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use super::{RateLimit, RateLimiter, Suspension};
use crate::ErrorKind;

const HOUR: Duration = Duration::from_secs(3600);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn limiter(requests: u32, per: Duration, burst: u32) -> Rc<RateLimiter> {
    let limit = RateLimit::new(requests, per).burst(burst);
    limit.validate().expect("valid limit");
    Rc::new(RateLimiter::new(&limit))
}

/// Starts (as offsets from `t0`) of attempts that arrive at `arrivals`
/// offsets and give up waiting at `give_up` offsets (`None`: never, or
/// when the attempt gave up), in arrival order.
async fn run_giving_up(
    limiter: &Rc<RateLimiter>,
    t0: Instant,
    arrivals: &[u64],
    give_up: &[Option<u64>],
) -> Vec<Option<Duration>> {
    let starts = Rc::new(RefCell::new(vec![None; arrivals.len()]));
    let local = tokio::task::LocalSet::new();
    for i in 0..arrivals.len() {
        let limiter = limiter.clone();
        let starts = starts.clone();
        let arrival = t0 + ms(arrivals[i]);
        let give_up = give_up[i].map_or(t0 + HOUR, |g| arrival + ms(g));
        local.spawn_local(async move {
            tokio::time::sleep_until(arrival).await;
            let acquire = limiter.acquire(Instant::now(), Instant::now() + HOUR);
            if let Ok(result) = tokio::time::timeout_at(give_up, acquire).await {
                result.expect("a deadline an hour away is never reached");
                starts.borrow_mut()[i] = Some(Instant::now() - t0);
            }
        });
        local.run_until(tokio::task::yield_now()).await;
    }
    local.await;
    starts.take()
}

/// Starts (as offsets from `t0`) of attempts that arrive at `arrivals`
/// offsets, in arrival order (ties keep their order in the slice).
async fn run(limiter: &Rc<RateLimiter>, t0: Instant, arrivals: &[u64]) -> Vec<Duration> {
    let starts = Rc::new(RefCell::new(vec![None; arrivals.len()]));
    let local = tokio::task::LocalSet::new();
    let mut order: Vec<usize> = (0..arrivals.len()).collect();
    order.sort_by_key(|&i| arrivals[i]);
    for i in order {
        let limiter = limiter.clone();
        let starts = starts.clone();
        let arrival = t0 + ms(arrivals[i]);
        local.spawn_local(async move {
            tokio::time::sleep_until(arrival).await;
            limiter
                .acquire(Instant::now(), Instant::now() + HOUR)
                .await
                .expect("a deadline an hour away is never reached");
            starts.borrow_mut()[i] = Some(Instant::now() - t0);
        });
        // Let the task register its timer before the next one, so tasks
        // arriving at the same instant run in spawn order.
        local.run_until(tokio::task::yield_now()).await;
    }
    local.await;
    let starts = starts.borrow();
    starts
        .iter()
        .map(|s| s.expect("every attempt started"))
        .collect()
}

/// Checks both rules and arrival order on the starts of attempts that
/// arrived at `arrivals` (sorted).
fn check_rules(requests: u32, per: Duration, burst: u32, arrivals: &[u64], starts: &[Duration]) {
    let n = starts.len();
    for i in 0..n {
        assert!(starts[i] >= ms(arrivals[i]), "started before it arrived");
        if i > 0 {
            assert!(starts[i] >= starts[i - 1], "arrival order: {starts:?}");
        }
        // Window: at most `requests` starts in any interval of length `per`.
        let r = requests as usize;
        if i >= r {
            assert!(
                starts[i] - starts[i - r] >= per,
                "{} starts within {per:?}: {starts:?}",
                r + 1
            );
        }
    }
    // Burst and spacing: GCRA conformance with interval per/requests and
    // tolerance (burst - 1) intervals.
    let interval = per / requests;
    let tolerance = interval * (burst - 1);
    let mut tat = Duration::ZERO;
    for &s in starts {
        assert!(
            s + tolerance >= tat,
            "more than {burst} back to back: {starts:?}"
        );
        tat = tat.max(s) + interval;
    }
    // The limiter wastes no slot: each start is as early as the rules and
    // the attempts before it allow.
    let mut tat = Duration::ZERO;
    for i in 0..n {
        let mut earliest = ms(arrivals[i]).max(tat.saturating_sub(tolerance));
        if i >= requests as usize {
            earliest = earliest.max(starts[i - requests as usize] + per);
        }
        if i > 0 {
            earliest = earliest.max(starts[i - 1]);
        }
        assert_eq!(
            starts[i], earliest,
            "attempt {i} waited too long: {starts:?}"
        );
        tat = tat.max(starts[i]) + interval;
    }
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn both_rules_hold_for_random_arrivals(
        requests in prop::sample::select(vec![1u32, 2, 4, 5, 10, 20]),
        burst_is_requests in any::<bool>(),
        mut arrivals in prop::collection::vec(0u64..3000, 1..60),
    ) {
        arrivals.sort_unstable();
        let per = Duration::from_secs(1);
        let burst = if burst_is_requests { requests } else { 1 };
        let starts = paused_runtime().block_on(async {
            let limiter = limiter(requests, per, burst);
            run(&limiter, Instant::now(), &arrivals).await
        });
        check_rules(requests, per, burst, &arrivals, &starts);
    }

    #[test]
    fn waiters_giving_up_keep_the_rules_the_order_and_speed_up_the_rest(
        requests in prop::sample::select(vec![1u32, 2, 5, 10]),
        burst_is_requests in any::<bool>(),
        mut attempts in prop::collection::vec(
            (0u64..2000, prop::option::weighted(0.3, 1u64..500)),
            1..40,
        ),
    ) {
        attempts.sort_unstable_by_key(|a| a.0);
        let arrivals: Vec<u64> = attempts.iter().map(|a| a.0).collect();
        let give_up: Vec<Option<u64>> = attempts.iter().map(|a| a.1).collect();
        let per = Duration::from_secs(1);
        let burst = if burst_is_requests { requests } else { 1 };
        let (with, without) = paused_runtime().block_on(async {
            let t0 = Instant::now();
            let with = run_giving_up(&limiter(requests, per, burst), t0, &arrivals, &give_up).await;
            let t1 = Instant::now() + HOUR;
            tokio::time::sleep_until(t1).await;
            let without = run(&limiter(requests, per, burst), t1, &arrivals).await;
            (with, without)
        });
        let started: Vec<(u64, Duration)> = arrivals
            .iter()
            .zip(&with)
            .filter_map(|(&a, s)| s.map(|s| (a, s)))
            .collect();
        let r = requests as usize;
        let interval = per / requests;
        let tolerance = interval * (burst - 1);
        let mut tat = Duration::ZERO;
        for (k, &(arrival, start)) in started.iter().enumerate() {
            prop_assert!(start >= ms(arrival));
            if k > 0 {
                prop_assert!(start >= started[k - 1].1, "arrival order: {:?}", started);
            }
            if k >= r {
                prop_assert!(start - started[k - r].1 >= per, "window: {:?}", started);
            }
            prop_assert!(start + tolerance >= tat, "burst: {:?}", started);
            tat = tat.max(start) + interval;
        }
        for (i, start) in with.iter().enumerate() {
            match (start, give_up[i]) {
                (Some(start), _) => prop_assert!(
                    *start <= without[i],
                    "attempt {} started later than with no one giving up", i
                ),
                (None, Some(g)) => prop_assert!(
                    without[i] >= ms(arrivals[i] + g),
                    "attempt {} gave up although its slot came in time", i
                ),
                (None, None) => prop_assert!(false, "attempt {} never started", i),
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_window_rule_holds_back_a_full_burst() {
    // GCRA alone would let a fourth start 333ms after a burst of three,
    // and a fifth at 666ms. The window rule holds both to 999ms; by then
    // the burst allowance is back, so the attempt arriving at 1000ms starts
    // at once.
    let limiter = limiter(3, ms(999), 3);
    let starts = run(&limiter, Instant::now(), &[0, 0, 0, 0, 400, 1000, 1000]).await;
    assert_eq!(
        starts,
        [ms(0), ms(0), ms(0), ms(999), ms(999), ms(1000), ms(1998)]
    );
}

#[tokio::test(start_paused = true)]
async fn beyond_the_burst_starts_are_spaced() {
    let limiter = limiter(4, ms(1000), 2);
    let starts = run(&limiter, Instant::now(), &[0, 0, 0, 0, 0]).await;
    assert_eq!(starts, [ms(0), ms(0), ms(250), ms(500), ms(1000)]);
}

#[tokio::test(start_paused = true)]
async fn waiters_are_served_in_arrival_order() {
    let limiter = limiter(10, ms(1000), 1);
    let t0 = Instant::now();
    let order = Rc::new(RefCell::new(Vec::new()));
    let local = tokio::task::LocalSet::new();
    for i in 0..10 {
        let limiter = limiter.clone();
        let order = order.clone();
        local.spawn_local(async move {
            limiter
                .acquire(Instant::now(), Instant::now() + HOUR)
                .await
                .expect("within the deadline");
            order.borrow_mut().push((i, Instant::now() - t0));
        });
        local.run_until(tokio::task::yield_now()).await;
    }
    local.await;
    let expected: Vec<_> = (0..10).map(|i| (i, ms(100 * i as u64))).collect();
    assert_eq!(*order.borrow(), expected);
}

#[tokio::test(start_paused = true)]
async fn a_slot_after_the_deadline_is_not_waited_for_nor_reserved() {
    let limiter = limiter(1, ms(1000), 1);
    let t0 = Instant::now();
    assert_eq!(limiter.acquire(t0, t0 + ms(10)).await, Ok(t0));
    // The next slot begins at t0 + 1s: past a deadline at 500ms.
    let t1 = t0 + ms(200);
    assert_eq!(limiter.acquire(t1, t0 + ms(500)).await, Err(ms(800)));
    // A deadline exactly at the slot leaves no time for the attempt.
    assert_eq!(limiter.acquire(t1, t0 + ms(1000)).await, Err(ms(800)));
    // Nothing was reserved: the next caller gets the slot at 1s.
    assert_eq!(limiter.acquire(t1, t0 + ms(1001)).await, Ok(t0 + ms(1000)));
    assert_eq!(Instant::now(), t0 + ms(1000));
    // The error the call ends with carries the wait as `retry_after()`.
    let err = crate::Error::rate_limited_locally(ms(800));
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(ms(800)));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_waiter_gives_its_slot_to_the_waiters_behind_it() {
    let limiter = limiter(10, ms(1000), 1);
    let t0 = Instant::now();
    let starts = Rc::new(RefCell::new(Vec::new()));
    let local = tokio::task::LocalSet::new();
    let mut handles = Vec::new();
    for name in ["a", "b", "c", "d"] {
        let limiter = limiter.clone();
        let starts = starts.clone();
        handles.push(local.spawn_local(async move {
            limiter
                .acquire(Instant::now(), Instant::now() + HOUR)
                .await
                .expect("within the deadline");
            starts.borrow_mut().push((name, Instant::now() - t0));
        }));
        local.run_until(tokio::task::yield_now()).await;
    }
    // a started at 0; b, c, d hold 100, 200, 300. b leaves.
    handles[1].abort();
    local
        .run_until(async {
            tokio::time::sleep(ms(50)).await;
            // A newcomer queues behind c and d: the freed slot is the last
            // one, 300ms.
            let newcomer = limiter.clone();
            let starts = starts.clone();
            tokio::task::spawn_local(async move {
                newcomer
                    .acquire(Instant::now(), Instant::now() + HOUR)
                    .await
                    .expect("within the deadline");
                starts.borrow_mut().push(("e", Instant::now() - t0));
            });
        })
        .await;
    local.await;
    assert_eq!(
        *starts.borrow(),
        [("a", ms(0)), ("c", ms(100)), ("d", ms(200)), ("e", ms(300))]
    );
}

#[tokio::test(start_paused = true)]
async fn the_last_waiter_leaving_releases_its_slot() {
    let limiter = limiter(10, ms(1000), 1);
    let t0 = Instant::now();
    limiter.acquire(t0, t0 + HOUR).await.expect("first");
    // The second caller gives up after 30ms (its future is dropped).
    let gave_up = tokio::time::timeout(ms(30), limiter.acquire(t0, t0 + HOUR)).await;
    assert!(gave_up.is_err(), "it was still waiting for 100ms");
    // A caller arriving now gets the 100ms slot back.
    limiter
        .acquire(Instant::now(), t0 + HOUR)
        .await
        .expect("third");
    assert_eq!(Instant::now() - t0, ms(100));
    // And the spacing goes on from there.
    limiter
        .acquire(Instant::now(), t0 + HOUR)
        .await
        .expect("fourth");
    assert_eq!(Instant::now() - t0, ms(200));
}

#[tokio::test(start_paused = true)]
async fn a_waiter_dropped_after_later_ones_started_keeps_the_rules() {
    // Two waiters share an instant; the second starts before the first is
    // dropped. The slot left behind stays counted.
    let limiter = limiter(2, ms(1000), 2);
    let t0 = Instant::now();
    limiter.acquire(t0, t0 + HOUR).await.expect("1");
    limiter.acquire(t0, t0 + HOUR).await.expect("2");
    let first = limiter.acquire(t0, t0 + HOUR);
    let second = limiter.acquire(t0, t0 + HOUR);
    let mut first = Box::pin(first);
    // Reserve the first slot (1000ms), then the second (1000ms too).
    assert!(futures_poll(&mut first).is_pending());
    let mut second = Box::pin(second);
    assert!(futures_poll(&mut second).is_pending());
    tokio::time::advance(ms(1000)).await;
    assert!(futures_poll(&mut second).is_ready());
    drop(first);
    // Two slots at 1000ms are counted: the next is at 2000ms.
    limiter
        .acquire(Instant::now(), t0 + HOUR)
        .await
        .expect("third");
    assert_eq!(Instant::now() - t0, ms(2000));
}

fn futures_poll<F: std::future::Future + Unpin>(f: &mut F) -> std::task::Poll<F::Output> {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    std::pin::Pin::new(f).poll(&mut cx)
}

#[test]
fn validate_rejects_bad_limits_with_config_errors() {
    let bad = [
        RateLimit::new(0, ms(1000)),
        RateLimit::new(10, Duration::ZERO),
        RateLimit::new(10, ms(1000)).burst(0),
        RateLimit::new(10, ms(1000)).burst(11),
    ];
    for limit in bad {
        let err = limit
            .validate()
            .expect_err(&format!("{limit:?} is invalid"));
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains("rate limit"), "{err}");
    }
    assert!(RateLimit::new(10, ms(1000)).burst(10).validate().is_ok());
    assert!(RateLimit::new(10, ms(1000)).burst(1).validate().is_ok());
    assert_eq!(RateLimit::new(7, ms(1000)).burst_size(), 7);
}

#[tokio::test(start_paused = true)]
async fn the_suspension_holds_back_attempts_started_after_it() {
    let suspension = Suspension::new();
    let t0 = Instant::now();
    assert_eq!(suspension.wait(t0, t0 + HOUR).await, Ok(t0));
    assert_eq!(Instant::now(), t0, "no pause: no wait");
    suspension.suspend_until(t0 + ms(2000));
    // An earlier pause does not shorten it.
    suspension.suspend_until(t0 + ms(1000));
    assert_eq!(suspension.until(t0), Some(t0 + ms(2000)));
    tokio::time::advance(ms(500)).await;
    let t1 = Instant::now();
    // A pause ending after the deadline is not waited for.
    assert_eq!(suspension.wait(t1, t0 + ms(1500)).await, Err(ms(1500)));
    assert_eq!(suspension.wait(t1, t0 + ms(2000)).await, Err(ms(1500)));
    assert_eq!(Instant::now(), t1);
    assert_eq!(suspension.wait(t1, t0 + HOUR).await, Ok(t0 + ms(2000)));
    assert_eq!(Instant::now(), t0 + ms(2000));
    assert_eq!(suspension.until(Instant::now()), None);
}

#[tokio::test(start_paused = true)]
async fn a_pause_extended_while_waiting_is_waited_for_too() {
    let suspension = std::sync::Arc::new(Suspension::new());
    let t0 = Instant::now();
    suspension.suspend_until(t0 + ms(1000));
    let extender = suspension.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ms(500)).await;
        extender.suspend_until(t0 + ms(3000));
    });
    assert_eq!(suspension.wait(t0, t0 + HOUR).await, Ok(t0 + ms(3000)));
    assert_eq!(Instant::now(), t0 + ms(3000));
    // With a deadline between the two ends the extension is reported.
    suspension.suspend_until(t0 + ms(5000));
    let t1 = Instant::now();
    assert_eq!(suspension.wait(t1, t0 + ms(4000)).await, Err(ms(2000)));
}

#[tokio::test(start_paused = true)]
async fn the_suspension_and_the_limiter_together() {
    // An attempt first waits out the pause, then takes its limiter slot.
    let suspension = Suspension::new();
    let limiter = limiter(1, ms(1000), 1);
    let t0 = Instant::now();
    limiter.acquire(t0, t0 + HOUR).await.expect("first");
    suspension.suspend_until(t0 + ms(1500));
    let now = Instant::now();
    suspension.wait(now, t0 + HOUR).await.expect("pause");
    limiter
        .acquire(Instant::now(), t0 + HOUR)
        .await
        .expect("slot");
    assert_eq!(Instant::now(), t0 + ms(1500));
}

#[tokio::test(start_paused = true)]
async fn a_generous_quota_keeps_only_the_last_window_in_the_log() {
    let limiter = limiter(1_000_000, ms(1000), 1_000_000);
    for _ in 0..50 {
        for _ in 0..100 {
            let now = Instant::now();
            limiter.acquire(now, now + HOUR).await.unwrap();
        }
        tokio::time::advance(ms(100)).await;
    }
    // 100 starts per 100 ms: about one second's worth is kept, not 5,000.
    assert!(limiter.log_len() <= 1_100, "{}", limiter.log_len());
}

#[tokio::test(start_paused = true)]
async fn spawned_calls_share_one_limiter_and_one_pause() {
    // `tokio::spawn` needs `Send` futures: the call futures of a client
    // hold these.
    let limiter = std::sync::Arc::new(RateLimiter::new(&RateLimit::new(2, ms(1000)).burst(1)));
    let suspension = std::sync::Arc::new(Suspension::new());
    let t0 = Instant::now();
    suspension.suspend_until(t0 + ms(300));
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let (limiter, suspension) = (limiter.clone(), suspension.clone());
            tokio::spawn(async move {
                let now = Instant::now();
                suspension.wait(now, now + HOUR).await?;
                limiter.acquire(Instant::now(), now + HOUR).await?;
                Ok::<_, Duration>(Instant::now() - t0)
            })
        })
        .collect();
    let mut starts = Vec::new();
    for task in tasks {
        starts.push(task.await.expect("no panic").expect("within the deadline"));
    }
    starts.sort();
    assert_eq!(starts, [ms(300), ms(800), ms(1300)]);
}

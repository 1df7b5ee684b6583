//! The webhook receiver pipeline: deduplication, retry and dead letters,
//! back-pressure, graceful shutdown, over the in-memory receipt backend.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::IntoResponse;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use integrate::store::{IdState, InMemoryBackend, ReceiptBackend};
use integrate::webhook::{Outcome, Receiver, Scheme, Verifier, WebhookVerifier, webhook};
use integrate::{Jitter, RetryPolicy};
use integrate_testkit::WebhookSender;
use tokio::time::Instant;

const SECRET: &str = "receipt-test-secret";

#[webhook(scheme = "github", secret_env = "RECEIPT_TEST_GITHUB_SECRET")]
#[derive(Debug, serde::Deserialize)]
struct Event {
    n: u32,
}

/// A GitHub delivery: the body signed in `X-Hub-Signature-256`, the id in
/// `X-GitHub-Delivery` (when given).
fn delivery(id: Option<&str>, body: &str) -> (HeaderMap, Bytes) {
    let sender = WebhookSender::github(SECRET);
    let signed = match id {
        Some(id) => sender.sign_with_id(id, body.to_owned()),
        None => sender
            .sign(body.to_owned())
            .without_header("x-github-delivery"),
    };
    signed.into_parts()
}

fn event(id: u32) -> (HeaderMap, Bytes) {
    delivery(Some(&format!("delivery-{id}")), &format!(r#"{{"n":{id}}}"#))
}

struct Setup {
    receiver: Receiver<Event>,
    backend: Arc<InMemoryBackend>,
}

fn setup(max_depth: usize) -> Setup {
    let verifier = WebhookVerifier::<Event>::builder()
        .secret(SECRET)
        .build()
        .unwrap();
    let backend = Arc::new(
        InMemoryBackend::builder()
            .max_depth(max_depth)
            .build()
            .unwrap(),
    );
    let receiver = Receiver::builder(verifier)
        .shared_backend(backend.clone())
        .build()
        .unwrap();
    Setup { receiver, backend }
}

fn policy(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(200))
        .max_backoff(Duration::from_secs(10))
        .jitter(Jitter::None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_deliveries_sent_three_times_concurrently_run_once_each() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Setup { receiver, .. } = setup(10_000);
    let runs = Arc::new(Mutex::new(Vec::new()));
    let pool = {
        let runs = runs.clone();
        receiver
            .workers()
            .workers(8)
            .spawn(move |e: Event| {
                let runs = runs.clone();
                async move {
                    runs.lock().unwrap().push(e.n);
                    Ok::<(), std::convert::Infallible>(())
                }
            })
            .unwrap()
    };
    let app = axum::Router::new().route("/hooks/github", receiver.method_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/github", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let permits = Arc::new(tokio::sync::Semaphore::new(48));
    let mut sends = tokio::task::JoinSet::new();
    for id in 0..1000u32 {
        for _copy in 0..3 {
            let (headers, body) = event(id);
            let (client, url, permits) = (client.clone(), url.clone(), permits.clone());
            sends.spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                let response = client.post(url).headers(headers).body(body).send().await;
                response.map(|r| r.status())
            });
        }
    }
    let mut statuses = Vec::new();
    while let Some(done) = sends.join_next().await {
        statuses.push(done.unwrap().expect("request answered"));
    }
    let left = tokio::time::timeout(Duration::from_secs(30), pool.drain())
        .await
        .expect("the queue drains")
        .unwrap();
    server.abort();

    assert_eq!(statuses.len(), 3000);
    let accepted = statuses
        .iter()
        .filter(|s| **s == StatusCode::ACCEPTED)
        .count();
    let duplicate = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!((accepted, duplicate), (1000, 2000), "{statuses:?}");
    let runs = runs.lock().unwrap();
    assert_eq!(runs.len(), 1000, "the handler ran once per delivery");
    let distinct: HashSet<u32> = runs.iter().copied().collect();
    assert_eq!(distinct, (0..1000).collect::<HashSet<_>>());
    assert!(left.is_clean(), "{left:?}");
    assert_eq!(left.left.dead_letters, 0);
    let stats = receiver.stats();
    assert_eq!(
        (
            stats.received,
            stats.duplicates,
            stats.enqueued,
            stats.processed
        ),
        (3000, 2000, 1000, 1000)
    );
}

#[tokio::test(start_paused = true)]
async fn a_handler_failing_twice_then_succeeding_runs_three_times_and_is_done() {
    let Setup { receiver, backend } = setup(100);
    let calls = Arc::new(Mutex::new(Vec::new()));
    let pool = {
        let calls = calls.clone();
        receiver
            .workers()
            .workers(1)
            .retry(policy(5))
            .spawn(move |_: Event| {
                let calls = calls.clone();
                async move {
                    let mut calls = calls.lock().unwrap();
                    calls.push(Instant::now());
                    if calls.len() <= 2 {
                        Err(format!("failure {}", calls.len()))
                    } else {
                        Ok(())
                    }
                }
            })
            .unwrap()
    };
    let (headers, body) = event(7);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Accepted
    ));
    let report = pool.drain().await.unwrap();

    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3);
    // Exponential backoff from the retry policy, through the delayed set:
    // 200 ms, then 400 ms.
    assert_eq!(calls[1] - calls[0], Duration::from_millis(200));
    assert_eq!(calls[2] - calls[1], Duration::from_millis(400));
    assert_eq!(backend.id_state("delivery-7"), Some(IdState::Done));
    assert!(report.is_clean(), "{report:?}");
    let stats = receiver.stats();
    assert_eq!((stats.failed_attempts, stats.processed), (2, 1));

    // A redelivery after it is done is acknowledged, not run again (the
    // intake closed with the pool: a new pool opens it).
    let _pool = receiver
        .workers()
        .spawn(|_: Event| async { Ok::<(), String>(()) })
        .unwrap();
    let (headers, body) = event(7);
    let outcome = receiver.receive(&headers, body).await;
    assert!(matches!(outcome, Outcome::Duplicate));
    assert_eq!(outcome.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn an_always_failing_handler_is_dead_lettered_after_n_and_a_duplicate_is_not_rerun() {
    let Setup { receiver, backend } = setup(100);
    let calls = Arc::new(AtomicU32::new(0));
    let spawn_pool = |receiver: &Receiver<Event>| {
        let calls = calls.clone();
        receiver
            .workers()
            .workers(2)
            .retry(policy(4))
            .spawn(move |e: Event| {
                let calls = calls.clone();
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>(format!("event {} cannot be handled", e.n))
                }
            })
            .unwrap()
    };
    let pool = spawn_pool(&receiver);
    let (headers, body) = event(3);
    assert!(receiver.receive(&headers, body).await.is_acknowledged());
    let report = pool.drain().await.unwrap();

    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(report.left.dead_letters, 1);
    let dead = backend.dead_letters(None, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    let dead = &dead[0];
    assert_eq!(dead.job.delivery_id(), Some("delivery-3"));
    assert_eq!(dead.job.attempts(), 4);
    assert_eq!(dead.error, "event 3 cannot be handled");
    assert_eq!(backend.id_state("delivery-3"), Some(IdState::Done));
    assert_eq!(receiver.stats().dead_lettered, 1);

    // A later duplicate is acknowledged and not run.
    let pool = spawn_pool(&receiver);
    let (headers, body) = event(3);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Duplicate
    ));
    let report = pool.drain().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(report.left.dead_letters, 1);

    // Re-driven, it runs its attempts again and comes back dead.
    let pool = spawn_pool(&receiver);
    assert!(receiver.backend().redrive(&dead.receipt).await.unwrap());
    assert!(!receiver.backend().redrive("no-such-receipt").await.unwrap());
    let report = pool.drain().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 8);
    assert_eq!(report.left.dead_letters, 1);
    let dead = backend.dead_letters(None, 10).await.unwrap();
    assert_eq!(dead[0].job.attempts(), 4);
    // Purged, it is gone; its id stays done.
    assert!(backend.purge(&dead[0].receipt).await.unwrap());
    assert!(backend.dead_letters(None, 10).await.unwrap().is_empty());
    assert_eq!(backend.id_state("delivery-3"), Some(IdState::Done));
}

#[tokio::test(start_paused = true)]
async fn a_full_backend_answers_503_with_retry_after_claims_nothing_and_the_redelivery_is_processed()
 {
    let Setup { receiver, backend } = setup(1);
    let (headers, body) = event(1);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Accepted
    ));
    let (headers, body) = event(2);
    let refused = receiver.receive(&headers, body).await;
    assert!(matches!(refused, Outcome::Unavailable { .. }));
    assert!(!refused.is_acknowledged());
    assert_eq!(backend.id_state("delivery-2"), None, "nothing is claimed");
    let response = refused.into_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers().get(http::header::RETRY_AFTER).unwrap(),
        "5"
    );
    assert_eq!(receiver.stats().unavailable, 1);

    let handled = Arc::new(Mutex::new(Vec::new()));
    let handled2 = handled.clone();
    let pool = receiver
        .workers()
        .spawn(move |e: Event| {
            let handled = handled2.clone();
            async move {
                handled.lock().unwrap().push(e.n);
                Ok::<(), String>(())
            }
        })
        .unwrap();
    // The provider retries after Retry-After; by then there is room.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (headers, body) = event(2);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Accepted
    ));
    pool.drain().await.unwrap();
    assert_eq!(*handled.lock().unwrap(), vec![1, 2]);
    assert_eq!(backend.id_state("delivery-2"), Some(IdState::Done));
}

#[tokio::test(start_paused = true)]
async fn every_acknowledged_delivery_is_handled_or_left_in_the_backend_at_shutdown() {
    let Setup { receiver, backend } = setup(1_000);
    let handled = Arc::new(Mutex::new(HashSet::new()));
    let pool = {
        let handled = handled.clone();
        receiver
            .workers()
            .workers(3)
            .retry(policy(3))
            .spawn(move |e: Event| {
                let handled = handled.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if e.n.is_multiple_of(4) {
                        return Err("flaky".to_owned());
                    }
                    handled.lock().unwrap().insert(e.n);
                    Ok(())
                }
            })
            .unwrap()
    };
    let mut acknowledged = HashSet::new();
    for id in 0..60 {
        let (headers, body) = event(id);
        if receiver.receive(&headers, body).await.is_acknowledged() {
            acknowledged.insert(id);
        }
    }
    assert_eq!(acknowledged.len(), 60);
    tokio::time::sleep(Duration::from_millis(550)).await;
    let report = pool.shutdown().await.unwrap();

    let handled = handled.lock().unwrap().clone();
    assert!(!handled.is_empty(), "some deliveries were handled");
    assert!(report.abandoned.is_empty(), "running attempts finished");
    assert!(report.left.ready > 0, "some were left ready: {report:?}");
    assert_eq!(report.left.leased, 0, "{report:?}");
    // Every acknowledged id is done (handled or dead) or still pending in
    // the backend: nothing acknowledged is lost.
    for id in &acknowledged {
        let state = backend.id_state(&format!("delivery-{id}"));
        match state {
            Some(IdState::Done) => assert!(handled.contains(id) || id % 4 == 0),
            Some(IdState::Pending) => assert!(!handled.contains(id)),
            None => panic!("delivery-{id} was acknowledged and is lost"),
        }
    }
    assert_eq!(
        report.left.pending_ids,
        report.left.unfinished(),
        "one pending id per unfinished job"
    );
    // Retried jobs wait in the delayed set with their attempts counted.
    assert!(report.left.delayed > 0, "{report:?}");
    // After the shutdown the receiver refuses new deliveries.
    let (headers, body) = event(100);
    let refused = receiver.receive(&headers, body).await;
    assert!(
        matches!(refused, Outcome::Unavailable { .. }),
        "{refused:?}"
    );
    assert!(!receiver.is_accepting());
}

#[tokio::test]
async fn rejected_deliveries_get_the_verification_status_and_are_not_claimed() {
    let Setup { receiver, backend } = setup(10);
    let (headers, body) = WebhookSender::github(SECRET)
        .sign_with_id("delivery-1", r#"{"n":1}"#)
        .tampered()
        .into_parts();
    let outcome = receiver.receive(&headers, body).await;
    assert_eq!(outcome.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(backend.id_state("delivery-1"), None);

    let (headers, body) = delivery(Some("delivery-x"), r#"{"not":"an event"}"#);
    let outcome = receiver.receive(&headers, body).await;
    assert_eq!(outcome.status(), StatusCode::BAD_REQUEST);
    assert_eq!(backend.id_state("delivery-x"), None);
    assert_eq!(receiver.stats().rejected, 2);
    assert_eq!(receiver.stats().received, 0);
}

#[tokio::test(start_paused = true)]
async fn a_delivery_without_an_id_is_processed_every_time() {
    // The untyped verifier, with an id function that finds no id.
    let verifier = Verifier::builder(Scheme::Github)
        .secret(SECRET)
        .build()
        .unwrap();
    let receiver = Receiver::<Event>::from_verifier(verifier, |_, _| None)
        .build()
        .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let pool = {
        let calls = calls.clone();
        receiver
            .workers()
            .spawn(move |_: Event| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Ok::<(), String>(()) }
            })
            .unwrap()
    };
    for _ in 0..2 {
        let (headers, body) = delivery(None, r#"{"n":1}"#);
        assert!(matches!(
            receiver.receive(&headers, body).await,
            Outcome::Accepted
        ));
    }
    pool.drain().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn ids_from_a_check_function_are_held_to_the_length_rule() {
    let verifier = Verifier::builder(Scheme::Github)
        .secret(SECRET)
        .build()
        .unwrap();
    let receiver = Receiver::<Event>::from_verifier(verifier, |headers, _| {
        headers
            .get("x-github-delivery")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })
    .build()
    .unwrap();
    let (headers, body) = delivery(Some(&"i".repeat(256)), r#"{"n":1}"#);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Accepted
    ));
    let (headers, body) = delivery(Some(&"i".repeat(257)), r#"{"n":1}"#);
    let outcome = receiver.receive(&headers, body).await;
    assert_eq!(outcome.status(), StatusCode::BAD_REQUEST, "{outcome:?}");
}

#[tokio::test(start_paused = true)]
async fn done_ids_are_remembered_for_the_ttl_72_hours_by_default() {
    assert_eq!(
        Receiver::<Event>::DEFAULT_TTL,
        Duration::from_secs(72 * 3600)
    );
    let Setup { receiver, .. } = setup(10);
    let pool = receiver
        .workers()
        .spawn(|_: Event| async { Ok::<(), String>(()) })
        .unwrap();
    let (headers, body) = event(1);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Accepted
    ));
    while receiver.stats().processed == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Receiver::<Event>::DEFAULT_TTL - Duration::from_secs(1)).await;
    let (headers, body) = event(1);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Duplicate
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (headers, body) = event(1);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Accepted
    ));
    pool.drain().await.unwrap();
    assert_eq!(receiver.stats().processed, 2);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_attempt_is_a_failed_attempt_and_the_worker_lives_on() {
    let Setup { receiver, .. } = setup(10);
    let calls = Arc::new(AtomicU32::new(0));
    let pool = {
        let calls = calls.clone();
        receiver
            .workers()
            .workers(1)
            .retry(policy(3))
            .spawn(move |e: Event| {
                let call = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    assert!(call > 0, "first attempt of event {} panics", e.n);
                    Ok::<(), String>(())
                }
            })
            .unwrap()
    };
    for id in [1, 2] {
        let (headers, body) = event(id);
        assert!(receiver.receive(&headers, body).await.is_acknowledged());
    }
    let report = pool.drain().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert!(report.is_clean());
    let stats = receiver.stats();
    assert_eq!((stats.failed_attempts, stats.processed), (1, 2));
}

#[tokio::test(start_paused = true)]
async fn a_handler_panicking_before_it_returns_its_future_is_a_failed_attempt() {
    let Setup { receiver, backend } = setup(10);
    let calls = Arc::new(AtomicU32::new(0));
    let pool = {
        let calls = calls.clone();
        receiver
            .workers()
            .workers(1)
            .retry(policy(2))
            .spawn(move |e: Event| {
                calls.fetch_add(1, Ordering::SeqCst);
                if e.n == 1 {
                    panic!("event 1 is refused synchronously");
                }
                async { Ok::<(), String>(()) }
            })
            .unwrap()
    };
    for id in [1, 2] {
        let (headers, body) = event(id);
        assert!(receiver.receive(&headers, body).await.is_acknowledged());
    }
    let report = pool.drain().await.unwrap();
    // Event 1: two attempts, both panicked, dead-lettered with the message;
    // event 2 ran on the same (living) pool.
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(report.left.dead_letters, 1);
    let dead = backend.dead_letters(None, 10).await.unwrap();
    assert_eq!(
        dead[0].error,
        "the handler panicked: event 1 is refused synchronously"
    );
    assert_eq!(backend.id_state("delivery-2"), Some(IdState::Done));
    assert_eq!(receiver.stats().processed, 1);
}

#[tokio::test(start_paused = true)]
async fn the_handler_with_job_info_sees_the_delivery_id_and_attempt() {
    let Setup { receiver, .. } = setup(10);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let pool = {
        let seen = seen.clone();
        receiver
            .workers()
            .retry(policy(3))
            .spawn_with(move |_: Event, job: integrate::webhook::JobInfo| {
                let seen = seen.clone();
                async move {
                    seen.lock()
                        .unwrap()
                        .push((job.delivery_id.clone(), job.attempt));
                    if job.attempt < 2 {
                        Err("once more")
                    } else {
                        Ok(())
                    }
                }
            })
            .unwrap()
    };
    let (headers, body) = event(5);
    receiver.receive(&headers, body).await;
    pool.drain().await.unwrap();
    let id = Some("delivery-5".to_owned());
    assert_eq!(*seen.lock().unwrap(), vec![(id.clone(), 1), (id, 2)]);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_handler_is_abandoned_at_the_end_of_the_grace_period() {
    let Setup { receiver, backend } = setup(10);
    let pool = receiver
        .workers()
        .workers(2)
        .shutdown_grace(Duration::from_secs(3))
        .spawn(|e: Event| async move {
            if e.n == 1 {
                std::future::pending::<()>().await;
            }
            Ok::<(), String>(())
        })
        .unwrap();
    for id in [1, 2] {
        let (headers, body) = event(id);
        assert!(receiver.receive(&headers, body).await.is_acknowledged());
    }
    while receiver.stats().processed == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let started = Instant::now();
    let report = pool.shutdown().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(report.abandoned.len(), 1, "{report:?}");
    let abandoned = &report.abandoned[0];
    assert_eq!(abandoned.delivery_id.as_deref(), Some("delivery-1"));
    assert_eq!(abandoned.attempts, 1);
    assert!(abandoned.released);
    // Given back: ready again, its id still pending, the attempt counted.
    assert_eq!(report.left.ready, 1);
    assert_eq!(backend.id_state("delivery-1"), Some(IdState::Pending));
    assert_eq!(receiver.stats().abandoned, 1);
    let leases = backend
        .take(1, Duration::from_secs(60), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(leases[0].job().attempts(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_long_handler_keeps_its_lease_and_is_not_run_twice() {
    let Setup { receiver, .. } = setup(10);
    let calls = Arc::new(AtomicU32::new(0));
    let pool = {
        let calls = calls.clone();
        receiver
            .workers()
            .workers(4)
            .lease(Duration::from_secs(10))
            .spawn(move |_: Event| {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    // Three times the lease.
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    Ok::<(), String>(())
                }
            })
            .unwrap()
    };
    let (headers, body) = event(1);
    assert!(receiver.receive(&headers, body).await.is_acknowledged());
    let report = pool.drain().await.unwrap();
    assert!(report.is_clean());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_pool_leaves_its_jobs_leased_until_the_lease_expires_then_they_run() {
    let Setup { receiver, backend } = setup(10);
    let started = Arc::new(AtomicU32::new(0));
    let pool = {
        let started = started.clone();
        receiver
            .workers()
            .lease(Duration::from_secs(10))
            .spawn(move |_: Event| {
                started.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<Result<(), String>>()
            })
            .unwrap()
    };
    let (headers, body) = event(1);
    assert!(receiver.receive(&headers, body).await.is_acknowledged());
    while started.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    drop(pool);
    assert_eq!(backend.snapshot().leased, 1);
    let ran = Arc::new(AtomicU32::new(0));
    let pool = {
        let ran = ran.clone();
        receiver
            .workers()
            .spawn(move |_: Event| {
                ran.fetch_add(1, Ordering::SeqCst);
                async { Ok::<(), String>(()) }
            })
            .unwrap()
    };
    let report = pool.drain().await.unwrap();
    assert!(report.is_clean());
    assert_eq!(ran.load(Ordering::SeqCst), 1, "run once the lease expired");
    assert_eq!(backend.id_state("delivery-1"), Some(IdState::Done));
}

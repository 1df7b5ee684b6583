//! The webhook receiver pipeline: deduplication, retry and dead letters,
//! back-pressure, graceful shutdown, and the in-memory store and queue.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::IntoResponse;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use integrate::store::{Claim, IdempotencyStore, InMemoryQueue, InMemoryStore, Job, Queue};
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
    store: Arc<InMemoryStore>,
    queue: Arc<InMemoryQueue>,
}

fn setup(queue_capacity: usize) -> Setup {
    let verifier = WebhookVerifier::<Event>::builder()
        .secret(SECRET)
        .build()
        .unwrap();
    let store = Arc::new(InMemoryStore::new(100_000));
    let queue = Arc::new(InMemoryQueue::new(queue_capacity));
    let receiver = Receiver::builder(verifier)
        .shared_store(store.clone())
        .shared_queue(queue.clone())
        .build()
        .unwrap();
    Setup {
        receiver,
        store,
        queue,
    }
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
    assert!(left.queued.is_empty() && left.in_flight.is_empty() && left.dead_letters.is_empty());
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
    let Setup {
        receiver, store, ..
    } = setup(100);
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
    let left = pool.drain().await.unwrap();

    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3);
    // Exponential backoff from the retry policy: 200 ms, then 400 ms.
    assert_eq!(calls[1] - calls[0], Duration::from_millis(200));
    assert_eq!(calls[2] - calls[1], Duration::from_millis(400));
    assert_eq!(store.state("delivery-7"), Some(Claim::Done));
    assert!(left.dead_letters.is_empty() && left.queued.is_empty());
    let stats = receiver.stats();
    assert_eq!((stats.failed_attempts, stats.processed), (2, 1));

    // A redelivery after it is done is acknowledged, not run again.
    let (headers, body) = event(7);
    let outcome = receiver.receive(&headers, body).await;
    assert!(matches!(outcome, Outcome::Duplicate));
    assert_eq!(outcome.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn an_always_failing_handler_is_dead_lettered_after_n_and_a_duplicate_is_not_rerun() {
    let Setup {
        receiver,
        store,
        queue,
    } = setup(100);
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
    let left = pool.drain().await.unwrap();

    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(left.dead_letters.len(), 1);
    let dead = &left.dead_letters[0];
    assert_eq!(dead.job.delivery_id(), Some("delivery-3"));
    assert_eq!(dead.job.attempts(), 4);
    assert_eq!(dead.error, "event 3 cannot be handled");
    assert_eq!(store.state("delivery-3"), Some(Claim::Done));
    assert_eq!(receiver.stats().dead_lettered, 1);

    // A later duplicate is acknowledged and not run.
    let pool = spawn_pool(&receiver);
    let (headers, body) = event(3);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Duplicate
    ));
    let left = pool.drain().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(left.dead_letters.len(), 1);

    // Re-driven, it runs its attempts again and comes back dead.
    let pool = spawn_pool(&receiver);
    assert!(queue.redrive(&dead.receipt).await.unwrap());
    assert!(!queue.redrive("no-such-receipt").await.unwrap());
    let left = pool.drain().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 8);
    assert_eq!(left.dead_letters.len(), 1);
    assert_eq!(left.dead_letters[0].job.attempts(), 4);
}

#[tokio::test(start_paused = true)]
async fn queue_full_answers_503_with_retry_after_releases_the_claim_and_the_redelivery_is_processed()
 {
    let Setup {
        receiver, store, ..
    } = setup(1);
    let (headers, body) = event(1);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Accepted
    ));
    let (headers, body) = event(2);
    let refused = receiver.receive(&headers, body).await;
    assert!(matches!(refused, Outcome::Unavailable { .. }));
    assert!(!refused.is_acknowledged());
    assert_eq!(store.state("delivery-2"), None, "the claim is released");
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
    // The provider retries after Retry-After; by then the queue has room.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (headers, body) = event(2);
    assert!(matches!(
        receiver.receive(&headers, body).await,
        Outcome::Accepted
    ));
    pool.drain().await.unwrap();
    assert_eq!(*handled.lock().unwrap(), vec![1, 2]);
    assert_eq!(store.state("delivery-2"), Some(Claim::Done));
}

#[tokio::test(start_paused = true)]
async fn every_acknowledged_delivery_is_handled_or_left_in_the_queue_at_shutdown() {
    let Setup { receiver, .. } = setup(1_000);
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
    let left = pool.shutdown().await.unwrap();

    let handled = handled.lock().unwrap();
    assert!(!handled.is_empty(), "some deliveries were handled");
    assert!(!left.queued.is_empty(), "some were left queued");
    assert!(left.in_flight.is_empty(), "running attempts finished");
    let n = |job: &Job| -> u32 {
        let id = job.delivery_id().unwrap();
        id.trim_start_matches("delivery-").parse().unwrap()
    };
    let mut accounted: HashSet<u32> = handled.iter().copied().collect();
    accounted.extend(left.queued.iter().map(n));
    accounted.extend(left.dead_letters.iter().map(|d| n(&d.job)));
    assert_eq!(accounted, acknowledged, "nothing acknowledged is lost");
    // Jobs waiting for a retry went back with their attempts counted.
    assert!(
        left.queued.iter().any(|job| job.attempts() > 0),
        "{:?}",
        left.queued
    );
}

#[tokio::test]
async fn rejected_deliveries_get_the_verification_status_and_are_not_claimed() {
    let Setup {
        receiver, store, ..
    } = setup(10);
    let (headers, body) = WebhookSender::github(SECRET)
        .sign_with_id("delivery-1", r#"{"n":1}"#)
        .tampered()
        .into_parts();
    let outcome = receiver.receive(&headers, body).await;
    assert_eq!(outcome.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(store.state("delivery-1"), None);

    let (headers, body) = delivery(Some("delivery-x"), r#"{"not":"an event"}"#);
    let outcome = receiver.receive(&headers, body).await;
    assert_eq!(outcome.status(), StatusCode::BAD_REQUEST);
    assert_eq!(store.state("delivery-x"), None);
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
async fn claims_expire_after_their_ttl_and_done_lasts_72_hours_by_default() {
    let store = InMemoryStore::new(10);
    let ttl = Duration::from_secs(60);
    assert_eq!(store.claim("a", ttl).await.unwrap(), Claim::Claimed);
    assert_eq!(store.claim("a", ttl).await.unwrap(), Claim::Pending);
    tokio::time::advance(Duration::from_secs(59)).await;
    assert_eq!(store.claim("a", ttl).await.unwrap(), Claim::Pending);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(store.claim("a", ttl).await.unwrap(), Claim::Claimed);
    store.release("a").await.unwrap();
    assert_eq!(store.state("a"), None);

    assert_eq!(
        Receiver::<Event>::DEFAULT_TTL,
        Duration::from_secs(72 * 3600)
    );
    let three_days = Receiver::<Event>::DEFAULT_TTL;
    store.mark_done("b", three_days).await.unwrap();
    tokio::time::advance(three_days - Duration::from_secs(1)).await;
    assert_eq!(store.claim("b", ttl).await.unwrap(), Claim::Done);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(store.claim("b", ttl).await.unwrap(), Claim::Claimed);
}

#[tokio::test(start_paused = true)]
async fn a_full_store_evicts_expired_records_but_refuses_rather_than_evicting_live_ones() {
    let store = InMemoryStore::new(2);
    let short = Duration::from_secs(10);
    let long = Duration::from_secs(1_000);
    assert_eq!(store.claim("a", short).await.unwrap(), Claim::Claimed);
    assert_eq!(store.claim("b", long).await.unwrap(), Claim::Claimed);
    let refused = store.claim("c", long).await.unwrap_err();
    assert!(refused.is_full());
    assert_eq!(store.len(), 2);

    tokio::time::advance(short).await;
    assert_eq!(store.claim("c", long).await.unwrap(), Claim::Claimed);
    assert_eq!(store.len(), 2, "the expired record was dropped");
    assert_eq!(store.state("b"), Some(Claim::Pending));
    assert_eq!(store.state("a"), None);
}

#[tokio::test(start_paused = true)]
async fn the_queue_is_bounded_and_a_dropped_pop_loses_no_job() {
    let queue = InMemoryQueue::new(2);
    queue
        .push(Job::new(Some("1".into()), Bytes::from_static(b"{}")))
        .await
        .unwrap();
    queue
        .push(Job::new(Some("2".into()), Bytes::from_static(b"{}")))
        .await
        .unwrap();
    let full = queue
        .push(Job::new(Some("3".into()), Bytes::new()))
        .await
        .unwrap_err();
    assert!(full.is_full());

    let first = queue.pop().await.unwrap();
    assert_eq!(first.job().delivery_id(), Some("1"));
    let snapshot = queue.snapshot().await.unwrap();
    assert_eq!((snapshot.queued.len(), snapshot.in_flight.len()), (1, 1));
    queue.ack(&first).await.unwrap();
    let second = queue.pop().await.unwrap();
    queue.ack(&second).await.unwrap();

    // A pop that waits and is dropped does not swallow the next job.
    let waiting = tokio::time::timeout(Duration::from_millis(10), queue.pop()).await;
    assert!(waiting.is_err());
    queue
        .push(Job::new(Some("4".into()), Bytes::new()))
        .await
        .unwrap();
    let fourth = tokio::time::timeout(Duration::from_millis(10), queue.pop())
        .await
        .expect("the job is there")
        .unwrap();
    assert_eq!(fourth.job().delivery_id(), Some("4"));
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
    let left = pool.drain().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert!(left.dead_letters.is_empty());
    let stats = receiver.stats();
    assert_eq!((stats.failed_attempts, stats.processed), (1, 2));
}

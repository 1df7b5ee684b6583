//! The behaviour every `ReceiptBackend` shares, as one suite instantiated
//! per backend (`backend_suite!`): atomic admission and its three
//! outcomes, leases (expiry, renewal, stale leases), the delayed set,
//! dead letters (paging, re-drive, purge), release, counts.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use integrate::store::{Admission, IdState, InMemoryBackend, Job, ReceiptBackend};

const TTL: Duration = Duration::from_secs(3600);
const LEASE: Duration = Duration::from_secs(30);

fn job(id: &str) -> Job {
    Job::new(
        Some(id.to_owned()),
        Bytes::from(format!(r#"{{"id":"{id}"}}"#)),
    )
}

async fn take_all(backend: &dyn ReceiptBackend, max: usize) -> Vec<integrate::store::Lease> {
    backend.take(max, LEASE, Duration::ZERO).await.unwrap()
}

async fn admission_outcomes(backend: Arc<dyn ReceiptBackend>) {
    assert_eq!(
        backend.admit(job("a"), TTL).await.unwrap(),
        Admission::Admitted
    );
    assert_eq!(
        backend.admit(job("a"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Pending)
    );
    let counts = backend.counts().await.unwrap();
    assert_eq!((counts.ready, counts.pending_ids), (1, 1), "{counts:?}");
    let lease = take_all(&*backend, 10).await.remove(0);
    assert_eq!(lease.job().delivery_id(), Some("a"));
    assert_eq!(lease.job().attempts(), 1, "taking counts an attempt");
    assert_eq!(
        backend.admit(job("a"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Pending),
        "a leased job's id is pending"
    );
    backend.ack(&lease, TTL).await.unwrap();
    assert_eq!(
        backend.admit(job("a"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Done)
    );
    let counts = backend.counts().await.unwrap();
    assert_eq!(counts.unfinished(), 0);
    assert_eq!((counts.pending_ids, counts.done_ids), (0, 1));
    // Jobs without an id are never duplicates.
    for _ in 0..2 {
        let anonymous = Job::new(None, Bytes::from_static(b"{}"));
        assert_eq!(
            backend.admit(anonymous, TTL).await.unwrap(),
            Admission::Admitted
        );
    }
    assert_eq!(backend.counts().await.unwrap().ready, 2);
}

async fn one_of_many_concurrent_copies_is_admitted(backend: Arc<dyn ReceiptBackend>) {
    let mut copies = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let backend = backend.clone();
        copies.spawn(async move { backend.admit(job("same"), TTL).await.unwrap() });
    }
    let mut admitted = 0;
    while let Some(outcome) = copies.join_next().await {
        match outcome.unwrap() {
            Admission::Admitted => admitted += 1,
            Admission::Duplicate(IdState::Pending) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(admitted, 1);
    assert_eq!(backend.counts().await.unwrap().ready, 1);
}

async fn a_refusal_claims_nothing(backend: Arc<dyn ReceiptBackend>, depth: usize) {
    for n in 0..depth {
        backend.admit(job(&format!("fill-{n}")), TTL).await.unwrap();
    }
    let refused = backend.admit(job("late"), TTL).await.unwrap_err();
    assert!(refused.is_full(), "{refused}");
    assert!(!refused.is_unavailable());
    // Duplicates of held jobs are still answered.
    assert_eq!(
        backend.admit(job("fill-0"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Pending)
    );
    // Room again: the refused id was never claimed, so it is admitted.
    let lease = take_all(&*backend, 1).await.remove(0);
    backend.ack(&lease, TTL).await.unwrap();
    assert_eq!(
        backend.admit(job("late"), TTL).await.unwrap(),
        Admission::Admitted
    );
}

async fn take_is_oldest_first_bounded_and_a_dropped_take_loses_nothing(
    backend: Arc<dyn ReceiptBackend>,
) {
    for id in ["1", "2", "3"] {
        backend.admit(job(id), TTL).await.unwrap();
    }
    let first = take_all(&*backend, 2).await;
    let ids: Vec<_> = first.iter().map(|l| l.job().delivery_id()).collect();
    assert_eq!(ids, [Some("1"), Some("2")]);
    assert_ne!(first[0].receipt(), first[1].receipt());
    let rest = take_all(&*backend, 2).await;
    assert_eq!(rest.len(), 1);
    for lease in first.iter().chain(&rest) {
        backend.ack(lease, TTL).await.unwrap();
    }
    // Nothing ready: a take waits and returns empty, or is dropped.
    assert!(
        backend
            .take(1, LEASE, Duration::from_millis(5))
            .await
            .unwrap()
            .is_empty()
    );
    let waiting = tokio::time::timeout(
        Duration::from_millis(5),
        backend.take(1, LEASE, Duration::from_secs(60)),
    )
    .await;
    assert!(waiting.is_err());
    backend.admit(job("4"), TTL).await.unwrap();
    let fourth = take_all(&*backend, 1).await;
    assert_eq!(fourth[0].job().delivery_id(), Some("4"));
}

async fn a_waiting_take_is_woken_by_an_admission(backend: Arc<dyn ReceiptBackend>) {
    let taker = {
        let backend = backend.clone();
        tokio::spawn(async move { backend.take(1, LEASE, Duration::from_secs(60)).await })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    backend.admit(job("wake"), TTL).await.unwrap();
    let leases = taker.await.unwrap().unwrap();
    assert_eq!(leases[0].job().delivery_id(), Some("wake"));
}

/// Paused time.
async fn an_expired_lease_is_handed_out_again_and_the_stale_lease_does_nothing(
    backend: Arc<dyn ReceiptBackend>,
) {
    backend.admit(job("x"), TTL).await.unwrap();
    let stale = take_all(&*backend, 1).await.remove(0);
    tokio::time::advance(LEASE / 2).await;
    assert!(take_all(&*backend, 1).await.is_empty(), "still leased");
    assert!(backend.renew(&stale, LEASE).await.unwrap());
    tokio::time::advance(LEASE - Duration::from_secs(1)).await;
    assert!(take_all(&*backend, 1).await.is_empty(), "renewed");
    tokio::time::advance(Duration::from_secs(1)).await;
    let again = take_all(&*backend, 1).await.remove(0);
    assert_eq!(again.receipt(), stale.receipt());
    assert_eq!(again.job().attempts(), 2, "the expired attempt counts");
    assert!(!backend.renew(&stale, LEASE).await.unwrap());
    assert!(!backend.retry(&stale, Duration::ZERO).await.unwrap());
    assert!(!backend.release(&stale).await.unwrap());
    assert!(!backend.dead_letter(&stale, "stale", TTL).await.unwrap());
    assert_eq!(backend.counts().await.unwrap().leased, 1);
    // The stale holder did handle it: its ack finishes the job.
    backend.ack(&stale, TTL).await.unwrap();
    let counts = backend.counts().await.unwrap();
    assert_eq!((counts.unfinished(), counts.done_ids), (0, 1), "{counts:?}");
    backend.ack(&again, TTL).await.unwrap();
    assert_eq!(backend.counts().await.unwrap().done_ids, 1);
}

/// Paused time.
async fn a_retry_waits_in_the_delayed_set_with_its_attempts(backend: Arc<dyn ReceiptBackend>) {
    backend.admit(job("r"), TTL).await.unwrap();
    let lease = take_all(&*backend, 1).await.remove(0);
    assert!(
        backend
            .retry(&lease, Duration::from_secs(10))
            .await
            .unwrap()
    );
    let counts = backend.counts().await.unwrap();
    assert_eq!((counts.delayed, counts.leased, counts.ready), (1, 0, 0));
    assert_eq!(
        backend.admit(job("r"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Pending)
    );
    let start = tokio::time::Instant::now();
    let leases = backend
        .take(1, LEASE, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(10), "ready when due");
    assert_eq!(leases[0].job().attempts(), 2);
}

async fn dead_letters_page_redrive_and_purge(backend: Arc<dyn ReceiptBackend>) {
    for n in 0..5 {
        backend.admit(job(&format!("d{n}")), TTL).await.unwrap();
    }
    for lease in take_all(&*backend, 5).await {
        let error = format!("failed {}", lease.job().delivery_id().unwrap());
        assert!(backend.dead_letter(&lease, &error, TTL).await.unwrap());
    }
    let counts = backend.counts().await.unwrap();
    assert_eq!((counts.dead_letters, counts.unfinished()), (5, 0));
    assert_eq!(counts.done_ids, 5, "a dead-lettered id is done");
    assert_eq!(
        backend.admit(job("d0"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Done)
    );
    let page = backend.dead_letters(None, 2).await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].error, "failed d0");
    let next = backend
        .dead_letters(Some(&page[1].receipt), 10)
        .await
        .unwrap();
    let ids: Vec<_> = next.iter().map(|d| d.job.delivery_id().unwrap()).collect();
    assert_eq!(ids, ["d2", "d3", "d4"]);

    assert!(backend.redrive(&page[0].receipt).await.unwrap());
    assert!(!backend.redrive(&page[0].receipt).await.unwrap(), "once");
    assert!(!backend.redrive("no-such-receipt").await.unwrap());
    assert_eq!(
        backend.admit(job("d0"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Pending),
        "re-driven, its id is pending again"
    );
    let redriven = take_all(&*backend, 1).await.remove(0);
    assert_eq!(redriven.job().delivery_id(), Some("d0"));
    assert_eq!(redriven.job().attempts(), 1, "attempts reset");

    assert!(backend.purge(&page[1].receipt).await.unwrap());
    assert!(!backend.purge(&page[1].receipt).await.unwrap());
    assert_eq!(backend.counts().await.unwrap().dead_letters, 3);
    assert_eq!(
        backend.admit(job("d1"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Done),
        "a purged dead letter's id stays done"
    );
}

async fn a_released_lease_is_ready_again_at_the_head(backend: Arc<dyn ReceiptBackend>) {
    for id in ["first", "second"] {
        backend.admit(job(id), TTL).await.unwrap();
    }
    let first = take_all(&*backend, 1).await.remove(0);
    assert!(backend.release(&first).await.unwrap());
    let again = take_all(&*backend, 1).await.remove(0);
    assert_eq!(again.job().delivery_id(), Some("first"));
    assert_eq!(again.job().attempts(), 2);
}

async fn jobs_keep_their_bytes_content_type_and_id(backend: Arc<dyn ReceiptBackend>) {
    let payload = Bytes::from_static(b"\x00\xffnot json");
    let sent = Job::new(Some("bytes".to_owned()), payload.clone())
        .with_content_type(Some(http::HeaderValue::from_static("application/json")));
    backend.admit(sent, TTL).await.unwrap();
    let lease = take_all(&*backend, 1).await.remove(0);
    assert_eq!(lease.job().payload(), &payload);
    assert_eq!(
        lease.job().content_type().map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    assert_eq!(lease.job().delivery_id(), Some("bytes"));
    assert_eq!(
        backend.counts().await.unwrap().bytes,
        payload.len() + "bytes".len()
    );
}

macro_rules! backend_suite {
    ($module:ident, $make:expr, depth = $depth:expr) => {
        mod $module {
            use super::*;

            fn backend() -> Arc<dyn ReceiptBackend> {
                Arc::new($make)
            }

            #[tokio::test]
            async fn admission_outcomes() {
                super::admission_outcomes(backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn one_of_many_concurrent_copies_is_admitted() {
                super::one_of_many_concurrent_copies_is_admitted(backend()).await;
            }

            #[tokio::test]
            async fn a_refusal_claims_nothing() {
                super::a_refusal_claims_nothing(backend(), $depth).await;
            }

            #[tokio::test(start_paused = true)]
            async fn take_is_oldest_first_bounded_and_a_dropped_take_loses_nothing() {
                super::take_is_oldest_first_bounded_and_a_dropped_take_loses_nothing(backend())
                    .await;
            }

            #[tokio::test(start_paused = true)]
            async fn a_waiting_take_is_woken_by_an_admission() {
                super::a_waiting_take_is_woken_by_an_admission(backend()).await;
            }

            #[tokio::test(start_paused = true)]
            async fn an_expired_lease_is_handed_out_again_and_the_stale_lease_does_nothing() {
                super::an_expired_lease_is_handed_out_again_and_the_stale_lease_does_nothing(
                    backend(),
                )
                .await;
            }

            #[tokio::test(start_paused = true)]
            async fn a_retry_waits_in_the_delayed_set_with_its_attempts() {
                super::a_retry_waits_in_the_delayed_set_with_its_attempts(backend()).await;
            }

            #[tokio::test]
            async fn dead_letters_page_redrive_and_purge() {
                super::dead_letters_page_redrive_and_purge(backend()).await;
            }

            #[tokio::test]
            async fn a_released_lease_is_ready_again_at_the_head() {
                super::a_released_lease_is_ready_again_at_the_head(backend()).await;
            }

            #[tokio::test]
            async fn jobs_keep_their_bytes_content_type_and_id() {
                super::jobs_keep_their_bytes_content_type_and_id(backend()).await;
            }
        }
    };
}

backend_suite!(
    in_memory,
    InMemoryBackend::builder().max_depth(8).build().unwrap(),
    depth = 8
);

//! The in-memory backend's own bounds: eviction of done ids oldest first,
//! refusal only when every id is pending, the depth, byte and dead-letter
//! bounds, expiry on tokio's clock. The behaviour every backend shares is
//! tested in `tests/receipt_backend.rs`.

use std::time::Duration;

use bytes::Bytes;

use super::InMemoryBackend;
use crate::store::{Admission, IdState, Job, ReceiptBackend};

const TTL: Duration = Duration::from_secs(3600);
const LEASE: Duration = Duration::from_secs(60);

fn job(id: &str) -> Job {
    Job::new(Some(id.to_owned()), Bytes::from_static(b"{}"))
}

fn backend(max_ids: usize, max_depth: usize) -> InMemoryBackend {
    InMemoryBackend::builder()
        .max_ids(max_ids)
        .max_depth(max_depth)
        .build()
        .unwrap()
}

/// Admits `id` and finishes its job at once.
async fn admit_done(backend: &InMemoryBackend, id: &str) {
    assert_eq!(
        backend.admit(job(id), TTL).await.unwrap(),
        Admission::Admitted
    );
    let leases = backend.take(1, LEASE, Duration::ZERO).await.unwrap();
    assert_eq!(leases.len(), 1);
    backend.ack(&leases[0], TTL).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_full_store_evicts_done_ids_oldest_first_and_never_a_pending_one() {
    let backend = backend(3, 2);
    admit_done(&backend, "a").await;
    admit_done(&backend, "b").await;
    assert_eq!(
        backend.admit(job("p"), TTL).await.unwrap(),
        Admission::Admitted
    );
    // Full of ids (a, b done; p pending): a new id evicts the oldest done.
    assert_eq!(
        backend.admit(job("c"), TTL).await.unwrap(),
        Admission::Admitted
    );
    assert_eq!(backend.id_state("a"), None, "the oldest done id went first");
    assert_eq!(backend.id_state("b"), Some(IdState::Done));
    assert_eq!(backend.id_state("p"), Some(IdState::Pending));
    assert_eq!(backend.id_state("c"), Some(IdState::Pending));
    // An evicted id is admitted again (and would be processed again).
    let leases = backend.take(2, LEASE, Duration::ZERO).await.unwrap();
    for lease in &leases {
        backend.ack(lease, TTL).await.unwrap();
    }
    assert_eq!(
        backend.admit(job("a"), TTL).await.unwrap(),
        Admission::Admitted
    );
    assert_eq!(backend.id_state("b"), None, "then the next oldest");
    assert_eq!(backend.snapshot().done_ids, 2);
    assert_eq!(backend.snapshot().pending_ids, 1);
}

#[tokio::test(start_paused = true)]
async fn new_ids_are_refused_only_when_every_remembered_id_is_pending() {
    // ids 3, depth 2: with two pending and one done, a third pending job
    // is refused by the depth, never by evicting a pending id.
    let backend = backend(3, 2);
    admit_done(&backend, "done").await;
    backend.admit(job("p1"), TTL).await.unwrap();
    backend.admit(job("p2"), TTL).await.unwrap();
    let refused = backend.admit(job("p3"), TTL).await.unwrap_err();
    assert!(refused.is_full());
    assert_eq!(backend.id_state("p3"), None, "a refusal leaves no claim");
    assert_eq!(backend.id_state("p1"), Some(IdState::Pending));
    assert_eq!(backend.id_state("done"), Some(IdState::Done));
    // Duplicates are still answered while full.
    assert_eq!(
        backend.admit(job("p1"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Pending)
    );
    assert_eq!(
        backend.admit(job("done"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Done)
    );
}

#[tokio::test(start_paused = true)]
async fn the_state_never_refuses_for_ids_while_a_done_one_can_go() {
    // Drive the state directly past the depth check: with every id
    // pending the id bound refuses; with one done it evicts it.
    let limits = super::state::Limits {
        max_ids: 2,
        max_depth: 10,
        max_bytes: 1 << 20,
        max_dead_letters: 10,
    };
    let mut state = super::state::State::default();
    let now = crate::time::now();
    assert!(state.admit(job("a"), now, &limits).is_ok());
    assert!(state.admit(job("b"), now, &limits).is_ok());
    assert!(state.admit(job("c"), now, &limits).unwrap_err().is_full());
    let lease = state.take(1, now, LEASE).unwrap().remove(0);
    state.ack(&lease, now, TTL, &limits);
    assert_eq!(
        state.admit(job("c"), now, &limits).unwrap(),
        Admission::Admitted
    );
    assert_eq!(state.id_state("a", now), None);
}

#[tokio::test(start_paused = true)]
async fn done_ids_expire_after_the_ttl_pending_ones_never() {
    let backend = backend(10, 5);
    admit_done(&backend, "d").await;
    backend.admit(job("p"), TTL).await.unwrap();
    tokio::time::advance(TTL - Duration::from_secs(1)).await;
    assert_eq!(
        backend.admit(job("d"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Done)
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(
        backend.admit(job("d"), TTL).await.unwrap(),
        Admission::Admitted
    );
    tokio::time::advance(TTL * 10).await;
    assert_eq!(
        backend.admit(job("p"), TTL).await.unwrap(),
        Admission::Duplicate(IdState::Pending),
        "a pending id lives as long as its job"
    );
}

#[tokio::test(start_paused = true)]
async fn the_byte_bound_counts_payloads_ids_and_dead_letters() {
    let backend = InMemoryBackend::builder().max_bytes(10).build().unwrap();
    // 2 payload bytes + 1 id byte each.
    for id in ["a", "b", "c"] {
        backend.admit(job(id), TTL).await.unwrap();
    }
    assert_eq!(backend.snapshot().bytes, 9);
    assert!(backend.admit(job("d"), TTL).await.unwrap_err().is_full());
    let lease = backend
        .take(1, LEASE, Duration::ZERO)
        .await
        .unwrap()
        .remove(0);
    assert!(backend.dead_letter(&lease, "no", TTL).await.unwrap());
    assert!(
        backend.admit(job("d"), TTL).await.unwrap_err().is_full(),
        "a dead letter still holds its bytes"
    );
    let dead = backend.dead_letters(None, 10).await.unwrap();
    assert!(backend.purge(&dead[0].receipt).await.unwrap());
    assert_eq!(
        backend.admit(job("d"), TTL).await.unwrap(),
        Admission::Admitted
    );
    // A job without an id holds its payload only.
    let anonymous = Job::new(None, Bytes::from_static(b"x"));
    assert_eq!(anonymous.size(), 1);
}

#[tokio::test(start_paused = true)]
async fn past_the_dead_letter_bound_the_oldest_is_dropped() {
    let backend = InMemoryBackend::builder()
        .max_dead_letters(2)
        .build()
        .unwrap();
    for id in ["a", "b", "c"] {
        backend.admit(job(id), TTL).await.unwrap();
        let lease = backend
            .take(1, LEASE, Duration::ZERO)
            .await
            .unwrap()
            .remove(0);
        backend.dead_letter(&lease, "failed", TTL).await.unwrap();
    }
    let dead = backend.dead_letters(None, 10).await.unwrap();
    let ids: Vec<_> = dead.iter().map(|d| d.job.delivery_id().unwrap()).collect();
    assert_eq!(ids, ["b", "c"]);
    assert_eq!(backend.dead_letters_dropped(), 1);
    assert_eq!(
        backend.id_state("a"),
        Some(IdState::Done),
        "its id stays done"
    );
    assert_eq!(backend.snapshot().bytes, 6);
}

#[test]
fn bounds_are_checked_at_build() {
    let zero = InMemoryBackend::builder().max_depth(0).build().unwrap_err();
    assert_eq!(zero.kind(), crate::ErrorKind::Config);
    assert!(zero.to_string().contains("max_depth"), "{zero}");
    let small = InMemoryBackend::builder()
        .max_ids(10)
        .max_depth(10)
        .build()
        .unwrap_err();
    assert!(small.to_string().contains("max_ids"), "{small}");
}

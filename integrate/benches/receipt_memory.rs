//! The memory the in-memory receipt backend holds per remembered delivery
//! id and per unfinished job, measured as the growth of the process's
//! resident set (Linux `/proc/self/statm`) while filling a backend with
//! 100,000 done ids and then 10,000 unfinished jobs. The figures back the
//! bound stated in `docs/architecture.md` ("Webhook receipt").
//!
//! `cargo bench -p integrate --bench receipt_memory`

use std::time::Duration;

use bytes::Bytes;
use integrate::store::{InMemoryBackend, Job, ReceiptBackend};

const IDS: usize = 100_000;
const JOBS: usize = 10_000;
const TTL: Duration = Duration::from_secs(72 * 3600);
const LEASE: Duration = Duration::from_secs(60);

fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("statm");
    pages * 4096
}

fn id(n: usize, len: usize) -> String {
    let mut id = format!("{n:08}-");
    while id.len() < len {
        id.push('x');
    }
    id
}

/// Bytes per done id of `len` bytes; the backend is returned, so that its
/// memory is not reused by the next measurement.
async fn done_ids(len: usize) -> (usize, InMemoryBackend) {
    let backend = InMemoryBackend::builder()
        .max_ids(IDS + 1)
        .max_depth(IDS)
        .max_bytes(1 << 30)
        .build()
        .expect("valid bounds");
    let before = rss();
    for batch in 0..IDS / 1_000 {
        for n in 0..1_000 {
            let job = Job::new(Some(id(batch * 1_000 + n, len)), Bytes::from_static(b"{}"));
            backend.admit(job, TTL).await.expect("room");
        }
        let leases = backend
            .take(1_000, LEASE, Duration::ZERO)
            .await
            .expect("jobs");
        for lease in &leases {
            backend.ack(lease, TTL).await.expect("acknowledged");
        }
    }
    assert_eq!(backend.snapshot().done_ids, IDS);
    let grown = rss().saturating_sub(before);
    (grown / IDS, backend)
}

/// Bytes per unfinished job beyond its payload (1 KiB) and id (36 bytes),
/// with the backend.
async fn jobs() -> (usize, InMemoryBackend) {
    let backend = InMemoryBackend::builder()
        .max_ids(JOBS + 1)
        .max_depth(JOBS)
        .max_bytes(1 << 30)
        .build()
        .expect("valid bounds");
    let payload_and_id = 1024 + 36;
    let before = rss();
    for n in 0..JOBS {
        let job = Job::new(Some(id(n, 36)), Bytes::from(vec![b'x'; 1024]));
        backend.admit(job, TTL).await.expect("room");
    }
    assert_eq!(backend.snapshot().ready, JOBS);
    let grown = rss().saturating_sub(before);
    ((grown / JOBS).saturating_sub(payload_and_id), backend)
}

fn main() {
    // `cargo test --benches` runs benchmarks with `--bench` absent: skip.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (job, _jobs) = jobs().await;
        let (uuid, _uuid) = done_ids(36).await;
        let (longest, _longest) = done_ids(256).await;
        println!(
            "in-memory receipt backend, resident set growth: {uuid} bytes per done id of 36 bytes, \
             {longest} per done id of 256 bytes ({IDS} ids); {job} bytes per unfinished job \
             beyond its payload and id ({JOBS} jobs of 1 KiB)"
        );
    });
}

//! Requests per second of the webhook receiver's route (read the body,
//! verify, decode, admit: claim the delivery id and enqueue in one step,
//! 202) beside a plain axum handler that
//! answers 200 to the same requests, over loopback in the same process
//! and run.
//!
//! Every request is a distinct GitHub-signed delivery of about 300 bytes
//! (so every one is claimed and enqueued, none is a duplicate); both
//! routes get the same requests. A pool of workers drains the queue with
//! a handler that does nothing. The client is reqwest with 32 concurrent
//! keep-alive connections; client, servers and workers share the
//! runtime, so the ratio of the two is the figure to read.
//!
//! The machine may be shared and busy, so before criterion's two
//! benchmarks (which run one after the other) the two routes are measured
//! in interleaved rounds (plain, receiver, receiver, plain, ...) of
//! `ROUND` requests each; it prints the median requests/s of each route,
//! the median of the per-round ratios, and, for scale, the in-process cost
//! of `Receiver::receive` without HTTP, with and without workers draining
//! the jobs (the difference is mostly waking the parked worker pool and
//! spawning a task per job).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use criterion::{Criterion, Throughput};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, StatusCode};
use integrate::store::InMemoryBackend;
use integrate::webhook::{Receiver, WebhookVerifier};
use sha2::Sha256;

const SECRET: &str = "benchmark-webhook-secret";
const CONNECTIONS: u64 = 32;
const ROUND: u64 = 3_000;
const ROUNDS: usize = 12;

#[integrate::webhook::webhook(scheme = "github", secret_env = "BENCH_GITHUB_WEBHOOK_SECRET")]
#[derive(serde::Deserialize)]
#[expect(dead_code, reason = "decoded, never read")]
struct PushEvent {
    action: String,
    number: u64,
    repository: Repository,
}

#[derive(serde::Deserialize)]
#[expect(dead_code, reason = "decoded, never read")]
struct Repository {
    id: u64,
    full_name: String,
    private: bool,
}

/// A signed delivery with a fresh id.
fn delivery(n: u64) -> (HeaderMap, String) {
    let body = format!(
        r#"{{"action":"opened","number":{n},"repository":{{"id":1296269,"full_name":"octocat/Hello-World","private":false}},"sender":{{"login":"octocat","id":1,"type":"User","site_admin":false}},"installation":{{"id":42}},"padding":"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor"}}"#
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(body.as_bytes());
    let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-hub-signature-256",
        HeaderValue::from_str(&sig).expect("ASCII"),
    );
    headers.insert(
        "x-github-delivery",
        HeaderValue::from_str(&format!("72d3162e-cc78-11e3-81ab-{n:012x}")).expect("ASCII"),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (headers, body)
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback");
    let url = format!("http://{}/hook", listener.local_addr().expect("bound"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Sends `total` distinct deliveries to `url` over `CONNECTIONS`
/// connections and returns the elapsed time.
async fn load(client: &reqwest::Client, url: &str, total: u64, next: &Arc<AtomicU64>) -> Duration {
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..CONNECTIONS {
        let share = total / CONNECTIONS + u64::from(c < total % CONNECTIONS);
        let (client, url, next) = (client.clone(), url.to_owned(), next.clone());
        tasks.spawn(async move {
            for _ in 0..share {
                let (headers, body) = delivery(next.fetch_add(1, Ordering::Relaxed));
                let response = client
                    .post(&url)
                    .headers(headers)
                    .body(body)
                    .send()
                    .await
                    .expect("loopback request");
                assert!(response.status().is_success(), "{}", response.status());
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("client task");
    }
    start.elapsed()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut c = Criterion::default().configure_from_args();
    receiver_vs_plain(&mut c);
    c.final_summary();
}

fn receiver_vs_plain(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let verifier = WebhookVerifier::<PushEvent>::builder()
        .secret(SECRET)
        .build()
        .expect("valid configuration");
    let receiver = Receiver::builder(verifier)
        .backend(
            InMemoryBackend::builder()
                .max_ids(10_000_000)
                .max_depth(1_000_000)
                .max_bytes(4 << 30)
                .build()
                .expect("valid bounds"),
        )
        .build()
        .expect("valid configuration");
    let (receiver_url, plain_url, _pool) = runtime.block_on(async {
        let pool = receiver
            .workers()
            .workers(2)
            .spawn(|_: PushEvent| async { Ok::<(), std::convert::Infallible>(()) })
            .expect("inside the runtime");
        let receiver_url = serve(Router::new().route("/hook", receiver.method_router())).await;
        let plain_url =
            serve(Router::new().route("/hook", post(|| async { StatusCode::OK }))).await;
        (receiver_url, plain_url, pool)
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS as usize)
        .build()
        .expect("client");
    let next = Arc::new(AtomicU64::new(0));

    // Interleaved rounds.
    runtime.block_on(load(&client, &plain_url, ROUND, &next));
    runtime.block_on(load(&client, &receiver_url, ROUND, &next));
    let (mut plain, mut piped, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let rate = |url: &str| {
            let elapsed = runtime.block_on(load(&client, url, ROUND, &next));
            ROUND as f64 / elapsed.as_secs_f64()
        };
        let (p, r) = if round % 2 == 0 {
            let p = rate(&plain_url);
            (p, rate(&receiver_url))
        } else {
            let r = rate(&receiver_url);
            (rate(&plain_url), r)
        };
        plain.push(p);
        piped.push(r);
        ratios.push(r / p);
    }
    // In process, no HTTP: the pipeline's own cost per delivery.
    let in_process = runtime.block_on(async {
        let requests: Vec<_> = (0..20_000)
            .map(|_| delivery(next.fetch_add(1, Ordering::Relaxed)))
            .collect();
        let start = Instant::now();
        for (headers, body) in requests {
            let outcome = receiver.receive(&headers, body.into()).await;
            assert!(outcome.is_acknowledged());
        }
        start.elapsed() / 20_000
    });
    // The same without workers: verify, decode and admit only.
    let alone = runtime.block_on(async {
        let verifier = WebhookVerifier::<PushEvent>::builder()
            .secret(SECRET)
            .build()
            .expect("valid configuration");
        let receiver = Receiver::builder(verifier)
            .backend(
                InMemoryBackend::builder()
                    .max_depth(20_000)
                    .build()
                    .expect("valid bounds"),
            )
            .build()
            .expect("valid configuration");
        let requests: Vec<_> = (0..20_000)
            .map(|_| delivery(next.fetch_add(1, Ordering::Relaxed)))
            .collect();
        let start = Instant::now();
        for (headers, body) in requests {
            let outcome = receiver.receive(&headers, body.into()).await;
            assert!(outcome.is_acknowledged());
        }
        start.elapsed() / 20_000
    });
    println!(
        "interleaved rounds ({ROUNDS} x {ROUND} requests each): plain median {:.0} req/s, \
         receiver median {:.0} req/s, median per-round ratio {:.2} (min {:.2}, max {:.2}); \
         Receiver::receive in process: {:.2} µs per delivery with workers draining, \
         {:.2} µs without workers",
        median(plain),
        median(piped),
        median(ratios.clone()),
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
        in_process.as_secs_f64() * 1e6,
        alone.as_secs_f64() * 1e6,
    );

    let mut group = c.benchmark_group("webhook_receiver");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(30)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("plain_200", |b| {
        b.iter_custom(|iters| runtime.block_on(load(&client, &plain_url, iters, &next)));
    });
    group.bench_function("verify_admit_202", |b| {
        b.iter_custom(|iters| runtime.block_on(load(&client, &receiver_url, iters, &next)));
    });
    group.finish();
    let stats = receiver.stats();
    assert_eq!(stats.duplicates, 0, "every delivery was distinct");
    assert_eq!(stats.unavailable, 0, "the queue never filled");
}

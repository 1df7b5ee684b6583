//! What the pipeline costs per call: raw reqwest against the integrate
//! client (retry, circuit breaker, rate limiter with a generous quota,
//! timeouts, and a tracing subscriber at INFO installed) on the same
//! loopback server, at concurrency 1 and 32.
//!
//! The server runs on its own runtime in another thread. Each measurement
//! sends `iters` requests split over `concurrency` tasks; criterion reports
//! the time per request. Compare the two medians of one run:
//! `ratio = raw / integrate` in requests per second.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, criterion_group};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use integrate::{Call, Client, Method, RetryPolicy, Timeouts};

const BODY: &[u8] = br#"{"id":"cus_42","object":"customer","balance":0,"currency":"eur"}"#;

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Customer {
    id: String,
    object: String,
    balance: i64,
    currency: String,
}

/// Connections the server accepted: both clients keep theirs alive.
static ACCEPTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn start_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr"))
                .expect("send addr");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                ACCEPTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = service_fn(|_req| async {
                        Ok::<_, Infallible>(
                            hyper::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(BODY)))
                                .expect("response"),
                        )
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    rx.recv().expect("server address")
}

fn integrate_client(addr: SocketAddr) -> Client {
    use integrate::{CircuitBreakerPolicy, RateLimit};
    Client::builder()
        .base_url(format!("http://{addr}/v1"))
        .retry(RetryPolicy::default())
        .circuit_breaker(CircuitBreakerPolicy::default())
        .rate_limit(RateLimit::new(10_000_000, Duration::from_secs(1)))
        .timeouts(Timeouts::default())
        .build()
        .expect("client")
}

async fn raw_call(client: &reqwest::Client, url: &str) {
    let response = client.get(url).send().await.expect("raw send");
    assert!(response.status().is_success());
    let body = response.bytes().await.expect("raw body");
    let customer: Customer = serde_json::from_slice(&body).expect("raw decode");
    std::hint::black_box(customer);
}

async fn integrate_call(client: &Client) {
    let call = Call::new(Method::GET, "/customers/{id}")
        .operation("Payments::customer")
        .path("id", "cus_42");
    let customer: Customer = client
        .execute(call)
        .await
        .expect("integrate send")
        .json()
        .expect("integrate decode");
    std::hint::black_box(customer);
}

/// Runs `iters` calls over `concurrency` tasks and returns the elapsed time.
fn drive<F, Fut>(rt: &tokio::runtime::Runtime, iters: u64, concurrency: u64, call: F) -> Duration
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let call = Arc::new(call);
    rt.block_on(async move {
        let start = Instant::now();
        let per_task = iters.div_ceil(concurrency);
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let call = Arc::clone(&call);
            tasks.push(tokio::spawn(async move {
                for _ in 0..per_task {
                    call().await;
                }
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        start.elapsed()
    })
}

fn pipeline_overhead(c: &mut Criterion) {
    let bench = Bench::new();

    let mut group = c.benchmark_group("pipeline_overhead");
    group.measurement_time(Duration::from_secs(4));
    group.sample_size(30);
    for concurrency in [1u64, 32] {
        group.bench_with_input(
            BenchmarkId::new("raw_reqwest", concurrency),
            &concurrency,
            |b, &concurrency| {
                b.iter_custom(|iters| bench.run(iters, concurrency, false));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("integrate", concurrency),
            &concurrency,
            |b, &concurrency| {
                b.iter_custom(|iters| bench.run(iters, concurrency, true));
            },
        );
    }
    group.finish();
}

/// The loopback server, the client runtime, and both clients.
struct Bench {
    rt: tokio::runtime::Runtime,
    raw: reqwest::Client,
    url: String,
    client: Client,
}

impl Bench {
    fn new() -> Bench {
        let addr = start_server();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("client runtime");
        let raw = rt.block_on(async {
            integrate::ReqwestTransport::client_builder()
                .build()
                .expect("reqwest client")
        });
        let client = rt.block_on(async { integrate_client(addr) });
        Bench {
            rt,
            raw,
            url: format!("http://{addr}/v1/customers/cus_42"),
            client,
        }
    }

    /// `calls` calls over `concurrency` tasks, through integrate or raw
    /// reqwest; the elapsed time.
    fn run(&self, calls: u64, concurrency: u64, through_integrate: bool) -> Duration {
        if through_integrate {
            let client = self.client.clone();
            drive(&self.rt, calls, concurrency, move || {
                let client = client.clone();
                async move { integrate_call(&client).await }
            })
        } else {
            let (raw, url) = (self.raw.clone(), self.url.clone());
            drive(&self.rt, calls, concurrency, move || {
                let (raw, url) = (raw.clone(), url.clone());
                async move { raw_call(&raw, &url).await }
            })
        }
    }
}

/// CPU time of every thread of this process, in nanoseconds (Linux
/// `schedstat`); `None` elsewhere.
fn cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path().join("schedstat");
        let text = std::fs::read_to_string(path).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Raw and integrate batches back to back, alternating which goes first,
/// so both see the same load: the median per-round throughput ratio, and
/// the CPU per call (client and server threads of this process).
fn interleaved() {
    let bench = Bench::new();
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(41);
    let batch: u64 = 2_000;
    // `CONCURRENCY=32` (or 1) measures one concurrency only.
    let only: Option<u64> = std::env::var("CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok());
    for concurrency in [1u64, 32] {
        if only.is_some_and(|only| only != concurrency) {
            continue;
        }
        let mut ratios = Vec::new();
        let (mut raw_cpu, mut int_cpu, mut raw_wall, mut int_wall) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let measure = |integrate_first: bool| {
                let one = |use_integrate: bool| {
                    let cpu0 = cpu_ns();
                    let wall = bench.run(batch, concurrency, use_integrate);
                    let cpu = cpu_ns().zip(cpu0).map_or(0, |(b, a)| b.saturating_sub(a));
                    (
                        wall.as_secs_f64() * 1e9 / batch as f64,
                        cpu as f64 / batch as f64,
                    )
                };
                if integrate_first {
                    let i = one(true);
                    let r = one(false);
                    (r, i)
                } else {
                    let r = one(false);
                    let i = one(true);
                    (r, i)
                }
            };
            // `ONLY=raw` or `ONLY=integrate` runs one side (for `perf stat`).
            match std::env::var("ONLY").as_deref() {
                Ok("raw") => {
                    bench.run(batch, concurrency, false);
                    continue;
                }
                Ok("integrate") => {
                    bench.run(batch, concurrency, true);
                    continue;
                }
                _ => {}
            }
            let ((rw, rc), (iw, ic)) = measure(round % 2 == 1);
            ratios.push(rw / iw);
            raw_wall.push(rw);
            int_wall.push(iw);
            raw_cpu.push(rc);
            int_cpu.push(ic);
        }
        if ratios.is_empty() {
            continue;
        }
        let (rw, iw) = (median(&mut raw_wall), median(&mut int_wall));
        let (rc, ic) = (median(&mut raw_cpu), median(&mut int_cpu));
        eprintln!(
            "interleaved c={concurrency}: {rounds} rounds of {batch}: median per call raw {:.1} us, integrate {:.1} us; median ratio (integrate/raw req/s) {:.3}; CPU per call raw {:.1} us, integrate {:.1} us (+{:.2} us)",
            rw / 1e3,
            iw / 1e3,
            median(&mut ratios),
            rc / 1e3,
            ic / 1e3,
            (ic - rc) / 1e3
        );
        eprintln!(
            "connections accepted so far: {}",
            ACCEPTED.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
}

criterion_group!(benches, pipeline_overhead);

fn main() {
    // A subscriber at INFO is installed, as in production (the client's
    // call and attempt spans are DEBUG, so it filters them out).
    // `NO_SUBSCRIBER=1` measures without it, to see what it costs.
    if std::env::var_os("NO_SUBSCRIBER").is_none() {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_writer(std::io::sink)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("subscriber");
    }
    interleaved();
    // `INTERLEAVED_ONLY=1` stops here (for profiling).
    if std::env::var_os("INTERLEAVED_ONLY").is_some() {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

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
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
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
    // The integrate client emits its call span at INFO: measure with a
    // subscriber installed, as in production.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("subscriber");

    let addr = start_server();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime");
    let url = format!("http://{addr}/v1/customers/cus_42");
    let raw = rt.block_on(async {
        integrate::ReqwestTransport::client_builder()
            .build()
            .expect("reqwest client")
    });
    let client = rt.block_on(async { integrate_client(addr) });

    let mut group = c.benchmark_group("pipeline_overhead");
    group.measurement_time(Duration::from_secs(4));
    group.sample_size(30);
    for concurrency in [1u64, 32] {
        group.bench_with_input(
            BenchmarkId::new("raw_reqwest", concurrency),
            &concurrency,
            |b, &concurrency| {
                b.iter_custom(|iters| {
                    let raw = raw.clone();
                    let url = url.clone();
                    drive(&rt, iters, concurrency, move || {
                        let raw = raw.clone();
                        let url = url.clone();
                        async move { raw_call(&raw, &url).await }
                    })
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("integrate", concurrency),
            &concurrency,
            |b, &concurrency| {
                b.iter_custom(|iters| {
                    let client = client.clone();
                    drive(&rt, iters, concurrency, move || {
                        let client = client.clone();
                        async move { integrate_call(&client).await }
                    })
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, pipeline_overhead);
criterion_main!(benches);

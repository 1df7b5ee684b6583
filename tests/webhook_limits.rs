//! Bodies and heads a peer controls, over real loopback sockets: a 3 MiB
//! delivery under a 4 MiB limit verifies (axum's 2 MB default does not
//! apply), a 300 MiB chunked body is cut at the limit with bounded memory,
//! a body dripped slower than the read deadline is cut with 408, and a
//! dripped head is cut by `integrate::webhook::serve`'s header read
//! timeout. In a test binary of its own, so the memory measured is this
//! file's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::{get, post};
use integrate::webhook::{Receiver, Verified, WebhookVerifier, webhook};
use integrate_testkit::{SignedDelivery, WebhookSender};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "limits-test-secret";
const MIB: usize = 1024 * 1024;

/// The memory measurements must not overlap.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[webhook(scheme = "github", secret_env = "LIMITS_SECRET", max_body = "4MiB")]
#[derive(Debug, serde::Deserialize)]
struct Big {
    n: u32,
}

fn verifier() -> WebhookVerifier<Big> {
    WebhookVerifier::<Big>::builder()
        .secret(SECRET)
        .build()
        .unwrap()
}

fn big_delivery(size: usize) -> SignedDelivery {
    let pad = "x".repeat(size);
    WebhookSender::github(SECRET).sign_with_id("big", format!(r#"{{"n":3,"pad":"{pad}"}}"#))
}

async fn listen() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let authority = listener.local_addr().unwrap().to_string();
    (listener, authority)
}

/// The receiver's route and the extractor's route, served by `axum::serve`.
async fn serve_both(receiver: &Receiver<Big>, verifier: WebhookVerifier<Big>) -> String {
    async fn extracted(verified: Verified<Big>) -> String {
        format!("n={}", verified.n)
    }
    let app = Router::new()
        .route("/receiver", receiver.method_router())
        .route("/extractor", post(extracted))
        .with_state(verifier);
    let (listener, authority) = listen().await;
    tokio::spawn(async move { axum::serve(listener, app).await });
    authority
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn head(authority: &str, path: &str, delivery: &SignedDelivery, framing: &str) -> String {
    let mut head = format!("POST {path} HTTP/1.1\r\nhost: {authority}\r\n{framing}\r\n");
    for (name, value) in delivery.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    head
}

/// The status code of a raw response, if it has a status line.
fn status(response: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(response);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// Sends `delivery`'s body chunked, in 64 KiB chunks.
async fn send_chunked(authority: &str, path: &str, delivery: &SignedDelivery) -> Vec<u8> {
    let mut stream = TcpStream::connect(authority).await.unwrap();
    let head = head(
        authority,
        path,
        delivery,
        "transfer-encoding: chunked\r\nconnection: close",
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in delivery.body().chunks(64 * 1024) {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .unwrap();
        stream.write_all(chunk).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response))
        .await
        .expect("answered")
        .unwrap();
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3_mib_delivery_under_a_4_mib_limit_verifies_in_the_router_and_the_extractor() {
    let _serial = SERIAL.lock().await;
    let receiver = Receiver::builder(verifier()).build().unwrap();
    assert_eq!(receiver.max_body(), 4 * MIB, "the verifier's limit");
    let authority = serve_both(&receiver, verifier()).await;
    let client = client();
    let delivery = big_delivery(3 * MIB);

    let response = delivery
        .send(&client, &format!("http://{authority}/receiver"))
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let response = delivery
        .send(&client, &format!("http://{authority}/extractor"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "n=3");

    // Chunked (no Content-Length): the same.
    let redelivered = send_chunked(&authority, "/receiver", &delivery).await;
    assert_eq!(status(&redelivered), Some(200), "a duplicate by now");
    let extracted = send_chunked(&authority, "/extractor", &delivery).await;
    assert_eq!(status(&extracted), Some(200));

    // Announced over the limit: 413 from the head alone, nothing read.
    let over = big_delivery(4 * MIB);
    for path in ["/receiver", "/extractor"] {
        let mut stream = TcpStream::connect(&authority).await.unwrap();
        let framing = format!("content-length: {}", over.body().len());
        let head = head(&authority, path, &over, &framing);
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
            .await
            .expect("answered without the body")
            .unwrap();
        assert_eq!(status(&response), Some(413), "{path}");
        let text = String::from_utf8_lossy(&response).to_ascii_lowercase();
        assert!(text.contains("connection: close"), "{text}");
        assert!(
            text.ends_with(&format!("body is larger than {} bytes", 4 * MIB)),
            "{text}"
        );
    }
    // A client that sends such a body whole sees the 413, or the
    // connection closed under it: either way it was not accepted.
    let sent_whole = over
        .send(&client, &format!("http://{authority}/receiver"))
        .await;
    if let Ok(response) = sent_whole {
        assert_eq!(response.status(), 413);
    }
    assert_eq!(receiver.stats().enqueued, 1);
}

/// The resident set size of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// Streams `total` bytes of chunked body to `path` until the server stops
/// reading; returns the status answered, the body bytes the client got to
/// write, and the largest growth of the resident set seen meanwhile.
async fn stream_huge(authority: &str, path: &str, total: u64) -> (Option<u16>, u64, u64) {
    let base = rss();
    let peak = Arc::new(AtomicU64::new(base));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    // Signed over a small body: the size is checked before the signature.
    let delivery = big_delivery(10);
    let stream = TcpStream::connect(authority).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let head = head(authority, path, &delivery, "transfer-encoding: chunked");
    write.write_all(head.as_bytes()).await.unwrap();
    let reader = tokio::spawn(async move {
        let mut response = Vec::new();
        let _ = read.read_to_end(&mut response).await;
        response
    });
    let chunk = vec![b'x'; 64 * 1024];
    let frame = [
        format!("{:x}\r\n", chunk.len()).into_bytes(),
        chunk,
        b"\r\n".to_vec(),
    ]
    .concat();
    let mut written = 0u64;
    let writing = async {
        while written < total {
            if write.write_all(&frame).await.is_err() {
                return;
            }
            written += 64 * 1024;
        }
        let _ = write.write_all(b"0\r\n\r\n").await;
    };
    tokio::time::timeout(Duration::from_secs(60), writing)
        .await
        .expect("the server stops the upload");
    let response = tokio::time::timeout(Duration::from_secs(30), reader)
        .await
        .expect("answered")
        .unwrap();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let growth = peak.load(Ordering::Relaxed).saturating_sub(base);
    (status(&response), written, growth)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_mib_chunked_body_is_cut_at_the_limit_with_bounded_memory() {
    let _serial = SERIAL.lock().await;
    let receiver = Receiver::builder(verifier()).build().unwrap();
    let authority = serve_both(&receiver, verifier()).await;
    for path in ["/receiver", "/extractor"] {
        let (status, written, growth) = stream_huge(&authority, path, 300 * MIB as u64).await;
        assert_eq!(status, Some(413), "{path}");
        // The server read at most the limit and closed: the client got to
        // write the limit plus what the sockets' buffers held, far from
        // 300 MiB.
        assert!(written < 32 * MIB as u64, "{path}: {written} bytes written");
        assert!(
            growth < 32 * MIB as u64,
            "{path}: the process grew {growth} bytes"
        );
    }
    assert_eq!(receiver.stats().enqueued, 0);
    assert_eq!(receiver.stats().rejected, 1);
}

/// Announces `len` bytes, sends the head, then drips the body one byte per
/// 50 ms; returns the raw response and how many body bytes were sent by the
/// time the server closed the connection.
async fn drip_body(authority: &str, path: &str, len: usize) -> (Vec<u8>, usize) {
    let delivery = big_delivery(10);
    let stream = TcpStream::connect(authority).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let head = head(
        authority,
        path,
        &delivery,
        &format!("content-length: {len}"),
    );
    write.write_all(head.as_bytes()).await.unwrap();
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let dripper = {
        let sent = sent.clone();
        tokio::spawn(async move {
            for _ in 0..len {
                if write.write_all(b"x").await.is_err() {
                    break;
                }
                sent.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), read.read_to_end(&mut response))
        .await
        .expect("the server answers and closes")
        .unwrap();
    let sent = sent.load(Ordering::SeqCst);
    dripper.abort();
    (response, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_dripped_past_the_read_deadline_is_cut_with_408() {
    let verifier = WebhookVerifier::<Big>::builder()
        .secret(SECRET)
        .body_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let receiver = Receiver::builder(verifier.clone()).build().unwrap();
    assert_eq!(receiver.body_timeout(), Duration::from_millis(300));
    let authority = serve_both(&receiver, verifier).await;
    for path in ["/receiver", "/extractor"] {
        let (response, sent) = drip_body(&authority, path, 1000).await;
        assert_eq!(status(&response), Some(408), "{path}");
        assert!(sent < 1000, "{path}: cut before the body was complete");
        let text = String::from_utf8_lossy(&response).to_ascii_lowercase();
        assert!(text.contains("connection: close"), "{text}");
        assert!(
            text.ends_with("the body was not received in time"),
            "{text}"
        );
    }
    assert_eq!(receiver.stats().received, 0);
    assert_eq!(receiver.stats().rejected, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_body_deadline_is_a_builder_setting_and_not_zero() {
    let receiver = Receiver::builder(verifier())
        .body_timeout(Duration::from_millis(250))
        .build()
        .unwrap();
    assert_eq!(receiver.body_timeout(), Duration::from_millis(250));
    assert_eq!(
        Receiver::builder(verifier())
            .build()
            .unwrap()
            .body_timeout(),
        Duration::from_secs(10),
        "10 s by default"
    );
    let zero = Receiver::builder(verifier())
        .body_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(zero.kind(), integrate::ErrorKind::Config);
    let authority = {
        let app = Router::new().route("/receiver", receiver.method_router());
        let (listener, authority) = listen().await;
        tokio::spawn(async move { axum::serve(listener, app).await });
        authority
    };
    let (response, _) = drip_body(&authority, "/receiver", 1000).await;
    assert_eq!(status(&response), Some(408));
}

/// `integrate::webhook::serve` with a short header read timeout, a route
/// that echoes the peer address and the receiver's route.
async fn serve_with_timeouts(header_read_timeout: Duration) -> String {
    async fn peer(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
        peer.ip().to_string()
    }
    let receiver = Receiver::builder(verifier()).build().unwrap();
    let app = Router::new()
        .route("/peer", get(peer))
        .route("/receiver", receiver.method_router());
    let (listener, authority) = listen().await;
    tokio::spawn(
        integrate::webhook::serve(listener, app)
            .header_read_timeout(header_read_timeout)
            .into_future(),
    );
    authority
}

/// Drips a request head one byte per 50 ms; returns whether the server
/// closed the connection before the head was complete.
async fn drip_head(authority: &str) -> bool {
    let head = format!(
        "GET /peer HTTP/1.1\r\nhost: {authority}\r\nx-padding: {}\r\n\r\n",
        "p".repeat(200)
    );
    let stream = TcpStream::connect(authority).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let dripper = tokio::spawn(async move {
        for byte in head.bytes() {
            if write.write_all(&[byte]).await.is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    });
    let mut response = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(20), read.read_to_end(&mut response))
        .await
        .is_ok();
    let completed = if dripper.is_finished() {
        dripper.await.unwrap_or(true)
    } else {
        dripper.abort();
        false
    };
    closed && !completed && response.is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dripped_heads_are_cut_by_the_header_read_timeout_of_webhook_serve() {
    let authority = serve_with_timeouts(Duration::from_millis(300)).await;
    let mut drips = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let authority = authority.clone();
        drips.spawn(async move { drip_head(&authority).await });
    }
    let mut cut = 0;
    while let Some(done) = drips.join_next().await {
        cut += usize::from(done.unwrap());
    }
    assert_eq!(
        cut, 50,
        "every dripping connection was closed by the server"
    );

    // A prompt request on the same server is served, with the peer address.
    let response = client()
        .get(format!("http://{authority}/peer"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "127.0.0.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_serve_cuts_a_dripped_body_through_the_receiver_deadline_too() {
    let verifier = WebhookVerifier::<Big>::builder()
        .secret(SECRET)
        .body_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let receiver = Receiver::builder(verifier).build().unwrap();
    let app = Router::new().route("/receiver", receiver.method_router());
    let (listener, authority) = listen().await;
    tokio::spawn(integrate::webhook::serve(listener, app).into_future());
    let (response, sent) = drip_body(&authority, "/receiver", 1000).await;
    assert_eq!(status(&response), Some(408));
    assert!(sent < 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_serve_shuts_down_gracefully_after_the_request_in_flight() {
    let started = Arc::new(tokio::sync::Notify::new());
    let slow = {
        let started = started.clone();
        move || async move {
            started.notify_one();
            tokio::time::sleep(Duration::from_millis(200)).await;
            "finished"
        }
    };
    let app = Router::new().route("/slow", get(slow));
    let (listener, authority) = listen().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        integrate::webhook::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );
    let client = client();
    let in_flight = {
        let (client, authority) = (client.clone(), authority.clone());
        tokio::spawn(async move {
            let response = client
                .get(format!("http://{authority}/slow"))
                .send()
                .await
                .unwrap();
            response.text().await.unwrap()
        })
    };
    started.notified().await;
    stop.send(()).unwrap();
    assert_eq!(in_flight.await.unwrap(), "finished");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server returns")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(&authority).await.is_err(),
        "no longer accepting"
    );
}

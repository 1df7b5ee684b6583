//! An `integrate::Client` against fake providers: the same script gives the
//! same `ErrorKind` through the socket (the client's own reqwest transport)
//! and through the in-process transport; and, on paused time, the client's
//! backoff and `Retry-After` waits read exactly from the journal.

use std::time::Duration;

use integrate::{Call, Client, ErrorKind, Jitter, Method, RetryPolicy, Timeouts};
use integrate_testkit::{FakeProvider, Fault, Reply, Route};
use serde_json::json;

/// What a call came to: the final status, or the error kind.
type Outcome = Result<u16, ErrorKind>;

fn client_for(base_url: &str, retry: RetryPolicy, attempt: Duration) -> integrate::ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .retry(retry)
        .timeouts(Timeouts::default().attempt(attempt).total(attempt * 20))
}

async fn call(client: &Client) -> Outcome {
    client
        .execute(Call::new(Method::GET, "/v1/customers/{id}").path("id", "cus_1"))
        .await
        .map(|response| response.status().as_u16())
        .map_err(|err| err.kind())
}

/// Runs `script` on a socket provider (the client's default reqwest
/// transport) and on an in-process one (`.transport(..)`); asserts the
/// outcomes are equal and returns it.
async fn parity(script: impl Fn(&FakeProvider), retry: RetryPolicy, attempt: Duration) -> Outcome {
    let socket = FakeProvider::start().await;
    script(&socket);
    let in_process = FakeProvider::in_process();
    script(&in_process);

    let over_socket = client_for(&socket.url(), retry, attempt)
        .build()
        .expect("client builds");
    let in_proc = client_for(&in_process.url(), retry, attempt)
        .transport(in_process.transport())
        .build()
        .expect("client builds");
    let a = call(&over_socket).await;
    let b = call(&in_proc).await;
    assert_eq!(a, b, "socket and in-process outcomes differ");
    assert_eq!(socket.journal().count(), in_process.journal().count());
    a
}

fn customer(provider: &FakeProvider, reply: impl Into<Reply>) {
    provider
        .given(Route::get("/v1/customers/{id}"))
        .respond(reply);
}

async fn once(script: impl Fn(&FakeProvider)) -> Outcome {
    parity(script, RetryPolicy::none(), Duration::from_secs(5)).await
}

async fn once_short(script: impl Fn(&FakeProvider)) -> Outcome {
    parity(script, RetryPolicy::none(), Duration::from_millis(200)).await
}

#[tokio::test]
async fn refused_is_connect() {
    let outcome = once(|p| {
        customer(p, Reply::status(200));
        p.refuse_connections();
    })
    .await;
    assert_eq!(outcome, Err(ErrorKind::Connect));
}

#[tokio::test]
async fn reset_before_response_is_network() {
    assert_eq!(
        once(|p| customer(p, Fault::ResetBeforeResponse)).await,
        Err(ErrorKind::Network)
    );
}

#[tokio::test]
async fn close_without_response_is_network() {
    assert_eq!(
        once(|p| customer(p, Fault::CloseWithoutResponse)).await,
        Err(ErrorKind::Network)
    );
}

#[tokio::test]
async fn reset_mid_body_is_body() {
    assert_eq!(
        once(|p| customer(p, Fault::ResetAfter(16))).await,
        Err(ErrorKind::Body)
    );
}

#[tokio::test]
async fn truncated_body_is_body() {
    assert_eq!(
        once(|p| customer(p, Fault::Truncated)).await,
        Err(ErrorKind::Body)
    );
}

#[tokio::test]
async fn hang_is_timeout() {
    assert_eq!(
        once_short(|p| customer(p, Fault::Hang)).await,
        Err(ErrorKind::Timeout)
    );
}

#[tokio::test]
async fn latency_past_the_attempt_timeout_is_timeout() {
    assert_eq!(
        once_short(|p| customer(p, Reply::status(200).delay(Duration::from_secs(30)))).await,
        Err(ErrorKind::Timeout)
    );
}

#[tokio::test]
async fn slow_drip_is_timeout() {
    assert_eq!(
        once_short(|p| customer(p, Reply::drip(["{", "}"], Duration::from_secs(30)))).await,
        Err(ErrorKind::Timeout)
    );
}

#[tokio::test]
async fn server_error_is_status_and_429_is_rate_limited() {
    assert_eq!(
        once(|p| customer(p, Reply::status(503))).await,
        Err(ErrorKind::Status)
    );
    assert_eq!(
        once(|p| customer(p, Reply::status(429).retry_after_secs(0))).await,
        Err(ErrorKind::RateLimited)
    );
}

#[tokio::test]
async fn malformed_json_is_decode_on_both() {
    let socket = FakeProvider::start().await;
    customer(&socket, Reply::malformed_json());
    let in_process = FakeProvider::in_process();
    customer(&in_process, Reply::malformed_json());
    let clients = [
        client_for(&socket.url(), RetryPolicy::none(), Duration::from_secs(5))
            .build()
            .unwrap(),
        client_for(
            &in_process.url(),
            RetryPolicy::none(),
            Duration::from_secs(5),
        )
        .transport(in_process.transport())
        .build()
        .unwrap(),
    ];
    for client in &clients {
        let response = client
            .execute(Call::new(Method::GET, "/v1/customers/cus_1"))
            .await
            .expect("the transport succeeds");
        assert_eq!(response.status(), 200);
        let err = response.json::<serde_json::Value>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
    }
}

#[tokio::test]
async fn a_failing_then_succeeding_script_succeeds_on_both_after_retries() {
    let retry = RetryPolicy::default()
        .max_attempts(4)
        .initial_backoff(Duration::from_millis(5))
        .jitter(Jitter::None);
    let outcome = parity(
        |p| {
            p.given(Route::get("/v1/customers/{id}"))
                .respond_seq([
                    Reply::from(Fault::ResetBeforeResponse),
                    Reply::status(503),
                    Reply::from(Fault::Truncated),
                    Reply::json(200, json!({"id": "cus_1"})),
                ])
                .expect(4);
        },
        retry,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(outcome, Ok(200));
}

/// On paused time through the in-process transport, the journal reads the
/// client's backoff exactly: min(max_backoff, initial * 2^(n-1)).
#[tokio::test(start_paused = true)]
async fn backoff_gaps_read_from_the_journal_on_paused_time() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/v1/customers/{id}"))
        .respond_seq([
            Reply::status(503),
            Reply::status(502),
            Reply::from(Fault::ResetBeforeResponse),
            Reply::status(500),
            Reply::json(200, json!({"id": "cus_1"})),
        ])
        .expect(5);
    let client = Client::builder()
        .base_url(provider.url())
        .transport(provider.transport())
        .retry(
            RetryPolicy::default()
                .max_attempts(5)
                .initial_backoff(Duration::from_millis(100))
                .max_backoff(Duration::from_millis(300))
                .jitter(Jitter::None),
        )
        .build()
        .unwrap();

    let response = client
        .execute(Call::new(Method::GET, "/v1/customers/cus_1"))
        .await
        .unwrap();
    assert_eq!(response.attempts(), 5);
    assert_eq!(
        provider.journal().gaps(),
        [100, 200, 300, 300].map(Duration::from_millis)
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_replaces_the_backoff_and_attempt_timeouts_count_in_the_gap() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::post("/v1/charges"))
        .respond_seq([
            Reply::status(429).retry_after_secs(3),
            Reply::from(Fault::Hang),
            Reply::status(201),
        ])
        .expect(3);
    let client = Client::builder()
        .base_url(provider.url())
        .transport(provider.transport())
        .retry(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(100))
                .jitter(Jitter::None),
        )
        .timeouts(
            Timeouts::default()
                .attempt(Duration::from_secs(2))
                .total(Duration::from_secs(60)),
        )
        .build()
        .unwrap();

    let response = client
        .execute(
            Call::new(Method::POST, "/v1/charges")
                .json(&json!({"amount": 500}))
                .idempotent("Idempotency-Key"),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let journal = provider.journal();
    // 3 s of Retry-After; then a 2 s attempt timeout plus the second backoff (200 ms)
    assert_eq!(
        journal.gaps(),
        [Duration::from_secs(3), Duration::from_millis(2200)]
    );
    let keys = journal.idempotency_keys("Idempotency-Key");
    assert_eq!(keys.len(), 3);
    assert!(keys[0].is_some(), "the key is sent");
    assert!(
        keys.iter().all(|k| k == &keys[0]),
        "the same key on every attempt: {keys:?}"
    );
}

//! The client over real loopback sockets (its default reqwest transport)
//! against the testkit's fake provider. Real time, short timeouts; the
//! assertions are on outcomes, never on durations.

use std::time::Duration;

use integrate::{Call, Client, ErrorKind, Jitter, Method, RetryPolicy, Timeouts};
use integrate_testkit::{FakeProvider, Fault, Reply, Route};
use serde_json::json;

fn quick_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
        .jitter(Jitter::None)
}

fn client(provider: &FakeProvider, retry: RetryPolicy) -> Client {
    Client::builder()
        .base_url(format!("{}/v1", provider.url()))
        .retry(retry)
        .timeouts(
            Timeouts::default()
                .connect(Duration::from_secs(2))
                .attempt(Duration::from_secs(5))
                .total(Duration::from_secs(10)),
        )
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn retries_then_succeeds() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v1/customers/{id}"))
        .respond_seq([
            Reply::status(503),
            Reply::status(502),
            Reply::json(200, json!({"id": "cus_1"})),
        ])
        .expect(3);
    let response = client(&provider, quick_retry(4))
        .execute(Call::new(Method::GET, "/customers/{id}").path("id", "cus_1"))
        .await
        .expect("third attempt succeeds");
    assert_eq!(response.attempts(), 3);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(body["id"], "cus_1");
}

#[tokio::test]
async fn post_is_not_retried() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::post("/v1/charges"))
        .respond(Reply::status(503))
        .expect(1);
    let err = client(&provider, quick_retry(4))
        .execute(Call::new(Method::POST, "/charges").json(&json!({"amount": 100})))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn idempotent_post_is_retried_with_one_key_and_identical_bytes() {
    let provider = FakeProvider::start().await;
    let charges = provider
        .given(Route::post("/v1/charges"))
        .respond_seq([
            Reply::status(503),
            Reply::from(Fault::ResetBeforeResponse),
            Reply::json(201, json!({"id": "ch_1"})),
        ])
        .expect(3);
    let body = json!({"amount": 100, "currency": "eur"});
    let response = client(&provider, quick_retry(4))
        .execute(
            Call::new(Method::POST, "/charges")
                .json(&body)
                .idempotent("Idempotency-Key"),
        )
        .await
        .expect("third attempt succeeds");
    assert_eq!(response.status(), 201);
    let journal = charges.requests();
    let keys = journal.idempotency_keys("Idempotency-Key");
    assert_eq!(keys.len(), 3);
    assert!(keys[0].is_some());
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    let bodies: Vec<_> = journal.iter().map(|r| r.body().clone()).collect();
    assert!(bodies.iter().all(|b| *b == bodies[0]));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&bodies[0]).unwrap(),
        body
    );
}

#[tokio::test]
async fn reset_mid_body_is_a_body_error_and_is_retried_for_get() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v1/export"))
        .respond(Reply::text(200, "0123456789".repeat(100)).with_fault(Fault::ResetAfter(100)));
    let err = client(&provider, RetryPolicy::none())
        .execute(Call::new(Method::GET, "/export"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Body);
    assert!(err.is_retryable());

    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v1/export"))
        .respond_seq([
            Reply::text(200, "0123456789".repeat(100)).with_fault(Fault::ResetAfter(100)),
            Reply::text(200, "complete"),
        ])
        .expect(2);
    let response = client(&provider, quick_retry(3))
        .execute(Call::new(Method::GET, "/export"))
        .await
        .expect("the retry reads the whole body");
    assert_eq!(&response.body()[..], b"complete");
}

#[tokio::test]
async fn truncated_body_is_a_body_error() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v1/export"))
        .respond(Reply::text(200, "0123456789").with_fault(Fault::Truncated));
    let err = client(&provider, RetryPolicy::none())
        .execute(Call::new(Method::GET, "/export"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Body);
}

#[tokio::test]
async fn a_slow_body_past_the_attempt_timeout_is_a_timeout() {
    let provider = FakeProvider::start().await;
    provider.given(Route::get("/v1/feed")).respond(Reply::drip(
        ["[1,", "2,", "3,", "4,", "5]"],
        Duration::from_millis(400),
    ));
    let client = Client::builder()
        .base_url(format!("{}/v1", provider.url()))
        .retry(RetryPolicy::none())
        .timeouts(
            Timeouts::default()
                .attempt(Duration::from_millis(300))
                .total(Duration::from_secs(5)),
        )
        .build()
        .unwrap();
    let err = client
        .execute(Call::new(Method::GET, "/feed"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn a_response_that_never_comes_ends_at_the_total_deadline() {
    let provider = FakeProvider::start().await;
    provider.given(Route::get("/v1/hang")).respond(Fault::Hang);
    let client = Client::builder()
        .base_url(format!("{}/v1", provider.url()))
        .retry(quick_retry(10))
        .timeouts(
            Timeouts::default()
                .attempt(Duration::from_millis(200))
                .total(Duration::from_millis(500)),
        )
        .build()
        .unwrap();
    let err = client
        .execute(Call::new(Method::GET, "/hang"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.attempts() >= 2, "{err:?}");
}

#[tokio::test]
async fn a_body_over_the_cap_is_a_body_error_not_retried() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v1/big"))
        .respond(Reply::text(200, "x".repeat(64 * 1024)))
        .expect(1);
    let client = Client::builder()
        .base_url(format!("{}/v1", provider.url()))
        .retry(quick_retry(3))
        .max_response_body(1024)
        .build()
        .unwrap();
    let err = client
        .execute(Call::new(Method::GET, "/big"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Body);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v1/customers/{id}"))
        .respond(Reply::malformed_json())
        .expect(1);
    let response = client(&provider, quick_retry(3))
        .execute(Call::new(Method::GET, "/customers/{id}").path("id", "cus_1"))
        .await
        .expect("a 2xx");
    let err = response.json::<serde_json::Value>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_post() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::post("/v1/charges"))
        .respond(Reply::json(201, json!({"id": "ch_1"})))
        .expect(1);
    provider.refuse_connections();
    let client = Client::builder()
        .base_url(format!("{}/v1", provider.url()))
        .retry(
            RetryPolicy::default()
                .max_attempts(20)
                .initial_backoff(Duration::from_millis(50))
                .max_backoff(Duration::from_millis(50))
                .jitter(Jitter::None),
        )
        .build()
        .unwrap();
    let call = tokio::spawn(client.execute(Call::new(Method::POST, "/charges").json(&json!({}))));
    // Let at least one attempt be refused, then come back up.
    tokio::time::sleep(Duration::from_millis(120)).await;
    provider.accept_connections().await.expect("rebind");
    let response = call.await.unwrap().expect("a later attempt connects");
    assert_eq!(response.status(), 201);
    assert!(response.attempts() >= 2, "{}", response.attempts());

    // With nothing ever listening, the call ends as a Connect error.
    let provider = FakeProvider::start().await;
    provider.refuse_connections();
    let err = Client::builder()
        .base_url(provider.url())
        .retry(quick_retry(3))
        .build()
        .unwrap()
        .execute(Call::new(Method::POST, "/charges"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert_eq!(err.attempts(), 3);
}

#[tokio::test]
async fn close_without_response_is_a_network_error() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::post("/v1/charges"))
        .respond(Fault::CloseWithoutResponse)
        .expect(1);
    let err = client(&provider, quick_retry(3))
        .execute(Call::new(Method::POST, "/charges"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(
        err.attempts(),
        1,
        "a POST that may have been processed is not retried"
    );
}

#[tokio::test]
async fn the_url_path_query_and_api_key_arrive_as_built() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v1/files/{name}"))
        .respond(Reply::json(200, json!({})))
        .expect(1);
    let client = Client::builder()
        .base_url(format!("{}/v1/", provider.url()))
        .auth(integrate::Auth::api_key_query_env("api_key", "PAY_TOKEN"))
        .env(|name: &str| (name == "PAY_TOKEN").then(|| "k+y&z".to_owned()))
        .build()
        .unwrap();
    client
        .execute(
            Call::new(Method::GET, "/files/{name}")
                .path("name", "a/b c..é")
                .query("q", "x&y=z #1")
                .query("tag", &["a", "b"]),
        )
        .await
        .expect("200");
    let journal = provider.journal();
    let seen = journal.get(0).expect("one request");
    assert_eq!(seen.path(), "/v1/files/a%2Fb%20c..%C3%A9");
    assert_eq!(
        seen.query(),
        Some("q=x%26y%3Dz+%231&tag=a&tag=b&api_key=k%2By%26z")
    );
    assert_eq!(seen.query_param("q").as_deref(), Some("x&y=z #1"));
    assert_eq!(seen.query_param("api_key").as_deref(), Some("k+y&z"));
}

/// Stamps each attempt with its number.
struct StampingSigner(std::sync::atomic::AtomicU32);

impl integrate::SignRequest for StampingSigner {
    fn sign<'a>(
        &'a self,
        request: &'a mut http::Request<bytes::Bytes>,
    ) -> integrate::transport::BoxFuture<'a, integrate::Result<()>> {
        Box::pin(async move {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            request
                .headers_mut()
                .insert("x-signature", http::HeaderValue::from(n));
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_request_signer_signs_every_attempt_over_the_default_transport() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v1/customers/{id}"))
        .respond_seq([Reply::status(503), Reply::json(200, json!({"id": "cus_1"}))])
        .expect(2);
    let response = Client::builder()
        .base_url(format!("{}/v1", provider.url()))
        .retry(quick_retry(3))
        .auth(integrate::Auth::custom(StampingSigner(
            std::sync::atomic::AtomicU32::new(0),
        )))
        .build()
        .unwrap()
        .execute(
            Call::new(Method::GET, "/customers/{id}")
                .path("id", "cus_1")
                .query("expand", "card"),
        )
        .await
        .expect("the second attempt succeeds");
    assert_eq!(response.attempts(), 2);
    let journal = provider.journal();
    let stamps: Vec<_> = journal.iter().map(|r| r.header("x-signature")).collect();
    assert_eq!(stamps, [Some("1"), Some("2")]);
    assert!(journal.iter().all(|r| r.query() == Some("expand=card")));
    let ids: Vec<_> = journal.iter().map(|r| r.header("x-request-id")).collect();
    assert!(ids[0].is_some() && ids[0] == ids[1], "{ids:?}");
}

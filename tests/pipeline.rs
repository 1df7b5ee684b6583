//! The call pipeline on paused time: retry classification, backoff,
//! Retry-After, idempotency, timeouts, auth and request ids.

#[path = "support/script.rs"]
mod script;

use std::time::{Duration, SystemTime};

use integrate::{
    Auth, Bytes, Call, Client, ErrorKind, Jitter, Method, Response, RetryOverride, RetryPolicy,
    TimeoutOverride, Timeouts, TransportErrorKind,
};
use script::{Script, Step};
use tokio::time::Instant;

fn client(script: &Script) -> Client {
    client_with(script, RetryPolicy::default().jitter(Jitter::None))
}

fn client_with(script: &Script, retry: RetryPolicy) -> Client {
    Client::builder()
        .base_url("https://api.example.com/v1/")
        .transport(script.clone())
        .retry(retry)
        .build()
        .unwrap()
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

fn get(path: &'static str) -> Call {
    Call::new(Method::GET, path).operation("Test::get")
}

fn post(path: &'static str) -> Call {
    Call::new(Method::POST, path).operation("Test::post")
}

#[tokio::test(start_paused = true)]
async fn retries_transient_statuses_with_exponential_backoff() {
    let script = Script::new([
        Step::status(503),
        Step::status(502),
        Step::json(200, r#"{"ok":true}"#),
    ]);
    let client = client_with(
        &script,
        RetryPolicy::default()
            .max_attempts(4)
            .initial_backoff(ms(200))
            .jitter(Jitter::None),
    );
    let response = client.execute(get("/ping")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.attempts(), 3);
    assert_eq!(script.gaps(), [ms(200), ms(400)]);
}

#[tokio::test(start_paused = true)]
async fn each_retryable_status_is_retried_for_get() {
    for status in [408, 429, 500, 502, 503, 504] {
        let script = Script::new([Step::status(status), Step::status(200)]);
        let response = client(&script).execute(get("/x")).await;
        assert_eq!(response.unwrap().attempts(), 2, "{status}");
    }
}

#[tokio::test(start_paused = true)]
async fn non_retryable_statuses_end_the_call_at_once() {
    for status in [301, 400, 401, 403, 404, 409, 422, 501] {
        let script = Script::new([Step::status(status), Step::status(200)]);
        let err = client(&script).execute(get("/x")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Status, "{status}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(err.attempts(), 1, "{status}");
        assert_eq!(script.count(), 1, "{status}");
    }
}

#[tokio::test(start_paused = true)]
async fn final_statuses_keep_their_kind_and_body() {
    let script = Script::new([Step::Reply {
        status: 402,
        headers: vec![],
        body: Bytes::from_static(br#"{"error":{"code":"card_declined"}}"#),
    }]);
    let err = client(&script).execute(post("/charges")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(
        err.body(),
        Some(&br#"{"error":{"code":"card_declined"}}"#[..])
    );
    assert_eq!(err.operation(), Some("Test::post"));
    assert!(!err.is_retryable());

    let script = Script::new([Step::status(429)]);
    let err = client(&script).execute(get("/x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.attempts(), 3);
}

#[tokio::test(start_paused = true)]
async fn post_is_not_retried_after_a_transient_failure() {
    for step in [
        Step::status(503),
        Step::status(500),
        Step::Fail(TransportErrorKind::Network),
        Step::Fail(TransportErrorKind::Body),
    ] {
        let script = Script::new([step.clone(), Step::status(200)]);
        let err = client(&script).execute(post("/charges")).await.unwrap_err();
        assert_eq!(err.attempts(), 1, "{step:?}");
        assert_eq!(script.count(), 1, "{step:?}");
    }
    // PATCH likewise.
    let script = Script::new([Step::status(503), Step::status(200)]);
    let call = Call::new(Method::PATCH, "/x");
    assert!(client(&script).execute(call).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn idempotent_methods_are_retried_after_lost_connections() {
    for method in [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
    ] {
        for kind in [TransportErrorKind::Network, TransportErrorKind::Body] {
            let script = Script::new([Step::Fail(kind), Step::status(200)]);
            let call = Call::new(method.clone(), "/x");
            let response = client(&script).execute(call).await;
            assert_eq!(response.unwrap().attempts(), 2, "{method} {kind:?}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn connect_failures_and_429_are_retried_even_for_post() {
    let script = Script::new([Step::Fail(TransportErrorKind::Connect), Step::status(201)]);
    let response = client(&script).execute(post("/charges")).await.unwrap();
    assert_eq!(response.attempts(), 2);

    let script = Script::new([Step::status(429), Step::status(201)]);
    let response = client(&script).execute(post("/charges")).await.unwrap();
    assert_eq!(response.attempts(), 2);
}

#[tokio::test(start_paused = true)]
async fn never_retried_outcomes() {
    // A certificate rejection, an over-size body.
    for kind in [
        TransportErrorKind::CertificateRejected,
        TransportErrorKind::BodyTooLarge,
    ] {
        let script = Script::new([Step::Fail(kind), Step::status(200)]);
        let err = client(&script).execute(get("/x")).await.unwrap_err();
        assert_eq!(err.attempts(), 1, "{kind:?}");
        assert!(!err.is_retryable(), "{kind:?}");
    }
    // A decode error of a 2xx body.
    let script = Script::new([Step::json(200, "{not json"), Step::json(200, "{}")]);
    let err = integrate::__private::run(
        &client(&script),
        get("/x"),
        integrate::__private::decoder::<serde_json::Value>(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.operation(), Some("Test::get"));
    assert_eq!(script.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn idempotent_post_is_retried_with_one_key_and_identical_bytes() {
    let script = Script::new([
        Step::status(503),
        Step::Fail(TransportErrorKind::Network),
        Step::status(201),
    ]);
    let call = post("/charges")
        .json(&serde_json::json!({"amount": 100, "currency": "eur"}))
        .idempotent("Idempotency-Key");
    let response = client(&script).execute(call).await.unwrap();
    assert_eq!(response.attempts(), 3);
    let seen = script.seen();
    let keys: Vec<_> = seen
        .iter()
        .map(|s| s.headers["idempotency-key"].clone())
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| *k == keys[0]));
    assert_eq!(keys[0].len(), 36, "a UUID: {:?}", keys[0]);
    assert!(seen.iter().all(|s| s.body == seen[0].body));
    assert_eq!(&seen[0].body[..], br#"{"amount":100,"currency":"eur"}"#);

    // Another call gets another key.
    let script2 = Script::new([Step::status(201)]);
    let call = post("/charges").idempotent("Idempotency-Key");
    client(&script2).execute(call).await.unwrap();
    assert_ne!(script2.seen()[0].headers["idempotency-key"], keys[0]);
}

#[tokio::test(start_paused = true)]
async fn caller_supplied_idempotency_key_is_sent_on_every_attempt() {
    let script = Script::new([Step::status(500), Step::status(200)]);
    let call = post("/orders")
        .idempotent("X-Idempotency-Key")
        .idempotency_key(&format!("order-{}", 42));
    client(&script).execute(call).await.unwrap();
    for seen in script.seen() {
        assert_eq!(seen.headers["x-idempotency-key"], "order-42");
        assert!(seen.headers.get("idempotency-key").is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn request_id_is_the_same_on_every_attempt_and_a_callers_wins() {
    let script = Script::new([Step::status(503), Step::status(200)]);
    client(&script).execute(get("/x")).await.unwrap();
    let seen = script.seen();
    assert_eq!(
        seen[0].headers["x-request-id"],
        seen[1].headers["x-request-id"]
    );
    assert_eq!(seen[0].headers["x-request-id"].len(), 36);

    let script = Script::new([Step::status(503), Step::status(200)]);
    client(&script)
        .execute(get("/x").header("X-Request-Id", "corr-7"))
        .await
        .unwrap();
    assert!(
        script
            .seen()
            .iter()
            .all(|s| s.headers["x-request-id"] == "corr-7")
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_replaces_the_backoff() {
    let script = Script::new([
        Step::status(429).with_header("retry-after", "3"),
        Step::status(200),
    ]);
    client(&script).execute(get("/x")).await.unwrap();
    assert_eq!(script.gaps(), [Duration::from_secs(3)]);

    let script = Script::new([
        Step::status(503).with_header("retry-after", "7"),
        Step::status(200),
    ]);
    client(&script).execute(get("/x")).await.unwrap();
    assert_eq!(script.gaps(), [Duration::from_secs(7)]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_http_date() {
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
    let script = Script::new([
        Step::status(503).with_header("retry-after", at),
        Step::status(200),
    ]);
    client(&script).execute(get("/x")).await.unwrap();
    let gap = script.gaps()[0];
    // The date has one-second resolution.
    assert!(
        gap > Duration::from_secs(3) && gap <= Duration::from_secs(5),
        "{gap:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_zero_or_past_retries_at_once() {
    let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
    for value in ["0".to_owned(), past] {
        let script = Script::new([
            Step::status(429).with_header("retry-after", value.clone()),
            Step::status(200),
        ]);
        client(&script).execute(get("/x")).await.unwrap();
        assert_eq!(script.gaps(), [Duration::ZERO], "{value}");
    }
}

#[tokio::test(start_paused = true)]
async fn garbage_retry_after_falls_back_to_backoff() {
    for value in ["soon", "-1", "1.5", "Tue, 99 Foo 2020 00:00:00 GMT"] {
        let script = Script::new([
            Step::status(503).with_header("retry-after", value),
            Step::status(200),
        ]);
        client(&script).execute(get("/x")).await.unwrap();
        assert_eq!(script.gaps(), [ms(200)], "{value}");
    }
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_deadline_ends_the_call_at_once() {
    for (status, kind) in [(503, ErrorKind::Status), (429, ErrorKind::RateLimited)] {
        let script = Script::new([
            Step::status(status).with_header("retry-after", "31536000"),
            Step::status(200),
        ]);
        let start = Instant::now();
        let err = client(&script).execute(get("/x")).await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::ZERO, "{status}");
        assert_eq!(err.kind(), kind, "{status}");
        assert_eq!(err.attempts(), 1);
        // Capped at `max_retry_after` (1 hour by default).
        assert_eq!(err.retry_after(), Some(integrate::DEFAULT_MAX_RETRY_AFTER));
    }
}

#[tokio::test(start_paused = true)]
async fn forbidden_with_retry_after_is_retried_for_idempotent_calls_only() {
    let script = Script::new([
        Step::status(403).with_header("retry-after", "2"),
        Step::status(200),
    ]);
    client(&script).execute(get("/x")).await.unwrap();
    assert_eq!(script.gaps(), [Duration::from_secs(2)]);

    let script = Script::new([Step::status(403), Step::status(200)]);
    let err = client(&script).execute(get("/x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(err.attempts(), 1);

    let script = Script::new([
        Step::status(403).with_header("retry-after", "2"),
        Step::status(200),
    ]);
    let err = client(&script).execute(post("/x")).await.unwrap_err();
    assert_eq!(err.attempts(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_backoff_that_would_pass_the_deadline_is_not_slept() {
    let script = Script::new([Step::status(503), Step::status(200)]);
    let client = Client::builder()
        .base_url("https://api.example.com")
        .transport(script.clone())
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_secs(10))
                .jitter(Jitter::None),
        )
        .timeouts(Timeouts::default().total(Duration::from_secs(5)))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client.execute(get("/x")).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(err.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_cuts_each_attempt_and_is_retried() {
    let script = Script::new([Step::Hang, Step::Hang, Step::status(200)]);
    let client = Client::builder()
        .base_url("https://api.example.com")
        .transport(script.clone())
        .retry(
            RetryPolicy::default()
                .initial_backoff(ms(100))
                .jitter(Jitter::None),
        )
        .timeouts(Timeouts::default().attempt(Duration::from_secs(1)))
        .build()
        .unwrap();
    let start = Instant::now();
    let response = client.execute(get("/x")).await.unwrap();
    assert_eq!(response.attempts(), 3);
    assert_eq!(start.elapsed(), Duration::from_secs(2) + ms(300));
    assert_eq!(script.gaps(), [ms(1100), ms(1200)]);

    // A slow response (latency before the head) is cut the same way.
    let script = Script::new([Step::After(
        Duration::from_secs(5),
        Box::new(Step::status(200)),
    )]);
    let client = Client::builder()
        .base_url("https://api.example.com")
        .transport(script.clone())
        .retry(RetryPolicy::none())
        .timeouts(Timeouts::default().attempt(Duration::from_secs(1)))
        .build()
        .unwrap();
    let err = client.execute(get("/x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_retryable());
    assert_eq!(err.attempts(), 1);
}

#[tokio::test(start_paused = true)]
async fn total_timeout_ends_the_call_at_the_deadline() {
    let script = Script::new([Step::Hang]);
    let client = Client::builder()
        .base_url("https://api.example.com")
        .transport(script.clone())
        .timeouts(
            Timeouts::default()
                .attempt(Duration::from_secs(10))
                .total(Duration::from_secs(2)),
        )
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client.execute(get("/x")).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.attempts(), 1);
    assert_eq!(script.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn per_call_overrides_replace_only_named_keys() {
    let script = Script::new([Step::status(503)]);
    let call = get("/x").retry(RetryOverride {
        max_attempts: Some(1),
        ..RetryOverride::default()
    });
    let err = client(&script).execute(call).await.unwrap_err();
    assert_eq!(err.attempts(), 1);

    let script = Script::new([Step::status(503), Step::status(503), Step::status(200)]);
    let call = get("/x").retry(RetryOverride {
        initial_backoff: Some(ms(50)),
        ..RetryOverride::default()
    });
    client(&script).execute(call).await.unwrap();
    // jitter none and 3 attempts come from the client; the backoff from the call.
    assert_eq!(script.gaps(), [ms(50), ms(100)]);

    let script = Script::new([Step::Hang]);
    let call = get("/x").timeouts(TimeoutOverride {
        total: Some(Duration::from_secs(1)),
        ..TimeoutOverride::default()
    });
    let start = Instant::now();
    let err = client(&script).execute(call).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn bad_arguments_fail_before_anything_is_sent() {
    let script = Script::new([Step::status(200)]);
    let client = client(&script);
    let err = client
        .execute(Call::new(Method::GET, "/customers/{id}").path("id", ""))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.attempts(), 0);
    let err = client
        .execute(get("/x").header("X-Note", "line\nInjected: 1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = client
        .execute(get("/x").query("filter", &std::collections::BTreeMap::from([(1, 2)])))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Encode);
    assert_eq!(script.count(), 0);
}

#[tokio::test(start_paused = true)]
async fn url_building() {
    let script = Script::new([Step::status(200)]);
    let client = client(&script);
    client
        .execute(
            Call::new(Method::GET, "/orgs/{org}/items/{id}")
                .path("org", "a/b?c#d")
                .path("id", "%2E.")
                .query("q", "x y&z")
                .query("tag", &["a", "b"])
                .query("after", &None::<&str>),
        )
        .await
        .unwrap();
    assert_eq!(
        script.seen()[0].uri.to_string(),
        "https://api.example.com/v1/orgs/a%2Fb%3Fc%23d/items/%252E.?q=x+y%26z&tag=a&tag=b"
    );
}

#[tokio::test(start_paused = true)]
async fn auth_is_applied_to_every_attempt() {
    let env = |name: &str| match name {
        "PAY_TOKEN" => Some("tok_live_123".to_owned()),
        "PAY_USER" => Some("u".to_owned()),
        "PAY_PASS" => Some("p".to_owned()),
        _ => None,
    };
    let cases = [
        (
            Auth::bearer_env("PAY_TOKEN"),
            "authorization",
            "Bearer tok_live_123",
        ),
        (
            Auth::basic_env("PAY_USER", "PAY_PASS"),
            "authorization",
            "Basic dTpw",
        ),
        (
            Auth::api_key_header_env("X-Api-Key", "PAY_TOKEN"),
            "x-api-key",
            "tok_live_123",
        ),
    ];
    for (auth, header, value) in cases {
        let script = Script::new([Step::status(503), Step::status(200)]);
        let client = Client::builder()
            .base_url("https://api.example.com")
            .transport(script.clone())
            .auth(auth)
            .env(env)
            .retry(RetryPolicy::default().jitter(Jitter::None))
            .build()
            .unwrap();
        client.execute(get("/x")).await.unwrap();
        for seen in script.seen() {
            assert_eq!(seen.headers[header], value);
        }
    }
    let script = Script::new([Step::status(200)]);
    let client = Client::builder()
        .base_url("https://api.example.com")
        .transport(script.clone())
        .auth(Auth::api_key_query_env("api_key", "PAY_TOKEN"))
        .env(env)
        .build()
        .unwrap();
    client.execute(get("/x").query("a", &1)).await.unwrap();
    assert_eq!(
        script.seen()[0].uri.query(),
        Some("a=1&api_key=tok_live_123")
    );
    client.execute(get("/y")).await.unwrap();
    assert_eq!(script.seen()[1].uri.query(), Some("api_key=tok_live_123"));
}

struct CountingSigner(std::sync::Arc<std::sync::atomic::AtomicU32>, bool);

impl integrate::SignRequest for CountingSigner {
    fn sign<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> integrate::transport::BoxFuture<'a, integrate::Result<()>> {
        Box::pin(async move {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            if self.1 {
                return Err(integrate::Error::auth("token store unavailable"));
            }
            request
                .headers_mut()
                .insert("x-signature", n.to_string().parse().unwrap());
            Ok(())
        })
    }
}

#[tokio::test(start_paused = true)]
async fn custom_signer_runs_per_attempt_and_its_failure_is_auth() {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let script = Script::new([Step::status(503), Step::status(200)]);
    let client = Client::builder()
        .base_url("https://api.example.com")
        .transport(script.clone())
        .auth(Auth::custom(CountingSigner(count.clone(), false)))
        .build()
        .unwrap();
    client.execute(get("/x")).await.unwrap();
    let sigs: Vec<_> = script
        .seen()
        .iter()
        .map(|s| s.headers["x-signature"].clone())
        .collect();
    assert_eq!(sigs, ["1", "2"]);

    let script = Script::new([Step::status(200)]);
    let client = Client::builder()
        .base_url("https://api.example.com")
        .transport(script.clone())
        .auth(Auth::custom(CountingSigner(count, true)))
        .build()
        .unwrap();
    let err = client.execute(get("/x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(script.count(), 0);
}

#[tokio::test(start_paused = true)]
async fn builder_errors() {
    let script = Script::new([]);
    let no_env = |_: &str| None;
    let err = Client::builder().env(no_env).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = Client::builder()
        .base_url("https://api.example.com")
        .auth(Auth::bearer_env("PAY_TOKEN"))
        .env(no_env)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("PAY_TOKEN"), "{err}");
    let err = Client::builder()
        .base_url("https://api.example.com")
        .transport(script.clone())
        .http_client(
            integrate::ReqwestTransport::client_builder()
                .build()
                .unwrap(),
        )
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = Client::builder()
        .base_url("https://api.example.com")
        .retry(RetryPolicy::default().max_attempts(0))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = Client::builder()
        .base_url("https://api.example.com")
        .timeouts(Timeouts::default().total(Duration::ZERO))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test(start_paused = true)]
async fn decoders_by_return_type_through_the_pipeline() {
    use integrate::__private::{decoder, run};
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Customer {
        id: String,
    }
    let script = Script::new([Step::json(200, r#"{"id":"cus_1"}"#)]);
    let client = client(&script);
    let c: Customer = run(&client, get("/c"), decoder::<Customer>())
        .await
        .unwrap();
    assert_eq!(c.id, "cus_1");
    let s: String = run(&client, get("/c"), decoder::<String>()).await.unwrap();
    assert_eq!(s, r#"{"id":"cus_1"}"#);
    let b: Bytes = run(&client, get("/c"), decoder::<Bytes>()).await.unwrap();
    assert_eq!(&b[..], br#"{"id":"cus_1"}"#);
    run(&client, get("/c"), decoder::<()>()).await.unwrap();
    let r: Response<Customer> = run(&client, get("/c"), decoder::<Response<Customer>>())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.body().id, "cus_1");

    // A non-2xx is an error for Response<T> too.
    let script = Script::new([Step::status(404)]);
    let err = run(
        &self::client(&script),
        get("/c"),
        decoder::<Response<Bytes>>(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status);
}

#[tokio::test(start_paused = true)]
async fn the_clock_is_read_at_most_once_per_attempt() {
    use integrate::__private::clock_reads;
    if cfg!(not(debug_assertions)) {
        return; // the counter exists in debug builds only
    }
    let script = Script::new([Step::status(200)]);
    let client = client(&script);
    let before = clock_reads();
    client.execute(get("/x")).await.unwrap();
    assert_eq!(clock_reads() - before, 1);

    let script = Script::new([Step::status(503), Step::status(503), Step::status(200)]);
    let client = self::client(&script);
    let before = clock_reads();
    let response = client.execute(get("/x")).await.unwrap();
    assert_eq!(response.attempts(), 3);
    assert!(clock_reads() - before <= 3, "{}", clock_reads() - before);
}

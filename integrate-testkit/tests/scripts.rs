//! Scripts, limits, fallbacks, seeded probability, matchers, and
//! expectations checked on drop (with their failure message), through the
//! in-process transport.

use std::panic::{AssertUnwindSafe, catch_unwind};

use integrate::{Bytes, Transport, TransportErrorKind};
use integrate_testkit::{FakeProvider, Fault, Reply, Route};
use serde_json::json;

async fn status(provider: &FakeProvider, method: &str, target: &str) -> u16 {
    let request = http::Request::builder()
        .method(method)
        .uri(target)
        .body(Bytes::new())
        .expect("request builds");
    provider
        .transport()
        .send(request)
        .await
        .expect("a response")
        .status()
        .as_u16()
}

async fn statuses(provider: &FakeProvider, target: &str, n: usize) -> Vec<u16> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(status(provider, "GET", target).await);
    }
    out
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_sequence_plays_in_order_then_repeats_its_last_reply() {
    let provider = FakeProvider::in_process();
    provider.given(Route::get("/a")).respond_seq([
        Reply::status(503),
        Reply::status(503),
        Reply::status(200),
    ]);
    assert_eq!(
        statuses(&provider, "/a", 5).await,
        [503, 503, 200, 200, 200]
    );
}

#[tokio::test]
async fn a_fallback_answers_once_the_sequence_is_used_up() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/a"))
        .respond_seq([Reply::status(500), Reply::status(502)])
        .fallback(Reply::status(204));
    assert_eq!(statuses(&provider, "/a", 4).await, [500, 502, 204, 204]);
}

#[tokio::test]
async fn faults_can_be_scripted_between_replies() {
    let provider = FakeProvider::in_process();
    provider.given(Route::get("/a")).respond_seq([
        Reply::from(Fault::ResetBeforeResponse),
        Reply::from(Fault::Truncated),
        Reply::status(200),
    ]);
    let transport = provider.transport();
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let request = http::Request::get("/a").body(Bytes::new()).unwrap();
        kinds.push(
            transport
                .send(request)
                .await
                .map(|r| r.status().as_u16())
                .map_err(|e| e.kind()),
        );
    }
    assert_eq!(
        kinds,
        [
            Err(TransportErrorKind::Network),
            Err(TransportErrorKind::Body),
            Ok(200)
        ]
    );
}

#[tokio::test]
async fn times_limits_a_route_then_later_routes_answer() {
    let provider = FakeProvider::in_process();
    let flaky = provider
        .given(Route::get("/a"))
        .respond(Reply::status(500))
        .times(2);
    provider.given(Route::get("/a")).respond(Reply::status(200));
    assert_eq!(statuses(&provider, "/a", 4).await, [500, 500, 200, 200]);
    assert_eq!(flaky.received(), 2);
}

#[tokio::test]
async fn a_used_up_route_with_nothing_after_it_gives_404() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/a"))
        .respond(Reply::status(200))
        .times(1);
    assert_eq!(statuses(&provider, "/a", 2).await, [200, 404]);
    assert_eq!(provider.journal().unmatched().count(), 1);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_outcomes() {
    async fn draw(seed: u64) -> Vec<u16> {
        let provider = FakeProvider::in_process();
        provider.given(Route::get("/a")).respond(Reply::chance(
            seed,
            0.3,
            Reply::status(503),
            Reply::status(200),
        ));
        statuses(&provider, "/a", 200).await
    }
    let first = draw(42).await;
    assert_eq!(first, draw(42).await, "same seed, same outcomes");
    assert_ne!(first, draw(43).await, "another seed, other outcomes");
    let failures = first.iter().filter(|&&s| s == 503).count();
    assert!(
        (30..=90).contains(&failures),
        "about 30% of 200 fail: {failures}"
    );
    assert!(first.iter().all(|&s| s == 503 || s == 200));
}

#[tokio::test]
async fn chance_extremes_always_or_never_pick_the_first_reply() {
    let provider = FakeProvider::in_process();
    provider.given(Route::get("/always")).respond(Reply::chance(
        1,
        1.0,
        Reply::status(503),
        Reply::status(200),
    ));
    provider.given(Route::get("/never")).respond(Reply::chance(
        1,
        0.0,
        Reply::status(503),
        Reply::status(200),
    ));
    assert!(
        statuses(&provider, "/always", 50)
            .await
            .iter()
            .all(|&s| s == 503)
    );
    assert!(
        statuses(&provider, "/never", 50)
            .await
            .iter()
            .all(|&s| s == 200)
    );
}

#[tokio::test]
async fn routes_select_on_header_query_and_json_body() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/customers/{id}").header("authorization", "Bearer good"))
        .respond(Reply::status(200));
    provider
        .given(Route::get("/customers/{id}"))
        .respond(Reply::status(401));
    provider
        .given(Route::get("/search").query("q", "ada lovelace"))
        .respond(Reply::status(200));
    provider
        .given(Route::post("/charges").body_json(json!({"amount": 500, "currency": "eur"})))
        .respond(Reply::status(201));

    let transport = provider.transport();
    let send = |request: http::Request<Bytes>| {
        let transport = transport.clone();
        async move { transport.send(request).await.unwrap().status().as_u16() }
    };
    let authorised = http::Request::get("/customers/7")
        .header("authorization", "Bearer good")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(send(authorised).await, 200);
    let anonymous = http::Request::get("/customers/7")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(send(anonymous).await, 401);
    let search = http::Request::get("http://x.invalid/search?page=2&q=ada%20lovelace")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(send(search).await, 200);
    let charge = http::Request::post("/charges")
        .body(Bytes::from_static(br#"{"currency":"eur","amount":500}"#))
        .unwrap();
    assert_eq!(send(charge).await, 201);
    let other_charge = http::Request::post("/charges")
        .body(Bytes::from_static(br#"{"currency":"usd","amount":500}"#))
        .unwrap();
    assert_eq!(send(other_charge).await, 404);
}

#[tokio::test]
async fn mounted_routes_report_what_they_received() {
    let provider = FakeProvider::in_process();
    let customers = provider
        .given(Route::get("/customers/{id}"))
        .respond(Reply::status(200))
        .named("customer");
    status(&provider, "GET", "/customers/1").await;
    status(&provider, "GET", "/other").await;
    status(&provider, "GET", "/customers/2").await;
    assert_eq!(customers.received(), 2);
    let paths: Vec<String> = customers
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(paths, ["/customers/1", "/customers/2"]);
    assert_eq!(
        provider.journal().get(0).and_then(|r| r.route()),
        Some("customer (GET /customers/{id})")
    );
}

#[tokio::test]
async fn verify_passes_when_every_expectation_holds() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/a"))
        .respond(Reply::status(200))
        .expect(2);
    provider
        .given(Route::get("/b"))
        .respond(Reply::status(200))
        .expect(1..=3);
    provider
        .given(Route::get("/c"))
        .respond(Reply::status(200))
        .expect(..1);
    statuses(&provider, "/a", 2).await;
    statuses(&provider, "/b", 3).await;
    assert_eq!(provider.verify(), Ok(()));
}

#[tokio::test]
async fn verify_names_the_unmet_expectation_and_lists_the_requests() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/customers/{id}"))
        .respond(Reply::status(200))
        .expect(3);
    provider
        .given(Route::post("/refunds"))
        .respond(Reply::status(201))
        .expect(1..);
    status(&provider, "GET", "/customers/42").await;
    status(&provider, "DELETE", "/customers/42?force=true").await;

    let err = provider.verify().unwrap_err();
    assert_eq!(
        err.message(),
        "fake provider: 2 expectation(s) not met:\n\
         - GET /customers/{id}: expected exactly 3 request(s), received 1\n\
         - POST /refunds: expected at least 1 request(s), received 0\n\
         2 request(s) received:\n  \
         1. GET /customers/42 -> GET /customers/{id}\n  \
         2. DELETE /customers/42?force=true -> no route matched (404)"
    );
    provider.reset(); // let the provider drop quietly
}

#[tokio::test]
async fn dropping_a_provider_with_unmet_expectations_panics_with_the_message() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::post("/charges"))
        .respond(Reply::status(201))
        .expect(2);
    status(&provider, "POST", "/charges").await;

    let payload = catch_unwind(AssertUnwindSafe(|| drop(provider))).unwrap_err();
    let message = panic_message(payload.as_ref());
    assert!(
        message.contains("- POST /charges: expected exactly 2 request(s), received 1"),
        "{message}"
    );
    assert!(
        message.contains("1. POST /charges -> POST /charges"),
        "{message}"
    );
}

#[tokio::test]
async fn dropping_during_a_panic_does_not_panic_again() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/never"))
        .respond(Reply::status(200))
        .expect(1);
    let payload = catch_unwind(AssertUnwindSafe(move || {
        let _provider = provider;
        panic!("the test's own failure");
    }))
    .unwrap_err();
    // a second panic during unwinding would abort the process instead
    assert_eq!(panic_message(payload.as_ref()), "the test's own failure");
}

#[tokio::test]
async fn reset_forgets_routes_requests_and_expectations() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/a"))
        .respond(Reply::status(200))
        .expect(5);
    status(&provider, "GET", "/a").await;
    provider.reset();
    assert!(provider.journal().is_empty());
    assert_eq!(status(&provider, "GET", "/a").await, 404);
    assert_eq!(provider.verify(), Ok(()));
}

#[tokio::test]
async fn unmatched_requests_get_a_helpful_404_and_are_recorded() {
    let provider = FakeProvider::in_process();
    let request = http::Request::get("/nothing/here?x=1")
        .body(Bytes::new())
        .unwrap();
    let response = provider.transport().send(request).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        std::str::from_utf8(response.body()).unwrap(),
        "fake provider: no route matches GET /nothing/here?x=1\nno routes are mounted\n"
    );
    let journal = provider.journal();
    assert_eq!(journal.count(), 1);
    assert!(!journal.requests()[0].is_matched());
}

#[tokio::test]
async fn the_journal_keeps_method_path_query_headers_and_body() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::any("/charges"))
        .respond(Reply::status(201));
    let request =
        http::Request::put("https://api.example.test/charges?expand=customer&expand=card")
            .header("idempotency-key", "k-7")
            .body(Bytes::from_static(br#"{"amount":1}"#))
            .unwrap();
    provider.transport().send(request).await.unwrap();

    let journal = provider.journal();
    let recorded = &journal.requests()[0];
    assert_eq!(recorded.method(), http::Method::PUT);
    assert_eq!(recorded.path(), "/charges");
    assert_eq!(recorded.query(), Some("expand=customer&expand=card"));
    assert_eq!(recorded.query_param("expand").as_deref(), Some("customer"));
    assert_eq!(recorded.header("Idempotency-Key"), Some("k-7"));
    assert_eq!(
        recorded.json::<serde_json::Value>().unwrap(),
        json!({"amount": 1})
    );
    assert_eq!(
        journal.idempotency_keys("idempotency-key"),
        [Some("k-7".to_owned())]
    );
    assert_eq!(journal.to_path("/charges").count(), 1);
    assert_eq!(journal.to_path("/other").count(), 0);
}

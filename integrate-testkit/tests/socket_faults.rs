//! Every fault driven over the socket with a plain reqwest client, on real
//! time with short timeouts; the assertions are on outcomes (status, error
//! class, bytes received), never on durations.

use std::error::Error as _;
use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use integrate_testkit::{FakeProvider, Fault, Reply, Route};
use serde_json::json;

/// Long enough for loopback, short enough to keep a hung test quick.
const GENEROUS: Duration = Duration::from_secs(5);

fn client() -> reqwest::Client {
    // integrate builds reqwest with rustls and no default crypto provider
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(GENEROUS)
        .build()
        .expect("client builds")
}

/// The kind of the first I/O error in `err`'s source chain.
fn io_error_kind(err: &reqwest::Error) -> Option<io::ErrorKind> {
    let mut next = err.source();
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        next = e.source();
    }
    None
}

/// Whether `err` failed while reading the body (reqwest wraps a body error
/// of `chunk()` in its decoder's error).
fn is_body_error(err: &reqwest::Error) -> bool {
    err.is_body()
        || err
            .source()
            .and_then(|e| e.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_body)
}

/// Reads the body chunk by chunk; returns what arrived and the error that
/// ended it, if any.
async fn read_body(mut response: reqwest::Response) -> (Vec<u8>, Option<reqwest::Error>) {
    let mut received = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => return (received, None),
            Err(err) => return (received, Some(err)),
        }
    }
}

#[tokio::test]
async fn status_reply_sends_status_headers_and_json() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/customers/{id}"))
        .respond(Reply::json(201, json!({"id": "cus_1"})).header("x-request-id", "r-1"));

    let response = client()
        .get(format!("{}/customers/cus_1", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["x-request-id"], "r-1");
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body, json!({"id": "cus_1"}));
}

#[tokio::test]
async fn server_error_status_arrives_as_is() {
    let provider = FakeProvider::start().await;
    provider.given(Route::get("/a")).respond(Reply::status(503));
    let response = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn too_many_requests_carries_retry_after_seconds() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond(Reply::status(429).retry_after_secs(2));
    let response = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
}

#[tokio::test]
async fn retry_after_http_date_round_trips() {
    let provider = FakeProvider::start().await;
    let at = UNIX_EPOCH + Duration::from_secs(1_445_412_480);
    provider
        .given(Route::get("/a"))
        .respond(Reply::status(503).retry_after_date(at));
    let response = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let value = response.headers()["retry-after"].to_str().unwrap();
    assert_eq!(value, "Wed, 21 Oct 2015 07:28:00 GMT");
    assert_eq!(httpdate::parse_http_date(value).unwrap(), at);
    let _: SystemTime = at;
}

#[tokio::test]
async fn latency_shorter_than_the_timeout_still_answers() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond(Reply::status(200).delay(Duration::from_millis(20)));
    let response = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn latency_longer_than_the_timeout_times_out_before_the_head() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond(Reply::status(200).delay(Duration::from_secs(30)));
    let err = client()
        .get(format!("{}/a", provider.url()))
        .timeout(Duration::from_millis(150))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(provider.journal().count(), 1);
}

#[tokio::test]
async fn hang_never_answers_so_the_client_times_out() {
    let provider = FakeProvider::start().await;
    provider.given(Route::get("/a")).respond(Fault::Hang);
    let err = client()
        .get(format!("{}/a", provider.url()))
        .timeout(Duration::from_millis(150))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(provider.journal().count(), 1, "the request was read");
}

#[tokio::test]
async fn reset_before_response_resets_the_connection_with_no_response() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::post("/charges"))
        .respond(Fault::ResetBeforeResponse);
    let err = client()
        .post(format!("{}/charges", provider.url()))
        .body("amount=5")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.is_request() && !err.is_connect() && !err.is_timeout(),
        "{err:?}"
    );
    assert_eq!(
        io_error_kind(&err),
        Some(io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
    let journal = provider.journal();
    assert_eq!(journal.count(), 1);
    assert_eq!(&journal.requests()[0].body()[..], b"amount=5");
}

#[tokio::test]
async fn close_without_response_closes_cleanly_with_no_response() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond(Fault::CloseWithoutResponse);
    let err = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap_err();
    assert!(
        err.is_request() && !err.is_connect() && !err.is_timeout(),
        "{err:?}"
    );
    assert_ne!(
        io_error_kind(&err),
        Some(io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
    assert_eq!(provider.journal().count(), 1);
}

#[tokio::test]
async fn reset_after_sends_the_head_and_n_body_bytes_then_resets() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond(Reply::text(200, "0123456789").with_fault(Fault::ResetAfter(4)));
    let response = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(10));
    let (received, err) = read_body(response).await;
    assert_eq!(received, b"0123");
    let err = err.expect("the body read fails");
    assert!(is_body_error(&err), "{err:?}");
    assert_eq!(
        io_error_kind(&err),
        Some(io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
}

#[tokio::test]
async fn reset_after_zero_bytes_sends_only_the_head() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond(Fault::ResetAfter(0));
    let response = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.content_length(),
        Some(Reply::FAULT_BODY.len() as u64)
    );
    let (received, err) = read_body(response).await;
    assert!(received.is_empty());
    let err = err.expect("the body read fails");
    assert!(is_body_error(&err), "{err:?}");
    assert_eq!(
        io_error_kind(&err),
        Some(io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
}

#[tokio::test]
async fn reset_after_the_whole_body_is_an_ordinary_response() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond(Reply::text(200, "abc").with_fault(Fault::ResetAfter(3)));
    let body = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"abc");
}

#[tokio::test]
async fn truncated_body_announces_the_full_length_and_sends_half() {
    let provider = FakeProvider::start().await;
    provider.given(Route::get("/a")).respond(Fault::Truncated);
    let response = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(64));
    let (received, err) = read_body(response).await;
    assert_eq!(received, &Reply::FAULT_BODY.as_bytes()[..32]);
    let err = err.expect("the body read fails");
    assert!(is_body_error(&err), "{err:?}");
    assert_eq!(
        io_error_kind(&err),
        Some(io::ErrorKind::UnexpectedEof),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_json_is_a_200_whose_body_does_not_parse() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond(Reply::malformed_json());
    let response = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = response.bytes().await.unwrap();
    assert_eq!(&body[..], Reply::MALFORMED_JSON.as_bytes());
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
}

#[tokio::test]
async fn dripped_body_arrives_whole_when_the_timeout_allows() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond(Reply::drip(["ab", "cd", "ef"], Duration::from_millis(10)));
    let response = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.content_length(), Some(6));
    let (received, err) = read_body(response).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(received, b"abcdef");
}

#[tokio::test]
async fn dripped_body_slower_than_the_timeout_times_out_mid_body() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond(Reply::drip(["ab", "cd", "ef"], Duration::from_secs(30)));
    let response = client()
        .get(format!("{}/a", provider.url()))
        .timeout(Duration::from_secs(1))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the head came at once");
    let (received, err) = read_body(response).await;
    assert_eq!(received, b"ab", "only the first chunk came");
    let err = err.expect("the body read times out");
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn refused_connections_fail_to_connect_and_come_back() {
    let provider = FakeProvider::start().await;
    provider.given(Route::get("/a")).respond(Reply::status(204));
    provider.refuse_connections();
    let err = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(provider.journal().count(), 0);

    provider.accept_connections().await.unwrap();
    let response = client()
        .get(format!("{}/a", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn refusing_closes_open_keep_alive_connections() {
    let provider = FakeProvider::start().await;
    provider.given(Route::get("/a")).respond(Reply::status(204));
    let client = client();
    let url = format!("{}/a", provider.url());
    assert_eq!(client.get(&url).send().await.unwrap().status(), 204);
    provider.refuse_connections();
    // the pooled connection is gone: whatever the client tries fails
    assert!(client.get(&url).send().await.is_err());
    assert_eq!(provider.journal().count(), 1);
}

#[tokio::test]
async fn unmatched_request_gets_a_404_listing_the_routes() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/customers/{id}"))
        .respond(Reply::status(200));
    let response = client()
        .post(format!("{}/charges?limit=3", provider.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("no route matches POST /charges?limit=3"),
        "{body}"
    );
    assert!(body.contains("GET /customers/{id}"), "{body}");
    let journal = provider.journal();
    assert_eq!(journal.unmatched().count(), 1);
    assert_eq!(
        journal.requests()[0].query_param("limit").as_deref(),
        Some("3")
    );
}

#[tokio::test]
async fn a_connection_is_reused_after_ordinary_responses() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/a"))
        .respond_seq([Reply::status(503), Reply::text(200, "ok")]);
    let client = client();
    let url = format!("{}/a", provider.url());
    assert_eq!(client.get(&url).send().await.unwrap().status(), 503);
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}

//! The same script gives the same outcome through `ReqwestTransport` over
//! the socket and through the in-process transport: the same
//! `TransportErrorKind`, the same timeout, or the same status and body.
//! Real time, short timeouts.

use std::time::Duration;

use integrate::{Bytes, ReqwestTransport, Transport, TransportErrorKind};
use integrate_testkit::{FakeProvider, Fault, Reply, Route, Via};
use serde_json::json;

/// What one exchange came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Response {
        status: u16,
        retry_after: Option<String>,
        body: Bytes,
    },
    Failed(TransportErrorKind),
    TimedOut,
}

const SHORT: Duration = Duration::from_millis(200);
const GENEROUS: Duration = Duration::from_secs(5);

fn reqwest_transport() -> ReqwestTransport {
    // integrate builds reqwest with rustls and no default crypto provider
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds");
    ReqwestTransport::new(client)
}

async fn exchange(transport: &dyn Transport, url: String, timeout: Duration) -> Outcome {
    let request = http::Request::post(url)
        .header("content-type", "application/json")
        .body(Bytes::from_static(br#"{"amount":500}"#))
        .expect("request builds");
    match tokio::time::timeout(timeout, transport.send(request)).await {
        Err(_elapsed) => Outcome::TimedOut,
        Ok(Err(err)) => Outcome::Failed(err.kind()),
        Ok(Ok(response)) => Outcome::Response {
            status: response.status().as_u16(),
            retry_after: response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: response.into_body(),
        },
    }
}

/// Runs `script` on a socket provider (through `ReqwestTransport`) and on
/// an in-process one (through its transport); asserts both outcomes are
/// equal and returns it.
async fn parity_with(
    script: impl Fn(&FakeProvider),
    socket_transport: ReqwestTransport,
    in_process_cap: Option<usize>,
    timeout: Duration,
) -> Outcome {
    let socket = FakeProvider::start().await;
    script(&socket);
    let in_process = FakeProvider::in_process();
    script(&in_process);

    let over_socket = exchange(
        &socket_transport,
        format!("{}/v1/charges", socket.url()),
        timeout,
    )
    .await;
    let mut transport = in_process.transport();
    if let Some(cap) = in_process_cap {
        transport = transport.max_response_body(cap);
    }
    let in_proc = exchange(
        &transport,
        format!("{}/v1/charges", in_process.url()),
        timeout,
    )
    .await;
    assert_eq!(
        over_socket, in_proc,
        "socket and in-process outcomes differ"
    );
    assert_eq!(
        socket.journal().count(),
        in_process.journal().count(),
        "both providers recorded the same requests"
    );
    over_socket
}

async fn parity(script: impl Fn(&FakeProvider), timeout: Duration) -> Outcome {
    parity_with(script, reqwest_transport(), None, timeout).await
}

fn charges(provider: &FakeProvider, reply: impl Into<Reply>) {
    provider
        .given(Route::post("/v1/charges").body_json(json!({"amount": 500})))
        .respond(reply);
}

#[tokio::test]
async fn refused_is_connect_on_both() {
    let outcome = parity(
        |p| {
            charges(p, Reply::status(200));
            p.refuse_connections();
        },
        GENEROUS,
    )
    .await;
    assert_eq!(outcome, Outcome::Failed(TransportErrorKind::Connect));
}

#[tokio::test]
async fn reset_before_response_is_network_on_both() {
    let outcome = parity(|p| charges(p, Fault::ResetBeforeResponse), GENEROUS).await;
    assert_eq!(outcome, Outcome::Failed(TransportErrorKind::Network));
}

#[tokio::test]
async fn close_without_response_is_network_on_both() {
    let outcome = parity(|p| charges(p, Fault::CloseWithoutResponse), GENEROUS).await;
    assert_eq!(outcome, Outcome::Failed(TransportErrorKind::Network));
}

#[tokio::test]
async fn reset_mid_body_is_body_on_both() {
    let outcome = parity(|p| charges(p, Fault::ResetAfter(10)), GENEROUS).await;
    assert_eq!(outcome, Outcome::Failed(TransportErrorKind::Body));
}

#[tokio::test]
async fn reset_after_the_whole_body_is_a_response_on_both() {
    let outcome = parity(
        |p| charges(p, Reply::text(200, "abc").with_fault(Fault::ResetAfter(3))),
        GENEROUS,
    )
    .await;
    assert_eq!(
        outcome,
        Outcome::Response {
            status: 200,
            retry_after: None,
            body: Bytes::from_static(b"abc"),
        }
    );
}

#[tokio::test]
async fn truncated_body_is_body_on_both() {
    let outcome = parity(|p| charges(p, Fault::Truncated), GENEROUS).await;
    assert_eq!(outcome, Outcome::Failed(TransportErrorKind::Body));
}

#[tokio::test]
async fn hang_times_out_on_both() {
    let outcome = parity(|p| charges(p, Fault::Hang), SHORT).await;
    assert_eq!(outcome, Outcome::TimedOut);
}

#[tokio::test]
async fn latency_past_the_timeout_times_out_on_both() {
    let outcome = parity(
        |p| charges(p, Reply::status(200).delay(Duration::from_secs(30))),
        SHORT,
    )
    .await;
    assert_eq!(outcome, Outcome::TimedOut);
}

#[tokio::test]
async fn latency_within_the_timeout_answers_on_both() {
    let outcome = parity(
        |p| charges(p, Reply::status(202).delay(Duration::from_millis(20))),
        GENEROUS,
    )
    .await;
    assert_eq!(
        outcome,
        Outcome::Response {
            status: 202,
            retry_after: None,
            body: Bytes::new(),
        }
    );
}

#[tokio::test]
async fn slow_drip_times_out_on_both() {
    let outcome = parity(
        |p| charges(p, Reply::drip(["a", "b"], Duration::from_secs(30))),
        SHORT,
    )
    .await;
    assert_eq!(outcome, Outcome::TimedOut);
}

#[tokio::test]
async fn quick_drip_arrives_whole_on_both() {
    let outcome = parity(
        |p| charges(p, Reply::drip(["a", "b", "c"], Duration::from_millis(10))),
        GENEROUS,
    )
    .await;
    assert_eq!(
        outcome,
        Outcome::Response {
            status: 200,
            retry_after: None,
            body: Bytes::from_static(b"abc"),
        }
    );
}

#[tokio::test]
async fn malformed_json_is_the_same_200_on_both() {
    let outcome = parity(|p| charges(p, Reply::malformed_json()), GENEROUS).await;
    assert_eq!(
        outcome,
        Outcome::Response {
            status: 200,
            retry_after: None,
            body: Bytes::from_static(Reply::MALFORMED_JSON.as_bytes()),
        }
    );
}

#[tokio::test]
async fn rate_limited_with_retry_after_is_the_same_on_both() {
    let outcome = parity(
        |p| charges(p, Reply::status(429).retry_after_secs(7)),
        GENEROUS,
    )
    .await;
    assert_eq!(
        outcome,
        Outcome::Response {
            status: 429,
            retry_after: Some("7".to_owned()),
            body: Bytes::new(),
        }
    );
}

#[tokio::test]
async fn unmatched_is_the_same_404_on_both() {
    let outcome = parity(
        |p| {
            p.given(Route::get("/v1/balance"))
                .respond(Reply::status(200));
        },
        GENEROUS,
    )
    .await;
    let Outcome::Response { status, body, .. } = outcome else {
        panic!("expected a response, got {outcome:?}");
    };
    assert_eq!(status, 404);
    let body = String::from_utf8(body.to_vec()).unwrap();
    assert!(body.contains("no route matches POST /v1/charges"), "{body}");
}

#[tokio::test]
async fn body_over_the_cap_is_body_too_large_on_both() {
    let outcome = parity_with(
        |p| charges(p, Reply::text(200, "x".repeat(100))),
        reqwest_transport().max_response_body(10),
        Some(10),
        GENEROUS,
    )
    .await;
    assert_eq!(outcome, Outcome::Failed(TransportErrorKind::BodyTooLarge));
}

#[tokio::test]
async fn socket_and_transport_of_one_provider_share_routes_and_journal() {
    let provider = FakeProvider::start().await;
    provider
        .given(Route::post("/v1/charges"))
        .respond_seq([Reply::status(503), Reply::status(201)])
        .expect(2);

    let first = exchange(
        &reqwest_transport(),
        format!("{}/v1/charges", provider.url()),
        GENEROUS,
    )
    .await;
    let second = exchange(
        &provider.transport(),
        format!("{}/v1/charges", provider.url()),
        GENEROUS,
    )
    .await;
    assert!(
        matches!(first, Outcome::Response { status: 503, .. }),
        "{first:?}"
    );
    assert!(
        matches!(second, Outcome::Response { status: 201, .. }),
        "{second:?}"
    );
    let vias: Vec<Via> = provider.journal().iter().map(|r| r.via()).collect();
    assert_eq!(vias, [Via::Socket, Via::InProcess]);
}

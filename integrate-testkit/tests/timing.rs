//! The in-process transport waits on the tokio clock: paused time drives
//! latency, dripped bodies and hangs exactly, and the journal reads arrival
//! instants and gaps on the same clock.

use std::time::Duration;

use integrate::{Bytes, Transport};
use integrate_testkit::{FakeProvider, Fault, Reply, Route};
use tokio::time::Instant;

fn get(target: &str) -> http::Request<Bytes> {
    http::Request::get(target)
        .body(Bytes::new())
        .expect("request builds")
}

#[tokio::test(start_paused = true)]
async fn latency_delays_the_response_by_exactly_its_duration() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/a"))
        .respond(Reply::status(200).delay(Duration::from_millis(1500)));
    let start = Instant::now();
    let response = provider.transport().send(get("/a")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
}

#[tokio::test(start_paused = true)]
async fn a_dripped_body_takes_one_interval_per_chunk_after_the_first() {
    let provider = FakeProvider::in_process();
    provider.given(Route::get("/a")).respond(
        Reply::drip(["a", "b", "c", "d"], Duration::from_millis(250))
            .delay(Duration::from_millis(100)),
    );
    let start = Instant::now();
    let response = provider.transport().send(get("/a")).await.unwrap();
    assert_eq!(&response.body()[..], b"abcd");
    assert_eq!(start.elapsed(), Duration::from_millis(100 + 3 * 250));
}

#[tokio::test(start_paused = true)]
async fn a_hang_lasts_until_the_caller_gives_up() {
    let provider = FakeProvider::in_process();
    provider.given(Route::get("/a")).respond(Fault::Hang);
    let start = Instant::now();
    let transport = provider.transport();
    let outcome = tokio::time::timeout(Duration::from_secs(10), transport.send(get("/a"))).await;
    assert!(outcome.is_err(), "still waiting after 10 s");
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert_eq!(provider.journal().count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_slow_drip_is_cut_by_the_caller_timeout_mid_body() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/a"))
        .respond(Reply::drip(["a", "b", "c"], Duration::from_secs(5)));
    let transport = provider.transport();
    let outcome = tokio::time::timeout(Duration::from_secs(7), transport.send(get("/a"))).await;
    assert!(outcome.is_err());
}

#[tokio::test(start_paused = true)]
async fn the_journal_reads_arrivals_and_gaps_on_the_tokio_clock() {
    let provider = FakeProvider::in_process();
    provider.given(Route::post("/charges")).respond_seq([
        Reply::status(503),
        Reply::status(503),
        Reply::status(201),
    ]);
    let transport = provider.transport();
    let start = Instant::now();
    for wait in [Duration::from_millis(200), Duration::from_millis(400)] {
        transport
            .send(
                http::Request::post("/charges")
                    .header("Idempotency-Key", "k-1")
                    .body(Bytes::new())
                    .unwrap(),
            )
            .await
            .unwrap();
        tokio::time::sleep(wait).await;
    }
    transport
        .send(http::Request::post("/charges").body(Bytes::new()).unwrap())
        .await
        .unwrap();

    let journal = provider.journal();
    assert_eq!(journal.count(), 3);
    assert_eq!(
        journal.gaps(),
        [Duration::from_millis(200), Duration::from_millis(400)]
    );
    assert_eq!(
        journal.arrivals(),
        [
            start,
            start + Duration::from_millis(200),
            start + Duration::from_millis(600)
        ]
    );
    assert_eq!(
        journal.idempotency_keys("idempotency-key"),
        [Some("k-1".to_owned()), Some("k-1".to_owned()), None]
    );
}

#[tokio::test(start_paused = true)]
async fn arrival_is_recorded_before_the_latency() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/a"))
        .respond(Reply::status(200).delay(Duration::from_secs(2)));
    let start = Instant::now();
    provider.transport().send(get("/a")).await.unwrap();
    assert_eq!(provider.journal().requests()[0].at(), start);
}

#[tokio::test(start_paused = true)]
async fn refused_connections_fail_at_once_and_record_nothing() {
    let provider = FakeProvider::in_process();
    provider.given(Route::get("/a")).respond(Reply::status(200));
    provider.refuse_connections();
    let start = Instant::now();
    let err = provider.transport().send(get("/a")).await.unwrap_err();
    assert_eq!(err.kind(), integrate::TransportErrorKind::Connect);
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert!(provider.journal().is_empty());
    provider.accept_connections().await.unwrap();
    assert_eq!(
        provider.transport().send(get("/a")).await.unwrap().status(),
        200
    );
}

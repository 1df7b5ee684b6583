//! The client against hostile input: path and query values as the server
//! receives them (real sockets), `Retry-After` values without a ceiling
//! (paused time), credentials in `Debug` and on followed redirects.

#[path = "support/wire.rs"]
mod wire;

use std::time::{Duration, SystemTime};

use integrate::{
    Auth, Call, Client, ErrorKind, Jitter, Method, ReqwestTransport, RetryPolicy, Timeouts,
};
use integrate_testkit::{FakeProvider, Reply, Route};
use wire::{Answer, WireServer};

fn timeouts() -> Timeouts {
    Timeouts::default()
        .connect(Duration::from_secs(2))
        .attempt(Duration::from_secs(5))
        .total(Duration::from_secs(10))
}

fn default_client(server: &WireServer) -> Client {
    Client::builder()
        .base_url(format!("{}/api/v1", server.url()))
        .retry(RetryPolicy::none())
        .timeouts(timeouts())
        .build()
        .unwrap()
}

/// The same, through the `http::Request` path (a custom transport).
fn custom_transport_client(server: &WireServer) -> Client {
    let http = ReqwestTransport::client_builder().build().unwrap();
    Client::builder()
        .base_url(format!("{}/api/v1", server.url()))
        .transport(ReqwestTransport::new(http))
        .retry(RetryPolicy::none())
        .timeouts(timeouts())
        .build()
        .unwrap()
}

fn percent_decode(s: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(s).collect()
}

/// What RFC 3986 unreserved bytes are sent as; everything else `%XX`.
fn expected_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn every_ascii_byte_as_a_one_character_path_value_stays_in_its_segment() {
    let server = WireServer::start(Answer::ok()).await;
    for client in [default_client(&server), custom_transport_client(&server)] {
        server.clear();
        let mut sent = Vec::new();
        for b in 0u8..=127 {
            if b == b'.' {
                continue; // a dot segment: refused, see below
            }
            let value = char::from(b).to_string();
            client
                .execute(Call::new(Method::DELETE, "/users/{id}/refunds").path("id", &value))
                .await
                .unwrap_or_else(|e| panic!("byte {b}: {e}"));
            sent.push(value);
        }
        let seen = server.seen();
        assert_eq!(seen.len(), sent.len());
        for (value, request) in sent.iter().zip(&seen) {
            let expected = format!(
                "DELETE /api/v1/users/{}/refunds HTTP/1.1",
                expected_segment(value)
            );
            assert_eq!(request.line, expected, "value {:?}", value);
            // The round trip: the server decodes the segment to the value.
            let segment = request.target().split('/').nth(4).unwrap();
            assert_eq!(percent_decode(segment), value.as_bytes());
        }
    }
}

#[tokio::test]
async fn dot_segments_are_refused_and_their_spellings_sent_literally() {
    let server = WireServer::start(Answer::ok()).await;
    for client in [default_client(&server), custom_transport_client(&server)] {
        server.clear();
        for value in [".", ".."] {
            let error = client
                .execute(Call::new(Method::DELETE, "/users/{id}/refunds").path("id", value))
                .await
                .unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Config, "{value}");
            assert_eq!(error.attempts(), 0);
        }
        assert!(
            server.seen().is_empty(),
            "nothing is sent for a dot segment"
        );

        let literal = [
            ("%2E%2E", "%252E%252E"),
            (".%2e", ".%252e"),
            ("%2e.", "%252e."),
            ("...", "..."),
            ("a..b", "a..b"),
            ("%2e", "%252e"),
            ("..%2F..", "..%252F.."),
            ("../..", "..%2F.."),
            ("\\..", "%5C.."),
        ];
        for (value, _) in literal {
            client
                .execute(Call::new(Method::DELETE, "/users/{id}/refunds").path("id", value))
                .await
                .unwrap();
        }
        let seen = server.seen();
        assert_eq!(seen.len(), literal.len());
        for ((value, wire), request) in literal.iter().zip(&seen) {
            assert_eq!(
                request.line,
                format!("DELETE /api/v1/users/{wire}/refunds HTTP/1.1"),
                "{value}"
            );
            let segment = request.target().split('/').nth(4).unwrap();
            assert_eq!(percent_decode(segment), value.as_bytes());
        }
    }
}

#[tokio::test]
async fn several_placeholders_and_queries_round_trip() {
    let server = WireServer::start(Answer::ok()).await;
    let values = ["...", "a/b", "#", "?x=1", "%", "é ü", "\u{0}\t"];
    let mut targets = Vec::new();
    for client in [default_client(&server), custom_transport_client(&server)] {
        server.clear();
        for window in values.windows(3) {
            let (org, repo, n) = (window[0], window[1], window[2]);
            client
                .execute(
                    Call::new(Method::GET, "/orgs/{org}/repos/{repo}/issues/{n}")
                        .path("org", org)
                        .path("repo", repo)
                        .path("n", n)
                        .query("q", org)
                        .query("q", repo)
                        .query("label", n),
                )
                .await
                .unwrap();
        }
        let seen = server.seen();
        assert_eq!(seen.len(), values.len() - 2);
        for (window, request) in values.windows(3).zip(&seen) {
            let target = request.target();
            let (path, query) = target.split_once('?').unwrap();
            let segments: Vec<_> = path.split('/').collect();
            assert_eq!(segments.len(), 9, "{target}");
            assert_eq!(percent_decode(segments[4]), window[0].as_bytes());
            assert_eq!(percent_decode(segments[6]), window[1].as_bytes());
            assert_eq!(percent_decode(segments[8]), window[2].as_bytes());
            let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            assert_eq!(
                pairs,
                [
                    ("q".to_owned(), window[0].to_owned()),
                    ("q".to_owned(), window[1].to_owned()),
                    ("label".to_owned(), window[2].to_owned()),
                ]
            );
        }
        targets.push(seen.iter().map(|s| s.line.clone()).collect::<Vec<_>>());
    }
    // The default transport and a custom one put the same URI on the wire.
    assert_eq!(targets[0], targets[1]);
}

#[tokio::test]
async fn every_ascii_byte_as_a_query_value_round_trips() {
    let server = WireServer::start(Answer::ok()).await;
    let client = default_client(&server);
    let all: String = (0u8..=127).map(char::from).collect();
    client
        .execute(
            Call::new(Method::GET, "/search")
                .query("q", &all)
                .query(all.clone(), "k"),
        )
        .await
        .unwrap();
    let seen = server.seen();
    let (_, query) = seen[0].target().split_once('?').unwrap();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        pairs,
        [("q".to_owned(), all.clone()), (all.clone(), "k".to_owned())]
    );
}

// --- Retry-After without a ceiling, on paused time ---

fn in_process_client(provider: &FakeProvider, retry: RetryPolicy) -> integrate::ClientBuilder {
    Client::builder()
        .base_url("https://api.example.com")
        .transport(provider.transport())
        .retry(retry)
        .timeouts(
            Timeouts::default()
                .attempt(Duration::from_secs(5))
                .total(Duration::from_secs(30)),
        )
}

fn retry3() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .initial_backoff(Duration::from_millis(100))
        .max_backoff(Duration::from_secs(1))
        .jitter(Jitter::None)
}

/// A year-9999 date, the largest an HTTP-date can carry.
fn far_date() -> String {
    "Fri, 31 Dec 9999 23:59:59 GMT".to_owned()
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_on_a_429_pauses_the_client_for_the_cap_only() {
    for (header, cap) in [
        ("99999999999".to_owned(), integrate::DEFAULT_MAX_RETRY_AFTER),
        (
            "99999999999999999999999999".to_owned(),
            integrate::DEFAULT_MAX_RETRY_AFTER,
        ),
        (far_date(), integrate::DEFAULT_MAX_RETRY_AFTER),
        ("99999999999".to_owned(), Duration::from_secs(600)),
    ] {
        let provider = FakeProvider::in_process();
        provider.given(Route::get("/x")).respond_seq([
            Reply::status(429).header("Retry-After", &header),
            Reply::status(200),
        ]);
        let mut builder = in_process_client(&provider, retry3());
        if cap != integrate::DEFAULT_MAX_RETRY_AFTER {
            builder = builder.max_retry_after(cap);
        }
        let client = builder.build().unwrap();
        let start = tokio::time::Instant::now();

        // The call's own wait would pass its deadline: it ends at once with
        // the 429, whose retry_after is the capped delay.
        let error = client
            .execute(Call::new(Method::GET, "/x"))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::RateLimited, "{header}");
        assert_eq!(error.attempts(), 1);
        assert_eq!(error.retry_after(), Some(cap), "{header}");
        assert_eq!(start.elapsed(), Duration::ZERO);

        // The client-wide pause holds later calls, says the provider asked
        // for it, and ends at the cap, not centuries later.
        tokio::time::advance(Duration::from_secs(1)).await;
        let error = client
            .execute(Call::new(Method::GET, "/x"))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::RateLimited);
        assert_eq!(error.attempts(), 0);
        assert_eq!(error.retry_after(), Some(cap - Duration::from_secs(1)));
        let text = error.to_string();
        assert!(text.contains("provider asked for a pause"), "{text}");
        assert!(!text.contains("rate limiter"), "{text}");
        assert_eq!(provider.journal().count(), 1);

        tokio::time::advance(cap - Duration::from_secs(1)).await;
        let response = client.execute(Call::new(Method::GET, "/x")).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(provider.journal().count(), 2);
    }
}

#[tokio::test(start_paused = true)]
async fn a_far_date_on_a_503_ends_the_call_at_once_with_the_capped_delay() {
    for header in [far_date(), "99999999999".to_owned()] {
        let provider = FakeProvider::in_process();
        provider
            .given(Route::get("/x"))
            .respond(Reply::status(503).header("Retry-After", &header));
        let client = in_process_client(&provider, retry3()).build().unwrap();
        let start = tokio::time::Instant::now();
        let error = client
            .execute(Call::new(Method::GET, "/x"))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Status);
        assert_eq!(error.attempts(), 1);
        assert_eq!(
            error.retry_after(),
            Some(integrate::DEFAULT_MAX_RETRY_AFTER)
        );
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "no sleep past the deadline"
        );
        // A 503 starts no client-wide pause.
        provider.reset();
        provider.given(Route::get("/x")).respond(Reply::status(200));
        client.execute(Call::new(Method::GET, "/x")).await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_under_the_cap_is_honoured_exactly() {
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/x"))
        .respond_seq([Reply::status(503).retry_after_secs(7), Reply::status(200)]);
    let client = in_process_client(&provider, retry3()).build().unwrap();
    let start = tokio::time::Instant::now();
    let response = client.execute(Call::new(Method::GET, "/x")).await.unwrap();
    assert_eq!(response.attempts(), 2);
    assert_eq!(start.elapsed(), Duration::from_secs(7));

    // Capped below the provider's delay: the cap is the wait.
    let provider = FakeProvider::in_process();
    provider
        .given(Route::get("/x"))
        .respond_seq([Reply::status(503).retry_after_secs(20), Reply::status(200)]);
    let client = in_process_client(&provider, retry3())
        .max_retry_after(Duration::from_secs(2))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    client.execute(Call::new(Method::GET, "/x")).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_malformed_retry_after_falls_back_to_the_backoff() {
    for header in [
        "Fri, 31 Foo 9999 23:59:59 GMT",
        "Fri, 31 Dec 10000 23:59:59 GMT",
        "-1",
        "1e9",
        "soon",
    ] {
        let provider = FakeProvider::in_process();
        provider.given(Route::get("/x")).respond_seq([
            Reply::status(429).header("Retry-After", header),
            Reply::status(200),
        ]);
        let client = in_process_client(&provider, retry3()).build().unwrap();
        let start = tokio::time::Instant::now();
        let response = client.execute(Call::new(Method::GET, "/x")).await.unwrap();
        assert_eq!(response.attempts(), 2, "{header}");
        // The first backoff (100 ms, no jitter), and no pause.
        assert_eq!(start.elapsed(), Duration::from_millis(100), "{header}");
        client.execute(Call::new(Method::GET, "/x")).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(100));
    }
}

// --- Credentials outside the client ---

#[test]
fn the_builder_debug_never_shows_url_credentials() {
    let builder =
        Client::builder().base_url("https://admin:hunter2@api.example.com/v1?token=t0k3n");
    let debug = format!("{builder:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains("t0k3n"), "{debug}");
    assert!(!debug.contains("admin"), "{debug}");
    assert!(debug.contains("api.example.com/v1"), "{debug}");
    let error = builder.build().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(!format!("{error} {error:?}").contains("hunter2"));
}

fn vars(name: &str) -> Option<String> {
    (name == "API_KEY").then(|| "sk_SECRET_KEY".to_owned())
}

#[tokio::test]
async fn the_default_client_never_follows_a_redirect() {
    let other = WireServer::start(Answer::ok()).await;
    let redirecting = WireServer::start(Answer {
        status: "302 Found",
        headers: vec![format!("location: {}/steal", other.url())],
        body: Vec::new(),
    })
    .await;
    let client = Client::builder()
        .base_url(redirecting.url())
        .auth(Auth::api_key_header_env("X-Api-Key", "API_KEY"))
        .env(vars)
        .retry(RetryPolicy::none())
        .timeouts(timeouts())
        .build()
        .unwrap();
    let error = client
        .execute(Call::new(Method::GET, "/x"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302));
    assert_eq!(redirecting.seen().len(), 1);
    assert!(other.seen().is_empty(), "the other origin received nothing");
}

#[tokio::test(flavor = "current_thread")]
async fn a_redirect_followed_by_a_users_client_is_an_error_with_a_warning() {
    let other = WireServer::start(Answer::ok()).await;
    let redirecting = WireServer::start(Answer {
        status: "307 Temporary Redirect",
        headers: vec![format!("location: {}/elsewhere", other.url())],
        body: Vec::new(),
    })
    .await;
    // reqwest's default policy follows redirects.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let users_client = reqwest::Client::builder().no_proxy().build().unwrap();
    let client = Client::builder()
        .base_url(redirecting.url())
        .auth(Auth::api_key_header_env("X-Api-Key", "API_KEY"))
        .env(vars)
        .http_client(users_client)
        .retry(RetryPolicy::default().max_attempts(3))
        .timeouts(timeouts())
        .build()
        .unwrap();

    let captured = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let writer = CapturedWriter(std::sync::Arc::clone(&captured));
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let error = client
        .execute(Call::new(Method::GET, "/x"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert_eq!(error.attempts(), 1, "never retried");
    assert!(error.to_string().contains("followed a redirect"), "{error}");
    // The mistake this catches: reqwest kept the API key on the way to the
    // other origin. The error makes it visible at the first redirect.
    assert_eq!(other.seen().len(), 1);
    let log = String::from_utf8_lossy(&captured.lock().unwrap()).into_owned();
    assert!(
        log.contains("WARN") && log.contains("followed a redirect"),
        "{log}"
    );
    assert!(!log.contains("sk_SECRET_KEY"), "{log}");
    assert!(!log.contains(&other.url()), "no URL in the log: {log}");
    assert!(!format!("{error:?}").contains("sk_SECRET_KEY"));
}

#[derive(Clone)]
struct CapturedWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn retry_after_dates_are_relative_to_the_system_clock() {
    // A sanity check of the test's own far date: it parses, and is far.
    let at = httpdate::parse_http_date(&far_date()).unwrap();
    assert!(
        at.duration_since(SystemTime::now()).unwrap() > Duration::from_secs(3600 * 24 * 365 * 7000)
    );
}

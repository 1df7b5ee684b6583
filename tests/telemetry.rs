//! Telemetry and redaction: the call and attempt spans, retry events, and
//! credentials never reaching errors, `Debug` or logs.

#[path = "support/script.rs"]
mod script;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use integrate::{Auth, Call, Client, ErrorKind, Jitter, Method, RetryPolicy, Timeouts};
use script::{Script, Step};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing_subscriber::fmt::format::FmtSpan;

const BEARER: &str = "sk_live_BEARER_51HxYz";
const QUERY_KEY: &str = "QUERYKEY_9f8e7d6c";

/// A writer that keeps everything the subscriber prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (captured, guard)
}

/// Serves `500` with a body to every connection, over real loopback.
async fn failing_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = stream.read(&mut buf).await;
                let body = r#"{"error":"internal"}"#;
                let reply = format!(
                    "HTTP/1.1 500 Internal Server Error\r\ncontent-length: {}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    addr
}

/// A loopback port with nothing listening.
async fn refused_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

fn assert_clean(what: &str, text: &str) {
    for secret in [BEARER, QUERY_KEY] {
        assert!(!text.contains(secret), "{what} leaks a credential:\n{text}");
    }
}

fn assert_error_clean(err: &integrate::Error) {
    assert_clean("Display", &err.to_string());
    assert_clean("Debug", &format!("{err:?}"));
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        assert_clean("a source", &e.to_string());
        assert_clean("a source's Debug", &format!("{e:?}"));
        source = e.source();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn credentials_never_reach_errors_debug_or_logs() {
    let (logs, _guard) = capture(tracing::Level::TRACE);
    let server = failing_server().await;
    let refused = refused_port().await;
    let env = |name: &str| match name {
        "PAY_TOKEN" => Some(BEARER.to_owned()),
        "PAY_QUERY_KEY" => Some(QUERY_KEY.to_owned()),
        _ => None,
    };
    let retry = RetryPolicy::default()
        .max_attempts(2)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(2));
    let timeouts = Timeouts::default()
        .connect(Duration::from_secs(2))
        .attempt(Duration::from_secs(5))
        .total(Duration::from_secs(10));
    for auth in [
        Auth::bearer_env("PAY_TOKEN"),
        Auth::api_key_query_env("api_key", "PAY_QUERY_KEY"),
        Auth::api_key_header_env("X-Api-Key", "PAY_QUERY_KEY"),
    ] {
        for (base, kind) in [
            (format!("http://{server}/v1"), ErrorKind::Status),
            (format!("http://127.0.0.1:{refused}/v1"), ErrorKind::Connect),
        ] {
            let client = Client::builder()
                .base_url(&base)
                .auth(auth.clone())
                .env(env)
                .retry(retry)
                .timeouts(timeouts)
                .build()
                .unwrap();
            assert_clean("the client's Debug", &format!("{client:?}"));
            assert_clean("the auth's Debug", &format!("{auth:?}"));
            let call = Call::new(Method::GET, "/customers/{id}")
                .operation("Payments::customer")
                .path("id", "cus_1")
                .query("expand", "all");
            let err = client.execute(call).await.unwrap_err();
            assert_eq!(err.kind(), kind, "{err:?}");
            assert_eq!(err.attempts(), 2);
            assert_error_clean(&err);
        }
    }
    let text = logs.text();
    assert!(text.contains("integrate.call"), "no call span in:\n{text}");
    assert_clean("the logs", &text);
}

#[tokio::test(start_paused = true, flavor = "current_thread")]
async fn spans_and_retry_events() {
    let (logs, _guard) = capture(tracing::Level::DEBUG);
    let script = Script::new([Step::status(503), Step::status(200)]);
    let client = Client::builder()
        .base_url("https://api.example.com/v1")
        .transport(script.clone())
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(250))
                .jitter(Jitter::None),
        )
        .build()
        .unwrap();
    let call = Call::new(Method::GET, "/customers/{id}")
        .operation("Payments::customer")
        .path("id", "cus_1");
    client.execute(call).await.unwrap();
    let text = logs.text();
    let retry_line = text
        .lines()
        .find(|l| l.contains("retrying"))
        .unwrap_or_else(|| panic!("no retry event in:\n{text}"));
    assert!(retry_line.contains("DEBUG"), "{retry_line}");
    assert!(
        retry_line.contains("integrate.retry.reason=\"backoff\""),
        "{retry_line}"
    );
    assert!(
        retry_line.contains("integrate.retry.delay_ms=250"),
        "{retry_line}"
    );
    assert!(
        retry_line.contains("http.response.status_code=503"),
        "{retry_line}"
    );
    assert!(
        retry_line.contains("operation=\"Payments::customer\""),
        "{retry_line}"
    );
    assert!(
        retry_line.contains("url.template=\"/customers/{id}\""),
        "{retry_line}"
    );
    assert!(
        retry_line.contains("server.address=\"api.example.com\""),
        "{retry_line}"
    );
    let close = text
        .lines()
        .find(|l| {
            l.contains("integrate.call{")
                && !l.contains("integrate.attempt{")
                && l.contains("close")
        })
        .unwrap_or_else(|| panic!("no call span close in:\n{text}"));
    assert!(close.contains("http.response.status_code=200"), "{close}");
    assert!(close.contains("integrate.attempts=2"), "{close}");
    assert!(close.contains("http.request.method=\"GET\""), "{close}");
    let attempt_closes = text
        .lines()
        .filter(|l| l.contains("integrate.attempt{") && l.contains("close"))
        .count();
    assert_eq!(attempt_closes, 2, "{text}");
    assert!(text.contains("http.request.resend_count=1"), "{text}");

    // A failed call records its error type.
    let script = Script::new([Step::status(404)]);
    let client = Client::builder()
        .base_url("https://api.example.com/v1")
        .transport(script)
        .build()
        .unwrap();
    let _ = client.execute(Call::new(Method::GET, "/x")).await;
    let text = logs.text();
    assert!(
        text.lines()
            .any(|l| l.contains("integrate.call") && l.contains("error.type=\"status\"")),
        "{text}"
    );
}

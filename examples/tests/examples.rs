//! Each focused example runs to the end on paused time and prints its key
//! lines.

use integrate_examples::{
    auth, circuit_breaker, idempotency, rate_limit, retries, testing, timeouts, webhooks,
};

fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).expect("utf-8 output")
}

fn assert_lines(text: &str, expected: &[&str]) {
    for line in expected {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}

#[tokio::test(start_paused = true)]
async fn retries_example() {
    let mut out = Vec::new();
    retries::run(&mut out).await.expect("the example runs");
    assert_lines(
        &text(out),
        &[
            "Teapot after 4 attempts; waits 200 ms, 400 ms, 3000 ms",
            "POST 503: not retried, status after 1 attempt (503)",
            "POST 429: retried after 1000 ms, ok after 2 attempts",
            "GET 404: status after 1 attempt",
            "max_attempts = 1)]: status after 1 attempt",
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn idempotency_example() {
    let mut out = Vec::new();
    idempotency::run(&mut out).await.expect("the example runs");
    assert_lines(
        &text(out),
        &[
            "ch_1 after 3 attempts; one key on all: true",
            r#"caller's key: [Some("capture-ord_42"), Some("capture-ord_42")]"#,
            "plain POST, lost connection: network after 1 attempt, not retried",
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn circuit_breaker_example() {
    let mut out = Vec::new();
    circuit_breaker::run(&mut out)
        .await
        .expect("the example runs");
    assert_lines(
        &text(out),
        &[
            "3 x 503: circuit open for 10000 ms more",
            "4th call: circuit_open at once, retry_after 10000 ms, nothing sent (provider saw 3)",
            "10 s later: circuit half-open",
            "trial call: 202, circuit closed",
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn rate_limit_example() {
    let mut out = Vec::new();
    rate_limit::run(&mut out).await.expect("the example runs");
    assert_lines(
        &text(out),
        &[
            "6 GETs at once: gaps between starts (ms) [0, 200, 200, 200, 400]",
            "4 sends at once: 3 sent, gaps (ms) [1000, 1000]",
            "4th send: rate_limited at once, nothing sent, retry_after 3000 ms",
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn timeouts_example() {
    let mut out = Vec::new();
    timeouts::run(&mut out).await.expect("the example runs");
    assert_lines(
        &text(out),
        &[
            "hang, then 200: \"Q3: up\" after 3000 ms",
            "always hangs: timeout after 2 attempts, at 5000 ms",
            "with a 5 s deadline: status (503) at once, after 0 ms",
            "ok after 20000 ms",
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn auth_example() {
    let mut out = Vec::new();
    auth::run(&mut out).await.expect("the example runs");
    let text = text(out);
    assert_lines(
        &text,
        &[
            "bearer from CRM_TOKEN: Ada Lovelace; token in Debug: false",
            "no CRM_TOKEN: config error:",
            r#"x-signature [Some("1"), Some("2")]"#,
        ],
    );
    assert!(!text.contains("crm_s3cr3t"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn testing_example() {
    let mut out = Vec::new();
    testing::run(&mut out).await.expect("the example runs");
    assert_lines(
        &text(out),
        &[
            "script 503, 503, 200: 21 C; gaps on the paused clock [200, 400] ms",
            "journal: GET /forecast/paris?days=2 x-request-id on every attempt: true",
            "faults: truncated -> body (3 attempts), malformed -> decode (1 attempts), hang -> timeout (3 attempts)",
            "expect(2) after 1 request: verify() says so: true",
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn webhooks_example() {
    let mut out = Vec::new();
    webhooks::run(&mut out).await.expect("the example runs");
    assert_lines(
        &text(out),
        &[
            "signed 202, redelivered 200, tampered 401, signed with the previous secret 202, unsigned 400",
            "the worker ran: #7 opened, #7 closed (each delivery once)",
        ],
    );
}

//! The tour: each failure of the integration checklist, provoked against a
//! fake provider on loopback and handled by a client declared as a trait.

use std::fmt::Write as _;
use std::io::Write;
use std::time::{Duration, Instant};

use integrate::{CircuitState, ErrorKind};
use integrate_testkit::{FakeProvider, Fault, Journal, Reply, Route};
use serde_json::json;

use crate::apis::{
    EmailApi, EmailApiClient, NewCharge, PaymentEvent, Payments, PaymentsClient, Sms, SmsApi,
    SmsApiClient,
};

/// The demo credentials: the clients read them through an environment
/// source, so nothing is set in the process environment.
fn demo_env(name: &str) -> Option<String> {
    let value = match name {
        "PAYMENTS_TOKEN" => "sk_demo_payments",
        "SMS_API_KEY" => "sms_demo_key",
        "MAIL_USER" => "tour",
        "MAIL_PASSWORD" => "demo-password",
        "PAYMENTS_WEBHOOK_SECRET" => "whsec_demo_current",
        "PAYMENTS_WEBHOOK_SECRET_PREVIOUS" => "whsec_demo_previous",
        _ => return None,
    };
    Some(value.to_owned())
}

/// What one scenario came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The scenario's name.
    pub scenario: &'static str,
    /// Whether integrate handled it as the checklist asks.
    pub handled: bool,
    /// The one-line result.
    pub result: String,
    /// Requests the provider received.
    pub requests: usize,
    /// Wall-clock time of the scenario.
    pub elapsed: Duration,
}

/// Why the tour could not run.
pub type TourError = Box<dyn std::error::Error + Send + Sync>;

struct Tour<'w, W: Write> {
    out: &'w mut W,
    outcomes: Vec<Outcome>,
}

impl<W: Write> Tour<'_, W> {
    fn line(&mut self, text: &str) -> Result<(), TourError> {
        writeln!(self.out, "    {text}")?;
        Ok(())
    }

    fn start(&mut self, number: usize, title: &str) -> Result<Instant, TourError> {
        writeln!(self.out, "\n[{number}] {title}")?;
        Ok(Instant::now())
    }

    fn finish(
        &mut self,
        scenario: &'static str,
        started: Instant,
        handled: bool,
        result: String,
        requests: usize,
    ) -> Result<(), TourError> {
        let mark = if handled { "ok" } else { "FAILED" };
        writeln!(self.out, "    => {mark}: {result}")?;
        self.outcomes.push(Outcome {
            scenario,
            handled,
            result,
            requests,
            elapsed: started.elapsed(),
        });
        Ok(())
    }
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// The statuses a route answered, from the journal, next to the gaps
/// between attempts.
fn attempt_lines(journal: &Journal, statuses: &[&str], reasons: &[&str]) -> Vec<String> {
    let gaps = journal.gaps();
    statuses
        .iter()
        .enumerate()
        .take(journal.count())
        .map(|(i, status)| match (gaps.get(i), reasons.get(i)) {
            (Some(gap), Some(reason)) => {
                format!(
                    "attempt {}: {status}; waited {} ms ({reason})",
                    i + 1,
                    ms(*gap)
                )
            }
            _ => format!("attempt {}: {status}", i + 1),
        })
        .collect()
}

async fn payments(provider: &FakeProvider) -> Result<PaymentsClient, TourError> {
    Ok(PaymentsClient::builder()
        .base_url(format!("{}/v1", provider.url()))
        .env(demo_env)
        .build()?)
}

async fn sms(provider: &FakeProvider) -> Result<SmsApiClient, TourError> {
    Ok(SmsApiClient::builder()
        .base_url(format!("{}/v2", provider.url()))
        .env(demo_env)
        .build()?)
}

async fn email(provider: &FakeProvider) -> Result<EmailApiClient, TourError> {
    Ok(EmailApiClient::builder()
        .base_url(format!("{}/v3", provider.url()))
        .env(demo_env)
        .build()?)
}

/// Runs every scenario, writing at most five lines for each, then the
/// summary table. Returns the outcomes; the tour succeeded when every one
/// is `handled`.
///
/// # Errors
///
/// When a fake provider cannot start or the output cannot be written.
pub async fn run<W: Write>(out: &mut W) -> Result<Vec<Outcome>, TourError> {
    writeln!(
        out,
        "integrate tour: three providers (payments, SMS, email) on loopback, each failure of the checklist handled"
    )?;
    let mut tour = Tour {
        out,
        outcomes: Vec::new(),
    };
    normal_call(&mut tour).await?;
    retried_with_backoff(&mut tour).await?;
    retry_after_honoured(&mut tour).await?;
    post_and_idempotent_post(&mut tour).await?;
    timeout(&mut tour).await?;
    circuit_breaker(&mut tour).await?;
    rate_limiter(&mut tour).await?;
    webhooks(&mut tour).await?;
    summary(&mut tour)?;
    Ok(tour.outcomes)
}

async fn normal_call<W: Write>(tour: &mut Tour<'_, W>) -> Result<(), TourError> {
    let started = tour.start(1, "A normal call: GET a customer with a bearer token")?;
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v1/customers/{id}").header("authorization", "Bearer sk_demo_payments"))
        .respond(Reply::json(
            200,
            json!({"id": "cus_42", "name": "Ada Lovelace"}),
        ));
    let customer = payments(&provider).await?.customer("cus_42").await;
    let requests = provider.journal().count();
    match customer {
        Ok(c) => {
            tour.line(&format!(
                "GET /v1/customers/cus_42 -> 200: {} ({})",
                c.name, c.id
            ))?;
            tour.finish(
                "normal call",
                started,
                true,
                "decoded into Customer in 1 attempt".into(),
                requests,
            )
        }
        Err(e) => tour.finish(
            "normal call",
            started,
            false,
            format!("unexpected error: {e}"),
            requests,
        ),
    }
}

async fn retried_with_backoff<W: Write>(tour: &mut Tour<'_, W>) -> Result<(), TourError> {
    let started = tour.start(2, "503s retried with exponential backoff, then success")?;
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v1/customers/{id}"))
        .respond_seq([
            Reply::status(503),
            Reply::status(503),
            Reply::json(200, json!({"id": "cus_42", "name": "Ada Lovelace"})),
        ]);
    let result = payments(&provider).await?.customer("cus_42").await;
    let journal = provider.journal();
    for line in attempt_lines(
        &journal,
        &[
            "503 Service Unavailable",
            "503 Service Unavailable",
            "200 OK",
        ],
        &["backoff 100 ms", "backoff 200 ms"],
    ) {
        tour.line(&line)?;
    }
    let handled = result.is_ok() && journal.count() == 3;
    tour.finish(
        "503s retried with backoff",
        started,
        handled,
        format!("succeeded after {} attempts", journal.count()),
        journal.count(),
    )
}

async fn retry_after_honoured<W: Write>(tour: &mut Tour<'_, W>) -> Result<(), TourError> {
    let started = tour.start(3, "429 Too Many Requests with Retry-After: 1")?;
    let provider = FakeProvider::start().await;
    provider.given(Route::post("/v2/messages")).respond_seq([
        Reply::status(429).retry_after_secs(1),
        Reply::json(201, json!({"id": "msg_1"})),
    ]);
    let message = Sms {
        to: "+15550100".into(),
        text: "Your code is 4242".into(),
    };
    let result = sms(&provider).await?.send(&message).await;
    let journal = provider.journal();
    for line in attempt_lines(
        &journal,
        &["429 Too Many Requests, Retry-After: 1", "201 Created"],
        &["Retry-After, not the backoff; a 429 was not processed, so a POST may retry"],
    ) {
        tour.line(&line)?;
    }
    let waited = journal.gaps().first().copied().unwrap_or_default();
    let handled = result.is_ok() && waited >= Duration::from_millis(950);
    tour.finish(
        "429 + Retry-After honoured",
        started,
        handled,
        format!("sent after waiting {} ms as the provider asked", ms(waited)),
        journal.count(),
    )
}

async fn post_and_idempotent_post<W: Write>(tour: &mut Tour<'_, W>) -> Result<(), TourError> {
    let started = tour.start(
        4,
        "A POST is not retried; an idempotent POST is, with one key",
    )?;
    let provider = FakeProvider::start().await;
    let refunds = provider
        .given(Route::post("/v1/charges/{id}/refunds"))
        .respond(Reply::status(503));
    let charges = provider.given(Route::post("/v1/charges")).respond_seq([
        Reply::status(503),
        Reply::json(201, json!({"id": "ch_1", "status": "succeeded"})),
    ]);
    let client = payments(&provider).await?;
    let refund = client.refund("ch_0").await;
    let refund_ok = refund
        .as_ref()
        .is_err_and(|e| e.kind() == ErrorKind::Status && e.attempts() == 1);
    tour.line(&format!(
        "refund (POST): 503 -> {} error after {} attempt: it may have been processed",
        refund
            .as_ref()
            .err()
            .map_or("no".to_owned(), |e| format!("{:?}", e.kind())),
        refunds.received()
    ))?;
    let charge = client
        .create_charge(&NewCharge {
            amount: 4200,
            currency: "eur".into(),
        })
        .await;
    let keys = charges.requests().idempotency_keys("Idempotency-Key");
    let same_key = keys.len() == 2 && keys[0].is_some() && keys[0] == keys[1];
    let shown = keys
        .first()
        .and_then(Option::as_deref)
        .map_or("none".to_owned(), |k| k.chars().take(8).collect());
    tour.line(&format!(
        "create_charge (#[idempotent] POST): 503 then 201; Idempotency-Key {shown}... on {} attempts",
        keys.len()
    ))?;
    let handled = refund_ok && charge.is_ok() && same_key;
    tour.finish(
        "POST vs idempotent POST",
        started,
        handled,
        "refund not retried; charge retried with the same key, created once".into(),
        provider.journal().count(),
    )
}

async fn timeout<W: Write>(tour: &mut Tour<'_, W>) -> Result<(), TourError> {
    let started = tour.start(5, "A provider that never answers")?;
    let provider = FakeProvider::start().await;
    provider
        .given(Route::get("/v2/messages/{id}"))
        .respond(Fault::Hang);
    let result = sms(&provider).await?.status("msg_1").await;
    let requests = provider.journal().count();
    tour.line("GET /v2/messages/msg_1 hangs; each attempt is cut at 300 ms, then retried once")?;
    let handled = result
        .as_ref()
        .is_err_and(|e| e.kind() == ErrorKind::Timeout && e.attempts() == 2);
    let result = match result {
        Ok(_) => "unexpected answer".to_owned(),
        Err(e) => format!("{:?} error after {} attempts: {e}", e.kind(), e.attempts()),
    };
    tour.finish("timeout", started, handled, result, requests)
}

async fn circuit_breaker<W: Write>(tour: &mut Tour<'_, W>) -> Result<(), TourError> {
    let started = tour.start(6, "The email provider goes down, then recovers")?;
    let provider = FakeProvider::start().await;
    provider.given(Route::post("/v3/send")).respond_seq([
        Reply::status(503),
        Reply::status(503),
        Reply::status(503),
        Reply::status(202),
    ]);
    let client = email(&provider).await?;
    let mail = crate::apis::Email {
        to: "ada@example.com".into(),
        subject: "Welcome".into(),
    };
    for _ in 0..3 {
        let _ = client.send(&mail).await;
    }
    let opened = matches!(breaker(&client), CircuitState::Open { .. });
    tour.line(&format!(
        "3 failures in a row (503, 503, 503) -> circuit {}",
        state_name(&breaker(&client))
    ))?;
    let before = provider.journal().count();
    let fast = client.send(&mail).await;
    let failed_fast = fast
        .as_ref()
        .is_err_and(|e| e.kind() == ErrorKind::CircuitOpen)
        && provider.journal().count() == before;
    let mut line = String::from("4th call fails fast: ");
    match &fast {
        Err(e) => write!(
            line,
            "{:?} (retry after {} ms), nothing sent",
            e.kind(),
            e.retry_after().map_or(0, ms)
        )?,
        Ok(()) => line.push_str("it was sent"),
    }
    tour.line(&line)?;
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let half_open = breaker(&client) == CircuitState::HalfOpen;
    let trial = client.send(&mail).await;
    let closed = breaker(&client) == CircuitState::Closed;
    tour.line(&format!(
        "after 1 s: {} -> trial call {} -> circuit {}",
        if half_open { "half-open" } else { "still open" },
        if trial.is_ok() { "202" } else { "failed" },
        state_name(&breaker(&client))
    ))?;
    let handled = opened && failed_fast && half_open && trial.is_ok() && closed;
    tour.finish(
        "circuit breaker",
        started,
        handled,
        "opened, failed fast, half-opened, closed".into(),
        provider.journal().count(),
    )
}

/// The breaker state of a generated client (through its runtime client).
fn breaker(client: &EmailApiClient) -> CircuitState {
    let runtime: &integrate::Client = client.as_ref();
    runtime.circuit_state()
}

fn state_name(state: &CircuitState) -> &'static str {
    match state {
        CircuitState::Closed => "closed",
        CircuitState::Open { .. } => "open",
        CircuitState::HalfOpen => "half-open",
        _ => "unknown",
    }
}

async fn rate_limiter<W: Write>(tour: &mut Tour<'_, W>) -> Result<(), TourError> {
    let started = tour.start(
        7,
        "A burst of 6 messages against a limit of 5 per second, bursts of 2",
    )?;
    let provider = FakeProvider::start().await;
    provider
        .given(Route::post("/v2/messages"))
        .respond(Reply::json(201, json!({"id": "msg"})));
    let client = sms(&provider).await?;
    let sends: Vec<_> = (0..6)
        .map(|i| {
            let client = client.clone();
            let message = Sms {
                to: "+15550100".into(),
                text: format!("message {i}"),
            };
            tokio::spawn(async move { client.send(&message).await })
        })
        .collect();
    let mut all_sent = true;
    for send in sends {
        all_sent &= matches!(send.await, Ok(Ok(_)));
    }
    let arrivals = provider.journal().arrivals();
    let first = arrivals.first().copied();
    let offsets: Vec<String> = arrivals
        .iter()
        .map(|t| format!("+{}", first.map_or(0, |f| ms(*t - f))))
        .collect();
    tour.line(&format!("started at {} ms", offsets.join(", ")))?;
    tour.line("two back to back, then one every 200 ms; the sixth waits for the 1 s window")?;
    let spread = match (arrivals.first(), arrivals.last()) {
        (Some(a), Some(b)) => *b - *a,
        _ => Duration::ZERO,
    };
    // Without the limiter the six would arrive within a few milliseconds;
    // the sixth slot is 1 s after the first. The provider sees arrivals
    // (connection set-up delays the first ones), so allow half of it.
    let handled = all_sent && arrivals.len() == 6 && spread >= Duration::from_millis(500);
    tour.finish(
        "rate limiter",
        started,
        handled,
        format!(
            "6 sends spread over {} ms, none rejected by the provider",
            ms(spread)
        ),
        arrivals.len(),
    )
}

async fn webhooks<W: Write>(tour: &mut Tour<'_, W>) -> Result<(), TourError> {
    use integrate::store::InMemoryBackend;
    use integrate::webhook::{Receiver, WebhookVerifier};
    use integrate_testkit::WebhookSender;

    let started = tour.start(
        8,
        "Inbound payment webhooks: verified, acknowledged at once, processed once",
    )?;
    let verifier = WebhookVerifier::<PaymentEvent>::builder()
        .env(demo_env)
        .build()?;
    let receiver = Receiver::builder(verifier)
        .backend(
            InMemoryBackend::builder()
                .max_ids(10_000)
                .max_depth(1_000)
                .build()?,
        )
        .build()?;
    let processed = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = processed.clone();
    let pool = receiver
        .workers()
        .workers(2)
        .spawn(move |event: PaymentEvent| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .map_err(|_| "the record of processed events is poisoned")?
                    .push(event.id);
                Ok::<(), &'static str>(())
            }
        })?;
    let app = axum::Router::new().route("/hooks/payments", receiver.method_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks/payments", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let http = integrate::ReqwestTransport::client_builder().build()?;
    let body = |id: &str| format!(r#"{{"id":"{id}","type":"charge.succeeded"}}"#);
    let sender = WebhookSender::stripe("whsec_demo_current");
    let valid = sender.sign(body("evt_1"));
    let deliveries = [
        ("valid", valid.clone(), 202),
        ("tampered", sender.sign(body("evt_2")).tampered(), 401),
        (
            "stale (10 min old)",
            sender.aged(Duration::from_secs(600)).sign(body("evt_3")),
            401,
        ),
        ("duplicate", valid, 200),
        (
            "previous secret",
            WebhookSender::stripe("whsec_demo_previous").sign(body("evt_4")),
            202,
        ),
    ];
    let mut statuses = Vec::new();
    let mut as_expected = true;
    for (what, delivery, expected) in &deliveries {
        let status = delivery.send(&http, &url).await?.status().as_u16();
        as_expected &= status == *expected;
        statuses.push(format!("{what} {status}"));
    }
    tour.line(&statuses.join(", "))?;
    pool.drain().await?;
    server.abort();
    let mut ids = processed
        .lock()
        .map_err(|_| "the record of processed events is poisoned")?
        .clone();
    ids.sort();
    tour.line(&format!(
        "each answered once queued, before its processing; the workers ran {} once each",
        ids.join(", ")
    ))?;
    let handled = as_expected && ids == ["evt_1", "evt_4"];
    tour.finish(
        "webhooks",
        started,
        handled,
        "forgeries and replays refused, the duplicate acknowledged, 2 events processed once".into(),
        deliveries.len(),
    )
}

fn summary<W: Write>(tour: &mut Tour<'_, W>) -> Result<(), TourError> {
    let out = &mut *tour.out;
    writeln!(out, "\nSummary")?;
    writeln!(
        out,
        "  {:<28} {:<8} {:>8} {:>9}",
        "scenario", "result", "requests", "time"
    )?;
    for o in &tour.outcomes {
        writeln!(
            out,
            "  {:<28} {:<8} {:>8} {:>6} ms",
            o.scenario,
            if o.handled { "handled" } else { "FAILED" },
            o.requests,
            ms(o.elapsed)
        )?;
    }
    let handled = tour.outcomes.iter().filter(|o| o.handled).count();
    writeln!(
        out,
        "  {handled} of {} scenarios handled",
        tour.outcomes.len()
    )?;
    Ok(())
}

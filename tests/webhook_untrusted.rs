//! The receiver against a provider (or an attacker) over real loopback
//! sockets: what each delivery was answered and what the handler ran.
//!
//! - 1,000 concurrent copies of one delivery at a full queue: every copy
//!   503, or one 202 and the rest 2xx with the event processed once; never
//!   a 2xx for an event that is not processed;
//! - a handler that panics before returning its future;
//! - a provider that hangs up while the admission is in flight;
//! - a captured delivery replayed with new unsigned ids;
//! - delivery ids of 256 and 257 bytes;
//! - deliveries after the workers shut down.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use integrate::store::{
    Admission, BoxFuture, DeadLetter, IdState, InMemoryBackend, Job, Lease, ReceiptBackend,
    ReceiptCounts, ReceiptError,
};
use integrate::webhook::{Receiver, WebhookVerifier, webhook};
use integrate::{Jitter, RetryPolicy};
use integrate_testkit::{SignedDelivery, WebhookSender};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

const GITHUB_SECRET: &str = "untrusted-github-secret";
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STRIPE_SECRET: &str = "whsec_untrusted_stripe";

#[webhook(scheme = "github", secret_env = "UNTRUSTED_GITHUB_SECRET")]
#[derive(Debug, serde::Deserialize)]
struct Push {
    n: u32,
}

#[webhook(scheme = "standard", secret_env = "UNTRUSTED_STANDARD_SECRET")]
#[derive(Debug, serde::Deserialize)]
struct Message {
    n: u32,
}

#[webhook(scheme = "stripe", secret_env = "UNTRUSTED_STRIPE_SECRET")]
#[derive(Debug, serde::Deserialize)]
struct Charge {
    #[expect(dead_code, reason = "the payload's delivery id")]
    id: String,
    n: u32,
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
        .jitter(Jitter::None)
}

/// Serves `receiver` at `/hook` with `axum::serve` on a free port.
async fn serve<E: integrate::webhook::Webhook>(receiver: &Receiver<E>) -> String {
    let app = axum::Router::new().route("/hook", receiver.method_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Counts handler runs per event number.
#[derive(Clone, Default)]
struct Runs(Arc<Mutex<HashMap<u32, usize>>>);

impl Runs {
    fn record(&self, n: u32) {
        *self.0.lock().unwrap().entry(n).or_default() += 1;
    }
    fn of(&self, n: u32) -> usize {
        self.0.lock().unwrap().get(&n).copied().unwrap_or(0)
    }
}

fn github_receiver(backend: Arc<InMemoryBackend>) -> Receiver<Push> {
    let verifier = WebhookVerifier::<Push>::builder()
        .secret(GITHUB_SECRET)
        .build()
        .unwrap();
    Receiver::builder(verifier)
        .shared_backend(backend)
        .build()
        .unwrap()
}

fn push(id: &str, n: u32) -> SignedDelivery {
    WebhookSender::github(GITHUB_SECRET).sign_with_id(id, format!(r#"{{"n":{n}}}"#))
}

async fn status_of(client: &reqwest::Client, url: &str, delivery: &SignedDelivery) -> StatusCode {
    delivery.send(client, url).await.unwrap().status()
}

/// A queue of depth 1 held full by a handler blocked on a gate, and 1,000
/// concurrent copies of another delivery. The gate opens after `open_after`
/// copies were answered (never, with `None`). Returns the copies' statuses
/// and the runs.
async fn copies_at_a_full_queue(open_after: Option<usize>) -> (Vec<StatusCode>, Runs, String) {
    let backend = Arc::new(InMemoryBackend::builder().max_depth(1).build().unwrap());
    let receiver = github_receiver(backend.clone());
    let runs = Runs::default();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let pool = {
        let (runs, gate) = (runs.clone(), gate.clone());
        receiver
            .workers()
            .workers(1)
            .spawn(move |e: Push| {
                let (runs, gate) = (runs.clone(), gate.clone());
                async move {
                    if e.n == 0 {
                        let _open = gate.acquire().await;
                    }
                    runs.record(e.n);
                    Ok::<(), String>(())
                }
            })
            .unwrap()
    };
    let url = serve(&receiver).await;
    let client = client();
    assert_eq!(
        status_of(&client, &url, &push("blocker", 0)).await,
        StatusCode::ACCEPTED
    );
    while backend.snapshot().leased == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    let copy = push("the-copied-delivery", 1);
    let answered = Arc::new(AtomicUsize::new(0));
    let mut copies = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let (client, url, copy, answered) =
            (client.clone(), url.clone(), copy.clone(), answered.clone());
        copies.spawn(async move {
            let status = copy.send(&client, &url).await.map(|r| r.status());
            answered.fetch_add(1, Ordering::SeqCst);
            status
        });
    }
    if let Some(n) = open_after {
        while answered.load(Ordering::SeqCst) < n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        gate.add_permits(1);
    }
    let mut statuses = Vec::new();
    while let Some(done) = copies.join_next().await {
        statuses.push(done.unwrap().expect("every copy is answered"));
    }
    gate.add_permits(1);
    // What the provider does after 503s: deliver again later.
    let redelivered = status_of(&client, &url, &copy).await;
    assert!(redelivered.is_success(), "{redelivered}");
    let report = tokio::time::timeout(Duration::from_secs(30), pool.drain())
        .await
        .expect("drains")
        .unwrap();
    assert!(report.is_clean(), "{report:?}");
    (statuses, runs, url)
}

fn tally(statuses: &[StatusCode]) -> (usize, usize, usize) {
    let count = |s: StatusCode| statuses.iter().filter(|x| **x == s).count();
    let (accepted, ok, busy) = (
        count(StatusCode::ACCEPTED),
        count(StatusCode::OK),
        count(StatusCode::SERVICE_UNAVAILABLE),
    );
    assert_eq!(accepted + ok + busy, statuses.len(), "{statuses:?}");
    (accepted, ok, busy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_copies_at_a_full_queue_are_all_refused_and_the_redelivery_runs_once()
{
    let (statuses, runs, _) = copies_at_a_full_queue(None).await;
    let (accepted, ok, busy) = tally(&statuses);
    assert_eq!((accepted, ok, busy), (0, 0, 1000));
    assert_eq!(runs.of(1), 1, "the redelivery after the 503s ran once");
    assert_eq!(runs.of(0), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_arriving_as_the_queue_frees_get_503_or_one_202_and_2xx_and_run_once() {
    let (statuses, runs, _) = copies_at_a_full_queue(Some(500)).await;
    let (accepted, ok, busy) = tally(&statuses);
    assert!(
        busy >= 500,
        "the first 500 were answered while full: {busy}"
    );
    assert!(accepted <= 1, "{accepted} copies admitted");
    if accepted == 0 {
        assert_eq!(ok, 0, "a 2xx without an admitted copy");
    }
    // Whatever was answered, the event ran exactly once (the redelivery
    // after the storm is a duplicate when a copy was admitted).
    assert_eq!(runs.of(1), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_panicking_before_returning_its_future_does_not_kill_the_workers() {
    let backend = Arc::new(InMemoryBackend::new());
    let receiver = github_receiver(backend.clone());
    let runs = Runs::default();
    let panicked = Arc::new(AtomicBool::new(false));
    let pool = {
        let (runs, panicked) = (runs.clone(), panicked.clone());
        receiver
            .workers()
            .workers(1)
            .retry(fast_retries(3))
            .spawn(move |e: Push| {
                if e.n == 1 && !panicked.swap(true, Ordering::SeqCst) {
                    panic!("refused before any future exists");
                }
                let runs = runs.clone();
                async move {
                    runs.record(e.n);
                    Ok::<(), String>(())
                }
            })
            .unwrap()
    };
    let url = serve(&receiver).await;
    let client = client();
    for (id, n) in [("p-1", 1), ("p-2", 2)] {
        assert_eq!(
            status_of(&client, &url, &push(id, n)).await,
            StatusCode::ACCEPTED
        );
    }
    // Later deliveries, after the panic, are processed too.
    while runs.of(1) == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(
        status_of(&client, &url, &push("p-3", 3)).await,
        StatusCode::ACCEPTED
    );
    let report = tokio::time::timeout(Duration::from_secs(10), pool.drain())
        .await
        .expect("drains")
        .unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!((runs.of(1), runs.of(2), runs.of(3)), (1, 1, 1));
    assert!(panicked.load(Ordering::SeqCst));
    let stats = receiver.stats();
    assert_eq!((stats.failed_attempts, stats.processed), (1, 3));
    assert_eq!(backend.id_state("p-1"), Some(IdState::Done));
}

/// Where the first admission stops: before the inner backend admits, or
/// after (as when a networked backend ran the script and its answer is
/// still on the way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stall {
    Before,
    After,
}

/// An in-memory backend whose first admission stalls forever at `stall`,
/// telling when it started and when its future was dropped.
struct Stalling {
    inner: InMemoryBackend,
    stall: Stall,
    armed: AtomicBool,
    entered: Notify,
    dropped: Notify,
}

struct DropSignal<'a>(&'a Notify);

impl Drop for DropSignal<'_> {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

impl ReceiptBackend for Stalling {
    fn admit(&self, job: Job, ttl: Duration) -> BoxFuture<'_, Result<Admission, ReceiptError>> {
        Box::pin(async move {
            if !self.armed.swap(false, Ordering::SeqCst) {
                return self.inner.admit(job, ttl).await;
            }
            let _signal = DropSignal(&self.dropped);
            if self.stall == Stall::After {
                self.inner.admit(job, ttl).await?;
            }
            self.entered.notify_one();
            std::future::pending().await
        })
    }
    fn take(
        &self,
        max: usize,
        lease: Duration,
        wait: Duration,
    ) -> BoxFuture<'_, Result<Vec<Lease>, ReceiptError>> {
        self.inner.take(max, lease, wait)
    }
    fn renew<'a>(
        &'a self,
        lease: &'a Lease,
        lease_for: Duration,
    ) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        self.inner.renew(lease, lease_for)
    }
    fn ack<'a>(
        &'a self,
        lease: &'a Lease,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), ReceiptError>> {
        self.inner.ack(lease, ttl)
    }
    fn retry<'a>(
        &'a self,
        lease: &'a Lease,
        delay: Duration,
    ) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        self.inner.retry(lease, delay)
    }
    fn dead_letter<'a>(
        &'a self,
        lease: &'a Lease,
        error: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        self.inner.dead_letter(lease, error, ttl)
    }
    fn release<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        self.inner.release(lease)
    }
    fn dead_letters<'a>(
        &'a self,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<DeadLetter>, ReceiptError>> {
        self.inner.dead_letters(after, limit)
    }
    fn redrive<'a>(&'a self, receipt: &'a str) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        self.inner.redrive(receipt)
    }
    fn purge<'a>(&'a self, receipt: &'a str) -> BoxFuture<'a, Result<bool, ReceiptError>> {
        self.inner.purge(receipt)
    }
    fn counts(&self) -> BoxFuture<'_, Result<ReceiptCounts, ReceiptError>> {
        self.inner.counts()
    }
}

/// The raw bytes of a `POST /hook` of `delivery`.
fn raw_request(authority: &str, delivery: &SignedDelivery) -> Vec<u8> {
    let mut head = format!(
        "POST /hook HTTP/1.1\r\nhost: {authority}\r\ncontent-length: {}\r\n",
        delivery.body().len()
    );
    for (name, value) in delivery.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(delivery.body());
    bytes
}

async fn hang_up_mid_admission(stall: Stall) {
    let backend = Arc::new(Stalling {
        inner: InMemoryBackend::new(),
        stall,
        armed: AtomicBool::new(true),
        entered: Notify::new(),
        dropped: Notify::new(),
    });
    let verifier = WebhookVerifier::<Push>::builder()
        .secret(GITHUB_SECRET)
        .build()
        .unwrap();
    let receiver = Receiver::builder(verifier)
        .shared_backend(backend.clone())
        .build()
        .unwrap();
    // The workers start after the hang-up, so that the state it left is
    // seen before any worker runs the job.
    let url = serve(&receiver).await;
    let authority = url.trim_start_matches("http://").trim_end_matches("/hook");
    let delivery = push("hung-up", 7);

    let mut provider = tokio::net::TcpStream::connect(authority).await.unwrap();
    provider
        .write_all(&raw_request(authority, &delivery))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), backend.entered.notified())
        .await
        .expect("the admission started");
    // The provider gives up waiting and closes the connection; the server
    // drops the request's future in the middle of the admission.
    drop(provider);
    tokio::time::timeout(Duration::from_secs(10), backend.dropped.notified())
        .await
        .expect("the server dropped the admission");

    let counts = backend.inner.snapshot();
    let state = backend.inner.id_state("hung-up");
    match stall {
        Stall::Before => {
            assert_eq!(state, None, "neither claim...");
            assert_eq!(counts.unfinished(), 0, "...nor job: {counts:?}");
        }
        Stall::After => {
            assert_eq!(state, Some(IdState::Pending), "both the claim...");
            assert_eq!(counts.unfinished(), 1, "...and the job: {counts:?}");
        }
    }
    let runs = Runs::default();
    let pool = {
        let runs = runs.clone();
        receiver
            .workers()
            .spawn(move |e: Push| {
                runs.record(e.n);
                async { Ok::<(), String>(()) }
            })
            .unwrap()
    };
    // The provider delivers again.
    let status = status_of(&client(), &url, &delivery).await;
    let expected = match stall {
        Stall::Before => StatusCode::ACCEPTED,
        Stall::After => StatusCode::OK,
    };
    assert_eq!(status, expected);
    let report = tokio::time::timeout(Duration::from_secs(10), pool.drain())
        .await
        .expect("drains")
        .unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(runs.of(7), 1, "processed exactly once");
    assert_eq!(backend.inner.id_state("hung-up"), Some(IdState::Done));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_hanging_up_before_the_admission_applied_leaves_neither_claim_nor_job() {
    hang_up_mid_admission(Stall::Before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_hanging_up_after_the_admission_applied_leaves_both_and_the_redelivery_is_a_duplicate()
 {
    hang_up_mid_admission(Stall::After).await;
}

fn standard_receiver() -> Receiver<Message> {
    let verifier = WebhookVerifier::<Message>::builder()
        .secret(STANDARD_SECRET)
        .build()
        .unwrap();
    Receiver::builder(verifier).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standard_webhooks_replay_with_new_unsigned_ids_runs_once() {
    let receiver = standard_receiver();
    let runs = Runs::default();
    let pool = {
        let runs = runs.clone();
        receiver
            .workers()
            .spawn(move |e: Message| {
                runs.record(e.n);
                async { Ok::<(), String>(()) }
            })
            .unwrap()
    };
    let url = serve(&receiver).await;
    let client = client();
    // Signed with the `svix-*` names; the attacker adds `webhook-id`
    // headers, which nothing signs.
    let captured = WebhookSender::standard(STANDARD_SECRET)
        .svix_names()
        .sign_with_id("msg_signed", r#"{"n":1}"#);
    let mut statuses = vec![status_of(&client, &url, &captured).await];
    for x in 1..=4 {
        let replay = captured.with_header("webhook-id", &format!("msg_forged_{x}"));
        statuses.push(status_of(&client, &url, &replay).await);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK
        ]
    );
    // With the `webhook-*` names the id is signed: changing it breaks the
    // signature.
    let signed = WebhookSender::standard(STANDARD_SECRET).sign_with_id("msg_2", r#"{"n":2}"#);
    assert_eq!(
        status_of(&client, &url, &signed).await,
        StatusCode::ACCEPTED
    );
    let forged = signed.with_header("webhook-id", "msg_forged");
    assert_eq!(
        status_of(&client, &url, &forged).await,
        StatusCode::UNAUTHORIZED
    );
    pool.drain().await.unwrap();
    assert_eq!((runs.of(1), runs.of(2)), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_per_scheme_stripe_dedups_on_its_signed_payload_id_github_cannot() {
    let client = client();
    // Stripe: the id is in the signed payload; the replay is a duplicate.
    let verifier = WebhookVerifier::<Charge>::builder()
        .secret(STRIPE_SECRET)
        .build()
        .unwrap();
    let stripe = Receiver::builder(verifier).build().unwrap();
    let stripe_runs = Runs::default();
    let stripe_pool = {
        let runs = stripe_runs.clone();
        stripe
            .workers()
            .spawn(move |e: Charge| {
                runs.record(e.n);
                async { Ok::<(), String>(()) }
            })
            .unwrap()
    };
    let stripe_url = serve(&stripe).await;
    let captured = WebhookSender::stripe(STRIPE_SECRET).sign(r#"{"id":"evt_1","n":1}"#);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(status_of(&client, &stripe_url, &captured).await);
    }
    assert_eq!(
        statuses,
        [StatusCode::ACCEPTED, StatusCode::OK, StatusCode::OK]
    );
    stripe_pool.drain().await.unwrap();
    assert_eq!(stripe_runs.of(1), 1);

    // GitHub signs no id (and no timestamp): a replay under a new
    // `X-GitHub-Delivery` is a new delivery to the receiver, as the guide
    // says. The handler must be idempotent on the payload for that.
    let backend = Arc::new(InMemoryBackend::new());
    let github = github_receiver(backend);
    let github_runs = Runs::default();
    let github_pool = {
        let runs = github_runs.clone();
        github
            .workers()
            .spawn(move |e: Push| {
                runs.record(e.n);
                async { Ok::<(), String>(()) }
            })
            .unwrap()
    };
    let github_url = serve(&github).await;
    let captured = push("gh-1", 5);
    assert_eq!(
        status_of(&client, &github_url, &captured).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        status_of(&client, &github_url, &captured).await,
        StatusCode::OK,
        "the provider's own redelivery (same id) is a duplicate"
    );
    let replay = captured.with_header("x-github-delivery", "gh-replayed");
    assert_eq!(
        status_of(&client, &github_url, &replay).await,
        StatusCode::ACCEPTED
    );
    github_pool.drain().await.unwrap();
    assert_eq!(github_runs.of(5), 2, "not stopped: the id is not signed");
}

async fn answer(client: &reqwest::Client, url: &str, delivery: &SignedDelivery) -> (u16, String) {
    let response = delivery.send(client, url).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_ids_of_256_bytes_are_accepted_and_of_257_refused() {
    let client = client();
    let (i256, i257) = ("i".repeat(256), "i".repeat(257));

    let github = github_receiver(Arc::new(InMemoryBackend::new()));
    let url = serve(&github).await;
    assert_eq!(answer(&client, &url, &push(&i256, 1)).await.0, 202);
    assert_eq!(
        answer(&client, &url, &push(&i257, 1)).await,
        (
            400,
            "unusable delivery id in `x-github-delivery`".to_owned()
        )
    );
    let repeated = {
        let (mut headers, body): (HeaderMap, Bytes) = push("a", 1).into_parts();
        headers.append("x-github-delivery", "b".parse().unwrap());
        client.post(&url).headers(headers).body(body).send().await
    };
    assert_eq!(repeated.unwrap().status(), 400, "a repeated id header");

    // Standard Webhooks: the signed id.
    let standard = standard_receiver();
    let url = serve(&standard).await;
    let sender = WebhookSender::standard(STANDARD_SECRET);
    assert_eq!(
        answer(&client, &url, &sender.sign_with_id(&i256, r#"{"n":1}"#))
            .await
            .0,
        202
    );
    assert_eq!(
        answer(&client, &url, &sender.sign_with_id(&i257, r#"{"n":1}"#)).await,
        (400, "unusable delivery id in `webhook-id`".to_owned())
    );

    // Stripe: the payload's id.
    let verifier = WebhookVerifier::<Charge>::builder()
        .secret(STRIPE_SECRET)
        .build()
        .unwrap();
    let stripe = Receiver::builder(verifier).build().unwrap();
    let url = serve(&stripe).await;
    let sender = WebhookSender::stripe(STRIPE_SECRET);
    let body = |id: &str| format!(r#"{{"id":"{id}","n":1}}"#);
    assert_eq!(
        answer(&client, &url, &sender.sign(body(&i256))).await.0,
        202
    );
    assert_eq!(
        answer(&client, &url, &sender.sign(body(&i257))).await,
        (400, "unusable delivery id".to_owned())
    );
    assert_eq!(
        answer(&client, &url, &sender.sign(body("evt\\n1"))).await.0,
        400,
        "a control character in a payload id"
    );
    // None of the refused ids were claimed.
    assert_eq!(stripe.stats().enqueued, 1);
    assert_eq!(stripe.stats().rejected, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_after_the_workers_shut_down_are_answered_503() {
    let backend = Arc::new(InMemoryBackend::new());
    let receiver = github_receiver(backend.clone());
    let runs = Runs::default();
    let pool = {
        let runs = runs.clone();
        receiver
            .workers()
            .spawn(move |e: Push| {
                runs.record(e.n);
                async { Ok::<(), String>(()) }
            })
            .unwrap()
    };
    let url = serve(&receiver).await;
    let client = client();
    assert_eq!(answer(&client, &url, &push("before", 1)).await.0, 202);
    let report = pool.drain().await.unwrap();
    assert!(report.is_clean());

    let response = push("after", 2).send(&client, &url).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers().get(http::header::RETRY_AFTER).unwrap(),
        "5"
    );
    assert_eq!(backend.id_state("after"), None, "nothing claimed");
    assert_eq!((runs.of(1), runs.of(2)), (1, 0));

    // A new pool opens the intake again; the provider's retry is processed.
    let pool = {
        let runs = runs.clone();
        receiver
            .workers()
            .spawn(move |e: Push| {
                runs.record(e.n);
                async { Ok::<(), String>(()) }
            })
            .unwrap()
    };
    assert_eq!(answer(&client, &url, &push("after", 2)).await.0, 202);
    pool.drain().await.unwrap();
    assert_eq!(runs.of(2), 1);
}

#[test]
fn the_webhook_sender_debug_shows_no_secret() {
    let senders = [
        WebhookSender::github(GITHUB_SECRET),
        WebhookSender::standard(STANDARD_SECRET).also_sign_with("whsec_c2Vjb25k"),
        WebhookSender::stripe(STRIPE_SECRET),
        WebhookSender::hmac_sha256("X-Signature", "generic-secret-value"),
    ];
    for sender in senders {
        let debug = format!("{sender:?}");
        for secret in [
            GITHUB_SECRET,
            STANDARD_SECRET,
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_c2Vjb25k",
            STRIPE_SECRET,
            "generic-secret-value",
        ] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("secrets"), "{debug}");
    }
}

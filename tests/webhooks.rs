//! `Verified<E>` through a real axum router on loopback, for every scheme:
//! deliveries signed by the testkit's `WebhookSender`, sent over HTTP/1.1,
//! and the outcome (status, body, event, delivery id) asserted. Real time,
//! short timeouts, no assertion on durations. One test drives the extractor
//! in process and checks its TRACE log.

use std::collections::HashMap;
use std::fmt::Debug;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::FromRequest;
use axum::response::IntoResponse;
use axum::routing::post;
use integrate::ErrorKind;
use integrate::webhook::{
    DeliveryId, Encoding, Verified, Webhook, WebhookErrorKind, WebhookVerifier, webhook,
};
use integrate_testkit::{SignedDelivery, WebhookSender};
use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const MAX_BODY: usize = 1024;

/// The payload every scheme delivers: an id for Stripe (`id`) and Slack
/// (`event_id`), and two typed fields.
const BODY: &str = r#"{"id":"evt_1","event_id":"Ev01","type":"ping","n":7}"#;

/// Authentic, but `n` is not a number.
const UNDECODABLE: &str = r#"{"id":"evt_2","event_id":"Ev02","type":"ping","n":"seven"}"#;

macro_rules! event {
    ($name:ident, $($args:tt)*) => {
        #[webhook($($args)*)]
        #[derive(Debug, Deserialize, PartialEq)]
        struct $name {
            #[serde(rename = "type")]
            kind: String,
            n: u32,
        }
    };
}

event!(
    StripeEvent,
    scheme = "stripe",
    secret_env = ["STRIPE_SECRET", "STRIPE_SECRET_PREVIOUS"],
    tolerance = "5m",
    max_body = 1024
);
event!(
    GithubEvent,
    scheme = "github",
    secret_env = ["GITHUB_SECRET", "GITHUB_SECRET_PREVIOUS"],
    max_body = "1KiB"
);
event!(
    StandardEvent,
    scheme = "standard",
    secret_env = ["STANDARD_SECRET", "STANDARD_SECRET_PREVIOUS"],
    tolerance = "5m",
    max_body = 1024
);
event!(
    ShopifyEvent,
    scheme = "shopify",
    secret_env = ["SHOPIFY_SECRET", "SHOPIFY_SECRET_PREVIOUS"],
    max_body = 1024
);
event!(
    SlackEvent,
    scheme = "slack",
    secret_env = ["SLACK_SECRET", "SLACK_SECRET_PREVIOUS"],
    tolerance = "5m",
    max_body = 1024
);
event!(
    GenericEvent,
    signature = "hmac-sha256",
    header = "X-Signature",
    encoding = "base64",
    prefix = "sha256=",
    timestamp_header = "X-Timestamp",
    tolerance = "5m",
    secret_env = ["GENERIC_SECRET", "GENERIC_SECRET_PREVIOUS"],
    delivery_id = header("X-Delivery"),
    max_body = 1024,
);

/// One scheme's secrets and how its deliveries look.
struct Case {
    name: &'static str,
    current: &'static str,
    previous: &'static str,
    retired: &'static str,
    sender: fn(&str) -> WebhookSender,
    signature_header: &'static str,
    signs_timestamp: bool,
}

const STRIPE: Case = Case {
    name: "stripe",
    current: "whsec_current",
    previous: "whsec_previous",
    retired: "whsec_retired",
    sender: |s| WebhookSender::stripe(s),
    signature_header: "stripe-signature",
    signs_timestamp: true,
};
const GITHUB: Case = Case {
    name: "github",
    current: "gh-current",
    previous: "gh-previous",
    retired: "gh-retired",
    sender: |s| WebhookSender::github(s),
    signature_header: "x-hub-signature-256",
    signs_timestamp: false,
};
const STANDARD: Case = Case {
    name: "standard",
    current: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    previous: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    retired: "whsec_cmV0aXJlZC1zZWNyZXQta2V5",
    sender: |s| WebhookSender::standard(s),
    signature_header: "webhook-signature",
    signs_timestamp: true,
};
const SHOPIFY: Case = Case {
    name: "shopify",
    current: "shpss_current",
    previous: "shpss_previous",
    retired: "shpss_retired",
    sender: |s| WebhookSender::shopify(s),
    signature_header: "x-shopify-hmac-sha256",
    signs_timestamp: false,
};
const SLACK: Case = Case {
    name: "slack",
    current: "slack-current",
    previous: "slack-previous",
    retired: "slack-retired",
    sender: |s| WebhookSender::slack(s),
    signature_header: "x-slack-signature",
    signs_timestamp: true,
};
const GENERIC: Case = Case {
    name: "hmac-sha256",
    current: "generic-current",
    previous: "generic-previous",
    retired: "generic-retired",
    sender: |s| {
        WebhookSender::hmac_sha256("X-Signature", s)
            .encoding(Encoding::Base64)
            .prefix("sha256=")
            .timestamp_header("X-Timestamp")
    },
    signature_header: "x-signature",
    signs_timestamp: true,
};

/// The verifier of `E` with the case's current and previous secrets, read
/// through the builder's environment source.
fn verifier<E: Webhook>(case: &Case) -> WebhookVerifier<E> {
    let env: HashMap<String, String> = E::declaration()
        .secret_env_names()
        .iter()
        .zip([case.current, case.previous])
        .map(|(name, secret)| ((*name).to_owned(), secret.to_owned()))
        .collect();
    WebhookVerifier::<E>::builder()
        .env(move |name| env.get(name).cloned())
        .build()
        .unwrap()
}

async fn handler<E: Webhook + Debug>(verified: Verified<E>) -> String {
    format!("{:?} id={:?}", verified.event(), verified.delivery_id())
}

/// Serves `POST /hook` on a free loopback port; returns its URL.
async fn serve<E: Webhook + Debug>(verifier: WebhookVerifier<E>) -> String {
    let app = Router::new()
        .route("/hook", post(handler::<E>))
        .with_state(verifier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn post_delivery(
    client: &reqwest::Client,
    url: &str,
    delivery: &SignedDelivery,
) -> (u16, String) {
    let response = delivery.send(client, url).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// POSTs `body` with chunked transfer encoding (no `Content-Length`) over
/// a raw socket, so the limit is enforced while reading.
async fn post_chunked(url: &str, delivery: &SignedDelivery) -> u16 {
    let authority = url
        .trim_start_matches("http://")
        .trim_end_matches("/hook")
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let mut head = format!(
        "POST /hook HTTP/1.1\r\nhost: {authority}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n"
    );
    for (name, value) in delivery.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in delivery.body().chunks(256) {
        let _ = stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await;
        let _ = stream.write_all(chunk).await;
        let _ = stream.write_all(b"\r\n").await;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response));
    let _ = read.await.expect("the server answers");
    let text = String::from_utf8_lossy(&response);
    text.get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

/// Every outcome for one scheme, through the router.
async fn matrix<E: Webhook + Debug>(case: &Case) {
    let name = case.name;
    let url = serve(verifier::<E>(case)).await;
    let client = client();
    let sender = (case.sender)(case.current);
    let expected_id = match name {
        "stripe" => Some("evt_1".to_owned()),
        "slack" => Some("Ev01".to_owned()),
        _ => None,
    };

    // valid: 200, the handler saw the typed event and the delivery id
    let delivery = sender.sign_with_id("dlv_42", BODY);
    let delivery = if name == "hmac-sha256" {
        delivery.with_header("X-Delivery", "dlv_42")
    } else {
        delivery
    };
    let (status, text) = post_delivery(&client, &url, &delivery).await;
    assert_eq!(status, 200, "{name}: valid delivery: {text}");
    let id = expected_id.unwrap_or_else(|| "dlv_42".to_owned());
    assert_eq!(
        text,
        format!(
            "{} {{ kind: \"ping\", n: 7 }} id=Some({id:?})",
            std::any::type_name::<E>().rsplit("::").next().unwrap()
        ),
        "{name}: valid delivery"
    );

    // tampered after signing: 401
    let (status, text) = post_delivery(&client, &url, &delivery.tampered()).await;
    assert_eq!(status, 401, "{name}: tampered: {text}");
    assert_eq!(text, "signature does not match", "{name}: tampered");

    // stale and from the future: 401 where a timestamp is signed; schemes
    // that sign none cannot tell (nothing bounds their replays in time)
    let stale = sender.clone().aged(Duration::from_secs(600)).sign(BODY);
    let future = sender.clone().ahead(Duration::from_secs(600)).sign(BODY);
    for (label, delivery, message) in [
        ("stale", stale, "timestamp is too old"),
        ("future", future, "timestamp is too far in the future"),
    ] {
        let (status, text) = post_delivery(&client, &url, &delivery).await;
        if case.signs_timestamp {
            assert_eq!(status, 401, "{name}: {label}: {text}");
            assert_eq!(text, message, "{name}: {label}");
        } else {
            assert_eq!(status, 200, "{name}: {label} (no signed timestamp): {text}");
        }
    }

    // rotation: the previous secret is still accepted, a retired one is not
    let previous = (case.sender)(case.previous).sign(BODY);
    let (status, text) = post_delivery(&client, &url, &previous).await;
    assert_eq!(status, 200, "{name}: previous secret: {text}");
    let retired = (case.sender)(case.retired).sign(BODY);
    let (status, text) = post_delivery(&client, &url, &retired).await;
    assert_eq!(status, 401, "{name}: retired secret: {text}");

    // missing signature header: 400, named
    let unsigned = sender.sign(BODY).without_header(case.signature_header);
    let (status, text) = post_delivery(&client, &url, &unsigned).await;
    assert_eq!(status, 400, "{name}: missing header: {text}");
    assert_eq!(
        text,
        format!("missing header `{}`", case.signature_header),
        "{name}: missing header"
    );

    // oversized, announced by Content-Length, and chunked: 413
    let big = format!(
        r#"{{"type":"ping","n":7,"pad":"{}"}}"#,
        "x".repeat(MAX_BODY)
    );
    let oversized = sender.sign(big);
    let (status, text) = post_delivery(&client, &url, &oversized).await;
    assert_eq!(status, 413, "{name}: oversized: {text}");
    assert_eq!(text, "body is larger than 1024 bytes", "{name}: oversized");
    assert_eq!(post_chunked(&url, &oversized).await, 413, "{name}: chunked");

    // authentic but not an event of this type: 400
    let undecodable = sender.sign(UNDECODABLE);
    let (status, text) = post_delivery(&client, &url, &undecodable).await;
    assert_eq!(status, 400, "{name}: undecodable: {text}");
    assert_eq!(text, "payload could not be decoded", "{name}: undecodable");
}

#[tokio::test]
async fn stripe_through_the_router() {
    matrix::<StripeEvent>(&STRIPE).await;
}

#[tokio::test]
async fn github_through_the_router() {
    matrix::<GithubEvent>(&GITHUB).await;
}

#[tokio::test]
async fn standard_webhooks_through_the_router() {
    matrix::<StandardEvent>(&STANDARD).await;
}

#[tokio::test]
async fn shopify_through_the_router() {
    matrix::<ShopifyEvent>(&SHOPIFY).await;
}

#[tokio::test]
async fn slack_through_the_router() {
    matrix::<SlackEvent>(&SLACK).await;
}

#[tokio::test]
async fn generic_hmac_sha256_through_the_router() {
    matrix::<GenericEvent>(&GENERIC).await;
}

#[tokio::test]
async fn standard_webhooks_svix_names_through_the_router() {
    let url = serve(verifier::<StandardEvent>(&STANDARD)).await;
    let delivery = WebhookSender::standard(STANDARD.current)
        .svix_names()
        .sign_with_id("msg_svix", BODY);
    let (status, text) = post_delivery(&client(), &url, &delivery).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.ends_with(r#"id=Some("msg_svix")"#), "{text}");
}

#[tokio::test]
async fn duplicates_and_reordered_deliveries_each_verify() {
    let url = serve(verifier::<GithubEvent>(&GITHUB)).await;
    let client = client();
    let sender = WebhookSender::github(GITHUB.current);
    let first = sender.sign_with_id("dlv_1", r#"{"type":"a","n":1}"#);
    let mut batch = WebhookSender::duplicate(&first, 2);
    batch.push(sender.sign_with_id("dlv_2", r#"{"type":"b","n":2}"#));
    batch.push(sender.sign_with_id("dlv_3", r#"{"type":"c","n":3}"#));
    let batch = WebhookSender::reorder(batch, 7);
    let mut seen = Vec::new();
    for delivery in &batch {
        let (status, text) = post_delivery(&client, &url, delivery).await;
        assert_eq!(status, 200, "{text}");
        seen.push(text.rsplit("id=").next().unwrap().to_owned());
    }
    seen.sort();
    // the extractor verifies; deduplication is the receiver's job
    assert_eq!(
        seen,
        [
            r#"Some("dlv_1")"#,
            r#"Some("dlv_1")"#,
            r#"Some("dlv_2")"#,
            r#"Some("dlv_3")"#
        ]
    );
}

#[test]
fn missing_secret_variable_is_a_config_error_naming_it() {
    let err = WebhookVerifier::<StripeEvent>::builder()
        .env(|_| None)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("`STRIPE_SECRET`"), "{err}");

    // an empty first variable counts as missing; the previous one is optional
    let err = WebhookVerifier::<StripeEvent>::builder()
        .env(|name| (name == "STRIPE_SECRET_PREVIOUS").then(|| "whsec_old".to_owned()))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("`STRIPE_SECRET`"), "{err}");
    let only_current = WebhookVerifier::<StripeEvent>::builder()
        .env(|name| (name == "STRIPE_SECRET").then(|| "whsec_new".to_owned()))
        .build()
        .unwrap();
    assert!(format!("{only_current:?}").contains("secrets: 1"));
}

#[test]
fn builder_overrides_the_declaration() {
    // `.secret(..)` replaces the environment; tolerance and max_body override
    let verifier = WebhookVerifier::<StripeEvent>::builder()
        .env(|_| panic!("the environment is not read when secrets are given"))
        .secret("whsec_a")
        .secret("whsec_b")
        .tolerance(Duration::from_secs(30))
        .max_body(64)
        .build()
        .unwrap();
    assert_eq!(verifier.max_body(), 64);
    assert_eq!(
        verifier.verifier().tolerance(),
        Some(Duration::from_secs(30))
    );
    let debug = format!("{verifier:?}");
    assert!(debug.contains("secrets: 2"), "{debug}");
    assert!(
        !debug.contains("whsec_a") && !debug.contains("whsec_b"),
        "{debug}"
    );
    assert_eq!(
        verifier.delivery_id_source(),
        Some(&DeliveryId::Field("id"))
    );

    // a window on a scheme without timestamps is refused at run time too
    let err = WebhookVerifier::<GithubEvent>::builder()
        .secret("s")
        .tolerance(Duration::from_secs(30))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[test]
fn verify_at_checks_bytes_then_decodes_then_reads_the_id() {
    let verifier = verifier::<StripeEvent>(&STRIPE);
    let at = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let sender = WebhookSender::stripe(STRIPE.current).at(at);
    let (headers, body) = sender.sign(BODY).into_parts();
    let verified = verifier.verify_at(&headers, &body, at).unwrap();
    assert_eq!(
        verified.event(),
        &StripeEvent {
            kind: "ping".into(),
            n: 7
        }
    );
    assert_eq!(verified.delivery_id(), Some("evt_1"));
    let (event, id) = verified.into_parts();
    assert_eq!((event.n, id.as_deref()), (7, Some("evt_1")));

    // a forged undecodable payload is a signature error, not a decode error
    let err = verifier
        .verify_at(&headers, br#"{"n":"x"}"#, at)
        .unwrap_err();
    assert_eq!(err.kind(), WebhookErrorKind::BadSignature);

    // the clone shares the keys
    let clone = verifier.clone();
    assert!(clone.verify_at(&headers, &body, at).is_ok());

    // an id that is missing from the payload is `None`, not an error
    let (headers, body) = sender.sign(r#"{"type":"ping","n":1}"#).into_parts();
    assert_eq!(
        verifier
            .verify_at(&headers, &body, at)
            .unwrap()
            .delivery_id(),
        None
    );
}

/// A writer that keeps everything the subscriber prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The extractor in process (no socket): a signed request is accepted, a
/// tampered one is rejected with 401, its text as the body, and logged at
/// TRACE without the signature.
#[tokio::test(flavor = "current_thread")]
async fn extractor_in_process_and_rejections_logged_at_trace() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let verifier = verifier::<ShopifyEvent>(&SHOPIFY);
    let delivery = WebhookSender::shopify(SHOPIFY.current).sign_with_id("dlv_9", BODY);
    let request = delivery
        .to_request("/hook")
        .unwrap()
        .map(axum::body::Body::from);
    let verified = Verified::<ShopifyEvent>::from_request(request, &verifier)
        .await
        .unwrap();
    assert_eq!(verified.n, 7, "dereferences to the event");
    assert_eq!(verified.delivery_id(), Some("dlv_9"));

    let tampered = delivery.tampered();
    let request = tampered
        .to_request("/hook")
        .unwrap()
        .map(axum::body::Body::from);
    let rejection = Verified::<ShopifyEvent>::from_request(request, &verifier)
        .await
        .unwrap_err();
    assert_eq!(rejection.status(), 401);
    assert_eq!(
        rejection
            .webhook_error()
            .map(integrate::webhook::WebhookError::kind),
        Some(WebhookErrorKind::BadSignature)
    );
    let response = rejection.into_response();
    assert_eq!(response.status(), 401);
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&body[..], b"signature does not match");

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(logs.contains("TRACE"), "{logs}");
    assert!(
        logs.contains("webhook.rejection=\"bad_signature\""),
        "{logs}"
    );
    assert!(logs.contains("http.response.status_code=401"), "{logs}");
    let signature = delivery.header("x-shopify-hmac-sha256").unwrap();
    assert!(!logs.contains(signature), "{logs}");
}

//! The testkit's `WebhookSender` against published vectors (so the sender
//! and the verifier cannot agree on a shared mistake), then round trips
//! through integrate's verifier for every scheme, in process.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use integrate::webhook::{Encoding, Scheme, Verifier, WebhookErrorKind};
use integrate_testkit::WebhookSender;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

// ------------------------------------------------------ published vectors

/// GitHub, "Validating webhook deliveries", "Testing the webhook payload
/// validation": secret "It's a Secret to Everybody", payload
/// "Hello, World!".
#[test]
fn github_signature_matches_the_documented_vector() {
    let delivery = WebhookSender::github("It's a Secret to Everybody").sign("Hello, World!");
    assert_eq!(
        delivery.header("x-hub-signature-256"),
        Some("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    );
}

/// Standard Webhooks reference libraries: the vector of
/// `testSignFunctionWorks` (Svix's `php/tests/WebhookTest.php`).
#[test]
fn standard_webhooks_signature_matches_the_reference_vector() {
    let delivery = WebhookSender::standard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .at(at(1_614_265_330))
        .sign_with_id("msg_p5jXN8AQM9LWM0D4loKWxJek", r#"{"test": 2432232314}"#);
    assert_eq!(
        delivery.header("webhook-signature"),
        Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    );
    assert_eq!(
        delivery.header("webhook-id"),
        Some("msg_p5jXN8AQM9LWM0D4loKWxJek")
    );
    assert_eq!(delivery.header("webhook-timestamp"), Some("1614265330"));
}

/// standard-webhooks `libraries/rust/src/lib.rs`, test `test_sign`, under
/// the `svix-*` names.
#[test]
fn standard_webhooks_signature_matches_the_rust_library_vector_with_svix_names() {
    let delivery = WebhookSender::standard("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
        .svix_names()
        .at(at(1_649_367_553))
        .sign_with_id(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            r#"{"email":"test@example.com","username":"test_user"}"#,
        );
    assert_eq!(
        delivery.header("svix-signature"),
        Some("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=")
    );
    assert_eq!(delivery.header("webhook-signature"), None);
}

/// Slack, "Verifying requests from Slack", the worked example.
#[test]
fn slack_signature_matches_the_documented_vector() {
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let delivery = WebhookSender::slack("8f742231b10e8888abcd99yyyzzz85a5")
        .at(at(1_531_420_618))
        .sign(body);
    assert_eq!(
        delivery.header("x-slack-signature"),
        Some("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
    );
    assert_eq!(
        delivery.header("x-slack-request-timestamp"),
        Some("1531420618")
    );
}

// ------------------------------------------------------------ round trips

const T: u64 = 1_700_000_000;
const BODY: &str = r#"{"id":"evt_1","type":"ping"}"#;

/// A scheme's name, its sender, the verifier's scheme, and its current,
/// previous and retired secrets.
type Case = (
    &'static str,
    fn(&str) -> WebhookSender,
    Scheme,
    [&'static str; 3],
);

fn cases() -> Vec<Case> {
    vec![
        (
            "stripe",
            |s| WebhookSender::stripe(s),
            Scheme::Stripe,
            ["whsec_new", "whsec_old", "whsec_gone"],
        ),
        (
            "github",
            |s| WebhookSender::github(s),
            Scheme::Github,
            ["new", "old", "gone"],
        ),
        (
            "standard",
            |s| WebhookSender::standard(s),
            Scheme::Standard,
            [
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                "whsec_cmV0aXJlZC1zZWNyZXQta2V5",
            ],
        ),
        (
            "standard (svix names)",
            |s| WebhookSender::standard(s).svix_names(),
            Scheme::Standard,
            [
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                "whsec_cmV0aXJlZC1zZWNyZXQta2V5",
            ],
        ),
        (
            "shopify",
            |s| WebhookSender::shopify(s),
            Scheme::Shopify,
            ["new", "old", "gone"],
        ),
        (
            "slack",
            |s| WebhookSender::slack(s),
            Scheme::Slack,
            ["new", "old", "gone"],
        ),
        (
            "generic hex",
            |s| WebhookSender::hmac_sha256("X-Sig", s),
            Scheme::hmac_sha256("X-Sig").into(),
            ["new", "old", "gone"],
        ),
        (
            "generic base64, prefix, timestamp",
            |s| {
                WebhookSender::hmac_sha256("X-Sig", s)
                    .encoding(Encoding::Base64)
                    .prefix("v1=")
                    .timestamp_header("X-Ts")
            },
            Scheme::hmac_sha256("X-Sig")
                .encoding(Encoding::Base64)
                .prefix("v1=")
                .timestamp_header("X-Ts")
                .into(),
            ["new", "old", "gone"],
        ),
    ]
}

#[test]
fn every_scheme_round_trips_and_tampering_is_caught() {
    for (name, sender, scheme, [current, previous, retired]) in cases() {
        let verifier = Verifier::builder(scheme)
            .secret(current)
            .secret(previous)
            .build()
            .unwrap();
        let kind = |delivery: &integrate_testkit::SignedDelivery, now| {
            verifier
                .verify_at(delivery.headers(), delivery.body(), now)
                .err()
                .map(|e| e.kind())
        };
        let delivery = sender(current).at(at(T)).sign(BODY);
        assert_eq!(kind(&delivery, at(T)), None, "{name}: valid");
        assert_eq!(
            kind(&delivery.tampered(), at(T)),
            Some(WebhookErrorKind::BadSignature),
            "{name}: tampered"
        );
        let old = sender(previous).at(at(T)).sign(BODY);
        assert_eq!(kind(&old, at(T)), None, "{name}: previous secret");
        let gone = sender(retired).at(at(T)).sign(BODY);
        assert_eq!(
            kind(&gone, at(T)),
            Some(WebhookErrorKind::BadSignature),
            "{name}: retired secret"
        );

        let aged = sender(current)
            .at(at(T))
            .aged(Duration::from_secs(301))
            .sign(BODY);
        let ahead = sender(current)
            .at(at(T))
            .ahead(Duration::from_secs(301))
            .sign(BODY);
        let edge = sender(current)
            .at(at(T))
            .aged(Duration::from_secs(300))
            .sign(BODY);
        if verifier.scheme().signs_timestamp() {
            assert_eq!(kind(&aged, at(T)), Some(WebhookErrorKind::TooOld), "{name}");
            assert_eq!(
                kind(&ahead, at(T)),
                Some(WebhookErrorKind::TooNew),
                "{name}"
            );
            assert_eq!(kind(&edge, at(T)), None, "{name}: the edge is accepted");
        } else {
            assert_eq!(kind(&aged, at(T)), None, "{name}: no window");
            assert_eq!(kind(&ahead, at(T)), None, "{name}: no window");
        }
    }
}

#[test]
fn deliveries_signed_now_verify_against_the_system_clock() {
    for (name, sender, scheme, [current, ..]) in cases() {
        let verifier = Verifier::builder(scheme).secret(current).build().unwrap();
        let delivery = sender(current).sign(BODY);
        verifier
            .verify(delivery.headers(), delivery.body())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn several_signatures_any_one_of_which_verifies() {
    // Stripe: one v1 per active secret; Standard Webhooks: a list
    for (scheme, sender, secrets) in [
        (
            Scheme::Stripe,
            WebhookSender::stripe("whsec_other").also_sign_with("whsec_mine"),
            ["whsec_mine"],
        ),
        (
            Scheme::Standard,
            WebhookSender::standard("whsec_cmV0aXJlZC1zZWNyZXQta2V5")
                .also_sign_with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        ),
    ] {
        let delivery = sender.at(at(T)).sign(BODY);
        let verifier = Verifier::builder(scheme)
            .secret(secrets[0])
            .build()
            .unwrap();
        verifier
            .verify_at(delivery.headers(), delivery.body(), at(T))
            .unwrap();
    }
    let stripe = WebhookSender::stripe("a")
        .also_sign_with("b")
        .at(at(T))
        .sign("{}");
    let header = stripe.header("stripe-signature").unwrap();
    assert!(header.starts_with("t=1700000000,v1="), "{header}");
    assert_eq!(header.matches(",v1=").count(), 2, "{header}");
}

#[test]
fn missing_headers_are_rejected() {
    let delivery = WebhookSender::slack("s").at(at(T)).sign(BODY);
    let verifier = Verifier::builder(Scheme::Slack)
        .secret("s")
        .build()
        .unwrap();
    let err = verifier
        .verify_at(
            delivery
                .without_header("X-Slack-Request-Timestamp")
                .headers(),
            delivery.body(),
            at(T),
        )
        .unwrap_err();
    assert_eq!(err.kind(), WebhookErrorKind::MissingHeader);
}

#[test]
fn duplicates_are_identical_and_reordering_is_a_seeded_permutation() {
    let sender = WebhookSender::github("s");
    let one = sender.sign("1");
    let copies = WebhookSender::duplicate(&one, 3);
    assert_eq!(copies, vec![one.clone(), one.clone(), one]);

    let batch: Vec<_> = (0..8)
        .map(|i| sender.sign_with_id(&i.to_string(), "{}"))
        .collect();
    let ids = |batch: &[integrate_testkit::SignedDelivery]| -> Vec<String> {
        batch
            .iter()
            .map(|d| d.header("x-github-delivery").unwrap().to_owned())
            .collect()
    };
    let a = WebhookSender::reorder(batch.clone(), 1);
    let b = WebhookSender::reorder(batch.clone(), 1);
    assert_eq!(ids(&a), ids(&b), "the same seed gives the same order");
    assert_ne!(ids(&a), ids(&batch), "the order changed");
    let mut sorted = ids(&a);
    sorted.sort();
    assert_eq!(sorted, ids(&batch), "nothing lost or added");
}

#[test]
fn in_process_request_carries_the_signed_headers_and_body() {
    let delivery = WebhookSender::shopify("s").sign(BODY);
    let request = delivery.to_request("/hooks/shopify").unwrap();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "/hooks/shopify");
    assert_eq!(request.headers(), delivery.headers());
    assert_eq!(request.body(), delivery.body());
    assert_eq!(request.headers()["content-type"], "application/json");
}

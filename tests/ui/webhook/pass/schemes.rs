//! Every scheme and key, the generic form with each option, and the
//! generated declaration read back at run time.

#![deny(warnings)]
#![warn(clippy::pedantic)]

use std::time::Duration;

use integrate::webhook::{DeliveryId, Scheme, Webhook, WebhookVerifier, webhook};
use serde::Deserialize;

#[webhook(scheme = "stripe", secret_env = "STRIPE_WEBHOOK_SECRET", tolerance = "5m")]
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub enum StripeEvent {
    #[serde(rename = "charge.succeeded")]
    ChargeSucceeded { id: String },
}

#[webhook(scheme = "github", secret_env = ["GITHUB_SECRET", "GITHUB_SECRET_PREVIOUS"], max_body = "2MiB")]
#[derive(Debug, Deserialize)]
pub struct Push {
    pub r#ref: String,
}

#[webhook(scheme = "standard", secret_env = "SVIX_SECRET", tolerance = "90s", max_body = 4096)]
#[derive(Debug, Deserialize)]
pub struct Standard {
    pub r#type: String,
}

#[webhook(scheme = "shopify", secret_env = "SHOPIFY_SECRET", delivery_id = header("X-Shopify-Event-Id"))]
#[derive(Debug, Deserialize)]
pub struct Order {
    pub id: u64,
}

#[webhook(scheme = "slack", secret_env = "SLACK_SIGNING_SECRET")]
#[derive(Debug, Deserialize)]
pub struct SlackEvent {
    pub event_id: String,
}

#[webhook(
    signature = "hmac-sha256",
    header = "X-Signature",
    encoding = "base64",
    prefix = "sha256=",
    timestamp_header = "X-Timestamp",
    tolerance = "1m",
    secret_env = "GENERIC_SECRET",
    delivery_id = field("event_id"),
)]
#[derive(Debug, Deserialize)]
pub struct Generic {
    pub event_id: String,
}

#[webhook(signature = "hmac-sha256", header = "X-Hook-Signature")]
#[derive(Debug, Deserialize)]
pub struct Bare {}

fn main() {
    let stripe = StripeEvent::declaration();
    assert_eq!(stripe.scheme(), &Scheme::Stripe);
    assert_eq!(stripe.secret_env_names(), ["STRIPE_WEBHOOK_SECRET"]);
    assert_eq!(stripe.delivery_id_source(), Some(&DeliveryId::Field("id")));

    let github = Push::declaration();
    assert_eq!(github.secret_env_names(), ["GITHUB_SECRET", "GITHUB_SECRET_PREVIOUS"]);
    assert_eq!(
        github.delivery_id_source(),
        Some(&DeliveryId::Header("x-github-delivery"))
    );
    assert_eq!(
        Order::declaration().delivery_id_source(),
        Some(&DeliveryId::Header("X-Shopify-Event-Id"))
    );
    assert_eq!(
        Generic::declaration().delivery_id_source(),
        Some(&DeliveryId::Field("event_id"))
    );
    assert_eq!(Bare::declaration().delivery_id_source(), None);

    let verifier = WebhookVerifier::<Standard>::builder()
        .env(|name| (name == "SVIX_SECRET").then(|| "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned()))
        .build()
        .unwrap();
    assert_eq!(verifier.max_body(), 4096);
    assert_eq!(verifier.verifier().tolerance(), Some(Duration::from_secs(90)));

    let github = WebhookVerifier::<Push>::builder().secret("s").build().unwrap();
    assert_eq!(github.max_body(), 2 * 1024 * 1024);
    let _ = (SlackEvent::declaration(), WebhookVerifier::<Generic>::builder());
}

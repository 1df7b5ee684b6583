//! The three provider APIs of the tour, declared once as annotated traits.

use integrate::prelude::*;
use serde::{Deserialize, Serialize};

/// A payments provider's customer.
#[derive(Debug, Clone, Deserialize)]
pub struct Customer {
    /// The customer id.
    pub id: String,
    /// The customer's name.
    pub name: String,
}

/// A charge to create.
#[derive(Debug, Clone, Serialize)]
pub struct NewCharge {
    /// Amount in the currency's smallest unit.
    pub amount: u64,
    /// ISO currency code.
    pub currency: String,
}

/// A created charge.
#[derive(Debug, Clone, Deserialize)]
pub struct Charge {
    /// The charge id.
    pub id: String,
    /// Its status.
    pub status: String,
}

/// The payments API: bearer token, retries with backoff, a generous
/// breaker, tight timeouts.
#[integration(
    base_url = "https://api.payments.example/v1",
    auth = bearer(env = "PAYMENTS_TOKEN"),
    retry(max_attempts = 4, initial_backoff = "100ms", max_backoff = "1s", jitter = "none"),
    timeout(connect = "1s", attempt = "2s", total = "10s")
)]
pub trait Payments {
    /// One customer.
    #[get("/customers/{id}")]
    async fn customer(&self, id: &str) -> integrate::Result<Customer>;

    /// Creates a charge. Retried safely: every attempt carries the same
    /// `Idempotency-Key`.
    #[post("/charges")]
    #[idempotent]
    async fn create_charge(&self, #[body] charge: &NewCharge) -> integrate::Result<Charge>;

    /// Refunds a charge. A POST without idempotency: never retried after
    /// the provider may have seen it.
    #[post("/charges/{id}/refunds")]
    async fn refund(&self, id: &str) -> integrate::Result<()>;
}

/// A text message to send.
#[derive(Debug, Clone, Serialize)]
pub struct Sms {
    /// Recipient, E.164.
    pub to: String,
    /// Message text.
    pub text: String,
}

/// The provider's receipt for a message.
#[derive(Debug, Clone, Deserialize)]
pub struct SmsReceipt {
    /// The message id.
    pub id: String,
}

/// The SMS API: an API key header, the provider's own rate limit (5 per
/// second, bursts of 2), a short attempt timeout.
#[integration(
    base_url = "https://sms.example/v2",
    auth = api_key(header = "X-Api-Key", env = "SMS_API_KEY"),
    retry(max_attempts = 2, initial_backoff = "50ms", jitter = "none"),
    rate_limit(requests = 5, per = "1s", burst = 2),
    timeout(connect = "1s", attempt = "300ms", total = "5s")
)]
pub trait SmsApi {
    /// Sends a message.
    #[post("/messages")]
    async fn send(&self, #[body] message: &Sms) -> integrate::Result<SmsReceipt>;

    /// A message's delivery status.
    #[get("/messages/{id}")]
    async fn status(&self, id: &str) -> integrate::Result<String>;
}

/// An email to send.
#[derive(Debug, Clone, Serialize)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
}

/// The email API: basic auth, a breaker that opens after three failures in
/// a row and probes again after one second.
#[integration(
    base_url = "https://mail.example/v3",
    auth = basic(username_env = "MAIL_USER", password_env = "MAIL_PASSWORD"),
    retry(max_attempts = 1),
    circuit_breaker(consecutive_failures = 3, open_for = "1s", half_open_calls = 1),
    timeout(connect = "1s", attempt = "1s", total = "2s")
)]
pub trait EmailApi {
    /// Sends an email.
    #[post("/send")]
    async fn send(&self, #[body] email: &Email) -> integrate::Result<()>;
}

/// An event the payments provider sends to our webhook endpoint, signed
/// Stripe-style. Two secrets are accepted while the provider rolls its
/// signing secret.
#[integrate::webhook::webhook(
    scheme = "stripe",
    secret_env = ["PAYMENTS_WEBHOOK_SECRET", "PAYMENTS_WEBHOOK_SECRET_PREVIOUS"],
    tolerance = "5m"
)]
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentEvent {
    /// The event id: the delivery id deduplication uses.
    pub id: String,
    /// The event type, e.g. `charge.succeeded`.
    #[serde(rename = "type")]
    pub kind: String,
}

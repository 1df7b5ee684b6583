//! A webhook sender: signs deliveries the way providers do, and breaks
//! them the way networks and attackers do.
//!
//! The signatures are computed here, with `hmac`, `sha2`, `base64` and
//! `hex` directly, not with integrate's verifier, so a round trip through
//! the verifier checks two independent implementations against each other.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use integrate::webhook::Encoding;
use sha2::Sha256;

/// The scheme a [`WebhookSender`] signs for.
#[derive(Debug, Clone)]
enum Scheme {
    Stripe,
    Github,
    Standard {
        svix_names: bool,
    },
    Shopify,
    Slack,
    Hmac {
        header: String,
        encoding: Encoding,
        prefix: String,
        timestamp_header: Option<String>,
    },
}

/// Signs webhook deliveries for every scheme integrate verifies.
///
/// ```
/// use integrate_testkit::WebhookSender;
///
/// let sender = WebhookSender::github("It's a Secret to Everybody");
/// let delivery = sender.sign("Hello, World!");
/// assert_eq!(
///     delivery.header("x-hub-signature-256"),
///     Some("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
/// );
/// // A copy whose body changed after signing: it must be rejected.
/// let tampered = delivery.tampered();
/// assert_ne!(tampered.body(), delivery.body());
/// ```
///
/// Deliveries are signed at the system time unless
/// [`at`](WebhookSender::at) fixes one; [`aged`](WebhookSender::aged) and
/// [`ahead`](WebhookSender::ahead) move the signed timestamp into the past
/// or the future. [`with_secret`](WebhookSender::with_secret) signs with
/// another (rotated, old) secret, [`also_sign_with`](WebhookSender::also_sign_with)
/// adds signatures (Stripe sends one `v1` per active secret, Standard
/// Webhooks a list).
///
/// Its `Debug` shows the scheme and how many secrets it signs with, never a
/// secret.
#[derive(Clone)]
#[must_use]
pub struct WebhookSender {
    scheme: Scheme,
    secrets: Vec<String>,
    at: Option<SystemTime>,
    skew: i64,
    content_type: Option<&'static str>,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("scheme", &self.scheme)
            .field("secrets", &self.secrets.len())
            .field("at", &self.at)
            .field("skew", &self.skew)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl WebhookSender {
    fn new(scheme: Scheme, secret: impl Into<String>) -> Self {
        WebhookSender {
            scheme,
            secrets: vec![secret.into()],
            at: None,
            skew: 0,
            content_type: Some("application/json"),
        }
    }

    /// Stripe: `Stripe-Signature: t=..,v1=..` over `"{t}.{body}"`, keyed
    /// with the secret's UTF-8 bytes.
    pub fn stripe(secret: impl Into<String>) -> Self {
        WebhookSender::new(Scheme::Stripe, secret)
    }

    /// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body, and an
    /// `X-GitHub-Delivery` id.
    pub fn github(secret: impl Into<String>) -> Self {
        WebhookSender::new(Scheme::Github, secret)
    }

    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`,
    /// `webhook-signature: v1,<base64>` over `"{id}.{t}.{body}"`, keyed
    /// with the base64-decoded part of the `whsec_<base64>` secret.
    pub fn standard(secret: impl Into<String>) -> Self {
        WebhookSender::new(Scheme::Standard { svix_names: false }, secret)
    }

    /// Shopify: `X-Shopify-Hmac-Sha256: <base64>` over the body, and an
    /// `X-Shopify-Webhook-Id`.
    pub fn shopify(secret: impl Into<String>) -> Self {
        WebhookSender::new(Scheme::Shopify, secret)
    }

    /// Slack: `X-Slack-Signature: v0=<hex>` over `"v0:{t}:{body}"` with
    /// `X-Slack-Request-Timestamp`.
    pub fn slack(secret: impl Into<String>) -> Self {
        WebhookSender::new(Scheme::Slack, secret)
    }

    /// The generic form: `header: <prefix><hex>` over the body (see
    /// [`encoding`](WebhookSender::encoding), [`prefix`](WebhookSender::prefix),
    /// [`timestamp_header`](WebhookSender::timestamp_header)).
    pub fn hmac_sha256(header: impl Into<String>, secret: impl Into<String>) -> Self {
        WebhookSender::new(
            Scheme::Hmac {
                header: header.into(),
                encoding: Encoding::Hex,
                prefix: String::new(),
                timestamp_header: None,
            },
            secret,
        )
    }

    /// The generic form's signature encoding (no effect on other schemes).
    pub fn encoding(mut self, value: Encoding) -> Self {
        if let Scheme::Hmac { encoding, .. } = &mut self.scheme {
            *encoding = value;
        }
        self
    }

    /// The generic form's signature prefix (no effect on other schemes).
    pub fn prefix(mut self, value: impl Into<String>) -> Self {
        if let Scheme::Hmac { prefix, .. } = &mut self.scheme {
            *prefix = value.into();
        }
        self
    }

    /// The generic form's timestamp header: the signed content becomes
    /// `"{t}.{body}"` (no effect on other schemes).
    pub fn timestamp_header(mut self, value: impl Into<String>) -> Self {
        if let Scheme::Hmac {
            timestamp_header, ..
        } = &mut self.scheme
        {
            *timestamp_header = Some(value.into());
        }
        self
    }

    /// Standard Webhooks under the `svix-id`, `svix-timestamp` and
    /// `svix-signature` names (no effect on other schemes).
    pub fn svix_names(mut self) -> Self {
        if let Scheme::Standard { svix_names } = &mut self.scheme {
            *svix_names = true;
        }
        self
    }

    /// Signs with `secret` instead of the secret given at construction,
    /// e.g. an old secret after a rotation.
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secrets = vec![secret.into()];
        self
    }

    /// Adds a signature with `secret` (Stripe: another `v1`; Standard
    /// Webhooks: another `v1,..` entry). Schemes with a single signature
    /// use the first secret only.
    pub fn also_sign_with(mut self, secret: impl Into<String>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Signs as if the time were `now` (default: the system time when
    /// signing).
    pub fn at(mut self, now: SystemTime) -> Self {
        self.at = Some(now);
        self
    }

    /// Signs a timestamp `age` in the past (a stale or replayed delivery).
    pub fn aged(mut self, age: Duration) -> Self {
        self.skew = -i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// Signs a timestamp `lead` in the future (a sender with a fast clock).
    pub fn ahead(mut self, lead: Duration) -> Self {
        self.skew = i64::try_from(lead.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// The `Content-Type` sent (default `application/json`); `None` sends
    /// none.
    pub fn content_type(mut self, content_type: Option<&'static str>) -> Self {
        self.content_type = content_type;
        self
    }

    /// The Unix timestamp a delivery signed now carries.
    fn timestamp(&self) -> i64 {
        let now = self.at.unwrap_or_else(SystemTime::now);
        let secs = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        secs.saturating_add(self.skew)
    }

    /// Signs `body` with a fresh delivery id.
    pub fn sign(&self, body: impl Into<Bytes>) -> SignedDelivery {
        let id = format!("msg_{:016x}", fastrand::u64(..));
        self.sign_with_id(&id, body)
    }

    /// Signs `body` with the delivery id `id` (sent in the scheme's id
    /// header where it has one: `webhook-id`, `X-GitHub-Delivery`,
    /// `X-Shopify-Webhook-Id`; Stripe and Slack carry theirs in the
    /// payload).
    pub fn sign_with_id(&self, id: &str, body: impl Into<Bytes>) -> SignedDelivery {
        let body = body.into();
        let t = self.timestamp().to_string();
        let mut headers = Vec::<(String, String)>::new();
        match &self.scheme {
            Scheme::Stripe => {
                let mut value = format!("t={t}");
                for secret in &self.secrets {
                    let mac = mac(secret.as_bytes(), &[t.as_bytes(), b".", &body]);
                    value.push_str(",v1=");
                    value.push_str(&hex::encode(mac));
                }
                headers.push(("stripe-signature".into(), value));
            }
            Scheme::Github => {
                let mac = mac(self.secrets[0].as_bytes(), &[&body]);
                headers.push((
                    "x-hub-signature-256".into(),
                    format!("sha256={}", hex::encode(mac)),
                ));
                headers.push(("x-github-delivery".into(), id.to_owned()));
            }
            Scheme::Standard { svix_names } => {
                let names = if *svix_names {
                    ["svix-id", "svix-timestamp", "svix-signature"]
                } else {
                    ["webhook-id", "webhook-timestamp", "webhook-signature"]
                };
                let signatures: Vec<String> = self
                    .secrets
                    .iter()
                    .map(|secret| {
                        let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
                        let key = BASE64.decode(encoded).unwrap_or_default();
                        let mac = mac(&key, &[id.as_bytes(), b".", t.as_bytes(), b".", &body]);
                        format!("v1,{}", BASE64.encode(mac))
                    })
                    .collect();
                headers.push((names[0].into(), id.to_owned()));
                headers.push((names[1].into(), t.clone()));
                headers.push((names[2].into(), signatures.join(" ")));
            }
            Scheme::Shopify => {
                let mac = mac(self.secrets[0].as_bytes(), &[&body]);
                headers.push(("x-shopify-hmac-sha256".into(), BASE64.encode(mac)));
                headers.push(("x-shopify-webhook-id".into(), id.to_owned()));
            }
            Scheme::Slack => {
                let mac = mac(
                    self.secrets[0].as_bytes(),
                    &[b"v0:", t.as_bytes(), b":", &body],
                );
                headers.push(("x-slack-request-timestamp".into(), t.clone()));
                headers.push((
                    "x-slack-signature".into(),
                    format!("v0={}", hex::encode(mac)),
                ));
            }
            Scheme::Hmac {
                header,
                encoding,
                prefix,
                timestamp_header,
            } => {
                let mac = match timestamp_header {
                    Some(name) => {
                        headers.push((name.clone(), t.clone()));
                        mac(self.secrets[0].as_bytes(), &[t.as_bytes(), b".", &body])
                    }
                    None => mac(self.secrets[0].as_bytes(), &[&body]),
                };
                let encoded = match encoding {
                    Encoding::Base64 => BASE64.encode(mac),
                    _ => hex::encode(mac),
                };
                headers.push((header.clone(), format!("{prefix}{encoded}")));
            }
        }
        let mut map = HeaderMap::new();
        if let Some(content_type) = self.content_type {
            map.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(content_type),
            );
        }
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                map.append(name, value);
            }
        }
        SignedDelivery { headers: map, body }
    }

    /// `n` copies of one signed delivery (same id, same signature): what a
    /// provider retrying after a lost acknowledgement sends.
    pub fn duplicate(delivery: &SignedDelivery, n: usize) -> Vec<SignedDelivery> {
        vec![delivery.clone(); n]
    }

    /// `deliveries` in an order shuffled with `seed` (reproducible), as
    /// providers that do not guarantee ordering deliver them.
    #[must_use]
    pub fn reorder(mut deliveries: Vec<SignedDelivery>, seed: u64) -> Vec<SignedDelivery> {
        fastrand::Rng::with_seed(seed).shuffle(&mut deliveries);
        deliveries
    }
}

/// HMAC-SHA256 of the concatenation of `parts`.
fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A signed delivery: its headers and body, to deliver over HTTP or hand
/// to a verifier or a router in process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDelivery {
    headers: HeaderMap,
    body: Bytes,
}

impl SignedDelivery {
    /// The headers (signature, timestamp, id, content type).
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of one header, if it is text.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as signed (or tampered with).
    #[must_use]
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// A copy whose body has one byte changed after signing (the last
    /// byte's lowest bit flipped; an empty body gains a byte).
    #[must_use]
    pub fn tampered(&self) -> SignedDelivery {
        let mut body = self.body.to_vec();
        match body.last_mut() {
            Some(last) => *last ^= 1,
            None => body.push(b' '),
        }
        SignedDelivery {
            headers: self.headers.clone(),
            body: body.into(),
        }
    }

    /// A copy without the header `name` (e.g. the signature header).
    #[must_use]
    pub fn without_header(&self, name: &str) -> SignedDelivery {
        let mut copy = self.clone();
        copy.headers.remove(name);
        copy
    }

    /// A copy with the header `name` set to `value` (an invalid name or
    /// value leaves the copy unchanged).
    #[must_use]
    pub fn with_header(&self, name: &str, value: &str) -> SignedDelivery {
        let mut copy = self.clone();
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            copy.headers.insert(name, value);
        }
        copy
    }

    /// A `POST` of this delivery to `uri`, for an in-process service (e.g.
    /// `tower::ServiceExt::oneshot` on an axum `Router`, after mapping the
    /// body into the router's body type).
    ///
    /// # Errors
    ///
    /// When `uri` is not a valid URI.
    pub fn to_request(&self, uri: &str) -> Result<Request<Bytes>, http::Error> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .body(self.body.clone())?;
        *request.headers_mut() = self.headers.clone();
        Ok(request)
    }

    /// `POST`s this delivery to `url` with `client`, as the provider would.
    ///
    /// # Errors
    ///
    /// The client's error when nothing could be sent or no response came.
    pub async fn send(
        &self,
        client: &reqwest::Client,
        url: &str,
    ) -> Result<reqwest::Response, reqwest::Error> {
        client
            .post(url)
            .headers(self.headers.clone())
            .body(self.body.clone())
            .send()
            .await
    }

    /// The headers and body.
    #[must_use]
    pub fn into_parts(self) -> (HeaderMap, Bytes) {
        (self.headers, self.body)
    }
}

//! The verifier: keys prepared once, one HMAC per secret per delivery.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use super::error::WebhookError;
use super::parse::{self, Candidates, Fault, MAX_HEADER_LEN, TAG_LEN};
use super::scheme::{Encoding, Scheme};

/// A keyed HMAC-SHA256 state, cloned for each delivery.
type Key = Hmac<Sha256>;

/// Verifies the signature, time window and size of inbound webhook
/// deliveries for one [`Scheme`] and one or more secrets.
///
/// Verification works on the raw body bytes, before anything parses them.
/// Cloning is cheap (the keys are behind an `Arc`), and `Debug` never
/// shows a secret.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use integrate::webhook::{Scheme, Verifier, WebhookErrorKind};
///
/// # fn main() -> integrate::Result<()> {
/// let verifier = Verifier::builder(Scheme::Stripe)
///     .secret("whsec_test_secret")
///     .tolerance(Duration::from_secs(300))
///     .build()?;
///
/// let body = br#"{"id": "evt_test_webhook", "object": "event"}"#;
/// let mut headers = http::HeaderMap::new();
/// headers.insert(
///     "stripe-signature",
///     "t=1614556800,v1=f940b810941c0103f85f6cc484370804bbfcc5e1629be5acf5dd9eecb7cb57a3"
///         .parse()
///         .unwrap(),
/// );
///
/// // One minute after the delivery was signed: accepted.
/// let now = UNIX_EPOCH + Duration::from_secs(1_614_556_800 + 60);
/// assert!(verifier.verify_at(&headers, body, now).is_ok());
///
/// // A changed body: 401.
/// let err = verifier.verify_at(&headers, b"{}", now).unwrap_err();
/// assert_eq!(err.kind(), WebhookErrorKind::BadSignature);
/// assert_eq!(err.status(), http::StatusCode::UNAUTHORIZED);
///
/// // An hour later the same delivery is stale: 401 as well.
/// let later = now + Duration::from_secs(3600);
/// let err = verifier.verify_at(&headers, body, later).unwrap_err();
/// assert_eq!(err.kind(), WebhookErrorKind::TooOld);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    scheme: Scheme,
    plan: Plan,
    keys: Box<[Key]>,
    tolerance: Option<Duration>,
    max_body: usize,
}

/// What a verified delivery carried besides its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery<'h> {
    timestamp: Option<u64>,
    id: Option<&'h str>,
}

impl<'h> Delivery<'h> {
    /// The signed timestamp, for schemes that sign one.
    #[must_use]
    pub fn timestamp(&self) -> Option<SystemTime> {
        self.timestamp
            .and_then(|t| UNIX_EPOCH.checked_add(Duration::from_secs(t)))
    }

    /// The signed timestamp in Unix seconds, for schemes that sign one.
    #[must_use]
    pub fn unix_timestamp(&self) -> Option<u64> {
        self.timestamp
    }

    /// The signed delivery id: Standard Webhooks' `webhook-id` (or
    /// `svix-id`). Other schemes sign no id (`None`); their delivery ids
    /// come from unsigned headers or from the payload.
    #[must_use]
    pub fn id(&self) -> Option<&'h str> {
        self.id
    }
}

impl Verifier {
    /// The time window used when none is set: 5 minutes.
    pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

    /// The body limit used when none is set: 1 MiB.
    pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

    /// A builder for a verifier of `scheme` (a [`Scheme`] or the
    /// [`HmacScheme`](super::HmacScheme) of [`Scheme::hmac_sha256`]).
    pub fn builder(scheme: impl Into<Scheme>) -> VerifierBuilder {
        VerifierBuilder {
            scheme: scheme.into(),
            secrets: Vec::new(),
            tolerance: None,
            max_body: Verifier::DEFAULT_MAX_BODY,
        }
    }

    /// Verifies a delivery against the system clock. See
    /// [`verify_at`](Verifier::verify_at).
    ///
    /// # Errors
    ///
    /// As [`verify_at`](Verifier::verify_at).
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// Verifies a delivery as if the time were `now`.
    ///
    /// In order: the body size (413), the headers the scheme needs (400),
    /// the signature (401), then the time window (401). The signature is
    /// checked before the time, so a forged delivery always reports
    /// `BadSignature` and only an authentic one can report `TooOld` or
    /// `TooNew`.
    ///
    /// # Errors
    ///
    /// A [`WebhookError`] whose [`kind`](WebhookError::kind) says why the
    /// delivery was rejected and whose [`status`](WebhookError::status) is
    /// the answer to send.
    pub fn verify_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        self.verify_delivery_at(headers, body, now).map(drop)
    }

    /// Verifies a delivery against the system clock and returns what it
    /// signed besides the body.
    ///
    /// # Errors
    ///
    /// As [`verify_at`](Verifier::verify_at).
    pub fn verify_delivery<'h>(
        &self,
        headers: &'h HeaderMap,
        body: &[u8],
    ) -> Result<Delivery<'h>, WebhookError> {
        self.verify_delivery_at(headers, body, SystemTime::now())
    }

    /// Verifies a delivery as if the time were `now` and returns what it
    /// signed besides the body: the timestamp and, for Standard Webhooks,
    /// the delivery id.
    ///
    /// # Errors
    ///
    /// As [`verify_at`](Verifier::verify_at).
    pub fn verify_delivery_at<'h>(
        &self,
        headers: &'h HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Delivery<'h>, WebhookError> {
        let inner = &*self.inner;
        if body.len() > inner.max_body {
            return Err(WebhookError::body_too_large(inner.max_body));
        }
        let mut candidates = Candidates::new();
        let parsed = inner.plan.parse(headers, &mut candidates)?;
        if !inner.matches(&parsed, candidates.as_slice(), body) {
            return Err(WebhookError::bad_signature());
        }
        let timestamp = parsed.timestamp.map(|(_, t)| t);
        if let (Some(t), Some(tolerance)) = (timestamp, inner.tolerance) {
            check_window(t, now, tolerance)?;
        }
        Ok(Delivery {
            timestamp,
            id: parsed.id,
        })
    }

    /// The scheme this verifier checks.
    #[must_use]
    pub fn scheme(&self) -> &Scheme {
        &self.inner.scheme
    }

    /// The time window, for schemes that sign a timestamp.
    #[must_use]
    pub fn tolerance(&self) -> Option<Duration> {
        self.inner.tolerance
    }

    /// The largest accepted body, in bytes.
    #[must_use]
    pub fn max_body(&self) -> usize {
        self.inner.max_body
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Verifier")
            .field("scheme", &inner.scheme)
            .field("secrets", &inner.keys.len())
            .field("tolerance", &inner.tolerance)
            .field("max_body", &inner.max_body)
            .finish()
    }
}

impl Inner {
    /// Whether any secret's MAC equals any candidate. One HMAC per secret,
    /// compared in constant time with every candidate.
    fn matches(&self, parsed: &Parsed<'_>, candidates: &[[u8; TAG_LEN]], body: &[u8]) -> bool {
        let ts = parsed.timestamp.map_or(&[][..], |(raw, _)| raw);
        let id = parsed.id.map_or(&[][..], str::as_bytes);
        // The signed content before the body.
        let parts: [&[u8]; 4] = match self.plan {
            Plan::Stripe { .. } => [ts, b".", b"", b""],
            Plan::Standard { .. } => [id, b".", ts, b"."],
            Plan::Slack { .. } => [b"v0:", ts, b":", b""],
            Plan::Generic {
                timestamp: Some(_), ..
            } => [ts, b".", b"", b""],
            Plan::Github { .. } | Plan::Shopify { .. } | Plan::Generic { .. } => [b""; 4],
        };
        // Gathered into one buffer when it fits (always, but for a Standard
        // Webhooks id longer than about 40 bytes): one `update`, not four.
        let mut buf = [0u8; 64];
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let gathered = buf.get_mut(..len).map(|out| {
            let mut at = 0;
            for part in parts {
                if let Some(dst) = out.get_mut(at..at + part.len()) {
                    dst.copy_from_slice(part);
                }
                at += part.len();
            }
            &*out
        });
        self.keys.iter().any(|key| {
            let mut mac = key.clone();
            match gathered {
                Some(prefix) => mac.update(prefix),
                None => parts.iter().for_each(|part| mac.update(part)),
            }
            mac.update(body);
            let tag: [u8; TAG_LEN] = mac.finalize().into_bytes().into();
            let found = candidates.iter().fold(Choice::from(0), |found, candidate| {
                found | tags_equal(&tag, candidate)
            });
            bool::from(found)
        })
    }
}

/// Constant-time equality of two tags: the XOR of every word is folded
/// without branches, and `subtle` makes the final comparison with zero.
fn tags_equal(a: &[u8; TAG_LEN], b: &[u8; TAG_LEN]) -> Choice {
    let diff = a
        .chunks_exact(8)
        .zip(b.chunks_exact(8))
        .fold(0u64, |diff, (x, y)| {
            let x = u64::from_ne_bytes(x.try_into().unwrap_or_default());
            let y = u64::from_ne_bytes(y.try_into().unwrap_or_default());
            diff | (x ^ y)
        });
    diff.ct_eq(&0)
}

/// |now - t| <= tolerance, compared at full precision: the edge is
/// accepted.
fn check_window(t: u64, now: SystemTime, tolerance: Duration) -> Result<(), WebhookError> {
    let Some(signed_at) = UNIX_EPOCH.checked_add(Duration::from_secs(t)) else {
        return Err(WebhookError::too_new());
    };
    match now.duration_since(signed_at) {
        Ok(age) if age > tolerance => Err(WebhookError::too_old()),
        Err(ahead) if ahead.duration() > tolerance => Err(WebhookError::too_new()),
        Ok(_) | Err(_) => Ok(()),
    }
}

/// The headers a scheme reads, resolved once at build time.
enum Plan {
    Stripe {
        signature: HeaderName,
    },
    Github {
        signature: HeaderName,
    },
    Shopify {
        signature: HeaderName,
    },
    Slack {
        signature: HeaderName,
        timestamp: HeaderName,
    },
    /// The `webhook-*` names, then the `svix-*` names.
    Standard {
        names: [StandardNames; 2],
    },
    Generic {
        signature: HeaderName,
        encoding: Encoding,
        prefix: Box<[u8]>,
        timestamp: Option<HeaderName>,
    },
}

struct StandardNames {
    id: HeaderName,
    timestamp: HeaderName,
    signature: HeaderName,
}

/// What the headers of one delivery sign besides the body (the candidate
/// signatures are written to a `Candidates` of the caller).
struct Parsed<'h> {
    /// The raw digits (signed as sent) and their value.
    timestamp: Option<(&'h [u8], u64)>,
    id: Option<&'h str>,
}

impl Plan {
    fn new(scheme: &Scheme) -> crate::Result<Plan> {
        Ok(match scheme {
            Scheme::Stripe => Plan::Stripe {
                signature: HeaderName::from_static("stripe-signature"),
            },
            Scheme::Github => Plan::Github {
                signature: HeaderName::from_static("x-hub-signature-256"),
            },
            Scheme::Shopify => Plan::Shopify {
                signature: HeaderName::from_static("x-shopify-hmac-sha256"),
            },
            Scheme::Slack => Plan::Slack {
                signature: HeaderName::from_static("x-slack-signature"),
                timestamp: HeaderName::from_static("x-slack-request-timestamp"),
            },
            Scheme::Standard => Plan::Standard {
                names: [
                    StandardNames {
                        id: HeaderName::from_static("webhook-id"),
                        timestamp: HeaderName::from_static("webhook-timestamp"),
                        signature: HeaderName::from_static("webhook-signature"),
                    },
                    StandardNames {
                        id: HeaderName::from_static("svix-id"),
                        timestamp: HeaderName::from_static("svix-timestamp"),
                        signature: HeaderName::from_static("svix-signature"),
                    },
                ],
            },
            Scheme::HmacSha256(generic) => Plan::Generic {
                signature: header_name(&generic.header, "signature")?,
                encoding: generic.encoding,
                prefix: generic.prefix.as_bytes().into(),
                timestamp: generic
                    .timestamp_header
                    .as_deref()
                    .map(|name| header_name(name, "timestamp"))
                    .transpose()?,
            },
        })
    }

    fn parse<'h>(
        &self,
        headers: &'h HeaderMap,
        out: &mut Candidates,
    ) -> Result<Parsed<'h>, WebhookError> {
        let mut parsed = Parsed {
            timestamp: None,
            id: None,
        };
        match self {
            Plan::Stripe { signature } => {
                let value = required(headers, signature)?;
                let timestamp = parse::stripe(value, out).map_err(|f| fault(f, signature))?;
                parsed.timestamp = Some(timestamp);
            }
            Plan::Github { signature } => {
                prefixed(headers, signature, b"sha256=", Encoding::Hex, out)?;
            }
            Plan::Shopify { signature } => {
                prefixed(headers, signature, b"", Encoding::Base64, out)?;
            }
            Plan::Slack {
                signature,
                timestamp,
            } => {
                prefixed(headers, signature, b"v0=", Encoding::Hex, out)?;
                parsed.timestamp = Some(timestamp_header(headers, timestamp)?);
            }
            Plan::Standard { names } => {
                let [primary, alternate] = names;
                let (names, value) = match optional(headers, &primary.signature)? {
                    Some(value) => (primary, value),
                    None => match optional(headers, &alternate.signature)? {
                        Some(value) => (alternate, value),
                        None => return Err(WebhookError::missing_header(&primary.signature)),
                    },
                };
                parse::standard(value, out).map_err(|f| fault(f, &names.signature))?;
                let id = parse::id(required(headers, &names.id)?)
                    .ok_or_else(|| WebhookError::malformed_header(&names.id))?;
                parsed.id = Some(id);
                parsed.timestamp = Some(timestamp_header(headers, &names.timestamp)?);
            }
            Plan::Generic {
                signature,
                encoding,
                prefix,
                timestamp,
            } => {
                prefixed(headers, signature, prefix, *encoding, out)?;
                if let Some(timestamp) = timestamp {
                    parsed.timestamp = Some(timestamp_header(headers, timestamp)?);
                }
            }
        }
        Ok(parsed)
    }
}

fn header_name(name: &str, what: &str) -> crate::Result<HeaderName> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        crate::Error::config(format!(
            "the webhook {what} header name {name:?} is not a valid header name"
        ))
    })
}

fn fault(fault: Fault, header: &HeaderName) -> WebhookError {
    match fault {
        Fault::Malformed => WebhookError::malformed_header(header),
        Fault::NoSupported => WebhookError::no_supported_signature(header),
    }
}

/// The one value of a header, if present. Repeated or over-long values are
/// malformed.
fn optional<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'h [u8]>, WebhookError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() || first.len() > MAX_HEADER_LEN {
        return Err(WebhookError::malformed_header(name));
    }
    Ok(Some(first.as_bytes()))
}

fn required<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Result<&'h [u8], WebhookError> {
    optional(headers, name)?.ok_or_else(|| WebhookError::missing_header(name))
}

fn timestamp_header<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
) -> Result<(&'h [u8], u64), WebhookError> {
    let raw = required(headers, name)?;
    let t = parse::timestamp(raw).ok_or_else(|| WebhookError::malformed_header(name))?;
    Ok((raw, t))
}

fn prefixed(
    headers: &HeaderMap,
    name: &HeaderName,
    prefix: &[u8],
    encoding: Encoding,
    out: &mut Candidates,
) -> Result<(), WebhookError> {
    let value = required(headers, name)?;
    parse::prefixed(value, prefix, encoding, out).map_err(|f| fault(f, name))
}

/// Builds a [`Verifier`]. Made by [`Verifier::builder`].
///
/// Setters never fail; [`build`](VerifierBuilder::build) reports every
/// misconfiguration as a `Config` [`Error`](crate::Error) whose message
/// never contains a secret.
#[must_use]
pub struct VerifierBuilder {
    scheme: Scheme,
    secrets: Vec<SecretString>,
    tolerance: Option<Duration>,
    max_body: usize,
}

impl VerifierBuilder {
    /// Adds an accepted secret. Call it once per secret: during a rotation,
    /// a delivery signed with any one of them verifies.
    ///
    /// Standard Webhooks secrets are `whsec_` followed by base64 and the key
    /// is the decoded bytes; every other scheme keys with the secret's UTF-8
    /// bytes as given (Stripe's `whsec_...` included).
    pub fn secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// The time window: a delivery is accepted when its signed timestamp is
    /// at most this far from now, in the past or in the future (default 5
    /// minutes). Only for schemes that sign a timestamp.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// The largest accepted body in bytes (default 1 MiB); a longer one is
    /// rejected with 413 before any MAC is computed.
    pub fn max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    /// Prepares the keys and returns the verifier.
    ///
    /// # Errors
    ///
    /// A `Config` error when no secret was given, a secret is empty, a
    /// Standard Webhooks secret is not `whsec_` followed by base64, a
    /// tolerance is set for a scheme that signs no timestamp (GitHub,
    /// Shopify, the generic form without a timestamp header) or is zero,
    /// `max_body` is zero, or a generic header name is invalid.
    pub fn build(self) -> crate::Result<Verifier> {
        let scheme = self.scheme;
        let name = scheme.name();
        if self.max_body == 0 {
            return Err(crate::Error::config("webhook `max_body` must not be zero"));
        }
        let tolerance = match (scheme.signs_timestamp(), self.tolerance) {
            (false, Some(_)) => {
                return Err(crate::Error::config(format!(
                    "webhook `tolerance` does not apply to the {name} scheme, which signs no timestamp"
                )));
            }
            (false, None) => None,
            (true, Some(Duration::ZERO)) => {
                return Err(crate::Error::config(
                    "webhook `tolerance` must be greater than zero",
                ));
            }
            (true, tolerance) => Some(tolerance.unwrap_or(Verifier::DEFAULT_TOLERANCE)),
        };
        let plan = Plan::new(&scheme)?;
        if self.secrets.is_empty() {
            return Err(crate::Error::config(format!(
                "the {name} webhook verifier needs at least one secret"
            )));
        }
        let keys = self
            .secrets
            .iter()
            .enumerate()
            .map(|(index, secret)| prepare_key(&scheme, secret.expose_secret(), index))
            .collect::<crate::Result<Box<[Key]>>>()?;
        Ok(Verifier {
            inner: Arc::new(Inner {
                scheme,
                plan,
                keys,
                tolerance,
                max_body: self.max_body,
            }),
        })
    }
}

/// The keyed HMAC state for one secret. Error messages say which secret
/// (by position), never what it is.
fn prepare_key(scheme: &Scheme, secret: &str, index: usize) -> crate::Result<Key> {
    let position = index + 1;
    if secret.is_empty() {
        return Err(crate::Error::config(format!(
            "webhook secret #{position} is empty"
        )));
    }
    let key = match scheme {
        Scheme::Standard => {
            let encoded = secret.strip_prefix("whsec_").ok_or_else(|| {
                crate::Error::config(format!(
                    "webhook secret #{position} is not a Standard Webhooks secret (`whsec_` followed by base64)"
                ))
            })?;
            let decoded = parse::BASE64
                .decode(encoded)
                .ok()
                .filter(|key| !key.is_empty())
                .ok_or_else(|| {
                    crate::Error::config(format!(
                        "webhook secret #{position} is not `whsec_` followed by valid, non-empty base64"
                    ))
                })?;
            Key::new_from_slice(SecretSlice::from(decoded).expose_secret())
        }
        _ => Key::new_from_slice(secret.as_bytes()),
    };
    key.map_err(|_| crate::Error::config(format!("webhook secret #{position} is not a usable key")))
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("scheme", &self.scheme)
            .field("secrets", &self.secrets.len())
            .field("tolerance", &self.tolerance)
            .field("max_body", &self.max_body)
            .finish()
    }
}

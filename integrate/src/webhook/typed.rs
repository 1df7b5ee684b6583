//! The typed layer: an event type's declaration ([`Webhook`]), its
//! verifier ([`WebhookVerifier`]) and the verified event ([`Verified`]).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName};
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use super::error::WebhookError;
use super::field::field_as_id;
use super::scheme::Scheme;
use super::verifier::{Delivery, Verifier};

/// A type a webhook payload can be decoded into: implemented for every
/// `DeserializeOwned + Send + 'static` type. The supertrait of
/// [`Webhook`], so that a `#[webhook]` type without `Deserialize` is
/// reported with a message that says what to add.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `serde::Deserialize`, which a `#[webhook]` event type needs",
    label = "the verified payload is decoded into this type",
    note = "add `#[derive(serde::Deserialize)]` below `#[webhook(..)]`"
)]
pub trait WebhookPayload: DeserializeOwned + Send + 'static {}

impl<T: DeserializeOwned + Send + 'static> WebhookPayload for T {}

/// An event type whose deliveries are verified by a [`WebhookVerifier`]:
/// its [`declaration`](Webhook::declaration), and a payload decoded as
/// JSON into `Self` after the signature is verified (the supertrait
/// [`WebhookPayload`] is `serde::de::DeserializeOwned + Send + 'static`).
///
/// Implemented for every type that implements [`DeclareWebhook`] (which
/// `#[webhook(..)]` implements) and decodes from JSON.
pub trait Webhook: WebhookPayload {
    /// What the attribute declared: the defaults of
    /// [`WebhookVerifier::builder`].
    fn declaration() -> WebhookDeclaration;
}

/// The declaration of an event type; `#[webhook(..)]` implements it from
/// the attribute's keys. Every declared type that decodes from JSON is a
/// [`Webhook`]; implement this trait to declare a type by hand.
pub trait DeclareWebhook {
    /// The scheme, secret variables, limits and delivery id source.
    fn declaration() -> WebhookDeclaration;
}

impl<T: DeclareWebhook + WebhookPayload> Webhook for T {
    fn declaration() -> WebhookDeclaration {
        <T as DeclareWebhook>::declaration()
    }
}

/// The whole-body read deadline when none is set: 10 seconds.
pub(crate) const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a delivery's id (the key of deduplication) is read.
///
/// What deduplication on it stops depends on whether the signature covers
/// it ([`is_signed`](DeliveryId::is_signed)): a signed id (Standard
/// Webhooks' `webhook-id`, a payload field) cannot be changed without
/// breaking the signature, so a replayed delivery is a duplicate; an
/// unsigned header (GitHub's, Shopify's) stops the provider's own
/// redeliveries, but a replay with a new id is processed again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryId {
    /// A request header, e.g. `X-GitHub-Delivery`, matched
    /// case-insensitively; a value that is empty, repeated, longer than
    /// [`MAX_LEN`](DeliveryId::MAX_LEN) or not visible ASCII is a 400. For
    /// Standard Webhooks only `webhook-id` and `svix-id` are allowed and
    /// both mean the signed id of the header family that verified.
    Header(&'static str),
    /// A top-level field of the JSON payload, e.g. `id`; a string, or a
    /// number written as its decimal text (other values are no id). A
    /// string longer than [`MAX_LEN`](DeliveryId::MAX_LEN) or with control
    /// characters is a 400.
    Field(&'static str),
}

impl DeliveryId {
    /// The longest accepted delivery id, in bytes; a longer one is
    /// rejected with 400 ([`InvalidDeliveryId`](super::WebhookErrorKind::InvalidDeliveryId)).
    pub const MAX_LEN: usize = 256;

    /// The provider's own delivery id for `scheme`: the signed id for
    /// Standard Webhooks (`webhook-id`, or `svix-id` when the `svix-*`
    /// names were verified), `X-GitHub-Delivery`, `X-Shopify-Webhook-Id`
    /// (both unsigned; Shopify documents `X-Shopify-Event-Id` as the header
    /// that repeats on duplicates, so declare that one for Shopify), the
    /// payload's `id` (Stripe) or `event_id` (Slack), both signed with the
    /// body; none for the generic form.
    #[must_use]
    pub fn default_for(scheme: &Scheme) -> Option<DeliveryId> {
        match scheme {
            Scheme::Standard => Some(DeliveryId::Header("webhook-id")),
            Scheme::Github => Some(DeliveryId::Header("x-github-delivery")),
            Scheme::Shopify => Some(DeliveryId::Header("x-shopify-webhook-id")),
            Scheme::Stripe => Some(DeliveryId::Field("id")),
            Scheme::Slack => Some(DeliveryId::Field("event_id")),
            Scheme::HmacSha256(_) => None,
        }
    }

    /// Whether the id read from this source is covered by the signature
    /// for `scheme`: a payload field always is (the body is signed), a
    /// header only Standard Webhooks' signed id.
    #[must_use]
    pub fn is_signed(&self, scheme: &Scheme) -> bool {
        match self {
            DeliveryId::Field(_) => true,
            DeliveryId::Header(name) => matches!(scheme, Scheme::Standard) && is_standard_id(name),
        }
    }

    /// Resolves the source once, at build time.
    fn resolve(&self, scheme: &Scheme, event: &str) -> crate::Result<IdSource> {
        match self {
            DeliveryId::Header(name) if matches!(scheme, Scheme::Standard) => {
                if is_standard_id(name) {
                    Ok(IdSource::Signed)
                } else {
                    Err(crate::Error::config(format!(
                        "the delivery id of `{event}` is read from the unsigned header `{name}`: Standard Webhooks signs its id, so use `webhook-id` (the default, the signed `webhook-id` or `svix-id`) or a payload field; an unsigned id lets a replay with a new id run again"
                    )))
                }
            }
            DeliveryId::Header(name) => HeaderName::from_bytes(name.as_bytes())
                .map(IdSource::Header)
                .map_err(|_| {
                    crate::Error::config(format!(
                        "the delivery id header of `{event}`, {name:?}, is not a valid header name"
                    ))
                }),
            DeliveryId::Field(name) => Ok(IdSource::Field(name)),
        }
    }
}

/// `webhook-id` or `svix-id`, any case.
fn is_standard_id(name: &str) -> bool {
    name.eq_ignore_ascii_case("webhook-id") || name.eq_ignore_ascii_case("svix-id")
}

/// Whether `id` can be a delivery id: not empty, at most
/// [`DeliveryId::MAX_LEN`] bytes, no control characters.
pub(crate) fn usable_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= DeliveryId::MAX_LEN && !id.chars().any(char::is_control)
}

/// Where a verifier reads the id, resolved at build time.
#[derive(Debug, Clone)]
enum IdSource {
    /// Standard Webhooks' signed id, from the verified family.
    Signed,
    /// An unsigned header.
    Header(HeaderName),
    /// A top-level payload field (signed with the body).
    Field(&'static str),
}

impl IdSource {
    /// The id of a verified delivery: `Ok(None)` when it carries none, a
    /// 400 when it carries an unusable one.
    fn read(
        &self,
        delivery: &Delivery<'_>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Option<String>, WebhookError> {
        match self {
            IdSource::Signed => match delivery.id() {
                Some(id) if usable_id(id) => Ok(Some(id.to_owned())),
                Some(_) => {
                    let name = if headers.contains_key("webhook-signature") {
                        "webhook-id"
                    } else {
                        "svix-id"
                    };
                    Err(WebhookError::invalid_delivery_id_in(
                        &HeaderName::from_static(name),
                    ))
                }
                None => Ok(None),
            },
            IdSource::Header(name) => {
                let mut values = headers.get_all(name).iter();
                let Some(value) = values.next() else {
                    return Ok(None);
                };
                let id = value
                    .to_str()
                    .ok()
                    .filter(|id| values.next().is_none() && usable_id(id))
                    .ok_or_else(|| WebhookError::invalid_delivery_id_in(name))?;
                Ok(Some(id.to_owned()))
            }
            IdSource::Field(name) => match field_as_id(body, name) {
                Some(id) if usable_id(&id) => Ok(Some(id)),
                Some(_) => Err(WebhookError::invalid_delivery_id()),
                None => Ok(None),
            },
        }
    }
}

/// The declaration of an event type: what `#[webhook(..)]` wrote.
///
/// Built with [`WebhookDeclaration::new`] and its setters; the generated
/// code and hand-written [`Webhook`] implementations use the same calls.
#[derive(Debug, Clone)]
#[must_use]
pub struct WebhookDeclaration {
    scheme: Scheme,
    secret_env: &'static [&'static str],
    tolerance: Option<Duration>,
    max_body: usize,
    delivery_id: Option<DeliveryId>,
}

impl WebhookDeclaration {
    /// A declaration for `scheme`, with no secret variable, the default
    /// tolerance and body limit, and the scheme's default delivery id
    /// ([`DeliveryId::default_for`]).
    pub fn new(scheme: impl Into<Scheme>) -> Self {
        let scheme = scheme.into();
        let delivery_id = DeliveryId::default_for(&scheme);
        WebhookDeclaration {
            scheme,
            secret_env: &[],
            tolerance: None,
            max_body: Verifier::DEFAULT_MAX_BODY,
            delivery_id,
        }
    }

    /// The environment variables holding the secrets, current first.
    pub fn secret_env(mut self, names: &'static [&'static str]) -> Self {
        self.secret_env = names;
        self
    }

    /// The time window (schemes that sign a timestamp only).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// The largest accepted body, in bytes.
    pub fn max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    /// Where the delivery id is read.
    pub fn delivery_id(mut self, delivery_id: DeliveryId) -> Self {
        self.delivery_id = Some(delivery_id);
        self
    }

    /// The scheme.
    #[must_use]
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The environment variables holding the secrets.
    #[must_use]
    pub fn secret_env_names(&self) -> &'static [&'static str] {
        self.secret_env
    }

    /// Where the delivery id is read, if anywhere.
    #[must_use]
    pub fn delivery_id_source(&self) -> Option<&DeliveryId> {
        self.delivery_id.as_ref()
    }
}

/// A verified, decoded delivery: the event and its delivery id.
///
/// Returned by [`WebhookVerifier::verify`] and, with the `axum` feature,
/// an extractor: a handler taking `Verified<E>` runs only for deliveries
/// whose signature, time window and size were checked and whose payload
/// decoded into `E`. It dereferences to the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<E> {
    event: E,
    delivery_id: Option<String>,
}

impl<E> Verified<E> {
    /// The event.
    #[must_use]
    pub fn event(&self) -> &E {
        &self.event
    }

    /// The event, by value.
    #[must_use]
    pub fn into_event(self) -> E {
        self.event
    }

    /// The delivery id, from the declared source (see [`DeliveryId`]);
    /// `None` when the scheme has none or the delivery carries none.
    #[must_use]
    pub fn delivery_id(&self) -> Option<&str> {
        self.delivery_id.as_deref()
    }

    /// The event and the delivery id.
    #[must_use]
    pub fn into_parts(self) -> (E, Option<String>) {
        (self.event, self.delivery_id)
    }
}

impl<E> std::ops::Deref for Verified<E> {
    type Target = E;

    fn deref(&self) -> &E {
        &self.event
    }
}

/// The verifier of the event type `E`: checks a delivery with the
/// [`Verifier`] of `E`'s scheme and secrets, then decodes its payload into
/// `E` and reads its delivery id.
///
/// Cheap to clone (`Arc` inside); `Debug` never shows a secret. Keep one in
/// the axum state for [`Verified<E>`] to extract.
pub struct WebhookVerifier<E> {
    inner: Arc<Inner>,
    event: PhantomData<fn() -> E>,
}

struct Inner {
    verifier: Verifier,
    delivery_id: Option<DeliveryId>,
    id_source: Option<IdSource>,
    body_timeout: Duration,
}

impl<E> Clone for WebhookVerifier<E> {
    fn clone(&self) -> Self {
        WebhookVerifier {
            inner: Arc::clone(&self.inner),
            event: PhantomData,
        }
    }
}

impl<E> fmt::Debug for WebhookVerifier<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("event", &std::any::type_name::<E>())
            .field("verifier", &self.inner.verifier)
            .field("delivery_id", &self.inner.delivery_id)
            .field("body_timeout", &self.inner.body_timeout)
            .finish()
    }
}

impl<E: Webhook> WebhookVerifier<E> {
    /// The verifier as declared, with the secrets read from the process
    /// environment.
    ///
    /// # Errors
    ///
    /// As [`WebhookVerifierBuilder::build`].
    pub fn from_env() -> crate::Result<Self> {
        Self::builder().build()
    }

    /// A builder whose defaults are `E`'s declaration.
    pub fn builder() -> WebhookVerifierBuilder<E> {
        let declaration = E::declaration();
        WebhookVerifierBuilder {
            declaration,
            env: Box::new(|name| std::env::var(name).ok()),
            secrets: Vec::new(),
            tolerance: None,
            max_body: None,
            body_timeout: None,
            event: PhantomData,
        }
    }

    /// Verifies a delivery against the system clock. See
    /// [`verify_at`](WebhookVerifier::verify_at).
    ///
    /// # Errors
    ///
    /// As [`verify_at`](WebhookVerifier::verify_at).
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<Verified<E>, WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// Verifies a delivery as if the time were `now`, then decodes it.
    ///
    /// In order: the raw bytes are verified ([`Verifier::verify_at`]: size,
    /// headers, signature, time window); the payload is decoded as JSON
    /// into `E`; the delivery id is read (for Standard Webhooks, the signed
    /// id of the verified header family, never another header).
    ///
    /// # Errors
    ///
    /// The verifier's [`WebhookError`]s, an
    /// [`InvalidPayload`](super::WebhookErrorKind::InvalidPayload) error
    /// (400) when an authentic payload does not decode into `E`, and an
    /// [`InvalidDeliveryId`](super::WebhookErrorKind::InvalidDeliveryId)
    /// error (400) when the delivery carries an id that is longer than
    /// [`DeliveryId::MAX_LEN`] bytes, empty, repeated or not visible text.
    pub fn verify_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified<E>, WebhookError> {
        let inner = &*self.inner;
        let delivery = inner.verifier.verify_delivery_at(headers, body, now)?;
        let event: E = serde_json::from_slice(body).map_err(WebhookError::invalid_payload)?;
        let delivery_id = match &inner.id_source {
            Some(source) => source.read(&delivery, headers, body)?,
            None => None,
        };
        Ok(Verified { event, delivery_id })
    }

    /// The untyped verifier inside.
    #[must_use]
    pub fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    /// The largest accepted body, in bytes.
    #[must_use]
    pub fn max_body(&self) -> usize {
        self.inner.verifier.max_body()
    }

    /// Where the delivery id is read, if anywhere.
    #[must_use]
    pub fn delivery_id_source(&self) -> Option<&DeliveryId> {
        self.inner.delivery_id.as_ref()
    }

    /// The whole-body read deadline of the [`Verified<E>`] extractor.
    #[must_use]
    pub fn body_timeout(&self) -> Duration {
        self.inner.body_timeout
    }
}

/// A source of environment variables.
type EnvSource = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Builds a [`WebhookVerifier`]. Made by [`WebhookVerifier::builder`].
///
/// Setters never fail; [`build`](WebhookVerifierBuilder::build) reports
/// every misconfiguration as a `Config` error.
#[must_use]
pub struct WebhookVerifierBuilder<E> {
    declaration: WebhookDeclaration,
    env: EnvSource,
    secrets: Vec<SecretString>,
    tolerance: Option<Duration>,
    max_body: Option<usize>,
    body_timeout: Option<Duration>,
    event: PhantomData<fn() -> E>,
}

impl<E: Webhook> WebhookVerifierBuilder<E> {
    /// Where the declared secret variables are read (default: the process
    /// environment). Tests pass a closure over a map instead.
    pub fn env(mut self, source: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env = Box::new(source);
        self
    }

    /// Adds an accepted secret. Secrets given this way replace the declared
    /// environment variables, which are then not read; call it once per
    /// secret during a rotation.
    pub fn secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Overrides the declared time window.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Overrides the declared body limit, in bytes.
    pub fn max_body(mut self, max_body: usize) -> Self {
        self.max_body = Some(max_body);
        self
    }

    /// The deadline for reading a whole body in the [`Verified<E>`]
    /// extractor (default 10 s): a body still arriving then is answered
    /// 408 and its connection closed, so a sender dripping bytes cannot
    /// hold it. [`Receiver`](super::Receiver)s built from this verifier
    /// start with the same deadline.
    pub fn body_timeout(mut self, body_timeout: Duration) -> Self {
        self.body_timeout = Some(body_timeout);
        self
    }

    /// Reads the secrets and builds the verifier.
    ///
    /// Without `.secret(..)`, the declared variables are read: the first
    /// one must be set and not empty; the following ones (previous secrets
    /// during a rotation) are used when set and not empty.
    ///
    /// # Errors
    ///
    /// A `Config` error naming the variable when the first secret variable
    /// is missing or empty, when the declaration names none and no
    /// `.secret(..)` was given, when a Standard Webhooks declaration reads
    /// its delivery id from a header other than its signed `webhook-id` /
    /// `svix-id`, when `body_timeout` is zero, and every error of
    /// [`VerifierBuilder::build`](super::VerifierBuilder::build).
    pub fn build(self) -> crate::Result<WebhookVerifier<E>> {
        let WebhookVerifierBuilder {
            declaration,
            env,
            mut secrets,
            tolerance,
            max_body,
            body_timeout,
            event: _,
        } = self;
        let name = std::any::type_name::<E>();
        let body_timeout = body_timeout.unwrap_or(DEFAULT_BODY_TIMEOUT);
        if body_timeout.is_zero() {
            return Err(crate::Error::config(format!(
                "the webhook verifier of `{name}`: `body_timeout` must not be zero"
            )));
        }
        let id_source = declaration
            .delivery_id
            .as_ref()
            .map(|source| source.resolve(&declaration.scheme, name))
            .transpose()?;
        if secrets.is_empty() {
            let Some((first, rest)) = declaration.secret_env.split_first() else {
                return Err(crate::Error::config(format!(
                    "the webhook verifier of `{name}` has no secret: declare `secret_env` or call `.secret(..)`"
                )));
            };
            match env(first).filter(|v| !v.is_empty()) {
                Some(secret) => secrets.push(secret.into()),
                None => {
                    return Err(crate::Error::config(format!(
                        "environment variable `{first}` (the webhook secret of `{name}`) is not set"
                    )));
                }
            }
            secrets.extend(
                rest.iter()
                    .filter_map(|var| env(var).filter(|v| !v.is_empty()))
                    .map(SecretString::from),
            );
        }
        let mut builder = Verifier::builder(declaration.scheme)
            .max_body(max_body.unwrap_or(declaration.max_body));
        if let Some(tolerance) = tolerance.or(declaration.tolerance) {
            builder = builder.tolerance(tolerance);
        }
        for secret in secrets {
            builder = builder.secret(secret);
        }
        Ok(WebhookVerifier {
            inner: Arc::new(Inner {
                verifier: builder.build()?,
                delivery_id: declaration.delivery_id,
                id_source,
                body_timeout,
            }),
            event: PhantomData,
        })
    }
}

impl<E> fmt::Debug for WebhookVerifierBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifierBuilder")
            .field("declaration", &self.declaration)
            .field("secrets", &self.secrets.len())
            .field("tolerance", &self.tolerance)
            .field("max_body", &self.max_body)
            .field("body_timeout", &self.body_timeout)
            .finish_non_exhaustive()
    }
}

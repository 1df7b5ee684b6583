//! Items used by the code `#[integration]` generates. Not a public API:
//! names here may change in any release.

use std::future::Future;

use bytes::Bytes;

pub use crate::auth::Auth;
pub use crate::call::Call;
pub use crate::client::{Client, ClientBuilder, DecodeBody, Response};
pub use crate::resilience::circuit::CircuitBreakerPolicy;
pub use crate::resilience::rate_limit::RateLimit;
pub use crate::resilience::retry::{Jitter, RetryOverride, RetryPolicy};
pub use crate::resilience::timeout::{TimeoutOverride, Timeouts};
pub use crate::{Error, Result};
pub use http::Method;
pub use serde;
pub use std::time::Duration;

pub use crate::time::clock_reads;

/// What an `#[integration]` trait declares: the defaults of its builder.
#[derive(Debug, Clone)]
pub struct Declaration {
    /// The trait's name, e.g. `"Payments"`.
    pub name: &'static str,
    /// The environment prefix, e.g. `"PAYMENTS"` (`<PREFIX>_BASE_URL`).
    pub env_prefix: Option<&'static str>,
    /// The declared base URL.
    pub base_url: Option<&'static str>,
    /// The declared auth.
    pub auth: Auth,
    /// The declared retry policy.
    pub retry: RetryPolicy,
    /// The declared timeouts.
    pub timeouts: Timeouts,
    /// The declared circuit breaker.
    pub circuit_breaker: CircuitBreakerPolicy,
    /// The declared client-wide rate limit.
    pub rate_limit: Option<RateLimit>,
    /// Per-method rate limits; a call names its limiter by index.
    pub method_limits: Vec<RateLimit>,
}

impl Declaration {
    /// A declaration with integrate's defaults.
    #[must_use]
    pub fn new(name: &'static str) -> Self {
        Declaration {
            name,
            env_prefix: None,
            base_url: None,
            auth: Auth::none(),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            circuit_breaker: CircuitBreakerPolicy::default(),
            rate_limit: None,
            method_limits: Vec::new(),
        }
    }
}

/// Implemented by every client a builder can build.
pub trait Integration: Sized {
    /// The declaration whose values are the builder's defaults.
    fn declaration() -> Declaration;
    /// Wraps the built runtime client.
    fn from_client(client: Client) -> Self;
}

impl Integration for Client {
    fn declaration() -> Declaration {
        Declaration::new("integrate")
    }
    fn from_client(client: Client) -> Self {
        client
    }
}

/// A decoder: a 2xx response into the return value.
pub type Decoder<T> = fn(Response<Bytes>) -> Result<T>;

/// Runs `call` on `client` and decodes the result.
pub fn run<T>(
    client: &Client,
    call: Call,
    decode: Decoder<T>,
) -> impl Future<Output = Result<T>> + Send + 'static
where
    T: Send + 'static,
{
    let operation = call.operation;
    let response = client.execute(call);
    async move {
        decode(response.await?).map_err(|mut e| {
            e.set_operation(operation);
            e
        })
    }
}

/// A return type an `#[integration]` method may declare (inside
/// `integrate::Result<..>`), with its decoder: `Response<T>` keeps the head
/// and decodes its `T`; any other type goes through [`DecodeBody`].
///
/// The generated code names the user's type in `decoder::<T>()` with the
/// span of that type, so a type that cannot be decoded is reported there.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the return type of an `#[integration]` method",
    label = "not decodable: derive `serde::Deserialize` for it (for `T` in `Response<T>`)",
    note = "a method returns `integrate::Result<T>` where `T` is `()`, `String`, `integrate::Bytes`, `integrate::Response<U>` or a type deriving `serde::Deserialize`"
)]
pub trait ReturnType: Sized {
    /// The decoder of this return type.
    fn decoder() -> Decoder<Self>;
}

impl<T: DecodeBody> ReturnType for T {
    fn decoder() -> Decoder<T> {
        |response| response.decode::<T>().map(Response::into_body)
    }
}

impl<T: DecodeBody> ReturnType for Response<T> {
    fn decoder() -> Decoder<Response<T>> {
        Response::decode::<T>
    }
}

/// The decoder of the return type `T`.
#[must_use]
pub fn decoder<T: ReturnType>() -> Decoder<T> {
    T::decoder()
}

/// A value sent as a path segment, a query value, a header value or an
/// idempotency key (one serialiser for all four: see [`Call::query`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a path, query or header value",
    label = "this type must implement `serde::Serialize`",
    note = "such values are strings, numbers, bools, unit enum variants, or `Option`s and sequences of those; derive `serde::Serialize` for your own types"
)]
pub trait WireValue: serde::Serialize {}

impl<T: serde::Serialize + ?Sized> WireValue for T {}

/// A value sent as a JSON or form-urlencoded body.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a request body",
    label = "this type must implement `serde::Serialize`",
    note = "derive it with `#[derive(serde::Serialize)]`"
)]
pub trait BodyValue: serde::Serialize {}

impl<T: serde::Serialize + ?Sized> BodyValue for T {}

/// [`Call::path`] with the bound checked as [`WireValue`], so a type that
/// cannot be sent is reported with integrate's message.
pub fn path<T: WireValue + ?Sized>(call: Call, name: &'static str, value: &T) -> Call {
    call.path(name, value)
}

/// [`Call::query`], checked as [`WireValue`].
pub fn query<T: WireValue + ?Sized>(call: Call, name: &'static str, value: &T) -> Call {
    call.query(name, value)
}

/// [`Call::header`], checked as [`WireValue`].
pub fn header<T: WireValue + ?Sized>(call: Call, name: &'static str, value: &T) -> Call {
    call.header(name, value)
}

/// [`Call::idempotency_key`], checked as [`WireValue`].
pub fn idempotency_key<T: WireValue + ?Sized>(call: Call, value: &T) -> Call {
    call.idempotency_key(value)
}

/// [`Call::json`], checked as [`BodyValue`].
pub fn json<T: BodyValue + ?Sized>(call: Call, value: &T) -> Call {
    call.json(value)
}

/// [`Call::form`], checked as [`BodyValue`].
pub fn form<T: BodyValue + ?Sized>(call: Call, value: &T) -> Call {
    call.form(value)
}

/// Items used by the code `#[webhook]` generates.
pub mod webhook {
    pub use crate::webhook::{DeclareWebhook, DeliveryId, Encoding, Scheme, WebhookDeclaration};

    /// A type `#[webhook]` can be put on: one that decodes from JSON.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` does not implement `serde::Deserialize`, which a `#[webhook]` event type needs",
        label = "the verified payload is decoded into this type",
        note = "add `#[derive(serde::Deserialize)]` below `#[webhook(..)]`"
    )]
    pub trait EventType: crate::webhook::WebhookPayload {}

    impl<T: crate::webhook::WebhookPayload> EventType for T {}

    /// Checks at compile time that `T` can be a webhook event type.
    pub const fn event_type<T: EventType>() {}
}

/// Entry points for the fuzz targets under `fuzz/`: the parsers and
/// encoders that take untrusted input, reached without a network.
pub mod fuzzing {
    use std::time::{Duration, SystemTime};

    use crate::{Call, Client, Result};

    /// `Retry-After` as the pipeline parses it, relative to `now`.
    #[must_use]
    pub fn parse_retry_after(value: &[u8], now: SystemTime) -> Option<Duration> {
        let mut headers = http::HeaderMap::new();
        let value = http::HeaderValue::from_bytes(value).ok()?;
        headers.insert(http::header::RETRY_AFTER, value);
        crate::resilience::retry::parse_retry_after(&headers, now)
    }

    /// Two clients on one base URL: one sends through the default reqwest
    /// transport (a `reqwest::Url` per call), one through a custom
    /// transport (an `http::Uri` per call).
    pub struct Targets {
        reqwest: Client,
        custom: Client,
    }

    struct Never;

    impl crate::Transport for Never {
        fn send(
            &self,
            _request: http::Request<bytes::Bytes>,
        ) -> crate::transport::BoxFuture<
            '_,
            std::result::Result<http::Response<bytes::Bytes>, crate::TransportError>,
        > {
            Box::pin(std::future::pending())
        }
    }

    impl Targets {
        /// Both clients on `base_url`.
        pub fn new(base_url: &str) -> Result<Targets> {
            Ok(Targets {
                reqwest: Client::builder().base_url(base_url).build()?,
                custom: Client::builder()
                    .base_url(base_url)
                    .transport(Never)
                    .build()?,
            })
        }

        /// The request target (path and query) each client would send for
        /// `call`, built by `make` twice: `[reqwest path, custom path]`.
        pub fn request_targets(&self, make: impl Fn() -> Call) -> Result<[String; 2]> {
            Ok([
                self.reqwest.inner.request_target(make())?,
                self.custom.inner.request_target(make())?,
            ])
        }
    }
}

/// The webhook header and delivery-id parsers, for the fuzz targets in
/// `fuzz/` (they see the crate from outside).
pub mod webhook_parse {
    use crate::webhook::Encoding;
    use crate::webhook::parse::{self, Candidates, Fault as ParseFault};

    /// Why a header was refused.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Fault {
        /// Unusable: answered 400.
        Malformed,
        /// Well formed without a supported signature: answered 401.
        NoSupported,
    }

    fn fault(f: ParseFault) -> Fault {
        match f {
            ParseFault::Malformed => Fault::Malformed,
            ParseFault::NoSupported => Fault::NoSupported,
        }
    }

    /// `Stripe-Signature`: the raw `t` digits, their value and the number
    /// of `v1` candidates.
    ///
    /// # Errors
    ///
    /// The parser's refusal.
    pub fn stripe(value: &[u8]) -> Result<(&[u8], u64, usize), Fault> {
        let mut out = Candidates::new();
        let (raw, t) = parse::stripe(value, &mut out).map_err(fault)?;
        Ok((raw, t, out.as_slice().len()))
    }

    /// `webhook-signature`: the number of `v1` candidates.
    ///
    /// # Errors
    ///
    /// The parser's refusal.
    pub fn standard(value: &[u8]) -> Result<usize, Fault> {
        let mut out = Candidates::new();
        parse::standard(value, &mut out).map_err(fault)?;
        Ok(out.as_slice().len())
    }

    /// One signature after `prefix` (GitHub, Shopify, Slack, the generic
    /// form): the decoded tag.
    ///
    /// # Errors
    ///
    /// The parser's refusal.
    pub fn prefixed(value: &[u8], prefix: &[u8], base64: bool) -> Result<[u8; 32], Fault> {
        let encoding = if base64 {
            Encoding::Base64
        } else {
            Encoding::Hex
        };
        let mut out = Candidates::new();
        parse::prefixed(value, prefix, encoding, &mut out).map_err(fault)?;
        out.as_slice().first().copied().ok_or(Fault::Malformed)
    }

    /// A signed Unix timestamp header.
    #[must_use]
    pub fn timestamp(raw: &[u8]) -> Option<u64> {
        parse::timestamp(raw)
    }

    /// Standard Webhooks' signed `webhook-id`.
    #[must_use]
    pub fn signed_id(raw: &[u8]) -> Option<&str> {
        parse::id(raw)
    }

    /// A top-level payload field read as a delivery id.
    #[must_use]
    pub fn field_id(body: &[u8], name: &str) -> Option<String> {
        crate::webhook::field::field_as_id(body, name)
    }

    /// Whether a delivery id is usable (length, emptiness, control
    /// characters).
    #[must_use]
    pub fn usable_id(id: &str) -> bool {
        crate::webhook::typed::usable_id(id)
    }
}

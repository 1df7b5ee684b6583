//! The client: configuration shared by every call, and the call pipeline.

mod builder;
mod execute;
mod response;

use std::fmt;
use std::sync::Arc;

pub use builder::{ClientBuilder, DEFAULT_MAX_RETRY_AFTER};
pub(crate) use execute::UrlBase;
pub use response::{DecodeBody, Response};

use crate::auth::ResolvedAuth;
use crate::resilience::circuit::{CircuitBreaker, CircuitState};
use crate::resilience::rate_limit::{RateLimiter, Suspension};
use crate::resilience::retry::RetryPolicy;
use crate::resilience::timeout::Timeouts;
use crate::transport::{ReqwestTransport, Transport};

/// A configured client: base URL, credentials, policies and transport.
///
/// Cheap to clone (an `Arc` inside); clones share the circuit breaker and
/// the rate limiter. Generated `<Trait>Client`s wrap one. `Debug` never
/// shows credentials.
///
/// ```no_run
/// use integrate::{Call, Client, Method};
///
/// # async fn run() -> integrate::Result<()> {
/// let client = Client::builder().base_url("https://api.example.com/v1").build()?;
/// let response = client
///     .execute(Call::new(Method::GET, "/customers/{id}").path("id", "cus_42"))
///     .await?;
/// let customer: serde_json::Value = response.json()?;
/// # let _ = customer;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) integration: &'static str,
    pub(crate) base_url: String,
    pub(crate) server_address: String,
    pub(crate) auth: ResolvedAuth,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    pub(crate) transport: Sender,
    /// The parsed base URL when calls go to the reqwest transport without
    /// a request signer (they are built as `reqwest::Request`s); `None`
    /// when they are built as `http::Request`s.
    pub(crate) url_base: Option<UrlBase>,
    pub(crate) breaker: CircuitBreaker,
    pub(crate) limiter: Option<RateLimiter>,
    /// Per-method limiters, indexed by `Call::method_limiter`.
    pub(crate) method_limiters: Vec<RateLimiter>,
    /// The client-wide pause after a 429 (or 403) with `Retry-After`.
    pub(crate) suspension: Suspension,
    /// The longest wait or pause a `Retry-After` may start.
    pub(crate) max_retry_after: std::time::Duration,
}

/// The transport of a client. The default reqwest transport is called
/// directly, so its future lives inside the call's future instead of in a
/// box of its own per attempt; any other goes through `dyn Transport`.
pub(crate) enum Sender {
    Reqwest(ReqwestTransport),
    Custom(Arc<dyn Transport>),
}

impl Client {
    /// A builder with integrate's defaults; `base_url` must be set.
    pub fn builder() -> ClientBuilder<Client> {
        ClientBuilder::new()
    }

    /// The base URL every path is appended to.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The retry policy in force.
    #[must_use]
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// The timeouts in force.
    #[must_use]
    pub fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }

    /// A snapshot of the circuit breaker's state, shared by all clones.
    #[must_use]
    pub fn circuit_state(&self) -> CircuitState {
        self.inner.breaker.state(crate::time::now())
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("integration", &inner.integration)
            .field("base_url", &inner.base_url)
            .field("auth", &inner.auth)
            .field("retry", &inner.retry)
            .field("timeouts", &inner.timeouts)
            .finish_non_exhaustive()
    }
}

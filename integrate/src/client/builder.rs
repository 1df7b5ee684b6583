//! The client builder, shared by `integrate::Client` and every generated
//! client.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::__private::{Declaration, Integration};
use crate::auth::{Auth, ResolvedAuth};
use crate::client::{Client, ClientInner, Sender, UrlBase};
use crate::resilience::circuit::{CircuitBreaker, CircuitBreakerPolicy};
use crate::resilience::rate_limit::{RateLimit, RateLimiter, Suspension};
use crate::resilience::retry::RetryPolicy;
use crate::resilience::timeout::Timeouts;
use crate::transport::{DEFAULT_MAX_RESPONSE_BODY, ReqwestTransport, Transport};
use crate::{Error, Result};

/// The source of environment variables: the process environment unless
/// replaced with [`ClientBuilder::env`].
pub(crate) type EnvSource = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Builds a client. Obtained from `Client::builder()` or a generated
/// `<Trait>Client::builder()`, whose declaration supplies the defaults.
///
/// Precedence: a setter here > the environment (`<PREFIX>_BASE_URL`) > the
/// trait's `#[integration(..)]` attribute > integrate's defaults. Errors of
/// setters are kept and returned by [`build`](ClientBuilder::build).
///
/// ```
/// use std::time::Duration;
/// use integrate::{Auth, Client, RetryPolicy, Timeouts};
///
/// let client = Client::builder()
///     .base_url("https://api.example.com/v1")
///     .auth(Auth::bearer("token"))
///     .retry(RetryPolicy::default().max_attempts(4))
///     .timeouts(Timeouts::default().total(Duration::from_secs(10)))
///     .build()?;
/// assert!(!format!("{client:?}").contains("token\""));
/// # Ok::<(), integrate::Error>(())
/// ```
#[must_use = "a builder does nothing until `build()` is called"]
pub struct ClientBuilder<C = Client> {
    declaration: Declaration,
    base_url: Option<String>,
    auth: Option<Auth>,
    retry: Option<RetryPolicy>,
    timeouts: Option<Timeouts>,
    circuit_breaker: Option<CircuitBreakerPolicy>,
    rate_limit: Option<RateLimit>,
    http_client: Option<reqwest::Client>,
    transport: Option<Arc<dyn Transport>>,
    env: Option<EnvSource>,
    max_response_body: Option<usize>,
    max_retry_after: Option<Duration>,
    error: Option<Error>,
    _client: PhantomData<fn() -> C>,
}

/// The longest pause a provider's `Retry-After` may start, unless
/// [`ClientBuilder::max_retry_after`] sets another: 1 hour.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("integration", &self.declaration.name)
            .field(
                "base_url",
                &self.base_url.as_deref().map(redact_url_secrets),
            )
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("circuit_breaker", &self.circuit_breaker)
            .field("rate_limit", &self.rate_limit)
            .field("custom_transport", &self.transport.is_some())
            .field("max_retry_after", &self.max_retry_after)
            .finish_non_exhaustive()
    }
}

impl<C: Integration> ClientBuilder<C> {
    /// A builder with `C`'s declaration as its defaults.
    pub fn new() -> Self {
        ClientBuilder {
            declaration: C::declaration(),
            base_url: None,
            auth: None,
            retry: None,
            timeouts: None,
            circuit_breaker: None,
            rate_limit: None,
            http_client: None,
            transport: None,
            env: None,
            max_response_body: None,
            max_retry_after: None,
            error: None,
            _client: PhantomData,
        }
    }
}

impl<C: Integration> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Integration> ClientBuilder<C> {
    /// Sets the base URL (absolute `http` or `https`, no query, no
    /// credentials). A trailing `/` is removed; paths are appended to it.
    pub fn base_url(mut self, url: impl AsRef<str>) -> Self {
        self.base_url = Some(url.as_ref().to_owned());
        self
    }

    /// Sets how every attempt authenticates.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Sets the timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = Some(timeouts);
        self
    }

    /// Sets the circuit breaker policy (per client, shared by clones).
    pub fn circuit_breaker(mut self, policy: CircuitBreakerPolicy) -> Self {
        self.circuit_breaker = Some(policy);
        self
    }

    /// Sets the client-wide rate limit (shared by clones).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Sends through this `reqwest::Client` (exclusive with
    /// [`transport`](Self::transport)); its own connect timeout applies
    /// instead of [`Timeouts::connect`].
    ///
    /// Build it from [`ReqwestTransport::client_builder`]: only a client
    /// that follows no redirect is safe. reqwest's default policy follows
    /// redirects and, across origins, removes `Authorization` but not an
    /// API key header or query key. An attempt whose response came from
    /// another URL (a followed redirect) fails with a `Config` error and a
    /// WARN, so the mistake shows at once.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        if self.transport.is_some() {
            self.fail(Error::config(
                "`http_client` and `transport` are exclusive: set one of them",
            ));
        }
        self.http_client = Some(client);
        self
    }

    /// Sends through a custom transport, such as the testkit's in-process
    /// one (exclusive with [`http_client`](Self::http_client)).
    pub fn transport(mut self, transport: impl Transport) -> Self {
        if self.http_client.is_some() {
            self.fail(Error::config(
                "`http_client` and `transport` are exclusive: set one of them",
            ));
        }
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Replaces the process environment as the source of every variable
    /// the builder reads (credentials, `<PREFIX>_BASE_URL`). Tests use it
    /// instead of `std::env::set_var`.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use integrate::{Auth, Client};
    ///
    /// let vars = HashMap::from([("PAY_TOKEN".to_owned(), "t0k3n".to_owned())]);
    /// let client = Client::builder()
    ///     .base_url("https://api.example.com")
    ///     .auth(Auth::bearer_env("PAY_TOKEN"))
    ///     .env(move |name| vars.get(name).cloned())
    ///     .build();
    /// assert!(client.is_ok());
    /// ```
    pub fn env(mut self, source: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env = Some(Arc::new(source));
        self
    }

    /// Sets the largest response body read, for the transport this builder
    /// creates (default 10 MiB). A custom transport keeps its own cap.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = Some(bytes);
        self
    }

    /// Caps the pause a provider's `Retry-After` (on a 429, 503 or 403)
    /// may start: a longer one is shortened to this (default
    /// [`DEFAULT_MAX_RETRY_AFTER`], 1 hour). It bounds both the wait
    /// before a call's retry and the client-wide pause after a 429 or 403,
    /// so a hostile or broken `Retry-After: 99999999999` cannot stop a
    /// client for centuries. `Duration::ZERO` ignores the delay (retries
    /// follow the backoff, and no pause starts).
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = Some(cap);
        self
    }

    fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Builds the client: reads the environment, validates every policy,
    /// creates the transport.
    pub fn build(self) -> Result<C> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let env: EnvSource = self
            .env
            .unwrap_or_else(|| Arc::new(|name: &str| std::env::var(name).ok()));
        let decl = self.declaration;

        let env_var = decl.env_prefix.map(|p| format!("{p}_BASE_URL"));
        let (raw_url, origin) = if let Some(url) = self.base_url {
            (url, "the builder's base_url".to_owned())
        } else if let Some(url) = env_var.as_deref().and_then(|v| env(v)) {
            (url, format!("`{}`", env_var.as_deref().unwrap_or_default()))
        } else if let Some(url) = decl.base_url {
            (url.to_owned(), "the declared base_url".to_owned())
        } else {
            return Err(Error::config(match env_var {
                Some(var) => format!(
                    "no base URL for `{}`: set `{var}` or call `.base_url(..)`",
                    decl.name
                ),
                None => "no base URL: call `.base_url(..)`".to_owned(),
            }));
        };
        let (base_url, server_address) = validate_base_url(&raw_url, &origin)?;

        let auth = self.auth.unwrap_or(decl.auth).resolve(&*env)?;
        let retry = self.retry.unwrap_or(decl.retry);
        retry.validate()?;
        let timeouts = self.timeouts.unwrap_or(decl.timeouts);
        timeouts.validate()?;
        let breaker = self.circuit_breaker.unwrap_or(decl.circuit_breaker);
        breaker.validate()?;
        let limit = self.rate_limit.or(decl.rate_limit);
        if let Some(limit) = &limit {
            limit.validate()?;
        }
        for limit in &decl.method_limits {
            limit.validate()?;
        }

        let max_body = self.max_response_body.unwrap_or(DEFAULT_MAX_RESPONSE_BODY);
        let transport = match (self.transport, self.http_client) {
            (Some(t), _) => Sender::Custom(t),
            (None, Some(client)) => {
                Sender::Reqwest(ReqwestTransport::new(client).max_response_body(max_body))
            }
            (None, None) => Sender::Reqwest(
                ReqwestTransport::new(ReqwestTransport::default_client(timeouts.get_connect())?)
                    .max_response_body(max_body),
            ),
        };

        let url_base = match (&transport, &auth) {
            (Sender::Reqwest(_), auth) if !matches!(auth, ResolvedAuth::Custom(_)) => {
                Some(UrlBase::new(&base_url).ok_or_else(|| {
                    Error::config(format!(
                        "base URL from {origin} is not a valid absolute URL"
                    ))
                })?)
            }
            _ => None,
        };
        let inner = ClientInner {
            integration: decl.name,
            base_url,
            server_address,
            auth,
            retry,
            timeouts,
            transport,
            url_base,
            breaker: CircuitBreaker::new(&breaker),
            limiter: limit.as_ref().map(RateLimiter::new),
            method_limiters: decl.method_limits.iter().map(RateLimiter::new).collect(),
            suspension: Suspension::new(),
            max_retry_after: self.max_retry_after.unwrap_or(DEFAULT_MAX_RETRY_AFTER),
        };
        Ok(C::from_client(Client {
            inner: Arc::new(inner),
        }))
    }
}

/// A URL as `Debug` may show it: user information and query replaced by
/// `<redacted>` (a base URL given with credentials is refused by `build()`,
/// but the builder may be printed before).
fn redact_url_secrets(url: &str) -> std::borrow::Cow<'_, str> {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    let userinfo = url[authority_start..authority_end].rfind('@');
    let query = url[authority_end..]
        .find(['?', '#'])
        .map(|i| authority_end + i);
    if userinfo.is_none() && query.is_none() {
        return std::borrow::Cow::Borrowed(url);
    }
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..authority_start]);
    match userinfo {
        Some(at) => {
            out.push_str("<redacted>@");
            out.push_str(&url[authority_start + at + 1..authority_end]);
        }
        None => out.push_str(&url[authority_start..authority_end]),
    }
    match query {
        Some(q) => {
            out.push_str(&url[authority_end..q]);
            out.push_str("?<redacted>");
        }
        None => out.push_str(&url[authority_end..]),
    }
    std::borrow::Cow::Owned(out)
}

/// Checks a base URL and returns it without trailing `/`, with its host.
fn validate_base_url(raw: &str, origin: &str) -> Result<(String, String)> {
    let trimmed = raw.trim().trim_end_matches('/');
    let bad = |why: &str| Error::config(format!("base URL from {origin} {why}"));
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|_| bad("is not a valid absolute URL"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(_) => return Err(bad("must use http or https")),
        None => return Err(bad("must be absolute (`https://host/...`)")),
    }
    let authority = uri.authority().ok_or_else(|| bad("has no host"))?;
    if authority.as_str().contains('@') {
        return Err(bad("must not contain credentials; use `auth` instead"));
    }
    if uri.query().is_some() || trimmed.contains('?') {
        return Err(bad("must not contain a query"));
    }
    if authority.host().is_empty() {
        return Err(bad("has no host"));
    }
    Ok((trimmed.to_owned(), authority.host().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_url_credentials() {
        for (url, shown) in [
            (
                "https://user:pa55@api.example.com/v1",
                "https://<redacted>@api.example.com/v1",
            ),
            (
                "https://pa55@api.example.com",
                "https://<redacted>@api.example.com",
            ),
            (
                "https://api.example.com/v1?key=pa55",
                "https://api.example.com/v1?<redacted>",
            ),
            (
                "https://api.example.com/v1#pa55",
                "https://api.example.com/v1?<redacted>",
            ),
            ("u:pa55@host/x", "<redacted>@host/x"),
            ("https://api.example.com/v1", "https://api.example.com/v1"),
        ] {
            assert_eq!(redact_url_secrets(url), shown);
            let builder = Client::builder().base_url(url);
            let debug = format!("{builder:?}");
            assert!(!debug.contains("pa55"), "{debug}");
            if !url.contains("pa55") {
                assert!(debug.contains(url), "{debug}");
            }
        }
    }

    #[test]
    fn base_url_rules() {
        let ok = |u: &str| validate_base_url(u, "test").unwrap();
        assert_eq!(
            ok("https://api.example.com/v1/"),
            (
                "https://api.example.com/v1".to_owned(),
                "api.example.com".to_owned()
            )
        );
        assert_eq!(ok("http://127.0.0.1:8080").0, "http://127.0.0.1:8080");
        for bad in [
            "api.example.com/v1",
            "/v1",
            "ftp://example.com",
            "https://user:pass@example.com",
            "https://example.com/v1?key=1",
            "https://exa mple.com",
            "",
        ] {
            let e = validate_base_url(bad, "test").unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Config, "{bad}");
            assert!(!e.to_string().contains("pass"), "{e}");
        }
    }
}

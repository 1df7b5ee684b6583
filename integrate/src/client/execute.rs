//! The call pipeline. The one place where the policies are applied, in the
//! contract's order, outermost first:
//!
//! total timeout -> retry -> circuit breaker -> rate limiters -> attempt
//! timeout -> auth -> transport.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, StatusCode};
use secrecy::ExposeSecret;
use tokio::time::Instant;
use tracing::Instrument;

use super::{Client, ClientInner, Response, Sender};
use crate::auth::ResolvedAuth;
use crate::call::{Call, REQUEST_ID_HEADER};
use crate::resilience::retry::{self, RetryPolicy};
use crate::telemetry;
use crate::{Error, ErrorKind, Result};

/// Why the pipeline waits before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitReason {
    /// The retry policy's backoff.
    Backoff,
    /// The provider's `Retry-After`.
    RetryAfter,
}

impl WaitReason {
    fn as_str(self) -> &'static str {
        match self {
            WaitReason::Backoff => "backoff",
            WaitReason::RetryAfter => "retry_after",
        }
    }
}

impl Client {
    /// Runs `call` through the pipeline and returns the final 2xx response
    /// with its raw body. Any other outcome is an [`Error`].
    ///
    /// The returned future owns everything it needs (`'static`, `Send`), so
    /// it can be spawned. The request (URL, headers, request id,
    /// idempotency key) is built here, once per call; nothing is sent
    /// before the future is polled.
    pub fn execute(
        &self,
        call: Call,
    ) -> impl Future<Output = Result<Response<Bytes>>> + Send + 'static {
        let inner = Arc::clone(&self.inner);
        let operation = call.operation;
        let span = telemetry::call_span(&inner, &call);
        // Prepared before the future is made, so the future holds the
        // prepared request only, not the `Call` as well.
        let prepared = span.in_scope(|| inner.prepare(call));
        async move {
            let outcome = match prepared {
                // Boxed: the retry loop's state is about 1.6 KB, which every
                // caller nesting this future would otherwise copy each time
                // it moves it (measured: one allocation costs less).
                Ok(ref prepared) => Box::pin(inner.run(prepared)).instrument(span.clone()).await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(response) => {
                    telemetry::record_success(&span, response.status(), response.attempts);
                    Ok(response)
                }
                Err(mut error) => {
                    error.set_operation(operation);
                    telemetry::record_error(&span, &error);
                    Err(error)
                }
            }
        }
    }
}

/// A call ready to send: every attempt sends a copy of this request.
struct Prepared {
    method: Method,
    target: Target,
    /// The call's own headers.
    headers: HeaderMap,
    /// Inserted into each attempt's copy of `headers`, in order: the
    /// request id (unless the call has one), the idempotency key, a static
    /// credential. Kept apart, the call's headers are usually empty: no
    /// map is built for the call, and each attempt builds one map rather
    /// than copying one.
    added: [Option<(HeaderName, HeaderValue)>; 3],
    body: Bytes,
    idempotent: bool,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    total_timeout: Duration,
    method_limiter: Option<usize>,
}

impl ClientInner {
    /// Builds the request every attempt sends: URL, headers, body, request
    /// id, idempotency key and static credentials.
    fn prepare(&self, mut call: Call) -> Result<Prepared> {
        if let Some(error) = call.error.take() {
            return Err(error);
        }
        let mut url = String::with_capacity(self.base_url.len() + 64);
        url.push_str(&self.base_url);
        call.expand_path(&mut url)?;
        let path_end = url.len();
        let auth_query = match &self.auth {
            ResolvedAuth::Query(pair) => Some(pair),
            _ => None,
        };
        if !call.query.is_empty() || auth_query.is_some() {
            url.push('?');
            let start = url.len();
            {
                let mut query = form_urlencoded::Serializer::for_suffix(&mut url, start);
                for (name, value) in &call.query {
                    query.append_pair(name, value);
                }
            }
            if let Some(pair) = auth_query {
                if !url.ends_with('?') {
                    url.push('&');
                }
                url.push_str(pair.expose_secret());
            }
        }
        // The URL may hold an API key: it never enters an error message.
        let invalid = || {
            Error::config(format!(
                "the URL built from the base URL and `{}` is invalid",
                call.template
            ))
        };
        let target = match &self.url_base {
            Some(base) => Target::Url(base.resolve(&url, path_end).ok_or_else(invalid)?),
            None => Target::Uri(url.parse().map_err(|_| invalid())?),
        };

        let headers = std::mem::take(&mut call.headers);
        let mut added: [Option<(HeaderName, HeaderValue)>; 3] = [None, None, None];
        let request_id = const { HeaderName::from_static(REQUEST_ID_HEADER) };
        if !headers.contains_key(&request_id) {
            added[0] = Some((request_id, telemetry::new_request_id()));
        }
        let idempotent = match call.idempotency.take() {
            Some(idem) => {
                let key = match idem.key {
                    Some(key) => key,
                    None => HeaderValue::try_from(uuid::Uuid::new_v4().to_string())
                        .map_err(|_| Error::config("could not make an idempotency key"))?,
                };
                added[1] = Some((idem.header, key));
                true
            }
            None => false,
        };
        if let ResolvedAuth::Header(name, value) = &self.auth {
            added[2] = Some((name.clone(), value.clone()));
        }

        let timeouts = self.timeouts.with_override(&call.timeouts);
        Ok(Prepared {
            method: call.method,
            target,
            headers,
            added,
            body: call.body.take().unwrap_or_default(),
            idempotent,
            retry: self.retry.with_override(&call.retry),
            attempt_timeout: timeouts.get_attempt(),
            total_timeout: timeouts.get_total(),
            method_limiter: call.method_limiter,
        })
    }

    /// The path and query a call would put on the request line.
    pub(crate) fn request_target(&self, call: Call) -> Result<String> {
        let prepared = self.prepare(call)?;
        Ok(match &prepared.target {
            Target::Url(url) => match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_owned(),
            },
            Target::Uri(uri) => uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned()),
        })
    }

    /// The retry loop under the total deadline.
    async fn run(&self, prepared: &Prepared) -> Result<Response<Bytes>> {
        let start = crate::time::now();
        let deadline = start
            .checked_add(prepared.total_timeout)
            .unwrap_or_else(far_future);
        let mut attempts: u32 = 0;
        // Every wait inside is bounded by the deadline on its own (the
        // attempt timeout is cut at the deadline, no backoff, pause or
        // limiter wait ends after it), so no outer timer is needed.
        let mut result = self
            .attempts(prepared, start, deadline, &mut attempts)
            .await;
        if let Err(error) = &mut result {
            error.set_attempts(attempts);
        }
        result
    }

    async fn attempts(
        &self,
        prepared: &Prepared,
        start: Instant,
        deadline: Instant,
        attempts: &mut u32,
    ) -> Result<Response<Bytes>> {
        let policy = prepared.retry;
        let method = &prepared.method;
        // The clock is read once per attempt: the first at the call's
        // start, the others when the previous attempt failed. Waits end at
        // known instants, so they need no read.
        let mut now = start;
        let mut last_error: Option<Error> = None;
        loop {
            // Circuit breaker. If it opened between two attempts, the call
            // ends with the last attempt's error.
            let permit = match self.breaker.acquire(now) {
                Ok(permit) => permit,
                Err(remaining) => {
                    return Err(last_error.unwrap_or_else(|| Error::circuit_open(remaining)));
                }
            };
            // Rate limiting: the client-wide pause, the method's limiter,
            // then the client's.
            now = self
                .wait_for_slot(prepared, now, deadline, last_error.take())
                .await?;

            *attempts += 1;
            let attempt_deadline = now
                .checked_add(prepared.attempt_timeout)
                .map_or(deadline, |d| d.min(deadline));
            let span = telemetry::attempt_span(*attempts);
            // Matched where it is awaited: a named outcome would stay in the
            // future's state across the backoff below (144 bytes more).
            let error = match tokio::time::timeout_at(attempt_deadline, self.attempt(prepared))
                .instrument(span)
                .await
            {
                Ok(Ok(response)) if response.status().is_success() => {
                    permit.success(now);
                    let (parts, body) = response.into_parts();
                    return Ok(Response::new(parts.status, parts.headers, body, *attempts));
                }
                Ok(Ok(response)) => status_error(response, self.max_retry_after),
                Ok(Err(error)) => error,
                // Cut by the total deadline: not recorded by the breaker
                // (the permit is dropped, giving back a half-open slot).
                Err(_) if attempt_deadline >= deadline => {
                    return Err(Error::timeout("the total deadline passed"));
                }
                Err(_) => Error::timeout("the attempt timeout passed"),
            };
            if counts_as_failure(&error) {
                permit.failure(now);
            } else {
                permit.success(now);
            }
            now = crate::time::now();
            let retry_after = error
                .retry_after()
                .filter(|_| error.status().is_some_and(retry::honours_retry_after));
            if let (Some(after), Some(status)) = (retry_after, error.status())
                && (status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::FORBIDDEN)
                && let Some(until) = now.checked_add(after)
            {
                self.suspension.suspend_until(until);
            }
            if *attempts >= policy.get_max_attempts()
                || !retry::should_retry(&error, method, prepared.idempotent)
            {
                return Err(error);
            }
            let (delay, reason) = match retry_after {
                Some(after) => (after, WaitReason::RetryAfter),
                None => (policy.delay(*attempts), WaitReason::Backoff),
            };
            let resume = match now.checked_add(delay) {
                Some(resume) if resume <= deadline => resume,
                // Never sleep past the deadline: end now with this error.
                _ => return Err(error),
            };
            tracing::debug!(
                integrate.retry.reason = reason.as_str(),
                integrate.retry.delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                integrate.attempt = *attempts,
                error.type = error.kind().as_str(),
                http.response.status_code = error.status().map(|s| s.as_u16()),
                "retrying"
            );
            // Boxed: only a call that retries pays for the timer.
            Box::pin(tokio::time::sleep_until(resume)).await;
            now = resume;
            last_error = Some(error);
        }
    }

    /// Waits, within the deadline, for the client-wide pause and the rate
    /// limiters. Returns the instant the attempt may start. A wait past the
    /// deadline ends the call: with the last attempt's error if there was
    /// one, else `RateLimited` carrying the wait it would have needed.
    async fn wait_for_slot(
        &self,
        prepared: &Prepared,
        now: Instant,
        deadline: Instant,
        last_error: Option<Error>,
    ) -> Result<Instant> {
        let give_up = |wait: Duration, last_error: Option<Error>| {
            tracing::debug!(
                integrate.retry.reason = "rate_limit",
                integrate.wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "the rate limit's next slot is after the deadline"
            );
            last_error.unwrap_or_else(|| Error::rate_limited_locally(wait))
        };
        let mut now = match self.suspension.wait(now, deadline).await {
            Ok(now) => now,
            Err(wait) => {
                tracing::debug!(
                    integrate.retry.reason = "retry_after",
                    integrate.wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "the provider's pause ends after the deadline"
                );
                return Err(last_error.unwrap_or_else(|| Error::paused_by_provider(wait)));
            }
        };
        let method = prepared
            .method_limiter
            .and_then(|i| self.method_limiters.get(i));
        for limiter in method.into_iter().chain(self.limiter.as_ref()) {
            now = match limiter.acquire(now, deadline).await {
                Ok(now) => now,
                Err(wait) => return Err(give_up(wait, last_error)),
            };
        }
        Ok(now)
    }

    /// One attempt: a copy of the prepared request (the body is shared),
    /// credentials, then the transport.
    async fn attempt(&self, prepared: &Prepared) -> Result<http::Response<Bytes>> {
        if let (Target::Url(url), Sender::Reqwest(reqwest)) = (&prepared.target, &self.transport) {
            // The request is built and handed over in a block of its own, so
            // it is not kept in this future's state while the exchange runs.
            let exchange = {
                let mut request = reqwest::Request::new(prepared.method.clone(), url.clone());
                *request.headers_mut() = prepared.headers();
                *request.body_mut() = Some(prepared.body.clone().into());
                reqwest.exchange_reqwest(request, url)
            };
            return exchange.await.map_err(Error::from_transport);
        }
        // Boxed: the less common path keeps the attempt future the size of
        // the direct one's.
        Box::pin(self.attempt_with_http_request(prepared)).await
    }

    /// An attempt through an `http::Request`: for a request signer or a
    /// custom transport.
    async fn attempt_with_http_request(
        &self,
        prepared: &Prepared,
    ) -> Result<http::Response<Bytes>> {
        let uri = match &prepared.target {
            Target::Uri(uri) => uri.clone(),
            // `prepare` picks `Url` only for the reqwest transport; should
            // that change, the URL still reaches the other transports.
            Target::Url(url) => url
                .as_str()
                .parse()
                .map_err(|_| Error::config("the URL of the request is not a valid `http::Uri`"))?,
        };
        let mut request = Request::new(prepared.body.clone());
        *request.method_mut() = prepared.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = prepared.headers();
        if let ResolvedAuth::Custom(signer) = &self.auth {
            signer.sign(&mut request).await.map_err(|e| {
                if e.kind() == ErrorKind::Auth {
                    e
                } else {
                    Error::auth("the request signer failed").with_source(e)
                }
            })?;
        }
        match &self.transport {
            Sender::Reqwest(reqwest) => reqwest.exchange(request).await,
            Sender::Custom(custom) => custom.send(request).await,
        }
        .map_err(Error::from_transport)
    }
}

/// Whether an attempt's outcome counts as a failure for the circuit
/// breaker: a connection, network or body failure, an attempt timeout, or
/// 408/500/502/503/504. Everything else that completed (429, other 4xx,
/// decode errors) is a success: the provider answered.
fn counts_as_failure(error: &Error) -> bool {
    match error.kind() {
        ErrorKind::Connect | ErrorKind::Network | ErrorKind::Body | ErrorKind::Timeout => true,
        ErrorKind::Status => error
            .status()
            .is_some_and(crate::resilience::circuit::status_is_failure),
        _ => false,
    }
}

/// The error of a non-2xx response, with its `Retry-After` when the status
/// may carry one, capped at `max_retry_after`.
fn status_error(response: http::Response<Bytes>, max_retry_after: Duration) -> Error {
    let (parts, body) = response.into_parts();
    let retry_after = if retry::honours_retry_after(parts.status) {
        retry::parse_retry_after(&parts.headers, SystemTime::now())
            .map(|after| after.min(max_retry_after))
    } else {
        None
    };
    Error::from_status(parts.status, body, retry_after)
}

impl Prepared {
    /// The headers of one attempt.
    fn headers(&self) -> HeaderMap {
        let mut headers = self.headers.clone();
        for (name, value) in self.added.iter().flatten() {
            headers.insert(name.clone(), value.clone());
        }
        headers
    }
}

/// Where a prepared call goes, parsed once per call in the form its
/// transport takes.
enum Target {
    /// For the default reqwest transport without a request signer: the
    /// request is built in reqwest's form directly, so the URL is parsed
    /// once, not once into an `http::Uri` and again into a `reqwest::Url`
    /// for every attempt.
    Url(reqwest::Url),
    /// For a custom transport or a request signer, which take an
    /// `http::Request`.
    Uri(http::Uri),
}

/// The base URL parsed once, for the reqwest path. A call's URL is this
/// URL with its path and query set, so the scheme and host are never
/// parsed again: a whole parse costs about 6,800 instructions here, most
/// of them the host's IDNA processing, and setting the path and query
/// about a tenth of that.
pub(crate) struct UrlBase {
    url: reqwest::Url,
    /// The length of `scheme://authority` at the start of the base URL.
    origin_len: usize,
}

impl UrlBase {
    /// `base` is a validated base URL: `scheme://authority` and an
    /// optional path, with no query and no trailing `/`.
    pub(crate) fn new(base: &str) -> Option<UrlBase> {
        let authority = base.find("://")? + 3;
        let origin_len = base
            .get(authority..)?
            .find('/')
            .map_or(base.len(), |at| authority + at);
        Some(UrlBase {
            url: reqwest::Url::parse(base).ok()?,
            origin_len,
        })
    }

    /// The URL of `full`: the base URL's text, then a path ending at
    /// `path_end`, then an optional `?query`. The same URL as a parse of
    /// `full`, which is what it falls back to for anything but a path
    /// from `/` and a query of visible ASCII (what `Call` produces).
    fn resolve(&self, full: &str, path_end: usize) -> Option<reqwest::Url> {
        let rest = full.get(self.origin_len..).unwrap_or_default();
        let path = full.get(self.origin_len..path_end).unwrap_or_default();
        let plain = rest.starts_with('/')
            && rest.bytes().all(|b| b.is_ascii_graphic() && b != b'#')
            && !path.contains('?');
        if !plain {
            return reqwest::Url::parse(full).ok();
        }
        let mut url = self.url.clone();
        url.set_path(path);
        url.set_query(full.get(path_end..).and_then(|q| q.strip_prefix('?')));
        Some(url)
    }
}

fn far_future() -> Instant {
    crate::time::now() + Duration::from_secs(86_400 * 365 * 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_from_the_parsed_base_is_the_url_parsed_whole() {
        let bases = [
            "http://127.0.0.1:8080",
            "https://api.example.com/v1",
            "https://API.Example.COM:443/v1/%7Euser",
            "http://[::1]:9/a/b",
            "http://h/v1/../v2",
            "http://h/v1/./x",
        ];
        let paths = [
            "/customers/cus_42",
            "/a%2Fb/c%20d",
            "/",
            "/x/./y/../z",
            "/../..",
            "/%C3%A9t%C3%A9",
            "/~x!$&'()*+,;=:@",
            "/a\\b",
            "/a%zz",
            // Not what `Call` produces: parsed whole.
            "/a b",
            "/a?b",
            "/a#b",
            "/é",
            "customers",
            "",
        ];
        let queries = [
            None,
            Some("limit=10&expand=customer&expand=invoice"),
            Some("q=a+b%26c&k=%23x"),
            Some("api_key=k%2By"),
            Some(""),
        ];
        for base in bases {
            let parsed = UrlBase::new(base).unwrap();
            for path in paths {
                for query in queries {
                    let mut full = format!("{base}{path}");
                    let path_end = full.len();
                    if let Some(query) = query {
                        full.push('?');
                        full.push_str(query);
                    }
                    assert_eq!(
                        parsed.resolve(&full, path_end),
                        reqwest::Url::parse(&full).ok(),
                        "{full}"
                    );
                }
            }
        }
    }

    #[test]
    fn call_futures_are_send_and_static() {
        fn is_send<T: Send + 'static>(_: &T) {}
        let client = Client::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        is_send(&client.execute(Call::new(http::Method::GET, "/")));
    }
}

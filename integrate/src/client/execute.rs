//! The call pipeline. The one place where the policies are applied, in the
//! contract's order, outermost first:
//!
//! total timeout -> retry -> circuit breaker -> rate limiters -> attempt
//! timeout -> auth -> transport.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Request;
use http::header::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use tokio::time::Instant;
use tracing::Instrument;

use super::{Client, ClientInner, Response};
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
    /// it can be spawned.
    pub fn execute(
        &self,
        call: Call,
    ) -> impl Future<Output = Result<Response<Bytes>>> + Send + 'static {
        let inner = Arc::clone(&self.inner);
        async move { inner.execute(call).await }
    }
}

/// A call ready to send: every attempt sends a copy of this request.
struct Prepared {
    request: Request<Bytes>,
    idempotent: bool,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    total_timeout: Duration,
}

impl ClientInner {
    pub(crate) async fn execute(&self, call: Call) -> Result<Response<Bytes>> {
        let operation = call.operation;
        let span = telemetry::call_span(self, &call);
        let outcome = async {
            let prepared = self.prepare(call)?;
            self.run(prepared).await
        }
        .instrument(span.clone())
        .await;
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

    /// Builds the request every attempt sends: URL, headers, body, request
    /// id, idempotency key and static credentials.
    fn prepare(&self, mut call: Call) -> Result<Prepared> {
        if let Some(error) = call.error.take() {
            return Err(error);
        }
        let mut url = String::with_capacity(self.base_url.len() + 64);
        url.push_str(&self.base_url);
        call.expand_path(&mut url)?;
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
        let uri: http::Uri = url.parse().map_err(|_| {
            Error::config(format!(
                "the URL built from the base URL and `{}` is invalid",
                call.template
            ))
        })?;

        let mut headers = std::mem::take(&mut call.headers);
        let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
        if !headers.contains_key(&request_id) {
            headers.insert(request_id, telemetry::new_request_id());
        }
        let idempotent = match call.idempotency.take() {
            Some(idem) => {
                let key = match idem.key {
                    Some(key) => key,
                    None => HeaderValue::try_from(uuid::Uuid::new_v4().to_string())
                        .map_err(|_| Error::config("could not make an idempotency key"))?,
                };
                headers.insert(idem.header, key);
                true
            }
            None => false,
        };
        if let ResolvedAuth::Header(name, value) = &self.auth {
            headers.insert(name.clone(), value.clone());
        }

        let mut request = Request::new(call.body.take().unwrap_or_default());
        *request.method_mut() = call.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;

        let timeouts = self.timeouts.with_override(&call.timeouts);
        Ok(Prepared {
            request,
            idempotent,
            retry: self.retry.with_override(&call.retry),
            attempt_timeout: timeouts.get_attempt(),
            total_timeout: timeouts.get_total(),
        })
    }

    /// The retry loop under the total deadline.
    async fn run(&self, prepared: Prepared) -> Result<Response<Bytes>> {
        let start = crate::time::now();
        let deadline = start
            .checked_add(prepared.total_timeout)
            .unwrap_or_else(far_future);
        let mut attempts: u32 = 0;
        let outcome = tokio::time::timeout_at(
            deadline,
            self.attempts(&prepared, start, deadline, &mut attempts),
        )
        .await;
        let mut result = match outcome {
            Ok(result) => result,
            Err(_) => Err(Error::timeout("the total deadline passed")),
        };
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
        let method = prepared.request.method();
        // The clock is read once per attempt: at its start. The next
        // attempt's start is computed from the wait it follows.
        let mut now = start;
        loop {
            *attempts += 1;
            let attempt_deadline = now
                .checked_add(prepared.attempt_timeout)
                .map_or(deadline, |d| d.min(deadline));
            let span = telemetry::attempt_span(*attempts);
            let request = copy_request(&prepared.request);
            let outcome = tokio::time::timeout_at(attempt_deadline, self.attempt(request))
                .instrument(span)
                .await;
            let error = match outcome {
                Ok(Ok(response)) if response.status().is_success() => {
                    let (parts, body) = response.into_parts();
                    return Ok(Response::new(parts.status, parts.headers, body, *attempts));
                }
                Ok(Ok(response)) => status_error(response),
                Ok(Err(error)) => error,
                Err(_) if attempt_deadline >= deadline => {
                    return Err(Error::timeout("the total deadline passed"));
                }
                Err(_) => Error::timeout("the attempt timeout passed"),
            };
            if *attempts >= policy.get_max_attempts()
                || !retry::should_retry(&error, method, prepared.idempotent)
            {
                return Err(error);
            }
            let (delay, reason) = match error.retry_after() {
                Some(after) if error.status().is_some_and(retry::honours_retry_after) => {
                    (after, WaitReason::RetryAfter)
                }
                _ => (policy.delay(*attempts), WaitReason::Backoff),
            };
            now = crate::time::now();
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
            tokio::time::sleep_until(resume).await;
            now = resume;
        }
    }

    /// One attempt: credentials, then the transport.
    async fn attempt(&self, mut request: Request<Bytes>) -> Result<http::Response<Bytes>> {
        if let ResolvedAuth::Custom(signer) = &self.auth {
            signer.sign(&mut request).await.map_err(|e| {
                if e.kind() == ErrorKind::Auth {
                    e
                } else {
                    Error::auth("the request signer failed").with_source(e)
                }
            })?;
        }
        self.transport
            .send(request)
            .await
            .map_err(Error::from_transport)
    }
}

/// A copy of the prepared request for one attempt (the body is shared).
fn copy_request(request: &Request<Bytes>) -> Request<Bytes> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    copy
}

/// The error of a non-2xx response, with its `Retry-After` when the status
/// may carry one.
fn status_error(response: http::Response<Bytes>) -> Error {
    let (parts, body) = response.into_parts();
    let retry_after = if retry::honours_retry_after(parts.status) {
        retry::parse_retry_after(&parts.headers, SystemTime::now())
    } else {
        None
    };
    Error::from_status(parts.status, body, retry_after)
}

fn far_future() -> Instant {
    crate::time::now() + Duration::from_secs(86_400 * 365 * 30)
}

#[cfg(test)]
mod tests {
    use super::*;

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

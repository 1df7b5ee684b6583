//! The transport: sends one request and reads its whole response.
//!
//! Everything above the transport (auth, timeouts, retry, breaker, limiter)
//! is the client's; a transport only moves bytes and says, when it fails,
//! how far the exchange got. The default is [`ReqwestTransport`]; the
//! testkit supplies an in-process one for tests on paused time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};

use crate::error::BoxError;

/// A boxed, `Send` future, as returned by [`Transport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The default cap on a response body: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 10 * 1024 * 1024;

/// Sends one HTTP request and returns the response with its body fully
/// read.
///
/// An implementation must:
/// - send the request as given: no redirects followed, no retries, no
///   added authentication;
/// - read the whole response body before returning, failing with
///   [`TransportErrorKind::BodyTooLarge`] when it exceeds its cap
///   (default [`DEFAULT_MAX_RESPONSE_BODY`]);
/// - say how far the exchange got when it fails (see
///   [`TransportErrorKind`]), because that decides whether a retry may
///   duplicate a side effect;
/// - be cancel-safe: the client drops the future on a timeout.
///
/// ```
/// use integrate::{Bytes, Transport, TransportError};
/// use integrate::transport::BoxFuture;
///
/// /// Answers every request with `204 No Content`.
/// struct NoContent;
///
/// impl Transport for NoContent {
///     fn send(
///         &self,
///         _request: http::Request<Bytes>,
///     ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
///         Box::pin(async {
///             Ok(http::Response::builder().status(204).body(Bytes::new()).unwrap())
///         })
///     }
/// }
/// ```
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` and reads the whole response.
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>>;
}

/// How far an exchange got before the transport failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Nothing was sent: DNS failure, connection refused, connect timeout,
    /// TLS handshake I/O failure. Safe to retry for any method.
    Connect,
    /// The server's TLS certificate was rejected. Nothing was sent; never
    /// retried.
    CertificateRejected,
    /// The request was (possibly) sent and the connection was lost before
    /// the response head arrived.
    Network,
    /// The connection was reset or closed while the body was read, or the
    /// body was shorter than its `Content-Length`.
    Body,
    /// The body was larger than the transport's cap. Not retried: the next
    /// attempt would read the same body.
    BodyTooLarge,
    /// The response came from another URL than the request's: the HTTP
    /// client followed a redirect, which may have sent the request's
    /// credentials to another origin. Never retried; the client reports it
    /// as a `Config` error (build the HTTP client from
    /// [`ReqwestTransport::client_builder`], which follows none).
    Redirected,
}

/// A transport failure: how far the exchange got, and the cause.
///
/// The cause must not contain URLs or credentials.
pub struct TransportError {
    kind: TransportErrorKind,
    source: Option<BoxError>,
}

impl TransportError {
    /// A failure of the given kind with a cause.
    pub fn new(kind: TransportErrorKind, source: impl Into<BoxError>) -> Self {
        TransportError {
            kind,
            source: Some(source.into()),
        }
    }

    /// A failure of the given kind with no further cause.
    #[must_use]
    pub fn from_kind(kind: TransportErrorKind) -> Self {
        TransportError { kind, source: None }
    }

    /// Nothing was sent.
    pub fn connect(source: impl Into<BoxError>) -> Self {
        Self::new(TransportErrorKind::Connect, source)
    }

    /// Sent; lost before the response head.
    pub fn network(source: impl Into<BoxError>) -> Self {
        Self::new(TransportErrorKind::Network, source)
    }

    /// Lost or truncated while reading the body.
    pub fn body(source: impl Into<BoxError>) -> Self {
        Self::new(TransportErrorKind::Body, source)
    }

    /// The body exceeded `limit` bytes.
    #[must_use]
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            TransportErrorKind::BodyTooLarge,
            format!("response body larger than {limit} bytes"),
        )
    }

    /// How far the exchange got.
    #[must_use]
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// Whether a retry may succeed (before the method is considered).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::Network | TransportErrorKind::Body
        )
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportErrorKind::Connect => "connection failed before the request was sent",
            TransportErrorKind::CertificateRejected => "the server's TLS certificate was rejected",
            TransportErrorKind::Network => "connection lost before the response head",
            TransportErrorKind::Body => "connection lost while reading the response body",
            TransportErrorKind::BodyTooLarge => "response body over the size cap",
            TransportErrorKind::Redirected => {
                "the HTTP client followed a redirect: build it from `ReqwestTransport::client_builder()`, which follows none"
            }
        };
        f.write_str(what)
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish()
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The default transport: a [`reqwest::Client`].
///
/// Built by the client builder with no redirects, no proxy, and the
/// builder's connect timeout. When you pass your own `reqwest::Client`
/// with `.http_client(..)`, start from [`ReqwestTransport::client_builder`]:
/// only a client that follows no redirect is safe. reqwest's default
/// policy follows up to ten, and on a redirect to another origin it
/// removes `Authorization` but not an API key header (`X-Api-Key`) or a
/// key in the query, which then reach the other origin. integrate reports
/// a 3xx as an error and never follows one; an attempt whose response came
/// from another URL than the request's (a redirect the HTTP client
/// followed) is a `Config` error, logged at WARN, so the mistake shows at
/// the first redirect.
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_body: usize,
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport")
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

impl ReqwestTransport {
    /// Wraps a `reqwest::Client`, with the default body cap.
    #[must_use]
    pub fn new(client: reqwest::Client) -> Self {
        ReqwestTransport {
            client,
            max_body: DEFAULT_MAX_RESPONSE_BODY,
        }
    }

    /// Sets the largest response body read, in bytes.
    #[must_use]
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// A `reqwest::ClientBuilder` set up as integrate expects: no
    /// redirects, no retries of reqwest's own (the client retries, and
    /// counts every attempt), no proxy, and (feature `rustls`) the ring
    /// crypto provider installed as the process default if none is. Start
    /// from it when you pass your own client with `.http_client(..)`.
    pub fn client_builder() -> reqwest::ClientBuilder {
        #[cfg(feature = "rustls")]
        {
            // Installs ring only if no provider has been installed; an
            // application's own choice wins.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // With no retry allowed, reqwest also stops copying every
            // request in case it retries it.
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .no_proxy()
    }

    /// Builds the default `reqwest::Client` with the given connect timeout.
    pub(crate) fn default_client(
        connect_timeout: std::time::Duration,
    ) -> Result<reqwest::Client, crate::Error> {
        Self::client_builder()
            .connect_timeout(connect_timeout)
            .build()
            .map_err(|e| {
                crate::Error::config("could not build the HTTP client").with_source(e.without_url())
            })
    }

    pub(crate) async fn exchange(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let request = reqwest::Request::try_from(request)
            .map_err(|e| TransportError::new(TransportErrorKind::Connect, e.without_url()))?;
        let url = request.url().clone();
        self.exchange_reqwest(request, &url).await
    }

    /// [`exchange`](Self::exchange) for a request already in reqwest's
    /// form: the client's own path, which parses the URL once per call
    /// rather than once per attempt.
    ///
    /// The request is handed to reqwest before the future is made, so the
    /// future holds reqwest's small pending handle, not the request too.
    /// `url` is the request's URL: a response from another one (a redirect
    /// that a user-supplied client followed) is refused.
    pub(crate) fn exchange_reqwest<'a>(
        &'a self,
        request: reqwest::Request,
        url: &'a reqwest::Url,
    ) -> impl Future<Output = Result<http::Response<Bytes>, TransportError>> + Send + 'a {
        let pending = self.client.execute(request);
        async move {
            let mut response = pending.await.map_err(classify_send_error)?;
            if !same_resource(response.url(), url) {
                // Neither URL is logged: either may carry an API key.
                tracing::warn!(
                    http.response.status_code = response.status().as_u16(),
                    "the HTTP client followed a redirect; the request (and its credentials) may have reached another origin. Build the client from `ReqwestTransport::client_builder()`, which follows none"
                );
                return Err(TransportError::from_kind(TransportErrorKind::Redirected));
            }
            self.read_body(&mut response).await
        }
    }

    /// Reads the whole body of a response under the cap.
    async fn read_body(
        &self,
        response: &mut reqwest::Response,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let limit = self.max_body;
        if let Some(len) = response.content_length()
            && len > limit as u64
        {
            return Err(TransportError::body_too_large(limit));
        }
        // Most bodies arrive in one chunk: keep it as it is (no copy), and
        // only gather into a buffer when a second one comes.
        let mut first: Option<Bytes> = None;
        let mut gathered: Option<BytesMut> = None;
        let mut len = 0usize;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| TransportError::body(e.without_url()))?
        {
            len += chunk.len();
            if len > limit {
                return Err(TransportError::body_too_large(limit));
            }
            match (&mut gathered, first.take()) {
                (Some(buf), _) => buf.extend_from_slice(&chunk),
                (None, None) => first = Some(chunk),
                (None, Some(head)) => {
                    let capacity = response
                        .content_length()
                        .map_or(len, |l| usize::try_from(l).unwrap_or(limit).min(limit));
                    let mut buf = BytesMut::with_capacity(capacity.max(len));
                    buf.extend_from_slice(&head);
                    buf.extend_from_slice(&chunk);
                    gathered = Some(buf);
                }
            }
        }
        let body = match gathered {
            Some(buf) => buf.freeze(),
            None => first.unwrap_or_default(),
        };
        let mut out = http::Response::new(body);
        *out.status_mut() = response.status();
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        Ok(out)
    }
}

/// Whether a response's URL is the request's: equal but for a fragment,
/// which is never sent (in a serialised URL, `#` only starts the fragment).
fn same_resource(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    fn without_fragment(u: &reqwest::Url) -> &str {
        u.as_str().split('#').next().unwrap_or_default()
    }
    a == b || without_fragment(a) == without_fragment(b)
}

fn classify_send_error(err: reqwest::Error) -> TransportError {
    let kind = if is_certificate_rejection(&err) {
        TransportErrorKind::CertificateRejected
    } else if err.is_connect() {
        TransportErrorKind::Connect
    } else {
        TransportErrorKind::Network
    };
    TransportError::new(kind, err.without_url())
}

fn is_certificate_rejection(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        #[cfg(feature = "rustls")]
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && is_certificate_rejection(inner)
        {
            return true;
        }
        next = e.source();
    }
    false
}

impl Transport for ReqwestTransport {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        Box::pin(self.exchange(request))
    }
}

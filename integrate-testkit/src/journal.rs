//! The record of every request a fake provider received.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};
use tokio::time::Instant;

/// How a request reached the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Via {
    /// Over a TCP connection to [`FakeProvider::url`](crate::FakeProvider::url).
    Socket,
    /// Through [`FakeProvider::transport`](crate::FakeProvider::transport).
    InProcess,
}

/// One request as the provider received it.
#[derive(Clone)]
pub struct RecordedRequest {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) at: Instant,
    pub(crate) route: Option<String>,
    pub(crate) mock: Option<u64>,
    pub(crate) via: Via,
}

impl RecordedRequest {
    /// The request method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path, as sent (still percent-encoded).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string, without the `?`.
    #[must_use]
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The percent-decoded value of the first query parameter `name`.
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Every request header.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of header `name`, when it is valid UTF-8.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The request body.
    #[must_use]
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    ///
    /// When the body is not JSON of type `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_slice(&self.body)
    }

    /// When the request arrived, on the tokio clock (so paused time in
    /// tests).
    #[must_use]
    pub fn at(&self) -> Instant {
        self.at
    }

    /// The route that answered, as written in the failure messages, or
    /// `None` when no route matched (the provider answered 404).
    #[must_use]
    pub fn route(&self) -> Option<&str> {
        self.route.as_deref()
    }

    /// Whether a route matched.
    #[must_use]
    pub fn is_matched(&self) -> bool {
        self.route.is_some()
    }

    /// How the request arrived.
    #[must_use]
    pub fn via(&self) -> Via {
        self.via
    }
}

impl fmt::Display for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        if !self.body.is_empty() {
            write!(f, " ({} body bytes)", self.body.len())?;
        }
        match &self.route {
            Some(route) => write!(f, " -> {route}"),
            None => f.write_str(" -> no route matched (404)"),
        }
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .field("route", &self.route)
            .field("via", &self.via)
            .finish()
    }
}

/// A snapshot of the requests a provider received, in arrival order.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use integrate::Transport;
/// use integrate_testkit::{FakeProvider, Reply, Route};
///
/// let provider = FakeProvider::in_process();
/// provider.given(Route::post("/charges")).respond(Reply::status(503));
///
/// let transport = provider.transport();
/// for _ in 0..3 {
///     let request = http::Request::post("/charges")
///         .header("Idempotency-Key", "k-1")
///         .body(Default::default())
///         .unwrap();
///     transport.send(request).await.unwrap();
///     tokio::time::sleep(Duration::from_millis(100)).await;
/// }
///
/// let journal = provider.journal();
/// assert_eq!(journal.count(), 3);
/// assert_eq!(journal.idempotency_keys("Idempotency-Key"), vec![Some("k-1".to_owned()); 3]);
/// assert_eq!(journal.gaps(), [Duration::from_millis(100); 2]);
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Journal {
    requests: Vec<RecordedRequest>,
}

impl Journal {
    pub(crate) fn new(requests: Vec<RecordedRequest>) -> Self {
        Journal { requests }
    }

    /// How many requests were received.
    #[must_use]
    pub fn count(&self) -> usize {
        self.requests.len()
    }

    /// Whether no request was received.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// The requests, in arrival order.
    #[must_use]
    pub fn requests(&self) -> &[RecordedRequest] {
        &self.requests
    }

    /// The `index`-th request (0-based).
    #[must_use]
    pub fn get(&self, index: usize) -> Option<&RecordedRequest> {
        self.requests.get(index)
    }

    /// Iterates over the requests in arrival order.
    pub fn iter(&self) -> std::slice::Iter<'_, RecordedRequest> {
        self.requests.iter()
    }

    /// The requests for which `keep` holds.
    #[must_use]
    pub fn filter(&self, keep: impl Fn(&RecordedRequest) -> bool) -> Journal {
        Journal::new(self.requests.iter().filter(|r| keep(r)).cloned().collect())
    }

    /// The requests to exactly this path.
    #[must_use]
    pub fn to_path(&self, path: &str) -> Journal {
        self.filter(|r| r.path == path)
    }

    /// The requests no route matched.
    #[must_use]
    pub fn unmatched(&self) -> Journal {
        self.filter(|r| r.route.is_none())
    }

    /// The value of header `name` (an idempotency key header, for
    /// instance) on each request, in order: `None` where it was missing.
    #[must_use]
    pub fn idempotency_keys(&self, name: &str) -> Vec<Option<String>> {
        self.requests
            .iter()
            .map(|r| r.header(name).map(str::to_owned))
            .collect()
    }

    /// The arrival instants, in order.
    #[must_use]
    pub fn arrivals(&self) -> Vec<Instant> {
        self.requests.iter().map(|r| r.at).collect()
    }

    /// The time between each request and the next (one fewer than the
    /// requests): a client's backoff, read on the tokio clock.
    #[must_use]
    pub fn gaps(&self) -> Vec<Duration> {
        self.requests
            .windows(2)
            .map(|w| w[1].at.saturating_duration_since(w[0].at))
            .collect()
    }
}

impl<'a> IntoIterator for &'a Journal {
    type Item = &'a RecordedRequest;
    type IntoIter = std::slice::Iter<'a, RecordedRequest>;

    fn into_iter(self) -> Self::IntoIter {
        self.requests.iter()
    }
}

impl IntoIterator for Journal {
    type Item = RecordedRequest;
    type IntoIter = std::vec::IntoIter<RecordedRequest>;

    fn into_iter(self) -> Self::IntoIter {
        self.requests.into_iter()
    }
}

impl fmt::Display for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requests.is_empty() {
            return f.write_str("no requests received");
        }
        write!(f, "{} request(s) received:", self.requests.len())?;
        for (i, request) in self.requests.iter().enumerate() {
            write!(f, "\n  {}. {request}", i + 1)?;
        }
        Ok(())
    }
}

//! What a route answers: a [`Reply`] (status, headers, body, latency) or a
//! [`Fault`] on the wire.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use http::{HeaderMap, StatusCode};

/// A broken exchange, played on the wire by the socket server and mirrored
/// by the in-process transport.
///
/// Turn one into a [`Reply`] with `Reply::from(fault)` (a `200` carrying
/// [`Reply::FAULT_BODY`]) or attach it to a reply of your own with
/// [`Reply::with_fault`]. Each variant lists the [`TransportErrorKind`]
/// that [`ReqwestTransport`] reports over the socket; the in-process
/// transport reports the same one.
///
/// [`TransportErrorKind`]: integrate::TransportErrorKind
/// [`ReqwestTransport`]: integrate::ReqwestTransport
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Reads the request and never answers, keeping the connection open.
    /// No error: the client's attempt timeout has to cut it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let _ = rustls::crypto::ring::default_provider().install_default();
    /// use std::time::Duration;
    /// use integrate_testkit::{FakeProvider, Fault, Route};
    ///
    /// let provider = FakeProvider::start().await;
    /// provider.given(Route::get("/slow")).respond(Fault::Hang);
    ///
    /// let client = reqwest::Client::new();
    /// let attempt = client.get(format!("{}/slow", provider.url())).send();
    /// let outcome = tokio::time::timeout(Duration::from_millis(100), attempt).await;
    /// assert!(outcome.is_err(), "the attempt timed out");
    /// # }
    /// ```
    Hang,
    /// Reads the request, then resets the connection (zero linger, a TCP
    /// `RST`) before any byte of the response:
    /// [`TransportErrorKind::Network`](integrate::TransportErrorKind::Network).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use integrate::{Transport, TransportErrorKind};
    /// use integrate_testkit::{FakeProvider, Fault, Route};
    ///
    /// let provider = FakeProvider::in_process();
    /// provider.given(Route::post("/charges")).respond(Fault::ResetBeforeResponse);
    ///
    /// let request = http::Request::post("/charges").body(Default::default()).unwrap();
    /// let err = provider.transport().send(request).await.unwrap_err();
    /// assert_eq!(err.kind(), TransportErrorKind::Network);
    /// # }
    /// ```
    ResetBeforeResponse,
    /// Sends the response head and the first `n` bytes of the body, then
    /// resets the connection:
    /// [`TransportErrorKind::Body`](integrate::TransportErrorKind::Body).
    /// When `n` is not less than the body length the whole response is
    /// sent and nothing breaks.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let _ = rustls::crypto::ring::default_provider().install_default();
    /// use integrate_testkit::{FakeProvider, Fault, Reply, Route};
    ///
    /// use integrate::{ReqwestTransport, Transport, TransportErrorKind};
    ///
    /// let provider = FakeProvider::start().await;
    /// provider
    ///     .given(Route::get("/report"))
    ///     .respond(Reply::text(200, "0123456789").with_fault(Fault::ResetAfter(4)));
    ///
    /// let transport = ReqwestTransport::new(reqwest::Client::new());
    /// let request = http::Request::get(format!("{}/report", provider.url()))
    ///     .body(Default::default())
    ///     .unwrap();
    /// let err = transport.send(request).await.unwrap_err();
    /// assert_eq!(err.kind(), TransportErrorKind::Body);
    /// # }
    /// ```
    ResetAfter(usize),
    /// Sends the head with the full `Content-Length` and the first half of
    /// the body, then closes the connection cleanly (`FIN`): the body is
    /// shorter than announced,
    /// [`TransportErrorKind::Body`](integrate::TransportErrorKind::Body).
    /// An empty body cannot be truncated and is sent as is.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use integrate::{Transport, TransportErrorKind};
    /// use integrate_testkit::{FakeProvider, Fault, Route};
    ///
    /// let provider = FakeProvider::in_process();
    /// provider.given(Route::get("/export")).respond(Fault::Truncated);
    ///
    /// let request = http::Request::get("/export").body(Default::default()).unwrap();
    /// let err = provider.transport().send(request).await.unwrap_err();
    /// assert_eq!(err.kind(), TransportErrorKind::Body);
    /// # }
    /// ```
    Truncated,
    /// Reads the request and closes the connection (`FIN`) without a byte
    /// of response:
    /// [`TransportErrorKind::Network`](integrate::TransportErrorKind::Network).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let _ = rustls::crypto::ring::default_provider().install_default();
    /// use integrate_testkit::{FakeProvider, Fault, Route};
    ///
    /// let provider = FakeProvider::start().await;
    /// provider.given(Route::get("/gone")).respond(Fault::CloseWithoutResponse);
    ///
    /// let err = reqwest::get(format!("{}/gone", provider.url())).await.unwrap_err();
    /// assert!(err.is_request() && !err.is_connect());
    /// # }
    /// ```
    CloseWithoutResponse,
}

/// How the response leaves the server, once matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    Normal,
    Drip {
        chunks: Vec<Bytes>,
        interval: Duration,
    },
    Fault(Fault),
}

/// A fully resolved answer to one request.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) delay: Duration,
    pub(crate) mode: Mode,
}

impl Plan {
    /// What the wire will actually do, after the degenerate cases (a cut
    /// past the end of the body, an empty body to truncate) are folded into
    /// a normal response.
    pub(crate) fn effective_mode(&self) -> Mode {
        match &self.mode {
            Mode::Fault(Fault::ResetAfter(n)) if *n >= self.body.len() => Mode::Normal,
            Mode::Fault(Fault::Truncated) if self.body.is_empty() => Mode::Normal,
            mode => mode.clone(),
        }
    }
}

/// The answer a route gives to a request: status, headers, body, latency,
/// and possibly a [`Fault`].
///
/// Replies are values: build them, clone them, reuse them in scripts.
///
/// ```
/// use std::time::Duration;
/// use integrate_testkit::Reply;
///
/// let ok = Reply::json(200, serde_json::json!({"id": "cus_1"}));
/// let busy = Reply::status(503).retry_after_secs(2);
/// let slow = Reply::status(204).delay(Duration::from_millis(300));
/// # let _ = (ok, busy, slow);
/// ```
#[derive(Clone)]
pub struct Reply {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Fixed(Box<Plan>),
    Chance(Arc<Chance>),
}

struct Chance {
    rng: Mutex<fastrand::Rng>,
    seed: u64,
    p: f64,
    yes: Reply,
    no: Reply,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Fixed(plan) => f
                .debug_struct("Reply")
                .field("status", &plan.status)
                .field("headers", &plan.headers)
                .field("body_len", &plan.body.len())
                .field("delay", &plan.delay)
                .field("mode", &plan.mode)
                .finish(),
            Inner::Chance(chance) => f
                .debug_struct("Reply::chance")
                .field("seed", &chance.seed)
                .field("p", &chance.p)
                .field("yes", &chance.yes)
                .field("no", &chance.no)
                .finish(),
        }
    }
}

fn status_code(status: u16) -> StatusCode {
    match StatusCode::from_u16(status) {
        Ok(code) => code,
        Err(_) => panic!("{status} is not an HTTP status code (100..=999)"),
    }
}

impl Reply {
    /// The body of `Reply::from(fault)`: 64 bytes of JSON, so that the
    /// faults that cut a body have one to cut.
    pub const FAULT_BODY: &'static str =
        r#"{"id":"evt_0000000000","object":"event","data":"0123456789abcd"}"#;

    /// The body of [`Reply::malformed_json`]: JSON cut off in the middle of
    /// an object.
    pub const MALFORMED_JSON: &'static str = r#"{"id": "cus_1", "name": "Ada", "balance": "#;

    fn fixed(status: StatusCode) -> Self {
        Reply {
            inner: Inner::Fixed(Box::new(Plan {
                status,
                headers: HeaderMap::new(),
                body: Bytes::new(),
                delay: Duration::ZERO,
                mode: Mode::Normal,
            })),
        }
    }

    /// A reply with this status and an empty body.
    ///
    /// # Panics
    ///
    /// If `status` is not in `100..=999`.
    #[must_use]
    pub fn status(status: u16) -> Self {
        Reply::fixed(status_code(status))
    }

    /// A reply with this status and `value` as a JSON body
    /// (`Content-Type: application/json`).
    ///
    /// # Panics
    ///
    /// If `status` is not in `100..=999`.
    #[must_use]
    pub fn json(status: u16, value: serde_json::Value) -> Self {
        Reply::status(status)
            .header(CONTENT_TYPE.as_str(), "application/json")
            .body(value.to_string())
    }

    /// A reply with this status and a `text/plain` body.
    ///
    /// # Panics
    ///
    /// If `status` is not in `100..=999`.
    #[must_use]
    pub fn text(status: u16, text: impl Into<String>) -> Self {
        Reply::status(status)
            .header(CONTENT_TYPE.as_str(), "text/plain; charset=utf-8")
            .body(text.into())
    }

    /// A `200` announcing `application/json` whose body is not valid JSON
    /// ([`Reply::MALFORMED_JSON`]). The transport succeeds; the client's
    /// decoder fails.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let _ = rustls::crypto::ring::default_provider().install_default();
    /// use integrate_testkit::{FakeProvider, Reply, Route};
    ///
    /// let provider = FakeProvider::start().await;
    /// provider.given(Route::get("/customers/{id}")).respond(Reply::malformed_json());
    ///
    /// let response = reqwest::get(format!("{}/customers/1", provider.url())).await.unwrap();
    /// assert_eq!(response.status(), 200);
    /// let body = response.bytes().await.unwrap();
    /// assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
    /// # }
    /// ```
    #[must_use]
    pub fn malformed_json() -> Self {
        Reply::status(200)
            .header(CONTENT_TYPE.as_str(), "application/json")
            .body(Reply::MALFORMED_JSON)
    }

    /// A `200` whose body is sent in `chunks`, the first right after the
    /// head and each next one `interval` later. No error: a slow body is
    /// cut by the client's attempt timeout, which covers the whole body.
    ///
    /// The `Content-Length` is the sum of the chunks.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let _ = rustls::crypto::ring::default_provider().install_default();
    /// use std::time::Duration;
    /// use integrate_testkit::{FakeProvider, Reply, Route};
    ///
    /// let provider = FakeProvider::start().await;
    /// provider
    ///     .given(Route::get("/feed"))
    ///     .respond(Reply::drip(["[1,", "2,", "3]"], Duration::from_millis(20)));
    ///
    /// let body = reqwest::get(format!("{}/feed", provider.url()))
    ///     .await
    ///     .unwrap()
    ///     .bytes()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(&body[..], b"[1,2,3]");
    /// # }
    /// ```
    #[must_use]
    pub fn drip<I, C>(chunks: I, interval: Duration) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<Bytes>,
    {
        let chunks: Vec<Bytes> = chunks
            .into_iter()
            .map(Into::into)
            .filter(|c| !c.is_empty())
            .collect();
        let body: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        let mut reply = Reply::status(200);
        reply.map_plans(|plan| {
            plan.body = Bytes::from(body.clone());
            plan.mode = Mode::Drip {
                chunks: chunks.clone(),
                interval,
            }
        });
        reply
    }

    /// With probability `p`, `yes`, else `no`, drawn from a generator
    /// seeded with `seed`: the same seed gives the same sequence of
    /// outcomes on every run.
    ///
    /// Clones of the returned reply share the generator, so a route that
    /// answers with it draws the next outcome on every request.
    ///
    /// ```
    /// use integrate_testkit::{FakeProvider, Reply, Route};
    ///
    /// let provider = FakeProvider::in_process();
    /// // about one request in five fails, the same ones on every run
    /// provider
    ///     .given(Route::get("/flaky"))
    ///     .respond(Reply::chance(7, 0.2, Reply::status(503), Reply::status(200)));
    /// ```
    #[must_use]
    pub fn chance(seed: u64, p: f64, yes: Reply, no: Reply) -> Self {
        Reply {
            inner: Inner::Chance(Arc::new(Chance {
                rng: Mutex::new(fastrand::Rng::with_seed(seed)),
                seed,
                p,
                yes,
                no,
            })),
        }
    }

    /// Applies `f` to every fixed reply this one may resolve to.
    fn map_plans(&mut self, f: impl Fn(&mut Plan) + Clone) {
        match &mut self.inner {
            Inner::Fixed(plan) => f(plan),
            Inner::Chance(chance) => {
                let mut yes = chance.yes.clone();
                let mut no = chance.no.clone();
                yes.map_plans(f.clone());
                no.map_plans(f);
                let rng = chance
                    .rng
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                self.inner = Inner::Chance(Arc::new(Chance {
                    rng: Mutex::new(rng),
                    seed: chance.seed,
                    p: chance.p,
                    yes,
                    no,
                }));
            }
        }
    }

    /// Adds a response header (appended: a name may repeat).
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a valid header name or value.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name)
            .unwrap_or_else(|_| panic!("{name:?} is not a valid header name"));
        let value = HeaderValue::try_from(value)
            .unwrap_or_else(|_| panic!("{value:?} is not a valid header value"));
        self.map_plans(|plan| {
            plan.headers.append(name.clone(), value.clone());
        });
        self
    }

    /// Replaces the body (the content type is left as it is). A dripped
    /// body becomes an ordinary one.
    #[must_use]
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        self.map_plans(|plan| {
            plan.body = body.clone();
            if matches!(plan.mode, Mode::Drip { .. }) {
                plan.mode = Mode::Normal;
            }
        });
        self
    }

    /// Waits `delay` (on the tokio clock) before sending the response
    /// head: latency. Over the socket it is real time; through the
    /// in-process transport paused time drives it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use integrate::Transport;
    /// use integrate_testkit::{FakeProvider, Reply, Route};
    ///
    /// let provider = FakeProvider::in_process();
    /// provider
    ///     .given(Route::get("/slow"))
    ///     .respond(Reply::status(200).delay(Duration::from_secs(3)));
    ///
    /// let start = tokio::time::Instant::now();
    /// let request = http::Request::get("/slow").body(Default::default()).unwrap();
    /// provider.transport().send(request).await.unwrap();
    /// assert_eq!(start.elapsed(), Duration::from_secs(3));
    /// # }
    /// ```
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.map_plans(|plan| plan.delay = delay);
        self
    }

    /// Sets `Retry-After` to a number of seconds (use it with 429, 503 or
    /// 403).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let _ = rustls::crypto::ring::default_provider().install_default();
    /// use integrate_testkit::{FakeProvider, Reply, Route};
    ///
    /// let provider = FakeProvider::start().await;
    /// provider.given(Route::get("/limited")).respond(Reply::status(429).retry_after_secs(2));
    ///
    /// let response = reqwest::get(format!("{}/limited", provider.url())).await.unwrap();
    /// assert_eq!(response.status(), 429);
    /// assert_eq!(response.headers()["retry-after"], "2");
    /// # }
    /// ```
    #[must_use]
    pub fn retry_after_secs(mut self, secs: u64) -> Self {
        let value = HeaderValue::from(secs);
        self.map_plans(|plan| {
            plan.headers.insert(RETRY_AFTER, value.clone());
        });
        self
    }

    /// Sets `Retry-After` to an HTTP-date (`Wed, 21 Oct 2015 07:28:00
    /// GMT`).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use integrate_testkit::Reply;
    ///
    /// let at = UNIX_EPOCH + Duration::from_secs(1_445_412_480);
    /// let reply = Reply::status(503).retry_after_date(at);
    /// # let _ = reply;
    /// ```
    #[must_use]
    pub fn retry_after_date(mut self, at: SystemTime) -> Self {
        let date = httpdate::fmt_http_date(at);
        let value = HeaderValue::try_from(date.as_str())
            .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
        self.map_plans(|plan| {
            plan.headers.insert(RETRY_AFTER, value.clone());
        });
        self
    }

    /// Plays `fault` on the wire with this reply's status, headers and
    /// body (see [`Fault`] for what each does).
    #[must_use]
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.map_plans(|plan| plan.mode = Mode::Fault(fault));
        self
    }

    /// Resolves the reply for one request (draws a chance reply's next
    /// outcome).
    pub(crate) fn resolve(&self) -> Plan {
        match &self.inner {
            Inner::Fixed(plan) => (**plan).clone(),
            Inner::Chance(chance) => {
                let draw = chance
                    .rng
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .f64();
                if draw < chance.p {
                    chance.yes.resolve()
                } else {
                    chance.no.resolve()
                }
            }
        }
    }
}

impl From<Fault> for Reply {
    /// A `200` JSON reply carrying [`Reply::FAULT_BODY`] with `fault`
    /// attached.
    fn from(fault: Fault) -> Self {
        Reply::status(200)
            .header(CONTENT_TYPE.as_str(), "application/json")
            .body(Reply::FAULT_BODY)
            .with_fault(fault)
    }
}

impl From<StatusCode> for Reply {
    fn from(status: StatusCode) -> Self {
        Reply::fixed(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_body_is_64_bytes_of_json() {
        assert_eq!(Reply::FAULT_BODY.len(), 64);
        assert!(serde_json::from_str::<serde_json::Value>(Reply::FAULT_BODY).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(Reply::MALFORMED_JSON).is_err());
    }

    #[test]
    fn modifiers_reach_both_branches_of_a_chance() {
        let reply = Reply::chance(1, 0.5, Reply::status(503), Reply::status(200))
            .delay(Duration::from_secs(1));
        for _ in 0..20 {
            assert_eq!(reply.resolve().delay, Duration::from_secs(1));
        }
    }

    #[test]
    fn a_drip_carries_its_whole_body_until_the_body_is_replaced() {
        let drip = Reply::drip(["ab", "", "c"], Duration::from_secs(1));
        let plan = drip.resolve();
        assert_eq!(&plan.body[..], b"abc");
        assert_eq!(
            plan.mode,
            Mode::Drip {
                chunks: vec![Bytes::from_static(b"ab"), Bytes::from_static(b"c")],
                interval: Duration::from_secs(1),
            }
        );
        let plan = drip.body("xyz").resolve();
        assert_eq!(&plan.body[..], b"xyz");
        assert_eq!(plan.mode, Mode::Normal);
    }

    #[test]
    fn degenerate_cuts_are_normal_responses() {
        let plan = Reply::text(200, "abc")
            .with_fault(Fault::ResetAfter(3))
            .resolve();
        assert_eq!(plan.effective_mode(), Mode::Normal);
        let plan = Reply::status(200).with_fault(Fault::Truncated).resolve();
        assert_eq!(plan.effective_mode(), Mode::Normal);
        let plan = Reply::from(Fault::Truncated).resolve();
        assert_eq!(plan.effective_mode(), Mode::Fault(Fault::Truncated));
    }
}

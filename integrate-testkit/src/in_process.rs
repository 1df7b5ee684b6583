//! The in-process transport: the provider's routes and faults served
//! through [`integrate::Transport`], without a socket.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use integrate::transport::{BoxFuture, DEFAULT_MAX_RESPONSE_BODY};
use integrate::{Transport, TransportError};

use crate::journal::Via;
use crate::reply::{Fault, Mode, Plan};
use crate::state::{Incoming, Shared};

/// An [`integrate::Transport`] that answers from a [`FakeProvider`]'s
/// route table, in process.
///
/// It gives, for every [`Fault`], the [`TransportErrorKind`] that
/// [`ReqwestTransport`] gives over the socket, and waits (latency, hangs,
/// dripped bodies) on the tokio clock, so that paused time drives it.
/// Only the path, query, method, headers and body of a request are used;
/// the scheme and authority are ignored.
///
/// Obtain one from [`FakeProvider::transport`]; clones share the provider.
///
/// [`FakeProvider`]: crate::FakeProvider
/// [`FakeProvider::transport`]: crate::FakeProvider::transport
/// [`TransportErrorKind`]: integrate::TransportErrorKind
/// [`ReqwestTransport`]: integrate::ReqwestTransport
#[derive(Clone)]
pub struct InProcessTransport {
    shared: Arc<Shared>,
    max_body: usize,
}

impl fmt::Debug for InProcessTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcessTransport")
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

impl InProcessTransport {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        InProcessTransport {
            shared,
            max_body: DEFAULT_MAX_RESPONSE_BODY,
        }
    }

    /// Sets the largest response body accepted, in bytes, like
    /// [`ReqwestTransport::max_response_body`](integrate::ReqwestTransport::max_response_body):
    /// a larger one fails with
    /// [`TransportErrorKind::BodyTooLarge`](integrate::TransportErrorKind::BodyTooLarge).
    #[must_use]
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    async fn exchange(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        if self.shared.is_down() {
            return Err(TransportError::connect("fake provider: connection refused"));
        }
        let (parts, body) = request.into_parts();
        let plan = self.shared.dispatch(Incoming {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body,
            via: Via::InProcess,
        });
        if !plan.delay.is_zero() {
            tokio::time::sleep(plan.delay).await;
        }
        match plan.effective_mode() {
            Mode::Normal => self.respond(plan),
            Mode::Drip { chunks, interval } => {
                self.check_length(&plan)?;
                // The first chunk goes with the head, each next one an
                // interval later.
                for _ in 1..chunks.len() {
                    tokio::time::sleep(interval).await;
                }
                self.respond(plan)
            }
            Mode::Fault(Fault::Hang) => std::future::pending().await,
            Mode::Fault(Fault::ResetBeforeResponse) => Err(TransportError::network(
                "fake provider: connection reset before the response",
            )),
            Mode::Fault(Fault::CloseWithoutResponse) => Err(TransportError::network(
                "fake provider: connection closed before the response",
            )),
            Mode::Fault(Fault::ResetAfter(_)) => {
                self.check_length(&plan)?;
                Err(TransportError::body(
                    "fake provider: connection reset while sending the body",
                ))
            }
            Mode::Fault(Fault::Truncated) => {
                self.check_length(&plan)?;
                Err(TransportError::body(
                    "fake provider: body shorter than its content-length",
                ))
            }
        }
    }

    /// The socket transport refuses a body whose `Content-Length` is over
    /// the cap before reading it.
    fn check_length(&self, plan: &Plan) -> Result<(), TransportError> {
        if plan.body.len() > self.max_body {
            return Err(TransportError::body_too_large(self.max_body));
        }
        Ok(())
    }

    fn respond(&self, plan: Plan) -> Result<http::Response<Bytes>, TransportError> {
        self.check_length(&plan)?;
        let mut response = http::Response::new(plan.body.clone());
        *response.status_mut() = plan.status;
        *response.version_mut() = http::Version::HTTP_11;
        *response.headers_mut() = plan.headers;
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, http::HeaderValue::from(plan.body.len()));
        Ok(response)
    }
}

impl Transport for InProcessTransport {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        Box::pin(self.exchange(request))
    }
}

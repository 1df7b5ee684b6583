//! A scripted in-memory transport for pipeline tests on paused time.

// Each test target uses a part of it.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use integrate::transport::BoxFuture;
use integrate::{Bytes, Transport, TransportError, TransportErrorKind};
use tokio::time::Instant;

/// One scripted reply.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// A response.
    Reply {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Bytes,
    },
    /// A transport failure.
    Fail(TransportErrorKind),
    /// Never answers.
    Hang,
    /// Waits, then the inner step.
    After(Duration, Box<Step>),
}

impl Step {
    pub(crate) fn status(status: u16) -> Step {
        Step::Reply {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub(crate) fn json(status: u16, body: &'static str) -> Step {
        Step::Reply {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    pub(crate) fn with_header(self, name: &'static str, value: impl Into<String>) -> Step {
        match self {
            Step::Reply {
                status,
                mut headers,
                body,
            } => {
                headers.push((name, value.into()));
                Step::Reply {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

/// A request as the transport saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) at: Instant,
    pub(crate) method: http::Method,
    pub(crate) uri: http::Uri,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

/// Serves the steps in order, then repeats the last one.
#[derive(Clone, Default)]
pub(crate) struct Script {
    steps: Arc<Mutex<VecDeque<Step>>>,
    last: Arc<Mutex<Option<Step>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Script {
    pub(crate) fn new(steps: impl IntoIterator<Item = Step>) -> Script {
        Script {
            steps: Arc::new(Mutex::new(steps.into_iter().collect())),
            ..Script::default()
        }
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Gaps between the arrivals of consecutive requests.
    pub(crate) fn gaps(&self) -> Vec<Duration> {
        let seen = self.seen();
        seen.windows(2).map(|w| w[1].at - w[0].at).collect()
    }

    fn next_step(&self) -> Step {
        let mut steps = self.steps.lock().unwrap();
        let mut last = self.last.lock().unwrap();
        match steps.pop_front() {
            Some(step) => {
                *last = Some(step.clone());
                step
            }
            None => last.clone().unwrap_or_else(|| Step::status(200)),
        }
    }
}

async fn play(step: Step) -> Result<http::Response<Bytes>, TransportError> {
    let mut step = step;
    loop {
        match step {
            Step::Reply {
                status,
                headers,
                body,
            } => {
                let mut builder = http::Response::builder().status(status);
                for (name, value) in headers {
                    builder = builder.header(name, value);
                }
                return Ok(builder.body(body).unwrap());
            }
            Step::Fail(kind) => return Err(TransportError::from_kind(kind)),
            Step::Hang => std::future::pending::<()>().await,
            Step::After(delay, inner) => {
                tokio::time::sleep(delay).await;
                step = *inner;
            }
        }
    }
}

impl Transport for Script {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        let (parts, body) = request.into_parts();
        self.seen.lock().unwrap().push(Seen {
            at: Instant::now(),
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        });
        let step = self.next_step();
        Box::pin(play(step))
    }
}

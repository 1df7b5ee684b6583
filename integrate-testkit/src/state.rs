//! The route table and journal shared by the socket server and the
//! in-process transport.

use std::fmt;
use std::ops::{Range, RangeFrom, RangeInclusive, RangeTo, RangeToInclusive};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use tokio::time::Instant;

use crate::journal::{Journal, RecordedRequest, Via};
use crate::reply::{Mode, Plan, Reply};
use crate::route::{Candidate, Route};

/// How many requests a route expects, for [`Mounted::expect`]: a number or
/// a range (`3`, `1..=3`, `2..`, `..4`).
///
/// [`Mounted::expect`]: crate::Mounted::expect
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    min: u64,
    max: Option<u64>,
}

impl Times {
    pub(crate) fn contains(self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (min, Some(max)) if min == max => write!(f, "exactly {min}"),
            (0, Some(max)) => write!(f, "at most {max}"),
            (min, Some(max)) => write!(f, "between {min} and {max}"),
            (min, None) => write!(f, "at least {min}"),
        }
    }
}

impl From<u64> for Times {
    fn from(n: u64) -> Self {
        Times {
            min: n,
            max: Some(n),
        }
    }
}

impl From<RangeInclusive<u64>> for Times {
    fn from(r: RangeInclusive<u64>) -> Self {
        Times {
            min: *r.start(),
            max: Some(*r.end()),
        }
    }
}

impl From<Range<u64>> for Times {
    fn from(r: Range<u64>) -> Self {
        Times {
            min: r.start,
            max: Some(r.end.saturating_sub(1)),
        }
    }
}

impl From<RangeFrom<u64>> for Times {
    fn from(r: RangeFrom<u64>) -> Self {
        Times {
            min: r.start,
            max: None,
        }
    }
}

impl From<RangeTo<u64>> for Times {
    fn from(r: RangeTo<u64>) -> Self {
        Times {
            min: 0,
            max: Some(r.end.saturating_sub(1)),
        }
    }
}

impl From<RangeToInclusive<u64>> for Times {
    fn from(r: RangeToInclusive<u64>) -> Self {
        Times {
            min: 0,
            max: Some(r.end),
        }
    }
}

/// A mounted route with its script and counters.
pub(crate) struct Mock {
    pub(crate) id: u64,
    pub(crate) route: Route,
    pub(crate) name: Option<String>,
    pub(crate) script: Vec<Reply>,
    pub(crate) next: usize,
    pub(crate) fallback: Option<Reply>,
    pub(crate) limit: Option<u64>,
    pub(crate) expect: Option<Times>,
    pub(crate) matched: u64,
}

impl Mock {
    pub(crate) fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.route),
            None => self.route.to_string(),
        }
    }

    fn exhausted(&self) -> bool {
        self.limit.is_some_and(|limit| self.matched >= limit)
    }

    fn next_reply(&mut self) -> Option<&Reply> {
        let index = self.next;
        if index < self.script.len() {
            self.next += 1;
            return self.script.get(index);
        }
        self.fallback.as_ref().or_else(|| self.script.last())
    }
}

#[derive(Default)]
pub(crate) struct Table {
    pub(crate) mocks: Vec<Mock>,
    pub(crate) journal: Vec<RecordedRequest>,
    pub(crate) next_id: u64,
}

impl Table {
    pub(crate) fn mock_mut(&mut self, id: u64) -> Option<&mut Mock> {
        self.mocks.iter_mut().find(|m| m.id == id)
    }
}

/// What the socket server and the in-process transport share.
#[derive(Default)]
pub(crate) struct Shared {
    table: Mutex<Table>,
    down: AtomicBool,
}

/// A request as received, before matching.
pub(crate) struct Incoming {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) via: Via,
}

impl Shared {
    pub(crate) fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    pub(crate) fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Records the request, finds the first route that matches it, and
    /// resolves that route's next reply (a 404 when none matches).
    pub(crate) fn dispatch(&self, request: Incoming) -> Plan {
        let at = Instant::now();
        let mut table = self.table();
        let candidate = Candidate {
            method: &request.method,
            path: &request.path,
            query: request.query.as_deref(),
            headers: &request.headers,
            body: &request.body,
        };
        let found = table
            .mocks
            .iter_mut()
            .find(|m| !m.exhausted() && m.route.matches(&candidate));
        let (plan, route, mock_id) = match found {
            Some(mock) => {
                mock.matched += 1;
                let id = mock.id;
                let label = mock.label();
                let plan = match mock.next_reply() {
                    Some(reply) => reply.resolve(),
                    None => no_reply(&label),
                };
                (plan, Some(label), Some(id))
            }
            None => {
                let routes: Vec<String> = table.mocks.iter().map(Mock::label).collect();
                (not_found(&request, &routes), None, None)
            }
        };
        tracing::debug!(
            method = %request.method,
            path = %request.path,
            route = route.as_deref().unwrap_or("none"),
            status = plan.status.as_u16(),
            "fake provider received a request"
        );
        table.journal.push(RecordedRequest {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request.headers,
            body: request.body,
            at,
            route,
            mock: mock_id,
            via: request.via,
        });
        plan
    }

    /// The unmet expectations, as one message listing what was received.
    pub(crate) fn verify(&self) -> Result<(), String> {
        let table = self.table();
        let unmet: Vec<String> = table
            .mocks
            .iter()
            .filter_map(|mock| {
                let expect = mock.expect?;
                (!expect.contains(mock.matched)).then(|| {
                    format!(
                        "- {}: expected {expect} request(s), received {}",
                        mock.label(),
                        mock.matched
                    )
                })
            })
            .collect();
        if unmet.is_empty() {
            return Ok(());
        }
        let journal = Journal::new(table.journal.clone());
        Err(format!(
            "fake provider: {} expectation(s) not met:\n{}\n{journal}",
            unmet.len(),
            unmet.join("\n")
        ))
    }
}

fn text_plan(status: StatusCode, body: String) -> Plan {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Plan {
        status,
        headers,
        body: Bytes::from(body),
        delay: std::time::Duration::ZERO,
        mode: Mode::Normal,
    }
}

fn not_found(request: &Incoming, routes: &[String]) -> Plan {
    let mut body = format!(
        "fake provider: no route matches {} {}",
        request.method, request.path
    );
    if let Some(query) = &request.query {
        body.push('?');
        body.push_str(query);
    }
    if routes.is_empty() {
        body.push_str("\nno routes are mounted");
    } else {
        body.push_str("\nmounted routes:");
        for route in routes {
            body.push_str("\n  ");
            body.push_str(route);
        }
    }
    body.push('\n');
    text_plan(StatusCode::NOT_FOUND, body)
}

fn no_reply(label: &str) -> Plan {
    text_plan(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("fake provider: route {label} has an empty script and no fallback\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_from_numbers_and_ranges() {
        let exactly = Times::from(3);
        assert!(exactly.contains(3) && !exactly.contains(2) && !exactly.contains(4));
        assert_eq!(exactly.to_string(), "exactly 3");
        let between = Times::from(1..=3);
        assert!(between.contains(1) && between.contains(3) && !between.contains(0));
        assert_eq!(between.to_string(), "between 1 and 3");
        let half_open = Times::from(1..3);
        assert!(half_open.contains(2) && !half_open.contains(3));
        let at_least = Times::from(2..);
        assert!(at_least.contains(200) && !at_least.contains(1));
        assert_eq!(at_least.to_string(), "at least 2");
        let at_most = Times::from(..=2);
        assert!(at_most.contains(0) && !at_most.contains(3));
        assert_eq!(at_most.to_string(), "at most 2");
        assert_eq!(Times::from(..3), at_most);
    }
}

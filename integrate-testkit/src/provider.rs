//! [`FakeProvider`]: the route table, its two front ends (socket and
//! in-process), scripts and expectations.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::task::JoinHandle;

use crate::in_process::InProcessTransport;
use crate::journal::Journal;
use crate::reply::Reply;
use crate::route::Route;
use crate::server;
use crate::state::{Mock, Shared, Times};

/// The base URL of a provider without a socket. `.invalid` never resolves,
/// so a client pointed at it by mistake fails to connect instead of
/// reaching a real host.
const IN_PROCESS_URL: &str = "http://fake-provider.invalid";

/// A fake third-party API: scripted routes served over a loopback socket
/// and through an in-process [`Transport`](integrate::Transport), with a
/// journal of every request and expectations checked on drop.
///
/// See the [crate documentation](crate) for when to use the socket and when
/// the in-process transport.
///
/// When the provider is dropped, every route's [`expect`](Mounted::expect)
/// is checked and a failure panics with the list of requests received
/// (unless the thread is already panicking, so a failing test reports its
/// own panic, not a double panic). [`verify`](FakeProvider::verify) checks
/// without panicking.
pub struct FakeProvider {
    shared: Arc<Shared>,
    addr: Option<SocketAddr>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for FakeProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (routes, requests) = {
            let table = self.shared.table();
            (table.mocks.len(), table.journal.len())
        };
        f.debug_struct("FakeProvider")
            .field("url", &self.url())
            .field("routes", &routes)
            .field("requests", &requests)
            .finish()
    }
}

impl FakeProvider {
    /// Starts a provider serving HTTP/1.1 on `127.0.0.1` at a free port.
    ///
    /// Must be called within a tokio runtime.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound; use
    /// [`try_start`](FakeProvider::try_start) to handle that.
    pub async fn start() -> FakeProvider {
        match FakeProvider::try_start().await {
            Ok(provider) => provider,
            Err(err) => panic!("fake provider: cannot bind 127.0.0.1:0: {err}"),
        }
    }

    /// Starts a provider serving HTTP/1.1 on `127.0.0.1` at a free port.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub async fn try_start() -> io::Result<FakeProvider> {
        let shared = Arc::new(Shared::default());
        let (addr, task) =
            server::bind((Ipv4Addr::LOCALHOST, 0).into(), Arc::clone(&shared)).await?;
        Ok(FakeProvider {
            shared,
            addr: Some(addr),
            server: Mutex::new(Some(task)),
        })
    }

    /// A provider without a socket, served only through
    /// [`transport`](FakeProvider::transport). Needs no runtime to build.
    #[must_use]
    pub fn in_process() -> FakeProvider {
        FakeProvider {
            shared: Arc::new(Shared::default()),
            addr: None,
            server: Mutex::new(None),
        }
    }

    /// The base URL: `http://127.0.0.1:<port>`, or
    /// `http://fake-provider.invalid` for an in-process provider (the
    /// in-process transport ignores the authority).
    #[must_use]
    pub fn url(&self) -> String {
        match self.addr {
            Some(addr) => format!("http://{addr}"),
            None => IN_PROCESS_URL.to_owned(),
        }
    }

    /// The socket address, or `None` for an in-process provider.
    #[must_use]
    pub fn address(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// A transport that serves this provider's routes in process, sharing
    /// its route table and journal (see [`InProcessTransport`]).
    #[must_use]
    pub fn transport(&self) -> InProcessTransport {
        InProcessTransport::new(Arc::clone(&self.shared))
    }

    /// Starts describing a route; finish with
    /// [`respond`](Given::respond) or [`respond_seq`](Given::respond_seq).
    ///
    /// Routes are tried in the order they were mounted; the first that
    /// matches (and has not used up its [`times`](Mounted::times)) answers.
    /// A request no route matches gets a `404` whose body lists the mounted
    /// routes, and is recorded.
    pub fn given(&self, route: Route) -> Given {
        Given {
            shared: Arc::clone(&self.shared),
            route,
        }
    }

    /// A snapshot of every request received so far, in arrival order.
    #[must_use]
    pub fn journal(&self) -> Journal {
        Journal::new(self.shared.table().journal.clone())
    }

    /// Checks every route's expectation now.
    ///
    /// # Errors
    ///
    /// A [`VerificationError`] whose message names each unmet expectation
    /// and lists every request received.
    pub fn verify(&self) -> Result<(), VerificationError> {
        self.shared
            .verify()
            .map_err(|message| VerificationError { message })
    }

    /// Removes every route and forgets every request.
    pub fn reset(&self) {
        let mut table = self.shared.table();
        table.mocks.clear();
        table.journal.clear();
    }

    /// Stops accepting connections and closes the open ones: clients get
    /// "connection refused" over the socket and
    /// [`TransportErrorKind::Connect`](integrate::TransportErrorKind::Connect)
    /// from both transports. Nothing is recorded while refusing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let _ = rustls::crypto::ring::default_provider().install_default();
    /// use integrate::{ReqwestTransport, Transport, TransportErrorKind};
    /// use integrate_testkit::FakeProvider;
    ///
    /// let provider = FakeProvider::start().await;
    /// provider.refuse_connections();
    ///
    /// let transport = ReqwestTransport::new(reqwest::Client::new());
    /// let request = http::Request::get(format!("{}/health", provider.url()))
    ///     .body(Default::default())
    ///     .unwrap();
    /// let err = transport.send(request).await.unwrap_err();
    /// assert_eq!(err.kind(), TransportErrorKind::Connect);
    /// # }
    /// ```
    pub fn refuse_connections(&self) {
        self.shared.set_down(true);
        if let Some(task) = self.lock_server().take() {
            task.abort();
        }
    }

    /// Accepts connections again after
    /// [`refuse_connections`](FakeProvider::refuse_connections), on the
    /// same address.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound again (another socket took the
    /// port meanwhile).
    pub async fn accept_connections(&self) -> io::Result<()> {
        if let Some(addr) = self.addr
            && self.lock_server().is_none()
        {
            let (_, task) = server::bind(addr, Arc::clone(&self.shared)).await?;
            *self.lock_server() = Some(task);
        }
        self.shared.set_down(false);
        Ok(())
    }

    fn lock_server(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        self.server.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        if let Some(task) = self.lock_server().take() {
            task.abort();
        }
        if std::thread::panicking() {
            return;
        }
        if let Err(err) = self.verify() {
            panic!("{err}");
        }
    }
}

/// The unmet expectations of a provider, with every request it received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationError {
    message: String,
}

impl VerificationError {
    /// The whole message, as printed on drop.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for VerificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for VerificationError {}

/// A route being described; [`respond`](Given::respond) or
/// [`respond_seq`](Given::respond_seq) mounts it.
#[must_use = "a route is mounted by `respond` or `respond_seq`"]
pub struct Given {
    shared: Arc<Shared>,
    route: Route,
}

impl fmt::Debug for Given {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Given").field("route", &self.route).finish()
    }
}

impl Given {
    /// Mounts the route answering every request with `reply` (a [`Reply`]
    /// or a [`Fault`](crate::Fault)).
    pub fn respond(self, reply: impl Into<Reply>) -> Mounted {
        self.mount(vec![reply.into()])
    }

    /// Mounts the route answering with `replies` in order: the first
    /// request gets the first reply, and so on. After the last one the
    /// route answers with its [`fallback`](Mounted::fallback) if it has one,
    /// else with the last reply again.
    ///
    /// ```
    /// use integrate_testkit::{FakeProvider, Reply, Route};
    ///
    /// let provider = FakeProvider::in_process();
    /// // 503 twice, then 200 for good
    /// provider.given(Route::get("/customers/{id}")).respond_seq([
    ///     Reply::status(503),
    ///     Reply::status(503),
    ///     Reply::json(200, serde_json::json!({"id": "cus_1"})),
    /// ]);
    /// ```
    pub fn respond_seq<I, R>(self, replies: I) -> Mounted
    where
        I: IntoIterator<Item = R>,
        R: Into<Reply>,
    {
        self.mount(replies.into_iter().map(Into::into).collect())
    }

    fn mount(self, script: Vec<Reply>) -> Mounted {
        let mut table = self.shared.table();
        let id = table.next_id;
        table.next_id += 1;
        table.mocks.push(Mock {
            id,
            route: self.route,
            name: None,
            script,
            next: 0,
            fallback: None,
            limit: None,
            expect: None,
            matched: 0,
        });
        drop(table);
        Mounted {
            shared: self.shared,
            id,
        }
    }
}

/// A mounted route: set its limits and expectations, read what it
/// received.
///
/// The setters change the route in place (it is already serving), so they
/// may be chained right after [`respond`](Given::respond).
pub struct Mounted {
    shared: Arc<Shared>,
    id: u64,
}

impl fmt::Debug for Mounted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mounted").field("id", &self.id).finish()
    }
}

impl Mounted {
    fn update(&self, f: impl FnOnce(&mut Mock)) {
        if let Some(mock) = self.shared.table().mock_mut(self.id) {
            f(mock);
        }
    }

    /// Matches at most `n` requests; afterwards the route is skipped and
    /// later routes (or the 404) answer.
    ///
    /// ```
    /// use integrate_testkit::{FakeProvider, Reply, Route};
    ///
    /// let provider = FakeProvider::in_process();
    /// // the first two requests fail, every later one falls through to the next route
    /// provider.given(Route::get("/balance")).respond(Reply::status(500)).times(2);
    /// provider.given(Route::get("/balance")).respond(Reply::json(200, serde_json::json!({"available": 10})));
    /// ```
    pub fn times(self, n: u64) -> Self {
        self.update(|mock| mock.limit = Some(n));
        self
    }

    /// Expects this route to match `times` requests (a number or a range:
    /// `3`, `1..=3`, `2..`), checked when the provider is dropped or
    /// [verified](FakeProvider::verify).
    ///
    /// ```should_panic
    /// use integrate_testkit::{FakeProvider, Reply, Route};
    ///
    /// let provider = FakeProvider::in_process();
    /// provider.given(Route::post("/refunds")).respond(Reply::status(201)).expect(1);
    /// drop(provider); // panics: expected exactly 1 request(s), received 0
    /// ```
    pub fn expect(self, times: impl Into<Times>) -> Self {
        let times = times.into();
        self.update(|mock| mock.expect = Some(times));
        self
    }

    /// The reply once the script of [`respond_seq`](Given::respond_seq) is
    /// used up (instead of repeating its last reply).
    pub fn fallback(self, reply: impl Into<Reply>) -> Self {
        let reply = reply.into();
        self.update(|mock| mock.fallback = Some(reply));
        self
    }

    /// Names the route in journal entries and failure messages.
    pub fn named(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.update(|mock| mock.name = Some(name));
        self
    }

    /// How many requests this route has matched.
    #[must_use]
    pub fn received(&self) -> u64 {
        self.shared
            .table()
            .mocks
            .iter()
            .find(|m| m.id == self.id)
            .map_or(0, |m| m.matched)
    }

    /// The requests this route matched, in arrival order.
    #[must_use]
    pub fn requests(&self) -> Journal {
        let table = self.shared.table();
        Journal::new(
            table
                .journal
                .iter()
                .filter(|r| r.mock == Some(self.id))
                .cloned()
                .collect(),
        )
    }
}

//! Serving an axum router over HTTP/1.1 with a header read timeout, which
//! `axum::serve` does not set: a peer that drips its request head (or sits
//! on an idle keep-alive connection) is cut, so it cannot hold
//! connections open indefinitely.

use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower_service::Service as _;

/// The wait after an accept error that is not about one connection (too
/// many open files, say) before accepting again.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` like `axum::serve`, over HTTP/1.1 with a
/// header read timeout (default 10 s,
/// [`header_read_timeout`](Serve::header_read_timeout)).
///
/// Every request carries `axum::extract::ConnectInfo<SocketAddr>` (the
/// peer's address). Bodies are bounded by the routes: the
/// [`Receiver`](super::Receiver)'s route and the [`Verified`](super::Verified)
/// extractor read theirs under `max_body` and `body_timeout`, so with this
/// server a slow peer is cut both while sending its head and while sending
/// its body.
///
/// ```no_run
/// use integrate::webhook::{Receiver, WebhookVerifier, webhook};
///
/// #[webhook(scheme = "github", secret_env = "GITHUB_WEBHOOK_SECRET")]
/// #[derive(serde::Deserialize)]
/// struct Push {
///     after: String,
/// }
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let receiver = Receiver::builder(WebhookVerifier::<Push>::from_env()?).build()?;
/// let app = axum::Router::new().route("/hooks/github", receiver.method_router());
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// // Completed on SIGTERM, say.
/// let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// integrate::webhook::serve(listener, app)
///     .header_read_timeout(std::time::Duration::from_secs(10))
///     .with_graceful_shutdown(async {
///         let _ = stopped.await;
///     })
///     .await?;
/// # Ok(())
/// # }
/// ```
pub fn serve(listener: TcpListener, app: axum::Router) -> Serve {
    Serve {
        listener,
        app,
        header_read_timeout: Serve::DEFAULT_HEADER_READ_TIMEOUT,
        signal: None,
    }
}

/// A server from [`serve`]; await it (it runs until the listener fails or
/// the graceful shutdown signal comes).
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    app: axum::Router,
    header_read_timeout: Duration,
    signal: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl fmt::Debug for Serve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("local_addr", &self.listener.local_addr().ok())
            .field("header_read_timeout", &self.header_read_timeout)
            .field("graceful_shutdown", &self.signal.is_some())
            .finish_non_exhaustive()
    }
}

impl Serve {
    /// The header read timeout used when none is set: 10 seconds.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

    /// How long a peer has to send a whole request head, counted from when
    /// the server starts waiting for it (so it also closes keep-alive
    /// connections idle that long). A peer still sending then is
    /// disconnected without a response. Zero is raised to 1 ms.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Stops accepting when `signal` completes, lets every connection
    /// finish the request it is serving, and returns once they have
    /// closed.
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.signal = Some(Box::pin(signal));
        self
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The listener's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    async fn run(self) -> io::Result<()> {
        let Serve {
            listener,
            app,
            header_read_timeout,
            signal,
        } = self;
        let mut signal = signal.unwrap_or_else(|| Box::pin(std::future::pending()));
        let (closing, closed) = watch::channel(false);
        let mut connections = JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let accepted = poll_fn(|cx| {
                if signal.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                listener.poll_accept(cx).map(Some)
            })
            .await;
            let (stream, peer) = match accepted {
                None => break,
                Some(Ok(accepted)) => accepted,
                Some(Err(e)) if is_connection_error(&e) => continue,
                Some(Err(e)) => {
                    tracing::error!(error = %e, "webhook server: accept failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            };
            connections.spawn(connection(
                stream,
                peer,
                app.clone(),
                header_read_timeout,
                closed.clone(),
            ));
        }
        drop(listener);
        let _ = closing.send(true);
        while connections.join_next().await.is_some() {}
        Ok(())
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Serves one connection until it closes, or until the server is closing
/// and the request in progress is answered.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: axum::Router,
    header_read_timeout: Duration,
    mut closing: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let mut app = app.clone();
        async move { app.call(request).await }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let mut shutting_down = false;
    let served = {
        let mut closed = pin!(closing.wait_for(|closing| *closing));
        poll_fn(|cx| {
            if !shutting_down && closed.as_mut().poll(cx).is_ready() {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
            conn.as_mut().poll(cx)
        })
        .await
    };
    if let Err(e) = served {
        tracing::trace!(error = %e, "webhook server: connection ended with an error");
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

//! Fake providers with injectable faults, for testing integrate clients,
//! and a [`WebhookSender`] for testing webhook receivers.
//!
//! A [`FakeProvider`] plays a third-party API: declarative [`Route`]s
//! answer with [`Reply`]s (status, headers, JSON or raw bodies, latency,
//! `Retry-After`) or with [`Fault`]s played on the wire (hang, reset before
//! the response or in the middle of the body, truncated body, connection
//! closed without a response, dripped body, malformed JSON). Scripts
//! ("503, 503, then 200"), limits, seeded probability and expectations are
//! checked on drop; a [`Journal`] records every request with its arrival
//! instant on the tokio clock.
//!
//! A client's retries on paused time, through the in-process transport:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> integrate::Result<()> {
//! use std::time::Duration;
//! use integrate::{Call, Client, Jitter, Method, RetryPolicy};
//! use integrate_testkit::{FakeProvider, Reply, Route};
//! use serde_json::json;
//!
//! let provider = FakeProvider::in_process();
//! provider
//!     .given(Route::get("/customers/{id}"))
//!     .respond_seq([
//!         Reply::status(503),
//!         Reply::status(429).retry_after_secs(2),
//!         Reply::json(200, json!({"id": "cus_1", "name": "Ada"})),
//!     ])
//!     .expect(3); // checked when `provider` is dropped
//!
//! let client = Client::builder()
//!     .base_url(provider.url())
//!     .transport(provider.transport())
//!     .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(200)).jitter(Jitter::None))
//!     .build()?;
//! let response = client
//!     .execute(Call::new(Method::GET, "/customers/{id}").path("id", "cus_1"))
//!     .await?;
//! assert_eq!(response.status(), 200);
//!
//! // 200 ms of backoff, then the 2 s the provider asked for, on the virtual clock
//! let gaps = provider.journal().gaps();
//! assert_eq!(gaps, [Duration::from_millis(200), Duration::from_secs(2)]);
//! # Ok(())
//! # }
//! ```
//!
//! The same provider over a real socket, breaking a response in the
//! middle of its body:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> integrate::Result<()> {
//! use integrate::{Call, Client, ErrorKind, Method, RetryPolicy};
//! use integrate_testkit::{FakeProvider, Fault, Route};
//!
//! let provider = FakeProvider::start().await;
//! provider
//!     .given(Route::get("/customers/{id}"))
//!     .respond(Fault::ResetAfter(10));
//!
//! let client = Client::builder()
//!     .base_url(provider.url())
//!     .retry(RetryPolicy::none())
//!     .build()?;
//! let err = client
//!     .execute(Call::new(Method::GET, "/customers/{id}").path("id", "cus_1"))
//!     .await
//!     .unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Body);
//! assert_eq!(provider.journal().count(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Socket or in-process?
//!
//! Each provider serves the same route table and journal two ways:
//!
//! - **Over a socket** ([`FakeProvider::start`], [`FakeProvider::url`]):
//!   HTTP/1.1 on `127.0.0.1` at a free port, real bytes, real resets. Use
//!   it to test the whole stack (your `reqwest::Client`, TLS-less HTTP,
//!   connection handling) on **real time**: short timeouts, and assertions
//!   on outcomes (status, error class, bytes received), never on
//!   durations.
//! - **In process** ([`FakeProvider::transport`], or
//!   [`FakeProvider::in_process`] for no socket at all): an
//!   [`integrate::Transport`] that serves the routes without I/O and waits
//!   on the tokio clock. Use it for **timing** assertions (backoff gaps,
//!   `Retry-After` honoured, timeouts, breaker reset) with
//!   `#[tokio::test(start_paused = true)]`.
//!
//! Paused time and sockets do not mix: tokio's paused clock jumps forward
//! whenever the runtime is idle, and a runtime waiting on a socket is
//! idle, so a client's timeouts would fire before the loopback peer
//! answers. Paused-time tests go through the in-process transport.
//!
//! Both give the same [`TransportErrorKind`] for the same script:
//!
//! | script | socket (`ReqwestTransport`) and in-process |
//! | --- | --- |
//! | [`FakeProvider::refuse_connections`] | `Connect` |
//! | [`Fault::ResetBeforeResponse`], [`Fault::CloseWithoutResponse`] | `Network` |
//! | [`Fault::ResetAfter`], [`Fault::Truncated`] | `Body` |
//! | [`Fault::Hang`], [`Reply::drip`], [`Reply::delay`] | no error: the future waits (the client's attempt timeout cuts it) |
//! | [`Reply::malformed_json`] | a `200` with that body (the client's decoder fails) |
//! | a body over the transport's cap | `BodyTooLarge` |
//!
//! A test that drives the socket with a bare `reqwest::Client` (rather than
//! through [`integrate::Client`], which sets this up) must install a rustls
//! crypto provider first, because integrate builds reqwest with rustls and
//! no process-wide default:
//! `rustls::crypto::ring::default_provider().install_default()`.
//!
//! The in-process transport records only what it was given: a request over
//! the socket also carries the headers the HTTP client adds (`host`,
//! `accept`, ...).
//!
//! [`TransportErrorKind`]: integrate::TransportErrorKind

mod in_process;
mod journal;
mod provider;
mod reply;
mod route;
mod server;
mod state;
mod webhook;

pub use in_process::InProcessTransport;
pub use journal::{Journal, RecordedRequest, Via};
pub use provider::{FakeProvider, Given, Mounted, VerificationError};
pub use reply::{Fault, Reply};
pub use route::Route;
pub use state::Times;
pub use webhook::{SignedDelivery, WebhookSender};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<FakeProvider>();
        assert_send_sync::<InProcessTransport>();
        assert_send_sync::<Journal>();
        assert_send_sync::<Reply>();
        assert_send_sync::<Route>();
        assert_send_sync::<Mounted>();
        assert_send_sync::<VerificationError>();
        assert_send_sync::<WebhookSender>();
        assert_send_sync::<SignedDelivery>();
    }
}

//! The socket server: HTTP/1.1 on loopback through hyper, with a socket
//! wrapper that breaks the framing hyper would never break.
//!
//! hyper parses every request and writes every response. A fault that needs
//! broken framing arms the connection's [`FaultControl`] before the
//! response is handed to hyper; [`FaultIo`], the socket hyper writes to,
//! then lets through the response head and only as many body bytes as the
//! fault allows, and ends the connection with a reset (zero linger) or a
//! clean close.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Sleep;

use crate::journal::Via;
use crate::reply::{Fault, Mode, Plan};
use crate::state::{Incoming, Shared};

/// Accepts connections until the task is aborted; aborting it drops every
/// open connection.
pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve(stream, Arc::clone(&shared)));
                }
                Err(err) => {
                    tracing::warn!(error = %err, "fake provider: accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Binds `addr` and starts serving; returns the bound address and the
/// accept task.
pub(crate) async fn bind(
    addr: SocketAddr,
    shared: Arc<Shared>,
) -> io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((local, tokio::spawn(accept_loop(listener, shared))))
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let control = Arc::new(FaultControl::default());
    let io = hyper_util::rt::TokioIo::new(FaultIo {
        stream,
        control: Arc::clone(&control),
    });
    let service = hyper::service::service_fn(move |request| {
        handle(Arc::clone(&shared), Arc::clone(&control), request)
    });
    let result = hyper::server::conn::http1::Builder::new()
        .header_read_timeout(None)
        .serve_connection(io, service)
        .await;
    if let Err(err) = result {
        tracing::trace!(error = %err, "fake provider: connection ended");
    }
}

/// Returned to hyper to end a connection without a response.
#[derive(Debug)]
struct Abort;

impl fmt::Display for Abort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fault injected: connection dropped")
    }
}

impl std::error::Error for Abort {}

async fn handle(
    shared: Arc<Shared>,
    control: Arc<FaultControl>,
    request: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<ReplyBody>, Abort> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(Abort),
    };
    let plan = shared.dispatch(Incoming {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
        via: Via::Socket,
    });
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let body = match plan.effective_mode() {
        Mode::Normal => ReplyBody::full(plan.body.clone()),
        Mode::Drip { chunks, interval } => ReplyBody::drip(chunks, interval),
        Mode::Fault(Fault::Hang) => std::future::pending().await,
        Mode::Fault(Fault::ResetBeforeResponse) => {
            control.reset_on_close();
            return Err(Abort);
        }
        Mode::Fault(Fault::CloseWithoutResponse) => return Err(Abort),
        Mode::Fault(Fault::ResetAfter(n)) => {
            control.cut(n, End::Reset);
            ReplyBody::full(plan.body.clone())
        }
        Mode::Fault(Fault::Truncated) => {
            control.cut(plan.body.len() / 2, End::Close);
            ReplyBody::full(plan.body.clone())
        }
    };
    Ok(response(plan, body))
}

fn response(plan: Plan, body: ReplyBody) -> http::Response<ReplyBody> {
    let mut response = http::Response::new(body);
    *response.status_mut() = plan.status;
    *response.headers_mut() = plan.headers;
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, http::HeaderValue::from(plan.body.len()));
    response
}

/// A response body: whole, or in chunks at an interval.
pub(crate) struct ReplyBody {
    chunks: VecDeque<Bytes>,
    remaining: u64,
    interval: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl ReplyBody {
    fn full(body: Bytes) -> Self {
        ReplyBody::drip(vec![body], Duration::ZERO)
    }

    fn drip(chunks: Vec<Bytes>, interval: Duration) -> Self {
        let chunks: VecDeque<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        ReplyBody {
            chunks,
            remaining,
            interval,
            sleep: None,
        }
    }
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(sleep) = self.sleep.as_mut() {
            ready!(sleep.as_mut().poll(cx));
            self.sleep = None;
        }
        let Some(chunk) = self.chunks.pop_front() else {
            return Poll::Ready(None);
        };
        self.remaining -= chunk.len() as u64;
        if !self.chunks.is_empty() {
            self.sleep = Some(Box::pin(tokio::time::sleep(self.interval)));
        }
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// How a cut connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Zero linger, then close: a TCP `RST`.
    Reset,
    /// An ordinary close: a `FIN`.
    Close,
}

/// The fault armed on one connection.
#[derive(Default)]
pub(crate) struct FaultControl {
    state: Mutex<ControlState>,
}

#[derive(Default)]
struct ControlState {
    reset: bool,
    cut: Option<Cut>,
}

impl FaultControl {
    fn lock(&self) -> std::sync::MutexGuard<'_, ControlState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes the connection with a reset instead of a `FIN`.
    fn reset_on_close(&self) {
        self.lock().reset = true;
    }

    /// Lets the next response head through, then `body_bytes` of its body,
    /// then ends the connection.
    fn cut(&self, body_bytes: usize, end: End) {
        self.lock().cut = Some(Cut {
            matched: 0,
            in_body: false,
            body_left: body_bytes,
            end,
        });
    }
}

/// Tracks the bytes written since a cut was armed: the head (up to the
/// first blank line), then the allowed body bytes.
struct Cut {
    /// How many bytes of `\r\n\r\n` the head has matched so far.
    matched: usize,
    in_body: bool,
    body_left: usize,
    end: End,
}

const HEAD_END: &[u8; 4] = b"\r\n\r\n";

impl Cut {
    fn step(matched: usize, byte: u8) -> usize {
        if HEAD_END.get(matched) == Some(&byte) {
            matched + 1
        } else if byte == b'\r' {
            1
        } else {
            0
        }
    }

    /// How many leading bytes of `buf` may still be written.
    fn allowance(&self, buf: &[u8]) -> usize {
        let mut matched = self.matched;
        let mut head = 0;
        if !self.in_body {
            for &byte in buf {
                head += 1;
                matched = Cut::step(matched, byte);
                if matched == HEAD_END.len() {
                    return head + self.body_left.min(buf.len() - head);
                }
            }
            return buf.len();
        }
        self.body_left.min(buf.len())
    }

    /// Accounts for `written` bytes that went out.
    fn advance(&mut self, written: &[u8]) {
        let mut rest = written;
        while !self.in_body {
            let Some((&byte, tail)) = rest.split_first() else {
                return;
            };
            rest = tail;
            self.matched = Cut::step(self.matched, byte);
            self.in_body = self.matched == HEAD_END.len();
        }
        self.body_left -= rest.len().min(self.body_left);
    }

    fn is_spent(&self) -> bool {
        self.in_body && self.body_left == 0
    }
}

/// The socket hyper reads from and writes to, obeying the connection's
/// [`FaultControl`].
struct FaultIo {
    stream: TcpStream,
    control: Arc<FaultControl>,
}

impl FaultIo {
    fn abort(&self, end: End) -> io::Error {
        if end == End::Reset {
            self.control.lock().reset = true;
            let _ = self.stream.set_zero_linger();
        }
        io::Error::new(io::ErrorKind::ConnectionAborted, "fault injected: cut")
    }
}

impl Drop for FaultIo {
    fn drop(&mut self) {
        if self.control.lock().reset {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for FaultIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let (allowed, spent_end) = {
            let state = this.control.lock();
            match &state.cut {
                None => (buf.len(), None),
                Some(cut) if cut.is_spent() => (0, Some(cut.end)),
                Some(cut) => (cut.allowance(buf), None),
            }
        };
        if let Some(end) = spent_end {
            this.control.lock().cut = None;
            return Poll::Ready(Err(this.abort(end)));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let written = ready!(Pin::new(&mut this.stream).poll_write(cx, &buf[..allowed]))?;
        if let Some(cut) = this.control.lock().cut.as_mut() {
            cut.advance(&buf[..written]);
        }
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.control.lock().reset {
            let _ = this.stream.set_zero_linger();
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(body_bytes: usize) -> Cut {
        Cut {
            matched: 0,
            in_body: false,
            body_left: body_bytes,
            end: End::Reset,
        }
    }

    #[test]
    fn a_cut_lets_the_head_and_n_body_bytes_through() {
        let wire = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789";
        let head = wire.len() - 10;
        let c = cut(4);
        assert_eq!(c.allowance(wire), head + 4);
    }

    #[test]
    fn a_cut_counts_across_writes() {
        let mut c = cut(3);
        let first = b"HTTP/1.1 200 OK\r\nx: y\r";
        assert_eq!(c.allowance(first), first.len());
        c.advance(first);
        let second = b"\n\r\nabcdef";
        assert_eq!(c.allowance(second), 3 + 3);
        c.advance(&second[..5]);
        assert!(!c.is_spent());
        assert_eq!(c.allowance(&second[5..]), 1);
        c.advance(&second[5..6]);
        assert!(c.is_spent());
    }
}

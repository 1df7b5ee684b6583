//! A raw HTTP/1.1 server on loopback that records every request head as
//! bytes, for tests that assert what reaches the wire.

// Each test target uses a part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server read it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    /// The request line, without its `\r\n`: `GET /path?q HTTP/1.1`.
    pub(crate) line: String,
    /// Header lines, as sent.
    pub(crate) headers: Vec<(String, String)>,
    /// The body.
    pub(crate) body: Vec<u8>,
}

impl Seen {
    /// The request target of the request line.
    pub(crate) fn target(&self) -> &str {
        self.line.split(' ').nth(1).unwrap_or_default()
    }

    /// The first header of that name (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response for every request: status line and extra header lines.
#[derive(Clone)]
pub(crate) struct Answer {
    pub(crate) status: &'static str,
    pub(crate) headers: Vec<String>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn ok() -> Answer {
        Answer {
            status: "200 OK",
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// The recording server. Dropping it stops accepting.
pub(crate) struct WireServer {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WireServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WireServer {
    /// Answers every request with `answer`.
    pub(crate) async fn start(answer: Answer) -> WireServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let record = Arc::clone(&record);
                let answer = answer.clone();
                tokio::spawn(serve(stream, record, answer));
            }
        });
        WireServer { addr, seen, task }
    }

    /// `http://127.0.0.1:port`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Forgets the requests received so far.
    pub(crate) fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

async fn serve(mut stream: TcpStream, record: Arc<Mutex<Vec<Seen>>>, answer: Answer) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        // Read one head.
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let line = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        buf.drain(..head_end + 4);
        while buf.len() < length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf.drain(..length).collect();
        record.lock().unwrap().push(Seen {
            line,
            headers,
            body,
        });
        let mut reply = format!(
            "HTTP/1.1 {}\r\ncontent-length: {}\r\n",
            answer.status,
            answer.body.len()
        );
        for h in &answer.headers {
            reply.push_str(h);
            reply.push_str("\r\n");
        }
        reply.push_str("\r\n");
        let mut bytes = reply.into_bytes();
        bytes.extend_from_slice(&answer.body);
        if stream.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

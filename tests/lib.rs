//! Test support shared by the workspace tests in `tests/tests/` and the runtime's behaviour
//! tests in `runtime/tests/behaviour/`.
//!
//! [`ScriptedServer`] is a tiny HTTP/1.1 server on loopback whose every reply is decided by
//! the test, down to the bytes: it can send a partial body and reset the connection, truncate
//! JSON, answer HTML, or redirect elsewhere, which a mock library cannot. It logs every request
//! it receives (method, target, `Authorization`, body), so a test can prove where the token went.
#![forbid(unsafe_code)]

pub mod bucket;
pub mod graphql_server;
pub mod json_eq;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    /// Path and query, as sent (`/api/v1/courses?page=2`).
    pub target: String,
    pub authorization: Option<String>,
    /// Every header, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Logged {
    /// The value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response.
    Full { status: u16, headers: Vec<(String, String)>, body: Vec<u8> },
    /// Headers announcing `declared` body bytes, then only `sent`, then the connection closes.
    CutBody { declared: usize, sent: Vec<u8> },
    /// The inner reply after a pause (to hold requests in flight).
    Slow(std::time::Duration, Box<Reply>),
    /// `status` with a body of `size` bytes of `x`, written in 64 KiB chunks until the client
    /// stops reading (the bytes that got out are counted: [`ScriptedServer::body_bytes_sent`]).
    /// With `declare`, a `Content-Length` announces the size; without, the body ends when
    /// the connection closes.
    Large { status: u16, size: usize, declare: bool },
}

impl Reply {
    /// `200` with a JSON body.
    pub fn json(body: impl Into<String>) -> Self {
        Reply::status(200, body).header("content-type", "application/json; charset=utf-8")
    }

    /// Any status with a body.
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Reply::Full { status, headers: Vec::new(), body: body.into().into_bytes() }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        if let Reply::Full { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.into()));
        }
        self
    }
}

type Router = dyn Fn(&Logged, usize) -> Reply + Send + Sync;

/// A loopback server answering with a test-supplied router. The router gets the request and
/// how many earlier requests had the same target (0 for the first), to script "fail, then
/// succeed". It stops when dropped.
pub struct ScriptedServer {
    addr: SocketAddr,
    scheme: &'static str,
    /// Body bytes of `Reply::Large` replies that the socket accepted.
    large_sent: Arc<std::sync::atomic::AtomicUsize>,
    log: Arc<Mutex<Vec<Logged>>>,
    /// (requests being answered now, most at once)
    in_flight: Arc<Mutex<(usize, usize)>>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptedServer {
    /// Starts serving on an ephemeral loopback port.
    pub async fn start(router: impl Fn(&Logged, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with(|_| router).await
    }

    /// Like [`start`](Self::start), for a router that needs the server's own base URI
    /// (to write `Link` headers): `make` gets it once the port is bound.
    pub async fn start_with<R>(make: impl FnOnce(String) -> R) -> Self
    where
        R: Fn(&Logged, usize) -> Reply + Send + Sync + 'static,
    {
        Self::serve(None, make).await
    }

    /// Like [`start`](Self::start), over TLS (`https://127.0.0.1:<port>`) with the test
    /// certificate in `tests/fixtures/tls`, which only a client trusting [`TEST_CA_PEM`]
    /// accepts.
    pub async fn start_tls(router: impl Fn(&Logged, usize) -> Reply + Send + Sync + 'static) -> Self {
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let cert = CertificateDer::from_pem_slice(include_bytes!("fixtures/tls/server.pem")).expect("test cert");
        let key = PrivateKeyDer::from_pem_slice(include_bytes!("fixtures/tls/server.key")).expect("test key");
        let config = tokio_rustls::rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .expect("TLS config");
        Self::serve(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))), |_| router).await
    }

    async fn serve<R>(tls: Option<tokio_rustls::TlsAcceptor>, make: impl FnOnce(String) -> R) -> Self
    where
        R: Fn(&Logged, usize) -> Reply + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let shared = Shared {
            log: Arc::default(),
            router: Arc::new(make(format!("{scheme}://{addr}"))),
            seen: Arc::default(),
            in_flight: Arc::default(),
            large_sent: Arc::default(),
        };
        let (log, in_flight, large_sent) = (shared.log.clone(), shared.in_flight.clone(), shared.large_sent.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                let (shared, tls) = (shared.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        // A failed handshake (a client that does not trust the certificate)
                        // is not a request: nothing is logged.
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(socket).await {
                                shared.answer(stream).await;
                            }
                        }
                        None => shared.answer(socket).await,
                    }
                });
            }
        });
        ScriptedServer { addr, scheme, large_sent, log, in_flight, task }
    }

    /// Body bytes of `Reply::Large` replies that got out before the client stopped reading.
    pub fn body_bytes_sent(&self) -> usize {
        self.large_sent.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// `http://127.0.0.1:<port>` (`https://` for [`start_tls`](Self::start_tls)).
    pub fn uri(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.in_flight.lock().unwrap().1
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads the next request head (up to and including the blank line) from a keep-alive
/// connection, leaving whatever follows it in `buf` for the next call; `None` once the
/// client has closed the connection. Bodies are the caller's business.
pub async fn next_head<S: AsyncRead + Unpin>(socket: &mut S, buf: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    buf.drain(..end);
    Some(head)
}

/// The root certificate that [`ScriptedServer::start_tls`] servers are signed with (a test
/// CA whose key was discarded after signing; valid for `127.0.0.1` and `localhost`).
pub const TEST_CA_PEM: &[u8] = include_bytes!("fixtures/tls/ca.pem");

/// What every connection of one server shares.
#[derive(Clone)]
struct Shared {
    log: Arc<Mutex<Vec<Logged>>>,
    router: Arc<Router>,
    seen: Arc<Mutex<BTreeMap<String, usize>>>,
    /// (requests being answered now, most at once)
    in_flight: Arc<Mutex<(usize, usize)>>,
    large_sent: Arc<std::sync::atomic::AtomicUsize>,
}

impl Shared {
    /// Reads one request from `socket`, logs it and writes the router's reply.
    async fn answer<S: AsyncRead + AsyncWrite + Unpin>(&self, mut socket: S) {
        let Some(req) = read_request(&mut socket).await else { return };
        let nth = {
            let mut seen = self.seen.lock().unwrap();
            let n = seen.entry(format!("{} {}", req.method, req.target)).or_default();
            *n += 1;
            *n - 1
        };
        self.log.lock().unwrap().push(req.clone());
        {
            let mut f = self.in_flight.lock().unwrap();
            f.0 += 1;
            f.1 = f.1.max(f.0);
        }
        let mut reply = (self.router)(&req, nth);
        while let Reply::Slow(pause, inner) = reply {
            tokio::time::sleep(pause).await;
            reply = *inner;
        }
        if let Reply::Large { status, size, declare } = reply {
            write_large(&mut socket, status, size, declare, &self.large_sent).await;
        } else {
            let _ = socket.write_all(&render(&reply)).await;
        }
        let _ = socket.shutdown().await;
        self.in_flight.lock().unwrap().0 -= 1;
    }
}

async fn read_request<S: AsyncRead + Unpin>(socket: &mut S) -> Option<Logged> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head = next_head(socket, &mut buf).await?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let mut length = 0;
    let mut authorization = None;
    let mut headers = Vec::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
            match name.as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "authorization" => authorization = Some(value.clone()),
                _ => {}
            }
            headers.push((name, value));
        }
    }
    let mut body = buf;
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Logged { method, target, authorization, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

fn render(reply: &Reply) -> Vec<u8> {
    match reply {
        Reply::Full { status, headers, body } => {
            let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(body);
            bytes
        }
        Reply::CutBody { declared, sent } => {
            let mut bytes = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\nconnection: close\r\n\r\n"
            )
            .into_bytes();
            bytes.extend_from_slice(sent);
            bytes
        }
        Reply::Slow(_, inner) => render(inner),
        Reply::Large { .. } => unreachable!("streamed by write_large"),
    }
}

async fn write_large<S: AsyncWrite + Unpin>(
    socket: &mut S,
    status: u16,
    size: usize,
    declare: bool,
    sent: &std::sync::atomic::AtomicUsize,
) {
    let length = if declare { format!("content-length: {size}\r\n") } else { String::new() };
    let head = format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{length}connection: close\r\n\r\n");
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk = vec![b'x'; 64 << 10];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        if socket.write_all(&chunk[..n]).await.is_err() {
            return;
        }
        sent.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        left -= n;
    }
}

/// The README's Rust examples, compiled as doctests (`cargo test -p canvas-tests --doc`), so
/// that what it shows stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

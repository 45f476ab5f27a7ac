//! A tiny HTTP/1.1 server whose answer to each request comes from a
//! function: a provider that speaks the contract but misbehaves (hostile
//! ids and names, endless pages, bad checksums), scripted per test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

/// One request as the handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The raw query (without `?`), empty when none.
    pub query: String,
    pub body: String,
}

impl Request {
    /// The value of query parameter `name`, if present.
    pub fn param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            content_type: "application/json".into(),
            body: body.into().into_bytes(),
        }
    }

    /// An RFC 9457 problem with the contract's `code`.
    pub fn problem(status: u16, code: &str, detail: &str) -> Reply {
        Reply {
            status,
            content_type: "application/problem+json".into(),
            body: serde_json::json!({"type": "about:blank", "title": code, "status": status,
                                     "detail": detail, "code": code})
            .to_string()
            .into_bytes(),
        }
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running server; stops when dropped.
pub struct RoutedServer {
    pub port: u16,
    served: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for RoutedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutedServer")
            .field("port", &self.port)
            .finish()
    }
}

impl RoutedServer {
    /// Serves on a free loopback port, one thread per connection.
    pub fn start(
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> anyhow::Result<RoutedServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let port = listener.local_addr()?.port();
        let served = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (count, stopped) = (Arc::clone(&served), Arc::clone(&stop));
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (handler, count) = (Arc::clone(&handler), Arc::clone(&count));
                thread::spawn(move || {
                    count.fetch_add(1, Ordering::SeqCst);
                    let _ = serve(stream, handler.as_ref());
                });
            }
        });
        Ok(RoutedServer { port, served, stop })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests were answered.
    pub fn requests(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

impl Drop for RoutedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, handler: &Handler) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (target, String::new()),
    };
    let reply = handler(&Request {
        method,
        path,
        query,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {} X\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reply.status,
        reply.content_type,
        reply.body.len()
    )?;
    stream.write_all(&reply.body)?;
    stream.flush()
}

//! A tiny HTTP/1.1 server, plain or TLS, that answers with scripted responses
//! and records what it was sent: for retries, Retry-After, redirects, limits
//! and certificates.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The response to the request numbered `n` (from 0), given its text.
type Answer = Arc<dyn Fn(usize, &str) -> String + Send + Sync>;

#[derive(Debug, Clone)]
pub struct Scripted {
    pub port: u16,
    scheme: &'static str,
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Connections accepted, handshakes that failed included.
    pub connections: Arc<AtomicUsize>,
}

impl Scripted {
    /// Serves `responses` (full HTTP responses) one per request, repeating the last.
    pub async fn start(responses: Vec<String>) -> Scripted {
        Self::start_on("127.0.0.1", responses).await
    }

    pub async fn start_on(ip: &str, responses: Vec<String>) -> Scripted {
        Self::serve(ip, None, in_order(responses)).await
    }

    /// Answers request `n` (from 0) with `answer(n, request)`.
    pub async fn start_with(
        answer: impl Fn(usize, &str) -> String + Send + Sync + 'static,
    ) -> Scripted {
        Self::serve("127.0.0.1", None, Arc::new(answer)).await
    }

    /// Serves `responses` over TLS, with the certificate of `acceptor`.
    pub async fn start_tls(acceptor: TlsAcceptor, responses: Vec<String>) -> Scripted {
        Self::serve("127.0.0.1", Some(acceptor), in_order(responses)).await
    }

    async fn serve(ip: &str, tls: Option<TlsAcceptor>, answer: Answer) -> Scripted {
        let listener = TcpListener::bind((ip, 0)).await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&requests);
        let accepted = Arc::clone(&connections);
        let scheme = if tls.is_some() { "https" } else { "http" };
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                accepted.fetch_add(1, Ordering::SeqCst);
                match &tls {
                    None => exchange(stream, &seen, &answer).await,
                    Some(acceptor) => {
                        // A client that refuses the certificate ends the handshake.
                        if let Ok(stream) = acceptor.accept(stream).await {
                            exchange(stream, &seen, &answer).await;
                        }
                    }
                }
            }
        });
        Scripted {
            port,
            scheme,
            requests,
            connections,
        }
    }

    /// Answers every request with a `200 OK` whose body never ends: one byte
    /// every `every`, so no single read ever waits long.
    pub async fn trickling(every: Duration) -> Scripted {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&requests);
        let accepted = Arc::clone(&connections);
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                accepted.fetch_add(1, Ordering::SeqCst);
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    let request = read_request(&mut stream).await;
                    seen.lock().expect("lock").push(request);
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n";
                    let _ = stream.write_all(head.as_bytes()).await;
                    // Ends when the client hangs up.
                    while stream.write_all(b" ").await.is_ok() {
                        tokio::time::sleep(every).await;
                    }
                });
            }
        });
        Scripted {
            port,
            scheme: "http",
            requests,
            connections,
        }
    }

    pub fn base(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    pub fn count(&self) -> usize {
        self.requests.lock().expect("lock").len()
    }
}

fn in_order(responses: Vec<String>) -> Answer {
    Arc::new(move |n, _| responses[n.min(responses.len() - 1)].clone())
}

/// Reads one request, answers it and closes the connection.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    seen: &Mutex<Vec<String>>,
    answer: &Answer,
) {
    let request = read_request(&mut stream).await;
    let served = {
        let mut seen = seen.lock().expect("lock");
        seen.push(request.clone());
        seen.len() - 1
    };
    let response = answer(served, &request);
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// One request (headers and a small body), as text.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> String {
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    while let Ok(n) = stream.read(&mut buf[got..]).await {
        if n == 0 {
            break;
        }
        got += n;
        let text = String::from_utf8_lossy(&buf[..got]);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if got >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buf[..got]).into_owned()
}

/// A complete HTTP response.
pub fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut text = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text
}

/// A valid `Me` body.
pub const ME: &str = r#"{"person":{"id":"p","name":"P","email":"p@example.com"},"accounts":[{"account_id":"a","account_name":"A","plan":"enterprise","role":"superhero"}]}"#;

/// A valid `Backup` body.
pub const BACKUP: &str = r#"{"id":"bk_1","status":"awaiting_release","requested_at":"2026-11-21T10:00:00Z","requested_by":{"id":"p","name":"P"},"status_changed_at":"2026-11-21T10:00:00Z","ready_at":null,"expires_at":null,"size_bytes":null,"sha256":null,"file_name":null,"error_message":null}"#;

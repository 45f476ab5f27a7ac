//! A tiny HTTP/1.1 server that answers with scripted responses in order and
//! records what it was sent: for retries, Retry-After and redirects.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Scripted {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    /// Serves `responses` (full HTTP responses) one per request, repeating the last.
    pub async fn start(responses: Vec<String>) -> Scripted {
        Self::start_on("127.0.0.1", responses).await
    }

    pub async fn start_on(ip: &str, responses: Vec<String>) -> Scripted {
        let listener = TcpListener::bind((ip, 0)).await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        tokio::spawn(async move {
            let mut served = 0usize;
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = vec![0u8; 64 * 1024];
                let mut got = 0;
                // Read one request (headers and a small body).
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
                seen.lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&buf[..got]).into_owned());
                let response = responses[served.min(responses.len() - 1)].clone();
                served += 1;
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        Scripted { port, requests }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn count(&self) -> usize {
        self.requests.lock().expect("lock").len()
    }
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

//! Progress reports (throttled) and cancellation.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A snapshot of a running download.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    /// Recent rate in bytes per second.
    pub rate: f64,
    pub eta: Option<Duration>,
    /// SSH sessions currently downloading.
    pub streams: usize,
}

/// Cancels a download from another thread, within a second: it sets a flag
/// and shuts the sockets so blocking reads return at once.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    cancelled: Arc<AtomicBool>,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
}

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks the download to stop; the partial file stays for a resume.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        for socket in self
            .sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    pub(crate) fn register(&self, socket: &TcpStream) {
        if let Ok(clone) = socket.try_clone() {
            if self.is_cancelled() {
                let _ = clone.shutdown(Shutdown::Both);
            }
            self.sockets
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(clone);
        }
    }
}

/// Turns a stream of byte counts into throttled [`Progress`] reports:
/// the first and last always, otherwise at most every `interval`.
#[derive(Debug)]
pub(crate) struct ProgressMeter {
    total: u64,
    interval: Duration,
    last_emit: Option<Instant>,
    window: Vec<(Instant, u64)>,
}

impl ProgressMeter {
    pub fn new(total: u64, interval: Duration) -> ProgressMeter {
        ProgressMeter {
            total,
            interval,
            last_emit: None,
            window: Vec::new(),
        }
    }

    /// A report for `done` bytes at `now`, if one is due (or `force`).
    pub fn observe(
        &mut self,
        done: u64,
        streams: usize,
        now: Instant,
        force: bool,
    ) -> Option<Progress> {
        self.window.push((now, done));
        let horizon = now.checked_sub(Duration::from_secs(3)).unwrap_or(now);
        self.window.retain(|(t, _)| *t >= horizon);
        let due = force
            || self
                .last_emit
                .is_none_or(|t| now.duration_since(t) >= self.interval);
        if !due {
            return None;
        }
        self.last_emit = Some(now);
        let (t0, d0) = self.window[0];
        let secs = now.duration_since(t0).as_secs_f64();
        let rate = if secs > 0.0 {
            (done.saturating_sub(d0)) as f64 / secs
        } else {
            0.0
        };
        let eta = (rate > 0.0)
            .then(|| Duration::from_secs_f64(self.total.saturating_sub(done) as f64 / rate));
        Some(Progress {
            done,
            total: self.total,
            rate,
            eta,
            streams,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_throttled_but_the_first_and_last_always_come() {
        let mut meter = ProgressMeter::new(1000, Duration::from_millis(100));
        let t0 = Instant::now();
        assert!(meter.observe(0, 1, t0, false).is_some(), "first");
        assert!(
            meter
                .observe(10, 1, t0 + Duration::from_millis(20), false)
                .is_none(),
            "throttled"
        );
        let p = meter
            .observe(500, 1, t0 + Duration::from_millis(500), false)
            .expect("due");
        assert!(
            (p.rate - 1000.0).abs() < 1.0,
            "500 bytes in 0.5 s: {}",
            p.rate
        );
        assert_eq!(p.eta, Some(Duration::from_millis(500)));
        assert!(
            meter
                .observe(1000, 1, t0 + Duration::from_millis(510), true)
                .is_some(),
            "last"
        );
    }

    #[test]
    fn cancel_shuts_registered_sockets() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let token = CancelToken::new();
        token.register(&client);
        token.cancel();
        let mut buf = [0u8; 1];
        use std::io::Read;
        assert_eq!(
            (&client).read(&mut buf).expect("read after shutdown"),
            0,
            "the read returns at once"
        );
        assert!(token.is_cancelled());
    }
}

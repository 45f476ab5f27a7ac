//! A TCP fault proxy: latency, a shared bandwidth cap, cuts and stalls.
//!
//! There is no netem here, so network faults and internet-like links are
//! emulated in user space. The proxy listens on a free loopback port and
//! forwards every connection to one target. Following the measured-link
//! notes: the bandwidth cap belongs to the *link* (all connections share one
//! budget per direction), each direction is delayed by half the RTT, and the
//! proxy buffers without bound so protocol windows, not the proxy, limit what
//! is in flight.
//!
//! "Down" is target → client (the download direction), "up" is client → target.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Which way bytes travel through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client → target.
    Up,
    /// Target → client.
    Down,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::Up => 0,
            Direction::Down => 1,
        }
    }
}

/// A link the benchmarks emulate with the proxy: a round trip (zero on
/// loopback, where no proxy stands in between) and a bandwidth cap shared
/// by every connection.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub name: &'static str,
    pub rtt: Duration,
    pub cap: Option<u64>,
}

impl Link {
    /// Loopback: no delay and no cap.
    pub fn is_loopback(&self) -> bool {
        self.rtt.is_zero()
    }
}

/// Loopback and the internet links `make bench` measures on: a nearby
/// region, another continent, and a fast link with no cap.
pub const BENCH_LINKS: [Link; 4] = [
    Link {
        name: "loopback",
        rtt: Duration::ZERO,
        cap: None,
    },
    Link {
        name: "50 ms, 100 MB/s",
        rtt: Duration::from_millis(50),
        cap: Some(100_000_000),
    },
    Link {
        name: "200 ms, 50 MB/s",
        rtt: Duration::from_millis(200),
        cap: Some(50_000_000),
    },
    Link {
        name: "20 ms, uncapped",
        rtt: Duration::from_millis(20),
        cap: None,
    },
];

/// A running fault proxy; stops accepting and closes everything on drop.
#[derive(Debug)]
pub struct FaultProxy {
    /// The port clients connect to, on 127.0.0.1.
    pub port: u16,
    control: Arc<Control>,
}

#[derive(Debug)]
struct Control {
    target: SocketAddr,
    delay_nanos: [AtomicU64; 2],
    rate_bytes_per_sec: AtomicU64,
    pacers: [Mutex<Instant>; 2],
    stalled: AtomicBool,
    cut: Mutex<Option<u64>>,
    /// The armed cut also refuses new connections from then on.
    down_at_cut: AtomicBool,
    forwarded: [AtomicU64; 2],
    accepted: AtomicU64,
    refuse: AtomicBool,
    live: Mutex<Vec<TcpStream>>,
    closed: AtomicBool,
    flights: Mutex<Vec<Arc<Flights>>>,
}

/// The client's flights on one connection: the times it sent after being
/// given bytes, at least a quarter of a round trip after it last sent (or
/// first). Sends closer together travel together: what the server sent in
/// between is not what they answer. On a long link each flight is a round
/// trip the client waited for, so this counts a protocol's sequential steps.
#[derive(Debug)]
struct Flights {
    /// Bytes were delivered to the client since it last sent.
    given: AtomicBool,
    last_sent: Mutex<Option<Instant>>,
    count: AtomicU64,
}

impl Flights {
    fn client_sent(&self, rtt: Duration) {
        let now = Instant::now();
        let mut last = lock(&self.last_sent);
        let answers = self.given.swap(false, Ordering::SeqCst);
        if answers && last.is_none_or(|at| now - at >= rtt / 4) {
            self.count.fetch_add(1, Ordering::SeqCst);
        }
        *last = Some(now);
    }
}

impl FaultProxy {
    /// Starts a proxy to `target` with no faults.
    pub fn start(target: SocketAddr) -> anyhow::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let now = Instant::now();
        let control = Arc::new(Control {
            target,
            delay_nanos: [AtomicU64::new(0), AtomicU64::new(0)],
            rate_bytes_per_sec: AtomicU64::new(0),
            pacers: [Mutex::new(now), Mutex::new(now)],
            stalled: AtomicBool::new(false),
            cut: Mutex::new(None),
            down_at_cut: AtomicBool::new(false),
            forwarded: [AtomicU64::new(0), AtomicU64::new(0)],
            accepted: AtomicU64::new(0),
            refuse: AtomicBool::new(false),
            live: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            flights: Mutex::new(Vec::new()),
        });
        let accept_control = Arc::clone(&control);
        thread::spawn(move || accept_loop(listener, accept_control));
        Ok(FaultProxy { port, control })
    }

    /// Starts a proxy to `127.0.0.1:port`.
    pub fn to_local_port(port: u16) -> anyhow::Result<FaultProxy> {
        Self::start(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    /// Emulates an internet link: `rtt / 2` each way and a shared cap.
    pub fn set_link(&self, rtt: Duration, rate_bytes_per_sec: Option<u64>) {
        self.set_delay(Direction::Up, rtt / 2);
        self.set_delay(Direction::Down, rtt / 2);
        self.set_rate(rate_bytes_per_sec);
    }

    /// Delays every byte travelling `direction` by `delay`.
    pub fn set_delay(&self, direction: Direction, delay: Duration) {
        let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
        self.control.delay_nanos[direction.index()].store(nanos, Ordering::SeqCst);
    }

    /// Caps each direction at `rate` bytes/s, shared by all connections.
    pub fn set_rate(&self, rate: Option<u64>) {
        self.control
            .rate_bytes_per_sec
            .store(rate.unwrap_or(0), Ordering::SeqCst);
    }

    /// Stops forwarding in both directions without closing (`true`), or resumes.
    pub fn set_stalled(&self, stalled: bool) {
        self.control.stalled.store(stalled, Ordering::SeqCst);
    }

    /// Closes every open connection once `bytes` more bytes went down
    /// (summed over all connections). One-shot: later connections are fine.
    pub fn cut_after_down_bytes(&self, bytes: u64) {
        self.control.down_at_cut.store(false, Ordering::SeqCst);
        *lock(&self.control.cut) = Some(bytes);
    }

    /// Like [`FaultProxy::cut_after_down_bytes`], and refuses new
    /// connections from then on, like a network that went down, until
    /// `set_refusing(false)`: no session connecting after the cut (a late
    /// one, on a loaded machine) gets through.
    pub fn go_down_after_down_bytes(&self, bytes: u64) {
        self.control.down_at_cut.store(true, Ordering::SeqCst);
        *lock(&self.control.cut) = Some(bytes);
    }

    /// Closes every open connection now.
    pub fn cut_now(&self) {
        self.control.cut_all();
    }

    /// Refuses (closes at once) new connections while `true`, like a server that is down.
    pub fn set_refusing(&self, refuse: bool) {
        self.control.refuse.store(refuse, Ordering::SeqCst);
    }

    /// Bytes forwarded so far in `direction`, over all connections.
    pub fn forwarded(&self, direction: Direction) -> u64 {
        self.control.forwarded[direction.index()].load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.control.accepted.load(Ordering::SeqCst)
    }

    /// The client's flights on each connection so far, in the order they
    /// were accepted: how many times it sent in answer to bytes it was
    /// given (the first send counts too; sends within a quarter of a round
    /// trip of the one before travel with it). On a long link each is a
    /// round trip it waited for.
    pub fn client_flights(&self) -> Vec<u64> {
        lock(&self.control.flights)
            .iter()
            .map(|f| f.count.load(Ordering::SeqCst))
            .collect()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.control.closed.store(true, Ordering::SeqCst);
        self.control.cut_all();
        // Wake the accept loop so it sees `closed`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl Control {
    /// The round trip the proxy adds: both directions' delays.
    fn rtt(&self) -> Duration {
        Duration::from_nanos(
            self.delay_nanos
                .iter()
                .map(|d| d.load(Ordering::SeqCst))
                .sum(),
        )
    }

    fn cut_all(&self) {
        for stream in lock(&self.live).drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// How many of `len` bytes may go down before the armed cut fires.
    fn admit_down(&self, len: usize) -> (usize, bool) {
        let mut cut = lock(&self.cut);
        match *cut {
            Some(remaining) if (len as u64) >= remaining => {
                *cut = None;
                // Refusing before any connection is closed (see `accept_loop`).
                if self.down_at_cut.swap(false, Ordering::SeqCst) {
                    self.refuse.store(true, Ordering::SeqCst);
                }
                (remaining as usize, true)
            }
            Some(remaining) => {
                *cut = Some(remaining - len as u64);
                (len, false)
            }
            None => (len, false),
        }
    }

    /// When a chunk read now may be written: after the shared pacer lets it
    /// through the bottleneck, plus the one-way delay.
    fn deliver_at(&self, direction: Direction, len: usize) -> Instant {
        let now = Instant::now();
        let rate = self.rate_bytes_per_sec.load(Ordering::SeqCst);
        let leaves_link = if rate == 0 {
            now
        } else {
            let mut next_free = lock(&self.pacers[direction.index()]);
            let start = (*next_free).max(now);
            let end = start + Duration::from_secs_f64(len as f64 / rate as f64);
            *next_free = end;
            end
        };
        leaves_link
            + Duration::from_nanos(self.delay_nanos[direction.index()].load(Ordering::SeqCst))
    }

    fn wait_while_stalled(&self) {
        while self.stalled.load(Ordering::SeqCst) && !self.closed.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(5));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn accept_loop(listener: TcpListener, control: Arc<Control>) {
    for client in listener.incoming() {
        if control.closed.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if control.refuse.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(server) = TcpStream::connect(control.target) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        control.accepted.fetch_add(1, Ordering::SeqCst);
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let clones = (
            client.try_clone(),
            server.try_clone(),
            client.try_clone(),
            server.try_clone(),
        );
        let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = clones else {
            continue;
        };
        {
            let mut live = lock(&control.live);
            live.push(c3);
            live.push(s3);
        }
        // Refused since the check above, by a cut that may have closed the
        // live connections before this one joined them.
        if control.refuse.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
            continue;
        }
        let flights = Arc::new(Flights {
            given: AtomicBool::new(true),
            last_sent: Mutex::new(None),
            count: AtomicU64::new(0),
        });
        lock(&control.flights).push(Arc::clone(&flights));
        pump(
            Arc::clone(&control),
            Direction::Up,
            client,
            server,
            Arc::clone(&flights),
        );
        pump(Arc::clone(&control), Direction::Down, s2, c2, flights);
    }
}

enum Chunk {
    Data(Instant, Vec<u8>),
    /// The armed cut fired: deliver what came before, then drop every connection.
    Cut,
    Eof,
}

/// Forwards `from` → `to` in `direction` with two threads: a reader that
/// stamps each chunk with its delivery time (unbounded queue) and a writer
/// that delivers it on time.
fn pump(
    control: Arc<Control>,
    direction: Direction,
    mut from: TcpStream,
    mut to: TcpStream,
    flights: Arc<Flights>,
) {
    let (tx, rx) = mpsc::channel::<Chunk>();
    let reader_control = Arc::clone(&control);
    let reader_flights = Arc::clone(&flights);
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            reader_control.wait_while_stalled();
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if direction == Direction::Up {
                reader_flights.client_sent(reader_control.rtt());
            }
            let (admitted, cut) = if direction == Direction::Down {
                reader_control.admit_down(n)
            } else {
                (n, false)
            };
            if admitted > 0 {
                let at = reader_control.deliver_at(direction, admitted);
                if tx.send(Chunk::Data(at, buf[..admitted].to_vec())).is_err() {
                    break;
                }
            }
            if cut {
                let _ = tx.send(Chunk::Cut);
                return;
            }
        }
        let _ = tx.send(Chunk::Eof);
    });
    thread::spawn(move || {
        for chunk in rx {
            match chunk {
                Chunk::Data(at, data) => {
                    let now = Instant::now();
                    if at > now {
                        thread::sleep(at - now);
                    }
                    control.wait_while_stalled();
                    // Before the write: the client may answer before this
                    // thread runs again.
                    if direction == Direction::Down {
                        flights.given.store(true, Ordering::SeqCst);
                    }
                    if to.write_all(&data).is_err() {
                        break;
                    }
                    control.forwarded[direction.index()]
                        .fetch_add(data.len() as u64, Ordering::SeqCst);
                }
                Chunk::Cut => {
                    control.cut_all();
                    break;
                }
                Chunk::Eof => break,
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

//! The fault proxy really delays, caps, cuts and stalls.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use test_support::proxy::{Direction, FaultProxy};

/// A server that, per connection, echoes one line or streams `n` bytes on "SEND n".
fn start_target() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream));
        }
    });
    port
}

fn serve(mut stream: TcpStream) {
    let mut buf = [0u8; 64];
    loop {
        let Ok(n) = stream.read(&mut buf) else { return };
        if n == 0 {
            return;
        }
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        if let Some(count) = text.trim().strip_prefix("SEND ") {
            let mut left: usize = count.parse().expect("count");
            let block = vec![0xA5u8; 64 * 1024];
            while left > 0 {
                let take = left.min(block.len());
                if stream.write_all(&block[..take]).is_err() {
                    return;
                }
                left -= take;
            }
        } else if stream.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

fn read_all(stream: &mut TcpStream, want: usize) -> usize {
    let mut got = 0;
    let mut buf = vec![0u8; 256 * 1024];
    while got < want {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    got
}

#[test]
fn a_round_trip_takes_at_least_the_configured_rtt() {
    let proxy = FaultProxy::to_local_port(start_target()).expect("proxy");
    proxy.set_link(Duration::from_millis(80), None);
    let mut stream = TcpStream::connect(("127.0.0.1", proxy.port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut rtts = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        stream.write_all(b"ping").expect("write");
        let mut buf = [0u8; 4];
        stream.read_exact(&mut buf).expect("echo");
        assert_eq!(&buf, b"ping");
        rtts.push(started.elapsed());
    }
    rtts.sort();
    let median = rtts[2];
    assert!(
        median >= Duration::from_millis(80),
        "RTT {median:?} below the set 80 ms"
    );
    assert!(
        median < Duration::from_millis(200),
        "RTT {median:?} far above the set 80 ms"
    );
}

#[test]
fn one_bulk_stream_reaches_the_cap_but_not_more() {
    let proxy = FaultProxy::to_local_port(start_target()).expect("proxy");
    let cap = 16_000_000u64;
    proxy.set_rate(Some(cap));
    let mut stream = TcpStream::connect(("127.0.0.1", proxy.port)).expect("connect");
    let total = 12_000_000usize;
    let started = Instant::now();
    stream
        .write_all(format!("SEND {total}").as_bytes())
        .expect("ask");
    assert_eq!(read_all(&mut stream, total), total);
    let rate = total as f64 / started.elapsed().as_secs_f64();
    let ratio = rate / cap as f64;
    assert!(
        ratio >= 0.95,
        "a bulk stream must reach ≥95% of the cap, got {ratio:.3}"
    );
    assert!(
        ratio <= 1.05,
        "a bulk stream must not beat the cap, got {ratio:.3}"
    );
}

#[test]
fn the_cap_is_shared_by_all_connections() {
    let proxy = FaultProxy::to_local_port(start_target()).expect("proxy");
    let cap = 16_000_000u64;
    proxy.set_rate(Some(cap));
    let each = 6_000_000usize;
    let started = Instant::now();
    let port = proxy.port;
    let workers: Vec<_> = (0..3)
        .map(|_| {
            thread::spawn(move || {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                stream
                    .write_all(format!("SEND {each}").as_bytes())
                    .expect("ask");
                read_all(&mut stream, each)
            })
        })
        .collect();
    let got: usize = workers.into_iter().map(|w| w.join().expect("worker")).sum();
    assert_eq!(got, 3 * each);
    let rate = got as f64 / started.elapsed().as_secs_f64();
    assert!(
        rate <= cap as f64 * 1.05,
        "three connections together must stay under the link's cap: {rate:.0} B/s"
    );
}

#[test]
fn a_cut_closes_the_connection_after_the_set_bytes_and_new_ones_work() {
    let proxy = FaultProxy::to_local_port(start_target()).expect("proxy");
    proxy.cut_after_down_bytes(100_000);
    let mut stream = TcpStream::connect(("127.0.0.1", proxy.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream.write_all(b"SEND 1000000").expect("ask");
    let got = read_all(&mut stream, 1_000_000);
    assert!(
        got <= 100_000,
        "no more than the allowed bytes may pass the cut: {got}"
    );
    assert!(got > 0, "bytes before the cut must pass");
    let mut again = TcpStream::connect(("127.0.0.1", proxy.port)).expect("reconnect");
    again.write_all(b"SEND 500000").expect("ask");
    assert_eq!(
        read_all(&mut again, 500_000),
        500_000,
        "the cut is one-shot"
    );
    assert!(proxy.connections() >= 2);
}

#[test]
fn a_stall_stops_forwarding_without_closing() {
    let proxy = FaultProxy::to_local_port(start_target()).expect("proxy");
    let mut stream = TcpStream::connect(("127.0.0.1", proxy.port)).expect("connect");
    stream.write_all(b"hello").expect("write");
    let mut buf = [0u8; 5];
    stream.read_exact(&mut buf).expect("echo before the stall");
    proxy.set_stalled(true);
    stream.write_all(b"again").expect("write during the stall");
    stream
        .set_read_timeout(Some(Duration::from_millis(400)))
        .expect("timeout");
    let stalled = stream.read(&mut buf);
    assert!(
        matches!(&stalled, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut),
        "nothing may arrive during a stall, and the connection must stay open: {stalled:?}"
    );
    proxy.set_stalled(false);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
        .read_exact(&mut buf)
        .expect("data flows again after the stall");
    assert_eq!(&buf, b"again");
    assert!(proxy.forwarded(Direction::Up) >= 10);
}

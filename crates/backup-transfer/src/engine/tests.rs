//! Read sizing of the engine.
use super::worker::read_len;
use super::*;

#[test]
fn reads_grow_with_the_round_trip_so_long_links_stay_full() {
    assert_eq!(
        read_size_for(Duration::from_micros(300)),
        256 * 1024,
        "LAN: less CPU per byte"
    );
    assert_eq!(
        read_size_for(Duration::from_millis(5)),
        256 * 1024,
        "200 MB/s from one session"
    );
    assert_eq!(read_size_for(Duration::from_millis(8)), 1024 * 1024);
    assert_eq!(
        read_size_for(Duration::from_millis(50)),
        2 * 1024 * 1024,
        "internet: fill the pipe"
    );
    assert_eq!(
        read_size_for(Duration::from_millis(200)),
        2 * 1024 * 1024,
        "libssh2 reads ahead at most 8 MiB whatever the read"
    );
}

#[test]
fn reads_taper_at_the_end_of_a_segment_so_nothing_is_fetched_past_it() {
    let read = 2 * 1024 * 1024;
    assert_eq!(
        read_len(read, 100 * 1024 * 1024),
        read,
        "mid-segment: full reads"
    );
    assert_eq!(
        read_len(read, 4 * 1024 * 1024),
        1024 * 1024,
        "libssh2 reads ahead 4×: a quarter is left"
    );
    assert_eq!(
        read_len(read, 100_000),
        25_000,
        "to the last bytes: nothing is asked past the unit, whose end another session reads"
    );
    assert_eq!(read_len(read, 10_000), 4096, "the last few KiB");
    assert_eq!(read_len(read, 100), 100, "never more than what is left");
    assert_eq!(read_len(read, 1), 1, "never nothing while bytes are left");
}

#[test]
fn sessions_past_the_memory_budget_read_less() {
    let read = 2 * 1024 * 1024;
    for first in 0..4 {
        assert_eq!(session_read_size(read, first), read, "session {first}");
    }
    assert_eq!(
        session_read_size(read, 4),
        8 * 1024 * 1024 / 5 / (32 * 1024) * (32 * 1024),
        "the fifth shares what is left of 48 MiB"
    );
    assert_eq!(
        session_read_size(read, 15),
        64 * 1024,
        "and the rest read 64 KiB"
    );
    assert_eq!(
        session_read_size(256 * 1024, 15),
        256 * 1024,
        "16 sessions of LAN-sized reads fit"
    );
    let in_flight: usize = (0..16).map(|i| 5 * session_read_size(read, i)).sum();
    assert!(
        in_flight <= 48 * 1024 * 1024 + 11 * 5 * 64 * 1024,
        "{in_flight}"
    );
}

#[test]
fn a_link_one_session_cannot_fill_starts_with_as_many_as_carry_100_mb_s() {
    let ms = Duration::from_millis;
    assert_eq!(sessions_to_start(Duration::from_micros(200)), 1, "LAN");
    assert_eq!(sessions_to_start(ms(50)), 1, "168 MB/s from one");
    assert_eq!(sessions_to_start(ms(80)), 1, "105 MB/s from one");
    assert_eq!(sessions_to_start(ms(100)), 2, "84 MB/s from one");
    assert_eq!(sessions_to_start(ms(200)), 3, "42 MB/s from one");
    assert_eq!(sessions_to_start(Duration::from_secs(60)), 16, "at most 16");
}

#[test]
fn a_handshake_shows_two_round_trips_after_tcp() {
    let ms = Duration::from_millis;
    // Measured through the tests' proxy at 200 ms: 408 ms.
    assert_eq!(handshake_round_trip(ms(408)), ms(204));
    // Loopback: OpenSSH's own work, 16 ms.
    assert_eq!(handshake_round_trip(ms(16)), ms(8));
}

#[test]
fn a_slow_sftp_start_is_not_taken_for_a_long_round_trip() {
    let ms = Duration::from_millis;
    // Loopback, an external sftp-server started through a shell.
    assert_eq!(link_round_trip(ms(121), ms(16)), ms(8));
    // A 50 ms link with internal-sftp: the open is the better measure.
    assert_eq!(link_round_trip(ms(51), ms(170)), ms(51));
}

//! Sessions take work in file order, so the completed prefix the checksum
//! follows grows steadily and the hash ends right after the last byte.

use std::time::Duration;

use backup_transfer::journal::Journal;
use backup_transfer::{CancelToken, download, partial_paths};
use test_support::proxy::FaultProxy;

use crate::support::{BACKUP_ID, Served, sha256_hex};

/// Regression (issue 17): each session read its own quarter of the file, so
/// about three quarters of it were hashed after the last byte arrived.
#[test]
fn the_completed_prefix_stays_close_behind_the_furthest_byte_on_disk() {
    let served = Served::new(32 * 1024 * 1024);
    let proxy = FaultProxy::to_local_port(served.server.port).expect("proxy");
    proxy.set_rate(Some(16_000_000));
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_via(proxy.port, dest.path());
    spec.options.streams = 4;
    spec.options.segment_size = 2 * 1024 * 1024;
    spec.options.read_size = 64 * 1024;
    let (_, journal) = partial_paths(dest.path(), BACKUP_ID).expect("valid id");
    let download = {
        let spec = spec.clone();
        std::thread::spawn(move || download(&spec, &mut |_| {}, &CancelToken::new()))
    };
    // The journal shows what is on disk: how far the furthest byte is ahead
    // of the completed prefix, over the whole download.
    let mut widest = 0;
    let mut samples = 0;
    while !download.is_finished() {
        if let Some(journal) = Journal::load(&journal) {
            // The end of the last range on disk.
            let furthest = match journal.done.missing(journal.size).last() {
                Some(&(start, end)) if end == journal.size => start,
                _ => journal.size,
            };
            let prefix = journal.done.prefix();
            widest = widest.max(furthest.saturating_sub(prefix));
            samples += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let done = download.join().expect("download thread").expect("download");
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert!(samples >= 20, "the download was watched: {samples} samples");
    // Each session in its own quarter put three quarters of the file ahead
    // of the prefix; next to one another, a few units (one session may lag
    // while the others go on).
    assert!(
        widest <= served.contents.len() as u64 / 2,
        "{widest} bytes between the completed prefix and the furthest byte on disk: the hash \
         waits for them; sessions must work next to one another, not each in its own part"
    );
}

//! Issue 14: an interrupted download resumes by itself in automatic mode.
//! The app is quit while its automatic pass downloads a ready backup over a
//! slow link; the partial file and its journal stay, and the first pass
//! after the next launch fetches only the rest, verifies the archive against
//! the published SHA-256 and leaves no partial behind.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_provider::lifecycle;
use backup_transfer::{partial_paths, resumable_bytes};
use backup_workflows::{
    Actor, AuditEvent, AutomaticChoice, Desk, ErrorKind, KeyringBackend, Outcome, SystemClock, Tick,
};
use test_support::proxy::Direction;

use crate::world::{World, recorder, zips};

/// Large enough that the throttled link takes seconds, not milliseconds.
const ARCHIVE_BYTES: u64 = 8 * 1024 * 1024;
/// The slow link of the first attempt, in bytes per second.
const SLOW_LINK: u64 = 2_000_000;
/// Bytes that come down before the app is quit.
const BEFORE_QUIT: u64 = 1024 * 1024;

#[test]
fn a_download_interrupted_by_quitting_resumes_at_the_next_launchs_first_pass() {
    let world = World::start();
    // The SFTP server is reached over a link the test controls.
    let (id, proxy) = world.set_up_behind_proxy();
    match world.run(world.desk.test_connection(id)) {
        Ok(Outcome::HostKey(key)) => {
            world
                .desk
                .trust_host_key(id, &key.fingerprint)
                .expect("trust");
        }
        other => panic!("the first test asks about the server: {other:?}"),
    }
    let dest = world.folder("dest");
    world
        .desk
        .save_download_preferences(id, &dest.display().to_string(), 2)
        .expect("folder");
    let backup = world
        .run(world.desk.request_backup(id, Actor::Person))
        .expect("request")
        .id;
    let store = world.store();
    lifecycle::release(&store, &backup).expect("release");
    let published =
        lifecycle::complete(&store, &world.sshd.served_dir, &backup, Some(ARCHIVE_BYTES))
            .expect("complete");
    let size = u64::try_from(published.size_bytes.expect("a size")).expect("positive");
    let sha256 = published.sha256.expect("a published checksum");
    let terms = world
        .run(world.desk.automatic_terms(id))
        .expect("terms")
        .expect("a backup exists, so the terms can be read");
    world
        .desk
        .save_automatic_settings(
            id,
            &AutomaticChoice {
                enabled: true,
                request_when_allowed: false,
                download_when_ready: true,
                keep: 3,
                accept_terms_version: Some(terms.version),
            },
        )
        .expect("switch on with consent");

    // The automatic pass downloads over a slow link; the app is quit part-way.
    proxy.set_rate(Some(SLOW_LINK));
    let before = proxy.forwarded(Direction::Down);
    let (sink, _) = recorder();
    let (interrupted, _) = world.run(async {
        let quit = async {
            let deadline = Instant::now() + Duration::from_secs(60);
            while proxy.forwarded(Direction::Down) < before + BEFORE_QUIT {
                assert!(Instant::now() < deadline, "the download never got going");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            world.desk.stop();
        };
        tokio::join!(world.desk.automatic_tick(sink), quit)
    });
    let report = match interrupted {
        Ok(Tick::Ran(report)) => report,
        other => panic!("the pass ran until the app quit: {other:?}"),
    };
    let error = report.first_error().expect("the download was interrupted");
    assert_eq!(error.kind(), ErrorKind::Cancelled, "{error}");
    assert!(zips(&dest).is_empty(), "no archive from a partial download");
    let (part, journal) = partial_paths(&dest, &backup).expect("a valid id");
    assert!(
        part.exists() && journal.exists(),
        "quitting keeps the partial file and its journal for a resume"
    );
    let kept = resumable_bytes(&dest, &backup).expect("something to resume");
    assert!(
        kept > 0 && kept < size,
        "part of the archive was on disk when the app quit: {kept} of {size}"
    );

    // The next launch: its first tick is due at once and needs no click.
    proxy.set_rate(None);
    let relaunched = Desk::open(
        world.data_dir.path(),
        Arc::new(KeyringBackend::new(backup_workflows::APP_ID)),
        Arc::new(SystemClock),
    )
    .expect("relaunch");
    let before = proxy.forwarded(Direction::Down);
    let (sink, _) = recorder();
    let report = match world.run(relaunched.automatic_tick(sink)) {
        Ok(Tick::Ran(report)) => report,
        other => panic!("the app checks when it starts: {other:?}"),
    };
    assert!(report.first_error().is_none(), "{:?}", report.first_error());
    let downloaded = &report.accounts[0].downloaded;
    assert_eq!(downloaded.len(), 1, "the interrupted backup is delivered");
    let saved = &downloaded[0];
    assert_eq!(saved.backup_id, backup);
    assert_eq!(saved.size_bytes, size);
    let bytes = std::fs::read(&saved.path).expect("the archive is there");
    let digest = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
    assert_eq!(
        digest, sha256,
        "the archive is the one the provider published"
    );
    assert_eq!(saved.sha256, sha256, "and it is recorded verified as such");

    let resumed: Vec<u64> = relaunched
        .audit_log(Some(id))
        .expect("audit")
        .into_iter()
        .filter_map(|e| match e.event {
            AuditEvent::DownloadResumed {
                backup_id,
                from_bytes,
            } if backup_id == backup => Some(from_bytes),
            _ => None,
        })
        .collect();
    assert_eq!(
        resumed,
        [kept],
        "the automatic pass says it resumed from the bytes on disk"
    );
    let second = proxy.forwarded(Direction::Down) - before;
    assert!(
        second < size - kept + 512 * 1024,
        "only the rest came down the link ({second} bytes; {kept} of {size} were kept): a resume, not a restart"
    );
    assert_eq!(
        resumable_bytes(&dest, &backup),
        None,
        "nothing left to resume"
    );
    assert!(
        !part.exists() && !journal.exists(),
        "no partial file or journal is left behind"
    );
    assert_eq!(zips(&dest).len(), 1, "one archive, not a second copy");
}

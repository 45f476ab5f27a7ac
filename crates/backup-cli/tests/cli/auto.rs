//! `auto --once` over a moved clock: requests, downloads, verifies, rotates,
//! never twice, never the only good copy; and one `auto` at a time.

use crate::world::World;

/// One `auto` pass that downloads into `to` and keeps only the newest archive.
fn keep_newest(to: &str) -> [&str; 7] {
    [
        "auto",
        "--once",
        "--keep",
        "1",
        "--accept-terms",
        "--to",
        to,
    ]
}

#[test]
fn auto_requests_downloads_verifies_and_keeps_the_newest() {
    let world = World::start();
    world.set_up();
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let auto = keep_newest(&to);
    let first = world.expect(&auto, None, 0);
    assert!(
        first.contains("requested backup"),
        "the gate was open: {first}"
    );
    assert_eq!(world.complete_pending().len(), 1);
    let second = world.expect(&auto, None, 0);
    assert!(second.contains("downloaded and verified"), "{second}");
    assert!(
        !second.contains("requested"),
        "cooldown: no new request: {second}"
    );
    let third = world.expect(&auto, None, 0);
    assert!(
        !third.contains("downloaded"),
        "never the same backup twice: {third}"
    );
    let archives = dest.path().to_path_buf();
    let old = World::zips(&archives);
    assert_eq!(old.len(), 1);

    world.advance(28);
    let fourth = world.expect(&auto, None, 0);
    assert!(
        fourth.contains("requested backup"),
        "28 days later: {fourth}"
    );
    assert_eq!(world.complete_pending().len(), 1);
    let fifth = world.expect(&auto, None, 0);
    assert!(
        fifth.contains("downloaded and verified") && fifth.contains("removed the older archive"),
        "{fifth}"
    );
    let now = World::zips(&archives);
    assert_eq!(now.len(), 1, "keep 1");
    assert_ne!(now, old, "the newest verified archive is the one kept");
}

#[test]
fn a_server_error_reopens_the_request_at_once() {
    let world = World::start();
    world.set_up();
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let auto = ["auto", "--once", "--accept-terms", "--to", &to];
    world.expect(&auto, None, 0);
    let store = world.store();
    let pending = store
        .due(
            &backup_domain::BackupStatus::AwaitingRelease,
            backup_provider::clock::now(&store).expect("now"),
        )
        .expect("due");
    backup_provider::lifecycle::fail(&store, &pending[0], "disk failure").expect("fail");
    let again = world.expect(&auto, None, 0);
    assert!(
        again.contains("requested backup"),
        "re-opened by the server error: {again}"
    );
}

#[test]
fn two_auto_processes_never_run_at_once() {
    let world = World::start();
    world.set_up();
    std::fs::create_dir_all(world.cli_dir.path()).expect("dir");
    let lock = std::fs::File::create(world.cli_dir.path().join("auto.lock")).expect("lock file");
    lock.try_lock().expect("hold the lock like a running auto");
    let out = world.expect(&["auto", "--once", "--accept-terms"], None, 1);
    assert!(out.contains("already running"), "{out}");
    let store = world.store();
    assert!(
        store
            .list_backups("acme", 10, None)
            .expect("list")
            .is_empty(),
        "nothing was requested"
    );
}

#[test]
fn a_download_that_fails_verification_never_deletes_the_good_copy() {
    let world = World::start();
    world.set_up();
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let auto = keep_newest(&to);
    world.expect(&auto, None, 0);
    world.complete_pending();
    world.expect(&auto, None, 0);
    let archives = dest.path().to_path_buf();
    let good = World::zips(&archives);
    assert_eq!(good.len(), 1);
    world.advance(28);
    world.expect(&auto, None, 0);
    world.complete_pending();
    // The provider's new archive is damaged after its checksum was published.
    let store = world.store();
    let newest = store.list_backups("acme", 1, None).expect("list").remove(0);
    let remote = world
        .sshd
        .served_dir
        .join("acme")
        .join(newest.file_name.expect("file"));
    let mut bytes = std::fs::read(&remote).expect("archive");
    bytes[10] ^= 0xff;
    std::fs::write(&remote, bytes).expect("damage");
    let out = world.expect(&auto, None, 7);
    assert!(out.contains("checksum"), "{out}");
    assert_eq!(World::zips(&archives), good, "the only good copy is kept");
}

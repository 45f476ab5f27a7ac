//! What the CLI asks (or needs a flag for) before it changes something the
//! person has: an account added twice, a verified copy on disk; and what it
//! says when the download finds no SFTP server set.

use crate::world::World;

#[test]
fn adding_an_account_again_needs_replace_when_nobody_can_confirm() {
    let world = World::start();
    world.set_up();
    let refused = world.expect(
        &["account", "add", "--provider", &world.base],
        Some(&format!("{}\n", world.token)),
        2,
    );
    assert!(
        refused.contains("already set up") && refused.contains("--replace"),
        "says what changes and which flag confirms: {refused}"
    );
    assert!(
        refused.contains("role stays owner"),
        "lists what changes: {refused}"
    );
    let replaced = world.expect(
        &["account", "add", "--provider", &world.base, "--replace"],
        Some(&format!("{}\n", world.token)),
        0,
    );
    assert!(replaced.contains("Acme Ltda"), "{replaced}");
    let listed = world.expect(&["account", "list"], None, 0);
    assert_eq!(
        listed.matches("Acme Ltda").count(),
        1,
        "still one account: {listed}"
    );
}

#[test]
fn a_second_download_keeps_both_unless_replace() {
    let world = World::start();
    world.set_up();
    world.expect(&["backups", "request", "--yes"], None, 0);
    world.complete_pending();
    let dest = tempfile::tempdir().expect("dest");
    world.download_latest(dest.path(), 0);
    world.download_latest(dest.path(), 0);
    assert_eq!(
        World::zips(dest.path()).len(),
        2,
        "today's behaviour: name (1).zip beside the first"
    );
    let to = dest.path().display().to_string();
    let replaced = world.expect(
        &[
            "backups",
            "download",
            "--latest",
            "--accept-terms",
            "--to",
            &to,
            "--replace",
        ],
        None,
        0,
    );
    assert!(replaced.contains("Verified"), "{replaced}");
    assert_eq!(
        World::zips(dest.path()).len(),
        2,
        "--replace puts the new copy in the old one's place"
    );
}

#[test]
fn a_download_without_a_server_names_the_one_to_set() {
    let world = World::start();
    world.expect(
        &["account", "add", "--provider", &world.base],
        Some(&format!("{}\n", world.token)),
        0,
    );
    world.expect(&["backups", "request", "--yes"], None, 0);
    world.complete_pending();
    let dest = tempfile::tempdir().expect("dest");
    let missing = world.download_latest(dest.path(), 2);
    let server = format!("--host 127.0.0.1 --port {}", world.sshd.port);
    assert!(
        missing.contains("backup-desk connection set") && missing.contains(&server),
        "the provider's server, ready to paste: {missing}"
    );
}

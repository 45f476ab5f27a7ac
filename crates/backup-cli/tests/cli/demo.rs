//! `backup-desk demo` gives a working account headless: list and download
//! through the demo's own SFTP server.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::world::World;

#[test]
fn the_demo_is_an_account_that_lists_and_downloads() {
    let world = World::start();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_backup-desk"))
        .arg("demo")
        .envs(world.secrets.env())
        .env("BACKUP_DESK_DATA_DIR", world.cli_dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the demo");
    let mut banner = String::new();
    BufReader::new(demo.stdout.take().expect("stdout"))
        .read_line(&mut banner)
        .expect("banner");
    assert!(
        banner.contains("Demo provider running at http://127.0.0.1:"),
        "{banner}"
    );
    let listed = world.expect(&["backups", "list"], None, 0);
    assert!(
        listed.contains("Demo Company") && listed.contains("Ready to download"),
        "{listed}"
    );
    assert!(
        listed.contains("Server error") && listed.contains("Expired"),
        "every status shows: {listed}"
    );
    let dest = tempfile::tempdir().expect("dest");
    let out = world.download_latest(dest.path(), 0);
    assert!(out.contains("Verified"), "{out}");
    assert_eq!(World::zips(dest.path()).len(), 1);
    let _ = demo.kill();
    let _ = demo.wait();
}

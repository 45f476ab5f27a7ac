//! The whole flow by CLI, its error paths, and no prompt that hangs a script.

use sha2::{Digest, Sha256};

use crate::world::World;

#[test]
fn the_full_flow_from_account_to_a_verified_archive() {
    let world = World::start();
    let added = world.expect(
        &["account", "add", "--provider", &world.base],
        Some(&format!("{}\n", world.token)),
        0,
    );
    assert!(
        added.contains("Acme Ltda") && added.contains("owner"),
        "{added}"
    );
    let imported = world.expect(
        &[
            "key",
            "import",
            &world.key.private_path.display().to_string(),
        ],
        None,
        0,
    );
    assert!(
        imported.contains(&world.key.fingerprint),
        "shows the fingerprint: {imported}"
    );
    assert!(!imported.contains("PRIVATE KEY"), "never the key");
    let shown = world.expect(&["key", "show"], None, 0);
    assert!(
        shown.contains("Ed25519") && shown.contains(&world.key.fingerprint),
        "{shown}"
    );
    let port = world.sshd.port.to_string();
    world.expect(
        &[
            "connection",
            "set",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--user",
            &world.sshd.user,
        ],
        None,
        0,
    );
    let unknown = world.expect(&["connection", "test"], None, 4);
    let fp = &world.sshd.host_key_fingerprints[0];
    assert!(
        unknown.contains(fp) && unknown.contains("--trust-fingerprint"),
        "says how to trust: {unknown}"
    );
    world.expect(&["connection", "test", "--trust-fingerprint", fp], None, 0);

    let refused = world.expect(&["backups", "request"], None, 2);
    assert!(
        refused.contains("--yes"),
        "no hang on a closed stdin, names the flag: {refused}"
    );
    let requested = world.expect(&["backups", "request", "--yes"], None, 0);
    assert!(requested.contains("Requested backup"), "{requested}");
    let again = world.expect(&["backups", "request", "--yes"], None, 5);
    assert!(again.contains("being prepared"), "{again}");
    assert_eq!(world.complete_pending().len(), 1);

    let listed = world.expect(&["backups", "list"], None, 0);
    assert!(
        listed.contains("Ready to download") && listed.contains("expires in 10 days"),
        "{listed}"
    );
    assert!(
        listed.contains("The next backup can be requested on"),
        "{listed}"
    );
    let cooldown = world.expect(&["backups", "request", "--yes"], None, 5);
    assert!(cooldown.contains("can be requested on"), "{cooldown}");

    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let terms = world.expect(&["backups", "download", "--latest", "--to", &to], None, 2);
    assert!(terms.contains("--accept-terms"), "{terms}");
    let streams = world.expect(
        &[
            "backups",
            "download",
            "--latest",
            "--to",
            &to,
            "--streams",
            "40",
        ],
        None,
        2,
    );
    assert!(streams.contains("give 1 to 16, or auto"), "{streams}");
    let done = world.expect(
        &[
            "backups",
            "download",
            "--latest",
            "--to",
            &to,
            "--accept-terms",
            "--streams",
            "auto",
        ],
        None,
        0,
    );
    assert!(done.contains("Verified"), "{done}");
    let files = World::zips(dest.path());
    assert_eq!(files.len(), 1, "{done}");
    let bytes = std::fs::read(&files[0]).expect("archive");
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let json = world.expect(&["--json", "backups", "list"], None, 0);
    let parsed: serde_json::Value =
        serde_json::from_str(json.lines().next().expect("json")).expect("valid JSON");
    assert_eq!(parsed["backups"][0]["status"], "ready");
    let id = parsed["backups"][0]["id"].as_str().expect("id");
    let published = world
        .store()
        .backup("acme", id)
        .expect("row")
        .expect("backup")
        .sha256
        .expect("sha");
    assert_eq!(
        sha, published,
        "the archive on disk has the published SHA-256"
    );
    let audit = world.expect(&["audit"], None, 0);
    for fact in [
        "request_made",
        "terms_accepted",
        "host_key_accepted",
        "download_verified",
    ] {
        assert!(audit.contains(fact), "the audit log shows {fact}: {audit}");
    }
    assert!(
        audit.contains(&sha) && audit.contains("Olivia"),
        "who downloaded what, with its checksum: {audit}"
    );

    for name in ["state.sqlite3", "state.sqlite3-wal"] {
        let db = std::fs::read(world.cli_dir.path().join(name)).unwrap_or_default();
        assert!(
            !db.windows(world.token.len())
                .any(|w| w == world.token.as_bytes()),
            "no token in {name}"
        );
    }
}

#[test]
fn a_token_is_never_taken_from_arguments_and_an_empty_stdin_is_refused() {
    let world = World::start();
    let out = world.expect(&["account", "add", "--provider", &world.base], None, 2);
    assert!(out.contains("stdin"), "{out}");
    let bad = world.expect(
        &["account", "add", "--provider", &world.base],
        Some("bdp_wrong\n"),
        3,
    );
    assert!(bad.contains("did not accept the token"), "{bad}");
    let insecure = world.expect(
        &["account", "add", "--provider", "http://backups.example.com"],
        Some("x\n"),
        2,
    );
    assert!(insecure.contains("https://"), "{insecure}");
    let unknown = world.expect(&["backups", "list"], None, 2);
    assert!(unknown.contains("account add"), "{unknown}");
}

#[test]
fn a_new_server_key_the_provider_publishes_is_offered_again_never_taken_silently() {
    let world = World::start();
    world.set_up();
    world.expect(&["backups", "request", "--yes"], None, 0);
    world.complete_pending();
    // The server's key changed since it was trusted: an older key is pinned.
    let state = backup_state::LocalState::open_in(world.cli_dir.path()).expect("state");
    let account = state.accounts().expect("accounts")[0].id;
    let old = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
    state
        .pin_host_key(
            account,
            "127.0.0.1",
            world.sshd.port,
            old,
            chrono::DateTime::UNIX_EPOCH,
        )
        .expect("pin");
    let dest = tempfile::tempdir().expect("dest");
    let out = world.download_latest(dest.path(), 4);
    let new = &world.sshd.host_key_fingerprints[0];
    assert!(
        out.contains("presents a new key") && out.contains(new.as_str()),
        "names the new key: {out}"
    );
    assert!(out.contains("Ed25519 key"), "and its type: {out}");
    assert!(
        out.contains("--trust-fingerprint"),
        "says how to accept it: {out}"
    );
    assert!(World::zips(dest.path()).is_empty(), "nothing downloaded");
    let to = dest.path().display().to_string();
    let args = [
        "backups",
        "download",
        "--latest",
        "--accept-terms",
        "--trust-fingerprint",
        new.as_str(),
        "--to",
        &to,
    ];
    world.expect(&args, None, 0);
    assert_eq!(World::zips(dest.path()).len(), 1);
    assert_eq!(
        state
            .pinned_host_key(account, "127.0.0.1", world.sshd.port)
            .expect("pin")
            .as_deref(),
        Some(new.as_str()),
        "the new key replaced the old one"
    );
}

#[test]
fn a_server_key_the_provider_does_not_publish_is_refused_even_when_named() {
    let published = vec!["SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s".to_owned()];
    let world = World::start_publishing(Some(published));
    world.set_up_untrusted();
    world.expect(&["backups", "request", "--yes"], None, 0);
    world.complete_pending();
    let real = world.sshd.host_key_fingerprints[0].clone();
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let download = [
        "backups",
        "download",
        "--latest",
        "--accept-terms",
        "--trust-fingerprint",
        real.as_str(),
        "--to",
        &to,
    ];
    let out = world.expect(&download, None, 4);
    assert!(out.contains("identity changed"), "{out}");
    assert!(World::zips(dest.path()).is_empty(), "nothing downloaded");
    let tested = world.expect(
        &["connection", "test", "--trust-fingerprint", real.as_str()],
        None,
        4,
    );
    assert!(
        tested.contains("identity changed"),
        "the connection test checks what the provider publishes too: {tested}"
    );
    let state = backup_state::LocalState::open_in(world.cli_dir.path()).expect("state");
    let account = state.accounts().expect("accounts")[0].id;
    assert_eq!(
        state
            .pinned_host_key(account, "127.0.0.1", world.sshd.port)
            .expect("pin"),
        None,
        "an unpublished key is never pinned"
    );
}

#[test]
fn a_passphrase_keeps_its_spaces_and_without_a_terminal_the_flag_is_named() {
    let world = World::start();
    world.expect(
        &["account", "add", "--provider", &world.base],
        Some(&format!("{}\n", world.token)),
        0,
    );
    let passphrase = "  two words  ";
    let key = test_support::sshd::ClientKey::generate(
        test_support::sshd::KeyKind::Ed25519,
        Some(passphrase),
    )
    .expect("an encrypted key");
    let file = key.private_path.display().to_string();
    let no_flag = world.expect(&["key", "import", &file], None, 2);
    assert!(
        no_flag.contains("--passphrase-stdin"),
        "without a terminal, say how to give the passphrase: {no_flag}"
    );
    let imported = world.expect(
        &["key", "import", &file, "--passphrase-stdin"],
        Some(&format!("{passphrase}\n")),
        0,
    );
    assert!(
        imported.contains(&key.fingerprint),
        "the passphrase with its spaces opens the key: {imported}"
    );
}

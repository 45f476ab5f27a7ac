//! A provider that speaks `api/openapi.yaml` but is buggy or malicious,
//! against the real CLI (and the application layer under it) and a real
//! sshd: nothing is written outside the chosen folder, no verified archive
//! is lost, nothing moves before the checks.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use test_support::http::{Reply, Request, RoutedServer};

use crate::world::World;

/// One backup the hostile provider lists.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub status: String,
    pub file_name: Option<String>,
    /// The file on the sshd.
    pub remote: String,
    pub size: u64,
    pub sha256: String,
}

/// What the provider answers; tests change it between commands.
#[derive(Debug, Clone)]
pub struct Script {
    pub account_id: String,
    /// Newest first.
    pub backups: Vec<Item>,
    /// Every page says there is another one.
    pub endless_pages: bool,
    pub terms_accepted: bool,
    pub sftp_port: u16,
    pub fingerprints: Vec<String>,
}

pub struct Hostile {
    pub server: RoutedServer,
    pub script: Arc<Mutex<Script>>,
}

const AT: &str = "2026-12-01T12:00:00Z";

fn backup_json(item: &Item) -> Value {
    let ready = item.status == "ready";
    json!({"id": item.id, "status": item.status, "requested_at": AT,
           "requested_by": {"id": "p1", "name": "Pat"}, "status_changed_at": AT,
           "ready_at": ready.then_some(AT), "expires_at": ready.then_some("2026-12-10T12:00:00Z"),
           "size_bytes": item.size, "sha256": item.sha256, "file_name": item.file_name,
           "error_message": null})
}

fn answer(script: &mut Script, request: &Request) -> Reply {
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let terms = json!({"version": "t1", "text": "Keep it safe.", "accepted": script.terms_accepted, "accepted_at": null});
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["v1", "me"]) => Reply::json(
            200,
            json!({"person": {"id": "p1", "name": "Pat", "email": "pat@example.com"},
                   "accounts": [{"account_id": script.account_id, "account_name": "Hostile Co",
                                 "plan": "enterprise", "role": "owner"}]})
            .to_string(),
        ),
        ("GET", ["v1", "accounts", _, "backups"]) => {
            let next = request
                .param("cursor")
                .map_or(1, |c| c.parse::<u64>().unwrap_or(1) + 1);
            let first = request.param("cursor").is_none();
            let backups: Vec<Value> = if first {
                script.backups.iter().map(backup_json).collect()
            } else {
                Vec::new()
            };
            Reply::json(
                200,
                json!({"backups": backups,
                       "next_cursor": script.endless_pages.then(|| next.to_string()),
                       "gate": {"allowed": false, "reason": "cooldown_active",
                                "next_allowed_at": "2026-12-29T12:00:00Z", "last_requested_at": AT},
                       "policy": {"plan": "enterprise", "cooldown_seconds": 2_419_200,
                                  "download_window_seconds": 864_000, "server_error_reopens": true},
                       "server_time": "2026-12-02T12:00:00Z"})
                .to_string(),
            )
        }
        ("GET", ["v1", "accounts", _, "backups", id]) => {
            match script.backups.iter().find(|b| b.id == *id) {
                Some(item) => Reply::json(200, backup_json(item).to_string()),
                None => Reply::problem(404, "not_found", "No such backup."),
            }
        }
        ("GET", ["v1", "accounts", _, "backups", _, "terms"]) => {
            Reply::json(200, terms.to_string())
        }
        ("POST", ["v1", "accounts", _, "backups", _, "terms-acceptance"]) => {
            script.terms_accepted = true;
            Reply::json(
                200,
                json!({"terms_version": "t1", "accepted_at": AT, "accepted_by": {"id": "p1", "name": "Pat"}})
                    .to_string(),
            )
        }
        ("GET", ["v1", "accounts", _, "backups", id, "delivery"]) => {
            if !script.terms_accepted {
                return Reply::problem(403, "terms_not_accepted", "Accept the terms first.");
            }
            match script.backups.iter().find(|b| b.id == *id) {
                Some(item) => Reply::json(
                    200,
                    json!({"backup_id": item.id, "terms": {"version": "t1", "text": "Keep it safe."},
                           "sftp": {"host": "127.0.0.1", "port": script.sftp_port, "remote_path": item.remote,
                                    "size_bytes": item.size, "sha256": item.sha256,
                                    "host_key_fingerprints": script.fingerprints},
                           "expires_at": "2026-12-10T12:00:00Z"})
                    .to_string(),
                ),
                None => Reply::problem(404, "not_found", "No such backup."),
            }
        }
        _ => Reply::problem(404, "not_found", "No such route."),
    }
}

impl Hostile {
    pub fn start(world: &World, account_id: &str) -> Hostile {
        let script = Arc::new(Mutex::new(Script {
            account_id: account_id.to_owned(),
            backups: Vec::new(),
            endless_pages: false,
            terms_accepted: false,
            sftp_port: world.sshd.port,
            fingerprints: world.sshd.host_key_fingerprints.clone(),
        }));
        let shared = Arc::clone(&script);
        let server = RoutedServer::start(move |request| {
            answer(&mut shared.lock().expect("script"), request)
        })
        .expect("hostile provider");
        Hostile { server, script }
    }

    /// Publishes a ready backup `id` under `file_name`: a real zip (so it
    /// passes the archive check) whose one CSV record is `content`. Returns
    /// the archive's bytes, as published.
    pub fn ready(
        &self,
        world: &World,
        id: &str,
        file_name: Option<&str>,
        content: &str,
    ) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("archive dir");
        let records = [("tasks".to_owned(), vec![content.to_owned()])];
        backup_provider::archive::generate(dir.path(), "a.zip", &records, None).expect("zip");
        let bytes = std::fs::read(dir.path().join("a.zip")).expect("archive");
        let remote = world
            .sshd
            .put_file(&format!("{id}.zip"), &bytes)
            .expect("archive");
        let item = Item {
            id: id.to_owned(),
            status: "ready".into(),
            file_name: file_name.map(str::to_owned),
            remote,
            size: bytes.len() as u64,
            sha256: format!("{:x}", Sha256::digest(&bytes)),
        };
        self.script.lock().expect("script").backups.insert(0, item);
        bytes
    }

    pub fn edit(&self, change: impl FnOnce(&mut Script)) {
        change(&mut self.script.lock().expect("script"));
    }

    /// Adds the account, imports the key, sets and trusts the SFTP server.
    pub fn set_up(&self, world: &World) {
        world.set_up_at(&self.server.base(), "any-token");
        let fp = &world.sshd.host_key_fingerprints[0];
        world.expect(&["connection", "test", "--trust-fingerprint", fp], None, 0);
    }
}

#[test]
fn an_account_id_that_is_a_path_never_names_a_folder() {
    let world = World::start();
    for evil in ["../../x", "/abs/path", "..", "a/../../b"] {
        let hostile = Hostile::start(&world, evil);
        let out = world.expect(
            &["account", "add", "--provider", &hostile.server.base()],
            Some("any-token\n"),
            2,
        );
        assert!(
            out.contains("not a valid account id"),
            "a provider could aim downloads at ~/.config/autostart with {evil:?}: {out}"
        );
        let listed = world.expect(&["account", "list"], None, 0);
        assert!(
            listed.contains("No accounts"),
            "nothing was recorded: {listed}"
        );
        // The application layer under the app refuses it the same way.
        let app_dir = tempfile::tempdir().expect("app data");
        let desk = backup_workflows::Desk::open(
            app_dir.path(),
            Arc::new(backup_keychain::MemoryBackend::default()),
            Arc::new(backup_workflows::SystemClock),
        )
        .expect("desk");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let error = runtime
            .block_on(desk.add_accounts(
                &hostile.server.base(),
                "any-token",
                &[evil.to_owned()],
                false,
            ))
            .expect_err("refused");
        assert_eq!(
            error.kind(),
            backup_workflows::ErrorKind::InvalidInput,
            "{error}"
        );
        assert!(desk.accounts().expect("accounts").accounts.is_empty());
    }
}

#[test]
fn four_backups_with_one_file_name_keep_the_newest_two_with_their_own_bytes() {
    let world = World::start();
    let hostile = Hostile::start(&world, "hostile");
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let mut published = Vec::new();
    for n in 1..=4 {
        let content = format!("archive number {n} ").repeat(1000 * n);
        published.push(hostile.ready(&world, &format!("bk_{n}"), Some("backup.zip"), &content));
        if n == 1 {
            hostile.set_up(&world);
        }
        world.expect(
            &[
                "auto",
                "--once",
                "--keep",
                "2",
                "--accept-terms",
                "--to",
                &to,
            ],
            None,
            0,
        );
    }
    let mut kept: Vec<Vec<u8>> = World::zips(dest.path())
        .iter()
        .map(|p| std::fs::read(p).expect("archive"))
        .collect();
    kept.sort();
    let mut newest = vec![published[2].clone(), published[3].clone()];
    newest.sort();
    assert_eq!(
        kept, newest,
        "the two newest archives are kept, each with its own bytes: rotation never deletes a file a newer record owns"
    );
    let json = world.expect(&["--json", "backups", "list"], None, 0);
    let parsed: Value = serde_json::from_str(json.lines().next().expect("json")).expect("json");
    for row in parsed["backups"].as_array().expect("rows").iter().take(2) {
        let path = row["downloaded_to"].as_str().expect("recorded");
        assert!(
            std::path::Path::new(path).exists(),
            "{path} is recorded and there"
        );
    }
}

/// Downloads bk_1 after `spoil` changed what the provider says of it;
/// expects exit `code` and an empty destination. Returns the output.
fn refused_before_any_byte(spoil: impl FnOnce(&mut Script), code: i32) -> String {
    let world = World::start();
    let hostile = Hostile::start(&world, "hostile");
    hostile.ready(&world, "bk_1", None, "first");
    hostile.set_up(&world);
    hostile.edit(spoil);
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let args = ["backups", "download", "bk_1", "--accept-terms", "--to", &to];
    let out = world.expect(&args, None, code);
    let written: Vec<_> = std::fs::read_dir(dest.path()).expect("dest").collect();
    assert!(written.is_empty(), "nothing was written: {written:?}");
    out
}

#[test]
fn a_backup_that_is_not_ready_is_refused_before_any_byte_moves() {
    let out = refused_before_any_byte(|s| s.backups[0].status = "in_progress".into(), 6);
    assert!(out.contains("not ready"), "{out}");
}

#[test]
fn a_malformed_checksum_is_refused_before_any_byte_moves() {
    let out = refused_before_any_byte(|s| s.backups[0].sha256 = "not-a-sha256".into(), 2);
    assert!(
        out.contains("malformed checksum"),
        "a download that could not be verified must not start: {out}"
    );
}

#[test]
fn endless_pages_end_with_a_clear_error_not_a_loop() {
    let world = World::start();
    let hostile = Hostile::start(&world, "hostile");
    hostile.ready(&world, "bk_1", None, "first");
    hostile.set_up(&world);
    hostile.edit(|s| s.endless_pages = true);
    let before = hostile.server.requests();
    let out = world.expect(&["backups", "list"], None, 1);
    assert!(
        out.contains("kept sending more pages"),
        "a provider that never stops paging is named, not followed forever: {out}"
    );
    let asked = hostile.server.requests() - before;
    assert!(
        asked <= 1_001,
        "the pages asked for are capped ({asked} requests)"
    );
}

#[test]
fn an_interrupted_download_can_be_discarded_and_a_hostile_id_cannot_name_a_file() {
    let world = World::start();
    let hostile = Hostile::start(&world, "hostile");
    hostile.ready(&world, "bk_1", None, "first");
    hostile.set_up(&world);
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let partial = dest.path().join(".bk_1.part");
    std::fs::write(&partial, b"half").expect("an interrupted download");
    let out = world.expect(&["backups", "discard", "bk_1", "--to", &to], None, 0);
    assert!(out.contains("Deleted"), "{out}");
    assert!(!partial.exists(), "its space is freed");
    let again = world.expect(&["backups", "discard", "bk_1", "--to", &to], None, 0);
    assert!(again.contains("no interrupted download"), "{again}");
    let outside = dest.path().join("victim");
    std::fs::write(&outside, b"keep").expect("a file beside");
    world.expect(&["backups", "discard", "../victim", "--to", &to], None, 2);
    assert!(outside.exists(), "an id is never a path");
}

#[test]
fn a_file_name_that_spoofs_its_extension_is_saved_plainly() {
    let world = World::start();
    let hostile = Hostile::start(&world, "hostile");
    // U+202E turns "invoice<RLO>gpj.zip" into something that reads "invoicepiz.jpg".
    hostile.ready(&world, "bk_1", Some("invoice\u{202E}gpj.zip"), "zip bytes");
    hostile.set_up(&world);
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    world.expect(
        &["backups", "download", "bk_1", "--accept-terms", "--to", &to],
        None,
        0,
    );
    let saved = World::zips(dest.path());
    assert_eq!(saved.len(), 1, "{saved:?}");
    let name = saved[0]
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a name");
    assert!(
        !name.contains('\u{202E}') && name.ends_with(".zip"),
        "the saved name must show what it is, or a person opens a disguised file: {name:?}"
    );
}

#[test]
fn a_backup_being_downloaded_elsewhere_is_not_downloaded_again_over_it() {
    let world = World::start();
    let hostile = Hostile::start(&world, "hostile");
    let published = hostile.ready(&world, "bk_1", None, "the only copy");
    hostile.set_up(&world);
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    // The app (or another backup-desk) is downloading bk_1 into this folder.
    let held = std::fs::File::create(dest.path().join(".bk_1.part")).expect("partial");
    held.try_lock().expect("hold it like a running download");
    let args = ["backups", "download", "bk_1", "--accept-terms", "--to", &to];
    let busy = world.expect(&args, None, 1);
    assert!(
        busy.contains("already being downloaded"),
        "two writers never share a partial file: {busy}"
    );
    assert!(World::zips(dest.path()).is_empty(), "nothing finalized");
    drop(held);
    world.expect(&args, None, 0);
    let saved = World::zips(dest.path());
    assert_eq!(
        std::fs::read(&saved[0]).expect("archive"),
        published,
        "once free, the download completes with the published bytes"
    );
}

#[test]
fn rotation_never_deletes_a_file_that_later_took_a_rotated_name() {
    let world = World::start();
    let hostile = Hostile::start(&world, "hostile");
    let dest = tempfile::tempdir().expect("dest");
    let to = dest.path().display().to_string();
    let auto = [
        "auto",
        "--once",
        "--keep",
        "1",
        "--accept-terms",
        "--to",
        &to,
    ];
    hostile.ready(&world, "bk_1", Some("backup.zip"), "first archive");
    hostile.set_up(&world);
    world.expect(&auto, None, 0);
    hostile.ready(&world, "bk_2", Some("backup.zip"), "second archive");
    world.expect(&auto, None, 0);
    let mine = dest.path().join("backup.zip");
    assert!(!mine.exists(), "keep 1: the first archive was rotated away");
    // The person saves a file of their own under the freed name.
    std::fs::write(&mine, b"my own notes").expect("the person's file");
    hostile.ready(&world, "bk_3", Some("backup.zip"), "third archive");
    world.expect(&auto, None, 0);
    assert_eq!(
        std::fs::read(&mine).expect("still there"),
        b"my own notes",
        "rotation deleted a file it did not download: the person's own"
    );
}

#[test]
fn an_ambiguous_account_or_a_wrong_trusted_fingerprint_is_refused_in_words() {
    let world = World::start();
    world.set_up_untrusted();
    let wrong = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
    let refused = world.expect(
        &["connection", "test", "--trust-fingerprint", wrong],
        None,
        4,
    );
    assert!(
        refused.contains("not the fingerprint given")
            && refused.contains(&world.sshd.host_key_fingerprints[0]),
        "says which key the server presents instead: {refused}"
    );
    // A provider whose account id is "1", the local id of acme.
    let hostile = Hostile::start(&world, "1");
    world.expect(
        &["account", "add", "--provider", &hostile.server.base()],
        Some("any-token\n"),
        0,
    );
    let ambiguous = world.expect(&["account", "remove", "1"], None, 2);
    assert!(
        ambiguous.contains("local id of one account"),
        "removing the wrong account would lose its key and token: {ambiguous}"
    );
    let listed = world.expect(&["account", "list"], None, 0);
    assert!(
        listed.contains("Acme Ltda") && listed.contains("Hostile Co"),
        "{listed}"
    );
}

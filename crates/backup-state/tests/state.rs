//! The local state on a real SQLite file, as the app and the CLI share it.

use std::sync::Arc;

use backup_domain::Role;
use backup_state::{
    AccountRecord, AuditEvent, DownloadRecord, LocalState, SftpConnection, StateError,
};
use chrono::{DateTime, NaiveDate, Utc};

const NOW: DateTime<Utc> = NaiveDate::from_ymd_opt(2026, 11, 21)
    .expect("a date")
    .and_hms_opt(10, 0, 0)
    .expect("a time")
    .and_utc();

fn acme() -> AccountRecord {
    AccountRecord {
        id: 0,
        provider_url: "https://backups.example.com".into(),
        account_id: "acme".into(),
        display_name: "Acme Ltda".into(),
        role: Some(Role::Owner),
        person_name: "Olivia".into(),
    }
}

#[test]
fn accounts_connections_pins_and_downloads_round_trip_and_cascade() {
    let dir = tempfile::tempdir().expect("dir");
    let state = LocalState::open_in(dir.path()).expect("open");
    let id = state.upsert_account(&acme(), NOW).expect("add");
    let again = state
        .upsert_account(
            &AccountRecord {
                display_name: "Acme S.A.".into(),
                ..acme()
            },
            NOW,
        )
        .expect("update");
    assert_eq!(id, again, "the same provider account is one record");
    assert_eq!(state.accounts().expect("list")[0].display_name, "Acme S.A.");
    let connection = SftpConnection {
        host: "sftp.example.com".into(),
        port: 22,
        username: "acme-backup".into(),
    };
    state.set_connection(id, &connection).expect("connection");
    assert_eq!(state.connection(id).expect("read"), Some(connection));
    state
        .pin_host_key(id, "sftp.example.com", 22, "SHA256:abc", NOW)
        .expect("pin");
    assert_eq!(
        state
            .pinned_host_key(id, "sftp.example.com", 22)
            .expect("pin")
            .as_deref(),
        Some("SHA256:abc")
    );
    assert_eq!(
        state
            .pinned_host_key(id, "sftp.example.com", 2222)
            .expect("other port"),
        None
    );
    state
        .record_verified(
            &DownloadRecord {
                account: id,
                backup_id: "bk_1".into(),
                path: "/home/o/Backups/acme.zip".into(),
                size_bytes: 5_000_000_000,
                sha256: "ab".repeat(32),
                verified_at: NOW,
            },
            "Olivia",
        )
        .expect("download");
    assert_eq!(
        state.downloads(id).expect("downloads")[0].size_bytes,
        5_000_000_000,
        "sizes past 4 GiB"
    );
    state
        .audit(
            Some(id),
            "Olivia",
            &AuditEvent::RequestMade {
                backup_id: "bk_1".into(),
            },
            NOW,
        )
        .expect("audit");
    state.remove_account(id).expect("remove");
    assert!(state.accounts().expect("list").is_empty());
    assert_eq!(
        state.connection(id).expect("gone"),
        None,
        "the connection goes with the account"
    );
    assert!(state.downloads(id).expect("gone").is_empty());
    assert_eq!(
        state.audit_log(Some(id)).expect("audit").len(),
        3,
        "the audit log keeps its history (verified, finished, requested)"
    );
    assert!(matches!(
        state.remove_account(id),
        Err(StateError::UnknownAccount(_))
    ));
}

#[test]
fn bad_connections_and_fingerprints_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let state = LocalState::open_in(dir.path()).expect("open");
    let id = state.upsert_account(&acme(), NOW).expect("add");
    let empty = SftpConnection {
        host: " ".into(),
        port: 22,
        username: "u".into(),
    };
    let error = state.set_connection(id, &empty).expect_err("no host");
    assert!(error.to_string().contains("needs a host"), "{error}");
    assert!(
        state
            .set_connection(
                id,
                &SftpConnection {
                    host: "h".into(),
                    port: 0,
                    username: "u".into()
                }
            )
            .is_err()
    );
    assert!(matches!(
        state.set_connection(
            99,
            &SftpConnection {
                host: "h".into(),
                port: 22,
                username: "u".into()
            }
        ),
        Err(StateError::UnknownAccount(99))
    ));
    assert!(
        state.pin_host_key(id, "h", 22, "MD5:aa:bb", NOW).is_err(),
        "only SHA256 fingerprints"
    );
}

#[test]
fn the_audit_log_is_append_only() {
    let dir = tempfile::tempdir().expect("dir");
    let state = LocalState::open_in(dir.path()).expect("open");
    let events = [
        AuditEvent::RequestMade {
            backup_id: "bk_1".into(),
        },
        AuditEvent::TermsAccepted {
            backup_id: "bk_1".into(),
            version: "2026-01".into(),
        },
        AuditEvent::HostKeyAccepted {
            host: "h".into(),
            fingerprint: "SHA256:x".into(),
        },
        AuditEvent::DownloadVerified {
            backup_id: "bk_1".into(),
            sha256: "ab".into(),
        },
    ];
    for event in &events {
        state.audit(None, "Olivia", event, NOW).expect("append");
    }
    let log = state.audit_log(None).expect("read");
    assert_eq!(
        log.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
        events
    );
    let raw = rusqlite::Connection::open(dir.path().join("state.sqlite3")).expect("raw");
    assert!(
        raw.execute("UPDATE audit_log SET actor = 'mallory'", [])
            .is_err(),
        "no rewriting history"
    );
    assert!(
        raw.execute("DELETE FROM audit_log", []).is_err(),
        "no erasing history"
    );
    assert_eq!(state.audit_log(None).expect("read").len(), 4);
}

#[test]
fn the_app_and_the_cli_can_write_at_the_same_time() {
    let dir = tempfile::tempdir().expect("dir");
    let app = Arc::new(LocalState::open_in(dir.path()).expect("app"));
    let cli = Arc::new(LocalState::open_in(dir.path()).expect("cli"));
    let writers: Vec<_> = [app.clone(), cli.clone()]
        .into_iter()
        .enumerate()
        .map(|(n, state)| {
            std::thread::spawn(move || {
                for i in 0..150 {
                    let event = AuditEvent::DownloadStarted {
                        backup_id: format!("bk_{n}_{i}"),
                    };
                    state
                        .audit(None, if n == 0 { "app" } else { "cli" }, &event, NOW)
                        .expect("no lock error");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer");
    }
    assert_eq!(
        app.audit_log(None).expect("read").len(),
        300,
        "every write landed"
    );
}

#[test]
fn no_secret_ever_reaches_the_database_file() {
    let dir = tempfile::tempdir().expect("dir");
    let token = "bdp_0123456789abcdef_secret_token";
    let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n";
    {
        let state = LocalState::open_in(dir.path()).expect("open");
        let id = state.upsert_account(&acme(), NOW).expect("add");
        state
            .set_connection(
                id,
                &SftpConnection {
                    host: "sftp.example.com".into(),
                    port: 22,
                    username: "acme".into(),
                },
            )
            .expect("connection");
        state
            .pin_host_key(id, "sftp.example.com", 22, "SHA256:abc", NOW)
            .expect("pin");
        for event in [
            AuditEvent::RequestMade {
                backup_id: "bk_1".into(),
            },
            AuditEvent::DownloadFailed {
                backup_id: "bk_1".into(),
                reason: "The key's passphrase is wrong.".into(),
            },
        ] {
            state.audit(Some(id), "Olivia", &event, NOW).expect("audit");
        }
    }
    let files: Vec<(String, Vec<u8>)> = ["state.sqlite3", "state.sqlite3-wal"]
        .iter()
        .map(|name| {
            (
                name.to_string(),
                std::fs::read(dir.path().join(name)).unwrap_or_default(),
            )
        })
        .collect();
    let contains =
        |bytes: &[u8], needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        files
            .iter()
            .any(|(_, bytes)| contains(bytes, "sftp.example.com")),
        "the scan must see what is stored, or it proves nothing"
    );
    for (name, bytes) in &files {
        for secret in [token, key.lines().nth(1).expect("key body")] {
            assert!(!contains(bytes, secret), "{secret:.12}… found in {name}");
        }
    }
}

#[test]
fn a_database_from_a_newer_version_is_not_touched() {
    let dir = tempfile::tempdir().expect("dir");
    drop(LocalState::open_in(dir.path()).expect("create"));
    let raw = rusqlite::Connection::open(dir.path().join("state.sqlite3")).expect("raw");
    raw.pragma_update(None, "user_version", 99)
        .expect("future schema");
    drop(raw);
    let error = LocalState::open_in(dir.path()).expect_err("refused");
    assert!(error.to_string().contains("newer Backup Desk"), "{error}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("state.sqlite3"))
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "user-only");
    }
}

#[test]
fn downloads_verified_in_the_same_second_list_the_later_one_first() {
    // Regression: `auto --keep 1` kept the older archive when two verified
    // within one second, because ties were broken by the backup id.
    let dir = tempfile::tempdir().expect("dir");
    let state = LocalState::open_in(dir.path()).expect("open");
    let id = state.upsert_account(&acme(), NOW).expect("add");
    for backup in ["bk_ffff", "bk_0000"] {
        state
            .record_verified(
                &DownloadRecord {
                    account: id,
                    backup_id: backup.into(),
                    path: format!("/tmp/{backup}.zip"),
                    size_bytes: 1,
                    sha256: "00".repeat(32),
                    verified_at: NOW,
                },
                "auto",
            )
            .expect("record");
    }
    let order: Vec<String> = state
        .downloads(id)
        .expect("list")
        .into_iter()
        .map(|d| d.backup_id)
        .collect();
    assert_eq!(
        order,
        ["bk_0000", "bk_ffff"],
        "the one recorded last is the newest"
    );
}

#[test]
fn settings_are_kept_and_forgotten() {
    let dir = tempfile::tempdir().expect("dir");
    let state = LocalState::open_in(dir.path()).expect("open");
    assert_eq!(state.setting("current_account").expect("read"), None);
    state.set_setting("current_account", "3").expect("set");
    state.set_setting("current_account", "4").expect("replace");
    assert_eq!(
        state.setting("current_account").expect("read").as_deref(),
        Some("4")
    );
    state.unset_setting("current_account").expect("unset");
    assert_eq!(state.setting("current_account").expect("read"), None);
}

#[test]
fn a_verified_download_and_host_key_decisions_are_recorded_with_their_audit() {
    let dir = tempfile::tempdir().expect("dir");
    let state = LocalState::open_in(dir.path()).expect("open");
    let id = state.upsert_account(&acme(), NOW).expect("add");
    let record = DownloadRecord {
        account: id,
        backup_id: "bk_1".into(),
        path: "/d/acme.zip".into(),
        size_bytes: 42,
        sha256: "ab".repeat(32),
        verified_at: NOW,
    };
    state.record_verified(&record, "Olivia").expect("record");
    assert_eq!(
        state.downloads(id).expect("downloads"),
        vec![record.clone()]
    );
    state
        .trust_host_key(id, "Olivia", "h", 22, "SHA256:good", NOW)
        .expect("trust");
    assert_eq!(
        state.pinned_host_key(id, "h", 22).expect("pin").as_deref(),
        Some("SHA256:good")
    );
    state
        .refuse_host_key(id, "Olivia", "h", 22, "SHA256:evil", NOW)
        .expect("refuse");
    assert_eq!(
        state.pinned_host_key(id, "h", 22).expect("pin").as_deref(),
        Some("SHA256:good"),
        "a refusal never changes the pin"
    );
    let kinds: Vec<&str> = state
        .audit_log(Some(id))
        .expect("log")
        .iter()
        .map(|e| e.event.kind())
        .collect();
    assert_eq!(
        kinds,
        [
            "download_verified",
            "download_finished",
            "host_key_accepted",
            "host_key_rejected"
        ]
    );
    assert!(
        state
            .trust_host_key(id, "Olivia", "h", 22, "MD5:aa", NOW)
            .is_err(),
        "a bad fingerprint is neither pinned nor recorded as trusted"
    );
    assert_eq!(state.audit_log(Some(id)).expect("log").len(), 4);
}

#[test]
fn a_download_begins_afresh_or_from_the_bytes_on_disk() {
    assert_eq!(
        AuditEvent::download_begins("bk", None),
        AuditEvent::DownloadStarted {
            backup_id: "bk".into()
        }
    );
    assert_eq!(
        AuditEvent::download_begins("bk", Some(4096)),
        AuditEvent::DownloadResumed {
            backup_id: "bk".into(),
            from_bytes: 4096
        }
    );
}

//! Byte-exact downloads: small, empty, every key kind, with progress.

use backup_transfer::{CancelToken, Progress, TransferError, download, partial_paths};
use test_support::sshd::{ClientKey, KeyKind, SshServer};

use crate::support::{Served, listing, sha256_hex};

#[test]
fn a_small_file_arrives_byte_exact_verified_and_user_only() {
    let served = Served::new(5 * 1024 * 1024 + 123);
    let dest = tempfile::tempdir().expect("dest");
    let mut reports: Vec<Progress> = Vec::new();
    let done = download(
        &served.spec(dest.path()),
        &mut |p| reports.push(p),
        &CancelToken::new(),
    )
    .expect("download");
    assert_eq!(
        std::fs::read(&done.path).expect("read"),
        served.contents,
        "byte-exact"
    );
    assert_eq!(done.sha256, sha256_hex(&served.contents));
    assert_eq!(done.path, dest.path().join("acme-archive.zip"));
    assert_eq!(
        listing(dest.path()),
        vec!["acme-archive.zip"],
        "no .part or journal left behind"
    );
    assert!(
        done.streams_used >= 2,
        "several sessions took part: {}",
        done.streams_used
    );
    let last = reports.last().expect("progress reported");
    assert_eq!(
        (last.done, last.total),
        (served.contents.len() as u64, served.contents.len() as u64)
    );
    assert!(
        reports.windows(2).all(|w| w[0].done <= w[1].done),
        "progress never goes back"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&done.path)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn an_empty_file_downloads_as_an_empty_file() {
    let served = Served::new(0);
    let dest = tempfile::tempdir().expect("dest");
    let done =
        download(&served.spec(dest.path()), &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(std::fs::metadata(&done.path).expect("meta").len(), 0);
    assert_eq!(done.sha256, sha256_hex(b""));
}

#[test]
fn every_key_kind_authenticates_with_and_without_passphrase() {
    let kinds = [
        (KeyKind::RsaPem, None),
        (KeyKind::RsaPem, Some("pem pass")),
        (KeyKind::RsaPkcs8, None),
        (KeyKind::RsaPkcs8, Some("pkcs8 pass")),
        (KeyKind::RsaOpenSsh, Some("openssh pass")),
        (KeyKind::Ecdsa, None),
        (KeyKind::EcdsaPem, None),
        (KeyKind::Ed25519, None),
        (KeyKind::Ed25519, Some("ed pass")),
    ];
    for (kind, passphrase) in kinds {
        let served = Served::with_key(ClientKey::generate(kind, passphrase).expect("key"), 200_000);
        let dest = tempfile::tempdir().expect("dest");
        let done = download(&served.spec(dest.path()), &mut |_| {}, &CancelToken::new())
            .unwrap_or_else(|e| {
                panic!(
                    "{kind:?} (passphrase: {}) must work: {e}",
                    passphrase.is_some()
                )
            });
        assert_eq!(
            std::fs::read(&done.path).expect("read"),
            served.contents,
            "{kind:?}"
        );
    }
}

#[test]
fn a_wrong_or_missing_passphrase_is_explained_in_words() {
    let served = Served::with_key(
        ClientKey::generate(KeyKind::RsaPem, Some("right")).expect("key"),
        1000,
    );
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    spec.key = backup_transfer::PrivateKey::new(
        String::from_utf8(served.key.private_pem.clone()).expect("pem"),
        Some("wrong".into()),
    );
    match download(&spec, &mut |_| {}, &CancelToken::new()) {
        Err(TransferError::AuthFailed(message)) => {
            assert!(message.contains("passphrase is wrong"), "{message}")
        }
        other => panic!("a wrong passphrase must be an auth failure: {other:?}"),
    }
    spec.key = backup_transfer::PrivateKey::new(
        String::from_utf8(served.key.private_pem.clone()).expect("pem"),
        None,
    );
    match download(&spec, &mut |_| {}, &CancelToken::new()) {
        Err(TransferError::AuthFailed(message)) => {
            assert!(message.contains("protected by a passphrase"), "{message}")
        }
        other => panic!("a missing passphrase must be an auth failure: {other:?}"),
    }
    assert!(
        listing(dest.path()).is_empty(),
        "nothing is written when login fails"
    );
}

#[test]
fn a_key_the_server_does_not_know_is_refused() {
    let served = Served::new(1000);
    let stranger = ClientKey::generate(KeyKind::Ed25519, None).expect("key");
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    spec.key = backup_transfer::PrivateKey::new(
        String::from_utf8(stranger.private_pem.clone()).expect("pem"),
        None,
    );
    match download(&spec, &mut |_| {}, &CancelToken::new()) {
        Err(TransferError::AuthFailed(message)) => {
            assert!(message.contains("did not accept this key"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_remote_file_is_not_found() {
    let served = Served::new(1000);
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    spec.remote_path = "backups/gone.zip".into();
    assert!(matches!(
        download(&spec, &mut |_| {}, &CancelToken::new()),
        Err(TransferError::NotFound(_))
    ));
}

#[test]
fn an_existing_file_with_the_same_name_is_kept() {
    let served = Served::new(10_000);
    let dest = tempfile::tempdir().expect("dest");
    std::fs::write(dest.path().join("acme-archive.zip"), b"my older copy").expect("existing");
    let done =
        download(&served.spec(dest.path()), &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(done.path, dest.path().join("acme-archive (1).zip"));
    assert_eq!(
        std::fs::read(dest.path().join("acme-archive.zip")).expect("old"),
        b"my older copy"
    );
    let (part, journal) = partial_paths(dest.path(), crate::support::BACKUP_ID).expect("valid id");
    assert!(!part.exists() && !journal.exists());
}

#[test]
fn a_file_larger_than_4_gib_downloads_exactly() {
    // Sparse on the server: 4 GiB + 1 MiB with data only at both ends.
    let served = Served::new(0);
    let path = served.server.served_dir.join("backups/huge.zip");
    let size: u64 = (4 << 30) + (1 << 20);
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut file = std::fs::File::create(&path).expect("create");
        file.set_len(size).expect("sparse length");
        file.write_all(b"head of the archive").expect("head");
        file.seek(SeekFrom::Start(size - 19))
            .expect("seek to the tail");
        file.write_all(b"tail of the archive").expect("tail");
    }
    let expected = {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        let mut reader =
            std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path).expect("open"));
        std::io::copy(&mut reader, &mut hasher).expect("hash");
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    spec.remote_path = "backups/huge.zip".into();
    spec.expected_size = size;
    spec.expected_sha256 = expected.clone();
    spec.options.segment_size = 64 << 20;
    spec.options.read_size = 2 << 20;
    let done = download(&spec, &mut |_| {}, &CancelToken::new()).expect("download");
    assert_eq!(done.size, size);
    assert_eq!(done.sha256, expected, "offsets past 4 GiB are right");
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(&done.path).expect("open");
    let mut tail = [0u8; 19];
    file.seek(SeekFrom::Start(size - 19))
        .expect("seek to the tail");
    file.read_exact(&mut tail).expect("tail");
    assert_eq!(&tail, b"tail of the archive");
}

#[test]
fn a_checksum_mismatch_discards_the_download_and_says_so() {
    let served = Served::new(300_000);
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec(dest.path());
    spec.expected_sha256 = "0".repeat(64);
    match download(&spec, &mut |_| {}, &CancelToken::new()) {
        Err(error @ TransferError::VerificationFailed { .. }) => {
            assert!(error.to_string().contains("discarded"), "{error}")
        }
        other => panic!("a wrong checksum must fail verification: {other:?}"),
    }
    assert!(
        listing(dest.path()).is_empty(),
        "no final file and no partial left: {:?}",
        listing(dest.path())
    );
}

#[test]
fn a_remote_file_of_another_size_than_published_is_not_downloaded() {
    // The download opens the file without a stat: a shorter file ends early;
    // in a longer one the published size's prefix fails the checksum. Either
    // way nothing of it is kept, with one session or several, a small file
    // or one of many reads.
    for (len, streams) in [(300_000, 1), (300_000, 4), (12 << 20, 1), (12 << 20, 4)] {
        let served = Served::new(len);
        for published in [len as u64 + 1, len as u64 - 1] {
            let dest = tempfile::tempdir().expect("dest");
            let mut spec = served.spec(dest.path());
            spec.expected_size = published;
            spec.options.streams = streams;
            spec.options.max_retries = 0;
            let result = download(&spec, &mut |_| {}, &CancelToken::new());
            match (&result, published > len as u64) {
                (Err(TransferError::RemoteChanged(why)), true) => {
                    assert!(why.contains("ended early"), "{why}")
                }
                (Err(TransferError::VerificationFailed { .. }), false) => {}
                _ => panic!("{len} bytes published as {published}: {result:?}"),
            }
            assert!(
                listing(dest.path()).is_empty(),
                "nothing kept of a file that is not the published one: {:?}",
                listing(dest.path())
            );
        }
    }
}

#[test]
fn stream_counts_outside_1_to_16_and_missing_folders_are_refused() {
    let served = Served::new(1000);
    let dest = tempfile::tempdir().expect("dest");
    for streams in [0, 17] {
        let mut spec = served.spec(dest.path());
        spec.options.streams = streams;
        let result = download(&spec, &mut |_| {}, &CancelToken::new());
        assert!(
            matches!(&result, Err(TransferError::Invalid(m)) if m.contains("1 to 16")),
            "{result:?}"
        );
    }
    let spec = served.spec(&dest.path().join("no-such-folder"));
    let result = download(&spec, &mut |_| {}, &CancelToken::new());
    assert!(
        matches!(result, Err(TransferError::LocalIo { .. })),
        "{result:?}"
    );
}

/// SFTP's version is taken with the first answer (libssh2 patched, see
/// `vendor/libssh2-sys`): a server answering anything else first, or a
/// version cut short, is out of step with the protocol, which ends the
/// attempt at once, nothing written. (Unix: the stand-in server is a shell
/// script.)
#[cfg(unix)]
#[test]
fn an_sftp_server_that_answers_before_its_version_is_a_clear_error() {
    let served = Served::new(1000);
    let bin = tempfile::tempdir().expect("bin");
    // Each takes INIT (9 bytes), then answers with the packet given.
    for (what, packet) in [
        // A status (type 101, id 1) instead of the version.
        ("another answer", r"\000\000\000\005\145\000\000\000\001"),
        // Version 3, then an extension name whose length runs past the end.
        (
            "a cut extension",
            r"\000\000\000\011\002\000\000\000\003\000\000\000\377",
        ),
        // A packet too short to hold a version (2 bytes), then more (libssh2
        // reads 9 bytes of a packet's start before it looks at its length).
        (
            "a version cut short",
            r"\000\000\000\002\002\000\000\000\000",
        ),
    ] {
        let program = bin
            .path()
            .join(format!("sftp-server-{}", what.replace(' ', "-")));
        std::fs::write(
            &program,
            format!("#!/bin/sh\nhead -c 9 >/dev/null\nprintf '{packet}'\n"),
        )
        .expect("program");
        std::fs::set_permissions(
            &program,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod");
        let server = SshServer::start_with_sftp_program(&[&served.key], &program).expect("sshd");
        let why = fails_at_once_with_nothing_written(&served, &server);
        assert!(why.contains("do not follow the protocol"), "{what}: {why}");
    }
}

#[test]
fn a_server_that_refuses_sftp_is_a_clear_error_not_a_wait() {
    // The SFTP set-up waits for the subsystem request's answer (see
    // vendor/libssh2-sys/PATCHES.md): a refusal ends the attempt at once,
    // with nothing written; so does a subsystem whose program is missing
    // (accepted, then the channel ends). The request goes with the
    // channel's open, naming the channel number OpenSSH gives the first
    // channel (change 6): a refusal could be of that guess (from a server
    // that only says it is OpenSSH), so a second connection asks after the
    // channel's confirmation, and its refusal is what is said.
    type Start = fn(&ClientKey) -> SshServer;
    let cases: [(&str, Start, usize); 2] = [
        (
            "refused",
            |key| SshServer::start_refusing_sftp(&[key]).expect("sshd"),
            2,
        ),
        (
            "program missing",
            |key| SshServer::start_without_sftp(&[key]).expect("sshd"),
            1,
        ),
    ];
    for (what, start, logins) in cases {
        let served = Served::new(1000);
        let server = start(&served.key);
        let why = fails_at_once_with_nothing_written(&served, &server);
        assert!(why.contains("SFTP"), "{what}: {why}");
        assert_eq!(
            server.logins(),
            logins,
            "{what}: once with the guess, then without"
        );
    }
}

/// Downloads `served` from `server` (its host key accepted, no retries):
/// the attempt must fail as a network error before any operation timeout,
/// with nothing written. Returns what it said.
fn fails_at_once_with_nothing_written(served: &Served, server: &SshServer) -> String {
    let dest = tempfile::tempdir().expect("dest");
    let mut spec = served.spec_for(server, dest.path());
    spec.options.max_retries = 0;
    let started = std::time::Instant::now();
    let result = download(&spec, &mut |_| {}, &CancelToken::new());
    let Err(TransferError::Network(why)) = result else {
        panic!("the server must be refused at once: {result:?}");
    };
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "not after the operation timeout: {:?}",
        started.elapsed()
    );
    assert!(listing(dest.path()).is_empty());
    why
}

//! Delivering a ready backup: the questions come back typed, only the key
//! the server presented can be trusted, a key the provider does not publish
//! is refused, and a verified archive is recorded and audited.

use backup_workflows::{Actor, DeliverRequest, DeskEvent, ErrorKind, ExistingCopy, Outcome, Phase};

use crate::world::{Answering, Published, World, recorder};

fn request(account: i64, backup_id: &str, folder: &std::path::Path) -> DeliverRequest {
    DeliverRequest {
        account,
        backup_id: backup_id.to_owned(),
        folder: Some(folder.to_path_buf()),
        streams: Some(2),
        actor: Actor::Person,
        existing: ExistingCopy::KeepBoth,
    }
}

fn audit_kinds(world: &World, account: i64) -> Vec<&'static str> {
    world
        .desk
        .state()
        .audit_log(Some(account))
        .expect("audit log")
        .iter()
        .map(|e| e.event.kind())
        .collect()
}

#[test]
fn a_delivery_asks_for_the_terms_then_the_key_then_verifies_records_and_announces() {
    let world = World::start();
    let id = world.set_up();
    let backup = world.ready_backup(id);
    let dest = world.folder("dest");
    let mut news = world.desk.subscribe();
    let (sink, phases) = recorder();
    let ask = world.run(
        world
            .desk
            .deliver(&request(id, &backup, &dest), sink.clone()),
    );
    let terms = match ask {
        Ok(Outcome::TermsRequired(terms)) => terms,
        other => panic!("the terms must be asked before any byte moves: {other:?}"),
    };
    assert!(
        crate::world::zips(&dest).is_empty(),
        "nothing written before the terms"
    );
    world
        .run(
            world
                .desk
                .accept_terms(id, &backup, &terms.version, Actor::Person),
        )
        .expect("accept");
    let key = match world.run(
        world
            .desk
            .deliver(&request(id, &backup, &dest), sink.clone()),
    ) {
        Ok(Outcome::HostKey(key)) => key,
        other => panic!("an unknown server must be asked about: {other:?}"),
    };
    assert_eq!(key.fingerprint, world.sshd.host_key_fingerprints[0]);
    assert_eq!(
        key.key_type, "Ed25519",
        "the person is told which kind of key the server presents"
    );
    assert!(
        key.published,
        "the provider publishes this key: say so to the person"
    );
    assert_eq!(key.replaces, None);
    let forged = world
        .desk
        .trust_host_key(id, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU")
        .expect_err("a key the server did not present can never be trusted");
    assert_eq!(forged.kind(), ErrorKind::InvalidInput);
    world
        .desk
        .trust_host_key(id, &key.fingerprint)
        .expect("trust the presented key");
    let saved = match world.run(world.desk.deliver(&request(id, &backup, &dest), sink)) {
        Ok(Outcome::Done(saved)) => saved,
        other => panic!("the trusted server delivers: {other:?}"),
    };
    let bytes = std::fs::read(&saved.path).expect("the archive is there");
    let digest = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
    assert_eq!(digest, saved.sha256, "the recorded checksum is the file's");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&saved.path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "a backup is sensitive: user-only");
    }
    assert_eq!(
        world.desk.state().downloads(id).expect("downloads"),
        vec![saved.clone()]
    );
    assert_eq!(
        audit_kinds(&world, id),
        [
            "request_made",
            "terms_accepted",
            "download_started",
            "host_key_accepted",
            "download_started",
            "download_verified",
            "archive_checked",
            "download_finished"
        ],
        "every step an auditor asks about is recorded, in order"
    );
    let phases = phases.lock().expect("phases").clone();
    assert_eq!(phases.first(), Some(&Phase::Connecting));
    assert!(
        phases.contains(&Phase::Verifying),
        "a report says all bytes are in"
    );
    assert_eq!(
        phases.last(),
        Some(&Phase::Checking),
        "the last reports are the archive check, after the checksum"
    );
    match news.try_recv() {
        Ok(DeskEvent::DownloadVerified { record, .. }) => assert_eq!(record, saved),
        other => panic!("the app hears of the verified download: {other:?}"),
    }
}

#[test]
fn a_key_the_provider_does_not_publish_is_refused_and_never_offered() {
    let world = World::start_publishing(Published::Other);
    let id = world.set_up();
    let backup = world.ready_backup(id);
    let terms = world.run(world.desk.terms(id, &backup)).expect("terms");
    world
        .run(
            world
                .desk
                .accept_terms(id, &backup, &terms.version, Actor::Person),
        )
        .expect("accept");
    let tested = world
        .run(world.desk.test_connection(id))
        .expect_err("the connection test must not offer an unpublished key");
    assert_eq!(tested.kind(), ErrorKind::HostKeyChanged, "{tested}");
    assert_eq!(
        tested.fingerprint(),
        Some(world.sshd.host_key_fingerprints[0].as_str())
    );
    let dest = world.folder("dest");
    let (sink, _) = recorder();
    let refused = world
        .run(world.desk.deliver(&request(id, &backup, &dest), sink))
        .expect_err("nor may a download offer it");
    assert_eq!(refused.kind(), ErrorKind::HostKeyChanged);
    assert!(
        crate::world::zips(&dest).is_empty(),
        "nothing was downloaded"
    );
    let kinds = audit_kinds(&world, id);
    assert_eq!(
        kinds.iter().filter(|k| **k == "host_key_rejected").count(),
        2,
        "both refusals are audited: {kinds:?}"
    );
    assert!(kinds.contains(&"download_failed"), "{kinds:?}");
}

#[test]
fn a_new_key_the_provider_publishes_is_offered_as_a_replacement() {
    let world = World::start();
    let id = world.set_up();
    let old = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
    world
        .desk
        .state()
        .pin_host_key(id, "127.0.0.1", world.sshd.port, old, world.desk.now())
        .expect("an older pin");
    let backup = world.ready_backup(id);
    let dest = world.folder("dest");
    let mut person = Answering::trusting(Some(&world.sshd.host_key_fingerprints[0]));
    let (sink, _) = recorder();
    let saved = world
        .run(
            world
                .desk
                .deliver_answering(&request(id, &backup, &dest), &mut person, sink),
        )
        .expect("the replacement was trusted and the archive delivered");
    assert_eq!(person.asked_terms, 1);
    assert_eq!(person.asked_keys.len(), 1, "asked once");
    assert_eq!(person.asked_keys[0].replaces.as_deref(), Some(old));
    assert!(person.asked_keys[0].published);
    assert_eq!(
        world
            .desk
            .state()
            .pinned_host_key(id, "127.0.0.1", world.sshd.port)
            .expect("pin")
            .as_deref(),
        Some(world.sshd.host_key_fingerprints[0].as_str()),
        "the new key replaced the old pin"
    );
    assert!(std::path::Path::new(&saved.path).exists());
}

#[test]
fn a_declined_key_stops_with_nothing_written_and_is_audited() {
    let world = World::start();
    let id = world.set_up();
    let backup = world.ready_backup(id);
    let dest = world.folder("dest");
    let mut person = Answering::trusting(None);
    let (sink, _) = recorder();
    let error = world
        .run(
            world
                .desk
                .deliver_answering(&request(id, &backup, &dest), &mut person, sink),
        )
        .expect_err("declined");
    assert_eq!(error.kind(), ErrorKind::UnknownHostKey, "{error}");
    assert!(crate::world::zips(&dest).is_empty());
    assert!(audit_kinds(&world, id).contains(&"host_key_rejected"));
    assert_eq!(
        world
            .desk
            .state()
            .pinned_host_key(id, "127.0.0.1", world.sshd.port)
            .expect("pin"),
        None
    );
}

#[test]
fn a_backup_that_is_not_ready_is_refused_before_any_byte() {
    let world = World::start();
    let id = world.set_up();
    let pending = world
        .run(world.desk.request_backup(id, Actor::Person))
        .expect("request");
    let dest = world.folder("dest");
    let (sink, phases) = recorder();
    let error = world
        .run(world.desk.deliver(&request(id, &pending.id, &dest), sink))
        .expect_err("awaiting release");
    assert_eq!(error.kind(), ErrorKind::NotReady, "{error}");
    assert!(
        phases.lock().expect("phases").is_empty(),
        "no connection was made"
    );
}

#[test]
fn a_trusted_key_the_provider_no_longer_publishes_is_checked_again() {
    let world = World::start_publishing(Published::Other);
    let id = world.set_up();
    // Trusted earlier, when the provider still published it.
    world
        .desk
        .state()
        .pin_host_key(
            id,
            "127.0.0.1",
            world.sshd.port,
            &world.sshd.host_key_fingerprints[0],
            world.desk.now(),
        )
        .expect("pin");
    let backup = world.ready_backup(id);
    let terms = world.run(world.desk.terms(id, &backup)).expect("terms");
    world
        .run(
            world
                .desk
                .accept_terms(id, &backup, &terms.version, Actor::Person),
        )
        .expect("accept");
    let dest = world.folder("dest");
    let (sink, _) = recorder();
    let refused = world
        .run(world.desk.deliver(&request(id, &backup, &dest), sink))
        .expect_err("the provider now publishes another key: the old pin is not enough");
    assert_eq!(refused.kind(), ErrorKind::HostKeyChanged, "{refused}");
    assert!(
        crate::world::zips(&dest).is_empty(),
        "nothing was downloaded"
    );
}

#[test]
fn a_key_declined_in_the_window_is_audited_and_cannot_be_trusted_afterwards() {
    let world = World::start();
    let id = world.set_up();
    let key = match world.run(world.desk.test_connection(id)) {
        Ok(Outcome::HostKey(key)) => key,
        other => panic!("asked first: {other:?}"),
    };
    world
        .desk
        .decline_host_key(id, &key.fingerprint)
        .expect("declined");
    assert!(audit_kinds(&world, id).contains(&"host_key_rejected"));
    let late = world
        .desk
        .trust_host_key(id, &key.fingerprint)
        .expect_err("a declined key is forgotten: trusting it needs a new look at the server");
    assert_eq!(late.kind(), ErrorKind::InvalidInput);
}

#[test]
fn the_first_sftp_connection_is_made_while_the_provider_answers_and_carries_the_download() {
    let world = World::start();
    let (id, proxy) = world.set_up_behind_proxy();
    let backup = world.ready_backup(id);
    let dest = world.folder("dest");
    let (sink, _) = recorder();
    let mut one_session = request(id, &backup, &dest);
    one_session.streams = Some(1);
    let terms = match world.run(world.desk.deliver(&one_session, sink.clone())) {
        Ok(Outcome::TermsRequired(terms)) => terms,
        other => panic!("terms first: {other:?}"),
    };
    // Only the provider's API said "terms first", yet the SFTP server was
    // already being reached: the connection starts with the API calls.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while proxy.connections() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        proxy.connections(),
        1,
        "the SFTP connection was made while the delivery call was in flight"
    );
    world
        .run(
            world
                .desk
                .accept_terms(id, &backup, &terms.version, Actor::Person),
        )
        .expect("accept");
    let key = match world.run(world.desk.deliver(&one_session, sink.clone())) {
        Ok(Outcome::HostKey(key)) => key,
        other => panic!("then the server's key: {other:?}"),
    };
    world
        .desk
        .trust_host_key(id, &key.fingerprint)
        .expect("trust");
    let before = proxy.connections();
    match world.run(world.desk.deliver(&one_session, sink)) {
        Ok(Outcome::Done(saved)) => assert!(std::path::Path::new(&saved.path).is_file()),
        other => panic!("the trusted server delivers: {other:?}"),
    }
    assert_eq!(
        proxy.connections() - before,
        1,
        "one session, one connection: the one opened while the API answered carried the bytes"
    );
}

/// Delivers `request` twice: accepts the terms it asks for, then trusts the
/// server key it presents.
fn accept_and_trust(
    world: &World,
    id: i64,
    backup: &str,
    request: &DeliverRequest,
    sink: backup_workflows::ProgressSink,
) {
    let terms = match world.run(world.desk.deliver(request, sink.clone())) {
        Ok(Outcome::TermsRequired(terms)) => terms,
        other => panic!("terms first: {other:?}"),
    };
    world
        .run(
            world
                .desk
                .accept_terms(id, backup, &terms.version, Actor::Person),
        )
        .expect("accept");
    let key = match world.run(world.desk.deliver(request, sink)) {
        Ok(Outcome::HostKey(key)) => key,
        other => panic!("then the server's key: {other:?}"),
    };
    world
        .desk
        .trust_host_key(id, &key.fingerprint)
        .expect("trust");
}

#[test]
fn with_a_trusted_server_key_the_login_happens_while_the_provider_answers() {
    let world = World::start();
    let api = test_support::proxy::FaultProxy::to_local_port(
        world
            .base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("API port"),
    )
    .expect("API proxy");
    let id = world.set_up_at(&format!("http://127.0.0.1:{}", api.port));
    let backup = world.ready_backup(id);
    let dest = world.folder("dest");
    let (sink, _) = recorder();
    let mut one_session = request(id, &backup, &dest);
    one_session.streams = Some(1);
    accept_and_trust(&world, id, &backup, &one_session, sink.clone());
    // The provider's API hangs from here: whatever reaches the SFTP server
    // now happens while the delivery call is in flight.
    let logins = world.sshd.logins();
    api.set_stalled(true);
    std::thread::scope(|scope| {
        let delivery = scope.spawn(|| world.run(world.desk.deliver(&one_session, sink)));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while world.sshd.logins() == logins && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let early = world.sshd.logins();
        let waiting = !delivery.is_finished();
        api.set_stalled(false);
        let outcome = delivery.join().expect("the delivery thread");
        assert_eq!(
            early,
            logins + 1,
            "logged in to the pinned server before the provider answered"
        );
        assert!(waiting, "the delivery was waiting for the provider");
        match outcome {
            Ok(Outcome::Done(saved)) => assert!(std::path::Path::new(&saved.path).is_file()),
            other => panic!("the trusted server delivers: {other:?}"),
        }
    });
    assert_eq!(
        world.sshd.logins(),
        logins + 1,
        "the early login carried the download: no second one"
    );
}

#[test]
fn a_cancel_while_the_early_connection_hangs_ends_the_delivery_at_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let world = World::start();
    let (id, proxy) = world.set_up_behind_proxy();
    let backup = world.ready_backup(id);
    let dest = world.folder("dest");
    let (sink, _) = recorder();
    accept_and_trust(&world, id, &backup, &request(id, &backup, &dest), sink);
    // The server accepts the connection and then says nothing: the early
    // handshake would wait for its operation timeout (30 s).
    proxy.set_stalled(true);
    // The API has answered and the engine is about to start: "Connecting".
    let connecting = Arc::new(AtomicBool::new(false));
    let seen = connecting.clone();
    let sink: backup_workflows::ProgressSink = Arc::new(move |phase, _| {
        if phase == Phase::Connecting {
            seen.store(true, Ordering::SeqCst);
        }
    });
    let started = std::time::Instant::now();
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !connecting.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            assert!(
                world.desk.cancel_delivery(id, &backup),
                "the delivery is running while its early connection hangs"
            );
        });
        world.run(world.desk.deliver(&request(id, &backup, &dest), sink))
    });
    let error = result.expect_err("a cancelled delivery");
    assert_eq!(error.kind(), ErrorKind::Cancelled, "{error}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "no wait for the hanging handshake: {:?}",
        started.elapsed()
    );
    assert!(crate::world::zips(&dest).is_empty(), "nothing saved");
    // Lets the abandoned handshake end before the runtime shuts down.
    proxy.set_stalled(false);
}

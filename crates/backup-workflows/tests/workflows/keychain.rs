//! A locked keychain is asked once: every later call answers "locked"
//! without prompting again, until the person chooses Try again.

use backup_workflows::ErrorKind;

use crate::world::World;

#[test]
fn a_locked_keychain_is_asked_once_until_the_person_retries() {
    let world = World::start();
    let id = world.set_up();
    world.run(world.desk.history(id)).expect("a first refresh");
    // The token is kept in memory: a lock after the first read does not
    // cost the history refresh its token.
    world.lock_keychain();
    world
        .run(world.desk.history(id))
        .expect("the refresh every 15 s needs no keychain read");
    // A connection test needs the key's unlock secret: the keychain is asked.
    let locked = key_read(&world, id);
    assert_eq!(locked, Some(ErrorKind::KeychainLocked));
    assert!(world.desk.is_keychain_locked());
    // Proof that it is not asked again: with the Secret Service gone, an
    // asked keychain would answer "unavailable"; a remembered lock answers
    // "locked" without asking.
    world.stop_keychain();
    let state = world.keychain_state();
    assert!(
        state.contains("has ended") && state.contains("received signal, terminating"),
        "the harness says how the keychain ended, with its log: {state}"
    );
    for _ in 0..3 {
        assert_eq!(
            key_read(&world, id),
            Some(ErrorKind::KeychainLocked),
            "no new prompt until Try again"
        );
    }
    world.desk.keychain_retry();
    assert_eq!(
        key_read(&world, id),
        Some(ErrorKind::KeychainUnavailable),
        "Try again asks the keychain again"
    );
}

/// What a connection test (which unlocks the account's key) fails with.
fn key_read(world: &World, id: i64) -> Option<ErrorKind> {
    world
        .run(world.desk.test_connection(id))
        .err()
        .map(|e| e.kind())
}

//! The private Secret Service stores and returns secrets, isolated per session.

use test_support::keychain::SecretService;

#[test]
fn stores_and_reads_back_a_secret_in_a_private_session() {
    let service = SecretService::start().expect("start the Secret Service");
    let attrs = [("service", "backup-desk-test"), ("account", "alice")];
    assert_eq!(
        service.lookup(&attrs).expect("lookup"),
        None,
        "a fresh keyring is empty"
    );
    service
        .store("test token", &attrs, "s3cr3t-token")
        .expect("store");
    assert_eq!(
        service.lookup(&attrs).expect("lookup").as_deref(),
        Some("s3cr3t-token")
    );
}

#[test]
fn two_sessions_do_not_share_secrets() {
    let first = SecretService::start().expect("first session");
    let second = SecretService::start().expect("second session");
    assert_ne!(
        first.bus_address, second.bus_address,
        "each session has its own bus"
    );
    let attrs = [("service", "backup-desk-test"), ("account", "bob")];
    first.store("only in first", &attrs, "one").expect("store");
    assert_eq!(
        second.lookup(&attrs).expect("lookup"),
        None,
        "sessions must be isolated"
    );
}

#[test]
fn enter_points_this_process_at_the_session_and_restores_it() {
    let service = SecretService::start().expect("start");
    let before = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok();
    {
        let _guard = service.enter();
        assert_eq!(
            std::env::var("DBUS_SESSION_BUS_ADDRESS").ok().as_deref(),
            Some(service.bus_address.as_str())
        );
        assert_eq!(
            std::env::var("HOME").ok().map(std::path::PathBuf::from),
            Some(service.home())
        );
    }
    assert_eq!(
        std::env::var("DBUS_SESSION_BUS_ADDRESS").ok(),
        before,
        "restored on drop"
    );
}

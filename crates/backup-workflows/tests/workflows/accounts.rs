//! Accounts: a keychain that refuses a write never costs an existing
//! account, a new one is taken back, and removal forgets everything.

use backup_workflows::ErrorKind;

use crate::world::World;

#[test]
fn a_failed_keychain_write_during_add_leaves_an_existing_account_untouched() {
    let world = World::start();
    let id = world.set_up();
    let before = world.desk.accounts().expect("accounts");
    let settings = world.desk.settings(id).expect("settings");
    world.stop_keychain();
    let error = world
        .run(
            world
                .desk
                .add_accounts(&world.base, &world.token, &["acme".into()], true),
        )
        .expect_err("the keychain is away");
    assert_eq!(error.kind(), ErrorKind::KeychainUnavailable, "{error}");
    assert_eq!(
        world.desk.accounts().expect("accounts"),
        before,
        "the account that existed must survive a failed re-add"
    );
    assert_eq!(
        world.desk.state().connection(id).expect("connection"),
        settings.connection,
        "with its SFTP server"
    );
}

#[test]
fn a_new_account_is_taken_back_when_the_keychain_refuses_its_token() {
    let world = World::start();
    world.stop_keychain();
    let error = world
        .run(
            world
                .desk
                .add_accounts(&world.base, &world.token, &["acme".into()], false),
        )
        .expect_err("the keychain is away");
    assert_eq!(error.kind(), ErrorKind::KeychainUnavailable, "{error}");
    assert!(
        world.desk.accounts().expect("accounts").accounts.is_empty(),
        "an account without its token would only fail later"
    );
}

#[test]
fn adding_validates_the_choice_and_removing_forgets_token_key_and_choice() {
    let world = World::start();
    let none = world
        .run(
            world
                .desk
                .add_accounts(&world.base, &world.token, &[], false),
        )
        .expect_err("nothing chosen");
    assert_eq!(none.kind(), ErrorKind::InvalidInput);
    let other = world
        .run(
            world
                .desk
                .add_accounts(&world.base, &world.token, &["globex".into()], false),
        )
        .expect_err("not opened by this token");
    assert!(other.to_string().contains("globex"), "{other}");
    let id = world.set_up();
    assert_eq!(world.desk.accounts().expect("list").chosen, Some(id));
    assert_eq!(
        world
            .desk
            .select_account(Some("acme"))
            .expect("by provider id")
            .id,
        id
    );
    assert!(world.desk.key_info(id).expect("key").is_some());
    world.run(world.desk.remove_account(id)).expect("remove");
    let list = world.desk.accounts().expect("list");
    assert!(
        list.accounts.is_empty() && list.chosen.is_none(),
        "{list:?}"
    );
    let gone = world.desk.select_account(None).expect_err("no account");
    assert_eq!(gone.kind(), ErrorKind::NoAccount);
    let again = world
        .run(
            world
                .desk
                .add_accounts(&world.base, &world.token, &["acme".into()], false),
        )
        .expect("added again");
    assert!(
        world.desk.key_info(again[0].id).expect("key").is_none(),
        "the removed account's key did not come back"
    );
}

#[test]
fn a_second_data_folder_never_touches_the_first_ones_secrets() {
    let world = World::start();
    let id = world.set_up();
    // `backup-desk --data-dir /tmp/try …` on the same keychain.
    let other_dir = tempfile::tempdir().expect("another data folder");
    let other = backup_workflows::Desk::open(
        other_dir.path(),
        std::sync::Arc::new(backup_keychain::KeyringBackend::new(
            backup_workflows::APP_ID,
        )),
        std::sync::Arc::new(backup_workflows::SystemClock),
    )
    .expect("desk");
    let added = world
        .run(other.add_accounts(&world.base, &world.token, &["acme".into()], false))
        .expect("added there too");
    assert_eq!(added[0].id, id, "the same local id in both folders");
    world
        .run(other.remove_account(added[0].id))
        .expect("removed there");
    assert!(
        world.desk.key_info(id).expect("key").is_some(),
        "the first folder's key is still there"
    );
    world
        .run(world.desk.history(id))
        .expect("and its token still opens the provider");
}

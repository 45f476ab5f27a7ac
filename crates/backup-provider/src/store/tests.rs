//! The store's schema upgrades keep what earlier providers wrote.
use super::*;

#[test]
fn a_first_schema_database_upgrades_and_its_old_archives_have_no_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("provider.sqlite3");
    {
        let conn = backup_sqlite::open(&path, &MIGRATIONS[..1]).expect("schema 1");
        conn.execute_batch(
            "INSERT INTO accounts VALUES ('acme', 'Acme', 'enterprise', 60, 60, 1, 0);
             INSERT INTO people VALUES ('olivia', 'Olivia', 'olivia@example.com');
             INSERT INTO crm_records VALUES ('acme', 'contacts', 7, 'c7,Ana,Silva');
             INSERT INTO backups (id, account_id, requested_at, requested_by, status,
                status_changed_at, ready_at, file_name, idempotency_key)
             VALUES ('bk_old', 'acme', 0, 'olivia', 'ready', 0, 0, 'old.zip', 'k1');",
        )
        .expect("data of an earlier provider");
    }
    let store = Store::open(dir.path()).expect("upgrades");
    assert_eq!(
        store.manifest("bk_old").expect("read"),
        None,
        "an archive made before manifests has none, and reading it is no error"
    );
    store
        .add_activity("acme")
        .expect("activity on upgraded data");
    let contacts = store
        .records("acme")
        .expect("records")
        .into_iter()
        .find(|(object, _)| object == "contacts")
        .expect("contacts")
        .1;
    assert_eq!(contacts[0], "c7,Ana,Silva", "earlier rows are kept");
    assert!(
        contacts[1].starts_with("c8,"),
        "new records come after the existing ones: {contacts:?}"
    );
}

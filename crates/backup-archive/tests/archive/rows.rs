//! Rows are counted the way a spreadsheet would count them, and every entry is
//! listed with what it holds.

use crate::support::*;

#[test]
fn rows_count_records_not_lines_and_not_the_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let multi_line =
        b"id,note\r\n1,\"first line\r\nsecond line\"\r\n2,\"say \"\"hi\"\"\"\r\n3,\"a,b\"\r\n";
    let path = write_zip(
        dir.path(),
        "rows.zip",
        &[
            ("contacts.csv", multi_line, Deflated),
            ("notes.csv", multi_line, Stored),
            ("tickets.csv", b"id,subject\r\n", Deflated),
            ("empty.csv", b"", Deflated),
            ("no_final_newline.csv", b"id\n1\n2", Deflated),
            ("README.txt", b"hello\n", Deflated),
        ],
    );
    let check = run(&path);
    assert!(
        check.is_intact(),
        "a well-formed archive has no problem: {check:#?}"
    );
    assert_eq!(
        entry(&check, "contacts.csv").rows,
        Some(3),
        "a quoted newline is inside one record, not a second one"
    );
    assert_eq!(
        entry(&check, "notes.csv").rows,
        Some(3),
        "stored entries count the same"
    );
    assert_eq!(
        entry(&check, "tickets.csv").rows,
        Some(0),
        "a header alone is no record"
    );
    assert_eq!(
        entry(&check, "empty.csv").rows,
        Some(0),
        "an empty file has no record"
    );
    assert_eq!(
        entry(&check, "no_final_newline.csv").rows,
        Some(2),
        "the last record counts without a line end"
    );
    let readme = entry(&check, "README.txt");
    assert_eq!(
        (
            readme.rows,
            readme.object.as_deref(),
            readme.bytes,
            readme.crc_ok
        ),
        (None, None, 6, true),
        "a non-CSV entry is read to its end but is no object"
    );
    let contacts = entry(&check, "contacts.csv");
    assert_eq!(contacts.object.as_deref(), Some("contacts"));
    assert_eq!(
        contacts.bytes,
        multi_line.len() as u64,
        "bytes are the uncompressed size"
    );
    assert_eq!(
        check
            .entries
            .iter()
            .map(|e| e.entry.as_str())
            .collect::<Vec<_>>(),
        [
            "contacts.csv",
            "notes.csv",
            "tickets.csv",
            "empty.csv",
            "no_final_newline.csv",
            "README.txt"
        ],
        "entries are listed in the archive's order"
    );
}

#[test]
fn a_large_csv_is_counted_exactly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = contacts_csv(30_000);
    let path = write_zip(dir.path(), "big.zip", &[("contacts.csv", &csv, Deflated)]);
    let contacts = entry(&run(&path), "contacts.csv").clone();
    assert_eq!(
        (contacts.rows, contacts.bytes),
        (Some(30_000), csv.len() as u64),
        "every record across many buffer refills is counted once"
    );
}

#[test]
fn unsafe_names_are_read_but_name_no_object() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = contacts_csv(2);
    let path = write_zip(
        dir.path(),
        "names.zip",
        &[
            ("../x.csv", &csv, Deflated),
            ("a/b.csv", &csv, Deflated),
            (".hidden.csv", &csv, Stored),
            ("deals.csv", &csv, Deflated),
        ],
    );
    let check = run(&path);
    assert!(check.is_intact(), "odd names are not damage: {check:#?}");
    for name in ["../x.csv", "a/b.csv", ".hidden.csv"] {
        let e = entry(&check, name);
        assert_eq!(e.object, None, "{name} must not become an object name");
        assert!(
            e.crc_ok && e.rows == Some(2),
            "{name} is still read and counted, so damage in it is found: {e:?}"
        );
    }
    assert_eq!(entry(&check, "deals.csv").object.as_deref(), Some("deals"));
    assert!(
        !dir.path().join("x.csv").exists() && !dir.path().join("a").exists(),
        "checking never writes an entry anywhere"
    );
}

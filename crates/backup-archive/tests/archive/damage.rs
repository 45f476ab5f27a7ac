//! A damaged archive is an answer with a problem, never a panic or an error;
//! the entries around the damage are still checked.

use std::fs;
use std::io::Read;

use backup_archive::{ArchiveError, Limits, check};

use crate::support::*;

#[test]
fn the_zip_crate_compares_the_crc_when_an_entry_reaches_its_end() {
    // The check relies on this: reading an entry to its end is what checks it.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_zip(dir.path(), "crc.zip", &[("a.csv", b"id\r\n1\r\n", Stored)]);
    let (start, _) = data_of(&path, "a.csv");
    flip_byte(&path, start + 4);
    let mut archive = zip::ZipArchive::new(fs::File::open(&path).expect("open")).expect("zip");
    let mut entry = archive.by_name("a.csv").expect("entry");
    let mut data = [0u8; 7];
    entry
        .read_exact(&mut data)
        .expect("the corrupt bytes themselves are handed out");
    let end = entry.read(&mut [0u8; 16]);
    let error = end.expect_err("the read that meets the end must fail on a CRC mismatch");
    assert_eq!(
        error.to_string(),
        "Invalid checksum",
        "the check words this message for admins; a new zip version may change it"
    );
}

#[test]
fn a_flipped_byte_in_compressed_data_marks_that_entry_and_no_other() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b, c) = (contacts_csv(500), contacts_csv(2_000), contacts_csv(300));
    let path = write_zip(
        dir.path(),
        "flip.zip",
        &[
            ("a.csv", &a, Deflated),
            ("b.csv", &b, Deflated),
            ("c.csv", &c, Deflated),
        ],
    );
    let (start, length) = data_of(&path, "b.csv");
    flip_byte(&path, start + length / 2);
    let check = run(&path);
    let problem = check.problem.as_deref().expect("damage must be reported");
    assert!(
        problem.contains("b.csv"),
        "the problem names the damaged entry: {problem}"
    );
    assert!(
        !entry(&check, "b.csv").crc_ok,
        "the damaged entry is not ok"
    );
    assert_eq!(
        entry(&check, "b.csv").rows,
        None,
        "a partial count is no count"
    );
    for (name, rows) in [("a.csv", 500), ("c.csv", 300)] {
        let e = entry(&check, name);
        assert!(
            e.crc_ok && e.rows == Some(rows),
            "{name}, before or after the damage, is still checked: {e:?}"
        );
    }
}

#[test]
fn a_corrupt_byte_in_a_stored_entry_is_a_checksum_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = contacts_csv(50);
    let path = write_zip(dir.path(), "stored.zip", &[("contacts.csv", &csv, Stored)]);
    let (start, _) = data_of(&path, "contacts.csv");
    flip_byte(&path, start + 100);
    let check = run(&path);
    let problem = check
        .problem
        .as_deref()
        .expect("a stored entry has no decoder to fail: only the CRC catches it");
    assert!(
        problem.contains("checksum"),
        "the admin is told why: {problem}"
    );
    let e = entry(&check, "contacts.csv");
    assert!(!e.crc_ok, "the corrupt entry is not ok: {e:?}");
    assert_eq!(e.bytes, csv.len() as u64, "it was read to its end");
}

#[test]
fn a_truncated_archive_is_a_problem_wherever_it_is_cut() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = contacts_csv(1_000);
    let path = write_zip(
        dir.path(),
        "whole.zip",
        &[("a.csv", &csv, Deflated), ("b.csv", &csv, Stored)],
    );
    let whole = fs::read(&path).expect("read");
    for keep in [0, 1, 30, whole.len() / 2, whole.len() - 23, whole.len() - 1] {
        let cut = dir.path().join(format!("cut-{keep}.zip"));
        fs::write(&cut, &whole[..keep]).expect("write");
        let check = run(&cut);
        assert!(
            !check.is_intact(),
            "an archive cut at {keep} of {} bytes must not pass: {check:#?}",
            whole.len()
        );
    }
}

#[test]
fn a_file_that_is_not_a_zip_is_a_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("contacts.zip");
    fs::write(&path, contacts_csv(10)).expect("write");
    let problem = run(&path)
        .problem
        .expect("a CSV named .zip is not an archive");
    assert!(
        problem.contains("not a readable zip"),
        "says what is wrong: {problem}"
    );
}

#[test]
fn only_a_missing_local_file_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let outcome = check(
        &dir.path().join("gone.zip"),
        &Limits::default(),
        &mut |_, _| {},
        &|| false,
    );
    assert!(
        matches!(outcome, Err(ArchiveError::Open { .. })),
        "a file that cannot be opened says nothing about the archive: {outcome:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_local_read_failure_is_an_error_not_a_verdict_on_the_archive() {
    // A directory opens on Unix but every read of it fails.
    let dir = tempfile::tempdir().expect("temp dir");
    let outcome = check(dir.path(), &Limits::default(), &mut |_, _| {}, &|| false);
    assert!(
        matches!(outcome, Err(ArchiveError::Read { .. })),
        "the disk failing says nothing about the archive: {outcome:?}"
    );
}

//! Archives that ask too much are stopped and reported, not read to the end.

use std::fs::File;
use std::io::Write;

use backup_archive::Limits;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::support::*;

#[test]
fn more_entries_than_allowed_is_a_problem_before_any_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = contacts_csv(1);
    let names: Vec<String> = (0..5).map(|i| format!("o{i}.csv")).collect();
    let entries: Vec<_> = names
        .iter()
        .map(|n| (n.as_str(), csv.as_slice(), Deflated))
        .collect();
    let path = write_zip(dir.path(), "many.zip", &entries);
    let at_limit = Limits {
        max_entries: 5,
        ..Limits::default()
    };
    assert!(
        run_with(&path, &at_limit).is_intact(),
        "exactly the limit is allowed"
    );
    let check = run_with(
        &path,
        &Limits {
            max_entries: 4,
            ..Limits::default()
        },
    );
    let problem = check
        .problem
        .as_deref()
        .expect("one more than the limit is a problem");
    assert!(
        problem.contains("5 entries") && problem.contains("4 allowed"),
        "{problem}"
    );
    assert!(
        check.entries.is_empty(),
        "nothing is read from a suspicious archive"
    );
}

#[test]
fn an_archive_that_expands_too_much_is_a_possible_zip_bomb() {
    // 1 MiB of zeros, and 70 more central-directory entries pointing at the
    // same compressed bytes (the "overlapping entries" zip bomb).
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bomb.zip");
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .expect("create");
    let mut zip = ZipWriter::new(file);
    let options = SimpleFileOptions::default().compression_method(Deflated);
    zip.start_file("zeros.bin", options).expect("start");
    zip.write_all(&[0u8; 1 << 20]).expect("write");
    for i in 0..70 {
        zip.shallow_copy_file("zeros.bin", &format!("copy-{i}.bin"))
            .expect("copy");
    }
    zip.finish().expect("finish");
    let size = std::fs::metadata(&path).expect("size").len();
    assert!(size < 64 << 10, "the bomb is small: {size} bytes");

    let strict = Limits {
        max_ratio: 1,
        ..Limits::default()
    };
    let check = run_with(&path, &strict);
    let problem = check
        .problem
        .as_deref()
        .expect("71 MiB from a few KiB is more than size × 1 + 64 MiB");
    assert!(
        problem.contains("zip bomb"),
        "the admin is told why: {problem}"
    );
    assert!(check.entries.is_empty(), "nothing of it is inflated");

    let csv = contacts_csv(10_000);
    let plain = write_zip(dir.path(), "plain.zip", &[("contacts.csv", &csv, Deflated)]);
    assert!(
        run_with(&plain, &strict).is_intact(),
        "the same limit lets a backup of text through: it is about expansion, not size"
    );
}

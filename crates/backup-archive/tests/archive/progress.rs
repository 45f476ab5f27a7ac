//! Progress reaches the end, and cancellation stops the check early.

use std::cell::Cell;

use backup_archive::{ArchiveError, Limits, check};

use crate::support::*;

/// An archive of about 6 MiB, mostly stored so that writing it is fast.
fn big_archive(dir: &std::path::Path) -> std::path::PathBuf {
    let csv = [&b"id,name\r\n"[..], &b"1,Ada Lovelace\r\n".repeat(200_000)].concat();
    let small = contacts_csv(1_000);
    write_zip(
        dir,
        "big.zip",
        &[
            ("a.csv", &csv, Stored),
            ("b.csv", &small, Deflated),
            ("c.bin", &csv, Stored),
        ],
    )
}

#[test]
fn progress_rises_to_the_archive_size() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = big_archive(dir.path());
    let size = std::fs::metadata(&path).expect("size").len();
    let mut seen = Vec::new();
    let outcome = check(
        &path,
        &Limits::default(),
        &mut |done, total| seen.push((done, total)),
        &|| false,
    )
    .expect("an answer");
    assert!(outcome.is_intact(), "{outcome:?}");
    assert_eq!(
        seen.last(),
        Some(&(size, size)),
        "the last report is the whole file"
    );
    assert!(
        seen.len() >= 4,
        "a {size}-byte archive reports along the way: {seen:?}"
    );
    assert!(
        seen.windows(2).all(|w| w[0].0 <= w[1].0) && seen.iter().all(|&(d, t)| d <= t && t == size),
        "progress never goes back nor past the size: {seen:?}"
    );
}

#[test]
fn cancelling_stops_the_check_with_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = big_archive(dir.path());
    let size = std::fs::metadata(&path).expect("size").len();
    let outcome = check(&path, &Limits::default(), &mut |_, _| {}, &|| true);
    assert!(
        matches!(outcome, Err(ArchiveError::Cancelled)),
        "cancelled before it starts: {outcome:?}"
    );

    let reports = Cell::new(0u32);
    let mut furthest = 0;
    let outcome = check(
        &path,
        &Limits::default(),
        &mut |done, _| {
            reports.set(reports.get() + 1);
            furthest = done;
        },
        &|| reports.get() > 0,
    );
    assert!(
        matches!(outcome, Err(ArchiveError::Cancelled)),
        "cancelled in the middle, the check gives no verdict: {outcome:?}"
    );
    assert!(
        furthest < size,
        "the check stopped before the end ({furthest} of {size})"
    );
}

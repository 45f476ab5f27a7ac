//! Archives read back with the zip crate and a real CSV parser, as the app
//! reads them: the manifest must say what a client will count.
use super::*;
use crate::store::{Account, Store};
use backup_domain::BackupPolicy;

/// One entry as a client reads it: its name, then its CSV records (header
/// excluded) and decompressed size, or why it could not be read
/// (`decompress: …` or `parse: …`).
#[derive(Debug)]
pub(crate) struct ReadBack {
    pub name: String,
    pub read: Result<(u64, u64), String>,
}

/// Opens the zip at `path` and reads every entry fully (CRC checked),
/// counting CSV records with the `csv` crate (a quoted line break stays in
/// its record; every record must have the header's number of fields).
pub(crate) fn read_back(path: &Path) -> Vec<ReadBack> {
    let file = File::open(path).expect("open the archive");
    let mut zip = zip::ZipArchive::new(file).expect("the zip's directory is readable");
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).expect("entry header");
            let name = entry.name().expect("a UTF-8 entry name").into_owned();
            let mut bytes = Vec::new();
            let read = entry
                .read_to_end(&mut bytes)
                .map_err(|e| format!("decompress: {e}"))
                .and_then(|_| {
                    let rows = csv::Reader::from_reader(bytes.as_slice())
                        .records()
                        .try_fold(0u64, |n, record| record.map(|_| n + 1))
                        .map_err(|e| format!("parse: {e}"))?;
                    Ok((rows, bytes.len() as u64))
                });
            ReadBack { name, read }
        })
        .collect()
}

/// What the manifest says, in the same shape as [`read_back`].
fn expected(archive: &Archive) -> Vec<(String, u64, u64)> {
    archive
        .manifest
        .iter()
        .map(|e| (e.name.clone(), e.rows, e.uncompressed_bytes))
        .collect()
}

fn readable(entries: &[ReadBack]) -> Vec<(String, u64, u64)> {
    entries
        .iter()
        .map(|e| {
            let (rows, bytes) = e.read.clone().expect("every entry reads");
            (e.name.clone(), rows, bytes)
        })
        .collect()
}

/// The sample records of a freshly created account.
fn sample_records() -> Vec<(String, Vec<String>)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let account = Account {
        id: "acme".into(),
        name: "Acme".into(),
        policy: BackupPolicy::reference_default(),
    };
    store
        .create_account(&account, DateTime::UNIX_EPOCH)
        .expect("account");
    store.records("acme").expect("records")
}

#[test]
fn the_manifest_says_what_a_client_counts_in_the_archive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = generate(dir.path(), "a.zip", &sample_records(), None).expect("generate");
    let entries = read_back(&dir.path().join("a.zip"));
    assert_eq!(
        readable(&entries),
        expected(&archive),
        "names, records and sizes a client reads are the ones the provider recorded"
    );
    assert!(
        archive
            .manifest
            .iter()
            .all(|e| e.name == format!("{}.csv", e.object)),
        "{:?}",
        archive.manifest
    );
    assert!(
        !archive.manifest.iter().any(|e| e.object == "calls"),
        "an object without records has no entry"
    );
}

#[test]
fn a_quoted_line_break_is_one_record_not_two() {
    let records = sample_records();
    let tickets = &records
        .iter()
        .find(|(object, _)| object == "tickets")
        .expect("the sample has tickets")
        .1;
    assert!(
        tickets
            .iter()
            .any(|row| row.contains("\"Export") && row.contains('\n')),
        "some ticket subjects are quoted and span two lines"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = generate(dir.path(), "a.zip", &records, None).expect("generate");
    let in_manifest = archive
        .manifest
        .iter()
        .find(|e| e.object == "tickets")
        .expect("tickets.csv");
    assert_eq!(
        in_manifest.rows,
        tickets.len() as u64,
        "one record per ticket"
    );
    let mut text = String::new();
    zip::ZipArchive::new(File::open(dir.path().join("a.zip")).expect("open"))
        .expect("zip")
        .by_name("tickets.csv")
        .expect("entry")
        .read_to_string(&mut text)
        .expect("read");
    assert!(
        text.lines().count() as u64 - 1 > in_manifest.rows,
        "counting lines would overcount the records"
    );
}

#[test]
fn padding_rows_are_records_of_the_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let records = sample_records();
    let archive = generate(dir.path(), "a.zip", &records, Some(200_000)).expect("generate");
    let contacts = archive
        .manifest
        .iter()
        .find(|e| e.object == "contacts")
        .expect("contacts.csv");
    let seeded = records
        .iter()
        .find(|(object, _)| object == "contacts")
        .map_or(0, |(_, rows)| rows.len() as u64);
    assert!(contacts.rows > seeded, "padding added rows");
    assert_eq!(
        readable(&read_back(&dir.path().join("a.zip"))),
        expected(&archive)
    );
}

#[test]
fn a_damaged_archive_breaks_its_first_entry_and_publishes_the_broken_files_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let records = sample_records();
    let intact = generate(dir.path(), "intact.zip", &records, None).expect("generate");
    let damaged = generate_with(
        dir.path(),
        "damaged.zip",
        &records,
        ArchiveOptions {
            pad_to: None,
            damaged: true,
        },
    )
    .expect("generate");
    let path = dir.path().join("damaged.zip");
    let (size, sha256) = hash_file(&path).expect("hash");
    assert_eq!(
        (size, &sha256),
        (damaged.size_bytes, &damaged.sha256),
        "the published hash is the broken file's: a download verifies, the content does not"
    );
    assert_ne!(damaged.sha256, intact.sha256, "one byte differs");
    assert_eq!(
        damaged.manifest, intact.manifest,
        "the manifest is what was meant"
    );
    let entries = read_back(&path);
    let (first, rest) = entries.split_first().expect("entries");
    assert_eq!(first.name, damaged.manifest[0].name);
    assert!(
        first
            .read
            .as_ref()
            .is_err_and(|e| e.starts_with("decompress")),
        "the first entry fails its CRC or its deflate stream: {first:?}"
    );
    assert_eq!(
        readable(rest),
        expected(&damaged)[1..],
        "the other entries are intact"
    );
}

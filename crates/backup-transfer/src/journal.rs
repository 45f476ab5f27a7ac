//! The sidecar journal of a partial download: which backup and which remote
//! file (path, published size and SHA-256) it is, and which byte ranges
//! are already on disk. It is what makes a download resumable after a cut, a
//! server restart or the app being killed; it is replaced atomically so it is
//! never torn. A journal is believed only if it is consistent: a damaged one
//! means starting over, never resuming from the wrong bytes.
//!
//! Ranges are vouched for in two ways. `done`: synced to the disk before the
//! journal was saved (survives a power cut). `unsynced`: written to the
//! partial file but not synced yet, with the boot of the system that wrote
//! them: a killed process leaves them in the system's cache, so they are
//! believed while the system has not restarted since (Linux's boot id), and
//! a journal that says them costs no sync to save, so it can follow the
//! download closely (see the engine's checkpoints).
//!
//! Between saves of the journal, the unsynced ranges are also kept in a
//! record beside it ([`WrittenLog`], `<journal>.written`), rewritten in
//! place by a single write of at most a page: a few microseconds, against
//! hundreds for a file written and renamed, so the sessions keep it up to
//! date themselves. A process killed during that write has written all of
//! it or none (the kernel copies a page whole, checking for a fatal signal
//! only between pages); after a power cut it is not believed anyway (another
//! boot). It counts only beside a journal that names it: each fresh start
//! of a download draws a new key, kept by its journal across resumes and
//! written in its record, so a record left by another run (or beside a
//! journal written by a version that knew no records) is not believed.
//! A check of its ranges rejects one read while it was being rewritten.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Sorted, non-overlapping, non-adjacent half-open byte ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeSet(Vec<(u64, u64)>);

impl RangeSet {
    /// Adds `[start, end)`, merging with neighbours.
    pub fn insert(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let (mut start, mut end) = (start, end);
        let mut kept = Vec::with_capacity(self.0.len() + 1);
        for &(s, e) in &self.0 {
            if e < start || s > end {
                kept.push((s, e));
            } else {
                start = start.min(s);
                end = end.max(e);
            }
        }
        kept.push((start, end));
        kept.sort_unstable();
        self.0 = kept;
    }

    /// Total bytes covered.
    pub fn covered(&self) -> u64 {
        self.0.iter().map(|(s, e)| e - s).sum()
    }

    /// End of the contiguous range starting at 0.
    pub fn prefix(&self) -> u64 {
        match self.0.first() {
            Some(&(0, end)) => end,
            _ => 0,
        }
    }

    /// The gaps of `[0, size)` not covered yet.
    pub fn missing(&self, size: u64) -> Vec<(u64, u64)> {
        let mut gaps = Vec::new();
        let mut at = 0;
        for &(s, e) in &self.0 {
            if s > at {
                gaps.push((at, s.min(size)));
            }
            at = at.max(e);
        }
        if at < size {
            gaps.push((at, size));
        }
        gaps.retain(|(s, e)| s < e);
        gaps
    }

    /// Whether the ranges are what [`RangeSet::insert`] builds (sorted, each
    /// non-empty, apart from the next) and all end within `size`. Anything
    /// else came from a damaged or forged file.
    pub fn is_well_formed(&self, size: u64) -> bool {
        let mut previous_end = None;
        self.0.iter().all(|&(start, end)| {
            let apart = previous_end.is_none_or(|previous| previous < start);
            previous_end = Some(end);
            apart && start < end && end <= size
        })
    }
}

/// Whether `hex` is a SHA-256 written as 64 hex digits: the only checksum a
/// download can be verified against.
pub fn is_sha256_hex(hex: &str) -> bool {
    hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `bytes` in lowercase hex digits (as checksums are written).
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The persisted state of one partial download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// The backup being downloaded (the partial file is named after it).
    pub backup_id: String,
    pub remote_path: String,
    /// The published size. A replaced file shows in the published SHA-256
    /// (journals of older versions also hold an `mtime`, now ignored).
    pub size: u64,
    pub expected_sha256: String,
    /// Ranges synced to the disk before this journal was saved.
    pub done: RangeSet,
    /// Ranges written but maybe not synced yet (a superset of `done`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsynced: Option<Unsynced>,
    /// The key of the record of written ranges that goes with this
    /// journal ([`WrittenLog`]): drawn when the download starts fresh, or
    /// resumes from a journal without one ([`new_written_key`]); a record
    /// with another key is not believed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_key: Option<String>,
}

/// A key for the record of written ranges of a download starting fresh:
/// 64 random bits (the system's random source, as the project's other
/// keys), the process and a count (unique on this machine even without
/// randomness).
pub fn new_written_key() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    format!("{}-{:x}-{count:x}", to_hex(&random), std::process::id())
}

/// Ranges written to the partial file, not all synced, by a system that was
/// up since `boot`: in its cache or on its disk while it stays up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsynced {
    /// The boot id of the system that wrote them ([`current_boot`]).
    pub boot: String,
    pub written: RangeSet,
}

/// The running system's boot id, when it has one (Linux). Bytes written but
/// not synced are lost only with a restart, which changes it; where there is
/// none, every journal is saved synced.
pub fn current_boot() -> Option<&'static str> {
    static BOOT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    BOOT.get_or_init(|| {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let id = fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        let id = id.trim();
        (id.len() >= 16 && id.len() <= 64).then(|| id.to_owned())
    })
    .as_deref()
}

impl Journal {
    /// Loads a journal; `None` when it is missing, unreadable or not
    /// consistent (see [`Journal::is_consistent`]): then start over. Its
    /// `done` is then what can be believed: the synced ranges, and the
    /// unsynced ones too when they were written since this system's boot.
    pub fn load(path: &Path) -> Option<Journal> {
        Self::load_at_boot(path, current_boot())
    }

    /// [`Journal::load`] on a system whose boot id is `boot`.
    pub fn load_at_boot(path: &Path, boot: Option<&str>) -> Option<Journal> {
        let mut journal: Journal = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
        if !journal.is_consistent() {
            return None;
        }
        let mut believed = Vec::new();
        if let Some(unsynced) = journal.unsynced.take()
            && boot == Some(unsynced.boot.as_str())
        {
            believed.push(unsynced.written);
        }
        if let Some(boot) = boot
            && let Some(key) = journal.written_key.as_deref()
            && let Some(record) = WrittenRecord::read(&Self::written_path(path))
            && record.key == key
            && record.boot == boot
            && record.size == journal.size
            && record.written.is_well_formed(journal.size)
        {
            believed.push(record.written);
        }
        for written in believed {
            for &(start, end) in &written.0 {
                journal.done.insert(start, end);
            }
        }
        Some(journal)
    }

    /// Whether the journal can be believed: well-formed ranges within the
    /// size, and a checksum that is 64 hex digits.
    pub fn is_consistent(&self) -> bool {
        is_sha256_hex(&self.expected_sha256)
            && self.done.is_well_formed(self.size)
            && self
                .unsynced
                .as_ref()
                .is_none_or(|u| u.written.is_well_formed(self.size))
    }

    /// Writes the journal atomically (temp file + rename), synced: for a
    /// journal whose `done` ranges were synced before.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        self.write(path, true)
    }

    /// Writes the journal atomically without syncing it: for a journal that
    /// also says [`Unsynced`] ranges, which a restart takes with it anyway.
    pub fn save_unsynced(&self, path: &Path) -> std::io::Result<()> {
        self.write(path, false)
    }

    fn write(&self, path: &Path, sync: bool) -> std::io::Result<()> {
        // Each kind has its temp file: the engine saves them from two
        // threads (a rename of either leaves a journal that is true).
        let [unsynced_tmp, synced_tmp] = Self::temp_paths(path);
        let tmp = if sync { synced_tmp } else { unsynced_tmp };
        {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(&serde_json::to_vec(self).map_err(std::io::Error::other)?)?;
            if sync {
                file.sync_data()?;
            }
        }
        fs::rename(&tmp, path)
    }

    /// Where [`Journal::save_unsynced`] and [`Journal::save`] write before
    /// the rename.
    pub fn temp_paths(path: &Path) -> [PathBuf; 2] {
        [".tmp", ".synced.tmp"].map(|suffix| Self::beside(path, suffix))
    }

    /// The record of written ranges kept beside the journal at `path` (see
    /// [`WrittenLog`]).
    pub fn written_path(path: &Path) -> PathBuf {
        Self::beside(path, ".written")
    }

    /// The journal's path at `path` with `suffix` appended.
    fn beside(path: &Path, suffix: &str) -> PathBuf {
        let mut beside = path.as_os_str().to_owned();
        beside.push(suffix);
        PathBuf::from(beside)
    }

    /// Every file a journal at `path` may have beside it: its temp files
    /// and its record of written ranges. They go with it.
    pub fn companion_paths(path: &Path) -> [PathBuf; 3] {
        let [unsynced_tmp, synced_tmp] = Self::temp_paths(path);
        [unsynced_tmp, synced_tmp, Self::written_path(path)]
    }

    /// Whether both journals describe the same download: the same backup and
    /// the same remote file (the ranges done may differ).
    pub fn same_download(&self, other: &Journal) -> bool {
        self.backup_id == other.backup_id
            && self.remote_path == other.remote_path
            && self.size == other.size
            && self
                .expected_sha256
                .eq_ignore_ascii_case(&other.expected_sha256)
    }
}

/// The most a record of written ranges may take: one page, which one write
/// replaces whole.
const WRITTEN_RECORD_MAX: usize = 4096;

/// What [`WrittenLog`] keeps: the ranges written on boot `boot` to the
/// partial file of the download whose journal has this key and size.
#[derive(Debug, Serialize, Deserialize)]
struct WrittenRecord {
    key: String,
    size: u64,
    boot: String,
    written: RangeSet,
    /// [`WrittenRecord::check_of`] the ranges: a record read while it was
    /// being rewritten (half old, half new) does not match it.
    check: String,
}

impl WrittenRecord {
    /// The record at `path`; `None` when missing, larger than a record can
    /// be, or unreadable.
    fn read(path: &Path) -> Option<WrittenRecord> {
        let mut bytes = Vec::new();
        File::open(path)
            .ok()?
            .take(WRITTEN_RECORD_MAX as u64 + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        if bytes.len() > WRITTEN_RECORD_MAX {
            return None;
        }
        let record: WrittenRecord = serde_json::from_slice(&bytes).ok()?;
        (record.check == Self::check_of(&record.written)).then_some(record)
    }

    /// The first 64 bits of the SHA-256 of the ranges as JSON, in hex.
    fn check_of(written: &RangeSet) -> String {
        use sha2::Digest;
        let json = serde_json::to_vec(written).unwrap_or_default();
        to_hex(&sha2::Sha256::digest(&json)[..8])
    }
}

/// The record of the ranges written to a partial file on this boot, beside
/// its journal (see the module's header), held open by the download that
/// writes it.
#[derive(Debug)]
pub struct WrittenLog {
    #[cfg_attr(
        not(unix),
        expect(
            dead_code,
            reason = "unsynced saves are made where there is a boot id (Linux)"
        )
    )]
    file: File,
    /// The record's length on disk: a shorter one is padded with spaces up
    /// to it, so that one write replaces it whole.
    len: usize,
}

impl WrittenLog {
    /// Opens (creating it, user-only) the record beside the journal at
    /// `journal`. Only the holder of the partial file's lock may.
    pub fn open(journal: &Path) -> std::io::Result<WrittenLog> {
        let mut options = backup_owner_only::read_write_options();
        options.create(true);
        let file = options.open(Journal::written_path(journal))?;
        let mut len = usize::try_from(file.metadata()?.len()).unwrap_or(usize::MAX);
        if len > WRITTEN_RECORD_MAX {
            // Not one of ours: emptied, so the next write replaces all of it.
            file.set_len(0)?;
            len = 0;
        }
        Ok(WrittenLog { file, len })
    }

    /// Records that `written` is written, on boot `boot`, for the download
    /// `journal` describes (its key and size; its ranges are not used).
    /// `Ok(false)`: nothing was written, and the caller saves the journal
    /// instead: the journal has no key, the record would not fit in a page
    /// (ranges by the hundred), or the system is not Unix (where no
    /// unsynced saves are made: no boot id).
    pub fn save(
        &mut self,
        journal: &Journal,
        boot: &str,
        written: &RangeSet,
    ) -> std::io::Result<bool> {
        if !cfg!(unix) {
            return Ok(false);
        }
        let Some(key) = journal.written_key.clone() else {
            return Ok(false);
        };
        let record = WrittenRecord {
            key,
            size: journal.size,
            boot: boot.to_owned(),
            check: WrittenRecord::check_of(written),
            written: written.clone(),
        };
        let mut bytes = serde_json::to_vec(&record).map_err(std::io::Error::other)?;
        if bytes.len() > WRITTEN_RECORD_MAX {
            return Ok(false);
        }
        if bytes.len() < self.len {
            bytes.resize(self.len, b' ');
        }
        self.write_whole(&bytes)?;
        self.len = bytes.len();
        Ok(true)
    }

    /// One write at the start of the file: all of `bytes` or an error.
    #[cfg(unix)]
    fn write_whole(&self, bytes: &[u8]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        match self.file.write_at(bytes, 0)? {
            n if n == bytes.len() => Ok(()),
            n => Err(std::io::Error::other(format!(
                "the record of written ranges took {n} of {} bytes",
                bytes.len()
            ))),
        }
    }

    #[cfg(not(unix))]
    fn write_whole(&self, _bytes: &[u8]) -> std::io::Result<()> {
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "ab34567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef";

    fn journal(done: &[(u64, u64)]) -> Journal {
        Journal {
            backup_id: "bk-1".into(),
            remote_path: "b.zip".into(),
            size: 8192,
            expected_sha256: SHA.into(),
            done: RangeSet(done.to_vec()),
            unsynced: None,
            written_key: None,
        }
    }

    #[test]
    fn unsynced_ranges_are_believed_only_on_the_boot_that_wrote_them() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(".bk-1.journal");
        let mut saved = journal(&[(0, 1000)]);
        saved.unsynced = Some(Unsynced {
            boot: "boot-a-0123456789".into(),
            written: RangeSet(vec![(0, 3000), (5000, 6000)]),
        });
        saved.save_unsynced(&path).expect("save");
        let same = Journal::load_at_boot(&path, Some("boot-a-0123456789")).expect("load");
        assert_eq!(same.done, RangeSet(vec![(0, 3000), (5000, 6000)]));
        assert_eq!(same.unsynced, None, "what is believed is in done");
        let restarted = Journal::load_at_boot(&path, Some("boot-b-0123456789")).expect("load");
        assert_eq!(
            restarted.done,
            RangeSet(vec![(0, 1000)]),
            "after a restart only the synced ranges are believed"
        );
        let unknown = Journal::load_at_boot(&path, None).expect("load");
        assert_eq!(unknown.done, RangeSet(vec![(0, 1000)]));
        saved.unsynced = Some(Unsynced {
            boot: "boot-a-0123456789".into(),
            written: RangeSet(vec![(0, 9000)]),
        });
        fs::write(&path, serde_json::to_vec(&saved).expect("json")).expect("write");
        assert_eq!(
            Journal::load_at_boot(&path, Some("boot-a-0123456789")),
            None,
            "unsynced ranges past the size make the journal damaged"
        );
    }

    /// The record beside the journal: believed on the boot that wrote it,
    /// beside the journal that has its key only; a shorter record replaces
    /// a longer one whole, also from a new handle (a resume); a damaged,
    /// oversized or half-rewritten one is left out.
    #[cfg(unix)]
    #[test]
    fn the_record_of_written_ranges_is_believed_beside_its_journal_on_its_boot() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(".bk-1.journal");
        let written = Journal::written_path(&path);
        let boot = "boot-a-0123456789";
        let ranges = |r: &[(u64, u64)]| RangeSet(r.to_vec());
        let mut saved = journal(&[(0, 1000)]);
        saved.written_key = Some("run-1".into());
        let mut log = WrittenLog::open(&path).expect("open");
        let long = ranges(&[(0, 100), (2000, 2100), (2200, 2300), (2400, 3000)]);
        assert!(log.save(&saved, boot, &long).expect("save"));
        assert_eq!(
            Journal::load_at_boot(&path, Some(boot)),
            None,
            "no journal: nothing"
        );
        saved.save(&path).expect("journal");
        let load = |boot| Journal::load_at_boot(&path, boot).expect("load").done;
        assert_eq!(
            load(Some(boot)),
            ranges(&[(0, 1000), (2000, 2100), (2200, 2300), (2400, 3000)])
        );

        // A resume opens the record again and writes a shorter one.
        let mut log = WrittenLog::open(&path).expect("reopen");
        assert!(log.save(&saved, boot, &ranges(&[(0, 3000)])).expect("save"));
        assert_eq!(
            load(Some(boot)),
            ranges(&[(0, 3000)]),
            "the shorter record, whole"
        );
        assert_eq!(
            load(Some("boot-b-0123456789")),
            ranges(&[(0, 1000)]),
            "after a restart"
        );
        assert_eq!(load(None), ranges(&[(0, 1000)]));
        let good_record = fs::read(&written).expect("read");

        // With the journal's own unsynced ranges, both count.
        let mut with_unsynced = saved.clone();
        with_unsynced.unsynced = Some(Unsynced {
            boot: boot.into(),
            written: ranges(&[(5000, 6000)]),
        });
        with_unsynced.save_unsynced(&path).expect("journal");
        assert_eq!(load(Some(boot)), ranges(&[(0, 3000), (5000, 6000)]));

        // A journal without the key (an earlier version's fresh start) or
        // with another one (another run's) does not believe it.
        for key in [None, Some("run-2".to_owned())] {
            let mut other = saved.clone();
            other.written_key = key.clone();
            other.save(&path).expect("journal");
            assert_eq!(load(Some(boot)), ranges(&[(0, 1000)]), "key {key:?}");
        }
        saved.save(&path).expect("journal");
        assert_eq!(load(Some(boot)), ranges(&[(0, 3000)]));

        let mut smaller = saved.clone();
        smaller.size = 4096;
        assert!(
            log.save(&smaller, boot, &ranges(&[(0, 4000)]))
                .expect("save")
        );
        assert_eq!(
            load(Some(boot)),
            ranges(&[(0, 1000)]),
            "a record of another size"
        );
        assert!(log.save(&saved, boot, &ranges(&[(0, 9000)])).expect("save"));
        assert_eq!(
            load(Some(boot)),
            ranges(&[(0, 1000)]),
            "past the size: damaged"
        );

        let text = String::from_utf8(good_record.clone()).expect("utf-8");
        assert!(text.contains("3000"), "{text}");
        let mut padded = good_record.clone();
        padded.resize(WRITTEN_RECORD_MAX + 1, b' ');
        for (why, bytes) in [
            ("cut short", b"{\"key\":".to_vec()),
            ("empty", Vec::new()),
            (
                "half rewritten: ranges that do not match their check",
                text.replace("3000", "7000").into_bytes(),
            ),
            ("larger than a page", padded),
        ] {
            fs::write(&written, &bytes).expect("write");
            assert_eq!(load(Some(boot)), ranges(&[(0, 1000)]), "{why}");
        }
        fs::write(&written, &good_record).expect("write");
        assert_eq!(
            load(Some(boot)),
            ranges(&[(0, 3000)]),
            "the same record, whole, is believed"
        );

        // Ranges by the hundred do not fit a page; a journal without a key
        // has no record: nothing is written.
        fs::write(&written, vec![b' '; WRITTEN_RECORD_MAX + 1]).expect("write");
        let mut log = WrittenLog::open(&path).expect("open");
        assert_eq!(
            fs::metadata(&written).expect("meta").len(),
            0,
            "a foreign file, emptied"
        );
        let many = RangeSet((0..400).map(|i| (i * 10, i * 10 + 5)).collect());
        assert!(!log.save(&saved, boot, &many).expect("save"), "too large");
        assert!(
            !log.save(&journal(&[]), boot, &ranges(&[(0, 10)]))
                .expect("save"),
            "no key"
        );
        assert_eq!(
            fs::metadata(&written).expect("meta").len(),
            0,
            "nothing written"
        );
    }

    #[test]
    fn this_system_has_a_boot_id_on_linux() {
        assert_eq!(current_boot().is_some(), cfg!(target_os = "linux"));
    }

    #[test]
    fn ranges_merge_and_report_gaps_and_prefix() {
        let mut set = RangeSet::default();
        set.insert(10, 20);
        set.insert(30, 40);
        assert_eq!(set.prefix(), 0);
        assert_eq!(set.missing(50), vec![(0, 10), (20, 30), (40, 50)]);
        set.insert(0, 10);
        set.insert(20, 30);
        assert_eq!(set, RangeSet(vec![(0, 40)]), "adjacent ranges merge");
        assert_eq!(set.prefix(), 40);
        assert_eq!(set.covered(), 40);
        set.insert(35, 50);
        assert!(set.missing(50).is_empty());
        assert!(set.is_well_formed(50), "what insert builds is well-formed");
    }

    #[test]
    fn a_journal_round_trips_and_detects_a_replaced_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(".bk-1.journal");
        let journal = journal(&[(0, 4096)]);
        journal.save(&path).expect("save");
        let loaded = Journal::load(&path).expect("load");
        assert_eq!(loaded, journal);
        let mut upper = journal.clone();
        upper.expected_sha256 = SHA.to_uppercase();
        assert!(loaded.same_download(&upper), "hex case does not matter");
        let mut newer = journal.clone();
        newer.expected_sha256 = SHA.replace('a', "b");
        assert!(
            !loaded.same_download(&newer),
            "a newly published checksum means a new file"
        );
        let mut other_backup = journal.clone();
        other_backup.backup_id = "bk-2".into();
        assert!(
            !loaded.same_download(&other_backup),
            "another backup's bytes are never resumed from"
        );
        fs::write(&path, b"{torn").expect("garble");
        assert_eq!(
            Journal::load(&path),
            None,
            "an unreadable journal means start over"
        );
    }

    #[test]
    fn a_damaged_journal_is_not_believed() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(".bk-1.journal");
        let damaged = [
            ("out of order", journal(&[(4096, 5000), (0, 100)])),
            ("overlapping", journal(&[(0, 5000), (4096, 8192)])),
            (
                "adjacent, so not as written",
                journal(&[(0, 100), (100, 200)]),
            ),
            ("empty range", journal(&[(10, 10)])),
            ("reversed range", journal(&[(300, 200)])),
            ("beyond the size", journal(&[(0, 8193)])),
            ("short checksum", {
                let mut j = journal(&[(0, 100)]);
                j.expected_sha256 = "ab".into();
                j
            }),
            ("checksum not hex", {
                let mut j = journal(&[(0, 100)]);
                j.expected_sha256 = "z".repeat(64);
                j
            }),
        ];
        for (why, journal) in damaged {
            // Written as a forged or damaged file would be: straight to disk.
            fs::write(&path, serde_json::to_vec(&journal).expect("json")).expect("write");
            assert_eq!(
                Journal::load(&path),
                None,
                "{why}: resuming from it could splice wrong bytes, so it must mean start over"
            );
        }
        let whole = journal(&[(0, 8192)]);
        whole.save(&path).expect("save");
        assert!(
            Journal::load(&path).is_some(),
            "a complete, consistent journal is believed"
        );
    }

    #[test]
    fn the_on_disk_format_stays_readable_from_earlier_versions() {
        // As versions that compared the remote mtime wrote it: it loads (the
        // mtime is ignored now), so their partials resume; what is written
        // back is the same but for the mtime. (Those versions start such a
        // journal's download over: safe, only slower.)
        let written = format!(
            r#"{{"backup_id":"bk-1","remote_path":"b.zip","size":8192,"mtime":7,"expected_sha256":"{SHA}","done":[[0,4096],[6000,7000]]}}"#
        );
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(".bk-1.journal");
        fs::write(&path, &written).expect("write");
        let loaded = Journal::load(&path).expect("a journal of an earlier version loads");
        assert_eq!(loaded, journal(&[(0, 4096), (6000, 7000)]));
        assert_eq!(
            String::from_utf8(serde_json::to_vec(&loaded).expect("json")).expect("utf-8"),
            written.replace(r#""mtime":7,"#, ""),
            "and is written back with the same fields but the mtime"
        );
    }

    #[test]
    fn only_a_sha256_in_hex_can_verify_a_download() {
        assert!(is_sha256_hex(&"ab".repeat(32)));
        assert!(!is_sha256_hex("abc"));
        assert!(!is_sha256_hex(&"zz".repeat(32)));
    }
}

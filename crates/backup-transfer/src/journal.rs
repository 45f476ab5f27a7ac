//! The sidecar journal of a partial download: which remote file (path,
//! size, mtime, expected SHA-256) and which byte ranges are already on disk.
//! It is what makes a download resumable after a cut, a server restart or
//! the app being killed; it is replaced atomically so it is never torn.

use std::fs;
use std::io::Write;
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
}

/// The persisted state of one partial download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub remote_path: String,
    pub size: u64,
    /// Remote modification time (seconds), to detect a replaced file.
    pub mtime: u64,
    pub expected_sha256: String,
    pub done: RangeSet,
}

impl Journal {
    /// The journal's path beside the partial file.
    pub fn path_for(part: &Path) -> PathBuf {
        let mut name = part.as_os_str().to_owned();
        name.push(".journal");
        PathBuf::from(name)
    }

    /// Loads a journal; `None` when missing or unreadable (then start over).
    pub fn load(path: &Path) -> Option<Journal> {
        serde_json::from_slice(&fs::read(path).ok()?).ok()
    }

    /// Writes the journal atomically (temp file + rename).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(&serde_json::to_vec(self).map_err(std::io::Error::other)?)?;
            file.sync_data()?;
        }
        fs::rename(&tmp, path)
    }

    /// Whether this journal describes the same remote file.
    pub fn matches(&self, remote_path: &str, size: u64, mtime: u64, expected_sha256: &str) -> bool {
        self.remote_path == remote_path
            && self.size == size
            && self.mtime == mtime
            && self.expected_sha256.eq_ignore_ascii_case(expected_sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn a_journal_round_trips_and_detects_a_replaced_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = Journal::path_for(&dir.path().join("b.zip.part"));
        let mut done = RangeSet::default();
        done.insert(0, 4096);
        let journal = Journal {
            remote_path: "b.zip".into(),
            size: 8192,
            mtime: 7,
            expected_sha256: "ab".into(),
            done,
        };
        journal.save(&path).expect("save");
        let loaded = Journal::load(&path).expect("load");
        assert_eq!(loaded, journal);
        assert!(loaded.matches("b.zip", 8192, 7, "AB"));
        assert!(
            !loaded.matches("b.zip", 8192, 8, "ab"),
            "a new mtime means a new file"
        );
        fs::write(&path, b"{torn").expect("garble");
        assert_eq!(
            Journal::load(&path),
            None,
            "an unreadable journal means start over"
        );
    }
}

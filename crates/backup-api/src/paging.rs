//! Following the history's cursors without trusting them to end. A faulty
//! provider that keeps sending a `next_cursor`, or sends one it sent before,
//! would otherwise keep the client asking forever with memory growing.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use crate::error::ApiError;

/// The walk through one history: the pages and backups read so far, and the
/// cursors seen (as hashes, so a provider's huge cursors are not kept).
#[derive(Debug)]
pub(crate) struct CursorWalk {
    max_pages: u32,
    max_backups: usize,
    pages: u32,
    backups: usize,
    seen: HashSet<u64>,
    hasher: RandomState,
}

impl CursorWalk {
    pub(crate) fn new(max_pages: u32, max_backups: usize) -> CursorWalk {
        CursorWalk {
            max_pages,
            max_backups,
            pages: 0,
            backups: 0,
            seen: HashSet::new(),
            hasher: RandomState::new(),
        }
    }

    /// Records a page of `backups` backups that pointed to `cursor`; returns
    /// the cursor to follow, `None` at the end, or why the walk must stop.
    pub(crate) fn next(
        &mut self,
        cursor: Option<String>,
        backups: usize,
    ) -> Result<Option<String>, ApiError> {
        self.pages = self.pages.saturating_add(1);
        self.backups = self.backups.saturating_add(backups);
        if self.backups > self.max_backups {
            return Err(ApiError::EndlessHistory(format!(
                "more than {} backups",
                self.max_backups
            )));
        }
        let Some(cursor) = cursor else {
            return Ok(None);
        };
        if !self.seen.insert(self.hasher.hash_one(&cursor)) {
            return Err(ApiError::EndlessHistory(format!(
                "page {} led back to a page already read",
                self.pages
            )));
        }
        if self.pages >= self.max_pages {
            return Err(ApiError::EndlessHistory(format!(
                "more than {} pages",
                self.max_pages
            )));
        }
        Ok(Some(cursor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_that_ends_is_read_to_its_end() {
        let mut walk = CursorWalk::new(3, 10);
        assert_eq!(walk.next(Some("a".into()), 3).ok(), Some(Some("a".into())));
        assert_eq!(walk.next(Some("b".into()), 3).ok(), Some(Some("b".into())));
        assert_eq!(
            walk.next(None, 3).ok(),
            Some(None),
            "exactly at the page limit, a history that ends is still read whole"
        );
    }

    #[test]
    fn too_many_backups_stop_the_walk() {
        let mut walk = CursorWalk::new(1000, 5);
        assert!(walk.next(Some("a".into()), 3).is_ok());
        let error = walk
            .next(Some("b".into()), 3)
            .expect_err("a history larger than the limit would fill memory");
        assert!(error.to_string().contains("more than 5 backups"), "{error}");
    }
}

//! An account's CRM records, which archives are made from, and what changes
//! them: the account's activity between two backups, and the operator's
//! deletions that let tests and demos show a mass deletion or an object
//! that vanished.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::{Result, Store};
use crate::error::ProviderError;
use crate::sample;

/// How an operator action changed one object's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordsChange {
    pub account_id: String,
    pub object: String,
    /// Records of the object before the change.
    pub before: u64,
    /// Records of the object after it.
    pub after: u64,
}

/// The next unused position of `account_id`'s records: past every record
/// there is and every record there was (deleted ones included).
fn next_seq(conn: &Connection, account_id: &str) -> Result<i64> {
    let stored: Option<i64> = conn
        .query_row(
            "SELECT next_record_seq FROM accounts WHERE id = ?1",
            [account_id],
            |r| r.get(0),
        )
        .optional()?;
    let stored =
        stored.ok_or_else(|| ProviderError::NotFound(format!("no account {account_id}")))?;
    let past_last: i64 = conn.query_row(
        "SELECT COALESCE(MAX(seq) + 1, 0) FROM crm_records WHERE account_id = ?1",
        [account_id],
        |r| r.get(0),
    )?;
    Ok(stored.max(past_last))
}

impl Store {
    /// The sample CRM records of an account, grouped by object, in order.
    pub fn records(&self, account_id: &str) -> Result<Vec<(String, Vec<String>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT object, fields FROM crm_records WHERE account_id = ?1 ORDER BY object, seq",
        )?;
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        let rows = stmt.query_map([account_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (object, fields) = row?;
            match out.last_mut() {
                Some((last, list)) if *last == object => list.push(fields),
                _ => out.push((object, vec![fields])),
            }
        }
        Ok(out)
    }

    /// Adds the account's activity since its last archive: as many new
    /// contacts, deals and tasks as [`sample::activity`] gives for the
    /// number of archives already published, so two consecutive archives
    /// never hold the same counts. Returns what was added, per object.
    pub fn add_activity(&self, account_id: &str) -> Result<Vec<(&'static str, usize)>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut seq = next_seq(&tx, account_id)?;
        let published: i64 = tx.query_row(
            "SELECT COUNT(*) FROM backups WHERE account_id = ?1 AND ready_at IS NOT NULL",
            [account_id],
            |r| r.get(0),
        )?;
        let added = sample::activity(published.max(0) as u64);
        {
            let mut insert = tx.prepare(
                "INSERT INTO crm_records (account_id, object, seq, fields) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (object, count) in added {
                for _ in 0..count {
                    let fields = sample::activity_row(account_id, object, seq.max(0) as u64)
                        .ok_or(ProviderError::Internal)?;
                    insert.execute(params![account_id, object, seq, fields])?;
                    seq += 1;
                }
            }
        }
        tx.execute(
            "UPDATE accounts SET next_record_seq = ?2 WHERE id = ?1",
            params![account_id, seq],
        )?;
        tx.commit()?;
        Ok(added.to_vec())
    }

    /// Deletes the newest `percent` (0–100, rounded to the nearest record)
    /// of `object`'s records in `account_id`, as a mass deletion would.
    /// Fails on an unknown object or account, or a percent above 100.
    pub fn drop_records(
        &self,
        account_id: &str,
        object: &str,
        percent: u8,
    ) -> Result<RecordsChange> {
        if percent > 100 {
            return Err(ProviderError::Invalid(format!(
                "{percent}% is not a share of the records: use 0 to 100"
            )));
        }
        self.delete_newest(account_id, object, |count| {
            (count * u64::from(percent) + 50) / 100
        })
    }

    /// Deletes every record of `object` in `account_id`: the next archive
    /// has no file for it. Fails on an unknown object or account.
    pub fn clear_records(&self, account_id: &str, object: &str) -> Result<RecordsChange> {
        self.delete_newest(account_id, object, |count| count)
    }

    /// Deletes the newest `share(count)` records of `object`.
    fn delete_newest(
        &self,
        account_id: &str,
        object: &str,
        share: impl FnOnce(u64) -> u64,
    ) -> Result<RecordsChange> {
        sample::object_header(object)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let next = next_seq(&tx, account_id)?;
        let count = |tx: &Connection| -> Result<u64> {
            let n: i64 = tx.query_row(
                "SELECT COUNT(*) FROM crm_records WHERE account_id = ?1 AND object = ?2",
                [account_id, object],
                |r| r.get(0),
            )?;
            Ok(n.max(0) as u64)
        };
        let before = count(&tx)?;
        let doomed = share(before).min(before);
        tx.execute(
            "DELETE FROM crm_records WHERE account_id = ?1 AND object = ?2 AND seq IN (
                SELECT seq FROM crm_records WHERE account_id = ?1 AND object = ?2
                ORDER BY seq DESC LIMIT ?3)",
            params![account_id, object, doomed as i64],
        )?;
        tx.execute(
            "UPDATE accounts SET next_record_seq = ?2 WHERE id = ?1",
            params![account_id, next],
        )?;
        let after = count(&tx)?;
        tx.commit()?;
        Ok(RecordsChange {
            account_id: account_id.to_owned(),
            object: object.to_owned(),
            before,
            after,
        })
    }
}

//! The audit log as people read it: who requested, accepted, trusted and
//! downloaded what, and when (append-only in the local state).

use backup_state::AuditEntry;

use crate::Desk;
use crate::error::Result;

impl Desk {
    /// The audit log, oldest first: of one account, or of every account.
    pub fn audit_log(&self, account: Option<i64>) -> Result<Vec<AuditEntry>> {
        if let Some(id) = account {
            self.account(id)?;
        }
        Ok(self.state.audit_log(account)?)
    }
}

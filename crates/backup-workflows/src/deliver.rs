//! Delivering a ready backup: delivery call → host key decision → engine →
//! verify → record → audit, with progress and cancel; and the one loop that
//! answers its questions for callers who can answer on the spot. The first
//! SFTP session's TCP connection and SSH handshake are made while the
//! provider's API calls are in flight (see [`EarlyConnection`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backup_api::{ApiError, ProblemCode};
use backup_domain::{BackupStatus, Role};
use backup_state::{AccountRecord, AuditEvent, DownloadRecord};
use backup_transfer::{
    CancelToken, DownloadSpec, EarlyConnection, PrivateKey, Progress, TransferError,
    TransferOptions,
};
use chrono::SubsecRound;

use crate::error::{Error, Result, SetupHint};
use crate::history::Actor;
use crate::hostkeys::KeyVerdict;
use crate::watcher::DeskEvent;
use crate::{Answers, Desk, Outcome, lock};

/// What to deliver, where, and on whose behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverRequest {
    pub account: i64,
    pub backup_id: String,
    /// The folder to save into; `None`: the account's download folder.
    pub folder: Option<PathBuf>,
    /// The most parallel SSH sessions (0: automatic); `None`: the account's preference.
    pub streams: Option<u8>,
    pub actor: Actor,
    /// What to do when a verified copy of this backup is already on disk.
    pub existing: ExistingCopy,
}

/// What a delivery does when a verified copy of the backup is already on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExistingCopy {
    /// Stop with `CopyExists` (and its path) before anything is contacted.
    Ask,
    /// Download and verify, then put the new file in the old one's place in
    /// one step; the old copy stays intact if the download fails or is cancelled.
    Replace,
    /// Save beside it under a free name (`name (1).zip`).
    #[default]
    KeepBoth,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connecting,
    Downloading,
    /// Every byte is in; the checksum is being confirmed.
    Verifying,
    /// The checksum matched; the archive is being opened and read to its end.
    Checking,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Connecting => "connecting",
            Phase::Downloading => "downloading",
            Phase::Verifying => "verifying",
            Phase::Checking => "checking",
        }
    }
}

/// Receives progress on the engine's thread.
pub type ProgressSink = Arc<dyn Fn(Phase, Progress) + Send + Sync>;

/// Lets through one progress report per interval; the first and the last
/// (all bytes in) always pass.
#[derive(Debug)]
pub struct ProgressThrottle {
    every: Duration,
    last: Mutex<Option<Instant>>,
}

impl ProgressThrottle {
    pub fn new(every: Duration) -> ProgressThrottle {
        ProgressThrottle {
            every,
            last: Mutex::new(None),
        }
    }

    /// Whether `progress` should be shown now.
    pub fn due(&self, progress: &Progress) -> bool {
        let mut last = lock(&self.last);
        let due =
            progress.done == progress.total || last.is_none_or(|at| at.elapsed() >= self.every);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}

/// Unregisters a running delivery however it ends.
struct Running<'a> {
    desk: &'a Desk,
    key: (i64, String),
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        lock(&self.desk.running).remove(&self.key);
    }
}

impl Desk {
    /// Registers a delivery; `Busy` if this backup is already being delivered here.
    fn begin(&self, account: i64, backup_id: &str) -> Result<(Running<'_>, CancelToken)> {
        if self.is_stopping() {
            return Err(TransferError::Cancelled.into());
        }
        let key = (account, backup_id.to_owned());
        let mut running = lock(&self.running);
        if running.contains_key(&key) {
            return Err(Error::Busy(
                "This backup is already being downloaded.".into(),
            ));
        }
        let token = CancelToken::new();
        running.insert(key.clone(), token.clone());
        Ok((Running { desk: self, key }, token))
    }

    /// Cancels a running delivery (its partial file stays for a resume);
    /// `false` when none was running.
    pub fn cancel_delivery(&self, account: i64, backup_id: &str) -> bool {
        match lock(&self.running).get(&(account, backup_id.to_owned())) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// How many deliveries are running in this process now.
    pub fn running_deliveries(&self) -> usize {
        lock(&self.running).len()
    }

    /// The newest verified copy of `backup_id` still on disk, if any (a
    /// damaged archive is not a copy worth keeping instead of a new one).
    pub fn verified_copy(&self, account: i64, backup_id: &str) -> Result<Option<PathBuf>> {
        if self.damaged_backups(account)?.contains(backup_id) {
            return Ok(None);
        }
        Ok(self
            .state
            .live_downloads(account)?
            .into_iter()
            .filter(|d| d.backup_id == backup_id)
            .map(|d| PathBuf::from(d.path))
            .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file())))
    }

    /// Cancels every running delivery (Ctrl-C, quitting).
    pub fn cancel_all_deliveries(&self) {
        for token in lock(&self.running).values() {
            token.cancel();
        }
    }

    /// Delivers a ready backup: downloads it, verifies it against the
    /// published SHA-256 and records it. Terms not accepted yet, or a server
    /// key to decide on, come back as questions; nothing is written then.
    pub async fn deliver(
        &self,
        request: &DeliverRequest,
        progress: ProgressSink,
    ) -> Result<Outcome<DownloadRecord>> {
        // Registered first, so Cancel works from the first moment.
        let (_running, cancel) = self.begin(request.account, &request.backup_id)?;
        let record = self.account(request.account)?;
        if !record.role.is_some_and(Role::may_download) {
            return Err(Error::Forbidden(
                "Your role may not download backups of this account.".into(),
            ));
        }
        let existing = self.verified_copy(record.id, &request.backup_id)?;
        if request.existing == ExistingCopy::Ask
            && let Some(path) = existing
        {
            return Err(Error::CopyExists { path });
        }
        let replace = existing.filter(|_| request.existing == ExistingCopy::Replace);
        let early = self.connect_early(record.id)?;
        let client = self.client(&record).await?;
        let backup = client
            .backup(&record.account_id, &request.backup_id)
            .await?;
        if backup.status != BackupStatus::Ready {
            return Err(Error::NotReady(format!(
                "Backup {} is not ready to download ({}); refresh the list.",
                backup.id,
                backup.status.as_wire()
            )));
        }
        let delivery = match client.delivery(&record.account_id, &backup.id).await {
            Ok(delivery) => delivery,
            Err(ApiError::Problem {
                code: ProblemCode::TermsNotAccepted | ProblemCode::TermsVersionMismatch,
                ..
            }) => {
                let terms = client.terms(&record.account_id, &backup.id).await?;
                return Ok(Outcome::TermsRequired(terms));
            }
            Err(other) => return Err(other.into()),
        };
        let sftp = &delivery.sftp;
        if !backup_transfer::is_sha256_hex(&sftp.sha256) {
            return Err(Error::Invalid(format!(
                "The provider published a malformed checksum for backup {} ({:?}), so it could not be verified; nothing was downloaded. Report it to the provider.",
                backup.id, sftp.sha256
            )));
        }
        if cancel.is_cancelled() {
            return Err(TransferError::Cancelled.into());
        }
        let connection = self.setup_for(record.id, &sftp.host, sftp.port)?;
        let key = self.keys.unlock(&self.scope(record.id))?;
        let preferences = self.preferences().account(&record)?;
        // A replaced copy is replaced where it is.
        let dir = match replace.as_deref().and_then(Path::parent) {
            Some(parent) => parent.to_path_buf(),
            None => request.folder.clone().unwrap_or(preferences.download_dir),
        };
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::Disk(format!(
                "Cannot create the download folder {}: {e}. Choose another folder.",
                dir.display()
            ))
        })?;
        let policy = self.host_key_policy(
            record.id,
            &connection.host,
            connection.port,
            sftp.host_key_fingerprints.clone(),
        )?;
        let spec = DownloadSpec {
            endpoint: crate::connection::endpoint(&connection),
            key: PrivateKey::new(key.pem, key.passphrase),
            host_keys: policy.clone(),
            remote_path: sftp.remote_path.clone(),
            expected_size: sftp.size_bytes,
            expected_sha256: sftp.sha256.clone(),
            dest_dir: dir.clone(),
            backup_id: backup.id.clone(),
            file_name: backup.local_file_name(),
            replace,
            options: TransferOptions {
                streams: crate::preferences::most_streams(
                    request.streams.unwrap_or(preferences.streams),
                ),
                ..TransferOptions::default()
            },
        };
        let actor = request.actor.name(&record);
        let started = AuditEvent::download_begins(
            &backup.id,
            backup_transfer::resumable_bytes(&dir, &spec.backup_id),
        );
        self.state
            .audit(Some(record.id), &actor, &started, self.now())?;
        let connecting = Progress {
            done: 0,
            total: spec.expected_size,
            rate: 0.0,
            eta: None,
            streams: 0,
        };
        progress(Phase::Connecting, connecting);
        let early = early_connection(early, &cancel).await?;
        let (check_cancel, check_progress) = (cancel.clone(), progress.clone());
        let result = tokio::task::spawn_blocking(move || {
            let mut report = |p: Progress| {
                let phase = if p.done == p.total {
                    Phase::Verifying
                } else {
                    Phase::Downloading
                };
                progress(phase, p);
            };
            backup_transfer::download_after(&spec, early, &mut report, &cancel)
        })
        .await
        .map_err(Error::from_join)?;
        match result {
            Ok(done) => {
                let checked = self
                    .check_archive(
                        &record,
                        &backup.id,
                        backup.requested_at,
                        &done.path,
                        check_cancel,
                        check_progress,
                    )
                    .await;
                let checked = match checked {
                    Ok(checked) => Some(checked),
                    // Cancelled while checking: the copy is verified; its
                    // contents can be checked later (Check now).
                    Err(error) if error.kind() == crate::ErrorKind::Cancelled => None,
                    Err(error) => {
                        self.audit_failure(&record, &actor, &backup.id, &error);
                        return Err(error);
                    }
                };
                let damaged = checked.as_ref().is_some_and(|c| !c.archive.intact);
                let path = match damaged {
                    true => self.set_damaged_aside(&done.path),
                    false => done.path,
                };
                let saved = DownloadRecord {
                    account: record.id,
                    backup_id: backup.id.clone(),
                    path: path.display().to_string(),
                    size_bytes: done.size,
                    sha256: done.sha256,
                    // As the local state keeps it: whole seconds.
                    verified_at: self.now().trunc_subsecs(0),
                };
                match &checked {
                    Some(checked) => self.state.record_delivered(
                        &saved,
                        &checked.archive,
                        &checked.alerts,
                        &actor,
                    )?,
                    None => self.state.record_verified(&saved, &actor)?,
                }
                self.preferences()
                    .set_checked(record.id, saved.verified_at)?;
                if let Some(checked) = &checked {
                    self.announce_check(&record, checked, &path);
                    if damaged {
                        return Err(Error::ArchiveDamaged {
                            backup_id: backup.id.clone(),
                            problem: checked.archive.problem.clone().unwrap_or_default(),
                            path,
                        });
                    }
                }
                self.publish(DeskEvent::DownloadVerified {
                    account: record.id,
                    account_name: record.display_name.clone(),
                    record: saved.clone(),
                });
                Ok(Outcome::Done(saved))
            }
            Err(error) => {
                let server = (connection.host.as_str(), connection.port);
                let error = match self.host_key_verdict(&record, server, &policy, error) {
                    KeyVerdict::Ask(key) => return Ok(Outcome::HostKey(key)),
                    KeyVerdict::Refused(error) => error,
                    KeyVerdict::Other(error) => error.into(),
                };
                self.audit_failure(&record, &actor, &backup.id, &error);
                Err(error)
            }
        }
    }

    /// Starts the first session's TCP connection and SSH handshake to the
    /// account's SFTP server, on a blocking thread, while the API calls run;
    /// `None` without a saved server. When the server presents the key
    /// trusted for it earlier (its pin), the key is unlocked and the login
    /// and SFTP set-up happen there too; otherwise nothing that needs trust
    /// is sent. Either way the engine checks the host key against the
    /// delivery's policy (which drops a pin the provider no longer
    /// publishes) before the file is opened.
    fn connect_early(
        &self,
        account: i64,
    ) -> Result<Option<tokio::task::JoinHandle<Option<EarlyConnection>>>> {
        let Some(connection) = self.state.connection(account)? else {
            return Ok(None);
        };
        let pinned = self
            .state
            .pinned_host_key(account, &connection.host, connection.port)?;
        let endpoint = crate::connection::endpoint(&connection);
        let timeouts = TransferOptions::default().timeouts;
        let (keys, scope) = (self.keys.clone(), self.scope(account));
        Ok(Some(tokio::task::spawn_blocking(move || {
            // A failure here is met again, and reported, by the engine.
            let early = backup_transfer::connect_early(&endpoint, &timeouts).ok()?;
            let Some(pinned) = pinned.filter(|pin| early.presents(pin)) else {
                return Some(early);
            };
            let Ok(key) = keys.unlock(&scope) else {
                return Some(early);
            };
            let key = PrivateKey::new(key.pem, key.passphrase);
            early.log_in_if_pinned(&pinned, &key, &endpoint, &timeouts)
        })))
    }

    /// The account's SFTP server, when both it and the key are set up;
    /// otherwise what to fill in, from where the provider delivers.
    fn setup_for(
        &self,
        account: i64,
        host: &str,
        port: u16,
    ) -> Result<backup_state::SftpConnection> {
        let connection = self.state.connection(account)?;
        let has_key = self.keys.info(&self.scope(account))?.is_some();
        let hint = || {
            Box::new(SetupHint {
                host: host.to_owned(),
                port,
                username: connection
                    .as_ref()
                    .map(|c| c.username.clone())
                    .unwrap_or_default(),
                has_connection: connection.is_some(),
                has_key,
            })
        };
        match &connection {
            None => Err(Error::ConnectionMissing(Some(hint()))),
            Some(_) if !has_key => Err(Error::KeyMissing(hint())),
            Some(found) => Ok(found.clone()),
        }
    }

    fn audit_failure(&self, record: &AccountRecord, actor: &str, backup_id: &str, error: &Error) {
        let failed = AuditEvent::DownloadFailed {
            backup_id: backup_id.to_owned(),
            reason: error.to_string(),
        };
        // The failure itself is what the caller must see; a full disk may
        // also refuse this line.
        let _ = self
            .state
            .audit(Some(record.id), actor, &failed, self.now());
    }

    /// Runs `step` until it is done, answering its questions with `answers`:
    /// accepted terms are accepted at the provider (for `backup_id`), a
    /// trusted key is pinned, a refusal stops with a clear error. The one
    /// loop for the CLI and the automatic pass.
    pub async fn settle<T>(
        &self,
        account: i64,
        backup_id: Option<&str>,
        actor: Actor,
        answers: &mut (dyn Answers + Send),
        mut step: impl AsyncFnMut() -> Result<Outcome<T>>,
    ) -> Result<T> {
        // Terms once and a key (or a replacing key) twice at most: a server
        // presenting yet another key after that is odd enough to stop.
        for _ in 0..4 {
            let outcome = step().await?;
            if let Some(value) = self
                .answer(account, backup_id, actor, answers, outcome)
                .await?
            {
                return Ok(value);
            }
        }
        Err(too_many_keys())
    }

    /// The value of a done `outcome`, or `None` once its question was
    /// answered yes (and acted on) so the step can run again.
    async fn answer<T>(
        &self,
        account: i64,
        backup_id: Option<&str>,
        actor: Actor,
        answers: &mut (dyn Answers + Send),
        outcome: Outcome<T>,
    ) -> Result<Option<T>> {
        match outcome {
            Outcome::Done(value) => Ok(Some(value)),
            Outcome::TermsRequired(terms) => {
                let Some(backup_id) = backup_id else {
                    return Err(Error::Internal("terms asked outside a delivery".into()));
                };
                if !answers.accept_terms(&terms)? {
                    return Err(Error::TermsDeclined(
                        "The download terms were not accepted; nothing was downloaded.".into(),
                    ));
                }
                self.accept_terms(account, backup_id, &terms.version, actor)
                    .await?;
                Ok(None)
            }
            Outcome::HostKey(key) => {
                if !answers.trust_host_key(&key)? {
                    self.refuse_host_key(&key)?;
                    return Err(Error::HostKeyNotTrusted(
                        "The server was not trusted; nothing was downloaded or changed.".into(),
                    ));
                }
                self.trust_host_key(account, &key.fingerprint)?;
                Ok(None)
            }
        }
    }

    /// [`Desk::deliver`] with its questions answered by `answers` (the
    /// loop of [`Desk::settle`], written without a closure so the app can
    /// run it on a multi-threaded runtime).
    pub async fn deliver_answering(
        &self,
        request: &DeliverRequest,
        answers: &mut (dyn Answers + Send),
        progress: ProgressSink,
    ) -> Result<DownloadRecord> {
        for _ in 0..4 {
            let outcome = self.deliver(request, progress.clone()).await?;
            if let Some(saved) = self
                .answer(
                    request.account,
                    Some(&request.backup_id),
                    request.actor,
                    answers,
                    outcome,
                )
                .await?
            {
                return Ok(saved);
            }
        }
        Err(too_many_keys())
    }
}

fn too_many_keys() -> Error {
    Error::HostKeyNotTrusted(
        "The server's key could not be confirmed: it presented another key each time. Ask your provider.".into(),
    )
}

/// The early connection, once made (the engine makes its own without it);
/// `Cancelled` as soon as the delivery is cancelled while it is being made.
async fn early_connection(
    early: Option<tokio::task::JoinHandle<Option<EarlyConnection>>>,
    cancel: &CancelToken,
) -> Result<Option<EarlyConnection>> {
    let Some(handle) = early else {
        return Ok(None);
    };
    while !handle.is_finished() {
        if cancel.is_cancelled() {
            return Err(TransferError::Cancelled.into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(handle.await.ok().flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(done: u64) -> Progress {
        Progress {
            done,
            total: 100,
            rate: 0.0,
            eta: None,
            streams: 1,
        }
    }

    #[test]
    fn the_throttle_lets_the_first_and_last_report_through() {
        let throttle = ProgressThrottle::new(Duration::from_secs(3600));
        assert!(throttle.due(&at(1)), "the first report shows at once");
        assert!(!throttle.due(&at(50)), "then one per interval");
        assert!(throttle.due(&at(100)), "the last report always shows");
    }
}

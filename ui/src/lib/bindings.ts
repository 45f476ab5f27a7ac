// Generated from src-tauri/src/views.rs and error.rs by ts-rs: do not edit.
// Regenerate with `make bindings`; `make test` fails when this file is stale.

export type AppInfo = { name: string, version: string, 
/**
 * The OS language (BCP 47, e.g. "pt-BR").
 */
os_locale: string, 
/**
 * The chosen language: "system", "en" or "pt-BR".
 */
language: string, };

export type RoleView = "owner" | "admin" | "viewer" | "unknown";

export type AccountView = { id: number, provider_url: string, account_id: string, display_name: string, person_name: string, role: RoleView, may_request: boolean, may_download: boolean, 
/**
 * The built-in demo provider.
 */
is_demo: boolean, };

export type AccountsView = { accounts: Array<AccountView>, current: number | null, };

export type ExistingAccountView = { id: number, role: RoleView, 
/**
 * Whose token it uses now.
 */
person_name: string, };

export type MembershipView = { account_id: string, account_name: string, plan: string, role: RoleView, 
/**
 * The account as it is set up here already, if it is: adding it again
 * replaces its token and role (`account_add` with `replace: true`).
 */
existing: ExistingAccountView | null, };

export type ProbeView = { person_name: string, accounts: Array<MembershipView>, };

export type StatusKind = "awaiting_release" | "in_progress" | "ready" | "expired" | "server_error" | "invalid";

export type WindowKind = "none" | "open" | "expiring_soon" | "closed";

export type DownloadedView = { path: string, sha256: string, size_bytes: number, verified_at: string | null, };

export type BackupRow = { id: string, status: StatusKind, 
/**
 * The provider's value, shown next to "Invalid value" for unknown ones.
 */
raw_status: string, requested_at: string | null, requested_by: string, ready_at: string | null, expires_at: string | null, window: WindowKind, size_bytes: number | null, sha256: string | null, error_message: string | null, 
/**
 * The latest verified copy on this computer.
 */
downloaded: DownloadedView | null, 
/**
 * An interrupted download can be resumed.
 */
resumable: boolean, 
/**
 * A download of this backup is running now.
 */
downloading: boolean, 
/**
 * What the archive check found in the downloaded copy (null: not downloaded).
 */
archive: ArchiveKind | null, 
/**
 * Objects that dropped sharply or disappeared since the previous backup.
 */
alerts: Array<ChangeAlertView>, };

export type GateView = "allowed" | "cooldown" | "request_in_progress" | "forbidden" | "other";

export type BackupsView = { account: number, backups: Array<BackupRow>, gate: GateView, 
/**
 * When the cooldown ends (RFC 3339).
 */
next_allowed_at: string | null, cooldown_seconds: number, server_time: string | null, };

export type TermsView = { version: string, text: string, accepted: boolean, };

export type ExistingCopy = "ask" | "replace" | "keep_both";

export type ProgressView = { backup_id: string, done: number, total: number, 
/**
 * Bytes per second.
 */
rate: number, eta_seconds: number | null, 
/**
 * "connecting", "downloading", "verifying" or "checking" (the archive
 * is read to its end; `done` counts the archive's bytes read).
 */
phase: string, };

export type ConnectionView = { host: string, port: number, username: string, };

export type KeyView = { key_type: string, fingerprint: string, encrypted: boolean, format: string, };

export type SettingsView = { account: number, connection: ConnectionView | null, key: KeyView | null, 
/**
 * The pinned SFTP host key, if one is trusted.
 */
trusted_host_key: string | null, download_dir: string, 
/**
 * No folder was chosen: `download_dir` is the default (~/Backups/<name>).
 */
download_dir_is_default: boolean, streams: number, 
/**
 * A drop of this many percent of an object's records raises a change alert.
 */
drop_alert_percent: number, language: string, 
/**
 * When a connection test or a verified download last proved the SFTP
 * server and the key work; cleared when either changes (RFC 3339).
 */
checked_at: string | null, };

export type ConnectionTestView = { fingerprint: string, };

export type BackupReadyEvent = { account: number, backup_id: string, };

export type BackupFocusEvent = { account: number, backup_id: string | null, };

export type DownloadFinishedEvent = { account: number, backup_id: string, path: string, sha256: string, };

export type QuitRequestedEvent = { 
/**
 * Downloads running now.
 */
downloads: number, };

export type ArchiveKind = "unchecked" | "intact" | "damaged";

export type ObjectView = { entry: string, 
/**
 * `contacts` for `contacts.csv`; null for other files.
 */
object: string | null, rows: number | null, bytes: number, crc_ok: boolean, };

export type ChangeAlertView = { object: string, before: number, 
/**
 * Null: the object is missing.
 */
after: number | null, previous_backup_id: string, 
/**
 * In words: "contacts: 10,234 → 7,102 (−31%)".
 */
text: string, };

export type ContentsView = { backup_id: string, archive: ArchiveKind, 
/**
 * What is wrong, when damaged.
 */
problem: string | null, checked_at: string, objects: Array<ObjectView>, total_rows: number, alerts: Array<ChangeAlertView>, 
/**
 * The previous intact backup it was compared with.
 */
compared_with: string | null, 
/**
 * Where the copy is, if it is still there.
 */
path: string | null, };

export type HealthLevelView = "green" | "amber" | "red";

export type HealthReasonView = { "kind": "no_verified_copy" } | { "kind": "copy_too_old", age_days: number, limit_days: number, } | { "kind": "expires_soon", at: string, } | { "kind": "change_alert", count: number, };

export type PendingBackupView = { backup_id: string, expires_at: string, };

export type AccountHealthView = { account: AccountView, level: HealthLevelView, reasons: Array<HealthReasonView>, 
/**
 * When the backup of the newest verified copy was made.
 */
last_copy_at: string | null, last_copy_backup_id: string | null, 
/**
 * Where that copy is (null when it is no longer there).
 */
last_copy_path: string | null, 
/**
 * Red beyond this age (cooldown + download window), in days.
 */
limit_days: number, 
/**
 * The ready backup that expires first without being downloaded.
 */
pending: PendingBackupView | null, 
/**
 * Null when a request is allowed now (or the provider did not answer).
 */
next_request_at: string | null, request_allowed: boolean, automatic: boolean, alerts: Array<ChangeAlertView>, 
/**
 * Why the provider could not be asked.
 */
unreachable: string | null, as_of: string, };

export type HealthView = { worst: HealthLevelView, accounts: Array<AccountHealthView>, };

export type AutomaticStatusView = { paused: boolean, 
/**
 * A pass is running now.
 */
running: boolean, 
/**
 * When the next pass is due (RFC 3339); null while paused or with no account on.
 */
next_check_at: string | null, accounts: Array<AccountAutomaticView>, };

export type AccountAutomaticView = { account: number, enabled: boolean, request_when_allowed: boolean, download_when_ready: boolean, keep: number, 
/**
 * The terms version the person consented to accept automatically.
 */
accepted_terms_version: string | null, last_pass: LastPassView | null, };

export type LastPassView = { at: string, 
/**
 * The backup it requested.
 */
requested: string | null, downloaded: Array<DownloadedItemView>, error: AppError | null, };

export type DownloadedItemView = { backup_id: string, path: string, size_bytes: number, };

export type AutomaticInput = { enabled: boolean, request_when_allowed: boolean, download_when_ready: boolean, keep: number, accept_terms_version: string | null, };

export type ErrorCode = "invalid_input" | "unauthorized" | "forbidden" | "not_found" | "cooldown" | "request_in_progress" | "not_ready" | "expired" | "terms_required" | "unknown_host_key" | "host_key_changed" | "sftp_auth" | "connection_missing" | "key_missing" | "key_invalid" | "passphrase_required" | "passphrase_wrong" | "keychain_unavailable" | "keychain_locked" | "copy_exists" | "account_exists" | "network" | "verify_failed" | "archive_damaged" | "disk" | "cancelled" | "busy" | "failed";

export type HostKeyView = { host: string, port: number, key_type: string, fingerprint: string, 
/**
 * The provider publishes this key for its server.
 */
published: boolean, 
/**
 * The key trusted until now, when this one replaces it.
 */
replaces: string | null, };

export type SetupView = { host: string, port: number, 
/**
 * The saved connection's user name, else "".
 */
username: string, has_connection: boolean, has_key: boolean, };

export type AppError = { code: ErrorCode, message: string, 
/**
 * The server's key for `unknown_host_key` / `host_key_changed`.
 */
fingerprint: string | null, 
/**
 * For `cooldown` (RFC 3339).
 */
next_allowed_at: string | null, 
/**
 * For `unknown_host_key`: what the server presented, to ask about.
 */
host_key: HostKeyView | null, 
/**
 * For `connection_missing` / `key_missing` from a download: what to
 * fill in, from where the provider delivers.
 */
setup: SetupView | null, 
/**
 * The file or folder the error is about, to show with Copy path
 * (`copy_exists`; `failed` when no file manager could open it).
 */
path: string | null, };

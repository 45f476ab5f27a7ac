// The ONLY module allowed to import `@tauri-apps/*`. Everything else in the UI
// talks to the Rust backend through the typed functions exported here, which
// keeps components testable (mock this module) and the IPC surface auditable.
//
// Every function rejects with an `AppError` and nothing else, so callers can
// branch on `code` without guessing what the bridge threw.
import { Channel, invoke, isTauri } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

import type {
  AccountsView,
  AutomaticInput,
  AutomaticStatusView,
  AppInfo,
  BackupFocusEvent,
  BackupReadyEvent,
  BackupsView,
  ConnectionTestView,
  ConnectionView,
  ContentsView,
  DownloadedView,
  DownloadFinishedEvent,
  ExistingCopy,
  HealthView,
  ProbeView,
  ProgressView,
  QuitRequestedEvent,
  SettingsView,
  TermsView,
} from './bindings';
import { appError, toAppError } from './errors';

export { isAppError } from './errors';

export const NOT_IN_TAURI_MESSAGE = 'Not running inside the desktop app';

export type LanguageSetting = 'system' | 'en' | 'pt-BR';

function ensureTauri(): void {
  if (!isTauri()) {
    throw appError('failed', NOT_IN_TAURI_MESSAGE);
  }
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  ensureTauri();
  try {
    return args === undefined ? await invoke<T>(command) : await invoke<T>(command, args);
  } catch (err) {
    throw toAppError(err);
  }
}

async function subscribe<T>(event: string, cb: (payload: T) => void): Promise<UnlistenFn> {
  ensureTauri();
  try {
    return await listen<T>(event, (e) => cb(e.payload));
  } catch (err) {
    throw toAppError(err);
  }
}

/** Name, version and language settings of the running app. */
export function appInfo(): Promise<AppInfo> {
  return call('app_info');
}

export function accounts(): Promise<AccountsView> {
  return call('accounts');
}

/** Who the token belongs to and which accounts it opens; nothing is saved. */
export function accountProbe(providerUrl: string, token: string): Promise<ProbeView> {
  return call('account_probe', { providerUrl, token });
}

export function accountAdd(
  providerUrl: string,
  token: string,
  accountIds: string[],
  replace = false,
): Promise<AccountsView> {
  return call('account_add', { providerUrl, token, accountIds, replace });
}

export function accountUse(id: number): Promise<AccountsView> {
  return call('account_use', { id });
}

export function accountRemove(id: number): Promise<AccountsView> {
  return call('account_remove', { id });
}

/** Starts the built-in demo provider and makes its account the current one. */
export function demoStart(): Promise<AccountsView> {
  return call('demo_start');
}

export function backups(account: number): Promise<BackupsView> {
  return call('backups', { account });
}

export function backupRequest(account: number): Promise<BackupsView> {
  return call('backup_request', { account });
}

export function terms(account: number, backupId: string): Promise<TermsView> {
  return call('terms', { account, backupId });
}

export function termsAccept(account: number, backupId: string, version: string): Promise<void> {
  return call('terms_accept', { account, backupId, version });
}

/** Downloads and verifies a ready backup; progress arrives on its own channel.
 * `existing`: what to do with a verified copy already on disk ("ask" fails
 * with `copy_exists`). */
export async function download(
  account: number,
  backupId: string,
  existing: ExistingCopy,
  onProgress: (p: ProgressView) => void,
): Promise<DownloadedView> {
  ensureTauri();
  const channel = new Channel<ProgressView>();
  channel.onmessage = onProgress;
  return call('download', { account, backupId, existing, onProgress: channel });
}

/** What is inside a downloaded backup, as its archive check found it;
 * `not_found` when it was not downloaded and checked here. */
export function backupContents(account: number, backupId: string): Promise<ContentsView> {
  return call('backup_contents', { account, backupId });
}

/** Checks the copy on disk again (one never checked) and returns what it found. */
export function backupCheck(account: number, backupId: string): Promise<ContentsView> {
  return call('backup_check', { account, backupId });
}

export function downloadCancel(account: number, backupId: string): Promise<void> {
  return call('download_cancel', { account, backupId });
}

/** Trusts the SFTP server key that was just presented (and only that one). */
export function hostKeyTrust(account: number, fingerprint: string): Promise<void> {
  return call('host_key_trust', { account, fingerprint });
}

export function connectionTest(account: number): Promise<ConnectionTestView> {
  return call('connection_test', { account });
}

export function showInFolder(account: number, backupId: string): Promise<void> {
  return call('show_in_folder', { account, backupId });
}

/** Opens the account's download folder (created if missing). */
export function folderOpen(account: number): Promise<void> {
  return call('folder_open', { account });
}

/** The person unlocked the keychain: the next call may ask it again. */
export function keychainRetry(): Promise<void> {
  return call('keychain_retry');
}

/** Quits even though downloads run (they stop and stay resumable). */
export function quitApp(): Promise<void> {
  return call('quit_app');
}

export function settings(account: number): Promise<SettingsView> {
  return call('settings', { account });
}

export function connectionSave(account: number, connection: ConnectionView): Promise<SettingsView> {
  return call('connection_save', { account, connection });
}

/** The native file dialog for a private key; `null` when cancelled. */
export function keyPick(): Promise<string | null> {
  return call('key_pick');
}

/** The native folder dialog; `null` when cancelled. */
export function folderPick(): Promise<string | null> {
  return call('folder_pick');
}

export function keyImport(
  account: number,
  path: string,
  passphrase: string | null,
): Promise<SettingsView> {
  return call('key_import', { account, path, passphrase });
}

export function keyRemove(account: number): Promise<SettingsView> {
  return call('key_remove', { account });
}

export function hostKeyDecline(account: number, fingerprint: string): Promise<void> {
  return call('host_key_decline', { account, fingerprint });
}

export function hostKeyForget(account: number): Promise<SettingsView> {
  return call('host_key_forget', { account });
}

/** Saves the download folder and streams, and the change-alert threshold
 * (1–100 %) when one is given. */
export function preferencesSave(
  account: number,
  downloadDir: string,
  streams: number,
  dropAlertPercent?: number,
): Promise<SettingsView> {
  return call('preferences_save', {
    account,
    downloadDir,
    streams,
    ...(dropAlertPercent === undefined ? {} : { dropAlertPercent }),
  });
}

/** Every account's health, worst first. */
export function health(): Promise<HealthView> {
  return call('health');
}

export type ReportFormat = 'csv' | 'html';

/** The native "Save as" dialog for the audit report of `from`–`to`
 * (YYYY-MM-DD); `null` when cancelled. */
export function reportPick(from: string, to: string, format: ReportFormat): Promise<string | null> {
  return call('report_pick', { from, to, format });
}

/** Writes the audit report of `from`–`to` (both days included) at `path`;
 * resolves with where it was saved. */
export function reportSave(
  from: string,
  to: string,
  format: ReportFormat,
  path: string,
): Promise<string> {
  return call('report_save', { from, to, format, path });
}

export function languageSet(language: LanguageSetting): Promise<void> {
  return call('language_set', { language });
}

export function onBackupReady(cb: (e: BackupReadyEvent) => void): Promise<() => void> {
  return subscribe('backup-ready', cb);
}

export function onDownloadFinished(cb: (e: DownloadFinishedEvent) => void): Promise<() => void> {
  return subscribe('download-finished', cb);
}

/** An archive check found damage or change alerts (also for downloads the
 * automatic mode ran). */
export function onBackupChecked(cb: (e: BackupReadyEvent) => void): Promise<() => void> {
  return subscribe('backup-checked', cb);
}

/** A notification was clicked: show this account (and this backup's detail). */
export function onBackupFocus(cb: (e: BackupFocusEvent) => void): Promise<() => void> {
  return subscribe('backup-focus', cb);
}

/** The window was closed while downloads run: the app asks before quitting. */
export function onQuitRequested(cb: (e: QuitRequestedEvent) => void): Promise<() => void> {
  return subscribe('quit-requested', cb);
}

/** Automatic mode: paused or not, the next check, and each account's settings and last pass. */
export function automaticStatus(): Promise<AutomaticStatusView> {
  return call('automatic_status');
}

/** Saves one account's automatic settings; a terms version here is the person's consent. */
export function automaticSave(account: number, settings: AutomaticInput): Promise<AutomaticStatusView> {
  return call('automatic_save', { account, settings });
}

/** The provider's current download terms, to consent to accepting automatically; null before any backup. */
export function automaticTerms(account: number): Promise<TermsView | null> {
  return call('automatic_terms', { account });
}

export function automaticPause(paused: boolean): Promise<AutomaticStatusView> {
  return call('automatic_pause', { paused });
}

export function automaticRunNow(): Promise<AutomaticStatusView> {
  return call('automatic_run_now');
}

export function autostartGet(): Promise<boolean> {
  return call('autostart_get');
}

export function autostartSet(enabled: boolean): Promise<boolean> {
  return call('autostart_set', { enabled });
}

export function logFolderOpen(): Promise<void> {
  return call('log_folder_open');
}

/** After each automatic pass, and on pause/resume. */
export function onAutomaticChanged(cb: (e: AutomaticStatusView) => void): Promise<() => void> {
  return subscribe('automatic-changed', cb);
}

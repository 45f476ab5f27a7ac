// Payloads as the backend sends them, with overridable defaults.
import type {
  AccountAutomaticView,
  AccountsView,
  AutomaticStatusView,
  AccountView,
  AppError,
  AppInfo,
  BackupRow,
  BackupsView,
  ErrorCode,
  SettingsView,
} from '../lib/bindings';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** An RFC 3339 instant `ms` from now (negative: in the past). */
export function fromNow(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

export { DAY, HOUR };

export function appInfo(overrides: Partial<AppInfo> = {}): AppInfo {
  return { name: 'Backup Desk', version: '0.1.0', os_locale: 'en-US', language: 'system', ...overrides };
}

export function account(overrides: Partial<AccountView> = {}): AccountView {
  return {
    id: 1,
    provider_url: 'https://backup.example.com',
    account_id: 'acme',
    display_name: 'Acme Corp',
    person_name: 'Olivia',
    role: 'owner',
    may_request: true,
    may_download: true,
    is_demo: false,
    ...overrides,
  };
}

export function accountsView(list: AccountView[] = [account()], current?: number | null): AccountsView {
  return { accounts: list, current: current === undefined ? (list[0]?.id ?? null) : current };
}

export function row(overrides: Partial<BackupRow> = {}): BackupRow {
  return {
    id: 'bk-1',
    status: 'ready',
    raw_status: 'ready',
    requested_at: '2025-03-01T09:30:00Z',
    requested_by: 'Olivia',
    ready_at: '2025-03-02T10:00:00Z',
    expires_at: fromNow(3 * DAY + HOUR),
    window: 'open',
    size_bytes: 1_572_864,
    sha256: 'a'.repeat(64),
    error_message: null,
    downloaded: null,
    resumable: false,
    downloading: false,
    ...overrides,
  };
}

export function backupsView(overrides: Partial<BackupsView> = {}): BackupsView {
  return {
    account: 1,
    backups: [row()],
    gate: 'allowed',
    next_allowed_at: null,
    cooldown_seconds: 28 * 24 * 3600,
    server_time: new Date().toISOString(),
    ...overrides,
  };
}

export function settingsView(overrides: Partial<SettingsView> = {}): SettingsView {
  return {
    account: 1,
    connection: { host: 'sftp.example.com', port: 22, username: 'acme' },
    key: null,
    trusted_host_key: null,
    download_dir: '/home/olivia/Downloads/Backup Desk/acme',
    streams: 4,
    language: 'system',
    checked_at: null,
    download_dir_is_default: false,
    ...overrides,
  };
}

export function appErr(code: ErrorCode, message = 'The server said no.', extra: Partial<AppError> = {}): AppError {
  return {
    code,
    message,
    fingerprint: null,
    next_allowed_at: null,
    host_key: null,
    setup: null,
    path: null,
    ...extra,
  };
}

export function accountAutomatic(overrides: Partial<AccountAutomaticView> = {}): AccountAutomaticView {
  return {
    account: 1,
    enabled: false,
    request_when_allowed: true,
    download_when_ready: true,
    keep: 3,
    accepted_terms_version: null,
    last_pass: null,
    ...overrides,
  };
}

export function automaticStatus(
  overrides: Partial<AutomaticStatusView> = {},
  accounts: AccountAutomaticView[] = [accountAutomatic()],
): AutomaticStatusView {
  return { paused: false, running: false, next_check_at: null, accounts, ...overrides };
}

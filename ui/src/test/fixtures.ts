// Payloads as the backend sends them, with overridable defaults.
import type {
  AccountAutomaticView,
  AccountHealthView,
  ChangeAlertView,
  ContentsView,
  HealthView,
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
    archive: null,
    alerts: [],
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
    drop_alert_percent: 10,
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

export function alert(overrides: Partial<ChangeAlertView> = {}): ChangeAlertView {
  return {
    object: 'contacts',
    before: 10_234,
    after: 7_102,
    previous_backup_id: 'bk-0',
    text: 'contacts: 10,234 → 7,102 (−31%)',
    ...overrides,
  };
}

export function contents(overrides: Partial<ContentsView> = {}): ContentsView {
  return {
    backup_id: 'bk-1',
    archive: 'intact',
    problem: null,
    checked_at: '2025-03-03T10:05:00Z',
    objects: [
      { entry: 'contacts.csv', object: 'contacts', rows: 10_234, bytes: 1_048_576, crc_ok: true },
      { entry: 'tickets.csv', object: 'tickets', rows: 8, bytes: 2_048, crc_ok: true },
      { entry: 'manifest.json', object: null, rows: null, bytes: 512, crc_ok: true },
    ],
    total_rows: 10_242,
    alerts: [],
    compared_with: 'bk-0',
    path: '/home/o/Downloads/acme-bk-1.zip',
    ...overrides,
  };
}

export function accountHealth(overrides: Partial<AccountHealthView> = {}): AccountHealthView {
  return {
    account: account(),
    level: 'green',
    reasons: [],
    last_copy_at: '2025-02-17T12:00:00Z',
    last_copy_backup_id: 'bk-1',
    last_copy_path: '/home/o/Backups/acme-bk-1.zip',
    limit_days: 38,
    pending: null,
    next_request_at: null,
    request_allowed: true,
    automatic: false,
    alerts: [],
    unreachable: null,
    as_of: '2025-03-01T12:00:00Z',
    ...overrides,
  };
}

export function healthView(accounts: AccountHealthView[] = [accountHealth()]): HealthView {
  const order = ['green', 'amber', 'red'] as const;
  const worst = accounts.reduce<HealthView['worst']>(
    (w, a) => (order.indexOf(a.level) > order.indexOf(w) ? a.level : w),
    'green',
  );
  return { worst, accounts };
}

// What every failing command rejects with, and the one place that turns
// anything else (a thrown Error, a string from the bridge) into that shape, so
// views only ever branch on `code`.
import type { AppError, ErrorCode } from './bindings';

// Every generated code, exactly once: a code added on the Rust side (and so in
// bindings.ts) without an entry here, or one removed, fails type checking.
const CODES = {
  invalid_input: true,
  unauthorized: true,
  forbidden: true,
  not_found: true,
  cooldown: true,
  request_in_progress: true,
  not_ready: true,
  expired: true,
  terms_required: true,
  unknown_host_key: true,
  host_key_changed: true,
  sftp_auth: true,
  connection_missing: true,
  key_missing: true,
  key_invalid: true,
  passphrase_required: true,
  passphrase_wrong: true,
  keychain_unavailable: true,
  keychain_locked: true,
  account_exists: true,
  copy_exists: true,
  network: true,
  verify_failed: true,
  archive_damaged: true,
  disk: true,
  cancelled: true,
  busy: true,
  failed: true,
} as const satisfies Record<ErrorCode, true>;

/** Every error code the backend can send (the generated enum, as a list). */
export const ERROR_CODES = Object.keys(CODES) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(CODES, value);
}

export function isAppError(value: unknown): value is AppError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    isErrorCode(v.code) &&
    typeof v.message === 'string' &&
    (v.fingerprint === null || v.fingerprint === undefined || typeof v.fingerprint === 'string') &&
    (v.next_allowed_at === null ||
      v.next_allowed_at === undefined ||
      typeof v.next_allowed_at === 'string') &&
    (v.host_key === null || v.host_key === undefined || typeof v.host_key === 'object') &&
    (v.setup === null || v.setup === undefined || typeof v.setup === 'object') &&
    (v.path === null || v.path === undefined || typeof v.path === 'string')
  );
}

export function appError(code: ErrorCode, message: string): AppError {
  return {
    code,
    message,
    fingerprint: null,
    next_allowed_at: null,
    host_key: null,
    setup: null,
    path: null,
  };
}

export function toAppError(err: unknown): AppError {
  if (isAppError(err)) {
    return {
      code: err.code,
      message: err.message,
      fingerprint: err.fingerprint ?? null,
      next_allowed_at: err.next_allowed_at ?? null,
      host_key: err.host_key ?? null,
      setup: err.setup ?? null,
      path: err.path ?? null,
    };
  }
  if (err instanceof Error) return appError('failed', err.message);
  if (typeof err === 'object' && err !== null) {
    // An error this build does not know (say, a code newer than its bindings):
    // keep whatever it says rather than "[object Object]".
    const { message } = err as { message?: unknown };
    if (typeof message === 'string' && message !== '') return appError('failed', message);
    try {
      return appError('failed', JSON.stringify(err));
    } catch {
      return appError('failed', Object.prototype.toString.call(err));
    }
  }
  return appError('failed', String(err));
}

/** "code: message", what "Copy details" puts on the clipboard. */
export function errorDetails(error: AppError): string {
  return error.path ? `${error.code}: ${error.message}\n${error.path}` : `${error.code}: ${error.message}`;
}

/** Why a key import was refused for its passphrase. */
export type PassphraseProblem = 'passphrase_required' | 'passphrase_wrong';

/** A passphrase refusal (said on the passphrase field, not as a banner), else null. */
export function passphraseProblemOf(error: AppError): PassphraseProblem | null {
  return error.code === 'passphrase_required' || error.code === 'passphrase_wrong'
    ? error.code
    : null;
}

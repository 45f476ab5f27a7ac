// What every failing command rejects with, and the one place that turns
// anything else (a thrown Error, a string from the bridge) into that shape, so
// views only ever branch on `code`.
import type { AppError, ErrorCode } from './bindings';

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'invalid_input',
  'unauthorized',
  'forbidden',
  'not_found',
  'cooldown',
  'request_in_progress',
  'not_ready',
  'expired',
  'terms_required',
  'unknown_host_key',
  'host_key_changed',
  'sftp_auth',
  'connection_missing',
  'key_missing',
  'key_invalid',
  'passphrase_required',
  'passphrase_wrong',
  'keychain_unavailable',
  'network',
  'verify_failed',
  'disk',
  'cancelled',
  'busy',
  'failed',
]);

export function isAppError(value: unknown): value is AppError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' &&
    CODES.has(v.code) &&
    typeof v.message === 'string' &&
    (v.fingerprint === null || v.fingerprint === undefined || typeof v.fingerprint === 'string') &&
    (v.next_allowed_at === null ||
      v.next_allowed_at === undefined ||
      typeof v.next_allowed_at === 'string')
  );
}

export function appError(code: ErrorCode, message: string): AppError {
  return { code, message, fingerprint: null, next_allowed_at: null };
}

export function toAppError(err: unknown): AppError {
  if (isAppError(err)) {
    return {
      code: err.code,
      message: err.message,
      fingerprint: err.fingerprint ?? null,
      next_allowed_at: err.next_allowed_at ?? null,
    };
  }
  if (err instanceof Error) return appError('failed', err.message);
  return appError('failed', String(err));
}

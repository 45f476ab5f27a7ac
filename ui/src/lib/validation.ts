// One clear message per field, shared by Settings and the download's setup
// step. The backend checks again; these only spare a round trip and say
// which field is wrong.
import type { MessageKey } from './i18n/i18n.svelte';

export type Problem = MessageKey | null;

/** A host name or address: no "user@", ":port", path or spaces. */
export function hostProblem(host: string): Problem {
  const h = host.trim();
  if (h === '') return 'settings.hostRequired';
  if (/[\s@/\\]/.test(h)) return 'settings.hostInvalid';
  // One colon is "host:port"; an IPv6 address has several.
  if ((h.match(/:/g) ?? []).length === 1) return 'settings.hostInvalid';
  return null;
}

export function portProblem(port: number | null): Problem {
  return port === null || !Number.isInteger(port) || port < 1 || port > 65535
    ? 'settings.portInvalid'
    : null;
}

export function userProblem(user: string): Problem {
  return user.trim() === '' ? 'settings.userRequired' : null;
}

/** The parallel-streams setting that means Automatic: one session to start, more while the rate rises. */
export const AUTOMATIC_STREAMS = 0;
/** The maxima a person may choose instead of Automatic. */
export const STREAM_COUNTS: readonly number[] = Array.from({ length: 16 }, (_, i) => i + 1);

/** Automatic (0), or at most 1 to 16 sessions. */
export function streamsProblem(streams: number | null): Problem {
  return streams === null || !Number.isInteger(streams) || streams < AUTOMATIC_STREAMS || streams > 16
    ? 'settings.streamsInvalid'
    : null;
}

/** The change alert's threshold: a whole percentage from 1 to 100. */
export function dropAlertProblem(percent: number | null): Problem {
  return percent === null || !Number.isInteger(percent) || percent < 1 || percent > 100
    ? 'settings.dropAlertInvalid'
    : null;
}

export function folderProblem(dir: string): Problem {
  return dir.trim() === '' ? 'settings.dirRequired' : null;
}

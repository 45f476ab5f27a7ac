// How long the Backups view waits before asking the provider again.
export const POLL_MS = 15_000;
const BACKOFF_FIRST_MS = 30_000;
const BACKOFF_MAX_MS = 300_000;

/** 15 s while all is well; after failures 30, 60, 120, 240, then 300 s. */
export function pollDelay(failures: number): number {
  if (failures <= 0) return POLL_MS;
  return Math.min(BACKOFF_FIRST_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
}

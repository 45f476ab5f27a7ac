// How long the app waits before asking the provider for the history again.
export const POLL_MS = 15_000;
/** While the window is hidden (minimised): slower, but still polling. */
export const POLL_HIDDEN_MS = 60_000;
const BACKOFF_FIRST_MS = 30_000;
const BACKOFF_MAX_MS = 300_000;

/**
 * 15 s while all is well (60 s while hidden); after failures 30, 60, 120, 240,
 * then 300 s (never faster than the hidden pace while hidden).
 */
export function pollDelay(failures: number, hidden = false): number {
  const base = hidden ? POLL_HIDDEN_MS : POLL_MS;
  if (failures <= 0) return base;
  return Math.max(base, Math.min(BACKOFF_FIRST_MS * 2 ** (failures - 1), BACKOFF_MAX_MS));
}

// Automatic mode as the window shows it: paused or not, the next check, each
// account's settings and last pass. Loaded once, then kept current by the
// backend's `automatic-changed` event and by the answers of every change.
import type { AccountAutomaticView, AppError, AutomaticStatusView } from './bindings';
import { toAppError } from './errors';
import * as ipc from './ipc';

interface Automatic {
  status: AutomaticStatusView | null;
  error: AppError | null;
}

/** Read-only for views; only this module writes it. */
export const automatic: Automatic = $state({ status: null, error: null });

export function applyAutomatic(status: AutomaticStatusView): void {
  automatic.status = status;
  automatic.error = null;
}

export async function loadAutomatic(): Promise<void> {
  try {
    applyAutomatic(await ipc.automaticStatus());
  } catch (err) {
    automatic.error = toAppError(err);
  }
}

export function accountAutomatic(account: number): AccountAutomaticView | null {
  return automatic.status?.accounts.find((a) => a.account === account) ?? null;
}

/** Loads the status and follows the backend's changes until the returned function is called. */
export function watchAutomatic(): () => void {
  let off: (() => void) | undefined;
  let gone = false;
  void loadAutomatic();
  ipc.onAutomaticChanged(applyAutomatic).then(
    (stop) => (gone ? stop() : (off = stop)),
    // Outside the desktop app there are no events; the status stays as loaded.
    () => undefined,
  );
  return () => {
    gone = true;
    off?.();
  };
}

/** For tests. */
export function resetAutomatic(): void {
  automatic.status = null;
  automatic.error = null;
}

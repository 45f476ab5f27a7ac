// Downloads in flight, kept outside the views so progress survives switching
// between Backups and Settings, and the one-click flow: (a copy already on
// disk → replace / keep both / cancel) → terms → download → (no server or
// key yet → set it up → download again) → (unknown server key → ask → trust
// → download again).
import { SvelteMap } from 'svelte/reactivity';

import type { AppError, DownloadedView, ExistingCopy, ProgressView } from './bindings';
import { toAppError } from './errors';
import { withHostKeyTrust } from './hostkeys';
import * as ipc from './ipc';
import { ask, chooseExisting } from './prompts.svelte';

export type StopReason = 'cancelled' | 'terms_declined' | 'host_key_not_trusted' | 'setup_declined';

export type DownloadEntry =
  | { kind: 'preparing' }
  | { kind: 'running'; progress: ProgressView | null }
  | { kind: 'cancelling'; progress: ProgressView | null }
  | { kind: 'done'; result: DownloadedView }
  | { kind: 'stopped'; reason: StopReason }
  | { kind: 'failed'; error: AppError };

const entries = new SvelteMap<string, DownloadEntry>();

// The setup step is offered this many times per click: a server that keeps
// saying "missing" after a save is a bug to report, not a loop to run.
const MAX_SETUPS = 2;

function keyOf(account: number, backupId: string): string {
  return `${account}/${backupId}`;
}

export function downloadEntry(account: number, backupId: string): DownloadEntry | undefined {
  return entries.get(keyOf(account, backupId));
}

export function isBusy(entry: DownloadEntry | undefined): boolean {
  return entry?.kind === 'preparing' || entry?.kind === 'running' || entry?.kind === 'cancelling';
}

/** How many downloads this window is running. */
export function runningDownloads(): number {
  let n = 0;
  for (const entry of entries.values()) if (isBusy(entry)) n += 1;
  return n;
}

export interface StartOptions {
  /** The verified copy the window knows of: asked about before anything else. */
  copyAt?: string | null;
}

/** Runs the whole flow; never rejects (the outcome lands in the entry). */
export async function startDownload(
  account: number,
  backupId: string,
  options: StartOptions = {},
): Promise<void> {
  const key = keyOf(account, backupId);
  const before = entries.get(key);
  if (isBusy(before)) return;
  entries.set(key, { kind: 'preparing' });
  let existing: ExistingCopy = 'ask';
  // Cancel on this question leaves the row as it was, with nothing to say.
  const keepAsIs = (): void => {
    if (before) entries.set(key, before);
    else entries.delete(key);
  };
  try {
    if (options.copyAt) {
      const choice = await chooseExisting(options.copyAt);
      if (!choice) return keepAsIs();
      existing = choice;
    }
    const terms = await ipc.terms(account, backupId);
    if (!terms.accepted) {
      if (!(await ask({ kind: 'terms', terms }))) {
        entries.set(key, { kind: 'stopped', reason: 'terms_declined' });
        return;
      }
      await ipc.termsAccept(account, backupId, terms.version);
    }
    for (let setups = 0; ; ) {
      try {
        const outcome = await withHostKeyTrust(
          account,
          () => {
            entries.set(key, { kind: 'running', progress: null });
            return ipc.download(account, backupId, existing, (progress) => {
              const now = entries.get(key);
              if (now?.kind === 'running' || now?.kind === 'cancelling') {
                entries.set(key, { ...now, progress });
              }
            });
          },
          { beforeAsk: () => entries.set(key, { kind: 'preparing' }) },
        );
        entries.set(
          key,
          outcome.kind === 'done'
            ? { kind: 'done', result: outcome.value }
            : { kind: 'stopped', reason: 'host_key_not_trusted' },
        );
        return;
      } catch (raw) {
        const error = toAppError(raw);
        if (error.code === 'copy_exists' && existing === 'ask') {
          entries.set(key, { kind: 'preparing' });
          const choice = await chooseExisting(error.path ?? '');
          if (!choice) return keepAsIs();
          existing = choice;
          continue;
        }
        const missing = error.code === 'connection_missing' || error.code === 'key_missing';
        if (missing && error.setup && setups < MAX_SETUPS) {
          setups += 1;
          entries.set(key, { kind: 'preparing' });
          if (!(await ask({ kind: 'setup', account, setup: error.setup }))) {
            entries.set(key, { kind: 'stopped', reason: 'setup_declined' });
            return;
          }
          continue;
        }
        throw error;
      }
    }
  } catch (raw) {
    const error = toAppError(raw);
    if (error.code === 'cancelled') {
      entries.set(key, { kind: 'stopped', reason: 'cancelled' });
      return;
    }
    entries.set(key, { kind: 'failed', error });
    if (error.code === 'host_key_changed') {
      await ask({ kind: 'hostkey-changed', fingerprint: error.fingerprint });
    }
  }
}

/** Forgets what this window says about one backup (a note dismissed). */
export function clearDownload(account: number, backupId: string): void {
  const key = keyOf(account, backupId);
  if (!isBusy(entries.get(key))) entries.delete(key);
}

/** Asks the backend to stop; the running flow then settles as `cancelled`. */
export async function cancelDownload(account: number, backupId: string): Promise<AppError | null> {
  const key = keyOf(account, backupId);
  const before = entries.get(key);
  if (before?.kind === 'running') entries.set(key, { kind: 'cancelling', progress: before.progress });
  try {
    await ipc.downloadCancel(account, backupId);
    return null;
  } catch (raw) {
    const now = entries.get(key);
    if (now?.kind === 'cancelling') entries.set(key, { kind: 'running', progress: now.progress });
    return toAppError(raw);
  }
}

/** Forgets finished outcomes of an account, or everything (tests). */
export function resetDownloads(account?: number): void {
  if (account === undefined) {
    entries.clear();
    return;
  }
  for (const [key, entry] of entries) {
    if (key.startsWith(`${account}/`) && !isBusy(entry)) entries.delete(key);
  }
}

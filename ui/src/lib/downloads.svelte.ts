// Downloads in flight, kept outside the views so progress survives switching
// between Backups and Settings, and the one-click flow: terms → download →
// (unknown server key → ask → trust → download again).
import { SvelteMap } from 'svelte/reactivity';

import type { AppError, DownloadedView, ProgressView } from './bindings';
import { toAppError } from './errors';
import { withHostKeyTrust } from './hostkeys';
import * as ipc from './ipc';
import { ask } from './prompts.svelte';

export type StopReason = 'cancelled' | 'terms_declined' | 'host_key_not_trusted';

export type DownloadEntry =
  | { kind: 'preparing' }
  | { kind: 'running'; progress: ProgressView | null }
  | { kind: 'cancelling'; progress: ProgressView | null }
  | { kind: 'done'; result: DownloadedView }
  | { kind: 'stopped'; reason: StopReason }
  | { kind: 'failed'; error: AppError };

const entries = new SvelteMap<string, DownloadEntry>();

function keyOf(account: number, backupId: string): string {
  return `${account}/${backupId}`;
}

export function downloadEntry(account: number, backupId: string): DownloadEntry | undefined {
  return entries.get(keyOf(account, backupId));
}

export function isBusy(entry: DownloadEntry | undefined): boolean {
  return entry?.kind === 'preparing' || entry?.kind === 'running' || entry?.kind === 'cancelling';
}

/** Runs the whole flow; never rejects (the outcome lands in the entry). */
export async function startDownload(account: number, backupId: string): Promise<void> {
  const key = keyOf(account, backupId);
  if (isBusy(entries.get(key))) return;
  entries.set(key, { kind: 'preparing' });
  try {
    const terms = await ipc.terms(account, backupId);
    if (!terms.accepted) {
      if (!(await ask({ kind: 'terms', terms }))) {
        entries.set(key, { kind: 'stopped', reason: 'terms_declined' });
        return;
      }
      await ipc.termsAccept(account, backupId, terms.version);
    }
    const outcome = await withHostKeyTrust(
      account,
      () => {
        entries.set(key, { kind: 'running', progress: null });
        return ipc.download(account, backupId, (progress) => {
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

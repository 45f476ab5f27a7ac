// What a history row offers, decided in one place: the one primary action
// pinned to the right of the row, the short status shown while a download
// runs, and whether its detail opens by itself. A copy whose archive is
// damaged is no good copy: the row offers what it would without one.
import type { BackupRow } from './bindings';
import type { DownloadEntry } from './downloads.svelte';

export type PrimaryAction =
  | 'preparing'
  | 'cancel'
  | 'cancelling'
  | 'resume'
  | 'download'
  | 'show'
  | 'none';

/** The provider serves the file now. */
export function isDownloadable(row: BackupRow): boolean {
  return row.status === 'ready' && (row.window === 'open' || row.window === 'expiring_soon');
}

/** The copy on this computer is damaged (and no download replaced it since). */
export function isDamaged(row: BackupRow, entry: DownloadEntry | undefined): boolean {
  return entry?.kind !== 'done' && row.archive === 'damaged';
}

/** The good verified copy on this computer: just downloaded, or recorded
 * and not found damaged. */
export function verifiedCopy(row: BackupRow, entry: DownloadEntry | undefined) {
  if (entry?.kind === 'done') return entry.result;
  return isDamaged(row, entry) ? null : row.downloaded;
}

/**
 * Exactly one action per row: a running download can be cancelled; an
 * interrupted one resumed; a verified copy shown; else a ready backup
 * downloaded. "Download again" lives in the row's detail.
 */
export function primaryAction(row: BackupRow, entry: DownloadEntry | undefined): PrimaryAction {
  if (entry?.kind === 'preparing') return 'preparing';
  if (entry?.kind === 'running') return 'cancel';
  if (entry?.kind === 'cancelling') return 'cancelling';
  if (row.downloading) return 'cancel';
  const downloadable = isDownloadable(row);
  if (downloadable && row.resumable) return 'resume';
  if (verifiedCopy(row, entry)) return 'show';
  if (downloadable) return 'download';
  return 'none';
}

/** The detail opens by itself while there is something to follow or read
 * (a transfer, what stopped it, the copy it just verified). */
export function detailWanted(row: BackupRow, entry: DownloadEntry | undefined): boolean {
  return (
    row.downloading ||
    entry?.kind === 'preparing' ||
    entry?.kind === 'running' ||
    entry?.kind === 'cancelling' ||
    entry?.kind === 'failed' ||
    entry?.kind === 'done' ||
    entry?.kind === 'stopped'
  );
}

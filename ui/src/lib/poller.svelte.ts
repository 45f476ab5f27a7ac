// The current account's backup history, kept fresh for as long as the app is
// open — not only while the Backups view shows — because the backend raises
// the "backup ready" / "expiring soon" desktop notifications when it is asked
// for the list. Every 15 s while the window is visible, every 60 s while it is
// hidden, backing off while the provider is unreachable; at once on focus, on
// showing again and on the backend's events (a backup ready, a download
// finished, an archive check that found damage or change alerts).
//
// Whoever needs the list calls `watchBackups(account)` and the returned
// function when done (the App shell for its whole life, the Backups view while
// mounted); the poller runs while anyone watches, for the latest watcher's
// account.
import type { AppError, BackupsView } from './bindings';
import { toAppError } from './errors';
import * as ipc from './ipc';
import { pollDelay } from './polling';

interface Polled {
  /** The account polled, null when nobody watches. */
  account: number | null;
  view: BackupsView | null;
  error: AppError | null;
  /** No answer yet for this account. */
  loading: boolean;
  refreshing: boolean;
  updatedAt: number | null;
  /** When the next automatic refresh is due (ms), for the offline countdown. */
  nextAt: number | null;
  /** When the last refresh was scheduled (ms): "now" for relative times. */
  scheduledAt: number;
}

function initial(account: number | null): Polled {
  return {
    account,
    view: null,
    error: null,
    loading: true,
    refreshing: false,
    updatedAt: null,
    nextAt: null,
    scheduledAt: Date.now(),
  };
}

/** Read-only for views; only this module writes it. */
export const polled: Polled = $state(initial(null));

let watchers: { account: number }[] = [];
let failures = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
/** Sequence number of the request in flight, if any. */
let inFlight: number | null = null;
/** Someone asked for a refresh while one was in flight: ask again after it. */
let again = false;
/** The last sequence number given out (to a request or to a list applied). */
let seq = 0;
/** The sequence number of the list (or error) shown: older answers are dropped. */
let applied = 0;
/** Bumped on every start/stop, so late event subscriptions of a past run unsubscribe. */
let run = 0;
let unlisten: (() => void)[] = [];

function hidden(): boolean {
  return document.visibilityState === 'hidden';
}

function stopTimer(): void {
  clearTimeout(timer);
  timer = undefined;
  polled.nextAt = null;
}

/** The keychain is locked: asking again would prompt again, so nothing is
 * asked until the person chooses Try again (`unlockKeychain`). */
function locked(): boolean {
  return polled.error?.code === 'keychain_locked';
}

function schedule(): void {
  stopTimer();
  if (polled.account === null || locked()) return;
  const delay = pollDelay(failures, hidden());
  polled.scheduledAt = Date.now();
  polled.nextAt = polled.scheduledAt + delay;
  timer = setTimeout(() => void refreshBackups(), delay);
}

/** Asks for the list now (or right after the request in flight). */
export async function refreshBackups(): Promise<void> {
  const account = polled.account;
  if (account === null) return;
  if (inFlight !== null) {
    again = true;
    return;
  }
  const mine = ++seq;
  inFlight = mine;
  polled.refreshing = true;
  stopTimer();
  try {
    const next = await ipc.backups(account);
    if (mine > applied) {
      applied = mine;
      polled.view = next;
      polled.error = null;
      failures = 0;
      polled.updatedAt = Date.now();
    }
  } catch (err) {
    if (mine > applied) {
      applied = mine;
      polled.error = toAppError(err);
      failures += 1;
    }
  }
  // Stopped or switched account meanwhile: that run has its own state now.
  if (inFlight !== mine) return;
  inFlight = null;
  polled.refreshing = false;
  polled.loading = false;
  if (again) {
    again = false;
    void refreshBackups();
  } else {
    schedule();
  }
}

/**
 * A list obtained otherwise (the answer of a backup request): shown at once,
 * and any answer to a request sent before it is dropped as older.
 */
export function replaceBackups(next: BackupsView): void {
  if (next.account !== polled.account) return;
  applied = ++seq;
  polled.view = next;
  polled.error = null;
  polled.loading = false;
  failures = 0;
  polled.updatedAt = Date.now();
  if (inFlight === null) schedule();
}

/** The person unlocked the keychain: ask it once more, then the list. */
export async function unlockKeychain(): Promise<void> {
  try {
    await ipc.keychainRetry();
  } catch (err) {
    polled.error = toAppError(err);
    return;
  }
  await refreshBackups();
}

function onVisibilityChange(): void {
  if (locked()) return;
  if (!hidden()) void refreshBackups();
  // Hidden: from now on at the slower pace.
  else if (inFlight === null) schedule();
}

function onFocus(): void {
  if (!locked()) void refreshBackups();
}

function onEvent(e: { account: number }): void {
  if (e.account === polled.account && !locked()) void refreshBackups();
}

function start(): void {
  const mine = ++run;
  document.addEventListener('visibilitychange', onVisibilityChange);
  window.addEventListener('focus', onFocus);
  const keep = (subscribed: Promise<() => void>) =>
    subscribed.then(
      (stop) => (run === mine ? unlisten.push(stop) : stop()),
      // Without events (outside the desktop app) polling still works.
      () => undefined,
    );
  void keep(ipc.onBackupReady(onEvent));
  void keep(ipc.onDownloadFinished(onEvent));
  void keep(ipc.onBackupChecked(onEvent));
}

function stop(): void {
  run++;
  document.removeEventListener('visibilitychange', onVisibilityChange);
  window.removeEventListener('focus', onFocus);
  for (const off of unlisten) off();
  unlisten = [];
}

/** Forgets everything and, for a new account, asks for its list. */
function switchTo(account: number | null): void {
  stopTimer();
  inFlight = null;
  again = false;
  failures = 0;
  // Answers still on their way were for the previous account (or run).
  applied = ++seq;
  Object.assign(polled, initial(account));
  if (account !== null) void refreshBackups();
}

function sync(): void {
  const account = watchers.at(-1)?.account ?? null;
  if (account === polled.account) return;
  if (polled.account === null) start();
  else if (account === null) stop();
  switchTo(account);
}

/**
 * Keeps `account`'s history polled until the returned function is called.
 * `refresh`: ask at once even if the account was already being polled.
 */
export function watchBackups(account: number, options: { refresh?: boolean } = {}): () => void {
  const watcher = { account };
  const running = polled.account === account;
  watchers.push(watcher);
  sync();
  if (running && options.refresh) void refreshBackups();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    watchers = watchers.filter((w) => w !== watcher);
    sync();
  };
}

/** For tests: stop and forget everything. */
export function resetPoller(): void {
  watchers = [];
  if (polled.account !== null) stop();
  switchTo(null);
}

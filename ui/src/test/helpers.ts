// Shared test plumbing. Import it AFTER vi.mock('…/lib/ipc', …) in a test
// file (imports are hoisted below vi.mock, so any order in the file works).
import { fireEvent, render } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { tick } from 'svelte';
import { vi } from 'vitest';

import { resetAutomatic } from '../lib/automatic.svelte';
import { resetDownloads } from '../lib/downloads.svelte';
import * as ipc from '../lib/ipc';
import { resetPoller } from '../lib/poller.svelte';
import { resetPrompts } from '../lib/prompts.svelte';
import { setUnsaved } from '../lib/unsaved.svelte';
import * as fx from './fixtures';
import WithPrompts from './WithPrompts.svelte';

/** Sensible answers for every command; tests override what they exercise. */
export function installDefaults(): void {
  vi.mocked(ipc.appInfo).mockResolvedValue(fx.appInfo());
  vi.mocked(ipc.accounts).mockResolvedValue(fx.accountsView());
  vi.mocked(ipc.backups).mockResolvedValue(fx.backupsView());
  vi.mocked(ipc.settings).mockResolvedValue(fx.settingsView());
  vi.mocked(ipc.onBackupReady).mockResolvedValue(() => {});
  vi.mocked(ipc.onDownloadFinished).mockResolvedValue(() => {});
  vi.mocked(ipc.onBackupChecked).mockResolvedValue(() => {});
  vi.mocked(ipc.onQuitRequested).mockResolvedValue(() => {});
  vi.mocked(ipc.onBackupFocus).mockResolvedValue(() => {});
  vi.mocked(ipc.onAutomaticChanged).mockResolvedValue(() => {});
  vi.mocked(ipc.automaticStatus).mockResolvedValue(fx.automaticStatus());
  vi.mocked(ipc.autostartGet).mockResolvedValue(false);
}

export function resetAll(): void {
  vi.resetAllMocks();
  resetPrompts();
  resetDownloads();
  resetPoller();
  resetAutomatic();
  setUnsaved(false);
  installDefaults();
}

/** Lets pending promise callbacks and the resulting DOM updates run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await Promise.resolve();
    await tick();
  }
}

export function renderWithPrompts<P extends Record<string, unknown>>(view: Component<P>, props: P) {
  return render(WithPrompts, { props: { view: view as Component<Record<string, unknown>>, props } });
}

/** A promise with its resolve/reject in hand, to control when IPC answers. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export async function choose(select: HTMLElement, value: string): Promise<void> {
  await fireEvent.change(select, { target: { value } });
}

export function text(el: Element | null): string {
  return (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

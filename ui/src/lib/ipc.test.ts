import { beforeEach, describe, expect, it, vi } from 'vitest';

const core = vi.hoisted(() => {
  class Channel<T> {
    onmessage: (message: T) => void = () => {};
  }
  return { invoke: vi.fn(), isTauri: vi.fn(), Channel };
});
const event = vi.hoisted(() => ({ listen: vi.fn() }));

vi.mock('@tauri-apps/api/core', () => core);
vi.mock('@tauri-apps/api/event', () => event);

import type { ProgressView } from './bindings';
import * as ipc from './ipc';

beforeEach(() => {
  core.invoke.mockReset();
  core.isTauri.mockReset();
  event.listen.mockReset();
  core.isTauri.mockReturnValue(true);
  core.invoke.mockResolvedValue(undefined);
});

describe('outside the desktop app', () => {
  it('rejects with a "failed" AppError without calling invoke', async () => {
    core.isTauri.mockReturnValue(false);
    await expect(ipc.appInfo()).rejects.toEqual({
      code: 'failed',
      message: ipc.NOT_IN_TAURI_MESSAGE,
      fingerprint: null,
      next_allowed_at: null,
      host_key: null,
      setup: null,
      path: null,
    });
    await expect(ipc.download(1, 'b', 'ask', () => {})).rejects.toMatchObject({ code: 'failed' });
    await expect(ipc.onBackupReady(() => {})).rejects.toMatchObject({ code: 'failed' });
    expect(core.invoke).not.toHaveBeenCalled();
    expect(event.listen).not.toHaveBeenCalled();
  });
});

describe('commands', () => {
  const connection = { host: 'h', port: 22, username: 'u' };
  const cases: [string, () => Promise<unknown>, string, Record<string, unknown> | undefined][] = [
    ['appInfo', () => ipc.appInfo(), 'app_info', undefined],
    ['accounts', () => ipc.accounts(), 'accounts', undefined],
    ['accountProbe', () => ipc.accountProbe('https://p', 'tok'), 'account_probe', { providerUrl: 'https://p', token: 'tok' }],
    ['accountAdd', () => ipc.accountAdd('https://p', 'tok', ['a', 'b']), 'account_add', { providerUrl: 'https://p', token: 'tok', accountIds: ['a', 'b'], replace: false }],
    ['accountAdd (replace)', () => ipc.accountAdd('https://p', 'tok', ['a'], true), 'account_add', { providerUrl: 'https://p', token: 'tok', accountIds: ['a'], replace: true }],
    ['folderOpen', () => ipc.folderOpen(3), 'folder_open', { account: 3 }],
    ['keychainRetry', () => ipc.keychainRetry(), 'keychain_retry', undefined],
    ['quitApp', () => ipc.quitApp(), 'quit_app', undefined],
    ['accountUse', () => ipc.accountUse(3), 'account_use', { id: 3 }],
    ['accountRemove', () => ipc.accountRemove(3), 'account_remove', { id: 3 }],
    ['demoStart', () => ipc.demoStart(), 'demo_start', undefined],
    ['backups', () => ipc.backups(2), 'backups', { account: 2 }],
    ['backupRequest', () => ipc.backupRequest(2), 'backup_request', { account: 2 }],
    ['terms', () => ipc.terms(2, 'bk'), 'terms', { account: 2, backupId: 'bk' }],
    ['termsAccept', () => ipc.termsAccept(2, 'bk', 'v3'), 'terms_accept', { account: 2, backupId: 'bk', version: 'v3' }],
    ['downloadCancel', () => ipc.downloadCancel(2, 'bk'), 'download_cancel', { account: 2, backupId: 'bk' }],
    ['hostKeyTrust', () => ipc.hostKeyTrust(2, 'SHA256:x'), 'host_key_trust', { account: 2, fingerprint: 'SHA256:x' }],
    ['connectionTest', () => ipc.connectionTest(2), 'connection_test', { account: 2 }],
    ['showInFolder', () => ipc.showInFolder(2, 'bk'), 'show_in_folder', { account: 2, backupId: 'bk' }],
    ['settings', () => ipc.settings(2), 'settings', { account: 2 }],
    ['connectionSave', () => ipc.connectionSave(2, connection), 'connection_save', { account: 2, connection }],
    ['keyPick', () => ipc.keyPick(), 'key_pick', undefined],
    ['folderPick', () => ipc.folderPick(), 'folder_pick', undefined],
    ['keyImport', () => ipc.keyImport(2, '/k', null), 'key_import', { account: 2, path: '/k', passphrase: null }],
    ['keyRemove', () => ipc.keyRemove(2), 'key_remove', { account: 2 }],
    ['preferencesSave', () => ipc.preferencesSave(2, '/d', 8), 'preferences_save', { account: 2, downloadDir: '/d', streams: 8 }],
    ['preferencesSave (drop alert)', () => ipc.preferencesSave(2, '/d', 8, 25), 'preferences_save', { account: 2, downloadDir: '/d', streams: 8, dropAlertPercent: 25 }],
    ['backupContents', () => ipc.backupContents(2, 'bk'), 'backup_contents', { account: 2, backupId: 'bk' }],
    ['backupCheck', () => ipc.backupCheck(2, 'bk'), 'backup_check', { account: 2, backupId: 'bk' }],
    ['health', () => ipc.health(), 'health', undefined],
    ['reportPick', () => ipc.reportPick('2025-03-01', '2025-03-31', 'html'), 'report_pick', { from: '2025-03-01', to: '2025-03-31', format: 'html' }],
    ['reportSave', () => ipc.reportSave('2025-03-01', '2025-03-31', 'csv', '/r.csv'), 'report_save', { from: '2025-03-01', to: '2025-03-31', format: 'csv', path: '/r.csv' }],
    ['languageSet', () => ipc.languageSet('pt-BR'), 'language_set', { language: 'pt-BR' }],
  ];

  it.each(cases)('%s invokes %s with camelCase arguments', async (_name, run, command, args) => {
    core.invoke.mockResolvedValue('result');
    await expect(run()).resolves.toBe('result');
    if (args === undefined) expect(core.invoke).toHaveBeenCalledWith(command);
    else expect(core.invoke).toHaveBeenCalledWith(command, args);
  });

  it('download passes a Channel that delivers progress to the callback', async () => {
    const done = { path: '/d/x.zip', sha256: 'f'.repeat(64), size_bytes: 10, verified_at: null };
    core.invoke.mockResolvedValue(done);
    const onProgress = vi.fn();
    await expect(ipc.download(2, 'bk', 'replace', onProgress)).resolves.toEqual(done);
    expect(core.invoke).toHaveBeenCalledWith('download', {
      account: 2,
      backupId: 'bk',
      existing: 'replace',
      onProgress: expect.any(core.Channel),
    });
    const channel = core.invoke.mock.calls[0]?.[1]?.onProgress as InstanceType<typeof core.Channel<ProgressView>>;
    const p: ProgressView = { backup_id: 'bk', done: 5, total: 10, rate: 1, eta_seconds: 5, phase: 'downloading' };
    channel.onmessage(p);
    expect(onProgress).toHaveBeenCalledWith(p);
  });
});

describe('errors', () => {
  it('passes an AppError through', async () => {
    const err = {
      code: 'cooldown',
      message: 'wait',
      fingerprint: null,
      next_allowed_at: '2030-01-01T00:00:00Z',
      host_key: null,
      setup: null,
      path: null,
    };
    core.invoke.mockRejectedValue(err);
    await expect(ipc.backupRequest(1)).rejects.toEqual(err);
  });

  it('fills in missing optional fields of an AppError', async () => {
    core.invoke.mockRejectedValue({ code: 'unknown_host_key', message: 'new', fingerprint: 'SHA256:a' });
    await expect(ipc.connectionTest(1)).rejects.toEqual({
      code: 'unknown_host_key',
      message: 'new',
      fingerprint: 'SHA256:a',
      next_allowed_at: null,
      host_key: null,
      setup: null,
      path: null,
    });
  });

  it.each([
    ['a string', 'boom', 'boom'],
    ['an Error', new Error('kaput'), 'kaput'],
    ['an unknown code', { code: 'weird', message: 'x' }, 'x'],
    ['an object without a message', { code: 'weird' }, '{"code":"weird"}'],
    ['undefined', undefined, 'undefined'],
  ])('turns %s into a "failed" AppError', async (_what, thrown, message) => {
    core.invoke.mockRejectedValue(thrown);
    await expect(ipc.accounts()).rejects.toEqual({
      code: 'failed',
      message,
      fingerprint: null,
      next_allowed_at: null,
      host_key: null,
      setup: null,
      path: null,
    });
  });

  it('isAppError recognizes only the AppError shape', () => {
    expect(ipc.isAppError({ code: 'network', message: 'm', fingerprint: null, next_allowed_at: null })).toBe(true);
    expect(ipc.isAppError({ code: 'network' })).toBe(false);
    expect(ipc.isAppError({ code: 'nope', message: 'm' })).toBe(false);
    expect(ipc.isAppError('network')).toBe(false);
    expect(ipc.isAppError(null)).toBe(false);
  });
});

describe('events', () => {
  it('onBackupReady listens to backup-ready and hands over the payload', async () => {
    const unlisten = vi.fn();
    event.listen.mockResolvedValue(unlisten);
    const cb = vi.fn();
    const stop = await ipc.onBackupReady(cb);
    expect(event.listen).toHaveBeenCalledWith('backup-ready', expect.any(Function));
    const handler = event.listen.mock.calls[0]?.[1] as (e: { payload: unknown }) => void;
    handler({ payload: { account: 1, backup_id: 'bk' } });
    expect(cb).toHaveBeenCalledWith({ account: 1, backup_id: 'bk' });
    stop();
    expect(unlisten).toHaveBeenCalled();
  });

  it('onDownloadFinished listens to download-finished', async () => {
    event.listen.mockResolvedValue(() => {});
    const cb = vi.fn();
    await ipc.onDownloadFinished(cb);
    expect(event.listen).toHaveBeenCalledWith('download-finished', expect.any(Function));
    const handler = event.listen.mock.calls[0]?.[1] as (e: { payload: unknown }) => void;
    const payload = { account: 1, backup_id: 'bk', path: '/p', sha256: 'ab' };
    handler({ payload });
    expect(cb).toHaveBeenCalledWith(payload);
  });

  it('onBackupChecked listens to backup-checked', async () => {
    event.listen.mockResolvedValue(() => {});
    const cb = vi.fn();
    await ipc.onBackupChecked(cb);
    expect(event.listen).toHaveBeenCalledWith('backup-checked', expect.any(Function));
    const handler = event.listen.mock.calls[0]?.[1] as (e: { payload: unknown }) => void;
    handler({ payload: { account: 1, backup_id: 'bk' } });
    expect(cb).toHaveBeenCalledWith({ account: 1, backup_id: 'bk' });
  });
});

import { fireEvent, screen, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/ipc', () => import('../test/ipc-mock'));

import type { BackupsView, DownloadedView, ProgressView } from '../lib/bindings';
import {
  formatDate,
  formatDuration,
  formatLongDateTime,
  formatRelative,
  formatSize,
} from '../lib/format';
import { setLanguageSetting } from '../lib/i18n/i18n.svelte';
import * as ipc from '../lib/ipc';
import * as fx from '../test/fixtures';
import { deferred, flush, renderWithPrompts, resetAll, text } from '../test/helpers';
import { detailOf, openDetail, rowOf } from '../test/history';
import Backups from './Backups.svelte';

beforeEach(resetAll);

const owner = fx.account();
const viewer = fx.account({ role: 'viewer', may_request: false, may_download: false });

function show(view: BackupsView = fx.backupsView(), account = owner) {
  vi.mocked(ipc.backups).mockResolvedValue(view);
  return renderWithPrompts(Backups, { account });
}

describe('history', () => {
  it('shows a badge for each status, the raw value of an invalid one and server errors', async () => {
    show(
      fx.backupsView({
        backups: [
          fx.row({ id: 'a', status: 'awaiting_release', raw_status: 'awaiting_release', window: 'none', expires_at: null }),
          fx.row({ id: 'p', status: 'in_progress', raw_status: 'in_progress', window: 'none', expires_at: null }),
          fx.row({ id: 'r', status: 'ready' }),
          fx.row({ id: 'e', status: 'expired', raw_status: 'expired', window: 'closed' }),
          fx.row({ id: 's', status: 'server_error', raw_status: 'server_error', window: 'none', error_message: 'Disk full at the provider' }),
          fx.row({ id: 'i', status: 'invalid', raw_status: 'archived_cold', window: 'none' }),
        ],
      }),
    );
    await screen.findByTestId('backups');
    const badges = screen.getAllByTestId('badge');
    expect(badges.map((b) => [b.dataset.status, text(b)])).toEqual([
      ['awaiting_release', 'Awaiting release'],
      ['in_progress', 'In progress'],
      ['ready', 'Ready'],
      ['expired', 'Expired'],
      ['server_error', 'Server error'],
      ['invalid', 'Invalid value (archived_cold)'],
    ]);
    expect(text(within(await openDetail('s')).getByTestId('error-message'))).toBe('Disk full at the provider');
    // Only a ready row in its window offers a download.
    expect(within(await rowOf('r')).getByTestId('download')).toBeTruthy();
    for (const id of ['a', 'p', 'e', 's', 'i']) {
      expect(within(await rowOf(id)).queryByTestId('download')).toBeNull();
    }
  });

  it('shows the table columns and localized dates and sizes', async () => {
    show();
    const table = await screen.findByTestId('backups');
    expect(within(table).getAllByRole('columnheader').map((th) => text(th))).toEqual([
      'Requested', 'By', 'Status', 'Expires', 'Size', 'Action',
    ]);
    const cells = within(await rowOf('bk-1')).getAllByRole('cell');
    // Another year than this one: with its year.
    expect(text(cells[0] ?? null)).toBe('Mar 1, 2025, 9:30 AM');
    expect(text(cells[1] ?? null)).toBe('Olivia');
    expect(text(cells[4] ?? null)).toBe('1.5 MB');
    expect(text(screen.getByTestId('time-zone'))).toMatch(/^Times in /);
    // The rest is in the row's detail.
    const detail = await openDetail('bk-1');
    expect(text(within(detail).getByTestId('requested-by'))).toBe('Olivia');
    expect(text(detail)).toContain(formatLongDateTime('2025-03-02T10:00:00Z'));
    expect(text(detail)).toContain('1,572,864 bytes');
    expect(text(detail)).toContain('Nothing downloaded yet.');
    // The toggle closes it again, and a click on the row does the same.
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('toggle-detail'));
    expect(document.querySelector('tr[data-detail-of="bk-1"]')).toBeNull();
    await fireEvent.click(within(await rowOf('bk-1')).getAllByRole('cell')[1]!);
    expect(await detailOf('bk-1')).toBeTruthy();
  });

  it('writes dates compactly: no year for this year, numeric months in Portuguese', async () => {
    const thisYear = new Date().getFullYear();
    const iso = `${thisYear}-11-29T10:40:00Z`;
    setLanguageSetting('pt-BR');
    show(fx.backupsView({ backups: [fx.row({ requested_at: iso })] }));
    const cell = within(await rowOf('bk-1')).getByTestId('requested-at');
    expect(text(cell)).toBe(
      new Intl.DateTimeFormat('pt-BR', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(iso)),
    );
    expect(text(cell)).toMatch(/^\d\d\/\d\d, \d\d:\d\d$/);
    expect(text(screen.getByTestId('time-zone'))).toMatch(/^Horários em /);
  });

  it('words the download window: open, expiring soon, closed, none', async () => {
    const soon = fx.fromNow(20 * fx.HOUR);
    const open = fx.fromNow(3 * fx.DAY + fx.HOUR);
    show(
      fx.backupsView({
        backups: [
          fx.row({ id: 'open', window: 'open', expires_at: open }),
          fx.row({ id: 'soon', window: 'expiring_soon', expires_at: soon }),
          fx.row({ id: 'closed', status: 'expired', window: 'closed', expires_at: '2025-02-01T12:00:00Z' }),
          fx.row({ id: 'none', status: 'in_progress', window: 'none', expires_at: null }),
        ],
      }),
    );
    const cell = async (id: string) => within(await rowOf(id)).getByTestId('expires');
    expect(text(await cell('open'))).toBe('expires in 3 days');
    expect((await cell('open')).classList.contains('expiring-soon')).toBe(false);
    const soonCell = await cell('soon');
    expect(soonCell.classList.contains('expiring-soon')).toBe(true);
    expect(soonCell.querySelector('svg')).not.toBeNull();
    expect(text(soonCell)).toContain(`expires ${formatRelative(soon, Date.now())}`);
    expect(text(await cell('closed'))).toBe(`expired on ${formatDate('2025-02-01T12:00:00Z')}`);
    expect(text(await cell('none'))).toBe('—');
  });

  it('says when there is nothing yet', async () => {
    show(fx.backupsView({ backups: [] }));
    expect(text(await screen.findByTestId('empty'))).toContain('No backups yet');
    expect(screen.queryByTestId('backups')).toBeNull();
  });

  it('shows a loading state until the first answer', async () => {
    const pending = deferred<BackupsView>();
    vi.mocked(ipc.backups).mockReturnValue(pending.promise);
    renderWithPrompts(Backups, { account: owner });
    expect(text(screen.getByTestId('loading'))).toContain('Loading backups…');
    expect((screen.getByTestId('request') as HTMLButtonElement).disabled).toBe(true);
    pending.resolve(fx.backupsView());
    expect(await screen.findByTestId('backups')).toBeTruthy();
  });

  it('Refresh asks again', async () => {
    show();
    await screen.findByTestId('backups');
    await fireEvent.click(screen.getByTestId('refresh'));
    await vi.waitFor(() => expect(ipc.backups).toHaveBeenCalledTimes(2));
  });

  it('shows an error other than offline with Retry', async () => {
    vi.mocked(ipc.backups).mockRejectedValue(fx.appErr('unauthorized', 'Token revoked.'));
    renderWithPrompts(Backups, { account: owner });
    const error = await screen.findByTestId('error');
    expect(text(error)).toContain('Token revoked.');
    expect(screen.queryByTestId('offline')).toBeNull();
  });
});

describe('requesting a backup', () => {
  const next = '2025-03-04T10:00:00Z';

  it('is disabled during the cooldown, with the date in English', async () => {
    show(fx.backupsView({ gate: 'cooldown', next_allowed_at: next }));
    const reason = await screen.findByTestId('request-reason');
    expect((screen.getByTestId('request') as HTMLButtonElement).disabled).toBe(true);
    expect(text(reason)).toBe('The next backup can be requested on March 4, 2025 at 10:00 AM');
    expect(text(reason)).toBe(`The next backup can be requested on ${formatLongDateTime(next)}`);
  });

  it('is disabled during the cooldown, with the date in Portuguese', async () => {
    setLanguageSetting('pt-BR');
    show(fx.backupsView({ gate: 'cooldown', next_allowed_at: next }));
    const reason = await screen.findByTestId('request-reason');
    expect(text(reason)).toBe('O próximo backup poderá ser solicitado em 4 de março de 2025 às 10:00');
    expect(text(screen.getByTestId('request'))).toBe('Solicitar backup');
  });

  it.each([
    ['request_in_progress', 'A backup is being prepared; wait until it finishes'],
    ['forbidden', 'Your role (Owner) can view backups but not request them'],
    ['other', 'A backup cannot be requested now'],
  ] as const)('explains the %s gate', async (gate, reason) => {
    show(fx.backupsView({ gate }));
    expect(text(await screen.findByTestId('request-reason'))).toBe(reason);
    expect((screen.getByTestId('request') as HTMLButtonElement).disabled).toBe(true);
  });

  it('asks for confirmation, then requests and shows the new list', async () => {
    show(fx.backupsView({ cooldown_seconds: 28 * 86400 }));
    const request = await screen.findByTestId('request');
    await vi.waitFor(() => expect((request as HTMLButtonElement).disabled).toBe(false));
    expect(screen.queryByTestId('request-reason')).toBeNull();
    await fireEvent.click(request);
    const dialog = screen.getByTestId('request-dialog');
    expect(text(dialog)).toContain('Request a backup of Acme Corp?');
    expect(text(dialog)).toContain(
      `The next request will be possible only after ${formatDuration(28 * 86400)}.`,
    );
    expect(text(dialog)).toContain('28 days');

    const after = fx.backupsView({
      gate: 'request_in_progress',
      backups: [fx.row({ id: 'new', status: 'awaiting_release', raw_status: 'awaiting_release', window: 'none' }), fx.row()],
    });
    vi.mocked(ipc.backupRequest).mockResolvedValue(after);
    await fireEvent.click(within(dialog).getByTestId('confirm-request'));
    expect(ipc.backupRequest).toHaveBeenCalledWith(1);
    expect(await rowOf('new')).toBeTruthy();
    expect(screen.queryByTestId('request-dialog')).toBeNull();
    expect(text(screen.getByTestId('request-reason'))).toBe(
      'A backup is being prepared; wait until it finishes',
    );
  });

  it('a poll answering after the request’s list does not overwrite it', async () => {
    show();
    const request = await screen.findByTestId('request');
    await vi.waitFor(() => expect((request as HTMLButtonElement).disabled).toBe(false));

    // A poll goes out before the request and answers (with the old list) after it.
    const late = deferred<BackupsView>();
    vi.mocked(ipc.backups).mockReturnValueOnce(late.promise);
    await fireEvent.click(screen.getByTestId('refresh'));
    expect(ipc.backups).toHaveBeenCalledTimes(2);

    vi.mocked(ipc.backupRequest).mockResolvedValue(
      fx.backupsView({
        gate: 'request_in_progress',
        backups: [fx.row({ id: 'new', status: 'awaiting_release', raw_status: 'awaiting_release', window: 'none' }), fx.row()],
      }),
    );
    await fireEvent.click(request);
    await fireEvent.click(screen.getByTestId('confirm-request'));
    expect(await rowOf('new')).toBeTruthy();

    late.resolve(fx.backupsView());
    await flush();
    expect(await rowOf('new')).toBeTruthy();
    expect((screen.getByTestId('request') as HTMLButtonElement).disabled).toBe(true);
    expect(text(screen.getByTestId('request-reason'))).toBe(
      'A backup is being prepared; wait until it finishes',
    );
    // Polling goes on: a later answer is applied again.
    await fireEvent.click(screen.getByTestId('refresh'));
    await vi.waitFor(() => expect(document.querySelector('tr[data-backup-id="new"]')).toBeNull());
  });

  it('Cancel closes the dialog without requesting', async () => {
    show();
    const request = await screen.findByTestId('request');
    await vi.waitFor(() => expect((request as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(request);
    await fireEvent.click(screen.getByTestId('cancel-request'));
    expect(screen.queryByTestId('request-dialog')).toBeNull();
    expect(ipc.backupRequest).not.toHaveBeenCalled();
  });

  it('shows the provider’s refusal', async () => {
    show();
    const request = await screen.findByTestId('request');
    await vi.waitFor(() => expect((request as HTMLButtonElement).disabled).toBe(false));
    vi.mocked(ipc.backupRequest).mockRejectedValue(
      fx.appErr('cooldown', 'A backup was requested recently.', { next_allowed_at: next }),
    );
    await fireEvent.click(request);
    await fireEvent.click(screen.getByTestId('confirm-request'));
    const error = await screen.findByTestId('error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(text(error)).toContain('Too soon for another backup');
    expect(text(error)).toContain('A backup was requested recently.');
    expect(text(error)).toContain(formatLongDateTime(next));
  });
});

describe('downloading', () => {
  const terms = { version: 'v2', text: 'Line one.\nLine two.', accepted: false };
  const done: DownloadedView = {
    path: '/home/o/Downloads/acme-bk-1.zip',
    sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    size_bytes: 1_572_864,
    verified_at: '2025-03-03T10:00:00Z',
  };

  function progress(p: Partial<ProgressView>): ProgressView {
    return { backup_id: 'bk-1', done: 0, total: 1000, rate: 0, eta_seconds: null, phase: 'downloading', ...p };
  }

  it('terms → accept → progress → verified with the SHA-256', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue(terms);
    vi.mocked(ipc.termsAccept).mockResolvedValue();
    const running = deferred<DownloadedView>();
    let report: (p: ProgressView) => void = () => {};
    vi.mocked(ipc.download).mockImplementation((_a, _id, _existing, onProgress) => {
      report = onProgress;
      return running.promise;
    });

    const row = await rowOf('bk-1');
    await fireEvent.click(within(row).getByTestId('download'));
    expect(ipc.terms).toHaveBeenCalledWith(1, 'bk-1');

    const dialog = await screen.findByTestId('terms-dialog');
    expect(screen.getByTestId('terms-text').textContent).toBe('Line one.\nLine two.');
    expect(ipc.download).not.toHaveBeenCalled();
    await fireEvent.click(within(dialog).getByTestId('accept-terms'));
    expect(ipc.termsAccept).toHaveBeenCalledWith(1, 'bk-1', 'v2');

    await vi.waitFor(() => expect(ipc.download).toHaveBeenCalledTimes(1));
    expect(vi.mocked(ipc.download).mock.calls[0]?.slice(0, 3)).toEqual([1, 'bk-1', 'ask']);
    expect(screen.queryByTestId('terms-dialog')).toBeNull();

    // Progress goes to the row's detail, opened by itself; the row keeps a
    // short status and its one action (Cancel).
    const detail = await detailOf('bk-1');
    report(progress({ done: 0, phase: 'connecting' }));
    await flush();
    expect(text(within(detail).getByTestId('phase'))).toBe('Connecting…');

    report(progress({ done: 500, rate: 2 * 1024 * 1024, eta_seconds: 125 }));
    await flush();
    const bar = within(detail).getByTestId('progress') as HTMLProgressElement;
    expect(bar.value).toBe(500);
    expect(bar.max).toBe(1000);
    expect(text(within(detail).getByTestId('percent'))).toBe('50%');
    expect(text(within(detail).getByTestId('phase'))).toBe('Downloading');
    expect(text(within(detail).getByTestId('speed'))).toBe(`${formatSize(2 * 1024 * 1024)}/s`);
    expect(text(within(detail).getByTestId('eta'))).toBe(`${formatDuration(125, 'short')} left`);
    expect(text(within(row).getByTestId('status-note'))).toBe('Downloading 50%');
    expect(within(row).getAllByRole('button').map((b) => b.dataset.testid)).toEqual([
      'toggle-detail',
      'cancel-download',
    ]);

    report(progress({ done: 1000, phase: 'verifying' }));
    await flush();
    expect(text(within(detail).getByTestId('phase'))).toBe('Verifying…');

    running.resolve(done);
    const verified = await within(detail).findByTestId('verified');
    expect(text(verified)).toContain('Verified');
    expect(within(detail).getByTestId('sha256').textContent).toBe(done.sha256);
    expect(text(within(detail).getByTestId('saved-path'))).toBe(done.path);
    expect(within(detail).queryByTestId('progress')).toBeNull();
    expect(within(row).queryByTestId('status-note')).toBeNull();
    await vi.waitFor(() => expect(ipc.backups).toHaveBeenCalledTimes(2));

    vi.mocked(ipc.showInFolder).mockResolvedValue();
    await fireEvent.click(within(row).getByTestId('show-in-folder'));
    expect(ipc.showInFolder).toHaveBeenCalledWith(1, 'bk-1');
  });

  it('declining the terms starts nothing', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue(terms);
    const row = await rowOf('bk-1');
    await fireEvent.click(within(row).getByTestId('download'));
    await fireEvent.click(await screen.findByTestId('decline-terms'));
    expect(text(await within(await detailOf('bk-1')).findByTestId('download-note'))).toBe(
      'Download not started: the terms were not accepted.',
    );
    expect(ipc.termsAccept).not.toHaveBeenCalled();
    expect(ipc.download).not.toHaveBeenCalled();
  });

  it('an unknown server key is shown, trusted, and the download runs again', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue({ ...terms, accepted: true });
    vi.mocked(ipc.hostKeyTrust).mockResolvedValue();
    vi.mocked(ipc.download)
      .mockRejectedValueOnce(fx.appErr('unknown_host_key', 'Unknown server key.', { fingerprint: 'SHA256:abcDEF123' }))
      .mockResolvedValueOnce(done);
    const row = await rowOf('bk-1');
    await fireEvent.click(within(row).getByTestId('download'));

    const dialog = await screen.findByTestId('hostkey-dialog');
    expect(screen.queryByTestId('terms-dialog')).toBeNull();
    expect(text(dialog)).toContain(
      'First connection to this server. Check its fingerprint with your provider:',
    );
    expect(text(within(dialog).getByTestId('hostkey-fingerprint'))).toBe('SHA256:abcDEF123');
    await fireEvent.click(within(dialog).getByTestId('trust-hostkey'));

    expect(ipc.hostKeyTrust).toHaveBeenCalledWith(1, 'SHA256:abcDEF123');
    expect(await within(await detailOf('bk-1')).findByTestId('verified')).toBeTruthy();
    expect(ipc.download).toHaveBeenCalledTimes(2);
  });

  it('a new server key the provider publishes is shown with where, which type and what it replaces', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue({ ...terms, accepted: true });
    vi.mocked(ipc.hostKeyTrust).mockResolvedValue();
    const key = {
      host: 'sftp.example.com',
      port: 2222,
      key_type: 'Ed25519',
      fingerprint: 'SHA256:new',
      published: true,
      replaces: 'SHA256:old',
    };
    vi.mocked(ipc.download)
      .mockRejectedValueOnce(
        fx.appErr('unknown_host_key', 'New key.', { fingerprint: 'SHA256:new', host_key: key }),
      )
      .mockResolvedValueOnce(done);
    const row = await rowOf('bk-1');
    await fireEvent.click(within(row).getByTestId('download'));

    const dialog = await screen.findByTestId('hostkey-dialog');
    expect(text(dialog)).toContain('The server has a new key');
    expect(text(within(dialog).getByTestId('hostkey-replaces'))).toBe('SHA256:old');
    expect(text(within(dialog).getByTestId('hostkey-fingerprint'))).toBe('SHA256:new');
    expect(text(within(dialog).getByTestId('hostkey-facts'))).toContain('sftp.example.com:2222');
    expect(text(within(dialog).getByTestId('hostkey-facts'))).toContain('Ed25519');
    expect(text(within(dialog).getByTestId('hostkey-published'))).toBe(
      'Matches what the provider publishes.',
    );
    await fireEvent.click(within(dialog).getByTestId('trust-hostkey'));
    expect(ipc.hostKeyTrust).toHaveBeenCalledWith(1, 'SHA256:new');
    expect(await within(await detailOf('bk-1')).findByTestId('verified')).toBeTruthy();
  });

  it('not trusting an unknown server key stops with a neutral message', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue({ ...terms, accepted: true });
    vi.mocked(ipc.download).mockRejectedValue(
      fx.appErr('unknown_host_key', 'Unknown server key.', { fingerprint: 'SHA256:abc' }),
    );
    const row = await rowOf('bk-1');
    await fireEvent.click(within(row).getByTestId('download'));
    await fireEvent.click(await screen.findByTestId('cancel-hostkey'));
    const detail = await detailOf('bk-1');
    expect(text(await within(detail).findByTestId('download-note'))).toBe(
      'Download stopped: the server was not trusted.',
    );
    expect(ipc.hostKeyDecline).toHaveBeenCalledWith(1, 'SHA256:abc');
    expect(within(detail).queryByTestId('error')).toBeNull();
    expect(ipc.hostKeyTrust).not.toHaveBeenCalled();
    expect(ipc.download).toHaveBeenCalledTimes(1);
  });

  it('a changed server key blocks, with no way to trust it', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue({ ...terms, accepted: true });
    vi.mocked(ipc.download).mockRejectedValue(
      fx.appErr('host_key_changed', 'The server key changed.', { fingerprint: 'SHA256:evil' }),
    );
    const row = await rowOf('bk-1');
    await fireEvent.click(within(row).getByTestId('download'));

    const dialog = await screen.findByTestId('hostkey-changed');
    expect(dialog.getAttribute('role')).toBe('alertdialog');
    expect(text(dialog)).toContain('Nothing was downloaded');
    expect(text(dialog)).toContain('Contact your provider before trusting it.');
    expect(text(within(dialog).getByTestId('hostkey-fingerprint'))).toBe('SHA256:evil');
    expect(screen.queryByTestId('trust-hostkey')).toBeNull();
    expect(within(dialog).getAllByRole('button').map((b) => b.dataset.testid)).toEqual([
      'close-hostkey-changed',
    ]);
    await fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Escape' });
    expect(screen.getByTestId('hostkey-changed')).toBeTruthy();

    await fireEvent.click(within(dialog).getByTestId('close-hostkey-changed'));
    expect(screen.queryByTestId('hostkey-changed')).toBeNull();
    expect(ipc.hostKeyTrust).not.toHaveBeenCalled();
    expect(text(within(await detailOf('bk-1')).getByTestId('error'))).toContain('The server key changed.');
  });

  it('Cancel stops the download, which can then be resumed', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue({ ...terms, accepted: true });
    const running = deferred<DownloadedView>();
    vi.mocked(ipc.download).mockReturnValue(running.promise);
    vi.mocked(ipc.downloadCancel).mockImplementation(async () => {
      running.reject(fx.appErr('cancelled', 'The download was cancelled.'));
    });
    const row = await rowOf('bk-1');
    await fireEvent.click(within(row).getByTestId('download'));
    const cancel = await within(row).findByTestId('cancel-download');

    vi.mocked(ipc.backups).mockResolvedValue(fx.backupsView({ backups: [fx.row({ resumable: true })] }));
    await fireEvent.click(cancel);
    expect(ipc.downloadCancel).toHaveBeenCalledWith(1, 'bk-1');
    const resume = await within(await rowOf('bk-1')).findByTestId('resume');
    expect(text(resume)).toBe('Resume');
    expect(text(screen.getByTestId('download-note'))).toBe(
      'Download cancelled. You can resume it later.',
    );
    expect(screen.queryByTestId('error')).toBeNull();
    // One clear state: Resume is the row's only action; nothing says "Verified".
    expect(within(await rowOf('bk-1')).queryByTestId('cancel-download')).toBeNull();
    expect(within(await rowOf('bk-1')).queryByTestId('download')).toBeNull();
    expect(screen.queryByTestId('verified')).toBeNull();
  });

  it('shows other failures with their title and the server’s message', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue({ ...terms, accepted: true });
    vi.mocked(ipc.download).mockRejectedValue(
      fx.appErr('verify_failed', 'The SHA-256 did not match; the file was discarded.'),
    );
    const row = await rowOf('bk-1');
    await fireEvent.click(within(row).getByTestId('download'));
    const error = await within(await detailOf('bk-1')).findByTestId('error');
    expect(text(within(error).getByTestId('error-title'))).toBe('The download did not pass verification');
    expect(text(within(error).getByTestId('error-message'))).toBe(
      'The SHA-256 did not match; the file was discarded.',
    );
    expect(within(error).getByTestId('copy-details')).toBeTruthy();
    expect(within(row).getByTestId('download')).toBeTruthy();
  });

  it('a row downloaded before shows its verified copy, with Download again in its detail', async () => {
    show(fx.backupsView({ backups: [fx.row({ downloaded: done })] }));
    const row = await rowOf('bk-1');
    expect(within(row).getByTestId('show-in-folder')).toBeTruthy();
    expect(within(row).queryByTestId('download')).toBeNull();
    const detail = await openDetail('bk-1');
    expect(within(detail).getByTestId('sha256').textContent).toBe(done.sha256);
    expect(text(within(detail).getByTestId('download-again'))).toBe('Download again');
    expect(within(detail).getByTestId('copy-sha256')).toBeTruthy();
    expect(within(detail).getByTestId('copy-path')).toBeTruthy();
  });

  it('a download running in the backend can be cancelled', async () => {
    show(fx.backupsView({ backups: [fx.row({ downloading: true })] }));
    vi.mocked(ipc.downloadCancel).mockResolvedValue();
    const row = await rowOf('bk-1');
    expect(within(await detailOf('bk-1')).getByTestId('progress')).toBeTruthy();
    await fireEvent.click(within(row).getByTestId('cancel-download'));
    expect(ipc.downloadCancel).toHaveBeenCalledWith(1, 'bk-1');
  });
});

describe('setup inside the download, copies on disk, errors', () => {
  const accepted = { version: 'v2', text: 'Terms.', accepted: true };
  const done: DownloadedView = {
    path: '/home/o/Backups/Acme Corp/acme-bk-1.zip',
    sha256: 'b'.repeat(64),
    size_bytes: 1_572_864,
    verified_at: '2025-03-03T10:00:00Z',
  };

  it('Download again asks first: Replace downloads with "replace"', async () => {
    show(fx.backupsView({ backups: [fx.row({ downloaded: done })] }));
    vi.mocked(ipc.terms).mockResolvedValue(accepted);
    vi.mocked(ipc.download).mockResolvedValue({ ...done, sha256: 'c'.repeat(64) });
    const detail = await openDetail('bk-1');
    await fireEvent.click(within(detail).getByTestId('download-again'));
    const dialog = await screen.findByTestId('existing-dialog');
    expect(text(within(dialog).getByTestId('existing-path'))).toBe(done.path);
    expect(ipc.terms).not.toHaveBeenCalled();
    await fireEvent.click(within(dialog).getByTestId('existing-replace'));
    await vi.waitFor(() => expect(ipc.download).toHaveBeenCalled());
    expect(vi.mocked(ipc.download).mock.calls[0]?.slice(0, 3)).toEqual([1, 'bk-1', 'replace']);
    expect(within(await detailOf('bk-1')).getByTestId('sha256').textContent).toBe('c'.repeat(64));
  });

  it('Cancel on that question leaves the row as it was, with nothing to say', async () => {
    show(fx.backupsView({ backups: [fx.row({ downloaded: done })] }));
    const detail = await openDetail('bk-1');
    await fireEvent.click(within(detail).getByTestId('download-again'));
    await fireEvent.click(await screen.findByTestId('existing-cancel'));
    await flush();
    expect(screen.queryByTestId('existing-dialog')).toBeNull();
    expect(ipc.terms).not.toHaveBeenCalled();
    expect(ipc.download).not.toHaveBeenCalled();
    expect(screen.queryByTestId('download-note')).toBeNull();
    expect(within(await rowOf('bk-1')).getByTestId('show-in-folder')).toBeTruthy();
  });

  it('Cancel on that question right after a download keeps its verified copy in view', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue(accepted);
    vi.mocked(ipc.download).mockResolvedValue(done);
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('download'));
    const detail = await detailOf('bk-1');
    await within(detail).findByTestId('verified');
    await fireEvent.click(within(detail).getByTestId('download-again'));
    await fireEvent.click(await screen.findByTestId('existing-cancel'));
    await flush();
    expect(within(await detailOf('bk-1')).getByTestId('verified')).toBeTruthy();
    expect(ipc.download).toHaveBeenCalledTimes(1);
  });

  it('a copy the window did not know of is asked about when the backend finds it', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue(accepted);
    vi.mocked(ipc.download)
      .mockRejectedValueOnce(fx.appErr('copy_exists', 'A verified copy exists.', { path: done.path }))
      .mockResolvedValueOnce(done);
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('download'));
    const dialog = await screen.findByTestId('existing-dialog');
    expect(text(within(dialog).getByTestId('existing-path'))).toBe(done.path);
    await fireEvent.click(within(dialog).getByTestId('existing-keep-both'));
    await vi.waitFor(() => expect(ipc.download).toHaveBeenCalledTimes(2));
    expect(vi.mocked(ipc.download).mock.calls.map((c) => c[2])).toEqual(['ask', 'keep_both']);
  });

  it('no server or key yet: the setup step is prefilled from the delivery, saved, and the download goes on', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue(accepted);
    const setup = { host: 'sftp.provider.test', port: 2222, username: '', has_connection: false, has_key: false };
    vi.mocked(ipc.download)
      .mockRejectedValueOnce(fx.appErr('connection_missing', 'No SFTP server is set.', { setup }))
      .mockResolvedValueOnce(done);
    vi.mocked(ipc.connectionSave).mockResolvedValue(fx.settingsView());
    vi.mocked(ipc.keyImport).mockRejectedValueOnce(fx.appErr('passphrase_wrong', 'Wrong passphrase.'));
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('download'));

    const dialog = await screen.findByTestId('setup-dialog');
    expect((within(dialog).getByTestId('setup-host') as HTMLInputElement).value).toBe('sftp.provider.test');
    expect((within(dialog).getByTestId('setup-port') as HTMLInputElement).value).toBe('2222');
    expect(document.activeElement).toBe(within(dialog).getByTestId('setup-user'));

    // Nothing typed: one message per field, nothing sent.
    await fireEvent.click(within(dialog).getByTestId('setup-continue'));
    expect(text(dialog)).toContain('Enter the user name your provider gave you.');
    expect(text(dialog)).toContain('Choose the private key file (.pem) your provider gave you.');
    expect(ipc.connectionSave).not.toHaveBeenCalled();

    await fireEvent.input(within(dialog).getByTestId('setup-user'), { target: { value: 'acme' } });
    await fireEvent.input(within(dialog).getByTestId('setup-key'), { target: { value: '/keys/acme.pem' } });
    await fireEvent.input(within(dialog).getByTestId('setup-passphrase'), { target: { value: 'nope' } });
    await fireEvent.click(within(dialog).getByTestId('setup-continue'));
    await vi.waitFor(() => expect(ipc.keyImport).toHaveBeenCalledWith(1, '/keys/acme.pem', 'nope'));
    expect(ipc.connectionSave).toHaveBeenCalledWith(1, { host: 'sftp.provider.test', port: 2222, username: 'acme' });
    expect(text(await within(dialog).findByTestId('setup-passphrase-problem'))).toBe(
      'The passphrase is wrong. Check it and try again.',
    );
    expect((within(dialog).getByTestId('setup-passphrase') as HTMLInputElement).value).toBe('');

    vi.mocked(ipc.keyImport).mockResolvedValueOnce(
      fx.settingsView({ key: { key_type: 'ED25519', fingerprint: 'SHA256:k', encrypted: true, format: 'OpenSSH' } }),
    );
    await fireEvent.input(within(dialog).getByTestId('setup-passphrase'), { target: { value: 'right' } });
    await fireEvent.click(within(dialog).getByTestId('setup-continue'));
    await vi.waitFor(() => expect(ipc.download).toHaveBeenCalledTimes(2));
    expect(screen.queryByTestId('setup-dialog')).toBeNull();
    expect(await within(await detailOf('bk-1')).findByTestId('verified')).toBeTruthy();
  });

  it('closing the setup step stops with a note', async () => {
    show();
    vi.mocked(ipc.terms).mockResolvedValue(accepted);
    const setup = { host: 'h', port: 22, username: 'acme', has_connection: true, has_key: false };
    vi.mocked(ipc.download).mockRejectedValue(fx.appErr('key_missing', 'No key.', { setup }));
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('download'));
    await fireEvent.click(await screen.findByTestId('setup-cancel'));
    expect(text(await within(await detailOf('bk-1')).findByTestId('download-note'))).toBe(
      'Download not started: the server was not set up.',
    );
    expect(ipc.download).toHaveBeenCalledTimes(1);
  });

  it('in Portuguese, an error says what to do in Portuguese; the app’s own words are under Details', async () => {
    setLanguageSetting('pt-BR');
    show();
    vi.mocked(ipc.terms).mockResolvedValue(accepted);
    vi.mocked(ipc.download).mockRejectedValue(
      fx.appErr('disk', 'Cannot create the download folder /x: permission denied. Choose another folder.'),
    );
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('download'));
    const error = await within(await detailOf('bk-1')).findByTestId('error');
    expect(text(within(error).getByTestId('error-title'))).toBe('Não foi possível gravar no disco');
    expect(text(within(error).getByTestId('error-message'))).toBe(
      'Verifique se a pasta de download existe, permite gravação e tem espaço livre, ou escolha outra nas Configurações.',
    );
    expect(text(within(error).getByTestId('error-details'))).toContain('permission denied');
    expect(text(within(error).getByTestId('copy-details'))).toBe('Copiar detalhes');
  });

  it('Show in folder that fails says where the file is, with Copy path', async () => {
    show(fx.backupsView({ backups: [fx.row({ downloaded: done })] }));
    vi.mocked(ipc.showInFolder).mockRejectedValue(
      fx.appErr('failed', `Could not open the file manager. The file is at ${done.path}.`, { path: done.path }),
    );
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('show-in-folder'));
    const error = await within(await detailOf('bk-1')).findByTestId('error');
    expect(text(within(error).getByTestId('error-path'))).toBe(done.path);
    expect(within(error).getByTestId('error-copy-path')).toBeTruthy();
    expect(text(error)).not.toMatch(/dbus|org\.freedesktop/i);
  });
});

describe('a locked keychain', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('is asked once: no polling until Try again', async () => {
    vi.mocked(ipc.backups).mockRejectedValue(fx.appErr('keychain_locked', 'The keychain is locked.'));
    renderWithPrompts(Backups, { account: owner });
    await vi.advanceTimersByTimeAsync(0);
    const banner = screen.getByTestId('keychain-locked');
    expect(text(banner)).toContain('Keychain locked');
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    window.dispatchEvent(new Event('focus'));
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(1);

    vi.mocked(ipc.keychainRetry).mockResolvedValue();
    vi.mocked(ipc.backups).mockResolvedValue(fx.backupsView());
    await fireEvent.click(within(banner).getByTestId('keychain-retry'));
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.keychainRetry).toHaveBeenCalledTimes(1);
    expect(ipc.backups).toHaveBeenCalledTimes(2);
    expect(screen.queryByTestId('keychain-locked')).toBeNull();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(ipc.backups).toHaveBeenCalledTimes(3);
  });
});

describe('a viewer', () => {
  it('can neither request nor download, and is told why', async () => {
    show(fx.backupsView({ gate: 'allowed' }), viewer);
    const reason = await screen.findByTestId('request-reason');
    expect(text(reason)).toBe('Your role (Viewer) can view backups but not request them');
    expect((screen.getByTestId('request') as HTMLButtonElement).disabled).toBe(true);

    const row = await rowOf('bk-1');
    const download = within(row).getByTestId('download') as HTMLButtonElement;
    expect(download.disabled).toBe(true);
    // Said once above the table, and linked from every disabled button.
    const why = screen.getByTestId('download-reason');
    expect(text(why)).toBe(
      'Your role (Viewer) can see backups but not download them. Ask an owner or admin of the account.',
    );
    expect(download.getAttribute('aria-describedby')).toBe(why.id);
  });
});

describe('polling', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
      now: new Date('2025-03-01T12:00:00Z'),
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('refreshes every 15 s while visible', async () => {
    show();
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(14_900);
    expect(ipc.backups).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(ipc.backups).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(ipc.backups).toHaveBeenCalledTimes(3);
  });

  it('shows an offline banner and backs off 30, 60… s while the provider is unreachable', async () => {
    vi.mocked(ipc.backups).mockRejectedValue(fx.appErr('network', 'Connection refused.'));
    renderWithPrompts(Backups, { account: owner });
    await vi.advanceTimersByTimeAsync(0);
    const banner = screen.getByTestId('offline');
    expect(text(banner)).toBe('Can’t reach the provider — retrying in 30 s Retry now');
    await vi.advanceTimersByTimeAsync(1000);
    expect(text(screen.getByTestId('offline'))).toContain('retrying in 29 s');

    await vi.advanceTimersByTimeAsync(29_000);
    expect(ipc.backups).toHaveBeenCalledTimes(2);
    expect(text(screen.getByTestId('offline'))).toContain('retrying in 60 s');

    await vi.advanceTimersByTimeAsync(60_000);
    expect(ipc.backups).toHaveBeenCalledTimes(3);
    expect(text(screen.getByTestId('offline'))).toContain('retrying in 120 s');

    // Back online: "Retry now" refreshes at once and polling returns to 15 s.
    vi.mocked(ipc.backups).mockResolvedValue(fx.backupsView());
    await fireEvent.click(screen.getByTestId('retry-now'));
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(4);
    expect(screen.queryByTestId('offline')).toBeNull();
    expect(screen.getByTestId('backups')).toBeTruthy();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(ipc.backups).toHaveBeenCalledTimes(5);
  });

  it('keeps the last list visible while offline', async () => {
    show();
    await vi.advanceTimersByTimeAsync(0);
    vi.mocked(ipc.backups).mockRejectedValue(fx.appErr('network', 'Connection refused.'));
    await vi.advanceTimersByTimeAsync(15_000);
    expect(screen.getByTestId('offline')).toBeTruthy();
    expect(screen.getByTestId('backups')).toBeTruthy();
  });

  it('polls every 60 s while the window is hidden and at once when it shows again', async () => {
    show();
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(1);
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(59_900);
    expect(ipc.backups).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(ipc.backups).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ipc.backups).toHaveBeenCalledTimes(3);
    visibility.mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(4);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(ipc.backups).toHaveBeenCalledTimes(5);
  });

  it('backs off while hidden and unreachable, never faster than 60 s', async () => {
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    vi.mocked(ipc.backups).mockRejectedValue(fx.appErr('network', 'Connection refused.'));
    renderWithPrompts(Backups, { account: owner });
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ipc.backups).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ipc.backups).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(119_900);
    expect(ipc.backups).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(100);
    expect(ipc.backups).toHaveBeenCalledTimes(4);
    visibility.mockRestore();
  });

  it('refreshes on window focus and on the backend’s events, and unsubscribes', async () => {
    const stopReady = vi.fn();
    const stopFinished = vi.fn();
    let ready: (e: { account: number; backup_id: string }) => void = () => {};
    let finished: (e: { account: number; backup_id: string; path: string; sha256: string }) => void =
      () => {};
    vi.mocked(ipc.onBackupReady).mockImplementation(async (cb) => {
      ready = cb;
      return stopReady;
    });
    vi.mocked(ipc.onDownloadFinished).mockImplementation(async (cb) => {
      finished = cb;
      return stopFinished;
    });
    const { unmount } = show();
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(1);

    window.dispatchEvent(new Event('focus'));
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(2);

    ready({ account: 1, backup_id: 'bk-1' });
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(3);

    ready({ account: 99, backup_id: 'other' });
    finished({ account: 1, backup_id: 'bk-1', path: '/p', sha256: 'ab' });
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(4);

    unmount();
    expect(stopReady).toHaveBeenCalled();
    expect(stopFinished).toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ipc.backups).toHaveBeenCalledTimes(4);
  });
});

describe('a clicked notification', () => {
  it("opens its backup's detail and moves focus to it, once", async () => {
    const { requestFocus, focusRequest } = await import('../lib/focus.svelte');
    show(fx.backupsView({ backups: [fx.row({ id: 'old' }), fx.row({ id: 'bk_clicked' })] }));
    await screen.findByTestId('backups');
    const toggle = within(await rowOf('bk_clicked')).getByTestId('toggle-detail');
    expect(toggle.getAttribute('aria-expanded'), 'closed before the click').toBe('false');
    requestFocus(owner.id, 'bk_clicked');
    await flush();
    expect(toggle.getAttribute('aria-expanded'), 'the notification is about this backup: its detail opens').toBe('true');
    expect(document.activeElement, 'keyboard and screen reader users land on it').toBe(toggle);
    expect(focusRequest.current?.backupId, 'taken once: a later refresh does not reopen it').toBeNull();
    const other = within(await rowOf('old')).getByTestId('toggle-detail');
    expect(other.getAttribute('aria-expanded')).toBe('false');
  });
});

// What the archive check found, as the history shows it: the damaged badge,
// change-alert markers, the Contents section of a row's detail, the
// "checking" phase of a download and the archive_damaged error.
import { fireEvent, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/ipc', () => import('../test/ipc-mock'));

import type { BackupsView, ContentsView, DownloadedView, ProgressView } from '../lib/bindings';
import { formatSize } from '../lib/format';
import { setLanguageSetting } from '../lib/i18n/i18n.svelte';
import * as ipc from '../lib/ipc';
import * as fx from '../test/fixtures';
import { deferred, flush, renderWithPrompts, resetAll, text } from '../test/helpers';
import { detailOf, openDetail, rowOf } from '../test/history';
import Backups from './Backups.svelte';

beforeEach(resetAll);

const copy: DownloadedView = {
  path: '/home/o/Downloads/acme-bk-1.zip',
  sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  size_bytes: 1_572_864,
  verified_at: '2025-03-03T10:00:00Z',
};
const damagedCopy: DownloadedView = { ...copy, path: '/home/o/Downloads/acme-bk-1.damaged.zip' };

function show(view: BackupsView) {
  vi.mocked(ipc.backups).mockResolvedValue(view);
  return renderWithPrompts(Backups, { account: fx.account() });
}

function showRow(overrides: Parameters<typeof fx.row>[0]) {
  return show(fx.backupsView({ backups: [fx.row(overrides)] }));
}

async function contentsOf(id: string): Promise<HTMLElement> {
  return within(await openDetail(id)).findByTestId('backup-contents');
}

describe('the history row', () => {
  it('says "Archive damaged" instead of offering the copy as a good one', async () => {
    showRow({ downloaded: damagedCopy, archive: 'damaged' });
    vi.mocked(ipc.backupContents).mockResolvedValue(
      fx.contents({ archive: 'damaged', problem: 'contacts.csv: CRC mismatch', path: damagedCopy.path }),
    );
    const row = await rowOf('bk-1');
    const badge = within(row).getByTestId('archive-damaged');
    expect(text(badge), 'a damaged copy must be told apart from a verified one at a glance').toBe('Archive damaged');
    expect(
      within(row).queryByTestId('show-in-folder'),
      'the pinned Show in folder means "a good copy is here": a damaged one is not',
    ).toBeNull();
    expect(
      within(row).getByTestId('download'),
      'the backup is still served: the row offers what it would without a copy',
    ).toBeTruthy();

    const detail = await openDetail('bk-1');
    expect(within(detail).queryByTestId('verified'), 'the detail must not say Verified either').toBeNull();
    const kept = within(detail).getByTestId('damaged-copy');
    expect(text(within(kept).getByTestId('damaged-path'))).toBe(damagedCopy.path);
    expect(within(kept).getByTestId('copy-path')).toBeTruthy();
  });

  it('offers nothing on a damaged copy of a backup no longer served', async () => {
    showRow({ status: 'expired', raw_status: 'expired', window: 'closed', downloaded: damagedCopy, archive: 'damaged' });
    const row = await rowOf('bk-1');
    expect(within(row).getByTestId('archive-damaged')).toBeTruthy();
    expect(within(row).queryByTestId('show-in-folder'), 'no action may claim a good copy').toBeNull();
    expect(within(row).queryByTestId('download')).toBeNull();
  });

  it('keeps an intact copy’s Show in folder and shows no damage', async () => {
    showRow({ downloaded: copy, archive: 'intact' });
    const row = await rowOf('bk-1');
    expect(within(row).getByTestId('show-in-folder')).toBeTruthy();
    expect(within(row).queryByTestId('archive-damaged'), 'only a damaged archive gets the badge').toBeNull();
    expect(within(row).queryByTestId('alert-marker')).toBeNull();
  });

  it('marks a change alert compactly, with the full line in its title', async () => {
    showRow({ downloaded: copy, archive: 'intact', alerts: [fx.alert()] });
    const marker = within(await rowOf('bk-1')).getByTestId('alert-marker');
    expect(text(marker), 'the row says which object dropped and by how much').toBe('Change alert: −31% contacts');
    expect(marker.getAttribute('title')).toBe('contacts: 10,234 → 7,102 (−31%)');
  });

  it('counts several alerts, in the person’s language', async () => {
    setLanguageSetting('pt-BR');
    showRow({
      downloaded: copy,
      archive: 'intact',
      alerts: [fx.alert(), fx.alert({ object: 'tickets', before: 8, after: null })],
    });
    const marker = within(await rowOf('bk-1')).getByTestId('alert-marker');
    expect(text(marker)).toBe('Alerta de mudança: 2 alertas');
    expect(marker.getAttribute('title'), 'every alert is in the tooltip, localized').toBe(
      'contacts: 10.234 → 7.102 (−31%)\ntickets: 8 → ausente',
    );
  });

  it('refreshes when the backend announces a check (damage or alerts found)', async () => {
    let checked: (e: { account: number; backup_id: string }) => void = () => {};
    vi.mocked(ipc.onBackupChecked).mockImplementation(async (cb) => {
      checked = cb;
      return () => {};
    });
    showRow({});
    await rowOf('bk-1');
    await vi.waitFor(() => expect(ipc.onBackupChecked).toHaveBeenCalled());
    const before = vi.mocked(ipc.backups).mock.calls.length;
    vi.mocked(ipc.backups).mockResolvedValue(
      fx.backupsView({ backups: [fx.row({ downloaded: damagedCopy, archive: 'damaged' })] }),
    );
    checked({ account: 1, backup_id: 'bk-1' });
    expect(
      await within(await rowOf('bk-1')).findByTestId('archive-damaged'),
      'an automatic download found damaged must show without waiting for the next poll',
    ).toBeTruthy();
    expect(vi.mocked(ipc.backups).mock.calls.length).toBe(before + 1);
  });
});

describe('the Contents section', () => {
  it('is not there for a backup not downloaded here', async () => {
    showRow({});
    const detail = await openDetail('bk-1');
    expect(within(detail).queryByTestId('backup-contents')).toBeNull();
    expect(ipc.backupContents).not.toHaveBeenCalled();
  });

  it('lists an intact backup’s objects with localized records and sizes, and the total', async () => {
    showRow({ downloaded: copy, archive: 'intact' });
    vi.mocked(ipc.backupContents).mockResolvedValue(fx.contents());
    const section = await contentsOf('bk-1');
    expect(ipc.backupContents).toHaveBeenCalledWith(1, 'bk-1');
    await within(section).findByTestId('contents-intact');
    const rows = within(section).getAllByTestId('contents-row');
    expect(rows.map((r) => r.dataset.object)).toEqual(['contacts', 'tickets', 'manifest.json']);
    const contacts = section.querySelector('[data-object="contacts"]')!;
    expect(text(within(contacts as HTMLElement).getByTestId('contents-rows'))).toBe('10,234');
    expect(text(contacts)).toContain(formatSize(1_048_576));
    expect(
      text(within(rows[2]!).getByTestId('contents-rows')),
      'a file that is not a table has no record count',
    ).toBe('—');
    expect(text(within(section).getByTestId('contents-total'))).toContain('10,242');
    expect(text(within(section).getByTestId('contents-compared'))).toBe('Compared with bk-0');
    expect(within(section).queryByTestId('contents-alerts')).toBeNull();
    expect(within(section).queryByTestId('contents-damaged')).toBeNull();
  });

  it('writes numbers the Brazilian way in Portuguese', async () => {
    setLanguageSetting('pt-BR');
    showRow({ downloaded: copy, archive: 'intact' });
    vi.mocked(ipc.backupContents).mockResolvedValue(fx.contents());
    const section = await contentsOf('bk-1');
    const cell = await vi.waitFor(() => {
      const el = section.querySelector<HTMLElement>('[data-object="contacts"] [data-testid="contents-rows"]');
      if (!el) throw new Error('no contacts row yet');
      return el;
    });
    expect(text(cell), 'records are grouped with the locale’s separator').toBe('10.234');
    expect(text(within(section).getByTestId('contents-compared'))).toBe('Comparado com bk-0');
  });

  it('puts change alerts first, localized from the numbers', async () => {
    setLanguageSetting('pt-BR');
    showRow({ downloaded: copy, archive: 'intact', alerts: [fx.alert()] });
    vi.mocked(ipc.backupContents).mockResolvedValue(
      fx.contents({
        alerts: [fx.alert(), fx.alert({ object: 'tickets', before: 8, after: null, text: 'tickets: 8 → missing' })],
      }),
    );
    const section = await contentsOf('bk-1');
    const alerts = await within(section).findByTestId('contents-alerts');
    expect(
      section.firstElementChild?.nextElementSibling,
      'alerts come right under the heading, before the table',
    ).toBe(alerts);
    expect(within(alerts).getAllByTestId('contents-alert').map(text)).toEqual([
      'contacts: 10.234 → 7.102 (−31%)',
      'tickets: 8 → ausente',
    ]);
  });

  it('says what is wrong with a damaged archive and what to do, and marks broken entries', async () => {
    showRow({ downloaded: damagedCopy, archive: 'damaged' });
    const objects: ContentsView['objects'] = [
      { entry: 'contacts.csv', object: 'contacts', rows: 10_234, bytes: 1_048_576, crc_ok: false },
      { entry: 'tickets.csv', object: 'tickets', rows: 8, bytes: 2_048, crc_ok: true },
    ];
    vi.mocked(ipc.backupContents).mockResolvedValue(
      fx.contents({ archive: 'damaged', problem: 'contacts.csv: CRC mismatch', objects, compared_with: null }),
    );
    const section = await contentsOf('bk-1');
    const box = await within(section).findByTestId('contents-damaged');
    expect(text(box)).toContain('The archive is damaged');
    expect(text(within(box).getByTestId('contents-problem'))).toBe('contacts.csv: CRC mismatch');
    expect(text(box), 'the person must learn the next step, not only the fault').toContain(
      'Request a new backup and tell the provider.',
    );
    expect(within(section).queryByTestId('contents-intact')).toBeNull();
    const bad = section.querySelector<HTMLElement>('[data-object="contacts"]')!;
    expect(within(bad).getByTestId('contents-crc-bad'), 'the broken entry is pointed out').toBeTruthy();
    expect(
      within(section.querySelector<HTMLElement>('[data-object="tickets"]')!).queryByTestId('contents-crc-bad'),
    ).toBeNull();
  });

  it('offers Check now for a copy never checked, shows it busy, then what it found', async () => {
    showRow({ downloaded: copy, archive: 'unchecked' });
    const checking = deferred<ContentsView>();
    vi.mocked(ipc.backupCheck).mockReturnValue(checking.promise);
    const section = await contentsOf('bk-1');
    const unchecked = within(section).getByTestId('contents-unchecked');
    expect(text(unchecked)).toContain('Not checked yet');
    expect(ipc.backupContents, 'an unchecked copy has no contents to ask for').not.toHaveBeenCalled();

    const button = within(unchecked).getByTestId('check-now') as HTMLButtonElement;
    await fireEvent.click(button);
    expect(ipc.backupCheck).toHaveBeenCalledWith(1, 'bk-1');
    expect(button.disabled, 'a second click must not start a second check').toBe(true);
    expect(text(button)).toBe('Checking the archive…');

    const refreshes = vi.mocked(ipc.backups).mock.calls.length;
    checking.resolve(fx.contents());
    expect(await within(section).findByTestId('contents-intact')).toBeTruthy();
    expect(within(section).getAllByTestId('contents-row')).toHaveLength(3);
    expect(within(section).queryByTestId('contents-unchecked')).toBeNull();
    await vi.waitFor(() =>
      expect(
        vi.mocked(ipc.backups).mock.calls.length,
        'the history is refreshed so the row shows what the check found',
      ).toBeGreaterThan(refreshes),
    );
  });

  it('shows a failed check in an error banner, with Retry', async () => {
    showRow({ downloaded: copy, archive: 'unchecked' });
    vi.mocked(ipc.backupCheck)
      .mockRejectedValueOnce(fx.appErr('not_found', 'No copy of backup bk-1 is on this computer.'))
      .mockResolvedValueOnce(fx.contents());
    const section = await contentsOf('bk-1');
    await fireEvent.click(within(section).getByTestId('check-now'));
    const error = await within(section).findByTestId('error');
    expect(text(error)).toContain('No copy of backup bk-1 is on this computer.');
    await fireEvent.click(within(error).getByRole('button', { name: 'Retry' }));
    expect(await within(section).findByTestId('contents-intact')).toBeTruthy();
    expect(ipc.backupCheck).toHaveBeenCalledTimes(2);
  });

  it('is read again after a download finishes', async () => {
    const running = deferred<DownloadedView>();
    showRow({});
    vi.mocked(ipc.terms).mockResolvedValue({ version: 'v1', text: 'T', accepted: true });
    vi.mocked(ipc.download).mockReturnValue(running.promise);
    vi.mocked(ipc.backupContents).mockResolvedValue(fx.contents({ alerts: [fx.alert()] }));
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('download'));
    const detail = await detailOf('bk-1');
    expect(within(detail).queryByTestId('backup-contents')).toBeNull();

    vi.mocked(ipc.backups).mockResolvedValue(
      fx.backupsView({ backups: [fx.row({ downloaded: copy, archive: 'intact', alerts: [fx.alert()] })] }),
    );
    running.resolve(copy);
    const alerts = await within(await detailOf('bk-1')).findByTestId('contents-alerts');
    expect(text(alerts), 'what the new copy holds shows without reopening the row').toContain(
      'contacts: 10,234 → 7,102 (−31%)',
    );
    expect(ipc.backupContents).toHaveBeenCalledWith(1, 'bk-1');
  });

  it('is not asked again on every poll', async () => {
    showRow({ downloaded: copy, archive: 'intact' });
    vi.mocked(ipc.backupContents).mockResolvedValue(fx.contents());
    const section = await contentsOf('bk-1');
    await within(section).findByTestId('contents-intact');
    await fireEvent.click(screen.getByTestId('refresh'));
    await vi.waitFor(() => expect(ipc.backups).toHaveBeenCalledTimes(2));
    await flush();
    expect(ipc.backupContents, 'a new list with the same copy changes nothing inside it').toHaveBeenCalledTimes(1);
  });
});

describe('a download being checked', () => {
  function progress(p: Partial<ProgressView>): ProgressView {
    return { backup_id: 'bk-1', done: 0, total: 1000, rate: 0, eta_seconds: null, phase: 'checking', ...p };
  }

  async function start(): Promise<(p: ProgressView) => void> {
    showRow({});
    vi.mocked(ipc.terms).mockResolvedValue({ version: 'v1', text: 'T', accepted: true });
    let report: (p: ProgressView) => void = () => {};
    vi.mocked(ipc.download).mockImplementation((_a, _id, _existing, onProgress) => {
      report = onProgress;
      return new Promise(() => {});
    });
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('download'));
    await vi.waitFor(() => expect(ipc.download).toHaveBeenCalled());
    return (p) => report(p);
  }

  it('says it is checking the archive, with a bar of the bytes read', async () => {
    const report = await start();
    report(progress({ done: 250 }));
    await flush();
    const detail = await detailOf('bk-1');
    expect(text(within(detail).getByTestId('phase'))).toBe('Checking the archive…');
    const bar = within(detail).getByTestId('progress') as HTMLProgressElement;
    expect(bar.value).toBe(250);
    expect(bar.max).toBe(1000);
    expect(text(within(await rowOf('bk-1')).getByTestId('status-note')), 'the row must not say Downloading').toBe(
      'Checking 25%',
    );
  });

  it('says it in Portuguese', async () => {
    setLanguageSetting('pt-BR');
    const report = await start();
    report(progress({ done: 500 }));
    await flush();
    expect(text(within(await detailOf('bk-1')).getByTestId('phase'))).toBe('Conferindo o arquivo…');
  });
});

describe('a download whose archive is damaged', () => {
  it('explains it and shows where the damaged copy was kept, with Copy path', async () => {
    showRow({});
    vi.mocked(ipc.terms).mockResolvedValue({ version: 'v1', text: 'T', accepted: true });
    vi.mocked(ipc.download).mockRejectedValue(
      fx.appErr('archive_damaged', 'Backup bk-1 is damaged: contacts.csv: CRC mismatch.', {
        path: damagedCopy.path,
      }),
    );
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('download'));
    const error = await within(await detailOf('bk-1')).findByTestId('error');
    expect(error.dataset.code).toBe('archive_damaged');
    expect(text(within(error).getByTestId('error-title'))).toBe('The backup archive is damaged');
    expect(text(error), 'the path is said as the damaged copy’s, not as a good file').toContain(
      `The damaged copy was kept at: ${damagedCopy.path}`,
    );
    expect(within(error).getByTestId('error-copy-path')).toBeTruthy();
  });

  it('says what to do in Portuguese', async () => {
    setLanguageSetting('pt-BR');
    showRow({});
    vi.mocked(ipc.terms).mockResolvedValue({ version: 'v1', text: 'T', accepted: true });
    vi.mocked(ipc.download).mockRejectedValue(
      fx.appErr('archive_damaged', 'Backup bk-1 is damaged.', { path: damagedCopy.path }),
    );
    await fireEvent.click(within(await rowOf('bk-1')).getByTestId('download'));
    const error = await within(await detailOf('bk-1')).findByTestId('error');
    expect(text(within(error).getByTestId('error-title'))).toBe('O arquivo do backup está danificado');
    expect(text(within(error).getByTestId('error-message'))).toContain('Solicite um novo backup e avise o provedor');
    expect(text(error)).toContain(`A cópia danificada foi guardada em: ${damagedCopy.path}`);
  });
});

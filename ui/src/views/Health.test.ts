import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/ipc', () => import('../test/ipc-mock'));

import type { HealthView } from '../lib/bindings';
import { formatLongDateTime } from '../lib/format';
import { setLanguageSetting } from '../lib/i18n/i18n.svelte';
import * as ipc from '../lib/ipc';
import * as fx from '../test/fixtures';
import { deferred, flush, resetAll, text } from '../test/helpers';
import Health from './Health.svelte';

beforeEach(resetAll);

const AS_OF = '2025-03-01T12:00:00Z';

const red = fx.accountHealth({
  account: fx.account({ id: 1, display_name: 'Acme Corp' }),
  level: 'red',
  reasons: [{ kind: 'copy_too_old', age_days: 45, limit_days: 38 }],
  last_copy_at: '2025-01-15T12:00:00Z',
  last_copy_path: '/home/o/Backups/acme-old.zip',
});
const amber = fx.accountHealth({
  account: fx.account({ id: 2, display_name: 'Beta LLC' }),
  level: 'amber',
  reasons: [
    { kind: 'expires_soon', at: '2025-03-02T08:00:00Z' },
    { kind: 'change_alert', count: 2 },
  ],
  pending: { backup_id: 'bk-9', expires_at: '2025-03-02T08:00:00Z' },
  request_allowed: false,
  next_request_at: '2025-03-20T09:00:00Z',
  automatic: true,
  alerts: [fx.alert(), fx.alert({ object: 'tickets', before: 8, after: null })],
});
const green = fx.accountHealth({
  account: fx.account({ id: 3, display_name: 'Gamma SA' }),
  level: 'green',
  last_copy_at: '2025-02-17T12:00:00Z',
});

function show(view: HealthView = fx.healthView([red, amber, green])) {
  vi.mocked(ipc.health).mockResolvedValue(view);
  return render(Health);
}

async function cardOf(name: string): Promise<HTMLElement> {
  const cards = await screen.findAllByTestId('health-row');
  const card = cards.find((c) => text(c.querySelector('h3')) === name);
  if (!card) throw new Error(`no card for ${name}`);
  return card;
}

describe('the health view', () => {
  it('shows every account with its level in words, not colour alone, and the worst at the top', async () => {
    show();
    const cards = await screen.findAllByTestId('health-row');
    expect(
      cards.map((c) => [c.dataset.level, text(within(c).getByTestId('health-level'))]),
      'each level carries its word, so it reads without colour',
    ).toEqual([
      ['red', 'At risk'],
      ['amber', 'Attention'],
      ['green', 'OK'],
    ]);
    const summary = screen.getByTestId('health-summary');
    expect(summary.dataset.level).toBe('red');
    expect(text(summary)).toBe('At risk At least one account is at risk: it has no recent verified copy.');
  });

  it('explains a copy too old in words, with the limit it broke', async () => {
    show();
    const card = await cardOf('Acme Corp');
    expect(within(card).getAllByTestId('health-reason').map(text)).toEqual([
      'The last verified copy is 45 days old; older than 38 days (cooldown + download window) puts this account at risk.',
    ]);
    expect(text(within(card).getByTestId('health-last-copy'))).toContain('backup made 45 days ago');
    expect(text(within(card).getByTestId('health-copy-path'))).toBe('/home/o/Backups/acme-old.zip');
    expect(within(card).getByTestId('health-copy-path-button'), 'the path can be copied').toBeTruthy();
  });

  it('says what needs attention: a ready backup expiring, change alerts, the next request', async () => {
    show();
    const card = await cardOf('Beta LLC');
    const reasons = within(card).getAllByTestId('health-reason');
    expect(reasons.map((r) => r.dataset.kind)).toEqual(['expires_soon', 'change_alert']);
    expect(text(reasons[0]!)).toBe(
      `A ready backup expires in 20 hours (${formatLongDateTime('2025-03-02T08:00:00Z')}) and is not downloaded yet.`,
    );
    expect(text(reasons[1]!)).toContain('change alerts (2)');
    expect(text(within(card).getByTestId('health-pending'))).toBe(
      `expires on ${formatLongDateTime('2025-03-02T08:00:00Z')} (in 20 hours)`,
    );
    expect(text(within(card).getByTestId('health-next-request'))).toBe(
      `on ${formatLongDateTime('2025-03-20T09:00:00Z')}`,
    );
    expect(text(within(card).getByTestId('health-automatic'))).toBe('On');
    expect(within(within(card).getByTestId('health-alerts')).getAllByRole('listitem').map(text)).toEqual([
      'contacts: 10,234 → 7,102 (−31%)',
      'tickets: 8 → missing',
    ]);
  });

  it('shows an OK account plainly', async () => {
    show();
    const card = await cardOf('Gamma SA');
    expect(within(card).queryAllByTestId('health-reason')).toEqual([]);
    expect(text(within(card).getByTestId('health-last-copy'))).toContain('backup made 12 days ago');
    expect(text(within(card).getByTestId('health-next-request'))).toBe('allowed now');
    expect(text(within(card).getByTestId('health-automatic'))).toBe('Off');
    expect(text(within(card).getByTestId('health-alerts'))).toBe('None');
  });

  it('says when there is no verified copy yet, and when the provider could not be asked', async () => {
    show(
      fx.healthView([
        fx.accountHealth({
          level: 'red',
          reasons: [{ kind: 'no_verified_copy' }],
          last_copy_at: null,
          last_copy_backup_id: null,
          last_copy_path: null,
          request_allowed: false,
          next_request_at: null,
          unreachable: 'Connection refused (os error 111)',
          as_of: AS_OF,
        }),
      ]),
    );
    const [card] = await screen.findAllByTestId('health-row');
    expect(text(within(card!).getByTestId('health-last-copy'))).toBe('No verified copy yet');
    expect(text(within(card!).getByTestId('health-unreachable'))).toBe(
      'Provider unreachable: Connection refused (os error 111)',
    );
    expect(text(within(card!).getByTestId('health-reason'))).toContain(
      'no verified copy on this computer for more than 38 days',
    );
    expect(
      text(within(card!).getByTestId('health-next-request')),
      'without an answer from the provider the next request is not guessed',
    ).toBe('unknown');
  });

  it('speaks Portuguese', async () => {
    setLanguageSetting('pt-BR');
    show();
    const cards = await screen.findAllByTestId('health-row');
    expect(cards.map((c) => text(within(c).getByTestId('health-level')))).toEqual(['Em risco', 'Atenção', 'OK']);
    expect(text(within(cards[0]!).getByTestId('health-last-copy'))).toContain('backup feito há 45 dias');
    expect(within(within(cards[1]!).getByTestId('health-alerts')).getAllByRole('listitem').map(text)).toEqual([
      'contacts: 10.234 → 7.102 (−31%)',
      'tickets: 8 → ausente',
    ]);
  });

  it('shows a loading state, then the accounts; Refresh asks again', async () => {
    const first = deferred<HealthView>();
    vi.mocked(ipc.health).mockReturnValueOnce(first.promise);
    render(Health);
    expect(text(screen.getByTestId('health-loading'))).toBe('Checking every account…');
    first.resolve(fx.healthView([green]));
    expect(await screen.findByTestId('health-row')).toBeTruthy();
    expect(screen.queryByTestId('health-loading')).toBeNull();

    vi.mocked(ipc.health).mockResolvedValue(fx.healthView([red]));
    await fireEvent.click(screen.getByTestId('health-refresh'));
    await vi.waitFor(() => expect(screen.getByTestId('health-row').dataset.level).toBe('red'));
    expect(ipc.health).toHaveBeenCalledTimes(2);
  });

  it('shows a failure with Retry', async () => {
    vi.mocked(ipc.health)
      .mockRejectedValueOnce(fx.appErr('keychain_locked', 'The keychain is locked.'))
      .mockResolvedValueOnce(fx.healthView([green]));
    render(Health);
    const error = await screen.findByTestId('error');
    expect(text(within(error).getByTestId('error-title'))).toBe('Keychain locked');
    await fireEvent.click(within(error).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('health-row')).toBeTruthy();
    expect(screen.queryByTestId('error')).toBeNull();
  });
});

describe('the audit report', () => {
  async function form() {
    show(fx.healthView([green]));
    return screen.findByTestId('audit-report');
  }

  async function setDay(testid: string, value: string) {
    await fireEvent.input(screen.getByTestId(testid), { target: { value } });
  }

  it('covers this month so far by default', async () => {
    const report = await form();
    const now = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    const month = `${now.getFullYear()}-${pad(now.getMonth() + 1)}`;
    expect((within(report).getByTestId('report-from') as HTMLInputElement).value).toBe(`${month}-01`);
    expect((within(report).getByTestId('report-to') as HTMLInputElement).value).toBe(
      `${month}-${pad(now.getDate())}`,
    );
    expect((within(report).getByTestId('report-format') as HTMLSelectElement).value).toBe('csv');
  });

  it('needs both days, in order, and says so on the field', async () => {
    const report = await form();
    await setDay('report-from', '');
    await fireEvent.click(within(report).getByTestId('report-save'));
    expect(text(await within(report).findByTestId('problem-report-from'))).toBe('Choose the first day.');
    expect(within(report).getByTestId('report-from').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement, 'the keyboard lands on the field to fix').toBe(
      within(report).getByTestId('report-from'),
    );

    await setDay('report-from', '2025-03-10');
    await setDay('report-to', '2025-03-01');
    await fireEvent.click(within(report).getByTestId('report-save'));
    expect(within(report).queryByTestId('problem-report-from')).toBeNull();
    expect(text(within(report).getByTestId('problem-report-to'))).toBe(
      'The last day must be on or after the first day.',
    );
    expect(ipc.reportPick, 'nothing is asked of the backend while a date is wrong').not.toHaveBeenCalled();
  });

  it('saves nothing when the Save dialog is cancelled', async () => {
    const report = await form();
    vi.mocked(ipc.reportPick).mockResolvedValue(null);
    await setDay('report-from', '2025-02-01');
    await setDay('report-to', '2025-02-28');
    await fireEvent.click(within(report).getByTestId('report-save'));
    await vi.waitFor(() => expect(ipc.reportPick).toHaveBeenCalledWith('2025-02-01', '2025-02-28', 'csv'));
    await flush();
    expect(ipc.reportSave, 'cancelling the dialog must not write a file anywhere').not.toHaveBeenCalled();
    expect(within(report).queryByTestId('report-saved')).toBeNull();
    expect(within(report).queryByTestId('error')).toBeNull();
  });

  it('saves where the person chose and says where, with Copy path', async () => {
    const report = await form();
    vi.mocked(ipc.reportPick).mockResolvedValue('/home/o/audit.html');
    vi.mocked(ipc.reportSave).mockResolvedValue('/home/o/audit.html');
    await setDay('report-from', '2025-02-01');
    await setDay('report-to', '2025-02-28');
    await fireEvent.change(within(report).getByTestId('report-format'), { target: { value: 'html' } });
    await fireEvent.click(within(report).getByTestId('report-save'));
    const saved = await within(report).findByTestId('report-saved');
    expect(ipc.reportPick).toHaveBeenCalledWith('2025-02-01', '2025-02-28', 'html');
    expect(ipc.reportSave).toHaveBeenCalledWith('2025-02-01', '2025-02-28', 'html', '/home/o/audit.html');
    expect(text(saved)).toBe('Report saved to: /home/o/audit.html');
    expect(within(report).getByTestId('copy-report-path')).toBeTruthy();
  });

  it('shows a failure in an error banner', async () => {
    const report = await form();
    vi.mocked(ipc.reportPick).mockResolvedValue('/read-only/audit.csv');
    vi.mocked(ipc.reportSave).mockRejectedValue(
      fx.appErr('disk', 'Cannot write /read-only/audit.csv: permission denied.'),
    );
    await fireEvent.click(within(report).getByTestId('report-save'));
    const error = await within(report).findByTestId('error');
    expect(text(within(error).getByTestId('error-title'))).toBe('Could not write to disk');
    expect(text(error)).toContain('permission denied');
    expect(within(report).queryByTestId('report-saved')).toBeNull();
    expect((within(report).getByTestId('report-save') as HTMLButtonElement).disabled).toBe(false);
  });
});

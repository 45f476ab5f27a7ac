import { fireEvent, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/ipc', () => import('../test/ipc-mock'));

import { loadAutomatic } from '../lib/automatic.svelte';
import { formatTime } from '../lib/format';
import { setLanguageSetting } from '../lib/i18n/i18n.svelte';
import * as ipc from '../lib/ipc';
import * as fx from '../test/fixtures';
import { flush, renderWithPrompts, resetAll, text } from '../test/helpers';
import AutomaticLine from './AutomaticLine.svelte';
import AutomaticSettings from './AutomaticSettings.svelte';

beforeEach(resetAll);

const owner = fx.account();
const terms = { version: '2025-01', text: 'You store the archive securely.', accepted: false };

async function line(status = fx.automaticStatus()) {
  vi.mocked(ipc.automaticStatus).mockResolvedValue(status);
  await loadAutomatic();
  renderWithPrompts(AutomaticLine, { account: owner });
  return screen.findByTestId('automatic-line');
}

describe('the automatic line above the history', () => {
  it('says automatic mode is off and where to turn it on', async () => {
    const el = await line();
    expect(el.dataset.state).toBe('off');
    expect(text(el)).toContain('Automatic mode is off for this account.');
    expect(within(el).queryByTestId('automatic-check-now')).toBeNull();
  });

  it('shows the next check and what the last pass did; Check now runs one', async () => {
    const next = '2025-03-01T10:15:00Z';
    const last = '2025-03-01T09:58:00Z';
    const el = await line(
      fx.automaticStatus({ next_check_at: next }, [
        fx.accountAutomatic({
          enabled: true,
          last_pass: {
            at: last,
            requested: null,
            downloaded: [{ backup_id: 'bk-1', path: '/b/acme.zip', size_bytes: 10 }],
            error: null,
          },
        }),
      ]),
    );
    expect(el.dataset.state).toBe('on');
    const shown = text(el);
    expect(shown).toContain('Automatic mode on');
    expect(shown).toContain(`next check ${formatTime(Date.parse(next))}`);
    expect(shown).toContain(`last check ${formatTime(Date.parse(last))}: 1 downloaded and verified`);
    vi.mocked(ipc.automaticRunNow).mockResolvedValue(fx.automaticStatus({ running: true }, [fx.accountAutomatic({ enabled: true })]));
    await fireEvent.click(within(el).getByTestId('automatic-check-now'));
    expect(ipc.automaticRunNow).toHaveBeenCalledTimes(1);
    expect(text(await screen.findByTestId('automatic-check-now'))).toBe('Checking…');
  });

  it('a failed pass says why, in Portuguese too', async () => {
    setLanguageSetting('pt-BR');
    const el = await line(
      fx.automaticStatus({}, [
        fx.accountAutomatic({
          enabled: true,
          last_pass: { at: '2025-03-01T09:58:00Z', requested: null, downloaded: [], error: fx.appErr('network', 'Connection refused.') },
        }),
      ]),
    );
    expect(text(within(el).getByTestId('last-pass'))).toContain('falhou: Não foi possível acessar o servidor');
  });

  it('paused: Resume resumes', async () => {
    const el = await line(fx.automaticStatus({ paused: true }, [fx.accountAutomatic({ enabled: true })]));
    expect(el.dataset.state).toBe('paused');
    vi.mocked(ipc.automaticPause).mockResolvedValue(fx.automaticStatus({}, [fx.accountAutomatic({ enabled: true })]));
    await fireEvent.click(within(el).getByTestId('automatic-resume'));
    expect(ipc.automaticPause).toHaveBeenCalledWith(false);
    await vi.waitFor(() => expect(screen.getByTestId('automatic-line').dataset.state).toBe('on'));
  });
});

describe('automatic settings of an account', () => {
  async function settings(status = fx.automaticStatus()) {
    vi.mocked(ipc.automaticStatus).mockResolvedValue(status);
    renderWithPrompts(AutomaticSettings, { account: owner });
    return screen.findByTestId('auto-enabled');
  }

  it('saves each choice as it is made', async () => {
    const enabled = await settings();
    vi.mocked(ipc.automaticSave).mockResolvedValue(fx.automaticStatus({}, [fx.accountAutomatic({ enabled: true })]));
    await fireEvent.click(enabled);
    expect(ipc.automaticSave).toHaveBeenCalledWith(1, {
      enabled: true,
      request_when_allowed: true,
      download_when_ready: true,
      keep: 3,
      accept_terms_version: null,
    });
    expect(await screen.findByTestId('auto-saved')).toBeTruthy();
    await fireEvent.input(screen.getByTestId('auto-keep'), { target: { value: '5' } });
    await fireEvent.change(screen.getByTestId('auto-keep'));
    expect(ipc.automaticSave).toHaveBeenLastCalledWith(1, expect.objectContaining({ enabled: true, keep: 5 }));
  });

  it('keeps 1 to 100 copies, and says so', async () => {
    await settings(fx.automaticStatus({}, [fx.accountAutomatic({ enabled: true })]));
    await fireEvent.input(screen.getByTestId('auto-keep'), { target: { value: '0' } });
    await fireEvent.change(screen.getByTestId('auto-keep'));
    expect(text(screen.getByTestId('problem-keep'))).toBe('Enter a number from 1 to 100.');
    expect(ipc.automaticSave).not.toHaveBeenCalled();
  });

  it('accepting the terms automatically shows them and records the consented version', async () => {
    await settings(fx.automaticStatus({}, [fx.accountAutomatic({ enabled: true })]));
    vi.mocked(ipc.automaticTerms).mockResolvedValue(terms);
    vi.mocked(ipc.automaticSave).mockResolvedValue(
      fx.automaticStatus({}, [fx.accountAutomatic({ enabled: true, accepted_terms_version: '2025-01' })]),
    );
    const box = screen.getByTestId('auto-terms') as HTMLInputElement;
    // Declined: nothing saved, not checked.
    await fireEvent.click(box);
    await fireEvent.click(await screen.findByTestId('decline-terms'));
    await flush();
    expect(box.checked).toBe(false);
    expect(ipc.automaticSave).not.toHaveBeenCalled();
    // Consented.
    await fireEvent.click(box);
    const dialog = await screen.findByTestId('consent-dialog');
    expect(text(dialog)).toContain('Your consent is recorded in the audit log');
    expect(text(dialog)).toContain('You store the archive securely.');
    await fireEvent.click(within(dialog).getByTestId('consent-terms'));
    await vi.waitFor(() =>
      expect(ipc.automaticSave).toHaveBeenCalledWith(1, expect.objectContaining({ accept_terms_version: '2025-01' })),
    );
    expect(text(await screen.findByTestId('auto-terms-version'))).toContain('Consented to version 2025-01');
  });

  it('no backup yet: no terms to consent to, said plainly', async () => {
    await settings(fx.automaticStatus({}, [fx.accountAutomatic({ enabled: true })]));
    vi.mocked(ipc.automaticTerms).mockResolvedValue(null);
    await fireEvent.click(screen.getByTestId('auto-terms'));
    expect(text(await screen.findByTestId('auto-terms-none'))).toContain('No backup yet');
    expect(ipc.automaticSave).not.toHaveBeenCalled();
  });

  it('start at login and the log folder', async () => {
    await settings();
    const box = screen.getByTestId('autostart') as HTMLInputElement;
    await vi.waitFor(() => expect(box.disabled).toBe(false));
    vi.mocked(ipc.autostartSet).mockRejectedValue(fx.appErr('failed', 'No autostart here.'));
    await fireEvent.click(box);
    expect(await screen.findByTestId('error')).toBeTruthy();
    expect(box.checked).toBe(false);
    vi.mocked(ipc.logFolderOpen).mockResolvedValue();
    await fireEvent.click(screen.getByTestId('open-logs'));
    expect(ipc.logFolderOpen).toHaveBeenCalled();
  });
});

describe('a new account', () => {
  it('the line asks for the status again when the loaded one does not know the account', async () => {
    vi.mocked(ipc.automaticStatus).mockResolvedValueOnce(fx.automaticStatus({}, []));
    await loadAutomatic();
    vi.mocked(ipc.automaticStatus).mockResolvedValue(fx.automaticStatus());
    renderWithPrompts(AutomaticLine, { account: owner });
    expect((await screen.findByTestId('automatic-line')).dataset.state).toBe('off');
    expect(ipc.automaticStatus).toHaveBeenCalledTimes(2);
  });
});

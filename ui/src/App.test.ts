import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('./lib/ipc', () => import('./test/ipc-mock'));

import App from './App.svelte';
import * as ipc from './lib/ipc';
import * as fx from './test/fixtures';
import { choose, deferred, resetAll, text } from './test/helpers';

beforeEach(resetAll);

describe('start', () => {
  it('shows the heading and a loading state first', () => {
    vi.mocked(ipc.appInfo).mockReturnValue(new Promise(() => {}));
    render(App);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Backup Desk');
    expect(text(screen.getByRole('status'))).toBe('Loading…');
  });

  it('shows why it could not start, with Retry', async () => {
    vi.mocked(ipc.appInfo)
      .mockRejectedValueOnce(fx.appErr('failed', ipc.NOT_IN_TAURI_MESSAGE))
      .mockResolvedValue(fx.appInfo());
    render(App);
    const alert = await screen.findByTestId('error');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(text(alert)).toContain('Not running inside the desktop app');
    await fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('backups')).toBeTruthy();
  });

  it('follows the OS language', async () => {
    vi.mocked(ipc.appInfo).mockResolvedValue(fx.appInfo({ os_locale: 'pt-BR' }));
    render(App);
    expect(text(await screen.findByTestId('nav-settings'))).toBe('Configurações');
    expect(document.documentElement.lang).toBe('pt-BR');
  });

  it('uses the saved language over the OS one', async () => {
    vi.mocked(ipc.appInfo).mockResolvedValue(fx.appInfo({ os_locale: 'pt-BR', language: 'en' }));
    render(App);
    expect(text(await screen.findByTestId('nav-settings'))).toBe('Settings');
  });
});

describe('welcome', () => {
  beforeEach(() => {
    vi.mocked(ipc.accounts).mockResolvedValue(fx.accountsView([]));
  });

  it('offers the demo and adding an account, without the account header', async () => {
    render(App);
    expect(await screen.findByTestId('welcome')).toBeTruthy();
    expect(screen.getByTestId('try-demo')).toBeTruthy();
    expect(screen.getByTestId('add-account')).toBeTruthy();
    expect(screen.queryByTestId('account-switcher')).toBeNull();
  });

  it('Try the demo shows a loading state, then the demo account’s backups', async () => {
    const started = deferred<ReturnType<typeof fx.accountsView>>();
    vi.mocked(ipc.demoStart).mockReturnValue(started.promise);
    render(App);
    const demo = await screen.findByTestId('try-demo');
    await fireEvent.click(demo);
    expect(ipc.demoStart).toHaveBeenCalledTimes(1);
    expect((demo as HTMLButtonElement).disabled).toBe(true);
    expect(text(demo)).toBe('Starting the demo…');

    started.resolve(fx.accountsView([fx.account({ id: 7, display_name: 'Demo Company', is_demo: true })]));
    expect(await screen.findByTestId('backups')).toBeTruthy();
    const switcher = screen.getByTestId('account-switcher') as HTMLSelectElement;
    expect(text(switcher.selectedOptions[0] ?? null)).toBe('Demo Company (demo)');
    expect(ipc.backups).toHaveBeenCalledWith(7);
  });

  it('shows a demo that fails to start', async () => {
    vi.mocked(ipc.demoStart).mockRejectedValue(fx.appErr('network', 'The demo provider did not start.'));
    render(App);
    await fireEvent.click(await screen.findByTestId('try-demo'));
    expect(text(await screen.findByTestId('error'))).toContain('The demo provider did not start.');
    expect(screen.getByTestId('welcome')).toBeTruthy();
  });

  it('Add an account opens the form', async () => {
    render(App);
    await fireEvent.click(await screen.findByTestId('add-account'));
    expect(screen.getByTestId('provider-url')).toBeTruthy();
  });
});

describe('header', () => {
  const two = fx.accountsView([
    fx.account({ id: 1, display_name: 'Acme Corp', role: 'owner' }),
    fx.account({ id: 2, display_name: 'Beta LLC', role: 'viewer', may_request: false, may_download: false }),
  ]);

  it('shows the accounts, the localized role and the navigation', async () => {
    vi.mocked(ipc.accounts).mockResolvedValue(two);
    render(App);
    const switcher = (await screen.findByTestId('account-switcher')) as HTMLSelectElement;
    expect([...switcher.options].map((o) => text(o))).toEqual(['Acme Corp', 'Beta LLC']);
    expect(switcher.value).toBe('1');
    expect(text(screen.getByTestId('role'))).toBe('Owner');
    expect(screen.getByTestId('nav-backups').getAttribute('aria-current')).toBe('page');
  });

  it('switches accounts with accountUse', async () => {
    vi.mocked(ipc.accounts).mockResolvedValue(two);
    vi.mocked(ipc.accountUse).mockResolvedValue({ ...two, current: 2 });
    render(App);
    await choose(await screen.findByTestId('account-switcher'), '2');
    expect(ipc.accountUse).toHaveBeenCalledWith(2);
    expect(text(await screen.findByText('Viewer'))).toBe('Viewer');
    await vi.waitFor(() => expect(ipc.backups).toHaveBeenLastCalledWith(2));
  });

  it('navigates to Settings and to Add account', async () => {
    render(App);
    await fireEvent.click(await screen.findByTestId('nav-settings'));
    expect(await screen.findByTestId('sftp-host')).toBeTruthy();
    expect(screen.getByTestId('nav-settings').getAttribute('aria-current')).toBe('page');
    await fireEvent.click(screen.getByTestId('nav-add-account'));
    expect(screen.getByTestId('token')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('nav-backups'));
    expect(await screen.findByTestId('backups')).toBeTruthy();
  });

  it('navigates to Health, next to Backups, and moves focus to it', async () => {
    vi.mocked(ipc.health).mockResolvedValue(fx.healthView());
    render(App);
    const nav = await screen.findByTestId('nav-health');
    const order = [...nav.parentElement!.querySelectorAll('button')].map((b) => b.dataset.testid);
    expect(order.slice(0, 3)).toEqual(['nav-backups', 'nav-health', 'nav-settings']);
    await fireEvent.click(nav);
    const view = await screen.findByTestId('health-view');
    expect(nav.getAttribute('aria-current')).toBe('page');
    expect(screen.getByTestId('nav-backups').getAttribute('aria-current')).toBeNull();
    await vi.waitFor(() =>
      expect(document.activeElement, 'keyboard and screen reader users land on the new view').toBe(
        within(view).getByRole('heading', { level: 2 }),
      ),
    );
    expect(await within(view).findByTestId('health-row')).toBeTruthy();
    expect(within(view).getByTestId('audit-report')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('nav-backups'));
    expect(await screen.findByTestId('backups')).toBeTruthy();
  });

  it('asks before leaving Settings with unsaved changes, and stays on No', async () => {
    render(App);
    await fireEvent.click(await screen.findByTestId('nav-settings'));
    await fireEvent.input(await screen.findByTestId('sftp-host'), { target: { value: 'typo.example' } });
    await fireEvent.click(screen.getByTestId('nav-backups'));
    await fireEvent.click(await screen.findByTestId('leave-dialog-no'));
    expect(screen.getByTestId('nav-settings').getAttribute('aria-current')).toBe('page');
    expect((screen.getByTestId('sftp-host') as HTMLInputElement).value).toBe('typo.example');
    await fireEvent.click(screen.getByTestId('nav-backups'));
    await fireEvent.click(await screen.findByTestId('leave-dialog-yes'));
    expect(await screen.findByTestId('backups')).toBeTruthy();
  });

  it('goes back to the welcome once the last account is removed', async () => {
    vi.mocked(ipc.accountRemove).mockResolvedValue(fx.accountsView([]));
    render(App);
    await fireEvent.click(await screen.findByTestId('nav-settings'));
    await fireEvent.click(await screen.findByTestId('remove-account'));
    const dialog = screen.getByTestId('confirm-remove');
    expect(text(dialog)).toContain('Remove Acme Corp?');
    await fireEvent.click(within(dialog).getByTestId('confirm-remove-account'));
    expect(ipc.accountRemove).toHaveBeenCalledWith(1);
    expect(await screen.findByTestId('welcome')).toBeTruthy();
  });
});

describe('closing the window during a download', () => {
  it('asks; Keep downloading leaves it running, Quit quits', async () => {
    let closing: (e: { downloads: number }) => void = () => {};
    vi.mocked(ipc.onQuitRequested).mockImplementation(async (cb) => {
      closing = cb;
      return () => {};
    });
    vi.mocked(ipc.quitApp).mockResolvedValue();
    render(App);
    await screen.findByTestId('backups');
    closing({ downloads: 2 });
    const dialog = await screen.findByTestId('quit-dialog');
    expect(text(dialog)).toContain('Downloads still running: 2');
    expect(document.activeElement).toBe(within(dialog).getByTestId('quit-dialog-no'));
    await fireEvent.click(within(dialog).getByTestId('quit-dialog-no'));
    expect(ipc.quitApp).not.toHaveBeenCalled();
    closing({ downloads: 1 });
    await fireEvent.click(await screen.findByTestId('quit-dialog-yes'));
    await vi.waitFor(() => expect(ipc.quitApp).toHaveBeenCalledTimes(1));
  });
});

describe('a clicked notification', () => {
  it('switches to its account and shows the history from any view', async () => {
    let clicked: (e: { account: number; backup_id: string | null }) => void = () => {};
    vi.mocked(ipc.onBackupFocus).mockImplementation(async (cb) => {
      clicked = cb;
      return () => {};
    });
    const acme = fx.account({ id: 1 });
    const beta = fx.account({ id: 2, account_id: 'beta', display_name: 'Beta' });
    vi.mocked(ipc.accounts).mockResolvedValue(fx.accountsView([acme, beta], 1));
    vi.mocked(ipc.accountUse).mockResolvedValue(fx.accountsView([acme, beta], 2));
    render(App);
    await fireEvent.click(await screen.findByTestId('nav-health'));
    clicked({ account: 2, backup_id: 'bk_9' });
    await vi.waitFor(() => expect(ipc.accountUse).toHaveBeenCalledWith(2));
    expect(
      (await screen.findByTestId('nav-backups')).getAttribute('aria-current'),
      'the notification was about a backup: the history shows',
    ).toBe('page');
  });
});

describe('polling while the app is open', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
      now: new Date('2025-03-01T12:00:00Z'),
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('goes on every 15 s while Settings is shown', async () => {
    render(App);
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(1);
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await vi.advanceTimersByTimeAsync(0);
    expect(screen.getByTestId('sftp-host')).toBeTruthy();
    expect(screen.queryByTestId('backups')).toBeNull();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(ipc.backups).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(ipc.backups).toHaveBeenCalledTimes(3);
    expect(ipc.backups).toHaveBeenLastCalledWith(1);
  });

  it('goes on while Add account is shown, every 60 s once hidden', async () => {
    render(App);
    await vi.advanceTimersByTimeAsync(0);
    await fireEvent.click(screen.getByTestId('nav-add-account'));
    expect(screen.getByTestId('token')).toBeTruthy();
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(59_900);
    expect(ipc.backups).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(ipc.backups).toHaveBeenCalledTimes(2);
    visibility.mockRestore();
  });

  it('refreshes on the backend’s events in Settings, follows the account and stops when closed', async () => {
    const two = fx.accountsView([fx.account({ id: 1 }), fx.account({ id: 2, display_name: 'Beta LLC' })]);
    vi.mocked(ipc.accounts).mockResolvedValue(two);
    vi.mocked(ipc.accountUse).mockResolvedValue({ ...two, current: 2 });
    const stopReady = vi.fn();
    let ready: (e: { account: number; backup_id: string }) => void = () => {};
    vi.mocked(ipc.onBackupReady).mockImplementation(async (cb) => {
      ready = cb;
      return stopReady;
    });
    const { unmount } = render(App);
    await vi.advanceTimersByTimeAsync(0);
    await fireEvent.click(screen.getByTestId('nav-settings'));
    ready({ account: 1, backup_id: 'bk-1' });
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenCalledTimes(2);

    await choose(screen.getByTestId('account-switcher'), '2');
    await vi.advanceTimersByTimeAsync(0);
    expect(ipc.backups).toHaveBeenLastCalledWith(2);
    const calls = vi.mocked(ipc.backups).mock.calls.length;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(vi.mocked(ipc.backups).mock.calls.length).toBe(calls + 1);
    expect(ipc.backups).toHaveBeenLastCalledWith(2);

    unmount();
    expect(stopReady).toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(vi.mocked(ipc.backups).mock.calls.length).toBe(calls + 1);
  });
});

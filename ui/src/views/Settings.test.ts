import { fireEvent, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/ipc', () => import('../test/ipc-mock'));

import { formatLongDateTime } from '../lib/format';
import { languageSetting, setLanguageSetting } from '../lib/i18n/i18n.svelte';
import { confirmLeave, hasUnsaved } from '../lib/unsaved.svelte';
import * as ipc from '../lib/ipc';
import * as fx from '../test/fixtures';
import { choose, renderWithPrompts, resetAll, text } from '../test/helpers';
import Settings from './Settings.svelte';

beforeEach(resetAll);

const key = {
  key_type: 'ssh-ed25519',
  fingerprint: 'SHA256:keyFingerPrint',
  encrypted: true,
  format: 'OpenSSH',
};

function show(view = fx.settingsView()) {
  vi.mocked(ipc.settings).mockResolvedValue(view);
  const onaccounts = vi.fn();
  renderWithPrompts(Settings, { account: fx.account(), onaccounts });
  return { onaccounts };
}

async function input(testid: string, value: string) {
  await fireEvent.input(await screen.findByTestId(testid), { target: { value } });
}

describe('SFTP server', () => {
  it('shows the saved connection and saves a new one with the one Save button', async () => {
    show();
    expect((await screen.findByTestId('sftp-host') as HTMLInputElement).value).toBe('sftp.example.com');
    expect((screen.getByTestId('sftp-port') as HTMLInputElement).value).toBe('22');
    expect((screen.getByTestId('sftp-user') as HTMLInputElement).value).toBe('acme');
    // Nothing changed: no save bar.
    expect(screen.queryByTestId('save-bar')).toBeNull();

    vi.mocked(ipc.connectionSave).mockResolvedValue(
      fx.settingsView({ connection: { host: 'files.example.org', port: 2222, username: 'ops' } }),
    );
    await input('sftp-host', ' files.example.org ');
    await input('sftp-port', '2222');
    await input('sftp-user', 'ops');
    expect(text(screen.getByTestId('unsaved'))).toBe('Unsaved changes');
    // Testing uses what is saved: it waits for the save.
    expect((screen.getByTestId('test-connection') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('save-settings'));
    expect(ipc.connectionSave).toHaveBeenCalledWith(1, {
      host: 'files.example.org',
      port: 2222,
      username: 'ops',
    });
    expect(ipc.preferencesSave).not.toHaveBeenCalled();
    const saved = await screen.findByTestId('save-saved');
    expect(text(saved)).toContain('Saved');
    expect(saved.getAttribute('role')).toBe('status');
    expect(screen.queryByTestId('unsaved')).toBeNull();
  });

  it('shows the backend’s refusal in the save bar', async () => {
    show();
    vi.mocked(ipc.connectionSave).mockRejectedValue(
      fx.appErr('invalid_input', 'Enter the SFTP host name only.'),
    );
    await input('sftp-host', 'other.example.com');
    await fireEvent.click(await screen.findByTestId('save-settings'));
    const error = await within(screen.getByTestId('save-bar')).findByTestId('error');
    expect(text(within(error).getByTestId('error-title'))).toBe('Check what you entered');
    expect(text(within(error).getByTestId('error-message'))).toBe('Enter the SFTP host name only.');
  });

  it('says what is wrong under each field, and sends nothing', async () => {
    show();
    await input('sftp-host', '');
    await input('sftp-port', '70000');
    await input('sftp-user', ' ');
    await fireEvent.click(screen.getByTestId('save-settings'));
    expect(text(await screen.findByTestId('problem-host'))).toBe('Enter the server’s host name.');
    expect(text(screen.getByTestId('problem-port'))).toBe('Enter a port from 1 to 65535.');
    expect(text(screen.getByTestId('problem-user'))).toBe('Enter the user name your provider gave you.');
    expect(screen.getByTestId('sftp-host').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(screen.getByTestId('sftp-host'));
    expect(ipc.connectionSave).not.toHaveBeenCalled();

    await input('sftp-host', 'olivia@sftp.example.com');
    expect(text(screen.getByTestId('problem-host'))).toBe(
      'Enter only the host name, without a user name, port or spaces.',
    );
    await input('sftp-host', 'sftp.example.com:22');
    expect(text(screen.getByTestId('problem-host'))).toBe(
      'Enter only the host name, without a user name, port or spaces.',
    );
  });

  it('Discard puts the saved values back', async () => {
    show();
    await input('sftp-host', 'typo.example.com');
    await fireEvent.click(screen.getByTestId('discard-settings'));
    expect((screen.getByTestId('sftp-host') as HTMLInputElement).value).toBe('sftp.example.com');
    expect(screen.queryByTestId('save-bar')).toBeNull();
  });

  it('leaving with unsaved changes asks first', async () => {
    show();
    await input('sftp-host', 'typo.example.com');
    const leaving = confirmLeave();
    const dialog = await screen.findByTestId('leave-dialog');
    expect(document.activeElement).toBe(within(dialog).getByTestId('leave-dialog-no'));
    await fireEvent.click(within(dialog).getByTestId('leave-dialog-no'));
    expect(await leaving).toBe(false);
    expect(hasUnsaved()).toBe(true);
    const again = confirmLeave();
    await fireEvent.click(await screen.findByTestId('leave-dialog-yes'));
    expect(await again).toBe(true);
  });

  it('tests the connection and shows the server key', async () => {
    show();
    vi.mocked(ipc.connectionTest).mockResolvedValue({ fingerprint: 'SHA256:server' });
    await fireEvent.click(await screen.findByTestId('test-connection'));
    expect(ipc.connectionTest).toHaveBeenCalledWith(1);
    expect(text(await screen.findByTestId('connection-result'))).toBe(
      'Connected — server key SHA256:server',
    );
  });

  it('asks about an unknown server key, trusts it and tests again', async () => {
    show();
    vi.mocked(ipc.hostKeyTrust).mockResolvedValue();
    vi.mocked(ipc.connectionTest)
      .mockRejectedValueOnce(fx.appErr('unknown_host_key', 'Unknown key.', { fingerprint: 'SHA256:new' }))
      .mockResolvedValueOnce({ fingerprint: 'SHA256:new' });
    await fireEvent.click(await screen.findByTestId('test-connection'));
    const dialog = await screen.findByTestId('hostkey-dialog');
    expect(text(within(dialog).getByTestId('hostkey-fingerprint'))).toBe('SHA256:new');
    await fireEvent.click(within(dialog).getByTestId('trust-hostkey'));
    expect(ipc.hostKeyTrust).toHaveBeenCalledWith(1, 'SHA256:new');
    expect(text(await screen.findByTestId('connection-result'))).toBe(
      'Connected — server key SHA256:new',
    );
    expect(ipc.connectionTest).toHaveBeenCalledTimes(2);
    expect(text(screen.getByTestId('trusted-host-key'))).toBe('SHA256:new');
  });

  it('blocks on a changed server key', async () => {
    show(fx.settingsView({ trusted_host_key: 'SHA256:old' }));
    vi.mocked(ipc.connectionTest).mockRejectedValue(
      fx.appErr('host_key_changed', 'Key changed.', { fingerprint: 'SHA256:evil' }),
    );
    expect(text(await screen.findByTestId('trusted-host-key'))).toBe('SHA256:old');
    await fireEvent.click(screen.getByTestId('test-connection'));
    const dialog = await screen.findByTestId('hostkey-changed');
    expect(screen.queryByTestId('trust-hostkey')).toBeNull();
    await fireEvent.click(within(dialog).getByTestId('close-hostkey-changed'));
    expect(ipc.hostKeyTrust).not.toHaveBeenCalled();
    expect(text(screen.getByTestId('error'))).toContain('Key changed.');
  });

  it('forgets the trusted server key so the next connection asks again', async () => {
    show(fx.settingsView({ trusted_host_key: 'SHA256:old' }));
    vi.mocked(ipc.hostKeyForget).mockResolvedValue(fx.settingsView({ trusted_host_key: null }));
    await fireEvent.click(await screen.findByTestId('forget-host-key'));
    expect(ipc.hostKeyForget).toHaveBeenCalledWith(1);
    await vi.waitFor(() => expect(screen.queryByTestId('trusted-host-key')).toBeNull());
  });
});

describe('key', () => {
  it('says when no key is imported', async () => {
    show();
    expect(text(await screen.findByTestId('key-info'))).toBe('No key imported');
    expect(screen.queryByTestId('remove-key')).toBeNull();
  });

  it('picks a file, imports it and shows only its type, format and fingerprint', async () => {
    show();
    vi.mocked(ipc.keyPick).mockResolvedValue('/home/o/.ssh/id_ed25519');
    vi.mocked(ipc.keyImport).mockResolvedValue(fx.settingsView({ key }));
    await fireEvent.click(await screen.findByTestId('browse-key'));
    await vi.waitFor(() =>
      expect((screen.getByTestId('key-path') as HTMLInputElement).value).toBe('/home/o/.ssh/id_ed25519'),
    );
    await input('key-passphrase', 'hunter2');
    await fireEvent.click(screen.getByTestId('import-key'));
    expect(ipc.keyImport).toHaveBeenCalledWith(1, '/home/o/.ssh/id_ed25519', 'hunter2');
    const info = screen.getByTestId('key-info');
    await vi.waitFor(() => expect(text(info)).toContain('SHA256:keyFingerPrint'));
    expect(text(info)).toBe('Type ssh-ed25519 Format OpenSSH Fingerprint SHA256:keyFingerPrint');
    expect((screen.getByTestId('key-passphrase') as HTMLInputElement).value).toBe('');
    const saved = await screen.findByTestId('key-saved');
    expect(text(saved)).toBe('Key imported.');
    expect(saved.getAttribute('role')).toBe('status');
    expect(screen.queryByTestId('save-bar')).toBeNull();
  });

  it('imports without a passphrase as null', async () => {
    show();
    vi.mocked(ipc.keyImport).mockResolvedValue(fx.settingsView({ key }));
    await input('key-path', '/k');
    await fireEvent.click(screen.getByTestId('import-key'));
    expect(ipc.keyImport).toHaveBeenCalledWith(1, '/k', null);
  });

  it('asks for the passphrase of a protected key and focuses its field', async () => {
    show();
    vi.mocked(ipc.keyImport).mockRejectedValue(
      fx.appErr('passphrase_required', 'This key is encrypted.'),
    );
    await input('key-path', '/k');
    await fireEvent.click(screen.getByTestId('import-key'));
    const message = await screen.findByTestId('error');
    expect(text(message)).toBe('This key is protected by a passphrase. Enter it and import again.');
    const pass = screen.getByTestId('key-passphrase');
    await vi.waitFor(() => expect(document.activeElement).toBe(pass));
    expect(pass.getAttribute('aria-invalid')).toBe('true');
  });

  it('says when the passphrase is wrong, and forgets it', async () => {
    show();
    vi.mocked(ipc.keyImport).mockRejectedValue(fx.appErr('passphrase_wrong', 'Wrong.'));
    await input('key-path', '/k');
    await input('key-passphrase', 'nope');
    await fireEvent.click(screen.getByTestId('import-key'));
    expect(text(await screen.findByTestId('error'))).toBe(
      'The passphrase is wrong. Check it and try again.',
    );
    expect((screen.getByTestId('key-passphrase') as HTMLInputElement).value).toBe('');
  });

  it('removes the key', async () => {
    show(fx.settingsView({ key }));
    vi.mocked(ipc.keyRemove).mockResolvedValue(fx.settingsView());
    await fireEvent.click(await screen.findByTestId('remove-key'));
    expect(ipc.keyRemove).toHaveBeenCalledWith(1);
    await vi.waitFor(() => expect(text(screen.getByTestId('key-info'))).toBe('No key imported'));
  });
});

it('saving does not block the key', async () => {
  show();
  vi.mocked(ipc.connectionSave).mockReturnValue(new Promise(() => {}));
  await input('sftp-host', 'other.example.com');
  await fireEvent.click(await screen.findByTestId('save-settings'));
  expect((screen.getByTestId('save-settings') as HTMLButtonElement).disabled).toBe(true);
  expect(text(screen.getByTestId('save-settings'))).toBe('Saving…');
  await input('key-path', '/k');
  expect((screen.getByTestId('import-key') as HTMLButtonElement).disabled).toBe(false);
});

describe('checklist', () => {
  it('says what is missing and takes the person there', async () => {
    show(fx.settingsView({ connection: null }));
    const list = await screen.findByTestId('checklist');
    expect(text(list)).toContain('1 of 4 done');
    expect(screen.getByTestId('check-server').dataset.done).toBe('false');
    expect(screen.getByTestId('check-key').dataset.done).toBe('false');
    expect(screen.getByTestId('check-folder').dataset.done).toBe('true');
    expect(text(screen.getByTestId('check-test'))).toContain('Not tested yet');
    await fireEvent.click(screen.getByTestId('fix-key'));
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('key-path')));
    await fireEvent.click(screen.getByTestId('fix-server'));
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('sftp-host')));
  });

  it('is all done with a server, a key and a tested connection', async () => {
    show(fx.settingsView({ key, checked_at: '2025-03-03T10:00:00Z' }));
    expect(text(await screen.findByTestId('checklist'))).toContain('4 of 4 done');
    expect(text(screen.getByTestId('check-test'))).toContain(`Tested ${formatLongDateTime('2025-03-03T10:00:00Z')}`);
    expect(screen.queryByTestId('fix-test')).toBeNull();
  });
});

describe('downloads', () => {
  it('shows the default folder with Open and Copy path, picks another and saves with streams', async () => {
    show(fx.settingsView({ download_dir: '/home/olivia/Backups/Acme Corp', download_dir_is_default: true }));
    vi.mocked(ipc.folderPick).mockResolvedValue('/mnt/backups');
    vi.mocked(ipc.folderOpen).mockResolvedValue();
    vi.mocked(ipc.preferencesSave).mockResolvedValue(
      fx.settingsView({ download_dir: '/mnt/backups', streams: 8 }),
    );
    expect((await screen.findByTestId('download-dir') as HTMLInputElement).value).toBe(
      '/home/olivia/Backups/Acme Corp',
    );
    expect(text(screen.getByTestId('default-folder'))).toBe('(Default folder)');
    expect(screen.getByTestId('copy-folder')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('open-folder'));
    expect(ipc.folderOpen).toHaveBeenCalledWith(1);

    await fireEvent.click(screen.getByTestId('browse-dir'));
    await vi.waitFor(() =>
      expect((screen.getByTestId('download-dir') as HTMLInputElement).value).toBe('/mnt/backups'),
    );
    expect(screen.queryByTestId('default-folder')).toBeNull();
    const streams = screen.getByTestId('streams') as HTMLSelectElement;
    expect(streams.selectedOptions[0]?.textContent?.trim(), 'the saved maximum').toBe('At most 4');
    expect([...streams.options].map((o) => o.textContent?.trim()).slice(0, 3)).toEqual([
      'Automatic (recommended)',
      'At most 1',
      'At most 2',
    ]);
    await fireEvent.change(streams, { target: { value: '8' } });
    await fireEvent.click(screen.getByTestId('save-settings'));
    // The change alert's threshold is part of the same form: sent as it stands.
    expect(ipc.preferencesSave).toHaveBeenCalledWith(1, '/mnt/backups', 8, 10);
    expect(ipc.connectionSave).not.toHaveBeenCalled();
    expect(text(await screen.findByTestId('save-saved'))).toBe('Saved.');
  });

  it('offers Automatic for the streams, sends it as 0, and needs a folder', async () => {
    show(fx.settingsView({ streams: 0 }));
    const streams = (await screen.findByTestId('streams')) as HTMLSelectElement;
    expect(streams.selectedOptions[0]?.textContent?.trim()).toBe('Automatic (recommended)');
    expect(streams.options).toHaveLength(17);
    await input('download-dir', '  ');
    await fireEvent.click(screen.getByTestId('save-settings'));
    expect(text(await screen.findByTestId('problem-dir'))).toBe('Choose a download folder.');
    expect(screen.queryByTestId('problem-streams'), 'Automatic is a valid choice').toBeNull();
    expect(ipc.preferencesSave).not.toHaveBeenCalled();
    vi.mocked(ipc.preferencesSave).mockResolvedValue(fx.settingsView({ streams: 0, download_dir: '/srv/b' }));
    await input('download-dir', '/srv/b');
    await fireEvent.click(screen.getByTestId('save-settings'));
    expect(ipc.preferencesSave).toHaveBeenCalledWith(1, '/srv/b', 0, 10);
  });

  it('sends the change alert threshold with the one Save, and guards leaving', async () => {
    show(fx.settingsView({ drop_alert_percent: 10 }));
    const field = (await screen.findByTestId('drop-alert')) as HTMLInputElement;
    expect(field.value, 'the saved threshold is shown').toBe('10');
    expect(screen.queryByTestId('save-bar')).toBeNull();
    vi.mocked(ipc.preferencesSave).mockResolvedValue(fx.settingsView({ drop_alert_percent: 25 }));
    await input('drop-alert', '25');
    expect(text(screen.getByTestId('unsaved')), 'a changed threshold is an unsaved change').toBe('Unsaved changes');
    expect(hasUnsaved(), 'leaving now must ask first').toBe(true);
    await fireEvent.click(screen.getByTestId('save-settings'));
    expect(ipc.preferencesSave).toHaveBeenCalledWith(1, '/home/olivia/Downloads/Backup Desk/acme', 4, 25);
    expect(ipc.connectionSave).not.toHaveBeenCalled();
    expect(text(await screen.findByTestId('save-saved'))).toBe('Saved.');
    expect((screen.getByTestId('drop-alert') as HTMLInputElement).value).toBe('25');
    expect(hasUnsaved()).toBe(false);
  });

  it.each(['0', '101', '', '12.5'])('refuses a threshold of "%s" on the field, sending nothing', async (value) => {
    show();
    await input('drop-alert', value);
    await fireEvent.click(screen.getByTestId('save-settings'));
    expect(text(await screen.findByTestId('problem-drop'))).toBe('Enter a percentage from 1 to 100.');
    const field = screen.getByTestId('drop-alert');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(field.getAttribute('aria-describedby')).toContain('drop-alert-problem');
    expect(document.activeElement, 'the keyboard lands on the field to fix').toBe(field);
    expect(ipc.preferencesSave).not.toHaveBeenCalled();
  });

  it('labels the threshold in Portuguese', async () => {
    setLanguageSetting('pt-BR');
    show();
    await screen.findByTestId('drop-alert');
    expect(text(document.querySelector('label[for="drop-alert"]'))).toBe(
      'Alertar quando os registros de um objeto caírem',
    );
    await input('drop-alert', '0');
    await fireEvent.click(screen.getByTestId('save-settings'));
    expect(text(await screen.findByTestId('problem-drop'))).toBe('Informe uma porcentagem de 1 a 100.');
  });

  it('says when the folder cannot be opened', async () => {
    show();
    vi.mocked(ipc.folderOpen).mockRejectedValue(fx.appErr('disk', 'Cannot create /x.', { path: '/x' }));
    await fireEvent.click(await screen.findByTestId('open-folder'));
    expect(text(await screen.findByTestId('error-path'))).toBe('/x');
  });
});

describe('theme', () => {
  it('follows the system by default and applies a chosen one at once', async () => {
    show();
    const select = (await screen.findByTestId('theme')) as HTMLSelectElement;
    expect(select.value).toBe('system');
    await choose(select, 'dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(localStorage.getItem('backup-desk.theme')).toBe('dark');
    await choose(select, 'system');
    expect(document.documentElement.dataset.theme).toBeUndefined();
    expect(localStorage.getItem('backup-desk.theme')).toBeNull();
  });
});

describe('language', () => {
  it('offers the three choices and switches the whole UI to Portuguese', async () => {
    show();
    vi.mocked(ipc.languageSet).mockResolvedValue();
    const select = (await screen.findByTestId('language')) as HTMLSelectElement;
    expect([...select.options].map((o) => [o.value, text(o)])).toEqual([
      ['system', 'System language'],
      ['en', 'English'],
      ['pt-BR', 'Português (Brasil)'],
    ]);
    expect(select.value).toBe('system');
    await choose(select, 'pt-BR');
    expect(ipc.languageSet).toHaveBeenCalledWith('pt-BR');
    expect(await screen.findByText('Configurações')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Servidor SFTP' })).toBeTruthy();
    expect(text(screen.getByTestId('test-connection'))).toBe('Testar conexão');
    expect(text(screen.getByTestId('language').querySelector('option'))).toBe('Idioma do sistema');
    expect(languageSetting()).toBe('pt-BR');
  });

  it('keeps the language when saving it fails', async () => {
    show();
    vi.mocked(ipc.languageSet).mockRejectedValue(fx.appErr('failed', 'Database locked.'));
    const select = (await screen.findByTestId('language')) as HTMLSelectElement;
    await choose(select, 'pt-BR');
    expect(text(await screen.findByTestId('error'))).toContain('Database locked.');
    expect(select.value).toBe('system');
    expect(screen.getByText('Settings')).toBeTruthy();
  });
});

describe('account', () => {
  it('removes the account after confirmation', async () => {
    const { onaccounts } = show();
    const after = fx.accountsView([]);
    vi.mocked(ipc.accountRemove).mockResolvedValue(after);
    await fireEvent.click(await screen.findByTestId('remove-account'));
    const dialog = screen.getByTestId('confirm-remove');
    expect(document.activeElement).toBe(within(dialog).getByTestId('cancel-remove'));
    await fireEvent.click(within(dialog).getByTestId('confirm-remove-account'));
    expect(ipc.accountRemove).toHaveBeenCalledWith(1);
    await vi.waitFor(() => expect(onaccounts).toHaveBeenCalledWith(after));
  });

  it('does nothing when the removal is cancelled', async () => {
    show();
    await fireEvent.click(await screen.findByTestId('remove-account'));
    await fireEvent.click(screen.getByTestId('cancel-remove'));
    expect(screen.queryByTestId('confirm-remove')).toBeNull();
    expect(ipc.accountRemove).not.toHaveBeenCalled();
  });
});

it('shows a settings load failure with Retry', async () => {
  vi.mocked(ipc.settings)
    .mockRejectedValueOnce(fx.appErr('keychain_unavailable', 'No Secret Service.'))
    .mockResolvedValue(fx.settingsView());
  renderWithPrompts(Settings, { account: fx.account(), onaccounts: vi.fn() });
  const error = await screen.findByTestId('error');
  expect(text(error)).toContain('The system keychain is unavailable');
  await fireEvent.click(within(error).getByRole('button', { name: 'Retry' }));
  expect(await screen.findByTestId('sftp-host')).toBeTruthy();
});

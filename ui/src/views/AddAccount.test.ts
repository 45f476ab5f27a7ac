import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/ipc', () => import('../test/ipc-mock'));

import type { ProbeView } from '../lib/bindings';
import * as ipc from '../lib/ipc';
import * as fx from '../test/fixtures';
import { renderWithPrompts, resetAll, text } from '../test/helpers';
import AddAccount from './AddAccount.svelte';

beforeEach(resetAll);

const probe: ProbeView = {
  person_name: 'Olivia Owner',
  accounts: [
    { account_id: 'acme', account_name: 'Acme Corp', plan: 'Business', role: 'owner', existing: null },
    { account_id: 'beta', account_name: 'Beta LLC', plan: 'Starter', role: 'viewer', existing: null },
  ],
};

async function fillAndContinue(token = 'secret-token-123') {
  await fireEvent.input(screen.getByTestId('provider-url'), {
    target: { value: ' https://backup.example.com ' },
  });
  await fireEvent.input(screen.getByTestId('token'), { target: { value: token } });
  await fireEvent.click(screen.getByTestId('probe'));
}

describe('AddAccount', () => {
  it('probes, lets the person pick accounts, and adds them', async () => {
    vi.mocked(ipc.accountProbe).mockResolvedValue(probe);
    const added = fx.accountsView([fx.account({ id: 5 })]);
    vi.mocked(ipc.accountAdd).mockResolvedValue(added);
    const onadded = vi.fn();
    render(AddAccount, { props: { onadded } });

    expect((screen.getByTestId('token') as HTMLInputElement).type).toBe('password');
    await fillAndContinue();
    expect(ipc.accountProbe).toHaveBeenCalledWith('https://backup.example.com', 'secret-token-123');

    expect(text(await screen.findByText(/Signed in as/))).toBe('Signed in as Olivia Owner');
    const acme = screen.getByTestId('pick-account-acme') as HTMLInputElement;
    const beta = screen.getByTestId('pick-account-beta') as HTMLInputElement;
    expect(acme.checked).toBe(false);
    expect(text(acme.closest('label'))).toBe('Acme Corp Business plan · Owner');
    expect(text(beta.closest('label'))).toContain('Viewer');
    // The token is not shown anywhere once submitted.
    expect(document.body.textContent).not.toContain('secret-token-123');
    expect(screen.queryByTestId('token')).toBeNull();

    const add = screen.getByTestId('add-accounts') as HTMLButtonElement;
    expect(add.disabled).toBe(true);
    await fireEvent.click(acme);
    await fireEvent.click(beta);
    await fireEvent.click(add);
    expect(ipc.accountAdd).toHaveBeenCalledWith(
      'https://backup.example.com',
      'secret-token-123',
      ['acme', 'beta'],
      false,
    );
    await vi.waitFor(() => expect(onadded).toHaveBeenCalledWith(added));
  });

  it('pre-checks the only account a token opens', async () => {
    vi.mocked(ipc.accountProbe).mockResolvedValue({ ...probe, accounts: probe.accounts.slice(0, 1) });
    render(AddAccount, { props: { onadded: vi.fn() } });
    await fillAndContinue();
    const only = (await screen.findByTestId('pick-account-acme')) as HTMLInputElement;
    expect(only.checked).toBe(true);
    expect((screen.getByTestId('add-accounts') as HTMLButtonElement).disabled).toBe(false);
  });

  it('shows a rejected token in the form', async () => {
    vi.mocked(ipc.accountProbe).mockRejectedValue(
      fx.appErr('unauthorized', 'The provider rejected the token.'),
    );
    render(AddAccount, { props: { onadded: vi.fn() } });
    await fillAndContinue();
    const error = await screen.findByTestId('error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(text(within(error).getByTestId('error-title'))).toBe('The token was rejected');
    expect(text(within(error).getByTestId('error-message'))).toBe('The provider rejected the token.');
    expect(screen.getByTestId('token')).toBeTruthy();
  });

  it('shows a network error of the add step and keeps the choice', async () => {
    vi.mocked(ipc.accountProbe).mockResolvedValue(probe);
    vi.mocked(ipc.accountAdd).mockRejectedValue(fx.appErr('network', 'Connection refused.'));
    render(AddAccount, { props: { onadded: vi.fn() } });
    await fillAndContinue();
    await fireEvent.click(await screen.findByTestId('pick-account-beta'));
    await fireEvent.click(screen.getByTestId('add-accounts'));
    expect(text(await screen.findByTestId('error'))).toContain('Connection refused.');
    expect((screen.getByTestId('pick-account-beta') as HTMLInputElement).checked).toBe(true);
  });

  it('an account already here says what adding it again changes, and asks before replacing', async () => {
    const existing: ProbeView = {
      person_name: 'Bruno Viewer',
      accounts: [
        {
          account_id: 'acme',
          account_name: 'Acme Corp',
          plan: 'Business',
          role: 'viewer',
          existing: { id: 1, role: 'owner', person_name: 'Olivia Owner' },
        },
      ],
    };
    vi.mocked(ipc.accountProbe).mockResolvedValue(existing);
    const added = fx.accountsView([fx.account({ role: 'viewer' })]);
    vi.mocked(ipc.accountAdd).mockResolvedValue(added);
    const onadded = vi.fn();
    renderWithPrompts(AddAccount, { onadded });
    await fillAndContinue();
    const note = await screen.findByTestId('existing-acme');
    expect(text(note)).toContain('Already on this computer');
    expect(text(note)).toContain('Role: Owner → Viewer');
    expect(text(note)).toContain('The token of Olivia Owner is replaced by the token of Bruno Viewer');

    // Cancel: nothing changes.
    await fireEvent.click(screen.getByTestId('add-accounts'));
    const dialog = await screen.findByTestId('confirm-replace');
    expect(text(dialog)).toContain('Role: Owner → Viewer');
    expect(document.activeElement).toBe(within(dialog).getByTestId('cancel-replace'));
    await fireEvent.click(within(dialog).getByTestId('cancel-replace'));
    expect(ipc.accountAdd).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId('add-accounts'));
    await fireEvent.click(await screen.findByTestId('confirm-replace-account'));
    expect(ipc.accountAdd).toHaveBeenCalledWith('https://backup.example.com', 'secret-token-123', ['acme'], true);
    await vi.waitFor(() => expect(onadded).toHaveBeenCalledWith(added));
  });
});

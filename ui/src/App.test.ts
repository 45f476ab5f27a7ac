import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';

import App from './App.svelte';
import { appInfo } from './lib/ipc';

vi.mock('./lib/ipc', () => ({
  appInfo: vi.fn(),
}));

const appInfoMock = vi.mocked(appInfo);

afterEach(() => {
  cleanup();
  appInfoMock.mockReset();
});

describe('App', () => {
  it('shows the heading, subtitle and a loading status first', () => {
    appInfoMock.mockReturnValue(new Promise(() => {}));
    render(App);

    const heading = screen.getByRole('heading', { level: 1 });
    expect(heading.textContent).toBe('Backup Desk');
    expect(
      screen.getByText('Request, follow and download your SaaS account backups.'),
    ).toBeTruthy();
    expect(screen.getByTestId('app-status').textContent?.trim()).toBe('Loading…');
  });

  it('shows the provider once appInfo() resolves', async () => {
    appInfoMock.mockResolvedValue({
      name: 'Backup Desk',
      version: '0.1.0',
      provider: 'Demo provider',
    });
    render(App);

    const status = await screen.findByText(/Connected to Demo provider/);
    expect(status.getAttribute('data-testid')).toBe('app-status');
    expect(status.textContent).toContain('0.1.0');
    expect(status.getAttribute('role')).toBe('status');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(appInfoMock).toHaveBeenCalledTimes(1);
  });

  it('shows the error message in an alert when appInfo() fails', async () => {
    appInfoMock.mockRejectedValue(new Error('Not running inside the desktop app'));
    render(App);

    const alert = await screen.findByRole('alert');
    expect(alert.getAttribute('data-testid')).toBe('app-status');
    expect(alert.textContent?.trim()).toBe('Not running inside the desktop app');
    expect(screen.queryByText(/Connected to/)).toBeNull();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeTruthy();
  });
});

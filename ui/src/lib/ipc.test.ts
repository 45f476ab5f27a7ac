import { beforeEach, describe, expect, it, vi } from 'vitest';

const core = vi.hoisted(() => ({
  invoke: vi.fn(),
  isTauri: vi.fn(),
}));

vi.mock('@tauri-apps/api/core', () => core);

import { appInfo } from './ipc';

describe('appInfo', () => {
  beforeEach(() => {
    core.invoke.mockReset();
    core.isTauri.mockReset();
  });

  it('rejects outside the desktop app without calling invoke', async () => {
    core.isTauri.mockReturnValue(false);
    await expect(appInfo()).rejects.toThrow('Not running inside the desktop app');
    expect(core.invoke).not.toHaveBeenCalled();
  });

  it('invokes the app_info command inside the desktop app', async () => {
    const info = { name: 'Backup Desk', version: '0.1.0', provider: 'Demo provider' };
    core.isTauri.mockReturnValue(true);
    core.invoke.mockResolvedValue(info);
    await expect(appInfo()).resolves.toEqual(info);
    expect(core.invoke).toHaveBeenCalledWith('app_info');
  });
});

// The ONLY module allowed to import `@tauri-apps/*`. Everything else in the UI
// talks to the Rust backend through the typed functions exported here, which
// keeps components testable (mock this module) and the IPC surface auditable.
import { invoke, isTauri } from '@tauri-apps/api/core';

import type { AppInfo } from './types';

export const NOT_IN_TAURI_MESSAGE = 'Not running inside the desktop app';

function ensureTauri(): void {
  if (!isTauri()) {
    throw new Error(NOT_IN_TAURI_MESSAGE);
  }
}

/** Name, version and backup provider of the running app (`app_info` command). */
export async function appInfo(): Promise<AppInfo> {
  ensureTauri();
  return invoke<AppInfo>('app_info');
}

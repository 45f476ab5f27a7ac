// A stand-in for lib/ipc with every command as a typed vi.fn(). Use it with
//   vi.mock('../lib/ipc', () => import('../test/ipc-mock'));
import { vi } from 'vitest';

import type * as Ipc from '../lib/ipc';

export { isAppError } from '../lib/errors';
export const NOT_IN_TAURI_MESSAGE = 'Not running inside the desktop app';

export const appInfo = vi.fn<typeof Ipc.appInfo>();
export const accounts = vi.fn<typeof Ipc.accounts>();
export const accountProbe = vi.fn<typeof Ipc.accountProbe>();
export const accountAdd = vi.fn<typeof Ipc.accountAdd>();
export const accountUse = vi.fn<typeof Ipc.accountUse>();
export const accountRemove = vi.fn<typeof Ipc.accountRemove>();
export const demoStart = vi.fn<typeof Ipc.demoStart>();
export const backups = vi.fn<typeof Ipc.backups>();
export const backupRequest = vi.fn<typeof Ipc.backupRequest>();
export const terms = vi.fn<typeof Ipc.terms>();
export const termsAccept = vi.fn<typeof Ipc.termsAccept>();
export const download = vi.fn<typeof Ipc.download>();
export const downloadCancel = vi.fn<typeof Ipc.downloadCancel>();
export const hostKeyTrust = vi.fn<typeof Ipc.hostKeyTrust>();
export const hostKeyForget = vi.fn<typeof Ipc.hostKeyForget>();
export const hostKeyDecline = vi.fn<typeof Ipc.hostKeyDecline>();
export const connectionTest = vi.fn<typeof Ipc.connectionTest>();
export const showInFolder = vi.fn<typeof Ipc.showInFolder>();
export const settings = vi.fn<typeof Ipc.settings>();
export const connectionSave = vi.fn<typeof Ipc.connectionSave>();
export const keyPick = vi.fn<typeof Ipc.keyPick>();
export const folderPick = vi.fn<typeof Ipc.folderPick>();
export const keyImport = vi.fn<typeof Ipc.keyImport>();
export const keyRemove = vi.fn<typeof Ipc.keyRemove>();
export const preferencesSave = vi.fn<typeof Ipc.preferencesSave>();
export const languageSet = vi.fn<typeof Ipc.languageSet>();
export const onBackupReady = vi.fn<typeof Ipc.onBackupReady>();
export const onDownloadFinished = vi.fn<typeof Ipc.onDownloadFinished>();
export const folderOpen = vi.fn<typeof Ipc.folderOpen>();
export const keychainRetry = vi.fn<typeof Ipc.keychainRetry>();
export const quitApp = vi.fn<typeof Ipc.quitApp>();
export const onQuitRequested = vi.fn<typeof Ipc.onQuitRequested>();

// A notification was clicked: the window comes forward on its account, and
// on its backup's detail when there is one. App switches the account and the
// view; the history opens the row once it is on screen.

export interface FocusRequest {
  account: number;
  backupId: string | null;
  /** Counts requests, so a second click on the same backup opens it again. */
  seq: number;
}

export const focusRequest = $state<{ current: FocusRequest | null }>({ current: null });

export function requestFocus(account: number, backupId: string | null): void {
  focusRequest.current = { account, backupId, seq: (focusRequest.current?.seq ?? 0) + 1 };
}

/** The row to open, once it is among `shown`: `null` until then, and after it was taken. */
export function takeFocus(account: number, shown: (backupId: string) => boolean): string | null {
  const wanted = focusRequest.current;
  if (!wanted || wanted.account !== account || wanted.backupId === null) return null;
  if (!shown(wanted.backupId)) return null;
  focusRequest.current = { ...wanted, backupId: null };
  return wanted.backupId;
}

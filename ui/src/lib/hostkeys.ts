// The one "trust this server?" loop of the window: run a step that connects
// (a download, a connection test); when the server presents a key that is
// not trusted yet, ask the person, trust exactly that key, and run the step
// again. The decision itself is made by the backend (only the presented key
// can be trusted, an unpublished one is refused with `host_key_changed`).
import { toAppError } from './errors';
import * as ipc from './ipc';
import { ask } from './prompts.svelte';

// A server presenting yet another unknown key right after one was trusted is
// odd enough to stop rather than ask again and again.
const MAX_TRUSTS = 2;

export type Trusted<T> = { kind: 'done'; value: T } | { kind: 'declined' };

export interface TrustHooks {
  /** Called before the question is shown (e.g. to show "waiting"). */
  beforeAsk?: () => void;
  /** Called once a key was trusted. */
  trusted?: (fingerprint: string) => void;
}

/** Runs `step` until it succeeds or the person declines the server's key;
 * any other failure rejects as it came. */
export async function withHostKeyTrust<T>(
  account: number,
  step: () => Promise<T>,
  hooks: TrustHooks = {},
): Promise<Trusted<T>> {
  for (let trusts = 0; ; trusts++) {
    try {
      return { kind: 'done', value: await step() };
    } catch (raw) {
      const err = toAppError(raw);
      if (err.code !== 'unknown_host_key' || !err.fingerprint || trusts >= MAX_TRUSTS) throw err;
      hooks.beforeAsk?.();
      const asked = { kind: 'hostkey' as const, fingerprint: err.fingerprint, key: err.host_key };
      if (!(await ask(asked))) {
        // Recorded in the audit log, as the command line does; the answer
        // stands even if recording it fails.
        try {
          await ipc.hostKeyDecline(account, err.fingerprint);
        } catch {
          // Nothing to undo: the server stays untrusted.
        }
        return { kind: 'declined' };
      }
      await ipc.hostKeyTrust(account, err.fingerprint);
      hooks.trusted?.(err.fingerprint);
    }
  }
}

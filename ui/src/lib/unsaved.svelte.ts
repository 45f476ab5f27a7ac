// Settings with changes not saved yet: leaving the view (another view, another
// account) asks first instead of dropping them silently.
import { ask } from './prompts.svelte';

const state = $state({ dirty: false });

export function setUnsaved(dirty: boolean): void {
  state.dirty = dirty;
}

export function hasUnsaved(): boolean {
  return state.dirty;
}

/** True when the person may leave: nothing unsaved, or they chose to discard. */
export async function confirmLeave(): Promise<boolean> {
  if (!state.dirty) return true;
  const discard = await ask({ kind: 'leave' });
  if (discard) state.dirty = false;
  return discard;
}

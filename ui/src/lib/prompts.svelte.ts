// Questions the flows ask the person (terms, an unknown or changed server
// key) as promises, answered by the one <PromptHost> in App.svelte. Keeping
// them out of the views means a download started on the Backups view can
// still ask after the person moved to Settings.
import type { HostKeyView, TermsView } from './bindings';

export type Prompt =
  | { kind: 'terms'; terms: TermsView }
  | { kind: 'hostkey'; fingerprint: string; key: HostKeyView | null }
  | { kind: 'hostkey-changed'; fingerprint: string | null };

export interface PendingPrompt {
  id: number;
  prompt: Prompt;
}

interface Entry extends PendingPrompt {
  resolve: (answer: boolean) => void;
}

let queue = $state.raw<Entry[]>([]);
let nextId = 1;

/** Shows `prompt` once earlier ones are answered; resolves with the answer. */
export function ask(prompt: Prompt): Promise<boolean> {
  return new Promise((resolve) => {
    queue = [...queue, { id: nextId++, prompt, resolve }];
  });
}

export function currentPrompt(): PendingPrompt | null {
  const head = queue[0];
  return head ? { id: head.id, prompt: head.prompt } : null;
}

export function answer(id: number, value: boolean): void {
  const entry = queue.find((e) => e.id === id);
  if (!entry) return;
  queue = queue.filter((e) => e.id !== id);
  entry.resolve(value);
}

/** Declines everything pending (tests, and nothing left to ask about). */
export function resetPrompts(): void {
  const pending = queue;
  queue = [];
  for (const entry of pending) entry.resolve(false);
}

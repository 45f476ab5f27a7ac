// Questions the flows ask the person (terms, an unknown or changed server
// key, a copy already on disk, the server to download from, quitting or
// leaving unsaved changes) as promises, answered by the one <PromptHost> in
// App.svelte. Keeping them out of the views means a download started on the
// Backups view can still ask after the person moved to Settings.
import type { ExistingCopy, HostKeyView, SetupView, TermsView } from './bindings';

export type Prompt =
  | { kind: 'terms'; terms: TermsView }
  /** Consent to accept these terms in automatic downloads. */
  | { kind: 'consent'; terms: TermsView }
  | { kind: 'hostkey'; fingerprint: string; key: HostKeyView | null }
  | { kind: 'hostkey-changed'; fingerprint: string | null }
  | { kind: 'setup'; account: number; setup: SetupView }
  | { kind: 'quit'; downloads: number }
  | { kind: 'leave' };

/** The existing-copy question answers with a choice; null is Cancel. */
export type Choice = Exclude<ExistingCopy, 'ask'> | null;

export type PendingPrompt =
  | { id: number; prompt: Prompt }
  | { id: number; prompt: { kind: 'existing'; path: string } };

type Entry = PendingPrompt & { resolve: (answer: boolean | Choice) => void };

let queue = $state.raw<Entry[]>([]);
let nextId = 1;

function enqueue(prompt: PendingPrompt['prompt']): Promise<boolean | Choice> {
  return new Promise((resolve) => {
    queue = [...queue, { id: nextId++, prompt, resolve } as Entry];
  });
}

/** Shows `prompt` once earlier ones are answered; resolves with yes or no. */
export async function ask(prompt: Prompt): Promise<boolean> {
  return (await enqueue(prompt)) === true;
}

/** A verified copy exists at `path`: replace it, keep both, or cancel (null). */
export async function chooseExisting(path: string): Promise<Choice> {
  const answer = await enqueue({ kind: 'existing', path });
  return answer === 'replace' || answer === 'keep_both' ? answer : null;
}

export function currentPrompt(): PendingPrompt | null {
  const head = queue[0];
  return head ? ({ id: head.id, prompt: head.prompt } as PendingPrompt) : null;
}

export function answer(id: number, value: boolean | Choice): void {
  const entry = queue.find((e) => e.id === id);
  if (!entry) return;
  queue = queue.filter((e) => e.id !== id);
  entry.resolve(value);
}

/** Declines everything pending (tests, and nothing left to ask about). */
export function resetPrompts(): void {
  const pending = queue;
  queue = [];
  for (const entry of pending) entry.resolve(entry.prompt.kind === 'existing' ? null : false);
}

// Light, dark, or the system's choice. A look of this window only (nothing
// for the backend to know), so it is kept in the web view's storage and
// applied as `data-theme` on <html>, which app.css reads.

export type Theme = 'system' | 'light' | 'dark';
export const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

const KEY = 'backup-desk.theme';

function isTheme(value: unknown): value is Theme {
  return typeof value === 'string' && (THEMES as readonly string[]).includes(value);
}

function stored(): Theme {
  try {
    const value = localStorage.getItem(KEY);
    return isTheme(value) ? value : 'system';
  } catch {
    return 'system';
  }
}

const state = $state({ theme: 'system' as Theme });

function apply(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

/** Applies the saved choice; called once at start. */
export function initTheme(): void {
  state.theme = stored();
  apply(state.theme);
}

export function theme(): Theme {
  return state.theme;
}

export function setTheme(next: Theme): void {
  state.theme = next;
  apply(next);
  try {
    if (next === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, next);
  } catch {
    // Private storage refused: the choice holds for this session.
  }
}

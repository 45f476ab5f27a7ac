// Runs before every test file. Dates are formatted in the computer's zone:
// pin it so expected strings are the same on every machine.
process.env.TZ = 'UTC';

import { cleanup } from '@testing-library/svelte';
import { afterEach } from 'vitest';

import { initLanguage } from '../lib/i18n/i18n.svelte';

// Nothing here may import lib/ipc (directly or not): test files mock it, and a
// module loaded from here first would keep the real one.
afterEach(() => {
  cleanup();
  initLanguage('system', 'en-US');
  document.documentElement.className = '';
});

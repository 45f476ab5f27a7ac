import { describe, expect, it } from 'vitest';

import * as fx from '../test/fixtures';
import { alertText, alertsMarker, dropPercent } from './alerts';
import { setLanguageSetting } from './i18n/i18n.svelte';

describe('change alerts in words', () => {
  it('are built from the numbers in English, not taken from the backend’s sentence', () => {
    const a = fx.alert({ text: 'ignored' });
    expect(alertText(a), 'the line must follow the UI language, so the numbers are formatted here').toBe(
      'contacts: 10,234 → 7,102 (−31%)',
    );
    expect(alertText(fx.alert({ object: 'tickets', before: 8, after: null }))).toBe('tickets: 8 → missing');
  });

  it('use Brazilian separators and words in Portuguese', () => {
    setLanguageSetting('pt-BR');
    expect(alertText(fx.alert()), 'pt-BR groups thousands with a dot').toBe('contacts: 10.234 → 7.102 (−31%)');
    expect(alertText(fx.alert({ object: 'tickets', before: 8, after: null }))).toBe('tickets: 8 → ausente');
    expect(alertsMarker([fx.alert(), fx.alert({ object: 'tickets' })])).toBe('2 alertas');
  });

  it('round the drop half up, as the backend does, and never show growth as a drop', () => {
    expect(dropPercent(fx.alert({ before: 200, after: 199 })), '0.5% rounds up').toBe(1);
    expect(dropPercent(fx.alert({ before: 1000, after: 996 })), '0.4% rounds down').toBe(0);
    expect(dropPercent(fx.alert({ before: 5, after: 9 })), 'growth is no drop').toBe(0);
    expect(dropPercent(fx.alert({ after: null })), 'a missing object lost everything').toBe(100);
  });

  it('shorten to one marker for a history row', () => {
    expect(alertsMarker([fx.alert()])).toBe('−31% contacts');
    expect(alertsMarker([fx.alert({ object: 'tickets', before: 8, after: null })])).toBe('tickets missing');
    expect(alertsMarker([fx.alert(), fx.alert({ object: 'tickets' })])).toBe('2 alerts');
  });
});

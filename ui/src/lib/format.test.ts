import { afterEach, describe, expect, it } from 'vitest';

import {
  formatDate,
  formatDateTime,
  formatDuration,
  formatLongDateTime,
  formatPercent,
  formatRelative,
  formatSize,
} from './format';
import { initLanguage, setLanguageSetting } from './i18n/i18n.svelte';
import { pollDelay } from './polling';

afterEach(() => initLanguage('system', 'en-US'));

const AT = '2025-03-04T10:00:00Z';
const NOW = Date.parse(AT);
const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('dates (the test zone is UTC)', () => {
  it('formats in English', () => {
    expect(formatLongDateTime(AT)).toBe('March 4, 2025 at 10:00 AM');
    expect(formatDateTime(AT)).toBe('Mar 4, 2025, 10:00 AM');
    expect(formatDate(AT)).toBe('Mar 4, 2025');
  });

  it('formats in Brazilian Portuguese', () => {
    setLanguageSetting('pt-BR');
    expect(formatLongDateTime(AT)).toBe('4 de março de 2025 às 10:00');
    expect(formatDate(AT)).toBe('4 de mar. de 2025');
  });

  it('returns an unparseable value as is', () => {
    expect(formatDateTime('soon')).toBe('soon');
  });
});

describe('relative times', () => {
  it('uses days from two days on, then hours, then minutes', () => {
    expect(formatRelative(new Date(NOW + 3 * DAY + HOUR).toISOString(), NOW)).toBe('in 3 days');
    expect(formatRelative(new Date(NOW + 30 * HOUR).toISOString(), NOW)).toBe('in 30 hours');
    expect(formatRelative(new Date(NOW + 20 * 60_000).toISOString(), NOW)).toBe('in 20 minutes');
    expect(formatRelative(new Date(NOW - 2 * DAY).toISOString(), NOW)).toBe('2 days ago');
  });

  it('keeps an open window in the future despite clock skew', () => {
    expect(formatRelative(new Date(NOW - 90_000).toISOString(), NOW, true)).toBe('in 1 minute');
  });

  it('speaks Portuguese', () => {
    setLanguageSetting('pt-BR');
    expect(formatRelative(new Date(NOW + 3 * DAY).toISOString(), NOW)).toBe('em 3 dias');
  });
});

describe('sizes', () => {
  it('uses binary multiples with one decimal', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(900)).toBe('900 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(1_572_864)).toBe('1.5 MB');
    expect(formatSize(5 * 1024 ** 3)).toBe('5 GB');
    expect(formatSize(150 * 1024 ** 2)).toBe('150 MB');
  });

  it('uses the decimal comma in Portuguese', () => {
    setLanguageSetting('pt-BR');
    expect(formatSize(1_572_864)).toBe('1,5 MB');
  });

  it('formats percentages', () => {
    expect(formatPercent(1, 4)).toBe('25%');
    expect(formatPercent(5, 0)).toBe('0%');
  });
});

describe('durations', () => {
  it('keeps the two largest units', () => {
    expect(formatDuration(28 * 86400)).toBe('28 days');
    expect(formatDuration(86400 + 12 * 3600)).toBe('1 day and 12 hours');
    expect(formatDuration(125, 'short')).toBe('2 min 5 sec');
    expect(formatDuration(0, 'short')).toBe('0 sec');
  });

  it('speaks Portuguese', () => {
    setLanguageSetting('pt-BR');
    expect(formatDuration(86400 + 12 * 3600)).toBe('1 dia e 12 horas');
  });
});

describe('polling', () => {
  it('polls every 15 s and backs off to 300 s', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => pollDelay(n))).toEqual([
      15_000, 30_000, 60_000, 120_000, 240_000, 300_000, 300_000,
    ]);
  });

  it('polls every 60 s while hidden, backing off no faster than that', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => pollDelay(n, true))).toEqual([
      60_000, 60_000, 60_000, 120_000, 240_000, 300_000, 300_000,
    ]);
  });
});

// Dates, sizes, durations and relative times in the active UI locale and the
// computer's time zone. The backend only ever sends RFC 3339 (UTC) and bytes.
import { locale } from './i18n/i18n.svelte';

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function parse(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function dateFormat(iso: string, options: Intl.DateTimeFormatOptions): string {
  const d = parse(iso);
  return d ? new Intl.DateTimeFormat(locale(), options).format(d) : iso;
}

/** "Mar 4, 2025, 10:00 AM" — table cells. */
export function formatDateTime(iso: string): string {
  return dateFormat(iso, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "March 4, 2025 at 10:00 AM" — sentences such as the cooldown reason. */
export function formatLongDateTime(iso: string): string {
  return dateFormat(iso, { dateStyle: 'long', timeStyle: 'short' });
}

/**
 * Table cells: short, the year only when it is not this year's, numeric
 * months where people write them so ("29/11, 07:40" in pt-BR, "Nov 29,
 * 7:40 AM" in English, "29/11/2025, 07:40" for another year).
 */
export function formatCompactDateTime(iso: string, nowMs: number): string {
  const d = parse(iso);
  if (!d) return iso;
  const sameYear = d.getFullYear() === new Date(nowMs).getFullYear();
  const numeric = !locale().startsWith('en');
  const options: Intl.DateTimeFormatOptions = numeric
    ? { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' };
  if (!sameYear) options.year = 'numeric';
  return new Intl.DateTimeFormat(locale(), options).format(d);
}

/** The computer's time zone, said once above the table: "UTC−3 (America/Sao_Paulo)". */
export function timeZoneLabel(nowMs: number): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offset =
    new Intl.DateTimeFormat(locale(), { timeZoneName: 'shortOffset' })
      .formatToParts(new Date(nowMs))
      .find((p) => p.type === 'timeZoneName')?.value ?? '';
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return offset || 'UTC';
  return offset ? `${offset} (${zone})` : zone;
}

export function formatDate(iso: string): string {
  return dateFormat(iso, { dateStyle: 'medium' });
}

export function formatTime(ms: number): string {
  return new Intl.DateTimeFormat(locale(), { timeStyle: 'short' }).format(new Date(ms));
}

/**
 * "in 3 days", "in 20 hours", "in 5 minutes". Days only from two days on, so
 * a window closing tomorrow evening reads as hours and not as "tomorrow".
 */
export function formatRelative(iso: string, nowMs: number, future = false): string {
  const d = parse(iso);
  if (!d) return iso;
  let seconds = (d.getTime() - nowMs) / 1000;
  // The provider decided the window is still open; a computer clock running
  // a little ahead must not make that read "expires 2 minutes ago".
  if (future) seconds = Math.max(seconds, MINUTE);
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'always' });
  const abs = Math.abs(seconds);
  if (abs >= 2 * DAY) return rtf.format(Math.round(seconds / DAY), 'day');
  if (abs >= HOUR) return rtf.format(Math.round(seconds / HOUR), 'hour');
  return rtf.format(Math.max(1, Math.round(abs / MINUTE)) * Math.sign(seconds || 1), 'minute');
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** 1536 → "1.5 KB" (binary multiples, localized decimal separator). */
export function formatSize(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  const number = new Intl.NumberFormat(locale(), {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  }).format(value);
  return `${number} ${UNITS[unit]}`;
}

/** 10234 → "10,234" ("10.234" in pt-BR): a count of records. */
export function formatCount(n: number): string {
  return new Intl.NumberFormat(locale()).format(n);
}

export function formatPercent(done: number, total: number): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(
    ratio,
  );
}

type DurationUnit = 'day' | 'hour' | 'minute' | 'second';

function unitText(value: number, unit: DurationUnit, display: 'long' | 'short'): string {
  return new Intl.NumberFormat(locale(), { style: 'unit', unit, unitDisplay: display }).format(
    value,
  );
}

function joinUnits(parts: string[], display: 'long' | 'short'): string {
  return new Intl.ListFormat(locale(), {
    type: display === 'long' ? 'conjunction' : 'unit',
    style: display === 'long' ? 'long' : 'narrow',
  }).format(parts);
}

/** 45 → "45 days" ("45 dias"): a whole number of days. */
export function formatDays(days: number): string {
  return unitText(days, 'day', 'long');
}

/**
 * A duration with its two largest units: "28 days", "1 day and 12 hours"
 * (long, for sentences) or "2 min 5 sec" (short, for an ETA).
 */
export function formatDuration(totalSeconds: number, display: 'long' | 'short' = 'long'): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const amounts: [number, DurationUnit][] = [
    [Math.floor(s / DAY), 'day'],
    [Math.floor((s % DAY) / HOUR), 'hour'],
    [Math.floor((s % HOUR) / MINUTE), 'minute'],
    [s % MINUTE, 'second'],
  ];
  const first = amounts.findIndex(([n]) => n > 0);
  if (first === -1) return unitText(0, 'second', display);
  const parts = amounts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => unitText(n, unit, display));
  return joinUnits(parts, display);
}

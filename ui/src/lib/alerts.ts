// Change alerts in the person's language. The backend sends the numbers (and
// an English sentence, unused here): these build the localized line
// "contacts: 10.234 → 7.102 (−31%)" and the short marker of a history row.
import type { ChangeAlertView } from './bindings';
import { formatCount } from './format';
import { locale, t } from './i18n/i18n.svelte';

/**
 * How much of `before` was lost, in whole percent rounded half up, as the
 * backend computes it; 100 for a missing object, 0 for growth.
 */
export function dropPercent(alert: ChangeAlertView): number {
  if (alert.after === null) return 100;
  if (alert.after >= alert.before || alert.before === 0) return 0;
  const dropped = alert.before - alert.after;
  return Math.floor((dropped * 200 + alert.before) / (alert.before * 2));
}

/** "−31%", with a real minus sign and the locale's percent. */
function dropText(alert: ChangeAlertView): string {
  const percent = new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 });
  return `\u2212${percent.format(dropPercent(alert) / 100)}`;
}

/** "contacts: 10,234 → 7,102 (−31%)", or "tickets: 8 → missing". */
export function alertText(alert: ChangeAlertView): string {
  const before = formatCount(alert.before);
  if (alert.after === null) return t('alert.missing', { object: alert.object, before });
  return t('alert.drop', {
    object: alert.object,
    before,
    after: formatCount(alert.after),
    percent: dropText(alert),
  });
}

/** A history row's marker: "−31% contacts", "tickets missing", or "2 alerts". */
export function alertsMarker(alerts: ChangeAlertView[]): string {
  const [only] = alerts;
  if (alerts.length !== 1 || !only) return t('alert.count', { count: alerts.length });
  return only.after === null
    ? t('alert.shortMissing', { object: only.object })
    : t('alert.short', { object: only.object, percent: dropText(only) });
}

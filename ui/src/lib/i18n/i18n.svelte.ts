// The active UI language as rune state: every t() and formatter reads it, so
// changing it re-renders whatever used them, with no store subscriptions.
import { en, type MessageKey } from './en';
import { ptBR } from './pt-BR';

export type { MessageKey } from './en';

export type Language = 'en' | 'pt-BR';
export type LanguageSetting = 'system' | Language;

export const LANGUAGE_SETTINGS: readonly LanguageSetting[] = ['system', 'en', 'pt-BR'];

export const catalogs: Record<Language, Record<MessageKey, string>> = { en, 'pt-BR': ptBR };

export type Params = Record<string, string | number>;

/** "pt_BR.UTF-8" and friends → "pt-BR"; an empty or odd value → "". */
export function normalizeLocale(raw: string): string {
  const tag = raw.trim().split(/[.@]/)[0]?.replace(/_/g, '-') ?? '';
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? '';
  } catch {
    return '';
  }
}

/** The OS language is followed unless a language was chosen explicitly. */
export function resolveLanguage(setting: string, osLocale: string): Language {
  if (setting === 'en' || setting === 'pt-BR') return setting;
  return normalizeLocale(osLocale).toLowerCase().startsWith('pt') ? 'pt-BR' : 'en';
}

export function isLanguageSetting(value: string): value is LanguageSetting {
  return (LANGUAGE_SETTINGS as readonly string[]).includes(value);
}

const state = $state({ setting: 'system' as LanguageSetting, osLocale: '' });

/** Applies the saved setting (AppInfo.language) and the OS locale at start. */
export function initLanguage(setting: string, osLocale: string): void {
  state.osLocale = osLocale;
  state.setting = isLanguageSetting(setting) ? setting : 'system';
}

export function setLanguageSetting(setting: LanguageSetting): void {
  state.setting = setting;
}

export function languageSetting(): LanguageSetting {
  return state.setting;
}

export function language(): Language {
  return resolveLanguage(state.setting, state.osLocale);
}

/**
 * The locale for Intl formatting: the OS's own regional variant when it speaks
 * the UI language (en-GB dates for a British English system), else the UI
 * language itself, so dates never mix languages with the text around them.
 */
export function locale(): string {
  const lang = language();
  const os = normalizeLocale(state.osLocale);
  if (lang === 'en' && /^en(-|$)/i.test(os) && Intl.DateTimeFormat.supportedLocalesOf(os).length) {
    return os;
  }
  return lang;
}

export function interpolate(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

export function t(key: MessageKey, params?: Params): string {
  const template = catalogs[language()][key] ?? en[key] ?? key;
  return interpolate(template, params);
}

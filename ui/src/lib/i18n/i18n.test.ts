// The catalogs must stay complete: these fail on any missing or extra key.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { RoleView, StatusKind } from '../bindings';
import { ERROR_CODES } from '../errors';
import { en } from './en';
import {
  catalogs,
  initLanguage,
  interpolate,
  language,
  locale,
  resolveLanguage,
  setLanguageSetting,
  t,
} from './i18n.svelte';
import { ptBR } from './pt-BR';

const enKeys = Object.keys(en).sort();

// `satisfies Record<…, true>` makes the type checker reject these lists when
// bindings.ts gains a value, so the label checks below can't go stale.
const STATUSES = Object.keys({
  awaiting_release: true,
  in_progress: true,
  ready: true,
  expired: true,
  server_error: true,
  invalid: true,
} satisfies Record<StatusKind, true>);

const ROLES = Object.keys({
  owner: true,
  admin: true,
  viewer: true,
  unknown: true,
} satisfies Record<RoleView, true>);



const SRC = resolve(import.meta.dirname, '../..');

function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(svelte|ts)$/.test(f) && !f.endsWith('.d.ts'))
    .filter((f) => !f.startsWith(join('lib', 'i18n', 'i18n.test.ts')))
    .map((f) => join(SRC, f));
}

/** Every t('literal') / t("literal") in the sources, with where it is. */
function usedKeys(): { key: string; file: string }[] {
  const found: { key: string; file: string }[] = [];
  const call = /(?<![\w$.])t\(\s*(['"])([^'"\n]+)\1/g;
  for (const file of sourceFiles()) {
    for (const m of readFileSync(file, 'utf8').matchAll(call)) {
      found.push({ key: m[2] ?? '', file: relative(SRC, file) });
    }
  }
  return found;
}

describe('catalogs', () => {
  it('pt-BR has every key of en', () => {
    const missing = enKeys.filter((k) => !(k in ptBR));
    expect(missing).toEqual([]);
  });

  it('pt-BR has no key that en lacks', () => {
    const extra = Object.keys(ptBR).filter((k) => !(k in en));
    expect(extra).toEqual([]);
  });

  it('has no empty translation, and keeps every {placeholder}', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of enKeys) {
      const k = key as keyof typeof en;
      expect(ptBR[k].trim(), key).not.toBe('');
      expect(placeholders(ptBR[k]), key).toEqual(placeholders(en[k]));
    }
  });

  it('has every key literally used with t() in src/', () => {
    const used = usedKeys();
    // A broken scan must not pass silently.
    expect(used.length).toBeGreaterThan(100);
    const unknown = used.filter(({ key }) => !(key in en)).map(({ key, file }) => `${file}: ${key}`);
    expect(unknown).toEqual([]);
  });

  it('labels every StatusKind, RoleView and ErrorCode in both languages', () => {
    const keys = [
      ...STATUSES.map((s) => `status.${s}`),
      ...ROLES.map((r) => `role.${r}`),
      ...ERROR_CODES.map((c) => `error.${c}`),
      ...ERROR_CODES.map((c) => `errorHelp.${c}`),
    ];
    for (const lang of ['en', 'pt-BR'] as const) {
      const missing = keys.filter((k) => !(k in catalogs[lang]));
      expect(missing, lang).toEqual([]);
    }
  });
});

describe('errors in the person’s language', () => {
  it('has a translated title and what-to-do for every error code', () => {
    // A code the backend gains (bindings.ts) fails type checking in errors.ts;
    // one left in English here fails this.
    const untranslated = ERROR_CODES.flatMap((c) => [`error.${c}`, `errorHelp.${c}`]).filter(
      (k) => ptBR[k as keyof typeof ptBR] === en[k as keyof typeof en],
    );
    expect(untranslated).toEqual([]);
    expect(ERROR_CODES).toContain('keychain_locked');
    expect(ERROR_CODES).toContain('copy_exists');
    expect(ERROR_CODES).toContain('account_exists');
  });
});

describe('language', () => {
  it('follows the OS language by default', () => {
    expect(resolveLanguage('system', 'pt-BR')).toBe('pt-BR');
    expect(resolveLanguage('system', 'pt_PT.UTF-8')).toBe('pt-BR');
    expect(resolveLanguage('system', 'en-GB')).toBe('en');
    expect(resolveLanguage('system', 'de-DE')).toBe('en');
    expect(resolveLanguage('system', '')).toBe('en');
  });

  it('uses an explicit choice over the OS language', () => {
    expect(resolveLanguage('en', 'pt-BR')).toBe('en');
    expect(resolveLanguage('pt-BR', 'en-US')).toBe('pt-BR');
    expect(resolveLanguage('klingon', 'pt-BR')).toBe('pt-BR');
  });

  it('switches t() and the formatting locale', () => {
    initLanguage('system', 'en-GB');
    expect(language()).toBe('en');
    expect(locale()).toBe('en-GB');
    expect(t('status.ready')).toBe('Ready');
    setLanguageSetting('pt-BR');
    expect(locale()).toBe('pt-BR');
    expect(t('status.ready')).toBe('Pronto');
    expect(t('status.awaiting_release')).toBe('Aguardando liberação');
    initLanguage('system', 'pt-BR');
    expect(t('nav.settings')).toBe('Configurações');
  });

  it('interpolates {name} placeholders and leaves unknown ones', () => {
    expect(interpolate('Hello {name}, {missing}', { name: 'Ana' })).toBe('Hello Ana, {missing}');
    expect(t('header.demoName', { name: 'Demo Company' })).toBe('Demo Company (demo)');
  });
});

import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';

import type { StatusKind } from '../lib/bindings';
import { setLanguageSetting } from '../lib/i18n/i18n.svelte';
import { text } from '../test/helpers';
import ModalHarness from '../test/ModalHarness.svelte';
import StatusBadge from './StatusBadge.svelte';

describe('StatusBadge', () => {
  const cases: [StatusKind, string, string][] = [
    ['awaiting_release', 'awaiting_release', 'Awaiting release'],
    ['in_progress', 'in_progress', 'In progress'],
    ['ready', 'ready', 'Ready'],
    ['expired', 'expired', 'Expired'],
    ['server_error', 'server_error', 'Server error'],
    ['invalid', 'archived_cold', 'Invalid value (archived_cold)'],
  ];

  it.each(cases)('%s reads "%s"', (status, raw, label) => {
    render(StatusBadge, { props: { status, raw } });
    const badge = screen.getByTestId('badge');
    expect(badge.dataset.status).toBe(status);
    expect(text(badge)).toBe(label);
    expect(badge.querySelector('svg[aria-hidden="true"]')).not.toBeNull();
  });

  it('speaks Portuguese', () => {
    setLanguageSetting('pt-BR');
    render(StatusBadge, { props: { status: 'invalid', raw: 'x' } });
    expect(text(screen.getByTestId('badge'))).toBe('Valor inválido (x)');
  });
});

describe('Modal', () => {
  async function openModal(blocking = false) {
    render(ModalHarness, { props: { blocking } });
    const opener = screen.getByTestId('opener');
    opener.focus();
    await fireEvent.click(opener);
    return { opener, modal: screen.getByTestId('modal') };
  }

  it('is an accessible modal labelled by its title, focused on open', async () => {
    const { modal } = await openModal();
    expect(modal.getAttribute('role')).toBe('dialog');
    expect(modal.getAttribute('aria-modal')).toBe('true');
    const title = document.getElementById(modal.getAttribute('aria-labelledby') ?? '');
    expect(title?.textContent?.trim()).toBe('Test dialog');
    expect(document.activeElement).toBe(screen.getByTestId('first'));
  });

  it('keeps Tab inside', async () => {
    await openModal();
    const first = screen.getByTestId('first');
    const last = screen.getByTestId('last');
    last.focus();
    await fireEvent.keyDown(last, { key: 'Tab' });
    expect(document.activeElement).toBe(first);
    await fireEvent.keyDown(first, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(last);
  });

  it('closes on Escape and gives focus back to the opener', async () => {
    const { opener } = await openModal();
    await fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Escape' });
    expect(screen.queryByTestId('modal')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it('ignores Escape when blocking', async () => {
    await openModal(true);
    await fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Escape' });
    expect(screen.getByTestId('modal')).toBeTruthy();
  });

  it('pulls focus back in when it escapes', async () => {
    const { opener } = await openModal();
    opener.focus();
    expect(document.activeElement).toBe(screen.getByTestId('first'));
  });
});

// Finding things in the backup history table, shared by the history's tests.
// Import it AFTER vi.mock('…/lib/ipc', …), like ./helpers.
import { fireEvent, screen, within } from '@testing-library/svelte';
import { expect, vi } from 'vitest';

export async function rowOf(id: string): Promise<HTMLElement> {
  await screen.findByTestId('backups');
  const tr = document.querySelector<HTMLElement>(`tr[data-backup-id="${id}"]`);
  if (!tr) throw new Error(`no row ${id}`);
  return tr;
}

/** The row's detail, full width under it (opened by itself or by its toggle). */
export async function detailOf(id: string): Promise<HTMLElement> {
  return vi.waitFor(() => {
    const tr = document.querySelector<HTMLElement>(`tr[data-detail-of="${id}"]`);
    if (!tr) throw new Error(`no detail of ${id}`);
    return tr;
  });
}

export async function openDetail(id: string): Promise<HTMLElement> {
  const toggle = within(await rowOf(id)).getByTestId('toggle-detail');
  expect(toggle.getAttribute('aria-expanded')).toBe('false');
  await fireEvent.click(toggle);
  expect(toggle.getAttribute('aria-expanded')).toBe('true');
  return detailOf(id);
}

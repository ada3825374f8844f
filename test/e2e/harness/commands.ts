import type { Page } from 'playwright-core';
import { pickQuickInputItem, quickInputBox } from './quick-input';

/** Opens a quick input with a key and waits until it can be typed into. */
export async function openQuickInputWith(page: Page, key: string): Promise<void> {
  await page.keyboard.press(key);
  await quickInputBox(page).waitFor();
}

/**
 * Runs a command by its title as the command palette shows it ('Category: Title').
 * F1 rather than Ctrl+Shift+P: both reach the page under playwright, but F1 has no browser meaning at all.
 */
export async function runCommand(page: Page, title: string, timeoutMs?: number): Promise<void> {
  await pickQuickInputItem(page, { open: () => openQuickInputWith(page, 'F1'), value: `>${title}`, label: title, timeoutMs });
}
